//! What an enrollment QR pins (docs/protocol.md, «Enrollment»): the institution's content-signing
//! key and its server's CA certificate, kept in `meta` (`pinned_content_key`: the key as JSON;
//! `pinned_ca`: the certificate's DER in base64). An enrollment replaces both.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rusqlite::Connection;

use super::{get_meta, set_meta, Store};
use crate::content::TrustedKey;
use crate::error::{Error, Result};

/// The pins of one enrollment. The CA certificate itself is kept, not its hash: the client needs
/// it as its root; the phone took it only after its SHA-256 matched the QR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrollmentPins {
    pub content_key: Option<TrustedKey>,
    pub ca_der: Option<Vec<u8>>,
}

pub(super) fn keep(conn: &Connection, pins: &EnrollmentPins) -> Result<()> {
    let key =
        pins.content_key.as_ref().map(serde_json::to_string).transpose().map_err(|e| Error::Corrupt(e.to_string()))?;
    set_meta(conn, "pinned_content_key", key.as_deref())?;
    set_meta(conn, "pinned_ca", pins.ca_der.as_ref().map(|der| BASE64.encode(der)).as_deref())
}

/// The content key this phone was enrolled with, if its QR pinned one.
pub(super) fn pinned_key(conn: &Connection) -> Result<Option<TrustedKey>> {
    match get_meta(conn, "pinned_content_key")? {
        None => Ok(None),
        Some(json) => {
            serde_json::from_str(&json).map(Some).map_err(|e| Error::Corrupt(format!("pinned_content_key: {e}")))
        }
    }
}

pub(super) fn pinned_ca(conn: &Connection) -> Result<Option<Vec<u8>>> {
    match get_meta(conn, "pinned_ca")? {
        None => Ok(None),
        Some(b64) => BASE64.decode(b64).map(Some).map_err(|e| Error::Corrupt(format!("pinned_ca: {e}"))),
    }
}

impl Store {
    /// The content key packs must be signed with, once enrolled with one.
    pub fn pinned_key(&self) -> Result<Option<TrustedKey>> {
        pinned_key(&self.conn)
    }
}

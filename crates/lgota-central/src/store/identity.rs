//! The database's identity (`server_identity`) as a store holds it: read again once it is
//! [`IDENTITY_FRESH`] old, so a new identity given while servers run (`restored` after
//! `pg_restore`, `migrate`) reaches every one of them within seconds, and their phones send
//! again all they hold. Read fresh each call, it would cost every pull and push a query.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::StoreResult;

/// How old the identity a store answers with may be.
pub const IDENTITY_FRESH: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub(crate) struct Identity {
    last: Mutex<(Instant, String)>,
}

impl Identity {
    /// The identity just read (at open).
    pub(crate) fn new(server_id: String) -> Identity {
        Identity { last: Mutex::new((Instant::now(), server_id)) }
    }

    /// The identity, read with `read` (off the lock) when the last reading is too old.
    pub(crate) fn get(&self, read: impl FnOnce() -> StoreResult<String>) -> StoreResult<String> {
        {
            let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            if last.0.elapsed() < IDENTITY_FRESH {
                return Ok(last.1.clone());
            }
        }
        let server_id = read()?;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = (Instant::now(), server_id.clone());
        Ok(server_id)
    }
}

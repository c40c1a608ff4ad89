//! Export files that cannot be forged (docs/protocol.md, «Offline export»): a phone signs its
//! export with an Ed25519 key only it holds (its private half never leaves the phone's SQLite
//! file); the server verifies the file with the public half registered for that device at
//! enrollment or at a later sync. The signature covers the records' exact bytes
//! ([`lgota_protocol::export_message`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use lgota_protocol::{ExportEnvelope, WireRecord, EXPORT_FORMAT};

/// The public half of the key whose private half is `secret` (base64url, 43 characters): what
/// the phone sends at enrollment and in its device report.
pub fn public_key(secret: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(SigningKey::from_bytes(secret).verifying_key().as_bytes())
}

/// A public key as the phone sends it, if it is one (43 characters of base64url decoding to a
/// valid Ed25519 point); its normal text otherwise `None`.
pub fn parse_public_key(text: &str) -> Option<String> {
    verifying_key(text.trim()).map(|k| URL_SAFE_NO_PAD.encode(k.as_bytes()))
}

fn verifying_key(text: &str) -> Option<VerifyingKey> {
    if text.len() != 43 {
        return None;
    }
    let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The export file of `records` of `device_id`, signed with `secret`: the records written as
/// compact JSON, and that very text signed.
pub fn seal(secret: &[u8; 32], device_id: &str, records: &[WireRecord]) -> serde_json::Result<ExportEnvelope> {
    let records_json = serde_json::to_string(records)?;
    let key = SigningKey::from_bytes(secret);
    let signature = key.sign(&lgota_protocol::export_message(device_id, &records_json));
    Ok(ExportEnvelope {
        format: EXPORT_FORMAT,
        device_id: device_id.to_owned(),
        signing_key: Some(URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())),
        signature: Some(URL_SAFE_NO_PAD.encode(signature.to_bytes())),
        records: serde_json::value::RawValue::from_string(records_json)?,
    })
}

/// What a file's signature says, checked against the key registered for its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by the registered key, over exactly these bytes.
    Verified,
    /// No signature (format 1, written by an app older than signed exports).
    Unsigned,
    /// The file names another key than the registered one: another phone signed it.
    OtherKey,
    /// The signature does not verify: a byte changed after export (or a signature made up).
    BadSignature,
}

/// Checks `file` against `registered`, the public key the server holds for its device.
pub fn verify(file: &ExportEnvelope, registered: &str) -> Verdict {
    let Some(signature) = file.signature.as_deref() else { return Verdict::Unsigned };
    let Some(key) = verifying_key(registered) else { return Verdict::OtherKey };
    if file.signing_key.as_deref().is_some_and(|named| named.trim() != registered) {
        return Verdict::OtherKey;
    }
    let Some(signature) = URL_SAFE_NO_PAD
        .decode(signature.trim())
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
    else {
        return Verdict::BadSignature;
    };
    match key.verify(&file.message(), &signature) {
        Ok(()) => Verdict::Verified,
        Err(_) => Verdict::BadSignature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lgota_protocol::RecordKind;

    fn record(id: &str) -> WireRecord {
        WireRecord {
            id: id.into(),
            kind: RecordKind::Void,
            created_at_ms: 1_780_000_000_000,
            utc_offset_min: 180,
            device_id: "phone-1".into(),
            branch_id: "central".into(),
            event_id: None,
            staff_label: "ИП".into(),
            training: false,
            method: None,
            outcome: None,
            granted: None,
            category_id: None,
            failure_reason_id: None,
            document_type_id: None,
            checklist_completed: None,
            note: None,
            target_id: Some("x".into()),
            void_reason: Some("Ошибка".into()),
            event_title: None,
            event_date: None,
        }
    }

    /// Writes the file as the phone does and reads it back as the server does.
    fn through_file(file: &ExportEnvelope) -> ExportEnvelope {
        serde_json::from_slice(&serde_json::to_vec_pretty(file).unwrap()).unwrap()
    }

    #[test]
    fn a_sealed_file_verifies_with_its_key_only() {
        let secret = [7u8; 32];
        let key = public_key(&secret);
        assert_eq!(parse_public_key(&format!(" {key} ")), Some(key.clone()));
        let file = through_file(&seal(&secret, "phone-1", &[record("a"), record("b")]).unwrap());
        assert_eq!(file.records().unwrap().len(), 2);
        assert_eq!(verify(&file, &key), Verdict::Verified);
        assert_eq!(verify(&file, &public_key(&[8u8; 32])), Verdict::OtherKey);
        // Naming the other phone's key does not help: the signature is still this one's.
        let mut claims = file.clone();
        claims.signing_key = Some(public_key(&[8u8; 32]));
        assert_eq!(verify(&claims, &public_key(&[8u8; 32])), Verdict::BadSignature);
    }

    #[test]
    fn one_changed_byte_breaks_the_signature() {
        let secret = [7u8; 32];
        let key = public_key(&secret);
        let text = serde_json::to_string_pretty(&seal(&secret, "phone-1", &[record("a")]).unwrap()).unwrap();
        for (from, to) in [("Ошибка", "Ошибкb"), ("\"central\"", "\"branch2\""), ("180", "181"), (",\"", ", \"")]
        {
            let changed: ExportEnvelope = serde_json::from_str(&text.replacen(from, to, 1)).unwrap();
            assert_eq!(verify(&changed, &key), Verdict::BadSignature, "{from} → {to}");
        }
        // The device id is signed too.
        let mut other = through_file(&serde_json::from_str(&text).unwrap());
        other.device_id = "phone-2".into();
        assert_eq!(verify(&other, &key), Verdict::BadSignature);
        let mut unsigned = other;
        unsigned.signature = None;
        assert_eq!(verify(&unsigned, &key), Verdict::Unsigned);
    }

    #[test]
    fn only_keys_are_keys() {
        for bad in ["", "abc", &"A".repeat(44), &"!".repeat(43)] {
            assert_eq!(parse_public_key(bad), None, "{bad}");
        }
    }
}

//! Enrollment codes and device tokens: random, URL-safe, stored only as SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Bytes of randomness in an enrollment code (128 bits).
pub const CODE_BYTES: usize = 16;
/// Bytes of randomness in a device token (256 bits).
pub const TOKEN_BYTES: usize = 32;

fn random_urlsafe(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// A new one-time enrollment code: 22 URL-safe characters.
pub fn new_code() -> Result<String, getrandom::Error> {
    random_urlsafe(CODE_BYTES)
}

/// A new device bearer token: 43 URL-safe characters.
pub fn new_token() -> Result<String, getrandom::Error> {
    random_urlsafe(TOKEN_BYTES)
}

fn is_urlsafe_of(s: &str, bytes: usize) -> bool {
    URL_SAFE_NO_PAD.decode(s).is_ok_and(|b| b.len() == bytes)
}

/// Whether `s` looks like a code this server issues (no database needed to refuse garbage).
pub fn is_code_shaped(s: &str) -> bool {
    is_urlsafe_of(s, CODE_BYTES)
}

pub fn is_token_shaped(s: &str) -> bool {
    is_urlsafe_of(s, TOKEN_BYTES)
}

/// Lower-case hex SHA-256, the only form in which codes and tokens are kept.
pub fn sha256_hex(s: &str) -> String {
    sha256_hex_bytes(s.as_bytes())
}

/// Lowercase hex SHA-256 of `bytes` (a certificate's DER, say).
pub fn sha256_hex_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_tokens_are_random_urlsafe_and_shaped() {
        let (a, b) = (new_code().unwrap(), new_code().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
        assert!(is_code_shaped(&a) && !is_token_shaped(&a));
        let t = new_token().unwrap();
        assert_eq!(t.len(), 43);
        assert!(is_token_shaped(&t) && !is_code_shaped(&t));
        assert!(a.chars().chain(t.chars()).all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert!(!is_code_shaped("not a code at all!!!!!"));
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}

//! Salted argon2id hashes of secrets people type: the phone's PIN, and the dashboard's passwords
//! (lgota-central uses these too, so both sides hash the same way). Parameters are the argon2
//! crate's defaults, argon2id v19, m = 19 MiB, t = 2, p = 1 (the OWASP minimum); a PHC string
//! carries them, so a stored hash still verifies if the defaults ever change.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{Error, Result};

/// An argon2id PHC string (algorithm, parameters, random salt, hash) of `secret`.
pub fn hash_secret(secret: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::SecretHash(e.to_string()))
}

/// Whether `secret` matches the PHC string. A malformed hash matches nothing.
pub fn verify_secret(phc: &str, secret: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(secret.as_bytes(), &hash).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_only_against_its_own_salted_hash() {
        let a = hash_secret("2580").unwrap();
        let b = hash_secret("2580").unwrap();
        assert_ne!(a, b, "a fresh salt each time");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(verify_secret(&a, "2580") && verify_secret(&b, "2580"));
        assert!(!verify_secret(&a, "2581"));
        assert!(!verify_secret("not a hash", "2580"));
    }
}

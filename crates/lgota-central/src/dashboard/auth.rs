//! Dashboard sign-in: argon2id passwords, session cookies (stored by SHA-256), CSRF tokens and
//! the per-login / per-IP limit on failed attempts.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::http::{header, HeaderMap};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lgota_session";
/// How long a session lasts.
pub const SESSION_TTL_MS: i64 = 8 * 60 * 60 * 1000;
/// Failed sign-ins allowed per login and per IP within [`FAILURE_WINDOW_MS`].
pub const MAX_FAILURES: usize = 5;
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// The shortest password `admin add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An argon2id PHC string of `password` (the same hashing as the phone's PIN: `lgota_domain::secret`).
pub fn hash_password(password: &str) -> Result<String, String> {
    lgota_domain::secret::hash_secret(password).map_err(|e| e.to_string())
}

/// Whether `password` matches `phc`. A malformed hash matches nothing.
pub fn verify_password(phc: &str, password: &str) -> bool {
    lgota_domain::secret::verify_secret(phc, password)
}

/// Spends the time of one verification, so an unknown login answers as slowly as a known one.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("dummy password, never matches").unwrap_or_default());
    let _ = verify_password(phc, password);
}

/// Compares without an early exit on the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of the session cookie in a request, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|t| crate::secrets::is_token_shaped(t))
}

/// `Set-Cookie` for a new session (`None`: one that clears it).
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{SESSION_COOKIE}={t}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
            SESSION_TTL_MS / 1000
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
    }
}

/// Failed sign-ins by key (`login:…`, `ip:…`), in memory: a restart forgives them, which is
/// acceptable for one server process. Behind a reverse proxy every IP is the proxy's (the
/// per-login limit still holds); trusting `X-Forwarded-For` is left for the deployment step.
#[derive(Default)]
pub struct Attempts {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl Attempts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<i64>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether any of `keys` already has [`MAX_FAILURES`] recent failures.
    pub fn blocked(&self, keys: &[String], now_ms: i64) -> bool {
        let mut map = self.lock();
        keys.iter().any(|k| {
            map.get_mut(k).is_some_and(|times| {
                times.retain(|t| now_ms - t < FAILURE_WINDOW_MS);
                times.len() >= MAX_FAILURES
            })
        })
    }

    pub fn fail(&self, keys: &[String], now_ms: i64) {
        let mut map = self.lock();
        if map.len() > 100_000 {
            // Bound the memory an attacker can make us hold: drop keys with no recent failure.
            map.retain(|_, times| times.iter().any(|t| now_ms - t < FAILURE_WINDOW_MS));
        }
        for k in keys {
            map.entry(k.clone()).or_default().push(now_ms);
        }
    }

    /// A successful sign-in forgives the login's failures (not the IP's).
    pub fn succeed(&self, login_key: &str) {
        self.lock().remove(login_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let phc = hash_password("правильный пароль").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password(&phc, "правильный пароль"));
        assert!(!verify_password(&phc, "неправильный"));
        assert!(!verify_password("garbage", "x"));
    }

    #[test]
    fn attempts_block_after_the_limit_and_expire() {
        let a = Attempts::default();
        let keys = vec!["login:a".to_string(), "ip:1".to_string()];
        for i in 0..MAX_FAILURES {
            assert!(!a.blocked(&keys, 1000));
            a.fail(&keys, 1000 + i as i64);
        }
        assert!(a.blocked(&keys, 2000));
        assert!(a.blocked(&["ip:1".to_string()], 2000));
        assert!(!a.blocked(&keys, 1000 + FAILURE_WINDOW_MS + MAX_FAILURES as i64));
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd") && !constant_time_eq("a", "ab"));
    }
}

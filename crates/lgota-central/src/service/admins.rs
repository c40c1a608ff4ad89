//! Dashboard users and their sessions: argon2id passwords, sign-in with the per-login / per-IP
//! limit on failed attempts, sessions stored by the SHA-256 of their token with a CSRF token.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use lgota_protocol::codes;

use super::audit::{self, Action};
use super::{Actor, Error, Kind, Result};
use crate::store::{Admin, Database, Role};
use crate::{now_ms, secrets};

/// How long a session lasts.
pub const SESSION_TTL_MS: i64 = 8 * 60 * 60 * 1000;
/// Failed sign-ins allowed per login and per IP within [`FAILURE_WINDOW_MS`].
pub const MAX_FAILURES: usize = 5;
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// The shortest password `admin add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An argon2id PHC string of `password` (the same hashing as the phone's PIN: `lgota_domain::secret`).
pub fn hash_password(password: &str) -> std::result::Result<String, String> {
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

/// Adds (or replaces) a dashboard user with an argon2id hash of `password`; `true` if new.
/// Replacing ends their sessions. Audited as `actor`.
pub fn put(
    db: &dyn Database,
    actor: &Actor,
    login: &str,
    role: &str,
    branch: Option<&str>,
    password: &str,
) -> Result<bool> {
    actor.must_be_admin()?;
    let created = add_admin(db, login, role, branch, password)?;
    let what = if created { "добавлен" } else { "обновлён" };
    audit::note(db, actor, Action::AdminPut, &format!("Пользователь панели «{}» ({role}) {what}", login.trim()))?;
    Ok(created)
}

/// [`put`] without the audit entry (set-up and tests).
pub fn add_admin(db: &dyn Database, login: &str, role: &str, branch: Option<&str>, password: &str) -> Result<bool> {
    let login = login.trim();
    if login.is_empty() || login.chars().count() > 64 || login.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("логин: от 1 до 64 символов без пробелов"));
    }
    let role = match (role, branch) {
        ("admin", None) => Role::Admin,
        ("admin", Some(_)) => return Err(Error::invalid("у администратора нет филиала: уберите --branch")),
        ("branch_head", Some(b)) => Role::BranchHead(b.to_string()),
        ("branch_head", None) => return Err(Error::invalid("для заведующего укажите --branch")),
        (other, _) => return Err(Error::invalid(format!("неизвестная роль «{other}»: admin или branch_head"))),
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(format!("пароль должен быть не короче {MIN_PASSWORD_CHARS} символов")));
    }
    let password_hash = hash_password(password).map_err(Error::internal)?;
    Ok(db.put_admin(&Admin { login: login.to_string(), password_hash, role }, now_ms())?)
}

/// A new session: the token goes into the cookie (only its SHA-256 is stored).
pub struct NewSession {
    pub token: String,
    pub admin: Admin,
}

/// Signs `login` in from the address `ip` if the password matches and neither the login nor the
/// address has too many recent failures; failures are audited under the login tried.
pub fn sign_in(db: &dyn Database, attempts: &Attempts, login: &str, password: &str, ip: &str) -> Result<NewSession> {
    let login = login.trim();
    let keys = vec![format!("login:{}", login.to_lowercase()), format!("ip:{ip}")];
    if attempts.blocked(&keys, now_ms()) {
        tracing::warn!(login, ip, "sign-in refused: too many failures");
        return Err(Error::new(
            Kind::TooManyRequests,
            codes::TOO_MANY_ATTEMPTS,
            "Слишком много попыток, попробуйте позже.",
        ));
    }
    let admin = match db.admin(login)? {
        Some(a) if verify_password(&a.password_hash, password) => Some(a),
        Some(_) => None,
        None => {
            verify_dummy(password);
            None
        }
    };
    let Some(admin) = admin else {
        attempts.fail(&keys, now_ms());
        tracing::info!(login, ip, "sign-in failed");
        let who: String = login.chars().take(64).collect();
        audit::note_as(db, &who, Action::SignInFailed, &format!("Неудачный вход с адреса {ip}"))?;
        return Err(Error::new(Kind::Unauthorized, codes::UNAUTHORIZED, "Неверный логин или пароль."));
    };
    attempts.succeed(&keys[0]);
    let (token, csrf) =
        (secrets::new_token().map_err(Error::internal)?, secrets::new_token().map_err(Error::internal)?);
    let now = now_ms();
    db.create_session(&secrets::sha256_hex(&token), &admin.login, &csrf, now, now + SESSION_TTL_MS)?;
    audit::note_as(db, &admin.login, Action::SignIn, &format!("Вход с адреса {ip}"))?;
    tracing::info!(login = admin.login, ip, "signed in");
    Ok(NewSession { token, admin })
}

/// The user of a session token and the session's CSRF token, if the session is alive.
pub fn session(db: &dyn Database, token: &str) -> Result<Option<(Admin, String)>> {
    Ok(db.session(&secrets::sha256_hex(token), now_ms())?)
}

/// Ends a session.
pub fn sign_out(db: &dyn Database, actor: &Actor, token_sha256: &str) -> Result<()> {
    db.delete_session(token_sha256)?;
    audit::note(db, actor, Action::SignOut, "Выход")
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

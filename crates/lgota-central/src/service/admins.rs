//! Dashboard users and their sessions: argon2id passwords; sign-in that cannot be turned against
//! its users ([`Attempts`]: a few password checks at once, a back-off per login and per client
//! address reserved before the check); sessions stored by the SHA-256 of their token with a CSRF
//! token; disabling, enabling and removing users.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use lgota_protocol::codes;

use super::audit::{self, Action};
use super::{for_log, Actor, Error, Kind, Result};
use crate::store::{Admin, AdminChange, BackoffRule, Database, Reservation, ReservedKey, Role};
use crate::{now_ms, secrets};

/// How long a session lasts.
pub const SESSION_TTL_MS: i64 = 8 * 60 * 60 * 1000;
/// The shortest password `admin add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Password checks that may run at once (each holds argon2's 19 MiB): the server's two cores.
pub const CONCURRENT_CHECKS: usize = 2;
/// How long an attempt waits for a free check before it is refused.
pub const CHECK_WAIT: Duration = Duration::from_secs(5);
/// Failures of a login or an address that cost nothing (typos); attempts sent at once beyond
/// them are refused.
pub const FREE_FAILURES: u32 = 3;
/// After the first failure beyond the free ones the next attempt waits this long; each further
/// failure doubles it, up to [`MAX_DELAY_MS`].
pub const FIRST_DELAY_MS: i64 = 1000;
pub const MAX_DELAY_MS: i64 = 60 * 1000;
/// Failures older than this are forgotten.
pub const FAILURE_MEMORY_MS: i64 = 15 * 60 * 1000;

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

/// The wait before the next attempt after `failures` failures: none for the free ones, then 1 s
/// doubling to 60 s.
pub fn delay_after(failures: u32) -> i64 {
    match failures.checked_sub(FREE_FAILURES + 1) {
        None => 0,
        Some(n) => (FIRST_DELAY_MS << n.min(16)).min(MAX_DELAY_MS),
    }
}

/// The sign-in limiter. The back-off lives in the store ([`crate::store::AdminStore::reserve_sign_in`]),
/// so every server process on one database keeps the same waits and a restart forgives nothing:
///
/// - each attempt is counted as a failure *before* its password is checked, and the next attempt
///   of that login and of that client address must wait ([`delay_after`]) — so of attempts sent
///   at once at most [`FREE_FAILURES`] + 1 are checked; an attempt too early is refused without a
///   check and does not lengthen the wait, so once the wait has passed the right password signs
///   in (no lock-out);
/// - at most [`CONCURRENT_CHECKS`] passwords are checked at once in a process (this part is the
///   process's own: its cores and memory); others wait up to [`CHECK_WAIT`] and are refused —
///   memory stays bounded whatever arrives.
///
/// A success forgives the login's failures and this attempt of the address.
pub struct Attempts {
    checks: Arc<tokio::sync::Semaphore>,
    running: AtomicUsize,
    peak: AtomicUsize,
    checked: AtomicU64,
}

impl Default for Attempts {
    fn default() -> Attempts {
        Attempts {
            checks: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CHECKS)),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            checked: AtomicU64::new(0),
        }
    }
}

/// An attempt let through the back-off (already counted as a failure).
#[derive(Debug)]
pub struct Attempt {
    login: String,
    ip: String,
    /// Each key with its failures after this attempt and its wait before it.
    reserved: Vec<ReservedKey>,
}

/// One of the [`CONCURRENT_CHECKS`] slots, held while a password is checked.
pub struct CheckSlot(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

fn too_soon(wait_ms: i64) -> Error {
    let seconds = (wait_ms + 999) / 1000;
    Error::new(
        Kind::TooManyRequests,
        codes::TOO_MANY_ATTEMPTS,
        format!("После неудачной попытки следующая возможна через {seconds} с. Подождите и войдите снова."),
    )
}

/// How the back-off grows, for the store.
pub const BACKOFF: BackoffRule = BackoffRule { memory_ms: FAILURE_MEMORY_MS, delay_after };

impl Attempts {
    /// Lets an attempt of `login` from `ip` through, counting it in the store, unless the login or
    /// the address must still wait (429, saying how long). A blocking store call.
    pub fn begin(&self, db: &dyn Database, login: &str, ip: &str, now_ms: i64) -> Result<Attempt> {
        let login: String = login.trim().chars().take(64).collect();
        let keys = [format!("login:{}", login.to_lowercase()), format!("ip:{ip}")];
        match db.reserve_sign_in(&keys, now_ms, &BACKOFF)? {
            Reservation::Wait(wait) => Err(too_soon(wait)),
            Reservation::Reserved(reserved) => Ok(Attempt { login, ip: ip.to_string(), reserved }),
        }
    }

    /// Waits for a free password check, at most [`CHECK_WAIT`]; then 429.
    pub async fn slot(&self) -> Result<CheckSlot> {
        match tokio::time::timeout(CHECK_WAIT, self.checks.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(CheckSlot(permit)),
            _ => Err(Error::new(
                Kind::TooManyRequests,
                codes::TOO_MANY_ATTEMPTS,
                "Сервер сейчас проверяет много попыток входа. Подождите минуту и попробуйте снова.",
            )),
        }
    }

    /// Takes back an attempt that was not checked, or the address's part of a successful one;
    /// `whole_login` forgives the login altogether (a success). A blocking store call.
    pub fn forgive(&self, db: &dyn Database, attempt: &Attempt, whole_login: bool) -> Result<()> {
        Ok(db.forgive_sign_in(&attempt.reserved, whole_login)?)
    }

    /// Password checks run so far (with the stand-in check of an unknown login).
    pub fn checks_run(&self) -> u64 {
        self.checked.load(Ordering::SeqCst)
    }

    /// The most password checks that ever ran at once.
    pub fn peak_checks(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Checks `password` against `admin`'s hash (or spends the same time), counted.
    fn check(&self, _slot: &CheckSlot, admin: Option<&Admin>, password: &str) -> bool {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        self.checked.fetch_add(1, Ordering::SeqCst);
        let ok = match admin {
            Some(a) => verify_password(&a.password_hash, password),
            None => {
                verify_dummy(password);
                false
            }
        };
        self.running.fetch_sub(1, Ordering::SeqCst);
        ok
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
        ("observer", None) => Role::Observer,
        ("observer", Some(_)) => return Err(Error::invalid("роль «только итоги» видит все филиалы: уберите --branch")),
        (other, _) => {
            return Err(Error::invalid(format!("неизвестная роль «{other}»: admin, branch_head или observer")))
        }
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(format!("пароль должен быть не короче {MIN_PASSWORD_CHARS} символов")));
    }
    let password_hash = hash_password(password).map_err(Error::internal)?;
    Ok(db.put_admin(
        &Admin { login: login.to_string(), password_hash, role, disabled: false, records: false },
        now_ms(),
    )?)
}

/// A new session: the token goes into the cookie (only its SHA-256 is stored).
pub struct NewSession {
    pub token: String,
    pub admin: Admin,
}

/// Signs an attempt in ([`Attempts::begin`], holding a [`CheckSlot`]) if the password matches
/// and the user is not disabled. A failure is audited under the login if it is a user's,
/// otherwise as [`audit::UNKNOWN_LOGIN`]; the log never names a login tried in vain.
pub fn sign_in(
    db: &dyn Database,
    attempts: &Attempts,
    attempt: Attempt,
    slot: CheckSlot,
    password: &str,
) -> Result<NewSession> {
    let known = db.admin(&attempt.login)?;
    let matches = attempts.check(&slot, known.as_ref(), password);
    drop(slot);
    let ip = for_log(&attempt.ip);
    let admin = match known {
        Some(admin) if matches && !admin.disabled => admin,
        known => {
            tracing::info!(ip, "sign-in failed");
            let (who, detail) = match &known {
                Some(a) if a.disabled => {
                    (a.login.as_str(), format!("Неудачный вход с адреса {ip}: пользователь отключён"))
                }
                Some(a) => (a.login.as_str(), format!("Неудачный вход с адреса {ip}")),
                None => (audit::UNKNOWN_LOGIN, format!("Неудачный вход с адреса {ip}")),
            };
            audit::note_as(db, who, Action::SignInFailed, &detail)?;
            return Err(Error::new(Kind::Unauthorized, codes::UNAUTHORIZED, "Неверный логин или пароль."));
        }
    };
    attempts.forgive(db, &attempt, true)?;
    let (token, csrf) =
        (secrets::new_token().map_err(Error::internal)?, secrets::new_token().map_err(Error::internal)?);
    let now = now_ms();
    db.create_session(&secrets::sha256_hex(&token), &admin.login, &csrf, now, now + SESSION_TTL_MS)?;
    audit::note_as(db, &admin.login, Action::SignIn, &format!("Вход с адреса {ip}"))?;
    tracing::info!(login = for_log(&admin.login), ip, "signed in");
    Ok(NewSession { token, admin })
}

/// What to do with a dashboard user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Disable,
    Enable,
    Remove,
    /// A branch head may see the individual records of their branch.
    GrantRecords,
    /// A branch head sees totals only again.
    RevokeRecords,
}

/// Disables, enables or removes the user `login` (disabling and removing end their sessions at
/// once), audited as `actor`; `true` if something changed (`false`: already so). Refused: a
/// user acting on themselves (`from_dashboard`: the command line may), the last enabled
/// administrator, an unknown login.
pub fn change(db: &dyn Database, actor: &Actor, login: &str, what: Change, from_dashboard: bool) -> Result<bool> {
    actor.must_be_admin()?;
    let login = login.trim();
    if from_dashboard && matches!(what, Change::Disable | Change::Remove) && login == actor.login {
        return Err(Error::invalid(
            "Себя отключить или удалить нельзя: попросите другого администратора или используйте команду \
             lgota-central admin на сервере.",
        ));
    }
    let outcome = match what {
        Change::Disable => db.set_admin_disabled(login, true, now_ms())?,
        Change::Enable => db.set_admin_disabled(login, false, now_ms())?,
        Change::Remove => db.remove_admin(login)?,
        Change::GrantRecords => db.set_records_access(login, true)?,
        Change::RevokeRecords => db.set_records_access(login, false)?,
    };
    let shown = for_log(login);
    match outcome {
        AdminChange::NotFound => {
            Err(Error::new(Kind::NotFound, codes::NOT_FOUND, format!("Нет пользователя «{shown}».")))
        }
        AdminChange::LastAdmin => Err(Error::new(
            Kind::Conflict,
            codes::CONFLICT,
            "Это последний действующий администратор: сначала добавьте или включите другого, иначе в панель \
             некому будет войти.",
        )),
        AdminChange::NotApplicable => Err(Error::invalid(format!(
            "«{shown}» — не заведующий филиалом: доступ к записям открывают только заведующим \
             (администратор видит все записи, роль «только итоги» — никаких)."
        ))),
        AdminChange::Unchanged => Ok(false),
        AdminChange::Done => {
            let (action, detail) = match what {
                Change::Disable => {
                    (Action::AdminDisable, format!("Пользователь панели «{login}» отключён, его сеансы завершены"))
                }
                Change::Enable => (Action::AdminEnable, format!("Пользователь панели «{login}» снова может входить")),
                Change::Remove => {
                    (Action::AdminRemove, format!("Пользователь панели «{login}» удалён, его сеансы завершены"))
                }
                Change::GrantRecords => (
                    Action::AdminGrantRecords,
                    format!("Заведующему «{login}» открыт доступ к отдельным записям своего филиала"),
                ),
                Change::RevokeRecords => (
                    Action::AdminRevokeRecords,
                    format!("Заведующему «{login}» закрыт доступ к отдельным записям: только итоги"),
                ),
            };
            audit::note(db, actor, action, &detail)?;
            tracing::info!(
                login = shown,
                by = for_log(&actor.login),
                action = action.as_str(),
                "dashboard user changed"
            );
            Ok(true)
        }
    }
}

/// Every dashboard user, for administrators.
pub fn list(db: &dyn Database, actor: &Actor) -> Result<Vec<Admin>> {
    actor.must_be_admin()?;
    Ok(db.admins()?)
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
    fn attempts_wait_after_failures_reserved_before_the_check_and_are_forgiven() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::store::SqliteDatabase::open(dir.path().join("a.db")).unwrap();
        let db: &dyn Database = &db;
        let a = Attempts::default();
        // Sent at once: the free ones and one more pass, the rest are refused without a check
        // and do not lengthen the wait.
        let passed: Vec<_> = (0..10).filter_map(|_| a.begin(db, "Anna", "10.0.0.1", 1000).ok()).collect();
        assert_eq!(passed.len(), FREE_FAILURES as usize + 1);
        assert_eq!(a.begin(db, "anna", "10.0.0.2", 1999).unwrap_err().kind, Kind::TooManyRequests);
        assert_eq!(a.begin(db, "boris", "10.0.0.1", 1999).unwrap_err().kind, Kind::TooManyRequests, "the address too");
        let next = a.begin(db, "anna", "10.0.0.2", 2000).unwrap();
        assert!(a.begin(db, "anna", "10.0.0.3", 3999).is_err(), "then 2 s");
        // Another limiter on the same database (another process) sees the same wait.
        assert!(Attempts::default().begin(db, "anna", "10.0.0.9", 3999).is_err(), "shared through the store");
        a.forgive(db, &next, true).unwrap();
        assert!(a.begin(db, "anna", "10.0.0.4", 2000).is_ok(), "a success forgives the login");
        assert_eq!(delay_after(FREE_FAILURES), 0);
        assert_eq!((delay_after(FREE_FAILURES + 1), delay_after(FREE_FAILURES + 2)), (1000, 2000));
        assert_eq!((delay_after(FREE_FAILURES + 7), delay_after(u32::MAX)), (MAX_DELAY_MS, MAX_DELAY_MS));
        // An attempt not checked is taken back.
        let b = Attempts::default();
        for _ in 0..20 {
            let attempt = b.begin(db, "c", "1", 5).unwrap();
            b.forgive(db, &attempt, false).unwrap();
        }
        // Forgotten after a while.
        for i in 0..10 {
            let _ = b.begin(db, "c", "1", i * MAX_DELAY_MS);
        }
        assert!(b.begin(db, "c", "1", 20 * MAX_DELAY_MS + FAILURE_MEMORY_MS).is_ok());
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd") && !constant_time_eq("a", "ab"));
    }
}

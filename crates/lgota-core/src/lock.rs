//! The app lock's persistent half: the PIN (kept only as a salted argon2id hash), the lock
//! options, and the back-off after wrong PINs, all in the `app_lock` row of the record log's file.
//!
//! Whether the app is locked *right now* is not stored: the app shell holds that in memory and
//! starts locked whenever a PIN is set. Every PIN attempt is counted *before* the hash is checked
//! (and forgiven on success), so killing the app in the middle of a check gives no free attempt.

use rusqlite::{params, Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::clock::Now;
pub use crate::error::{wait_text, PIN_MAX, PIN_MIN};
use crate::error::{Error, Result};
use crate::secret::{hash_secret, verify_secret};
use crate::store::Store;

/// The idle times the librarian can choose from, in seconds.
pub const IDLE_CHOICES_S: [u32; 5] = [30, 60, 120, 300, 900];
/// Wrong PINs allowed before the first pause.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first pause; each further wrong PIN doubles it, up to [`MAX_WAIT_MS`].
pub const FIRST_WAIT_MS: i64 = 30_000;
pub const MAX_WAIT_MS: i64 = 60 * 60 * 1000;

/// What the settings screen shows and the shell needs (never the hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockSettings {
    pub pin_set: bool,
    /// The idle time in force: the librarian's choice, at most the office's maximum.
    pub idle_seconds: u32,
    /// The recording buttons work while the app is locked.
    pub record_while_locked: bool,
    /// The central office requires a PIN (the configuration's device policy): nothing is
    /// recorded without one, and it cannot be removed.
    pub pin_required: bool,
    /// The longest idle time the office allows, if it set one.
    pub max_idle_seconds: Option<u32>,
}

impl LockSettings {
    /// The phone keeps the office's policy: a PIN if one is required (the idle time in force is
    /// never above the maximum).
    pub fn policy_kept(&self) -> bool {
        self.pin_set || !self.pin_required
    }
}

/// Checks the PIN's shape: [`PIN_MIN`]..=[`PIN_MAX`] ASCII digits.
pub fn validate_pin(pin: &str) -> Result<()> {
    if (PIN_MIN..=PIN_MAX).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::PinFormat)
    }
}

/// An argon2id PHC string ([`hash_secret`]) of a well-formed PIN.
pub fn hash_pin(pin: &str) -> Result<String> {
    validate_pin(pin)?;
    Ok(hash_secret(pin)?)
}

/// Whether `pin` matches the PHC string. A malformed hash matches nothing.
pub fn verify_pin(phc: &str, pin: &str) -> bool {
    verify_secret(phc, pin)
}

/// The pause owed after `failures` wrong PINs in a row: none for the first
/// [`FREE_ATTEMPTS`] - 1, then 30 s, doubling, at most an hour.
pub fn wait_after(failures: u32) -> i64 {
    if failures < FREE_ATTEMPTS {
        return 0;
    }
    let doublings = (failures - FREE_ATTEMPTS).min(20);
    (FIRST_WAIT_MS << doublings).min(MAX_WAIT_MS)
}

fn ceil_secs(ms: i64) -> u64 {
    (ms.max(0) as u64).div_ceil(1000)
}

struct Row {
    pin_hash: Option<String>,
    idle_seconds: u32,
    record_while_locked: bool,
    failed_attempts: u32,
    blocked_until_ms: i64,
}

impl Row {
    /// The pause still to wait. A clock turned back cannot stretch it beyond what the failures earned.
    fn wait_ms(&self, now: Now) -> i64 {
        (self.blocked_until_ms - now.utc_ms).clamp(0, wait_after(self.failed_attempts))
    }
}

fn read_row(conn: &Connection) -> Result<Row> {
    let mut stmt = conn.prepare_cached(
        "SELECT pin_hash, idle_seconds, record_while_locked, failed_attempts, blocked_until_ms
         FROM app_lock WHERE id = 1",
    )?;
    Ok(stmt.query_row([], |r| {
        Ok(Row {
            pin_hash: r.get(0)?,
            idle_seconds: r.get(1)?,
            record_while_locked: r.get(2)?,
            failed_attempts: r.get(3)?,
            blocked_until_ms: r.get(4)?,
        })
    })?)
}

impl Store {
    fn lock_row(&self) -> Result<Row> {
        read_row(&self.conn)
    }

    pub fn lock_settings(&self) -> Result<LockSettings> {
        let row = self.lock_row()?;
        let policy = self.config().device_policy;
        Ok(LockSettings {
            pin_set: row.pin_hash.is_some(),
            idle_seconds: policy.max_idle_seconds.map_or(row.idle_seconds, |max| row.idle_seconds.min(max)),
            record_while_locked: row.record_while_locked,
            pin_required: policy.pin_required,
            max_idle_seconds: policy.max_idle_seconds,
        })
    }

    /// Milliseconds until the next PIN attempt is allowed (0: now).
    pub fn pin_wait_ms(&self, now: Now) -> Result<i64> {
        Ok(self.lock_row()?.wait_ms(now))
    }

    /// Checks `pin` against the stored hash. The attempt is counted first and forgiven only when
    /// the PIN matches; while a pause is owed no attempt is made at all.
    pub fn check_pin(&mut self, pin: &str, now: Now) -> Result<()> {
        let (phc, failures) = self.charge_attempt(now)?;
        if verify_pin(&phc, pin) {
            self.conn.execute("UPDATE app_lock SET failed_attempts = 0, blocked_until_ms = 0 WHERE id = 1", [])?;
            Ok(())
        } else {
            Err(Error::PinWrong {
                attempts_left: FREE_ATTEMPTS.saturating_sub(failures),
                wait_s: ceil_secs(wait_after(failures)),
            })
        }
    }

    /// The first half of [`Store::check_pin`]: counts one attempt as failed, on disk, and returns
    /// the stored hash and the failures counted so far. Refuses while a pause is owed.
    pub(crate) fn charge_attempt(&mut self, now: Now) -> Result<(String, u32)> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = read_row(&tx)?;
        let phc = row.pin_hash.clone().ok_or(Error::NoPin)?;
        let wait = row.wait_ms(now);
        if wait > 0 {
            return Err(Error::PinBackoff { wait_s: ceil_secs(wait) });
        }
        let failures = row.failed_attempts.saturating_add(1);
        let blocked_until = now.utc_ms + wait_after(failures);
        tx.execute(
            "UPDATE app_lock SET failed_attempts = ?1, blocked_until_ms = ?2 WHERE id = 1",
            params![failures, blocked_until],
        )?;
        tx.commit()?;
        Ok((phc, failures))
    }

    /// Sets a new PIN. If one is set already, `current` must match it (a counted attempt).
    pub fn set_pin(&mut self, current: Option<&str>, new: &str, now: Now) -> Result<LockSettings> {
        validate_pin(new)?;
        if self.lock_row()?.pin_hash.is_some() {
            self.check_pin(current.ok_or(Error::PinRequired)?, now)?;
        }
        let phc = hash_pin(new)?;
        self.conn.execute(
            "UPDATE app_lock SET pin_hash = ?1, failed_attempts = 0, blocked_until_ms = 0 WHERE id = 1",
            [&phc],
        )?;
        self.lock_settings()
    }

    /// Removes the PIN after checking it; the app then no longer locks.
    pub fn remove_pin(&mut self, current: &str, now: Now) -> Result<LockSettings> {
        if self.config().device_policy.pin_required {
            return Err(Error::PinKeptByPolicy);
        }
        self.check_pin(current, now)?;
        self.conn.execute(
            "UPDATE app_lock SET pin_hash = NULL, failed_attempts = 0, blocked_until_ms = 0 WHERE id = 1",
            [],
        )?;
        self.lock_settings()
    }

    /// The idle time (one of [`IDLE_CHOICES_S`]) and whether recording works while locked.
    pub fn set_lock_options(&mut self, idle_seconds: u32, record_while_locked: bool) -> Result<LockSettings> {
        if !IDLE_CHOICES_S.contains(&idle_seconds) {
            return Err(Error::InvalidLockOption);
        }
        if let Some(max) = self.config().device_policy.max_idle_seconds.filter(|max| idle_seconds > *max) {
            return Err(Error::IdleAbovePolicy(max));
        }
        self.conn.execute(
            "UPDATE app_lock SET idle_seconds = ?1, record_while_locked = ?2 WHERE id = 1",
            params![idle_seconds, record_while_locked],
        )?;
        self.lock_settings()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_600_000_000;

    fn at(ms: i64) -> Now {
        Now { utc_ms: T0 + ms, offset_min: 180 }
    }

    fn open(dir: &tempfile::TempDir) -> Store {
        Store::open(dir.path().join("lgota.db")).unwrap()
    }

    fn stored_hash(store: &Store) -> Option<String> {
        store.conn.query_row("SELECT pin_hash FROM app_lock", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn no_pin_by_default() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        assert_eq!(
            store.lock_settings().unwrap(),
            LockSettings {
                pin_set: false,
                idle_seconds: 120,
                record_while_locked: false,
                pin_required: false,
                max_idle_seconds: None
            }
        );
        assert_eq!(store.check_pin("1234", at(0)).unwrap_err().code(), "no_pin");
        assert_eq!(store.remove_pin("1234", at(0)).unwrap_err().code(), "no_pin");
    }

    #[test]
    fn the_pin_is_kept_only_as_a_salted_argon2id_hash() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        for bad in ["", "123", "123456789", "12a4", " 1234", "١٢٣٤"] {
            assert_eq!(store.set_pin(None, bad, at(0)).unwrap_err().code(), "pin_format", "{bad:?}");
        }
        assert!(store.set_pin(None, "25807391", at(0)).unwrap().pin_set);
        let phc = stored_hash(&store).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("25807391"));
        // The file holds the PIN nowhere in clear.
        drop(store);
        let bytes = std::fs::read(dir.path().join("lgota.db")).unwrap();
        let wal = std::fs::read(dir.path().join("lgota.db-wal")).unwrap_or_default();
        for b in [&bytes, &wal] {
            assert!(!b.windows(8).any(|w| w == b"25807391"), "PIN in clear in the database file");
        }
        // The same PIN hashes differently each time (salted).
        assert_ne!(hash_pin("25807391").unwrap(), hash_pin("25807391").unwrap());
        assert!(verify_pin(&phc, "25807391"));
        assert!(!verify_pin(&phc, "25807390"));
        assert!(!verify_pin("not a hash", "25807391"));
    }

    #[test]
    fn verify_change_and_remove_need_the_current_pin() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        store.set_pin(None, "2580", at(0)).unwrap();
        store.check_pin("2580", at(0)).unwrap();
        assert_eq!(store.check_pin("0000", at(0)).unwrap_err().code(), "pin_wrong");

        assert_eq!(store.set_pin(None, "1111", at(0)).unwrap_err().code(), "pin_required");
        assert_eq!(store.set_pin(Some("0000"), "1111", at(0)).unwrap_err().code(), "pin_wrong");
        store.set_pin(Some("2580"), "1111", at(0)).unwrap();
        assert_eq!(store.check_pin("2580", at(0)).unwrap_err().code(), "pin_wrong");
        store.check_pin("1111", at(0)).unwrap();

        assert_eq!(store.remove_pin("2580", at(0)).unwrap_err().code(), "pin_wrong");
        assert!(!store.remove_pin("1111", at(0)).unwrap().pin_set);
        assert_eq!(stored_hash(&store), None);
        assert_eq!(store.check_pin("1111", at(0)).unwrap_err().code(), "no_pin");
    }

    #[test]
    fn wrong_pins_earn_a_doubling_pause_that_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        store.set_pin(None, "2580", at(0)).unwrap();
        for left in (1..FREE_ATTEMPTS).rev() {
            let e = store.check_pin("0000", at(0)).unwrap_err();
            assert!(matches!(e, Error::PinWrong { attempts_left, wait_s: 0 } if attempts_left == left), "{e:?}");
        }
        // The fifth wrong PIN: a 30 s pause.
        let e = store.check_pin("0000", at(0)).unwrap_err();
        assert!(matches!(e, Error::PinWrong { wait_s: 30, .. }), "{e:?}");
        assert_eq!(e.to_string(), "Неверный PIN. Следующая попытка — через 30 с.");
        assert_eq!(store.pin_wait_ms(at(10_000)).unwrap(), 20_000);

        // A restart changes nothing: the right PIN is not even tried during the pause.
        drop(store);
        let mut store = open(&dir);
        let e = store.check_pin("2580", at(10_000)).unwrap_err();
        assert!(matches!(e, Error::PinBackoff { wait_s: 20 }), "{e:?}");
        assert_eq!(e.to_string(), "Слишком много неверных PIN. Попробуйте снова через 20 с.");

        // After the pause one more wrong PIN doubles it: 60 s, then 120 s.
        let e = store.check_pin("0000", at(30_000)).unwrap_err();
        assert!(matches!(e, Error::PinWrong { wait_s: 60, .. }), "{e:?}");
        assert_eq!(store.check_pin("2580", at(89_999)).unwrap_err().code(), "pin_backoff");
        let e = store.check_pin("0000", at(90_000)).unwrap_err();
        assert_eq!(e.to_string(), "Неверный PIN. Следующая попытка — через 2 мин.");

        // The right PIN after the pause forgives everything.
        store.check_pin("2580", at(210_000)).unwrap();
        assert_eq!(store.pin_wait_ms(at(210_000)).unwrap(), 0);
        for _ in 1..FREE_ATTEMPTS {
            assert!(matches!(store.check_pin("0000", at(210_000)).unwrap_err(), Error::PinWrong { wait_s: 0, .. }));
        }
    }

    #[test]
    fn an_attempt_is_counted_before_the_hash_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        store.set_pin(None, "2580", at(0)).unwrap();
        for _ in 0..4 {
            let _ = store.check_pin("0000", at(0));
        }
        // The fifth check's first step, before any hash is compared: the charge is on disk.
        let (phc, failures) = store.charge_attempt(at(0)).unwrap();
        assert_eq!(failures, 5);
        let row = read_row(&Connection::open(dir.path().join("lgota.db")).unwrap()).unwrap();
        assert_eq!((row.failed_attempts, row.blocked_until_ms), (5, T0 + 30_000), "seen by another connection");
        assert!(verify_pin(&phc, "2580"), "the hash comes back for the check that follows");
        // As if the app died right then, with the right PIN typed: no free attempt.
        drop(store);
        let mut store = open(&dir);
        assert_eq!(store.check_pin("2580", at(1_000)).unwrap_err().code(), "pin_backoff");
    }

    #[test]
    fn a_clock_turned_back_cannot_stretch_the_pause() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        store.set_pin(None, "2580", at(0)).unwrap();
        for _ in 0..FREE_ATTEMPTS {
            let _ = store.check_pin("0000", at(0));
        }
        assert_eq!(store.pin_wait_ms(at(-3_600_000)).unwrap(), 30_000);
    }

    #[test]
    fn wait_grows_and_is_capped() {
        assert_eq!((0..5).map(wait_after).collect::<Vec<_>>(), [0, 0, 0, 0, 0]);
        assert_eq!(wait_after(5), 30_000);
        assert_eq!(wait_after(6), 60_000);
        assert_eq!(wait_after(12), MAX_WAIT_MS);
        assert_eq!(wait_after(u32::MAX), MAX_WAIT_MS);
        assert_eq!(wait_text(90), "1 мин 30 с");
    }

    #[test]
    fn lock_options_are_kept_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        assert_eq!(store.set_lock_options(7, true).unwrap_err().code(), "invalid_lock_option");
        store.set_lock_options(30, true).unwrap();
        drop(store);
        let store = open(&dir);
        let s = store.lock_settings().unwrap();
        assert_eq!((s.idle_seconds, s.record_while_locked), (30, true));
    }
}

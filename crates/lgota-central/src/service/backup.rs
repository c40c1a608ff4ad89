//! Backups (issue 14): a checked copy while the server serves ([`backup`]), the server's own on a
//! schedule into a directory keeping the last N ([`scheduled`]), and putting a copy back with
//! the server stopped ([`restore`]). Each is audited (`backup`, `restore`) and each backup noted
//! in the store, so the dashboard shows the last one.
//!
//! The server holds a shared lock on `<db>.lock` while it serves ([`ServingLock`]); a restore
//! takes it exclusively, so neither starts while the other runs.

use std::path::{Path, PathBuf};

use lgota_protocol::codes;

use super::audit::{self, Action};
use super::{Actor, Error, Kind, Result};
use crate::now_ms;
use crate::store::{BackupNote, Database, FileCheck, FileLock, SqliteDatabase, StoreError};

/// The names of the server's scheduled copies: `lgota-central-YYYYMMDD-HHMMSS.db` (UTC).
const PREFIX: &str = "lgota-central-";
const SUFFIX: &str = ".db";

/// The lock on `<db>.lock` ([`FileLock`]): shared while a server serves the database, exclusive
/// while a restore replaces it.
pub struct ServingLock(#[allow(dead_code)] FileLock);

impl ServingLock {
    /// Taken by `serve`: refused only while a restore is under way.
    pub fn serving(db: &Path) -> Result<ServingLock> {
        match FileLock::shared(db) {
            Ok(lock) => Ok(ServingLock(lock)),
            Err(StoreError::Busy(_)) => Err(Error::new(
                Kind::Conflict,
                codes::CONFLICT,
                format!("база {} сейчас восстанавливается из копии: дождитесь конца восстановления", db.display()),
            )),
            Err(e) => Err(Error::invalid(format!("блокировка базы {}: {e}", db.display()))),
        }
    }

    /// Taken by a restore: refused while a server serves the database.
    fn restoring(db: &Path) -> Result<ServingLock> {
        match FileLock::exclusive(db) {
            Ok(lock) => Ok(ServingLock(lock)),
            Err(StoreError::Busy(_)) => Err(Error::new(
                Kind::Conflict,
                codes::CONFLICT,
                format!(
                    "сервер сейчас работает с базой {}: сначала остановите службу \
                     (например, systemctl stop lgota-central), затем повторите восстановление",
                    db.display()
                ),
            )),
            Err(e) => Err(Error::invalid(format!("блокировка базы {}: {e}", db.display()))),
        }
    }
}

/// The refusal of a file backup or restore on PostgreSQL (stable code `backup_use_pg_dump`).
pub fn use_pg_dump(message: String) -> Error {
    Error::new(Kind::Unprocessable, codes::BACKUP_USE_PG_DUMP, message)
}

/// «12,3 МБ».
pub fn size_text(bytes: u64) -> String {
    let (value, unit) = match bytes {
        b if b >= 1 << 30 => (b as f64 / f64::from(1u32 << 30), "ГБ"),
        b if b >= 1 << 20 => (b as f64 / f64::from(1u32 << 20), "МБ"),
        b if b >= 1 << 10 => (b as f64 / 1024.0, "КБ"),
        b => return format!("{b} байт"),
    };
    format!("{value:.1} {unit}").replace('.', ",")
}

fn check_text(check: &FileCheck) -> String {
    if check.ok() {
        "проверка целостности пройдена".into()
    } else {
        format!("проверка целостности НЕ пройдена: {}", check.integrity)
    }
}

/// One line about a copy: its size, records and check.
pub fn summary(check: &FileCheck) -> String {
    format!("{}, записей: {}, {}", size_text(check.bytes), check.records, check_text(check))
}

fn partial(to: &Path) -> PathBuf {
    let name = to.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    to.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Copies the database to `to` while the server keeps serving and checks the copy; refuses an
/// existing `to` unless `force`. The copy is written beside `to` under a temporary name and
/// renamed when whole. Noted in the store and audited even when the check fails (the answer
/// says so: [`FileCheck::ok`]).
pub fn backup(db: &dyn Database, actor: &Actor, to: &Path, force: bool) -> Result<FileCheck> {
    actor.must_be_admin()?;
    let exists = || to.exists();
    let refuse = || {
        Error::new(
            Kind::Conflict,
            codes::CONFLICT,
            format!("файл {} уже есть: укажите --force, чтобы заменить его", to.display()),
        )
    };
    if exists() && !force {
        return Err(refuse());
    }
    let tmp = partial(to);
    let _ = std::fs::remove_file(&tmp);
    let check = match db.backup_to(&tmp) {
        Ok(check) => check,
        Err(e @ StoreError::FileBackupUnsupported) => return Err(use_pg_dump(e.to_string())),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::invalid(format!("резервная копия не сделана: {e}")));
        }
    };
    if exists() && !force {
        let _ = std::fs::remove_file(&tmp);
        return Err(refuse());
    }
    std::fs::rename(&tmp, to).map_err(|e| Error::invalid(format!("{}: {e}", to.display())))?;
    note(db, actor, to, &check)?;
    Ok(check)
}

fn note(db: &dyn Database, actor: &Actor, file: &Path, check: &FileCheck) -> Result<()> {
    let file = file.display().to_string();
    db.note_backup(&BackupNote {
        at_ms: now_ms(),
        file: file.clone(),
        bytes: check.bytes,
        records: check.records,
        ok: check.ok(),
        detail: check.integrity.clone(),
    })?;
    audit::note(db, actor, Action::Backup, &format!("{file}: {}", summary(check)))
}

/// Whether `name` is one of the server's scheduled copies.
fn is_scheduled_name(name: &str) -> bool {
    let Some(stamp) = name.strip_prefix(PREFIX).and_then(|rest| rest.strip_suffix(SUFFIX)) else {
        return false;
    };
    let b = stamp.as_bytes();
    b.len() == 15 && b[8] == b'-' && b.iter().enumerate().all(|(i, c)| i == 8 || c.is_ascii_digit())
}

/// The server's own copy into `dir` (`lgota-central-YYYYMMDD-HHMMSS.db`, UTC), as `server`.
/// When it passes the check, the oldest of the server's copies beyond the newest `keep` are
/// deleted (other files in `dir` never are); a copy that fails it is deleted and nothing else
/// is, so the good ones stay. Returns the file and its check.
pub fn scheduled(db: &dyn Database, dir: &Path, keep: u32) -> Result<(PathBuf, FileCheck)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::invalid(format!("каталог копий {}: {e}", dir.display())))?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let mut to = dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    // Two within one second (a test's tiny interval): the later waits for its own name.
    while to.exists() {
        std::thread::sleep(std::time::Duration::from_millis(200));
        to = dir.join(format!("{PREFIX}{}{SUFFIX}", chrono::Utc::now().format("%Y%m%d-%H%M%S")));
    }
    let check = backup(db, &Actor::new("server", crate::store::Role::Admin), &to, false)?;
    if !check.ok() {
        let _ = std::fs::remove_file(&to);
        return Ok((to, check));
    }
    let mut ours: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::invalid(format!("каталог копий {}: {e}", dir.display())))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| is_scheduled_name(name))
        .collect();
    ours.sort();
    let surplus = ours.len().saturating_sub(keep.max(1) as usize);
    for name in &ours[..surplus] {
        if let Err(e) = std::fs::remove_file(dir.join(name)) {
            tracing::warn!("old backup {name} not deleted: {e}");
        }
    }
    Ok((to, check))
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The copy's check.
    pub check: FileCheck,
    /// Where the database that was in place went, if there was one.
    pub aside: Option<PathBuf>,
}

/// Refused unless `check` is of a whole database of this server that this build can open.
fn must_be_restorable(from: &Path, check: &FileCheck) -> Result<()> {
    let refuse = |why: String| Error::invalid(format!("{} не восстановлен: {why}", from.display()));
    if !check.ok() {
        return Err(refuse(format!("проверка целостности не пройдена ({})", check.integrity)));
    }
    if !check.ours {
        return Err(refuse("это не база данных lgota-central (нет её таблиц)".into()));
    }
    if check.schema > check.newest_schema {
        return Err(refuse(format!(
            "база более новой версии сервера (схема {}, эта версия знает до {}): обновите lgota-central",
            check.schema, check.newest_schema
        )));
    }
    Ok(())
}

/// Puts the copy `from` in place of the database `db` with the server stopped: refused while a
/// server serves it ([`ServingLock`]) or while `from` is not a whole database of this server.
/// The current database is kept as `<db>.before-restore-YYYYMMDD-HHMMSS` (UTC). The restored
/// database is opened (its schema brought up to date) and the restore audited in it.
pub fn restore(db_path: &Path, from: &Path, actor: &Actor) -> Result<Restored> {
    actor.must_be_admin()?;
    let _lock = ServingLock::restoring(db_path)?;
    if !from.exists() {
        return Err(Error::new(Kind::NotFound, codes::NOT_FOUND, format!("нет файла {}", from.display())));
    }
    let check = crate::store::inspect_file(from).map_err(|e| Error::invalid(format!("{}: {e}", from.display())))?;
    must_be_restorable(from, &check)?;
    let aside = db_path.exists().then(|| {
        let mut name = db_path.as_os_str().to_owned();
        name.push(format!(".before-restore-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S")));
        PathBuf::from(name)
    });
    let aside_or_none = aside.clone().unwrap_or_default();
    crate::store::put_in_place(db_path, from, &aside_or_none, now_ms())
        .map_err(|e| Error::invalid(format!("восстановление не удалось: {e}")))?;
    let db = SqliteDatabase::open(db_path).map_err(Error::internal)?;
    let kept =
        aside.as_ref().map_or_else(|| "прежней базы не было".into(), |a| format!("прежняя база: {}", a.display()));
    audit::note(&db, actor, Action::Restore, &format!("из {}: {}; {kept}", from.display(), summary(&check)))?;
    Ok(Restored { check, aside })
}

/// A database put back from a copy by other means than [`restore`] (PostgreSQL's `pg_restore`;
/// a SQLite file copied back by hand): a new identity, so every phone sends again all it holds
/// at its next sync and what the copy lacks comes back. Servers already running on the database
/// answer with it within [`crate::store::IDENTITY_FRESH`]. Audited as a restore. The new identity.
pub fn restored(db: &dyn Database, actor: &Actor) -> Result<String> {
    actor.must_be_admin()?;
    let server_id = db.renew_identity(now_ms())?;
    audit::note(db, actor, Action::Restore, &format!("база восстановлена из копии; новый идентификатор {server_id}"))?;
    Ok(server_id)
}

/// The backups the dashboard and `/metrics` speak of.
#[derive(Debug, Clone)]
pub enum Backups {
    /// The server's own copies of its file (SQLite): the newest noted, if any.
    Files(Option<BackupNote>),
    /// Made by the database's own tools (PostgreSQL: `pg_dump`, WAL archiving), which the server
    /// neither runs nor sees.
    ByTheDatabase,
}

/// The backups as the dashboard shows them.
pub fn last(db: &dyn Database) -> Result<Backups> {
    if !db.makes_file_backups() {
        return Ok(Backups::ByTheDatabase);
    }
    Ok(Backups::Files(db.last_backup()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_own_names_count_as_its_copies() {
        assert!(is_scheduled_name("lgota-central-20261127-084323.db"));
        for name in [
            "lgota-central-20261127-084323.db-wal",
            "lgota-central-2026112-084323.db",
            "lgota-central-20261127_084323.db",
            "lgota-central.db",
            "my-lgota-central-20261127-084323.db",
            "lgota-central-2026112a-084323.db",
        ] {
            assert!(!is_scheduled_name(name), "{name}");
        }
        assert_eq!(size_text(512), "512 байт");
        assert_eq!(size_text(3 << 20), "3,0 МБ");
    }
}

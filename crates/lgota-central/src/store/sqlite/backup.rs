//! Backups of the SQLite file: `VACUUM INTO` for the copy, `PRAGMA integrity_check` for the
//! check, and putting a copy in place of the database (the server stopped).
//!
//! Why `VACUUM INTO` rather than the online backup API: it is one statement on a connection of
//! its own that reads one consistent snapshot (WAL: the intake keeps writing meanwhile and never
//! restarts it, as writes between the backup API's steps would), writes a compact copy with no
//! WAL beside it, and needs no extra rusqlite feature.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{SqliteDatabase, MIGRATIONS};
use crate::store::{BackupNote, BackupStore, FileCheck, StoreError, StoreResult};

/// The tables every database of this server has (migrations 001, 003, 007).
const OUR_TABLES: [&str; 4] = ["records", "devices", "audit_log", "server_identity"];

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Other(format!("{what} {}: {e}", path.display()))
}

fn utf8(path: &Path) -> StoreResult<&str> {
    path.to_str().ok_or_else(|| StoreError::Other(format!("путь {} не в UTF-8", path.display())))
}

/// Copies the database at `from` (with its WAL, if one is beside it) to `to`, a new file, and
/// flushes it to disk.
fn vacuum_into(from: &Connection, to: &Path) -> StoreResult<()> {
    from.execute("VACUUM INTO ?1", [utf8(to)?])?;
    std::fs::File::open(to).and_then(|f| f.sync_all()).map_err(|e| io("копия", to, e))
}

/// Checks a database file: `PRAGMA integrity_check`, this server's tables, the schema version,
/// the records. A file that is no SQLite database is answered, not an error.
pub fn inspect_file(path: &Path) -> StoreResult<FileCheck> {
    let bytes = std::fs::metadata(path).map_err(|e| io("файл", path, e))?.len();
    let mut check =
        FileCheck { bytes, records: 0, integrity: String::new(), ours: false, schema: 0, newest_schema: newest() };
    // Not read-only: a copy of a live database may carry its WAL, which only a writer folds in.
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let problems = conn
        .prepare("PRAGMA integrity_check(10)")
        .and_then(|mut stmt| stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<String>>>());
    match problems {
        Ok(problems) => check.integrity = problems.join("; "),
        Err(e) => match StoreError::from(e) {
            StoreError::Corrupt(text) => {
                check.integrity = format!("не база данных SQLite или повреждена: {text}");
                return Ok(check);
            }
            other => return Err(other),
        },
    }
    check.schema = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let mut found = 0;
    for table in OUR_TABLES {
        found +=
            conn.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", [table], |r| {
                r.get::<_, u32>(0)
            })?;
    }
    check.ours = found == OUR_TABLES.len() as u32;
    if check.ours {
        check.records = conn.query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))? as u64;
    }
    Ok(check)
}

fn newest() -> u32 {
    MIGRATIONS.len() as u32
}

/// Before migrations change a database made by an earlier release (schema version older than
/// this server's, not a new file): a copy of it as it is, `<db>.before-<from>-to-<to>.bak` beside
/// it (`VACUUM INTO`, flushed; a time stamp added if that name is taken), logged. The migrations
/// run only after the copy is on disk; a copy that cannot be written stops the opening.
pub(super) fn before_migration(conn: &Connection, db: &Path) -> StoreResult<Option<std::path::PathBuf>> {
    let from: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let to = newest();
    if from == 0 || from >= to || db.as_os_str().is_empty() || db == Path::new(":memory:") {
        return Ok(None);
    }
    let mut copy = suffixed(db, &format!(".before-{from}-to-{to}.bak"));
    if copy.exists() {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        copy = suffixed(db, &format!(".before-{from}-to-{to}-{stamp}.bak"));
    }
    vacuum_into(conn, &copy).map_err(|e| {
        StoreError::Other(format!(
            "копия базы перед обновлением схемы ({from} → {to}) не записана, база не обновлена: {e}"
        ))
    })?;
    tracing::warn!(
        from,
        to,
        copy = %copy.display(),
        "the database was made by an earlier release: copied before its migrations"
    );
    Ok(Some(copy))
}

/// Puts a copy of the database file `from` in place of the database `db`, with a new identity
/// made at `now_ms`; the server must be stopped. The current database, its WAL folded in first, moves to `aside` (a WAL or shared
/// memory file left beside it too, as `<aside>-wal`, `<aside>-shm`, so none is ever applied to
/// the new file). The copy is written beside `db` under a temporary name, flushed, then renamed.
pub fn put_in_place(db: &Path, from: &Path, aside: &Path, now_ms: i64) -> StoreResult<()> {
    let tmp = db.with_file_name(format!(
        "{}.restoring",
        db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&tmp);
    vacuum_into(&Connection::open(from)?, &tmp)?;
    // A restored database is another server to the phones: a new identity makes every phone
    // send all it holds at its next sync (push or pull), so what the copy lacks comes back even
    // from a phone with nothing new to send.
    renew_identity_of(&Connection::open(&tmp)?, now_ms)?;
    let had_db = db.exists();
    if had_db {
        {
            let conn = Connection::open(db)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        std::fs::rename(db, aside).map_err(|e| io("перенос базы", db, e))?;
    }
    for suffix in ["-wal", "-shm"] {
        let side = suffixed(db, suffix);
        if side.exists() && had_db {
            std::fs::rename(&side, suffixed(aside, suffix)).map_err(|e| io("перенос", &side, e))?;
        } else if side.exists() {
            // Left from a database no longer there: it must never be applied to the copy.
            std::fs::remove_file(&side).map_err(|e| io("удаление", &side, e))?;
        }
    }
    std::fs::rename(&tmp, db).map_err(|e| io("перенос копии", &tmp, e))?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The renames themselves on disk (a directory opens read-only on unix).
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// A lock on the database's companion file `<db>.lock` (a small SQLite file of no tables whose
/// locks say who holds the database): shared while a server serves it, exclusive while a restore
/// replaces it; [`StoreError::Busy`] when the other holds it. Released when dropped, or when the
/// process ends however it ends.
pub struct FileLock(#[allow(dead_code)] Connection);

impl FileLock {
    fn open(db: &Path) -> StoreResult<Connection> {
        let conn = Connection::open(suffixed(db, ".lock"))?;
        conn.busy_timeout(Duration::from_millis(500))?;
        Ok(conn)
    }

    /// Held by a serving server (servers do not exclude each other).
    pub fn shared(db: &Path) -> StoreResult<FileLock> {
        let conn = FileLock::open(db)?;
        // A read transaction left open holds SQLite's SHARED lock on the file.
        conn.execute_batch("BEGIN DEFERRED")?;
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
        Ok(FileLock(conn))
    }

    /// Held by a restore: refused while anyone holds the lock.
    pub fn exclusive(db: &Path) -> StoreResult<FileLock> {
        let conn = FileLock::open(db)?;
        conn.execute_batch("BEGIN EXCLUSIVE")?;
        Ok(FileLock(conn))
    }
}

fn suffixed(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Gives the database of `conn` a new identity ([`BackupStore::renew_identity`]), and returns it.
fn renew_identity_of(conn: &Connection, now_ms: i64) -> StoreResult<String> {
    Ok(conn.query_row(
        "UPDATE server_identity SET server_id = lower(hex(randomblob(16))), created_at_ms = ?1 RETURNING server_id",
        [now_ms],
        |r| r.get(0),
    )?)
}

impl BackupStore for SqliteDatabase {
    fn backup_to(&self, to: &Path) -> StoreResult<FileCheck> {
        let source = self.conn().path().filter(|p| !p.is_empty()).map(str::to_owned);
        let source = source.ok_or_else(|| StoreError::Other("база данных без файла".into()))?;
        if to.exists() {
            return Err(StoreError::Other(format!("файл {} уже есть", to.display())));
        }
        // A connection of its own: the shared one stays free for the intake meanwhile.
        let conn =
            Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        vacuum_into(&conn, to)?;
        inspect_file(to)
    }

    fn renew_identity(&self, now_ms: i64) -> StoreResult<String> {
        renew_identity_of(&self.conn(), now_ms)
    }

    fn note_backup(&self, n: &BackupNote) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO backups (at_ms, file, bytes, records, ok, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![n.at_ms, n.file, n.bytes as i64, n.records as i64, n.ok, n.detail],
        )?;
        Ok(())
    }

    fn last_backup(&self) -> StoreResult<Option<BackupNote>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT at_ms, file, bytes, records, ok, detail FROM backups ORDER BY at_ms DESC, id DESC LIMIT 1",
                [],
                |r| {
                    Ok(BackupNote {
                        at_ms: r.get(0)?,
                        file: r.get(1)?,
                        bytes: r.get::<_, i64>(2)? as u64,
                        records: r.get::<_, i64>(3)? as u64,
                        ok: r.get(4)?,
                        detail: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }
}

//! A phone whose log cannot be opened keeps recording (issue 17): when the log's update (a
//! migration) fails, or the file is no readable SQLite database, the file is moved aside — never
//! deleted — and a fresh log is started in its place, so the door is never stopped for it. What
//! can still be read of the old file (the phone's id, its enrollment, branch, staff label, export
//! key and app lock) is taken over, so the phone goes on syncing as itself and stays locked as it
//! was; the app says what happened until the librarian acknowledges it.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{get_meta, set_meta, Store, MIGRATIONS};
use crate::clock::Now;
use crate::error::{Error, Result};
use crate::model::FreshStart;

/// The meta keys a fresh log takes over from the old one: who the phone is and where it belongs.
const CARRIED_META: [&str; 6] =
    ["device_id", "branch_id", "staff_label", "server_url", "device_token", "server_branch"];

/// What could be read of the old log.
#[derive(Default)]
struct Carried {
    meta: Vec<(String, String)>,
    signing_secret: Option<Vec<u8>>,
    /// `pin_hash`, `idle_seconds`, `record_while_locked` of `app_lock`.
    lock: Option<(Option<String>, i64, i64)>,
}

impl Store {
    /// Opens the log at `path` like [`Store::open`]; if it cannot be opened because its update
    /// failed or the file is damaged, moves it aside (`<name>.failed-<YYYYMMDD-HHMMSS>`, with its
    /// WAL), starts a fresh log in its place with what could be read of the old one, and notes
    /// it for the app ([`FreshStart`]). Other failures (no space, no access) are returned: a new
    /// file would not help.
    pub fn open_or_start_afresh(path: impl AsRef<Path>, now: Now) -> Result<Store> {
        let path = path.as_ref();
        let error = match Store::open(path) {
            Ok(store) => return Ok(store),
            Err(e) if log_unusable(&e) => e,
            Err(e) => return Err(e),
        };
        let carried = read_what_can_be_read(path);
        let aside = aside_name(path, now);
        move_aside(path, &aside)?;
        {
            let conn: Connection = crate::sqlite::open::<Error>(path, MIGRATIONS)?;
            let tx = conn.unchecked_transaction()?;
            for (key, value) in &carried.meta {
                set_meta(&tx, key, Some(value))?;
            }
            if let Some(secret) = carried.signing_secret.as_deref().filter(|s| s.len() == 32) {
                tx.execute(
                    "INSERT INTO signing_key (id, secret, created_at_ms) VALUES (1, ?1, ?2)",
                    rusqlite::params![secret, now.utc_ms],
                )?;
            }
            if let Some((pin_hash, idle, record_while_locked)) = &carried.lock {
                tx.execute(
                    "UPDATE app_lock SET pin_hash = ?1, idle_seconds = ?2, record_while_locked = ?3 WHERE id = 1",
                    rusqlite::params![pin_hash, idle, record_while_locked],
                )?;
            }
            let notice = FreshStart {
                at_ms: now.utc_ms,
                aside: aside.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                code: error.code().to_owned(),
                // For the log and the central office; the librarian reads the notice's own words.
                detail: error.to_string().chars().take(300).collect(),
                carried_over: carried.meta.iter().any(|(k, _)| k == "device_id"),
            };
            let json = serde_json::to_string(&notice).map_err(|e| Error::Corrupt(e.to_string()))?;
            set_meta(&tx, "fresh_start", Some(&json))?;
            tx.commit()?;
        }
        Store::open(path)
    }

    /// The notice of a log started afresh, until [`Store::acknowledge_fresh_start`].
    pub(super) fn fresh_start(&self) -> Result<Option<FreshStart>> {
        Ok(get_meta(&self.conn, "fresh_start")?.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// The librarian has read the notice (the old file stays where it is).
    pub fn acknowledge_fresh_start(&mut self) -> Result<crate::model::AppState> {
        set_meta(&self.conn, "fresh_start", None)?;
        self.state()
    }
}

/// A log that a new file would fix: its update failed, or it is no (readable) database.
fn log_unusable(e: &Error) -> bool {
    match e {
        Error::Migration(_) => true,
        Error::Storage(rusqlite::Error::SqliteFailure(f, _)) => {
            matches!(f.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
        }
        _ => false,
    }
}

/// Whatever of the old log can still be read; nothing if it cannot be opened at all.
fn read_what_can_be_read(path: &Path) -> Carried {
    let Ok(conn) =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
    else {
        return Carried::default();
    };
    let mut carried = Carried::default();
    for key in CARRIED_META {
        if let Ok(Some(value)) = get_meta(&conn, key) {
            carried.meta.push((key.to_owned(), value));
        }
    }
    carried.signing_secret =
        conn.query_row("SELECT secret FROM signing_key WHERE id = 1", [], |r| r.get(0)).optional().ok().flatten();
    carried.lock = conn
        .query_row("SELECT pin_hash, idle_seconds, record_while_locked FROM app_lock WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
        .ok()
        .flatten();
    carried
}

/// `<file>.failed-<local YYYYMMDD-HHMMSS>` beside it (a counter added if taken).
fn aside_name(path: &Path, now: Now) -> PathBuf {
    let base = format!("{}.failed-{}", path.display(), now.local_stamp());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = PathBuf::from(format!("{base}-{n}"));
    }
    candidate
}

/// Moves the log and its WAL and shared-memory files (if any) to `aside` (`aside-wal`,
/// `aside-shm`), so none of them is ever applied to the fresh log.
fn move_aside(path: &Path, aside: &Path) -> Result<()> {
    let with = |p: &Path, suffix: &str| PathBuf::from(format!("{}{suffix}", p.display()));
    for suffix in ["-wal", "-shm", ""] {
        let from = with(path, suffix);
        if from.exists() {
            std::fs::rename(&from, with(aside, suffix)).map_err(|e| {
                Error::Corrupt(format!("журнал не удалось отложить ({} → {}): {e}", from.display(), aside.display()))
            })?;
        }
    }
    Ok(())
}

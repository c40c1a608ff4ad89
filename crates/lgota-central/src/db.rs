//! Storage behind the [`Database`] trait, so PostgreSQL can follow; [`SqliteDatabase`] is the
//! implementation in use (one file, WAL, `synchronous=FULL`, migrations in `migrations/`).
//!
//! The trait is synchronous: the HTTP layer calls it inside `spawn_blocking`.

use std::path::Path;
use std::sync::Mutex;

use lgota_protocol::{Method, Outcome, RecordKind, WireEvent, WireRecord};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use rusqlite_migration::{Migrations, M};

const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("../migrations/001_central.sql"))];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("база данных: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("миграция базы данных: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("повреждённые данные: {0}")]
    Corrupt(String),
    #[error("неизвестный филиал «{0}»")]
    UnknownBranch(String),
}

pub type DbResult<T> = Result<T, DbError>;

/// An enrolled phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub branch_id: String,
    pub enrolled_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
    pub last_seen_at_ms: Option<i64>,
}

/// What became of an enrollment attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollOutcome {
    Enrolled { branch_id: String },
    UnknownCode,
    Expired,
    Used,
    DeviceRevoked,
}

/// Counts of one batch insert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    pub stored: u32,
    pub duplicates: u32,
}

/// A record as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub record: WireRecord,
    pub received_at_ms: i64,
    pub offline: bool,
}

/// The two reference documents the server publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceName {
    Config,
    Content,
}

impl ReferenceName {
    fn as_str(self) -> &'static str {
        match self {
            ReferenceName::Config => "config",
            ReferenceName::Content => "content",
        }
    }
}

/// Received more than this long after it was made, a record counts as made offline.
pub const OFFLINE_AFTER_MS: i64 = 10 * 60 * 1000;

pub trait Database: Send + Sync + 'static {
    /// Adds branches the server does not know yet; known ones keep their names.
    fn add_branches(&self, branches: &[(String, String)]) -> DbResult<()>;
    fn branches(&self) -> DbResult<Vec<(String, String)>>;
    fn insert_enrollment_code(
        &self,
        code_sha256: &str,
        branch_id: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()>;
    /// Uses a code once: creates the device (or gives an existing, unrevoked one a new token).
    fn enroll(&self, code_sha256: &str, device_id: &str, token_sha256: &str, now_ms: i64) -> DbResult<EnrollOutcome>;
    fn device_by_token(&self, token_sha256: &str) -> DbResult<Option<Device>>;
    fn device(&self, id: &str) -> DbResult<Option<Device>>;
    fn devices(&self) -> DbResult<Vec<Device>>;
    /// `false` if no such device; a revoked device keeps its first revocation time.
    fn revoke_device(&self, id: &str, now_ms: i64) -> DbResult<bool>;
    fn touch_device(&self, id: &str, now_ms: i64) -> DbResult<()>;
    /// Stores each record once by id, all in one transaction; already known ids count as
    /// duplicates and change nothing.
    fn store_records(&self, records: &[WireRecord], received_at_ms: i64) -> DbResult<StoreOutcome>;
    fn record(&self, id: &str) -> DbResult<Option<StoredRecord>>;
    fn record_count(&self) -> DbResult<u64>;
    /// Replaces a reference document if `version` is newer than the one kept; `false` otherwise.
    fn set_reference(&self, name: ReferenceName, version: u32, body: &str) -> DbResult<bool>;
    fn reference(&self, name: ReferenceName) -> DbResult<Option<(u32, String)>>;
    /// Publishes an event; returns its cursor position.
    fn add_event(&self, event: &WireEvent, now_ms: i64) -> DbResult<i64>;
    /// Events of a branch after `cursor`, oldest first, at most `limit`, with their positions.
    fn events_after(&self, branch_id: &str, cursor: i64, limit: u32) -> DbResult<Vec<(i64, WireEvent)>>;
}

pub struct SqliteDatabase {
    conn: Mutex<Connection>,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> DbResult<SqliteDatabase> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(SqliteDatabase { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written: transactions roll back.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

const DEVICE_COLUMNS: &str = "id, branch_id, enrolled_at, revoked_at, last_seen_at";

fn device_from_row(row: &Row) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        branch_id: row.get(1)?,
        enrolled_at_ms: row.get(2)?,
        revoked_at_ms: row.get(3)?,
        last_seen_at_ms: row.get(4)?,
    })
}

const RECORD_COLUMNS: &str = "id, kind, created_at_ms, utc_offset_min, device_id, branch_id, event_id, staff_label, \
     training, method, outcome, granted, category_id, failure_reason_id, document_type_id, checklist_completed, \
     note, target_id, void_reason, received_at_ms, offline";

fn corrupt(what: &str, value: &str) -> DbError {
    DbError::Corrupt(format!("{what} «{value}»"))
}

fn record_from_row(row: &Row) -> DbResult<StoredRecord> {
    let kind: String = row.get(1)?;
    let method: Option<String> = row.get(9)?;
    let outcome: Option<String> = row.get(10)?;
    let record = WireRecord {
        id: row.get(0)?,
        kind: RecordKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        created_at_ms: row.get(2)?,
        utc_offset_min: row.get(3)?,
        device_id: row.get(4)?,
        branch_id: row.get(5)?,
        event_id: row.get(6)?,
        staff_label: row.get(7)?,
        training: row.get(8)?,
        method: method.map(|m| Method::parse(&m).ok_or_else(|| corrupt("method", &m))).transpose()?,
        outcome: outcome.map(|o| Outcome::parse(&o).ok_or_else(|| corrupt("outcome", &o))).transpose()?,
        granted: row.get(11)?,
        category_id: row.get(12)?,
        failure_reason_id: row.get(13)?,
        document_type_id: row.get(14)?,
        checklist_completed: row.get(15)?,
        note: row.get(16)?,
        target_id: row.get(17)?,
        void_reason: row.get(18)?,
    };
    Ok(StoredRecord { record, received_at_ms: row.get(19)?, offline: row.get(20)? })
}

impl Database for SqliteDatabase {
    fn add_branches(&self, branches: &[(String, String)]) -> DbResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (id, name) in branches {
            tx.execute(
                "INSERT INTO branches (id, name) VALUES (?1, ?2) ON CONFLICT(id) DO NOTHING",
                params![id, name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn branches(&self) -> DbResult<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id, name FROM branches ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_enrollment_code(
        &self,
        code_sha256: &str,
        branch_id: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()> {
        let conn = self.conn();
        let known: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [branch_id], |r| r.get(0))?;
        if !known {
            return Err(DbError::UnknownBranch(branch_id.to_string()));
        }
        conn.execute(
            "INSERT INTO enrollment_codes (code_sha256, branch_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![code_sha256, branch_id, now_ms, expires_at_ms],
        )?;
        Ok(())
    }

    fn enroll(&self, code_sha256: &str, device_id: &str, token_sha256: &str, now_ms: i64) -> DbResult<EnrollOutcome> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let code: Option<(String, i64, Option<i64>)> = tx
            .query_row(
                "SELECT branch_id, expires_at, used_at FROM enrollment_codes WHERE code_sha256 = ?1",
                [code_sha256],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((branch_id, expires_at, used_at)) = code else {
            return Ok(EnrollOutcome::UnknownCode);
        };
        if used_at.is_some() {
            return Ok(EnrollOutcome::Used);
        }
        if expires_at <= now_ms {
            return Ok(EnrollOutcome::Expired);
        }
        let revoked: Option<Option<i64>> =
            tx.query_row("SELECT revoked_at FROM devices WHERE id = ?1", [device_id], |r| r.get(0)).optional()?;
        if let Some(Some(_)) = revoked {
            return Ok(EnrollOutcome::DeviceRevoked);
        }
        tx.execute(
            "INSERT INTO devices (id, branch_id, token_sha256, enrolled_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET branch_id = excluded.branch_id, token_sha256 = excluded.token_sha256,
                 enrolled_at = excluded.enrolled_at",
            params![device_id, branch_id, token_sha256, now_ms],
        )?;
        tx.execute(
            "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3 WHERE code_sha256 = ?1",
            params![code_sha256, now_ms, device_id],
        )?;
        tx.commit()?;
        Ok(EnrollOutcome::Enrolled { branch_id })
    }

    fn device_by_token(&self, token_sha256: &str) -> DbResult<Option<Device>> {
        let conn = self.conn();
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_sha256 = ?1");
        Ok(conn.query_row(&sql, [token_sha256], device_from_row).optional()?)
    }

    fn device(&self, id: &str) -> DbResult<Option<Device>> {
        let conn = self.conn();
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1");
        Ok(conn.query_row(&sql, [id], device_from_row).optional()?)
    }

    fn devices(&self) -> DbResult<Vec<Device>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare(&format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY branch_id, enrolled_at"))?;
        let rows = stmt.query_map([], device_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn revoke_device(&self, id: &str, now_ms: i64) -> DbResult<bool> {
        let conn = self.conn();
        let changed = conn
            .execute("UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1", params![id, now_ms])?;
        Ok(changed > 0)
    }

    fn touch_device(&self, id: &str, now_ms: i64) -> DbResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?2) WHERE id = ?1",
            params![id, now_ms],
        )?;
        Ok(())
    }

    fn store_records(&self, records: &[WireRecord], received_at_ms: i64) -> DbResult<StoreOutcome> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcome = StoreOutcome::default();
        {
            let mut insert = tx.prepare(&format!(
                "INSERT INTO records ({RECORD_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
                 ON CONFLICT(id) DO NOTHING"
            ))?;
            for r in records {
                let offline = received_at_ms.saturating_sub(r.created_at_ms) > OFFLINE_AFTER_MS;
                let changed = insert.execute(params![
                    r.id,
                    r.kind.as_str(),
                    r.created_at_ms,
                    r.utc_offset_min,
                    r.device_id,
                    r.branch_id,
                    r.event_id,
                    r.staff_label,
                    r.training,
                    r.method.map(Method::as_str),
                    r.outcome.map(Outcome::as_str),
                    r.granted,
                    r.category_id,
                    r.failure_reason_id,
                    r.document_type_id,
                    r.checklist_completed,
                    r.note,
                    r.target_id,
                    r.void_reason,
                    received_at_ms,
                    offline,
                ])?;
                if changed == 1 {
                    outcome.stored += 1;
                } else {
                    outcome.duplicates += 1;
                }
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn record(&self, id: &str) -> DbResult<Option<StoredRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?;
        let mut rows = stmt.query([id])?;
        match rows.next()? {
            Some(row) => Ok(Some(record_from_row(row)?)),
            None => Ok(None),
        }
    }

    fn record_count(&self) -> DbResult<u64> {
        let conn = self.conn();
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn set_reference(&self, name: ReferenceName, version: u32, body: &str) -> DbResult<bool> {
        let conn = self.conn();
        let changed = conn.execute(
            "INSERT INTO reference (name, version, body) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET version = excluded.version, body = excluded.body
             WHERE excluded.version > reference.version",
            params![name.as_str(), version, body],
        )?;
        Ok(changed > 0)
    }

    fn reference(&self, name: ReferenceName) -> DbResult<Option<(u32, String)>> {
        let conn = self.conn();
        Ok(conn
            .query_row("SELECT version, body FROM reference WHERE name = ?1", [name.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn add_event(&self, event: &WireEvent, now_ms: i64) -> DbResult<i64> {
        let conn = self.conn();
        let known: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [&event.branch_id], |r| r.get(0))?;
        if !known {
            return Err(DbError::UnknownBranch(event.branch_id.clone()));
        }
        conn.execute(
            "INSERT INTO events (id, title, date, branch_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![event.id, event.title, event.date, event.branch_id, now_ms],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn events_after(&self, branch_id: &str, cursor: i64, limit: u32) -> DbResult<Vec<(i64, WireEvent)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, id, title, date, branch_id FROM events WHERE branch_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![branch_id, cursor, limit], |r| {
            Ok((r.get(0)?, WireEvent { id: r.get(1)?, title: r.get(2)?, date: r.get(3)?, branch_id: r.get(4)? }))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

//! Storage behind the [`Database`] trait, so PostgreSQL can follow; [`SqliteDatabase`] is the
//! implementation in use (one file, WAL, `synchronous=FULL`, migrations in `migrations/`).
//!
//! The trait is synchronous: the HTTP layer calls it inside `spawn_blocking`.

use std::path::Path;
use std::sync::Mutex;

use lgota_protocol::{Method, Outcome, RecordKind, WireEvent, WireRecord};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use rusqlite_migration::M;

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../migrations/001_central.sql")),
    M::up(include_str!("../migrations/002_dashboard.sql")),
    M::up(include_str!("../migrations/003_management.sql")),
];

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
    /// Records the phone reported still unsent at its last pull.
    pub pending: Option<u64>,
    pub last_push_at_ms: Option<i64>,
}

/// One administrative action of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub login: String,
    /// A stable action name, e.g. `device.revoke`.
    pub action: String,
    /// What it was done to, in Russian, for people.
    pub detail: String,
}

/// A published event with its pull cursor and publication time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub seq: i64,
    pub event: WireEvent,
    pub created_at_ms: i64,
}

/// A content pack uploaded to the dashboard: checked, not necessarily published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentUpload {
    pub id: String,
    pub uploaded_at_ms: i64,
    pub login: String,
    pub version: u32,
    pub key_id: String,
    /// What the check found, for people (articles, checklists…).
    pub summary: String,
    pub published_at_ms: Option<i64>,
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

/// What a dashboard user may see.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "role", content = "branch_id", rename_all = "snake_case")]
pub enum Role {
    /// Every branch.
    Admin,
    /// Only this branch.
    BranchHead(String),
}

impl Role {
    /// The branch this role is confined to, if any.
    pub fn branch(&self) -> Option<&str> {
        match self {
            Role::Admin => None,
            Role::BranchHead(b) => Some(b),
        }
    }
}

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub login: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
}

/// Which checks a figure or an export covers. `branch_id` set by the HTTP layer to a branch
/// head's own branch whatever they asked for; it becomes part of the SQL `WHERE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Inclusive, UTC ms.
    pub from_ms: i64,
    /// Exclusive, UTC ms.
    pub to_ms: i64,
    pub branch_id: Option<String>,
    pub category_id: Option<String>,
}

/// Totals of valid checks (kind = check, not voided) for a filter. Keys are wire ids; a
/// missing category or failure reason is the empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Overview {
    pub total: u64,
    pub by_branch: Vec<(String, u64)>,
    pub by_method: Vec<(String, u64)>,
    pub by_outcome: Vec<(String, u64)>,
    pub by_category: Vec<(String, u64)>,
    pub by_failure_reason: Vec<(String, u64)>,
    pub granted: u64,
    pub refused: u64,
}

/// Valid checks (as in [`Overview`]) of one branch in one month of the institution's local
/// time, for the monthly summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MonthlySummary {
    /// 1..=12.
    pub month: u32,
    pub branch_id: String,
    pub checks: u64,
    /// Method `digital_id` (as the overview's «Цифровой ID»).
    pub digital_id: u64,
    /// Method `paper`.
    pub paper: u64,
    pub granted: u64,
    pub refused: u64,
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
    /// Notes what a phone reported at its pull: records still unsent.
    fn note_pending(&self, id: &str, pending: u64) -> DbResult<()>;
    fn note_push(&self, id: &str, now_ms: i64) -> DbResult<()>;
    fn rename_branch(&self, id: &str, name: &str) -> DbResult<bool>;
    /// Events newest date first; of one branch if given; at most `limit`.
    fn events(&self, branch_id: Option<&str>, limit: u32) -> DbResult<Vec<EventRow>>;
    fn event(&self, id: &str) -> DbResult<Option<EventRow>>;

    fn audit(&self, at_ms: i64, login: &str, action: &str, detail: &str) -> DbResult<()>;
    /// The newest entries first, older than `before_id` if given.
    fn audit_log(&self, before_id: Option<i64>, limit: u32) -> DbResult<Vec<AuditEntry>>;

    fn add_content_upload(&self, upload: &ContentUpload, body: &str) -> DbResult<()>;
    /// The newest first.
    fn content_uploads(&self, limit: u32) -> DbResult<Vec<ContentUpload>>;
    fn content_upload(&self, id: &str) -> DbResult<Option<(ContentUpload, String)>>;
    fn mark_content_published(&self, id: &str, now_ms: i64) -> DbResult<()>;
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
    /// Creates or replaces a dashboard user; `true` if it is new. Replacing ends their sessions.
    fn put_admin(&self, admin: &Admin, now_ms: i64) -> DbResult<bool>;
    fn admin(&self, login: &str) -> DbResult<Option<Admin>>;
    /// Stores a session (and drops expired ones).
    fn create_session(
        &self,
        token_sha256: &str,
        login: &str,
        csrf_token: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()>;
    /// The user and CSRF token of an unexpired session.
    fn session(&self, token_sha256: &str, now_ms: i64) -> DbResult<Option<(Admin, String)>>;
    fn delete_session(&self, token_sha256: &str) -> DbResult<()>;
    /// Totals of valid checks (kind = check, not voided, not training) matching `filter`.
    fn overview(&self, filter: &RecordFilter) -> DbResult<Overview>;
    /// Checks and voids made in the filter's period (and branch), oldest first (with `limit`:
    /// only the newest `limit`, newest first), each with whether it (a check) has been voided.
    /// `category_id` filters checks only.
    fn export_records(&self, filter: &RecordFilter, limit: Option<u32>) -> DbResult<Vec<(StoredRecord, bool)>>;
    /// Valid checks of the filter's period (and branch, and category) per local month and
    /// branch, months counted in local time `utc_offset_min` ahead of UTC; ordered by month, then
    /// branch id. Months and branches without checks are absent.
    fn monthly_summary(&self, filter: &RecordFilter, utc_offset_min: i32) -> DbResult<Vec<MonthlySummary>>;
}

/// The `WHERE` of checks matching a filter, on table alias `r`, and its parameters.
fn check_filter_sql(filter: &RecordFilter) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = String::from("r.kind = 'check' AND r.created_at_ms >= ? AND r.created_at_ms < ?");
    let mut values = vec![Value::Integer(filter.from_ms), Value::Integer(filter.to_ms)];
    if let Some(branch) = &filter.branch_id {
        sql.push_str(" AND r.branch_id = ?");
        values.push(Value::Text(branch.clone()));
    }
    if let Some(category) = &filter.category_id {
        sql.push_str(" AND r.category_id = ?");
        values.push(Value::Text(category.clone()));
    }
    (sql, values)
}

const ADMIN_COLUMNS: &str = "a.login, a.password_hash, a.role, a.branch_id";

fn admin_from_row(row: &Row) -> rusqlite::Result<Admin> {
    let role: String = row.get(2)?;
    let branch: Option<String> = row.get(3)?;
    let role = match (role.as_str(), branch) {
        ("branch_head", Some(b)) => Role::BranchHead(b),
        // The table's CHECK allows nothing else; an unknown role gets no branch rights at all.
        ("branch_head", None) => Role::BranchHead(String::new()),
        _ => Role::Admin,
    };
    Ok(Admin { login: row.get(0)?, password_hash: row.get(1)?, role })
}

pub struct SqliteDatabase {
    conn: Mutex<Connection>,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> DbResult<SqliteDatabase> {
        let conn = lgota_core::sqlite::open::<DbError>(path, MIGRATIONS)?;
        Ok(SqliteDatabase { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written: transactions roll back.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

const DEVICE_COLUMNS: &str = "id, branch_id, enrolled_at, revoked_at, last_seen_at, pending, last_push_at";

fn device_from_row(row: &Row) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        branch_id: row.get(1)?,
        enrolled_at_ms: row.get(2)?,
        revoked_at_ms: row.get(3)?,
        last_seen_at_ms: row.get(4)?,
        pending: row.get::<_, Option<i64>>(5)?.and_then(|n| u64::try_from(n).ok()),
        last_push_at_ms: row.get(6)?,
    })
}

fn event_from_row(r: &Row) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        seq: r.get(0)?,
        event: WireEvent { id: r.get(1)?, title: r.get(2)?, date: r.get(3)?, branch_id: r.get(4)? },
        created_at_ms: r.get(5)?,
    })
}

const UPLOAD_COLUMNS: &str = "id, uploaded_at_ms, login, version, key_id, summary, published_at_ms";

fn upload_from_row(r: &Row) -> rusqlite::Result<ContentUpload> {
    Ok(ContentUpload {
        id: r.get(0)?,
        uploaded_at_ms: r.get(1)?,
        login: r.get(2)?,
        version: r.get(3)?,
        key_id: r.get(4)?,
        summary: r.get(5)?,
        published_at_ms: r.get(6)?,
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

    fn note_pending(&self, id: &str, pending: u64) -> DbResult<()> {
        let pending = i64::try_from(pending).unwrap_or(i64::MAX);
        self.conn().execute("UPDATE devices SET pending = ?2 WHERE id = ?1", params![id, pending])?;
        Ok(())
    }

    fn note_push(&self, id: &str, now_ms: i64) -> DbResult<()> {
        self.conn().execute(
            "UPDATE devices SET last_push_at = MAX(COALESCE(last_push_at, 0), ?2) WHERE id = ?1",
            params![id, now_ms],
        )?;
        Ok(())
    }

    fn rename_branch(&self, id: &str, name: &str) -> DbResult<bool> {
        Ok(self.conn().execute("UPDATE branches SET name = ?2 WHERE id = ?1", params![id, name])? > 0)
    }

    fn events(&self, branch_id: Option<&str>, limit: u32) -> DbResult<Vec<EventRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, id, title, date, branch_id, created_at_ms FROM events \
             WHERE ?1 IS NULL OR branch_id = ?1 ORDER BY date DESC, seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![branch_id, limit], event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn event(&self, id: &str) -> DbResult<Option<EventRow>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT seq, id, title, date, branch_id, created_at_ms FROM events WHERE id = ?1",
                [id],
                event_from_row,
            )
            .optional()?)
    }

    fn audit(&self, at_ms: i64, login: &str, action: &str, detail: &str) -> DbResult<()> {
        self.conn().execute(
            "INSERT INTO audit_log (at_ms, login, action, detail) VALUES (?1, ?2, ?3, ?4)",
            params![at_ms, login, action, detail],
        )?;
        Ok(())
    }

    fn audit_log(&self, before_id: Option<i64>, limit: u32) -> DbResult<Vec<AuditEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, at_ms, login, action, detail FROM audit_log WHERE ?1 IS NULL OR id < ?1 \
             ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![before_id, limit], |r| {
            Ok(AuditEntry { id: r.get(0)?, at_ms: r.get(1)?, login: r.get(2)?, action: r.get(3)?, detail: r.get(4)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn add_content_upload(&self, u: &ContentUpload, body: &str) -> DbResult<()> {
        self.conn().execute(
            "INSERT INTO content_uploads (id, uploaded_at_ms, login, version, key_id, summary, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![u.id, u.uploaded_at_ms, u.login, u.version, u.key_id, u.summary, body],
        )?;
        Ok(())
    }

    fn content_uploads(&self, limit: u32) -> DbResult<Vec<ContentUpload>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM content_uploads ORDER BY uploaded_at_ms DESC, id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], upload_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn content_upload(&self, id: &str) -> DbResult<Option<(ContentUpload, String)>> {
        let conn = self.conn();
        Ok(conn
            .query_row(&format!("SELECT {UPLOAD_COLUMNS}, body FROM content_uploads WHERE id = ?1"), [id], |r| {
                Ok((upload_from_row(r)?, r.get(7)?))
            })
            .optional()?)
    }

    fn mark_content_published(&self, id: &str, now_ms: i64) -> DbResult<()> {
        self.conn().execute("UPDATE content_uploads SET published_at_ms = ?2 WHERE id = ?1", params![id, now_ms])?;
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

    fn put_admin(&self, admin: &Admin, now_ms: i64) -> DbResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (role, branch) = match &admin.role {
            Role::Admin => ("admin", None),
            Role::BranchHead(b) => ("branch_head", Some(b.as_str())),
        };
        if let Some(b) = branch {
            let known: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [b], |r| r.get(0))?;
            if !known {
                return Err(DbError::UnknownBranch(b.to_string()));
            }
        }
        let existed: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM admins WHERE login = ?1)", [&admin.login], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO admins (login, password_hash, role, branch_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(login) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
                 branch_id = excluded.branch_id",
            params![admin.login, admin.password_hash, role, branch, now_ms],
        )?;
        tx.execute("DELETE FROM sessions WHERE login = ?1", [&admin.login])?;
        tx.commit()?;
        Ok(!existed)
    }

    fn admin(&self, login: &str) -> DbResult<Option<Admin>> {
        let conn = self.conn();
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM admins a WHERE a.login = ?1");
        Ok(conn.query_row(&sql, [login], admin_from_row).optional()?)
    }

    fn create_session(
        &self,
        token_sha256: &str,
        login: &str,
        csrf_token: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now_ms])?;
        conn.execute(
            "INSERT INTO sessions (token_sha256, login, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_sha256, login, csrf_token, now_ms, expires_at_ms],
        )?;
        Ok(())
    }

    fn session(&self, token_sha256: &str, now_ms: i64) -> DbResult<Option<(Admin, String)>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {ADMIN_COLUMNS}, s.csrf_token FROM sessions s JOIN admins a ON a.login = s.login
             WHERE s.token_sha256 = ?1 AND s.expires_at > ?2"
        );
        Ok(conn.query_row(&sql, params![token_sha256, now_ms], |r| Ok((admin_from_row(r)?, r.get(4)?))).optional()?)
    }

    fn delete_session(&self, token_sha256: &str) -> DbResult<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE token_sha256 = ?1", [token_sha256])?;
        Ok(())
    }

    fn overview(&self, filter: &RecordFilter) -> DbResult<Overview> {
        let conn = self.conn();
        let (filter_sql, values) = check_filter_sql(filter);
        // Voided: a void record names the check in target_id (index records_target).
        let sql = format!(
            "WITH c AS (
                 SELECT r.branch_id, r.method, r.outcome, r.category_id, r.failure_reason_id, r.granted
                 FROM records r INDEXED BY records_check_created
                 WHERE {filter_sql} AND r.training = 0
                   AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void'))
             SELECT 'branch', branch_id, COUNT(*) FROM c GROUP BY branch_id
             UNION ALL SELECT 'method', method, COUNT(*) FROM c GROUP BY method
             UNION ALL SELECT 'outcome', outcome, COUNT(*) FROM c GROUP BY outcome
             UNION ALL SELECT 'category', COALESCE(category_id, ''), COUNT(*) FROM c GROUP BY 2
             UNION ALL SELECT 'failure', failure_reason_id, COUNT(*) FROM c
                 WHERE failure_reason_id IS NOT NULL GROUP BY failure_reason_id
             UNION ALL SELECT 'granted', CAST(granted AS TEXT), COUNT(*) FROM c GROUP BY granted"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        let mut overview = Overview::default();
        while let Some(row) = rows.next()? {
            let group: String = row.get(0)?;
            let key: String = row.get(1)?;
            let n = u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0);
            match group.as_str() {
                "branch" => {
                    overview.total += n;
                    overview.by_branch.push((key, n));
                }
                "method" => overview.by_method.push((key, n)),
                "outcome" => overview.by_outcome.push((key, n)),
                "category" => overview.by_category.push((key, n)),
                "failure" => overview.by_failure_reason.push((key, n)),
                _ if key == "1" => overview.granted += n,
                _ => overview.refused += n,
            }
        }
        for list in [
            &mut overview.by_branch,
            &mut overview.by_method,
            &mut overview.by_outcome,
            &mut overview.by_category,
            &mut overview.by_failure_reason,
        ] {
            list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        Ok(overview)
    }

    fn export_records(&self, filter: &RecordFilter, limit: Option<u32>) -> DbResult<Vec<(StoredRecord, bool)>> {
        let conn = self.conn();
        let (check_sql, mut values) = check_filter_sql(filter);
        let void_sql = check_sql.replacen("r.kind = 'check'", "r.kind = 'void'", 1);
        let void_sql = match &filter.category_id {
            Some(_) => void_sql.replacen(" AND r.category_id = ?", "", 1),
            None => void_sql,
        };
        let (_, void_values) = check_filter_sql(&RecordFilter { category_id: None, ..filter.clone() });
        values.extend(void_values);
        let columns = RECORD_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {columns},
                 EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void') AS voided
             FROM records r WHERE ({check_sql}) OR ({void_sql})
             {}",
            match limit {
                Some(n) => format!("ORDER BY r.created_at_ms DESC, r.id DESC LIMIT {n}"),
                None => "ORDER BY r.created_at_ms, r.id".to_string(),
            }
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let voided: bool = row.get(21)?;
            out.push((record_from_row(row)?, voided));
        }
        Ok(out)
    }

    fn monthly_summary(&self, filter: &RecordFilter, utc_offset_min: i32) -> DbResult<Vec<MonthlySummary>> {
        let conn = self.conn();
        let (filter_sql, mut values) = check_filter_sql(filter);
        values.insert(0, rusqlite::types::Value::Integer(i64::from(utc_offset_min) * 60));
        // The same valid checks as `overview`: not training, not voided.
        let sql = format!(
            "SELECT CAST(strftime('%m', r.created_at_ms / 1000 + ?, 'unixepoch') AS INTEGER) AS month,
                 r.branch_id, COUNT(*),
                 SUM(r.method = 'digital_id'), SUM(r.method = 'paper'),
                 SUM(r.granted = 1), SUM(r.granted = 0)
             FROM records r INDEXED BY records_check_created
             WHERE {filter_sql} AND r.training = 0
               AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void')
             GROUP BY month, r.branch_id
             ORDER BY month, r.branch_id"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        let mut out = Vec::new();
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        while let Some(row) = rows.next()? {
            out.push(MonthlySummary {
                month: u32::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                branch_id: row.get(1)?,
                checks: count(row.get(2)?),
                digital_id: count(row.get(3)?),
                paper: count(row.get(4)?),
                granted: count(row.get(5)?),
                refused: count(row.get(6)?),
            });
        }
        Ok(out)
    }
}

//! The SQLite backend: one file, WAL, `synchronous=FULL`, the schema in `migrations/` (applied
//! in order at open by `rusqlite_migration`). The only module of the crate that names
//! `rusqlite`: its errors become a [`StoreError`] here.
//!
//! One writer connection (behind a mutex) takes every write and every read-then-write
//! transaction. The frequent writes of phones (a push's records, a device's last contact) are
//! committed in groups ([`SqliteDatabase::grouped`]): each waits in a queue, and whoever holds
//! the writer next runs every queued write in one transaction, each in a savepoint of its own
//! (one failing rolls back only itself), so one disk sync serves all the phones that pushed
//! meanwhile. A write returns only after the transaction that holds it has committed. A small
//! pool of read-only connections ([`Readers`], as many as cores, at least
//! 2) takes every read, so the figures, lists and lookups never wait for a write (WAL: a reader
//! sees what was committed when its read began).
//!
//! The figures' counts are kept in the transaction that inserts a record (`check_counts`,
//! `event_counts`: migrations 004, 005, 007, 018; a batch's checks summed by [`counts`], voids by
//! triggers); records, the audit log and the
//! conflicts kept aside refuse update and delete by triggers (001, 003, 007). The figures'
//! queries are in [`figures`].

mod backup;
mod counts;
mod figures;
mod retention;
#[cfg(test)]
mod tests;
mod training;

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use lgota_protocol::{Method, Outcome, RecordKind, WireEvent, WireRecord};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior};
use rusqlite_migration::M;

pub use backup::{inspect_file, put_in_place, FileLock};

use super::{
    Admin, AdminChange, AdminStore, AppRelease, AuditEntry, BackoffRule, CodeIssuer, Conflict, ContentUpload, Device,
    DeviceReport, DeviceStore, EnrollAttempt, EnrollOutcome, EventRow, RecordStore, ReferenceName, ReferenceStore,
    Reservation, ReservedKey, Role, StoreError, StoreOutcome, StoreResult, StoreStatus, StoredRecord, OFFLINE_AFTER_MS,
};

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/001_central.sql")),
    M::up(include_str!("migrations/002_dashboard.sql")),
    M::up(include_str!("migrations/003_management.sql")),
    M::up(include_str!("migrations/004_dashboard_speed.sql")),
    M::up(include_str!("migrations/005_event_counts.sql")),
    M::up(include_str!("migrations/006_phone_events.sql")),
    M::up(include_str!("migrations/007_intake.sql")),
    M::up(include_str!("migrations/008_enrollment_retry.sql")),
    M::up(include_str!("migrations/009_admin_disable.sql")),
    M::up(include_str!("migrations/010_backups.sql")),
    M::up(include_str!("migrations/011_training.sql")),
    M::up(include_str!("migrations/012_roles.sql")),
    M::up(include_str!("migrations/013_retention.sql")),
    M::up(include_str!("migrations/014_device_report.sql")),
    M::up(include_str!("migrations/015_app_releases.sql")),
    M::up(include_str!("migrations/016_sign_in_backoff.sql")),
    M::up(include_str!("migrations/017_signing_keys.sql")),
    M::up(include_str!("migrations/018_counts_by_the_store.sql")),
    M::up(include_str!("migrations/019_unread_indexes.sql")),
];

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        let code = match &e {
            rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
            _ => None,
        };
        let text = e.to_string();
        match code {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(text),
            Some(ErrorCode::ConstraintViolation) => StoreError::Constraint(text),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt(text),
            _ => StoreError::Other(text),
        }
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(e: rusqlite_migration::Error) -> StoreError {
        match e {
            rusqlite_migration::Error::RusqliteError { err, .. } => match StoreError::from(err) {
                StoreError::Other(text) => StoreError::Migration(text),
                other => other,
            },
            other => StoreError::Migration(other.to_string()),
        }
    }
}

const ADMIN_COLUMNS: &str =
    "a.login, a.password_hash, a.role, a.branch_id, a.disabled_at IS NOT NULL, a.records = 1 AND a.role = 'branch_head'";

fn admin_from_row(row: &Row) -> rusqlite::Result<Admin> {
    let role: String = row.get(2)?;
    let branch: Option<String> = row.get(3)?;
    let role = match (role.as_str(), branch) {
        ("branch_head", Some(b)) => Role::BranchHead(b),
        // The table's CHECK allows nothing else; an unknown role gets no branch rights at all.
        ("branch_head", None) => Role::BranchHead(String::new()),
        ("admin", _) => Role::Admin,
        // `observer`, and anything unknown: totals only, the least a user may see.
        _ => Role::Observer,
    };
    Ok(Admin { login: row.get(0)?, password_hash: row.get(1)?, role, disabled: row.get(4)?, records: row.get(5)? })
}

/// A user read inside a transaction.
fn admin_in(tx: &rusqlite::Transaction, login: &str) -> rusqlite::Result<Option<Admin>> {
    tx.query_row(&format!("SELECT {ADMIN_COLUMNS} FROM admins a WHERE a.login = ?1"), [login], admin_from_row)
        .optional()
}

/// Whether `admin` is the only enabled administrator (so cannot be disabled or removed).
fn is_last_active_admin(tx: &rusqlite::Transaction, admin: &Admin) -> rusqlite::Result<bool> {
    if admin.role != Role::Admin || admin.disabled {
        return Ok(false);
    }
    let others: i64 = tx.query_row(
        "SELECT COUNT(*) FROM admins WHERE role = 'admin' AND disabled_at IS NULL AND login <> ?1",
        [&admin.login],
        |r| r.get(0),
    )?;
    Ok(others == 0)
}

/// Opens (creating if needed) `path` as the phone does its log: WAL, `synchronous=FULL` (a
/// committed write survives a crash or a power cut), foreign keys on, a 5 s busy timeout, and
/// `migrations` applied — a database of an earlier release copied first
/// ([`backup::before_migration`]).
fn sqlite_open(path: impl AsRef<Path>, migrations: &'static [M<'static>]) -> StoreResult<Connection> {
    let mut conn = Connection::open(path.as_ref())?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A database a newer build migrated is left as it is: this build would misread it.
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = migrations.len() as u32;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    backup::before_migration(&conn, path.as_ref())?;
    rusqlite_migration::Migrations::from_slice(migrations).to_latest(&mut conn)?;
    Ok(conn)
}

/// The read-only connections: a reader is taken for one read and given back at once; a read
/// that finds none free waits for one.
struct Readers {
    idle: Mutex<Vec<Connection>>,
    freed: Condvar,
}

/// The writer from [`SqliteDatabase::zeroing`]; `secure_delete` off again when dropped.
pub(crate) struct Zeroing<'a>(std::sync::MutexGuard<'a, Connection>);

impl std::ops::Deref for Zeroing<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0
    }
}

impl std::ops::DerefMut for Zeroing<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0
    }
}

impl Drop for Zeroing<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.pragma_update(None, "secure_delete", "OFF") {
            tracing::warn!(error = %e, "secure_delete left on");
        }
    }
}

/// A read-only connection borrowed from [`Readers`] (given back when dropped).
pub(crate) struct Reader<'a> {
    conn: Option<Connection>,
    pool: &'a Readers,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
            self.pool.freed.notify_one();
        }
    }
}

/// How many read-only connections: as many as cores, at least 2.
fn reader_count() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).max(2)
}

/// A read-only connection to the file the writer opened (WAL; the writer made it current).
fn open_reader(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// A write waiting for the writer ([`SqliteDatabase::grouped`]): run inside the group's
/// transaction; `true` if it succeeded (its savepoint is kept).
type Job = Box<dyn FnOnce(&Connection) -> bool + Send>;

/// Whether the transaction that ran a queued write committed; `None` until it ran.
type Committed = Arc<Mutex<Option<StoreResult<()>>>>;

pub struct SqliteDatabase {
    /// Every read. Declared (so dropped) before the writer: the last connection to close folds
    /// the WAL into the file and removes it, and a read-only one cannot — the file alone, copied
    /// after the server stopped, would lack the latest writes.
    readers: Readers,
    /// Every write and read-then-write transaction.
    conn: Mutex<Connection>,
    /// Writes queued for the next group commit.
    queue: Mutex<Vec<(Job, Committed)>>,
    /// The identity, read again every few seconds (`restored` may renew it while serving).
    identity: super::identity::Identity,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<SqliteDatabase> {
        let path = path.as_ref();
        let conn = sqlite_open(path, MIGRATIONS)?;
        let server_id = conn.query_row("SELECT server_id FROM server_identity", [], |r| r.get(0))?;
        let idle = (0..reader_count()).map(|_| open_reader(path)).collect::<StoreResult<Vec<_>>>()?;
        let readers = Readers { idle: Mutex::new(idle), freed: Condvar::new() };
        let identity = super::identity::Identity::new(server_id);
        Ok(SqliteDatabase { conn: Mutex::new(conn), queue: Mutex::new(Vec::new()), readers, identity })
    }

    /// Rows of `table` (`columns`, in rowid order) after rowid `after`, at most `limit`, each with
    /// its rowid: what [`crate::store::copy`] moves to PostgreSQL. `table` and `columns` are the
    /// copy's own names, never input.
    pub fn rows_after(
        &self,
        table: &str,
        columns: &[&str],
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, Vec<super::Cell>)>> {
        use rusqlite::types::ValueRef;
        let conn = self.reader();
        let sql = format!("SELECT rowid, {} FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2", columns.join(", "));
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params![after, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut cells = Vec::with_capacity(columns.len());
            for (i, column) in columns.iter().enumerate() {
                cells.push(match row.get_ref(i + 1)? {
                    ValueRef::Null => super::Cell::Null,
                    ValueRef::Integer(n) => super::Cell::Int(n),
                    ValueRef::Text(t) => super::Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => super::Cell::Bytes(b.to_vec()),
                    other => return Err(StoreError::Corrupt(format!("{table}.{column}: {:?}", other.data_type()))),
                });
            }
            out.push((row.get(0)?, cells));
        }
        Ok(out)
    }

    /// How many rows `table` has (one of the copy's names).
    pub fn table_count(&self, table: &str) -> StoreResult<u64> {
        let n: i64 = self.reader().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The ids of the records made in `[from_ms, to_ms)` (the copy, after a purge).
    pub fn record_ids_in(&self, from_ms: i64, to_ms: i64) -> StoreResult<Vec<String>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare("SELECT id FROM records WHERE created_at_ms >= ?1 AND created_at_ms < ?2 ORDER BY id")?;
        let ids = stmt.query_map(params![from_ms, to_ms], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// The writer.
    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written: transactions roll back.
        let asked = std::time::Instant::now();
        let conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        crate::metrics::pool_wait("write", asked.elapsed());
        conn
    }

    /// Runs `op` in a group commit: queued, then run by whoever takes the writer next (perhaps
    /// this thread) together with every other queued write, in one transaction, in its own
    /// savepoint. Returns `op`'s answer once that transaction has committed; if `op` fails, its
    /// changes are rolled back and the others' kept; if the commit fails, every write of the
    /// group gets the error (none of them is stored).
    fn grouped<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let answer: Arc<Mutex<Option<StoreResult<T>>>> = Arc::default();
        let committed: Committed = Arc::default();
        let slot = answer.clone();
        let job: Job = Box::new(move |conn| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(conn)))
                .unwrap_or_else(|_| Err(StoreError::Other("a write panicked".into())));
            let ok = result.is_ok();
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
            ok
        });
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).push((job, committed.clone()));
        let mut conn = self.conn();
        // Unless the writer before us ran it already.
        if committed.lock().unwrap_or_else(|p| p.into_inner()).is_none() {
            let jobs = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()));
            run_group(&mut conn, jobs);
        }
        drop(conn);
        let outcome = committed.lock().unwrap_or_else(|p| p.into_inner()).take();
        outcome.unwrap_or_else(|| Err(StoreError::Other("a queued write was not run".into())))?;
        let answer = answer.lock().unwrap_or_else(|p| p.into_inner()).take();
        answer.unwrap_or_else(|| Err(StoreError::Other("a queued write gave no answer".into())))
    }

    /// The writer with SQLite's `secure_delete` on until dropped: what its deletes and updates
    /// free is overwritten with zeros, so removed text (the sign-in back-off's logins and
    /// addresses, what the retention operations remove) leaves no copy in the file. Only for
    /// those: on every write it would cost a third of the intake's speed.
    pub(crate) fn zeroing(&self) -> StoreResult<Zeroing<'_>> {
        let conn = self.conn();
        conn.pragma_update(None, "secure_delete", "ON")?;
        Ok(Zeroing(conn))
    }

    /// A read-only connection, waiting for one to be free.
    pub(crate) fn reader(&self) -> Reader<'_> {
        let pool = &self.readers;
        let asked = std::time::Instant::now();
        let mut idle = pool.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = idle.pop() {
                crate::metrics::pool_wait("read", asked.elapsed());
                return Reader { conn: Some(conn), pool };
            }
            idle = pool.freed.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Runs queued writes in one transaction, each in a savepoint, and tells each whether it
/// committed.
fn run_group(conn: &mut Connection, jobs: Vec<(Job, Committed)>) {
    let mut waiting = Vec::with_capacity(jobs.len());
    let result = (|| -> StoreResult<()> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (job, committed) in jobs {
            waiting.push(committed);
            let savepoint = tx.savepoint()?;
            if job(&savepoint) {
                savepoint.commit()?;
            }
            // Dropped without commit: rolled back to where it began.
        }
        tx.commit()?;
        Ok(())
    })();
    for committed in waiting {
        *committed.lock().unwrap_or_else(|p| p.into_inner()) = Some(result.clone());
    }
}

/// Whether `arrived` is the record `stored` (same id) again. The event's title and date
/// describe the event, not the check: not compared. A redacted field is compared as the
/// redaction left it: the old text arriving again is no conflict to keep.
fn same_as_stored(conn: &Connection, stored: &WireRecord, arrived: &WireRecord) -> StoreResult<bool> {
    let mut arrived = WireRecord { event_title: None, event_date: None, ..arrived.clone() };
    if *stored != arrived {
        for field in retention::redacted_fields(conn, &arrived.id)? {
            arrived = retention::blanked(&arrived, field);
        }
    }
    Ok(*stored == arrived)
}

/// For each record of a batch, whether it is a check already stored with the same content (or
/// made in a purged year): a duplicate, told on a reader before the batch waits for the writer.
/// Records are append-only, so a record a reader sees stays stored; a year purged meanwhile is
/// answered as duplicates by the writer too. Voids are left to the writer, which checks their
/// targets first, and so is a check naming an event not named yet (the writer names it).
fn known_duplicates(conn: &Connection, records: &[WireRecord]) -> StoreResult<Vec<bool>> {
    let purged = retention::purged_periods(conn)?;
    let mut existing = conn.prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?;
    let mut named = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1) OR EXISTS (SELECT 1 FROM phone_events WHERE id = ?1)",
    )?;
    let mut events_named: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut known = Vec::with_capacity(records.len());
    for r in records {
        let event_unnamed = match (&r.event_id, &r.event_title, &r.event_date) {
            (Some(id), Some(_), Some(_)) => match events_named.get(id) {
                Some(is) => !*is,
                None => {
                    let is: bool = named.query_row([id], |row| row.get(0))?;
                    events_named.insert(id.clone(), is);
                    !is
                }
            },
            _ => false,
        };
        let duplicate = if purged.iter().any(|(from, to)| (*from..*to).contains(&r.created_at_ms)) {
            true
        } else if r.kind != RecordKind::Check || event_unnamed {
            false
        } else {
            match existing.query_row([&r.id], |row| Ok(record_from_row(row))).optional()? {
                Some(stored) => same_as_stored(conn, &stored?.record, r)?,
                None => false,
            }
        };
        known.push(duplicate);
    }
    Ok(known)
}

/// One batch of [`RecordStore::store_records`], inside the group's transaction.
fn store_batch(tx: &Connection, records: &[WireRecord], received_at_ms: i64) -> StoreResult<StoreOutcome> {
    let mut outcome = StoreOutcome { statuses: Vec::with_capacity(records.len()), ..StoreOutcome::default() };
    {
        let mut insert = tx.prepare_cached(&format!(
            "INSERT INTO records ({RECORD_COLUMNS}, clock_off)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)
             ON CONFLICT(id) DO NOTHING"
        ))?;
        let mut existing = tx.prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?;
        let mut target = tx.prepare_cached("SELECT device_id, kind FROM records WHERE id = ?1")?;
        let mut conflict = tx.prepare_cached(
            "INSERT INTO record_conflicts (id, device_id, received_at_ms, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id, body) DO NOTHING",
        )?;
        let mut name_event = tx.prepare_cached(
            // A published event is named by its publication, whatever a phone calls it.
            "INSERT INTO phone_events (id, title, date, branch_id, first_seen_ms)
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = ?1)
             ON CONFLICT(id) DO NOTHING",
        )?;
        // Whether a void of the same device came before the check (an import's order).
        let mut voided = tx.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM records WHERE target_id = ?1 AND kind = 'void' AND device_id = ?2)",
        )?;
        let mut tally = counts::Tally::default();
        let mut named_events = std::collections::HashSet::new();
        let purged = retention::purged_periods(tx)?;
        for r in records {
            // Made in a purged year: past its retention, acknowledged and not stored.
            if purged.iter().any(|(from, to)| (*from..*to).contains(&r.created_at_ms)) {
                outcome.duplicates += 1;
                outcome.statuses.push(StoreStatus::Duplicate);
                continue;
            }
            if let (RecordKind::Void, Some(target_id)) = (r.kind, &r.target_id) {
                let found: Option<(String, String)> =
                    target.query_row([target_id], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
                match found {
                    Some((device, _)) if device != r.device_id => {
                        outcome.statuses.push(StoreStatus::VoidTargetForeign);
                        continue;
                    }
                    Some((_, kind)) if kind != RecordKind::Check.as_str() => {
                        outcome.statuses.push(StoreStatus::VoidTargetNotCheck);
                        continue;
                    }
                    _ => {}
                }
            }
            let offline = received_at_ms.saturating_sub(r.created_at_ms) > OFFLINE_AFTER_MS;
            let clock_off = lgota_domain::record::clock_off(r.created_at_ms, received_at_ms);
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
                clock_off,
            ])?;
            if changed == 1 {
                if r.kind == RecordKind::Check
                    && !r.training
                    && !voided.query_row(params![r.id, r.device_id], |row| row.get::<_, bool>(0))?
                {
                    tally.add(r, offline)?;
                }
                outcome.stored += 1;
                outcome.statuses.push(StoreStatus::Stored);
            } else {
                let stored = existing.query_row([&r.id], |row| Ok(record_from_row(row)))??;
                if same_as_stored(tx, &stored.record, r)? {
                    outcome.duplicates += 1;
                    outcome.statuses.push(StoreStatus::Duplicate);
                } else {
                    let body = serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    conflict.execute(params![r.id, r.device_id, received_at_ms, body])?;
                    outcome.conflicts += 1;
                    outcome.statuses.push(StoreStatus::Conflict);
                    continue;
                }
            }
            if let (Some(id), Some(title), Some(date)) = (&r.event_id, &r.event_title, &r.event_date) {
                if named_events.insert(id.as_str()) {
                    name_event.execute(params![id, title.trim(), date, r.branch_id, received_at_ms])?;
                }
            }
        }
        tally.write(tx)?;
    }
    Ok(outcome)
}

const DEVICE_COLUMNS: &str =
    "id, branch_id, enrolled_at, revoked_at, last_seen_at, pending, last_push_at, clock_skew_ms, report, \
     signing_key IS NOT NULL";

fn device_from_row(row: &Row) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        branch_id: row.get(1)?,
        enrolled_at_ms: row.get(2)?,
        revoked_at_ms: row.get(3)?,
        last_seen_at_ms: row.get(4)?,
        pending: row.get::<_, Option<i64>>(5)?.and_then(|n| u64::try_from(n).ok()),
        last_push_at_ms: row.get(6)?,
        clock_skew_ms: row.get(7)?,
        // A report this server cannot read (written by a later version) is left out, not an error.
        report: row.get::<_, Option<String>>(8)?.and_then(|json| serde_json::from_str(&json).ok()),
        has_signing_key: row.get(9)?,
    })
}

const EVENT_COLUMNS: &str = "seq, id, title, date, branch_id, created_at_ms";

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

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} «{value}»"))
}

/// The columns [`phone_event_from_row`] reads.
const PHONE_EVENT_COLUMNS: &str = "id, title, date, branch_id";

fn phone_event_from_row(r: &Row) -> rusqlite::Result<WireEvent> {
    Ok(WireEvent { id: r.get(0)?, title: r.get(1)?, date: r.get(2)?, branch_id: r.get(3)? })
}

fn record_from_row(row: &Row) -> StoreResult<StoredRecord> {
    // Borrowed from the row: an export reads a million of these.
    let text = |i: usize| -> StoreResult<Option<&str>> {
        row.get_ref(i)?.as_str_or_null().map_err(|e| corrupt("column", &format!("{i}: {e}")))
    };
    let kind = text(1)?.ok_or_else(|| corrupt("kind", "NULL"))?;
    let (method, outcome) = (text(9)?, text(10)?);
    let record = WireRecord {
        id: row.get(0)?,
        kind: RecordKind::parse(kind).ok_or_else(|| corrupt("kind", kind))?,
        created_at_ms: row.get(2)?,
        utc_offset_min: row.get(3)?,
        device_id: row.get(4)?,
        branch_id: row.get(5)?,
        event_id: row.get(6)?,
        staff_label: row.get(7)?,
        training: row.get(8)?,
        method: method.map(|m| Method::parse(m).ok_or_else(|| corrupt("method", m))).transpose()?,
        outcome: outcome.map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome", o))).transpose()?,
        granted: row.get(11)?,
        category_id: row.get(12)?,
        failure_reason_id: row.get(13)?,
        document_type_id: row.get(14)?,
        checklist_completed: row.get(15)?,
        note: row.get(16)?,
        target_id: row.get(17)?,
        void_reason: row.get(18)?,
        // Kept once per event in `phone_events`, not on every record.
        event_title: None,
        event_date: None,
    };
    Ok(StoredRecord { record, received_at_ms: row.get(19)?, offline: row.get(20)? })
}

impl RecordStore for SqliteDatabase {
    fn server_id(&self) -> StoreResult<String> {
        self.identity.get(|| Ok(self.reader().query_row("SELECT server_id FROM server_identity", [], |r| r.get(0))?))
    }

    fn store_records(&self, records: &[WireRecord], received_at_ms: i64) -> StoreResult<StoreOutcome> {
        // A phone repeating a push whose answer it lost sends what is stored already: told on a
        // reader, so only what may be new waits for the one writer.
        let known = known_duplicates(&self.reader(), records)?;
        let rest: Vec<WireRecord> =
            records.iter().zip(&known).filter(|(_, known)| !**known).map(|(r, _)| r.clone()).collect();
        let written = if rest.is_empty() {
            StoreOutcome::default()
        } else {
            self.grouped(move |tx| store_batch(tx, &rest, received_at_ms))?
        };
        let mut statuses = written.statuses.into_iter();
        let mut outcome = StoreOutcome { statuses: Vec::with_capacity(records.len()), ..written };
        for known in known {
            let status = if known { Some(StoreStatus::Duplicate) } else { statuses.next() };
            let status = status.ok_or_else(|| StoreError::Other("a batch's statuses were lost".into()))?;
            outcome.duplicates += u32::from(known);
            outcome.statuses.push(status);
        }
        Ok(outcome)
    }

    fn record(&self, id: &str) -> StoreResult<Option<StoredRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?;
        let mut rows = stmt.query([id])?;
        match rows.next()? {
            Some(row) => Ok(Some(record_from_row(row)?)),
            None => Ok(None),
        }
    }

    fn record_count(&self) -> StoreResult<u64> {
        let conn = self.reader();
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn has_record(&self, id: &str) -> StoreResult<bool> {
        Ok(self.reader().query_row("SELECT EXISTS (SELECT 1 FROM records WHERE id = ?1)", [id], |r| r.get(0))?)
    }

    fn conflicts(&self, limit: u32) -> StoreResult<Vec<Conflict>> {
        let conn = self.reader();
        let rows: Vec<(i64, String, i64)> = conn
            .prepare("SELECT seq, body, received_at_ms FROM record_conflicts ORDER BY seq DESC LIMIT ?1")?
            .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut stmt = conn.prepare(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?;
        let mut out = Vec::with_capacity(rows.len());
        for (seq, body, received_at_ms) in rows {
            let arrived: WireRecord = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let stored = match stmt.query([&arrived.id])?.next()? {
                Some(row) => Some(record_from_row(row)?),
                None => None,
            };
            out.push(Conflict { seq, stored, arrived, received_at_ms });
        }
        Ok(out)
    }

    fn clock_flagged(&self, limit: u32) -> StoreResult<Vec<StoredRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE clock_off = 1 ORDER BY received_at_ms DESC, id LIMIT ?1"
        ))?;
        let mut rows = stmt.query([limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(record_from_row(row)?);
        }
        Ok(out)
    }
}

impl DeviceStore for SqliteDatabase {
    fn insert_enrollment_code(
        &self,
        code_sha256: &str,
        branch_id: &str,
        issuer: &CodeIssuer,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        let conn = self.conn();
        let known: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [branch_id], |r| r.get(0))?;
        if !known {
            return Err(StoreError::UnknownBranch(branch_id.to_string()));
        }
        let role = if issuer.admin { "admin" } else { "branch_head" };
        conn.execute(
            "INSERT INTO enrollment_codes (code_sha256, branch_id, created_at, expires_at, issuer_role, issued_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![code_sha256, branch_id, now_ms, expires_at_ms, role, issuer.login],
        )?;
        Ok(())
    }

    fn enroll(&self, a: &EnrollAttempt) -> StoreResult<EnrollOutcome> {
        struct Code {
            branch_id: String,
            expires_at: i64,
            used_at: Option<i64>,
            used_by: Option<String>,
            secret_sha256: Option<String>,
            admin: bool,
            issued_by: Option<String>,
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let code = tx
            .query_row(
                "SELECT branch_id, expires_at, used_at, device_id, secret_sha256, issuer_role, issued_by
                 FROM enrollment_codes WHERE code_sha256 = ?1",
                [a.code_sha256],
                |r| {
                    Ok(Code {
                        branch_id: r.get(0)?,
                        expires_at: r.get(1)?,
                        used_at: r.get(2)?,
                        used_by: r.get(3)?,
                        secret_sha256: r.get(4)?,
                        admin: r.get::<_, String>(5)? == "admin",
                        issued_by: r.get(6)?,
                    })
                },
            )
            .optional()?;
        let Some(code) = code else {
            return Ok(EnrollOutcome::UnknownCode);
        };
        let branch_name = |id: &str| -> StoreResult<String> {
            Ok(tx
                .query_row("SELECT name FROM branches WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .unwrap_or_else(|| id.to_string()))
        };
        let device: Option<(String, Option<i64>)> = tx
            .query_row("SELECT branch_id, revoked_at FROM devices WHERE id = ?1", [a.device_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if code.used_at.is_some() {
            // Only the phone that used the code, proving it with the secret it chose, while the
            // code is still valid and the phone still in the code's branch.
            let same_phone = code.used_by.as_deref() == Some(a.device_id)
                && a.secret_sha256.is_some()
                && code.secret_sha256.as_deref() == a.secret_sha256;
            let in_place = device.as_ref().is_some_and(|(branch, _)| *branch == code.branch_id);
            if !(same_phone && in_place && code.expires_at > a.now_ms) {
                return Ok(EnrollOutcome::Used);
            }
            if device.as_ref().is_some_and(|(_, revoked)| revoked.is_some()) {
                return Ok(EnrollOutcome::DeviceRevoked);
            }
            tx.execute("UPDATE devices SET token_sha256 = ?2 WHERE id = ?1", params![a.device_id, a.token_sha256])?;
            let name = branch_name(&code.branch_id)?;
            tx.commit()?;
            return Ok(EnrollOutcome::Enrolled {
                branch_id: code.branch_id,
                branch_name: name,
                retry: true,
                moved_from: None,
            });
        }
        if code.expires_at <= a.now_ms {
            return Ok(EnrollOutcome::Expired);
        }
        let mut moved_from = None;
        if let Some((branch, revoked)) = &device {
            if revoked.is_some() {
                return Ok(EnrollOutcome::DeviceRevoked);
            }
            if *branch != code.branch_id {
                if !code.admin {
                    return Ok(EnrollOutcome::EnrolledElsewhere { branch_name: branch_name(branch)? });
                }
                moved_from = Some(branch.clone());
            }
        }
        let name = branch_name(&code.branch_id)?;
        if let Some(from) = &moved_from {
            let detail = format!(
                "Устройство {} перенесено из филиала «{}» в филиал «{}» кодом подключения администратора",
                a.device_id,
                branch_name(from)?,
                name
            );
            let login = code.issued_by.as_deref().unwrap_or("администратор");
            tx.execute(
                "INSERT INTO audit_log (at_ms, login, action, detail) VALUES (?1, ?2, 'device.move', ?3)",
                params![a.now_ms, login, detail],
            )?;
        }
        tx.execute(
            "INSERT INTO devices (id, branch_id, token_sha256, enrolled_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET branch_id = excluded.branch_id, token_sha256 = excluded.token_sha256,
                 enrolled_at = excluded.enrolled_at",
            params![a.device_id, code.branch_id, a.token_sha256, a.now_ms],
        )?;
        tx.execute(
            "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3, secret_sha256 = ?4 WHERE code_sha256 = ?1",
            params![a.code_sha256, a.now_ms, a.device_id, a.secret_sha256],
        )?;
        tx.commit()?;
        Ok(EnrollOutcome::Enrolled { branch_id: code.branch_id, branch_name: name, retry: false, moved_from })
    }

    fn device_by_token(&self, token_sha256: &str) -> StoreResult<Option<Device>> {
        let conn = self.reader();
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_sha256 = ?1");
        Ok(conn.query_row(&sql, [token_sha256], device_from_row).optional()?)
    }

    fn device(&self, id: &str) -> StoreResult<Option<Device>> {
        let conn = self.reader();
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1");
        Ok(conn.query_row(&sql, [id], device_from_row).optional()?)
    }

    fn devices(&self) -> StoreResult<Vec<Device>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare(&format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY branch_id, enrolled_at"))?;
        let rows = stmt.query_map([], device_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn revoke_device(&self, id: &str, now_ms: i64) -> StoreResult<bool> {
        let conn = self.conn();
        let changed = conn
            .execute("UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1", params![id, now_ms])?;
        Ok(changed > 0)
    }

    fn touch_device(&self, id: &str, now_ms: i64) -> StoreResult<()> {
        let id = id.to_string();
        self.grouped(move |conn| {
            conn.prepare_cached("UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?2) WHERE id = ?1")?
                .execute(params![id, now_ms])?;
            Ok(())
        })
    }

    fn note_pending(&self, id: &str, pending: u64) -> StoreResult<()> {
        let pending = i64::try_from(pending).unwrap_or(i64::MAX);
        let id = id.to_string();
        self.grouped(move |conn| {
            conn.prepare_cached("UPDATE devices SET pending = ?2 WHERE id = ?1")?.execute(params![id, pending])?;
            Ok(())
        })
    }

    fn note_report(&self, id: &str, report: &DeviceReport) -> StoreResult<()> {
        let json = serde_json::to_string(report).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().execute("UPDATE devices SET report = ?2 WHERE id = ?1", params![id, json])?;
        Ok(())
    }

    fn signing_key(&self, id: &str) -> StoreResult<Option<String>> {
        let conn = self.reader();
        let key = conn.query_row("SELECT signing_key FROM devices WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        Ok(key.flatten())
    }

    fn set_signing_key(&self, id: &str, key: &str, now_ms: i64, replace: bool) -> StoreResult<bool> {
        let changed = self.conn().execute(
            "UPDATE devices SET signing_key = ?2, signing_key_at = ?3
             WHERE id = ?1 AND (?4 OR signing_key IS NULL) AND signing_key IS NOT ?2",
            params![id, key, now_ms, replace],
        )?;
        Ok(changed > 0)
    }

    fn note_push(&self, id: &str, now_ms: i64, clock_skew_ms: Option<i64>) -> StoreResult<()> {
        let id = id.to_string();
        self.grouped(move |conn| {
            conn.prepare_cached(
                "UPDATE devices SET last_push_at = MAX(COALESCE(last_push_at, 0), ?2),
                     clock_skew_ms = COALESCE(?3, clock_skew_ms)
                 WHERE id = ?1",
            )?
            .execute(params![id, now_ms, clock_skew_ms])?;
            Ok(())
        })
    }
}

impl ReferenceStore for SqliteDatabase {
    fn add_branches(&self, branches: &[(String, String)]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (id, name) in branches {
            tx.execute(
                "INSERT INTO branches (id, name) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                params![id, name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn branches(&self) -> StoreResult<Vec<(String, String)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare("SELECT id, name FROM branches ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_reference(&self, name: ReferenceName, version: u32, body: &str) -> StoreResult<bool> {
        let conn = self.conn();
        let changed = conn.execute(
            "INSERT INTO reference (name, version, body) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET version = excluded.version, body = excluded.body
             WHERE excluded.version > reference.version",
            params![name.as_str(), version, body],
        )?;
        Ok(changed > 0)
    }

    fn reference(&self, name: ReferenceName) -> StoreResult<Option<(u32, String)>> {
        let conn = self.reader();
        Ok(conn
            .query_row("SELECT version, body FROM reference WHERE name = ?1", [name.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn add_event(&self, event: &WireEvent, now_ms: i64) -> StoreResult<i64> {
        let conn = self.conn();
        let known: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [&event.branch_id], |r| r.get(0))?;
        if !known {
            return Err(StoreError::UnknownBranch(event.branch_id.clone()));
        }
        conn.execute(
            "INSERT INTO events (id, title, date, branch_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![event.id, event.title, event.date, event.branch_id, now_ms],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn events_after(&self, branch_id: &str, cursor: i64, limit: u32) -> StoreResult<Vec<(i64, WireEvent)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE branch_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
        ))?;
        let rows =
            stmt.query_map(params![branch_id, cursor, limit], |r| event_from_row(r).map(|e| (e.seq, e.event)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn events(&self, branch_id: Option<&str>, limit: u32) -> StoreResult<Vec<EventRow>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE ?1 IS NULL OR branch_id = ?1 ORDER BY date DESC, seq DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![branch_id, limit], event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn event(&self, id: &str) -> StoreResult<Option<EventRow>> {
        let conn = self.reader();
        Ok(conn
            .query_row(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"), [id], event_from_row)
            .optional()?)
    }

    fn phone_event(&self, id: &str) -> StoreResult<Option<WireEvent>> {
        let sql = format!("SELECT {PHONE_EVENT_COLUMNS} FROM phone_events WHERE id = ?1");
        Ok(self.reader().query_row(&sql, [id], phone_event_from_row).optional()?)
    }

    fn phone_events(&self, limit: u32) -> StoreResult<Vec<WireEvent>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "SELECT {PHONE_EVENT_COLUMNS} FROM phone_events ORDER BY date DESC, first_seen_ms DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], phone_event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn add_content_upload(&self, u: &ContentUpload, body: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO content_uploads (id, uploaded_at_ms, login, version, key_id, summary, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![u.id, u.uploaded_at_ms, u.login, u.version, u.key_id, u.summary, body],
        )?;
        Ok(())
    }

    fn content_uploads(&self, limit: u32) -> StoreResult<Vec<ContentUpload>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM content_uploads ORDER BY uploaded_at_ms DESC, id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], upload_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn content_upload(&self, id: &str) -> StoreResult<Option<(ContentUpload, String)>> {
        let conn = self.reader();
        Ok(conn
            .query_row(&format!("SELECT {UPLOAD_COLUMNS}, body FROM content_uploads WHERE id = ?1"), [id], |r| {
                Ok((upload_from_row(r)?, r.get(7)?))
            })
            .optional()?)
    }

    fn mark_content_published(&self, id: &str, now_ms: i64) -> StoreResult<()> {
        self.conn().execute("UPDATE content_uploads SET published_at_ms = ?2 WHERE id = ?1", params![id, now_ms])?;
        Ok(())
    }

    fn add_app_release(&self, release: &AppRelease, apk: &[u8]) -> StoreResult<i64> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO app_releases (version, sha256, bytes, uploaded_at_ms, login, apk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![release.version, release.sha256, release.bytes as i64, release.uploaded_at_ms, release.login, apk],
        )?;
        let seq = tx.last_insert_rowid();
        tx.execute(
            "UPDATE app_releases SET apk = NULL
             WHERE apk IS NOT NULL AND seq NOT IN (SELECT seq FROM app_releases ORDER BY seq DESC LIMIT 2)",
            [],
        )?;
        tx.commit()?;
        Ok(seq)
    }

    fn app_releases(&self, limit: u32) -> StoreResult<Vec<AppRelease>> {
        let conn = self.reader();
        let rows = conn
            .prepare(
                "SELECT seq, version, sha256, bytes, uploaded_at_ms, login, apk IS NOT NULL
                 FROM app_releases ORDER BY seq DESC LIMIT ?1",
            )?
            .query_map([limit], |r| {
                Ok(AppRelease {
                    seq: r.get(0)?,
                    version: r.get(1)?,
                    sha256: r.get(2)?,
                    bytes: r.get::<_, i64>(3)?.max(0) as u64,
                    uploaded_at_ms: r.get(4)?,
                    login: r.get(5)?,
                    kept: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn app_apk(&self, seq: i64) -> StoreResult<Option<Vec<u8>>> {
        let conn = self.reader();
        Ok(conn
            .query_row("SELECT apk FROM app_releases WHERE seq = ?1", [seq], |r| r.get::<_, Option<Vec<u8>>>(0))
            .optional()?
            .flatten())
    }
}

impl AdminStore for SqliteDatabase {
    fn put_admin(&self, admin: &Admin, now_ms: i64) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (role, branch) = (admin.role.as_str(), admin.role.branch());
        if let Some(b) = branch {
            let known: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [b], |r| r.get(0))?;
            if !known {
                return Err(StoreError::UnknownBranch(b.to_string()));
            }
        }
        let existed: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM admins WHERE login = ?1)", [&admin.login], |r| r.get(0))?;
        tx.execute(
            // Another role or branch loses the records grant (least privilege).
            "INSERT INTO admins (login, password_hash, role, branch_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(login) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
                 branch_id = excluded.branch_id,
                 records = CASE WHEN admins.role = excluded.role AND admins.branch_id IS excluded.branch_id
                     THEN admins.records ELSE 0 END",
            params![admin.login, admin.password_hash, role, branch, now_ms],
        )?;
        tx.execute("DELETE FROM sessions WHERE login = ?1", [&admin.login])?;
        tx.commit()?;
        Ok(!existed)
    }

    fn admin(&self, login: &str) -> StoreResult<Option<Admin>> {
        let conn = self.reader();
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM admins a WHERE a.login = ?1");
        Ok(conn.query_row(&sql, [login], admin_from_row).optional()?)
    }

    fn admins(&self) -> StoreResult<Vec<Admin>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {ADMIN_COLUMNS} FROM admins a ORDER BY a.login"))?;
        let rows = stmt.query_map([], admin_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_admin_disabled(&self, login: &str, disabled: bool, now_ms: i64) -> StoreResult<AdminChange> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(admin) = admin_in(&tx, login)? else {
            return Ok(AdminChange::NotFound);
        };
        if admin.disabled == disabled {
            return Ok(AdminChange::Unchanged);
        }
        if disabled && is_last_active_admin(&tx, &admin)? {
            return Ok(AdminChange::LastAdmin);
        }
        let at = disabled.then_some(now_ms);
        tx.execute("UPDATE admins SET disabled_at = ?2 WHERE login = ?1", params![login, at])?;
        tx.execute("DELETE FROM sessions WHERE login = ?1", [login])?;
        tx.commit()?;
        Ok(AdminChange::Done)
    }

    fn set_records_access(&self, login: &str, granted: bool) -> StoreResult<AdminChange> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(admin) = admin_in(&tx, login)? else {
            return Ok(AdminChange::NotFound);
        };
        if !matches!(admin.role, Role::BranchHead(_)) {
            return Ok(AdminChange::NotApplicable);
        }
        if admin.records == granted {
            return Ok(AdminChange::Unchanged);
        }
        tx.execute("UPDATE admins SET records = ?2 WHERE login = ?1", params![login, granted])?;
        tx.commit()?;
        Ok(AdminChange::Done)
    }

    fn remove_admin(&self, login: &str) -> StoreResult<AdminChange> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(admin) = admin_in(&tx, login)? else {
            return Ok(AdminChange::NotFound);
        };
        if is_last_active_admin(&tx, &admin)? {
            return Ok(AdminChange::LastAdmin);
        }
        tx.execute("DELETE FROM sessions WHERE login = ?1", [login])?;
        tx.execute("DELETE FROM admins WHERE login = ?1", [login])?;
        tx.commit()?;
        Ok(AdminChange::Done)
    }

    fn create_session(
        &self,
        token_sha256: &str,
        login: &str,
        csrf_token: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now_ms])?;
        conn.execute(
            "INSERT INTO sessions (token_sha256, login, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_sha256, login, csrf_token, now_ms, expires_at_ms],
        )?;
        Ok(())
    }

    fn session(&self, token_sha256: &str, now_ms: i64) -> StoreResult<Option<(Admin, String)>> {
        let conn = self.reader();
        let sql = format!(
            "SELECT {ADMIN_COLUMNS}, s.csrf_token FROM sessions s JOIN admins a ON a.login = s.login
             WHERE s.token_sha256 = ?1 AND s.expires_at > ?2 AND a.disabled_at IS NULL"
        );
        Ok(conn.query_row(&sql, params![token_sha256, now_ms], |r| Ok((admin_from_row(r)?, r.get(6)?))).optional()?)
    }

    fn delete_session(&self, token_sha256: &str) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE token_sha256 = ?1", [token_sha256])?;
        Ok(())
    }

    fn audit(&self, at_ms: i64, login: &str, action: &str, detail: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO audit_log (at_ms, login, action, detail) VALUES (?1, ?2, ?3, ?4)",
            params![at_ms, login, action, detail],
        )?;
        Ok(())
    }

    fn audit_log(&self, before_id: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT id, at_ms, login, action, detail FROM audit_log WHERE ?1 IS NULL OR id < ?1 \
             ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![before_id, limit], |r| {
            Ok(AuditEntry { id: r.get(0)?, at_ms: r.get(1)?, login: r.get(2)?, action: r.get(3)?, detail: r.get(4)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn reserve_sign_in(&self, keys: &[String], now_ms: i64, rule: &BackoffRule) -> StoreResult<Reservation> {
        let mut conn = self.zeroing()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM sign_in_backoff WHERE last_at_ms <= ?1 AND next_at_ms <= ?2",
            params![now_ms.saturating_sub(rule.memory_ms), now_ms],
        )?;
        let mut rows = Vec::with_capacity(keys.len());
        for key in keys {
            let row: Option<(u32, i64, i64)> = tx
                .query_row("SELECT failures, next_at_ms, last_at_ms FROM sign_in_backoff WHERE key = ?1", [key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            rows.push(row.unwrap_or_default());
        }
        let decided = match rule.reserve(keys, &rows, now_ms) {
            Err(wait) => return Ok(Reservation::Wait(wait)),
            Ok(decided) => decided,
        };
        let mut reserved = Vec::with_capacity(decided.len());
        for (r, next_at_ms) in decided {
            tx.execute(
                "INSERT INTO sign_in_backoff (key, failures, next_at_ms, last_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, next_at_ms = excluded.next_at_ms,
                     last_at_ms = excluded.last_at_ms",
                params![r.key, r.failures, next_at_ms, now_ms],
            )?;
            reserved.push(r);
        }
        tx.commit()?;
        Ok(Reservation::Reserved(reserved))
    }

    fn forgive_sign_in(&self, reserved: &[ReservedKey], forget_first: bool) -> StoreResult<()> {
        let mut conn = self.zeroing()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (i, r) in reserved.iter().enumerate() {
            if i == 0 && forget_first {
                tx.execute("DELETE FROM sign_in_backoff WHERE key = ?1", [&r.key])?;
                continue;
            }
            // Nothing came after it: as if the attempt had not been made.
            tx.execute(
                "UPDATE sign_in_backoff SET next_at_ms = CASE WHEN failures = ?2 THEN ?3 ELSE next_at_ms END,
                     failures = MAX(failures - 1, 0)
                 WHERE key = ?1",
                params![r.key, r.failures, r.before_ms],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn forget_sign_ins(&self, before_ms: i64) -> StoreResult<u64> {
        let forgotten = {
            let conn = self.zeroing()?;
            conn.execute("DELETE FROM sign_in_backoff WHERE last_at_ms < ?1 AND next_at_ms < ?1", params![before_ms])?
                as u64
        };
        if forgotten > 0 {
            self.checkpoint_truncate()?;
        }
        Ok(forgotten)
    }
}

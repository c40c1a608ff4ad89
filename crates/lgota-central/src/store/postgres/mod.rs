//! The PostgreSQL backend (15 or newer): several server processes on one database. The only
//! module of the crate besides `store/sqlite` that names a database driver (`postgres`, the
//! synchronous client of rust-postgres, without TLS: a server on the same machine or a private
//! network); its errors become a [`StoreError`] here.
//!
//! The synchronous client runs a small runtime of its own and must never be called on an async
//! thread: every store call runs in `spawn_blocking` (`http::AppState::run`). Connections come
//! from [`Pool`], opened on demand up to [`POOL_SIZE`], a broken one dropped.
//!
//! The schema is in `migrations/` (applied in order at open, each in its own transaction, under
//! an advisory lock so two processes starting at once do not both migrate; the version in
//! `schema_version`; a newer one than this build knows is refused). The figures' counts are kept
//! by the plpgsql trigger `records_count` in the transaction that inserts the record, and a
//! phone's batches are stored one at a time, whichever process (its advisory lock of
//! [`PHONE_LOCKS`]), so a check and its void arriving at two processes at once are counted as
//! SQLite's single writer counts them; different phones' batches are stored at once (a void
//! counts only against its own phone's check). Retention and the copy from SQLite hold
//! [`INTAKE_LOCK`] exclusive, so no batch is stored halfway through them.
//! Records, the audit log and the conflicts refuse UPDATE, DELETE and TRUNCATE by triggers, but
//! for the one change a retention operation ([`retention`]) opens for its own transaction.
//! The figures' queries are in [`figures`]; training results in [`training`]; [`backup`]
//! answers a file backup with "use pg_dump".

mod backup;
mod figures;
mod retention;
#[cfg(test)]
mod tests;
mod training;

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use lgota_protocol::{Method, Outcome, RecordKind, WireEvent, WireRecord};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement, Transaction};

use super::{
    Admin, AdminChange, AdminStore, AppRelease, AuditEntry, BackoffRule, CodeIssuer, Conflict, ContentUpload, Device,
    DeviceReport, DeviceStore, EnrollAttempt, EnrollOutcome, EventRow, RecordStore, ReferenceName, ReferenceStore,
    Reservation, ReservedKey, Role, StoreError, StoreOutcome, StoreResult, StoreStatus, StoredRecord, OFFLINE_AFTER_MS,
};

/// The schema, in order: the version of a database is how many of these it has had.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_central.sql"),
    include_str!("migrations/002_training.sql"),
    include_str!("migrations/003_roles.sql"),
    include_str!("migrations/004_retention.sql"),
    include_str!("migrations/005_device_report.sql"),
    include_str!("migrations/006_app_releases.sql"),
    include_str!("migrations/007_signing_keys.sql"),
    include_str!("migrations/008_event_sums.sql"),
    include_str!("migrations/009_unread_indexes.sql"),
    include_str!("migrations/010_cheaper_counts.sql"),
];

/// Connections one process opens at most.
pub const POOL_SIZE: usize = 8;
/// The advisory lock of the intake: a batch of records is stored holding it shared (and its
/// phone's [`PHONE_LOCKS`] lock); what must see no batch halfway (retention, the copy from
/// SQLite) holds it exclusive.
const INTAKE_LOCK: i64 = 0x6c67_6f74_6101;
/// The class of the two-key advisory locks of phones: a phone's batches are stored one at a time,
/// whichever process; different phones' at once (a void counts only against a check of its own
/// phone, so the counts of one phone's batch never depend on another phone's).
const PHONE_LOCKS: i32 = 0x6c67_6f64;
/// Batches one process stores at once: each holds a connection for its whole transaction, and
/// the rest of the pool stays for the dashboard and repeated pushes.
const INTAKE_AT_ONCE: usize = 2;
/// Tries of a batch that met another's at the same time (the same record id from two phones, a
/// deadlock on a count they share) before the phone is told to try again later.
const INTAKE_TRIES: usize = 3;
/// The advisory lock of the migrations.
const MIGRATION_LOCK: i64 = 0x6c67_6f74_6102;
/// The advisory lock of the sign-in back-off.
const SIGN_IN_LOCK: i64 = 0x6c67_6f74_6103;

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        let text = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => e.to_string(),
        };
        let Some(code) = e.code() else {
            // No SQL state: the connection failed (refused, closed, cut) rather than a statement.
            return if e.is_closed() || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) {
                unavailable(text)
            } else {
                StoreError::Other(text)
            };
        };
        if *code == SqlState::UNIQUE_VIOLATION
            || *code == SqlState::CHECK_VIOLATION
            || *code == SqlState::NOT_NULL_VIOLATION
            || *code == SqlState::FOREIGN_KEY_VIOLATION
            || *code == SqlState::RESTRICT_VIOLATION
            || *code == SqlState::INTEGRITY_CONSTRAINT_VIOLATION
        {
            StoreError::Constraint(text)
        } else if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::LOCK_NOT_AVAILABLE
            || *code == SqlState::TOO_MANY_CONNECTIONS
            || *code == SqlState::QUERY_CANCELED
        {
            StoreError::Busy(text)
        } else if code.code().starts_with("08")
            || *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
            || *code == SqlState::READ_ONLY_SQL_TRANSACTION
        {
            // A connection exception, the server shutting down or starting up, or a server that
            // takes no writes (a standby before its promotion): the next connection may reach
            // the one that does.
            unavailable(text)
        } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
            StoreError::Corrupt(text)
        } else {
            StoreError::Other(match set_up_advice(code) {
                Some(advice) => format!("{text} — {advice}"),
                None => text,
            })
        }
    }
}

/// What the person installing the server does about a database set up otherwise than
/// docs/deploy.md (section 10) says: the errors `lgota-central` meets at its first start.
fn set_up_advice(code: &SqlState) -> Option<&'static str> {
    if *code == SqlState::INVALID_CATALOG_NAME {
        Some("такой базы нет на сервере PostgreSQL: создайте её (createdb --owner ПОЛЬЗОВАТЕЛЬ … БАЗА; docs/deploy.md, раздел 10)")
    } else if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
        Some("PostgreSQL не принял пользователя или пароль из database_url: проверьте их и pg_hba.conf")
    } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        Some("у пользователя из database_url нет прав создавать таблицы в этой базе: он должен быть её владельцем (createdb --owner ПОЛЬЗОВАТЕЛЬ …, или ALTER DATABASE БАЗА OWNER TO ПОЛЬЗОВАТЕЛЬ)")
    } else {
        None
    }
}

/// The database out of reach; the connection that said so is not given back to the pool.
fn unavailable(text: String) -> StoreError {
    CONNECTION_FAILED.set(true);
    StoreError::Unavailable(text)
}

/// `url` with its password (if any) replaced by `***`, for logs and messages.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            let hidden = if authority[..authority.len() - host.len() - 1].contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// `url` naming the database `name` on the same server (its path replaced, its query kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = before_query.split_once('/').map_or(before_query, |(a, _)| a);
    format!("{scheme}://{authority}/{name}{query}")
}

/// Creates the database `name` (lower-case letters, digits and `_` only) on the server of
/// `server_url` unless it exists, and returns its URL. For tests and benchmarks, which give
/// each run a database of its own; the role needs `CREATEDB`.
pub fn create_database(server_url: &str, name: &str) -> StoreResult<String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(StoreError::Other(format!("имя базы «{name}»: только строчные латинские буквы, цифры и _")));
    }
    let config: postgres::Config =
        server_url.parse().map_err(|e| StoreError::Other(format!("{}: {e}", without_password(server_url))))?;
    // A client is a runtime of its own: kept off any async thread the caller may be on.
    let name_owned = name.to_string();
    std::thread::spawn(move || -> StoreResult<()> {
        let mut client = config.connect(NoTls)?;
        let exists = client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name_owned])?.is_some();
        if !exists {
            client.batch_execute(&format!("CREATE DATABASE {name_owned} ENCODING 'UTF8' TEMPLATE template0"))?;
        }
        Ok(())
    })
    .join()
    .map_err(|_| StoreError::Other("создание базы PostgreSQL: поток упал".into()))??;
    Ok(with_database(server_url, name))
}

/// The connections of one process: taken for one store call and given back at once; a call that
/// finds none free opens one (up to [`POOL_SIZE`]) or waits.
struct Pool {
    config: postgres::Config,
    state: Mutex<PoolState>,
    freed: Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Pooled>,
    open: usize,
}

/// Statements a connection keeps prepared at most; past that it forgets them all and starts over.
const PREPARED_MAX: usize = 256;

/// A connection and the statements prepared on it, by their text.
struct Pooled {
    client: Client,
    prepared: std::collections::HashMap<String, Statement>,
    /// When it was last given back.
    idle_since: Instant,
}

/// How long a connection may sit idle before it is checked (one round trip) when lent: the
/// database may have ended it meanwhile (a restart, `pg_terminate_backend`, a firewall's idle
/// cut), and the client does not know until it is used.
const IDLE_CHECK: Duration = Duration::from_secs(1);
/// How long that check waits for the database's answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    /// Set when an error of this thread's store call was its connection's, not a statement's
    /// (`StoreError::Unavailable`): the connection this thread holds is then closed, not given
    /// back. Connection failures do not otherwise show on the synchronous client (`is_closed`
    /// stays false), and a pooled connection the database ended would fail every call it served.
    static CONNECTION_FAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Pooled {
    fn new(client: Client) -> Pooled {
        Pooled { client, prepared: Default::default(), idle_since: Instant::now() }
    }

    /// Whether it may be lent: not known to be closed, and answering if it sat idle a while.
    fn usable(&mut self) -> bool {
        !self.client.is_closed()
            && (self.idle_since.elapsed() < IDLE_CHECK || self.client.is_valid(CHECK_TIMEOUT).is_ok())
    }
}

/// A connection borrowed from [`Pool`] (given back when dropped, unless it broke).
///
/// Its `query`, `query_opt`, `query_one` and `execute` prepare each statement text once per
/// connection and reuse it: a statement is then one round trip, not two (parse, then execute),
/// and the database plans it without parsing it again. The figures' counts go through it too:
/// each piece of a period is bounded by its kind (the records of less than a day, the days of
/// less than a month, whole months), so one plan serves every call. The records pages and the
/// exports take the `Client` itself (`&mut *conn`), planned for their own period each time.
struct Conn<'a> {
    pooled: Option<Pooled>,
    pool: &'a Pool,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.pooled.as_ref().expect("a connection is held until dropped").client
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.pooled.as_mut().expect("a connection is held until dropped").client
    }
}

type Args<'p> = [&'p (dyn ToSql + Sync)];

impl Conn<'_> {
    /// `sql` prepared on this connection, once.
    fn prepared(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        let pooled = self.pooled.as_mut().expect("a connection is held until dropped");
        if let Some(statement) = pooled.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = pooled.client.prepare(sql)?;
        if pooled.prepared.len() >= PREPARED_MAX {
            pooled.prepared.clear();
        }
        pooled.prepared.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Runs `run` with `sql` prepared; a statement the database no longer takes as prepared
    /// (a table changed under it by a newer server's migration) is prepared again, once.
    fn run<T>(
        &mut self,
        sql: &str,
        run: impl Fn(&mut Client, &Statement) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        let statement = self.prepared(sql)?;
        match run(self, &statement) {
            Err(e)
                if e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED)
                    || e.code() == Some(&SqlState::INVALID_SQL_STATEMENT_NAME) =>
            {
                if let Some(pooled) = self.pooled.as_mut() {
                    pooled.prepared.remove(sql);
                }
                let statement = self.prepared(sql)?;
                run(self, &statement)
            }
            done => done,
        }
    }

    fn query(&mut self, sql: &str, params: &Args) -> Result<Vec<Row>, postgres::Error> {
        self.run(sql, |client, statement| client.query(statement, params))
    }

    fn query_opt(&mut self, sql: &str, params: &Args) -> Result<Option<Row>, postgres::Error> {
        self.run(sql, |client, statement| client.query_opt(statement, params))
    }

    fn query_one(&mut self, sql: &str, params: &Args) -> Result<Row, postgres::Error> {
        self.run(sql, |client, statement| client.query_one(statement, params))
    }

    fn execute(&mut self, sql: &str, params: &Args) -> Result<u64, postgres::Error> {
        self.run(sql, |client, statement| client.execute(statement, params))
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(mut pooled) = self.pooled.take() {
            if CONNECTION_FAILED.replace(false) || pooled.client.is_closed() {
                drop(pooled);
                self.pool.lock().open -= 1;
            } else {
                pooled.idle_since = Instant::now();
                self.pool.lock().idle.push(pooled);
            }
            self.pool.freed.notify_one();
        }
    }
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self) -> StoreResult<Conn<'_>> {
        // A failure flagged before this call was another connection's.
        CONNECTION_FAILED.set(false);
        let mut state = self.lock();
        loop {
            if let Some(mut pooled) = state.idle.pop() {
                drop(state);
                if pooled.usable() {
                    return Ok(Conn { pooled: Some(pooled), pool: self });
                }
                drop(pooled);
                state = self.lock();
                state.open -= 1;
                continue;
            }
            if state.open < POOL_SIZE {
                state.open += 1;
                drop(state);
                return match self.config.connect(NoTls) {
                    Ok(client) => Ok(Conn { pooled: Some(Pooled::new(client)), pool: self }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e.into())
                    }
                };
            }
            state = self.freed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for Pool {
    /// Each client owns a small runtime, which may not be dropped on an async thread (where the
    /// server's last reference to the store may go): they are closed on a thread of their own.
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.lock().idle);
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

pub struct PostgresDatabase {
    pool: Pool,
    /// This process's batches being stored, at most [`INTAKE_AT_ONCE`], counted before they take
    /// a connection: a batch waiting for a lock holds its connection — without this bound,
    /// phones' pushes could hold every connection of the pool and the dashboard wait seconds for
    /// one (the load benchmark's overview).
    intake: (Mutex<usize>, Condvar),
    /// The identity, read again every few seconds (`restored` may renew it while serving).
    identity: super::identity::Identity,
}

impl PostgresDatabase {
    /// Connects to `url` (`postgres://user:password@host:port/database`), creates or brings the
    /// schema up to date, and reads the identity.
    pub fn open(url: &str) -> StoreResult<PostgresDatabase> {
        // The server speaks to PostgreSQL without TLS (docs/deploy.md, section 10): an address
        // asking for it (`require`; libpq's `verify-…`, which the client cannot parse) is refused
        // with the way out, not with a handshake's error.
        let no_tls = || {
            StoreError::Other(format!(
                "адрес базы PostgreSQL {}: сервер соединяется с PostgreSQL без TLS — уберите sslmode из адреса \
                 и соединяйтесь по частной сети или через туннель (docs/deploy.md, раздел 10)",
                without_password(url)
            ))
        };
        let mut config: postgres::Config = url.parse().map_err(|e| {
            if url.contains("sslmode=verify-") {
                no_tls()
            } else {
                StoreError::Other(format!("адрес базы PostgreSQL {}: {e}", without_password(url)))
            }
        })?;
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(no_tls());
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("lgota-central");
        let db = PostgresDatabase {
            pool: Pool { config, state: Mutex::default(), freed: Condvar::new() },
            intake: (Mutex::new(0), Condvar::new()),
            identity: super::identity::Identity::new(String::new()),
        };
        migrate(&mut *db.pool.get()?)?;
        let server_id = db.stored_server_id()?;
        Ok(PostgresDatabase { identity: super::identity::Identity::new(server_id), ..db })
    }

    fn conn(&self) -> StoreResult<Conn<'_>> {
        self.pool.get()
    }

    /// The newest schema version this build knows.
    pub fn newest_schema() -> u32 {
        MIGRATIONS.len() as u32
    }
}

impl PostgresDatabase {
    /// Writes `rows` (of `columns`) into `table` in one transaction, each skipped when its `key`
    /// is there already or, with `update`, replacing the stored row's other columns: what
    /// [`crate::store::copy`] brings from SQLite. Integers go into boolean columns as booleans.
    /// One statement writes them all, records under the intake's lock: the counts trigger counts
    /// the statement's records set-based, the same as one at a time in their order.
    /// `table`, `columns` and `key` are the copy's own names, never input. Returns rows written.
    pub fn put_rows(
        &self,
        table: &str,
        columns: &[&str],
        key: &str,
        update: bool,
        rows: &[Vec<super::Cell>],
    ) -> StoreResult<u64> {
        use super::Cell;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        if table == "records" {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INTAKE_LOCK])?;
        }
        let types: std::collections::HashMap<String, String> = tx
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
                &[&table],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let on_conflict = if update {
            let set: Vec<String> =
                columns.iter().filter(|c| **c != key).map(|c| format!("{c} = excluded.{c}")).collect();
            format!("DO UPDATE SET {}", set.join(", "))
        } else {
            "DO NOTHING".to_string()
        };
        // One statement for all the rows, a typed array per column unnested in the rows' order:
        // a statement per row cost a round trip and a run of the counts trigger per record (a
        // few thousand records a second).
        let mut arrays = Params::default();
        let mut unnest = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            let kind = types.get(*column).map(String::as_str).unwrap_or("text");
            // The column's cells as `T`: a null as None, a cell `read` takes as its value, any
            // other cell a corrupt source.
            fn typed<T>(
                rows: &[Vec<Cell>],
                i: usize,
                what: &dyn Fn(&Cell) -> StoreError,
                read: impl Fn(&Cell) -> Option<StoreResult<T>>,
            ) -> StoreResult<Vec<Option<T>>> {
                rows.iter()
                    .map(|row| match row.get(i).unwrap_or(&Cell::Null) {
                        Cell::Null => Ok(None),
                        cell => read(cell).unwrap_or_else(|| Err(what(cell))).map(Some),
                    })
                    .collect()
            }
            let wrong = |cell: &Cell| StoreError::Corrupt(format!("{table}.{column}: {cell:?} in a {kind} column"));
            let sql_type = match kind {
                "boolean" | "integer" | "bigint" | "bytea" => kind,
                _ => "text",
            };
            unnest.push(format!("${}::{sql_type}[]", i + 1));
            match sql_type {
                "boolean" => arrays.push(typed(rows, i, &wrong, |c| match c {
                    Cell::Int(v) => Some(Ok(*v != 0)),
                    _ => None,
                })?),
                "integer" => arrays.push(typed(rows, i, &wrong, |c| match c {
                    Cell::Int(v) => {
                        Some(i32::try_from(*v).map_err(|_| StoreError::Corrupt(format!("{table}.{column}: {v}"))))
                    }
                    _ => None,
                })?),
                "bigint" => arrays.push(typed(rows, i, &wrong, |c| match c {
                    Cell::Int(v) => Some(Ok(*v)),
                    _ => None,
                })?),
                "bytea" => arrays.push(typed(rows, i, &wrong, |c| match c {
                    Cell::Bytes(b) => Some(Ok(b.clone())),
                    _ => None,
                })?),
                _ => arrays.push(typed(rows, i, &wrong, |c| match c {
                    Cell::Text(t) if kind == "text" => Some(Ok(t.clone())),
                    _ => None,
                })?),
            }
        }
        let names = columns.join(", ");
        let written = tx.execute(
            &format!(
                "INSERT INTO {table} ({names})
                 SELECT {names} FROM unnest({}) WITH ORDINALITY AS n ({names}, ord__)
                 ORDER BY ord__
                 ON CONFLICT ({key}) {on_conflict}",
                unnest.join(", ")
            ),
            &arrays.refs(),
        )?;
        tx.commit()?;
        Ok(written)
    }

    /// The identity as stored now (a copy may have replaced the one read at open).
    pub fn stored_server_id(&self) -> StoreResult<String> {
        Ok(self.conn()?.query_one("SELECT server_id FROM server_identity", &[])?.get(0))
    }

    /// How many rows `table` has (one of the copy's names).
    pub fn table_count(&self, table: &str) -> StoreResult<u64> {
        let n: i64 = self.conn()?.query_one(&format!("SELECT count(*) FROM {table}"), &[])?.get(0);
        Ok(n as u64)
    }

    /// After a copy: the planner's statistics of every table made anew (autovacuum would come to
    /// it later; until then the first queries over millions of copied records are planned blind),
    /// and the count tables vacuumed, so their sums are read from an index alone
    /// (`event_counts_event_sums`) at once.
    pub fn analyze(&self) -> StoreResult<()> {
        let mut conn = self.conn()?;
        // One statement per call: VACUUM runs outside any transaction.
        conn.batch_execute("VACUUM (ANALYZE) check_counts, event_counts, event_totals")?;
        conn.batch_execute("ANALYZE")?;
        Ok(())
    }

    /// After rows were written with their own ids: each identity column goes on after the largest.
    pub fn follow_identities(&self) -> StoreResult<()> {
        let mut conn = self.conn()?;
        for (table, column) in [
            ("events", "seq"),
            ("audit_log", "id"),
            ("record_conflicts", "seq"),
            ("backups", "id"),
            ("redactions", "seq"),
            ("app_releases", "seq"),
        ] {
            conn.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), max({column})) FROM {table}
                     HAVING max({column}) IS NOT NULL"
                ),
                &[],
            )?;
        }
        Ok(())
    }
}

/// Applies the migrations the database lacks, each in its own transaction, under an advisory lock;
/// refuses a database of a newer schema.
fn migrate(client: &mut Client) -> StoreResult<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = (|| {
        // Not `IF NOT EXISTS`: its notice would be logged at every start.
        let exists: bool = client.query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?.get(0);
        if !exists {
            client.batch_execute("CREATE TABLE schema_version (version integer NOT NULL)")?;
        }
        let found: Option<i32> =
            client.query_opt("SELECT max(version) FROM schema_version", &[])?.and_then(|r| r.get(0));
        let found = found.unwrap_or(0).max(0) as u32;
        let known = MIGRATIONS.len() as u32;
        if found > known {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = i as i32 + 1;
            let mut tx = client.transaction()?;
            tx.batch_execute(sql).map_err(|e| StoreError::Migration(format!("{version}: {}", StoreError::from(e))))?;
            tx.execute("DELETE FROM schema_version", &[])?;
            tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&version])?;
            tx.commit()?;
        }
        Ok(())
    })();
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])?;
    result
}

const ADMIN_COLUMNS: &str =
    "a.login, a.password_hash, a.role, a.branch_id, a.disabled_at IS NOT NULL, a.records AND a.role = 'branch_head'";

fn admin_from_row(row: &Row) -> Admin {
    let role: String = row.get(2);
    let branch: Option<String> = row.get(3);
    let role = match (role.as_str(), branch) {
        ("branch_head", Some(b)) => Role::BranchHead(b),
        // The table's CHECK allows nothing else; an unknown role gets no branch rights at all.
        ("branch_head", None) => Role::BranchHead(String::new()),
        ("admin", _) => Role::Admin,
        // `observer`, and anything unknown: totals only, the least a user may see.
        _ => Role::Observer,
    };
    Admin { login: row.get(0), password_hash: row.get(1), role, disabled: row.get(4), records: row.get(5) }
}

fn admin_in(tx: &mut Transaction, login: &str) -> StoreResult<Option<Admin>> {
    Ok(tx
        .query_opt(&format!("SELECT {ADMIN_COLUMNS} FROM admins a WHERE a.login = $1"), &[&login])?
        .map(|r| admin_from_row(&r)))
}

/// Whether `admin` is the only enabled administrator (so cannot be disabled or removed).
fn is_last_active_admin(tx: &mut Transaction, admin: &Admin) -> StoreResult<bool> {
    if admin.role != Role::Admin || admin.disabled {
        return Ok(false);
    }
    let others: i64 = tx
        .query_one(
            "SELECT count(*) FROM admins WHERE role = 'admin' AND disabled_at IS NULL AND login <> $1",
            &[&admin.login],
        )?
        .get(0);
    Ok(others == 0)
}

const DEVICE_COLUMNS: &str =
    "id, branch_id, enrolled_at, revoked_at, last_seen_at, pending, last_push_at, clock_skew_ms, report, \
     signing_key IS NOT NULL";

fn device_from_row(row: &Row) -> Device {
    Device {
        id: row.get(0),
        branch_id: row.get(1),
        enrolled_at_ms: row.get(2),
        revoked_at_ms: row.get(3),
        last_seen_at_ms: row.get(4),
        pending: row.get::<_, Option<i64>>(5).and_then(|n| u64::try_from(n).ok()),
        last_push_at_ms: row.get(6),
        clock_skew_ms: row.get(7),
        // A report this server cannot read (written by a later version) is left out, not an error.
        report: row.get::<_, Option<String>>(8).and_then(|json| serde_json::from_str(&json).ok()),
        has_signing_key: row.get(9),
    }
}

const EVENT_COLUMNS: &str = "seq, id, title, date, branch_id, created_at_ms";

fn event_from_row(r: &Row) -> EventRow {
    EventRow {
        seq: r.get(0),
        event: WireEvent { id: r.get(1), title: r.get(2), date: r.get(3), branch_id: r.get(4) },
        created_at_ms: r.get(5),
    }
}

const UPLOAD_COLUMNS: &str = "id, uploaded_at_ms, login, version, key_id, summary, published_at_ms";

fn upload_from_row(r: &Row) -> ContentUpload {
    ContentUpload {
        id: r.get(0),
        uploaded_at_ms: r.get(1),
        login: r.get(2),
        version: u32::try_from(r.get::<_, i64>(3)).unwrap_or(0),
        key_id: r.get(4),
        summary: r.get(5),
        published_at_ms: r.get(6),
    }
}

pub(crate) const RECORD_COLUMNS: &str = "id, kind, created_at_ms, utc_offset_min, device_id, branch_id, event_id, \
     staff_label, training, method, outcome, granted, category_id, failure_reason_id, document_type_id, \
     checklist_completed, note, target_id, void_reason, received_at_ms, offline";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} «{value}»"))
}

pub(crate) fn record_from_row(row: &Row) -> StoreResult<StoredRecord> {
    // Borrowed from the row: an export reads a million of these.
    let kind: &str = row.get(1);
    let method: Option<&str> = row.get(9);
    let outcome: Option<&str> = row.get(10);
    let record = WireRecord {
        id: row.get(0),
        kind: RecordKind::parse(kind).ok_or_else(|| corrupt("kind", kind))?,
        created_at_ms: row.get(2),
        utc_offset_min: row.get(3),
        device_id: row.get(4),
        branch_id: row.get(5),
        event_id: row.get(6),
        staff_label: row.get(7),
        training: row.get(8),
        method: method.map(|m| Method::parse(m).ok_or_else(|| corrupt("method", m))).transpose()?,
        outcome: outcome.map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome", o))).transpose()?,
        granted: row.get(11),
        category_id: row.get(12),
        failure_reason_id: row.get(13),
        document_type_id: row.get(14),
        checklist_completed: row.get(15),
        note: row.get(16),
        target_id: row.get(17),
        void_reason: row.get(18),
        // Kept once per event in `phone_events`, not on every record.
        event_title: None,
        event_date: None,
    };
    Ok(StoredRecord { record, received_at_ms: row.get(19), offline: row.get(20) })
}

/// The unnest of [`record_arrays`]' 19 arrays (`$1`–`$19`), and the names it gives their columns.
const RECORD_ARRAYS: &str = "$1::text[], $2::text[], $3::int8[], $4::int4[], $5::text[], $6::text[], $7::text[], \
     $8::text[], $9::bool[], $10::text[], $11::text[], $12::bool[], $13::text[], $14::text[], $15::text[], \
     $16::bool[], $17::text[], $18::text[], $19::text[]";
const RECORD_ARRAY_NAMES: &str = "id, kind, created_at_ms, utc_offset_min, device_id, branch_id, event_id, \
     staff_label, training, method, outcome, granted, category_id, failure_reason_id, document_type_id, \
     checklist_completed, note, target_id, void_reason";

/// The records' fields as one array per column, in [`RECORD_ARRAYS`]' order: a batch is written or
/// compared by one statement, not one per record.
fn record_arrays<'a>(records: &'a [&'a WireRecord]) -> Vec<Box<dyn ToSql + Sync + 'a>> {
    fn col<'a, T: ToSql + Sync + 'a>(
        records: &'a [&'a WireRecord],
        f: impl Fn(&'a WireRecord) -> T,
    ) -> Box<dyn ToSql + Sync + 'a> {
        Box::new(records.iter().map(|r| f(r)).collect::<Vec<T>>())
    }
    vec![
        col(records, |r| r.id.as_str()),
        col(records, |r| r.kind.as_str()),
        col(records, |r| r.created_at_ms),
        col(records, |r| r.utc_offset_min),
        col(records, |r| r.device_id.as_str()),
        col(records, |r| r.branch_id.as_str()),
        col(records, |r| r.event_id.as_deref()),
        col(records, |r| r.staff_label.as_str()),
        col(records, |r| r.training),
        col(records, |r| r.method.map(Method::as_str)),
        col(records, |r| r.outcome.map(Outcome::as_str)),
        col(records, |r| r.granted),
        col(records, |r| r.category_id.as_deref()),
        col(records, |r| r.failure_reason_id.as_deref()),
        col(records, |r| r.document_type_id.as_deref()),
        col(records, |r| r.checklist_completed),
        col(records, |r| r.note.as_deref()),
        col(records, |r| r.target_id.as_deref()),
        col(records, |r| r.void_reason.as_deref()),
    ]
}

/// The second key of a phone's advisory lock ([`PHONE_LOCKS`]): FNV-1a of its id, the same in
/// every process and build. Two phones sharing a key only wait for each other.
fn phone_lock_key(device_id: &str) -> i32 {
    let hash = device_id.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash as i32
}

/// The statement [`insert_records`] writes a batch's new records with.
fn insert_records_sql() -> String {
    format!(
        "INSERT INTO records ({RECORD_COLUMNS}, clock_off)
         SELECT {RECORD_ARRAY_NAMES}, $20, offline, clock_off
         FROM unnest({RECORD_ARRAYS}, $21::bool[], $22::bool[]) AS n ({RECORD_ARRAY_NAMES}, offline, clock_off)"
    )
}

/// Writes new records (none of them stored yet) in one statement, `insert` ([`insert_records_sql`]).
fn insert_records(
    tx: &mut Transaction,
    insert: &Statement,
    new: &[&WireRecord],
    received_at_ms: i64,
) -> StoreResult<()> {
    let offline: Vec<bool> =
        new.iter().map(|r| received_at_ms.saturating_sub(r.created_at_ms) > OFFLINE_AFTER_MS).collect();
    let clock_off: Vec<bool> =
        new.iter().map(|r| lgota_domain::record::clock_off(r.created_at_ms, received_at_ms)).collect();
    let arrays = record_arrays(new);
    let mut params: Vec<&(dyn ToSql + Sync)> = arrays.iter().map(|a| a.as_ref() as _).collect();
    params.extend([&received_at_ms as &(dyn ToSql + Sync), &offline, &clock_off]);
    let changed = tx.execute(insert, &params).map_err(|e| {
        // Another phone's batch stored the same id a moment ago (ids are the phones' own): this
        // batch is tried again, and finds it stored.
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            StoreError::Busy(format!("запись с тем же id сохранена одновременно: {e}"))
        } else {
            e.into()
        }
    })?;
    if changed != new.len() as u64 {
        return Err(StoreError::Other(format!(
            "{} из {} новых записей не сохранены",
            new.len() as u64 - changed,
            new.len()
        )));
    }
    Ok(())
}

/// Stored records by id.
type Known = std::collections::HashMap<String, WireRecord>;
/// The fields redacted in records, by id.
type Redacted = std::collections::HashMap<String, Vec<super::RedactField>>;

/// The intake's reads, prepared once on the connection they run on (before the intake's
/// transaction, for a repeated push, and in it).
struct IntakeReads {
    known: Statement,
    redacted: Statement,
    purged: Statement,
}

impl IntakeReads {
    fn prepare(conn: &mut Conn) -> Result<IntakeReads, postgres::Error> {
        Ok(IntakeReads {
            known: conn.prepared(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ANY($1)"))?,
            redacted: conn.prepared("SELECT DISTINCT record_id, field FROM redactions WHERE record_id = ANY($1)")?,
            purged: conn.prepared("SELECT from_ms, to_ms FROM purged_years")?,
        })
    }

    /// The purged years, `[from, to)` in ms.
    fn purged(&self, client: &mut impl postgres::GenericClient) -> StoreResult<Vec<(i64, i64)>> {
        Ok(client.query(&self.purged, &[])?.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The stored records among `ids`, and the fields redacted in them (read only when any is).
    fn stored(&self, client: &mut impl postgres::GenericClient, ids: &[&str]) -> StoreResult<(Known, Redacted)> {
        let mut known = Known::new();
        for row in client.query(&self.known, &[&ids])? {
            let stored = record_from_row(&row)?;
            known.insert(stored.record.id.clone(), stored.record);
        }
        let mut redacted = Redacted::new();
        if !known.is_empty() {
            for row in client.query(&self.redacted, &[&ids])? {
                if let Some(field) = super::RedactField::parse(row.get(1)) {
                    redacted.entry(row.get(0)).or_default().push(field);
                }
            }
        }
        Ok((known, redacted))
    }
}

/// Made in a purged year: past its retention, acknowledged as a duplicate and never stored.
fn in_purged_year(purged: &[(i64, i64)], at_ms: i64) -> bool {
    purged.iter().any(|(from, to)| (*from..*to).contains(&at_ms))
}

/// `r` as it is compared with `stored`, its stored version: without the event's title and date
/// (they describe the event, not the check), a redacted field as the redaction left it (the old
/// text arriving again is no conflict to keep).
fn as_compared(r: &WireRecord, stored: Option<&WireRecord>, redacted: &Redacted) -> WireRecord {
    let mut arrived = WireRecord { event_title: None, event_date: None, ..r.clone() };
    if let (Some(stored), Some(fields)) = (stored, redacted.get(&r.id)) {
        if *stored != arrived {
            for field in fields {
                arrived = retention::blanked(&arrived, *field);
            }
        }
    }
    arrived
}

/// The columns [`phone_event_from_row`] reads.
const PHONE_EVENT_COLUMNS: &str = "id, title, date, branch_id";

fn phone_event_from_row(r: &Row) -> WireEvent {
    WireEvent { id: r.get(0), title: r.get(1), date: r.get(2), branch_id: r.get(3) }
}

fn limit(n: u32) -> i64 {
    i64::from(n)
}

impl PostgresDatabase {
    /// All duplicates, when every record of `records` is a check stored already with the same
    /// content (or made in a purged year) and every event they name is named already: told
    /// without the intake's lock, as records are append-only. Anything else (a new record, a void,
    /// a conflict, an event to name): `None`, for [`RecordStore::store_records`]' own way.
    fn all_stored_already(&self, records: &[WireRecord]) -> StoreResult<Option<StoreOutcome>> {
        if records.is_empty() || records.iter().any(|r| r.kind != RecordKind::Check) {
            return Ok(None);
        }
        let mut conn = self.conn()?;
        let reads = IntakeReads::prepare(&mut conn)?;
        let purged = reads.purged(&mut *conn)?;
        let live: Vec<&WireRecord> = records.iter().filter(|r| !in_purged_year(&purged, r.created_at_ms)).collect();
        // A new batch (most pushes) is told by one probe, not by reading the whole batch's rows.
        if let Some(first) = live.first() {
            let stored: bool =
                conn.query_one("SELECT EXISTS (SELECT 1 FROM records WHERE id = $1)", &[&first.id])?.get(0);
            if !stored {
                return Ok(None);
            }
        }
        // A repeated batch: its stored rows read back by id and compared here. Reading them
        // costs the database less than comparing the batch's 19 arrays with them in one count
        // (0.2 against 0.6 ms for 200 records, `EXPLAIN ANALYZE` under the load benchmark).
        let ids: Vec<&str> = live.iter().map(|r| r.id.as_str()).collect();
        let (known, redacted) = reads.stored(&mut *conn, &ids)?;
        let titled: Vec<&str> = records
            .iter()
            .filter(|r| r.event_title.is_some() && r.event_date.is_some())
            .filter_map(|r| r.event_id.as_deref())
            .collect();
        let named: std::collections::HashSet<String> = if titled.is_empty() {
            Default::default()
        } else {
            conn.query(
                "SELECT id FROM events WHERE id = ANY($1) UNION SELECT id FROM phone_events WHERE id = ANY($1)",
                &[&titled],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        };
        for r in live {
            if r.event_title.is_some() && r.event_date.is_some() {
                if let Some(event) = &r.event_id {
                    if !named.contains(event) {
                        return Ok(None);
                    }
                }
            }
            let Some(stored) = known.get(&r.id) else { return Ok(None) };
            if *stored != as_compared(r, Some(stored), &redacted) {
                return Ok(None);
            }
        }
        let n = records.len();
        Ok(Some(StoreOutcome {
            duplicates: n as u32,
            statuses: vec![StoreStatus::Duplicate; n],
            ..StoreOutcome::default()
        }))
    }

    /// A turn to store a batch in this process (at most [`INTAKE_AT_ONCE`] at once), given back
    /// when dropped.
    fn intake_turn(&self) -> impl Drop + '_ {
        struct Turn<'a>(&'a (Mutex<usize>, Condvar));
        impl Drop for Turn<'_> {
            fn drop(&mut self) {
                *self.0 .0.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
                self.0 .1.notify_one();
            }
        }
        let (count, freed) = &self.intake;
        let mut n = count.lock().unwrap_or_else(|p| p.into_inner());
        while *n >= INTAKE_AT_ONCE {
            n = freed.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n += 1;
        Turn(&self.intake)
    }

    /// One try of [`RecordStore::store_records`]: [`StoreError::Busy`] when it met another batch
    /// at the same time and may simply be tried again.
    fn store_once(&self, records: &[WireRecord], received_at_ms: i64) -> StoreResult<StoreOutcome> {
        let mut conn = self.conn()?;
        let share = conn.prepared("SELECT pg_advisory_xact_lock_shared($1)")?;
        let lock = conn.prepared("SELECT pg_advisory_xact_lock($1, $2)")?;
        let reads = IntakeReads::prepare(&mut conn)?;
        let insert = conn.prepared(&insert_records_sql())?;
        let mut tx = conn.transaction()?;
        // One batch of a phone at a time, whichever process: a check and its void never count
        // concurrently. A batch of several phones (the tests') takes their locks in one order.
        tx.execute(&share, &[&INTAKE_LOCK])?;
        let mut phones: Vec<i32> = records.iter().map(|r| phone_lock_key(&r.device_id)).collect();
        phones.sort_unstable();
        phones.dedup();
        for key in phones {
            tx.execute(&lock, &[&PHONE_LOCKS, &key])?;
        }
        let mut wanted: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        wanted.extend(records.iter().filter_map(|r| r.target_id.as_deref()));
        wanted.sort_unstable();
        wanted.dedup();
        let (mut known, redacted) = reads.stored(&mut tx, &wanted)?;
        let purged = reads.purged(&mut tx)?;
        let mut outcome = StoreOutcome { statuses: Vec::with_capacity(records.len()), ..StoreOutcome::default() };
        let mut new: Vec<&WireRecord> = Vec::new();
        let mut conflicts: Vec<(&WireRecord, String)> = Vec::new();
        let mut named_events = std::collections::HashSet::new();
        let mut events: Vec<(&str, &str, &str, &str)> = Vec::new();
        for r in records {
            if in_purged_year(&purged, r.created_at_ms) {
                outcome.duplicates += 1;
                outcome.statuses.push(StoreStatus::Duplicate);
                continue;
            }
            if let (RecordKind::Void, Some(target_id)) = (r.kind, &r.target_id) {
                match known.get(target_id) {
                    Some(t) if t.device_id != r.device_id => {
                        outcome.statuses.push(StoreStatus::VoidTargetForeign);
                        continue;
                    }
                    Some(t) if t.kind != RecordKind::Check => {
                        outcome.statuses.push(StoreStatus::VoidTargetNotCheck);
                        continue;
                    }
                    _ => {}
                }
            }
            let arrived = as_compared(r, known.get(&r.id), &redacted);
            match known.get(&r.id) {
                None => {
                    outcome.stored += 1;
                    outcome.statuses.push(StoreStatus::Stored);
                    new.push(r);
                    known.insert(r.id.clone(), arrived);
                }
                Some(stored) if *stored == arrived => {
                    outcome.duplicates += 1;
                    outcome.statuses.push(StoreStatus::Duplicate);
                }
                Some(_) => {
                    let body = serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    conflicts.push((r, body));
                    outcome.conflicts += 1;
                    outcome.statuses.push(StoreStatus::Conflict);
                    continue;
                }
            }
            if let (Some(id), Some(title), Some(date)) = (&r.event_id, &r.event_title, &r.event_date) {
                if named_events.insert(id.as_str()) {
                    events.push((id, title.trim(), date, &r.branch_id));
                }
            }
        }
        if !new.is_empty() {
            insert_records(&mut tx, &insert, &new, received_at_ms)?;
        }
        if !conflicts.is_empty() {
            let ids: Vec<&str> = conflicts.iter().map(|(r, _)| r.id.as_str()).collect();
            let devices: Vec<&str> = conflicts.iter().map(|(r, _)| r.device_id.as_str()).collect();
            let bodies: Vec<&str> = conflicts.iter().map(|(_, b)| b.as_str()).collect();
            tx.execute(
                "INSERT INTO record_conflicts (id, device_id, received_at_ms, body)
                 SELECT c.id, c.device_id, $3, c.body FROM unnest($1::text[], $2::text[], $4::text[])
                     WITH ORDINALITY AS c (id, device_id, body, ord)
                 ORDER BY c.ord
                 ON CONFLICT (id, body) DO NOTHING",
                &[&ids, &devices, &received_at_ms, &bodies],
            )?;
        }
        for (id, title, date, branch) in events {
            // A published event is named by its publication, whatever a phone calls it.
            tx.execute(
                "INSERT INTO phone_events (id, title, date, branch_id, first_seen_ms)
                 SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = $1)
                 ON CONFLICT (id) DO NOTHING",
                &[&id, &title, &date, &branch, &received_at_ms],
            )?;
        }
        tx.commit()?;
        Ok(outcome)
    }
}

impl RecordStore for PostgresDatabase {
    fn server_id(&self) -> StoreResult<String> {
        self.identity.get(|| self.stored_server_id())
    }

    /// A few round trips per batch, whatever its size: what is stored of the batch's ids and void
    /// targets read at once, each record's status decided here in order (as SQLite's intake
    /// decides it record by record), the new records written by one statement (its trigger
    /// counts them set-based), the conflicts by another.
    fn store_records(&self, records: &[WireRecord], received_at_ms: i64) -> StoreResult<StoreOutcome> {
        // A phone repeating a push whose answer it lost: answered without queueing for the lock.
        if let Some(outcome) = self.all_stored_already(records)? {
            return Ok(outcome);
        }
        let _turn = self.intake_turn();
        let mut tries = 0;
        loop {
            tries += 1;
            match self.store_once(records, received_at_ms) {
                Err(StoreError::Busy(_)) if tries < INTAKE_TRIES => continue,
                done => return done,
            }
        }
    }

    fn record(&self, id: &str) -> StoreResult<Option<StoredRecord>> {
        let mut conn = self.conn()?;
        let row = conn.query_opt(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = $1"), &[&id])?;
        row.as_ref().map(record_from_row).transpose()
    }

    fn record_count(&self) -> StoreResult<u64> {
        let n: i64 = self.conn()?.query_one("SELECT count(*) FROM records", &[])?.get(0);
        Ok(n as u64)
    }

    fn has_record(&self, id: &str) -> StoreResult<bool> {
        Ok(self.conn()?.query_one("SELECT EXISTS (SELECT 1 FROM records WHERE id = $1)", &[&id])?.get(0))
    }

    fn conflicts(&self, n: u32) -> StoreResult<Vec<Conflict>> {
        let mut conn = self.conn()?;
        let rows = conn
            .query("SELECT seq, body, received_at_ms FROM record_conflicts ORDER BY seq DESC LIMIT $1", &[&limit(n)])?;
        let sql = format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = $1");
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let body: String = row.get(1);
            let arrived: WireRecord = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let stored = conn.query_opt(&sql, &[&arrived.id])?.as_ref().map(record_from_row).transpose()?;
            out.push(Conflict { seq: row.get(0), stored, arrived, received_at_ms: row.get(2) });
        }
        Ok(out)
    }

    fn clock_flagged(&self, n: u32) -> StoreResult<Vec<StoredRecord>> {
        let rows = self.conn()?.query(
            &format!("SELECT {RECORD_COLUMNS} FROM records WHERE clock_off ORDER BY received_at_ms DESC, id LIMIT $1"),
            &[&limit(n)],
        )?;
        rows.iter().map(record_from_row).collect()
    }
}

fn branch_known(tx: &mut impl postgres::GenericClient, id: &str) -> StoreResult<bool> {
    Ok(tx.query_one("SELECT EXISTS (SELECT 1 FROM branches WHERE id = $1)", &[&id])?.get(0))
}

impl DeviceStore for PostgresDatabase {
    fn insert_enrollment_code(
        &self,
        code_sha256: &str,
        branch_id: &str,
        issuer: &CodeIssuer,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        let mut conn = self.conn()?;
        if !branch_known(&mut *conn, branch_id)? {
            return Err(StoreError::UnknownBranch(branch_id.to_string()));
        }
        let role = if issuer.admin { "admin" } else { "branch_head" };
        conn.execute(
            "INSERT INTO enrollment_codes (code_sha256, branch_id, created_at, expires_at, issuer_role, issued_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&code_sha256, &branch_id, &now_ms, &expires_at_ms, &role, &issuer.login],
        )?;
        Ok(())
    }

    fn enroll(&self, a: &EnrollAttempt) -> StoreResult<EnrollOutcome> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // The code's row is locked: two processes using one code at once take turns.
        let Some(code) = tx.query_opt(
            "SELECT branch_id, expires_at, used_at, device_id, secret_sha256, issuer_role, issued_by
             FROM enrollment_codes WHERE code_sha256 = $1 FOR UPDATE",
            &[&a.code_sha256],
        )?
        else {
            return Ok(EnrollOutcome::UnknownCode);
        };
        let code_branch: String = code.get(0);
        let expires_at: i64 = code.get(1);
        let used_at: Option<i64> = code.get(2);
        let used_by: Option<String> = code.get(3);
        let secret: Option<String> = code.get(4);
        let admin = code.get::<_, String>(5) == "admin";
        let issued_by: Option<String> = code.get(6);
        let branch_name = |tx: &mut Transaction, id: &str| -> StoreResult<String> {
            Ok(tx
                .query_opt("SELECT name FROM branches WHERE id = $1", &[&id])?
                .map_or_else(|| id.to_string(), |r| r.get(0)))
        };
        let device: Option<(String, Option<i64>)> = tx
            .query_opt("SELECT branch_id, revoked_at FROM devices WHERE id = $1 FOR UPDATE", &[&a.device_id])?
            .map(|r| (r.get(0), r.get(1)));
        if used_at.is_some() {
            // Only the phone that used the code, proving it with the secret it chose, while the
            // code is still valid and the phone still in the code's branch.
            let same_phone = used_by.as_deref() == Some(a.device_id)
                && a.secret_sha256.is_some()
                && secret.as_deref() == a.secret_sha256;
            let in_place = device.as_ref().is_some_and(|(branch, _)| *branch == code_branch);
            if !(same_phone && in_place && expires_at > a.now_ms) {
                return Ok(EnrollOutcome::Used);
            }
            if device.as_ref().is_some_and(|(_, revoked)| revoked.is_some()) {
                return Ok(EnrollOutcome::DeviceRevoked);
            }
            tx.execute("UPDATE devices SET token_sha256 = $2 WHERE id = $1", &[&a.device_id, &a.token_sha256])?;
            let name = branch_name(&mut tx, &code_branch)?;
            tx.commit()?;
            return Ok(EnrollOutcome::Enrolled {
                branch_id: code_branch,
                branch_name: name,
                retry: true,
                moved_from: None,
            });
        }
        if expires_at <= a.now_ms {
            return Ok(EnrollOutcome::Expired);
        }
        let mut moved_from = None;
        if let Some((branch, revoked)) = &device {
            if revoked.is_some() {
                return Ok(EnrollOutcome::DeviceRevoked);
            }
            if *branch != code_branch {
                if !admin {
                    return Ok(EnrollOutcome::EnrolledElsewhere { branch_name: branch_name(&mut tx, branch)? });
                }
                moved_from = Some(branch.clone());
            }
        }
        let name = branch_name(&mut tx, &code_branch)?;
        if let Some(from) = &moved_from {
            let detail = format!(
                "Устройство {} перенесено из филиала «{}» в филиал «{}» кодом подключения администратора",
                a.device_id,
                branch_name(&mut tx, from)?,
                name
            );
            let login = issued_by.as_deref().unwrap_or("администратор");
            tx.execute(
                "INSERT INTO audit_log (at_ms, login, action, detail) VALUES ($1, $2, 'device.move', $3)",
                &[&a.now_ms, &login, &detail],
            )?;
        }
        tx.execute(
            "INSERT INTO devices (id, branch_id, token_sha256, enrolled_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET branch_id = excluded.branch_id, token_sha256 = excluded.token_sha256,
                 enrolled_at = excluded.enrolled_at",
            &[&a.device_id, &code_branch, &a.token_sha256, &a.now_ms],
        )?;
        tx.execute(
            "UPDATE enrollment_codes SET used_at = $2, device_id = $3, secret_sha256 = $4 WHERE code_sha256 = $1",
            &[&a.code_sha256, &a.now_ms, &a.device_id, &a.secret_sha256],
        )?;
        tx.commit()?;
        Ok(EnrollOutcome::Enrolled { branch_id: code_branch, branch_name: name, retry: false, moved_from })
    }

    fn device_by_token(&self, token_sha256: &str) -> StoreResult<Option<Device>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_sha256 = $1");
        Ok(self.conn()?.query_opt(&sql, &[&token_sha256])?.map(|r| device_from_row(&r)))
    }

    fn device(&self, id: &str) -> StoreResult<Option<Device>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1");
        Ok(self.conn()?.query_opt(&sql, &[&id])?.map(|r| device_from_row(&r)))
    }

    fn devices(&self) -> StoreResult<Vec<Device>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY branch_id, enrolled_at");
        Ok(self.conn()?.query(&sql, &[])?.iter().map(device_from_row).collect())
    }

    fn revoke_device(&self, id: &str, now_ms: i64) -> StoreResult<bool> {
        let changed = self
            .conn()?
            .execute("UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1", &[&id, &now_ms])?;
        Ok(changed > 0)
    }

    fn touch_device(&self, id: &str, now_ms: i64) -> StoreResult<()> {
        self.conn()?.execute(
            "UPDATE devices SET last_seen_at = GREATEST(COALESCE(last_seen_at, 0), $2) WHERE id = $1",
            &[&id, &now_ms],
        )?;
        Ok(())
    }

    fn note_pending(&self, id: &str, pending: u64) -> StoreResult<()> {
        let pending = i64::try_from(pending).unwrap_or(i64::MAX);
        self.conn()?.execute("UPDATE devices SET pending = $2 WHERE id = $1", &[&id, &pending])?;
        Ok(())
    }

    fn note_report(&self, id: &str, report: &DeviceReport) -> StoreResult<()> {
        let json = serde_json::to_string(report).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn()?.execute("UPDATE devices SET report = $2 WHERE id = $1", &[&id, &json])?;
        Ok(())
    }

    fn signing_key(&self, id: &str) -> StoreResult<Option<String>> {
        let row = self.conn()?.query_opt("SELECT signing_key FROM devices WHERE id = $1", &[&id])?;
        Ok(row.and_then(|r| r.get(0)))
    }

    fn set_signing_key(&self, id: &str, key: &str, now_ms: i64, replace: bool) -> StoreResult<bool> {
        let changed = self.conn()?.execute(
            "UPDATE devices SET signing_key = $2, signing_key_at = $3
             WHERE id = $1 AND ($4 OR signing_key IS NULL) AND signing_key IS DISTINCT FROM $2",
            &[&id, &key, &now_ms, &replace],
        )?;
        Ok(changed > 0)
    }

    fn note_push(&self, id: &str, now_ms: i64, clock_skew_ms: Option<i64>) -> StoreResult<()> {
        self.conn()?.execute(
            "UPDATE devices SET last_push_at = GREATEST(COALESCE(last_push_at, 0), $2),
                 clock_skew_ms = COALESCE($3, clock_skew_ms)
             WHERE id = $1",
            &[&id, &now_ms, &clock_skew_ms],
        )?;
        Ok(())
    }
}

impl ReferenceStore for PostgresDatabase {
    fn add_branches(&self, branches: &[(String, String)]) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        for (id, name) in branches {
            tx.execute(
                "INSERT INTO branches (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                &[id, name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn branches(&self) -> StoreResult<Vec<(String, String)>> {
        Ok(self
            .conn()?
            .query("SELECT id, name FROM branches ORDER BY id", &[])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn set_reference(&self, name: ReferenceName, version: u32, body: &str) -> StoreResult<bool> {
        let changed = self.conn()?.execute(
            "INSERT INTO reference AS r (name, version, body) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET version = excluded.version, body = excluded.body
             WHERE excluded.version > r.version",
            &[&name.as_str(), &i64::from(version), &body],
        )?;
        Ok(changed > 0)
    }

    fn reference(&self, name: ReferenceName) -> StoreResult<Option<(u32, String)>> {
        Ok(self
            .conn()?
            .query_opt("SELECT version, body FROM reference WHERE name = $1", &[&name.as_str()])?
            .map(|r| (u32::try_from(r.get::<_, i64>(0)).unwrap_or(0), r.get(1))))
    }

    fn add_event(&self, event: &WireEvent, now_ms: i64) -> StoreResult<i64> {
        let mut conn = self.conn()?;
        if !branch_known(&mut *conn, &event.branch_id)? {
            return Err(StoreError::UnknownBranch(event.branch_id.clone()));
        }
        let row = conn.query_one(
            "INSERT INTO events (id, title, date, branch_id, created_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING seq",
            &[&event.id, &event.title, &event.date, &event.branch_id, &now_ms],
        )?;
        Ok(row.get(0))
    }

    fn events_after(&self, branch_id: &str, cursor: i64, n: u32) -> StoreResult<Vec<(i64, WireEvent)>> {
        let rows = self.conn()?.query(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE branch_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"),
            &[&branch_id, &cursor, &limit(n)],
        )?;
        Ok(rows.iter().map(event_from_row).map(|e| (e.seq, e.event)).collect())
    }

    fn events(&self, branch_id: Option<&str>, n: u32) -> StoreResult<Vec<EventRow>> {
        let rows = self.conn()?.query(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE $1::text IS NULL OR branch_id = $1
                 ORDER BY date DESC, seq DESC LIMIT $2"
            ),
            &[&branch_id, &limit(n)],
        )?;
        Ok(rows.iter().map(event_from_row).collect())
    }

    fn event(&self, id: &str) -> StoreResult<Option<EventRow>> {
        Ok(self
            .conn()?
            .query_opt(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"), &[&id])?
            .map(|r| event_from_row(&r)))
    }

    fn phone_event(&self, id: &str) -> StoreResult<Option<WireEvent>> {
        Ok(self
            .conn()?
            .query_opt(&format!("SELECT {PHONE_EVENT_COLUMNS} FROM phone_events WHERE id = $1"), &[&id])?
            .map(|r| phone_event_from_row(&r)))
    }

    fn phone_events(&self, n: u32) -> StoreResult<Vec<WireEvent>> {
        let rows = self.conn()?.query(
            &format!("SELECT {PHONE_EVENT_COLUMNS} FROM phone_events ORDER BY date DESC, first_seen_ms DESC LIMIT $1"),
            &[&limit(n)],
        )?;
        Ok(rows.iter().map(phone_event_from_row).collect())
    }

    fn add_content_upload(&self, u: &ContentUpload, body: &str) -> StoreResult<()> {
        self.conn()?.execute(
            "INSERT INTO content_uploads (id, uploaded_at_ms, login, version, key_id, summary, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&u.id, &u.uploaded_at_ms, &u.login, &i64::from(u.version), &u.key_id, &u.summary, &body],
        )?;
        Ok(())
    }

    fn content_uploads(&self, n: u32) -> StoreResult<Vec<ContentUpload>> {
        let rows = self.conn()?.query(
            &format!("SELECT {UPLOAD_COLUMNS} FROM content_uploads ORDER BY uploaded_at_ms DESC, id DESC LIMIT $1"),
            &[&limit(n)],
        )?;
        Ok(rows.iter().map(upload_from_row).collect())
    }

    fn content_upload(&self, id: &str) -> StoreResult<Option<(ContentUpload, String)>> {
        Ok(self
            .conn()?
            .query_opt(&format!("SELECT {UPLOAD_COLUMNS}, body FROM content_uploads WHERE id = $1"), &[&id])?
            .map(|r| (upload_from_row(&r), r.get(7))))
    }

    fn mark_content_published(&self, id: &str, now_ms: i64) -> StoreResult<()> {
        self.conn()?.execute("UPDATE content_uploads SET published_at_ms = $2 WHERE id = $1", &[&id, &now_ms])?;
        Ok(())
    }

    fn add_app_release(&self, release: &AppRelease, apk: &[u8]) -> StoreResult<i64> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // One upload at a time, whichever process: "the two newest" is the same two for both.
        tx.batch_execute("LOCK TABLE app_releases IN SHARE ROW EXCLUSIVE MODE")?;
        let bytes = i64::try_from(release.bytes).unwrap_or(i64::MAX);
        let seq: i64 = tx
            .query_one(
                "INSERT INTO app_releases (version, sha256, bytes, uploaded_at_ms, login, apk)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
                &[&release.version, &release.sha256, &bytes, &release.uploaded_at_ms, &release.login, &apk],
            )?
            .get(0);
        tx.execute(
            "UPDATE app_releases SET apk = NULL
             WHERE apk IS NOT NULL AND seq NOT IN (SELECT seq FROM app_releases ORDER BY seq DESC LIMIT 2)",
            &[],
        )?;
        tx.commit()?;
        Ok(seq)
    }

    fn app_releases(&self, n: u32) -> StoreResult<Vec<AppRelease>> {
        let rows = self.conn()?.query(
            "SELECT seq, version, sha256, bytes, uploaded_at_ms, login, apk IS NOT NULL
             FROM app_releases ORDER BY seq DESC LIMIT $1",
            &[&limit(n)],
        )?;
        Ok(rows
            .iter()
            .map(|r| AppRelease {
                seq: r.get(0),
                version: r.get(1),
                sha256: r.get(2),
                bytes: r.get::<_, i64>(3).max(0) as u64,
                uploaded_at_ms: r.get(4),
                login: r.get(5),
                kept: r.get(6),
            })
            .collect())
    }

    fn app_apk(&self, seq: i64) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .conn()?
            .query_opt("SELECT apk FROM app_releases WHERE seq = $1", &[&seq])?
            .and_then(|r| r.get::<_, Option<Vec<u8>>>(0)))
    }
}

/// Locks the admins table against a concurrent change of who is an enabled administrator (the
/// last one must stay, whichever process asks).
fn lock_admins(tx: &mut Transaction) -> StoreResult<()> {
    tx.batch_execute("LOCK TABLE admins IN SHARE ROW EXCLUSIVE MODE")?;
    Ok(())
}

impl AdminStore for PostgresDatabase {
    fn put_admin(&self, admin: &Admin, now_ms: i64) -> StoreResult<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_admins(&mut tx)?;
        let (role, branch) = (admin.role.as_str(), admin.role.branch());
        if let Some(b) = branch {
            if !branch_known(&mut tx, b)? {
                return Err(StoreError::UnknownBranch(b.to_string()));
            }
        }
        let existed: bool =
            tx.query_one("SELECT EXISTS (SELECT 1 FROM admins WHERE login = $1)", &[&admin.login])?.get(0);
        tx.execute(
            "INSERT INTO admins (login, password_hash, role, branch_id, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (login) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
                 branch_id = excluded.branch_id,
                 -- Another role or branch loses the records grant (least privilege).
                 records = CASE WHEN admins.role = excluded.role
                     AND admins.branch_id IS NOT DISTINCT FROM excluded.branch_id
                     THEN admins.records ELSE false END",
            &[&admin.login, &admin.password_hash, &role, &branch, &now_ms],
        )?;
        tx.execute("DELETE FROM sessions WHERE login = $1", &[&admin.login])?;
        tx.commit()?;
        Ok(!existed)
    }

    fn admin(&self, login: &str) -> StoreResult<Option<Admin>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM admins a WHERE a.login = $1");
        Ok(self.conn()?.query_opt(&sql, &[&login])?.map(|r| admin_from_row(&r)))
    }

    fn admins(&self) -> StoreResult<Vec<Admin>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM admins a ORDER BY a.login");
        Ok(self.conn()?.query(&sql, &[])?.iter().map(admin_from_row).collect())
    }

    fn set_admin_disabled(&self, login: &str, disabled: bool, now_ms: i64) -> StoreResult<AdminChange> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_admins(&mut tx)?;
        let Some(admin) = admin_in(&mut tx, login)? else {
            return Ok(AdminChange::NotFound);
        };
        if admin.disabled == disabled {
            return Ok(AdminChange::Unchanged);
        }
        if disabled && is_last_active_admin(&mut tx, &admin)? {
            return Ok(AdminChange::LastAdmin);
        }
        let at = disabled.then_some(now_ms);
        tx.execute("UPDATE admins SET disabled_at = $2 WHERE login = $1", &[&login, &at])?;
        tx.execute("DELETE FROM sessions WHERE login = $1", &[&login])?;
        tx.commit()?;
        Ok(AdminChange::Done)
    }

    fn set_records_access(&self, login: &str, granted: bool) -> StoreResult<AdminChange> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let Some(admin) = tx
            .query_opt(&format!("SELECT {ADMIN_COLUMNS} FROM admins a WHERE a.login = $1 FOR UPDATE"), &[&login])?
            .map(|r| admin_from_row(&r))
        else {
            return Ok(AdminChange::NotFound);
        };
        if !matches!(admin.role, Role::BranchHead(_)) {
            return Ok(AdminChange::NotApplicable);
        }
        if admin.records == granted {
            return Ok(AdminChange::Unchanged);
        }
        tx.execute("UPDATE admins SET records = $2 WHERE login = $1", &[&login, &granted])?;
        tx.commit()?;
        Ok(AdminChange::Done)
    }

    fn remove_admin(&self, login: &str) -> StoreResult<AdminChange> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_admins(&mut tx)?;
        let Some(admin) = admin_in(&mut tx, login)? else {
            return Ok(AdminChange::NotFound);
        };
        if is_last_active_admin(&mut tx, &admin)? {
            return Ok(AdminChange::LastAdmin);
        }
        tx.execute("DELETE FROM sessions WHERE login = $1", &[&login])?;
        tx.execute("DELETE FROM admins WHERE login = $1", &[&login])?;
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
        let mut conn = self.conn()?;
        conn.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now_ms])?;
        conn.execute(
            "INSERT INTO sessions (token_sha256, login, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&token_sha256, &login, &csrf_token, &now_ms, &expires_at_ms],
        )?;
        Ok(())
    }

    fn session(&self, token_sha256: &str, now_ms: i64) -> StoreResult<Option<(Admin, String)>> {
        let sql = format!(
            "SELECT {ADMIN_COLUMNS}, s.csrf_token FROM sessions s JOIN admins a ON a.login = s.login
             WHERE s.token_sha256 = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL"
        );
        Ok(self.conn()?.query_opt(&sql, &[&token_sha256, &now_ms])?.map(|r| (admin_from_row(&r), r.get(6))))
    }

    fn delete_session(&self, token_sha256: &str) -> StoreResult<()> {
        self.conn()?.execute("DELETE FROM sessions WHERE token_sha256 = $1", &[&token_sha256])?;
        Ok(())
    }

    fn audit(&self, at_ms: i64, login: &str, action: &str, detail: &str) -> StoreResult<()> {
        self.conn()?.execute(
            "INSERT INTO audit_log (at_ms, login, action, detail) VALUES ($1, $2, $3, $4)",
            &[&at_ms, &login, &action, &detail],
        )?;
        Ok(())
    }

    fn audit_log(&self, before_id: Option<i64>, n: u32) -> StoreResult<Vec<AuditEntry>> {
        let rows = self.conn()?.query(
            "SELECT id, at_ms, login, action, detail FROM audit_log WHERE $1::bigint IS NULL OR id < $1
             ORDER BY id DESC LIMIT $2",
            &[&before_id, &limit(n)],
        )?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry { id: r.get(0), at_ms: r.get(1), login: r.get(2), action: r.get(3), detail: r.get(4) })
            .collect())
    }

    fn reserve_sign_in(&self, keys: &[String], now_ms: i64, rule: &BackoffRule) -> StoreResult<Reservation> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SIGN_IN_LOCK])?;
        tx.execute(
            "DELETE FROM sign_in_backoff WHERE last_at_ms <= $1 AND next_at_ms <= $2",
            &[&now_ms.saturating_sub(rule.memory_ms), &now_ms],
        )?;
        let mut rows = Vec::with_capacity(keys.len());
        for key in keys {
            let row = tx
                .query_opt("SELECT failures, next_at_ms, last_at_ms FROM sign_in_backoff WHERE key = $1", &[key])?
                .map(|r| (u32::try_from(r.get::<_, i32>(0)).unwrap_or(0), r.get::<_, i64>(1), r.get::<_, i64>(2)));
            rows.push(row.unwrap_or_default());
        }
        let decided = match rule.reserve(keys, &rows, now_ms) {
            Err(wait) => return Ok(Reservation::Wait(wait)),
            Ok(decided) => decided,
        };
        let mut reserved = Vec::with_capacity(decided.len());
        for (r, next_at_ms) in decided {
            let stored = i32::try_from(r.failures).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO sign_in_backoff (key, failures, next_at_ms, last_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, next_at_ms = excluded.next_at_ms,
                     last_at_ms = excluded.last_at_ms",
                &[&r.key, &stored, &next_at_ms, &now_ms],
            )?;
            reserved.push(r);
        }
        tx.commit()?;
        Ok(Reservation::Reserved(reserved))
    }

    fn forgive_sign_in(&self, reserved: &[ReservedKey], forget_first: bool) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SIGN_IN_LOCK])?;
        for (i, r) in reserved.iter().enumerate() {
            if i == 0 && forget_first {
                tx.execute("DELETE FROM sign_in_backoff WHERE key = $1", &[&r.key])?;
                continue;
            }
            let failures = i32::try_from(r.failures).unwrap_or(i32::MAX);
            // Nothing came after it: as if the attempt had not been made.
            tx.execute(
                "UPDATE sign_in_backoff SET next_at_ms = CASE WHEN failures = $2 THEN $3 ELSE next_at_ms END,
                     failures = GREATEST(failures - 1, 0)
                 WHERE key = $1",
                &[&r.key, &failures, &r.before_ms],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn forget_sign_ins(&self, before_ms: i64) -> StoreResult<u64> {
        let forgotten = self
            .conn()?
            .execute("DELETE FROM sign_in_backoff WHERE last_at_ms < $1 AND next_at_ms < $1", &[&before_ms])?;
        if forgotten > 0 {
            self.vacuum("sign_in_backoff");
        }
        Ok(forgotten)
    }
}

/// Parameters of a query built piece by piece: each `?` of the SQL becomes `$n` in order.
#[derive(Default)]
pub(crate) struct Params {
    values: Vec<Box<dyn ToSql + Sync>>,
}

impl Params {
    pub(crate) fn push(&mut self, v: impl ToSql + Sync + 'static) {
        self.values.push(Box::new(v));
    }

    pub(crate) fn extend(&mut self, other: Params) {
        self.values.extend(other.values);
    }

    pub(crate) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values.iter().map(|v| v.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

/// `sql` with each `?` numbered `$1`, `$2`, … (the figures' SQL is written as SQLite's).
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn passwords_are_hidden_and_placeholders_numbered() {
        assert_eq!(without_password("postgres://lgota:secret@db:5432/lgota"), "postgres://lgota:***@db:5432/lgota");
        assert_eq!(
            without_password("postgres://lgota@db/lgota?sslmode=disable"),
            "postgres://lgota@db/lgota?sslmode=disable"
        );
        assert_eq!(without_password("postgresql://db/lgota"), "postgresql://db/lgota");
        assert_eq!(without_password("postgres://a:b@c@d/e"), "postgres://a:***@d/e");
        assert_eq!(numbered("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
        assert_eq!(with_database("postgres://u@h:5/postgres", "t1"), "postgres://u@h:5/t1");
        assert_eq!(with_database("postgres://u@h:5", "t1"), "postgres://u@h:5/t1");
        assert_eq!(with_database("postgresql://h/x?sslmode=disable", "t2"), "postgresql://h/t2?sslmode=disable");
    }
}

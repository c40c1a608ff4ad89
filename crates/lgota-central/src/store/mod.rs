//! Storage behind traits, with two backends: [`SqliteDatabase`] (`store/sqlite/`, one file, the
//! default) and [`PostgresDatabase`] (`store/postgres/`, several server processes on one
//! PostgreSQL); [`open`] picks one by [`Location`]. The traits are split by concern — [`RecordStore`] (the intake),
//! [`DeviceStore`] (phones and enrollment), [`ReferenceStore`] (branches, reference documents,
//! events, content), [`AdminStore`] (dashboard users, sessions, audit log), [`FigureStore`]
//! (the figures) and [`TrainingStore`] (training results, never a figure) — and [`Database`] is
//! all of them, implemented for every type that implements
//! them all, so `Arc<dyn Database>` serves every caller.
//!
//! The traits are synchronous: the HTTP layer calls them inside `spawn_blocking`. Errors are a
//! [`StoreError`], which names no backend type.
//!
//! # The contract
//!
//! What the figures (the dashboard's overview, trend, monthly summary, records page and exports)
//! rely on, and every backend must keep. `tests/store_contract.rs` checks each point against a
//! backend given by a factory; a new backend is added there with one line.
//!
//! 1. **Once by id.** [`RecordStore::store_records`] stores a record id at most once: the first
//!    version to arrive is kept. The same id again with the same content (the event's title and
//!    date aside) is a [`StoreStatus::Duplicate`] and changes nothing; with other content it is a
//!    [`StoreStatus::Conflict`]: the later version is kept aside ([`RecordStore::conflicts`]),
//!    never counted, and the stored version is unchanged. Storing the same batch twice leaves
//!    every figure and [`RecordStore::record_count`] as the first time (idempotent).
//! 2. **One transaction per batch.** A batch is stored whole or not at all: a record the backend
//!    refuses (e.g. a check without method, outcome or granted) fails the call with nothing of
//!    the batch stored. The statuses answer the records in order.
//! 3. **Valid checks.** Every figure counts valid checks only: kind `check`, not `training`, and
//!    not voided — a void counts only from the check's own device.
//! 4. **Voids.** The first void of a counted check takes it out of every figure, once: a second
//!    void of it changes nothing. A void that arrives before its check (import order) makes the
//!    check not count when it comes. A void of another device's stored record is refused
//!    ([`StoreStatus::VoidTargetForeign`]), a void of a void too
//!    ([`StoreStatus::VoidTargetNotCheck`]); a void stored before its target that names another
//!    device's record is inert.
//! 5. **Counts kept with the records.** Whatever a backend keeps to answer fast (SQLite: the
//!    `check_counts` and `event_counts` tables, kept in the transaction that inserts the record:
//!    checks by the store, voids by triggers, migrations 004, 005, 007, 018) is up to date when `store_records` returns: every
//!    figure, for any period and filter, equals a direct count over the stored records. The
//!    figures agree with each other: [`Overview::total`] = [`FigureStore::check_count`] = the
//!    records of [`FigureStore::checks_page`] = the sum of the trend's buckets covering the
//!    period = the sum of the monthly summary's checks; each of the overview's breakdowns
//!    (branch, method, outcome, category) adds up to the total, and granted + refused too.
//! 6. **Append-only.** Records, the audit log and the conflicts kept aside are never updated or
//!    deleted — except by the retention operations of [`RetentionStore`], each of which changes
//!    only what its contract names (a redacted field emptied; an archived year removed; old
//!    audit entries blanked or removed). The SQLite backend refuses every other update and
//!    delete by triggers (migrations 001, 003, 007, 013; tested in `store/sqlite/tests.rs`), the
//!    PostgreSQL backend by triggers too (UPDATE, DELETE and TRUNCATE; its migrations 001 and
//!    003; tested in `store/postgres/tests.rs`).
//! 7. **Flags fixed at receipt.** A record received more than [`OFFLINE_AFTER_MS`] after it
//!    was made counts as offline, from its own receipt time (a duplicate's later arrival does not
//!    change it).
//! 8. **Identity.** [`RecordStore::server_id`] is created with the database and is the same at
//!    every open of it.
//! 9. **Nothing shared in one process's memory.** What several server processes on one database
//!    must agree on lives in the store: sessions, enrollment codes, the sign-in back-off
//!    ([`AdminStore::reserve_sign_in`]). Each backend's counts are kept in the transaction that
//!    inserts the record, whichever process inserts it.
//! 10. **Schema.** A backend brings its schema up to date at open and refuses a database whose
//!     schema is newer than it knows ([`StoreError::SchemaTooNew`]).
//! 11. **Retention keeps the figures.** Redacting a record or purging a year changes no figure of
//!     any period: the counts stay (a purged year's figures are read from them). A record made in
//!     a purged year that arrives later is acknowledged ([`StoreStatus::Duplicate`]) and not
//!     stored; a redacted record that arrives again with its old text is a duplicate, never a
//!     conflict that would keep the text.
//! 12. **Training results apart.** [`TrainingStore::store_training`] stores an id once (the same
//!     content again: duplicate; other content: conflict, the first stays) and touches no record,
//!     count or figure.
//!
//! [`Overview::total`]: crate::report::Overview::total

pub mod copy;
mod identity;
mod models;
pub mod postgres;
pub mod sqlite;

pub use self::postgres::PostgresDatabase;
pub use identity::IDENTITY_FRESH;
pub use models::*;
pub use sqlite::{inspect_file, put_in_place, FileLock, SqliteDatabase};

/// Where the database is: a SQLite file, or a PostgreSQL server (`postgres://…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Location {
    /// For logs and messages: the file, or the URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => self::postgres::without_password(url),
        }
    }
}

/// Opens (creating the schema if needed, bringing it up to date) the database at `location`.
pub fn open(location: &Location) -> StoreResult<std::sync::Arc<dyn Database>> {
    Ok(match location {
        Location::Sqlite(path) => std::sync::Arc::new(SqliteDatabase::open(path)?),
        Location::Postgres(url) => std::sync::Arc::new(PostgresDatabase::open(url)?),
    })
}

use lgota_protocol::{WireEvent, WireRecord, WireTrainingResult};

use crate::report::{MonthlySummary, Overview, TrendCounts};

/// A storage failure, whatever the backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Another writer held the database past the backend's wait; trying again may succeed.
    #[error("база данных занята: {0}")]
    Busy(String),
    /// Stored data that cannot be read back (or a value that could not be encoded for storage).
    #[error("повреждённые данные: {0}")]
    Corrupt(String),
    /// A write the database refused: a constraint, or an append-only table's update or delete.
    #[error("база данных отказала в записи: {0}")]
    Constraint(String),
    /// A branch id that is not among the branches.
    #[error("неизвестный филиал «{0}»")]
    UnknownBranch(String),
    /// The schema could not be brought up to date.
    #[error("миграция базы данных: {0}")]
    Migration(String),
    /// The database was brought to a newer schema than this build knows: it is left untouched.
    #[error(
        "схема базы данных новее, чем знает эта версия сервера (в базе {found}, известно до {known}): \
         обновите lgota-central"
    )]
    SchemaTooNew { found: u32, known: u32 },
    /// A backup to a file is not what this backend offers: PostgreSQL is backed up by its own
    /// tools (`pg_dump`, docs/deploy.md).
    #[error(
        "резервная копия в файл делается только для базы SQLite; базу PostgreSQL копируйте \
         средствами PostgreSQL: pg_dump (см. docs/deploy.md)"
    )]
    FileBackupUnsupported,
    /// The database server could not be reached, or its connection closed mid-request (it was
    /// restarted, say): trying again later may succeed.
    #[error("база данных недоступна: {0}")]
    Unavailable(String),
    /// Any other failure of the backend.
    #[error("база данных: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Every trait of the store, for callers that hold a concrete backend (`SqliteDatabase`) rather
/// than a `dyn Database`: `use lgota_central::store::prelude::*;`.
pub mod prelude {
    pub use super::{
        AdminStore, BackupStore, Database, DeviceStore, FigureStore, RecordStore, ReferenceStore, RetentionStore,
        TrainingStore,
    };
}

/// Records as phones push them (the intake): stored once by id, conflicts kept aside, and the
/// database identity phones compare.
pub trait RecordStore: Send + Sync {
    /// The database's identity, created with it (migration 007).
    fn server_id(&self) -> StoreResult<String>;
    /// Stores each record once by id, all in one transaction; already known ids count as
    /// duplicates and change nothing.
    fn store_records(&self, records: &[WireRecord], received_at_ms: i64) -> StoreResult<StoreOutcome>;
    fn record(&self, id: &str) -> StoreResult<Option<StoredRecord>>;
    fn record_count(&self) -> StoreResult<u64>;
    /// Whether a record with this id is stored.
    fn has_record(&self, id: &str) -> StoreResult<bool>;
    /// Same ids with other content, newest first.
    fn conflicts(&self, limit: u32) -> StoreResult<Vec<Conflict>>;
    /// Records stored with a clock flag (dated > 24 h after receipt or before 2025), newest first.
    fn clock_flagged(&self, limit: u32) -> StoreResult<Vec<StoredRecord>>;
}

/// Phones and their enrollment: one-time codes, tokens, revocation, what a phone last reported.
pub trait DeviceStore: Send + Sync {
    fn insert_enrollment_code(
        &self,
        code_sha256: &str,
        branch_id: &str,
        issuer: &CodeIssuer,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()>;
    /// Uses a code once: creates the device (or gives an existing, unrevoked one a new token).
    /// The same device repeating the same valid code with the same secret gets a new token in
    /// place of the one the first answer carried. Moving a device to another branch needs an
    /// administrator's code and is written to the audit log in the same transaction.
    fn enroll(&self, attempt: &EnrollAttempt) -> StoreResult<EnrollOutcome>;
    fn device_by_token(&self, token_sha256: &str) -> StoreResult<Option<Device>>;
    fn device(&self, id: &str) -> StoreResult<Option<Device>>;
    fn devices(&self) -> StoreResult<Vec<Device>>;
    /// `false` if no such device; a revoked device keeps its first revocation time.
    fn revoke_device(&self, id: &str, now_ms: i64) -> StoreResult<bool>;
    fn touch_device(&self, id: &str, now_ms: i64) -> StoreResult<()>;
    /// Notes what a phone reported at its pull: records still unsent.
    fn note_pending(&self, id: &str, pending: u64) -> StoreResult<()>;
    /// Replaces what a phone last reported of itself (`devices.report`).
    fn note_report(&self, id: &str, report: &DeviceReport) -> StoreResult<()>;
    /// Notes a push and, when the phone said what its clock read, how far off it is.
    fn note_push(&self, id: &str, now_ms: i64, clock_skew_ms: Option<i64>) -> StoreResult<()>;
    /// The public key the device signs its export files with (base64url), if one is registered.
    fn signing_key(&self, id: &str) -> StoreResult<Option<String>>;
    /// Registers `key` for the device: with `replace` (enrollment) in place of any earlier one,
    /// without it (a sync's report) only if none is registered. `true` if the key changed.
    fn set_signing_key(&self, id: &str, key: &str, now_ms: i64, replace: bool) -> StoreResult<bool>;
}

/// What the central office publishes and names: branches, the reference documents (config and
/// content), events (published and started on phones), content packs uploaded for publication.
pub trait ReferenceStore: Send + Sync {
    /// Adds branches, or renames known ones to the names given.
    fn add_branches(&self, branches: &[(String, String)]) -> StoreResult<()>;
    fn branches(&self) -> StoreResult<Vec<(String, String)>>;
    /// Replaces a reference document if `version` is newer than the one kept; `false` otherwise.
    fn set_reference(&self, name: ReferenceName, version: u32, body: &str) -> StoreResult<bool>;
    fn reference(&self, name: ReferenceName) -> StoreResult<Option<(u32, String)>>;
    /// Publishes an event; returns its cursor position.
    fn add_event(&self, event: &WireEvent, now_ms: i64) -> StoreResult<i64>;
    /// Events of a branch after `cursor`, oldest first, at most `limit`, with their positions.
    fn events_after(&self, branch_id: &str, cursor: i64, limit: u32) -> StoreResult<Vec<(i64, WireEvent)>>;
    /// Events newest date first; of one branch if given; at most `limit`.
    fn events(&self, branch_id: Option<&str>, limit: u32) -> StoreResult<Vec<EventRow>>;
    fn event(&self, id: &str) -> StoreResult<Option<EventRow>>;
    /// Events started on phones (never published), the newest first.
    fn phone_events(&self, limit: u32) -> StoreResult<Vec<WireEvent>>;
    /// One event started on a phone, as the phone named it.
    fn phone_event(&self, id: &str) -> StoreResult<Option<WireEvent>>;
    fn add_content_upload(&self, upload: &ContentUpload, body: &str) -> StoreResult<()>;
    /// The newest first.
    fn content_uploads(&self, limit: u32) -> StoreResult<Vec<ContentUpload>>;
    fn content_upload(&self, id: &str) -> StoreResult<Option<(ContentUpload, String)>>;
    fn mark_content_published(&self, id: &str, now_ms: i64) -> StoreResult<()>;
    /// Adds a release of the phones' app (`release.seq` is ignored) with its file; returns its
    /// position. Only the two newest releases keep their file.
    fn add_app_release(&self, release: &AppRelease, apk: &[u8]) -> StoreResult<i64>;
    /// The newest releases first, without their files.
    fn app_releases(&self, limit: u32) -> StoreResult<Vec<AppRelease>>;
    /// The file of a release, if it is still kept.
    fn app_apk(&self, seq: i64) -> StoreResult<Option<Vec<u8>>>;
}

/// The dashboard's users, their sessions, and the append-only audit log of what they did.
pub trait AdminStore: Send + Sync {
    /// Creates or replaces a dashboard user; `true` if it is new. Replacing ends their sessions.
    fn put_admin(&self, admin: &Admin, now_ms: i64) -> StoreResult<bool>;
    /// The user of `login`, disabled or not.
    fn admin(&self, login: &str) -> StoreResult<Option<Admin>>;
    /// Every user, by login.
    fn admins(&self) -> StoreResult<Vec<Admin>>;
    /// Disables (ending their sessions in the same transaction) or enables a user; never the
    /// last enabled administrator ([`AdminChange::LastAdmin`]).
    fn set_admin_disabled(&self, login: &str, disabled: bool, now_ms: i64) -> StoreResult<AdminChange>;
    /// Grants (`true`) or takes back a branch head's access to the individual records of their
    /// branch ([`Admin::records`]); [`AdminChange::NotApplicable`] for another role,
    /// [`AdminChange::Unchanged`] when it already was so. Sessions stay: every request reads the
    /// user afresh, so the change applies from the next request.
    fn set_records_access(&self, login: &str, granted: bool) -> StoreResult<AdminChange>;
    /// Removes a user and their sessions; never the last enabled administrator.
    fn remove_admin(&self, login: &str) -> StoreResult<AdminChange>;
    /// Stores a session (and drops expired ones).
    fn create_session(
        &self,
        token_sha256: &str,
        login: &str,
        csrf_token: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()>;
    /// The user and CSRF token of an unexpired session of an enabled user.
    fn session(&self, token_sha256: &str, now_ms: i64) -> StoreResult<Option<(Admin, String)>>;
    fn delete_session(&self, token_sha256: &str) -> StoreResult<()>;
    fn audit(&self, at_ms: i64, login: &str, action: &str, detail: &str) -> StoreResult<()>;
    /// The newest entries first, older than `before_id` if given.
    fn audit_log(&self, before_id: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    /// Lets a sign-in attempt of `keys` (a login's and an address's) through, counting it as a
    /// failure of each key before its password is checked, unless a key must still wait — one
    /// transaction, so every server process on the database sees the same back-off. Failures
    /// older than the rule's memory are forgotten (and their rows dropped).
    fn reserve_sign_in(&self, keys: &[String], now_ms: i64, rule: &BackoffRule) -> StoreResult<Reservation>;
    /// Takes a reserved attempt back (not checked, or a success): each key loses the failure
    /// (its wait too, if nothing came after); `forget_first` drops the first key altogether (a
    /// success forgives the login).
    fn forgive_sign_in(&self, reserved: &[ReservedKey], forget_first: bool) -> StoreResult<()>;
    /// Drops the back-off of every key (a login, an address) whose last failure was before
    /// `before_ms` and that need not wait any more, leaving no copy where the backend can help it
    /// (the retention pass: addresses are kept no longer than the back-off needs them); how many.
    fn forget_sign_ins(&self, before_ms: i64) -> StoreResult<u64>;
}

/// The figures over valid checks (see the module's contract) and the lists behind them.
pub trait FigureStore: Send + Sync {
    /// Totals of valid checks (kind = check, not voided, not training) matching `filter`.
    fn overview(&self, filter: &RecordFilter) -> StoreResult<Overview>;
    /// How many valid checks (as in [`Overview::total`]) match `filter`.
    fn check_count(&self, filter: &RecordFilter) -> StoreResult<u64>;
    /// Valid checks matching the filter in each of `buckets` (`(from_ms inclusive, to_ms
    /// exclusive)`, computed by the caller in the institution's zone), each cut to the filter's
    /// period; one entry per bucket, in order.
    fn trend(&self, filter: &RecordFilter, buckets: &[(i64, i64)]) -> StoreResult<Vec<TrendCounts>>;
    /// Valid checks matching the filter per month and branch; `months` are `(month number,
    /// from_ms inclusive, to_ms exclusive)`, the months' bounds in the institution's time zone
    /// (computed by the caller, so any zone's clock changes are right). Ordered by month, then
    /// branch id. Months and branches without checks are absent.
    fn monthly_summary(&self, filter: &RecordFilter, months: &[(u32, i64, i64)]) -> StoreResult<Vec<MonthlySummary>>;
    /// The valid checks matching `filter`, newest first (by `created_at_ms`, then id), at most
    /// `limit`, only those before the `before` key `(created_at_ms, id)` if given (keyset paging).
    fn checks_page(
        &self,
        filter: &RecordFilter,
        before: Option<&(i64, String)>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>>;
    /// Checks and voids made in the filter's period (and branch), oldest first (with `limit`:
    /// only the newest `limit`, newest first), each with whether it (a check) has been voided.
    /// `category_id` filters checks only.
    fn export_records(&self, filter: &RecordFilter, limit: Option<u32>) -> StoreResult<Vec<(StoredRecord, bool)>>;
    /// How many rows [`FigureStore::export_records`] without a limit would give.
    fn export_count(&self, filter: &RecordFilter) -> StoreResult<u64>;
    /// The rows of [`FigureStore::export_records`] without a limit, in the same order, handed to
    /// `visit` in chunks of at most `chunk` (memory stays flat whatever the period; no
    /// connection is held between chunks). `visit` returns `false` to stop early.
    fn export_each(
        &self,
        filter: &RecordFilter,
        chunk: u32,
        visit: &mut dyn FnMut(Vec<(StoredRecord, bool)>) -> StoreResult<bool>,
    ) -> StoreResult<()>;
}

/// Backups (issue 14): a consistent copy while others keep reading and writing, and a note of
/// each one made. Restoring works on files, with the server stopped: [`inspect_file`],
/// [`put_in_place`]. PostgreSQL answers [`BackupStore::backup_to`] with
/// [`StoreError::FileBackupUnsupported`]: it is backed up with `pg_dump` (docs/deploy.md).
pub trait BackupStore: Send + Sync {
    /// Writes a consistent copy of the whole database to `to`, which must not exist, without
    /// holding up the intake; then checks the copy ([`inspect_file`]).
    fn backup_to(&self, to: &std::path::Path) -> StoreResult<FileCheck>;
    fn note_backup(&self, note: &BackupNote) -> StoreResult<()>;
    /// The newest backup noted.
    fn last_backup(&self) -> StoreResult<Option<BackupNote>>;
    /// Whether backups are this server's copies of its file ([`BackupStore::backup_to`]), as on
    /// SQLite; PostgreSQL's are made by its own tools, which the server neither runs nor sees.
    fn makes_file_backups(&self) -> bool {
        true
    }
    /// A new identity for a database put back from a copy, so that every phone sends again all
    /// it holds at its next sync; servers running on the database answer with it within
    /// [`IDENTITY_FRESH`]. The new identity.
    fn renew_identity(&self, now_ms: i64) -> StoreResult<String>;
}

/// Retention (issue 16, 152-ФЗ): what is no longer needed is removed, in the few controlled ways
/// below, each in one transaction; nothing else may update or delete records, their conflicts or
/// the audit log (contract 6). No method changes a figure (contract 9).
pub trait RetentionStore: Send + Sync {
    /// Empties one free-text field of a stored record (`note` → none, `staff_label` → empty) and
    /// notes the redaction (without the removed text) in the same transaction; the field is also
    /// emptied in the conflicting versions of that id kept aside. The backend must leave no copy
    /// of the removed text in its files where it can help it (SQLite: `secure_delete`, then a
    /// checkpoint that truncates the WAL). Every other column stays as it was.
    fn redact_record(
        &self,
        record_id: &str,
        field: RedactField,
        at_ms: i64,
        by_login: &str,
        actor: &str,
        reason: &str,
    ) -> StoreResult<RedactOutcome>;
    /// Redactions, the newest first: of one record if given; at most `limit`.
    fn redactions(&self, record_id: Option<&str>, limit: u32) -> StoreResult<Vec<Redaction>>;
    /// Removes the records made in `year`'s period (`[from_ms, to_ms)` of `created_at_ms`) — all
    /// or none: [`PurgeOutcome::NotArchived`] when one of them is not in `archived` (the ids the
    /// verified archive holds). Voids of checks made before the period that are still stored stay
    /// (counted in `voids_kept`); conflicting versions of removed ids go with them. The count
    /// tables are not touched. Notes `year` (a second purge of it: [`PurgeOutcome::AlreadyPurged`]);
    /// from then on [`RecordStore::store_records`] acknowledges without storing any record made
    /// in the period.
    fn purge_year(&self, year: &PurgedYear, archived: &std::collections::HashSet<String>) -> StoreResult<PurgeOutcome>;
    /// The purged years, oldest first.
    fn purged_years(&self) -> StoreResult<Vec<PurgedYear>>;
    /// Audit entries made before `before_ms` with one of `blanks`' actions get that blank's
    /// detail (and login, if given); entries already blanked are left alone. How many changed.
    fn blank_audit(&self, before_ms: i64, blanks: &[AuditBlank]) -> StoreResult<u64>;
    /// Removes audit entries made before `before_ms`; how many.
    fn delete_audit_before(&self, before_ms: i64) -> StoreResult<u64>;
}

/// Training results phones send (protocol 3, issue 16): the evidence that staff were trained.
/// Apart from the records: never in a figure, a count or an export of records.
pub trait TrainingStore: Send + Sync {
    /// Stores each result once by id, all in one transaction, answering each in order: stored;
    /// [`StoreStatus::Duplicate`] for the same id with the same content; [`StoreStatus::Conflict`]
    /// for the same id with other content (the first version stays, the later one is dropped).
    /// Storing the same batch twice changes nothing.
    fn store_training(&self, results: &[WireTrainingResult], received_at_ms: i64) -> StoreResult<Vec<StoreStatus>>;
    /// Results, the latest finished first (then by id, descending); of one branch if given; at
    /// most `limit`.
    fn training_results(&self, branch_id: Option<&str>, limit: u32) -> StoreResult<Vec<TrainingRow>>;
}

/// The whole store: every trait above. Implemented for every type that implements them all.
pub trait Database:
    RecordStore
    + DeviceStore
    + ReferenceStore
    + AdminStore
    + FigureStore
    + BackupStore
    + RetentionStore
    + TrainingStore
    + 'static
{
}

impl<T> Database for T where
    T: RecordStore
        + DeviceStore
        + ReferenceStore
        + AdminStore
        + FigureStore
        + BackupStore
        + RetentionStore
        + TrainingStore
        + 'static
{
}

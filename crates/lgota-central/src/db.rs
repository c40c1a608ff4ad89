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
    M::up(include_str!("../migrations/004_dashboard_speed.sql")),
    M::up(include_str!("../migrations/005_event_counts.sql")),
    M::up(include_str!("../migrations/006_phone_events.sql")),
    M::up(include_str!("../migrations/007_intake.sql")),
    M::up(include_str!("../migrations/008_enrollment_retry.sql")),
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
    /// The phone's clock minus the server's at its last push (ms), when the phone said.
    pub clock_skew_ms: Option<i64>,
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

/// Who issued an enrollment code: an administrator's code may move a phone enrolled in another
/// branch, a branch head's may not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeIssuer {
    /// The dashboard login, or `cli:<user>` from the command line.
    pub login: String,
    pub admin: bool,
}

impl CodeIssuer {
    pub fn admin(login: &str) -> CodeIssuer {
        CodeIssuer { login: login.to_string(), admin: true }
    }

    pub fn branch_head(login: &str) -> CodeIssuer {
        CodeIssuer { login: login.to_string(), admin: false }
    }
}

/// One enrollment attempt, secrets already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollAttempt<'a> {
    pub code_sha256: &'a str,
    pub device_id: &'a str,
    /// SHA-256 of the secret the phone chose for this enrollment, if it sent one.
    pub secret_sha256: Option<&'a str>,
    /// SHA-256 of the new token.
    pub token_sha256: &'a str,
    pub now_ms: i64,
}

/// What became of an enrollment attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollOutcome {
    /// A new token for the device in `branch_id`; `retry` when it repeats an enrollment whose
    /// answer was lost (same code, device and secret); `moved_from` when an administrator's code
    /// moved the device from another branch (audited).
    Enrolled {
        branch_id: String,
        branch_name: String,
        retry: bool,
        moved_from: Option<String>,
    },
    UnknownCode,
    Expired,
    Used,
    DeviceRevoked,
    /// A branch head's code for a device enrolled in another branch (named): nothing changed, the
    /// code stays unused.
    EnrolledElsewhere {
        branch_name: String,
    },
}

/// What the store made of one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreStatus {
    Stored,
    /// The same id with the same content was there already.
    Duplicate,
    /// The same id with other content was there: this version is kept in `record_conflicts`.
    Conflict,
    /// A void of a stored record of another device: not stored.
    VoidTargetForeign,
    /// A void of a stored void: not stored.
    VoidTargetNotCheck,
}

/// What became of one batch insert: a status per record, in order, and the counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    pub stored: u32,
    pub duplicates: u32,
    pub conflicts: u32,
    pub statuses: Vec<StoreStatus>,
}

/// A record id that arrived again with other content (`record_conflicts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub seq: i64,
    /// The version stored first (counted), if it is still there.
    pub stored: Option<StoredRecord>,
    /// The later version, as it arrived.
    pub arrived: WireRecord,
    pub received_at_ms: i64,
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

/// Which checks a figure, the records page or an export covers. `branch_id` set by the HTTP
/// layer to a branch head's own branch whatever they asked for; it becomes part of the SQL
/// `WHERE`. Every field is a bound parameter, never SQL text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Inclusive, UTC ms.
    pub from_ms: i64,
    /// Exclusive, UTC ms.
    pub to_ms: i64,
    pub branch_id: Option<String>,
    /// `Some("")`: checks without a category (the overview's key for them).
    pub category_id: Option<String>,
    /// `Some("")`: checks made at no event (the overview's key for them).
    pub event_id: Option<String>,
    pub method: Option<Method>,
    pub outcome: Option<Outcome>,
    pub failure_reason_id: Option<String>,
    pub granted: Option<bool>,
    /// Received more than [`OFFLINE_AFTER_MS`] after it was made.
    pub offline: Option<bool>,
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
    /// The [`TOP_EVENTS`] events with the most checks (most first), then `""`: the checks made at
    /// no event. Zero counts are left out.
    pub by_event: Vec<(String, u64)>,
    /// Events with checks in the period beyond those of `by_event`.
    pub more_events: u64,
    pub granted: u64,
    pub refused: u64,
}

/// How many events the overview names.
pub const TOP_EVENTS: usize = 15;

/// Valid checks (as in [`Overview`]) of one stretch of the trend.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TrendCounts {
    pub checks: u64,
    /// Method `digital_id`.
    pub digital_id: u64,
    /// Method `paper`.
    pub paper: u64,
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
    /// Adds branches, or renames known ones to the names given.
    fn add_branches(&self, branches: &[(String, String)]) -> DbResult<()>;
    fn branches(&self) -> DbResult<Vec<(String, String)>>;
    fn insert_enrollment_code(
        &self,
        code_sha256: &str,
        branch_id: &str,
        issuer: &CodeIssuer,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()>;
    /// Uses a code once: creates the device (or gives an existing, unrevoked one a new token).
    /// The same device repeating the same valid code with the same secret gets a new token in
    /// place of the one the first answer carried. Moving a device to another branch needs an
    /// administrator's code and is written to the audit log in the same transaction.
    fn enroll(&self, attempt: &EnrollAttempt) -> DbResult<EnrollOutcome>;
    fn device_by_token(&self, token_sha256: &str) -> DbResult<Option<Device>>;
    fn device(&self, id: &str) -> DbResult<Option<Device>>;
    fn devices(&self) -> DbResult<Vec<Device>>;
    /// `false` if no such device; a revoked device keeps its first revocation time.
    fn revoke_device(&self, id: &str, now_ms: i64) -> DbResult<bool>;
    fn touch_device(&self, id: &str, now_ms: i64) -> DbResult<()>;
    /// Notes what a phone reported at its pull: records still unsent.
    fn note_pending(&self, id: &str, pending: u64) -> DbResult<()>;
    /// Notes a push and, when the phone said what its clock read, how far off it is.
    fn note_push(&self, id: &str, now_ms: i64, clock_skew_ms: Option<i64>) -> DbResult<()>;
    /// The database's identity, created with it (migration 007).
    fn server_id(&self) -> DbResult<String>;
    /// Whether a record with this id is stored.
    fn has_record(&self, id: &str) -> DbResult<bool>;
    /// Same ids with other content, newest first.
    fn conflicts(&self, limit: u32) -> DbResult<Vec<Conflict>>;
    /// Records stored with a clock flag (dated > 24 h after receipt or before 2025), newest first.
    fn clock_flagged(&self, limit: u32) -> DbResult<Vec<StoredRecord>>;
    /// Events newest date first; of one branch if given; at most `limit`.
    fn events(&self, branch_id: Option<&str>, limit: u32) -> DbResult<Vec<EventRow>>;
    fn event(&self, id: &str) -> DbResult<Option<EventRow>>;

    /// Events started on phones (never published), the newest first.
    fn phone_events(&self, limit: u32) -> DbResult<Vec<WireEvent>>;
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
    /// Valid checks matching the filter per month and branch; `months` are `(month number,
    /// from_ms inclusive, to_ms exclusive)`, the months' bounds in the institution's time zone
    /// (computed by the caller, so any zone's clock changes are right). Ordered by month, then
    /// branch id. Months and branches without checks are absent.
    fn monthly_summary(&self, filter: &RecordFilter, months: &[(u32, i64, i64)]) -> DbResult<Vec<MonthlySummary>>;
    /// Valid checks matching the filter in each of `buckets` (`(from_ms inclusive, to_ms
    /// exclusive)`, computed by the caller in the institution's zone), each cut to the filter's
    /// period; one entry per bucket, in order.
    fn trend(&self, filter: &RecordFilter, buckets: &[(i64, i64)]) -> DbResult<Vec<TrendCounts>>;
    /// How many valid checks (as in [`Overview::total`]) match `filter`.
    fn check_count(&self, filter: &RecordFilter) -> DbResult<u64>;
    /// The valid checks matching `filter`, newest first (by `created_at_ms`, then id), at most
    /// `limit`, only those before the `before` key `(created_at_ms, id)` if given (keyset paging).
    fn checks_page(
        &self,
        filter: &RecordFilter,
        before: Option<&(i64, String)>,
        limit: u32,
    ) -> DbResult<Vec<StoredRecord>>;
}

/// Checks that count (not training, not voided), on table alias `r`.
const VALID_CHECK_SQL: &str =
    "r.training = 0 AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void' AND v.device_id = r.device_id)";

/// The `WHERE` of checks matching a filter, on table alias `r`, and its parameters.
fn check_filter_sql(filter: &RecordFilter) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = String::from("r.kind = 'check' AND r.created_at_ms >= ? AND r.created_at_ms < ?");
    let mut values = vec![Value::Integer(filter.from_ms), Value::Integer(filter.to_ms)];
    if let Some(branch) = &filter.branch_id {
        sql.push_str(" AND r.branch_id = ?");
        values.push(Value::Text(branch.clone()));
    }
    match filter.category_id.as_deref() {
        Some("") => sql.push_str(" AND r.category_id IS NULL"),
        Some(category) => {
            sql.push_str(" AND r.category_id = ?");
            values.push(Value::Text(category.to_string()));
        }
        None => {}
    }
    let mut text = |column: &str, value: Option<&str>| {
        if let Some(v) = value {
            sql.push_str(&format!(" AND r.{column} = ?"));
            values.push(Value::Text(v.to_string()));
        }
    };
    let event = filter.event_id.as_deref();
    text("event_id", event.filter(|e| !e.is_empty()));
    text("method", filter.method.map(Method::as_str));
    text("outcome", filter.outcome.map(Outcome::as_str));
    text("failure_reason_id", filter.failure_reason_id.as_deref());
    for (column, value) in [("granted", filter.granted), ("offline", filter.offline)] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND r.{column} = ?"));
            values.push(Value::Integer(i64::from(v)));
        }
    }
    if event == Some("") {
        sql.push_str(" AND r.event_id IS NULL");
    }
    (sql, values)
}

/// A combination of the overview's keys and its count: branch, method, outcome, category (""
/// for none), failure reason, granted, count.
pub type Combination = (String, String, String, String, Option<String>, bool, i64);

/// Folds counts per combination into the overview's figures (all but `by_event`).
pub fn fold_overview(combos: impl IntoIterator<Item = Combination>) -> Overview {
    use std::collections::BTreeMap;
    let mut o = Overview::default();
    let (mut branch, mut method, mut outcome, mut category, mut failure) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (b, m, out, c, f, granted, n) in combos {
        let n = match u64::try_from(n) {
            Ok(n) if n > 0 => n,
            _ => continue,
        };
        o.total += n;
        *branch.entry(b).or_insert(0) += n;
        *method.entry(m).or_insert(0) += n;
        *outcome.entry(out).or_insert(0) += n;
        *category.entry(c).or_insert(0) += n;
        if let Some(f) = f {
            *failure.entry(f).or_insert(0) += n;
        }
        if granted {
            o.granted += n;
        } else {
            o.refused += n;
        }
    }
    let sorted = |map: BTreeMap<String, u64>| {
        let mut list: Vec<(String, u64)> = map.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        list
    };
    o.by_branch = sorted(branch);
    o.by_method = sorted(method);
    o.by_outcome = sorted(outcome);
    o.by_category = sorted(category);
    o.by_failure_reason = sorted(failure);
    o
}

/// The overview's `by_event` and `more_events` from the checks of each event (`counts`) and the
/// total: the [`TOP_EVENTS`] largest (ties by id), then the checks made at no event.
pub fn top_events(counts: impl IntoIterator<Item = (String, i64)>, total: u64) -> (Vec<(String, u64)>, u64) {
    let mut list: Vec<(String, u64)> =
        counts.into_iter().filter_map(|(e, n)| Some((e, u64::try_from(n).ok().filter(|n| *n > 0)?))).collect();
    let at_events: u64 = list.iter().map(|(_, n)| n).sum();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let more = list.len().saturating_sub(TOP_EVENTS) as u64;
    list.truncate(TOP_EVENTS);
    let none = total.saturating_sub(at_events);
    if none > 0 {
        list.push((String::new(), none));
    }
    (list, more)
}

const DAY_MS: i64 = 86_400_000;

/// Where the counts of a stretch of time come from: whole UTC months or days of the
/// `check_counts` table, or the records themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Months,
    Days,
    Records,
}

/// The first millisecond of the UTC month holding `t`.
fn month_floor(t: i64) -> i64 {
    use chrono::Datelike;
    let day = chrono::DateTime::from_timestamp_millis(t).unwrap_or_default().date_naive();
    day.with_day(1).unwrap_or(day).and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis()
}

/// The first millisecond of the UTC month after the one holding `t`.
fn month_next(t: i64) -> i64 {
    month_floor(month_floor(t) + 32 * DAY_MS)
}

/// The nearer of the two bucket starts around `t`.
fn nearest(t: i64, floor: i64, next: i64) -> i64 {
    if t - floor <= next - t {
        floor
    } else {
        next
    }
}

/// `[from, to)` as signed stretches whose counts add up to exactly the period's: whole months
/// and days of `check_counts` and, at the uneven ends, the records themselves. Each end is
/// moved to the nearest day start and the days between to the nearest month start; what the
/// move added is taken away (sign −1), what it left out is added (+1). So a period costs at most
/// its months, ~15 days a side and half a day of records a side, whatever the time zone.
pub fn pieces(from: i64, to: i64) -> Vec<(Source, i64, i64, i64)> {
    let mut out = Vec::new();
    if from >= to {
        return out;
    }
    let day = |t: i64| nearest(t, t.div_euclid(DAY_MS) * DAY_MS, (t.div_euclid(DAY_MS) + 1) * DAY_MS);
    let (a, b) = (day(from), day(to));
    if a >= b {
        out.push((Source::Records, from, to, 1));
        return out;
    }
    let edge = |out: &mut Vec<_>, source, x: i64, y: i64, sign: i64| match x.cmp(&y) {
        std::cmp::Ordering::Less => out.push((source, x, y, sign)),
        std::cmp::Ordering::Greater => out.push((source, y, x, -sign)),
        std::cmp::Ordering::Equal => {}
    };
    edge(&mut out, Source::Records, from, a, 1);
    edge(&mut out, Source::Records, b, to, 1);
    let month = |t: i64| nearest(t, month_floor(t), month_next(t));
    let (ma, mb) = (month(a), month(b));
    if ma >= mb {
        out.push((Source::Days, a, b, 1));
    } else {
        out.push((Source::Months, ma, mb, 1));
        edge(&mut out, Source::Days, a, ma, 1);
        edge(&mut out, Source::Days, mb, b, 1);
    }
    out
}

/// The `WHERE` of `check_counts` or `event_counts` rows (alias `c`) of a level matching a
/// filter; an event id (not `""`) only for `event_counts`.
fn counts_filter_sql(filter: &RecordFilter, level: &str) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = String::from("c.level = ? AND c.bucket_ms >= ? AND c.bucket_ms < ?");
    let mut values = vec![Value::Text(level.into()), Value::Integer(filter.from_ms), Value::Integer(filter.to_ms)];
    let mut text = |column: &str, value: Option<&str>| {
        if let Some(v) = value {
            sql.push_str(&format!(" AND c.{column} = ?"));
            values.push(Value::Text(v.to_string()));
        }
    };
    text("branch_id", filter.branch_id.as_deref());
    text("event_id", filter.event_id.as_deref().filter(|e| !e.is_empty()));
    text("category_id", filter.category_id.as_deref());
    text("method", filter.method.map(Method::as_str));
    text("outcome", filter.outcome.map(Outcome::as_str));
    text("failure_reason_id", filter.failure_reason_id.as_deref());
    for (column, value) in [("granted", filter.granted), ("offline", filter.offline)] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND c.{column} = ?"));
            values.push(Value::Integer(i64::from(v)));
        }
    }
    (sql, values)
}

/// The overview's keys of a valid check: branch, method, outcome, category ("" for none),
/// failure reason, granted.
type ComboKey = (String, String, String, String, Option<String>, bool);

/// Which counts a query reads: all valid checks, or those made at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counts {
    Checks,
    AtEvents,
}

/// Valid checks matching `filter` counted per combination of the overview's keys, read from
/// whole months and days of the maintained counts and the records of the period's uneven ends:
/// `check_counts` without an event filter, `event_counts` for one event, their difference for
/// checks at no event.
fn combos(conn: &Connection, filter: &RecordFilter) -> DbResult<std::collections::HashMap<ComboKey, i64>> {
    match filter.event_id.as_deref() {
        None => counted(conn, filter, Counts::Checks, Group::Combos, |row| {
            Ok(((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?), row.get(6)?))
        }),
        Some("") => {
            let any = RecordFilter { event_id: None, ..filter.clone() };
            let mut all = combos(conn, &any)?;
            for (key, n) in combos_at_events(conn, &any)? {
                *all.entry(key).or_default() -= n;
            }
            all.retain(|_, n| *n != 0);
            Ok(all)
        }
        Some(_) => combos_at_events(conn, filter),
    }
}

fn combos_at_events(conn: &Connection, filter: &RecordFilter) -> DbResult<std::collections::HashMap<ComboKey, i64>> {
    counted(conn, filter, Counts::AtEvents, Group::Combos, |row| {
        Ok(((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?), row.get(6)?))
    })
}

/// Valid checks at each event matching `filter` (no event filter or one event).
fn per_event(conn: &Connection, filter: &RecordFilter) -> DbResult<std::collections::HashMap<String, i64>> {
    counted(conn, filter, Counts::AtEvents, Group::Event, |row| Ok((row.get(0)?, row.get(1)?)))
}

/// What [`counted`] groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// The overview's keys: branch, method, outcome, category, failure reason, granted.
    Combos,
    /// The event (with [`Counts::AtEvents`] only).
    Event,
    /// The method (the trend's parts).
    Method,
}

/// Valid checks matching `filter` per method, as [`combos`] reads them.
fn per_method(conn: &Connection, filter: &RecordFilter) -> DbResult<std::collections::HashMap<String, i64>> {
    let read = |row: &Row| Ok((row.get(0)?, row.get(1)?));
    match filter.event_id.as_deref() {
        None => counted(conn, filter, Counts::Checks, Group::Method, read),
        Some("") => {
            let any = RecordFilter { event_id: None, ..filter.clone() };
            let mut all = counted(conn, &any, Counts::Checks, Group::Method, read)?;
            for (key, n) in counted(conn, &any, Counts::AtEvents, Group::Method, read)? {
                *all.entry(key).or_default() -= n;
            }
            Ok(all)
        }
        Some(_) => counted(conn, filter, Counts::AtEvents, Group::Method, read),
    }
}

/// Sums the counts of `filter`'s pieces grouped as `group` says; `row` reads a key and its count.
fn counted<K: std::hash::Hash + Eq>(
    conn: &Connection,
    filter: &RecordFilter,
    counts: Counts,
    group: Group,
    row: impl Fn(&Row) -> rusqlite::Result<(K, i64)>,
) -> DbResult<std::collections::HashMap<K, i64>> {
    let (record_keys, count_keys, group) = match group {
        Group::Event => ("r.event_id", "c.event_id", "1"),
        Group::Method => ("r.method", "c.method", "1"),
        Group::Combos => (
            "r.branch_id, r.method, r.outcome, COALESCE(r.category_id, ''), r.failure_reason_id, r.granted",
            "c.branch_id, c.method, c.outcome, c.category_id, NULLIF(c.failure_reason_id, ''), c.granted",
            "1, 2, 3, 4, 5, 6",
        ),
    };
    let (table, at_events) = match counts {
        Counts::Checks => ("check_counts", ""),
        Counts::AtEvents => ("event_counts", " AND r.event_id IS NOT NULL"),
    };
    let mut out = std::collections::HashMap::new();
    for (source, from_ms, to_ms, sign) in pieces(filter.from_ms, filter.to_ms) {
        let f = RecordFilter { from_ms, to_ms, ..filter.clone() };
        let (sql, values) = match source {
            Source::Records => {
                let (w, v) = check_filter_sql(&f);
                let sql = format!(
                    "SELECT {record_keys}, COUNT(*) FROM records r INDEXED BY records_check_time
                     WHERE {w}{at_events} AND {VALID_CHECK_SQL} GROUP BY {group}"
                );
                (sql, v)
            }
            Source::Days | Source::Months => {
                let (w, v) = counts_filter_sql(&f, if source == Source::Days { "d" } else { "m" });
                (format!("SELECT {count_keys}, SUM(c.n) FROM {table} c WHERE {w} GROUP BY {group}"), v)
            }
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        while let Some(r) = rows.next()? {
            let (key, n) = row(r)?;
            *out.entry(key).or_default() += sign * n;
        }
    }
    Ok(out)
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

/// Opens (creating if needed) `path` as the phone does its log: WAL, `synchronous=FULL` (a
/// committed write survives a crash or a power cut), foreign keys on, a 5 s busy timeout, and
/// `migrations` applied.
fn sqlite_open(path: impl AsRef<Path>, migrations: &'static [M<'static>]) -> DbResult<Connection> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    rusqlite_migration::Migrations::from_slice(migrations).to_latest(&mut conn)?;
    Ok(conn)
}

pub struct SqliteDatabase {
    conn: Mutex<Connection>,
    /// Read once at open: it never changes for the life of the file.
    server_id: String,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> DbResult<SqliteDatabase> {
        let conn = sqlite_open(path, MIGRATIONS)?;
        let server_id = conn.query_row("SELECT server_id FROM server_identity", [], |r| r.get(0))?;
        Ok(SqliteDatabase { conn: Mutex::new(conn), server_id })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written: transactions roll back.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

const DEVICE_COLUMNS: &str =
    "id, branch_id, enrolled_at, revoked_at, last_seen_at, pending, last_push_at, clock_skew_ms";

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
        // Kept once per event in `phone_events`, not on every record.
        event_title: None,
        event_date: None,
    };
    Ok(StoredRecord { record, received_at_ms: row.get(19)?, offline: row.get(20)? })
}

impl Database for SqliteDatabase {
    fn add_branches(&self, branches: &[(String, String)]) -> DbResult<()> {
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
        issuer: &CodeIssuer,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> DbResult<()> {
        let conn = self.conn();
        let known: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [branch_id], |r| r.get(0))?;
        if !known {
            return Err(DbError::UnknownBranch(branch_id.to_string()));
        }
        let role = if issuer.admin { "admin" } else { "branch_head" };
        conn.execute(
            "INSERT INTO enrollment_codes (code_sha256, branch_id, created_at, expires_at, issuer_role, issued_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![code_sha256, branch_id, now_ms, expires_at_ms, role, issuer.login],
        )?;
        Ok(())
    }

    fn enroll(&self, a: &EnrollAttempt) -> DbResult<EnrollOutcome> {
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
        let branch_name = |id: &str| -> DbResult<String> {
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

    fn note_push(&self, id: &str, now_ms: i64, clock_skew_ms: Option<i64>) -> DbResult<()> {
        self.conn().execute(
            "UPDATE devices SET last_push_at = MAX(COALESCE(last_push_at, 0), ?2),
                 clock_skew_ms = COALESCE(?3, clock_skew_ms)
             WHERE id = ?1",
            params![id, now_ms, clock_skew_ms],
        )?;
        Ok(())
    }

    fn server_id(&self) -> DbResult<String> {
        Ok(self.server_id.clone())
    }

    fn has_record(&self, id: &str) -> DbResult<bool> {
        Ok(self.conn().query_row("SELECT EXISTS (SELECT 1 FROM records WHERE id = ?1)", [id], |r| r.get(0))?)
    }

    fn conflicts(&self, limit: u32) -> DbResult<Vec<Conflict>> {
        let conn = self.conn();
        let rows: Vec<(i64, String, i64)> = conn
            .prepare("SELECT seq, body, received_at_ms FROM record_conflicts ORDER BY seq DESC LIMIT ?1")?
            .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut stmt = conn.prepare(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?;
        let mut out = Vec::with_capacity(rows.len());
        for (seq, body, received_at_ms) in rows {
            let arrived: WireRecord = serde_json::from_str(&body).map_err(|e| DbError::Corrupt(e.to_string()))?;
            let stored = match stmt.query([&arrived.id])?.next()? {
                Some(row) => Some(record_from_row(row)?),
                None => None,
            };
            out.push(Conflict { seq, stored, arrived, received_at_ms });
        }
        Ok(out)
    }

    fn clock_flagged(&self, limit: u32) -> DbResult<Vec<StoredRecord>> {
        let conn = self.conn();
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

    fn events(&self, branch_id: Option<&str>, limit: u32) -> DbResult<Vec<EventRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE ?1 IS NULL OR branch_id = ?1 ORDER BY date DESC, seq DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![branch_id, limit], event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn event(&self, id: &str) -> DbResult<Option<EventRow>> {
        let conn = self.conn();
        Ok(conn
            .query_row(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"), [id], event_from_row)
            .optional()?)
    }

    fn phone_events(&self, limit: u32) -> DbResult<Vec<WireEvent>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, title, date, branch_id FROM phone_events ORDER BY date DESC, first_seen_ms DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(WireEvent { id: r.get(0)?, title: r.get(1)?, date: r.get(2)?, branch_id: r.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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
        let mut outcome = StoreOutcome { statuses: Vec::with_capacity(records.len()), ..StoreOutcome::default() };
        {
            let mut insert = tx.prepare(&format!(
                "INSERT INTO records ({RECORD_COLUMNS}, clock_off)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)
                 ON CONFLICT(id) DO NOTHING"
            ))?;
            let mut existing = tx.prepare(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?;
            let mut target = tx.prepare("SELECT device_id, kind FROM records WHERE id = ?1")?;
            let mut conflict = tx.prepare(
                "INSERT INTO record_conflicts (id, device_id, received_at_ms, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id, body) DO NOTHING",
            )?;
            let mut name_event = tx.prepare(
                // A published event is named by its publication, whatever a phone calls it.
                "INSERT INTO phone_events (id, title, date, branch_id, first_seen_ms)
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = ?1)
                 ON CONFLICT(id) DO NOTHING",
            )?;
            let mut named_events = std::collections::HashSet::new();
            for r in records {
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
                    outcome.stored += 1;
                    outcome.statuses.push(StoreStatus::Stored);
                } else {
                    // The event's title and date describe the event, not the check: not compared.
                    let stored = existing.query_row([&r.id], |row| Ok(record_from_row(row)))??;
                    let arrived = WireRecord { event_title: None, event_date: None, ..r.clone() };
                    if stored.record == arrived {
                        outcome.duplicates += 1;
                        outcome.statuses.push(StoreStatus::Duplicate);
                    } else {
                        let body = serde_json::to_string(r).map_err(|e| DbError::Corrupt(e.to_string()))?;
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
        let mut stmt = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE branch_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
        ))?;
        let rows =
            stmt.query_map(params![branch_id, cursor, limit], |r| event_from_row(r).map(|e| (e.seq, e.event)))?;
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
        let combos = combos(&conn, filter)?;
        let mut o = fold_overview(combos.into_iter().map(|((b, m, o, c, f, g), n)| (b, m, o, c, f, g, n)));
        let events = match filter.event_id.as_deref() {
            // One event's (or no event's) checks are all of the figures.
            Some(e) => vec![(e.to_string(), i64::try_from(o.total).unwrap_or(i64::MAX))],
            None => per_event(&conn, filter)?.into_iter().collect(),
        };
        (o.by_event, o.more_events) = top_events(events, o.total);
        Ok(o)
    }

    fn trend(&self, filter: &RecordFilter, buckets: &[(i64, i64)]) -> DbResult<Vec<TrendCounts>> {
        let conn = self.conn();
        let mut out = Vec::with_capacity(buckets.len());
        for &(from_ms, to_ms) in buckets {
            let f =
                RecordFilter { from_ms: from_ms.max(filter.from_ms), to_ms: to_ms.min(filter.to_ms), ..filter.clone() };
            let mut t = TrendCounts::default();
            if f.from_ms < f.to_ms {
                for (method, n) in per_method(&conn, &f)? {
                    let Ok(n) = u64::try_from(n) else { continue };
                    t.checks += n;
                    match method.as_str() {
                        "digital_id" => t.digital_id += n,
                        "paper" => t.paper += n,
                        _ => {}
                    }
                }
            }
            out.push(t);
        }
        Ok(out)
    }

    fn export_records(&self, filter: &RecordFilter, limit: Option<u32>) -> DbResult<Vec<(StoredRecord, bool)>> {
        let conn = self.conn();
        let (check_sql, mut values) = check_filter_sql(filter);
        // Voids are listed by period and branch; a filter on what only checks have (category,
        // method, …) lists checks only.
        let period_branch = RecordFilter {
            from_ms: filter.from_ms,
            to_ms: filter.to_ms,
            branch_id: filter.branch_id.clone(),
            ..Default::default()
        };
        let (void_sql, void_values) = if *filter == period_branch {
            let (sql, values) = check_filter_sql(&period_branch);
            (sql.replacen("r.kind = 'check'", "r.kind = 'void'", 1), values)
        } else {
            ("r.kind = 'void' AND 0".to_string(), Vec::new())
        };
        values.extend(void_values.iter().cloned());
        let columns = RECORD_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ");
        let voided = "EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void' AND v.device_id = r.device_id) AS voided";
        let sql = match limit {
            // The newest few: each kind walks its time index backwards and stops early, instead
            // of sorting the whole period.
            Some(n) => {
                let checks = format!(
                    "SELECT * FROM (SELECT {columns}, {voided} FROM records r INDEXED BY records_check_time
                         WHERE {check_sql} ORDER BY r.created_at_ms DESC, r.id DESC LIMIT {n})"
                );
                if void_values.is_empty() {
                    checks
                } else {
                    format!(
                        "{checks} UNION ALL
                         SELECT * FROM (SELECT {columns}, {voided} FROM records r INDEXED BY records_void_time
                             WHERE {void_sql} ORDER BY r.created_at_ms DESC, r.id DESC LIMIT {n})
                         ORDER BY created_at_ms DESC, id DESC LIMIT {n}"
                    )
                }
            }
            None => format!(
                "SELECT {columns}, {voided} FROM records r WHERE ({check_sql}) OR ({void_sql})
                 ORDER BY r.created_at_ms, r.id"
            ),
        };
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let voided: bool = row.get(21)?;
            out.push((record_from_row(row)?, voided));
        }
        Ok(out)
    }

    fn monthly_summary(&self, filter: &RecordFilter, months: &[(u32, i64, i64)]) -> DbResult<Vec<MonthlySummary>> {
        let conn = self.conn();
        let mut out = Vec::new();
        for &(month, from_ms, to_ms) in months {
            let f =
                RecordFilter { from_ms: from_ms.max(filter.from_ms), to_ms: to_ms.min(filter.to_ms), ..filter.clone() };
            if f.from_ms >= f.to_ms {
                continue;
            }
            let mut branches: std::collections::BTreeMap<String, MonthlySummary> = Default::default();
            for ((branch, method, _, _, _, granted), n) in combos(&conn, &f)? {
                let Ok(n) = u64::try_from(n) else { continue };
                let s = branches.entry(branch.clone()).or_insert_with(|| MonthlySummary {
                    month,
                    branch_id: branch,
                    ..Default::default()
                });
                s.checks += n;
                match method.as_str() {
                    "digital_id" => s.digital_id += n,
                    "paper" => s.paper += n,
                    _ => {}
                }
                if granted {
                    s.granted += n;
                } else {
                    s.refused += n;
                }
            }
            out.extend(branches.into_values().filter(|s| s.checks > 0));
        }
        Ok(out)
    }

    fn check_count(&self, filter: &RecordFilter) -> DbResult<u64> {
        let conn = self.conn();
        // Grouped by method only: the fewest groups that still read the same counts.
        let total: i64 = per_method(&conn, filter)?.values().sum();
        Ok(u64::try_from(total).unwrap_or(0))
    }

    fn checks_page(
        &self,
        filter: &RecordFilter,
        before: Option<&(i64, String)>,
        limit: u32,
    ) -> DbResult<Vec<StoredRecord>> {
        let conn = self.conn();
        let (mut filter_sql, mut values) = check_filter_sql(filter);
        if let Some((at, id)) = before {
            filter_sql.push_str(" AND (r.created_at_ms < ? OR (r.created_at_ms = ? AND r.id < ?))");
            values.push(rusqlite::types::Value::Integer(*at));
            values.push(rusqlite::types::Value::Integer(*at));
            values.push(rusqlite::types::Value::Text(id.clone()));
        }
        values.push(rusqlite::types::Value::Integer(i64::from(limit)));
        let columns = RECORD_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ");
        // The index records_check_time is ordered by (created_at_ms, id): newest first needs no sort.
        let sql = format!(
            "SELECT {columns} FROM records r INDEXED BY records_check_time
             WHERE {filter_sql} AND {VALID_CHECK_SQL}
             ORDER BY r.created_at_ms DESC, r.id DESC LIMIT ?"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(record_from_row(row)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At any moment, the signs of the stretches holding it add up to 1 inside the period and
    /// 0 outside: the stretches count each record exactly once.
    #[test]
    fn pieces_cover_a_period_exactly_once() {
        let t0 = 1_767_225_600_000; // 2026-01-01 00:00 UTC
        let hour = 3_600_000;
        let mut periods = vec![(t0 - 3 * hour, t0 + 365 * DAY_MS - 3 * hour), (t0 + 5, t0 + 7), (t0, t0 + DAY_MS)];
        let mut x: u64 = 42;
        for _ in 0..300 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let from = t0 + (x >> 20) as i64 % (400 * DAY_MS);
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            periods.push((from, from + (x >> 20) as i64 % (500 * DAY_MS)));
        }
        for (from, to) in periods {
            let pieces = pieces(from, to);
            assert!(pieces.iter().filter(|p| p.0 == Source::Records).all(|p| p.2 - p.1 <= DAY_MS), "{pieces:?}");
            for t in [from - 1, from, from + 1, to - 1, to, (from + to) / 2, from + DAY_MS / 3, to - 40 * DAY_MS] {
                let covered: i64 = pieces.iter().filter(|p| p.1 <= t && t < p.2).map(|p| p.3).sum();
                let expected = i64::from(from <= t && t < to);
                assert_eq!(covered, expected, "t = {t} in [{from}, {to}): {pieces:?}");
            }
            // Buckets are whole: days and months start on their bounds.
            for (source, a, b, _) in &pieces {
                match source {
                    Source::Days => assert!(a % DAY_MS == 0 && b % DAY_MS == 0),
                    Source::Months => assert!(month_floor(*a) == *a && month_floor(*b) == *b),
                    Source::Records => {}
                }
            }
        }
        assert!(pieces(5, 5).is_empty());
    }
}

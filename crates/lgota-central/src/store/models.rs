//! The plain values the store takes and gives: devices, enrollment, records and their
//! outcomes, events, content uploads, dashboard users and the records filter. No behaviour
//! beyond small accessors; no backend type.

use lgota_protocol::{Method, Outcome, WireEvent, WireRecord};

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
    /// What the phone last said of itself at a pull (`None` until its first report).
    pub report: Option<DeviceReport>,
    /// The phone's export-signing key is registered (at enrollment or its first sync since):
    /// until it is, no export file of this phone is accepted.
    pub has_signing_key: bool,
}

/// What a phone reported of itself at its last pull (lgota_protocol's device report): shown on
/// «Устройства». Strings are checked at intake (short, printable).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceReport {
    /// When the server got it (UTC ms).
    pub at_ms: i64,
    pub app_version: Option<String>,
    pub config_version: u32,
    pub content_version: u32,
    pub pin_set: Option<bool>,
    pub idle_seconds: Option<u32>,
    /// The phone keeps the PIN policy of the configuration it runs.
    pub policy_kept: Option<bool>,
    /// The code of the last content pack the phone refused, and when (the phone's clock).
    pub pack_refusal: Option<String>,
    pub pack_refusal_at_ms: Option<i64>,
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
    /// The document's stable name, as stored.
    pub fn as_str(self) -> &'static str {
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
    /// Every branch, every page.
    Admin,
    /// Only this branch: its totals, events and phones; its individual records only with the
    /// grant of [`Admin::records`].
    BranchHead(String),
    /// Totals only, of every branch (a director, the founder, a ministry observer): figures,
    /// charts, the monthly summary — never an individual record, a staff label, a note, a
    /// device, the audit log or a management page.
    Observer,
}

impl Role {
    /// The branch this role is confined to, if any.
    pub fn branch(&self) -> Option<&str> {
        match self {
            Role::Admin | Role::Observer => None,
            Role::BranchHead(b) => Some(b),
        }
    }

    /// The role's stable name (`admin add --role`, the store).
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::BranchHead(_) => "branch_head",
            Role::Observer => "observer",
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
    /// Disabled users cannot sign in and have no sessions. [`AdminStore::put_admin`] keeps it
    /// as stored.
    ///
    /// [`AdminStore::put_admin`]: super::AdminStore::put_admin
    pub disabled: bool,
    /// An administrator's grant to a branch head: the individual records of their branch (the
    /// records page and the records exports). Meaningless for the other roles (an administrator
    /// always sees records, an observer never) and stored as `false` for them.
    /// [`AdminStore::put_admin`] keeps it as stored; [`AdminStore::set_records_access`] sets it.
    ///
    /// [`AdminStore::put_admin`]: super::AdminStore::put_admin
    /// [`AdminStore::set_records_access`]: super::AdminStore::set_records_access
    pub records: bool,
}

impl Admin {
    /// Whether this user may see individual records (of the branches their role covers).
    pub fn sees_records(&self) -> bool {
        match self.role {
            Role::Admin => true,
            Role::BranchHead(_) => self.records,
            Role::Observer => false,
        }
    }
}

/// What disabling, enabling or removing a dashboard user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    Done,
    /// It already was so (disabled, enabled).
    Unchanged,
    NotFound,
    /// Refused: it would leave no enabled administrator.
    LastAdmin,
    /// Refused: the change does not apply to this user's role (records access of a user who is
    /// no branch head).
    NotApplicable,
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
    /// Only age checks, or only benefits (and checks without a category).
    pub kind: Option<KindFilter>,
}

/// Checks of age-check categories («Совершеннолетие (18+)»), or of all the others. The HTTP
/// layer reads `kind=age_check|benefit` and names the configuration's age-check categories; the
/// store filters on those ids only (it knows no configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindFilter {
    /// `true`: only the categories of `age_category_ids`; `false`: every other check, those
    /// without a category included.
    pub age_check: bool,
    pub age_category_ids: Vec<String>,
}

/// Received more than this long after it was made, a record counts as made offline.
pub const OFFLINE_AFTER_MS: i64 = 10 * 60 * 1000;

/// What a check of a database file found (a backup just made, or one about to be restored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub bytes: u64,
    /// Records stored in it; 0 when it is no database of this server.
    pub records: u64,
    /// `PRAGMA integrity_check`: «ok», or the first problems it found.
    pub integrity: String,
    /// Whether it holds this server's tables (records, server identity, audit log).
    pub ours: bool,
    /// Its schema version (migrations applied) and the newest this build knows.
    pub schema: u32,
    pub newest_schema: u32,
}

impl FileCheck {
    pub fn ok(&self) -> bool {
        self.integrity == "ok"
    }
}

/// A backup made: kept in the store so the dashboard can show the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupNote {
    pub at_ms: i64,
    pub file: String,
    pub bytes: u64,
    pub records: u64,
    /// Whether the copy passed `PRAGMA integrity_check`.
    pub ok: bool,
    /// «ok», or what the check found.
    pub detail: String,
}

/// A release of the phones' app uploaded for download from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRelease {
    pub seq: i64,
    /// The version the administrator gave (`0.2.0`), as the app's settings show it.
    pub version: String,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    pub bytes: u64,
    pub uploaded_at_ms: i64,
    pub login: String,
    /// Whether its file is still kept (the two newest).
    pub kept: bool,
}

/// The free-text field of a record a redaction empties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedactField {
    Note,
    StaffLabel,
}

impl RedactField {
    /// The stable name, as stored (`redactions.field`).
    pub fn as_str(self) -> &'static str {
        match self {
            RedactField::Note => "note",
            RedactField::StaffLabel => "staff_label",
        }
    }

    pub fn parse(s: &str) -> Option<RedactField> {
        match s {
            "note" => Some(RedactField::Note),
            "staff_label" | "staff" => Some(RedactField::StaffLabel),
            _ => None,
        }
    }

    /// The field as the act of destruction names it.
    pub fn label(self) -> &'static str {
        match self {
            RedactField::Note => "примечание",
            RedactField::StaffLabel => "метка сотрудника",
        }
    }
}

/// One redaction: what its act of destruction says. The removed text is never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    pub seq: i64,
    pub record_id: String,
    pub field: RedactField,
    pub at_ms: i64,
    /// Who answers for it (an administrator's login).
    pub by_login: String,
    /// Who ran it: the dashboard login or `cli:<user>`.
    pub actor: String,
    pub reason: String,
}

/// What a redaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedactOutcome {
    Done(Redaction),
    NotFound,
    /// The field was empty already: nothing changed, nothing noted.
    AlreadyEmpty,
}

/// A year whose records were archived and removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedYear {
    pub year: i32,
    /// The year in the institution's time zone: `[from_ms, to_ms)` of `created_at_ms`.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Records removed.
    pub records: u64,
    /// SHA-256 of the archive file that holds them.
    pub archive_sha256: String,
    pub at_ms: i64,
    pub login: String,
}

/// What a purge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeOutcome {
    Purged {
        records: u64,
        /// Conflicting versions of those records removed with them.
        conflicts: u64,
        /// Voids made in the year of checks of earlier years still stored: kept, so the earlier
        /// years' records still read as voided.
        voids_kept: u64,
    },
    /// Records made in the year that the archive does not hold (they arrived after it was
    /// written): nothing removed.
    NotArchived {
        missing: u64,
    },
    AlreadyPurged,
}

/// How the retention pass blanks old audit entries of one action: their detail replaced (e.g.
/// the client's address gone), and their login if given (a failed sign-in's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditBlank {
    pub action: String,
    pub detail: String,
    pub login: Option<String>,
}

/// A training result as stored: what the phone sent and when the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRow {
    pub result: lgota_protocol::WireTrainingResult,
    pub received_at_ms: i64,
}

/// How the sign-in back-off grows (`service::admins`): failures older than `memory_ms` are
/// forgotten; after `failures` failures the next attempt waits `delay_after(failures)` ms.
#[derive(Debug, Clone, Copy)]
pub struct BackoffRule {
    pub memory_ms: i64,
    pub delay_after: fn(u32) -> i64,
}

impl BackoffRule {
    /// What every backend decides for an attempt on `keys`, given each key's stored
    /// `(failures, next_at_ms, last_at_ms)` (zeros where none): `Err(wait)` while a key must
    /// still wait so many ms, else each key's reservation with the `next_at_ms` to store.
    pub fn reserve(
        &self,
        keys: &[String],
        rows: &[(u32, i64, i64)],
        now_ms: i64,
    ) -> Result<Vec<(ReservedKey, i64)>, i64> {
        let wait = rows.iter().map(|(_, next, _)| next - now_ms).max().unwrap_or(0);
        if wait > 0 {
            return Err(wait);
        }
        Ok(keys
            .iter()
            .zip(rows)
            .map(|(key, &(failures, next, last))| {
                let (failures, before_ms) = if now_ms - last >= self.memory_ms { (0, 0) } else { (failures, next) };
                let failures = failures.saturating_add(1);
                let next_at_ms = now_ms.saturating_add((self.delay_after)(failures));
                (ReservedKey { key: key.clone(), failures, before_ms }, next_at_ms)
            })
            .collect())
    }
}

/// One key of a sign-in attempt let through: its failures after the attempt and the moment it
/// was free before it (to take the attempt back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedKey {
    pub key: String,
    pub failures: u32,
    pub before_ms: i64,
}

/// What [`AdminStore::reserve_sign_in`] did.
///
/// [`AdminStore::reserve_sign_in`]: super::AdminStore::reserve_sign_in
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// A key must still wait this many ms: nothing counted.
    Wait(i64),
    /// Counted as a failure for every key, in the order given.
    Reserved(Vec<ReservedKey>),
}

/// One value of a table row as [`crate::store::copy`] moves it between backends: SQLite's
/// booleans are integers here, PostgreSQL's loader turns them back into booleans by the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    /// A file (an app release's APK).
    Bytes(Vec<u8>),
}

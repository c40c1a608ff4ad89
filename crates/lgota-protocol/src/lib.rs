//! The wire protocol between a «Льгота» phone and the central records server, version
//! [`PROTOCOL_VERSION`]. Plain serde types, no I/O: the app's sync engine and `lgota-central`
//! both use them. docs/protocol.md describes the endpoints, headers and error codes.
//!
//! Every request carries the header [`PROTOCOL_HEADER`]`: 1`. Every error response body is an
//! [`ErrorBody`]. Input types deny unknown fields and unknown enum values: a mismatch between app
//! and server is refused loudly, never half-understood.

use serde::{Deserialize, Serialize};

/// The protocol version this crate describes. Version 2 answers a push record by record
/// ([`RecordResult`]) and names the server database ([`ServerInfo`]); version 3 adds the training
/// results ([`paths::TRAINING`], [`TrainingPush`]). The server still serves version 1 and 2
/// phones (docs/protocol.md, «Versions»).
pub const PROTOCOL_VERSION: u32 = 3;
/// The first protocol version with [`paths::TRAINING`].
pub const TRAINING_PROTOCOL_MIN: u32 = 3;
/// The most training results one push may carry.
pub const MAX_TRAINING_PER_PUSH: usize = 200;
/// The largest request body the server reads for a training push.
pub const MAX_TRAINING_BODY_BYTES: usize = 256 * 1024;
/// The oldest protocol version the server still serves.
pub const PROTOCOL_VERSION_MIN: u32 = 1;
/// Version of the QR payloads (`lgota:enroll?v=1…`, `lgota:event?v=1…`): printed posters and
/// codes keep working whatever the sync protocol's version.
pub const URI_VERSION: u32 = 1;
/// The request header that names the protocol version.
pub const PROTOCOL_HEADER: &str = "X-Lgota-Protocol";
/// The most records one push may carry.
pub const MAX_RECORDS_PER_PUSH: usize = 1000;
/// The largest request body the server reads for a push.
pub const MAX_PUSH_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Version of the offline export file (`lgota-central import`): 2, signed by the phone's own key
/// ([`ExportEnvelope`]). Format 1 ([`ExportFile`]) was unsigned: the server refuses it.
pub const EXPORT_FORMAT: u32 = 2;
/// The unsigned export file older apps wrote ([`ExportFile`]).
pub const EXPORT_FORMAT_UNSIGNED: u32 = 1;
/// What an export's signature covers, before the device id and the records' bytes
/// ([`export_message`]).
pub const EXPORT_SIGNATURE_CONTEXT: &str = "lgota-export/2";
/// Version of the device report a phone adds to its pull ([`PullQuery::report`]): what app,
/// configuration and content it runs, whether it keeps the office's PIN policy, the last content
/// pack it refused. A phone sends it only to a server that named this version in
/// [`ServerInfo::device_report`] (an older server refuses unknown parameters).
///
/// Version 2 adds [`PullQuery::signing_key`]: a phone enrolled before export keys existed
/// registers its key at its next sync.
pub const DEVICE_REPORT_VERSION: u32 = 2;
/// Scheme and path of the enrollment QR payload: `lgota:enroll?v=1&server=<url>&code=<code>`.
pub const ENROLL_URI_PREFIX: &str = "lgota:enroll?";
/// Scheme and path of the event QR payload (the poster at the door): `lgota:event?v=1&id=<event id>`.
pub const EVENT_URI_PREFIX: &str = "lgota:event?";
/// The longest text [`parse_event_uri`] reads; a real event code is well under 100 characters.
pub const MAX_EVENT_URI_LEN: usize = 512;
/// The longest event id an event code may carry (the server's ids are 36-character UUIDs).
pub const MAX_EVENT_ID_LEN: usize = 64;

/// Paths of the API, relative to the server's base URL.
pub mod paths {
    pub const HEALTH: &str = "/health";
    pub const ENROLL: &str = "/api/v1/enroll";
    pub const RECORDS: &str = "/api/v1/records";
    pub const REFERENCE: &str = "/api/v1/reference";
    /// Protocol 3: finished training scenarios ([`super::TrainingPush`]).
    pub const TRAINING: &str = "/api/v1/training";
    /// The CA certificate phones pin (DER), when the server names one (`tls_ca_cert`): public,
    /// no protocol header; a phone takes it only if its SHA-256 equals the enrollment QR's `ca`.
    pub const CA_CERTIFICATE: &str = "/api/v1/ca.der";
}

/// Stable error codes of [`ErrorBody::code`].
pub mod codes {
    pub const UNSUPPORTED_PROTOCOL: &str = "unsupported_protocol";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const DEVICE_REVOKED: &str = "device_revoked";
    pub const TOO_LARGE: &str = "too_large";
    pub const TOO_MANY_RECORDS: &str = "too_many_records";
    pub const INVALID_JSON: &str = "invalid_json";
    pub const INVALID_RECORD: &str = "invalid_record";
    pub const INVALID_REQUEST: &str = "invalid_request";
    pub const WRONG_BRANCH: &str = "wrong_branch";
    pub const WRONG_DEVICE: &str = "wrong_device";
    /// Protocol 1 only: version 2 stores such a record with a clock flag instead.
    pub const TIME_IN_FUTURE: &str = "time_in_future";
    pub const TRAINING_RECORD: &str = "training_record";
    /// The same record id arrived before with other content; both versions are kept.
    pub const CONFLICT: &str = "conflict";
    /// A void names a record of another device.
    pub const VOID_TARGET_FOREIGN: &str = "void_target_foreign";
    pub const PERSONAL_DATA: &str = "personal_data";
    pub const ENROLLMENT_CODE_INVALID: &str = "enrollment_code_invalid";
    pub const ENROLLMENT_CODE_EXPIRED: &str = "enrollment_code_expired";
    pub const ENROLLMENT_CODE_USED: &str = "enrollment_code_used";
    /// A branch head's code for a phone enrolled in another branch: only an administrator's code
    /// moves a phone.
    pub const DEVICE_ENROLLED_ELSEWHERE: &str = "device_enrolled_elsewhere";
    pub const NOT_FOUND: &str = "not_found";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    pub const INTERNAL: &str = "internal";
    /// The dashboard: signed in, but the role does not allow it.
    pub const FORBIDDEN: &str = "forbidden";
    /// The dashboard: a form without the session's CSRF token.
    pub const CSRF_REFUSED: &str = "csrf_refused";
    /// The dashboard: too many failed sign-ins for a login or an address.
    pub const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
    /// A published document (configuration, content pack) must be newer than the one out.
    pub const VERSION_NOT_NEWER: &str = "version_not_newer";
    /// The server is serving as many requests as it may at once (503): try again no sooner
    /// than its `Retry-After` header says (seconds).
    pub const BUSY: &str = "busy";
    /// The dashboard: an export larger than its file format holds (an XLSX sheet's rows).
    pub const TOO_MANY_ROWS: &str = "too_many_rows";
    /// A backup or restore of a file asked of a server on PostgreSQL: that database is copied
    /// with PostgreSQL's own tools (`pg_dump`, `pg_restore`; docs/deploy.md).
    pub const BACKUP_USE_PG_DUMP: &str = "backup_use_pg_dump";
    /// A configuration the published content pack does not cover (a category's paper document
    /// without its checklist, a training scenario's category gone): phones would keep outdated
    /// instructions. Publish a pack that covers it first.
    pub const CONFIG_NOT_COVERED: &str = "config_not_covered";
    /// The phone: the CA certificate the server gave does not have the SHA-256 the enrollment QR
    /// pinned (or the server gives none): enrollment refused, nothing sent.
    pub const CA_PIN_MISMATCH: &str = "ca_pin_mismatch";
    /// The phone: the server's certificate does not chain to the CA pinned at enrollment.
    pub const CERTIFICATE_NOT_TRUSTED: &str = "certificate_not_trusted";
    /// An import: the export file carries no signature (format 1, an older app).
    pub const EXPORT_UNSIGNED: &str = "export_unsigned";
    /// An import: the file names a device the server has never enrolled.
    pub const EXPORT_DEVICE_UNKNOWN: &str = "export_device_unknown";
    /// An import: the device has registered no signing key yet.
    pub const EXPORT_KEY_UNKNOWN: &str = "export_key_unknown";
    /// An import: the signature does not verify with the device's registered key (the file was
    /// changed after export, or signed by another phone).
    pub const EXPORT_SIGNATURE_INVALID: &str = "export_signature_invalid";
}

/// The body of every error response: a stable `code` for programs, a Russian `message` for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// `POST /api/v1/enroll`: a one-time code from the central office's QR, and the phone's own id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub code: String,
    pub device_id: String,
    /// 32 random bytes (base64url, 43 characters) the phone chose for this enrollment and kept
    /// before sending: repeating the same code with the same device id and secret while the code
    /// is valid gets a fresh token (the first answer may have been lost). The server keeps only
    /// its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_secret: Option<String>,
    /// The public half of the phone's export-signing key (Ed25519, 32 bytes base64url, 43
    /// characters): the server registers it on the device and verifies export files with it.
    /// Absent from older apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
}

/// The device's bearer token (shown once; the server keeps only its SHA-256) and its branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_token: String,
    pub branch_id: String,
    /// The branch's name as the server knows it: the phone shows it even before a configuration
    /// listing the branch arrives.
    pub branch_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Check,
    Void,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    DigitalId,
    Paper,
    SvoQr,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Confirmed,
    PaperShown,
    NoDocument,
    Refused,
    PaperRejected,
}

macro_rules! wire_str {
    ($t:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            /// Parses the wire spelling; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}
wire_str!(RecordKind { Check = "check", Void = "void" });
wire_str!(Method { DigitalId = "digital_id", Paper = "paper", SvoQr = "svo_qr", None = "none" });
wire_str!(Outcome {
    Confirmed = "confirmed",
    PaperShown = "paper_shown",
    NoDocument = "no_document",
    Refused = "refused",
    PaperRejected = "paper_rejected",
});

impl Outcome {
    /// Whether this outcome grants the benefit (what a check's `granted` must say).
    pub fn granted(self) -> bool {
        matches!(self, Outcome::Confirmed | Outcome::PaperShown)
    }
}

/// One record of a phone's log: exactly `lgota_core::Record` without the local `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireRecord {
    /// UUIDv7, unique across devices: the server stores each id exactly once.
    pub id: String,
    pub kind: RecordKind,
    /// UTC milliseconds on the device's clock when the record was made.
    pub created_at_ms: i64,
    pub utc_offset_min: i32,
    pub device_id: String,
    pub branch_id: String,
    pub event_id: Option<String>,
    pub staff_label: String,
    pub training: bool,
    pub method: Option<Method>,
    pub outcome: Option<Outcome>,
    pub granted: Option<bool>,
    pub category_id: Option<String>,
    pub failure_reason_id: Option<String>,
    pub document_type_id: Option<String>,
    pub checklist_completed: Option<bool>,
    pub note: Option<String>,
    pub target_id: Option<String>,
    pub void_reason: Option<String>,
    /// The title and date (`YYYY-MM-DD`) of `event_id` as the phone knows it, so that the
    /// central office can name an event a librarian started on the phone. Absent without an event
    /// and from phones that do not send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_date: Option<String>,
}

/// `POST /api/v1/records`: a batch of at most [`MAX_RECORDS_PER_PUSH`] records. Protocol 2:
/// each record is answered on its own, the accepted ones are stored even when others are
/// refused. Protocol 1: a batch with a refused record is refused (its accepted records are
/// stored all the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub records: Vec<WireRecord>,
    /// The id of the last record the server acknowledged to this phone before (protocol 2). A
    /// server that does not hold it was restored from an older copy: it answers
    /// [`PushResponse::resend_all`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_acknowledged: Option<String>,
    /// The phone's clock when it sent the batch (UTC ms), so that the office can see phones whose
    /// clocks are off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at_ms: Option<i64>,
}

/// What became of one pushed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Stored by this push.
    Stored,
    /// The server already had this record, identical.
    Duplicate,
    /// The server has another record under this id: this version is kept beside it for the
    /// central office («Расхождения»), not counted.
    Conflict,
    /// Not stored: `code` and `message` say why.
    Refused,
}

impl RecordStatus {
    /// The phone may move its outbox past the record: stored or already there.
    pub fn is_acknowledged(self) -> bool {
        matches!(self, RecordStatus::Stored | RecordStatus::Duplicate)
    }
}

/// The answer for one record of a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    pub id: String,
    pub status: RecordStatus,
    /// For a conflict or a refusal: a stable code ([`codes`]) and a Russian message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Which server database answered, and its clock (protocol 2; on every answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// Created with the server's database and kept for its life. A phone that meets another id
    /// than last time sends everything it holds again (the server stores each id once).
    pub server_id: String,
    /// The server's clock (UTC ms) when it answered.
    pub server_time_ms: i64,
    /// The device report version the server reads ([`DEVICE_REPORT_VERSION`]); absent from
    /// servers that read none: the phone then sends no report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_report: Option<u32>,
}

/// The answer to a push.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Ids stored now or before (stored and duplicate): the phone may move its outbox past them.
    pub acknowledged: Vec<String>,
    /// Records stored by this push.
    pub stored: u32,
    /// Records the server already had (or repeated inside the batch).
    pub duplicates: u32,
    /// Protocol 2: one result per record of the batch, in its order.
    #[serde(default)]
    pub results: Vec<RecordResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerInfo>,
    /// The server lacks [`PushRequest::last_acknowledged`]: send every record again.
    #[serde(default)]
    pub resend_all: bool,
}

/// An event of the device's branch, published by the central office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEvent {
    pub id: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub branch_id: String,
}

/// The query of `GET /api/v1/reference`: what the phone already has. All default to 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PullQuery {
    pub config_version: u32,
    pub content_version: u32,
    pub events_cursor: i64,
    /// How many records the phone still holds unsent after its push (shown on the dashboard's
    /// device list). Absent from phones that do not report it.
    pub pending: Option<u64>,
    /// The device report's version ([`DEVICE_REPORT_VERSION`]) when the fields below are sent
    /// (to a server whose [`ServerInfo::device_report`] named it); absent otherwise.
    pub report: Option<u32>,
    /// The app's version (`0.1.0`), shown on «Устройства» and compared with the server's
    /// `min_app_version`.
    pub app_version: Option<String>,
    /// A PIN is set on the phone.
    pub pin_set: Option<bool>,
    /// The idle time after which the app locks, in seconds.
    pub idle_seconds: Option<u32>,
    /// The phone keeps the device policy of the configuration it runs (PIN, idle time).
    pub policy_kept: Option<bool>,
    /// The code of the last content pack the phone refused (signature, format…), and when
    /// (UTC ms); absent when the last pack offered was installed.
    pub pack_refusal: Option<String>,
    pub pack_refusal_at_ms: Option<i64>,
    /// Report version 2: the public half of the phone's export-signing key (as in
    /// [`EnrollRequest::signing_key`]); the server registers it if the device has none yet.
    pub signing_key: Option<String>,
}

impl PullQuery {
    /// The query string of `GET /api/v1/reference` (without `?`), values percent-encoded; absent
    /// fields left out.
    pub fn to_query_string(&self) -> String {
        let mut q = format!(
            "config_version={}&content_version={}&events_cursor={}",
            self.config_version, self.content_version, self.events_cursor
        );
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                q.push_str(&format!("&{k}={}", encode(&v)));
            }
        };
        add("pending", self.pending.map(|v| v.to_string()));
        add("report", self.report.map(|v| v.to_string()));
        add("app_version", self.app_version.clone());
        add("pin_set", self.pin_set.map(|v| v.to_string()));
        add("idle_seconds", self.idle_seconds.map(|v| v.to_string()));
        add("policy_kept", self.policy_kept.map(|v| v.to_string()));
        add("pack_refusal", self.pack_refusal.clone());
        add("pack_refusal_at_ms", self.pack_refusal_at_ms.map(|v| v.to_string()));
        add("signing_key", self.signing_key.clone());
        q
    }
}

/// What the central office asks of the app itself (the server's `min_app_version`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRequirement {
    /// The oldest app version the office supports (`0.2.0`): an older app shows «Обновите
    /// приложение» and goes on recording and syncing.
    pub min_version: String,
    /// Where to download the app (the server's «Скачать приложение» page), if configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

/// Compares two versions `major.minor.patch` (missing parts are 0, a pre-release or build
/// suffix after `-`/`+` ignored): `None` when either is not such a version.
pub fn compare_versions(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    fn parts(v: &str) -> Option<[u64; 3]> {
        let core = v.trim().split(['-', '+']).next()?;
        let mut out = [0u64; 3];
        let mut n = 0;
        for (i, p) in core.split('.').enumerate() {
            if i >= 3 || p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 9 {
                return None;
            }
            out[i] = p.parse().ok()?;
            n += 1;
        }
        (n > 0).then_some(out)
    }
    Some(parts(a)?.cmp(&parts(b)?))
}

/// `GET /api/v1/reference`: what is newer than the phone has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// The configuration document (`lgota_core::Config` JSON) if its version is newer than asked.
    pub config: Option<serde_json::Value>,
    /// The signed content envelope (`{key_id, signature, payload}`) if newer than asked. The phone
    /// verifies the signature; the server does not vouch for it.
    pub content: Option<serde_json::Value>,
    /// Events of the device's branch published after `events_cursor`, oldest first.
    pub events: Vec<WireEvent>,
    /// The cursor to send next time (unchanged when `events` is empty).
    pub events_cursor: i64,
    /// Protocol 2: which server database answered, and its clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerInfo>,
    /// The oldest app version the office supports, when the server is set to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppRequirement>,
}

/// One finished training scenario (protocol 3): evidence that a librarian was trained (§5.1 of
/// the regulation). It travels apart from the records, on its own endpoint and outbox, and never
/// counts in any figure. Nothing in it concerns a citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireTrainingResult {
    /// UUIDv7 made on the phone: the server stores each id once.
    pub id: String,
    pub device_id: String,
    pub branch_id: String,
    /// The staff label (code) set on the phone when the scenario was finished.
    pub staff_label: String,
    /// The scenario's id in the content pack, its title and the pack's version.
    pub scenario_id: String,
    pub scenario_title: String,
    pub content_version: u32,
    /// UTC milliseconds on the device's clock when the scenario was finished, and its offset.
    pub completed_at_ms: i64,
    pub utc_offset_min: i32,
    /// Steps of the scenario, and how many were answered right at the first try.
    pub steps: u32,
    pub correct_first_try: u32,
}

/// `POST /api/v1/training` (protocol 3): at most [`MAX_TRAINING_PER_PUSH`] results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingPush {
    pub results: Vec<WireTrainingResult>,
}

/// The answer to a training push: one result per training result, in its order — stored,
/// duplicate (the same id and content again), conflict (the same id with other content: the
/// first one stays) or refused (`code`, `message`). Each is final: the phone moves past it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingPushResponse {
    pub results: Vec<RecordResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerInfo>,
}

/// The unsigned export file of format 1 ([`EXPORT_FORMAT_UNSIGNED`]) older apps wrote; the server
/// refuses it now (`export_unsigned`). Kept to read and to test with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFile {
    /// [`EXPORT_FORMAT_UNSIGNED`].
    pub format: u32,
    pub device_id: String,
    pub records: Vec<WireRecord>,
}

/// The export file a phone writes (format 2, docs/protocol.md «Offline export»), as read back:
/// `records` is kept as the exact bytes of the file, because the signature covers those bytes
/// ([`export_message`]). Format 1 files (unsigned) read as this too, without key and signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportEnvelope {
    /// [`EXPORT_FORMAT`] (or [`EXPORT_FORMAT_UNSIGNED`]).
    pub format: u32,
    pub device_id: String,
    /// The public half of the key that signed the file (base64url, 43 characters). Informative:
    /// the server verifies with the key registered for `device_id`, never with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    /// Ed25519 signature of [`export_message`] (64 bytes, base64url, 86 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// A JSON array of [`WireRecord`], byte for byte as signed.
    pub records: Box<serde_json::value::RawValue>,
}

impl ExportEnvelope {
    /// The records, parsed.
    pub fn records(&self) -> serde_json::Result<Vec<WireRecord>> {
        serde_json::from_str(self.records.get())
    }

    /// What the signature covers ([`export_message`]).
    pub fn message(&self) -> Vec<u8> {
        export_message(&self.device_id, self.records.get())
    }
}

/// The bytes an export's signature covers: `lgota-export/2`, a line feed, the device id, a line
/// feed, then the `records` array exactly as it stands in the file (the phone writes it as
/// compact JSON: no white space between tokens, fields in [`WireRecord`]'s order). Any change of
/// a byte of a record — or of the device id — breaks the signature.
pub fn export_message(device_id: &str, records_json: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(EXPORT_SIGNATURE_CONTEXT.len() + device_id.len() + records_json.len() + 2);
    message.extend_from_slice(EXPORT_SIGNATURE_CONTEXT.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(device_id.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(records_json.as_bytes());
    message
}

/// What an enrollment QR pins besides the server and the code (docs/protocol.md, «Enrollment»):
/// the institution's content-signing key and the SHA-256 of its server's CA certificate. Both
/// optional: a QR without them leaves the phone on the keys compiled into the app and the
/// system's root certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrollPins {
    pub content_key: Option<ContentKeyPin>,
    /// Lowercase hex SHA-256 (64 characters) of the CA certificate's DER.
    pub ca_sha256: Option<String>,
}

/// The content-signing key an enrolled phone accepts packs from: its id and the ed25519 public
/// key itself (base64 of 32 bytes, as `lgota-pack keygen` prints it). The key is its own
/// fingerprint: 32 bytes, as short as a hash, and the phone needs it to verify a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentKeyPin {
    pub key_id: String,
    pub public_key: String,
}

/// Builds the enrollment QR payload
/// `lgota:enroll?v=1&server=<url-encoded>&code=<code>[&key_id=…&key=…][&ca=<sha-256 hex>]`.
pub fn enroll_uri(server: &str, code: &str, pins: &EnrollPins) -> String {
    let mut uri = format!("{ENROLL_URI_PREFIX}v={URI_VERSION}&server={}&code={}", encode(server), encode(code));
    if let Some(key) = &pins.content_key {
        uri.push_str(&format!("&key_id={}&key={}", encode(&key.key_id), encode(&key.public_key)));
    }
    if let Some(ca) = &pins.ca_sha256 {
        uri.push_str(&format!("&ca={}", encode(ca)));
    }
    uri
}

/// An enrollment QR payload, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollUri {
    pub server: String,
    pub code: String,
    pub pins: EnrollPins,
}

/// Whether `text` is a SHA-256 in hex (64 characters); lowercased.
pub fn sha256_hex_pin(text: &str) -> Option<String> {
    let text = text.trim().to_ascii_lowercase();
    (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())).then_some(text)
}

/// Parses an enrollment QR payload; `None` if it is not one, or is of another version, or its
/// pins are damaged (a key id without its key, a CA pin that is not a SHA-256): a damaged trust
/// anchor is never read as no anchor.
pub fn parse_enroll_uri(uri: &str) -> Option<EnrollUri> {
    let query = uri.trim().strip_prefix(ENROLL_URI_PREFIX)?;
    let (mut v, mut server, mut code, mut key_id, mut key, mut ca) = (None, None, None, None, None, None);
    for pair in query.split('&') {
        let (k, value) = pair.split_once('=')?;
        let value = decode(value)?;
        match k {
            "v" => v = Some(value),
            "server" => server = Some(value),
            "code" => code = Some(value),
            "key_id" => key_id = Some(value),
            "key" => key = Some(value),
            "ca" => ca = Some(value),
            _ => {}
        }
    }
    if v? != URI_VERSION.to_string() {
        return None;
    }
    let (server, code) = (server?, code?);
    if server.is_empty() || code.is_empty() {
        return None;
    }
    let content_key = match (key_id, key) {
        (None, None) => None,
        (Some(key_id), Some(public_key)) if !key_id.trim().is_empty() && !public_key.trim().is_empty() => {
            Some(ContentKeyPin { key_id: key_id.trim().to_owned(), public_key: public_key.trim().to_owned() })
        }
        _ => return None,
    };
    let ca_sha256 = match ca {
        None => None,
        Some(ca) => Some(sha256_hex_pin(&ca)?),
    };
    Some(EnrollUri { server, code, pins: EnrollPins { content_key, ca_sha256 } })
}

/// Builds the event QR payload `lgota:event?v=1&id=<event id>` (the poster that selects the
/// current event on the phones of the branch).
pub fn event_uri(id: &str) -> String {
    format!("{EVENT_URI_PREFIX}v={URI_VERSION}&id={}", encode(id))
}

/// Why a text is not an event QR payload: a stable [`code`](EventUriError::code) for programs and
/// a Russian [`message`](EventUriError::message) for the librarian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventUriError {
    /// Nothing but whitespace.
    Empty,
    /// Longer than [`MAX_EVENT_URI_LEN`]: not a code of ours, not read further.
    TooLong,
    /// The enrollment QR code (`lgota:enroll?…`) where an event code was expected.
    EnrollmentCode,
    /// Some other text, another scheme or a damaged payload.
    NotEventCode,
    /// An event code of another protocol version.
    WrongVersion,
    /// No id, an empty one, or one that cannot be an event id.
    BadId,
}

impl EventUriError {
    pub fn code(self) -> &'static str {
        match self {
            EventUriError::Empty => "event_code_empty",
            EventUriError::TooLong => "event_code_too_long",
            EventUriError::EnrollmentCode => "event_code_is_enrollment",
            EventUriError::NotEventCode => "event_code_invalid",
            EventUriError::WrongVersion => "event_code_version",
            EventUriError::BadId => "event_code_bad_id",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            EventUriError::Empty => "Вставьте или введите текст QR-кода мероприятия.",
            EventUriError::TooLong => "Это не QR-код мероприятия «Льготы»: текст слишком длинный.",
            EventUriError::EnrollmentCode => {
                "Это QR-код подключения телефона, а не мероприятия. Подключение — в настройках, раздел «Отправка в центральную библиотеку»."
            }
            EventUriError::NotEventCode => {
                "Это не QR-код мероприятия «Льготы». Отсканируйте плакат мероприятия или выберите мероприятие из списка."
            }
            EventUriError::WrongVersion => {
                "QR-код мероприятия сделан для другой версии «Льготы». Обновите приложение или выберите мероприятие из списка."
            }
            EventUriError::BadId => "В QR-коде мероприятия нет номера мероприятия или он повреждён.",
        }
    }
}

impl std::fmt::Display for EventUriError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for EventUriError {}

/// Parses an event QR payload into the event id. Surrounding whitespace is ignored (pasted text);
/// unknown parameters are ignored (a later version may add some); the id must be 1 to
/// [`MAX_EVENT_ID_LEN`] characters of `A–Z a–z 0–9 - _`.
pub fn parse_event_uri(text: &str) -> Result<String, EventUriError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(EventUriError::Empty);
    }
    if text.len() > MAX_EVENT_URI_LEN {
        return Err(EventUriError::TooLong);
    }
    if text.starts_with(ENROLL_URI_PREFIX) {
        return Err(EventUriError::EnrollmentCode);
    }
    let query = text.strip_prefix(EVENT_URI_PREFIX).ok_or(EventUriError::NotEventCode)?;
    let (mut v, mut id) = (None, None);
    for pair in query.split('&') {
        let (k, value) = pair.split_once('=').ok_or(EventUriError::NotEventCode)?;
        let value = decode(value).ok_or(EventUriError::NotEventCode)?;
        match k {
            "v" => v = Some(value),
            "id" => id = Some(value),
            _ => {}
        }
    }
    if v.ok_or(EventUriError::NotEventCode)? != URI_VERSION.to_string() {
        return Err(EventUriError::WrongVersion);
    }
    let id = id.ok_or(EventUriError::BadId)?;
    let id_ok = !id.is_empty()
        && id.len() <= MAX_EVENT_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(EventUriError::BadId);
    }
    Ok(id)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check() -> WireRecord {
        WireRecord {
            id: "0190a0a0-0000-7000-8000-000000000001".into(),
            kind: RecordKind::Check,
            created_at_ms: 1_760_000_000_000,
            utc_offset_min: 180,
            device_id: "dev-1".into(),
            branch_id: "central".into(),
            event_id: Some("ev-1".into()),
            staff_label: "Иванова".into(),
            training: false,
            method: Some(Method::SvoQr),
            outcome: Some(Outcome::PaperRejected),
            granted: Some(false),
            category_id: Some("svo".into()),
            failure_reason_id: Some("no_internet".into()),
            document_type_id: Some("combat_veteran_card".into()),
            checklist_completed: Some(true),
            note: Some("без замечаний".into()),
            target_id: None,
            void_reason: None,
            event_title: Some("Библионочь".into()),
            event_date: Some("2026-04-18".into()),
        }
    }

    fn roundtrip<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) {
        let text = serde_json::to_string(v).unwrap();
        let back: T = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, v, "{text}");
    }

    #[test]
    fn every_type_round_trips() {
        let void = WireRecord {
            id: "v".into(),
            kind: RecordKind::Void,
            method: None,
            outcome: None,
            granted: None,
            target_id: Some("t".into()),
            void_reason: Some("ошибка".into()),
            ..check()
        };
        roundtrip(&PushRequest { records: vec![check(), void.clone()], last_acknowledged: None, sent_at_ms: None });
        roundtrip(&PushRequest { records: vec![void], last_acknowledged: Some("a".into()), sent_at_ms: Some(5) });
        roundtrip(&PushResponse { acknowledged: vec!["a".into()], stored: 1, duplicates: 0, ..Default::default() });
        roundtrip(&PushResponse {
            acknowledged: vec!["a".into()],
            stored: 1,
            duplicates: 0,
            results: vec![
                RecordResult { id: "a".into(), status: RecordStatus::Stored, code: None, message: None },
                RecordResult {
                    id: "b".into(),
                    status: RecordStatus::Refused,
                    code: Some(codes::PERSONAL_DATA.into()),
                    message: Some("Похоже на телефон".into()),
                },
            ],
            server: Some(ServerInfo { server_id: "s".into(), server_time_ms: 9, device_report: None }),
            resend_all: true,
        });
        // A protocol-1 phone reads a protocol-2 answer (it ignores what it does not know), and a
        // protocol-2 phone reads a protocol-1 answer (no results: every record acknowledged).
        let v1: PushResponse = serde_json::from_str(r#"{"acknowledged":["a"],"stored":1,"duplicates":0}"#).unwrap();
        assert!(v1.results.is_empty() && v1.server.is_none() && !v1.resend_all);
        roundtrip(&EnrollRequest {
            code: "c".into(),
            device_id: "d".into(),
            enrollment_secret: None,
            signing_key: None,
        });
        roundtrip(&EnrollRequest {
            code: "c".into(),
            device_id: "d".into(),
            enrollment_secret: Some("s".into()),
            signing_key: Some("k".into()),
        });
        roundtrip(&EnrollResponse { device_token: "t".into(), branch_id: "b".into(), branch_name: "Б".into() });
        roundtrip(&ErrorBody { code: "x".into(), message: "у".into() });
        roundtrip(&PullResponse {
            config: Some(json!({"version": 2})),
            content: None,
            events: vec![WireEvent {
                id: "e".into(),
                title: "Т".into(),
                date: "2026-03-01".into(),
                branch_id: "b".into(),
            }],
            events_cursor: 7,
            server: Some(ServerInfo { server_id: "s".into(), server_time_ms: 9, device_report: None }),
            app: None,
        });
        roundtrip(&ExportFile { format: EXPORT_FORMAT_UNSIGNED, device_id: "d".into(), records: vec![check()] });
        roundtrip(&PullQuery {
            config_version: 1,
            content_version: 2,
            events_cursor: 3,
            pending: Some(4),
            ..Default::default()
        });
        roundtrip(&PullQuery { config_version: 1, content_version: 2, events_cursor: 3, ..Default::default() });
        roundtrip(&PullQuery {
            report: Some(DEVICE_REPORT_VERSION),
            app_version: Some("0.1.0".into()),
            pin_set: Some(true),
            idle_seconds: Some(120),
            policy_kept: Some(false),
            pack_refusal: Some("content_signature_invalid".into()),
            pack_refusal_at_ms: Some(7),
            ..Default::default()
        });
        roundtrip(&PullResponse {
            app: Some(AppRequirement { min_version: "0.2.0".into(), download_url: Some("https://x/app".into()) }),
            server: Some(ServerInfo { server_id: "s".into(), server_time_ms: 9, device_report: Some(1) }),
            ..Default::default()
        });
        // A phone of before the report reads the new answer; a new phone reads an old answer.
        let old: PullResponse = serde_json::from_str(r#"{"config":null,"content":null,"events":[],"events_cursor":0,"server":{"server_id":"s","server_time_ms":1}}"#).unwrap();
        assert!(old.app.is_none() && old.server.unwrap().device_report.is_none());
        roundtrip(&TrainingPush { results: vec![training()] });
        roundtrip(&TrainingPushResponse {
            results: vec![RecordResult { id: "t".into(), status: RecordStatus::Duplicate, code: None, message: None }],
            server: Some(ServerInfo { server_id: "s".into(), server_time_ms: 9, device_report: None }),
        });
    }

    fn training() -> WireTrainingResult {
        WireTrainingResult {
            id: "0190a0a0-0000-7000-8000-000000000009".into(),
            device_id: "dev-1".into(),
            branch_id: "central".into(),
            staff_label: "ИП".into(),
            scenario_id: "did-success".into(),
            scenario_title: "Цифровой ID подтверждён".into(),
            content_version: 3,
            completed_at_ms: 1_760_000_000_000,
            utc_offset_min: 180,
            steps: 3,
            correct_first_try: 2,
        }
    }

    #[test]
    fn a_training_result_has_its_own_closed_shape() {
        let mut v = serde_json::to_value(training()).unwrap();
        assert!(serde_json::from_value::<WireTrainingResult>(v.clone()).is_ok());
        // Nothing of a record, nothing unknown: a citizen's field cannot ride along.
        v["category_id"] = "pensioner".into();
        assert!(serde_json::from_value::<WireTrainingResult>(v).unwrap_err().to_string().contains("unknown field"));
        assert!(serde_json::from_value::<TrainingPush>(json!({"results": [], "records": []})).is_err());
        const { assert!(TRAINING_PROTOCOL_MIN <= PROTOCOL_VERSION && TRAINING_PROTOCOL_MIN > PROTOCOL_VERSION_MIN) };
    }

    #[test]
    fn the_pull_query_string_reads_back_and_versions_compare() {
        let q = PullQuery {
            config_version: 3,
            pending: Some(2),
            report: Some(1),
            app_version: Some("0.1.0-rc 1&x".into()),
            pin_set: Some(false),
            pack_refusal: Some("content_key_unknown".into()),
            ..Default::default()
        };
        let text = q.to_query_string();
        assert!(text.contains("app_version=0.1.0-rc%201%26x"), "{text}");
        assert!(!text.contains("idle_seconds"), "absent fields are left out: {text}");
        let pairs: Vec<(String, String)> = text
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), decode(v).unwrap())
            })
            .collect();
        let map: std::collections::HashMap<_, _> = pairs.into_iter().collect();
        assert_eq!(map["app_version"], "0.1.0-rc 1&x");
        assert_eq!(map["pin_set"], "false");
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("0.1.0", "0.2.0"), Some(Less));
        assert_eq!(compare_versions("0.10.0", "0.9.9"), Some(Greater));
        assert_eq!(compare_versions("1.2", "1.2.0"), Some(Equal));
        assert_eq!(compare_versions("1.2.3-beta", "1.2.3"), Some(Equal));
        for bad in ["", "x", "1..2", "1.2.3.4", "v1.2"] {
            assert_eq!(compare_versions(bad, "1.0.0"), None, "{bad}");
        }
    }

    #[test]
    fn enums_use_snake_case_and_the_core_spelling() {
        let v = serde_json::to_value(check()).unwrap();
        assert_eq!(v["kind"], "check");
        assert_eq!(v["method"], "svo_qr");
        assert_eq!(v["outcome"], "paper_rejected");
        assert_eq!(v["target_id"], serde_json::Value::Null);
        for m in [Method::DigitalId, Method::Paper, Method::SvoQr, Method::None] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        for o in
            [Outcome::Confirmed, Outcome::PaperShown, Outcome::NoDocument, Outcome::Refused, Outcome::PaperRejected]
        {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Method::parse("DigitalId"), None);
        // The exact field set of lgota_core::Record minus seq.
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = vec![
            "id",
            "kind",
            "created_at_ms",
            "utc_offset_min",
            "device_id",
            "branch_id",
            "event_id",
            "staff_label",
            "training",
            "method",
            "outcome",
            "granted",
            "category_id",
            "failure_reason_id",
            "document_type_id",
            "checklist_completed",
            "note",
            "target_id",
            "void_reason",
            "event_title",
            "event_date",
        ];
        expected.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, expected);
        // Without a title and date (no event, or an older phone) the two keys are left out.
        let bare = WireRecord { event_title: None, event_date: None, ..check() };
        let v = serde_json::to_value(&bare).unwrap();
        assert!(v.get("event_title").is_none() && v.get("event_date").is_none());
    }

    #[test]
    fn unknown_enum_values_and_fields_are_refused() {
        let good = serde_json::to_value(check()).unwrap();
        assert!(serde_json::from_value::<WireRecord>(good.clone()).is_ok());
        for (field, value) in [("method", "gosuslugi"), ("outcome", "maybe"), ("kind", "delete")] {
            let mut bad = good.clone();
            bad[field] = value.into();
            let err = serde_json::from_value::<WireRecord>(bad).unwrap_err();
            assert!(err.to_string().contains("unknown variant"), "{field}: {err}");
        }
        let mut extra = good.clone();
        extra["citizen_name"] = "Иванов".into();
        let err = serde_json::from_value::<WireRecord>(extra).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let push = json!({"records": [], "extra": 1});
        assert!(serde_json::from_value::<PushRequest>(push).is_err());
        let enroll = json!({"code": "c", "device_id": "d", "branch_id": "x"});
        assert!(serde_json::from_value::<EnrollRequest>(enroll).is_err());
        let mut missing = good;
        missing.as_object_mut().unwrap().remove("training");
        assert!(serde_json::from_value::<WireRecord>(missing).is_err());
    }

    #[test]
    fn enroll_uri_round_trips_and_refuses_strangers() {
        let uri = enroll_uri("https://lib.example:8443/lgota?x=1&y=2", "AbC-_9", &EnrollPins::default());
        assert_eq!(uri, "lgota:enroll?v=1&server=https%3A%2F%2Flib.example%3A8443%2Flgota%3Fx%3D1%26y%3D2&code=AbC-_9");
        let parsed = parse_enroll_uri(&uri).unwrap();
        assert_eq!(
            parsed,
            EnrollUri {
                server: "https://lib.example:8443/lgota?x=1&y=2".into(),
                code: "AbC-_9".into(),
                pins: EnrollPins::default()
            }
        );
        assert_eq!(parse_enroll_uri("lgota:enroll?v=2&server=x&code=y"), None);
        assert_eq!(parse_enroll_uri("https://x?v=1&server=x&code=y"), None);
        assert_eq!(parse_enroll_uri("lgota:enroll?v=1&server=x"), None);
        assert_eq!(parse_enroll_uri("lgota:enroll?v=1&server=%ZZ&code=y"), None);
    }

    #[test]
    fn enroll_uri_carries_its_pins_and_refuses_damaged_ones() {
        let ca = "AB".repeat(32);
        let pins = EnrollPins {
            content_key: Some(ContentKeyPin { key_id: "cbs-a-2026".into(), public_key: "q+/w==".into() }),
            ca_sha256: Some(ca.clone()),
        };
        let uri = enroll_uri("https://a.example", "c0de", &pins);
        assert!(uri.contains("&key_id=cbs-a-2026&key=q%2B%2Fw%3D%3D&ca="), "{uri}");
        let parsed = parse_enroll_uri(&uri).unwrap();
        assert_eq!(parsed.pins.content_key, pins.content_key);
        assert_eq!(parsed.pins.ca_sha256, Some(ca.to_ascii_lowercase()), "kept lowercase");
        let base = "lgota:enroll?v=1&server=https%3A%2F%2Fa&code=c";
        assert_eq!(parse_enroll_uri(&format!("{base}&key_id=a")), None, "a key id without its key");
        assert_eq!(parse_enroll_uri(&format!("{base}&key=AAAA")), None, "a key without its id");
        assert_eq!(parse_enroll_uri(&format!("{base}&ca=1234")), None, "a CA pin that is no SHA-256");
        assert_eq!(parse_enroll_uri(&format!("{base}&ca={}", "g".repeat(64))), None);
        // An app of this version reads an older QR as before: no pins.
        assert_eq!(parse_enroll_uri(base).unwrap().pins, EnrollPins::default());
    }
    #[test]
    fn event_uri_round_trips() {
        let id = "0190a0a0-0000-7000-8000-000000000001";
        let uri = event_uri(id);
        assert_eq!(uri, "lgota:event?v=1&id=0190a0a0-0000-7000-8000-000000000001");
        assert_eq!(parse_event_uri(&uri), Ok(id.to_owned()));
        // Pasted with a line break around it; a later version's extra parameter; order free.
        assert_eq!(parse_event_uri(&format!("  {uri}\n")), Ok(id.to_owned()));
        assert_eq!(parse_event_uri("lgota:event?id=ev_1&v=1&title=x"), Ok("ev_1".to_owned()));
        assert_eq!(parse_event_uri("lgota:event?v=1&id=ev%2D1"), Ok("ev-1".to_owned()));
    }

    #[test]
    fn event_uri_refusals_have_their_codes() {
        let long_id = "a".repeat(MAX_EVENT_ID_LEN + 1);
        let overlong = format!("lgota:event?v=1&id=ev&pad={}", "x".repeat(MAX_EVENT_URI_LEN));
        let cases: &[(&str, EventUriError)] = &[
            ("", EventUriError::Empty),
            ("  \n\t", EventUriError::Empty),
            (&overlong, EventUriError::TooLong),
            ("lgota:enroll?v=1&server=https%3A%2F%2Fx&code=abc", EventUriError::EnrollmentCode),
            ("https://lib.example/event?v=1&id=ev-1", EventUriError::NotEventCode),
            ("LGOTA:EVENT?v=1&id=ev-1", EventUriError::NotEventCode),
            ("lgota:events?v=1&id=ev-1", EventUriError::NotEventCode),
            ("lgota:event", EventUriError::NotEventCode),
            ("lgota:event?", EventUriError::NotEventCode),
            ("lgota:event?id=ev-1", EventUriError::NotEventCode),
            ("lgota:event?v=1&id", EventUriError::NotEventCode),
            ("lgota:event?v=1&id=%ZZ", EventUriError::NotEventCode),
            ("lgota:event?v=1&id=%FF%FE", EventUriError::NotEventCode),
            ("Библионочь 2026", EventUriError::NotEventCode),
            ("\u{0}\u{1}garbage\u{7f}", EventUriError::NotEventCode),
            ("lgota:event?v=2&id=ev-1", EventUriError::WrongVersion),
            ("lgota:event?v=&id=ev-1", EventUriError::WrongVersion),
            ("lgota:event?v=1", EventUriError::BadId),
            ("lgota:event?v=1&id=", EventUriError::BadId),
            ("lgota:event?v=1&id=ev%201", EventUriError::BadId),
            ("lgota:event?v=1&id=%D0%B1", EventUriError::BadId),
            ("lgota:event?v=1&id=ev'%3B--", EventUriError::BadId),
        ];
        let long = format!("lgota:event?v=1&id={long_id}");
        for (text, expected) in cases.iter().copied().chain([(long.as_str(), EventUriError::BadId)]) {
            assert_eq!(parse_event_uri(text), Err(expected), "{text:?}");
        }
        // An event code where an enrollment code is expected is not an enrollment.
        assert_eq!(parse_enroll_uri(&event_uri("ev-1")), None);
        // Every refusal speaks Russian and has its own stable code.
        let all = [
            EventUriError::Empty,
            EventUriError::TooLong,
            EventUriError::EnrollmentCode,
            EventUriError::NotEventCode,
            EventUriError::WrongVersion,
            EventUriError::BadId,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), all.len());
        for e in all {
            assert!(e.code().starts_with("event_code_"), "{}", e.code());
            assert!(e.message().chars().any(|c| ('а'..='я').contains(&c)), "{}", e.message());
        }
    }
}

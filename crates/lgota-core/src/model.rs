//! Domain types: what a librarian records and what the app shows back.

use serde::{Deserialize, Serialize};

pub use lgota_domain::check::{CheckFields, CheckInput, Method, Outcome};
pub use lgota_domain::text::{EVENT_TITLE_MAX, NOTE_MAX, STAFF_LABEL_MAX};

use crate::config::Config;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EventInfo {
    pub id: String,
    pub title: String,
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub title: String,
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SetupInput {
    pub branch_id: String,
    pub staff_label: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub event: Option<NewEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settings {
    pub branch_id: String,
    /// The branch's name: from the configuration, or as the server named it at enrollment while
    /// no configuration listing the branch has arrived yet.
    pub branch_name: String,
    pub staff_label: String,
    pub event: Option<EventInfo>,
    /// Training mode: new records are marked as training and never counted or sent as real.
    pub training: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppState {
    pub device_id: String,
    /// `None` until the first-start setup is done.
    pub settings: Option<Settings>,
    pub config: Config,
    /// This app's version (`0.1.0`): the settings screen shows it, sync reports it.
    pub app_version: String,
    /// The central office supports only newer apps: «Обновите приложение». Recording and sync go on.
    pub update: Option<UpdateNotice>,
    /// The central office revoked this phone: what it forgot, and why.
    pub revoked: Option<Revocation>,
    /// The log could not be opened after an update: it was moved aside and a fresh one started
    /// (until the librarian acknowledges the notice).
    pub fresh_start: Option<FreshStart>,
}

/// The record log could not be opened (its update failed, or the file is damaged): the old file
/// was moved aside on the phone, never deleted, and recording goes on in a fresh log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FreshStart {
    /// When (UTC ms).
    pub at_ms: i64,
    /// The old log's file name now, in the app's data folder.
    pub aside: String,
    /// Why it could not be opened: the error's code (`storage`, `corrupt`) and the technical detail.
    pub code: String,
    pub detail: String,
    /// The phone's identity, enrollment, branch, staff label and lock were taken over from the old
    /// log (it could still be read): the phone goes on syncing as itself.
    pub carried_over: bool,
}

/// The server's `min_app_version` is newer than this app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateNotice {
    pub min_version: String,
    /// Where to download the app, if the office said.
    pub download_url: Option<String>,
}

/// The phone learnt at a sync that the central office revoked it (lost, handed over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Revocation {
    /// When the phone learnt it (UTC ms).
    pub at_ms: i64,
    /// Acknowledged records deleted then.
    pub deleted: u64,
    /// Records the server never got, kept for an export file.
    pub kept_unsent: u64,
}

/// A check as the list shows it, with its void (if any) folded in. Nothing personal exists here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordView {
    pub id: String,
    pub created_at_ms: i64,
    /// Device-local time of day, `HH:MM`.
    pub local_time: String,
    pub method: Method,
    pub outcome: Outcome,
    pub granted: bool,
    pub category_id: Option<String>,
    pub failure_reason_id: Option<String>,
    pub document_type_id: Option<String>,
    pub checklist_completed: Option<bool>,
    pub note: Option<String>,
    pub training: bool,
    pub voided: bool,
    pub void_reason: Option<String>,
    /// Until this moment (UTC ms) the record can be undone without a reason.
    pub undoable_until_ms: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Tally {
    /// Benefit granted on a confirmed Digital ID (or SVO QR).
    pub digital_id: u32,
    /// Benefit granted on a paper document, by choice or as the fallback.
    pub paper: u32,
    /// Benefit not granted: no document, document not accepted, or refused.
    pub not_granted: u32,
    /// All valid (not voided) checks.
    pub total: u32,
    /// Checks annulled afterwards; not in the other figures.
    pub voided: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    Event { event: EventInfo },
    Today { date: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Overview {
    pub scope: Scope,
    /// Real checks only: training records are never counted here.
    pub tally: Tally,
    /// Training checks in the same scope, not voided.
    pub training_count: u32,
    /// Today's checks (training ones included, marked), newest first.
    pub records: Vec<RecordView>,
}

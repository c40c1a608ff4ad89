//! The record log: one SQLite file (WAL, `synchronous=FULL`), append-only, with an outbox
//! cursor for sync.
//!
//! Every write is one IMMEDIATE transaction, committed before the call returns: when the UI hears
//! "saved", the record is on disk. Records are never updated or deleted (triggers refuse it); a
//! correction is a new `void` record pointing at its target.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use rusqlite_migration::M;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::{local_time, Now};
use crate::config::Config;
use crate::content::{open_envelope, ContentPack, TrustedKey};
use crate::error::{Error, Result};
use crate::model::*;
use crate::search::{search, SearchHit};
use crate::text::clean_required;
use lgota_domain::Error as Rule;

/// How long after saving a record can be undone without a reason.
pub const UNDO_WINDOW_MS: i64 = 10_000;
/// The void reason written by an undo.
pub const UNDO_REASON: &str = "Отменено сразу после записи";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/001_records.sql")),
    M::up(include_str!("migrations/002_lock.sql")),
    M::up(include_str!("migrations/003_sync_attention.sql")),
    M::up(include_str!("migrations/004_training_results.sql")),
    M::up(include_str!("migrations/005_retention.sql")),
    // 006 is the pinning of keys at enrollment (issue 17, another branch).
    M::up(include_str!("migrations/006_signing_key.sql")),
];

mod device;
mod fresh;
mod outbox;
mod pins;
mod training;
pub use outbox::{AttentionItem, Export, CLOCK_WARN_MS};
pub use pins::EnrollmentPins;

pub use lgota_protocol::RecordKind;
use lgota_protocol::WireRecord;

/// A row of the log: the record exactly as sync sends it (the fields DOMAIN.md allows), plus its
/// local position. Dereferences to the wire record, so `record.id` reads as expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Local order; the outbox cursor counts in it. Not sent: `id` is the identity.
    pub seq: i64,
    #[serde(flatten)]
    pub wire: WireRecord,
}

impl std::ops::Deref for Record {
    type Target = WireRecord;

    fn deref(&self) -> &WireRecord {
        &self.wire
    }
}

pub struct Store {
    pub(crate) conn: Connection,
    config: Config,
    content: ContentPack,
    content_source: ContentSource,
    device_id: String,
    app_version: String,
}

/// An enrollment code sent, with the secret chosen for it, until its answer arrives.
#[derive(Serialize, Deserialize)]
struct PendingEnrollment {
    code: String,
    secret: String,
}

/// The branch as the server named it in the enrollment answer.
#[derive(Serialize, Deserialize)]
struct ServerBranch {
    id: String,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub server: String,
    pub token: String,
    /// The CA certificate (DER) the enrollment QR pinned: the server is trusted only if its
    /// certificate chains to it. `None`: the system's roots.
    pub ca_der: Option<Vec<u8>>,
}

/// How the last sync attempt failed, in words for the librarian.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProblem {
    pub code: String,
    pub message: String,
    /// What to do about it.
    pub advice: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// `None` until the device is enrolled.
    pub server: Option<String>,
    pub pending: u64,
    pub last_success_ms: Option<i64>,
    pub problem: Option<SyncProblem>,
    /// Records the server did not store (refused, or a conflict), newest first: «Требуют внимания».
    pub attention: Vec<AttentionItem>,
    /// This phone's clock minus the server's at the last answer (ms), when known.
    pub clock_skew_ms: Option<i64>,
    /// Set when the clock is off by more than [`CLOCK_WARN_MS`]: what to tell the librarian.
    pub clock_warning: Option<String>,
}

/// Where the content pack in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ContentSource {
    Bundled,
    Installed,
    /// Enrolled with a pinned content key and no pack of that key yet: nothing is shown but
    /// «Инструкции появятся после первой синхронизации» (no other institution's regulation).
    Awaiting,
}

/// Why the last offered pack was refused, kept so the app can say it later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Refusal {
    pub code: String,
    pub message: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContentState {
    pub pack: ContentPack,
    pub source: ContentSource,
    pub last_refusal: Option<Refusal>,
    /// The pack in use does not agree with the configuration (published after it): it stays in
    /// use, and the app says «Инструкции устарели — обновятся при следующей синхронизации».
    pub stale: bool,
}

struct Context {
    branch_id: String,
    staff_label: String,
    event_id: Option<String>,
    training: bool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let conn: Connection = crate::sqlite::open::<Error>(path, MIGRATIONS)?;

        let device_id = match get_meta(&conn, "device_id")? {
            Some(id) => id,
            None => {
                let id = Uuid::now_v7().to_string();
                conn.execute("INSERT INTO meta (key, value) VALUES ('device_id', ?1)", [&id])?;
                id
            }
        };
        ensure_signing_key(&conn)?;
        let config = load_config(&conn)?;
        let (content, content_source) = load_content(&conn)?;
        Ok(Store { conn, config, content, content_source, device_id, app_version: crate::APP_VERSION.to_owned() })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The public half of this phone's export-signing key (base64url), sent at enrollment and in
    /// the device report; the private half never leaves the log.
    pub fn signing_public_key(&self) -> Result<String> {
        Ok(lgota_domain::export::public_key(&signing_secret(&self.conn)?))
    }

    /// The app's version as its shell knows it (the package's), if it differs from the core's
    /// [`crate::APP_VERSION`]: shown and reported at sync.
    pub fn set_app_version(&mut self, version: &str) {
        self.app_version = version.to_owned();
    }

    /// Replaces the reference data with a newer version (the central office's, through sync).
    /// An older or equal version, or one that does not parse, changes nothing.
    pub fn replace_config(&mut self, json: &str) -> Result<bool> {
        let config = Config::parse(json)?;
        if config.version <= self.config.version {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO reference (name, version, body) VALUES ('config', ?1, ?2)
             ON CONFLICT (name) DO UPDATE SET version = excluded.version, body = excluded.body",
            params![config.version, json],
        )?;
        self.config = config;
        Ok(true)
    }

    pub fn content(&self) -> &ContentPack {
        &self.content
    }

    pub fn content_state(&self) -> Result<ContentState> {
        let last_refusal = get_meta(&self.conn, "content_refusal")?.and_then(|j| serde_json::from_str(&j).ok());
        let stale = self.content_source != ContentSource::Awaiting && self.content.agrees_with(&self.config).is_err();
        Ok(ContentState { pack: self.content.clone(), source: self.content_source, last_refusal, stale })
    }

    /// Installs a signed content pack if it verifies against `trusted` — or, once the phone is
    /// enrolled with a pinned key, against that key only —, parses completely, agrees with the
    /// configuration and is newer. Otherwise the pack in use stays, and the refusal is remembered
    /// for the UI and the device report.
    pub fn install_content_pack(&mut self, envelope: &str, trusted: &[TrustedKey], now: Now) -> Result<ContentState> {
        let current = self.content.version;
        let pinned = self.pinned_key()?;
        let opened = match &pinned {
            Some(key) => crate::content::open_pinned(envelope, key),
            None => open_envelope(envelope, trusted),
        };
        let verified = opened.and_then(|payload| {
            let pack = ContentPack::parse(&payload, &self.config)?;
            if pack.version <= current {
                return Err(Rule::ContentNotNewer { current, offered: pack.version });
            }
            Ok((payload, pack))
        });
        match verified {
            Ok((payload, pack)) => {
                let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                tx.execute(
                    "INSERT INTO reference (name, version, body) VALUES ('content', ?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET version = excluded.version, body = excluded.body",
                    params![pack.version, payload],
                )?;
                set_meta(&tx, "content_refusal", None)?;
                // Which key signed it (id and public key): after an enrollment pinning another key
                // it is not shown.
                let key_id = serde_json::from_str::<crate::content::Envelope>(envelope).map(|e| e.key_id).ok();
                let signer = match pinned {
                    Some(key) => Some(key),
                    None => trusted.iter().find(|k| Some(&k.key_id) == key_id.as_ref()).cloned(),
                };
                let signer =
                    signer.map(|k| serde_json::to_string(&k)).transpose().map_err(|e| Error::Corrupt(e.to_string()))?;
                set_meta(&tx, "content_signer", signer.as_deref())?;
                tx.commit()?;
                self.content = pack;
                self.content_source = ContentSource::Installed;
                self.content_state()
            }
            Err(e) => {
                let refusal = Refusal { code: e.code().into(), message: e.to_string(), at_ms: now.utc_ms };
                let json = serde_json::to_string(&refusal).map_err(|e| Error::Corrupt(e.to_string()))?;
                set_meta(&self.conn, "content_refusal", Some(&json))?;
                Err(e.into())
            }
        }
    }

    /// Offline search across the content pack in use.
    pub fn search_content(&self, query: &str) -> Vec<SearchHit> {
        search(&self.content, &self.config, query)
    }

    /// Turns training mode on or off.
    pub fn set_training(&mut self, on: bool) -> Result<AppState> {
        self.context()?;
        set_meta(&self.conn, "training_mode", on.then_some("1"))?;
        self.state()
    }

    pub fn state(&self) -> Result<AppState> {
        Ok(AppState {
            device_id: self.device_id.clone(),
            settings: self.settings()?,
            config: self.config.clone(),
            app_version: self.app_version.clone(),
            update: self.update_notice()?,
            revoked: self.revocation()?,
            fresh_start: self.fresh_start()?,
        })
    }

    fn settings(&self) -> Result<Option<Settings>> {
        let (Some(branch_id), Some(staff_label)) =
            (get_meta(&self.conn, "branch_id")?, get_meta(&self.conn, "staff_label")?)
        else {
            return Ok(None);
        };
        let event = match get_meta(&self.conn, "current_event_id")? {
            Some(id) => self
                .conn
                .query_row("SELECT id, title, date FROM events WHERE id = ?1", [&id], |r| {
                    Ok(EventInfo { id: r.get(0)?, title: r.get(1)?, date: r.get(2)? })
                })
                .optional()?,
            None => None,
        };
        let training = get_meta(&self.conn, "training_mode")?.is_some();
        let branch_name = self.branch_name(&branch_id);
        Ok(Some(Settings { branch_id, branch_name, staff_label, event, training }))
    }

    fn context(&self) -> Result<Context> {
        let settings = self.settings()?.ok_or(Error::NotConfigured)?;
        Ok(Context {
            branch_id: settings.branch_id,
            staff_label: settings.staff_label,
            event_id: settings.event.map(|e| e.id),
            training: settings.training,
        })
    }

    /// First-start setup, and later changes of branch or staff label. A new event in `input`
    /// becomes the current one; without one the current event stays unless the branch changes.
    pub fn setup(&mut self, input: &SetupInput, now: Now) -> Result<AppState> {
        let branch = self.known_branch(input.branch_id.trim())?.ok_or(Error::UnknownBranch)?;
        let staff_label =
            clean_required("Метка сотрудника", &input.staff_label, STAFF_LABEL_MAX, Rule::EmptyStaffLabel)?;
        // The office keeps a list: only a code from it (a label chosen before the list came stays
        // in use until the librarian changes it — recording never stops for it).
        if !self.config.staff_labels.is_empty() && !self.config.staff_labels.contains(&staff_label) {
            return Err(Error::StaffLabelNotListed);
        }
        let event = input.event.as_ref().map(validate_event).transpose()?;
        let previous_branch = get_meta(&self.conn, "branch_id")?;
        // The server accepts an enrolled phone's records of its own branch only (enrolling set it).
        if let Some(previous) = previous_branch.as_deref().filter(|b| *b != branch) {
            if self.enrollment()?.is_some() {
                return Err(Error::BranchFixedByEnrollment(self.branch_name(previous)));
            }
        }

        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        set_meta(&tx, "branch_id", Some(&branch))?;
        set_meta(&tx, "staff_label", Some(&staff_label))?;
        if let Some(event) = event {
            let id = insert_event(&tx, &event, &branch, now)?;
            set_meta(&tx, "current_event_id", Some(&id))?;
        } else if previous_branch.as_deref() != Some(branch.as_str()) {
            set_meta(&tx, "current_event_id", None)?;
        }
        tx.commit()?;
        self.state()
    }

    /// Starts a new current event, or ends the current one with `None`.
    pub fn set_event(&mut self, event: Option<&NewEvent>, now: Now) -> Result<AppState> {
        let context = self.context()?;
        let event = event.map(validate_event).transpose()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match event {
            Some(event) => {
                let id = insert_event(&tx, &event, &context.branch_id, now)?;
                set_meta(&tx, "current_event_id", Some(&id))?;
            }
            None => set_meta(&tx, "current_event_id", None)?,
        }
        tx.commit()?;
        self.state()
    }

    /// Validates and appends one check. Returns only after the record is committed.
    /// In training mode the record is a training record.
    pub fn record_check(&mut self, input: &CheckInput, now: Now) -> Result<RecordView> {
        let context = self.context()?;
        self.insert_check(input, context, now)
    }

    fn insert_check(&mut self, input: &CheckInput, context: Context, now: Now) -> Result<RecordView> {
        if self.config.device_policy.pin_required && !self.lock_settings()?.pin_set {
            return Err(Error::PinNeededByPolicy);
        }
        let fields = input.validate(&self.config)?;
        let id = insert_check_row(&self.conn, &self.device_id, &fields, &context, now)?;
        self.view(&id)
    }

    /// Undoes this device's last check within [`UNDO_WINDOW_MS`]: appends a void with a fixed reason.
    pub fn undo(&mut self, id: &str, now: Now) -> Result<RecordView> {
        let target = self.void_target(id)?;
        let last: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM records WHERE kind = 'check' AND device_id = ?1 ORDER BY seq DESC LIMIT 1",
                [&self.device_id],
                |r| r.get(0),
            )
            .optional()?;
        if last.as_deref() != Some(id) {
            return Err(Error::UndoNotLast);
        }
        if now.utc_ms - target.created_at_ms > UNDO_WINDOW_MS {
            return Err(Error::UndoExpired);
        }
        self.append_void(&target, UNDO_REASON, now)
    }

    /// Annuls one of this device's checks with a reason: appends a void record.
    pub fn void(&mut self, id: &str, reason: &str, now: Now) -> Result<RecordView> {
        let reason = clean_required("Причина аннулирования", reason, NOTE_MAX, Rule::VoidReasonRequired)?;
        let target = self.void_target(id)?;
        self.append_void(&target, &reason, now)
    }

    fn void_target(&self, id: &str) -> Result<Record> {
        let target = self.record(id)?.ok_or(Error::NotFound)?;
        if target.kind != RecordKind::Check {
            return Err(Error::NotACheck);
        }
        if target.device_id != self.device_id {
            return Err(Error::ForeignRecord);
        }
        let voided: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM records WHERE kind = 'void' AND target_id = ?1)",
            [id],
            |r| r.get(0),
        )?;
        if voided {
            return Err(Error::AlreadyVoided);
        }
        Ok(target)
    }

    fn append_void(&mut self, target: &Record, reason: &str, now: Now) -> Result<RecordView> {
        let context = self.context()?;
        self.conn.execute(
            "INSERT INTO records (id, kind, created_at_ms, utc_offset_min, device_id, branch_id, event_id,
                 staff_label, training, target_id, void_reason)
             VALUES (?1, 'void', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                Uuid::now_v7().to_string(),
                now.utc_ms,
                now.offset_min,
                self.device_id,
                target.branch_id,
                target.event_id,
                context.staff_label,
                target.training,
                target.id,
                reason,
            ],
        )?;
        self.view(&target.id)
    }

    /// One record of the log by id.
    pub fn record(&self, id: &str) -> Result<Option<Record>> {
        Ok(self
            .conn
            .query_row(&format!("SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.id = ?1"), [id], record_from_row)
            .optional()?)
    }

    fn view(&self, id: &str) -> Result<RecordView> {
        self.conn
            .prepare_cached(&format!("{VIEW_SELECT} WHERE c.id = ?1"))?
            .query_row([id], view_from_row)
            .optional()?
            .ok_or(Error::NotFound)
    }

    /// The tally of the current event (or of today, without one) and today's checks.
    pub fn overview(&self, now: Now) -> Result<Overview> {
        let settings = self.settings()?.ok_or(Error::NotConfigured)?;
        let day_start = now.local_day_start_ms();
        let day_end = day_start + DAY_MS;
        // Real figures count only real records; training ones are counted apart.
        let tally_sql = "SELECT
                COALESCE(SUM(v.id IS NULL AND c.training = 0 AND c.outcome = 'confirmed'), 0),
                COALESCE(SUM(v.id IS NULL AND c.training = 0 AND c.outcome = 'paper_shown'), 0),
                COALESCE(SUM(v.id IS NULL AND c.training = 0
                             AND c.outcome IN ('no_document', 'refused', 'paper_rejected')), 0),
                COALESCE(SUM(v.id IS NULL AND c.training = 0), 0),
                COALESCE(SUM(v.id IS NOT NULL AND c.training = 0), 0),
                COALESCE(SUM(v.id IS NULL AND c.training = 1), 0)
             FROM records c LEFT JOIN records v ON v.kind = 'void' AND v.target_id = c.id
             WHERE c.kind = 'check' AND c.device_id = ?1";
        let tally_row = |r: &Row| {
            let tally = Tally {
                digital_id: r.get(0)?,
                paper: r.get(1)?,
                not_granted: r.get(2)?,
                total: r.get(3)?,
                voided: r.get(4)?,
            };
            Ok((tally, r.get::<_, u32>(5)?))
        };
        let (scope, (tally, training_count)) = match settings.event {
            Some(event) => {
                let tally = self.conn.query_row(
                    &format!("{tally_sql} AND c.event_id = ?2"),
                    params![self.device_id, event.id],
                    tally_row,
                )?;
                (Scope::Event { event }, tally)
            }
            None => {
                let tally = self.conn.query_row(
                    &format!("{tally_sql} AND c.created_at_ms >= ?2 AND c.created_at_ms < ?3"),
                    params![self.device_id, day_start, day_end],
                    tally_row,
                )?;
                (Scope::Today { date: now.local_date().to_string() }, tally)
            }
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "{VIEW_SELECT} WHERE c.kind = 'check' AND c.device_id = ?1
                 AND c.created_at_ms >= ?2 AND c.created_at_ms < ?3
             ORDER BY c.seq DESC"
        ))?;
        let records = stmt
            .query_map(params![self.device_id, day_start, day_end], view_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Overview { scope, tally, training_count, records })
    }

    /// The central server this device is enrolled with, and its token.
    pub fn enrollment(&self) -> Result<Option<Enrollment>> {
        Ok(match (get_meta(&self.conn, "server_url")?, get_meta(&self.conn, "device_token")?) {
            (Some(server), Some(token)) => Some(Enrollment { server, token, ca_der: pins::pinned_ca(&self.conn)? }),
            _ => None,
        })
    }

    /// The secret this phone sends with enrollment `code` (docs/protocol.md, enrollment): the one
    /// kept for the same code if an earlier attempt sent it (its answer may have been lost), else
    /// 32 new random bytes, kept on disk before the call returns, so a retry after a restart
    /// proves it is the same enrollment.
    pub fn enrollment_secret(&mut self, code: &str) -> Result<String> {
        use base64::Engine;
        let code = code.trim();
        if let Some(pending) = get_meta(&self.conn, "enrollment_pending")?
            .and_then(|json| serde_json::from_str::<PendingEnrollment>(&json).ok())
            .filter(|p| p.code == code)
        {
            return Ok(pending.secret);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| Error::NoRandomness)?;
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let json = serde_json::to_string(&PendingEnrollment { code: code.to_owned(), secret: secret.clone() })
            .map_err(|e| Error::Corrupt(e.to_string()))?;
        set_meta(&self.conn, "enrollment_pending", Some(&json))?;
        Ok(secret)
    }

    /// Keeps the token the server issued and moves the device to the branch it was enrolled for.
    /// The server is the authority on branches: a branch this phone's configuration does not list
    /// yet is accepted under the name the server gave (shown until a configuration names it).
    pub fn save_enrollment(
        &mut self,
        server: &str,
        token: &str,
        branch_id: &str,
        branch_name: &str,
    ) -> Result<AppState> {
        self.save_enrollment_pinned(server, token, branch_id, branch_name, &EnrollmentPins::default())
    }

    /// [`Store::save_enrollment`] with what the enrollment QR pinned, kept in the same
    /// transaction (an enrollment replaces earlier pins: the QR is the trust anchor). From then on
    /// content packs are accepted only with the pinned key, and the sync client trusts only the
    /// pinned CA; the pack in use is kept only if that key signed it.
    pub fn save_enrollment_pinned(
        &mut self,
        server: &str,
        token: &str,
        branch_id: &str,
        branch_name: &str,
        pins: &EnrollmentPins,
    ) -> Result<AppState> {
        let branch_id = branch_id.trim();
        if !lgota_domain::text::is_id(branch_id) {
            return Err(Error::UnknownBranch);
        }
        // A name that does not pass the configuration's rules is not shown: the id stands in.
        let name = lgota_domain::text::normalize(branch_name);
        let name = if name.is_empty() || name.chars().count() > lgota_domain::config::NAME_MAX {
            branch_id.to_owned()
        } else {
            name
        };
        let named = serde_json::to_string(&ServerBranch { id: branch_id.to_owned(), name })
            .map_err(|e| Error::Corrupt(e.to_string()))?;
        let previous_branch = get_meta(&self.conn, "branch_id")?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        set_meta(&tx, "server_url", Some(server))?;
        set_meta(&tx, "device_token", Some(token))?;
        set_meta(&tx, "branch_id", Some(branch_id))?;
        set_meta(&tx, "server_branch", Some(&named))?;
        set_meta(&tx, "enrollment_pending", None)?;
        if previous_branch.as_deref() != Some(branch_id) {
            set_meta(&tx, "current_event_id", None)?;
        }
        set_meta(&tx, "sync_problem", None)?;
        set_meta(&tx, "revoked", None)?;
        pins::keep(&tx, pins)?;
        tx.commit()?;
        (self.content, self.content_source) = load_content(&self.conn)?;
        self.state()
    }

    /// The branch the server named at enrollment, while enrolled.
    fn server_branch(&self) -> Result<Option<ServerBranch>> {
        if self.enrollment()?.is_none() {
            return Ok(None);
        }
        Ok(get_meta(&self.conn, "server_branch")?.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// `id` if the configuration lists it or it is the branch the phone is enrolled in.
    fn known_branch(&self, id: &str) -> Result<Option<String>> {
        if let Some(b) = self.config.branch(id) {
            return Ok(Some(b.id.clone()));
        }
        Ok(self.server_branch()?.filter(|b| b.id == id).map(|b| b.id))
    }

    /// Remembers how the last sync attempt ended: `None` for success.
    pub fn note_sync(&mut self, problem: Option<&SyncProblem>, now: Now) -> Result<()> {
        match problem {
            None => {
                set_meta(&self.conn, "last_sync_ms", Some(&now.utc_ms.to_string()))?;
                set_meta(&self.conn, "sync_problem", None)?;
            }
            Some(p) => {
                let json = serde_json::to_string(p).map_err(|e| Error::Corrupt(e.to_string()))?;
                set_meta(&self.conn, "sync_problem", Some(&json))?;
            }
        }
        Ok(())
    }

    /// What the sync panel shows.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let clock_skew_ms = get_meta(&self.conn, "clock_skew_ms")?.and_then(|v| v.parse().ok());
        Ok(SyncStatus {
            server: get_meta(&self.conn, "server_url")?,
            pending: self.pending_count()?,
            last_success_ms: get_meta(&self.conn, "last_sync_ms")?.and_then(|v| v.parse().ok()),
            problem: get_meta(&self.conn, "sync_problem")?.and_then(|j| serde_json::from_str(&j).ok()),
            attention: self.attention()?,
            clock_skew_ms,
            clock_warning: clock_skew_ms.and_then(outbox::clock_warning),
        })
    }

    /// What this device already has of the central reference data.
    pub fn pull_query(&self) -> Result<lgota_protocol::PullQuery> {
        Ok(lgota_protocol::PullQuery {
            config_version: self.config.version,
            content_version: self.content.version,
            events_cursor: get_meta(&self.conn, "events_cursor")?.and_then(|v| v.parse().ok()).unwrap_or(0),
            pending: Some(self.pending_count()?),
            ..self.device_report()?
        })
    }

    /// Applies what the server sent: a newer configuration, a newer signed content pack (verified
    /// against `trusted`; a refusal is kept for the UI, the pack in use stays), and new events.
    /// Returns how many events were left out because they failed validation; the events cursor
    /// moves past them all the same.
    pub fn apply_pull(
        &mut self,
        pull: &lgota_protocol::PullResponse,
        trusted: &[TrustedKey],
        now: Now,
    ) -> Result<usize> {
        if let Some(config) = &pull.config {
            self.replace_config(&config.to_string())?;
        }
        self.note_app_requirement(pull.app.as_ref())?;
        if let Some(envelope) = &pull.content {
            // A refused pack is recorded by install_content_pack and sync goes on with the old
            // pack; a storage failure is not a refusal and fails the pull.
            match self.install_content_pack(&envelope.to_string(), trusted, now) {
                Err(e) if !e.is_content_refusal() => return Err(e),
                _ => {}
            }
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut skipped = 0;
        for e in &pull.events {
            // The same rules as an event typed on the phone (length, date, personal data). One bad
            // event is left out, not allowed to block every later config and event.
            let Ok(event) = validate_event(&NewEvent { title: e.title.clone(), date: e.date.clone() }) else {
                skipped += 1;
                continue;
            };
            tx.execute(
                "INSERT INTO events (id, title, date, branch_id, created_at_ms, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'central')
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, date = excluded.date",
                params![e.id, event.title, event.date, e.branch_id, now.utc_ms],
            )?;
        }
        set_meta(&tx, "events_cursor", Some(&pull.events_cursor.to_string()))?;
        tx.commit()?;
        Ok(skipped)
    }

    /// Events the central office published for this device's branch, from today on.
    pub fn upcoming_events(&self, now: Now) -> Result<Vec<EventInfo>> {
        let Some(branch) = get_meta(&self.conn, "branch_id")? else { return Ok(Vec::new()) };
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, title, date FROM events
             WHERE origin = 'central' AND branch_id = ?1 AND date >= ?2 ORDER BY date, title",
        )?;
        let rows = stmt.query_map(params![branch, now.local_date().to_string()], |r| {
            Ok(EventInfo { id: r.get(0)?, title: r.get(1)?, date: r.get(2)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Makes a known event the current one, whether picked from the list or read from an event
    /// code (the poster at the door): only an event this device knows, of its own branch, today
    /// or later.
    pub fn choose_event(&mut self, id: &str, now: Now) -> Result<AppState> {
        let ctx = self.context()?;
        let event: Option<(String, String, String)> = self
            .conn
            .query_row("SELECT title, date, branch_id FROM events WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (title, date, branch_id) = event.ok_or(Error::UnknownEvent)?;
        if branch_id != ctx.branch_id {
            return Err(Error::EventOfOtherBranch(self.branch_name(&branch_id)));
        }
        if date < now.local_date().to_string() {
            let shown = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map_or(date.clone(), |d| d.format("%d.%m.%Y").to_string());
            return Err(Error::EventPast { title, date: shown });
        }
        set_meta(&self.conn, "current_event_id", Some(id))?;
        self.state()
    }

    /// The branch's name: the configuration's, else the name the server gave at enrollment, else
    /// its id.
    pub fn branch_name(&self, id: &str) -> String {
        if let Some(b) = self.config.branch(id) {
            return b.name.clone();
        }
        match self.server_branch() {
            Ok(Some(b)) if b.id == id => b.name,
            _ => id.to_owned(),
        }
    }

    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// A record with the title and date of its event, only for an event this phone started itself
/// (`origin = 'local'`): the server knows its own events, and names phone events from these.
const RECORD_COLUMNS: &str = "r.seq, r.id, r.kind, r.created_at_ms, r.utc_offset_min, r.device_id, r.branch_id,
    r.event_id, r.staff_label, r.training, r.method, r.outcome, r.granted, r.category_id, r.failure_reason_id,
    r.document_type_id, r.checklist_completed, r.note, r.target_id, r.void_reason, e.title, e.date";
const RECORD_FROM: &str = "records r LEFT JOIN events e ON e.id = r.event_id AND e.origin = 'local'";

const VIEW_SELECT: &str = "SELECT c.id, c.created_at_ms, c.utc_offset_min, c.method, c.outcome, c.granted,
        c.category_id, c.failure_reason_id, c.document_type_id, c.note, c.training, v.id IS NOT NULL, v.void_reason,
        c.checklist_completed
    FROM records c LEFT JOIN records v ON v.kind = 'void' AND v.target_id = c.id";

fn parse_enum<T>(value: Option<String>, parse: fn(&str) -> Option<T>, column: usize) -> rusqlite::Result<Option<T>> {
    value
        .map(|v| {
            parse(&v).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    column,
                    rusqlite::types::Type::Text,
                    format!("unknown value {v}").into(),
                )
            })
        })
        .transpose()
}

fn record_from_row(r: &Row) -> rusqlite::Result<Record> {
    let kind: String = r.get(2)?;
    let wire = WireRecord {
        id: r.get(1)?,
        kind: if kind == "void" { RecordKind::Void } else { RecordKind::Check },
        created_at_ms: r.get(3)?,
        utc_offset_min: r.get(4)?,
        device_id: r.get(5)?,
        branch_id: r.get(6)?,
        event_id: r.get(7)?,
        staff_label: r.get(8)?,
        training: r.get(9)?,
        method: parse_enum(r.get(10)?, Method::parse, 10)?,
        outcome: parse_enum(r.get(11)?, Outcome::parse, 11)?,
        granted: r.get(12)?,
        category_id: r.get(13)?,
        failure_reason_id: r.get(14)?,
        document_type_id: r.get(15)?,
        checklist_completed: r.get(16)?,
        note: r.get(17)?,
        target_id: r.get(18)?,
        void_reason: r.get(19)?,
        event_title: r.get(20)?,
        event_date: r.get(21)?,
    };
    Ok(Record { seq: r.get(0)?, wire })
}

fn view_from_row(r: &Row) -> rusqlite::Result<RecordView> {
    let created_at_ms: i64 = r.get(1)?;
    let offset: i32 = r.get(2)?;
    Ok(RecordView {
        id: r.get(0)?,
        created_at_ms,
        local_time: local_time(created_at_ms, offset),
        method: parse_enum(r.get(3)?, Method::parse, 3)?.unwrap_or(Method::None),
        outcome: parse_enum(r.get(4)?, Outcome::parse, 4)?.unwrap_or(Outcome::Refused),
        granted: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
        category_id: r.get(6)?,
        failure_reason_id: r.get(7)?,
        document_type_id: r.get(8)?,
        note: r.get(9)?,
        training: r.get(10)?,
        voided: r.get(11)?,
        void_reason: r.get(12)?,
        checklist_completed: r.get(13)?,
        undoable_until_ms: created_at_ms + UNDO_WINDOW_MS,
    })
}

struct ValidEvent {
    title: String,
    date: String,
}

fn validate_event(event: &NewEvent) -> Result<ValidEvent> {
    let title = clean_required("Мероприятие", &event.title, EVENT_TITLE_MAX, Rule::EmptyEventTitle)?;
    let date = crate::text::parse_date(&event.date).ok_or(Rule::InvalidDate)?;
    Ok(ValidEvent { title, date: date.to_string() })
}

fn insert_event(conn: &Connection, event: &ValidEvent, branch_id: &str, now: Now) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO events (id, title, date, branch_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, event.title, event.date, branch_id, now.utc_ms],
    )?;
    Ok(id)
}

/// Makes the phone's export-signing key once (32 random bytes, kept only in this file).
fn ensure_signing_key(conn: &Connection) -> Result<()> {
    let has: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM signing_key)", [], |r| r.get(0))?;
    if !has {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|_| Error::NoRandomness)?;
        conn.execute(
            "INSERT OR IGNORE INTO signing_key (id, secret, created_at_ms) VALUES (1, ?1, ?2)",
            params![&secret[..], Now::system().utc_ms],
        )?;
    }
    Ok(())
}

/// The private half of the export-signing key. Never logged, never leaves the core.
pub(crate) fn signing_secret(conn: &Connection) -> Result<[u8; 32]> {
    let bytes: Vec<u8> = conn.query_row("SELECT secret FROM signing_key WHERE id = 1", [], |r| r.get(0))?;
    bytes.try_into().map_err(|_| Error::Corrupt("the signing key is not 32 bytes".into()))
}

/// Appends a check of `device_id` with validated `fields`; returns its new id.
fn insert_check_row(
    conn: &Connection,
    device_id: &str,
    fields: &lgota_domain::CheckFields,
    context: &Context,
    now: Now,
) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.prepare_cached(
        "INSERT INTO records (id, kind, created_at_ms, utc_offset_min, device_id, branch_id, event_id,
             staff_label, training, method, outcome, granted, category_id, failure_reason_id,
             document_type_id, checklist_completed, note)
         VALUES (?1, 'check', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        id,
        now.utc_ms,
        now.offset_min,
        device_id,
        context.branch_id,
        context.event_id,
        context.staff_label,
        context.training,
        fields.method.as_str(),
        fields.outcome.as_str(),
        fields.outcome.granted(),
        fields.category_id,
        fields.failure_reason_id,
        fields.document_type_id,
        fields.checklist_completed,
        fields.note,
    ])?;
    Ok(id)
}

fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

fn set_meta(conn: &Connection, key: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(value) => conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?,
        None => conn.execute("DELETE FROM meta WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// The installed content pack if it still parses and is newer than the bundled one — kept even
/// when a later configuration disagrees with it (shown as outdated, never dropped for the
/// bundled one) —; else the bundled pack. With a pinned content key (enrolled), only a pack that
/// key signed, else the placeholder: no other institution's regulation.
fn load_content(conn: &Connection) -> Result<(ContentPack, ContentSource)> {
    let stored: Option<String> =
        conn.query_row("SELECT body FROM reference WHERE name = 'content'", [], |r| r.get(0)).optional()?;
    let stored = stored.and_then(|json| ContentPack::parse_alone(&json).ok());
    if let Some(pinned) = pins::pinned_key(conn)? {
        let signer: Option<TrustedKey> = get_meta(conn, "content_signer")?.and_then(|j| serde_json::from_str(&j).ok());
        return Ok(match stored {
            Some(pack) if signer.as_ref() == Some(&pinned) => (pack, ContentSource::Installed),
            _ => (ContentPack::placeholder(), ContentSource::Awaiting),
        });
    }
    let bundled = ContentPack::bundled();
    Ok(match stored {
        Some(pack) if pack.version > bundled.version => (pack, ContentSource::Installed),
        _ => (bundled, ContentSource::Bundled),
    })
}

/// The stored configuration if it is newer than the bundled one and still parses; else the bundled.
fn load_config(conn: &Connection) -> Result<Config> {
    let bundled = Config::bundled();
    let stored: Option<String> =
        conn.query_row("SELECT body FROM reference WHERE name = 'config'", [], |r| r.get(0)).optional()?;
    Ok(match stored.and_then(|json| Config::parse(&json).ok()) {
        Some(config) if config.version > bundled.version => config,
        _ => bundled,
    })
}

#[cfg(test)]
mod tests;

//! What phones do once enrolled: push records, pull reference data and events (docs/protocol.md).

use std::collections::HashSet;

use lgota_protocol::{
    codes, AppRequirement, PullQuery, PullResponse, PushRequest, PushResponse, ServerInfo, DEVICE_REPORT_VERSION,
    MAX_RECORDS_PER_PUSH,
};
use serde::de::DeserializeOwned;

use super::intake::{self, Branches};
use super::{Error, Kind, Result};
use crate::store::{Database, Device, DeviceReport, ReferenceName};
use crate::{now_ms, secrets};

/// The most events one pull returns; the phone pulls again with the new cursor.
pub const EVENTS_PER_PULL: u32 = 500;

/// Parses a JSON document: syntax errors are `invalid_json` ([`Kind::Invalid`]), type errors
/// (unknown field or enum value, missing field) `invalid_record` ([`Kind::Unprocessable`]).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            Error::new(Kind::Unprocessable, codes::INVALID_RECORD, format!("Данные не соответствуют протоколу: {e}."))
        }
        _ => Error::new(Kind::Invalid, codes::INVALID_JSON, format!("Это не правильный JSON: {e}.")),
    })
}

/// The device of a bearer token, its last contact noted if it may sync; revoked devices and
/// unknown tokens are refused.
pub fn authenticate(db: &dyn Database, token: Option<&str>) -> Result<Device> {
    let unauthorized = || {
        Error::new(
            Kind::Unauthorized,
            codes::UNAUTHORIZED,
            "Устройство не подключено к серверу или ключ доступа неверен: подключите его заново по QR-коду.",
        )
    };
    let token = token.filter(|t| secrets::is_token_shaped(t)).ok_or_else(unauthorized)?;
    let device = db.device_by_token(&secrets::sha256_hex(token))?.ok_or_else(unauthorized)?;
    if device.revoked_at_ms.is_some() {
        return Err(Error::new(
            Kind::Forbidden,
            codes::DEVICE_REVOKED,
            "Это устройство отключено центральной библиотекой. Записи остаются на телефоне; обратитесь к администратору.",
        ));
    }
    let now = now_ms();
    if !noted_lately(device.last_seen_at_ms, now) {
        db.touch_device(&device.id, now)?;
    }
    Ok(device)
}

/// A phone's last contact and last push are shown to the minute: one noted less than this long
/// ago is not written again. A phone syncing sends several requests within seconds, and each
/// write waits for the one writer the records wait for.
const NOTED_GRAIN_MS: i64 = 30_000;

fn noted_lately(at_ms: Option<i64>, now_ms: i64) -> bool {
    at_ms.is_some_and(|at| (0..NOTED_GRAIN_MS).contains(&now_ms.saturating_sub(at)))
}

/// Takes a push of `device` speaking protocol `version`: every record answered on its own.
pub fn push(db: &dyn Database, device: &Device, request: PushRequest, version: u32) -> Result<PushResponse> {
    if request.records.len() > MAX_RECORDS_PER_PUSH {
        return Err(Error::new(
            Kind::TooLarge,
            codes::TOO_MANY_RECORDS,
            format!("В одной отправке не больше {MAX_RECORDS_PER_PUSH} записей, а пришло {}.", request.records.len()),
        ));
    }
    let now = now_ms();
    let skew = request.sent_at_ms.map(|t| t.saturating_sub(now));
    // The known branches matter only for records made before the device enrolled.
    let known: HashSet<String> =
        if request.records.iter().any(|r| r.created_at_ms < device.enrolled_at_ms && r.branch_id != device.branch_id) {
            db.branches()?.into_iter().map(|(id, _)| id).collect()
        } else {
            HashSet::new()
        };
    let branches =
        Branches::Enrolled { branch: &device.branch_id, enrolled_at_ms: device.enrolled_at_ms, known: &known };
    // Asked before storing: this very batch may hold the record again.
    let resend_all = match request.last_acknowledged.as_deref() {
        Some(id) => !db.has_record(id)?,
        None => false,
    };
    let intake = intake::take(db, request.records, &device.id, &branches, now)?;
    // The clock's offset is written whenever it moved by more than a push's time in a queue (a
    // librarian who just set the phone's clock right sees it at once; it is shown in minutes),
    // the push's time at most every NOTED_GRAIN_MS.
    let same_skew = match (skew, device.clock_skew_ms) {
        (None, _) => true,
        (Some(new), Some(old)) => new.abs_diff(old) < NOTED_GRAIN_MS.unsigned_abs(),
        (Some(_), None) => false,
    };
    if !(same_skew && noted_lately(device.last_push_at_ms, now)) {
        db.note_push(&device.id, now, skew)?;
    }
    tracing::info!(
        device = device.id,
        stored = intake.stored,
        duplicates = intake.duplicates,
        conflicts = intake.conflicts,
        refused = intake.refused,
        resend_all,
        "records pushed"
    );
    if version < 2 {
        // Protocol 1 cannot be told about one record: a batch with a problem is refused whole
        // (its accepted records are stored all the same and will come back as duplicates).
        if let Some(problem) = intake.first_problem() {
            return Err(Error::new(
                Kind::Unprocessable,
                match problem.code.as_deref() {
                    Some(codes::WRONG_BRANCH) => codes::WRONG_BRANCH,
                    Some(codes::WRONG_DEVICE) => codes::WRONG_DEVICE,
                    Some(codes::PERSONAL_DATA) => codes::PERSONAL_DATA,
                    Some(codes::TRAINING_RECORD) => codes::TRAINING_RECORD,
                    _ => codes::INVALID_RECORD,
                },
                format!(
                    "{} (запись {}).",
                    problem.message.as_deref().unwrap_or("Запись не принята").trim_end_matches('.'),
                    problem.id
                ),
            ));
        }
        return Ok(PushResponse {
            acknowledged: intake.acknowledged(),
            stored: intake.stored,
            duplicates: intake.duplicates,
            ..PushResponse::default()
        });
    }
    Ok(PushResponse {
        acknowledged: intake.acknowledged(),
        stored: intake.stored,
        duplicates: intake.duplicates,
        results: intake.results,
        server: Some(server_info(db)?),
        resend_all,
    })
}

/// Which database answers, its clock, and the device report version it reads.
fn server_info(db: &dyn Database) -> Result<ServerInfo> {
    Ok(ServerInfo { server_id: db.server_id()?, server_time_ms: now_ms(), device_report: Some(DEVICE_REPORT_VERSION) })
}

/// A short, printable text from a phone's report (a version, a code), else nothing: a strange
/// value is left out, never a reason to refuse the pull.
fn reported_text(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 40 && t.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
}

/// The device report of a pull, if the phone sent one.
pub fn device_report(query: &PullQuery, now_ms: i64) -> Option<DeviceReport> {
    query.report?;
    Some(DeviceReport {
        at_ms: now_ms,
        app_version: reported_text(query.app_version.as_deref()),
        config_version: query.config_version,
        content_version: query.content_version,
        pin_set: query.pin_set,
        idle_seconds: query.idle_seconds,
        policy_kept: query.policy_kept,
        pack_refusal: reported_text(query.pack_refusal.as_deref()),
        pack_refusal_at_ms: query.pack_refusal_at_ms,
    })
}

/// What `device` has not pulled yet: newer configuration and content, events after the cursor;
/// what the office asks of app versions (`app`). Notes what the phone reported of itself.
pub fn pull(
    db: &dyn Database,
    device: &Device,
    query: &PullQuery,
    version: u32,
    app: Option<AppRequirement>,
) -> Result<PullResponse> {
    if let Some(pending) = query.pending.filter(|p| device.pending != Some(*p)) {
        db.note_pending(&device.id, pending)?;
    }
    if let Some(report) = device_report(query, now_ms()) {
        db.note_report(&device.id, &report)?;
    }
    // Report version 2: a phone enrolled before export keys existed registers its key now. Only
    // the first one is kept (a new one comes only with a new enrollment); a malformed one is
    // left out, never a reason to refuse the pull.
    if let Some(key) = query
        .signing_key
        .as_deref()
        .filter(|_| query.report >= Some(2))
        .and_then(lgota_domain::export::parse_public_key)
    {
        if db.set_signing_key(&device.id, &key, now_ms(), false)? {
            tracing::info!(device = device.id, "export-signing key registered at sync");
        }
    }
    let newer = |name: ReferenceName, have: u32| -> Result<Option<serde_json::Value>> {
        match db.reference(name)? {
            Some((version, body)) if version > have => Ok(Some(serde_json::from_str(&body).map_err(Error::internal)?)),
            _ => Ok(None),
        }
    };
    let events = db.events_after(&device.branch_id, query.events_cursor, EVENTS_PER_PULL)?;
    let events_cursor = events.last().map_or(query.events_cursor, |(seq, _)| *seq);
    Ok(PullResponse {
        config: newer(ReferenceName::Config, query.config_version)?,
        content: newer(ReferenceName::Content, query.content_version)?,
        events: events.into_iter().map(|(_, e)| e).collect(),
        events_cursor,
        server: if version >= 2 { Some(server_info(db)?) } else { None },
        app,
    })
}

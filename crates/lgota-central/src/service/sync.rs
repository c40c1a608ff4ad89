//! What phones do once enrolled: push records, pull reference data and events (docs/protocol.md).

use std::collections::HashSet;

use lgota_protocol::{codes, PullQuery, PullResponse, PushRequest, PushResponse, ServerInfo, MAX_RECORDS_PER_PUSH};
use serde::de::DeserializeOwned;

use super::intake::{self, Branches};
use super::{Error, Kind, Result};
use crate::store::{Database, Device, ReferenceName};
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
    db.touch_device(&device.id, now_ms())?;
    Ok(device)
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
    db.note_push(&device.id, now, skew)?;
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
        server: Some(ServerInfo { server_id: db.server_id()?, server_time_ms: now_ms() }),
        resend_all,
    })
}

/// What `device` has not pulled yet: newer configuration and content, events after the cursor.
pub fn pull(db: &dyn Database, device: &Device, query: &PullQuery, version: u32) -> Result<PullResponse> {
    if let Some(pending) = query.pending {
        db.note_pending(&device.id, pending)?;
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
        server: if version >= 2 {
            Some(ServerInfo { server_id: db.server_id()?, server_time_ms: now_ms() })
        } else {
            None
        },
    })
}

//! Validation of a batch of records, shared by push and import: all or nothing.

use std::collections::{HashMap, HashSet};

use axum::http::StatusCode;
use lgota_protocol::{codes, RecordKind, WireRecord, MAX_RECORDS_PER_PUSH};

use crate::error::ApiError;

/// A record made more than this far in the future (by the server's clock) is refused.
pub const MAX_FUTURE_MS: i64 = 24 * 60 * 60 * 1000;
pub const ID_MAX: usize = 100;
/// The limits phones apply (lgota-core): the server accepts exactly what a phone can make.
pub const STAFF_LABEL_MAX: usize = lgota_domain::text::STAFF_LABEL_MAX;
/// Notes and void reasons.
pub const TEXT_MAX: usize = lgota_domain::text::NOTE_MAX;
pub const EVENT_TITLE_MAX: usize = lgota_domain::text::EVENT_TITLE_MAX;
/// UTC offsets run from −12:00 to +14:00.
pub const OFFSET_MIN_RANGE: std::ops::RangeInclusive<i32> = -12 * 60..=14 * 60;

/// Which branch the records of a batch may name.
pub enum Branches<'a> {
    /// An enrolled device: its branch, except for records made before it enrolled (the phone
    /// belonged to no branch yet: a record made at another branch then is still that branch's),
    /// which may name any branch the server knows.
    Enrolled { branch: &'a str, enrolled_at_ms: i64, known: &'a HashSet<String> },
    /// Any branch the server knows (import of a device that never enrolled).
    Known(&'a HashSet<String>),
}

fn invalid(n: usize, id: &str, what: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, codes::INVALID_RECORD, format!("Запись {n} ({id}): {what}."))
}

/// An id-like value: ASCII letters, digits, `-`, `_`, `.`, `:`; 1 to [`ID_MAX`] characters.
pub fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= ID_MAX && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn text_ok(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(|c| c.is_control() && c != '\n')
}

/// Checks every record of a batch sent by `device_id`; the first problem refuses the whole batch.
pub fn validate_batch(
    records: &[WireRecord],
    device_id: &str,
    branches: Branches,
    now_ms: i64,
) -> Result<(), ApiError> {
    if records.len() > MAX_RECORDS_PER_PUSH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::TOO_MANY_RECORDS,
            format!("В одной отправке не больше {MAX_RECORDS_PER_PUSH} записей, а пришло {}.", records.len()),
        ));
    }
    let mut seen: HashMap<&str, &WireRecord> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let n = i + 1;
        if !is_id(&r.id) {
            return Err(invalid(n, "—", "недопустимый id записи"));
        }
        let id = r.id.as_str();
        if let Some(previous) = seen.insert(id, r) {
            if previous != r {
                return Err(invalid(n, id, "повторный id с другим содержимым"));
            }
        }
        if r.device_id != device_id {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                codes::WRONG_DEVICE,
                format!("Запись {n} ({id}) сделана на другом устройстве («{}»), а не на этом.", r.device_id),
            ));
        }
        let branch_ok = match &branches {
            Branches::Enrolled { branch, enrolled_at_ms, known } => {
                r.branch_id == *branch || (r.created_at_ms < *enrolled_at_ms && known.contains(&r.branch_id))
            }
            Branches::Known(known) => known.contains(&r.branch_id),
        };
        if !branch_ok {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                codes::WRONG_BRANCH,
                format!("Запись {n} ({id}) относится к филиалу «{}», а устройство — к другому.", r.branch_id),
            ));
        }
        if r.training {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                codes::TRAINING_RECORD,
                format!("Запись {n} ({id}) учебная: учебные записи на сервер не отправляются."),
            ));
        }
        if r.created_at_ms > now_ms.saturating_add(MAX_FUTURE_MS) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                codes::TIME_IN_FUTURE,
                format!("Запись {n} ({id}) датирована больше чем на сутки вперёд: проверьте дату и время на телефоне."),
            ));
        }
        if r.created_at_ms < 0 {
            return Err(invalid(n, id, "отрицательное время"));
        }
        if !OFFSET_MIN_RANGE.contains(&r.utc_offset_min) {
            return Err(invalid(n, id, "недопустимое смещение часового пояса"));
        }
        if !text_ok(&r.staff_label, STAFF_LABEL_MAX) {
            return Err(invalid(n, id, "слишком длинная или недопустимая подпись сотрудника"));
        }
        for (name, value) in [
            ("event_id", &r.event_id),
            ("category_id", &r.category_id),
            ("failure_reason_id", &r.failure_reason_id),
            ("document_type_id", &r.document_type_id),
            ("target_id", &r.target_id),
        ] {
            if value.as_deref().is_some_and(|v| !is_id(v)) {
                return Err(invalid(n, id, format!("недопустимое значение {name}")));
            }
        }
        for (name, value) in [("note", &r.note), ("void_reason", &r.void_reason)] {
            if value.as_deref().is_some_and(|v| !text_ok(v, TEXT_MAX)) {
                return Err(invalid(n, id, format!("слишком длинное или недопустимое поле {name}")));
            }
        }
        if r.event_title.is_some() || r.event_date.is_some() {
            let title_ok =
                r.event_title.as_deref().is_some_and(|t| !t.trim().is_empty() && text_ok(t, EVENT_TITLE_MAX));
            let date_ok = r.event_date.as_deref().and_then(crate::admin::event_date).is_some();
            if r.event_id.is_none() || !title_ok || !date_ok {
                return Err(invalid(
                    n,
                    id,
                    "event_title и event_date — только вместе с event_id, дата в виде ГГГГ-ММ-ДД",
                ));
            }
        }
        // The phone screens these already; the server refuses what another client might send.
        for (name, value) in [
            ("подпись сотрудника", Some(&r.staff_label)),
            ("примечание", r.note.as_ref()),
            ("причина", r.void_reason.as_ref()),
            ("название мероприятия", r.event_title.as_ref()),
        ] {
            if let Some(kind) = value.and_then(|v| lgota_domain::screen::find_personal_data(v)) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    codes::PERSONAL_DATA,
                    format!(
                        "Запись {n} ({id}): в поле «{name}» похоже на {}; персональные данные граждан не хранятся.",
                        kind.describe()
                    ),
                ));
            }
        }
        match r.kind {
            RecordKind::Check => {
                let (Some(_), Some(outcome), Some(granted)) = (r.method, r.outcome, r.granted) else {
                    return Err(invalid(n, id, "у проверки должны быть method, outcome и granted"));
                };
                if granted != outcome.granted() {
                    return Err(invalid(n, id, "granted не соответствует outcome"));
                }
                if r.target_id.is_some() || r.void_reason.is_some() {
                    return Err(invalid(n, id, "у проверки не бывает target_id и void_reason"));
                }
            }
            RecordKind::Void => {
                let has_reason = r.void_reason.as_deref().is_some_and(|s| !s.trim().is_empty());
                if r.target_id.is_none() || !has_reason {
                    return Err(invalid(n, id, "у аннулирования должны быть target_id и void_reason"));
                }
                if r.target_id.as_deref() == Some(id) {
                    return Err(invalid(n, id, "запись не может аннулировать саму себя"));
                }
            }
        }
    }
    Ok(())
}

//! One exported record as display values, shared by the CSV and the XLSX exports: the same
//! columns, names and local moment (the institution's time zone), whatever the file format.

use chrono::DateTime;
use chrono_tz::Tz;

use super::pages::{local_time, method_name, outcome_name, Names};
use crate::store::StoredRecord;

/// Column headers of a records export. The first two are the date and the time.
pub const HEADERS: &[&str] = &[
    "Дата",
    "Время",
    "Филиал",
    "Мероприятие",
    "Устройство",
    "Сотрудник",
    "Вид записи",
    "Способ",
    "Результат",
    "Льгота предоставлена",
    "Категория",
    "Причина неудачи",
    "Тип документа",
    "Проверен по списку",
    "Примечание",
    "Аннулирована",
    "Аннулирует запись",
    "Причина аннулирования",
    "Идентификатор записи",
];

/// A record ready for export.
pub struct RecordRow {
    /// When it was made, in the institution's time zone (the «Дата» and «Время» columns).
    pub at: Option<DateTime<Tz>>,
    /// The columns after date and time (`HEADERS[2..]`), as display text.
    pub text: Vec<String>,
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "да",
        Some(false) => "нет",
        None => "",
    }
}

pub fn record_row(stored: &StoredRecord, voided: bool, names: &Names, tz: Tz) -> RecordRow {
    let r = &stored.record;
    let at = local_time(tz, r.created_at_ms);
    let is_check = r.kind == lgota_protocol::RecordKind::Check;
    let text = vec![
        names.branch(&r.branch_id).to_string(),
        r.event_id.as_deref().map(|e| names.event_label(e)).unwrap_or_default(),
        r.device_id.clone(),
        r.staff_label.clone(),
        (if is_check { "проверка" } else { "аннулирование" }).to_string(),
        r.method.map(|m| method_name(m.as_str()).to_string()).unwrap_or_default(),
        r.outcome.map(|o| outcome_name(o.as_str()).to_string()).unwrap_or_default(),
        yes_no(r.granted).to_string(),
        r.category_id.as_deref().map(|c| names.category(c).to_string()).unwrap_or_default(),
        r.failure_reason_id.as_deref().map(|f| names.failure_reason(f).to_string()).unwrap_or_default(),
        r.document_type_id.as_deref().map(|d| names.document_type(d).to_string()).unwrap_or_default(),
        yes_no(r.checklist_completed).to_string(),
        r.note.clone().unwrap_or_default(),
        (if is_check { yes_no(Some(voided)) } else { "" }).to_string(),
        r.target_id.clone().unwrap_or_default(),
        r.void_reason.clone().unwrap_or_default(),
        r.id.clone(),
    ];
    debug_assert_eq!(text.len() + 2, HEADERS.len());
    RecordRow { at, text }
}

pub fn record_rows<'a>(
    records: &'a [(StoredRecord, bool)],
    names: &'a Names,
    tz: Tz,
) -> impl Iterator<Item = RecordRow> + 'a {
    records.iter().map(move |(stored, voided)| record_row(stored, *voided, names, tz))
}

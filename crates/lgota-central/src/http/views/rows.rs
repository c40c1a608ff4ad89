//! One exported record as display values, shared by the CSV and the XLSX exports: the same
//! columns, names and local moment (the institution's time zone), whatever the file format.

use std::borrow::Cow;

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

/// A record ready for export, borrowing what it can from the record and the names (an export
/// makes a million of these).
pub struct RecordRow<'a> {
    /// When it was made, in the institution's time zone (the «Дата» and «Время» columns).
    pub at: Option<DateTime<Tz>>,
    /// The columns after date and time (`HEADERS[2..]`), as display text.
    pub text: [Cow<'a, str>; COLUMNS],
}

/// The columns of [`RecordRow::text`].
const COLUMNS: usize = 17;
const _: () = assert!(COLUMNS + 2 == HEADERS.len());

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "да",
        Some(false) => "нет",
        None => "",
    }
}

fn or_empty(text: Option<&str>) -> Cow<'_, str> {
    Cow::Borrowed(text.unwrap_or_default())
}

pub fn record_row<'a>(stored: &'a StoredRecord, voided: bool, names: &'a Names, tz: Tz) -> RecordRow<'a> {
    let r = &stored.record;
    let at = local_time(tz, r.created_at_ms);
    let is_check = r.kind == lgota_protocol::RecordKind::Check;
    let event = match r.event_id.as_deref() {
        None => Cow::Borrowed(""),
        Some(e) => names.event_label_ref(e).map_or_else(|| Cow::Owned(names.event_label(e)), Cow::Borrowed),
    };
    let text = [
        Cow::Borrowed(names.branch(&r.branch_id)),
        event,
        Cow::Borrowed(r.device_id.as_str()),
        Cow::Borrowed(r.staff_label.as_str()),
        Cow::Borrowed(if is_check { "проверка" } else { "аннулирование" }),
        or_empty(r.method.map(|m| method_name(m.as_str()))),
        or_empty(r.outcome.map(|o| outcome_name(o.as_str()))),
        Cow::Borrowed(yes_no(r.granted)),
        or_empty(r.category_id.as_deref().map(|c| names.category(c))),
        or_empty(r.failure_reason_id.as_deref().map(|f| names.failure_reason(f))),
        or_empty(r.document_type_id.as_deref().map(|d| names.document_type(d))),
        Cow::Borrowed(yes_no(r.checklist_completed)),
        or_empty(r.note.as_deref()),
        Cow::Borrowed(if is_check { yes_no(Some(voided)) } else { "" }),
        or_empty(r.target_id.as_deref()),
        or_empty(r.void_reason.as_deref()),
        Cow::Borrowed(r.id.as_str()),
    ];
    RecordRow { at, text }
}

pub fn record_rows<'a>(
    records: &'a [(StoredRecord, bool)],
    names: &'a Names,
    tz: Tz,
) -> impl Iterator<Item = RecordRow<'a>> + 'a {
    records.iter().map(move |(stored, voided)| record_row(stored, *voided, names, tz))
}

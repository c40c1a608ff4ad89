//! The CSV export of records: UTF-8 with BOM, `;` separators, Russian headers, dates dd.mm.yyyy
//! and times in the institution's time zone (see [`super::pages::institution_tz`]).

use chrono::{TimeZone, Utc};

use super::pages::{institution_tz, method_name, outcome_name, Names};
use crate::db::StoredRecord;

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

/// One CSV cell: always quoted (inner quotes doubled); a cell a spreadsheet would read as a
/// formula (starting with = + - @, tab or CR) gets a leading `'`.
pub fn cell(value: &str) -> String {
    let neutral = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "да",
        Some(false) => "нет",
        None => "",
    }
}

pub fn render(records: &[(StoredRecord, bool)], names: &Names) -> String {
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<String>| cells.join(";") + "\r\n";
    out.push_str(&line(HEADERS.iter().map(|h| cell(h)).collect()));
    let tz = institution_tz();
    for (stored, voided) in records {
        let r = &stored.record;
        let at = Utc.timestamp_millis_opt(r.created_at_ms).single().map(|t| t.with_timezone(&tz));
        let is_check = r.kind == lgota_protocol::RecordKind::Check;
        let row = vec![
            at.map(|t| t.format("%d.%m.%Y").to_string()).unwrap_or_default(),
            at.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default(),
            names.branch(&r.branch_id).to_string(),
            r.event_id.clone().unwrap_or_default(),
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
            (if is_check { yes_no(Some(*voided)) } else { "" }).to_string(),
            r.target_id.clone().unwrap_or_default(),
            r.void_reason.clone().unwrap_or_default(),
            r.id.clone(),
        ];
        out.push_str(&line(row.iter().map(|c| cell(c)).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("Иванова"), "\"Иванова\"");
        assert_eq!(cell("a;\"b\"\nc"), "\"a;\"\"b\"\"\nc\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for f in ["+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(cell(f).starts_with("\"'"), "{f}");
        }
    }
}

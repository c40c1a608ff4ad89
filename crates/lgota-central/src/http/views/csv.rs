//! The CSV export of records: UTF-8 with BOM, `;` separators, Russian headers, dates dd.mm.yyyy
//! and times in the institution's time zone (`tz`).

use super::pages::Names;
use super::rows::record_rows;
pub use super::rows::HEADERS;
use crate::store::StoredRecord;

/// One CSV cell: always quoted (inner quotes doubled); a cell a spreadsheet would read as a
/// formula (starting with = + - @, tab or CR) gets a leading `'`.
pub fn cell(value: &str) -> String {
    let neutral = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

pub fn render(records: &[(StoredRecord, bool)], names: &Names, tz: chrono_tz::Tz) -> String {
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<String>| cells.join(";") + "\r\n";
    out.push_str(&line(HEADERS.iter().map(|h| cell(h)).collect()));
    for row in record_rows(records, names, tz) {
        let mut cells = vec![
            cell(&row.at.map(|t| t.format("%d.%m.%Y").to_string()).unwrap_or_default()),
            cell(&row.at.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default()),
        ];
        cells.extend(row.text.iter().map(|c| cell(c)));
        out.push_str(&line(cells));
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

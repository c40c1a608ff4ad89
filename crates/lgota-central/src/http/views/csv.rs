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

/// One line of cells: `;`-separated, CRLF-terminated.
fn line(cells: &[String]) -> String {
    cells.join(";") + "\r\n"
}

/// The start of the file: the BOM and the header line.
pub fn head() -> String {
    let headers: Vec<String> = HEADERS.iter().map(|h| cell(h)).collect();
    format!("\u{feff}{}", line(&headers))
}

/// The lines of `records`, one per record (a chunk of a streamed file).
pub fn lines(records: &[(StoredRecord, bool)], names: &Names, tz: chrono_tz::Tz) -> String {
    let mut out = String::new();
    for row in record_rows(records, names, tz) {
        let mut cells = vec![
            cell(&row.at.map(|t| t.format("%d.%m.%Y").to_string()).unwrap_or_default()),
            cell(&row.at.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default()),
        ];
        cells.extend(row.text.iter().map(|c| cell(c)));
        out.push_str(&line(&cells));
    }
    out
}

/// The whole file of `records`.
pub fn render(records: &[(StoredRecord, bool)], names: &Names, tz: chrono_tz::Tz) -> String {
    head() + &lines(records, names, tz)
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

//! The CSV export of records: UTF-8 with BOM, `;` separators, Russian headers, dates dd.mm.yyyy
//! and times in the institution's time zone (`tz`).

use super::pages::Names;
use super::rows::record_rows;
pub use super::rows::HEADERS;
use crate::store::StoredRecord;
use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;

/// One CSV cell: always quoted (inner quotes doubled); a cell a spreadsheet would read as a
/// formula (starting with = + - @, tab or CR) gets a leading `'`.
pub fn cell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_cell(&mut out, value);
    out
}

/// [`cell`] appended to `out`: an export writes a million rows of these.
fn push_cell(out: &mut String, value: &str) {
    out.push('"');
    if matches!(value.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')) {
        out.push('\'');
    }
    for (i, part) in value.split('"').enumerate() {
        if i > 0 {
            out.push_str("\"\"");
        }
        out.push_str(part);
    }
    out.push('"');
}

/// Appends `cells` as one line: `;`-separated, CRLF-terminated.
fn push_line<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, value) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        push_cell(out, value);
    }
    out.push_str("\r\n");
}

/// The start of the file: the BOM and the header line.
pub fn head() -> String {
    let mut out = String::from("\u{feff}");
    push_line(&mut out, HEADERS.iter().copied());
    out
}

/// The «Дата» and «Время» cells' text, dd.mm.yyyy and hh:mm:ss, appended to `out` as two
/// cells (`"…";"…"`), written by hand (chrono's `format` reads its pattern again for every row).
fn push_date_and_time(out: &mut String, at: Option<&DateTime<Tz>>) {
    use std::fmt::Write;
    let Some(at) = at else {
        out.push_str("\"\";\"\"");
        return;
    };
    if (0..=9999).contains(&at.year()) {
        let _ = write!(out, "\"{:02}.{:02}.{:04}\"", at.day(), at.month(), at.year());
    } else {
        push_cell(out, &at.format("%d.%m.%Y").to_string());
    }
    let _ = write!(out, ";\"{:02}:{:02}:{:02}\"", at.hour(), at.minute(), at.second());
}

/// The lines of `records`, one per record (a chunk of a streamed file).
pub fn lines(records: &[(StoredRecord, bool)], names: &Names, tz: chrono_tz::Tz) -> String {
    let mut out = String::with_capacity(records.len() * 300);
    for row in record_rows(records, names, tz) {
        push_date_and_time(&mut out, row.at.as_ref());
        for value in &row.text {
            out.push(';');
            push_cell(&mut out, value);
        }
        out.push_str("\r\n");
    }
    out
}

/// The whole file of `records`.
pub fn render(records: &[(StoredRecord, bool)], names: &Names, tz: chrono_tz::Tz) -> String {
    head() + &lines(records, names, tz)
}

#[cfg(test)]
mod tests {
    use super::{cell, push_date_and_time};
    use chrono::TimeZone;

    #[test]
    fn dates_and_times_read_as_chrono_writes_them() {
        let tz = chrono_tz::Europe::Moscow;
        for ms in [0, 1_735_678_799_999, 1_767_214_800_000, 4_102_444_800_000, -62_135_596_800_000, 253_402_300_800_000]
        {
            let at = tz.timestamp_millis_opt(ms).unwrap();
            let want =
                format!("{};{}", cell(&at.format("%d.%m.%Y").to_string()), cell(&at.format("%H:%M:%S").to_string()));
            let mut got = String::new();
            push_date_and_time(&mut got, Some(&at));
            assert_eq!(got, want, "{ms}");
        }
        let mut none = String::new();
        push_date_and_time(&mut none, None);
        assert_eq!(none, "\"\";\"\"");
    }

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

//! The XLSX exports: the records (the CSV's rows, see [`super::rows`]) and the monthly summary.
//!
//! Text is always written as a string cell, so a value starting with `=` stays text and is
//! never a formula. Dates are real Excel dates shown dd.mm.yyyy, times real times in the
//! institution's time zone shown hh:mm:ss.

use chrono::{Datelike, Timelike};
use rust_xlsxwriter::{ColNum, ExcelDateTime, Format, FormatAlign, RowNum, Workbook, Worksheet, XlsxError};

use super::pages::Names;
use super::rows::{record_rows, HEADERS};
use crate::report::calendar::MONTHS;
use crate::report::MonthlySummary;
use crate::store::StoredRecord;

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The sheet of [`records`].
pub const RECORDS_SHEET: &str = "Записи";
/// The sheet of [`summary`].
pub const SUMMARY_SHEET: &str = "Сводка";

pub const SUMMARY_HEADERS: &[&str] = &[
    "Месяц",
    "Филиал",
    "Проверок",
    "По Цифровому ID",
    "По бумажному документу",
    "Льгота предоставлена",
    "Проверка возраста пройдена",
    "Не предоставлена",
    "Доля Цифрового ID",
];

fn bold() -> Format {
    Format::new().set_bold()
}

/// Column widths in characters: the longest value (header included), within sensible bounds.
struct Widths(Vec<usize>);

impl Widths {
    fn new(headers: &[&str]) -> Widths {
        Widths(headers.iter().map(|h| h.chars().count()).collect())
    }
    fn see(&mut self, col: usize, text: &str) {
        let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        if let Some(w) = self.0.get_mut(col) {
            *w = (*w).max(longest);
        }
    }
    fn apply(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        for (col, w) in self.0.iter().enumerate() {
            sheet.set_column_width(col as ColNum, (*w).clamp(8, 50) as f64 + 2.0)?;
        }
        Ok(())
    }
}

/// The bold header row, frozen, with an autofilter over `rows` data rows.
fn header(sheet: &mut Worksheet, headers: &[&str], rows: usize) -> Result<(), XlsxError> {
    let bold = bold();
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as ColNum, *h, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows as RowNum, (headers.len() - 1) as ColNum)?;
    Ok(())
}

pub fn records(records: &[(StoredRecord, bool)], names: &Names, tz: chrono_tz::Tz) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(RECORDS_SHEET)?;
    let date = Format::new().set_num_format("dd.mm.yyyy").set_align(FormatAlign::Left);
    let time = Format::new().set_num_format("hh:mm:ss").set_align(FormatAlign::Left);
    let mut widths = Widths::new(HEADERS);
    widths.see(0, "00.00.0000");
    widths.see(1, "00:00:00");
    let mut count = 0;
    for (i, row) in record_rows(records, names, tz).enumerate() {
        let r = (i + 1) as RowNum;
        if let Some(at) = row.at {
            let d = ExcelDateTime::from_ymd(at.year() as u16, at.month() as u8, at.day() as u8)?;
            sheet.write_datetime_with_format(r, 0, &d, &date)?;
            let t = ExcelDateTime::from_hms(at.hour() as u16, at.minute() as u8, at.second())?;
            sheet.write_datetime_with_format(r, 1, &t, &time)?;
        }
        for (j, text) in row.text.iter().enumerate() {
            if !text.is_empty() {
                sheet.write_string(r, (j + 2) as ColNum, text.as_ref())?;
                widths.see(j + 2, text);
            }
        }
        count += 1;
    }
    header(sheet, HEADERS, count)?;
    widths.apply(sheet)?;
    workbook.save_to_buffer()
}

/// The monthly summary of `year`: for each month, a row per branch of `branches` (then any
/// other branch found in `rows`) and, with more than one branch, the month's total; the year's
/// total at the end.
pub fn summary(year: i32, rows: &[MonthlySummary], branches: &[String], names: &Names) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SUMMARY_SHEET)?;
    let percent = Format::new().set_num_format("0.0%");
    let (bold, bold_percent) = (bold(), Format::new().set_bold().set_num_format("0.0%"));
    let mut all: Vec<String> = branches.to_vec();
    for r in rows {
        if !all.contains(&r.branch_id) {
            all.push(r.branch_id.clone());
        }
    }
    let mut widths = Widths::new(SUMMARY_HEADERS);
    let mut line = 0 as RowNum;
    let mut write = |sheet: &mut Worksheet, month: &str, branch: &str, s: &MonthlySummary, total: bool| {
        line += 1;
        let (text, pct) = if total { (&bold, &bold_percent) } else { (&Format::new(), &percent) };
        sheet.write_string_with_format(line, 0, month, text)?;
        sheet.write_string_with_format(line, 1, branch, text)?;
        widths.see(0, month);
        widths.see(1, branch);
        // An age check (18+) is not a benefit: its own column.
        let (benefits, age_checks) = crate::report::split_granted(&s.granted_by_category, |c| names.is_age_check(c));
        for (col, n) in [s.checks, s.digital_id, s.paper, benefits, age_checks, s.refused].into_iter().enumerate() {
            sheet.write_number_with_format(line, (col + 2) as ColNum, n as f64, text)?;
        }
        if s.checks > 0 {
            sheet.write_number_with_format(line, 8, s.digital_id as f64 / s.checks as f64, pct)?;
        }
        Ok::<(), XlsxError>(())
    };
    let add = |sum: &mut MonthlySummary, s: &MonthlySummary| {
        sum.checks += s.checks;
        sum.digital_id += s.digital_id;
        sum.paper += s.paper;
        sum.granted += s.granted;
        sum.refused += s.refused;
        for (c, n) in &s.granted_by_category {
            match sum.granted_by_category.iter_mut().find(|(k, _)| k == c) {
                Some((_, m)) => *m += n,
                None => sum.granted_by_category.push((c.clone(), *n)),
            }
        }
    };
    let mut year_total = MonthlySummary::default();
    for (m, month_name) in MONTHS.iter().enumerate() {
        let month = format!("{month_name} {year}");
        let mut month_total = MonthlySummary::default();
        for branch in &all {
            let zero = MonthlySummary::default();
            let s = rows.iter().find(|r| r.month == m as u32 + 1 && &r.branch_id == branch).unwrap_or(&zero);
            write(sheet, &month, names.branch(branch), s, false)?;
            add(&mut month_total, s);
        }
        if all.len() > 1 {
            write(sheet, &month, "Итого за месяц", &month_total, true)?;
        }
        add(&mut year_total, &month_total);
    }
    write(sheet, &format!("Итого за {year} год"), "", &year_total, true)?;
    let data_rows = line as usize;
    header(sheet, SUMMARY_HEADERS, data_rows)?;
    widths.apply(sheet)?;
    workbook.save_to_buffer()
}

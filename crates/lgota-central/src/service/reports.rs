//! What the central office reads: the names of ids for its pages and files, and the exports of
//! records and of the monthly summary (audited: who took which period).

use super::audit::{self, Action};
use super::reference::current_config;
use super::{Actor, Error, Kind, Result};
use crate::report::names::{event_label, Names};
use crate::report::MonthlySummary;
use crate::store::{Database, RecordFilter, StoredRecord};
use lgota_protocol::codes;

/// How many of the newest events the filters offer and the pages name.
pub const EVENT_CHOICES: u32 = 500;

/// The names of branches, categories, reasons, documents and events; the branch ids and the
/// category ids (in the configuration's order).
pub fn names(db: &dyn Database) -> Result<(Names, Vec<String>, Vec<String>)> {
    let mut names = Names::default();
    let mut branch_ids = Vec::new();
    for (id, name) in db.branches()? {
        branch_ids.push(id.clone());
        names.branches.insert(id, name);
    }
    // The configuration phones use: the published one, or the bundled one before any.
    let config = current_config(db)?;
    let category_ids = config.categories.iter().map(|c| c.id.clone()).collect();
    names.age_checks.extend(
        config
            .categories
            .iter()
            .filter(|c| c.kind == lgota_domain::config::CategoryKind::AgeCheck)
            .map(|c| c.id.clone()),
    );
    names.categories.extend(config.categories.into_iter().map(|c| (c.id, c.name)));
    names.failure_reasons.extend(config.failure_reasons.into_iter().map(|r| (r.id, r.name)));
    names.document_types.extend(config.document_types.into_iter().map(|d| (d.id, d.name)));
    let mut seen = std::collections::HashSet::new();
    for row in db.events(None, EVENT_CHOICES)? {
        seen.insert(row.event.id.clone());
        add_event_name(&mut names, row.event, "");
    }
    // Events librarians started on their phones, named as the phones sent them.
    for event in db.phone_events(EVENT_CHOICES)? {
        if !seen.contains(&event.id) {
            add_event_name(&mut names, event, PHONE_EVENT);
        }
    }
    Ok((names, branch_ids, category_ids))
}

/// The ids of the age-check categories of the configuration phones use (`kind = age_check`).
pub fn age_check_categories(db: &dyn Database) -> Result<Vec<String>> {
    let config = current_config(db)?;
    Ok(config
        .categories
        .into_iter()
        .filter(|c| c.kind == lgota_domain::config::CategoryKind::AgeCheck)
        .map(|c| c.id)
        .collect())
}

/// Names the events of `ids` the newest ones did not name (older events of figures, pages and
/// exports), published or started on phones; one the server has no title of keeps its id.
pub fn name_events<'a>(db: &dyn Database, names: &mut Names, ids: impl IntoIterator<Item = &'a str>) -> Result<()> {
    for id in ids {
        if names.names_event(id) {
            continue;
        }
        let label = match db.event(id)? {
            Some(row) => event_label(&row.event.title, &row.event.date),
            None => match db.phone_event(id)? {
                Some(event) => format!("{}{PHONE_EVENT}", event_label(&event.title, &event.date)),
                None => names.event_label(id),
            },
        };
        names.name_event(id.to_string(), label);
    }
    Ok(())
}

/// Names the events of `records` the newest ones did not name.
pub fn name_record_events(db: &dyn Database, names: &mut Names, records: &[(StoredRecord, bool)]) -> Result<()> {
    name_events(db, names, records.iter().filter_map(|(r, _)| r.record.event_id.as_deref()))
}

/// What an event's label says of an event started on a phone.
const PHONE_EVENT: &str = " (начато на телефоне)";

fn add_event_name(names: &mut Names, event: lgota_protocol::WireEvent, suffix: &str) {
    let label = format!("{}{suffix}", event_label(&event.title, &event.date));
    names.offer_event(event.id, label, event.branch_id);
}

/// The export file formats of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// Data rows an XLSX sheet holds (1,048,576 rows, the header one of them).
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

/// Rows per chunk of a streamed export.
pub const EXPORT_CHUNK: u32 = 5_000;

/// Starts an export (`filter` already confined to a branch head's branch): counts its rows
/// first — an XLSX of more rows than a sheet holds is refused before any work — audits it with
/// the period `dates` as people read it, and returns the row count and the names. The rows
/// follow from [`export_each`] (CSV, streamed) or [`export_records`] (XLSX, one file in memory).
pub fn export_start(
    db: &dyn Database,
    actor: &Actor,
    filter: &RecordFilter,
    dates: (&str, &str),
    format: Format,
) -> Result<(u64, Names)> {
    actor.must_see_records()?;
    let rows = db.export_count(filter)?;
    if format == Format::Xlsx {
        fits_a_sheet(rows, dates)?;
    }
    let detail = format!("Выгрузка записей за {} — {}, строк: {rows}", dates.0, dates.1);
    let action = match format {
        Format::Csv => Action::ExportCsv,
        Format::Xlsx => Action::ExportXlsx,
    };
    audit::note(db, actor, action, &detail)?;
    tracing::info!(login = actor.login, rows, action = action.as_str(), "records exported");
    Ok((rows, names(db)?.0))
}

/// An XLSX of `rows` data rows fits a sheet; otherwise the refusal, with advice.
fn fits_a_sheet(rows: u64, dates: (&str, &str)) -> Result<()> {
    if rows <= XLSX_MAX_ROWS {
        return Ok(());
    }
    Err(Error::new(
        Kind::Unprocessable,
        codes::TOO_MANY_ROWS,
        format!(
            "За {} — {} записей {rows}, а лист Excel вмещает не больше {XLSX_MAX_ROWS}. \
             Выберите период короче (или один филиал) либо выгрузите CSV: в нём строк сколько угодно.",
            dates.0, dates.1
        ),
    ))
}

/// A chunk of an export: records, each with whether it (a check) has been voided.
pub type ExportChunk = Vec<(StoredRecord, bool)>;

/// The rows of an export, oldest first, handed to `visit` a chunk at a time (memory stays
/// flat) with the names of the chunk's events; `visit` returns `false` to stop (the download
/// was abandoned).
pub fn export_each(
    db: &dyn Database,
    filter: &RecordFilter,
    names: &mut Names,
    visit: &mut dyn FnMut(ExportChunk, &Names) -> bool,
) -> Result<()> {
    let mut named = Ok(());
    db.export_each(filter, EXPORT_CHUNK, &mut |chunk| {
        // Each chunk's older events are named as they come (a year has thousands).
        named = name_record_events(db, names, &chunk);
        Ok(named.is_ok() && visit(chunk, names))
    })?;
    named
}

/// The records of an export (after [`export_start`]), all at once.
pub fn export_records(
    db: &dyn Database,
    filter: &RecordFilter,
    names: &mut Names,
) -> Result<Vec<(StoredRecord, bool)>> {
    let records = db.export_records(filter, None)?;
    name_record_events(db, names, &records)?;
    Ok(records)
}

/// The monthly summary of `year` (`months` as `(month, from_ms, to_ms)`) for the branches
/// `actor` sees, with the names and those branches' ids; audited.
pub fn export_summary(
    db: &dyn Database,
    actor: &Actor,
    year: i32,
    filter: &RecordFilter,
    months: &[(u32, i64, i64)],
) -> Result<(Vec<MonthlySummary>, Names, Vec<String>)> {
    let summary = db.monthly_summary(filter, months)?;
    let (names, branch_ids, _) = names(db)?;
    let branches = match actor.role.branch() {
        Some(own) => vec![own.to_string()],
        None => branch_ids,
    };
    audit::note(db, actor, Action::ExportSummary, &format!("Сводка по месяцам за {year} год (Excel)"))?;
    Ok((summary, names, branches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xlsx_beyond_a_sheet_is_refused_with_advice() {
        assert!(fits_a_sheet(XLSX_MAX_ROWS, ("01.01.2026", "31.12.2026")).is_ok());
        let e = fits_a_sheet(XLSX_MAX_ROWS + 1, ("01.01.2026", "31.12.2026")).unwrap_err();
        assert_eq!((e.kind, e.code), (Kind::Unprocessable, codes::TOO_MANY_ROWS));
        assert!(e.message.contains("период короче") && e.message.contains("CSV"), "{}", e.message);
    }
}

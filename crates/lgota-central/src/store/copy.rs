//! Copying a SQLite installation into PostgreSQL (`lgota-central migrate`): every table the
//! server keeps, row by row in the source's order, then a check that both hold the same.
//!
//! - Records go in the order SQLite stored them (rowid), a chunk per statement, under the
//!   intake's lock: PostgreSQL's counts trigger counts them as SQLite's store did, so the figures
//!   come out equal — and the check below proves it rather than trusting it. The counts tables
//!   themselves are not copied. Then `ANALYZE`, so the first queries are planned on statistics.
//! - The server's identity is the source's: phones see the same server and send nothing again.
//! - Run again, it copies what is missing and nothing twice: append-only tables (records, audit
//!   log, conflicts, events, backups) skip rows already there, the others take the source's
//!   version (a device revoked since, a used enrollment code, a changed password). So the usual
//!   move is: copy while the old server still serves, stop it, copy again, start on PostgreSQL.
//! - Redactions and purges the source made after an earlier copy are carried over to what that
//!   copy wrote (the removed text and records do not survive in PostgreSQL).
//! - A target that already holds another installation's records is refused.

use super::{
    Cell, FigureStore, PostgresDatabase, RecordFilter, RecordStore, RetentionStore, SqliteDatabase, StoreError,
    StoreResult,
};

/// A table to copy: its columns, the key a row is known by, and whether a copy run again takes
/// the source's version of a known row (`true`) or leaves it (append-only tables).
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    key: &'static str,
    update: bool,
}

const RECORD_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "created_at_ms",
    "utc_offset_min",
    "device_id",
    "branch_id",
    "event_id",
    "staff_label",
    "training",
    "method",
    "outcome",
    "granted",
    "category_id",
    "failure_reason_id",
    "document_type_id",
    "checklist_completed",
    "note",
    "target_id",
    "void_reason",
    "received_at_ms",
    "offline",
    "clock_off",
];

/// In an order that keeps the references whole (branches before what names them).
const TABLES: &[Table] = &[
    Table { name: "server_identity", columns: &["one", "server_id", "created_at_ms"], key: "one", update: true },
    Table { name: "branches", columns: &["id", "name"], key: "id", update: true },
    Table {
        name: "admins",
        columns: &["login", "password_hash", "role", "branch_id", "created_at", "disabled_at", "records"],
        key: "login",
        update: true,
    },
    Table {
        name: "sessions",
        columns: &["token_sha256", "login", "csrf_token", "created_at", "expires_at"],
        key: "token_sha256",
        update: true,
    },
    Table {
        name: "devices",
        columns: &[
            "id",
            "branch_id",
            "token_sha256",
            "enrolled_at",
            "revoked_at",
            "last_seen_at",
            "pending",
            "last_push_at",
            "clock_skew_ms",
            "report",
            "signing_key",
            "signing_key_at",
        ],
        key: "id",
        update: true,
    },
    Table {
        name: "enrollment_codes",
        columns: &[
            "code_sha256",
            "branch_id",
            "created_at",
            "expires_at",
            "used_at",
            "device_id",
            "issuer_role",
            "issued_by",
            "secret_sha256",
        ],
        key: "code_sha256",
        update: true,
    },
    Table { name: "reference", columns: &["name", "version", "body"], key: "name", update: true },
    Table {
        name: "events",
        columns: &["seq", "id", "title", "date", "branch_id", "created_at_ms"],
        key: "seq",
        update: false,
    },
    Table {
        name: "phone_events",
        columns: &["id", "title", "date", "branch_id", "first_seen_ms"],
        key: "id",
        update: false,
    },
    Table {
        name: "content_uploads",
        columns: &["id", "uploaded_at_ms", "login", "version", "key_id", "summary", "body", "published_at_ms"],
        key: "id",
        update: true,
    },
    Table { name: "audit_log", columns: &["id", "at_ms", "login", "action", "detail"], key: "id", update: false },
    Table {
        name: "record_conflicts",
        columns: &["seq", "id", "device_id", "received_at_ms", "body"],
        key: "seq",
        update: false,
    },
    Table {
        name: "backups",
        columns: &["id", "at_ms", "file", "bytes", "records", "ok", "detail"],
        key: "id",
        update: false,
    },
    Table {
        name: "sign_in_backoff",
        columns: &["key", "failures", "next_at_ms", "last_at_ms"],
        key: "key",
        update: true,
    },
    Table {
        name: "training_results",
        columns: &[
            "id",
            "device_id",
            "branch_id",
            "staff_label",
            "scenario_id",
            "scenario_title",
            "content_version",
            "completed_at_ms",
            "utc_offset_min",
            "steps",
            "correct_first_try",
            "received_at_ms",
        ],
        key: "id",
        update: false,
    },
    Table {
        name: "app_releases",
        columns: &["seq", "version", "sha256", "bytes", "uploaded_at_ms", "login", "apk"],
        key: "seq",
        // An older release's file is let go when a newer one comes.
        update: true,
    },
    Table {
        name: "redactions",
        columns: &["seq", "record_id", "field", "at_ms", "by_login", "actor", "reason"],
        key: "seq",
        update: false,
    },
    Table {
        name: "purged_years",
        columns: &["year", "from_ms", "to_ms", "records", "archive_sha256", "at_ms", "login"],
        key: "year",
        update: false,
    },
    Table { name: "records", columns: RECORD_COLUMNS, key: "id", update: false },
];

/// Rows read and written per step: memory stays flat whatever the size.
const CHUNK: u32 = 5_000;

/// What a copy did and found, table by table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Each table: rows in the source, rows written now, rows in the target after.
    pub tables: Vec<(&'static str, u64, u64, u64)>,
    /// Valid checks counted by both (2000–2100), equal.
    pub checks: u64,
}

/// The period the figures are compared over: every date the dashboard can show.
fn all_time() -> RecordFilter {
    // 2000-01-01 and 2101-01-01, UTC.
    RecordFilter { from_ms: 946_684_800_000, to_ms: 4_133_980_800_000, ..Default::default() }
}

/// Copies every table of `from` into `to` and checks that both hold the same: per table the same
/// number of rows, and the same figures (the overview of all time, its total, the monthly
/// summary of each year). `progress` hears each table's name and rows written so far.
pub fn sqlite_to_postgres(
    from: &SqliteDatabase,
    to: &PostgresDatabase,
    progress: &mut dyn FnMut(&str, u64),
) -> StoreResult<CopyReport> {
    let (source_id, target_id) = (from.server_id()?, to.server_id()?);
    if source_id != target_id && to.record_count()? > 0 {
        return Err(StoreError::Other(format!(
            "в базе PostgreSQL уже есть записи другой установки (идентификатор {target_id}, у копируемой \
             {source_id}): копируйте в пустую базу"
        )));
    }
    let mut report = CopyReport::default();
    for table in TABLES {
        let (mut after, mut written) = (0, 0);
        loop {
            let rows = from.rows_after(table.name, table.columns, after, CHUNK)?;
            let Some((last, _)) = rows.last() else { break };
            after = *last;
            let cells: Vec<Vec<Cell>> = rows.into_iter().map(|(_, cells)| cells).collect();
            written += to.put_rows(table.name, table.columns, table.key, table.update, &cells)?;
            progress(table.name, written);
            if cells.len() < CHUNK as usize {
                break;
            }
        }
        report.tables.push((table.name, from.table_count(table.name)?, written, to.table_count(table.name)?));
    }
    to.follow_identities()?;
    carry_retention(from, to, &mut report)?;
    to.analyze()?;
    verify(from, to, &mut report)?;
    Ok(report)
}

/// A copy run again after the source redacted or purged: what was copied before is redacted or
/// removed the same way (rows are otherwise never changed by a second run of append-only tables).
fn carry_retention(from: &SqliteDatabase, to: &PostgresDatabase, report: &mut CopyReport) -> StoreResult<()> {
    let redacted: Vec<_> =
        from.redactions(None, u32::MAX)?.into_iter().map(|r| (r.record_id, r.field)).collect::<Vec<_>>();
    to.carry_redactions(&redacted)?;
    for year in from.purged_years()? {
        let kept: std::collections::HashSet<String> =
            from.record_ids_in(year.from_ms, year.to_ms)?.into_iter().collect();
        let there = to.record_ids_in(year.from_ms, year.to_ms)?;
        if there.len() == kept.len() {
            continue;
        }
        let gone: Vec<String> = there.into_iter().filter(|id| !kept.contains(id)).collect();
        to.carry_purge(&gone)?;
    }
    // The tables' rows after, as the check below compares them.
    for (name, _, _, target) in report.tables.iter_mut() {
        if *name == "records" || *name == "record_conflicts" {
            *target = to.table_count(name)?;
        }
    }
    Ok(())
}

/// The same rows per table and the same figures, or what differs.
fn verify(from: &SqliteDatabase, to: &PostgresDatabase, report: &mut CopyReport) -> StoreResult<()> {
    let mut differ = Vec::new();
    for (name, source, _, target) in &report.tables {
        if source != target {
            differ.push(format!("{name}: {source} в SQLite, {target} в PostgreSQL"));
        }
    }
    let all = all_time();
    let (a, b) = (from.overview(&all)?, to.overview(&all)?);
    if a != b {
        differ.push(format!("сводка: {} проверок в SQLite, {} в PostgreSQL", a.total, b.total));
    }
    if from.check_count(&all)? != to.check_count(&all)? {
        differ.push("число проверок".into());
    }
    // The summary's rows by year (and branch): its arithmetic over any stretch, 101 of them.
    let year = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .unwrap_or_default()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_millis()
    };
    let months: Vec<(u32, i64, i64)> = (2000..2101).map(|y| (y as u32, year(y), year(y + 1))).collect();
    if from.monthly_summary(&all, &months)? != to.monthly_summary(&all, &months)? {
        differ.push("помесячная сводка".into());
    }
    if from.server_id()? != to.stored_server_id()? {
        differ.push("идентификатор сервера".into());
    }
    if !differ.is_empty() {
        return Err(StoreError::Other(format!("копия не совпадает с исходной базой: {}", differ.join("; "))));
    }
    report.checks = b.total;
    Ok(())
}

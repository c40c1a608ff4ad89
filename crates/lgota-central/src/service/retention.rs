//! Keeping data no longer than needed (152-ФЗ, issue 16): how long records, the audit log and
//! the sign-in addresses are kept ([`Retention`]); the periodic pass over the audit log
//! ([`apply`]); a year's records written to a checksummed archive ([`archive`], [`verify`]) and
//! removed past their retention once archived ([`purge`]); a note or staff label removed from one
//! record with an act of destruction ([`redact`], [`act_text`]). docs/archive.md describes the
//! archive file; docs/deploy.md the settings.

use std::collections::HashSet;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use lgota_protocol::{codes, WireRecord};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::audit::{self, Action};
use super::{Actor, Error, Kind, Result};
use crate::now_ms;
use crate::report::{month_ranges, MonthlySummary, Overview, Period};
use crate::store::{
    AuditBlank, Database, PurgeOutcome, PurgedYear, RecordFilter, RedactField, RedactOutcome, Redaction, Role,
};

/// How long things are kept (the settings `records_keep_years`, `audit_keep_years`,
/// `sign_in_keep_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Full calendar years a year's records are kept after it ends: the records of year Y may be
    /// purged (after archiving) from 1 January of Y + 1 + `records_years`.
    pub records_years: u32,
    /// Audit entries older than this many years (365 days each) are removed by the periodic pass.
    pub audit_years: u32,
    /// After this many days the client's address of a sign-in and the login a failed sign-in
    /// named are blanked in the audit log.
    pub sign_in_days: u32,
}

pub const DEFAULT_RECORDS_YEARS: u32 = 3;
pub const DEFAULT_AUDIT_YEARS: u32 = 3;
pub const DEFAULT_SIGN_IN_DAYS: u32 = 90;

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            records_years: DEFAULT_RECORDS_YEARS,
            audit_years: DEFAULT_AUDIT_YEARS,
            sign_in_days: DEFAULT_SIGN_IN_DAYS,
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// What blanking leaves of a sign-in's entry.
pub const SIGN_IN_BLANKED: &str = "Вход (адрес удалён по сроку хранения)";
pub const SIGN_IN_FAILED_BLANKED: &str = "Неудачный вход (адрес удалён по сроку хранения)";
/// The login of a failed sign-in after its retention.
pub const LOGIN_BLANKED: &str = "логин удалён по сроку хранения";

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassOutcome {
    pub blanked: u64,
    pub deleted: u64,
}

/// The periodic pass (at the server's start and every few hours): sign-ins older than
/// `sign_in_days` lose their address (a failed one its login too); audit entries older than
/// `audit_years` are removed. Audited when it changed something.
pub fn apply(db: &dyn Database, retention: &Retention, now_ms: i64) -> Result<PassOutcome> {
    let blanks = [
        AuditBlank { action: Action::SignIn.as_str().into(), detail: SIGN_IN_BLANKED.into(), login: None },
        AuditBlank {
            action: Action::SignInFailed.as_str().into(),
            detail: SIGN_IN_FAILED_BLANKED.into(),
            login: Some(LOGIN_BLANKED.into()),
        },
    ];
    let blanked = db.blank_audit(now_ms - i64::from(retention.sign_in_days) * DAY_MS, &blanks)?;
    let deleted = db.delete_audit_before(now_ms - i64::from(retention.audit_years) * 365 * DAY_MS)?;
    // The sign-in back-off names addresses too: kept only as long as it counts failures.
    db.forget_sign_ins(now_ms - super::admins::BACKOFF.memory_ms)?;
    if blanked + deleted > 0 {
        let detail = format!(
            "Срок хранения: адреса входов обезличены в {blanked} записях журнала (старше {} дн.), \
             удалено записей журнала старше {} лет: {deleted}",
            retention.sign_in_days, retention.audit_years
        );
        audit::note_as(db, "server", Action::Retention, &detail)?;
        tracing::info!(blanked, deleted, "retention pass");
    }
    Ok(PassOutcome { blanked, deleted })
}

/// The year `year` in the institution's time zone: `[from_ms, to_ms)`.
pub fn year_bounds(year: i32, tz: chrono_tz::Tz) -> Result<(i64, i64)> {
    if !(2000..=2100).contains(&year) {
        return Err(Error::invalid("Год должен быть числом от 2000 до 2100."));
    }
    let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return Err(Error::invalid("Год должен быть числом от 2000 до 2100."));
    };
    Ok(Period { from, to }.utc_ms(tz))
}

/// The archive file's name of its format.
pub const ARCHIVE_FORMAT: &str = "lgota-central-archive";
pub const ARCHIVE_VERSION: u32 = 1;

/// One record as the archive holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedRecord {
    pub record: WireRecord,
    pub received_at_ms: i64,
    pub offline: bool,
    /// A check voided by its own device.
    pub voided: bool,
}

/// A later version of an archived record's id, kept aside as a conflict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedConflict {
    pub record: WireRecord,
    pub received_at_ms: i64,
}

/// The year's figures as the dashboard showed them when the archive was written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedSummary {
    pub total: u64,
    pub granted: u64,
    pub refused: u64,
    pub by_branch: Vec<(String, u64)>,
    pub by_category: Vec<(String, u64)>,
    pub by_method: Vec<(String, u64)>,
    pub by_outcome: Vec<(String, u64)>,
    /// `(month, branch, checks)`.
    pub months: Vec<(u32, String, u64)>,
}

/// The archive file (docs/archive.md): one JSON document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchiveFile {
    pub format: String,
    pub version: u32,
    pub year: i32,
    pub timezone: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub server_id: String,
    pub written_at_ms: i64,
    pub written_by: String,
    pub summary: ArchivedSummary,
    pub conflicts: Vec<ArchivedConflict>,
    pub record_count: u64,
    pub records: Vec<ArchivedRecord>,
}

/// What [`archive`] wrote, or [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveInfo {
    pub file: PathBuf,
    pub checksum_file: PathBuf,
    pub sha256: String,
    pub year: i32,
    pub from_ms: i64,
    pub to_ms: i64,
    pub records: u64,
    pub checks: u64,
}

/// `FILE.sha256` beside the archive, in the form `sha256sum -c` reads.
pub fn checksum_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".sha256");
    PathBuf::from(name)
}

fn io(what: &Path, e: std::io::Error) -> Error {
    Error::new(Kind::Invalid, codes::INVALID_REQUEST, format!("{}: {e}", what.display()))
}

/// A writer that hashes what passes through it.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn summary_of(overview: &Overview, months: &[MonthlySummary]) -> ArchivedSummary {
    ArchivedSummary {
        total: overview.total,
        granted: overview.granted,
        refused: overview.refused,
        by_branch: overview.by_branch.clone(),
        by_category: overview.by_category.clone(),
        by_method: overview.by_method.clone(),
        by_outcome: overview.by_outcome.clone(),
        months: months.iter().map(|m| (m.month, m.branch_id.clone(), m.checks)).collect(),
    }
}

/// Writes the records made in `year` (checks and voids, with the conflicting versions of their
/// ids) and the year's figures to `out` (which must not exist), then its SHA-256 beside it
/// (`out.sha256`), and reads both back ([`verify`]). Audited.
pub fn archive(db: &dyn Database, actor: &Actor, year: i32, tz: chrono_tz::Tz, out: &Path) -> Result<ArchiveInfo> {
    actor.must_be_admin()?;
    let (from_ms, to_ms) = year_bounds(year, tz)?;
    if out.exists() {
        return Err(Error::invalid(format!(
            "{} уже есть: архив не перезаписывается, укажите другой файл.",
            out.display()
        )));
    }
    let filter = RecordFilter { from_ms, to_ms, ..Default::default() };
    let overview = db.overview(&filter)?;
    let months = db.monthly_summary(&filter, &month_ranges(year, tz))?;
    let mut records = Vec::new();
    db.export_each(&filter, 5000, &mut |chunk| {
        records.extend(chunk.into_iter().map(|(s, voided)| ArchivedRecord {
            record: s.record,
            received_at_ms: s.received_at_ms,
            offline: s.offline,
            voided,
        }));
        Ok(true)
    })?;
    let ids: HashSet<&str> = records.iter().map(|r| r.record.id.as_str()).collect();
    let conflicts = db
        .conflicts(u32::MAX)?
        .into_iter()
        .filter(|c| ids.contains(c.arrived.id.as_str()))
        .map(|c| ArchivedConflict { record: c.arrived, received_at_ms: c.received_at_ms })
        .collect();
    let file = ArchiveFile {
        format: ARCHIVE_FORMAT.into(),
        version: ARCHIVE_VERSION,
        year,
        timezone: tz.name().to_string(),
        from_ms,
        to_ms,
        server_id: db.server_id()?,
        written_at_ms: now_ms(),
        written_by: actor.login.clone(),
        summary: summary_of(&overview, &months),
        conflicts,
        record_count: records.len() as u64,
        records,
    };
    // Written beside, then moved into place: a half-written archive never has the final name.
    let part = out.with_extension("part");
    let written = (|| -> std::io::Result<String> {
        let mut w = Hashing { inner: BufWriter::new(std::fs::File::create(&part)?), hash: Sha256::new() };
        serde_json::to_writer_pretty(&mut w, &file)?;
        w.write_all(b"\n")?;
        w.flush()?;
        w.inner.get_ref().sync_all()?;
        Ok(hex(&w.hash.finalize()))
    })();
    let sha256 = match written {
        Ok(h) => h,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(io(out, e));
        }
    };
    std::fs::rename(&part, out).map_err(|e| io(out, e))?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    std::fs::write(checksum_path(out), format!("{sha256}  {name}\n")).map_err(|e| io(&checksum_path(out), e))?;
    let info = verify(out)?;
    let detail =
        format!("Архив записей за {year} год: {} записей, файл {}, SHA-256 {sha256}", info.records, out.display());
    audit::note(db, actor, Action::RecordsArchive, &detail)?;
    Ok(info)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bad_archive(file: &Path, why: impl std::fmt::Display) -> Error {
    Error::new(Kind::Invalid, codes::INVALID_REQUEST, format!("Архив {} не прошёл проверку: {why}.", file.display()))
}

/// Checks an archive against the SHA-256 beside it and reads it whole: its format, year and
/// record count. Nothing is trusted of a file that fails.
pub fn verify(file: &Path) -> Result<ArchiveInfo> {
    read_verified(file).map(|(info, _)| info)
}

fn read_verified(file: &Path) -> Result<(ArchiveInfo, ArchiveFile)> {
    let checksum_file = checksum_path(file);
    let expected = std::fs::read_to_string(&checksum_file)
        .map_err(|e| bad_archive(file, format!("нет файла контрольной суммы {} ({e})", checksum_file.display())))?;
    let expected = expected.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
    let mut hash = Sha256::new();
    let mut reader = BufReader::new(std::fs::File::open(file).map_err(|e| io(file, e))?);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(|e| io(file, e))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    let sha256 = hex(&hash.finalize());
    if sha256 != expected {
        return Err(bad_archive(file, format!("SHA-256 файла {sha256}, а в {} — {expected}", checksum_file.display())));
    }
    let reader = BufReader::new(std::fs::File::open(file).map_err(|e| io(file, e))?);
    let archive: ArchiveFile = serde_json::from_reader(reader).map_err(|e| bad_archive(file, e))?;
    if archive.format != ARCHIVE_FORMAT || archive.version != ARCHIVE_VERSION {
        return Err(bad_archive(file, format!("формат «{} {}» не знаком", archive.format, archive.version)));
    }
    if archive.record_count != archive.records.len() as u64 {
        return Err(bad_archive(file, "число записей не сходится"));
    }
    if let Some(r) =
        archive.records.iter().find(|r| !(archive.from_ms..archive.to_ms).contains(&r.record.created_at_ms))
    {
        return Err(bad_archive(file, format!("запись {} сделана не в {} году", r.record.id, archive.year)));
    }
    let checks = archive.records.iter().filter(|r| r.record.kind == lgota_protocol::RecordKind::Check).count() as u64;
    let info = ArchiveInfo {
        file: file.to_path_buf(),
        checksum_file,
        sha256,
        year: archive.year,
        from_ms: archive.from_ms,
        to_ms: archive.to_ms,
        records: archive.record_count,
        checks,
    };
    Ok((info, archive))
}

/// What [`purge`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    pub year: i32,
    pub records: u64,
    pub conflicts: u64,
    pub voids_kept: u64,
}

/// The first year whose records are still kept on `today` (in the institution's zone).
pub fn oldest_kept_year(retention: &Retention, tz: chrono_tz::Tz, now_ms: i64) -> i32 {
    let today = Utc.timestamp_millis_opt(now_ms).single().unwrap_or_default().with_timezone(&tz);
    today.year() - i32::try_from(retention.records_years).unwrap_or(i32::MAX / 2)
}

/// Removes the records made in `year` — only when `archive_file` verifies, is that year's
/// archive in this time zone and holds every record of the year stored now, and the year is past
/// its retention. The figures stay (the count tables are not touched). Audited.
pub fn purge(
    db: &dyn Database,
    actor: &Actor,
    year: i32,
    archive_file: &Path,
    retention: &Retention,
    tz: chrono_tz::Tz,
) -> Result<Purged> {
    actor.must_be_admin()?;
    let (from_ms, to_ms) = year_bounds(year, tz)?;
    let now = now_ms();
    let kept_from = oldest_kept_year(retention, tz, now);
    if year >= kept_from {
        return Err(Error::new(
            Kind::Conflict,
            codes::CONFLICT,
            format!(
                "Записи за {year} год ещё хранятся: срок хранения — {} полных года после окончания года \
                 (records_keep_years), удалить их можно с 1 января {} года.",
                retention.records_years,
                year + 1 + i32::try_from(retention.records_years).unwrap_or(0)
            ),
        ));
    }
    let (info, archive) = read_verified(archive_file)?;
    if info.year != year {
        return Err(bad_archive(archive_file, format!("это архив {} года, а не {year}", info.year)));
    }
    if (info.from_ms, info.to_ms) != (from_ms, to_ms) {
        return Err(bad_archive(
            archive_file,
            format!("год в нём взят в часовом поясе {}, а сервер работает в {}", archive.timezone, tz.name()),
        ));
    }
    let ids: HashSet<String> = archive.records.into_iter().map(|r| r.record.id).collect();
    let noted = PurgedYear {
        year,
        from_ms,
        to_ms,
        records: 0,
        archive_sha256: info.sha256.clone(),
        at_ms: now,
        login: actor.login.clone(),
    };
    match db.purge_year(&noted, &ids)? {
        PurgeOutcome::Purged { records, conflicts, voids_kept } => {
            let detail = format!(
                "Удалены записи за {year} год по истечении срока хранения: {records} (архив {}, SHA-256 {}); \
                 итоги года сохранены",
                archive_file.display(),
                info.sha256
            );
            audit::note(db, actor, Action::RecordsPurge, &detail)?;
            Ok(Purged { year, records, conflicts, voids_kept })
        }
        PurgeOutcome::NotArchived { missing } => Err(Error::new(
            Kind::Conflict,
            codes::CONFLICT,
            format!(
                "В базе {missing} записей за {year} год, которых нет в архиве (пришли после него): \
                 ничего не удалено. Сделайте архив заново и повторите."
            ),
        )),
        PurgeOutcome::AlreadyPurged => {
            Err(Error::new(Kind::Conflict, codes::CONFLICT, format!("Записи за {year} год уже удалены.")))
        }
    }
}

/// Removes `field` from record `record_id` (and from the database file), audited; the answer is
/// the act of destruction's content. `by` answers for it: an administrator of the dashboard
/// (from the dashboard, the one signed in). `reason` is free text screened for personal data.
pub fn redact(
    db: &dyn Database,
    actor: &Actor,
    record_id: &str,
    field: RedactField,
    reason: &str,
    by: &str,
) -> Result<Redaction> {
    actor.must_be_admin()?;
    if reason.trim().is_empty() {
        return Err(Error::invalid("Укажите основание уничтожения (например, «в примечание попали ФИО гражданина»)."));
    }
    let reason = lgota_domain::text::clean_optional("основание", Some(reason), 300)
        .map_err(|e| Error::invalid(e.to_string()))?
        .unwrap_or_default();
    let by = by.trim();
    match db.admin(by)? {
        Some(a) if a.role == Role::Admin && !a.disabled => {}
        _ => {
            return Err(Error::invalid(format!(
                "Ответственный «{}» — не действующий администратор панели: укажите логин администратора.",
                super::for_log(by)
            )))
        }
    }
    let id = record_id.trim();
    match db.redact_record(id, field, now_ms(), by, &actor.login, &reason)? {
        RedactOutcome::Done(r) => {
            let detail = format!(
                "Из записи {id} удалено поле «{}» (акт № {}); основание: {reason}; ответственный: {by}",
                field.label(),
                r.seq
            );
            audit::note(db, actor, Action::RecordRedact, &detail)?;
            Ok(r)
        }
        RedactOutcome::NotFound => {
            Err(Error::new(Kind::NotFound, codes::NOT_FOUND, format!("Нет записи {}.", super::for_log(id))))
        }
        RedactOutcome::AlreadyEmpty => {
            Err(Error::invalid(format!("В записи {id} поле «{}» уже пустое.", field.label())))
        }
    }
}

/// A moment as the act writes it: `ДД.ММ.ГГГГ ЧЧ:ММ` in the institution's zone.
fn moment(tz: chrono_tz::Tz, ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map_or_else(String::new, |t| t.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string())
}

/// The act of destruction of personal data of a redaction, as text (the command line prints it;
/// the dashboard shows the same lines).
pub fn act_lines(r: &Redaction, tz: chrono_tz::Tz, server_id: &str) -> Vec<(String, String)> {
    vec![
        ("Дата и время уничтожения".into(), format!("{} ({})", moment(tz, r.at_ms), tz.name())),
        ("Информационная система".into(), format!("центральный сервер «Льгота», база {server_id}")),
        ("Запись".into(), r.record_id.clone()),
        (
            "Уничтожено".into(),
            format!(
                "поле «{}» этой записи: значение удалено из базы данных без возможности восстановления \
                 (файл базы перезаписан, журнал WAL очищен); остальные поля записи и итоговые показатели не изменены",
                r.field.label()
            ),
        ),
        ("Основание".into(), r.reason.clone()),
        ("Ответственный".into(), r.by_login.clone()),
        ("Выполнил".into(), r.actor.clone()),
        (
            "Примечание".into(),
            format!(
                "резервные копии базы, сделанные до {}, содержат прежнее значение и уничтожаются по истечении \
                 срока их хранения",
                moment(tz, r.at_ms)
            ),
        ),
    ]
}

/// The act as plain text (the command line).
pub fn act_text(r: &Redaction, tz: chrono_tz::Tz, server_id: &str) -> String {
    let mut out = format!("АКТ № {} об уничтожении персональных данных\n\n", r.seq);
    for (k, v) in act_lines(r, tz, server_id) {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push_str(&format!("\nОтветственный: ____________________ / {} /\n", r.by_login));
    out
}

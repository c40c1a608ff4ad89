//! Import of the files phones export (`lgota-export-….json`): the records a phone could not send,
//! taken with the rules of a push, record by record.

use std::collections::HashSet;

use lgota_domain::export::Verdict;
use lgota_protocol::{codes, ExportEnvelope, WireRecord, EXPORT_FORMAT, EXPORT_FORMAT_UNSIGNED};

use super::audit::{self, Action};
use super::intake::{self, Branches, Intake};
use super::sync::parse_json;
use super::{Actor, Error, Kind, Result};
use crate::now_ms;
use crate::store::{Database, Device};

/// What became of one file of an import from the dashboard: its intake, or why it was refused.
pub struct ImportResult {
    pub file: String,
    pub outcome: std::result::Result<Intake, String>,
}

/// Records per transaction of an import: a file of any size is stored in slices of this many.
pub const IMPORT_SLICE: usize = 2_000;

/// Imports an offline export of any size with the rules of a push, record by record: each
/// record once by id, the same file twice changes nothing. Only a file signed by the key
/// registered for its device is taken (docs/protocol.md, «Offline export»); an unsigned file, one
/// from a device the server does not know or that has no key yet, and one whose signature does
/// not verify are refused whole, each with its code — none of their records reaches a figure.
/// Not audited: see [`import_file`].
pub fn import_export(db: &dyn Database, json: &[u8]) -> Result<Intake> {
    let export: ExportEnvelope = parse_json(json)?;
    if export.format != EXPORT_FORMAT && export.format != EXPORT_FORMAT_UNSIGNED {
        return Err(Error::new(
            Kind::Unprocessable,
            codes::INVALID_REQUEST,
            format!("Формат файла выгрузки {} не поддерживается (ожидается {EXPORT_FORMAT}).", export.format),
        ));
    }
    if !lgota_domain::text::is_id(&export.device_id) {
        return Err(Error::new(
            Kind::Unprocessable,
            codes::INVALID_REQUEST,
            "В файле выгрузки недопустимый код устройства.",
        ));
    }
    let device = verified_device(db, &export)?;
    let records: Vec<WireRecord> = export.records().map_err(|e| {
        Error::new(Kind::Unprocessable, codes::INVALID_RECORD, format!("Записи файла не соответствуют протоколу: {e}."))
    })?;
    let now = now_ms();
    let known: HashSet<String> = db.branches()?.into_iter().map(|(id, _)| id).collect();
    if device.revoked_at_ms.is_some() {
        // A revoked phone keeps its unsent records for exactly this file.
        tracing::warn!(device = device.id, "importing records of a revoked device");
    }
    let branches =
        Branches::Enrolled { branch: &device.branch_id, enrolled_at_ms: device.enrolled_at_ms, known: &known };
    let mut total = Intake::default();
    let mut records = records;
    while !records.is_empty() {
        let rest = records.split_off(records.len().min(IMPORT_SLICE));
        total.add(intake::take(db, records, &export.device_id, &branches, now)?);
        records = rest;
    }
    Ok(total)
}

const UNSIGNED: &str = "Файл выгрузки не подписан: его записала старая версия приложения, и нельзя проверить, что \
     записи не изменены. Записи не импортированы. Обновите приложение на телефоне и подключите его к сети: он \
     отправит записи сам или выгрузит подписанный файл.";

/// The device that signed `export`, if the signature verifies with its registered key; every
/// other case is refused with its own code and what to do about it.
fn verified_device(db: &dyn Database, export: &ExportEnvelope) -> Result<Device> {
    let refused = |code: &'static str, message: &str| Err(Error::new(Kind::Unprocessable, code, message.to_owned()));
    if export.signature.is_none() {
        return refused(codes::EXPORT_UNSIGNED, UNSIGNED);
    }
    let Some(device) = db.device(&export.device_id)? else {
        return refused(
            codes::EXPORT_DEVICE_UNKNOWN,
            "Файл выгрузки от телефона, который не подключён к этому серверу. Записи не импортированы: \
             подключите телефон по QR-коду и выгрузите записи снова.",
        );
    };
    let Some(key) = db.signing_key(&device.id)? else {
        return refused(
            codes::EXPORT_KEY_UNKNOWN,
            "Ключ подписи этого телефона ещё не зарегистрирован на сервере (телефон подключён до того, как \
             выгрузки стали подписываться). Записи не импортированы: подключите телефон к сети — при \
             синхронизации он зарегистрирует ключ и отправит записи сам.",
        );
    };
    match lgota_domain::export::verify(export, &key) {
        Verdict::Verified => Ok(device),
        Verdict::Unsigned => refused(codes::EXPORT_UNSIGNED, UNSIGNED),
        Verdict::OtherKey => refused(
            codes::EXPORT_SIGNATURE_INVALID,
            "Файл выгрузки подписан не ключом этого телефона: его записал другой телефон или другая установка \
             приложения. Записи не импортированы.",
        ),
        Verdict::BadSignature => refused(
            codes::EXPORT_SIGNATURE_INVALID,
            "Подпись файла выгрузки не сходится: файл изменён после выгрузки. Записи не импортированы; \
             попросите телефон выгрузить записи снова и не открывайте файл в редакторе.",
        ),
    }
}

/// [`import_export`] of a file named `file`, audited — a file refused for its signature too (an
/// attempt to bring in records that cannot be proven leaves a trace).
pub fn import_file(db: &dyn Database, actor: &Actor, file: &str, json: &[u8]) -> Result<Intake> {
    actor.must_be_admin()?;
    let intake = match import_export(db, json) {
        Ok(intake) => intake,
        Err(e) if e.code.starts_with("export_") => {
            audit::note(db, actor, Action::Import, &format!("Импорт файла «{file}» отклонён: {}", e.code))?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    audit::note(db, actor, Action::Import, &format!("Импорт файла «{file}»: {}", intake.summary()))?;
    Ok(intake)
}

//! Import of the files phones export (`lgota-export-….json`): the records a phone could not send,
//! taken with the rules of a push, record by record.

use std::collections::HashSet;

use lgota_protocol::{codes, ExportFile, EXPORT_FORMAT};

use super::audit::{self, Action};
use super::intake::{self, Branches, Intake};
use super::sync::parse_json;
use super::{Actor, Error, Kind, Result};
use crate::now_ms;
use crate::store::Database;

/// What became of one file of an import from the dashboard: its intake, or why it was refused.
pub struct ImportResult {
    pub file: String,
    pub outcome: std::result::Result<Intake, String>,
}

/// Records per transaction of an import: a file of any size is stored in slices of this many.
pub const IMPORT_SLICE: usize = 2_000;

/// Imports an offline export (`{format: 1, device_id, records}`) of any size with the rules of a
/// push, record by record: each record once by id, the same file twice changes nothing. Not
/// audited: see [`import_file`].
pub fn import_export(db: &dyn Database, json: &[u8]) -> Result<Intake> {
    let export: ExportFile = parse_json(json)?;
    if export.format != EXPORT_FORMAT {
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
    let now = now_ms();
    let device = db.device(&export.device_id)?;
    let known: HashSet<String> = db.branches()?.into_iter().map(|(id, _)| id).collect();
    let branches = match &device {
        Some(device) => {
            if device.revoked_at_ms.is_some() {
                tracing::warn!(device = device.id, "importing records of a revoked device");
            }
            Branches::Enrolled { branch: &device.branch_id, enrolled_at_ms: device.enrolled_at_ms, known: &known }
        }
        None => Branches::Known(&known),
    };
    let mut total = Intake::default();
    let mut records = export.records;
    while !records.is_empty() {
        let rest = records.split_off(records.len().min(IMPORT_SLICE));
        total.add(intake::take(db, records, &export.device_id, &branches, now)?);
        records = rest;
    }
    Ok(total)
}

/// [`import_export`] of a file named `file`, audited.
pub fn import_file(db: &dyn Database, actor: &Actor, file: &str, json: &[u8]) -> Result<Intake> {
    actor.must_be_admin()?;
    let intake = import_export(db, json)?;
    audit::note(db, actor, Action::Import, &format!("Импорт файла «{file}»: {}", intake.summary()))?;
    Ok(intake)
}

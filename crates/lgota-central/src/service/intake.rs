//! Record intake, shared by push and import: every record is answered on its own.
//!
//! A record passes the shared record rule set (`lgota_domain::record::Batch`, as `admit`:
//! shape, text normal form, personal data), then the sender's rules here (its device, its
//! branch), then the store's (a void names a record of its own device; the same id with other
//! content is a conflict).
//! Accepted records of a batch are stored in one transaction even when others are refused: one
//! bad record never holds back the records after it.

use std::collections::HashSet;

use lgota_protocol::{codes, RecordResult, RecordStatus, WireRecord};

use crate::store::{Database, StoreError, StoreStatus};

/// Which branch the records of a batch may name.
pub enum Branches<'a> {
    /// An enrolled device: its branch, except for records made before it enrolled (the phone
    /// belonged to no branch yet: a record made at another branch then is still that branch's),
    /// which may name any branch the server knows.
    Enrolled { branch: &'a str, enrolled_at_ms: i64, known: &'a HashSet<String> },
    /// Any branch the server knows (import of a device that never enrolled).
    Known(&'a HashSet<String>),
}

impl Branches<'_> {
    fn allows(&self, r: &WireRecord) -> bool {
        match self {
            Branches::Enrolled { branch, enrolled_at_ms, known } => {
                r.branch_id == *branch || (r.created_at_ms < *enrolled_at_ms && known.contains(&r.branch_id))
            }
            Branches::Known(known) => known.contains(&r.branch_id),
        }
    }
}

/// What became of a batch: one result per record, in order, and the totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intake {
    pub results: Vec<RecordResult>,
    pub stored: u32,
    pub duplicates: u32,
    pub conflicts: u32,
    pub refused: u32,
}

impl Intake {
    /// Ids the phone may move its outbox past (stored now or before).
    pub fn acknowledged(&self) -> Vec<String> {
        self.results.iter().filter(|r| r.status.is_acknowledged()).map(|r| r.id.clone()).collect()
    }

    /// The first record that was not stored (for protocol 1 and for people).
    pub fn first_problem(&self) -> Option<&RecordResult> {
        self.results.iter().find(|r| !r.status.is_acknowledged())
    }

    /// The totals for people: «новых записей 3, уже были 1, расхождений 0, не принято 1».
    pub fn summary(&self) -> String {
        format!(
            "новых записей {}, уже были {}, расхождений {}, не принято {}",
            self.stored, self.duplicates, self.conflicts, self.refused
        )
    }

    /// The records that were not stored, with why: «id: [code] message», the first `n`.
    pub fn problems(&self, n: usize) -> Vec<String> {
        self.results
            .iter()
            .filter(|r| !r.status.is_acknowledged())
            .take(n)
            .map(|r| {
                format!(
                    "{}: [{}] {}",
                    r.id,
                    r.code.as_deref().unwrap_or_default(),
                    r.message.as_deref().unwrap_or("не принята")
                )
            })
            .collect()
    }

    pub fn add(&mut self, other: Intake) {
        self.stored += other.stored;
        self.duplicates += other.duplicates;
        self.conflicts += other.conflicts;
        self.refused += other.refused;
        self.results.extend(other.results);
    }

    fn push(&mut self, id: String, status: RecordStatus, problem: Option<(&str, String)>) {
        match status {
            RecordStatus::Stored => self.stored += 1,
            RecordStatus::Duplicate => self.duplicates += 1,
            RecordStatus::Conflict => self.conflicts += 1,
            RecordStatus::Refused => self.refused += 1,
        }
        let (code, message) = problem.map_or((None, None), |(c, m)| (Some(c.to_string()), Some(m)));
        self.results.push(RecordResult { id, status, code, message });
    }
}

/// The largest id echoed back for a refused record whose id is not an id.
fn shown_id(id: &str) -> String {
    if lgota_domain::text::is_id(id) {
        id.to_string()
    } else {
        id.chars().filter(|c| !c.is_control()).take(100).collect()
    }
}

/// Admits and stores `records` sent by (or exported from) `device_id`.
pub fn take(
    db: &dyn Database,
    records: Vec<WireRecord>,
    device_id: &str,
    branches: &Branches,
    received_at_ms: i64,
) -> Result<Intake, StoreError> {
    // Each record: refused here, or its place among the records handed to the store.
    let mut verdicts: Vec<Result<usize, (String, &'static str, String)>> = Vec::with_capacity(records.len());
    let mut accepted = Vec::new();
    let mut batch = lgota_domain::record::Batch::default();
    for r in records {
        let id = shown_id(&r.id);
        let verdict = match batch.admit(r) {
            Err(e) => Err((id, e.code(), format!("Запись не принята: {e}"))),
            Ok(r) if r.device_id != device_id => Err((
                id,
                codes::WRONG_DEVICE,
                "Запись сделана на другом устройстве: отправить её может только оно.".to_string(),
            )),
            Ok(r) if !branches.allows(&r) => Err((
                id,
                codes::WRONG_BRANCH,
                format!(
                    "Запись относится к филиалу «{}», а устройство подключено к другому. Выгрузите её в файл \
                     и передайте методисту.",
                    r.branch_id
                ),
            )),
            Ok(r) => {
                accepted.push(r);
                Ok(accepted.len() - 1)
            }
        };
        verdicts.push(verdict);
    }
    let statuses = if accepted.is_empty() { Vec::new() } else { db.store_records(&accepted, received_at_ms)?.statuses };
    if statuses.len() != accepted.len() {
        // Never acknowledge a record the store did not answer for.
        return Err(StoreError::Corrupt(format!(
            "the store answered for {} of {} records",
            statuses.len(),
            accepted.len()
        )));
    }
    let mut intake = Intake::default();
    for verdict in verdicts {
        match verdict {
            Err((id, code, message)) => intake.push(id, RecordStatus::Refused, Some((code, message))),
            Ok(i) => {
                let id = accepted[i].id.clone();
                match statuses[i] {
                    StoreStatus::Stored => intake.push(id, RecordStatus::Stored, None),
                    StoreStatus::Duplicate => intake.push(id, RecordStatus::Duplicate, None),
                    StoreStatus::Conflict => intake.push(
                        id,
                        RecordStatus::Conflict,
                        Some((
                            codes::CONFLICT,
                            "На сервере уже есть запись с этим номером, но с другим содержимым. Обе версии \
                             сохранены; методист разберёт расхождение."
                                .to_string(),
                        )),
                    ),
                    StoreStatus::VoidTargetForeign => intake.push(
                        id,
                        RecordStatus::Refused,
                        Some((
                            codes::VOID_TARGET_FOREIGN,
                            "Аннулировать можно только записи, сделанные на этом же телефоне.".to_string(),
                        )),
                    ),
                    StoreStatus::VoidTargetNotCheck => intake.push(
                        id,
                        RecordStatus::Refused,
                        Some((codes::INVALID_RECORD, "Аннулировать можно только запись о проверке.".to_string())),
                    ),
                }
            }
        }
    }
    note_metrics(&intake);
    Ok(intake)
}

fn note_metrics(intake: &Intake) {
    use crate::metrics::{records, RecordResult as Result};
    records(Result::Stored, "", intake.stored.into());
    records(Result::Duplicate, "", intake.duplicates.into());
    records(Result::Conflict, "", intake.conflicts.into());
    for r in intake.results.iter().filter(|r| r.status == RecordStatus::Refused) {
        records(Result::Refused, r.code.as_deref().unwrap_or("unknown"), 1);
    }
}

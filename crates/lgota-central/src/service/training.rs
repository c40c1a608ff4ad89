//! Training results (issue 16, §5.1 of the regulation: the institution trains its staff): what
//! phones send when a librarian finishes a training scenario (protocol 3), and who has been
//! trained, by branch, for the dashboard's «Обучение» and its printable «лист ознакомления».
//! Training results are never records: nothing here touches a figure.

use std::collections::{BTreeMap, HashSet};

use lgota_protocol::{
    codes, RecordResult, RecordStatus, ServerInfo, TrainingPush, TrainingPushResponse, MAX_TRAINING_PER_PUSH,
    PROTOCOL_HEADER, TRAINING_PROTOCOL_MIN,
};

use super::{Actor, Error, Kind, Result};
use crate::now_ms;
use crate::store::{Database, Device, StoreStatus, TrainingRow};

/// The most results the dashboard reads at once (a library system trains tens of people).
pub const LIST_LIMIT: u32 = 5000;

/// Takes a training push of `device` speaking protocol `version` (3 or later): every result is
/// answered on its own and each answer is final (the phone moves past it).
pub fn push(db: &dyn Database, device: &Device, request: TrainingPush, version: u32) -> Result<TrainingPushResponse> {
    if version < TRAINING_PROTOCOL_MIN {
        return Err(Error::new(
            Kind::Invalid,
            codes::UNSUPPORTED_PROTOCOL,
            format!("Результаты обучения принимаются с версии протокола {TRAINING_PROTOCOL_MIN} ({PROTOCOL_HEADER})."),
        ));
    }
    if request.results.len() > MAX_TRAINING_PER_PUSH {
        return Err(Error::new(
            Kind::TooLarge,
            codes::TOO_MANY_RECORDS,
            format!(
                "В одной отправке не больше {MAX_TRAINING_PER_PUSH} результатов обучения, а пришло {}.",
                request.results.len()
            ),
        ));
    }
    let known: HashSet<String> = db.branches()?.into_iter().map(|(id, _)| id).collect();
    let mut answers: Vec<Option<RecordResult>> = Vec::with_capacity(request.results.len());
    let mut admitted = Vec::new();
    for t in request.results {
        let id = t.id.clone();
        let refuse = |code: &str, message: String| {
            Some(RecordResult {
                id: id.clone(),
                status: RecordStatus::Refused,
                code: Some(code.into()),
                message: Some(message),
            })
        };
        match lgota_domain::training::admit(t) {
            Err(e) => answers.push(refuse(e.code(), e.to_string())),
            Ok(t) if t.device_id != device.id => answers.push(refuse(
                codes::WRONG_DEVICE,
                "Результат обучения получен на другом устройстве: отправить его может только оно.".into(),
            )),
            // The branch the phone had when the librarian trained (an administrator may have moved it since).
            Ok(t) if t.branch_id != device.branch_id && !known.contains(&t.branch_id) => {
                answers.push(refuse(codes::WRONG_BRANCH, format!("Неизвестный филиал «{}».", t.branch_id)))
            }
            Ok(t) => {
                answers.push(None);
                admitted.push(t);
            }
        }
    }
    let statuses = db.store_training(&admitted, now_ms())?;
    let mut stored = statuses.iter().zip(&admitted);
    let results: Vec<RecordResult> = answers
        .into_iter()
        .map(|answer| {
            answer.unwrap_or_else(|| {
                let (status, t) = stored.next().expect("one status per admitted result");
                let (status, code, message) = match status {
                    StoreStatus::Stored => (RecordStatus::Stored, None, None),
                    StoreStatus::Duplicate => (RecordStatus::Duplicate, None, None),
                    _ => (
                        RecordStatus::Conflict,
                        Some(codes::CONFLICT.to_string()),
                        Some(
                            "Результат обучения с тем же номером уже получен с другим содержимым; сохранён первый."
                                .into(),
                        ),
                    ),
                };
                RecordResult { id: t.id.clone(), status, code, message }
            })
        })
        .collect();
    tracing::info!(device = device.id, results = results.len(), "training results pushed");
    Ok(TrainingPushResponse {
        results,
        server: Some(ServerInfo {
            server_id: db.server_id()?,
            server_time_ms: now_ms(),
            device_report: Some(lgota_protocol::DEVICE_REPORT_VERSION),
        }),
    })
}

/// One scenario a staff member finished: the latest time, and the best score of its runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioDone {
    pub scenario_id: String,
    pub title: String,
    /// The latest finish (UTC ms) and the phone's offset then.
    pub last_ms: i64,
    pub offset_min: i32,
    pub best_correct: u32,
    pub steps: u32,
    pub runs: u32,
}

/// Who has been trained: one staff label of one branch, the scenarios they finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trainee {
    pub branch_id: String,
    pub staff_label: String,
    /// By title.
    pub scenarios: Vec<ScenarioDone>,
    /// Their latest finish (UTC ms), and the phone's offset then.
    pub last_ms: i64,
    pub offset_min: i32,
}

/// The results of `branch` ("" = every branch; a branch head: always theirs), by branch, then
/// staff label.
pub fn trainees(db: &dyn Database, actor: &Actor, branch: &str) -> Result<Vec<Trainee>> {
    let branch = actor.confine(branch);
    actor.may_manage(&branch)?;
    let rows = db.training_results(Some(branch.as_str()).filter(|b| !b.is_empty()), LIST_LIMIT)?;
    Ok(group(&rows))
}

/// Groups results by (branch, staff label), then scenario.
pub fn group(rows: &[TrainingRow]) -> Vec<Trainee> {
    let mut by_person: BTreeMap<(String, String), BTreeMap<String, ScenarioDone>> = BTreeMap::new();
    for row in rows {
        let t = &row.result;
        let scenarios = by_person.entry((t.branch_id.clone(), t.staff_label.clone())).or_default();
        let done = scenarios.entry(t.scenario_id.clone()).or_insert_with(|| ScenarioDone {
            scenario_id: t.scenario_id.clone(),
            title: t.scenario_title.clone(),
            last_ms: t.completed_at_ms,
            offset_min: t.utc_offset_min,
            best_correct: t.correct_first_try,
            steps: t.steps,
            runs: 0,
        });
        done.runs += 1;
        if t.completed_at_ms > done.last_ms {
            (done.last_ms, done.offset_min, done.title) =
                (t.completed_at_ms, t.utc_offset_min, t.scenario_title.clone());
        }
        if u64::from(t.correct_first_try) * u64::from(done.steps) > u64::from(done.best_correct) * u64::from(t.steps) {
            (done.best_correct, done.steps) = (t.correct_first_try, t.steps);
        }
    }
    by_person
        .into_iter()
        .map(|((branch_id, staff_label), scenarios)| {
            let mut scenarios: Vec<ScenarioDone> = scenarios.into_values().collect();
            scenarios.sort_by(|a, b| a.title.cmp(&b.title).then(a.scenario_id.cmp(&b.scenario_id)));
            let latest = scenarios.iter().max_by_key(|s| s.last_ms).expect("a trainee has a scenario");
            let (last_ms, offset_min) = (latest.last_ms, latest.offset_min);
            Trainee { branch_id, staff_label, scenarios, last_ms, offset_min }
        })
        .collect()
}

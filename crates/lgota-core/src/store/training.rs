//! Training results: a finished training scenario leaves, besides its training record (never
//! sent, never counted), a training result — staff label, scenario, date, score — for the
//! central office's evidence of training. Results have their own outbox: `seq` order, the cursor
//! `training_cursor` in `meta`, moved past a batch once the server answered every result of it
//! (protocol 3). The server stores each id once, so a batch may be sent any number of times.

use lgota_protocol::{TrainingPushResponse, WireTrainingResult};
use rusqlite::{params, TransactionBehavior};
use uuid::Uuid;

use super::{get_meta, insert_check_row, Context, Store};
use crate::clock::Now;
use crate::error::{Error, Result};
use crate::model::RecordView;

impl Store {
    /// Saves a finished training scenario (`correct_first_try` of its steps answered right at
    /// the first try): its training record and its training result, in one transaction.
    pub fn complete_training(&mut self, scenario_id: &str, correct_first_try: u32, now: Now) -> Result<RecordView> {
        let scenario = self.content.scenario(scenario_id).ok_or(Error::UnknownScenario)?;
        let fields = scenario.record.validate(&self.config)?;
        let context = Context { training: true, ..self.context()? };
        let result = lgota_domain::training::admit(WireTrainingResult {
            id: Uuid::now_v7().to_string(),
            device_id: self.device_id.clone(),
            branch_id: context.branch_id.clone(),
            staff_label: context.staff_label.clone(),
            scenario_id: scenario.id.clone(),
            scenario_title: scenario.title.clone(),
            content_version: self.content.version,
            completed_at_ms: now.utc_ms,
            utc_offset_min: now.offset_min,
            steps: u32::try_from(scenario.steps.len()).unwrap_or(u32::MAX),
            correct_first_try,
        })?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_check_row(&tx, &self.device_id, &fields, &context, now)?;
        tx.prepare_cached(
            "INSERT INTO training_results (id, device_id, branch_id, staff_label, scenario_id, scenario_title,
                 content_version, completed_at_ms, utc_offset_min, steps, correct_first_try)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            result.id,
            result.device_id,
            result.branch_id,
            result.staff_label,
            result.scenario_id,
            result.scenario_title,
            result.content_version,
            result.completed_at_ms,
            result.utc_offset_min,
            result.steps,
            result.correct_first_try,
        ])?;
        tx.commit()?;
        self.view(&id)
    }

    /// Training results the server has not answered yet, oldest first, with their `seq`.
    pub fn pending_training(&self, limit: usize) -> Result<Vec<(i64, WireTrainingResult)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, device_id, branch_id, staff_label, scenario_id, scenario_title, content_version,
                 completed_at_ms, utc_offset_min, steps, correct_first_try
             FROM training_results WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![self.training_cursor()?, limit as i64], |r| {
            Ok((
                r.get(0)?,
                WireTrainingResult {
                    id: r.get(1)?,
                    device_id: r.get(2)?,
                    branch_id: r.get(3)?,
                    staff_label: r.get(4)?,
                    scenario_id: r.get(5)?,
                    scenario_title: r.get(6)?,
                    content_version: r.get(7)?,
                    completed_at_ms: r.get(8)?,
                    utc_offset_min: r.get(9)?,
                    steps: r.get(10)?,
                    correct_first_try: r.get(11)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn pending_training_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM training_results WHERE seq > ?1",
            [self.training_cursor()?],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// Moves the training outbox past `last_seq` once `response` answers every id of `sent`
    /// (stored, duplicate, conflict or refused: each answer is final). Returns whether it moved;
    /// an answer that leaves one out moves nothing (the batch goes again). Never moves back.
    pub fn settle_training(
        &mut self,
        sent: &[WireTrainingResult],
        last_seq: i64,
        response: &TrainingPushResponse,
    ) -> Result<bool> {
        let answered = sent.iter().all(|t| response.results.iter().any(|r| r.id == t.id));
        if !answered {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('training_cursor', ?1)
             ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [last_seq],
        )?;
        Ok(true)
    }

    fn training_cursor(&self) -> Result<i64> {
        Ok(get_meta(&self.conn, "training_cursor")?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

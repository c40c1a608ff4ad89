//! [`TrainingStore`] on SQLite: training results stored once by id (`migrations/011_training.sql`).
//! Plain SQL that PostgreSQL reads the same way (`ON CONFLICT (id) DO NOTHING`, no STRICT-only
//! features in the statements).

use lgota_protocol::WireTrainingResult;
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::SqliteDatabase;
use crate::store::{StoreResult, StoreStatus, TrainingRow, TrainingStore};

const COLUMNS: &str = "id, device_id, branch_id, staff_label, scenario_id, scenario_title, content_version, \
                       completed_at_ms, utc_offset_min, steps, correct_first_try, received_at_ms";

fn row(r: &Row) -> rusqlite::Result<TrainingRow> {
    Ok(TrainingRow {
        result: WireTrainingResult {
            id: r.get(0)?,
            device_id: r.get(1)?,
            branch_id: r.get(2)?,
            staff_label: r.get(3)?,
            scenario_id: r.get(4)?,
            scenario_title: r.get(5)?,
            content_version: r.get(6)?,
            completed_at_ms: r.get(7)?,
            utc_offset_min: r.get(8)?,
            steps: r.get(9)?,
            correct_first_try: r.get(10)?,
        },
        received_at_ms: r.get(11)?,
    })
}

impl TrainingStore for SqliteDatabase {
    fn store_training(&self, results: &[WireTrainingResult], received_at_ms: i64) -> StoreResult<Vec<StoreStatus>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut statuses = Vec::with_capacity(results.len());
        {
            let mut existing = tx.prepare(&format!("SELECT {COLUMNS} FROM training_results WHERE id = ?1"))?;
            let mut insert = tx.prepare(&format!(
                "INSERT INTO training_results ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (id) DO NOTHING"
            ))?;
            for t in results {
                if let Some(known) = existing.query_row([&t.id], row).optional()? {
                    statuses.push(if &known.result == t { StoreStatus::Duplicate } else { StoreStatus::Conflict });
                    continue;
                }
                insert.execute(params![
                    t.id,
                    t.device_id,
                    t.branch_id,
                    t.staff_label,
                    t.scenario_id,
                    t.scenario_title,
                    t.content_version,
                    t.completed_at_ms,
                    t.utc_offset_min,
                    t.steps,
                    t.correct_first_try,
                    received_at_ms,
                ])?;
                statuses.push(StoreStatus::Stored);
            }
        }
        tx.commit()?;
        Ok(statuses)
    }

    fn training_results(&self, branch_id: Option<&str>, limit: u32) -> StoreResult<Vec<TrainingRow>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM training_results WHERE (?1 IS NULL OR branch_id = ?1)
             ORDER BY completed_at_ms DESC, id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![branch_id, limit], row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

//! [`TrainingStore`] on PostgreSQL: training results stored once by id
//! (`migrations/002_training.sql`), as SQLite's `store/sqlite/training.rs`.

use lgota_protocol::WireTrainingResult;
use postgres::Row;

use super::{limit, PostgresDatabase};
use crate::store::{StoreError, StoreResult, StoreStatus, TrainingRow, TrainingStore};

const COLUMNS: &str = "id, device_id, branch_id, staff_label, scenario_id, scenario_title, content_version, \
                       completed_at_ms, utc_offset_min, steps, correct_first_try, received_at_ms";

fn number(row: &Row, i: usize) -> StoreResult<u32> {
    let n: i64 = row.get(i);
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("training_results: {n}")))
}

fn row(r: &Row) -> StoreResult<TrainingRow> {
    Ok(TrainingRow {
        result: WireTrainingResult {
            id: r.get(0),
            device_id: r.get(1),
            branch_id: r.get(2),
            staff_label: r.get(3),
            scenario_id: r.get(4),
            scenario_title: r.get(5),
            content_version: number(r, 6)?,
            completed_at_ms: r.get(7),
            utc_offset_min: r.get(8),
            steps: number(r, 9)?,
            correct_first_try: number(r, 10)?,
        },
        received_at_ms: r.get(11),
    })
}

impl TrainingStore for PostgresDatabase {
    fn store_training(&self, results: &[WireTrainingResult], received_at_ms: i64) -> StoreResult<Vec<StoreStatus>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let insert = tx.prepare(&format!(
            "INSERT INTO training_results ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO NOTHING"
        ))?;
        let existing = tx.prepare(&format!("SELECT {COLUMNS} FROM training_results WHERE id = $1"))?;
        let mut statuses = Vec::with_capacity(results.len());
        for t in results {
            // Inserted first, compared only when the id was there: two processes storing the same
            // id at once both answer from the version that stayed.
            let changed = tx.execute(
                &insert,
                &[
                    &t.id,
                    &t.device_id,
                    &t.branch_id,
                    &t.staff_label,
                    &t.scenario_id,
                    &t.scenario_title,
                    &i64::from(t.content_version),
                    &t.completed_at_ms,
                    &t.utc_offset_min,
                    &i64::from(t.steps),
                    &i64::from(t.correct_first_try),
                    &received_at_ms,
                ],
            )?;
            if changed == 1 {
                statuses.push(StoreStatus::Stored);
                continue;
            }
            let known = row(&tx.query_one(&existing, &[&t.id])?)?;
            statuses.push(if &known.result == t { StoreStatus::Duplicate } else { StoreStatus::Conflict });
        }
        tx.commit()?;
        Ok(statuses)
    }

    fn training_results(&self, branch_id: Option<&str>, n: u32) -> StoreResult<Vec<TrainingRow>> {
        let rows = self.conn()?.query(
            &format!(
                "SELECT {COLUMNS} FROM training_results WHERE ($1::text IS NULL OR branch_id = $1)
                 ORDER BY completed_at_ms DESC, id DESC LIMIT $2"
            ),
            &[&branch_id, &limit(n)],
        )?;
        rows.iter().map(row).collect()
    }
}

//! The counts of valid checks the figures read (`check_counts`, `event_counts`; migrations 004,
//! 005, 007). A stored check is counted in the transaction that stores it, by [`Tally`]: added
//! up over its batch and written once per combination of what the figures show, where the
//! triggers of 007 wrote two rows per check (migration 018 dropped them: they were a third of an
//! insert's cost). A void still takes its target's count away by 007's triggers; both only add,
//! so the order in which a batch's check and its void are counted does not matter.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate};
use lgota_protocol::WireRecord;
use rusqlite::{params, Connection};

use super::{StoreError, StoreResult};

const DAY_MS: i64 = 86_400_000;

/// One row of `check_counts` (`event_id` none) or `event_counts`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Key {
    level: &'static str,
    bucket_ms: i64,
    event_id: Option<String>,
    branch_id: String,
    category_id: String,
    method: &'static str,
    outcome: &'static str,
    failure_reason_id: String,
    granted: bool,
    offline: bool,
}

/// The counts a batch adds, by row.
#[derive(Debug, Default)]
pub(super) struct Tally {
    rows: HashMap<Key, i64>,
}

impl Tally {
    /// Counts `check`, just stored: a check, not training, with no void of its own device stored
    /// before it (what 007's trigger asked).
    pub(super) fn add(&mut self, check: &WireRecord, offline: bool) -> StoreResult<()> {
        let (Some(method), Some(outcome), Some(granted)) = (check.method, check.outcome, check.granted) else {
            return Err(StoreError::Corrupt(format!("a check without method, outcome or grant: {}", check.id)));
        };
        // As SQLite's integer division and strftime('%s', ms / 1000, 'unixepoch', 'start of month').
        let day = check.created_at_ms / DAY_MS * DAY_MS;
        let month = month_start_ms(check.created_at_ms)
            .ok_or_else(|| StoreError::Other(format!("a check's time out of range: {}", check.created_at_ms)))?;
        let events = std::iter::once(None).chain(check.event_id.clone().map(Some));
        for event_id in events {
            for (level, bucket_ms) in [("d", day), ("m", month)] {
                let key = Key {
                    level,
                    bucket_ms,
                    event_id: event_id.clone(),
                    branch_id: check.branch_id.clone(),
                    category_id: check.category_id.clone().unwrap_or_default(),
                    method: method.as_str(),
                    outcome: outcome.as_str(),
                    failure_reason_id: check.failure_reason_id.clone().unwrap_or_default(),
                    granted,
                    offline,
                };
                *self.rows.entry(key).or_default() += 1;
            }
        }
        Ok(())
    }

    /// Adds the batch's counts to the tables, in the batch's transaction.
    pub(super) fn write(self, tx: &Connection) -> StoreResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut checks = tx.prepare_cached(
            "INSERT INTO check_counts
                 (level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        let mut events = tx.prepare_cached(
            "INSERT INTO event_counts
                 (level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted,
                  offline, n)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        for (k, n) in self.rows {
            match &k.event_id {
                None => checks.execute(params![
                    k.level,
                    k.bucket_ms,
                    k.branch_id,
                    k.category_id,
                    k.method,
                    k.outcome,
                    k.failure_reason_id,
                    k.granted,
                    k.offline,
                    n
                ])?,
                Some(event) => events.execute(params![
                    k.level,
                    k.bucket_ms,
                    event,
                    k.branch_id,
                    k.category_id,
                    k.method,
                    k.outcome,
                    k.failure_reason_id,
                    k.granted,
                    k.offline,
                    n
                ])?,
            };
        }
        Ok(())
    }
}

/// The UTC month `ms` falls in, as its first millisecond (SQLite's 'start of month' of the
/// whole second `ms / 1000`, rounded toward zero as SQLite's integer division does).
fn month_start_ms(ms: i64) -> Option<i64> {
    let at = DateTime::from_timestamp(ms / 1000, 0)?;
    let first = NaiveDate::from_ymd_opt(at.year(), at.month(), 1)?.and_hms_opt(0, 0, 0)?;
    Some(first.and_utc().timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_as_sqlite_reckons_them() {
        let conn = Connection::open_in_memory().unwrap();
        for ms in [
            0,
            1,
            999,
            1_000,
            1_735_678_800_000,
            1_767_214_799_999,
            1_709_251_199_999,
            4_102_444_800_000,
            -1,
            -86_400_001,
        ] {
            let sqlite: i64 = conn
                .query_row(
                    "SELECT CAST(strftime('%s', ?1 / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000",
                    [ms],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(month_start_ms(ms), Some(sqlite), "{ms}");
        }
    }
}

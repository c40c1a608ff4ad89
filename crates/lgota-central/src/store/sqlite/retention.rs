//! [`RetentionStore`] on SQLite: the one way past the append-only triggers (migration 013). Each
//! operation runs in one IMMEDIATE transaction that holds the row of `retention_pass` naming its
//! purpose only between its first and last statement, so no other transaction ever sees it.

use std::collections::HashSet;

use lgota_protocol::WireRecord;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::SqliteDatabase;
use crate::store::{
    AuditBlank, PurgeOutcome, PurgedYear, RedactField, RedactOutcome, Redaction, RetentionStore, StoreError,
    StoreResult,
};

/// Opens the guarded way for `purpose` inside `tx`.
fn open_pass(tx: &Transaction, purpose: &str) -> rusqlite::Result<()> {
    tx.execute("INSERT INTO retention_pass (one, purpose) VALUES (1, ?1)", [purpose]).map(|_| ())
}

/// Closes it again: always before the commit.
fn close_pass(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM retention_pass", []).map(|_| ())
}

fn redaction_from_row(r: &rusqlite::Row) -> rusqlite::Result<Redaction> {
    let field: String = r.get(2)?;
    Ok(Redaction {
        seq: r.get(0)?,
        record_id: r.get(1)?,
        field: RedactField::parse(&field).unwrap_or(RedactField::Note),
        at_ms: r.get(3)?,
        by_login: r.get(4)?,
        actor: r.get(5)?,
        reason: r.get(6)?,
    })
}

const REDACTION_COLUMNS: &str = "seq, record_id, field, at_ms, by_login, actor, reason";

/// `record` with `field` emptied, as a redaction leaves it.
pub(super) fn blanked(record: &WireRecord, field: RedactField) -> WireRecord {
    let mut r = record.clone();
    match field {
        RedactField::Note => r.note = None,
        RedactField::StaffLabel => r.staff_label = String::new(),
    }
    r
}

/// The fields redacted in record `id`, if any (read in the intake's transaction).
pub(super) fn redacted_fields(tx: &Connection, id: &str) -> rusqlite::Result<Vec<RedactField>> {
    let mut stmt = tx.prepare_cached("SELECT DISTINCT field FROM redactions WHERE record_id = ?1")?;
    let fields = stmt.query_map([id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(fields.iter().filter_map(|f| RedactField::parse(f)).collect())
}

/// The purged years' periods (read in the intake's transaction).
pub(super) fn purged_periods(tx: &Connection) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut stmt = tx.prepare_cached("SELECT from_ms, to_ms FROM purged_years")?;
    let periods = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect();
    periods
}

impl SqliteDatabase {
    /// Copies every committed page into the database file and empties the WAL, so a removed
    /// text survives in neither (readers are idle between reads; a busy checkpoint is retried).
    pub(super) fn checkpoint_truncate(&self) -> StoreResult<()> {
        let conn = self.conn();
        for _ in 0..50 {
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Err(StoreError::Busy("the WAL could not be checkpointed".into()))
    }
}

impl RetentionStore for SqliteDatabase {
    fn redact_record(
        &self,
        record_id: &str,
        field: RedactField,
        at_ms: i64,
        by_login: &str,
        actor: &str,
        reason: &str,
    ) -> StoreResult<RedactOutcome> {
        let redaction = {
            let mut conn = self.zeroing()?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: Option<(Option<String>, String)> = tx
                .query_row("SELECT note, staff_label FROM records WHERE id = ?1", [record_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let Some((note, staff)) = current else {
                return Ok(RedactOutcome::NotFound);
            };
            let empty = match field {
                RedactField::Note => note.is_none(),
                RedactField::StaffLabel => staff.is_empty(),
            };
            if empty {
                return Ok(RedactOutcome::AlreadyEmpty);
            }
            open_pass(&tx, "redact")?;
            let sql = match field {
                RedactField::Note => "UPDATE records SET note = NULL WHERE id = ?1",
                RedactField::StaffLabel => "UPDATE records SET staff_label = '' WHERE id = ?1",
            };
            tx.execute(sql, [record_id])?;
            // The versions kept aside as conflicts lose the field too.
            let bodies: Vec<(i64, String)> = tx
                .prepare("SELECT seq, body FROM record_conflicts WHERE id = ?1")?
                .query_map([record_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (seq, body) in bodies {
                let arrived: WireRecord =
                    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let body =
                    serde_json::to_string(&blanked(&arrived, field)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                // Two versions may become the same: the later one goes (UNIQUE (id, body)).
                let same: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM record_conflicts WHERE id = ?1 AND body = ?2 AND seq <> ?3)",
                    params![record_id, body, seq],
                    |r| r.get(0),
                )?;
                if same {
                    close_pass(&tx)?;
                    open_pass(&tx, "purge")?;
                    tx.execute("DELETE FROM record_conflicts WHERE seq = ?1", [seq])?;
                    close_pass(&tx)?;
                    open_pass(&tx, "redact")?;
                } else {
                    tx.execute("UPDATE record_conflicts SET body = ?2 WHERE seq = ?1", params![seq, body])?;
                }
            }
            close_pass(&tx)?;
            tx.execute(
                "INSERT INTO redactions (record_id, field, at_ms, by_login, actor, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![record_id, field.as_str(), at_ms, by_login, actor, reason],
            )?;
            let seq = tx.last_insert_rowid();
            tx.commit()?;
            Redaction {
                seq,
                record_id: record_id.to_string(),
                field,
                at_ms,
                by_login: by_login.to_string(),
                actor: actor.to_string(),
                reason: reason.to_string(),
            }
        };
        self.checkpoint_truncate()?;
        Ok(RedactOutcome::Done(redaction))
    }

    fn redactions(&self, record_id: Option<&str>, limit: u32) -> StoreResult<Vec<Redaction>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "SELECT {REDACTION_COLUMNS} FROM redactions WHERE ?1 IS NULL OR record_id = ?1 ORDER BY seq DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![record_id, limit], redaction_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn purge_year(&self, year: &PurgedYear, archived: &HashSet<String>) -> StoreResult<PurgeOutcome> {
        let outcome = {
            let mut conn = self.zeroing()?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let done: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM purged_years WHERE year = ?1)", [year.year], |r| r.get(0))?;
            if done {
                return Ok(PurgeOutcome::AlreadyPurged);
            }
            // Every record of the period, and whether it is a void of a still stored check made
            // before the period (kept).
            let rows: Vec<(String, bool)> = tx
                .prepare(
                    "SELECT r.id, r.kind = 'void' AND EXISTS (SELECT 1 FROM records c
                         WHERE c.id = r.target_id AND c.created_at_ms < ?1)
                     FROM records r WHERE r.created_at_ms >= ?1 AND r.created_at_ms < ?2",
                )?
                .query_map(params![year.from_ms, year.to_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let missing = rows.iter().filter(|(id, _)| !archived.contains(id)).count() as u64;
            if missing > 0 {
                return Ok(PurgeOutcome::NotArchived { missing });
            }
            open_pass(&tx, "purge")?;
            let (mut records, mut conflicts, mut voids_kept) = (0u64, 0u64, 0u64);
            {
                let mut delete = tx.prepare("DELETE FROM records WHERE id = ?1")?;
                let mut delete_conflicts = tx.prepare("DELETE FROM record_conflicts WHERE id = ?1")?;
                for (id, kept) in &rows {
                    if *kept {
                        voids_kept += 1;
                        continue;
                    }
                    records += delete.execute([id])? as u64;
                    conflicts += delete_conflicts.execute([id])? as u64;
                }
            }
            close_pass(&tx)?;
            tx.execute(
                "INSERT INTO purged_years (year, from_ms, to_ms, records, archive_sha256, at_ms, login)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    year.year,
                    year.from_ms,
                    year.to_ms,
                    records as i64,
                    year.archive_sha256,
                    year.at_ms,
                    year.login
                ],
            )?;
            tx.commit()?;
            PurgeOutcome::Purged { records, conflicts, voids_kept }
        };
        self.checkpoint_truncate()?;
        Ok(outcome)
    }

    fn purged_years(&self) -> StoreResult<Vec<PurgedYear>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT year, from_ms, to_ms, records, archive_sha256, at_ms, login FROM purged_years ORDER BY year",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PurgedYear {
                year: r.get(0)?,
                from_ms: r.get(1)?,
                to_ms: r.get(2)?,
                records: r.get::<_, i64>(3)?.max(0) as u64,
                archive_sha256: r.get(4)?,
                at_ms: r.get(5)?,
                login: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn blank_audit(&self, before_ms: i64, blanks: &[AuditBlank]) -> StoreResult<u64> {
        let changed = {
            let mut conn = self.zeroing()?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            open_pass(&tx, "audit")?;
            let mut changed = 0u64;
            for b in blanks {
                changed += tx.execute(
                    "UPDATE audit_log SET detail = ?3, login = COALESCE(?4, login)
                     WHERE action = ?1 AND at_ms < ?2 AND (detail <> ?3 OR login <> COALESCE(?4, login))",
                    params![b.action, before_ms, b.detail, b.login],
                )? as u64;
            }
            close_pass(&tx)?;
            tx.commit()?;
            changed
        };
        if changed > 0 {
            self.checkpoint_truncate()?;
        }
        Ok(changed)
    }

    fn delete_audit_before(&self, before_ms: i64) -> StoreResult<u64> {
        let deleted = {
            let mut conn = self.zeroing()?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            open_pass(&tx, "audit")?;
            let deleted = tx.execute("DELETE FROM audit_log WHERE at_ms < ?1", [before_ms])? as u64;
            close_pass(&tx)?;
            tx.commit()?;
            deleted
        };
        if deleted > 0 {
            self.checkpoint_truncate()?;
        }
        Ok(deleted)
    }
}

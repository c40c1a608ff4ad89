//! [`RetentionStore`] on PostgreSQL: the one way past the append-only triggers
//! (`migrations/004_retention.sql`). Each operation runs in one transaction that sets
//! `lgota.retention_pass` to its purpose for that transaction only, and clears it again before
//! its last statement; the triggers allow only that purpose's change. Purges and redactions take
//! the intake's lock exclusive (batches hold it shared), so no batch is stored halfway through one.
//!
//! Removed text: the old row versions are made reusable by a `VACUUM` of the changed tables after
//! the commit; PostgreSQL does not overwrite that space at once, and its WAL and backups
//! (pg_dump) keep the text until they are recycled (docs/deploy.md).

use std::collections::HashSet;

use lgota_protocol::WireRecord;
use postgres::{Row, Transaction};

use super::{limit, PostgresDatabase, INTAKE_LOCK};
use crate::store::{
    AuditBlank, PurgeOutcome, PurgedYear, RedactField, RedactOutcome, Redaction, RetentionStore, StoreError,
    StoreResult,
};

/// Opens the guarded way for `purpose` ("redact", "purge", "audit") in `tx`, or closes it ("").
fn pass(tx: &mut Transaction, purpose: &str) -> StoreResult<()> {
    tx.execute("SELECT set_config('lgota.retention_pass', $1, true)", &[&purpose])?;
    Ok(())
}

/// `record` with `field` emptied, as a redaction leaves it.
pub(super) fn blanked(record: &WireRecord, field: RedactField) -> WireRecord {
    let mut r = record.clone();
    match field {
        RedactField::Note => r.note = None,
        RedactField::StaffLabel => r.staff_label = String::new(),
    }
    r
}

const REDACTION_COLUMNS: &str = "seq, record_id, field, at_ms, by_login, actor, reason";

fn redaction_from_row(r: &Row) -> Redaction {
    let field: String = r.get(2);
    Redaction {
        seq: r.get(0),
        record_id: r.get(1),
        field: RedactField::parse(&field).unwrap_or(RedactField::Note),
        at_ms: r.get(3),
        by_login: r.get(4),
        actor: r.get(5),
        reason: r.get(6),
    }
}

/// Empties `field` of record `record_id` and of its conflicting versions (two versions that
/// become the same: the later one goes, UNIQUE (id, body)), inside `tx`.
fn blank(tx: &mut Transaction, record_id: &str, field: RedactField) -> StoreResult<()> {
    pass(tx, "redact")?;
    let sql = match field {
        RedactField::Note => "UPDATE records SET note = NULL WHERE id = $1 AND note IS NOT NULL",
        RedactField::StaffLabel => "UPDATE records SET staff_label = '' WHERE id = $1 AND staff_label <> ''",
    };
    tx.execute(sql, &[&record_id])?;
    let bodies: Vec<(i64, String)> = tx
        .query("SELECT seq, body FROM record_conflicts WHERE id = $1 ORDER BY seq", &[&record_id])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (seq, body) in bodies {
        let arrived: WireRecord = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let blank = serde_json::to_string(&blanked(&arrived, field)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if blank == body {
            continue;
        }
        let same: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM record_conflicts WHERE id = $1 AND body = $2 AND seq <> $3)",
                &[&record_id, &blank, &seq],
            )?
            .get(0);
        if same {
            pass(tx, "purge")?;
            tx.execute("DELETE FROM record_conflicts WHERE seq = $1", &[&seq])?;
            pass(tx, "redact")?;
        } else {
            tx.execute("UPDATE record_conflicts SET body = $2 WHERE seq = $1", &[&seq, &blank])?;
        }
    }
    pass(tx, "")
}

impl PostgresDatabase {
    /// For [`crate::store::copy`] run again: the redactions the source made since the last copy
    /// applied to what was copied before them (the redactions themselves are copied as rows).
    /// How many fields were still to empty.
    pub fn carry_redactions(&self, redacted: &[(String, RedactField)]) -> StoreResult<u64> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INTAKE_LOCK])?;
        let mut carried = 0;
        for (id, field) in redacted {
            let sql = match field {
                RedactField::Note => "SELECT note IS NOT NULL FROM records WHERE id = $1",
                RedactField::StaffLabel => "SELECT staff_label <> '' FROM records WHERE id = $1",
            };
            let in_records = tx.query_opt(sql, &[id])?.is_some_and(|r| r.get::<_, bool>(0));
            let conflicts: i64 = tx.query_one("SELECT count(*) FROM record_conflicts WHERE id = $1", &[id])?.get(0);
            if in_records || conflicts > 0 {
                blank(&mut tx, id, *field)?;
                carried += u64::from(in_records);
            }
        }
        tx.commit()?;
        if carried > 0 {
            drop(conn);
            self.vacuum("records, record_conflicts");
        }
        Ok(carried)
    }

    /// For [`crate::store::copy`] run again: the ids of the records made in `[from_ms, to_ms)`.
    pub fn record_ids_in(&self, from_ms: i64, to_ms: i64) -> StoreResult<Vec<String>> {
        let rows = self.conn()?.query(
            "SELECT id FROM records WHERE created_at_ms >= $1 AND created_at_ms < $2 ORDER BY id",
            &[&from_ms, &to_ms],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// For [`crate::store::copy`] run again: records (and their conflicting versions) a purge in
    /// the source removed after they were copied. How many records went.
    pub fn carry_purge(&self, ids: &[String]) -> StoreResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let removed = {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INTAKE_LOCK])?;
            pass(&mut tx, "purge")?;
            tx.execute("DELETE FROM record_conflicts WHERE id = ANY($1)", &[&ids])?;
            let removed = tx.execute("DELETE FROM records WHERE id = ANY($1)", &[&ids])?;
            pass(&mut tx, "")?;
            tx.commit()?;
            removed
        };
        self.vacuum("records, record_conflicts");
        Ok(removed)
    }

    /// Makes the space of changed and removed rows reusable (outside any transaction). A failure
    /// is logged: what the transaction did stands.
    pub(super) fn vacuum(&self, tables: &str) {
        let done = self.conn().and_then(|mut conn| conn.batch_execute(&format!("VACUUM {tables}")).map_err(Into::into));
        if let Err(e) = done {
            tracing::warn!("VACUUM {tables} after a retention change: {e}");
        }
    }
}

impl RetentionStore for PostgresDatabase {
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
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INTAKE_LOCK])?;
            let Some(current) =
                tx.query_opt("SELECT note, staff_label FROM records WHERE id = $1 FOR UPDATE", &[&record_id])?
            else {
                return Ok(RedactOutcome::NotFound);
            };
            let (note, staff): (Option<String>, String) = (current.get(0), current.get(1));
            let empty = match field {
                RedactField::Note => note.is_none(),
                RedactField::StaffLabel => staff.is_empty(),
            };
            if empty {
                return Ok(RedactOutcome::AlreadyEmpty);
            }
            blank(&mut tx, record_id, field)?;
            let seq: i64 = tx
                .query_one(
                    "INSERT INTO redactions (record_id, field, at_ms, by_login, actor, reason)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
                    &[&record_id, &field.as_str(), &at_ms, &by_login, &actor, &reason],
                )?
                .get(0);
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
        self.vacuum("records, record_conflicts");
        Ok(RedactOutcome::Done(redaction))
    }

    fn redactions(&self, record_id: Option<&str>, n: u32) -> StoreResult<Vec<Redaction>> {
        let rows = self.conn()?.query(
            &format!(
                "SELECT {REDACTION_COLUMNS} FROM redactions WHERE $1::text IS NULL OR record_id = $1
                 ORDER BY seq DESC LIMIT $2"
            ),
            &[&record_id, &limit(n)],
        )?;
        Ok(rows.iter().map(redaction_from_row).collect())
    }

    fn purge_year(&self, year: &PurgedYear, archived: &HashSet<String>) -> StoreResult<PurgeOutcome> {
        let outcome = {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            // No batch is stored meanwhile: what was checked against the archive is what goes.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INTAKE_LOCK])?;
            let done: bool =
                tx.query_one("SELECT EXISTS (SELECT 1 FROM purged_years WHERE year = $1)", &[&year.year])?.get(0);
            if done {
                return Ok(PurgeOutcome::AlreadyPurged);
            }
            // Every record of the period, and whether it is a void of a still stored check made
            // before the period (kept).
            let rows: Vec<(String, bool)> = tx
                .query(
                    "SELECT r.id, r.kind = 'void' AND EXISTS (SELECT 1 FROM records c
                         WHERE c.id = r.target_id AND c.created_at_ms < $1)
                     FROM records r WHERE r.created_at_ms >= $1 AND r.created_at_ms < $2",
                    &[&year.from_ms, &year.to_ms],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let missing = rows.iter().filter(|(id, _)| !archived.contains(id)).count() as u64;
            if missing > 0 {
                return Ok(PurgeOutcome::NotArchived { missing });
            }
            let voids_kept = rows.iter().filter(|(_, kept)| *kept).count() as u64;
            let ids: Vec<&str> = rows.iter().filter(|(_, kept)| !kept).map(|(id, _)| id.as_str()).collect();
            pass(&mut tx, "purge")?;
            let conflicts = tx.execute("DELETE FROM record_conflicts WHERE id = ANY($1)", &[&ids])?;
            let records = tx.execute("DELETE FROM records WHERE id = ANY($1)", &[&ids])?;
            pass(&mut tx, "")?;
            let stored = i64::try_from(records).unwrap_or(i64::MAX);
            tx.execute(
                "INSERT INTO purged_years (year, from_ms, to_ms, records, archive_sha256, at_ms, login)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&year.year, &year.from_ms, &year.to_ms, &stored, &year.archive_sha256, &year.at_ms, &year.login],
            )?;
            tx.commit()?;
            PurgeOutcome::Purged { records, conflicts, voids_kept }
        };
        self.vacuum("records, record_conflicts");
        Ok(outcome)
    }

    fn purged_years(&self) -> StoreResult<Vec<PurgedYear>> {
        let rows = self.conn()?.query(
            "SELECT year, from_ms, to_ms, records, archive_sha256, at_ms, login FROM purged_years ORDER BY year",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| PurgedYear {
                year: r.get(0),
                from_ms: r.get(1),
                to_ms: r.get(2),
                records: r.get::<_, i64>(3).max(0) as u64,
                archive_sha256: r.get(4),
                at_ms: r.get(5),
                login: r.get(6),
            })
            .collect())
    }

    fn blank_audit(&self, before_ms: i64, blanks: &[AuditBlank]) -> StoreResult<u64> {
        let changed = {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            pass(&mut tx, "audit")?;
            let mut changed = 0u64;
            for b in blanks {
                changed += tx.execute(
                    "UPDATE audit_log SET detail = $3, login = COALESCE($4::text, login)
                     WHERE action = $1 AND at_ms < $2 AND (detail <> $3 OR login <> COALESCE($4::text, login))",
                    &[&b.action, &before_ms, &b.detail, &b.login],
                )?;
            }
            pass(&mut tx, "")?;
            tx.commit()?;
            changed
        };
        if changed > 0 {
            self.vacuum("audit_log");
        }
        Ok(changed)
    }

    fn delete_audit_before(&self, before_ms: i64) -> StoreResult<u64> {
        let deleted = {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            pass(&mut tx, "audit")?;
            let deleted = tx.execute("DELETE FROM audit_log WHERE at_ms < $1", &[&before_ms])?;
            pass(&mut tx, "")?;
            tx.commit()?;
            deleted
        };
        if deleted > 0 {
            self.vacuum("audit_log");
        }
        Ok(deleted)
    }
}

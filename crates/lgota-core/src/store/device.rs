//! What the phone tells the central office about itself, what the office asks of it, and the two
//! ways records leave the log: retention of acknowledged records (the configuration's
//! `device_policy.keep_acknowledged_days`) and a revoked phone forgetting.
//!
//! Deleting is guarded twice: the code deletes only acknowledged, non-training records older
//! than a cut-off, and the trigger of `migrations/005_retention.sql` refuses any other DELETE —
//! a record the server has not acknowledged (after the outbox cursor or in «Требуют внимания»)
//! can never leave the log.

use lgota_protocol::{compare_versions, AppRequirement, PullQuery, DEVICE_REPORT_VERSION};
use rusqlite::TransactionBehavior;

use super::{get_meta, set_meta, Refusal, Store, DAY_MS};
use crate::clock::Now;
use crate::error::{Error, Result};
use crate::model::{Revocation, UpdateNotice};

impl Store {
    /// The device report of the next pull: the app's version, the lock against the office's
    /// policy, the last refused content pack, the export-signing key (version 2) — only to a
    /// server that said it reads a report, and only the fields of the version it reads
    /// (an older one refuses unknown parameters, and a pull must never stall for a report).
    pub(super) fn device_report(&self) -> Result<PullQuery> {
        let reads = get_meta(&self.conn, "server_report")?.and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
        if reads < 1 {
            return Ok(PullQuery::default());
        }
        let lock = self.lock_settings()?;
        let refusal: Option<Refusal> =
            get_meta(&self.conn, "content_refusal")?.and_then(|j| serde_json::from_str(&j).ok());
        Ok(PullQuery {
            report: Some(reads.min(DEVICE_REPORT_VERSION)),
            // Version 2: the export-signing key, which a phone enrolled before keys existed
            // registers this way (the server keeps the first one it hears).
            signing_key: if reads >= 2 { Some(self.signing_public_key()?) } else { None },
            app_version: Some(self.app_version.clone()),
            pin_set: Some(lock.pin_set),
            idle_seconds: Some(lock.idle_seconds),
            policy_kept: Some(lock.policy_kept()),
            pack_refusal_at_ms: refusal.as_ref().map(|r| r.at_ms),
            pack_refusal: refusal.map(|r| r.code),
            ..PullQuery::default()
        })
    }

    /// Keeps what the server said of app versions (nothing: forgets it).
    pub(super) fn note_app_requirement(&mut self, app: Option<&AppRequirement>) -> Result<()> {
        let json = app.map(serde_json::to_string).transpose().map_err(|e| Error::Corrupt(e.to_string()))?;
        set_meta(&self.conn, "app_requirement", json.as_deref())
    }

    /// «Обновите приложение» when the server's minimum is newer than this app. A minimum that is
    /// not a version is ignored (the server checks its setting; a phone never stops for it).
    pub(super) fn update_notice(&self) -> Result<Option<UpdateNotice>> {
        let Some(app) =
            get_meta(&self.conn, "app_requirement")?.and_then(|j| serde_json::from_str::<AppRequirement>(&j).ok())
        else {
            return Ok(None);
        };
        let older = compare_versions(&self.app_version, &app.min_version) == Some(std::cmp::Ordering::Less);
        Ok(older.then_some(UpdateNotice { min_version: app.min_version, download_url: app.download_url }))
    }

    pub(super) fn revocation(&self) -> Result<Option<Revocation>> {
        Ok(get_meta(&self.conn, "revoked")?.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Deletes the records the server acknowledged that were made more than the configuration's
    /// `keep_acknowledged_days` before `now`; nothing without that setting. Returns how many.
    pub fn purge_acknowledged(&mut self, now: Now) -> Result<u64> {
        let Some(days) = self.config.device_policy.keep_acknowledged_days else { return Ok(0) };
        self.delete_acknowledged(now.utc_ms.saturating_sub(i64::from(days) * DAY_MS))
    }

    /// The central office revoked this phone (sync heard `device_revoked`): deletes every
    /// acknowledged record, the device token and the staff label, and keeps why for the screen.
    /// Records the server never got stay (an export file can still carry them); so do training
    /// records (they never leave the phone).
    pub fn forget_revoked(&mut self, now: Now) -> Result<Revocation> {
        let deleted = self.delete_acknowledged(i64::MAX)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Not enrolled any more: no server, no branch named by it, nothing it asked.
        for key in [
            "device_token",
            "server_url",
            "server_branch",
            "staff_label",
            "enrollment_pending",
            "server_report",
            "app_requirement",
        ] {
            set_meta(&tx, key, None)?;
        }
        tx.commit()?;
        let revocation = Revocation { at_ms: now.utc_ms, deleted, kept_unsent: self.pending_count()? };
        let json = serde_json::to_string(&revocation).map_err(|e| Error::Corrupt(e.to_string()))?;
        set_meta(&self.conn, "revoked", Some(&json))?;
        Ok(revocation)
    }

    /// Deletes the acknowledged, non-training records made before `before_ms`, in one
    /// transaction: checks first, then the voids whose check is gone — a void whose check stays
    /// is kept, so that check stays annulled.
    fn delete_acknowledged(&mut self, before_ms: i64) -> Result<u64> {
        let cursor = self.outbox_cursor()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        set_meta(&tx, "purge_before_ms", Some(&before_ms.to_string()))?;
        const DELETABLE: &str = "r.seq <= ?1 AND r.training = 0 AND r.created_at_ms < ?2
             AND NOT EXISTS (SELECT 1 FROM sync_attention a WHERE a.record_id = r.id)";
        let checks = tx.execute(
            &format!(
                "DELETE FROM records WHERE seq IN (SELECT r.seq FROM records r WHERE r.kind = 'check' AND {DELETABLE})"
            ),
            rusqlite::params![cursor, before_ms],
        )?;
        let voids = tx.execute(
            &format!(
                "DELETE FROM records WHERE seq IN (SELECT r.seq FROM records r WHERE r.kind = 'void' AND {DELETABLE}
                     AND NOT EXISTS (SELECT 1 FROM records c WHERE c.id = r.target_id))"
            ),
            rusqlite::params![cursor, before_ms],
        )?;
        set_meta(&tx, "purge_before_ms", None)?;
        tx.commit()?;
        Ok((checks + voids) as u64)
    }
}

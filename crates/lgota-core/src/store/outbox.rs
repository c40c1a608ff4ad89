//! The outbox: which records the central server still has to get, what it said of each, and
//! which server database it is.
//!
//! Records go out in `seq` order. The cursor moves past a batch once the server answered every
//! record of it: stored or duplicate (acknowledged), or refused / conflict — those wait in
//! `sync_attention` («Требуют внимания») and never hold back the records after them. A server
//! with another identity than last time, or one that lacks the last record it acknowledged (it
//! was restored from an older copy), gets everything again: the cursor goes back to the start.

use lgota_protocol::{RecordResult, RecordStatus, ServerInfo, WireRecord};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{get_meta, record_from_row, set_meta, Record, Store, RECORD_COLUMNS, RECORD_FROM};
use crate::clock::{local_datetime, Now};
use crate::error::Result;

pub use lgota_domain::record::CLOCK_WARN_MS;

/// A record the server did not store, as the sync panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AttentionItem {
    pub record_id: String,
    /// `refused` or `conflict`.
    pub status: String,
    pub code: String,
    /// The server's words.
    pub message: String,
    /// What the librarian can do about it.
    pub advice: String,
    /// When the record was made, on this phone's clock: `dd.mm.yyyy HH:MM`.
    pub made_at: String,
    /// A refused check (not a void, not a conflict) that can still be voided here.
    pub can_void: bool,
    /// Voided on this phone since: nothing more to do.
    pub voided: bool,
}

/// What the panel advises for a record the server did not store.
fn advice(code: &str) -> &'static str {
    match code {
        "conflict" => {
            "На сервере уже есть другая запись с тем же номером. Ничего не потеряно: обе версии у методиста. \
             Сообщите методисту; при необходимости выгрузите записи в файл."
        }
        "personal_data" => {
            "В записи похоже на персональные данные, и сервер её не принял. Аннулируйте её и запишите проверку \
             заново без них."
        }
        "wrong_branch" | "wrong_device" => {
            "Запись относится к другому филиалу или устройству. Выгрузите её в файл и передайте методисту."
        }
        "void_target_foreign" => "Аннулировать можно только свои записи. Сообщите методисту.",
        _ => "Сервер не принял запись. Аннулируйте её и запишите заново или выгрузите в файл и передайте методисту.",
    }
}

/// The sentence for a clock off by `skew_ms` (phone minus server), if it is off by more than
/// [`CLOCK_WARN_MS`].
pub(crate) fn clock_warning(skew_ms: i64) -> Option<String> {
    lgota_domain::record::clock_skew_words(skew_ms).map(|off| {
        format!(
            "Проверьте дату и время на телефоне: часы {off} по сравнению с сервером. \
             Записи сохраняются, но время в них будет неверным."
        )
    })
}

impl Store {
    /// Records not yet sent to (or not yet answered by) the central server, oldest first.
    /// Training records are never sent.
    pub fn pending(&self, limit: usize) -> Result<Vec<Record>> {
        let cursor = self.outbox_cursor()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.seq > ?1 AND r.training = 0 ORDER BY r.seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![cursor, limit as i64], record_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn pending_count(&self) -> Result<u64> {
        let cursor = self.outbox_cursor()?;
        let n: i64 =
            self.conn
                .query_row("SELECT COUNT(*) FROM records WHERE seq > ?1 AND training = 0", [cursor], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// Marks every record up to `seq` as answered. The cursor never moves back this way, so a
    /// repeated or late acknowledgement changes nothing.
    pub fn acknowledge(&mut self, seq: i64) -> Result<()> {
        advance_cursor(&self.conn, seq)
    }

    /// Settles a batch the server answered record by record: refused and conflicting records go
    /// to «Требуют внимания», acknowledged ones leave it, the last acknowledged id is kept (to
    /// tell a restored server), and the cursor moves past `last_seq`. One transaction.
    pub fn settle_batch(&mut self, last_seq: i64, results: &[RecordResult], now: Now) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut note = tx.prepare_cached(
                "INSERT INTO sync_attention (record_id, status, code, message, at_ms)
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM records WHERE id = ?1)
                 ON CONFLICT (record_id) DO UPDATE SET status = excluded.status, code = excluded.code,
                     message = excluded.message, at_ms = excluded.at_ms",
            )?;
            let mut clear = tx.prepare_cached("DELETE FROM sync_attention WHERE record_id = ?1")?;
            for r in results {
                let status = match r.status {
                    RecordStatus::Stored | RecordStatus::Duplicate => {
                        clear.execute([&r.id])?;
                        continue;
                    }
                    RecordStatus::Conflict => "conflict",
                    RecordStatus::Refused => "refused",
                };
                let code = r.code.as_deref().unwrap_or(status);
                let message = r.message.as_deref().unwrap_or("Сервер не принял запись.");
                note.execute(params![r.id, status, code, message, now.utc_ms])?;
            }
        }
        if let Some(last) = results.iter().rev().find(|r| r.status.is_acknowledged()) {
            set_meta(&tx, "last_acknowledged", Some(&last.id))?;
        }
        advance_cursor(&tx, last_seq)?;
        tx.commit()?;
        Ok(())
    }

    /// The id of the last record the server acknowledged, if any since the last resend.
    pub fn last_acknowledged(&self) -> Result<Option<String>> {
        get_meta(&self.conn, "last_acknowledged")
    }

    /// Sends everything again from the start, records and training results (the server restored
    /// from a backup, or another server database). The server stores each id once, so nothing
    /// doubles.
    pub fn resend_all(&mut self) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        set_meta(&tx, "outbox_cursor", Some("0"))?;
        set_meta(&tx, "last_acknowledged", None)?;
        // Training results too: the server stores each id once.
        set_meta(&tx, "training_cursor", Some("0"))?;
        tx.commit()?;
        Ok(())
    }

    /// Notes which server database answered and how this phone's clock compares. Returns `true`
    /// when it is another database than last time: everything has been queued again.
    pub fn note_server(&mut self, server: &ServerInfo, now: Now) -> Result<bool> {
        set_meta(&self.conn, "clock_skew_ms", Some(&(now.utc_ms - server.server_time_ms).to_string()))?;
        // The device report version this server reads: the next pull carries a report.
        set_meta(&self.conn, "server_report", server.device_report.map(|v| v.to_string()).as_deref())?;
        let known = get_meta(&self.conn, "server_id")?;
        if known.as_deref() == Some(server.server_id.as_str()) {
            return Ok(false);
        }
        set_meta(&self.conn, "server_id", Some(&server.server_id))?;
        if known.is_none() {
            return Ok(false);
        }
        self.resend_all()?;
        Ok(true)
    }

    /// «Требуют внимания»: records the server did not store, newest first.
    pub fn attention(&self) -> Result<Vec<AttentionItem>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.record_id, a.status, a.code, a.message, r.created_at_ms, r.utc_offset_min, r.kind,
                 EXISTS (SELECT 1 FROM records v WHERE v.kind = 'void' AND v.target_id = r.id)
             FROM sync_attention a JOIN records r ON r.id = a.record_id
             ORDER BY r.seq DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            let status: String = r.get(1)?;
            let code: String = r.get(2)?;
            let kind: String = r.get(6)?;
            let voided: bool = r.get(7)?;
            Ok(AttentionItem {
                record_id: r.get(0)?,
                advice: advice(&code).to_owned(),
                code,
                message: r.get(3)?,
                made_at: local_datetime(r.get(4)?, r.get(5)?).format("%d.%m.%Y %H:%M").to_string(),
                // A conflict is the office's to settle: the phone's void would hit the counted version.
                can_void: kind == "check" && !voided && status == "refused",
                voided,
                status,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Every record the server has not stored — unsent, refused or in conflict — as a file for
    /// carrying by hand, signed with this phone's key (docs/protocol.md, «Offline export»).
    /// Exporting marks nothing: a later sync still sends the unsent ones, and the server keeps
    /// each id once.
    pub fn export_pending(&self) -> Result<Export> {
        let cursor = self.outbox_cursor()?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM}
             WHERE r.training = 0 AND (r.seq > ?1 OR r.id IN (SELECT record_id FROM sync_attention))
             ORDER BY r.seq"
        ))?;
        let records: Vec<WireRecord> =
            stmt.query_map([cursor], record_from_row)?.map(|r| r.map(|r| r.wire)).collect::<rusqlite::Result<_>>()?;
        let file = lgota_domain::export::seal(&super::signing_secret(&self.conn)?, &self.device_id, &records)
            .map_err(|e| crate::error::Error::Corrupt(e.to_string()))?;
        Ok(Export { file, records })
    }

    pub(super) fn outbox_cursor(&self) -> Result<i64> {
        Ok(get_meta(&self.conn, "outbox_cursor")?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

/// A signed export: the file, and the records it holds.
#[derive(Debug, Clone)]
pub struct Export {
    pub file: lgota_protocol::ExportEnvelope,
    pub records: Vec<WireRecord>,
}

impl Export {
    /// The file's bytes (indented JSON; the signed records stay byte for byte as signed).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.file).expect("an export envelope always serialises")
    }
}

fn advance_cursor(conn: &rusqlite::Connection, seq: i64) -> Result<()> {
    let max_seq: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM records", [], |r| r.get(0))?;
    let seq = seq.min(max_seq);
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('outbox_cursor', ?1)
         ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        [seq],
    )?;
    Ok(())
}

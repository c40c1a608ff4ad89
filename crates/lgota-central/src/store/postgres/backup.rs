//! Backups on PostgreSQL: a copy to a file is not this backend's — the database is backed up with
//! PostgreSQL's own tools (`pg_dump`, point-in-time recovery; docs/deploy.md), so
//! [`BackupStore::backup_to`] answers [`StoreError::FileBackupUnsupported`] (the operation turns it
//! into the stable code `backup_use_pg_dump`), and [`BackupStore::makes_file_backups`] is false:
//! the dashboard and `/metrics` say nothing of copies the server cannot see. Backups noted
//! elsewhere (a SQLite installation's, copied by `migrate`) are kept.

use std::path::Path;

use super::PostgresDatabase;
use crate::store::{BackupNote, BackupStore, FileCheck, StoreError, StoreResult};

impl BackupStore for PostgresDatabase {
    fn backup_to(&self, _to: &Path) -> StoreResult<FileCheck> {
        Err(StoreError::FileBackupUnsupported)
    }

    fn makes_file_backups(&self) -> bool {
        false
    }

    fn renew_identity(&self, now_ms: i64) -> StoreResult<String> {
        Ok(self
            .conn()?
            .query_one(
                "UPDATE server_identity SET server_id = replace(gen_random_uuid()::text, '-', ''), created_at_ms = $1 \
                 RETURNING server_id",
                &[&now_ms],
            )?
            .get(0))
    }

    fn note_backup(&self, n: &BackupNote) -> StoreResult<()> {
        self.conn()?.execute(
            "INSERT INTO backups (at_ms, file, bytes, records, ok, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&n.at_ms, &n.file, &(n.bytes as i64), &(n.records as i64), &n.ok, &n.detail],
        )?;
        Ok(())
    }

    fn last_backup(&self) -> StoreResult<Option<BackupNote>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT at_ms, file, bytes, records, ok, detail FROM backups ORDER BY at_ms DESC, id DESC LIMIT 1",
                &[],
            )?
            .map(|r| BackupNote {
                at_ms: r.get(0),
                file: r.get(1),
                bytes: r.get::<_, i64>(2) as u64,
                records: r.get::<_, i64>(3) as u64,
                ok: r.get(4),
                detail: r.get(5),
            }))
    }
}

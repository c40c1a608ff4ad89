//! What the store contract needs of SQLite itself, read with a raw connection to the same file:
//! the append-only tables refuse update and delete (the traits offer no way to try), and the
//! counts the figures read are, after every batch, exactly the valid checks' counts.

use super::*;
use crate::store::{FigureStore, RecordFilter};

fn record(id: &str, device: &str, kind: RecordKind, target: Option<&str>, at: i64) -> WireRecord {
    let check = kind == RecordKind::Check;
    WireRecord {
        id: id.into(),
        kind,
        created_at_ms: at,
        utc_offset_min: 180,
        device_id: device.into(),
        branch_id: "b1".into(),
        event_id: (check && at % 2 == 0).then(|| "ev-1".to_string()),
        staff_label: "Иванова".into(),
        training: check && id.ends_with('t'),
        method: check.then_some(Method::Paper),
        outcome: check.then_some(Outcome::PaperShown),
        granted: check.then_some(true),
        category_id: None,
        failure_reason_id: None,
        document_type_id: None,
        checklist_completed: None,
        note: None,
        target_id: target.map(str::to_string),
        void_reason: target.map(|_| "Ошибочная запись".to_string()),
        event_title: None,
        event_date: None,
    }
}

const T0: i64 = 1_767_225_600_000; // 2026-01-01 00:00 UTC
const DAY: i64 = 86_400_000;

/// A database with checks (one a training check), voids (one before its check, one twice, one
/// of another device's check that arrived before it), a duplicate and a conflict.
fn mixed(dir: &Path) -> SqliteDatabase {
    let db = SqliteDatabase::open(dir.join("c.db")).unwrap();
    let (c, v) = (RecordKind::Check, RecordKind::Void);
    let batches = [
        vec![record("v-early", "d1", v, Some("c-3"), T0), record("v-inert", "d2", v, Some("c-4"), T0)],
        vec![
            record("c-1", "d1", c, None, T0 + 2),
            record("c-2", "d1", c, None, T0 + DAY + 1),
            record("c-3", "d1", c, None, T0 + 40 * DAY),
            record("c-4", "d1", c, None, T0 + 41 * DAY),
            record("c-5t", "d1", c, None, T0 + 42 * DAY),
            record("c-6", "d2", c, None, T0 + 44 * DAY),
        ],
        vec![
            record("v-1", "d1", v, Some("c-1"), T0 + 3),
            record("v-1b", "d1", v, Some("c-1"), T0 + 4),
            record("v-6", "d1", v, Some("c-6"), T0 + 5),
            record("c-2", "d1", c, None, T0 + DAY + 1),
            record("c-4", "d1", c, None, T0 + 99),
        ],
    ];
    for (i, batch) in batches.iter().enumerate() {
        db.store_records(batch, T0 + 50 * DAY + i as i64).unwrap();
    }
    db.audit(T0, "admin", "device.revoke", "Устройство d9").unwrap();
    db
}

fn raw(dir: &Path) -> Connection {
    Connection::open(dir.join("c.db")).unwrap()
}

#[test]
fn append_only_tables_refuse_update_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let db = mixed(dir.path());
    assert_eq!(db.conflicts(10).unwrap().len(), 1);
    let conn = raw(dir.path());
    for sql in [
        "UPDATE records SET granted = 0 WHERE id = 'c-2'",
        "UPDATE records SET training = 1",
        "DELETE FROM records WHERE id = 'v-1'",
        "DELETE FROM records",
        "UPDATE audit_log SET login = 'someone'",
        "DELETE FROM audit_log",
        "UPDATE record_conflicts SET body = '{}'",
        "DELETE FROM record_conflicts",
    ] {
        let err = StoreError::from(conn.execute(sql, []).unwrap_err());
        assert!(matches!(err, StoreError::Constraint(ref m) if m.contains("append-only")), "{sql}: {err:?}");
    }
    // Nothing changed.
    assert_eq!(db.record("c-2").unwrap().unwrap().record.granted, Some(true));
    assert_eq!(db.record_count().unwrap(), 10);
    assert_eq!(db.audit_log(None, 10).unwrap().len(), 1);
    assert_eq!(db.conflicts(10).unwrap().len(), 1);
}

/// The valid checks' counts per key, from the records and from a counts table: equal, level by
/// level, row by row (`EXCEPT` both ways).
#[test]
fn counts_tables_equal_the_valid_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = mixed(dir.path());
    let conn = raw(dir.path());
    let valid = "r.kind = 'check' AND r.training = 0 AND NOT EXISTS (SELECT 1 FROM records v \
                 WHERE v.target_id = r.id AND v.kind = 'void' AND v.device_id = r.device_id)";
    let keys = "r.branch_id, COALESCE(r.category_id, ''), r.method, r.outcome, \
                COALESCE(r.failure_reason_id, ''), r.granted, r.offline";
    let counts_keys = "branch_id, category_id, method, outcome, failure_reason_id, granted, offline";
    let day = "r.created_at_ms / 86400000 * 86400000";
    let month = "CAST(strftime('%s', r.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000";
    for (table, event_key, event_where) in
        [("check_counts", "", ""), ("event_counts", "r.event_id, ", " AND r.event_id IS NOT NULL")]
    {
        let counts_event = if event_key.is_empty() { "" } else { "event_id, " };
        for (level, bucket) in [("d", day), ("m", month)] {
            let direct = format!(
                "SELECT {bucket}, {event_key}{keys}, COUNT(*) FROM records r WHERE {valid}{event_where} \
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8{}",
                if event_key.is_empty() { "" } else { ", 9" }
            );
            let kept = format!(
                "SELECT bucket_ms, {counts_event}{counts_keys}, n FROM {table} WHERE level = '{level}' AND n != 0"
            );
            for (a, b) in [(&direct, &kept), (&kept, &direct)] {
                let n: i64 =
                    conn.query_row(&format!("SELECT COUNT(*) FROM ({a} EXCEPT {b})"), [], |r| r.get(0)).unwrap();
                assert_eq!(n, 0, "{table} level {level}: {a} EXCEPT {b}");
            }
        }
    }
    // And the figures read them: c-2, c-4 (the inert void is another device's), c-6 (the void
    // is another device's) count; c-1 (voided twice), c-3 (voided first), c-5t (training) do not.
    let all = RecordFilter { from_ms: T0, to_ms: T0 + 60 * DAY, ..Default::default() };
    assert_eq!(db.check_count(&all).unwrap(), 3);
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteDatabase::open(dir.path().join("c.db")).unwrap());
    let newer = MIGRATIONS.len() as u32 + 1;
    raw(dir.path()).pragma_update(None, "user_version", newer).unwrap();
    match SqliteDatabase::open(dir.path().join("c.db")) {
        Err(StoreError::SchemaTooNew { found, known }) => assert_eq!((found, known), (newer, MIGRATIONS.len() as u32)),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
    let kept: u32 = raw(dir.path()).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, newer);
}

/// The retention pass (migration 013) opens only its own change: with the row in place, a
/// redaction may empty a note or staff label and nothing else; without it, nothing. The store's
/// operations never leave the row behind.
#[test]
fn the_retention_pass_allows_only_its_own_change_and_never_outlives_its_transaction() {
    use crate::store::{RedactField, RedactOutcome, RetentionStore};
    let dir = tempfile::tempdir().unwrap();
    let db = mixed(dir.path());
    let mut conn = raw(dir.path());
    let refused = |tx: &rusqlite::Transaction, sql: &str| {
        let err = StoreError::from(tx.execute(sql, []).map(|n| panic!("{sql}: allowed, {n} rows")).unwrap_err());
        assert!(matches!(err, StoreError::Constraint(ref m) if m.contains("append-only")), "{sql}: {err:?}");
    };
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO retention_pass (one, purpose) VALUES (1, 'redact')", []).unwrap();
    for sql in [
        "UPDATE records SET granted = 0 WHERE id = 'c-2'",
        "UPDATE records SET note = 'другое' WHERE id = 'c-2'",
        "UPDATE records SET note = NULL, received_at_ms = 0 WHERE id = 'c-2'",
        "UPDATE records SET staff_label = 'X' WHERE id = 'c-2'",
        "DELETE FROM records WHERE id = 'c-2'",
        "UPDATE audit_log SET detail = ''",
        "DELETE FROM audit_log",
        "UPDATE record_conflicts SET id = 'x'",
    ] {
        refused(&tx, sql);
    }
    assert_eq!(tx.execute("UPDATE records SET note = NULL, staff_label = '' WHERE id = 'c-2'", []).unwrap(), 1);
    tx.execute("DELETE FROM retention_pass", []).unwrap();
    tx.execute("INSERT INTO retention_pass (one, purpose) VALUES (1, 'audit')", []).unwrap();
    refused(&tx, "DELETE FROM records WHERE id = 'c-2'");
    refused(&tx, "UPDATE audit_log SET action = 'x'");
    tx.rollback().unwrap();
    // The store's own operations: done, and the pass is closed again.
    db.store_records(&[], T0).unwrap();
    let id = "c-4";
    let before = db.record(id).unwrap().unwrap();
    let outcome = db.redact_record(id, RedactField::StaffLabel, T0, "admin", "cli:t", "проверка").unwrap();
    assert!(matches!(outcome, RedactOutcome::Done(_)), "{outcome:?}");
    let after = db.record(id).unwrap().unwrap();
    assert_eq!(after.record.staff_label, "");
    assert_eq!(crate::store::sqlite::retention::blanked(&before.record, RedactField::StaffLabel), after.record);
    assert_eq!(db.redact_record(id, RedactField::StaffLabel, T0, "a", "b", "c").unwrap(), RedactOutcome::AlreadyEmpty);
    assert_eq!(db.redact_record("nope", RedactField::Note, T0, "a", "b", "c").unwrap(), RedactOutcome::NotFound);
    let open: i64 = raw(dir.path()).query_row("SELECT COUNT(*) FROM retention_pass", [], |r| r.get(0)).unwrap();
    assert_eq!(open, 0);
    // And the triggers still refuse everything else afterwards.
    let err = StoreError::from(raw(dir.path()).execute("UPDATE records SET note = NULL", []).unwrap_err());
    assert!(matches!(err, StoreError::Constraint(_)));
}

#[test]
fn sqlite_is_built_without_the_allocation_mutexes() {
    // .cargo/config.toml's LIBSQLITE3_FLAGS reached the bundled SQLite's build.
    let dir = tempfile::tempdir().unwrap();
    let conn = raw(dir.path());
    let options: Vec<String> = conn
        .prepare("PRAGMA compile_options")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
    assert!(!options.iter().any(|o| o.starts_with("ENABLE_MEMORY_MANAGEMENT")), "{options:?}");
}

#[test]
fn an_export_page_starts_at_its_key_not_at_the_period_start() {
    // Every page of a long export costs about what the first does: the time index is sought at
    // the key the page continues from. Counted in SQLite's virtual-machine steps, not in time.
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteDatabase::open(dir.path().join("c.db")).unwrap();
    let checks: Vec<WireRecord> =
        (0..20_000).map(|k| record(&format!("c-{k:06}"), "d1", RecordKind::Check, None, T0 + k * 60_000)).collect();
    for batch in checks.chunks(5_000) {
        db.store_records(batch, T0).unwrap();
    }
    let filter = RecordFilter { from_ms: T0, to_ms: T0 + 30 * DAY, ..Default::default() };
    let conn = raw(dir.path());
    let steps = |from: Option<&(i64, String)>| {
        let (sql, values) = super::figures::export_chunk_sql(&filter, from, 500, super::figures::Order::OldestFirst);
        let mut stmt = conn.prepare(&sql).unwrap();
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(0)).unwrap();
        let ids: Vec<String> = rows.collect::<Result<_, _>>().unwrap();
        (ids, stmt.get_status(rusqlite::StatementStatus::VmStep))
    };
    let (first, first_steps) = steps(None);
    assert_eq!(first.first().map(String::as_str), Some("c-000000"));
    let late = (T0 + 19_000 * 60_000, "c-019000".to_string());
    let (page, late_steps) = steps(Some(&late));
    assert_eq!(page.first().map(String::as_str), Some("c-019001"));
    assert_eq!(page.len(), 500);
    assert!(
        late_steps < first_steps * 2,
        "the page after 19,000 rows took {late_steps} steps, the first {first_steps}"
    );
}

#[test]
fn a_closed_database_is_whole_in_its_file() {
    // Closed, the WAL is folded into the file and removed: the file alone (copied after the
    // server stopped) holds every committed record.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let db = SqliteDatabase::open(&path).unwrap();
    let checks: Vec<WireRecord> =
        (0..50).map(|k| record(&format!("c-{k}"), "d1", RecordKind::Check, None, T0 + k)).collect();
    db.store_records(&checks, T0).unwrap();
    assert_eq!(db.record_count().unwrap(), 50);
    drop(db);
    assert!(!dir.path().join("c.db-wal").exists(), "the WAL is left beside the file");
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let n: i64 = Connection::open(&copy).unwrap().query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 50);
}

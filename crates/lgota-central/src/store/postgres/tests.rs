//! What the store contract needs of PostgreSQL itself, read with a raw client to the same
//! database (when `LGOTA_TEST_POSTGRES_URL` names a server; otherwise these tests say so and
//! pass): the append-only tables refuse UPDATE, DELETE and TRUNCATE, the counts tables are after
//! every batch exactly the valid checks' counts, and a newer schema is refused.

use super::*;
use crate::store::{BackupStore, FigureStore, RecordFilter};

fn server() -> Option<String> {
    let url = std::env::var("LGOTA_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("LGOTA_TEST_POSTGRES_URL is not set: nothing to test against");
    }
    url
}

/// A fresh database of its own and its URL.
fn fresh(server: &str, what: &str) -> String {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    create_database(server, &format!("lgota_unit_{what}_{}_{stamp}", std::process::id())).unwrap()
}

fn raw(url: &str) -> Client {
    url.parse::<postgres::Config>().unwrap().connect(NoTls).unwrap()
}

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

/// The mix of `store/sqlite/tests.rs`: checks (one a training check), voids (one before its
/// check, one twice, one of another device's check that arrived before it), a duplicate and a
/// conflict.
fn mixed(url: &str) -> PostgresDatabase {
    let db = PostgresDatabase::open(url).unwrap();
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

#[test]
fn append_only_tables_refuse_update_delete_and_truncate() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "append");
    let db = mixed(&url);
    assert_eq!(db.conflicts(10).unwrap().len(), 1);
    let mut conn = raw(&url);
    for sql in [
        "UPDATE records SET granted = false WHERE id = 'c-2'",
        "UPDATE records SET training = true",
        "DELETE FROM records WHERE id = 'v-1'",
        "DELETE FROM records",
        "TRUNCATE records",
        "UPDATE audit_log SET login = 'someone'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "UPDATE record_conflicts SET body = '{}'",
        "DELETE FROM record_conflicts",
        "TRUNCATE record_conflicts",
    ] {
        let err = StoreError::from(conn.batch_execute(sql).unwrap_err());
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
fn assert_counts_are_the_valid_checks(conn: &mut Client) {
    let valid = "r.kind = 'check' AND NOT r.training AND NOT EXISTS (SELECT 1 FROM records v \
                 WHERE v.target_id = r.id AND v.kind = 'void' AND v.device_id = r.device_id)";
    let keys = "r.branch_id, COALESCE(r.category_id, ''), r.method, r.outcome, \
                COALESCE(r.failure_reason_id, ''), r.granted, r.offline";
    let counts_keys = "branch_id, category_id, method, outcome, failure_reason_id, granted, offline";
    // Computed here in Rust's calendar terms: the UTC day's and month's first millisecond.
    let day = "r.created_at_ms / 86400000 * 86400000";
    let month = "(extract(epoch FROM date_trunc('month', to_timestamp(r.created_at_ms / 1000) AT TIME ZONE 'UTC')) \
                 * 1000)::bigint";
    for (table, event_key, event_where) in
        [("check_counts", "", ""), ("event_counts", "r.event_id, ", " AND r.event_id IS NOT NULL")]
    {
        let counts_event = if event_key.is_empty() { "" } else { "event_id, " };
        for (level, bucket) in [("d", day), ("m", month)] {
            let direct = format!(
                "SELECT {bucket}, {event_key}{keys}, count(*) FROM records r WHERE {valid}{event_where} \
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8{}",
                if event_key.is_empty() { "" } else { ", 9" }
            );
            let kept = format!(
                "SELECT bucket_ms, {counts_event}{counts_keys}, n FROM {table} WHERE level = '{level}' AND n != 0"
            );
            for (a, b) in [(&direct, &kept), (&kept, &direct)] {
                let n: i64 = conn.query_one(&format!("SELECT count(*) FROM ({a} EXCEPT {b}) x"), &[]).unwrap().get(0);
                assert_eq!(n, 0, "{table} level {level}: {a} EXCEPT {b}");
            }
        }
    }
    // `event_totals`: the checks at each event per branch (010).
    for (level, bucket) in [("d", day), ("m", month)] {
        let direct = format!(
            "SELECT {bucket}, r.event_id, r.branch_id, count(*) FROM records r \
             WHERE {valid} AND r.event_id IS NOT NULL GROUP BY 1, 2, 3"
        );
        let kept =
            format!("SELECT bucket_ms, event_id, branch_id, n FROM event_totals WHERE level = '{level}' AND n != 0");
        for (a, b) in [(&direct, &kept), (&kept, &direct)] {
            let n: i64 = conn.query_one(&format!("SELECT count(*) FROM ({a} EXCEPT {b}) x"), &[]).unwrap().get(0);
            assert_eq!(n, 0, "event_totals level {level}: {a} EXCEPT {b}");
        }
    }
}

#[test]
fn counts_tables_equal_the_valid_checks() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "counts");
    let db = mixed(&url);
    let mut conn = raw(&url);
    assert_counts_are_the_valid_checks(&mut conn);
    // Months' buckets are the calendar's (`report::buckets::month_floor`).
    let buckets: Vec<i64> = conn
        .query("SELECT DISTINCT bucket_ms FROM check_counts WHERE level = 'm'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for b in buckets {
        assert_eq!(crate::report::buckets::month_floor(b), b);
    }
    let all = RecordFilter { from_ms: T0, to_ms: T0 + 60 * DAY, ..Default::default() };
    assert_eq!(db.check_count(&all).unwrap(), 3);
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "schema");
    drop(PostgresDatabase::open(&url).unwrap());
    let mut conn = raw(&url);
    let newer = PostgresDatabase::newest_schema() as i32 + 1;
    conn.execute("UPDATE schema_version SET version = $1", &[&newer]).unwrap();
    match PostgresDatabase::open(&url) {
        Err(StoreError::SchemaTooNew { found, known }) => {
            assert_eq!((found, known), (newer as u32, PostgresDatabase::newest_schema()));
        }
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
    let kept: i32 = conn.query_one("SELECT version FROM schema_version", &[]).unwrap().get(0);
    assert_eq!(kept, newer);
    // Two processes starting at once: one migrates, the other waits and finds it done.
    let url = fresh(&server, "twice");
    let opened: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..3).map(|_| s.spawn(|| PostgresDatabase::open(&url).unwrap().server_id().unwrap())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(opened.windows(2).all(|w| w[0] == w[1]), "{opened:?}");
}

/// An address asking for TLS, which the server does not speak to PostgreSQL, is refused before
/// any connection, with the way out (no server needed).
#[test]
fn an_address_asking_for_tls_is_refused_with_the_way_out() {
    for url in [
        "postgres://lgota:secret@127.0.0.1:1/lgota?sslmode=require",
        "postgres://lgota:secret@127.0.0.1:1/lgota?sslmode=verify-full",
    ] {
        let e = PostgresDatabase::open(url).err().expect("refused").to_string();
        assert!(e.contains("без TLS") && e.contains("частной сети") && !e.contains("secret"), "{e}");
    }
}

/// A database set up otherwise than docs/deploy.md says is refused at start with what to do:
/// one that does not exist, one whose user may not create tables in it.
#[test]
fn a_database_set_up_wrongly_is_refused_with_what_to_do() {
    let Some(server) = server() else { return };
    let missing = with_database(&server, &format!("lgota_unit_missing_{}", std::process::id()));
    let e = PostgresDatabase::open(&missing).err().expect("a missing database opened");
    assert!(e.to_string().contains("такой базы нет") && e.to_string().contains("createdb"), "{e}");

    // A role of its own, not the database's owner (PostgreSQL 15: no CREATE on `public`).
    let url = fresh(&server, "guest");
    let role = format!("lgota_unit_guest_{}", std::process::id());
    let mut admin = raw(&server);
    admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN")).unwrap();
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let e = PostgresDatabase::open(&format!("{scheme}://{role}@{host}")).err().expect("opened without rights");
    assert!(e.to_string().contains("владельцем"), "{e}");
    admin.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}")).ok();
}

#[test]
fn the_backend_refuses_a_file_backup() {
    let Some(server) = server() else { return };
    let db = PostgresDatabase::open(&fresh(&server, "backup")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(db.backup_to(&dir.path().join("b.db")), Err(StoreError::FileBackupUnsupported));
    assert!(!dir.path().join("b.db").exists());
}

/// The retention pass (migration 004) opens only its own change: set for a redaction, an UPDATE
/// may empty a note or staff label and nothing else; for a purge only DELETE; for the audit pass
/// only the audit log's login and detail, or DELETE; TRUNCATE never. It ends with its
/// transaction, and the store's own operations leave it unset.
#[test]
fn the_retention_pass_allows_only_its_own_change_and_never_outlives_its_transaction() {
    use crate::store::{RedactField, RedactOutcome, RetentionStore};
    let Some(server) = server() else { return };
    let url = fresh(&server, "retention");
    let db = mixed(&url);
    let mut conn = raw(&url);
    let refused = |tx: &mut Transaction, sql: &str| {
        tx.batch_execute("SAVEPOINT s").unwrap();
        let err = StoreError::from(tx.batch_execute(sql).map(|()| panic!("{sql}: allowed")).unwrap_err());
        assert!(matches!(err, StoreError::Constraint(ref m) if m.contains("append-only")), "{sql}: {err:?}");
        tx.batch_execute("ROLLBACK TO SAVEPOINT s").unwrap();
    };
    let mut tx = conn.transaction().unwrap();
    tx.batch_execute("UPDATE records SET note = 'x' WHERE id = 'c-2'").map(|()| panic!("no pass")).unwrap_err();
    drop(tx);
    let mut tx = conn.transaction().unwrap();
    tx.batch_execute("SELECT set_config('lgota.retention_pass', 'redact', true)").unwrap();
    for sql in [
        "UPDATE records SET granted = false WHERE id = 'c-2'",
        "UPDATE records SET note = 'другое' WHERE id = 'c-2'",
        "UPDATE records SET note = NULL, received_at_ms = 0 WHERE id = 'c-2'",
        "UPDATE records SET staff_label = 'X' WHERE id = 'c-2'",
        "DELETE FROM records WHERE id = 'c-2'",
        "TRUNCATE records",
        "UPDATE audit_log SET detail = ''",
        "DELETE FROM audit_log",
        "UPDATE record_conflicts SET id = 'x'",
        "DELETE FROM record_conflicts",
    ] {
        refused(&mut tx, sql);
    }
    assert_eq!(tx.execute("UPDATE records SET note = NULL, staff_label = '' WHERE id = 'c-2'", &[]).unwrap(), 1);
    assert_eq!(tx.execute("UPDATE record_conflicts SET body = body", &[]).unwrap(), 1);
    tx.batch_execute("SELECT set_config('lgota.retention_pass', 'audit', true)").unwrap();
    refused(&mut tx, "DELETE FROM records WHERE id = 'c-2'");
    refused(&mut tx, "UPDATE audit_log SET action = 'x'");
    refused(&mut tx, "TRUNCATE audit_log");
    assert_eq!(tx.execute("UPDATE audit_log SET login = 'ушёл', detail = ''", &[]).unwrap(), 1);
    tx.batch_execute("SELECT set_config('lgota.retention_pass', 'purge', true)").unwrap();
    refused(&mut tx, "UPDATE records SET note = NULL WHERE id = 'c-3'");
    refused(&mut tx, "DELETE FROM audit_log");
    refused(&mut tx, "TRUNCATE redactions");
    assert_eq!(tx.execute("DELETE FROM records WHERE id = 'c-3'", &[]).unwrap(), 1);
    tx.rollback().unwrap();
    // Gone with the transaction: the next one in the same session has no pass.
    let err = StoreError::from(conn.batch_execute("DELETE FROM records WHERE id = 'c-3'").unwrap_err());
    assert!(matches!(err, StoreError::Constraint(_)), "{err:?}");
    // The store's own operations: done, and nothing left open on the pooled connection.
    let outcome = db.redact_record("c-4", RedactField::StaffLabel, T0, "admin", "cli:t", "проверка").unwrap();
    assert!(matches!(outcome, RedactOutcome::Done(_)), "{outcome:?}");
    assert_eq!(db.record("c-4").unwrap().unwrap().record.staff_label, "");
    assert_eq!(
        db.redact_record("c-4", RedactField::StaffLabel, T0, "a", "b", "c").unwrap(),
        RedactOutcome::AlreadyEmpty
    );
    assert_eq!(db.redact_record("nope", RedactField::Note, T0, "a", "b", "c").unwrap(), RedactOutcome::NotFound);
    let mut pooled = db.conn().unwrap();
    let pass: Option<String> =
        pooled.query_one("SELECT current_setting('lgota.retention_pass', true)", &[]).unwrap().get(0);
    assert!(pass.unwrap_or_default().is_empty(), "the pass outlived its transaction");
    let err = StoreError::from(pooled.batch_execute("UPDATE records SET note = NULL").unwrap_err());
    assert!(matches!(err, StoreError::Constraint(_)));
    let err = StoreError::from(pooled.batch_execute("UPDATE redactions SET reason = ''").unwrap_err());
    assert!(matches!(err, StoreError::Constraint(ref m) if m.contains("append-only")), "{err:?}");
}

#[test]
fn a_statement_prepared_before_its_table_changed_is_prepared_again() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "prepared");
    let db = PostgresDatabase::open(&url).unwrap();
    let mut conn = db.conn().unwrap();
    conn.batch_execute("CREATE TABLE changing (a integer); INSERT INTO changing VALUES (1)").unwrap();
    assert_eq!(conn.query("SELECT * FROM changing", &[]).unwrap()[0].len(), 1);
    let prepared = conn.pooled.as_ref().unwrap().prepared.len();
    assert_eq!(conn.query("SELECT * FROM changing", &[]).unwrap()[0].len(), 1);
    // Another process (a newer server's migration) changes the table under the prepared statement.
    raw(&url).batch_execute("ALTER TABLE changing ADD COLUMN b integer DEFAULT 2").unwrap();
    let rows = conn.query("SELECT * FROM changing", &[]).unwrap();
    assert_eq!((rows[0].len(), rows[0].get::<_, i32>(1)), (2, 2));
    assert_eq!(conn.pooled.as_ref().unwrap().prepared.len(), prepared, "one text, one prepared statement");
}

/// The database server ends every connection while they sit idle in the pool (a restart, an
/// administrator's `pg_terminate_backend`, a firewall's idle cut). Idle a while, they are
/// checked before they are lent and replaced: no call fails. Ended just after use, each fails at
/// most the one call it serves (`Unavailable`, which the service answers as busy: `503`,
/// `Retry-After`: `http::error`'s tests), and is then replaced. A server that cannot be reached is `Unavailable` too.
#[test]
fn connections_ended_by_the_server_are_replaced() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "ended");
    let db = PostgresDatabase::open(&url).unwrap();
    let database = url.rsplit('/').next().unwrap().to_string();
    let mut admin = raw(&server);
    let mut n = 0;
    let mut store = |db: &PostgresDatabase| {
        n += 1;
        let at = T0 + n;
        db.store_records(&[record(&format!("c-{n}"), "d1", RecordKind::Check, None, at)], at).map(|_| ())
    };
    let end_all = |admin: &mut Client| {
        // Several connections at once, all given back idle, then ended by the server.
        let held: Vec<_> = (0..4).map(|_| db.conn().unwrap()).collect();
        drop(held);
        let given_back = std::time::Instant::now();
        let idle = db.pool.lock().idle.len();
        assert!(idle >= 4, "{idle}");
        let sql = "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1) t";
        let ended: i64 = admin.query_one(sql, &[&database]).unwrap().get(0);
        assert_eq!(ended as usize, idle);
        let left = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1";
        while admin.query_one(left, &[&database]).unwrap().get::<_, i64>(0) > 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        (idle, given_back)
    };

    end_all(&mut admin);
    std::thread::sleep(IDLE_CHECK + Duration::from_millis(100));
    for _ in 0..2 * POOL_SIZE {
        store(&db).unwrap();
    }

    let (idle, given_back) = end_all(&mut admin);
    // Lent again before the idle check is due (a machine slower than that checks them all).
    let unchecked = given_back.elapsed() < IDLE_CHECK;
    let (mut failed, mut in_a_row, mut stored) = (0, 0, 2 * POOL_SIZE);
    while in_a_row < 2 * POOL_SIZE {
        match store(&db) {
            Ok(()) => {
                in_a_row += 1;
                stored += 1;
            }
            Err(e) => {
                assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
                failed += 1;
                in_a_row = 0;
                assert!(failed <= idle, "an ended connection was lent again");
            }
        }
    }
    assert!(failed > 0 || !unchecked, "used at once, an ended connection fails its call");
    assert_eq!(db.record_count().unwrap(), stored as u64, "a failed call stored nothing");

    // A server that takes no writes (a standby not yet promoted; here the database set read-only
    // for new sessions): unavailable too, and its connections are not kept for after.
    admin.batch_execute(&format!("ALTER DATABASE {database} SET default_transaction_read_only = on")).unwrap();
    end_all(&mut admin);
    std::thread::sleep(IDLE_CHECK + Duration::from_millis(100));
    let e = store(&db).unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(ref m) if m.contains("read-only")), "{e:?}");
    admin.batch_execute(&format!("ALTER DATABASE {database} RESET default_transaction_read_only")).unwrap();
    for _ in 0..2 * POOL_SIZE {
        store(&db).unwrap();
    }

    let nowhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let refused =
        format!("postgres://postgres@127.0.0.1:{nowhere}/none").parse::<postgres::Config>().unwrap().connect(NoTls);
    let e = StoreError::from(refused.err().expect("nothing listens there"));
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
}

/// Phones storing at once through two processes (each phone's batches one at a time, as a phone
/// sends them, but alternating between the processes), every batch sent twice: voids of their own
/// checks (one arriving before its check), a void of another phone's check, and the same id from
/// every phone; then a check and its void at once. No batch fails, one of the same ids is stored and the rest kept as conflicts, and
/// the counts are the valid checks' as if the batches had come one at a time.
#[test]
fn phones_storing_at_once_count_as_one_at_a_time() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "at_once");
    let processes = [PostgresDatabase::open(&url).unwrap(), PostgresDatabase::open(&url).unwrap()];
    let (c, v) = (RecordKind::Check, RecordKind::Void);
    const PHONES: usize = 6;
    const ROUNDS: usize = 15;
    std::thread::scope(|s| {
        for phone in 0..PHONES {
            let processes = &processes;
            s.spawn(move || {
                let d = format!("p{phone}");
                for round in 0..ROUNDS {
                    let check = |r: usize, k: usize| format!("{d}-c{r}-{k}");
                    let hour = |k: usize| T0 + ((round * 10 + k) as i64) * 3_600_000;
                    let mut batch: Vec<WireRecord> =
                        (0..10).map(|k| record(&check(round, k), &d, c, None, hour(k))).collect();
                    batch.push(record(&format!("{d}-v{round}"), &d, v, Some(&check(round, 0)), hour(11)));
                    batch.push(record(&format!("{d}-w{round}"), &d, v, Some(&check(round + 1, 1)), hour(11)));
                    let foreign = format!("p{}-c{round}-2", (phone + 1) % PHONES);
                    batch.push(record(&format!("{d}-x{round}"), &d, v, Some(&foreign), hour(11)));
                    batch.push(record(&format!("shared-{round}"), &d, c, None, hour(phone)));
                    for _ in 0..2 {
                        let out = processes[(phone + round) % 2].store_records(&batch, T0 + 50 * DAY).unwrap();
                        assert_eq!(out.statuses.len(), batch.len());
                    }
                }
            });
        }
    });
    // A phone's check and its void arriving at the two processes at the same moment (a push tried
    // again while the first is still being stored): one waits for the other.
    std::thread::scope(|s| {
        for phone in 0..PHONES {
            let processes = &processes;
            s.spawn(move || {
                let d = format!("p{phone}");
                for k in 0..20 {
                    let check = [record(&format!("{d}-y{k}"), &d, c, None, T0 + k)];
                    let void = [record(&format!("{d}-z{k}"), &d, v, Some(&format!("{d}-y{k}")), T0 + k)];
                    std::thread::scope(|s| {
                        s.spawn(|| processes[0].store_records(&check, T0 + 50 * DAY).unwrap());
                        s.spawn(|| processes[1].store_records(&void, T0 + 50 * DAY).unwrap());
                    });
                }
            });
        }
    });
    let mut conn = raw(&url);
    let count = |conn: &mut Client, sql: &str| -> i64 { conn.query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(count(&mut conn, "SELECT count(*) FROM records WHERE id LIKE 'p%-c%'"), (PHONES * ROUNDS * 10) as i64);
    assert_eq!(count(&mut conn, "SELECT count(*) FROM records WHERE id LIKE 'shared-%'"), ROUNDS as i64);
    assert_eq!(count(&mut conn, "SELECT count(*) FROM record_conflicts"), (ROUNDS * (PHONES - 1)) as i64);
    assert_counts_are_the_valid_checks(&mut conn);
    // Not vacuous: voids took checks away, and every phone's valid checks are counted.
    let counted = count(&mut conn, "SELECT sum(n)::bigint FROM check_counts WHERE level = 'd'");
    let checks = (PHONES * ROUNDS * 10 + ROUNDS) as i64;
    assert!(counted < checks - (PHONES * ROUNDS) as i64, "{counted} of {checks}");
}

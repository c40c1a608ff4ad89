//! The real core sync engine and the real HTTP client, through a fault-injecting proxy, against a
//! real server: after many rounds with dropped connections (before and after the server commits),
//! repeated and reordered requests, the server holds exactly the device's records — none lost,
//! none twice. The soak adds three phones, pasted text, a wrong clock, a conflicting id and a
//! server restored from an older copy midway.

mod common;

use std::collections::HashSet;
use std::sync::Mutex;

use std::sync::Arc;

use lgota_central::store::{prelude::*, SqliteDatabase};
use lgota_client::Client;
use lgota_core::sync::push_pending;
use lgota_core::{CheckInput, Now, SetupInput, Store};

use common::proxy::Proxy;

fn device(dir: &tempfile::TempDir) -> Mutex<Store> {
    let mut store = Store::open(dir.path().join("phone.db")).unwrap();
    store
        .setup(&SetupInput { branch_id: common::BRANCH.into(), staff_label: "ИП".into(), event: None }, Now::system())
        .unwrap();
    Mutex::new(store)
}

fn record(store: &Mutex<Store>, n: usize) {
    let mut store = store.lock().unwrap();
    for i in 0..n {
        let input = match i % 3 {
            0 => CheckInput::DigitalIdConfirmed { category_id: "pensioner".into(), note: None },
            1 => CheckInput::Paper {
                category_id: "student".into(),
                document_type_id: "student_card".into(),
                checklist_completed: true,
                accepted: true,
                note: None,
            },
            _ => CheckInput::Refused { category_id: None, note: None },
        };
        let saved = store.record_check(&input, Now::system()).unwrap();
        if i % 10 == 9 {
            store.void(&saved.id, "Ошибочная запись", Now::system()).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_lost_nothing_twice_through_faults() {
    let server = common::start().await;
    let dir = tempfile::tempdir().unwrap();
    let phone = device(&dir);
    let device_id = phone.lock().unwrap().device_id().to_owned();
    let token = server.enroll(&device_id, common::BRANCH).await;
    let proxy = Proxy::start(&server.base, 0x5EED, 45);

    let base = proxy.base.clone();
    let (phone, proxy) = tokio::task::spawn_blocking(move || {
        let mut client = Client::new(&base, Some(token)).unwrap();
        for round in 0..40 {
            // The librarian keeps recording between (and during) sync attempts.
            record(&phone, 7 + round % 5);
            // Failures are expected here; the proxy's counters prove they happened.
            let _ = push_pending(&phone, &mut client, 4, |_, _| {});
        }
        // The network comes back for good: everything left goes through.
        let mut attempts = 0;
        while phone.lock().unwrap().pending_count().unwrap() > 0 {
            attempts += 1;
            assert!(attempts < 200, "sync never completed");
            let _ = push_pending(&phone, &mut client, 4, |_, _| {});
        }
        (phone, proxy)
    })
    .await
    .unwrap();

    // Old requests arrive again, late and out of order.
    let statuses = proxy.replay_all();
    assert!(!statuses.is_empty(), "some requests were kept for replay");
    assert!(statuses.iter().all(|s| s.contains(" 200 ")), "a replay is answered like the original: {statuses:?}");

    let stats = &proxy.stats;
    use std::sync::atomic::Ordering::Relaxed;
    assert!(stats.dropped_before.load(Relaxed) > 0 && stats.dropped_after.load(Relaxed) > 0, "{stats:?}");

    // The server holds exactly the phone's log.
    let phone = phone.lock().unwrap();
    let log: Vec<_> = phone.export_pending().unwrap().records; // nothing pending any more
    assert!(log.is_empty());
    let all = {
        // Every record of the phone, read back through the store's own API.
        let mut ids = HashSet::new();
        let mut seq = 0;
        let db_path = dir.path().join("phone.db");
        let conn = rusqlite::Connection::open(db_path).unwrap();
        let mut stmt = conn.prepare("SELECT seq, id FROM records ORDER BY seq").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).unwrap();
        for row in rows {
            let (s, id) = row.unwrap();
            assert!(s > seq);
            seq = s;
            ids.insert(id);
        }
        ids
    };
    assert_eq!(server.count(), all.len() as u64, "no record twice, no record missing ({stats:?})");
    for id in &all {
        let stored = server.db.record(id).unwrap().unwrap_or_else(|| panic!("record {id} lost"));
        let local = phone.record(id).unwrap().unwrap();
        assert_eq!(stored.record.created_at_ms, local.created_at_ms, "original time kept");
    }
}

/// Offline transfer: the phone exports its unsent records to a file, the server imports it (twice:
/// nothing changes), and a later sync of the same records adds nothing either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_file_imports_once_and_sync_agrees() {
    let server = common::start().await;
    let dir = tempfile::tempdir().unwrap();
    let phone = device(&dir);
    record(&phone, 25);
    // Enrolled (its export key registered) before it lost the network.
    let (device_id, key) = {
        let phone = phone.lock().unwrap();
        (phone.device_id().to_owned(), phone.signing_public_key().unwrap())
    };
    let token = server.enroll_signing(&device_id, common::BRANCH, Some(key)).await;
    let file = phone.lock().unwrap().export_pending().unwrap().to_json();
    let expected = phone.lock().unwrap().pending_count().unwrap();

    let first = lgota_central::service::import::import_export(server.db.as_ref(), &file).unwrap();
    assert_eq!((u64::from(first.stored), first.duplicates), (expected, 0));
    let again = lgota_central::service::import::import_export(server.db.as_ref(), &file).unwrap();
    assert_eq!((again.stored, u64::from(again.duplicates)), (0, expected));
    assert_eq!(server.count(), expected);

    let base = server.base.clone();
    let report = tokio::task::spawn_blocking(move || {
        let mut client = Client::new(&base, Some(token)).unwrap();
        push_pending(&phone, &mut client, 10, |_, _| {}).unwrap()
    })
    .await
    .unwrap();
    assert_eq!((report.sent, report.duplicates), (expected, expected));
    assert_eq!(server.count(), expected);
}

/// A server on `path`, stopped when the sender is dropped or fires.
async fn serve_file(path: &std::path::Path) -> (String, Arc<SqliteDatabase>, tokio::sync::oneshot::Sender<()>) {
    let db = Arc::new(SqliteDatabase::open(path).unwrap());
    lgota_central::service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_db: Arc<dyn Database> = db.clone();
    tokio::spawn(lgota_central::serve(listener, server_db, async move {
        let _ = stopped.await;
    }));
    (base, db, stop)
}

/// Records `n` checks of every kind on `phone` (one in ten voided), with a pasted TAB in one note
/// and one record made under a clock three days ahead.
fn record_mixed(phone: &Mutex<Store>, n: usize, round: usize) {
    let mut store = phone.lock().unwrap();
    for i in 0..n {
        let note = (round == 3 && i == 0).then(|| "Госкан\tдолго\u{a0}грузился".to_string());
        let input = match i % 4 {
            0 => CheckInput::DigitalIdConfirmed { category_id: "pensioner".into(), note },
            1 => CheckInput::Paper {
                category_id: "student".into(),
                document_type_id: "student_card".into(),
                checklist_completed: true,
                accepted: true,
                note,
            },
            2 => CheckInput::DigitalIdFailed {
                reason_id: "no_internet".into(),
                category_id: None,
                document_type_id: None,
                checklist_completed: false,
                accepted: true,
                note,
            },
            _ => CheckInput::Refused { category_id: None, note },
        };
        let now = if round == 5 && i == 1 { Now::system().plus_ms(3 * 24 * 60 * 60 * 1000) } else { Now::system() };
        let saved = store.record_check(&input, now).unwrap();
        if i % 10 == 9 {
            store.void(&saved.id, "Ошибочная запись", Now::system()).unwrap();
        }
    }
}

type Phone = (Arc<Mutex<Store>>, std::path::PathBuf, String);

/// Each phone records and syncs through the faulty proxy, round after round, all at once.
fn run_phones(proxy: &Proxy, phones: Vec<Phone>, rounds: std::ops::Range<usize>) -> Vec<Phone> {
    std::thread::scope(|scope| {
        for (store, _, token) in &phones {
            let rounds = rounds.clone();
            scope.spawn(move || {
                let mut client = Client::new(&proxy.base, Some(token.clone())).unwrap();
                for round in rounds {
                    record_mixed(store, 50, round);
                    let _ = push_pending(store, &mut client, 50, |_, _| {});
                }
            });
        }
    });
    phones
}

fn log_ids(path: &std::path::Path) -> HashSet<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM records WHERE training = 0").unwrap();
    let ids = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect();
    ids
}

/// Three phones, 2,000 records each, 20 % of connections dropped before or after the server
/// commits, requests replayed late, the server restored midway from an older copy, a conflicting
/// id sent by another client: at the end the server holds the union of the phones' logs, none
/// twice, no phone holds a record it will not send, and the conflict is listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_three_phones_faults_and_a_restored_server() {
    const PHONES: usize = 3;
    const ROUNDS: usize = 40;
    const PER_ROUND: usize = 50; // 2,000 records each (voids on top); `run_phones` records 50 a round
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("central.db");
    let (base, db, stop) = serve_file(&live).await;
    let proxy = Arc::new(Proxy::start(&base, 0x50A4, 20));

    let mut phones = Vec::new();
    for p in 0..PHONES {
        let path = dir.path().join(format!("phone-{p}.db"));
        let mut store = Store::open(&path).unwrap();
        store
            .setup(
                &SetupInput { branch_id: common::BRANCH.into(), staff_label: format!("Л{p}"), event: None },
                Now::system(),
            )
            .unwrap();
        let code = lgota_central::service::devices::issue_code(
            db.as_ref(),
            common::BRANCH,
            &lgota_central::store::CodeIssuer::admin("admin"),
            60,
            &base,
        )
        .unwrap()
        .code;
        let (device_id, server) = (store.device_id().to_owned(), base.clone());
        let token = tokio::task::spawn_blocking(move || {
            Client::new(&server, None).unwrap().enroll(&code, &device_id, None).unwrap().device_token
        })
        .await
        .unwrap();
        phones.push((Arc::new(Mutex::new(store)), path, token));
    }

    let phones = {
        let proxy = proxy.clone();
        tokio::task::spawn_blocking(move || run_phones(&proxy, phones, 0..ROUNDS / 4)).await.unwrap()
    };
    // Last night's backup, taken while the phones were syncing.
    let backup = dir.path().join("backup.db");
    rusqlite::Connection::open(&live).unwrap().execute("VACUUM INTO ?1", [backup.to_str().unwrap()]).unwrap();
    let phones = {
        let proxy = proxy.clone();
        tokio::task::spawn_blocking(move || run_phones(&proxy, phones, ROUNDS / 4..ROUNDS / 2)).await.unwrap()
    };
    let before_restore = db.record_count().unwrap();

    // The server dies and is restored from the backup (on a new file, a new process).
    let _ = stop.send(());
    drop(db);
    let restored = dir.path().join("restored.db");
    std::fs::copy(&backup, &restored).unwrap();
    let (base, db, _stop) = serve_file(&restored).await;
    assert!(db.record_count().unwrap() < before_restore, "the backup lacks what came after it");
    proxy.set_upstream(&base);

    let phones = {
        let proxy = proxy.clone();
        tokio::task::spawn_blocking(move || run_phones(&proxy, phones, ROUNDS / 2..ROUNDS)).await.unwrap()
    };

    // Another client sends a record id of phone 0 with other content.
    let (store0, _, token0) = &phones[0];
    let first_check: String = rusqlite::Connection::open(&phones[0].1)
        .unwrap()
        .query_row("SELECT id FROM records WHERE kind = 'check' ORDER BY seq LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let mut forged = store0.lock().unwrap().record(&first_check).unwrap().unwrap().wire;
    forged.staff_label = "Подделка".into();
    let raw = common::protocol_client();
    let answer: lgota_protocol::PushResponse = raw
        .post(format!("{base}/api/v1/records"))
        .bearer_auth(token0)
        .json(&serde_json::json!({"records": [forged]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Old requests arrive again, late and out of order.
    let statuses = proxy.replay_all();
    assert!(statuses.iter().all(|s| s.contains(" 200 ") || s.contains(" 401 ")), "{statuses:?}");

    // The network comes back for good: everything left goes through, directly.
    let phones = {
        let base = base.clone();
        tokio::task::spawn_blocking(move || {
            for (store, _, token) in &phones {
                let mut client = Client::new(&base, Some(token.clone())).unwrap();
                let mut attempts = 0;
                while store.lock().unwrap().pending_count().unwrap() > 0 {
                    attempts += 1;
                    assert!(attempts < 20, "sync never completed");
                    let _ = push_pending(store, &mut client, 500, |_, _| {});
                }
            }
            phones
        })
        .await
        .unwrap()
    };

    let stats = &proxy.stats;
    use std::sync::atomic::Ordering::Relaxed;
    assert!(stats.dropped_before.load(Relaxed) > 0 && stats.dropped_after.load(Relaxed) > 0, "{stats:?}");
    let mut union = HashSet::new();
    for (store, path, _) in &phones {
        let store = store.lock().unwrap();
        assert_eq!(store.pending_count().unwrap(), 0);
        let status = store.sync_status().unwrap();
        assert!(status.attention.is_empty(), "nothing refused: {:?}", status.attention);
        let ids = log_ids(path);
        assert!(ids.len() >= ROUNDS * PER_ROUND);
        union.extend(ids);
    }
    assert_eq!(db.record_count().unwrap(), union.len() as u64, "the union of the phones' logs, none twice ({stats:?})");
    for id in &union {
        assert!(db.record(id).unwrap().is_some(), "record {id} lost");
    }
    // The pasted note arrived in its normal form; the record made three days ahead is flagged.
    let notes: Vec<String> = {
        let conn = rusqlite::Connection::open(&restored).unwrap();
        let mut stmt = conn.prepare("SELECT note FROM records WHERE note IS NOT NULL").unwrap();
        let notes = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        notes
    };
    assert_eq!(notes, vec!["Госкан долго грузился"; PHONES]);
    assert_eq!(db.clock_flagged(100).unwrap().len(), PHONES);
    // The conflicting id: kept apart and listed, never acknowledged as a duplicate.
    assert_eq!(answer.results[0].status, lgota_protocol::RecordStatus::Conflict);
    let conflicts = db.conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].arrived.staff_label, "Подделка");
    eprintln!(
        "soak: {} records from {PHONES} phones; dropped before {}, after {}, replayed {}",
        union.len(),
        stats.dropped_before.load(Relaxed),
        stats.dropped_after.load(Relaxed),
        stats.replayed.load(Relaxed)
    );
}

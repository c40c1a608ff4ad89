//! The real core sync engine and the real HTTP client, through a fault-injecting proxy, against a
//! real server: after many rounds with dropped connections (before and after the server commits),
//! repeated and reordered requests, the server holds exactly the device's records — none lost,
//! none twice.

mod common;

use std::collections::HashSet;
use std::sync::Mutex;

use lgota_central::db::Database;
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
    let file = serde_json::to_vec(&phone.lock().unwrap().export_pending().unwrap()).unwrap();
    let expected = phone.lock().unwrap().pending_count().unwrap();

    let first = lgota_central::admin::import_export(server.db.as_ref(), &file).unwrap();
    assert_eq!((u64::from(first.stored), first.duplicates), (expected, 0));
    let again = lgota_central::admin::import_export(server.db.as_ref(), &file).unwrap();
    assert_eq!((again.stored, u64::from(again.duplicates)), (0, expected));
    assert_eq!(server.count(), expected);

    let device_id = phone.lock().unwrap().device_id().to_owned();
    let token = server.enroll(&device_id, common::BRANCH).await;
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

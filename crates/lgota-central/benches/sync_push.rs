//! How long it takes to push 10,000 pending records from a phone's store to a loopback server:
//! in batches (the app's way), and one request per record (the OpenRosa way), in the same run.
//!
//! Run: `cargo bench -p lgota-central --bench sync_push` (optionally `-- N` for the count).
//! Target (issue 5): 10,000 records in under 0.5 s, and ≥ 20× the one-per-request way.
//! With `LGOTA_BENCH_POSTGRES_URL` (a server whose role may CREATE DATABASE) the same run on a
//! fresh PostgreSQL database follows, and a table puts the two side by side.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lgota_central::store::{postgres, prelude::*, PostgresDatabase, SqliteDatabase};
use lgota_client::Client;
use lgota_core::sync::{push_pending, BATCH_SIZE};
use lgota_core::{CheckInput, Now, SetupInput, Store};

fn phone(dir: &std::path::Path, name: &str, n: usize) -> Mutex<Store> {
    let mut store = Store::open(dir.join(name)).unwrap();
    store
        .setup(&SetupInput { branch_id: "central".into(), staff_label: "БЕНЧ".into(), event: None }, Now::system())
        .unwrap();
    for i in 0..n {
        let input = if i % 2 == 0 {
            CheckInput::DigitalIdConfirmed { category_id: "pensioner".into(), note: None }
        } else {
            CheckInput::Refused { category_id: None, note: None }
        };
        store.record_check(&input, Now::system()).unwrap();
    }
    Mutex::new(store)
}

fn push(server: &str, db: &dyn Database, store: &Mutex<Store>, batch: usize) -> Duration {
    let device_id = store.lock().unwrap().device_id().to_owned();
    let code = lgota_central::service::devices::issue_code(
        db,
        "central",
        &lgota_central::store::CodeIssuer::admin("admin"),
        60,
        server,
    )
    .unwrap()
    .code;
    let token = Client::new(server, None).unwrap().enroll(&code, &device_id, None).unwrap().device_token;
    let mut client = Client::new(server, Some(token)).unwrap();
    let started = Instant::now();
    push_pending(store, &mut client, batch, |_, _| {}).unwrap();
    let took = started.elapsed();
    assert_eq!(store.lock().unwrap().pending_count().unwrap(), 0);
    took
}

/// The id of the first record of the phone `a.db`.
fn first_id(dir: &std::path::Path) -> String {
    rusqlite::Connection::open(dir.join("a.db"))
        .unwrap()
        .query_row("SELECT id FROM records ORDER BY seq LIMIT 1", [], |r| r.get(0))
        .unwrap()
}

/// One backend's run: the measurements, named.
fn run(backend: &str, db: Arc<dyn Database>, n: usize) -> Vec<(String, f64)> {
    let dir = tempfile::tempdir().unwrap();
    lgota_central::service::reference::seed(db.as_ref()).unwrap();
    let mut out = Vec::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let served: Arc<dyn Database> = db.clone();
    runtime.spawn(lgota_central::serve(listener, served, std::future::pending()));

    eprintln!("preparing two phones with {n} pending records each…");
    let batched_phone = phone(dir.path(), "a.db", n);
    let single_phone = phone(dir.path(), "b.db", n);

    let batched = push(&server, db.as_ref(), &batched_phone, BATCH_SIZE);
    let single = push(&server, db.as_ref(), &single_phone, 1);
    assert_eq!(db.record_count().unwrap(), 2 * n as u64);

    let secs = |d: Duration| d.as_secs_f64();
    println!("push {n} pending records to a loopback server (real client, real server, {backend})");
    println!("  batched ({BATCH_SIZE} per request): {:.3} s   (target: < 0.5 s for 10,000)", secs(batched));
    println!("  one record per request:        {:.3} s", secs(single));
    println!("  ratio: {:.1}×   (target: ≥ 20×)", secs(single) / secs(batched));
    println!("  server ingest, batched: {:.0} records/s", n as f64 / secs(batched));
    println!("  server ingest, one per request: {:.0} records/s", n as f64 / secs(single));
    out.push((format!("push {n}, batched (s)"), secs(batched)));
    out.push((format!("push {n}, one per request (s)"), secs(single)));

    // A phone offline for weeks: its export file of 100,000 records imported (the CLI's and the
    // dashboard's path), then the same file again.
    let m: usize = std::env::var("LGOTA_BENCH_IMPORT").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    eprintln!("preparing an export file of {m} records…");
    let big = {
        // The records a phone would export, made directly (recording 100,000 checks one committed
        // transaction at a time on the phone would take minutes and is measured by record_check).
        let sample = batched_phone.lock().unwrap().record(&first_id(dir.path())).unwrap().unwrap().wire;
        // Signed as that phone would sign it: a key of the bench's own, registered for the phone.
        let device_id = sample.device_id.clone();
        let secret = [9u8; 32];
        db.set_signing_key(&device_id, &lgota_domain::export::public_key(&secret), 0, true).unwrap();
        let records: Vec<lgota_protocol::WireRecord> = (0..m)
            .map(|i| lgota_protocol::WireRecord {
                id: format!("0190a0a0-0000-7000-9000-{i:012}"),
                device_id: device_id.clone(),
                created_at_ms: sample.created_at_ms - (m - i) as i64 * 1000,
                note: (i % 3 == 0).then(|| "Госкан долго загружался".to_string()),
                ..sample.clone()
            })
            .collect();
        serde_json::to_vec(&lgota_domain::export::seal(&secret, &device_id, &records).unwrap()).unwrap()
    };
    let started = Instant::now();
    let first = lgota_central::service::import::import_export(db.as_ref(), &big).unwrap();
    let import = started.elapsed();
    let started = Instant::now();
    let again = lgota_central::service::import::import_export(db.as_ref(), &big).unwrap();
    let repeat = started.elapsed();
    assert_eq!((first.stored as usize, again.duplicates as usize), (m, m));
    println!("import an export file of {m} records ({:.1} MB)", big.len() as f64 / 1e6);
    println!("  first time: {:.2} s ({:.0} records/s)", secs(import), m as f64 / secs(import));
    println!("  the same file again (all duplicates): {:.2} s", secs(repeat));
    out.push((format!("import {m} (s)"), secs(import)));
    out.push((format!("import {m} again (s)"), secs(repeat)));
    drop(runtime);
    out
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Database> = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    let mut runs = vec![("SQLite", run("SQLite file", sqlite, n))];
    if let Some(url) = std::env::var("LGOTA_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        let name = format!("lgota_bench_push_{}", std::process::id());
        let db: Arc<dyn Database> =
            Arc::new(PostgresDatabase::open(&postgres::create_database(&url, &name).unwrap()).unwrap());
        runs.push(("PostgreSQL", run(&format!("PostgreSQL database {name}"), db, n)));
    }
    if runs.len() == 2 {
        println!("\nside by side           {:>12} {:>12}", runs[0].0, runs[1].0);
        for ((what, a), (_, b)) in runs[0].1.iter().zip(&runs[1].1) {
            println!("  {what:<34} {a:>10.3} {b:>12.3}");
        }
    }
}

//! Latency and throughput of recording a check through the core API on a file database
//! (WAL, synchronous=FULL, one committed transaction per check, as the app does it), side by
//! side with its floor: a raw rusqlite INSERT of the same row (the same columns and values, into
//! a table with the very schema of `records`, its indexes included) with the same durability,
//! one transaction per row. The two run interleaved, so a busy machine slows both alike.
//!
//! Run: `cargo bench -p lgota-core --bench record_check` (optionally `-- N` for the count).
//! Prints p50/p90/p99/max latency and records per second of both, and the ratio core/raw at
//! p50 and p99. Targets: core p99 under 5 ms (issue 3); core within 1.5× of raw (issue 12).

use std::time::{Duration, Instant};

use lgota_core::{CheckInput, Now, SetupInput, Store};
use rusqlite::types::Value;
use rusqlite::Connection;

/// The columns a check fills, as `Store::record_check` writes them (`seq` and the void columns
/// stay at their defaults). `id` and `created_at_ms` are fresh for every raw row.
const COLUMNS: &str = "id, kind, created_at_ms, utc_offset_min, device_id, branch_id, event_id, staff_label, \
     training, method, outcome, granted, category_id, failure_reason_id, document_type_id, checklist_completed, note";

fn input(i: usize, categories: &[String]) -> CheckInput {
    match i % 4 {
        0 => CheckInput::DigitalIdConfirmed { category_id: categories[i % categories.len()].clone(), note: None },
        1 => CheckInput::DigitalIdFailed {
            reason_id: "no_internet".into(),
            category_id: Some("pensioner".into()),
            document_type_id: Some("pension_certificate".into()),
            checklist_completed: false,
            accepted: true,
            note: None,
        },
        2 => CheckInput::Paper {
            category_id: "student".into(),
            document_type_id: "student_card".into(),
            checklist_completed: false,
            accepted: true,
            note: None,
        },
        _ => CheckInput::Refused { category_id: None, note: Some("Гражданин отказался".into()) },
    }
}

/// A database with the core's durability and nothing but the `records` table as the core's
/// migrations made it (copied from the core's file: same columns, checks, indexes, triggers).
fn raw_database(path: &std::path::Path, core_path: &std::path::Path) -> Connection {
    let core = Connection::open(core_path).expect("open the core's file");
    let schema: Vec<String> = core
        .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'records' AND sql IS NOT NULL ORDER BY rowid")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("the records schema");
    let conn = Connection::open(path).expect("open raw");
    conn.pragma_update(None, "journal_mode", "WAL").expect("WAL");
    conn.pragma_update(None, "synchronous", "FULL").expect("synchronous");
    for sql in schema {
        conn.execute_batch(&sql).expect("schema");
    }
    conn
}

/// The last `n` rows the core wrote, oldest first, as the values of [`COLUMNS`].
fn last_rows(core_path: &std::path::Path, n: usize) -> Vec<Vec<Value>> {
    let core = Connection::open(core_path).expect("open the core's file");
    let sql = format!("SELECT {COLUMNS} FROM records ORDER BY seq DESC LIMIT {n}");
    let mut stmt = core.prepare(&sql).expect("prepare");
    let width = stmt.column_count();
    let mut rows: Vec<Vec<Value>> = stmt
        .query_map([], |r| (0..width).map(|i| r.get::<_, Value>(i)).collect())
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    rows.reverse();
    rows
}

struct Stats {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
    per_s: f64,
}

fn stats(mut latencies: Vec<Duration>) -> Stats {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    let total: Duration = latencies.iter().sum();
    Stats {
        p50: pct(0.50),
        p90: pct(0.90),
        p99: pct(0.99),
        max: *latencies.last().unwrap(),
        per_s: latencies.len() as f64 / total.as_secs_f64(),
    }
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut store = Store::open(&path).expect("open store");
    store
        .setup(&SetupInput { branch_id: "central".into(), staff_label: "БЕНЧ".into(), event: None }, Now::system())
        .expect("setup");
    let categories: Vec<String> = store.config().categories.iter().map(|c| c.id.clone()).collect();

    // Warm-up: page cache, statement cache, WAL file creation; the last four rows, one of each
    // kind of input, are the raw insert's values.
    for i in 0..52 {
        store.record_check(&input(i, &categories), Now::system()).expect("record");
    }
    let templates = last_rows(&path, 4);
    let raw = raw_database(&dir.path().join("raw.db"), &path);
    let insert = format!("INSERT INTO records ({COLUMNS}) VALUES ({})", vec!["?"; templates[0].len()].join(", "));
    let raw_insert = |i: usize| {
        let mut values = templates[i % 4].clone();
        values[0] = Value::Text(uuid::Uuid::now_v7().to_string());
        values[2] = Value::Integer(Now::system().utc_ms);
        // Autocommit: the statement is its own transaction, committed (and synced) on return.
        raw.prepare_cached(&insert).expect("prepare").execute(rusqlite::params_from_iter(values)).expect("insert");
    };
    for i in 0..50 {
        raw_insert(i);
    }

    let mut core_lat = Vec::with_capacity(n);
    let mut raw_lat = Vec::with_capacity(n);
    for i in 0..n {
        let check = input(i, &categories);
        // Alternate which goes first, so neither always follows the other's fsync.
        for first_core in [i % 2 == 0, i % 2 != 0] {
            if first_core {
                let t = Instant::now();
                store.record_check(&check, Now::system()).expect("record");
                core_lat.push(t.elapsed());
            } else {
                let t = Instant::now();
                raw_insert(i);
                raw_lat.push(t.elapsed());
            }
        }
    }
    let (core, raw) = (stats(core_lat), stats(raw_lat));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!("record_check on a file database ({n} checks, WAL, synchronous=FULL, one transaction each)");
    println!("       {:>14} {:>14} {:>10}", "core", "raw INSERT", "core/raw");
    println!("  p50  {:>11.3} ms {:>11.3} ms {:>9.2}×", ms(core.p50), ms(raw.p50), ratio(core.p50, raw.p50));
    // No ratio at p90: about one commit in ten waits for the disk much longer, whichever side it
    // falls on, so p90 flips between the two modes from run to run.
    println!("  p90  {:>11.3} ms {:>11.3} ms", ms(core.p90), ms(raw.p90));
    println!("  p99  {:>11.3} ms {:>11.3} ms {:>9.2}×", ms(core.p99), ms(raw.p99), ratio(core.p99, raw.p99));
    println!("  max  {:>11.3} ms {:>11.3} ms", ms(core.max), ms(raw.max));
    println!("  records/s {:>9.0} {:>14.0}   (1 / mean latency)", core.per_s, raw.per_s);
    println!("  targets: core p99 < 5 ms; core/raw ≤ 1.5× at p50 and p99");
}

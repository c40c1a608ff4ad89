//! Latency and throughput of recording a check through the core API on a file database
//! (WAL, synchronous=FULL, one committed transaction per check, as the app does it).
//!
//! Run: `cargo bench -p lgota-core --bench record_check` (optionally `-- N` for the count).
//! Prints p50/p90/p99/max latency and records per second. Target (issue 3): p99 under 5 ms.

use std::time::{Duration, Instant};

use lgota_core::{CheckInput, Now, SetupInput, Store};

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut store = Store::open(&path).expect("open store");
    store
        .setup(&SetupInput { branch_id: "central".into(), staff_label: "БЕНЧ".into(), event: None }, Now::system())
        .expect("setup");
    let categories: Vec<String> = store.config().categories.iter().map(|c| c.id.clone()).collect();

    // Warm-up: page cache, statement cache, WAL file creation.
    for i in 0..50 {
        let input =
            CheckInput::DigitalIdConfirmed { category_id: categories[i % categories.len()].clone(), note: None };
        store.record_check(&input, Now::system()).expect("record");
    }

    let mut latencies = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let input = match i % 4 {
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
        };
        let t = Instant::now();
        store.record_check(&input, Now::system()).expect("record");
        latencies.push(t.elapsed());
    }
    let total = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("record_check on a file database ({n} checks, WAL, synchronous=FULL)");
    println!("  p50  {:.3} ms", ms(pct(0.50)));
    println!("  p90  {:.3} ms", ms(pct(0.90)));
    println!("  p99  {:.3} ms   (target: < 5 ms)", ms(pct(0.99)));
    println!("  max  {:.3} ms", ms(*latencies.last().unwrap()));
    println!("  throughput  {:.0} records/s", n as f64 / total.as_secs_f64());
}

//! A record the store reported saved survives the process dying right after: this test runs
//! itself as a child process that records checks and then aborts without any clean-up.

use std::process::Command;

use lgota_core::{CheckInput, Now, SetupInput, Store};

const CHILD_ENV: &str = "LGOTA_CRASH_CHILD_DB";

/// The child half: run only by `saved_records_survive_an_abort`, never on its own.
#[test]
#[ignore = "the child process of saved_records_survive_an_abort"]
fn child_records_then_aborts() {
    let path = std::env::var(CHILD_ENV).expect("started by saved_records_survive_an_abort");
    let mut store = Store::open(&path).unwrap();
    store
        .setup(&SetupInput { branch_id: "central".into(), staff_label: "ИП".into(), event: None }, Now::system())
        .unwrap();
    for _ in 0..3 {
        let record = store
            .record_check(&CheckInput::DigitalIdConfirmed { category_id: "student".into(), note: None }, Now::system())
            .unwrap();
        println!("saved {}", record.id);
    }
    std::process::abort();
}

#[test]
fn saved_records_survive_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_records_then_aborts", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .output()
        .unwrap();
    assert!(!output.status.success(), "the child must die by abort");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The harness prints "test … ... " on the line of the first "saved", so search, not prefix.
    let saved: Vec<&str> =
        stdout.lines().filter_map(|l| l.find("saved ").map(|at| l[at + "saved ".len()..].trim())).collect();
    assert_eq!(saved.len(), 3, "child output: {stdout}");

    let store = Store::open(&path).unwrap();
    for id in saved {
        assert!(store.record(id).unwrap().is_some(), "record {id} lost in the crash");
    }
    assert_eq!(store.overview(Now::system()).unwrap().tally.digital_id, 3);
}

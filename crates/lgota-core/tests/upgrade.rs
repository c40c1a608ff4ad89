//! Upgrades are tested: a phone log made by every earlier release (`tests/fixtures/upgrade/*.sql`,
//! made by `scripts/make-upgrade-fixture.sh` from that release's own migrations) opens with the
//! current code with every record, its outbox and its settings; a log whose update fails, or a
//! damaged file, is moved aside (never deleted) and recording goes on in a fresh log that says so.

use std::path::{Path, PathBuf};

use lgota_core::{CheckInput, Now, Store};
use rusqlite::Connection;

const DEVICE: &str = "0190f0f0-aaaa-7bbb-8ccc-000000000001";

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut all: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    all.sort();
    assert!(all.len() >= 4, "the fixtures of every release so far");
    all
}

fn load(dir: &Path, sql: &str) -> PathBuf {
    let path = dir.join("lgota.db");
    Connection::open(&path).unwrap().execute_batch(sql).unwrap();
    path
}

fn count(conn: &Connection, sql: &str) -> u64 {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

fn now() -> Now {
    Now { utc_ms: 1_764_000_000_000, offset_min: 180 }
}

fn confirmed() -> CheckInput {
    CheckInput::DigitalIdConfirmed { category_id: "pensioner".into(), note: None }
}

#[test]
fn every_earlier_release_s_log_opens_with_its_records_outbox_and_settings() {
    for (release, sql) in fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let path = load(dir.path(), &sql);
        let before = Connection::open(&path).unwrap();
        let records = count(&before, "SELECT count(*) FROM records");
        let unsent = count(&before, "SELECT count(*) FROM records WHERE training = 0 AND seq > 3");
        drop(before);

        let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{release}: {e}"));
        let state = store.state().unwrap();
        assert!(state.fresh_start.is_none(), "{release}: opened, not started afresh");
        assert_eq!(state.device_id, DEVICE, "{release}");
        let settings = state.settings.unwrap_or_else(|| panic!("{release}: settings lost"));
        assert_eq!((settings.branch_id.as_str(), settings.staff_label.as_str()), ("branch-1", "ЦГБ-01"), "{release}");
        assert_eq!(store.enrollment().unwrap().unwrap().server, "https://cbs.example/lgota", "{release}");
        assert_eq!(store.pending_count().unwrap(), unsent, "{release}: the outbox is where it was");
        let export = store.export_pending().unwrap();
        assert_eq!(export.records.len() as u64, unsent, "{release}");
        assert!(store.record("0190f0f0-0000-7000-8000-000000000007").unwrap().is_some(), "{release}: the void");
        assert_eq!(store.lock_settings().unwrap().idle_seconds, 300, "{release}: the lock's settings");
        // The log records on.
        store.record_check(&confirmed(), now()).unwrap();
        let after = Connection::open(&path).unwrap();
        assert_eq!(count(&after, "SELECT count(*) FROM records"), records + 1, "{release}");
    }
}

/// The 0.1.0 log with a table in the way of this version's migration (as a half-applied or
/// hand-edited update would leave it): the update fails.
fn broken_log(dir: &Path) -> PathBuf {
    let (_, sql) = fixtures().into_iter().find(|(r, _)| r == "0.1.0").expect("the 0.1.0 fixture");
    let path = load(dir, &sql);
    Connection::open(&path).unwrap().execute_batch("CREATE TABLE signing_key (x INTEGER)").unwrap();
    path
}

fn asides(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("lgota.db.failed-"))
        .filter(|p| !p.to_string_lossy().ends_with("-wal") && !p.to_string_lossy().ends_with("-shm"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_log_whose_update_fails_is_kept_aside_and_recording_goes_on_as_the_same_phone() {
    let dir = tempfile::tempdir().unwrap();
    let path = broken_log(dir.path());
    let e = Store::open(&path).err().expect("the update fails");
    assert_eq!(e.code(), "storage");

    let mut store = Store::open_or_start_afresh(&path, now()).unwrap();
    // The old file: moved aside, whole (its records, its schema version), never deleted.
    let aside = asides(dir.path());
    assert_eq!(aside.len(), 1, "{aside:?}");
    let old = Connection::open(&aside[0]).unwrap();
    assert_eq!(count(&old, "SELECT count(*) FROM records"), 10);
    assert_eq!(old.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0)).unwrap(), 5);
    drop(old);

    // The fresh log: the same phone (id, enrollment, branch, staff code, lock), no old records.
    let state = store.state().unwrap();
    let notice = state.fresh_start.clone().expect("the notice");
    assert!(notice.carried_over && notice.code == "storage", "{notice:?}");
    assert_eq!(notice.aside, aside[0].file_name().unwrap().to_string_lossy());
    assert_eq!(state.device_id, DEVICE);
    assert_eq!(state.settings.as_ref().unwrap().staff_label, "ЦГБ-01");
    assert_eq!(store.enrollment().unwrap().unwrap().token, "dGVzdC10b2tlbi1vZi1hbi1vbGQtcmVsZWFzZS0wMDAx");
    assert_eq!(store.lock_settings().unwrap().idle_seconds, 300);
    assert_eq!(store.pending_count().unwrap(), 0);
    // Recording works at once.
    let saved = store.record_check(&confirmed(), now()).unwrap();
    assert_eq!(store.pending_count().unwrap(), 1);
    drop(store);

    // A restart opens the fresh log (nothing moved again) and still shows the notice until read.
    let mut store = Store::open_or_start_afresh(&path, now()).unwrap();
    assert_eq!(asides(dir.path()).len(), 1);
    assert!(store.record(&saved.id).unwrap().is_some());
    assert!(store.state().unwrap().fresh_start.is_some());
    assert!(store.acknowledge_fresh_start().unwrap().fresh_start.is_none());
    assert!(Store::open(&path).unwrap().state().unwrap().fresh_start.is_none());
}

#[test]
fn a_damaged_file_is_kept_aside_and_a_new_log_starts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lgota.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();

    let mut store = Store::open_or_start_afresh(&path, now()).unwrap();
    let aside = asides(dir.path());
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(&aside[0]).unwrap(), garbage, "kept byte for byte");
    let state = store.state().unwrap();
    let notice = state.fresh_start.expect("the notice");
    assert!(!notice.carried_over, "nothing could be read");
    assert!(state.settings.is_none(), "set up again: branch and staff code");
    // Other failures are not the log's: nothing is moved for them.
    let readonly_dir = dir.path().join("missing-folder/lgota.db");
    assert!(Store::open_or_start_afresh(&readonly_dir, now()).is_err());
    assert_eq!(asides(dir.path()).len(), 1);
    let _ = store.acknowledge_fresh_start().unwrap();
}

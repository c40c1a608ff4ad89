//! Upgrades are tested: a database made by every earlier release (`tests/fixtures/upgrade/*.sql`,
//! made by `scripts/make-upgrade-fixture.sh` from that release's own migrations) is opened by the
//! current server: a copy of it is written beside it before the migrations run, every record
//! survives, and the figures equal a direct count over the records.

use std::path::{Path, PathBuf};

use lgota_central::store::{prelude::*, RecordFilter, SqliteDatabase};
use rusqlite::Connection;

/// Every fixture: (release, SQL text).
fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut all: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    all.sort();
    assert!(
        all.len() >= 4,
        "the fixtures of every release so far: {all:?}",
        all = all.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    all
}

/// The fixture loaded into a file of its own, as that release left it.
fn load(dir: &Path, sql: &str) -> (PathBuf, u32) {
    let path = dir.join("central.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(sql).unwrap();
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    (path, version)
}

fn count(conn: &Connection, sql: &str) -> u64 {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

fn newest_schema() -> u32 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/sqlite/migrations");
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count() as u32
}

#[test]
fn every_earlier_release_s_database_is_copied_then_migrated_and_its_figures_hold() {
    let newest = newest_schema();
    for (release, sql) in fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let (path, from) = load(dir.path(), &sql);
        assert!(from > 0 && from < newest, "{release}: schema {from}");
        let before = Connection::open(&path).unwrap();
        let records = count(&before, "SELECT count(*) FROM records");
        // What the figures must say, straight from the records: checks not voided by their own
        // device, not training.
        let live = "FROM records c WHERE c.kind = 'check' AND c.training = 0 AND NOT EXISTS (SELECT 1 FROM records v
                    WHERE v.kind = 'void' AND v.target_id = c.id AND v.device_id = c.device_id)";
        let checks = count(&before, &format!("SELECT count(*) {live}"));
        let granted = count(&before, &format!("SELECT count(*) {live} AND c.granted = 1"));
        let branch2 = count(&before, &format!("SELECT count(*) {live} AND c.branch_id = 'branch-2'"));
        let devices = count(&before, "SELECT count(*) FROM devices");
        drop(before);
        assert!(records >= 10 && checks > 0, "{release}: the fixture has rows");

        let db = SqliteDatabase::open(&path).unwrap_or_else(|e| panic!("{release}: {e}"));
        // The copy before the migrations: beside the database, the old schema, every record.
        let copy = dir.path().join(format!("central.db.before-{from}-to-{newest}.bak"));
        assert!(copy.exists(), "{release}: no copy {}", copy.display());
        let old = Connection::open(&copy).unwrap();
        assert_eq!(old.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0)).unwrap(), from, "{release}");
        assert_eq!(count(&old, "SELECT count(*) FROM records"), records, "{release}");
        drop(old);

        // The data survives and the figures equal the direct count.
        assert_eq!(db.record_count().unwrap(), records, "{release}");
        assert_eq!(db.devices().unwrap().len() as u64, devices, "{release}");
        let all = RecordFilter { from_ms: 0, to_ms: i64::MAX / 2, ..RecordFilter::default() };
        let overview = db.overview(&all).unwrap();
        assert_eq!((overview.total, overview.granted), (checks, granted), "{release}");
        assert_eq!(overview.by_branch.iter().find(|(b, _)| b == "branch-2").map(|b| b.1), Some(branch2), "{release}");
        assert_eq!(db.check_count(&all).unwrap(), checks, "{release}");
        assert!(db.record("0190f0f0-0000-7000-8000-000000000005").unwrap().is_some(), "{release}: the void is kept");
        assert!(!db.server_id().unwrap().is_empty(), "{release}");
        drop(db);

        // Current now: opening again copies nothing more.
        let _db = SqliteDatabase::open(&path).unwrap();
        let copies = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".bak"));
        assert_eq!(copies.count(), 1, "{release}");
    }
}

/// A copy that cannot be written stops the opening: the database is not migrated without one.
#[test]
fn no_migration_without_the_copy() {
    let (release, sql) = fixtures().into_iter().next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (path, from) = load(dir.path(), &sql);
    // The copy's name points into a folder that does not exist: VACUUM INTO cannot write it.
    let copy = dir.path().join(format!("central.db.before-{from}-to-{}.bak", newest_schema()));
    std::os::unix::fs::symlink(dir.path().join("no-such-folder/copy.db"), &copy).unwrap();
    let e = SqliteDatabase::open(&path).err().unwrap_or_else(|| panic!("{release}: opened without a copy"));
    assert!(
        e.to_string().contains("копия базы перед обновлением схемы") && e.to_string().contains("не записана"),
        "{e}"
    );
    let conn = Connection::open(&path).unwrap();
    assert_eq!(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0)).unwrap(), from, "not migrated");
}

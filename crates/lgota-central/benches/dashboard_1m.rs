//! How long the dashboard takes over 1,000,000 records: the overview (the very
//! `Database::overview` call the page makes, checks by event included) for a month and a year,
//! all branches and one; the trend by week and by month; the whole overview page's queries; the
//! monthly summary as XLSX (query and rendering); the records page's first page (count and the
//! newest 100).
//!
//! Run: `cargo bench -p lgota-central --bench dashboard_1m` (optionally `-- N` for the count of
//! records). The records are made in time order, as phones push them, and stored through
//! `store_records` in batches of 20,000, anew each run in a temporary folder. From 5,000,000
//! records on (or with `-- --cached`) the SQLite file is generated once, in batches of 100,000,
//! and kept as `$CARGO_TARGET_DIR/bench-data/dashboard-<N>-v<generator version>.db`; each run
//! measures a copy of it. Both ways the overview's total must equal the valid checks made.
//! Target (issue 6): the overview page's queries under 300 ms for a year, all branches (issue 18:
//! at 10,000,000 records on both backends).
//! With `LGOTA_BENCH_POSTGRES_URL` (a server whose role may CREATE DATABASE) the same run on a
//! fresh PostgreSQL database follows — its records stored the same way, or, from the kept
//! SQLite file, copied by `lgota-central migrate`'s own copy (`store::copy`), whose rate is
//! printed — and a table puts the medians side by side.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use lgota_central::http::views::pages::{self, Names, Period};
use lgota_central::http::views::xlsx;
use lgota_central::report::month_ranges;
use lgota_central::store::{copy, postgres, prelude::*, PostgresDatabase, RecordFilter, SqliteDatabase};
use lgota_protocol::{Method, Outcome, RecordKind, WireRecord};

const TZ: chrono_tz::Tz = chrono_tz::Europe::Moscow;
const BATCH: usize = 20_000;
/// Batches of the cached database's generation (a bulk run, not a phone's push).
const BATCH_CACHED: usize = 100_000;
const RUNS: usize = 7;

/// xorshift64*: reproducible, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const CATEGORIES: &[&str] = &["pensioner", "disabled", "large_family", "student", "svo", "adult"];
const REASONS: &[&str] = &["goskan_error", "status_not_confirmed", "no_internet", "qr_unreadable", "other"];

/// One check made in `[from_ms, to_ms)`, with a realistic mix: most confirmed by Digital ID,
/// some Digital ID failures with paper shown, paper by choice, refusals.
fn check(rng: &mut Rng, n: u64, branches: &[String], from_ms: i64, to_ms: i64) -> WireRecord {
    let branch = rng.pick(branches).clone();
    let created_at_ms = from_ms + rng.below((to_ms - from_ms) as u64) as i64;
    let (method, outcome, granted, reason) = match rng.below(100) {
        0..=64 => (Method::DigitalId, Outcome::Confirmed, true, None),
        65..=79 => (Method::DigitalId, Outcome::PaperShown, true, Some(*rng.pick(REASONS))),
        80..=84 => (Method::DigitalId, Outcome::NoDocument, false, Some(*rng.pick(REASONS))),
        85..=93 => (Method::Paper, Outcome::PaperShown, true, None),
        94..=95 => (Method::Paper, Outcome::PaperRejected, false, None),
        96 => (Method::SvoQr, Outcome::Confirmed, true, None),
        _ => (Method::None, Outcome::Refused, false, None),
    };
    let category = (method != Method::None).then(|| rng.pick(CATEGORIES).to_string());
    let event_id = (rng.below(10) < 3).then(|| format!("event-{}-{}", branch, rng.below(40)));
    WireRecord {
        id: format!("01900000-0000-7000-8000-{n:012}"),
        kind: RecordKind::Check,
        created_at_ms,
        utc_offset_min: 180,
        device_id: format!("{branch}-phone-{}", rng.below(3)),
        branch_id: branch,
        event_id,
        staff_label: "БЕНЧ".into(),
        training: false,
        method: Some(method),
        outcome: Some(outcome),
        granted: Some(granted),
        category_id: category,
        failure_reason_id: reason.map(String::from),
        document_type_id: None,
        checklist_completed: None,
        note: None,
        target_id: None,
        void_reason: None,
        event_title: None,
        event_date: None,
    }
}

fn void(of: &WireRecord, n: u64) -> WireRecord {
    WireRecord {
        id: format!("01900000-0000-7000-9000-{n:012}"),
        kind: RecordKind::Void,
        created_at_ms: of.created_at_ms + 60_000,
        method: None,
        outcome: None,
        granted: None,
        category_id: None,
        failure_reason_id: None,
        event_id: None,
        target_id: Some(of.id.clone()),
        void_reason: Some("Ошибочная запись".into()),
        ..of.clone()
    }
}

thread_local! {
    /// Each measurement's median (ms) of the backend being measured, for the side-by-side table.
    static MEDIANS: std::cell::RefCell<Vec<(String, f64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The median and the slowest of `RUNS` runs (the first run included).
fn time<T>(what: &str, mut f: impl FnMut() -> T) -> T {
    let mut took = Vec::with_capacity(RUNS);
    let mut out = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        out = Some(f());
        took.push(started.elapsed());
    }
    let first = took[0];
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    MEDIANS.with(|m| m.borrow_mut().push((what.to_string(), ms(took[RUNS / 2]))));
    println!(
        "  {what:<64} median {:>8.1} ms   first {:>8.1} ms   max {:>8.1} ms",
        ms(took[RUNS / 2]),
        ms(first),
        ms(took[RUNS - 1])
    );
    out.unwrap()
}

/// Bumped whenever what [`generate`] makes changes: a cached database of another version is
/// not reused.
const GENERATOR: u32 = 2;
/// From this count on the SQLite database is generated once and kept (see the module's text).
const CACHED_FROM: u64 = 5_000_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let cached = n >= CACHED_FROM || args.iter().any(|a| a == "--cached");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let open_sqlite = || Box::new(SqliteDatabase::open(&path).unwrap()) as Box<dyn Database>;
    let size = || format!("SQLite file {:.0} MB", std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6);
    let load = uptime();
    let (sqlite_fill, valid) = if cached {
        let (cache, valid) = cached_database(n);
        let started = Instant::now();
        std::fs::copy(&cache, &path).unwrap();
        eprintln!("copied {} to {} in {:.1} s", cache.display(), path.display(), started.elapsed().as_secs_f64());
        (Fill::Cached(cache), valid)
    } else {
        (Fill::Store, 0)
    };
    let mut runs = vec![("SQLite", measure(&open_sqlite, &size, n, sqlite_fill, valid))];
    if let Some(url) = std::env::var("LGOTA_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        // `LGOTA_BENCH_POSTGRES_KEPT`: the database a run before filled (its name is printed), measured again.
        let kept = std::env::var("LGOTA_BENCH_POSTGRES_KEPT").ok().filter(|k| !k.is_empty());
        let name = kept.clone().unwrap_or_else(|| format!("lgota_bench_dashboard_{}", std::process::id()));
        let url = postgres::create_database(&url, &name).unwrap();
        let open_pg = || Box::new(PostgresDatabase::open(&url).unwrap()) as Box<dyn Database>;
        let size = || format!("PostgreSQL database {name}");
        // Filled from the (unchanged) SQLite copy the way a region moves: `migrate`'s own copy.
        let fill = match (cached, kept) {
            (true, Some(_)) => Fill::Kept,
            (true, None) => Fill::Migrate(&path, &url),
            (false, None) => Fill::Store,
            (false, Some(_)) => panic!("LGOTA_BENCH_POSTGRES_KEPT: only with a kept SQLite file (-- --cached)"),
        };
        runs.push(("PostgreSQL", measure(&open_pg, &size, n, fill, valid)));
    }
    if runs.len() == 2 {
        println!("\nside by side, medians in ms {:>58} {:>12}", runs[0].0, runs[1].0);
        for ((what, a), (_, b)) in runs[0].1.iter().zip(&runs[1].1) {
            println!("  {what:<80} {a:>10.1} {b:>12.1}");
        }
    }
    println!("load average before / after: {load} / {}", uptime());
}

/// The load average now (`/proc/loadavg`'s first three), to print beside the figures.
fn uptime() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// How a backend's database gets its records.
enum Fill<'a> {
    /// Generated now through `store_records`, the path a push takes.
    Store,
    /// The cached SQLite file, copied already (SQLite).
    Cached(std::path::PathBuf),
    /// Filled by an earlier run (PostgreSQL, `LGOTA_BENCH_POSTGRES_KEPT`).
    Kept,
    /// Copied from this SQLite file into the PostgreSQL database of this URL by
    /// `store::copy::sqlite_to_postgres` (`lgota-central migrate`).
    Migrate(&'a std::path::Path, &'a str),
}

/// The branches the records are spread over: the bundled ones and ten more.
fn prepare(db: &dyn Database) -> Vec<String> {
    lgota_central::service::reference::seed(db).unwrap();
    let extra: Vec<(String, String)> =
        (4..=13).map(|i| (format!("branch-{i}"), format!("Библиотека-филиал № {i}"))).collect();
    db.add_branches(&extra).unwrap();
    db.branches().unwrap().into_iter().map(|(id, _)| id).collect()
}

/// One year, 2025 in Moscow time.
fn year() -> Period {
    Period { from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), to: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap() }
}

/// What [`generate`] made.
#[derive(Default, Debug)]
struct Generated {
    checks: u64,
    voids: u64,
}

impl Generated {
    /// Valid checks: every void takes away one check of its own device.
    fn valid(&self) -> u64 {
        self.checks - self.voids
    }
}

/// `n` records of one year over `branches`, 1 in 100 checks voided a minute later, in batches
/// of `batch` handed to `store` in the order made. The records come in time order, as a server
/// gets them from phones that push as they work (each within a day of its neighbours: phones
/// that were offline for a while); a thread of its own makes them while `store` stores.
fn generate(n: u64, branches: &[String], batch: usize, mut store: impl FnMut(Vec<WireRecord>)) -> Generated {
    const DAY_MS: i64 = 86_400_000;
    let (from_ms, to_ms) = year().utc_ms(TZ);
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<WireRecord>>(2);
        let maker = s.spawn(move || {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
            let mut made = Generated::default();
            let mut i = 0u64;
            let step = (to_ms - from_ms - DAY_MS) as f64 / n as f64;
            while i < n {
                let mut records = Vec::with_capacity(batch);
                while records.len() < batch && i < n {
                    let at = from_ms + (i as f64 * step) as i64;
                    let c = check(&mut rng, made.checks, branches, at, at + DAY_MS);
                    made.checks += 1;
                    i += 1;
                    if rng.below(100) == 0 && i < n {
                        records.push(void(&c, made.voids));
                        made.voids += 1;
                        i += 1;
                    }
                    records.push(c);
                }
                if tx.send(records).is_err() {
                    break;
                }
            }
            made
        });
        for records in rx {
            store(records);
        }
        maker.join().unwrap()
    })
}

/// `generate` into a store through `store_records`, one transaction per batch as a push; its
/// rate printed.
fn store_generated(db: &dyn Database, n: u64, branches: &[String], batch: usize) -> Generated {
    let received_at_ms = year().utc_ms(TZ).1 + 86_400_000;
    let started = Instant::now();
    let (mut stored, mut last) = (0u64, Instant::now());
    let made = generate(n, branches, batch, |records| {
        let outcome = db.store_records(&records, received_at_ms).unwrap();
        assert_eq!(outcome.stored as usize, records.len());
        stored += records.len() as u64;
        if last.elapsed() > Duration::from_secs(30) {
            last = Instant::now();
            let s = started.elapsed().as_secs_f64();
            eprintln!("  {stored} stored in {s:.0} s ({:.0} records/s)", stored as f64 / s);
        }
    });
    let took = started.elapsed().as_secs_f64();
    println!("  generated in {took:.1} s ({:.0} records/s through store_records, batches of {batch})", n as f64 / took);
    made
}

/// The SQLite database of `n` generated records kept under the target directory
/// (`bench-data/dashboard-<n>-v<GENERATOR>.db`), generated first if missing; the count of its
/// valid checks. Never opened as a store once kept: each run measures a copy.
fn cached_database(n: u64) -> (std::path::PathBuf, u64) {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| {
        // target/release/deps/dashboard_1m-…
        std::env::current_exe().unwrap().ancestors().nth(3).unwrap().to_path_buf()
    });
    let dir = target.join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("dashboard-{n}-v{GENERATOR}.db"));
    let valid_file = file.with_extension("valid");
    if let (true, Ok(valid)) = (file.exists(), std::fs::read_to_string(&valid_file)) {
        return (file, valid.trim().parse().unwrap());
    }
    let partial = dir.join(format!("dashboard-{n}-v{GENERATOR}.partial"));
    for stale in [&partial, &partial.with_extension("partial-wal"), &partial.with_extension("partial-shm")] {
        let _ = std::fs::remove_file(stale);
    }
    eprintln!("generating {n} records into {} (kept for the next runs)…", file.display());
    let made = {
        let db = SqliteDatabase::open(&partial).unwrap();
        let branches = prepare(&db);
        let made = store_generated(&db, n, &branches, BATCH_CACHED);
        check_generated(&db, n, made.valid());
        made
    };
    // Closed, the store folded its WAL into the file: the file alone holds every record.
    let wal = partial.with_extension("partial-wal");
    assert!(std::fs::metadata(&wal).map_or(true, |m| m.len() == 0), "{} left", wal.display());
    std::fs::rename(&partial, &file).unwrap();
    std::fs::write(&valid_file, made.valid().to_string()).unwrap();
    (file, made.valid())
}

/// What was stored is what was made: the records, and the overview's total equals the valid
/// checks counted while generating (the count tables are exactly right).
fn check_generated(db: &dyn Database, n: u64, valid: u64) {
    assert_eq!(db.record_count().unwrap(), n);
    let (from_ms, to_ms) = year().utc_ms(TZ);
    let all = RecordFilter { from_ms, to_ms, ..Default::default() };
    assert_eq!(db.overview(&all).unwrap().total, valid, "the overview's total against the valid checks made");
}

/// One backend's run over `n` records got by `fill` (`valid` of them valid checks when not
/// generated now); its medians.
fn measure(
    open: &dyn Fn() -> Box<dyn Database>,
    size: &dyn Fn() -> String,
    n: u64,
    fill: Fill,
    valid: u64,
) -> Vec<(String, f64)> {
    MEDIANS.with(|m| m.borrow_mut().clear());
    let year = year();
    let (branches, valid) = match fill {
        Fill::Store => {
            let db = open();
            let branches = prepare(db.as_ref());
            eprintln!("generating {n} records across {} branches…", branches.len());
            let made = store_generated(db.as_ref(), n, &branches, BATCH);
            (branches, made.valid())
        }
        Fill::Cached(from) => {
            println!("  the records of {} (a copy of it)", from.display());
            (open().branches().unwrap().into_iter().map(|(id, _)| id).collect(), valid)
        }
        Fill::Kept => (open().branches().unwrap().into_iter().map(|(id, _)| id).collect(), valid),
        Fill::Migrate(from, url) => {
            let source = SqliteDatabase::open(from).unwrap();
            let target = PostgresDatabase::open(url).unwrap();
            let started = Instant::now();
            let mut last = Instant::now();
            let report = copy::sqlite_to_postgres(&source, &target, &mut |table, written| {
                if last.elapsed() > Duration::from_secs(30) {
                    last = Instant::now();
                    let s = started.elapsed().as_secs_f64();
                    eprintln!("  {table}: {written} copied in {s:.0} s ({:.0} rows/s)", written as f64 / s);
                }
            })
            .unwrap();
            let took = started.elapsed().as_secs_f64();
            println!(
                "  copied from SQLite by `migrate`'s copy in {took:.1} s ({:.0} records/s; counts and figures \
                 checked equal by it: {} valid checks)",
                n as f64 / took,
                report.checks
            );
            (target.branches().unwrap().into_iter().map(|(id, _)| id).collect(), valid)
        }
    };
    // A fresh connection, as the server has after a restart.
    let db = open();
    check_generated(db.as_ref(), n, valid);
    println!("dashboard over {n} records ({} branches, one year), {}", branches.len(), size());

    let month = Period {
        from: NaiveDate::from_ymd_opt(2025, 10, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2025, 10, 31).unwrap(),
    };
    let filter = |p: &Period, branch: Option<&str>| {
        let (from_ms, to_ms) = p.utc_ms(TZ);
        RecordFilter { from_ms, to_ms, branch_id: branch.map(String::from), ..Default::default() }
    };
    let mut worst = Duration::ZERO;
    for (what, f) in [
        ("overview, one month, all branches", filter(&month, None)),
        ("overview, one month, one branch", filter(&month, Some("branch-2"))),
        ("overview, one year, all branches", filter(&year, None)),
        ("overview, one year, one branch", filter(&year, Some("branch-2"))),
    ] {
        let started = Instant::now();
        let o = time(what, || db.overview(&f).unwrap());
        worst = worst.max(started.elapsed() / RUNS as u32);
        assert!(o.total > 0);
    }
    let quarter = Period {
        from: NaiveDate::from_ymd_opt(2025, 8, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2025, 10, 31).unwrap(),
    };
    let trend_bounds = |p: &Period| {
        let unit = pages::trend_unit(p, None);
        pages::trend_stretches(p, unit).iter().map(|s| s.utc_ms(TZ)).collect::<Vec<_>>()
    };
    for (what, p) in
        [("trend, one year by month, all branches", &year), ("trend, three months by week, all branches", &quarter)]
    {
        let bounds = trend_bounds(p);
        let t = time(what, || db.trend(&filter(p, None), &bounds).unwrap());
        assert!(t.iter().all(|c| c.checks > 0));
    }
    let e = RecordFilter { event_id: Some("event-branch-2-7".into()), ..filter(&year, None) };
    time("overview, one year, one event", || db.overview(&e).unwrap());
    let none = RecordFilter { event_id: Some(String::new()), ..filter(&year, None) };
    time("records page, first 100 of a year, checks at no event", || {
        (db.check_count(&none).unwrap(), db.checks_page(&none, None, 101).unwrap())
    });
    let mut page_worst = Duration::ZERO;
    for (what, p) in [
        ("overview page's queries, one month (figures, trend, newest 20, names)", &month),
        ("overview page's queries, three months (figures, trend, newest 20, names)", &quarter),
        ("overview page's queries, one year (figures, trend, newest 20, names)", &year),
    ] {
        let (f, bounds) = (filter(p, None), trend_bounds(p));
        let started = Instant::now();
        time(what, || {
            (
                db.overview(&f).unwrap(),
                db.trend(&f, &bounds).unwrap(),
                db.export_records(&f, Some(20)).unwrap(),
                db.branches().unwrap(),
                db.events(None, 500).unwrap(),
            )
        });
        page_worst = page_worst.max(started.elapsed() / RUNS as u32);
    }
    time("records page, first 100 of a year, all branches", || {
        let f = filter(&year, None);
        (db.check_count(&f).unwrap(), db.checks_page(&f, None, 101).unwrap())
    });
    time("records page, first 100 of a month, one method", || {
        let f = RecordFilter { method: Some(Method::Paper), ..filter(&month, None) };
        (db.check_count(&f).unwrap(), db.checks_page(&f, None, 101).unwrap())
    });
    let names = Names::default();
    let bytes = time("monthly summary of the year as XLSX (query + file)", || {
        let months = month_ranges(2025, TZ);
        let rows = db.monthly_summary(&filter(&year, None), &months).unwrap();
        xlsx::summary(2025, &rows, &branches, &names).unwrap()
    });
    assert!(bytes.len() > 1000);
    println!(
        "  target: the overview page's queries under 300 ms (mean of the slowest case: {:.1} ms; figures alone {:.1} ms)",
        page_worst.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0
    );
    MEDIANS.with(|m| m.take())
}

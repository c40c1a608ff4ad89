//! How long the dashboard takes over 1,000,000 records: the overview (the very
//! `Database::overview` call the page makes, checks by event included) for a month and a year,
//! all branches and one; the trend by week and by month; the whole overview page's queries; the
//! monthly summary as XLSX (query and rendering); the records page's first page (count and the
//! newest 100).
//!
//! Run: `cargo bench -p lgota-central --bench dashboard_1m` (optionally `-- N` for the count of
//! records; the database file is generated anew each run, in a temporary folder).
//! Target (issue 6): the overview page's queries under 300 ms for a year, all branches.
//! With `LGOTA_BENCH_POSTGRES_URL` (a server whose role may CREATE DATABASE) the same run on a
//! fresh PostgreSQL database follows, and a table puts the medians side by side.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use lgota_central::http::views::pages::{self, Names, Period};
use lgota_central::http::views::xlsx;
use lgota_central::report::month_ranges;
use lgota_central::store::{postgres, prelude::*, PostgresDatabase, RecordFilter, SqliteDatabase};
use lgota_protocol::{Method, Outcome, RecordKind, WireRecord};

const TZ: chrono_tz::Tz = chrono_tz::Europe::Moscow;
const BATCH: usize = 20_000;
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

fn main() {
    let n: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let open_sqlite = || Box::new(SqliteDatabase::open(&path).unwrap()) as Box<dyn Database>;
    let size = || format!("SQLite file {:.0} MB", std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6);
    let mut runs = vec![("SQLite", measure(&open_sqlite, &size, n))];
    if let Some(url) = std::env::var("LGOTA_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        let name = format!("lgota_bench_dashboard_{}", std::process::id());
        let url = postgres::create_database(&url, &name).unwrap();
        let open_pg = || Box::new(PostgresDatabase::open(&url).unwrap()) as Box<dyn Database>;
        let size = || format!("PostgreSQL database {name}");
        runs.push(("PostgreSQL", measure(&open_pg, &size, n)));
    }
    if runs.len() == 2 {
        println!("\nside by side, medians in ms {:>58} {:>12}", runs[0].0, runs[1].0);
        for ((what, a), (_, b)) in runs[0].1.iter().zip(&runs[1].1) {
            println!("  {what:<80} {a:>10.1} {b:>12.1}");
        }
    }
}

/// One backend's run over `n` generated records; its medians.
fn measure(open: &dyn Fn() -> Box<dyn Database>, size: &dyn Fn() -> String, n: u64) -> Vec<(String, f64)> {
    MEDIANS.with(|m| m.borrow_mut().clear());
    let db = open();
    lgota_central::service::reference::seed(db.as_ref()).unwrap();
    let extra: Vec<(String, String)> =
        (4..=13).map(|i| (format!("branch-{i}"), format!("Библиотека-филиал № {i}"))).collect();
    db.add_branches(&extra).unwrap();
    let branches: Vec<String> = db.branches().unwrap().into_iter().map(|(id, _)| id).collect();

    // One year of records (2025 in Moscow time), 1 in 100 checks voided later.
    let year = Period {
        from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    };
    let (from_ms, to_ms) = year.utc_ms(TZ);
    eprintln!("generating {n} records across {} branches…", branches.len());
    let started = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut made, mut voids) = (0u64, 0u64);
    while made < n {
        let mut batch = Vec::with_capacity(BATCH);
        while batch.len() < BATCH && made < n {
            let c = check(&mut rng, made, &branches, from_ms, to_ms);
            made += 1;
            if rng.below(100) == 0 && made < n {
                batch.push(void(&c, voids));
                voids += 1;
                made += 1;
            }
            batch.push(c);
        }
        // The very path a push takes: one transaction per batch.
        let outcome = db.store_records(&batch, to_ms + 86_400_000).unwrap();
        assert_eq!(outcome.stored as usize, batch.len());
    }
    let generated = started.elapsed();
    assert_eq!(db.record_count().unwrap(), n);
    println!("dashboard over {n} records ({voids} voids, {} branches, one year), {}", branches.len(), size());
    println!(
        "  generated in {:.1} s ({:.0} records/s through store_records)",
        generated.as_secs_f64(),
        n as f64 / generated.as_secs_f64()
    );
    // A fresh connection, as the server has after a restart.
    drop(db);
    let db = open();

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

//! Bounded load (issue 14): N phones at once against the real server binary (a child process,
//! so its memory is its own), while a signed-in administrator keeps loading the overview and
//! exports a year of 1,000,000 records as CSV.
//!
//! Each phone enrolls, pushes 5 batches of 200 records (every batch sent twice: the second
//! answer must be all duplicates) and pulls. A busy answer (`503` + `Retry-After`) is honoured
//! as the app does: wait, send again — counted apart from errors. At the end every pushed
//! record must be in the database exactly once.
//!
//! Run: `cargo bench -p lgota-central --bench load` (env `LOAD_PHONES`, default 500;
//! `LOAD_PREFILL`, default 1,000,000; `LOAD_LIMIT`: the server's `--max-concurrent-requests`,
//! its default unless given; `LOAD_ONLY=postgresql`: the PostgreSQL run alone). Prints each figure beside its target, ✓ or ✗. With
//! `LGOTA_BENCH_POSTGRES_URL` (a server whose role may CREATE DATABASE) the same run follows on a
//! fresh PostgreSQL database (the server started with `--database-url`), and a table puts the
//! two runs' figures side by side.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lgota_central::store::{postgres, prelude::*, CodeIssuer, PostgresDatabase, SqliteDatabase};
use lgota_central::{now_ms, service};
use lgota_protocol::{
    EnrollRequest, EnrollResponse, Method, Outcome, PushRequest, PushResponse, RecordKind, RecordStatus, WireRecord,
};

/// CPU seconds during the phones' phase: the server, the whole machine, this benchmark.
static CPU: Mutex<(f64, f64, f64)> = Mutex::new((0.0, 0.0, 0.0));

const BATCHES: usize = 5;
const BATCH: usize = 200;
const PASSWORD: &str = "нагрузка-пароль-2026";
/// 2025-01-01 and 2026-01-01, 00:00 Moscow time (UTC+3), in UTC ms.
const YEAR_FROM_MS: i64 = 1_735_678_800_000;
const YEAR_TO_MS: i64 = 1_767_214_800_000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.replace(['_', ','], "").parse().ok()).unwrap_or(default)
}

fn record(id: String, device_id: &str, branch: &str, created_at_ms: i64, n: u64) -> WireRecord {
    let (method, outcome, granted) = match n % 10 {
        0..=6 => (Method::DigitalId, Outcome::Confirmed, true),
        7 | 8 => (Method::Paper, Outcome::PaperShown, true),
        _ => (Method::None, Outcome::Refused, false),
    };
    WireRecord {
        id,
        kind: RecordKind::Check,
        created_at_ms,
        utc_offset_min: 180,
        device_id: device_id.into(),
        branch_id: branch.into(),
        event_id: None,
        staff_label: "Нагрузка".into(),
        training: false,
        method: Some(method),
        outcome: Some(outcome),
        granted: Some(granted),
        category_id: (method != Method::None).then(|| "pensioner".into()),
        failure_reason_id: None,
        document_type_id: None,
        checklist_completed: None,
        note: None,
        target_id: None,
        void_reason: None,
        event_title: None,
        event_date: None,
    }
}

/// What every request ended in.
#[derive(Default)]
struct Tally {
    push_ms: Vec<f64>,
    overview_ms: Vec<f64>,
    /// Non-2xx answers by status (busy ones included), and requests with no answer.
    statuses: BTreeMap<String, u64>,
    busy_retries: u64,
    lost: u64,
}

fn note(tally: &Mutex<Tally>, status: String) {
    *tally.lock().unwrap().statuses.entry(status).or_default() += 1;
}

/// Sends until the answer is not `503 busy` (waiting its `Retry-After`, as the app does).
async fn send(
    tally: &Mutex<Tally>,
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Option<(reqwest::StatusCode, Vec<u8>, f64)> {
    let mut tries = 0;
    loop {
        let started = Instant::now();
        let response = match make().send().await {
            Ok(r) => r,
            Err(e) => {
                // As the app: no answer is tried again (later; here after a second, at most 3 times).
                note(tally, format!("no answer ({})", if e.is_timeout() { "timeout" } else { "connection" }));
                tries += 1;
                if tries > 3 {
                    return None;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let status = response.status();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let body = response.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            note(tally, status.as_u16().to_string());
        }
        match (status.as_u16(), retry_after) {
            (503, Some(seconds)) => {
                tally.lock().unwrap().busy_retries += 1;
                tokio::time::sleep(Duration::from_secs(seconds)).await;
            }
            _ => return Some((status, body, ms)),
        }
    }
}

async fn phone(base: String, http: reqwest::Client, code: String, i: usize, tally: Arc<Mutex<Tally>>) -> u64 {
    let device_id = format!("load-phone-{i:05}");
    let enroll = EnrollRequest { code, device_id: device_id.clone(), enrollment_secret: None, signing_key: None };
    let Some((status, body, _)) = send(&tally, || http.post(format!("{base}/api/v1/enroll")).json(&enroll)).await
    else {
        return 0;
    };
    if !status.is_success() {
        return 0;
    }
    let enrolled: EnrollResponse = serde_json::from_slice(&body).unwrap();
    let token = enrolled.device_token;
    let mut acknowledged = 0u64;
    for b in 0..BATCHES {
        let records: Vec<WireRecord> = (0..BATCH)
            .map(|k| {
                let n = (b * BATCH + k) as u64;
                let id = format!("0190b0b0-{:04x}-7000-8000-{:012}", i, n);
                record(id, &device_id, &enrolled.branch_id, now_ms() - 60_000, n)
            })
            .collect();
        let request = PushRequest { records, last_acknowledged: None, sent_at_ms: Some(now_ms()) };
        for attempt in 0..2 {
            let Some((status, body, ms)) =
                send(&tally, || http.post(format!("{base}/api/v1/records")).bearer_auth(&token).json(&request)).await
            else {
                continue;
            };
            tally.lock().unwrap().push_ms.push(ms);
            if !status.is_success() {
                continue;
            }
            let answer: PushResponse = serde_json::from_slice(&body).unwrap();
            // A first send tried again after no answer may find its records already stored.
            let ok = answer.results.len() == BATCH
                && answer
                    .results
                    .iter()
                    .all(|r| r.status == RecordStatus::Duplicate || (attempt == 0 && r.status == RecordStatus::Stored));
            if !ok {
                tally.lock().unwrap().lost += 1;
            } else if attempt == 0 {
                acknowledged += BATCH as u64;
            }
        }
    }
    let pull = format!("{base}/api/v1/reference?config_version=0&content_version=0&events_cursor=0");
    send(&tally, || http.get(&pull).bearer_auth(&token)).await;
    acknowledged
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `VmHWM` (peak) or `VmRSS` (now) of a process, in MB.
fn memory_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?.trim_start_matches(':').trim().strip_suffix("kB")?.trim().parse::<f64>().ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: state is the 3rd, utime the 14th, stime the 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds of the whole machine (all cores, all processes), from /proc/stat.
fn machine_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or_default();
    let busy: f64 = line
        .split_whitespace()
        .skip(1)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4) // idle, iowait
        .filter_map(|(_, v)| v.parse::<f64>().ok())
        .sum();
    busy / 100.0
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let mut runs = Vec::new();
    if std::env::var("LOAD_ONLY").as_deref() != Ok("postgresql") {
        let sqlite = Box::new(SqliteDatabase::open(&path).unwrap());
        runs.push(("SQLite", run(sqlite, &["--db", path.to_str().unwrap()])));
    }
    if let Some(url) = std::env::var("LGOTA_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        let url = postgres::create_database(&url, &format!("lgota_bench_load_{}", std::process::id())).unwrap();
        println!();
        println!("on PostgreSQL:");
        runs.push(("PostgreSQL", run(Box::new(PostgresDatabase::open(&url).unwrap()), &["--database-url", &url])));
    }
    if runs.len() == 2 {
        println!("\nside by side                {:>12} {:>12}", runs[0].0, runs[1].0);
        for ((what, a), (_, b)) in runs[0].1.iter().zip(&runs[1].1) {
            println!("  {what:<26} {a:>10.0} {b:>12.0}");
        }
    }
}

/// One run against the server binary started with `database` (its flags) over `db`; the figures.
fn run(db: Box<dyn Database>, database: &[&str]) -> Vec<(&'static str, f64)> {
    let phones = env_or("LOAD_PHONES", 500) as usize;
    let prefill = env_or("LOAD_PREFILL", 1_000_000);
    let dir = tempfile::tempdir().unwrap();

    // The database: seeded, an administrator, a year of records stored the way a push stores them.
    let db: &dyn Database = db.as_ref();
    service::reference::seed(db).unwrap();
    service::admins::add_admin(db, "admin", "admin", None, PASSWORD).unwrap();
    let branches: Vec<String> = db.branches().unwrap().into_iter().map(|(id, _)| id).collect();
    eprintln!("prefilling {prefill} records of 2025 …");
    let started = Instant::now();
    let mut n = 0u64;
    while n < prefill {
        let batch: Vec<WireRecord> = (n..(n + 20_000).min(prefill))
            .map(|k| {
                let branch = &branches[(k as usize) % branches.len()];
                let at = YEAR_FROM_MS + ((k * 31_536_000_000) / prefill.max(1)) as i64;
                record(format!("01900000-0000-7000-8000-{k:012}"), &format!("{branch}-phone"), branch, at, k)
            })
            .collect();
        n += batch.len() as u64;
        db.store_records(&batch, YEAR_TO_MS + 86_400_000).unwrap();
    }
    eprintln!("  {:.1} s", started.elapsed().as_secs_f64());
    let codes: Vec<String> = (0..phones)
        .map(|i| {
            let branch = &branches[i % branches.len()];
            service::devices::issue_code(db, branch, &CodeIssuer::admin("admin"), 120, "http://127.0.0.1").unwrap().code
        })
        .collect();

    // The server: the real binary, its default limits.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_lgota-central"))
        .args(database)
        .args(["--cookie-secure", "false", "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(std::env::var("LOAD_LIMIT").map(|n| vec!["--max-concurrent-requests".to_string(), n]).unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let pid = server.id();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let (acknowledged, push_secs, export) = runtime.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(phones + 8)
            .pool_idle_timeout(Duration::from_secs(20))
            .default_headers(
                [(
                    reqwest::header::HeaderName::from_static("x-lgota-protocol"),
                    reqwest::header::HeaderValue::from(lgota_protocol::PROTOCOL_VERSION),
                )]
                .into_iter()
                .collect(),
            )
            .build()
            .unwrap();
        for _ in 0..100 {
            if http.get(format!("{base}/health")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let office =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = office
            .post(format!("{base}/login"))
            .form(&[("login", "admin"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "the administrator signs in");

        eprintln!("{phones} phones push {} records each …", BATCHES * BATCH);
        let pushing = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let started = Instant::now();
        let cpu_before = (cpu_secs(pid), machine_cpu_secs(), cpu_secs(std::process::id()));
        let tasks: Vec<_> = codes
            .into_iter()
            .enumerate()
            .map(|(i, code)| tokio::spawn(phone(base.clone(), http.clone(), code, i, tally.clone())))
            .collect();

        // The office: the overview again and again while phones push …
        let overview = {
            let (office, base, tally, pushing) = (office.clone(), base.clone(), tally.clone(), pushing.clone());
            tokio::spawn(async move {
                while pushing.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some((status, _, ms)) = send(&tally, || office.get(format!("{base}/"))).await {
                        if status.is_success() {
                            tally.lock().unwrap().overview_ms.push(ms);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        // … and the CSV of the year 2025, read as it streams, the server's memory sampled.
        let export = {
            let (office, base) = (office.clone(), base.clone());
            tokio::spawn(async move {
                let peak = Arc::new(Mutex::new(0f64));
                let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
                let sampler = {
                    let (peak, sampling) = (peak.clone(), sampling.clone());
                    std::thread::spawn(move || {
                        while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                            let now = memory_mb(pid, "VmRSS");
                            let mut p = peak.lock().unwrap();
                            *p = p.max(now);
                            drop(p);
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    })
                };
                let started = Instant::now();
                let mut response = office
                    .get(format!("{base}/export/records.csv?from=2025-01-01&to=2025-12-31"))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let (mut lines, mut bytes) = (0u64, 0u64);
                while let Ok(Some(chunk)) = response.chunk().await {
                    bytes += chunk.len() as u64;
                    lines += chunk.windows(2).filter(|w| w == b"\r\n").count() as u64;
                }
                let secs = started.elapsed().as_secs_f64();
                sampling.store(false, std::sync::atomic::Ordering::Relaxed);
                sampler.join().unwrap();
                let peak = *peak.lock().unwrap();
                (status, lines.saturating_sub(1), bytes, secs, peak)
            })
        };
        let mut acknowledged = 0;
        for t in tasks {
            acknowledged += t.await.unwrap();
        }
        let push_secs = started.elapsed().as_secs_f64();
        let cpu = (
            cpu_secs(pid) - cpu_before.0,
            machine_cpu_secs() - cpu_before.1,
            cpu_secs(std::process::id()) - cpu_before.2,
        );
        *CPU.lock().unwrap() = cpu;
        pushing.store(false, std::sync::atomic::Ordering::Relaxed);
        overview.await.unwrap();
        let export = export.await.unwrap();
        (acknowledged, push_secs, export)
    });
    let peak_mb = memory_mb(pid, "VmHWM");
    let _ = server.kill();
    let _ = server.wait();

    // Nothing lost: every acknowledged record is in the database once, and nothing else arrived.
    let expected = prefill + (phones * BATCHES * BATCH) as u64;
    let stored = db.record_count().unwrap();
    let mut t = tally.lock().unwrap();
    t.push_ms.sort_by(f64::total_cmp);
    t.overview_ms.sort_by(f64::total_cmp);
    let (export_status, export_rows, export_bytes, export_secs, export_rss) = export;
    let errors: u64 = t.statuses.iter().filter(|(s, _)| s.as_str() != "503").map(|(_, n)| n).sum();
    let lost = expected.saturating_sub(stored) + t.lost + (phones * BATCHES * BATCH) as u64 - acknowledged;
    let ingest = acknowledged as f64 / push_secs;
    let overview_p99 = percentile(&t.overview_ms, 0.99);
    let mark = |ok: bool| if ok { "✓" } else { "✗" };

    let limit = std::env::var("LOAD_LIMIT").unwrap_or_else(|_| "default".into());
    println!("limit of requests at once: {limit}");
    println!("load: {phones} phones × {BATCHES} batches of {BATCH} (each sent twice), a 1-year CSV of {prefill} records, the overview on repeat");
    println!(
        "  phones' phase           {push_secs:>10.1} s   ({} pushes, {} overview loads)",
        t.push_ms.len(),
        t.overview_ms.len()
    );
    println!("  records/s (stored)      {ingest:>10.0}");
    let (server_cpu, machine_cpu, bench_cpu) = *CPU.lock().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!(
        "  CPU during the phases   server {server_cpu:.1} s, this benchmark (phones, office) {bench_cpu:.1} s, \
         all processes {machine_cpu:.1} s of {:.1} s available",
        push_secs * cores
    );
    println!(
        "  records per server CPU-second {:>6.0}   (other work on the machine: {:.1} s — figures above are \
         only comparable when it is near 0)",
        acknowledged as f64 / server_cpu,
        (machine_cpu - server_cpu - bench_cpu).max(0.0)
    );
    println!(
        "  push p50 / p99          {:>10.0} / {:.0} ms",
        percentile(&t.push_ms, 0.5),
        percentile(&t.push_ms, 0.99)
    );
    println!(
        "  overview p50 / p99      {:>10.0} / {:.0} ms (while phones push)",
        percentile(&t.overview_ms, 0.5),
        overview_p99
    );
    println!(
        "  CSV export              {:>10.0} rows/s ({export_rows} rows, {:.0} MB, {export_secs:.1} s, status {export_status})",
        export_rows as f64 / export_secs,
        export_bytes as f64 / 1e6
    );
    println!("  server RSS              {export_rss:>10.0} MB during the export (sampled), {peak_mb:.0} MB peak of the run (VmHWM)");
    println!("  busy answers (503)      {:>10} (each waited out and sent again)", t.busy_retries);
    println!("  non-2xx by status       {:?} (\"no answer\": sent again, as the app does)", t.statuses);
    println!("  stored / expected       {stored} / {expected}");
    println!("targets (issue 14):");
    println!("  errors                  {errors:>10}   target 0                {}", mark(errors == 0));
    println!(
        "  lost                    {lost:>10}   target 0                {}",
        mark(lost == 0 && stored == expected)
    );
    println!("  overview p99            {overview_p99:>10.0}   target < 300 ms         {}", mark(overview_p99 < 300.0));
    println!("  ingest                  {ingest:>10.0}   target ≥ 30,000 rec/s   {}", mark(ingest >= 30_000.0));
    println!("  CSV export RSS          {export_rss:>10.0}   target < 300 MB         {}", mark(export_rss < 300.0));
    vec![
        ("phones' phase (s)", push_secs),
        ("records/s stored", ingest),
        ("push p99 (ms)", percentile(&t.push_ms, 0.99)),
        ("overview p99 (ms)", overview_p99),
        ("CSV export rows/s", export_rows as f64 / export_secs),
        ("server peak RSS (MB)", peak_mb),
        ("errors", errors as f64),
        ("lost", lost as f64),
    ]
}

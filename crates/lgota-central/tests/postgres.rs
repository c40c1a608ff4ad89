//! The server on PostgreSQL (issue 18), when `LGOTA_TEST_POSTGRES_URL` names a server (each test
//! on a database of its own; without it these tests say so and pass — `scripts/test.sh` always
//! sets it):
//!
//! - the dashboard's pages and exports give the same bytes on SQLite and on PostgreSQL for the
//!   same stored records;
//! - two server processes (the real binary) on two ports over one PostgreSQL: phones pushing to
//!   either, the sign-in back-off holding across both, the same figures on either dashboard;
//!   and phones alternating between the two through fault-injecting proxies (dropped before and
//!   after the commit, replayed late): nothing lost, nothing twice;
//! - `lgota-central migrate` copies a SQLite installation, checks it, and can run again.

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;

use common::protocol_client;
use lgota_central::service;
use lgota_central::store::{postgres, prelude::*, CodeIssuer, PostgresDatabase, SqliteDatabase};
use lgota_protocol::{EnrollRequest, EnrollResponse, Method, Outcome, RecordKind, WireRecord};

const PASSWORD: &str = "верный пароль 123";

fn server() -> Option<String> {
    let url = std::env::var("LGOTA_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("LGOTA_TEST_POSTGRES_URL is not set: the PostgreSQL tests do nothing");
    }
    url
}

/// A fresh database of its own on the tests' server.
fn fresh(server: &str, what: &str) -> String {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    postgres::create_database(server, &format!("lgota_it_{what}_{}_{stamp}", std::process::id())).unwrap()
}

/// Opens PostgreSQL off the async threads (its synchronous client may not run on them).
async fn open_postgres(url: String) -> Arc<PostgresDatabase> {
    tokio::task::spawn_blocking(move || Arc::new(PostgresDatabase::open(&url).unwrap())).await.unwrap()
}

/// Runs a store call off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// 2025-01-01 00:00 UTC.
const Y2025: i64 = 1_735_689_600_000;
const DAY: i64 = 86_400_000;

/// A year and a half of checks of three phones in two branches, with events (one started on a
/// phone), training checks, voids, offline ones, conflicts and duplicates: batches with their
/// receipt times.
fn history() -> Vec<(Vec<WireRecord>, i64)> {
    let mut rng = Rng(18);
    let phones = [("phone-a", "branch-1"), ("phone-b", "branch-1"), ("phone-c", "branch-2")];
    let mut batches = Vec::new();
    let mut n = 0;
    for b in 0..24 {
        let mut batch = Vec::new();
        let base = Y2025 + b * 23 * DAY;
        for _ in 0..15 {
            n += 1;
            let (device, branch) = phones[rng.below(3) as usize];
            let (method, outcome, granted) = [
                (Method::DigitalId, Outcome::Confirmed, true),
                (Method::Paper, Outcome::PaperShown, true),
                (Method::Paper, Outcome::PaperRejected, false),
                (Method::None, Outcome::NoDocument, false),
            ][rng.below(4) as usize];
            let event = match rng.below(4) {
                0 => Some(("ev-reading", "Громкие чтения", "2025-03-01")),
                1 => Some(("ev-phone", "Встреча с читателями", "2025-05-05")),
                _ => None,
            };
            batch.push(WireRecord {
                id: format!("0190b0b0-0000-7000-8000-{n:012}"),
                kind: RecordKind::Check,
                created_at_ms: base + rng.below(22 * DAY as u64) as i64,
                utc_offset_min: 180,
                device_id: device.into(),
                branch_id: branch.into(),
                event_id: event.map(|e| e.0.to_string()),
                staff_label: "Иванова".into(),
                training: rng.below(12) == 0,
                method: Some(method),
                outcome: Some(outcome),
                granted: Some(granted),
                category_id: [None, Some("pensioner"), Some("student")][rng.below(3) as usize].map(str::to_string),
                failure_reason_id: (!granted && rng.below(2) == 0).then(|| "no_internet".to_string()),
                document_type_id: None,
                checklist_completed: None,
                note: None,
                target_id: None,
                void_reason: None,
                event_title: event.map(|e| e.1.to_string()),
                event_date: event.map(|e| e.2.to_string()),
            });
        }
        let received = batch.iter().map(|r| r.created_at_ms).max().unwrap() + rng.below(3 * 3_600_000) as i64;
        let mut extra: Vec<WireRecord> = Vec::new();
        for r in batch.iter().filter(|_| rng.below(5) == 0) {
            n += 1;
            extra.push(WireRecord {
                id: format!("0190b0b0-0000-7000-8000-{n:012}"),
                kind: RecordKind::Void,
                created_at_ms: r.created_at_ms + 60_000,
                method: None,
                outcome: None,
                granted: None,
                category_id: None,
                failure_reason_id: None,
                event_id: None,
                event_title: None,
                event_date: None,
                target_id: Some(r.id.clone()),
                void_reason: Some("Ошибочная запись".into()),
                ..r.clone()
            });
        }
        if b % 5 == 3 {
            let mut changed = batch[0].clone();
            changed.staff_label = "Петрова".into();
            extra.push(changed);
            extra.push(batch[1].clone());
        }
        batches.push((batch, received));
        batches.push((extra, received + 1));
    }
    batches
}

/// Both backends, seeded, with the same users, a published event and the same history stored.
fn fill(db: &dyn Database) {
    service::reference::seed(db).unwrap();
    service::admins::add_admin(db, "admin", "admin", None, PASSWORD).unwrap();
    let published = lgota_protocol::WireEvent {
        id: "ev-reading".into(),
        title: "Громкие чтения".into(),
        date: "2025-03-01".into(),
        branch_id: "branch-1".into(),
    };
    db.add_event(&published, Y2025).unwrap();
    for (batch, received) in history() {
        db.store_records(&batch, received).unwrap();
    }
    fill_more(db);
}

/// The record a fill redacts (its staff label).
fn redacted_id() -> String {
    history()[0].0[0].id.clone()
}

/// The APK of the fill's release: every byte value.
fn apk() -> Vec<u8> {
    (0..40_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

/// Enrolls `device` at branch-2 with a code of its own, as the dashboard's QR does.
fn enroll_phone(db: &dyn Database, device: &str, now_ms: i64) {
    let (code, token) = (format!("fill-code-{device}"), format!("fill-token-{device}"));
    db.insert_enrollment_code(&code, "branch-2", &CodeIssuer::admin("admin"), Y2025, i64::MAX / 2).unwrap();
    let attempt = lgota_central::store::EnrollAttempt {
        code_sha256: &code,
        device_id: device,
        secret_sha256: None,
        token_sha256: &token,
        now_ms,
    };
    db.enroll(&attempt).unwrap();
}

/// The rest of what the server keeps, at fixed times: training results, an app release, a phone
/// with its report, a redaction, the users of every role, a purged year.
fn fill_more(db: &dyn Database) {
    use lgota_central::store::{AppRelease, DeviceReport, PurgedYear, RedactField};
    let result = |id: &str, branch: &str, scenario: &str, at: i64, correct: u32| lgota_protocol::WireTrainingResult {
        id: id.into(),
        device_id: "phone-a".into(),
        branch_id: branch.into(),
        staff_label: "ИП".into(),
        scenario_id: scenario.into(),
        scenario_title: format!("Сценарий {scenario}"),
        content_version: 1,
        completed_at_ms: at,
        utc_offset_min: 180,
        steps: 4,
        correct_first_try: correct,
    };
    let results = [
        result("t-1", "branch-1", "did-success", Y2025 + 3 * DAY, 4),
        result("t-2", "branch-1", "paper-fallback", Y2025 + 4 * DAY, 2),
        result("t-3", "branch-2", "did-success", Y2025 + 5 * DAY, 3),
    ];
    db.store_training(&results, Y2025 + 6 * DAY).unwrap();
    let file = apk();
    let release = AppRelease {
        seq: 0,
        version: "0.2.0".into(),
        sha256: {
            use sha2::Digest;
            sha2::Sha256::digest(&file).iter().map(|b| format!("{b:02x}")).collect()
        },
        bytes: file.len() as u64,
        uploaded_at_ms: Y2025 + 7 * DAY,
        login: "admin".into(),
        kept: true,
    };
    db.add_app_release(&release, &file).unwrap();
    enroll_phone(db, "phone-r", Y2025 + DAY);
    let report = DeviceReport {
        at_ms: Y2025 + 2 * DAY,
        app_version: Some("0.2.0".into()),
        config_version: 1,
        content_version: 1,
        pin_set: Some(true),
        idle_seconds: Some(300),
        policy_kept: Some(false),
        pack_refusal: Some("content_signature".into()),
        pack_refusal_at_ms: Some(Y2025 + DAY),
    };
    db.note_report("phone-r", &report).unwrap();
    // A second phone that registered its export-signing key: «Устройства» marks both.
    enroll_phone(db, "phone-k", Y2025 + 3 * DAY);
    assert!(db.set_signing_key("phone-k", "fill-signing-key", Y2025 + 3 * DAY, false).unwrap());
    db.redact_record(&redacted_id(), RedactField::StaffLabel, Y2025 + 20 * DAY, "admin", "cli:test", "Проверка")
        .unwrap();
    service::admins::add_admin(db, "observer", "observer", None, PASSWORD).unwrap();
    service::admins::add_admin(db, "head", "branch_head", Some("branch-2"), PASSWORD).unwrap();
    db.set_records_access("head", true).unwrap();
    let year = PurgedYear {
        year: 2020,
        from_ms: 1_577_836_800_000,
        to_ms: 1_609_459_200_000,
        records: 0,
        archive_sha256: "ab".repeat(32),
        at_ms: Y2025,
        login: "cli:test".into(),
    };
    db.purge_year(&year, &Default::default()).unwrap();
}

/// A dashboard server of this process over `db`.
async fn serve(db: Arc<dyn Database>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dashboard = lgota_central::http::Dashboard::new(false, chrono_tz::Europe::Moscow);
    let state = lgota_central::AppState::with_dashboard(db, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    base
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn sign_in(base: &str) -> reqwest::Client {
    let c = browser();
    let r = c.post(format!("{base}/login")).form(&[("login", "admin"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 303, "sign-in at {base}");
    c
}

/// A page with the session's CSRF token (random per session) blanked.
fn without_csrf(page: &[u8]) -> Vec<u8> {
    // A file (the APK) is compared byte for byte.
    let Ok(text) = std::str::from_utf8(page) else { return page.to_vec() };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let marker = "name=\"csrf\" value=\"";
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i + marker.len()]);
        rest = &rest[i + marker.len()..];
        rest = &rest[rest.find('"').unwrap_or(0)..];
    }
    out.push_str(rest);
    out.into_bytes()
}

/// The cells of every sheet of an XLSX file (its bytes carry the moment it was written).
fn xlsx_cells(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
            (name, rows)
        })
        .collect()
}

#[tokio::test]
async fn dashboard_pages_and_exports_are_the_same_bytes_on_sqlite_and_postgresql() {
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    let pg = open_postgres(fresh(&server, "pages")).await;
    fill(sqlite.as_ref());
    let filled = pg.clone();
    blocking(move || fill(filled.as_ref())).await;
    let (a, b) = (serve(sqlite.clone()).await, serve(pg.clone()).await);
    let (ca, cb) = (sign_in(&a).await, sign_in(&b).await);
    let redact = format!("/records/redact?id={}", redacted_id());
    let pages: Vec<&str> = vec![
        "/",
        "/?from=2025-01-01&to=2025-12-31",
        "/?from=2025-03-05&to=2025-07-20&branch=branch-1",
        "/?from=2025-01-01&to=2026-06-30&event=ev-reading",
        "/?from=2025-01-01&to=2026-06-30&event=%28none%29&method=paper",
        "/?from=2025-01-01&to=2026-06-30&trend=month",
        "/records",
        "/records?from=2025-01-01&to=2025-12-31",
        "/records?from=2025-01-01&to=2026-06-30&granted=0&category=student",
        "/admin/api/overview?from=2025-01-01&to=2025-12-31",
        "/admin/api/overview?from=2025-02-10&to=2026-02-10&offline=1",
        "/export/records.csv?from=2025-01-01&to=2026-06-30",
        "/export/records.csv?from=2025-04-01&to=2025-09-30&branch=branch-2",
        "/discrepancies",
        "/events",
        "/branches",
        "/devices",
        "/?from=2025-01-01&to=2025-12-31&kind=age_check",
        "/?from=2025-01-01&to=2025-12-31&kind=benefit&branch=branch-2",
        "/records?from=2025-01-01&to=2026-06-30&kind=benefit",
        "/materials",
        "/materials/memo",
        "/materials/notice",
        "/training",
        "/training?branch=branch-1",
        "/training/sheet?branch=branch-1",
        "/app",
        "/app/download",
        "/app/lgota.apk",
        &redact,
        "/records/act?seq=1",
    ];
    let mut compared = 0;
    // The act of destruction names the server: each its own.
    let ids = (sqlite.server_id().unwrap(), pg.server_id().unwrap());
    for path in &pages {
        let get = |c: &reqwest::Client, base: &str| c.get(format!("{base}{path}")).send();
        let (ra, rb) = (get(&ca, &a).await.unwrap(), get(&cb, &b).await.unwrap());
        assert_eq!((ra.status(), ra.status()), (rb.status(), reqwest::StatusCode::OK), "{path}");
        let (ba, bb) = (ra.bytes().await.unwrap(), rb.bytes().await.unwrap());
        assert!(ba.len() > 200, "{path}: {} bytes", ba.len());
        let (ba, bb) = (without_csrf(&ba), without_csrf(&bb));
        let named = |page: Vec<u8>, id: &str| -> Vec<u8> {
            match String::from_utf8(page) {
                Ok(text) => text.replace(id, "SERVER-ID").into_bytes(),
                Err(e) => e.into_bytes(),
            }
        };
        let (ba, bb) = (named(ba, &ids.0), named(bb, &ids.1));
        if ba != bb {
            let at = ba.iter().zip(&bb).position(|(x, y)| x != y).unwrap_or(ba.len().min(bb.len()));
            let show =
                |v: &[u8]| String::from_utf8_lossy(&v[at.saturating_sub(200)..(at + 200).min(v.len())]).into_owned();
            panic!("{path} differs at byte {at}:\nSQLite:     {}\nPostgreSQL: {}", show(&ba), show(&bb));
        }
        compared += 1;
    }
    for path in ["/export/records.xlsx?from=2025-01-01&to=2026-06-30", "/export/summary.xlsx?year=2025"] {
        let get = |c: &reqwest::Client, base: &str| c.get(format!("{base}{path}")).send();
        let (ra, rb) = (get(&ca, &a).await.unwrap(), get(&cb, &b).await.unwrap());
        assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (200, 200), "{path}");
        let (xa, xb) = (xlsx_cells(ra.bytes().await.unwrap().to_vec()), xlsx_cells(rb.bytes().await.unwrap().to_vec()));
        assert!(xa.iter().map(|(_, rows)| rows.len()).sum::<usize>() > 5, "{path}");
        assert_eq!(xa, xb, "{path}");
        compared += 1;
    }
    assert_eq!(compared, pages.len() + 2);
    // And the figures really have content: the year's total is the same non-zero number.
    let total = sqlite.check_count(&lgota_central::store::RecordFilter {
        from_ms: Y2025,
        to_ms: Y2025 + 365 * DAY,
        ..Default::default()
    });
    assert!(total.unwrap() > 100);
}

/// A server process (the real binary), stopped when dropped; waits until it serves.
struct Process {
    child: std::process::Child,
    base: String,
}

impl Process {
    fn start(url: &str) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
            .args(["--database-url", url, "--cookie-secure", "false"])
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env_remove("LGOTA_CENTRAL_CONFIG")
            .env_remove("LGOTA_CENTRAL_DB")
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("lgota-central serving") {
                    let _ = tx.send(Ok(()));
                } else if line.contains("lgota-central:") {
                    let _ = tx.send(Err(line));
                }
            }
        });
        rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the server started").expect("the server started");
        Process { child, base: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn enroll(base: &str, code: String, device_id: &str) -> String {
    let r = protocol_client()
        .post(format!("{base}/api/v1/enroll"))
        .json(&EnrollRequest { code, device_id: device_id.into(), enrollment_secret: None, signing_key: None })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "enroll at {base}");
    r.json::<EnrollResponse>().await.unwrap().device_token
}

#[tokio::test]
async fn two_server_processes_share_one_postgresql() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "two");
    let db = open_postgres(url.clone()).await;
    let setup = db.clone();
    let base_for_codes = "http://127.0.0.1".to_string();
    let codes: Vec<String> = blocking(move || {
        service::reference::seed(setup.as_ref()).unwrap();
        service::admins::add_admin(setup.as_ref(), "admin", "admin", None, PASSWORD).unwrap();
        (0..2)
            .map(|_| {
                service::devices::issue_code(
                    setup.as_ref(),
                    "branch-1",
                    &CodeIssuer::admin("admin"),
                    60,
                    &base_for_codes,
                )
                .unwrap()
                .code
            })
            .collect()
    })
    .await;
    let (one, two) = (Process::start(&url), Process::start(&url));
    let servers = [one.base.as_str(), two.base.as_str()];

    // A code used at one process is used at the other too; each phone enrolls at one of them.
    let token_a = enroll(servers[0], codes[0].clone(), "phone-a").await;
    let r = protocol_client()
        .post(format!("{}/api/v1/enroll", servers[1]))
        .json(&EnrollRequest {
            code: codes[0].clone(),
            device_id: "phone-x".into(),
            enrollment_secret: None,
            signing_key: None,
        })
        .send()
        .await
        .unwrap();
    common::expect_error(r, 409, lgota_protocol::codes::ENROLLMENT_CODE_USED).await;
    let token_b = enroll(servers[1], codes[1].clone(), "phone-b").await;

    // Phones push to either process, batches alternating; a batch sent to both is stored once.
    let mut sent = Vec::new();
    for i in 0..20 {
        let (device, token) = if i % 2 == 0 { ("phone-a", &token_a) } else { ("phone-b", &token_b) };
        let batch: Vec<WireRecord> = (0..10).map(|_| common::check(device, "branch-1", 3_600_000)).collect();
        for base in [servers[i % 2], servers[(i + 1) % 2]] {
            let r = protocol_client()
                .post(format!("{base}/api/v1/records"))
                .bearer_auth(token)
                .json(&serde_json::json!({ "records": batch }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
        sent.extend(batch);
    }
    let voided = common::void(&sent[3]);
    let r = protocol_client()
        .post(format!("{}/api/v1/records", servers[1]))
        .bearer_auth(&token_b)
        .json(&serde_json::json!({ "records": [common::void(&sent[13])] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = protocol_client()
        .post(format!("{}/api/v1/records", servers[0]))
        .bearer_auth(&token_a)
        .json(&serde_json::json!({ "records": [voided] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let counted = db.clone();
    assert_eq!(blocking(move || counted.record_count().unwrap()).await, 202);

    // The same figures on either dashboard, signed in at each.
    let (ca, cb) = (sign_in(servers[0]).await, sign_in(servers[1]).await);
    let overview = |c: reqwest::Client, base: &'static str| async move {
        c.get(format!("{base}/admin/api/overview?from=2025-01-01&to=2030-12-31"))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let base0: &'static str = Box::leak(servers[0].to_string().into_boxed_str());
    let base1: &'static str = Box::leak(servers[1].to_string().into_boxed_str());
    let (oa, ob) = (overview(ca.clone(), base0).await, overview(cb.clone(), base1).await);
    assert_eq!(oa, ob);
    assert_eq!(oa["total"], 198, "{oa}");
    // A session begun at one process is good at the other (sessions are in the database).
    let r = ca.get(format!("{base1}/records")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // The sign-in back-off holds across both: failures alternating between the processes.
    let attempt = |base: &'static str, password: &'static str| async move {
        browser()
            .post(format!("{base}/login"))
            .form(&[("login", "admin"), ("password", password)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let free = service::admins::FREE_FAILURES as usize + 1;
    for i in 0..free {
        let status = attempt(if i % 2 == 0 { base0 } else { base1 }, "неверный пароль").await;
        assert_eq!(status, 401, "attempt {i}");
    }
    // Now both refuse at once, even the right password, until the wait has passed.
    assert_eq!(attempt(base0, "неверный пароль").await, 429);
    assert_eq!(attempt(base1, PASSWORD).await, 429);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(attempt(base1, PASSWORD).await, 303, "the right password once the wait has passed");
}

fn cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
        .args(args)
        .env_remove("LGOTA_CENTRAL_CONFIG")
        .env_remove("LGOTA_DATABASE_URL")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// After `pg_restore` the database has the copy's identity, and phones would not send again what
/// it lacks: `restored` gives it a new one, which the servers already running on the database
/// answer with within seconds (no restart).
#[test]
fn a_database_restored_by_postgresql_gets_a_new_identity_that_running_servers_take_up() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "restored");
    let running = PostgresDatabase::open(&url).unwrap();
    let before = running.server_id().unwrap();
    let (ok, out, err) = cli(&["--database-url", &url, "restored"]);
    assert!(ok, "{err}");
    let after = PostgresDatabase::open(&url).unwrap().server_id().unwrap();
    assert!(after != before && out.contains(&after), "{out}");
    std::thread::sleep(lgota_central::store::IDENTITY_FRESH + std::time::Duration::from_millis(200));
    assert_eq!(running.server_id().unwrap(), after, "the running store reads the new identity");
    let audit = running.audit_log(None, 10).unwrap();
    assert!(audit.iter().any(|e| e.action == "restore" && e.detail.contains(&after)), "{audit:?}");
}

#[test]
fn migrate_copies_a_sqlite_installation_checks_it_and_runs_again() {
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cbs.db");
    let (token, server_id) = {
        let db = SqliteDatabase::open(&file).unwrap();
        fill(&db);
        service::admins::add_admin(&db, "head", "branch_head", Some("branch-2"), PASSWORD).unwrap();
        db.create_session("session-sha", "admin", "csrf", 1, i64::MAX / 2).unwrap();
        let issued =
            service::devices::issue_code(&db, "branch-1", &CodeIssuer::admin("admin"), 60, "http://x").unwrap();
        let enrolled = db
            .enroll(&lgota_central::store::EnrollAttempt {
                code_sha256: &lgota_central::secrets::sha256_hex(&issued.code),
                device_id: "phone-a",
                secret_sha256: None,
                token_sha256: "token-sha",
                now_ms: lgota_central::now_ms(),
            })
            .unwrap();
        assert!(matches!(enrolled, lgota_central::store::EnrollOutcome::Enrolled { .. }));
        db.revoke_device("phone-a", 5).unwrap();
        db.audit(7, "admin", "device.revoke", "Устройство phone-a отключено").unwrap();
        (db.device("phone-a").unwrap().unwrap(), db.server_id().unwrap())
    };
    let url = fresh(&server, "migrate");
    let from = file.to_str().unwrap();
    let (ok, out, err) = cli(&["migrate", "--from", from, "--to", &url]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("Проверено: строк поровну") && out.contains("records"), "{out}");

    let source = SqliteDatabase::open(&file).unwrap();
    let target = PostgresDatabase::open(&url).unwrap();
    let all = lgota_central::store::RecordFilter { from_ms: Y2025, to_ms: Y2025 + 600 * DAY, ..Default::default() };
    assert_eq!(target.record_count().unwrap(), source.record_count().unwrap());
    assert_eq!(target.overview(&all).unwrap(), source.overview(&all).unwrap());
    assert!(target.overview(&all).unwrap().total > 100);
    assert_eq!(target.server_id().unwrap(), server_id, "the same server to the phones");
    assert_eq!(target.device("phone-a").unwrap().unwrap(), token, "revoked, with its dates");
    assert_eq!(target.device_by_token("token-sha").unwrap().map(|d| d.id), Some("phone-a".into()));
    assert_eq!(target.admins().unwrap(), source.admins().unwrap());
    assert!(target.session("session-sha", 2).unwrap().is_some());
    assert_eq!(target.audit_log(None, 100).unwrap(), source.audit_log(None, 100).unwrap());
    assert_eq!(target.conflicts(100).unwrap(), source.conflicts(100).unwrap());
    assert!(!target.conflicts(100).unwrap().is_empty());
    assert_eq!(target.events(None, 100).unwrap(), source.events(None, 100).unwrap());
    assert_eq!(target.phone_events(100).unwrap(), source.phone_events(100).unwrap());
    assert_eq!(target.branches().unwrap(), source.branches().unwrap());
    assert_eq!(
        target.reference(lgota_central::store::ReferenceName::Config).unwrap(),
        source.reference(lgota_central::store::ReferenceName::Config).unwrap()
    );
    // What main's issues added: training results, app releases with their file, a phone's
    // report, redactions, purged years, the records grant.
    assert_eq!(target.training_results(None, 100).unwrap(), source.training_results(None, 100).unwrap());
    assert_eq!(target.training_results(None, 100).unwrap().len(), 3);
    assert_eq!(target.app_releases(10).unwrap(), source.app_releases(10).unwrap());
    let seq = source.app_releases(1).unwrap()[0].seq;
    assert_eq!(target.app_apk(seq).unwrap(), Some(apk()));
    assert_eq!(target.device("phone-r").unwrap(), source.device("phone-r").unwrap());
    assert!(target.device("phone-r").unwrap().unwrap().report.is_some());
    assert_eq!(target.devices().unwrap(), source.devices().unwrap());
    assert!(target.device("phone-k").unwrap().unwrap().has_signing_key, "the export key came along");
    assert_eq!(target.redactions(None, 10).unwrap(), source.redactions(None, 10).unwrap());
    assert_eq!(target.record(&redacted_id()).unwrap().unwrap().record.staff_label, "");
    assert_eq!(target.purged_years().unwrap(), source.purged_years().unwrap());
    assert!(target.admin("head").unwrap().unwrap().sees_records());
    // The copy goes on counting: a new event after the copied ones, new records counted.
    let event = lgota_protocol::WireEvent {
        id: "ev-new".into(),
        title: "Новое".into(),
        date: "2026-01-01".into(),
        branch_id: "branch-1".into(),
    };
    assert!(target.add_event(&event, 9).unwrap() > source.events(None, 100).unwrap()[0].seq);

    // Again (the old server kept serving meanwhile): only what is new is copied.
    drop(target);
    let mut late = common::check("phone-b", "branch-2", 0);
    late.created_at_ms = Y2025 + 400 * DAY;
    source.store_records(&[late.clone()], Y2025 + 400 * DAY).unwrap();
    source.audit(8, "admin", "device.revoke", "Ещё одна запись журнала").unwrap();
    let (ok, out, err) = cli(&["migrate", "--from", from, "--to", &url]);
    // The event added to the copy above is not in the source: the events differ, said plainly.
    assert!(!ok && err.contains("events"), "{out}\n{err}");
    let url2 = fresh(&server, "migrate2");
    for run in 0..2 {
        let (ok, out, err) = cli(&["migrate", "--from", from, "--to", &url2]);
        assert!(ok, "run {run}: {out}\n{err}");
        let records_line = out.lines().find(|l| l.starts_with("records ")).unwrap().to_string();
        let numbers: Vec<u64> = records_line.split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
        let expected_written = if run == 0 { numbers[0] } else { 0 };
        assert_eq!(numbers, [numbers[0], expected_written, numbers[0]], "run {run}: {records_line}");
    }
    let target = PostgresDatabase::open(&url2).unwrap();
    assert!(target.has_record(&late.id).unwrap());
    assert_eq!(target.overview(&all).unwrap(), source.overview(&all).unwrap());

    // The source redacts and purges after a copy: copied again, the target follows — the removed
    // text and records do not stay in PostgreSQL; a new release lets the older file go.
    use lgota_central::store::{AppRelease, PurgeOutcome, PurgedYear, RedactField};
    // A 2026 record with a conflicting version (its staff label «Петрова»).
    let noted = history()[36].0[0].clone();
    assert!(noted.created_at_ms > Y2025 + 365 * DAY);
    assert!(target
        .conflicts(100)
        .unwrap()
        .iter()
        .any(|c| c.arrived.id == noted.id && c.arrived.staff_label == "Петрова"));
    source.redact_record(&noted.id, RedactField::StaffLabel, 11, "admin", "cli:test", "ФИО в метке").unwrap();
    assert_eq!(target.record(&noted.id).unwrap().unwrap().record.staff_label, "Иванова", "copied before it");
    let (from_ms, to_ms) = (Y2025, Y2025 + 365 * DAY);
    let archived: std::collections::HashSet<String> =
        source.record_ids_in(from_ms, to_ms).unwrap().into_iter().collect();
    let year = PurgedYear {
        year: 2025,
        from_ms,
        to_ms,
        records: 0,
        archive_sha256: "cd".repeat(32),
        at_ms: 12,
        login: "cli:test".into(),
    };
    let PurgeOutcome::Purged { records, .. } = source.purge_year(&year, &archived).unwrap() else { panic!("purged") };
    assert!(records > 100);
    for v in ["0.3.0", "0.4.0"] {
        let release = AppRelease { version: v.into(), ..source.app_releases(1).unwrap()[0].clone() };
        source.add_app_release(&release, b"newer").unwrap();
    }
    drop(target);
    let (ok, out, err) = cli(&["migrate", "--from", from, "--to", &url2]);
    assert!(ok, "after a redaction and a purge: {out}\n{err}");
    let target = PostgresDatabase::open(&url2).unwrap();
    assert_eq!(target.record_count().unwrap(), source.record_count().unwrap());
    assert_eq!(target.record_ids_in(from_ms, to_ms).unwrap(), source.record_ids_in(from_ms, to_ms).unwrap());
    assert!(!target.has_record(&history()[1].0[0].id).unwrap(), "the purged year's records are gone");
    assert_eq!(target.overview(&all).unwrap(), source.overview(&all).unwrap(), "the figures stay");
    assert_eq!(target.conflicts(100).unwrap(), source.conflicts(100).unwrap());
    assert_eq!(target.redactions(None, 10).unwrap(), source.redactions(None, 10).unwrap());
    assert_eq!(target.purged_years().unwrap(), source.purged_years().unwrap());
    assert_eq!(target.app_releases(10).unwrap(), source.app_releases(10).unwrap());
    assert_eq!(target.app_apk(seq).unwrap(), None, "the older file let go in the copy too");
    assert_eq!(target.record(&noted.id).unwrap().unwrap().record.staff_label, "", "the redacted text is gone");
    assert!(!target
        .conflicts(100)
        .unwrap()
        .iter()
        .any(|c| c.arrived.staff_label == "Петрова" && c.arrived.id == noted.id));

    // Refusals: no target, a missing file, another installation's database.
    let (ok, _, err) = cli(&["migrate", "--from", from]);
    assert!(!ok && err.contains("--to"), "{err}");
    let (ok, _, err) = cli(&["migrate", "--from", "/nonexistent/cbs.db", "--to", &url2]);
    assert!(!ok && err.contains("нет файла"), "{err}");
    let other = dir.path().join("other.db");
    {
        let db = SqliteDatabase::open(&other).unwrap();
        db.store_records(&[common::check("phone-z", "branch-1", 0)], lgota_central::now_ms()).unwrap();
    }
    let (ok, _, err) = cli(&["migrate", "--from", other.to_str().unwrap(), "--to", &url2]);
    assert!(!ok && err.contains("другой установки"), "{err}");
}

/// On PostgreSQL the server makes no backups (PostgreSQL's tools do), so it claims none: the
/// journal says who makes them instead of warning that there were none, and `/metrics` has no
/// backup gauge (an alert on its age would fire for ever). The records' gauge is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_backups_are_the_databases_and_the_server_claims_none() {
    let Some(server) = server() else { return };
    let pg = open_postgres(fresh(&server, "backups")).await;
    let filled = pg.clone();
    blocking(move || fill(filled.as_ref())).await;
    let records = {
        let db = pg.clone();
        blocking(move || db.record_count().unwrap()).await
    };
    let base = serve(pg).await;
    let journal = sign_in(&base).await.get(format!("{base}/audit")).send().await.unwrap().text().await.unwrap();
    assert!(journal.contains("<p id=\"backup\">Резервные копии базы PostgreSQL делает"), "{journal}");
    assert!(!journal.contains("Резервных копий ещё не было"), "{journal}");
    // The records' count may come in a later scrape than the first on a busy machine.
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
        if metrics.contains("\nlgota_records_in_database ") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(!metrics.contains("lgota_last_backup_timestamp_seconds"), "{metrics}");
    assert!(metrics.contains(&format!("\nlgota_records_in_database {records}\n")), "{metrics}");
}

#[test]
fn file_backup_and_restore_are_refused_on_postgresql_with_a_stable_code() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "backup");
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("copy.db");
    let (ok, _, err) = cli(&["--database-url", &url, "backup", to.to_str().unwrap()]);
    assert!(!ok && err.contains("pg_dump") && !to.exists(), "{err}");
    let (ok, _, err) = cli(&["--database-url", &url, "restore", to.to_str().unwrap()]);
    assert!(!ok && err.contains("pg_restore"), "{err}");
    let db = PostgresDatabase::open(&url).unwrap();
    let e = service::backup::backup(&db, &service::Actor::cli(), &to, false).unwrap_err();
    assert_eq!(e.code, lgota_protocol::codes::BACKUP_USE_PG_DUMP);
    // The server refuses scheduled backups with PostgreSQL at start.
    let (ok, _, err) = cli(&["--database-url", &url, "--backup-dir", dir.path().to_str().unwrap(), "serve"]);
    assert!(!ok && err.contains("pg_dump"), "{err}");
}

/// A phone's log (every record id), read from its SQLite file.
fn phone_ids(path: &std::path::Path) -> std::collections::HashSet<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM records").unwrap();
    let ids = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_alternating_between_two_processes_under_faults_lose_nothing() {
    use lgota_core::{CheckInput, Now, SetupInput, Store};
    let Some(server) = server() else { return };
    let url = fresh(&server, "faults");
    let db = open_postgres(url.clone()).await;
    let setup = db.clone();
    blocking(move || service::reference::seed(setup.as_ref()).unwrap()).await;
    let (one, two) = (Process::start(&url), Process::start(&url));
    // A fault-injecting proxy in front of each process (drops before and after the server
    // commits, keeps requests to replay late).
    let proxies =
        [common::proxy::Proxy::start(&one.base, 0x18A, 35), common::proxy::Proxy::start(&two.base, 0x18B, 35)];
    let bases: Vec<String> = proxies.iter().map(|p| p.base.clone()).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut phones = Vec::new();
    for i in 0..2 {
        let path = dir.path().join(format!("phone-{i}.db"));
        let mut store = Store::open(&path).unwrap();
        let setup = SetupInput { branch_id: "branch-1".into(), staff_label: "ИП".into(), event: None };
        store.setup(&setup, Now::system()).unwrap();
        let device_id = store.device_id().to_owned();
        let issuing = db.clone();
        let code = blocking(move || {
            service::devices::issue_code(issuing.as_ref(), "branch-1", &CodeIssuer::admin("admin"), 60, "http://x")
                .unwrap()
                .code
        })
        .await;
        let token = enroll(if i == 0 { &one.base } else { &two.base }, code, &device_id).await;
        phones.push((path, std::sync::Mutex::new(store), token));
    }
    let phones = tokio::task::spawn_blocking(move || {
        for round in 0..24 {
            for (p, (_, phone, token)) in phones.iter().enumerate() {
                {
                    let mut store = phone.lock().unwrap();
                    for k in 0..(5 + round % 4) {
                        let input = if k % 2 == 0 {
                            CheckInput::DigitalIdConfirmed { category_id: "pensioner".into(), note: None }
                        } else {
                            CheckInput::Refused { category_id: None, note: None }
                        };
                        let saved = store.record_check(&input, Now::system()).unwrap();
                        if k == 3 {
                            store.void(&saved.id, "Ошибочная запись", Now::system()).unwrap();
                        }
                    }
                }
                // Each round the phone reaches the other process.
                let base = &bases[(round + p) % 2];
                let mut client = lgota_client::Client::new(base, Some(token.clone())).unwrap();
                let _ = lgota_core::sync::push_pending(phone, &mut client, 4, |_, _| {});
            }
        }
        for (p, (_, phone, token)) in phones.iter().enumerate() {
            let mut attempts = 0;
            while phone.lock().unwrap().pending_count().unwrap() > 0 {
                attempts += 1;
                assert!(attempts < 300, "sync never completed");
                let mut client = lgota_client::Client::new(&bases[(attempts + p) % 2], Some(token.clone())).unwrap();
                let _ = lgota_core::sync::push_pending(phone, &mut client, 4, |_, _| {});
            }
        }
        phones
    })
    .await
    .unwrap();
    for proxy in &proxies {
        let statuses = proxy.replay_all();
        assert!(statuses.iter().all(|s| s.contains(" 200 ")), "a replay is answered like the original: {statuses:?}");
    }
    use std::sync::atomic::Ordering::Relaxed;
    let dropped: u64 =
        proxies.iter().map(|p| p.stats.dropped_before.load(Relaxed) + p.stats.dropped_after.load(Relaxed)).sum();
    assert!(dropped > 0, "faults happened");
    // The database holds exactly the phones' logs: none lost, none twice.
    let mut all = std::collections::HashSet::new();
    for (path, _, _) in &phones {
        all.extend(phone_ids(path));
    }
    let (counted, ids) = (db.clone(), all.clone());
    let (count, missing) = blocking(move || {
        let missing: Vec<String> = ids.iter().filter(|id| !counted.has_record(id).unwrap()).cloned().collect();
        (counted.record_count().unwrap(), missing)
    })
    .await;
    assert!(missing.is_empty(), "lost: {missing:?}");
    assert_eq!(count, all.len() as u64, "no record twice");
}

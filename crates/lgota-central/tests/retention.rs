//! Retention (issue 16) with the real binary and a real SQLite file: a note removed from one
//! record and from the file's bytes, with its act of destruction; a year archived (checksummed,
//! verified, a tampered copy refused) and purged past its retention, the figures of every period
//! unchanged and a late copy of a purged record not stored again; sign-in addresses blanked and
//! old audit entries removed; redaction from the dashboard behind its confirmation and CSRF.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::check;
use lgota_central::report::month_ranges;
use lgota_central::service::{self, audit::Action, retention, Actor};
use lgota_central::store::{prelude::*, RecordFilter, Role, SqliteDatabase, StoreStatus};
use lgota_protocol::{RecordKind, WireRecord};

const PASSWORD: &str = "верный пароль 123";
/// A name that slipped into a note next to «Инвалид» (stored directly: the intake would refuse it).
const SLIPPED: &str = "Инвалид, Петрова Анна Ивановна ZQXW";

fn cli(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LGOTA_CENTRAL_CONFIG")
        .env("USER", "tester")
        .current_dir(db.parent().unwrap())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// The database file and its WAL, as bytes.
fn raw_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap();
    let wal = db.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn setup(dir: &Path) -> (std::path::PathBuf, SqliteDatabase) {
    let path = dir.join("central.db");
    let db = SqliteDatabase::open(&path).unwrap();
    service::reference::seed(&db).unwrap();
    service::admins::add_admin(&db, "metodist", "admin", None, PASSWORD).unwrap();
    (path, db)
}

fn year_filter(year: i32) -> RecordFilter {
    let (from_ms, to_ms) = retention::year_bounds(year, chrono_tz::Europe::Moscow).unwrap();
    RecordFilter { from_ms, to_ms, ..Default::default() }
}

/// A check made at noon UTC on `date` (`YYYY-MM-DD`).
fn check_on(date: &str) -> WireRecord {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let mut r = check("0190a0a0-0000-7000-8000-0000000000d1", "branch-1", 0);
    r.created_at_ms = day.and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp_millis();
    r
}

fn void_on(of: &WireRecord, date: &str) -> WireRecord {
    let mut v = common::void(of);
    v.created_at_ms = check_on(date).created_at_ms;
    v
}

#[test]
fn redact_removes_a_note_from_the_record_and_the_file_keeps_the_figures_and_prints_the_act() {
    let dir = tempfile::tempdir().unwrap();
    let (path, db) = setup(dir.path());
    let mut slipped = check("0190a0a0-0000-7000-8000-0000000000d1", "branch-1", 3_600_000);
    slipped.note = Some(SLIPPED.into());
    let other = check("0190a0a0-0000-7000-8000-0000000000d1", "branch-1", 1_800_000);
    db.store_records(&[slipped.clone(), other.clone()], common::now_ms()).unwrap();
    let all = RecordFilter { from_ms: 0, to_ms: i64::MAX / 2, ..Default::default() };
    let figures = db.overview(&all).unwrap();
    drop(db);
    // Checkpointed by the next open and close: the text is in the file now.
    drop(SqliteDatabase::open(&path).unwrap());
    assert!(contains(&raw_bytes(&path), "ZQXW"), "the test finds the text before the redaction");

    let (ok, out, err) = cli(
        &path,
        &[
            "redact",
            "--record",
            &slipped.id,
            "--field",
            "note",
            "--reason",
            "в примечание попали ФИО",
            "--by",
            "metodist",
        ],
    );
    assert!(ok, "{err}");
    for line in [
        "АКТ № 1 об уничтожении персональных данных",
        &format!("Запись: {}", slipped.id),
        "поле «примечание»",
        "Основание: в примечание попали ФИО",
        "Ответственный: metodist",
        "Выполнил: cli:tester",
        "Дата и время уничтожения: ",
    ] {
        assert!(out.contains(line), "the act says «{line}»:\n{out}");
    }
    assert!(!out.contains("ZQXW"), "the act does not repeat the text");
    assert!(!contains(&raw_bytes(&path), "ZQXW"), "the text is gone from the database file's bytes");
    assert!(!contains(&raw_bytes(&path), "Петрова"));

    let db = SqliteDatabase::open(&path).unwrap();
    let after = db.record(&slipped.id).unwrap().unwrap().record;
    assert_eq!(after, WireRecord { note: None, ..slipped.clone() }, "only the note changed");
    assert_eq!(db.overview(&all).unwrap(), figures, "the figures are kept");
    let audit = db.audit_log(None, 10).unwrap();
    assert!(audit.iter().any(|e| e.action == Action::RecordRedact.as_str()
        && e.login == "cli:tester"
        && e.detail.contains(&slipped.id)
        && !e.detail.contains("ZQXW")));
    // The phone sends the record again with its old note: a duplicate, not a conflict that
    // would keep the text.
    let again = db.store_records(&[slipped.clone()], common::now_ms()).unwrap();
    assert_eq!(again.statuses, vec![StoreStatus::Duplicate]);
    assert!(db.conflicts(10).unwrap().is_empty());
    assert_eq!(db.record(&slipped.id).unwrap().unwrap().record.note, None);
    drop(db);

    // Refusals: no responsible administrator, personal data in the reason, a field already empty,
    // an unknown record.
    let args = |by: &'static str, reason: &'static str, id: &str, field: &'static str| {
        vec![
            "redact".to_string(),
            "--record".into(),
            id.to_string(),
            "--field".into(),
            field.into(),
            "--reason".into(),
            reason.into(),
            "--by".into(),
            by.into(),
        ]
    };
    let run = |a: Vec<String>| cli(&path, &a.iter().map(String::as_str).collect::<Vec<_>>());
    let (ok, _, err) = run(args("nobody", "основание", &other.id, "staff"));
    assert!(!ok && err.contains("не действующий администратор"), "{err}");
    let (ok, _, err) = run(args("metodist", "звонила +7 912 345-67-89", &other.id, "staff"));
    assert!(!ok && err.contains("Персональные данные"), "{err}");
    let (ok, _, err) = run(args("metodist", "повтор", &slipped.id, "note"));
    assert!(!ok && err.contains("уже пустое"), "{err}");
    let (ok, _, err) = run(args("metodist", "повтор", "0190a0a0-0000-7000-8000-ffffffffffff", "note"));
    assert!(!ok && err.contains("Нет записи"), "{err}");
    // The staff label goes the same way.
    let (ok, out, err) = run(args("metodist", "метка — фамилия сотрудника", &other.id, "staff"));
    assert!(ok && out.contains("АКТ № 2") && out.contains("метка сотрудника"), "{err}");
    let db = SqliteDatabase::open(&path).unwrap();
    assert_eq!(db.record(&other.id).unwrap().unwrap().record.staff_label, "");
    assert_eq!(db.overview(&all).unwrap(), figures);
}

#[test]
fn a_year_is_archived_verified_and_purged_past_its_retention_and_no_figure_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, db) = setup(dir.path());
    let c19 = check_on("2019-06-10");
    let (a, b) = (check_on("2020-03-05"), check_on("2020-11-20"));
    let v20 = void_on(&c19, "2020-01-15"); // a void made in 2020 of a 2019 check: kept
    let d = check_on("2021-02-02");
    let v21 = void_on(&a, "2021-01-10"); // a void made in 2021 of a 2020 check
    let mut b_conflict = b.clone();
    b_conflict.note = Some("другая версия".into());
    let now = common::now_ms();
    db.store_records(&[c19.clone(), a.clone(), b.clone(), v20.clone(), d.clone(), v21.clone()], now).unwrap();
    db.store_records(&[b_conflict], now).unwrap();
    assert_eq!(db.conflicts(10).unwrap().len(), 1);
    let tz = chrono_tz::Europe::Moscow;
    let figures = |db: &SqliteDatabase| {
        [2019, 2020, 2021].map(|y| {
            (db.overview(&year_filter(y)).unwrap(), db.monthly_summary(&year_filter(y), &month_ranges(y, tz)).unwrap())
        })
    };
    let before = figures(&db);
    assert_eq!((before[0].0.total, before[1].0.total, before[2].0.total), (0, 1, 1), "c19 and a voided");
    drop(db);

    let archive = dir.path().join("lgota-2020.json");
    let (ok, out, err) = cli(&path, &["archive", "--year", "2020", "--out", archive.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("Записей:  3 (проверок 2)"), "{out}");
    let sums = std::fs::read_to_string(dir.path().join("lgota-2020.json.sha256")).unwrap();
    assert!(sums.ends_with("  lgota-2020.json\n") && sums.len() == 64 + 2 + "lgota-2020.json".len() + 1, "{sums}");
    let (ok, out, err) = cli(&path, &["archive", "--verify", archive.to_str().unwrap()]);
    assert!(ok && out.contains("Проверка: ok"), "{err}");
    // The archive holds the records, the conflict and the year's figures.
    let body: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&archive).unwrap()).unwrap();
    assert_eq!(body["format"], "lgota-central-archive");
    assert_eq!(body["summary"]["total"], 1);
    assert_eq!(body["conflicts"].as_array().unwrap().len(), 1);
    let ids: Vec<&str> =
        body["records"].as_array().unwrap().iter().map(|r| r["record"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&a.id.as_str()) && ids.contains(&b.id.as_str()) && ids.contains(&v20.id.as_str()));
    // An archive is never overwritten; a tampered copy is refused by verify and by purge.
    let (ok, _, err) = cli(&path, &["archive", "--year", "2020", "--out", archive.to_str().unwrap()]);
    assert!(!ok && err.contains("не перезаписывается"), "{err}");
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, std::fs::read_to_string(&archive).unwrap().replace(&a.id, &d.id)).unwrap();
    std::fs::copy(dir.path().join("lgota-2020.json.sha256"), dir.path().join("tampered.json.sha256")).unwrap();
    let (ok, _, err) = cli(&path, &["archive", "--verify", tampered.to_str().unwrap()]);
    assert!(!ok && err.contains("не прошёл проверку"), "{err}");
    let (ok, _, err) = cli(&path, &["purge", "--year", "2020", "--archive", tampered.to_str().unwrap()]);
    assert!(!ok && err.contains("не прошёл проверку"), "{err}");
    // Another year's archive, a year still kept: refused.
    let (ok, _, err) = cli(&path, &["purge", "--year", "2019", "--archive", archive.to_str().unwrap()]);
    assert!(!ok && err.contains("это архив 2020 года"), "{err}");
    let this_year = chrono::Utc::now().format("%Y").to_string();
    let (ok, _, err) = cli(&path, &["purge", "--year", &this_year, "--archive", archive.to_str().unwrap()]);
    assert!(!ok && err.contains("ещё хранятся"), "{err}");

    // A 2020 record that arrives after the archive: the purge removes nothing.
    let late = check_on("2020-12-01");
    SqliteDatabase::open(&path).unwrap().store_records(std::slice::from_ref(&late), now).unwrap();
    let (ok, _, err) = cli(&path, &["purge", "--year", "2020", "--archive", archive.to_str().unwrap()]);
    assert!(!ok && err.contains("которых нет в архиве"), "{err}");
    let db = SqliteDatabase::open(&path).unwrap();
    assert!(db.has_record(&a.id).unwrap());
    // Archived again, with it.
    drop(db);
    let archive2 = dir.path().join("lgota-2020-2.json");
    assert!(cli(&path, &["archive", "--year", "2020", "--out", archive2.to_str().unwrap()]).0);
    let db = SqliteDatabase::open(&path).unwrap();
    let before = figures(&db);
    drop(db);
    let (ok, out, err) = cli(&path, &["purge", "--year", "2020", "--archive", archive2.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Удалены записи за 2020 год: 3.")
            && out.contains("Оставлены аннулирования проверок прежних лет: 1."),
        "{out}"
    );

    let db = SqliteDatabase::open(&path).unwrap();
    for id in [&a.id, &b.id, &late.id] {
        assert!(!db.has_record(id).unwrap(), "{id} removed");
    }
    for id in [&c19.id, &v20.id, &d.id, &v21.id] {
        assert!(db.has_record(id).unwrap(), "{id} kept");
    }
    assert!(db.conflicts(10).unwrap().is_empty(), "the conflict of b went with it");
    assert_eq!(figures(&db), before, "no figure of any year changed");
    assert_eq!(db.purged_years().unwrap().len(), 1);
    // A phone sends a purged record again: acknowledged, not stored, nothing counted.
    let again = db.store_records(&[a.clone(), check_on("2020-07-07")], common::now_ms()).unwrap();
    assert_eq!(again.statuses, vec![StoreStatus::Duplicate, StoreStatus::Duplicate]);
    assert!(!db.has_record(&a.id).unwrap());
    assert_eq!(figures(&db), before);
    let actions: Vec<String> = db.audit_log(None, 50).unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"records.archive".to_string()) && actions.contains(&"records.purge".to_string()));
    drop(db);
    let (ok, _, err) = cli(&path, &["purge", "--year", "2020", "--archive", archive2.to_str().unwrap()]);
    assert!(!ok && err.contains("уже удалены"), "{err}");
    assert_eq!(RecordKind::Void, v20.kind);
}

#[test]
fn sign_in_addresses_and_failed_logins_are_blanked_after_their_retention_and_old_entries_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (path, db) = setup(dir.path());
    let db: Arc<dyn Database> = Arc::new(db);
    let attempts = service::admins::Attempts::default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for password in ["неверный пароль!!", PASSWORD] {
        let attempt = attempts.begin(db.as_ref(), "metodist", "203.0.113.77", common::now_ms()).unwrap();
        let slot = rt.block_on(attempts.slot()).unwrap();
        let _ = service::admins::sign_in(db.as_ref(), &attempts, attempt, slot, password);
    }
    let audit = db.audit_log(None, 10).unwrap();
    assert!(audit.iter().any(|e| e.action == "signin.failed" && e.detail.contains("203.0.113.77")));
    let short = retention::Retention { records_years: 3, audit_years: 1, sign_in_days: 30 };
    // Not yet.
    assert_eq!(retention::apply(db.as_ref(), &short, common::now_ms()).unwrap(), retention::PassOutcome::default());
    let later = common::now_ms() + 31 * 86_400_000;
    let pass = retention::apply(db.as_ref(), &short, later).unwrap();
    assert_eq!(pass.blanked, 2);
    let audit = db.audit_log(None, 10).unwrap();
    let failed = audit.iter().find(|e| e.action == "signin.failed").unwrap();
    assert_eq!(
        (failed.login.as_str(), failed.detail.as_str()),
        (retention::LOGIN_BLANKED, retention::SIGN_IN_FAILED_BLANKED)
    );
    assert!(audit.iter().any(|e| e.action == "signin" && e.detail == retention::SIGN_IN_BLANKED));
    assert!(audit.iter().any(|e| e.action == "retention" && e.login == "server"));
    assert!(!contains(&raw_bytes(&path), "203.0.113.77"), "the address is gone from the file");
    // A second pass changes nothing more; after a year the old entries go.
    assert_eq!(retention::apply(db.as_ref(), &short, later).unwrap().blanked, 0);
    let pass = retention::apply(db.as_ref(), &short, common::now_ms() + 400 * 86_400_000).unwrap();
    assert_eq!(pass.deleted, 3, "two sign-ins and the first pass's entry: {pass:?}");
    let left = db.audit_log(None, 10).unwrap();
    assert_eq!(left.len(), 1, "only the pass's own entry: {left:?}");
}

#[tokio::test]
async fn an_administrator_redacts_from_the_records_page_after_confirming_and_gets_the_act() {
    let dir = tempfile::tempdir().unwrap();
    let (_, db) = setup(dir.path());
    let db = Arc::new(db);
    service::admins::add_admin(db.as_ref(), "head", "branch_head", Some("branch-1"), PASSWORD).unwrap();
    let cli_actor = Actor::new("cli:t", Role::Admin);
    service::admins::change(db.as_ref(), &cli_actor, "head", service::admins::Change::GrantRecords, false).unwrap();
    let mut slipped = check("0190a0a0-0000-7000-8000-0000000000d1", "branch-1", 60_000);
    slipped.note = Some(SLIPPED.into());
    db.store_records(&[slipped.clone()], common::now_ms()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dashboard = lgota_central::http::Dashboard::new(false, lgota_central::settings::DEFAULT_TIMEZONE);
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    let browser = |login: &'static str| {
        let base = base.clone();
        async move {
            let c = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let r =
                c.post(format!("{base}/login")).form(&[("login", login), ("password", PASSWORD)]).send().await.unwrap();
            assert_eq!(r.status(), 303);
            let page = c.get(format!("{base}/records")).send().await.unwrap().text().await.unwrap();
            let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
            let csrf = page[at..at + page[at..].find('"').unwrap()].to_string();
            (c, csrf, page)
        }
    };
    let (admin, csrf, records) = browser("metodist").await;
    let link = format!("/records/redact?id={}", slipped.id);
    assert!(records.contains(&link), "the row links to its redaction");
    let (_, _, head_records) = browser("head").await;
    assert!(head_records.contains("ZQXW") && !head_records.contains("/records/redact"), "a head sees no such link");
    let form = admin.get(format!("{base}{link}")).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("Подтверждаю уничтожение") && form.contains("ZQXW"));
    let post = |fields: Vec<(&'static str, String)>| admin.post(format!("{base}/records/redact")).form(&fields).send();
    let base_fields =
        || vec![("id", slipped.id.clone()), ("field", "note".to_string()), ("reason", "ФИО в примечании".to_string())];
    // Without the confirmation: the form again, nothing removed.
    let mut f = base_fields();
    f.push(("csrf", csrf.clone()));
    let r = post(f).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Подтверждаю"));
    // Without the CSRF token: refused, nothing removed.
    let mut f = base_fields();
    f.push(("confirm", "yes".into()));
    assert_eq!(post(f).await.unwrap().status(), 403);
    assert!(db.record(&slipped.id).unwrap().unwrap().record.note.is_some());
    let mut f = base_fields();
    f.push(("confirm", "yes".into()));
    f.push(("csrf", csrf.clone()));
    let r = post(f).await.unwrap();
    assert_eq!(r.status(), 200);
    let act = r.text().await.unwrap();
    assert!(act.contains("АКТ № 1 об уничтожении персональных данных") && act.contains("metodist"), "{act}");
    assert!(!act.contains("ZQXW"));
    assert_eq!(db.record(&slipped.id).unwrap().unwrap().record.note, None);
    let again = admin.get(format!("{base}/records/act?seq=1")).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("ФИО в примечании"));
}

#[test]
fn the_server_blanks_old_sign_in_addresses_when_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (path, db) = setup(dir.path());
    let old = common::now_ms() - 200 * 86_400_000;
    db.audit(old, "metodist", "signin.failed", "Неудачный вход с адреса 198.51.100.23").unwrap();
    db.audit(common::now_ms(), "metodist", "signin", "Вход с адреса 198.51.100.24").unwrap();
    drop(db);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
        .arg("--db")
        .arg(&path)
        .args(["--cookie-secure", "false", "serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("LGOTA_CENTRAL_CONFIG")
        .current_dir(dir.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let db = SqliteDatabase::open(&path).unwrap();
    let blanked = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        db.audit_log(None, 10).unwrap().iter().any(|e| e.detail == retention::SIGN_IN_FAILED_BLANKED)
    });
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(blanked, "the pass ran at start (default: 90 days)");
    let audit = db.audit_log(None, 10).unwrap();
    assert!(audit.iter().any(|e| e.detail.contains("198.51.100.24")), "a recent sign-in keeps its address");
    assert!(!audit.iter().any(|e| e.detail.contains("198.51.100.23")));
}

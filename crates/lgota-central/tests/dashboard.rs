//! The web dashboard over a real server and a real SQLite file: sign-in, limits, CSRF, branch
//! confinement, escaping and the CSV and XLSX exports.

mod common;

use std::sync::Arc;

use calamine::{Data, DataType, Reader, Xlsx};
use common::*;
use lgota_central::http::views::{csv, xlsx};
use lgota_central::service::{self, Actor};
use lgota_central::store::{prelude::*, SqliteDatabase};
use lgota_protocol::{Method, Outcome};

const PASSWORD: &str = "верный пароль 123";
const MOSCOW: chrono_tz::Tz = chrono_tz::Europe::Moscow;

struct Dash {
    base: String,
    db: Arc<SqliteDatabase>,
    _dir: tempfile::TempDir,
    /// A device client (protocol header) to enroll and push with.
    device: reqwest::Client,
}

async fn start_dash(cookie_secure: bool) -> Dash {
    start_dash_in(cookie_secure, MOSCOW).await
}

async fn start_dash_in(cookie_secure: bool, tz: chrono_tz::Tz) -> Dash {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dashboard = lgota_central::http::Dashboard::new(cookie_secure, tz);
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    service::admins::add_admin(db.as_ref(), "admin", "admin", None, PASSWORD).unwrap();
    service::admins::add_admin(db.as_ref(), "head1", "branch_head", Some("branch-1"), PASSWORD).unwrap();
    // These tests are about a branch head's confinement to their branch's records: the head has
    // an administrator's grant to see them (without it, totals only: tests/access.rs).
    db.set_records_access("head1", true).unwrap();
    Dash { base, db, _dir: dir, device: protocol_client() }
}

/// A browser-like client: cookie store, no automatic redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

impl Dash {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn login(&self, client: &reqwest::Client, login: &str, password: &str) -> reqwest::Response {
        client.post(self.url("/login")).form(&[("login", login), ("password", password)]).send().await.unwrap()
    }

    async fn signed_in(&self, login: &str) -> reqwest::Client {
        let c = browser();
        let r = self.login(&c, login, PASSWORD).await;
        assert_eq!(r.status(), 303, "sign-in of {login}");
        c
    }

    async fn enroll(&self, device_id: &str, branch: &str) -> String {
        let code = service::devices::issue_code(
            self.db.as_ref(),
            branch,
            &lgota_central::store::CodeIssuer::admin("admin"),
            60,
            &self.base,
        )
        .unwrap()
        .code;
        let r = self
            .device
            .post(self.url("/api/v1/enroll"))
            .json(&serde_json::json!({"code": code, "device_id": device_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<serde_json::Value>().await.unwrap()["device_token"].as_str().unwrap().to_string()
    }

    async fn push(&self, token: &str, records: &[lgota_protocol::WireRecord]) {
        let r = self
            .device
            .post(self.url("/api/v1/records"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "records": records }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    async fn page(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let r = client.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Downloads an XLSX export and returns the cells of `sheet` (first row: the headers).
    async fn xlsx(&self, client: &reqwest::Client, path: &str, sheet: &str) -> Vec<Vec<Data>> {
        let r = client.get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], xlsx::CONTENT_TYPE);
        let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment") && disposition.ends_with(".xlsx\""), "{disposition}");
        let bytes = r.bytes().await.unwrap().to_vec();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let formulas = book.worksheet_formula(sheet).unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formulas in {path}");
        let range = book.worksheet_range(sheet).unwrap();
        assert_eq!(range.start(), Some((0, 0)));
        range.rows().map(<[Data]>::to_vec).collect()
    }

    async fn overview_json(&self, client: &reqwest::Client, query: &str) -> serde_json::Value {
        let r = client.get(self.url(&format!("/admin/api/overview{query}"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_string()
}

/// Two branches of records: branch-1 has three valid checks (one paper after a Digital ID
/// failure) and one voided; branch-2 has two valid checks.
async fn seed_records(d: &Dash) {
    let t1 = d.enroll("dev-1", "branch-1").await;
    let t2 = d.enroll("dev-2", "branch-2").await;
    let a = check("dev-1", "branch-1", 60_000);
    let mut b = check("dev-1", "branch-1", 50_000);
    b.method = Some(Method::DigitalId);
    b.outcome = Some(Outcome::PaperShown);
    b.failure_reason_id = Some("no_internet".into());
    b.document_type_id = Some("pension_certificate".into());
    let mut c = check("dev-1", "branch-1", 40_000);
    c.method = Some(Method::Paper);
    c.outcome = Some(Outcome::NoDocument);
    c.granted = Some(false);
    c.category_id = Some("student".into());
    let voided = check("dev-1", "branch-1", 30_000);
    d.push(&t1, &[a, b, c, voided.clone(), void(&voided)]).await;
    d.push(&t2, &[check("dev-2", "branch-2", 20_000), check("dev-2", "branch-2", 10_000)]).await;
}

#[tokio::test]
async fn sign_in_succeeds_and_fails_and_sets_a_strict_cookie() {
    let d = start_dash(false).await;
    let c = browser();
    let r = c.get(d.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let (status, form) = d.page(&c, "/login").await;
    assert!(status == 200 && form.contains("Пароль") && form.contains("<form method=\"post\" action=\"/login\""));

    let r = d.login(&c, "admin", "не тот пароль").await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Неверный логин или пароль"));
    let r = d.login(&c, "nobody", PASSWORD).await;
    assert_eq!(r.status(), 401);
    assert_eq!(d.page(&c, "/").await.0, 303);

    let r = d.login(&c, "admin", PASSWORD).await;
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("lgota_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let (status, page) = d.page(&c, "/").await;
    assert_eq!(status, 200);
    assert!(page.contains("сводка проверок") && page.contains("admin"));

    // The default: a Secure cookie.
    let secure = start_dash(true).await;
    let r = secure.login(&browser(), "admin", PASSWORD).await;
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure") && cookie.contains("Max-Age=28800"), "{cookie}");
}

#[tokio::test]
async fn without_a_session_pages_redirect_and_the_api_answers_401() {
    let d = start_dash(false).await;
    let c = browser();
    for path in
        ["/", "/export/records.csv", "/export/records.xlsx", "/export/summary.xlsx?year=2026", "/?from=2026-01-01"]
    {
        let r = c.get(d.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(r.headers()["location"], "/login");
    }
    let r = c.get(d.url("/admin/api/overview")).send().await.unwrap();
    expect_error(r, 401, "unauthorized").await;
    // A forged cookie is no session.
    let r = c
        .get(d.url("/admin/api/overview"))
        .header("cookie", format!("lgota_session={}", "A".repeat(43)))
        .send()
        .await
        .unwrap();
    expect_error(r, 401, "unauthorized").await;
}

#[tokio::test]
async fn failed_sign_ins_slow_the_next_attempt_instead_of_locking_out() {
    use service::admins::{delay_after, FREE_FAILURES};
    let d = start_dash(false).await;
    let c = browser();
    for _ in 0..=FREE_FAILURES {
        assert_eq!(d.login(&c, "admin", "неверно").await.status(), 401);
    }
    let r = d.login(&c, "admin", PASSWORD).await;
    assert_eq!(r.status(), 429, "too soon, even the right password");
    assert!(r.text().await.unwrap().contains("следующая возможна через 1 с"));
    // The address (all tests come from 127.0.0.1) waits too, for any login.
    assert_eq!(d.login(&c, "head1", PASSWORD).await.status(), 429);
    // Once the wait has passed, the right password signs in: no lock-out.
    tokio::time::sleep(std::time::Duration::from_millis(delay_after(FREE_FAILURES + 1) as u64 + 200)).await;
    assert_eq!(d.login(&c, "admin", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn a_post_without_the_right_csrf_token_changes_nothing() {
    let d = start_dash(false).await;
    let c = d.signed_in("admin").await;
    let (_, page) = d.page(&c, "/").await;
    let csrf = csrf_of(&page);
    assert_eq!(csrf.len(), 43);

    let r = c.post(d.url("/logout")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = c.post(d.url("/logout")).form(&[("csrf", "A".repeat(43))]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // Another session's token is not this session's.
    let other = d.signed_in("admin").await;
    let other_csrf = csrf_of(&d.page(&other, "/").await.1);
    let r = c.post(d.url("/logout")).form(&[("csrf", other_csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(d.page(&c, "/").await.0, 200, "still signed in");

    let r = c.post(d.url("/logout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(d.page(&c, "/").await.0, 303, "signed out");
    assert_eq!(d.page(&other, "/").await.0, 200, "the other session lives on");
}

#[tokio::test]
async fn figures_count_valid_checks_and_a_branch_head_sees_only_their_branch() {
    let d = start_dash(false).await;
    seed_records(&d).await;
    let admin = d.signed_in("admin").await;
    let o = d.overview_json(&admin, "").await;
    assert_eq!(o["total"], 5, "{o}");
    assert_eq!(o["by_branch"], serde_json::json!([["branch-1", 3], ["branch-2", 2]]));
    assert_eq!(o["by_method"], serde_json::json!([["digital_id", 4], ["paper", 1]]));
    assert_eq!(o["by_failure_reason"], serde_json::json!([["no_internet", 1]]));
    assert_eq!((o["granted"].as_u64(), o["refused"].as_u64()), (Some(4), Some(1)));
    let o = d.overview_json(&admin, "?branch=branch-2").await;
    assert_eq!(o["total"], 2);
    let o = d.overview_json(&admin, "?category=student").await;
    assert_eq!(o["total"], 1);
    let o = d.overview_json(&admin, "?from=2020-01-01&to=2020-01-31").await;
    assert_eq!(o["total"], 0);
    let (_, page) = d.page(&admin, "/").await;
    assert!(page.contains("data-figure=\"total\">5<"), "the page shows the total");
    assert!(
        page.contains("<tr data-key=\"branch-2\"><th>Библиотека-филиал № 2</th><td class=\"n\"><a href=\"/records?")
    );
    assert!(page.contains("data-figure=\"digital-share\">80,0%<"));
    assert!(page.contains("<a href=\"/export/records.xlsx?from="), "{page}");
    let year = lgota_central::http::views::pages::Period::current_month(MOSCOW).from.format("%Y").to_string();
    assert!(page.contains(&format!("<a href=\"/export/summary.xlsx?year={year}\">")), "{page}");
    let (_, page) = d.page(&admin, "/?from=2025-12-01&to=2026-01-31").await;
    assert!(page.contains("<a href=\"/export/summary.xlsx?year=2025\">"), "the period's start year");

    let head = d.signed_in("head1").await;
    for query in ["", "?branch=branch-2", "?branch=", "?branch=branch-1"] {
        let o = d.overview_json(&head, query).await;
        assert_eq!(o["total"], 3, "{query}: {o}");
        assert_eq!(o["by_branch"], serde_json::json!([["branch-1", 3]]));
    }
    let (_, page) = d.page(&head, "/?branch=branch-2").await;
    assert!(page.contains("data-figure=\"total\">3<"));
    assert!(!page.contains("data-key=\"branch-2\"") && !page.contains("dev-2"));
    let r = head.get(d.url("/export/records.csv?branch=branch-2")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 5, "four checks and a void of branch-1:\n{csv}");
    assert!(rows.iter().all(|r| r.contains("\"Библиотека-филиал № 1\"") && r.contains("\"dev-1\"")), "{csv}");
    let all = admin.get(d.url("/export/records.csv")).send().await.unwrap().text().await.unwrap();
    assert_eq!(all.lines().count(), 1 + 7);

    // The XLSX records: the same rows as the CSV and the database.
    let text = |c: &Data| match c {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    };
    let rows = d.xlsx(&head, "/export/records.xlsx?branch=branch-2", xlsx::RECORDS_SHEET).await;
    assert_eq!(rows.len(), 1 + 5);
    assert!(rows[1..].iter().all(|r| text(&r[2]) == "Библиотека-филиал № 1" && text(&r[4]) == "dev-1"));
    let rows = d.xlsx(&admin, "/export/records.xlsx", xlsx::RECORDS_SHEET).await;
    let period = lgota_central::http::views::pages::Period::current_month(MOSCOW);
    let (from_ms, to_ms) = period.utc_ms(MOSCOW);
    let filter = lgota_central::store::RecordFilter { from_ms, to_ms, ..Default::default() };
    assert_eq!(rows.len() - 1, d.db.export_records(&filter, None).unwrap().len());
    assert_eq!(rows.len(), 1 + 7);

    // The monthly summary: every month × branch, the months' totals and the year's.
    let year = period.from.format("%Y").to_string();
    let summary = format!("/export/summary.xlsx?year={year}");
    let branches = d.db.branches().unwrap().len();
    assert!(branches >= 2);
    let rows = d.xlsx(&admin, &summary, xlsx::SUMMARY_SHEET).await;
    assert_eq!(
        rows[0].iter().map(text).collect::<Vec<_>>(),
        [
            "Месяц",
            "Филиал",
            "Проверок",
            "По Цифровому ID",
            "По бумажному документу",
            "Льгота предоставлена",
            "Проверка возраста пройдена",
            "Не предоставлена",
            "Доля Цифрового ID"
        ]
    );
    assert_eq!(rows.len(), 1 + 12 * (branches + 1) + 1);
    let last = rows.last().unwrap();
    assert_eq!(text(&last[0]), format!("Итого за {year} год"));
    let numbers = |r: &[Data]| r[2..8].iter().map(|c| c.as_f64().unwrap()).collect::<Vec<_>>();
    // Five valid checks: four by Digital ID, one paper; four benefits granted, no age check, one
    // refused.
    assert_eq!(numbers(last), [5.0, 4.0, 1.0, 4.0, 0.0, 1.0]);
    assert!((last[8].as_f64().unwrap() - 0.8).abs() < 1e-9);
    let month = rows
        .iter()
        .find(|r| text(&r[1]) == "Библиотека-филиал № 2" && r[2].as_f64() == Some(2.0))
        .expect("branch-2's month");
    assert_eq!(numbers(month), [2.0, 2.0, 0.0, 2.0, 0.0, 0.0]);
    let rows = d.xlsx(&head, &summary, xlsx::SUMMARY_SHEET).await;
    assert_eq!(rows.len(), 1 + 12 + 1, "one branch: no month totals");
    assert!(rows[1..13].iter().all(|r| text(&r[1]) == "Библиотека-филиал № 1"));
    assert_eq!(numbers(rows.last().unwrap()), [3.0, 2.0, 1.0, 2.0, 0.0, 1.0]);
    let r = head.get(d.url("/export/summary.xlsx?year=1812")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = head.get(d.url("/export/records.xlsx?from=nonsense")).send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn html_in_a_pushed_record_is_escaped_in_the_page() {
    let d = start_dash(false).await;
    let token = d.enroll("dev-1", "branch-1").await;
    let mut r = check("dev-1", "branch-1", 1000);
    r.staff_label = "<script>alert(1)</script>".into();
    r.note = Some("<img src=x onerror=alert(2)> & \"кавычки\"".into());
    d.push(&token, &[r]).await;
    let c = d.signed_in("admin").await;
    let (status, page) = d.page(&c, "/").await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script>") && !page.contains("<img"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt; &amp; &quot;кавычки&quot;"));
    // Query parameters are never reflected raw either.
    let (_, page) = d.page(&c, "/?category=%3Cscript%3E&branch=%22%3E%3Cb%3E").await;
    assert!(!page.contains("<script>") && !page.contains("\"><b>"), "{page}");
    let r = c.get(d.url("/")).send().await.unwrap();
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
}

#[tokio::test]
async fn the_csv_is_russian_quoted_and_formula_safe() {
    let d = start_dash(false).await;
    let token = d.enroll("dev-1", "branch-1").await;
    let mut r = check("dev-1", "branch-1", 0);
    // The first day of the current month at 01:02:03 Moscow time.
    let period = lgota_central::http::views::pages::Period::current_month(MOSCOW);
    r.created_at_ms = period.utc_ms(MOSCOW).0 + (3600 + 2 * 60 + 3) * 1000;
    r.staff_label = "=HYPERLINK(\"http://evil\";\"x\")".into();
    r.note = Some("a;b \"c\"\nd".into());
    let mut at = check("dev-1", "branch-1", 0);
    at.staff_label = "@SUM(A1)".into();
    at.note = Some("-1+1".into());
    d.push(&token, &[r, at]).await;
    let c = d.signed_in("admin").await;
    let response = c.get(d.url("/export/records.csv")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("\"Дата\";\"Время\";\"Филиал\";"), "{text}");
    let first = period.from.format("%d.%m.%Y").to_string();
    assert!(text.contains(&format!("\"{first}\";\"01:02:03\";\"Библиотека-филиал № 1\"")), "{text}");
    assert!(text.contains("\"'=HYPERLINK(\"\"http://evil\"\";\"\"x\"\")\""), "{text}");
    // The note arrived with a line break; like the phone, the server keeps its normal form.
    assert!(text.contains("\"a;b \"\"c\"\" d\""), "{text}");
    assert!(text.contains("\"'@SUM(A1)\"") && text.contains("\"'-1+1\""), "{text}");
    assert!(text.contains("\"Цифровой ID\";\"Статус подтверждён\";\"да\";\"Пенсионер\""), "{text}");

    // The same records as XLSX: real dates and times, formula-looking text stays text.
    let rows = d.xlsx(&c, "/export/records.xlsx", xlsx::RECORDS_SHEET).await;
    assert_eq!(rows.len(), 1 + 2);
    let headers: Vec<String> = rows[0].iter().map(|h| h.to_string()).collect();
    assert_eq!(headers, csv::HEADERS);
    let first = &rows[1];
    let Data::DateTime(date) = &first[0] else { panic!("a date cell: {:?}", first[0]) };
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    assert_eq!(date.as_f64(), (period.from - epoch).num_days() as f64);
    let Data::DateTime(time) = &first[1] else { panic!("a time cell: {:?}", first[1]) };
    assert!((time.as_f64() * 86_400.0 - 3723.0).abs() < 0.01, "01:02:03: {}", time.as_f64());
    assert_eq!(first[2], Data::String("Библиотека-филиал № 1".into()));
    assert_eq!(first[5], Data::String("=HYPERLINK(\"http://evil\";\"x\")".into()));
    assert_eq!(first[14], Data::String("a;b \"c\" d".into()));
    assert_eq!(rows[2][5], Data::String("@SUM(A1)".into()));
    assert_eq!(rows[2][14], Data::String("-1+1".into()));
    assert_eq!(
        first[7..11],
        [
            Data::String("Цифровой ID".into()),
            Data::String("Статус подтверждён".into()),
            Data::String("да".into()),
            Data::String("Пенсионер".into())
        ]
    );
}

#[tokio::test]
async fn the_cli_helper_refuses_bad_users() {
    let d = start_dash(false).await;
    assert!(service::admins::add_admin(d.db.as_ref(), "x", "admin", None, "short").is_err());
    assert!(service::admins::add_admin(d.db.as_ref(), "x", "branch_head", None, PASSWORD).is_err());
    assert!(service::admins::add_admin(d.db.as_ref(), "x", "branch_head", Some("nowhere"), PASSWORD).is_err());
    assert!(service::admins::add_admin(d.db.as_ref(), "x", "root", None, PASSWORD).is_err());
    assert!(service::admins::add_admin(d.db.as_ref(), "a b", "admin", None, PASSWORD).is_err());
    // Replacing a password ends the user's sessions.
    let c = d.signed_in("admin").await;
    assert!(!service::admins::add_admin(d.db.as_ref(), "admin", "admin", None, "новый пароль 456").unwrap());
    assert_eq!(d.page(&c, "/").await.0, 303);
    let stored = d.db.admin("admin").unwrap().unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
}

/// The links to /records on a page with the figure each stands for: the number inside the link
/// (a table cell, a bar's label, a KPI's `<b>`); `None` for a figure that is not a count (a share).
fn record_links(page: &str) -> Vec<(String, Option<u64>)> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find("href=\"/records?") {
        rest = &rest[at + "href=\"".len()..];
        let href = rest[..rest.find('"').unwrap()].replace("&amp;", "&");
        let inner = &rest[..rest.find("</a>").unwrap()];
        let text = if let Some(b) = inner.find("<b data-figure=") {
            let b = &inner[b..];
            b[b.find('>').unwrap() + 1..b.find("</b>").unwrap()].to_string()
        } else if let Some(t) = inner.rfind("<text") {
            let t = &inner[t..];
            t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].to_string()
        } else {
            inner[inner.rfind('>').unwrap() + 1..].to_string()
        };
        out.push((href, text.trim().parse().ok()));
    }
    out
}

/// The «Найдено проверок» figure of a records page.
fn records_total(page: &str) -> u64 {
    let at = page.find("data-figure=\"records-total\">").expect("a total") + "data-figure=\"records-total\">".len();
    page[at..page[at..].find('<').unwrap() + at].parse().unwrap()
}

#[tokio::test]
async fn every_figure_leads_to_as_many_records_and_a_branch_head_only_to_their_own() {
    let d = start_dash(false).await;
    seed_records(&d).await;
    for (login, total) in [("admin", 5), ("head1", 3)] {
        let c = d.signed_in(login).await;
        let (_, page) = d.page(&c, "/").await;
        let links = record_links(&page);
        // Five KPIs, and every bar and table row of the charts.
        assert!(links.len() >= 5 + 2 * 9, "{login}: {} links", links.len());
        let o = d.overview_json(&c, "").await;
        for (href, figure) in &links {
            let (status, records) = d.page(&c, href).await;
            assert_eq!(status, 200, "{href}");
            let n = records_total(&records);
            match figure {
                Some(figure) => assert_eq!(n, *figure, "{login}: {href}"),
                // A share links to its method's records.
                None => {
                    let method = if href.contains("method=digital_id") { "digital_id" } else { "paper" };
                    let count = o["by_method"].as_array().unwrap().iter().find(|p| p[0] == method);
                    assert_eq!(n, count.map_or(0, |p| p[1].as_u64().unwrap()), "{login}: {href}");
                }
            }
            if login == "head1" {
                assert!(!records.contains("Библиотека-филиал № 2</td>"), "{href}");
            }
        }
        let (_, all) = d.page(&c, links.iter().find(|(h, _)| h.contains("from=")).unwrap().0.as_str()).await;
        assert_eq!(records_total(&all), total);
        assert_eq!(all.matches("<tr data-id=").count() as u64, total);
    }
    // The void's check and the voided check never show; the branch head cannot ask for branch-2.
    let head = d.signed_in("head1").await;
    for query in ["?branch=branch-2", "?branch=branch-2&method=digital_id", "?branch=branch-1"] {
        let (status, page) = d.page(&head, &format!("/records{query}")).await;
        assert_eq!(status, 200);
        assert!(!page.contains("Библиотека-филиал № 2</td>"), "{query}");
        assert!(page.matches("<tr data-id=").count() <= 3);
    }
    let (_, page) = d.page(&head, "/records?branch=branch-2").await;
    assert_eq!(records_total(&page), 3);
    let csv = head
        .get(d.url("/export/records.csv?branch=branch-2&method=digital_id"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "branch-1's Digital ID checks, the voided one included:\n{csv}");
    assert!(rows.iter().all(|r| r.contains("\"Библиотека-филиал № 1\"")), "{csv}");

    // Filters narrow the list as they say.
    let admin = d.signed_in("admin").await;
    for (query, n) in [
        ("method=paper", 1),
        ("outcome=paper_shown", 1),
        ("reason=no_internet", 1),
        ("granted=0", 1),
        ("granted=1", 4),
        ("category=student", 1),
        ("category=(none)", 0),
        ("offline=0", 5),
        ("offline=1", 0),
        ("branch=branch-2&granted=1", 2),
        ("event=no-such-event", 0),
    ] {
        let (status, page) = d.page(&admin, &format!("/records?{query}")).await;
        assert_eq!((status, records_total(&page)), (200, n), "{query}");
    }
}

#[tokio::test]
async fn bad_filter_values_get_a_russian_400_never_a_500() {
    let d = start_dash(false).await;
    let c = d.signed_in("admin").await;
    for (query, message) in [
        ("method=telepathy", "Неизвестный способ подтверждения «telepathy»"),
        ("outcome=maybe", "Неизвестный результат проверки «maybe»"),
        ("granted=yes", "принимает 1 (да) или 0 (нет)"),
        ("offline=2", "принимает 1 (да) или 0 (нет)"),
        ("from=31.13.2026", "ДД.ММ.ГГГГ"),
        ("from=%2B262142-12-31", "ДД.ММ.ГГГГ"),
        ("from=2026-03-02&to=2026-03-01", "Начало периода позже его конца"),
        ("category=%3Cscript%3E", "Неверный код категории «&lt;script&gt;»"),
        ("before=nonsense", "Неверная ссылка на следующую страницу"),
    ] {
        let (status, page) = d.page(&c, &format!("/records?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(page.contains(message), "{query}: {page}");
        assert!(!page.contains("<script>"));
        let r = c.get(d.url(&format!("/export/records.csv?{query}"))).send().await.unwrap();
        assert!(r.status() == 400 || query.starts_with("before"), "{query}: {}", r.status());
    }
    let r = c.get(d.url("/admin/api/overview?outcome=maybe")).send().await.unwrap();
    expect_error(r, 400, "invalid_request").await;
    let (status, page) = d.page(&c, "/?granted=yes").await;
    assert_eq!(status, 400);
    assert!(page.contains("принимает 1 (да) или 0 (нет)"));
}

#[tokio::test]
async fn the_records_page_pages_by_100_newest_first() {
    let d = start_dash(false).await;
    // 250 checks, some made in the same millisecond (the id breaks the tie), stored the way a
    // push stores them; one voided.
    let base = now_ms() - 3_600_000;
    let mut records: Vec<_> = (0..250)
        .map(|i| {
            let mut r = check("dev-1", "branch-1", 0);
            r.created_at_ms = base + (i / 3) * 1000;
            r
        })
        .collect();
    records.push(void(&records[7]));
    d.db.store_records(&records, now_ms()).unwrap();
    let c = d.signed_in("admin").await;
    let mut seen = Vec::new();
    let mut path = "/records".to_string();
    let mut pages = 0;
    loop {
        let (status, page) = d.page(&c, &path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(records_total(&page), 249);
        let ids: Vec<String> =
            page.split("<tr data-id=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_string()).collect();
        pages += 1;
        assert_eq!(ids.len(), if pages < 3 { 100 } else { 49 }, "page {pages}");
        seen.extend(ids);
        let Some(at) = page.find("id=\"next-page\" href=\"") else { break };
        let rest = &page[at + "id=\"next-page\" href=\"".len()..];
        path = rest[..rest.find('"').unwrap()].replace("&amp;", "&");
    }
    assert_eq!(pages, 3);
    let mut expected: Vec<_> =
        records[..250].iter().filter(|r| r.id != records[7].id).map(|r| (r.created_at_ms, r.id.clone())).collect();
    expected.sort();
    expected.reverse();
    assert_eq!(seen, expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>(), "newest first, none twice");
}

#[tokio::test]
async fn months_and_days_follow_the_configured_zone_across_clock_changes() {
    let berlin = chrono_tz::Europe::Berlin;
    let d = start_dash_in(false, berlin).await;
    let at = |s: &str| {
        use chrono::TimeZone;
        let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        berlin.from_local_datetime(&local).single().unwrap().timestamp_millis()
    };
    // 00:30 on the 1st: in winter (UTC+1) and in summer (UTC+2) — both still the previous
    // month in UTC, and in Moscow's fixed UTC+3 March's would be 02:30.
    let mut march = check("dev-1", "branch-1", 0);
    march.created_at_ms = at("2026-03-01 00:30");
    let mut april = check("dev-1", "branch-1", 0);
    april.created_at_ms = at("2026-04-01 00:30");
    let mut late_march = check("dev-1", "branch-1", 0);
    late_march.created_at_ms = at("2026-03-31 23:59");
    d.db.store_records(&[march.clone(), april.clone(), late_march], now_ms()).unwrap();

    let months = lgota_central::report::month_ranges(2026, berlin);
    let filter = lgota_central::store::RecordFilter { from_ms: months[0].1, to_ms: months[11].2, ..Default::default() };
    let summary = d.db.monthly_summary(&filter, &months).unwrap();
    let per_month: Vec<(u32, u64)> = summary.iter().map(|s| (s.month, s.checks)).collect();
    assert_eq!(per_month, [(3, 2), (4, 1)]);

    let c = d.signed_in("admin").await;
    let rows = d.xlsx(&c, "/export/summary.xlsx?year=2026", xlsx::SUMMARY_SHEET).await;
    let checks = |month: &str| {
        rows.iter()
            .filter(|r| r[0] == Data::String(month.into()) && r[1] == Data::String("Библиотека-филиал № 1".into()))
            .map(|r| r[2].as_f64().unwrap())
            .sum::<f64>()
    };
    assert_eq!((checks("Февраль 2026"), checks("Март 2026"), checks("Апрель 2026")), (0.0, 2.0, 1.0));

    // Periods are local days: April holds only the record of April 1st, 00:30.
    let (_, page) = d.page(&c, "/records?from=2026-04-01&to=2026-04-30").await;
    assert_eq!(records_total(&page), 1);
    assert!(page.contains("01.04.2026 00:30:00") && page.contains("часовой пояс Europe/Berlin"), "{page}");
    let (_, page) = d.page(&c, "/records?from=2026-03-01&to=2026-03-01").await;
    assert_eq!(records_total(&page), 1);
    let csv = c.get(d.url("/export/records.csv?from=2026-03-01&to=2026-04-30")).send().await.unwrap();
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("\"01.03.2026\";\"00:30:00\"") && csv.contains("\"01.04.2026\";\"00:30:00\""), "{csv}");
    assert!(csv.contains("\"31.03.2026\";\"23:59:00\""), "{csv}");
    let rows = d.xlsx(&c, "/export/records.xlsx?from=2026-04-01&to=2026-04-30", xlsx::RECORDS_SHEET).await;
    let Data::DateTime(date) = &rows[1][0] else { panic!("a date: {:?}", rows[1][0]) };
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    assert_eq!(date.as_f64(), (chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap() - epoch).num_days() as f64);
    let _ = (march, april);
}

/// Varied records over most of a year: branches, methods, outcomes, categories (some none),
/// failure reasons, offline ones, training ones; voids (one arriving before its check, one check
/// voided twice, one void of a training check).
fn varied_records(t0: i64) -> (Vec<lgota_protocol::WireRecord>, Vec<lgota_protocol::WireRecord>) {
    use lgota_protocol::{Method, Outcome};
    let mut records = Vec::new();
    for i in 0..900i64 {
        let mut r = check("dev-1", ["branch-1", "branch-2", "branch-3"][(i % 3) as usize], 0);
        // Every 9 hours and 17 minutes: all hours of the day, across clock changes.
        r.created_at_ms = t0 + i * (9 * 3_600_000 + 17 * 60_000);
        r.method = Some([Method::DigitalId, Method::Paper, Method::SvoQr, Method::None][(i % 4) as usize]);
        r.outcome = Some([Outcome::Confirmed, Outcome::PaperShown, Outcome::NoDocument][(i % 5 % 3) as usize]);
        r.granted = Some(i % 7 != 0);
        r.category_id = [Some("pensioner"), Some("student"), None][(i % 11 % 3) as usize].map(String::from);
        r.failure_reason_id = (i % 6 == 0).then(|| "no_internet".to_string());
        // Two big events, many small ones (more than the overview names), most checks at none.
        r.event_id = match i % 10 {
            0 => Some("event-1".to_string()),
            3 | 7 => Some("event-2".to_string()),
            5 => Some(format!("event-x{}", i % 37)),
            _ => None,
        };
        r.training = i % 13 == 0;
        records.push(r);
    }
    let mut voids: Vec<_> = records.iter().step_by(17).map(void).collect();
    voids.push(void(&records[17]));
    (records, voids)
}

/// The valid checks of a filter, straight from the records, as the definition says.
fn direct_checks<'a>(
    records: &'a [lgota_protocol::WireRecord],
    voided: &'a std::collections::HashSet<String>,
    f: &'a lgota_central::store::RecordFilter,
    offline: &'a dyn Fn(&lgota_protocol::WireRecord) -> bool,
) -> impl Iterator<Item = &'a lgota_protocol::WireRecord> {
    records
        .iter()
        .filter(|r| r.kind == lgota_protocol::RecordKind::Check)
        .filter(|r| r.created_at_ms >= f.from_ms && r.created_at_ms < f.to_ms && !r.training)
        .filter(|r| !voided.contains(&r.id))
        .filter(|r| f.branch_id.as_ref().is_none_or(|b| &r.branch_id == b))
        .filter(|r| f.category_id.as_ref().is_none_or(|c| r.category_id.as_deref().unwrap_or("") == c))
        .filter(|r| f.method.is_none_or(|m| r.method == Some(m)))
        .filter(|r| f.granted.is_none_or(|g| r.granted == Some(g)))
        .filter(|r| f.event_id.as_ref().is_none_or(|e| r.event_id.as_deref().unwrap_or("") == e))
        .filter(|r| f.offline.is_none_or(|o| offline(r) == o))
}

/// The figures counted straight from the records, as the definition says: by event the 15
/// events with the most checks (ties by id), then those at no event.
fn direct(
    records: &[lgota_protocol::WireRecord],
    voided: &std::collections::HashSet<String>,
    f: &lgota_central::store::RecordFilter,
    offline: &dyn Fn(&lgota_protocol::WireRecord) -> bool,
) -> lgota_central::report::Overview {
    let mut events: std::collections::BTreeMap<String, u64> = Default::default();
    for r in direct_checks(records, voided, f, offline) {
        *events.entry(r.event_id.clone().unwrap_or_default()).or_default() += 1;
    }
    let none = if f.event_id.as_deref() == Some("") { None } else { events.remove("") };
    let mut by_event: Vec<(String, u64)> = events.into_iter().collect();
    by_event.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let more_events = by_event.len().saturating_sub(15) as u64;
    by_event.truncate(15);
    by_event.extend(none.map(|n| (String::new(), n)));
    let mut o = lgota_central::report::fold_overview(direct_checks(records, voided, f, offline).map(|r| {
        (
            r.branch_id.clone(),
            r.method.unwrap().as_str().to_string(),
            r.outcome.unwrap().as_str().to_string(),
            r.category_id.clone().unwrap_or_default(),
            r.failure_reason_id.clone(),
            r.granted.unwrap(),
            1,
        )
    }));
    o.by_event = by_event;
    o.more_events = more_events;
    o
}

/// The figures (read from the maintained monthly and daily counts plus the records at a
/// period's ends) equal a direct count, for periods of any length and edges, in two zones.
#[test]
fn the_overview_equals_a_direct_count_of_valid_checks() {
    use chrono::Datelike;
    use lgota_central::http::views::filter::TrendUnit;
    use lgota_central::store::RecordFilter;
    use lgota_protocol::Method;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let db = SqliteDatabase::open(&path).unwrap();
    let t0 = 1_767_225_600_000 - 5 * 3_600_000; // 2025-12-31 19:00 UTC
    let (mut records, mut voids) = varied_records(t0);
    // Records at the trend's edges in both zones: a week's and a month's first local moment
    // and the moment before (after Berlin's spring clock change too); some at an event, one
    // of them voided.
    for tz in [MOSCOW, chrono_tz::Europe::Berlin] {
        for (i, day) in ["2026-03-02", "2026-03-30", "2026-04-01", "2026-06-01", "2026-06-29"].iter().enumerate() {
            let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
            let start = lgota_central::http::views::pages::day_start_ms(tz, day);
            for (j, at) in [start - 1, start].into_iter().enumerate() {
                let mut r = check("dev-1", "branch-2", 0);
                r.created_at_ms = at;
                r.method = Some([Method::DigitalId, Method::Paper][j]);
                r.event_id = (i % 2 == 0).then(|| format!("event-x{i}"));
                records.push(r);
            }
        }
    }
    voids.push(void(&records[records.len() - 3]));
    let received = t0 + 200 * 86_400_000;
    // A void before its check; the rest after; everything twice (duplicates change nothing).
    db.store_records(&voids[3..4], received).unwrap();
    db.store_records(&records, received).unwrap();
    db.store_records(&records[..100], received).unwrap();
    db.store_records(&voids, received).unwrap();
    let offline = |r: &lgota_protocol::WireRecord| received - r.created_at_ms > lgota_central::store::OFFLINE_AFTER_MS;
    let voided: std::collections::HashSet<_> = voids.iter().map(|v| v.target_id.clone().unwrap()).collect();
    let day = 86_400_000;
    let mut filters = Vec::new();
    for tz in [MOSCOW, chrono_tz::Europe::Berlin] {
        for (from, to) in [("2026-01-01", "2026-12-31"), ("2026-03-01", "2026-03-31"), ("2026-03-29", "2026-03-29")] {
            let p = lgota_central::http::views::pages::Period::parse(Some(from), Some(to), tz).unwrap();
            let (from_ms, to_ms) = p.utc_ms(tz);
            filters.push(RecordFilter { from_ms, to_ms, ..Default::default() });
        }
        let months = lgota_central::report::month_ranges(2026, tz);
        let f = RecordFilter { from_ms: months[0].1, to_ms: months[11].2, ..Default::default() };
        let summary = db.monthly_summary(&f, &months).unwrap();
        for (m, from_ms, to_ms) in months {
            let d = direct(&records, &voided, &RecordFilter { from_ms, to_ms, ..Default::default() }, &offline);
            let got: u64 = summary.iter().filter(|s| s.month == m).map(|s| s.checks).sum();
            assert_eq!(got, d.total, "month {m} in {tz}");
        }
    }
    for (from, to) in
        [(t0 - day, t0 + 400 * day), (t0 + 50 * day + 7, t0 + 300 * day + 3_600_000), (t0 + 5, t0 + 9 * 3_600_000)]
    {
        filters.push(RecordFilter { from_ms: from, to_ms: to, ..Default::default() });
    }
    let base = filters.clone();
    for f in &base {
        filters.push(RecordFilter { branch_id: Some("branch-2".into()), ..f.clone() });
        filters.push(RecordFilter { category_id: Some(String::new()), method: Some(Method::Paper), ..f.clone() });
        filters.push(RecordFilter { category_id: Some("student".into()), granted: Some(false), ..f.clone() });
        filters.push(RecordFilter { event_id: Some("event-1".into()), ..f.clone() });
        filters.push(RecordFilter { event_id: Some(String::new()), ..f.clone() });
        filters.push(RecordFilter { event_id: Some("event-x5".into()), method: Some(Method::Paper), ..f.clone() });
        filters.push(RecordFilter { event_id: Some(String::new()), branch_id: Some("branch-1".into()), ..f.clone() });
        filters.push(RecordFilter { offline: Some(false), ..f.clone() });
    }
    let check = |db: &SqliteDatabase| {
        let mut nonzero = 0;
        for f in &filters {
            let d = direct(&records, &voided, f, &offline);
            assert_eq!(db.overview(f).unwrap(), d, "{f:?}");
            assert_eq!(db.check_count(f).unwrap(), d.total, "{f:?}");
            assert_eq!(db.checks_page(f, None, 10_000).unwrap().len() as u64, d.total, "{f:?}");
            nonzero += usize::from(d.total > 0);
            // The overview's newest 20 (each kind read from its time index) are the full
            // export's last 20, newest first.
            let all = db.export_records(f, None).unwrap();
            let mut newest: Vec<_> = all.iter().rev().take(20).cloned().collect();
            newest.sort_by(|a, b| {
                (b.0.record.created_at_ms, &b.0.record.id).cmp(&(a.0.record.created_at_ms, &a.0.record.id))
            });
            assert_eq!(db.export_records(f, Some(20)).unwrap(), newest, "{f:?}");
        }
        assert!(nonzero > filters.len() / 2, "the filters find records");
        // The trend: each week's or month's valid checks (and their Digital ID and paper parts)
        // equal a direct count; the stretches add up to the period's total.
        for tz in [MOSCOW, chrono_tz::Europe::Berlin] {
            for (from, to) in [("2026-01-01", "2026-12-31"), ("2026-02-20", "2026-04-10"), ("2026-03-29", "2026-03-29")]
            {
                let period = lgota_central::http::views::pages::Period::parse(Some(from), Some(to), tz).unwrap();
                let (from_ms, to_ms) = period.utc_ms(tz);
                for unit in [TrendUnit::Week, TrendUnit::Month] {
                    let stretches = lgota_central::http::views::pages::trend_stretches(&period, unit);
                    assert_eq!(stretches.first().unwrap().from, period.from);
                    assert_eq!(stretches.last().unwrap().to, period.to);
                    let bounds: Vec<(i64, i64)> = stretches.iter().map(|p| p.utc_ms(tz)).collect();
                    for f in [
                        RecordFilter { from_ms, to_ms, ..Default::default() },
                        RecordFilter { from_ms, to_ms, branch_id: Some("branch-2".into()), ..Default::default() },
                        RecordFilter { from_ms, to_ms, event_id: Some(String::new()), ..Default::default() },
                        RecordFilter { from_ms, to_ms, event_id: Some("event-2".into()), ..Default::default() },
                        RecordFilter { from_ms, to_ms, method: Some(Method::Paper), ..Default::default() },
                    ] {
                        let trend = db.trend(&f, &bounds).unwrap();
                        assert_eq!(trend.len(), stretches.len());
                        for (i, (p, t)) in stretches.iter().zip(&trend).enumerate() {
                            if unit == TrendUnit::Week && i > 0 {
                                assert_eq!(p.from.weekday(), chrono::Weekday::Mon, "weeks start on Monday");
                            }
                            let (a, b) = p.utc_ms(tz);
                            let stretch = RecordFilter { from_ms: a, to_ms: b, ..f.clone() };
                            let checks: Vec<_> = direct_checks(&records, &voided, &stretch, &offline).collect();
                            let method = |m| checks.iter().filter(|r| r.method == Some(m)).count() as u64;
                            let expected = lgota_central::report::TrendCounts {
                                checks: checks.len() as u64,
                                digital_id: method(Method::DigitalId),
                                paper: method(Method::Paper),
                            };
                            assert_eq!(t, &expected, "{p:?} in {tz}, {f:?}");
                        }
                        let sum: u64 = trend.iter().map(|t| t.checks).sum();
                        assert_eq!(sum, db.overview(&f).unwrap().total, "{from}..{to} {unit:?} in {tz}");
                    }
                }
            }
        }
    };
    check(&db);

    // A branch head with the records grant, to come through migration 012 below.
    db.add_branches(&[("branch-1".into(), "Первый".into())]).unwrap();
    let head = lgota_central::store::Admin {
        login: "head1".into(),
        password_hash: "x".into(),
        role: lgota_central::store::Role::BranchHead("branch-1".into()),
        disabled: false,
        records: false,
    };
    db.put_admin(&head, 1).unwrap();
    db.set_records_access("head1", true).unwrap();

    // The migration's count of records stored before it: the same figures.
    drop(db);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        // Migrations 013 and 012 undone first: the append-only triggers as 001 and 003 made them,
        // no retention tables, the admins table as 002 made it.
        "DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;
         CREATE TRIGGER records_no_update BEFORE UPDATE ON records BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
         CREATE TRIGGER records_no_delete BEFORE DELETE ON records BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
         DROP TRIGGER record_conflicts_no_update; DROP TRIGGER record_conflicts_no_delete;
         DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
         CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
         CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
         DROP TABLE retention_pass; DROP TABLE redactions; DROP TABLE purged_years;
         CREATE TABLE admins_kept AS SELECT login, password_hash, role, branch_id, created_at FROM admins;
         DROP TABLE admins;
         CREATE TABLE admins (login TEXT PRIMARY KEY, password_hash TEXT NOT NULL,
             role TEXT NOT NULL CHECK (role IN ('admin', 'branch_head')), branch_id TEXT REFERENCES branches (id),
             created_at INTEGER NOT NULL,
             CHECK ((role = 'admin' AND branch_id IS NULL) OR (role = 'branch_head' AND branch_id IS NOT NULL))) STRICT;
         INSERT INTO admins SELECT * FROM admins_kept; DROP TABLE admins_kept;
         DROP TRIGGER IF EXISTS records_count_event_check; DROP TRIGGER records_count_event_void; DROP TABLE event_counts;
         DROP TRIGGER IF EXISTS records_count_check; DROP TRIGGER records_count_void; DROP TABLE check_counts;
         DROP INDEX records_check_time; DROP INDEX records_void_time; DROP TABLE phone_events;
         ALTER TABLE enrollment_codes DROP COLUMN issuer_role; ALTER TABLE enrollment_codes DROP COLUMN issued_by;
         ALTER TABLE enrollment_codes DROP COLUMN secret_sha256;
         CREATE INDEX records_check_created ON records (created_at_ms, branch_id) WHERE kind = 'check';
         DROP TABLE server_identity; DROP TABLE record_conflicts; DROP INDEX records_clock_off;
         ALTER TABLE records DROP COLUMN clock_off; ALTER TABLE devices DROP COLUMN clock_skew_ms; DROP TABLE backups;
         DROP TABLE app_releases;
         DROP TABLE training_results;
         ALTER TABLE devices DROP COLUMN report; DROP TABLE sign_in_backoff;
         ALTER TABLE devices DROP COLUMN signing_key; ALTER TABLE devices DROP COLUMN signing_key_at;
         CREATE INDEX records_branch_created ON records (branch_id, created_at_ms);
         CREATE INDEX records_device ON records (device_id);
         PRAGMA user_version = 3;",
    )
    .unwrap();
    drop(conn);
    let db = SqliteDatabase::open(&path).unwrap();
    check(&db);
    // The users came through 012: roles kept, no records grant, the grant column there.
    let head = db.admin("head1").unwrap().unwrap();
    assert!(head.role.branch() == Some("branch-1") && !head.records);
}

/// The part of a page from `<section id="{id}"` to its end.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<section id=\"{id}\"")).unwrap_or_else(|| panic!("a section {id}"));
    let end = page[start..].find("</section>").unwrap() + start;
    &page[start..end]
}

/// Every column and count of the trend and every event of the overview lead to as many records
/// as they show, for an administrator and a branch head, by week and by month; checks at no
/// event have their own figure and filter; a phone's own event is named as such.
#[tokio::test]
async fn the_trend_and_the_events_lead_to_their_records() {
    use chrono::TimeZone;
    let d = start_dash(false).await;
    let published =
        service::events::add(d.db.as_ref(), &Actor::cli(), "branch-1", "Лекция о льготах", "2026-03-10").unwrap();
    let at = |s: &str| {
        let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        MOSCOW.from_local_datetime(&local).single().unwrap().timestamp_millis()
    };
    let mut records = Vec::new();
    // Sunday 23:59:59 and Monday 00:00 (Moscow) of the week of 2026-03-09; month edges too.
    for (i, when) in [
        "2026-02-02 10:00:00",
        "2026-02-28 23:59:59",
        "2026-03-01 00:00:00",
        "2026-03-08 23:59:59",
        "2026-03-09 00:00:00",
        "2026-03-10 12:00:00",
        "2026-03-10 12:05:00",
        "2026-03-10 12:10:00",
        "2026-04-15 09:00:00",
        "2026-04-30 23:59:59",
    ]
    .iter()
    .enumerate()
    {
        let mut r = check("dev-1", ["branch-1", "branch-2"][i % 2], 0);
        r.created_at_ms = at(when);
        r.method = Some([Method::DigitalId, Method::Paper, Method::SvoQr][i % 3]);
        r.event_id = match i % 4 {
            0 => Some(published.id.clone()),
            1 => Some("phone-own-event".to_string()),
            _ => None,
        };
        records.push(r);
    }
    let mut training = check("dev-1", "branch-1", 0);
    training.created_at_ms = at("2026-03-10 12:00:00");
    training.training = true;
    training.event_id = Some(published.id.clone());
    records.push(training);
    records.push(void(&records[5]));
    d.db.store_records(&records, now_ms()).unwrap();

    for login in ["admin", "head1"] {
        let c = d.signed_in(login).await;
        for (query, unit, columns) in [
            ("from=2026-02-01&to=2026-04-30", "week", 14),
            ("from=2026-02-01&to=2026-04-30&trend=month", "month", 3),
            ("from=2026-01-01&to=2026-12-31", "month", 12),
            ("from=2026-01-01&to=2026-12-31&trend=week", "week", 53),
        ] {
            let (status, page) = d.page(&c, &format!("/?{query}")).await;
            assert_eq!(status, 200, "{query}");
            let trend = section(&page, "trend");
            assert!(trend.contains(&format!("data-unit=\"{unit}\"")), "{query}");
            assert_eq!(trend.matches("<tr data-from=").count(), columns, "{query}");
            let total = {
                let at = page.find("data-figure=\"total\">").unwrap() + "data-figure=\"total\">".len();
                page[at..at + page[at..].find('<').unwrap()].parse::<u64>().unwrap()
            };
            let events = section(&page, "by-event");
            for id in ["trend", "by-event"] {
                let links = record_links(section(&page, id));
                assert!(!links.is_empty(), "{login} {query}: links of {id}");
                let mut shown = 0;
                for (href, figure) in &links {
                    let (status, records) = d.page(&c, href).await;
                    assert_eq!(status, 200, "{href}");
                    assert_eq!(Some(records_total(&records)), *figure, "{login} {query}: {href}");
                    if login == "head1" {
                        assert!(!records.contains("Библиотека-филиал № 2</td>"), "{href}");
                    }
                    if id == "by-event" && href.contains("event=") {
                        shown += figure.unwrap();
                    }
                }
                if id == "by-event" {
                    // Bars and table rows: each figure twice.
                    assert_eq!(shown, 2 * total, "{login} {query}: the events' figures add up to the total");
                }
            }
            assert!(events.contains("Лекция о льготах, 10.03.2026"), "{events}");
            // Branch 2's phone made its own event.
            assert_eq!(events.contains("Своё мероприятие телефона (phone-own-event)"), login == "admin", "{events}");
            assert!(events.contains("Без мероприятия"), "{events}");
            assert!(page.contains("<option value=\"(none)\">Без мероприятия</option>"));
        }
        // The stretches at the week's edge: Sunday's second and Monday's first moment apart.
        let (_, page) = d.page(&c, "/?from=2026-03-02&to=2026-03-15").await;
        let weeks: Vec<&str> = section(&page, "trend").split("<tr data-from=\"").skip(1).collect();
        assert!(weeks[0].starts_with("2026-03-02\" data-to=\"2026-03-08\""), "{}", weeks[0]);
        assert!(weeks[1].starts_with("2026-03-09\" data-to=\"2026-03-15\""), "{}", weeks[1]);
    }
    // Checks at no event, as the records page filters them.
    let c = d.signed_in("admin").await;
    let (_, page) = d.page(&c, "/records?from=2026-02-01&to=2026-04-30&event=(none)").await;
    assert_eq!(records_total(&page), 4);
    let (_, page) = d.page(&c, "/records?from=2026-03-09&to=2026-03-15&event=(none)").await;
    assert_eq!(records_total(&page), 2, "03-09 00:00 is at the published event, 03-10 12:00 voided");
    let (status, page) = d.page(&c, "/?trend=day").await;
    assert_eq!(status, 400);
    assert!(page.contains("по неделям (week) или по месяцам (month)"));
}

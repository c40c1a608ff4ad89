//! Who sees what (issue 16, least privilege), over a real server and a real SQLite file: every
//! route of the router × {administrator, branch head without the records grant, branch head with
//! it, totals only (observer), nobody signed in} → the expected status; a refused answer carries
//! nothing of a record (id, staff label, note); the navigation shows only what the role may open;
//! the grant is given and taken back on «Пользователи» and by the command line's operation, and
//! audited. The table must name every route the sources declare.

mod common;

use std::sync::Arc;

use common::{check, protocol_client};
use lgota_central::service::{self, Actor};
use lgota_central::store::{prelude::*, CodeIssuer, RedactField, Role, SqliteDatabase};

const PASSWORD: &str = "верный пароль 123";
/// What a record carries that no refused answer may show.
const STAFF: &str = "Сотрудник-Икс";
const NOTE: &str = "пометка ZQXW для проверки";

struct Site {
    base: String,
    db: Arc<SqliteDatabase>,
    _dir: tempfile::TempDir,
    record_id: String,
    event_id: String,
    device_id: String,
}

async fn start() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut dashboard = lgota_central::http::Dashboard::new(false, lgota_central::settings::DEFAULT_TIMEZONE);
    dashboard.public_url = base.clone();
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    let d = db.as_ref();
    service::admins::add_admin(d, "admin", "admin", None, PASSWORD).unwrap();
    service::admins::add_admin(d, "head", "branch_head", Some("branch-1"), PASSWORD).unwrap();
    service::admins::add_admin(d, "headrec", "branch_head", Some("branch-1"), PASSWORD).unwrap();
    service::admins::add_admin(d, "observer", "observer", None, PASSWORD).unwrap();
    let cli = Actor::new("cli:test", Role::Admin);
    assert!(service::admins::change(d, &cli, "headrec", service::admins::Change::GrantRecords, false).unwrap());

    // A phone of branch-1 with two records; an event; an act of destruction of the second.
    let code = service::devices::issue_code(d, "branch-1", &CodeIssuer::admin("admin"), 60, &base).unwrap().code;
    let device_id = "0190a0a0-0000-7000-8000-0000000000d1".to_string();
    let phone = protocol_client();
    let r = phone
        .post(format!("{base}/api/v1/enroll"))
        .json(&serde_json::json!({"code": code, "device_id": device_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["device_token"].as_str().unwrap().to_string();
    let mut a = check(&device_id, "branch-1", 60_000);
    a.staff_label = STAFF.into();
    a.note = Some(NOTE.into());
    let mut b = check(&device_id, "branch-1", 50_000);
    b.note = Some("вторая пометка".into());
    let body = serde_json::to_vec(&serde_json::json!({ "records": [a, b] })).unwrap();
    let r = phone
        .post(format!("{base}/api/v1/records"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    service::retention::redact(d, &cli, &b.id, RedactField::Note, "проверка доступа", "admin").unwrap();
    let date = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    let event = service::events::add(d, &cli, "branch-1", "Вечер поэзии", &date).unwrap();
    Site { base, db, _dir: dir, record_id: a.id, event_id: event.id, device_id }
}

/// The roles, in the order of the table's columns.
const ROLES: [&str; 5] = ["admin", "head", "headrec", "observer", "anon"];

struct Browser {
    client: reqwest::Client,
    csrf: String,
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn browser(&self, login: &str) -> Browser {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        if login == "anon" {
            return Browser { client, csrf: "x".repeat(43) };
        }
        let r = client.post(self.url("/login")).form(&[("login", login), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "sign-in of {login}");
        let page = client.get(self.url("/")).send().await.unwrap().text().await.unwrap();
        Browser { client, csrf: csrf_of(&page) }
    }
}

/// How a route is asked.
enum Ask {
    Get,
    Form(&'static [(&'static str, &'static str)]),
    Multipart,
}

/// A route, how it is asked and the status each of [`ROLES`] gets.
struct Case {
    path: String,
    ask: Ask,
    expect: [u16; 5],
}

fn case(path: impl Into<String>, ask: Ask, expect: [u16; 5]) -> Case {
    Case { path: path.into(), ask, expect }
}

/// Every route the sources declare: `.route("/…"` in `src/http/*.rs` (the phones' API by its
/// `paths::` constants).
fn declared_routes() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for piece in text.split(".route(").skip(1) {
            if let Some(rest) = piece.strip_prefix('"') {
                out.push(rest[..rest.find('"').unwrap()].to_string());
            } else if let Some(rest) = piece.strip_prefix("paths::") {
                let name = &rest[..rest.find(|c: char| !c.is_ascii_uppercase() && c != '_').unwrap()];
                out.push(format!("paths::{name}"));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn every_route_answers_each_role_as_least_privilege_says() {
    let site = start().await;
    let (rec, event, device) = (site.record_id.clone(), site.event_id.clone(), site.device_id.clone());
    const OK: [u16; 5] = [200, 200, 200, 200, 303];
    const RECORDS: [u16; 5] = [200, 403, 200, 403, 303];
    const MANAGERS: [u16; 5] = [200, 200, 200, 403, 303];
    const ADMINS: [u16; 5] = [200, 403, 403, 403, 303];
    let cases = vec![
        case("/", Ask::Get, OK),
        case("/login", Ask::Get, [200, 200, 200, 200, 200]),
        case("/admin/api/overview", Ask::Get, [200, 200, 200, 200, 401]),
        case("/export/summary.xlsx", Ask::Get, OK),
        case("/records", Ask::Get, RECORDS),
        case("/records?branch=branch-1&from=2020-01-01&to=2029-12-31", Ask::Get, RECORDS),
        case("/export/records.csv", Ask::Get, RECORDS),
        case("/export/records.xlsx", Ask::Get, RECORDS),
        case("/events", Ask::Get, MANAGERS),
        case(format!("/events/poster?id={event}"), Ask::Get, MANAGERS),
        case("/devices", Ask::Get, MANAGERS),
        case("/branches", Ask::Get, ADMINS),
        case("/reference", Ask::Get, ADMINS),
        case("/content", Ask::Get, ADMINS),
        case("/import", Ask::Get, ADMINS),
        case("/discrepancies", Ask::Get, ADMINS),
        case("/audit", Ask::Get, ADMINS),
        case("/users", Ask::Get, ADMINS),
        case(format!("/records/redact?id={rec}"), Ask::Get, ADMINS),
        case("/records/act?seq=1", Ask::Get, ADMINS),
        case("/app", Ask::Get, ADMINS),
        case("/materials", Ask::Get, OK),
        case("/materials/notice", Ask::Get, OK),
        case("/materials/memo", Ask::Get, OK),
        case("/training", Ask::Get, MANAGERS),
        case("/training/sheet?branch=branch-1", Ask::Get, MANAGERS),
        // Public: the app's download page and file (nothing uploaded: 404 to everyone alike).
        case("/app/download", Ask::Get, [404; 5]),
        case("/app/lgota.apk", Ask::Get, [404; 5]),
        // The server's metrics: this machine's (the test's client is on 127.0.0.1), no session needed.
        case("/metrics", Ask::Get, [200; 5]),
        // Changes: a manager's form (a mistake in it is a 400 page), an administrator's (400 for
        // the empty form), each refused to others before anything is looked at.
        case("/events", Ask::Form(&[("branch", "branch-1"), ("title", ""), ("date", "")]), [400, 400, 400, 403, 303]),
        case("/devices/enroll", Ask::Form(&[("branch", "branch-1"), ("ttl", "60")]), MANAGERS),
        case("/devices/revoke", Ask::Form(&[("id", "")]), [404, 404, 404, 403, 303]),
        case("/branches", Ask::Form(&[("id", ""), ("name", "")]), [400, 403, 403, 403, 303]),
        case("/reference/category", Ask::Form(&[("id", ""), ("name", "")]), [400, 403, 403, 403, 303]),
        case("/reference/item", Ask::Form(&[("list", ""), ("id", ""), ("name", "")]), [400, 403, 403, 403, 303]),
        case("/content/publish", Ask::Form(&[("id", "")]), [400, 403, 403, 403, 303]),
        case("/content", Ask::Multipart, [400, 403, 403, 403, 303]),
        case("/import", Ask::Multipart, [422, 403, 403, 403, 303]),
        case("/app", Ask::Multipart, [400, 403, 403, 403, 303]),
        case("/users", Ask::Form(&[("login", "head"), ("action", "nonsense")]), [400, 403, 403, 403, 303]),
        case("/records/redact", Ask::Form(&[("id", "")]), [404, 403, 403, 403, 303]),
        // The phones' API is no dashboard user's: a session opens none of it.
        case("/health", Ask::Get, [200; 5]),
        case("/api/v1/reference", Ask::Get, [400; 5]),
        case("/api/v1/records", Ask::Form(&[]), [400; 5]),
        case("/api/v1/enroll", Ask::Form(&[]), [400; 5]),
        case("/api/v1/training", Ask::Form(&[]), [400; 5]),
        // Public: the CA certificate phones pin (none configured here).
        case("/api/v1/ca.der", Ask::Get, [404; 5]),
    ];
    // The table names every declared route (`/logout` is asked last, below).
    let mut named: Vec<String> = cases.iter().map(|c| c.path.split('?').next().unwrap().to_string()).collect();
    named.push("/logout".into());
    for route in declared_routes() {
        let path = match route.as_str() {
            "paths::RECORDS" => "/api/v1/records".to_string(),
            "paths::REFERENCE" => "/api/v1/reference".to_string(),
            "paths::ENROLL" => "/api/v1/enroll".to_string(),
            "paths::HEALTH" => "/health".to_string(),
            "paths::TRAINING" => "/api/v1/training".to_string(),
            "paths::CA_CERTIFICATE" => "/api/v1/ca.der".to_string(),
            p => p.to_string(),
        };
        assert!(named.contains(&path), "no case for {route}");
    }

    let mut browsers = Vec::new();
    for role in ROLES {
        browsers.push(site.browser(role).await);
    }
    let mut wrong = Vec::new();
    for c in &cases {
        for (i, role) in ROLES.iter().enumerate() {
            let b = &browsers[i];
            let request = match &c.ask {
                Ask::Get => b.client.get(site.url(&c.path)),
                Ask::Form(fields) => {
                    let mut form: Vec<(&str, &str)> = vec![("csrf", &b.csrf)];
                    form.extend_from_slice(fields);
                    b.client.post(site.url(&c.path)).form(&form)
                }
                Ask::Multipart => b.client.post(site.url(&c.path)).multipart(
                    reqwest::multipart::Form::new()
                        .text("csrf", b.csrf.clone())
                        .part("file", reqwest::multipart::Part::bytes(b"{}".to_vec()).file_name("x.json")),
                ),
            };
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            if status != c.expect[i] {
                wrong.push(format!("{} {} as {role}: {status}, expected {}", method(&c.ask), c.path, c.expect[i]));
            }
            // A refusal (and anything answered to nobody signed in) shows nothing of a record.
            if [401, 403].contains(&status) || *role == "anon" {
                for secret in [STAFF, NOTE, rec.as_str(), device.as_str()] {
                    assert!(!body.contains(secret), "{} as {role} ({status}) shows «{secret}»", c.path);
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (i, role) in ROLES.iter().enumerate() {
        let b = &browsers[i];
        let r = b.client.post(site.url("/logout")).form(&[("csrf", b.csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303, "/logout as {role}");
    }
}

fn method(ask: &Ask) -> &'static str {
    match ask {
        Ask::Get => "GET",
        _ => "POST",
    }
}

#[tokio::test]
async fn totals_only_pages_show_figures_and_no_record_no_link_to_records_and_no_page_the_role_cannot_open() {
    let site = start().await;
    for (role, records) in [("admin", true), ("head", false), ("headrec", true), ("observer", false)] {
        let b = site.browser(role).await;
        let page = b.client.get(site.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("data-figure=\"total\">2<"), "{role} sees the figures");
        assert_eq!(page.contains(STAFF), records, "{role}: the staff label");
        assert_eq!(page.contains("href=\"/records"), records, "{role}: links to records");
        assert_eq!(page.contains("/export/records"), records, "{role}: exports of records");
        assert!(page.contains("/export/summary.xlsx"), "{role}: the monthly summary");
        assert_eq!(page.contains("id=\"totals-only\""), !records, "{role}: says why");
        // Every link of the navigation opens.
        let nav = &page[page.find("<nav").unwrap()..page.find("</nav>").unwrap()];
        let links: Vec<&str> = nav.split("href=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
        assert!(!links.is_empty());
        for link in &links {
            let r = b.client.get(site.url(link)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{role}: the navigation's {link}");
        }
        let expected_nav = match role {
            "admin" => 14,
            "headrec" => 6,
            "head" => 5,
            _ => 2,
        };
        assert_eq!(links.len(), expected_nav, "{role}: {links:?}");
        // The JSON of the figures is totals: no record in it.
        let json = b.client.get(site.url("/admin/api/overview")).send().await.unwrap().text().await.unwrap();
        assert!(json.contains("\"total\":2") && !json.contains(STAFF) && !json.contains(&site.record_id), "{json}");
    }
}

#[tokio::test]
async fn the_records_grant_is_given_and_taken_on_the_users_page_audited_and_applies_at_the_next_request() {
    let site = start().await;
    let head = site.browser("head").await;
    assert_eq!(head.client.get(site.url("/records")).send().await.unwrap().status(), 403);
    let admin = site.browser("admin").await;
    let users = admin.client.get(site.url("/users")).send().await.unwrap().text().await.unwrap();
    assert!(users.contains("data-records=\"totals\""), "the head's state shown");
    assert!(users.contains("только итоги") && users.contains("Открыть доступ к записям"));
    let post = |action: &'static str| {
        admin.client.post(site.url("/users")).form(&[
            ("csrf", admin.csrf.as_str()),
            ("login", "head"),
            ("action", action),
        ])
    };
    let r = post("records-on").send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/users?done=records-on"));
    // The head's own session sees the records at once (the user is read at every request).
    let page = head.client.get(site.url("/records")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(STAFF));
    assert!(site.db.admin("head").unwrap().unwrap().records);
    // Without the CSRF token nothing changes.
    let r = admin
        .client
        .post(site.url("/users"))
        .form(&[("login", "head"), ("action", "records-off")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(site.db.admin("head").unwrap().unwrap().records);
    assert_eq!(post("records-off").send().await.unwrap().status(), 303);
    assert_eq!(head.client.get(site.url("/records")).send().await.unwrap().status(), 403);
    // Only a branch head has a grant to give.
    let r = admin
        .client
        .post(site.url("/users"))
        .form(&[("csrf", admin.csrf.as_str()), ("login", "observer"), ("action", "records-on")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("не заведующий филиалом"));
    let audit: Vec<(String, String)> =
        site.db.audit_log(None, 100).unwrap().into_iter().map(|e| (e.login, e.action)).collect();
    assert!(audit.contains(&("admin".into(), "admin.records_grant".into())), "{audit:?}");
    assert!(audit.contains(&("admin".into(), "admin.records_revoke".into())));
    // A new role or branch loses the grant (least privilege).
    let cli = Actor::new("cli:test", Role::Admin);
    service::admins::change(site.db.as_ref(), &cli, "head", service::admins::Change::GrantRecords, false).unwrap();
    service::admins::put(site.db.as_ref(), &cli, "head", "branch_head", Some("branch-2"), PASSWORD).unwrap();
    assert!(!site.db.admin("head").unwrap().unwrap().records);
    // An observer refuses a branch.
    let e = service::admins::add_admin(site.db.as_ref(), "o2", "observer", Some("branch-1"), PASSWORD).unwrap_err();
    assert!(e.message.contains("уберите --branch"), "{}", e.message);
}

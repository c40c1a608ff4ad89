//! Every GET page of the dashboard, signed in as an administrator and as a branch head, with
//! each known query parameter set to hostile values (huge and negative numbers, far dates,
//! impossible dates, empty, repeated keys, very long strings, NUL and control characters,
//! percent-escapes that are not UTF-8, SQL-ish text): never a 5xx, and the server still answers.
//! A fixed table, so every run sends the same requests.

use std::sync::Arc;

use lgota_central::service;
use lgota_central::store::{prelude::*, SqliteDatabase};

const PASSWORD: &str = "верный пароль 123";

const PAGES: &[&str] = &[
    "/",
    "/records",
    "/export/records.csv",
    "/export/records.xlsx",
    "/export/summary.xlsx",
    "/admin/api/overview",
    "/branches",
    "/reference",
    "/events",
    "/events/poster",
    "/devices",
    "/content",
    "/import",
    "/audit",
    "/discrepancies",
    "/users",
    "/materials",
    "/materials/notice",
    "/materials/memo",
    "/training",
    "/training/sheet",
];

/// Every query parameter a dashboard page reads.
const PARAMS: &[&str] = &[
    "from", "to", "branch", "category", "event", "method", "outcome", "reason", "granted", "offline", "before",
    "trend", "next", "year", "id", "done",
];

/// Hostile values, as they stand in a query string (percent-escapes are sent as they are).
fn values() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        "+262142-12-31",
        "%2B262142-12-31",
        "-262143-01-01",
        "9999-99-99",
        "31.12.9999",
        "00.00.0000",
        "1999-12-31",
        "99999999999999999999999",
        "9223372036854775807",
        "-9223372036854775808",
        "-1",
        "0",
        "1e400",
        "NaN",
        "9223372036854775807.x",
        "-9223372036854775808.",
        ".",
        "%00",
        "a%00b",
        "%01%07%08%1b%5b31m%7f",
        "%0d%0aSet-Cookie:%20x=1",
        "%ff%fe%fd",
        "%C0%AF",
        "%E2%82",
        "%",
        "%zz",
        "'%20OR%201=1--",
        "1;DROP%20TABLE%20records;--",
        "%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
        "..%2F..%2Fetc%2Fpasswd",
        "week",
        "month",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(10_000));
    v.push("%D0%AF".repeat(2_000));
    v.push("9".repeat(400));
    v
}

async fn start() -> (String, Arc<SqliteDatabase>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    service::admins::add_admin(db.as_ref(), "admin", "admin", None, PASSWORD).unwrap();
    service::admins::add_admin(db.as_ref(), "head1", "branch_head", Some("branch-1"), PASSWORD).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dashboard = lgota_central::http::Dashboard::new(false, lgota_central::settings::DEFAULT_TIMEZONE);
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    (base, db, dir)
}

async fn signed_in(base: &str, login: &str) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let r = c.post(format!("{base}/login")).form(&[("login", login), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 303, "sign-in of {login}");
    c
}

#[tokio::test]
async fn hostile_query_parameters_never_get_a_server_error() {
    let (base, _db, _dir) = start().await;
    let values = values();
    for login in ["admin", "head1"] {
        let c = signed_in(&base, login).await;
        let mut failures = Vec::new();
        for page in PAGES {
            let mut queries: Vec<String> = Vec::new();
            for param in PARAMS {
                queries.extend(values.iter().map(|v| format!("{param}={v}")));
                queries.push(format!("{param}=1&{param}=2"));
                queries.push(format!("{param}=2026-01-01&{param}=%2B262142-12-31"));
                queries.push(param.to_string());
            }
            // Both ends of the period at once (one far end alone is a period too long).
            queries.extend(values.iter().map(|v| format!("from={v}&to={v}")));
            queries.push("from=2026-01-01&to=2026-01-01&from=2026-02-01".into());
            queries.push("&&&==&=x&%=%".into());
            for query in queries {
                let url = format!("{base}{page}?{query}");
                let status = c.get(&url).send().await.unwrap().status().as_u16();
                if status >= 500 {
                    failures.push(format!("{status} {login} {}", url.chars().take(160).collect::<String>()));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} server errors, e.g.:\n{}",
            failures.len(),
            failures[..failures.len().min(20)].join("\n")
        );
    }

    // The crafted date of the report answers a Russian 400, and the server still answers.
    let c = signed_in(&base, "admin").await;
    for url in [
        "/?from=+262142-12-31",
        "/?from=%2B262142-12-31&to=%2B262142-12-31",
        "/records?from=31.12.9999&to=31.12.9999",
        "/?from=31.12.1999",
    ] {
        let r = c.get(format!("{base}{url}")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{url}");
        let page = r.text().await.unwrap();
        assert!(page.contains("периода должна быть"), "{url}: {page}");
    }
    assert_eq!(c.get(format!("{base}/")).send().await.unwrap().status(), 200);
    assert_eq!(c.get(format!("{base}/login")).send().await.unwrap().status(), 200);
}

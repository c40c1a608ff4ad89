//! `/metrics` (issue 14) on a real server: what pushes did shows in the counters (stored,
//! duplicates, refused by code), the push histogram and the routes by status; served to the
//! machine itself or with the token, refused to anyone a proxy forwards and to a wrong token.

mod common;

use std::sync::Arc;

use lgota_central::http::Dashboard;
use lgota_central::service;
use lgota_central::store::{prelude::*, SqliteDatabase};

/// The value of the sample `name{labels}` (labels exactly as printed), 0 if absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

async fn metrics(client: &reqwest::Client, base: &str) -> String {
    let r = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    r.text().await.unwrap()
}

#[tokio::test]
async fn pushes_show_in_the_counters_and_the_page_is_for_this_machine_only() {
    let server = common::start().await;
    let token = server.enroll("dev-m", common::BRANCH).await;
    // The first scrape starts the records' count and waits a second for it; on a machine too
    // busy for that, a later scrape has it.
    let mut before = metrics(&server.client, &server.base).await;
    for _ in 0..50 {
        if before.contains("\nlgota_records_in_database ") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        before = metrics(&server.client, &server.base).await;
    }

    let a = common::check("dev-m", common::BRANCH, 1000);
    let b = common::check("dev-m", common::BRANCH, 1000);
    let mut tabbed = common::check("dev-m", common::BRANCH, 1000);
    tabbed.id = "не-номер".into();
    assert_eq!(server.push(&token, &[a.clone(), b, tabbed]).await.status(), 200);
    assert_eq!(server.push(&token, &[a]).await.status(), 200);
    let after = metrics(&server.client, &server.base).await;

    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    // Other tests in this process count too: compare with what this test did, at least.
    assert!(delta("lgota_records_total{result=\"stored\",code=\"\"}") >= 2.0, "{after}");
    assert!(delta("lgota_records_total{result=\"duplicate\",code=\"\"}") >= 1.0, "{after}");
    assert!(delta("lgota_records_total{result=\"refused\",code=\"invalid_record\"}") >= 1.0, "{after}");
    assert!(delta("lgota_push_duration_seconds_count") >= 2.0, "{after}");
    assert!(delta("lgota_http_requests_total{route=\"/api/v1/records\",status=\"200\"}") >= 2.0, "{after}");
    assert!(delta("lgota_http_requests_total{route=\"/metrics\",status=\"200\"}") >= 1.0, "{after}");
    assert!(sample(&after, "lgota_db_pool_wait_seconds_count{pool=\"write\"}") > 0.0, "{after}");
    assert!(sample(&after, "lgota_db_pool_wait_seconds_count{pool=\"read\"}") > 0.0, "{after}");
    // Counted at the first scrape (none stored then), not again for every scrape: a count reads
    // the whole table.
    assert!(before.contains("\nlgota_records_in_database 0\n"), "{before}");
    assert!(after.contains("\nlgota_records_in_database 0\n") && server.count() == 2, "{after}");
    assert_eq!(sample(&after, "lgota_last_backup_timestamp_seconds"), 0.0, "no backup yet");
    // A path with an id counts under its pattern; an unknown path as «unmatched».
    let _ = server.client.get(server.url("/nothing/here/123")).send().await.unwrap();
    let text = metrics(&server.client, &server.base).await;
    assert!(text.contains("lgota_http_requests_total{route=\"unmatched\",status=\"404\"}"), "{text}");
    assert!(!text.contains("/nothing/here"), "no raw paths in the labels");
    assert!(!text.contains("dev-m") && !text.contains("Иванова"), "no device ids or staff labels");

    // Through a proxy on this machine the peer is loopback, but the request is someone else's.
    let r = server.client.get(server.url("/metrics")).header("x-forwarded-for", "203.0.113.9").send().await.unwrap();
    common::expect_error(r, 403, "forbidden").await;
}

#[tokio::test]
async fn a_scraper_elsewhere_needs_the_token_and_the_last_backup_shows() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("c.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    service::backup::backup(db.as_ref(), &service::Actor::cli(), &dir.path().join("copy.db"), false).unwrap();
    let mut dashboard = Dashboard::new(false, chrono_tz::Europe::Moscow);
    dashboard.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let token = "0123456789abcdef0123456789abcdef";
    dashboard.metrics_token_sha256 = Some(lgota_central::secrets::sha256_hex(token));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server_db: Arc<dyn Database> = db.clone();
    let state = lgota_central::AppState::with_dashboard(server_db, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));

    // Through the trusted proxy the client is 203.0.113.9: not this machine.
    let remote = |auth: Option<&str>| {
        let mut r = reqwest::Client::new().get(format!("{base}/metrics")).header("x-forwarded-for", "203.0.113.9");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send()
    };
    common::expect_error(remote(None).await.unwrap(), 403, "forbidden").await;
    common::expect_error(remote(Some("Bearer wrong-token-wrong-token-wrong")).await.unwrap(), 403, "forbidden").await;
    let r = remote(Some(&format!("Bearer {token}"))).await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let last = db.last_backup().unwrap().unwrap().at_ms as f64 / 1000.0;
    assert_eq!(sample(&text, "lgota_last_backup_timestamp_seconds"), last, "{text}");
}

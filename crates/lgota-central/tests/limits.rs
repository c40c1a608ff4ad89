//! Bounded load on a real server (127.0.0.1:0): a concurrency limit that answers `503 busy` with
//! `Retry-After` at once, a request deadline, a header-read timeout — and the phone's client and
//! sync engine that leave a busy server alone at least as long as it asked.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lgota_central::http::limits::Limits;
use lgota_central::store::{prelude::*, SqliteDatabase};
use lgota_central::{service, AppState};
use lgota_core::sync::{retry_delay, SyncError, Transport, TransportError};
use lgota_protocol::{EnrollRequest, EnrollResponse, PushRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn start(limits: Limits) -> (String, Arc<SqliteDatabase>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server_db: Arc<dyn Database> = db.clone();
    let state = AppState::with_cookie_secure(server_db, false).with_limits(limits);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    (base, db, dir)
}

/// One request at a time per surface, a 3 s deadline, `Retry-After: 5`.
fn one_at_a_time() -> Limits {
    Limits {
        max_concurrent_requests: 1,
        request_timeout: Duration::from_secs(3),
        header_read_timeout: Duration::from_millis(300),
        retry_after: Duration::from_secs(5),
    }
}

/// A push whose body never finishes arriving: it holds its permit until the request deadline.
async fn slow_push(base: &str, token: &str) -> tokio::net::TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/records HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nX-Lgota-Protocol: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"records\": [",
        lgota_protocol::PROTOCOL_VERSION
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_request_over_the_limit_is_told_to_come_back_later() {
    let limits = one_at_a_time();
    let (base, db, _dir) = start(limits).await;
    let code = service::devices::issue_code(
        db.as_ref(),
        common::BRANCH,
        &lgota_central::store::CodeIssuer::admin("admin"),
        60,
        &base,
    )
    .unwrap()
    .code;
    // No kept connections: the server closes an idle one after the header-read timeout (300 ms
    // here), and a request sent down it at that moment would get no answer.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
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
    let enrolled: EnrollResponse = client
        .post(format!("{base}/api/v1/enroll"))
        .json(&EnrollRequest { code, device_id: "phone-1".into(), enrollment_secret: None, signing_key: None })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = enrolled.device_token;

    let mut slow = slow_push(&base, &token).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The second phone request: 503 at once, Retry-After, the code `busy` and a Russian message.
    let started = Instant::now();
    let r = client.get(format!("{base}/api/v1/reference")).bearer_auth(&token).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "refused at once, not queued");
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers().get("retry-after").unwrap(), "5");
    let body: lgota_protocol::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.code, lgota_protocol::codes::BUSY);
    assert!(body.message.contains("занят"), "{}", body.message);
    assert!(body.message.contains("записи на телефоне сохранены"), "{}", body.message);

    // The dashboard has its own limit: the phones being busy does not lock the office out.
    assert_eq!(client.get(format!("{base}/login")).send().await.unwrap().status(), 200);

    // The phone's real client and sync engine: a busy error carrying the delay; the next attempt
    // is scheduled no sooner than it.
    let phone_base = base.clone();
    let e = tokio::task::spawn_blocking(move || {
        let mut phone = lgota_client::Client::new(&phone_base, Some(token)).unwrap();
        phone.push(&PushRequest { records: Vec::new(), last_acknowledged: None, sent_at_ms: None }).unwrap_err()
    })
    .await
    .unwrap();
    assert_eq!(e, TransportError::Busy { retry_after_s: 5 });
    let e = SyncError::from(e);
    assert!(e.is_transient());
    for failures in 1..4 {
        assert!(retry_delay(failures, &e) >= Duration::from_secs(5));
    }

    // The slow request meets its deadline: 503 busy too, and its permit is free again.
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 5"), "{answer}");
    assert_eq!(client.get(format!("{base}/health")).send().await.unwrap().status(), 200);
}

/// The dashboard's limit answers its reader in the office's words: a page saying when to come
/// back, with nothing about records on a phone (the office holds none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_dashboard_says_so_in_the_offices_words() {
    let limits = one_at_a_time();
    let (base, _db, _dir) = start(limits).await;
    // A sign-in whose form never finishes arriving holds the dashboard's one permit.
    let addr = base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 1000\r\n\r\nlogin="
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let r = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers().get("retry-after").unwrap(), "5");
    let page = r.text().await.unwrap();
    assert!(page.contains("Сервер занят") && page.contains("Повторите через 5 с."), "{page}");
    assert!(!page.contains("телефон"), "{page}");
    let r = client.get(format!("{base}/admin/api/overview")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body: lgota_protocol::ErrorBody = r.json().await.unwrap();
    assert!(body.code == lgota_protocol::codes::BUSY && !body.message.contains("телефон"), "{}", body.message);
    drop(slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let limits = Limits { header_read_timeout: Duration::from_millis(300), ..Limits::default() };
    let (base, _db, _dir) = start(limits).await;
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection is closed by the server");
    assert!(started.elapsed() < Duration::from_secs(3));
}

//! A real server on 127.0.0.1:0 over a real SQLite file, and a real HTTP client.
#![allow(dead_code)]

pub mod proxy;

use std::sync::Arc;

use lgota_central::service;
use lgota_central::store::{prelude::*, SqliteDatabase};
use lgota_protocol::{EnrollRequest, EnrollResponse, ErrorBody, Method, Outcome, RecordKind, WireRecord};
use reqwest::header::{HeaderMap, HeaderValue};

pub const BRANCH: &str = "branch-1";

pub struct Server {
    pub base: String,
    pub db: Arc<SqliteDatabase>,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
}

/// A client speaking the current protocol.
pub fn protocol_client() -> reqwest::Client {
    client_speaking(lgota_protocol::PROTOCOL_VERSION)
}

/// A client speaking protocol `version` (an older phone).
pub fn client_speaking(version: u32) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("X-Lgota-Protocol", HeaderValue::from_str(&version.to_string()).unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

pub async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server_db: Arc<dyn Database> = db.clone();
    tokio::spawn(lgota_central::serve(listener, server_db, std::future::pending()));
    Server { base, db, dir, client: protocol_client() }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn issue_code(&self, branch: &str) -> String {
        service::devices::issue_code(
            self.db.as_ref(),
            branch,
            &lgota_central::store::CodeIssuer::admin("admin"),
            60,
            &self.base,
        )
        .unwrap()
        .code
    }

    /// Enrolls `device_id` into `branch` and returns its token.
    pub async fn enroll(&self, device_id: &str, branch: &str) -> String {
        self.enroll_signing(device_id, branch, None).await
    }

    /// [`Server::enroll`] registering `signing_key`, the public half of the phone's export key.
    pub async fn enroll_signing(&self, device_id: &str, branch: &str, signing_key: Option<String>) -> String {
        let code = self.issue_code(branch);
        let response = self
            .client
            .post(self.url("/api/v1/enroll"))
            .json(&EnrollRequest { code, device_id: device_id.into(), enrollment_secret: None, signing_key })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: EnrollResponse = response.json().await.unwrap();
        assert_eq!(body.branch_id, branch);
        body.device_token
    }

    pub async fn push_raw(&self, token: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/records"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn push(&self, token: &str, records: &[WireRecord]) -> reqwest::Response {
        let body = serde_json::to_vec(&serde_json::json!({ "records": records })).unwrap();
        self.push_raw(token, body).await
    }

    pub fn count(&self) -> u64 {
        self.db.record_count().unwrap()
    }
}

/// Asserts an error response: status, code, a non-empty Russian message.
pub async fn expect_error(response: reqwest::Response, status: u16, code: &str) -> ErrorBody {
    assert_eq!(response.status(), status, "expected {status} {code}");
    let body: ErrorBody = response.json().await.expect("an ErrorBody");
    assert_eq!(body.code, code, "{}", body.message);
    assert!(body.message.chars().any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap())), "{}", body.message);
    body
}

/// A device enrolled straight through the service on the database file `db` (for the command
/// line's tests), with the export key whose private half is `secret`; records' files for it are
/// made with [`signed_export`].
pub fn enroll_in_file(db: &std::path::Path, device_id: &str, branch: &str, secret: [u8; 32]) {
    let db = SqliteDatabase::open(db).unwrap();
    service::reference::seed(&db).unwrap();
    let code =
        service::devices::issue_code(&db, branch, &lgota_central::store::CodeIssuer::admin("admin"), 60, "http://x")
            .unwrap()
            .code;
    let request = EnrollRequest {
        code,
        device_id: device_id.into(),
        enrollment_secret: None,
        signing_key: Some(lgota_domain::export::public_key(&secret)),
    };
    service::devices::enroll(&db, request).unwrap();
}

/// An export file of `records` signed as `device_id` with the key whose private half is `secret`.
pub fn signed_export(secret: [u8; 32], device_id: &str, records: &[WireRecord]) -> Vec<u8> {
    serde_json::to_vec_pretty(&lgota_domain::export::seal(&secret, device_id, records).unwrap()).unwrap()
}

pub fn now_ms() -> i64 {
    lgota_central::now_ms()
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A valid check record of `device_id` in `branch`, made `age_ms` ago.
pub fn check(device_id: &str, branch: &str, age_ms: i64) -> WireRecord {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    WireRecord {
        id: format!("0190a0a0-0000-7000-8000-{n:012}"),
        kind: RecordKind::Check,
        created_at_ms: now_ms() - age_ms,
        utc_offset_min: 180,
        device_id: device_id.into(),
        branch_id: branch.into(),
        event_id: None,
        staff_label: "Иванова".into(),
        training: false,
        method: Some(Method::DigitalId),
        outcome: Some(Outcome::Confirmed),
        granted: Some(true),
        category_id: Some("pensioner".into()),
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

pub fn void(of: &WireRecord) -> WireRecord {
    let mut v = check(&of.device_id, &of.branch_id, 0);
    v.kind = RecordKind::Void;
    v.method = None;
    v.outcome = None;
    v.granted = None;
    v.category_id = None;
    v.target_id = Some(of.id.clone());
    v.void_reason = Some("Ошибочная запись".into());
    v
}

/// The public half of `key` as a trusted key named `key_id`.
pub fn trusted(key_id: &str, key: &ed25519_dalek::SigningKey) -> lgota_domain::TrustedKey {
    lgota_domain::content::trusted_key(key_id, key)
}

/// The bundled content pack as `version`, in an envelope signed by `key` under `key_id`.
pub fn signed_pack(version: u32, key_id: &str, key: &ed25519_dalek::SigningKey) -> String {
    lgota_domain::content::seal(key, key_id, &lgota_domain::content::testing::bundled_with_version(version))
}

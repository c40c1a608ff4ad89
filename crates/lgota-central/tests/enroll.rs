mod common;

use std::sync::Mutex;

use common::*;
use lgota_central::secrets::{new_token, sha256_hex};
use lgota_central::service;
use lgota_central::store::{prelude::*, CodeIssuer, EnrollAttempt, EnrollOutcome};
use lgota_protocol::{EnrollRequest, EnrollResponse};
use serde_json::json;

#[tokio::test]
async fn health_answers_and_the_protocol_header_is_required() {
    let s = start().await;
    let response = reqwest::get(s.url("/health")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), json!({"status": "ok"}));

    let bare = reqwest::Client::new();
    let code = s.issue_code(BRANCH);
    let request =
        EnrollRequest { code: code.clone(), device_id: "dev-a".into(), enrollment_secret: None, signing_key: None };
    let body = expect_error(
        bare.post(s.url("/api/v1/enroll")).json(&request).send().await.unwrap(),
        400,
        "unsupported_protocol",
    )
    .await;
    assert!(body.message.contains("X-Lgota-Protocol от 1 до 3"), "{}", body.message);
    let response =
        bare.post(s.url("/api/v1/enroll")).header("X-Lgota-Protocol", "4").json(&request).send().await.unwrap();
    expect_error(response, 400, "unsupported_protocol").await;
    // The refused requests did not use the code.
    let token = {
        let r = s.client.post(s.url("/api/v1/enroll")).json(&request).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json::<EnrollResponse>().await.unwrap().device_token
    };
    let response =
        bare.get(s.url("/api/v1/reference")).bearer_auth(&token).header("X-Lgota-Protocol", "0").send().await.unwrap();
    expect_error(response, 400, "unsupported_protocol").await;
}

#[tokio::test]
async fn a_code_enrolls_once_and_only_the_token_hash_is_kept() {
    let s = start().await;
    let code = s.issue_code(BRANCH);
    let request =
        EnrollRequest { code: code.clone(), device_id: "dev-a".into(), enrollment_secret: None, signing_key: None };
    let response = s.client.post(s.url("/api/v1/enroll")).json(&request).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: EnrollResponse = response.json().await.unwrap();
    assert_eq!(body.branch_id, BRANCH);
    assert_eq!(body.device_token.len(), 43, "256 bits, base64url");
    let device = s.db.device_by_token(&sha256_hex(&body.device_token)).unwrap().expect("stored by hash");
    assert_eq!((device.id.as_str(), device.branch_id.as_str()), ("dev-a", BRANCH));

    // Neither the token nor the code is anywhere in the database files.
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for secret in [&body.device_token, &code] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret stored in clear");
        }
    }

    // Reuse, by the same or another device.
    for device_id in ["dev-a", "dev-b"] {
        let request = EnrollRequest {
            code: code.clone(),
            device_id: device_id.into(),
            enrollment_secret: None,
            signing_key: None,
        };
        let response = s.client.post(s.url("/api/v1/enroll")).json(&request).send().await.unwrap();
        expect_error(response, 409, "enrollment_code_used").await;
    }
    assert!(s.db.device("dev-b").unwrap().is_none());
}

#[tokio::test]
async fn expired_unknown_and_garbage_codes_are_refused() {
    let s = start().await;
    let expired = lgota_central::secrets::new_code().unwrap();
    s.db.insert_enrollment_code(
        &sha256_hex(&expired),
        BRANCH,
        &CodeIssuer::admin("admin"),
        now_ms() - 120_000,
        now_ms() - 60_000,
    )
    .unwrap();
    let post = |body: serde_json::Value| s.client.post(s.url("/api/v1/enroll")).json(&body).send();
    expect_error(post(json!({"code": expired, "device_id": "d1"})).await.unwrap(), 410, "enrollment_code_expired")
        .await;
    let unknown = lgota_central::secrets::new_code().unwrap();
    expect_error(post(json!({"code": unknown, "device_id": "d1"})).await.unwrap(), 404, "enrollment_code_invalid")
        .await;
    for garbage in ["", "123", "' OR 1=1 --", &"A".repeat(5000)] {
        expect_error(post(json!({"code": garbage, "device_id": "d1"})).await.unwrap(), 400, "enrollment_code_invalid")
            .await;
    }
    let good = s.issue_code(BRANCH);
    expect_error(post(json!({"code": good, "device_id": "bad id/with slash"})).await.unwrap(), 400, "invalid_request")
        .await;
    expect_error(
        post(json!({"code": good, "device_id": "d1", "branch_id": "central"})).await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    let response = s.client.post(s.url("/api/v1/enroll")).body("{not json").send().await.unwrap();
    expect_error(response, 400, "invalid_json").await;
    // None of it consumed the good code.
    assert!(s.db.devices().unwrap().is_empty());
    let response = post(json!({"code": good, "device_id": "d1"})).await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn tokens_are_checked_and_revocation_locks_the_device_out() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let record = check("dev-a", BRANCH, 0);

    let response = s.client.post(s.url("/api/v1/records")).json(&json!({"records": [record]})).send().await.unwrap();
    expect_error(response, 401, "unauthorized").await;
    let stranger = lgota_central::secrets::new_token().unwrap();
    for bad in [stranger.as_str(), "garbage", ""] {
        expect_error(s.push(bad, std::slice::from_ref(&record)).await, 401, "unauthorized").await;
    }
    let response = s.client.get(s.url("/api/v1/reference")).bearer_auth(&stranger).send().await.unwrap();
    expect_error(response, 401, "unauthorized").await;
    let response = s
        .client
        .post(s.url("/api/v1/records"))
        .header("Authorization", format!("Basic {token}"))
        .json(&json!({"records": [record]}))
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "unauthorized").await;
    assert_eq!(s.count(), 0);

    assert_eq!(s.push(&token, std::slice::from_ref(&record)).await.status(), 200);
    assert!(s.db.device("dev-a").unwrap().unwrap().last_seen_at_ms.is_some());
    assert!(s.db.revoke_device("dev-a", now_ms()).unwrap());
    let another = check("dev-a", BRANCH, 0);
    expect_error(s.push(&token, std::slice::from_ref(&another)).await, 403, "device_revoked").await;
    let response = s.client.get(s.url("/api/v1/reference")).bearer_auth(&token).send().await.unwrap();
    expect_error(response, 403, "device_revoked").await;
    assert_eq!(s.count(), 1);
    assert!(s.db.record(&another.id).unwrap().is_none());

    // A revoked device cannot come back with a fresh code either.
    let code = s.issue_code(BRANCH);
    let response = s
        .client
        .post(s.url("/api/v1/enroll"))
        .json(&EnrollRequest { code, device_id: "dev-a".into(), enrollment_secret: None, signing_key: None })
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "device_revoked").await;
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_with_error_bodies() {
    let s = start().await;
    expect_error(s.client.get(s.url("/api/v1/nothing")).send().await.unwrap(), 404, "not_found").await;
    expect_error(s.client.get(s.url("/api/v1/enroll")).send().await.unwrap(), 405, "method_not_allowed").await;
}

fn request(code: &str, device_id: &str, secret: Option<&str>) -> EnrollRequest {
    EnrollRequest {
        code: code.into(),
        device_id: device_id.into(),
        enrollment_secret: secret.map(Into::into),
        signing_key: None,
    }
}

impl Server {
    async fn post_enroll(&self, request: &EnrollRequest) -> reqwest::Response {
        self.client.post(self.url("/api/v1/enroll")).json(request).send().await.unwrap()
    }

    async fn pull_status(&self, token: &str) -> u16 {
        self.client.get(self.url("/api/v1/reference")).bearer_auth(token).send().await.unwrap().status().as_u16()
    }

    fn code_by(&self, branch: &str, issuer: CodeIssuer) -> String {
        service::devices::issue_code(self.db.as_ref(), branch, &issuer, 60, &self.base).unwrap().code
    }
}

#[tokio::test]
async fn the_same_phone_repeating_a_code_with_its_secret_gets_a_new_token() {
    let s = start().await;
    let code = s.issue_code(BRANCH);
    let secret = new_token().unwrap();
    let first = s.post_enroll(&request(&code, "dev-a", Some(&secret))).await;
    assert_eq!(first.status(), 200);
    let first: EnrollResponse = first.json().await.unwrap();
    assert_eq!((first.branch_id.as_str(), first.branch_name.as_str()), (BRANCH, "Библиотека-филиал № 1"));

    // The answer was lost: the phone repeats the same request.
    let again = s.post_enroll(&request(&code, "dev-a", Some(&secret))).await;
    assert_eq!(again.status(), 200);
    let again: EnrollResponse = again.json().await.unwrap();
    assert_eq!(again.branch_id, BRANCH);
    assert_ne!(again.device_token, first.device_token);
    assert_eq!(s.pull_status(&again.device_token).await, 200, "the new token works");
    assert_eq!(s.pull_status(&first.device_token).await, 401, "the lost answer's token is replaced");

    // Nobody else gets in with the used code: another device (even with the secret), the same
    // device without the secret or with another one.
    let other = new_token().unwrap();
    for (device, secret) in [("dev-b", Some(secret.as_str())), ("dev-a", None), ("dev-a", Some(other.as_str()))] {
        let response = s.post_enroll(&request(&code, device, secret)).await;
        let body = expect_error(response, 409, "enrollment_code_used").await;
        assert_eq!(body.message, "Этот код подключения уже использован: каждый код действует один раз.");
    }
    assert!(s.db.device("dev-b").unwrap().is_none());
    assert_eq!(s.pull_status(&again.device_token).await, 200, "refused attempts change nothing");

    // The secret is kept only as its SHA-256.
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret stored in clear");
    }
    // A malformed secret is refused before the code is looked at.
    let fresh = s.issue_code(BRANCH);
    for bad in ["short", "", &"A".repeat(5000)] {
        let body =
            expect_error(s.post_enroll(&request(&fresh, "dev-c", Some(bad))).await, 400, "invalid_request").await;
        assert!(body.message.contains("секрет"), "{}", body.message);
    }
    assert!(s.db.device("dev-c").unwrap().is_none());
}

#[tokio::test]
async fn a_repeat_after_the_code_expired_or_a_revocation_is_refused() {
    let s = start().await;
    let code = lgota_central::secrets::new_code().unwrap();
    let now = now_ms();
    s.db.insert_enrollment_code(&sha256_hex(&code), BRANCH, &CodeIssuer::admin("admin"), now, now + 60_000).unwrap();
    let secret = sha256_hex("phone secret");
    let attempt = |device_id, at_ms, token: &str| EnrollAttempt {
        code_sha256: Box::leak(sha256_hex(&code).into_boxed_str()),
        device_id,
        secret_sha256: Some(Box::leak(secret.clone().into_boxed_str())),
        token_sha256: Box::leak(sha256_hex(token).into_boxed_str()),
        now_ms: at_ms,
    };
    assert!(matches!(s.db.enroll(&attempt("dev-a", now, "t1")).unwrap(), EnrollOutcome::Enrolled { retry: false, .. }));
    assert!(matches!(
        s.db.enroll(&attempt("dev-a", now + 59_000, "t2")).unwrap(),
        EnrollOutcome::Enrolled { retry: true, .. }
    ));
    assert_eq!(s.db.enroll(&attempt("dev-a", now + 60_000, "t3")).unwrap(), EnrollOutcome::Used, "expired");
    assert!(s.db.device_by_token(&sha256_hex("t2")).unwrap().is_some());
    s.db.revoke_device("dev-a", now + 1).unwrap();
    assert_eq!(s.db.enroll(&attempt("dev-a", now + 2, "t4")).unwrap(), EnrollOutcome::DeviceRevoked);
    let response = s.post_enroll(&request(&s.issue_code(BRANCH), "dev-a", Some(&new_token().unwrap()))).await;
    let body = expect_error(response, 403, "device_revoked").await;
    assert!(body.message.contains("отключено"), "{}", body.message);
}

#[tokio::test]
async fn a_branch_heads_code_does_not_move_a_phone_of_another_branch() {
    let s = start().await;
    let token = s.enroll("dev-a", "branch-1").await;
    let head = s.code_by("branch-2", CodeIssuer::branch_head("head2"));
    let body = expect_error(
        s.post_enroll(&request(&head, "dev-a", Some(&new_token().unwrap()))).await,
        409,
        "device_enrolled_elsewhere",
    )
    .await;
    assert_eq!(
        body.message,
        "Этот телефон подключён к филиалу «Библиотека-филиал № 1». Перенести его в другой филиал может только \
         администратор центральной библиотеки: попросите код подключения у администратора."
    );
    // Nothing changed: the phone keeps its branch and token, and the code stays for another phone.
    assert_eq!(s.db.device("dev-a").unwrap().unwrap().branch_id, "branch-1");
    assert_eq!(s.pull_status(&token).await, 200);
    let response = s.post_enroll(&request(&head, "dev-b", Some(&new_token().unwrap()))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<EnrollResponse>().await.unwrap().branch_id, "branch-2");
    // A branch head's code of the phone's own branch re-enrolls it in place.
    let own = s.code_by("branch-1", CodeIssuer::branch_head("head1"));
    assert_eq!(s.post_enroll(&request(&own, "dev-a", None)).await.status(), 200);
    assert!(s.db.audit_log(None, 50).unwrap().iter().all(|e| e.action != "device.move"));
}

#[tokio::test]
async fn an_administrators_code_moves_a_phone_and_the_audit_log_says_so() {
    let s = start().await;
    let old = s.enroll("dev-a", "branch-1").await;
    let code = s.code_by("branch-2", CodeIssuer::admin("metodist"));
    let response = s.post_enroll(&request(&code, "dev-a", Some(&new_token().unwrap()))).await;
    assert_eq!(response.status(), 200);
    let moved: EnrollResponse = response.json().await.unwrap();
    assert_eq!((moved.branch_id.as_str(), moved.branch_name.as_str()), ("branch-2", "Библиотека-филиал № 2"));
    assert_eq!(s.db.device("dev-a").unwrap().unwrap().branch_id, "branch-2");
    assert_eq!(s.pull_status(&old).await, 401);
    assert_eq!(s.pull_status(&moved.device_token).await, 200);
    let log = s.db.audit_log(None, 50).unwrap();
    let entry = log.iter().find(|e| e.action == "device.move").expect("the move is audited");
    assert_eq!(entry.login, "metodist");
    assert!(
        entry.detail.contains("dev-a")
            && entry.detail.contains("Библиотека-филиал № 1")
            && entry.detail.contains("Библиотека-филиал № 2"),
        "{}",
        entry.detail
    );
}

#[tokio::test]
async fn the_answer_names_a_branch_published_after_the_app_was_built() {
    let s = start().await;
    let mut config = service::reference::current_config(s.db.as_ref()).unwrap();
    config.version += 1;
    config
        .branches
        .push(lgota_domain::config::Named { id: "branch-new".into(), name: "Филиал на Озёрной".into() });
    service::reference::publish_config(s.db.as_ref(), &serde_json::to_string(&config).unwrap()).unwrap();
    let code = s.issue_code("branch-new");
    let response = s.post_enroll(&request(&code, "dev-a", Some(&new_token().unwrap()))).await;
    assert_eq!(response.status(), 200);
    let body: EnrollResponse = response.json().await.unwrap();
    assert_eq!((body.branch_id.as_str(), body.branch_name.as_str()), ("branch-new", "Филиал на Озёрной"));
}

/// The phone's own enrollment (lgota_client::enroll_device over the real core store) through a
/// proxy that loses the server's answer after the server committed; the app restarts, the
/// librarian enters the same code again, and the phone gets a working token and the branch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_enrollment_answer_is_repeated_with_the_same_code_after_a_restart() {
    let s = start().await;
    let mut config = service::reference::current_config(s.db.as_ref()).unwrap();
    config.version += 1;
    config
        .branches
        .push(lgota_domain::config::Named { id: "branch-new".into(), name: "Филиал на Озёрной".into() });
    service::reference::publish_config(s.db.as_ref(), &serde_json::to_string(&config).unwrap()).unwrap();
    let code = s.issue_code("branch-new");
    let proxy = proxy::lose_answers(&s.base, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let base = proxy.base.clone();
    let (device_id, state) = tokio::task::spawn_blocking(move || {
        let mut store = lgota_core::Store::open(&path).unwrap();
        let setup = lgota_core::SetupInput { branch_id: "central".into(), staff_label: "ИП".into(), event: None };
        store.setup(&setup, lgota_core::Now::system()).unwrap();
        let device_id = store.device_id().to_owned();
        let store = Mutex::new(store);
        let e = lgota_client::enroll_device(&store, &base, &code, &[]).unwrap_err();
        assert_eq!(e.code(), "unreachable", "{e}");
        assert!(store.lock().unwrap().enrollment().unwrap().is_none());
        drop(store);
        // The app restarts; the same code again.
        let store = Mutex::new(lgota_core::Store::open(&path).unwrap());
        let (state, pull_failed) = lgota_client::enroll_device(&store, &base, &code, &[]).unwrap();
        assert!(pull_failed.is_none(), "{pull_failed:?}");
        let store = store.into_inner().unwrap();
        assert!(store.config().branch("branch-new").is_some(), "the configuration was pulled at once");
        (device_id, (state, store.enrollment().unwrap().unwrap()))
    })
    .await
    .unwrap();
    assert_eq!(proxy.stats.dropped_after.load(std::sync::atomic::Ordering::Relaxed), 1);
    let (state, enrollment) = state;
    let settings = state.settings.unwrap();
    assert_eq!((settings.branch_id.as_str(), settings.branch_name.as_str()), ("branch-new", "Филиал на Озёрной"));
    let device = s.db.device_by_token(&sha256_hex(&enrollment.token)).unwrap().expect("the saved token works");
    assert_eq!((device.id.as_str(), device.branch_id.as_str()), (device_id.as_str(), "branch-new"));
    assert_eq!(s.pull_status(&enrollment.token).await, 200);
}

/// The UI's tests drive a fake backend whose enrollment refusals must be the server's, code and
/// words (ui/src/test/fakeBackend.ts, `ENROLL_REFUSALS`): every refusal the server gives is there.
#[test]
fn the_ui_fake_backend_refuses_enrollment_with_the_servers_codes_and_words() {
    let fake =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/test/fakeBackend.ts")).unwrap();
    let outcomes = [
        EnrollOutcome::UnknownCode,
        EnrollOutcome::Expired,
        EnrollOutcome::Used,
        EnrollOutcome::DeviceRevoked,
        // The fake fills in the name with a template literal.
        EnrollOutcome::EnrolledElsewhere { branch_name: "${name}".into() },
    ];
    for outcome in outcomes {
        let e = lgota_central::service::devices::enroll_answer(outcome, String::new()).unwrap_err();
        assert!(fake.contains(&format!("{}: ", e.code)), "{} missing in the fake", e.code);
        assert!(fake.contains(&e.message), "the fake's words for {} are not the server's: {}", e.code, e.message);
    }
}

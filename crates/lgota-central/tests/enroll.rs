mod common;

use common::*;
use lgota_central::db::Database;
use lgota_central::secrets::sha256_hex;
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
    let request = EnrollRequest { code: code.clone(), device_id: "dev-a".into() };
    let body = expect_error(
        bare.post(s.url("/api/v1/enroll")).json(&request).send().await.unwrap(),
        400,
        "unsupported_protocol",
    )
    .await;
    assert!(body.message.contains("X-Lgota-Protocol от 1 до 2"), "{}", body.message);
    let response =
        bare.post(s.url("/api/v1/enroll")).header("X-Lgota-Protocol", "3").json(&request).send().await.unwrap();
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
    let request = EnrollRequest { code: code.clone(), device_id: "dev-a".into() };
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
        let request = EnrollRequest { code: code.clone(), device_id: device_id.into() };
        let response = s.client.post(s.url("/api/v1/enroll")).json(&request).send().await.unwrap();
        expect_error(response, 409, "enrollment_code_used").await;
    }
    assert!(s.db.device("dev-b").unwrap().is_none());
}

#[tokio::test]
async fn expired_unknown_and_garbage_codes_are_refused() {
    let s = start().await;
    let expired = lgota_central::secrets::new_code().unwrap();
    s.db.insert_enrollment_code(&sha256_hex(&expired), BRANCH, now_ms() - 120_000, now_ms() - 60_000).unwrap();
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
        .json(&EnrollRequest { code, device_id: "dev-a".into() })
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

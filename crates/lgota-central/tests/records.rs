mod common;

use common::*;
use lgota_central::db::{Database, OFFLINE_AFTER_MS};
use lgota_protocol::{PushResponse, WireRecord};
use serde_json::json;

async fn ok(response: reqwest::Response) -> PushResponse {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn ids(records: &[WireRecord]) -> Vec<String> {
    records.iter().map(|r| r.id.clone()).collect()
}

#[tokio::test]
async fn a_batch_is_stored_once_by_id() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let old = check("dev-a", BRANCH, 3 * 60 * 60 * 1000);
    let fresh = check("dev-a", BRANCH, 1000);
    let batch = vec![old.clone(), fresh.clone(), void(&old)];

    let first = ok(s.push(&token, &batch).await).await;
    assert_eq!(first, PushResponse { acknowledged: ids(&batch), stored: 3, duplicates: 0 });
    let stored_old = s.db.record(&old.id).unwrap().unwrap();
    assert_eq!(stored_old.record, old, "the device's fields and times are kept as sent");
    assert!(stored_old.offline);
    assert!(stored_old.received_at_ms - old.created_at_ms > OFFLINE_AFTER_MS);
    assert!(!s.db.record(&fresh.id).unwrap().unwrap().offline);

    let again = ok(s.push(&token, &batch).await).await;
    assert_eq!(again, PushResponse { acknowledged: ids(&batch), stored: 0, duplicates: 3 });
    assert_eq!(s.count(), 3);
    assert_eq!(s.db.record(&old.id).unwrap().unwrap(), stored_old, "a repeat changes nothing");

    let newer = vec![fresh.clone(), check("dev-a", BRANCH, 0), void(&fresh), old.clone()];
    let overlap = ok(s.push(&token, &newer).await).await;
    assert_eq!(overlap, PushResponse { acknowledged: ids(&newer), stored: 2, duplicates: 2 });
    assert_eq!(s.count(), 5);

    // The same record twice within one batch is one record.
    let twin = check("dev-a", BRANCH, 0);
    let dup = ok(s.push(&token, &[twin.clone(), twin.clone()]).await).await;
    assert_eq!((dup.stored, dup.duplicates), (1, 1));
    assert_eq!(ok(s.push(&token, &[]).await).await, PushResponse { acknowledged: vec![], stored: 0, duplicates: 0 });
}

#[tokio::test]
async fn bad_batches_are_refused_whole() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    s.enroll("dev-b", "central").await;
    let good = check("dev-a", BRANCH, 0);

    let mut cases: Vec<(&str, WireRecord, u16, &str)> = Vec::new();
    let mut r = check("dev-a", "central", 0);
    r.branch_id = "central".into();
    cases.push(("other branch", r, 403, "wrong_branch"));
    cases.push(("other device", check("dev-b", BRANCH, 0), 403, "wrong_device"));
    cases.push(("future", check("dev-a", BRANCH, -25 * 60 * 60 * 1000), 422, "time_in_future"));
    let mut r = check("dev-a", BRANCH, 0);
    r.training = true;
    cases.push(("training", r, 422, "training_record"));
    let mut r = void(&good);
    r.target_id = None;
    cases.push(("void without target", r, 422, "invalid_record"));
    let mut r = void(&good);
    r.void_reason = None;
    cases.push(("void without reason", r, 422, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.outcome = None;
    cases.push(("check without outcome", r, 422, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.granted = None;
    cases.push(("check without granted", r, 422, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.granted = Some(false);
    cases.push(("granted contradicts outcome", r, 422, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.note = Some("x".repeat(5000));
    cases.push(("huge note", r, 422, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.id = "../../etc".into();
    cases.push(("bad id", r, 422, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.id = good.id.clone();
    r.staff_label = "Другая".into();
    cases.push(("same id, other content", r, 422, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.note = Some("перезвонить +7 912 345-67-89".into());
    cases.push(("a phone number in the note", r, 422, "personal_data"));
    let mut r = void(&good);
    r.void_reason = Some("паспорт 4509 123456".into());
    cases.push(("a passport in the void reason", r, 422, "personal_data"));

    for (what, bad, status, code) in cases {
        let body = expect_error(s.push(&token, &[good.clone(), bad]).await, status, code).await;
        assert!(body.message.contains("Запись 2"), "{what}: {}", body.message);
        assert_eq!(s.count(), 0, "{what}: nothing stored");
    }

    let good_json = serde_json::to_value(&good).unwrap();
    let mut unknown_enum = good_json.clone();
    unknown_enum["outcome"] = "maybe".into();
    let mut unknown_field = good_json.clone();
    unknown_field["citizen_name"] = "Иванов Иван".into();
    let mut wrong_type = good_json.clone();
    wrong_type["created_at_ms"] = "yesterday".into();
    for bad in [unknown_enum, unknown_field, wrong_type] {
        let body = serde_json::to_vec(&json!({"records": [good_json, bad]})).unwrap();
        expect_error(s.push_raw(&token, body).await, 422, "invalid_record").await;
    }
    for body in ["{\"records\": [", "", "null", "[]", "{\"records\": 5}"] {
        let response = s.push_raw(&token, body).await;
        assert!(matches!(response.status().as_u16(), 400 | 422), "{body}: {}", response.status());
        let e: lgota_protocol::ErrorBody = response.json().await.unwrap();
        assert!(e.code == "invalid_json" || e.code == "invalid_record", "{body}: {}", e.code);
    }
    expect_error(s.push_raw(&token, "{\"records\": [").await, 400, "invalid_json").await;
    assert_eq!(s.count(), 0);
    assert_eq!(ok(s.push(&token, &[good]).await).await.stored, 1, "the good record alone goes through");
}

#[tokio::test]
async fn oversized_requests_are_refused_with_413() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let batch: Vec<WireRecord> = (0..1001).map(|_| check("dev-a", BRANCH, 0)).collect();
    expect_error(s.push(&token, &batch).await, 413, "too_many_records").await;
    assert_eq!(ok(s.push(&token, &batch[..1000]).await).await.stored, 1000, "exactly 1000 is fine");

    // 3 MiB is above axum's default limit but within the protocol's 4 MiB: read, then judged.
    let mut long = check("dev-a", BRANCH, 0);
    long.note = Some("а".repeat(3 * 512 * 1024));
    expect_error(s.push(&token, &[long]).await, 422, "invalid_record").await;

    let mut big = check("dev-a", BRANCH, 0);
    big.note = Some("а".repeat(5 * 1024 * 1024));
    expect_error(s.push(&token, &[big]).await, 413, "too_large").await;
    assert_eq!(s.count(), 1000);
}

#[tokio::test]
async fn records_made_before_enrollment_may_name_another_branch() {
    let s = start().await;
    let token = s.enroll("dev-c", BRANCH).await;
    // Made an hour ago, at the central library, before the phone was enrolled into BRANCH.
    let before = check("dev-c", "central", 3_600_000);
    assert_eq!(ok(s.push(&token, std::slice::from_ref(&before)).await).await.stored, 1);
    // After enrollment the phone's records are its branch's only.
    expect_error(s.push(&token, &[check("dev-c", "central", 0)]).await, 403, "wrong_branch").await;
    // A branch the server does not know is refused whenever the record was made.
    expect_error(s.push(&token, &[check("dev-c", "mars", 3_600_000)]).await, 403, "wrong_branch").await;
    assert_eq!(s.count(), 1);
}

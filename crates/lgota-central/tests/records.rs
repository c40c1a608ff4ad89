mod common;

use common::*;
use lgota_central::store::{prelude::*, OFFLINE_AFTER_MS};
use lgota_protocol::{PushResponse, RecordStatus, WireRecord};
use serde_json::json;

async fn ok(response: reqwest::Response) -> PushResponse {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn ids(records: &[WireRecord]) -> Vec<String> {
    records.iter().map(|r| r.id.clone()).collect()
}

fn statuses(r: &PushResponse) -> Vec<RecordStatus> {
    r.results.iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn a_batch_is_stored_once_by_id() {
    use RecordStatus::{Duplicate, Stored};
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let old = check("dev-a", BRANCH, 3 * 60 * 60 * 1000);
    let fresh = check("dev-a", BRANCH, 1000);
    let batch = vec![old.clone(), fresh.clone(), void(&old)];

    let first = ok(s.push(&token, &batch).await).await;
    assert_eq!((first.acknowledged.clone(), first.stored, first.duplicates), (ids(&batch), 3, 0));
    assert_eq!(statuses(&first), vec![Stored; 3]);
    assert_eq!(first.results.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), ids(&batch), "one result per record");
    let server = first.server.clone().expect("protocol 2 names the server");
    assert_eq!(server.server_id, s.db.server_id().unwrap());
    assert!((server.server_time_ms - now_ms()).abs() < 60_000);
    let stored_old = s.db.record(&old.id).unwrap().unwrap();
    assert_eq!(stored_old.record, old, "the device's fields and times are kept as sent");
    assert!(stored_old.offline);
    assert!(stored_old.received_at_ms - old.created_at_ms > OFFLINE_AFTER_MS);
    assert!(!s.db.record(&fresh.id).unwrap().unwrap().offline);

    let again = ok(s.push(&token, &batch).await).await;
    assert_eq!((again.acknowledged.clone(), again.stored, again.duplicates), (ids(&batch), 0, 3));
    assert_eq!(statuses(&again), vec![Duplicate; 3]);
    assert_eq!(again.server.unwrap().server_id, server.server_id, "the same database, the same identity");
    assert_eq!(s.count(), 3);
    assert_eq!(s.db.record(&old.id).unwrap().unwrap(), stored_old, "a repeat changes nothing");

    let newer = vec![fresh.clone(), check("dev-a", BRANCH, 0), void(&fresh), old.clone()];
    let overlap = ok(s.push(&token, &newer).await).await;
    assert_eq!((overlap.acknowledged, overlap.stored, overlap.duplicates), (ids(&newer), 2, 2));
    assert_eq!(s.count(), 5);

    // The same record twice within one batch is one record.
    let twin = check("dev-a", BRANCH, 0);
    let dup = ok(s.push(&token, &[twin.clone(), twin.clone()]).await).await;
    assert_eq!((dup.stored, dup.duplicates), (1, 1));
    let empty = ok(s.push(&token, &[]).await).await;
    assert_eq!((empty.acknowledged.len(), empty.stored, empty.results.len()), (0, 0, 0));
}

#[tokio::test]
async fn each_record_is_answered_alone_and_one_bad_record_holds_nothing_back() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    s.enroll("dev-b", "central").await;
    let good = check("dev-a", BRANCH, 0);
    assert_eq!(ok(s.push(&token, std::slice::from_ref(&good)).await).await.stored, 1);

    let mut cases: Vec<(&str, WireRecord, &str)> = Vec::new();
    let mut r = check("dev-a", "central", 0);
    r.branch_id = "central".into();
    cases.push(("other branch", r, "wrong_branch"));
    cases.push(("other device", check("dev-b", BRANCH, 0), "wrong_device"));
    let mut r = check("dev-a", BRANCH, 0);
    r.training = true;
    cases.push(("training", r, "training_record"));
    let mut r = void(&good);
    r.target_id = None;
    cases.push(("void without target", r, "invalid_record"));
    let mut r = void(&good);
    r.void_reason = None;
    cases.push(("void without reason", r, "void_reason_required"));
    let mut r = check("dev-a", BRANCH, 0);
    r.outcome = None;
    cases.push(("check without outcome", r, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.granted = None;
    cases.push(("check without granted", r, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.granted = Some(false);
    cases.push(("granted contradicts outcome", r, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.note = Some("x".repeat(5000));
    cases.push(("huge note", r, "too_long"));
    let mut r = check("dev-a", BRANCH, 0);
    r.id = "../../etc".into();
    cases.push(("bad id", r, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.category_id = Some("пенсионер".into());
    cases.push(("an id that is not an id", r, "invalid_record"));
    let mut r = check("dev-a", BRANCH, 0);
    r.note = Some("перезвонить +7 912 345-67-89".into());
    cases.push(("a phone number in the note", r, "personal_data"));
    let mut r = check("dev-a", BRANCH, 0);
    r.note = Some("тел.\t8912\u{200b}3456789".into());
    cases.push(("a phone number hidden by a TAB and a zero-width space", r, "personal_data"));
    let mut r = void(&good);
    r.void_reason = Some("паспорт 4509 123456".into());
    cases.push(("a passport in the void reason", r, "personal_data"));
    let mut r = check("dev-a", BRANCH, 0);
    r.created_at_ms = 8_210_298_412_800_000; // the year 262,143: no calendar can place it
    cases.push(("a time past any calendar", r, "invalid_record"));

    for (what, bad, code) in cases {
        let before = s.count();
        let (first, last) = (check("dev-a", BRANCH, 0), check("dev-a", BRANCH, 0));
        let batch = vec![first.clone(), bad.clone(), last.clone()];
        let answer = ok(s.push(&token, &batch).await).await;
        assert_eq!(
            statuses(&answer),
            vec![RecordStatus::Stored, RecordStatus::Refused, RecordStatus::Stored],
            "{what}"
        );
        let refused = &answer.results[1];
        assert_eq!(refused.code.as_deref(), Some(code), "{what}: {:?}", refused.message);
        let message = refused.message.as_deref().unwrap_or_default();
        assert!(message.chars().any(|c| ('а'..='я').contains(&c)), "{what}: a Russian message: {message}");
        assert_eq!(answer.acknowledged, vec![first.id.clone(), last.id.clone()], "{what}");
        assert_eq!(s.count(), before + 2, "{what}: the others are stored");
    }

    // Unreadable JSON is still refused as a whole: there is no record to answer for.
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
}

#[tokio::test]
async fn pasted_text_is_stored_in_the_normal_form() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let mut r = check("dev-a", BRANCH, 0);
    r.note = Some("Госкан\tдолго грузился\u{a0}\u{200f}".into());
    r.staff_label = " И\tП ".into();
    let answer = ok(s.push(&token, std::slice::from_ref(&r)).await).await;
    assert_eq!(answer.stored, 1);
    let stored = s.db.record(&r.id).unwrap().unwrap().record;
    assert_eq!(stored.note.as_deref(), Some("Госкан долго грузился"));
    assert_eq!(stored.staff_label, "И П");
    // The phone sends it again as it holds it: the same record, not a conflict.
    assert_eq!(statuses(&ok(s.push(&token, &[r]).await).await), vec![RecordStatus::Duplicate]);
}

#[tokio::test]
async fn the_same_id_with_other_content_is_a_conflict_kept_apart() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let first = check("dev-a", BRANCH, 0);
    ok(s.push(&token, std::slice::from_ref(&first)).await).await;
    let mut other = first.clone();
    other.staff_label = "Другая".into();
    other.outcome = Some(lgota_protocol::Outcome::PaperShown);
    let answer = ok(s.push(&token, &[other.clone(), check("dev-a", BRANCH, 0)]).await).await;
    assert_eq!(statuses(&answer), vec![RecordStatus::Conflict, RecordStatus::Stored]);
    assert_eq!(answer.results[0].code.as_deref(), Some("conflict"));
    assert!(!answer.acknowledged.contains(&other.id), "a conflict is never acknowledged as a duplicate");
    assert_eq!(s.db.record(&first.id).unwrap().unwrap().record, first, "the first version stays (and counts)");
    let conflicts = s.db.conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].arrived, other, "the second version is kept too");
    assert_eq!(conflicts[0].stored.as_ref().unwrap().record, first);
    // Sent again: still a conflict, kept once.
    assert_eq!(statuses(&ok(s.push(&token, &[other]).await).await), vec![RecordStatus::Conflict]);
    assert_eq!(s.db.conflicts(10).unwrap().len(), 1);
    // Inside one batch: the first is stored, the other version is a conflict.
    let twin = check("dev-a", BRANCH, 0);
    let mut twin2 = twin.clone();
    twin2.note = Some("другое".into());
    assert_eq!(
        statuses(&ok(s.push(&token, &[twin, twin2]).await).await),
        vec![RecordStatus::Stored, RecordStatus::Conflict]
    );
}

#[tokio::test]
async fn a_void_must_name_a_record_of_its_own_device() {
    let s = start().await;
    let a = s.enroll("dev-a", BRANCH).await;
    let b = s.enroll("dev-b", BRANCH).await;
    let of_a = check("dev-a", BRANCH, 0);
    ok(s.push(&a, std::slice::from_ref(&of_a)).await).await;
    let mut foreign = void(&of_a);
    foreign.device_id = "dev-b".into();
    let answer = ok(s.push(&b, std::slice::from_ref(&foreign)).await).await;
    assert_eq!(statuses(&answer), vec![RecordStatus::Refused]);
    assert_eq!(answer.results[0].code.as_deref(), Some("void_target_foreign"));
    assert!(s.db.record(&foreign.id).unwrap().is_none());

    // A void of a void is refused too.
    let own = void(&of_a);
    ok(s.push(&a, std::slice::from_ref(&own)).await).await;
    let answer = ok(s.push(&a, &[void(&own)]).await).await;
    assert_eq!(answer.results[0].code.as_deref(), Some("invalid_record"));
}

#[tokio::test]
async fn records_are_never_refused_for_their_time_but_flagged() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let ahead = check("dev-a", BRANCH, -3 * 24 * 60 * 60 * 1000);
    let mut ancient = check("dev-a", BRANCH, 0);
    ancient.created_at_ms = 86_400_000; // 2 January 1970: a phone whose clock was reset
    let fine = check("dev-a", BRANCH, 0);
    let mut last = check("dev-a", BRANCH, 0);
    last.created_at_ms = lgota_domain::record::CREATED_AT_MAX_MS; // the last moment of 9999
    let body = json!({"records": [ahead, ancient, fine, last], "sent_at_ms": now_ms() + 3 * 24 * 60 * 60 * 1000});
    let answer = ok(s.push_raw(&token, serde_json::to_vec(&body).unwrap()).await).await;
    assert_eq!(answer.stored, 4);
    let flagged: Vec<String> = s.db.clock_flagged(10).unwrap().into_iter().map(|r| r.record.id).collect();
    assert_eq!(flagged.len(), 3);
    assert!(flagged.contains(&ahead.id) && flagged.contains(&ancient.id) && !flagged.contains(&fine.id));
    let skew = s.db.device("dev-a").unwrap().unwrap().clock_skew_ms.unwrap();
    assert!((skew - 3 * 24 * 60 * 60 * 1000).abs() < 60_000, "{skew}");
    // The librarian sets the clock right and syncs again at once: the offset follows.
    let body = json!({"records": [check("dev-a", BRANCH, 0)], "sent_at_ms": now_ms()});
    ok(s.push_raw(&token, serde_json::to_vec(&body).unwrap()).await).await;
    let skew = s.db.device("dev-a").unwrap().unwrap().clock_skew_ms.unwrap();
    assert!(skew.abs() < 60_000, "{skew}");
}

#[tokio::test]
async fn a_server_that_lacks_what_it_acknowledged_asks_for_everything() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let r = check("dev-a", BRANCH, 0);
    ok(s.push(&token, std::slice::from_ref(&r)).await).await;
    let ask = |last: &str| json!({"records": [], "last_acknowledged": last});
    let known = ok(s.push_raw(&token, serde_json::to_vec(&ask(&r.id)).unwrap()).await).await;
    assert!(!known.resend_all);
    let lost = ok(s.push_raw(&token, serde_json::to_vec(&ask("0190-not-here")).unwrap()).await).await;
    assert!(lost.resend_all, "a record it acknowledged is missing: restored from an older copy");
}

#[tokio::test]
async fn a_version_1_phone_still_syncs_and_is_told_of_a_bad_record() {
    let mut s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    s.client = client_speaking(1);
    let good = check("dev-a", BRANCH, 0);
    let answer = ok(s.push(&token, std::slice::from_ref(&good)).await).await;
    assert_eq!((answer.acknowledged, answer.stored), (vec![good.id.clone()], 1));
    assert!(answer.results.is_empty() && answer.server.is_none(), "protocol 1's answer as it was");
    let mut bad = check("dev-a", BRANCH, 0);
    bad.note = Some("тел. 89123456789".into());
    let body = expect_error(s.push(&token, &[check("dev-a", BRANCH, 0), bad]).await, 422, "personal_data").await;
    assert!(body.message.contains("телефон"), "{}", body.message);
    s.client = client_speaking(lgota_protocol::PROTOCOL_VERSION + 1);
    expect_error(s.push(&token, &[]).await, 400, "unsupported_protocol").await;
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
    let answer = ok(s.push(&token, &[long]).await).await;
    assert_eq!(answer.results[0].code.as_deref(), Some("too_long"));

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
    let after = ok(s.push(&token, &[check("dev-c", "central", 0)]).await).await;
    assert_eq!(after.results[0].code.as_deref(), Some("wrong_branch"));
    // A branch the server does not know is refused whenever the record was made.
    let mars = ok(s.push(&token, &[check("dev-c", "mars", 3_600_000)]).await).await;
    assert_eq!(mars.results[0].code.as_deref(), Some("wrong_branch"));
    assert_eq!(s.count(), 1);
}

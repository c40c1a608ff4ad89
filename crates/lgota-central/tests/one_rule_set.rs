//! One rule set: every record, note and event the phone's core accepts is accepted by the
//! server's intake. Generated text mixes what pasting brings — TABs, line breaks, non-breaking and
//! other spaces, control characters, emoji and their joiners, combining marks, right-to-left marks
//! and overrides — at and over every limit, with every kind of check.

use std::collections::HashSet;
use std::sync::Mutex;

use lgota_central::service::intake::{self, Branches};
use lgota_central::store::SqliteDatabase;
use lgota_core::{CheckInput, NewEvent, Now, SetupInput, Store};
use lgota_protocol::RecordStatus;
use proptest::prelude::*;

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Zа-яА-ЯёЁ]{1,12}",
        1 => Just("\t".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\u{a0}".to_string()),
        1 => Just("\u{2003}".to_string()),
        1 => Just("\u{200b}".to_string()),
        1 => Just("\u{200f}".to_string()),
        1 => Just("\u{202e}".to_string()),
        1 => Just("\u{feff}".to_string()),
        1 => Just("\u{7}".to_string()),
        1 => Just("\u{0}".to_string()),
        1 => Just("\u{1b}[31m".to_string()),
        1 => Just("е\u{301}".to_string()),
        1 => Just("👍🏽".to_string()),
        1 => Just("👨\u{200d}👩\u{200d}👧".to_string()),
        1 => Just("☕️".to_string()),
        1 => Just("مرحبا".to_string()),
        2 => Just(" ".to_string()),
        1 => "[0-9]{1,3}",
        1 => Just("№ 3".to_string()),
        // A phone number split by what pasting brings: only the normal form shows it.
        1 => Just("8912\t345\u{200b}6789".to_string()),
    ]
}

/// Free text as a librarian might paste it, up to about 250 characters (the note limit is 200).
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|p| p.concat())
}

/// An id of the configuration, or one the configuration does not know.
fn one_of(ids: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(ids), 1 => Just("astronaut".to_string())]
}

#[derive(Debug, Clone)]
enum Kind {
    Confirmed,
    Failed { with_document: bool, accepted: bool },
    Paper { accepted: bool },
    Refused { with_category: bool },
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Confirmed),
        (any::<bool>(), any::<bool>()).prop_map(|(with_document, accepted)| Kind::Failed { with_document, accepted }),
        any::<bool>().prop_map(|accepted| Kind::Paper { accepted }),
        any::<bool>().prop_map(|with_category| Kind::Refused { with_category }),
    ]
}

struct World {
    phone: Store,
    server: SqliteDatabase,
    known: HashSet<String>,
    _dir: tempfile::TempDir,
}

#[test]
fn what_the_phone_accepts_the_server_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let mut phone = Store::open(dir.path().join("phone.db")).unwrap();
    phone
        .setup(&SetupInput { branch_id: "central".into(), staff_label: "ИП".into(), event: None }, Now::system())
        .unwrap();
    let server = SqliteDatabase::open(dir.path().join("central.db")).unwrap();
    lgota_central::service::reference::seed(&server).unwrap();
    let config = phone.config().clone();
    let known: HashSet<String> = config.branches.iter().map(|b| b.id.clone()).collect();
    let categories: Vec<String> = config.categories.iter().map(|c| c.id.clone()).collect();
    let documents: Vec<String> = config.document_types.iter().map(|d| d.id.clone()).collect();
    let reasons: Vec<String> = config.failure_reasons.iter().map(|r| r.id.clone()).collect();
    let world = Mutex::new(World { phone, server, known, _dir: dir });
    let accepted = std::sync::atomic::AtomicU32::new(0);

    let case = (
        kind(),
        one_of(categories),
        one_of(documents),
        one_of(reasons),
        prop::option::of(text()),
        text(),
        prop::option::of((text(), 0i64..3)),
        text(),
    );
    // A fixed seed: the same 400 cases every run, so a failure can be replayed and the count of
    // records reaching the server is stable (many generated notes hold a phone number the phone
    // rightly refuses).
    let config = ProptestConfig { cases: 400, ..ProptestConfig::default() };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(config, rng);
    runner
        .run(&case, |(kind, category, document, reason, note, label, event, void_reason)| {
            let mut w = world.lock().unwrap();
            let World { phone, server, known, .. } = &mut *w;
            let now = Now::system();
            // The librarian's label and the event, as typed or pasted.
            if phone.setup(&SetupInput { branch_id: "central".into(), staff_label: label, event: None }, now).is_err() {
                phone
                    .setup(&SetupInput { branch_id: "central".into(), staff_label: "ИП".into(), event: None }, now)
                    .unwrap();
            }
            let event = event.map(|(title, days)| NewEvent {
                title,
                date: now.local_date().checked_add_days(chrono::Days::new(days as u64)).unwrap().to_string(),
            });
            if phone.set_event(event.as_ref(), now).is_err() {
                phone.set_event(None, now).unwrap();
            }
            let input = match kind {
                Kind::Confirmed => CheckInput::DigitalIdConfirmed { category_id: category, note },
                Kind::Failed { with_document, accepted } => CheckInput::DigitalIdFailed {
                    reason_id: reason,
                    category_id: Some(category),
                    document_type_id: with_document.then_some(document),
                    checklist_completed: true,
                    accepted,
                    note,
                },
                Kind::Paper { accepted } => CheckInput::Paper {
                    category_id: category,
                    document_type_id: document,
                    checklist_completed: accepted,
                    accepted,
                    note,
                },
                Kind::Refused { with_category } => {
                    CheckInput::Refused { category_id: with_category.then_some(category), note }
                }
            };
            let Ok(saved) = phone.record_check(&input, now) else {
                return Ok(()); // refused by the phone: nothing to send
            };
            let _ = phone.void(&saved.id, &void_reason, now);
            // What the outbox would send: the check, and its void if the reason passed.
            let batch = phone.pending(10).unwrap();
            if let Some(last) = batch.last() {
                phone.acknowledge(last.seq).unwrap();
            }
            let branches = Branches::Known(known);
            for record in batch {
                let record = record.wire;
                let device = record.device_id.clone();
                let result = intake::take(server, vec![record.clone()], &device, &branches, now.utc_ms).unwrap();
                prop_assert_eq!(
                    result.results[0].status,
                    RecordStatus::Stored,
                    "the phone made {:?}; the server said {:?}",
                    record,
                    result.results[0]
                );
                accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    let accepted = accepted.into_inner();
    eprintln!("one rule set: {accepted} records the phone made, all accepted by the server");
    assert!(accepted > 150, "the generator reaches the server often enough ({accepted})");
}

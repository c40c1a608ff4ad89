use super::*;

const T0: i64 = 1_795_600_000_000; // 2026-11-25 09:46:40 UTC, 12:46 in Moscow

fn at(ms: i64) -> Now {
    Now { utc_ms: T0 + ms, offset_min: 180 }
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path().join("lgota.db")).unwrap()
}

fn configured(dir: &tempfile::TempDir) -> Store {
    let mut store = open(dir);
    store
        .setup(&SetupInput { branch_id: "branch-1".into(), staff_label: " И.П. ".into(), event: None }, at(0))
        .unwrap();
    store
}

fn confirmed(category: &str) -> CheckInput {
    CheckInput::DigitalIdConfirmed { category_id: category.into(), note: None }
}

fn count(store: &Store) -> i64 {
    store.conn().query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0)).unwrap()
}

#[test]
fn device_id_is_created_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let id = open(&dir).device_id().to_owned();
    assert_eq!(Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    assert_eq!(open(&dir).device_id(), id);
}

#[test]
fn nothing_is_recorded_before_setup() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    assert!(store.state().unwrap().settings.is_none());
    assert_eq!(store.record_check(&confirmed("student"), at(0)).unwrap_err().code(), "not_configured");
    assert_eq!(count(&store), 0);
}

#[test]
fn setup_validates_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let setup = |branch: &str, staff: &str, event: Option<(&str, &str)>| SetupInput {
        branch_id: branch.into(),
        staff_label: staff.into(),
        event: event.map(|(t, d)| NewEvent { title: t.into(), date: d.into() }),
    };
    let code = |store: &mut Store, input: SetupInput| store.setup(&input, at(0)).unwrap_err().code();
    assert_eq!(code(&mut store, setup("mars", "ИП", None)), "unknown_branch");
    assert_eq!(code(&mut store, setup("central", "   ", None)), "empty_staff_label");
    assert_eq!(code(&mut store, setup("central", "ИП +7 912 345-67-89", None)), "personal_data");
    assert_eq!(code(&mut store, setup("central", "ИП", Some(("", "2026-11-25")))), "empty_event_title");
    assert_eq!(code(&mut store, setup("central", "ИП", Some(("Ночь музеев", "25.11.2026")))), "invalid_date");
    assert!(store.state().unwrap().settings.is_none(), "nothing stored half-way");

    let state = store.setup(&setup("central", " ИП ", Some(("Ночь искусств", "2026-11-25"))), at(0)).unwrap();
    let settings = state.settings.unwrap();
    assert_eq!((settings.branch_id.as_str(), settings.staff_label.as_str()), ("central", "ИП"));
    assert_eq!(settings.event.as_ref().unwrap().title, "Ночь искусств");

    // Same branch, no event given: the current event stays. Another branch: it ends.
    let state = store.setup(&setup("central", "АБ", None), at(1)).unwrap();
    assert!(state.settings.unwrap().event.is_some());
    let state = store.setup(&setup("branch-2", "АБ", None), at(2)).unwrap();
    assert!(state.settings.unwrap().event.is_none());
}

#[test]
fn every_kind_of_check_is_tallied_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let inputs = [
        confirmed("student"),
        CheckInput::DigitalIdFailed {
            reason_id: "no_internet".into(),
            category_id: Some("pensioner".into()),
            document_type_id: Some("pension_award_statement".into()),
            checklist_completed: false,
            accepted: true,
            note: Some("Госкан без сети".into()),
        },
        CheckInput::DigitalIdFailed {
            reason_id: "goskan_error".into(),
            category_id: None,
            document_type_id: None,
            checklist_completed: false,
            accepted: true,
            note: None,
        },
        CheckInput::Paper {
            category_id: "large_family".into(),
            document_type_id: "large_family_card".into(),
            checklist_completed: false,
            accepted: true,
            note: None,
        },
        CheckInput::Refused { category_id: None, note: None },
    ];
    let ids: Vec<String> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| store.record_check(input, at(i as i64 * 1000)).unwrap().id)
        .collect();
    drop(store);

    let store = open(&dir);
    let overview = store.overview(at(60_000)).unwrap();
    assert_eq!(overview.scope, Scope::Today { date: "2026-11-25".into() });
    assert_eq!(overview.tally, Tally { digital_id: 1, paper: 2, not_granted: 2, total: 5, voided: 0 });
    let listed: Vec<&str> = overview.records.iter().map(|r| r.id.as_str()).collect();
    let mut newest_first: Vec<&str> = ids.iter().map(String::as_str).collect();
    newest_first.reverse();
    assert_eq!(listed, newest_first);
    let fallback = &overview.records[3];
    assert_eq!((fallback.method, fallback.outcome, fallback.granted), (Method::DigitalId, Outcome::PaperShown, true));
    assert_eq!(fallback.document_type_id.as_deref(), Some("pension_award_statement"));
    assert_eq!(fallback.local_time, "12:46");
    let record = store.record(&ids[1]).unwrap().unwrap();
    assert_eq!((record.branch_id.as_str(), record.staff_label.as_str()), ("branch-1", "И.П."));
    assert_eq!(record.utc_offset_min, 180);
}

#[test]
fn refused_input_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    for input in [
        confirmed("astronaut"),
        CheckInput::Paper {
            category_id: "student".into(),
            document_type_id: "passport_rf".into(),
            checklist_completed: false,
            accepted: true,
            note: None,
        },
        CheckInput::Refused { category_id: None, note: Some("паспорт 4506 123456".into()) },
        CheckInput::Refused { category_id: None, note: Some("тел. 8 912 345 67 89".into()) },
        CheckInput::Refused { category_id: None, note: Some("СНИЛС 123-456-789 01".into()) },
    ] {
        assert!(store.record_check(&input, at(0)).is_err(), "{input:?}");
    }
    assert_eq!(count(&store), 0);
}

#[test]
fn undo_works_only_for_the_last_check_within_ten_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let first = store.record_check(&confirmed("student"), at(0)).unwrap();
    let second = store.record_check(&confirmed("adult"), at(1000)).unwrap();
    assert_eq!(second.undoable_until_ms, T0 + 1000 + UNDO_WINDOW_MS);
    assert_eq!(store.undo(&first.id, at(2000)).unwrap_err().code(), "undo_not_last");
    assert_eq!(store.undo(&second.id, at(1000 + UNDO_WINDOW_MS + 1)).unwrap_err().code(), "undo_expired");
    let undone = store.undo(&second.id, at(1000 + UNDO_WINDOW_MS)).unwrap();
    assert!(undone.voided);
    assert_eq!(undone.void_reason.as_deref(), Some(UNDO_REASON));
    assert_eq!(store.undo(&second.id, at(3000)).unwrap_err().code(), "already_voided");
    let tally = store.overview(at(5000)).unwrap().tally;
    assert_eq!((tally.digital_id, tally.total, tally.voided), (1, 1, 1));
}

#[test]
fn void_needs_a_clean_reason_and_an_own_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let check = store.record_check(&confirmed("student"), at(0)).unwrap();
    assert_eq!(store.void(&check.id, "  ", at(1)).unwrap_err().code(), "void_reason_required");
    assert_eq!(store.void(&check.id, "ошибся, тел. 89123456789", at(1)).unwrap_err().code(), "personal_data");
    assert_eq!(store.void("no-such-id", "ошибка", at(1)).unwrap_err().code(), "not_found");
    assert_eq!(count(&store), 1);

    let voided = store.void(&check.id, "Нажал не ту кнопку", at(60_000)).unwrap();
    assert!(voided.voided);
    assert_eq!(voided.void_reason.as_deref(), Some("Нажал не ту кнопку"));
    assert_eq!(store.void(&check.id, "ещё раз", at(61_000)).unwrap_err().code(), "already_voided");
    let void_id: String =
        store.conn().query_row("SELECT id FROM records WHERE kind = 'void'", [], |r| r.get(0)).unwrap();
    assert_eq!(store.void(&void_id, "ошибка", at(62_000)).unwrap_err().code(), "not_a_check");

    // A record another device made (as sync will bring later) cannot be voided here.
    store
        .conn()
        .execute(
            "INSERT INTO records (id, kind, created_at_ms, utc_offset_min, device_id, branch_id, staff_label,
                 method, outcome, granted)
             VALUES ('other', 'check', ?1, 180, 'other-device', 'branch-1', 'ЖЗ', 'paper', 'paper_shown', 1)",
            [T0],
        )
        .unwrap();
    assert_eq!(store.void("other", "ошибка", at(63_000)).unwrap_err().code(), "foreign_record");
}

#[test]
fn the_log_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    store.record_check(&confirmed("student"), at(0)).unwrap();
    let update = store.conn().execute("UPDATE records SET outcome = 'refused'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(store.conn().execute("DELETE FROM records", []).is_err());
    assert_eq!(count(&store), 1);
}

#[test]
fn event_scope_counts_the_event_and_the_list_shows_today() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    const DAY: i64 = 24 * 60 * 60 * 1000;
    store.record_check(&confirmed("student"), at(-DAY)).unwrap(); // yesterday, no event
    store.set_event(Some(&NewEvent { title: "Библионочь".into(), date: "2026-11-25".into() }), at(0)).unwrap();
    store.record_check(&confirmed("pensioner"), at(1000)).unwrap();
    store.record_check(&CheckInput::Refused { category_id: None, note: None }, at(2000)).unwrap();

    let overview = store.overview(at(3000)).unwrap();
    let Scope::Event { event } = &overview.scope else { panic!("event scope expected") };
    assert_eq!(event.title, "Библионочь");
    assert_eq!(overview.tally, Tally { digital_id: 1, paper: 0, not_granted: 1, total: 2, voided: 0 });
    assert_eq!(overview.records.len(), 2, "yesterday's record is not in today's list");

    store.set_event(None, at(4000)).unwrap();
    let overview = store.overview(at(5000)).unwrap();
    assert!(matches!(overview.scope, Scope::Today { .. }));
    assert_eq!(overview.tally.total, 2);
    assert_eq!(store.overview(at(DAY)).unwrap().tally.total, 0, "a new day starts at zero");
}

#[test]
fn outbox_cursor_only_moves_forward() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    for i in 0..5 {
        store.record_check(&confirmed("student"), at(i)).unwrap();
    }
    let first = store.pending(3).unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(store.pending_count().unwrap(), 5);
    store.acknowledge(first[2].seq).unwrap();
    store.acknowledge(first[0].seq).unwrap(); // a late, repeated acknowledgement
    assert_eq!(store.pending_count().unwrap(), 2);
    let rest = store.pending(10).unwrap();
    assert_eq!(rest.len(), 2);
    assert!(rest[0].seq > first[2].seq);
    store.acknowledge(i64::MAX).unwrap(); // never beyond what exists
    assert_eq!(store.pending_count().unwrap(), 0);
    store.record_check(&confirmed("student"), at(10)).unwrap();
    assert_eq!(store.pending_count().unwrap(), 1);
    drop(store);
    assert_eq!(open(&dir).pending_count().unwrap(), 1, "the cursor survives reopening");
}

#[test]
fn newer_config_replaces_the_bundled_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let mut config = Config::bundled();
    config.categories.push(crate::config::Category {
        id: "honorary_donor".into(),
        name: "Почётный донор".into(),
        document_type_ids: vec!["passport_rf".into()],
        kind: Default::default(),
    });
    assert!(!store.replace_config(&serde_json::to_string(&config).unwrap()).unwrap(), "same version is ignored");
    config.version += 1;
    assert!(store.replace_config(&serde_json::to_string(&config).unwrap()).unwrap());
    assert!(store.replace_config("{not json").is_err());
    drop(store);
    assert!(open(&dir).config().category("honorary_donor").is_some());
}

#[test]
fn training_records_stay_out_of_tallies_and_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    store.record_check(&confirmed("student"), at(0)).unwrap();
    assert!(store.set_training(true).unwrap().settings.unwrap().training);
    let practice = store.record_check(&confirmed("pensioner"), at(1000)).unwrap();
    assert!(practice.training);
    let scenario = store.complete_training("photo-mismatch", 2, at(2000)).unwrap();
    assert!(scenario.training);
    assert_eq!(scenario.outcome, Outcome::PaperRejected);
    assert!(!scenario.granted);
    assert_eq!(store.complete_training("no-such-scenario", 0, at(2500)).unwrap_err().code(), "unknown_scenario");
    assert!(!store.set_training(false).unwrap().settings.unwrap().training);
    store.record_check(&confirmed("adult"), at(3000)).unwrap();

    let overview = store.overview(at(4000)).unwrap();
    assert_eq!(overview.tally, Tally { digital_id: 2, paper: 0, not_granted: 0, total: 2, voided: 0 });
    assert_eq!(overview.training_count, 2);
    assert_eq!(overview.records.iter().filter(|r| r.training).count(), 2, "listed, marked");
    let pending = store.pending(100).unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|r| !r.training), "training records are never sent");
    assert_eq!(store.pending_count().unwrap(), 2);
}

#[test]
fn checklist_and_rejected_paper_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let input: CheckInput = serde_json::from_value(serde_json::json!({
        "kind": "paper", "category_id": "disabled", "document_type_id": "mse_certificate",
        "checklist_completed": true
    }))
    .unwrap();
    let accepted = store.record_check(&input, at(0)).unwrap();
    assert_eq!(
        (accepted.outcome, accepted.granted, accepted.checklist_completed),
        (Outcome::PaperShown, true, Some(true))
    );
    let input: CheckInput = serde_json::from_value(serde_json::json!({
        "kind": "digital_id_failed", "reason_id": "qr_unreadable", "category_id": "student",
        "document_type_id": "student_card", "checklist_completed": false, "accepted": false
    }))
    .unwrap();
    let rejected = store.record_check(&input, at(1000)).unwrap();
    assert_eq!(
        (rejected.outcome, rejected.granted, rejected.checklist_completed),
        (Outcome::PaperRejected, false, Some(false))
    );
    let input: CheckInput = serde_json::from_value(serde_json::json!({
        "kind": "digital_id_failed", "reason_id": "qr_unreadable", "accepted": false
    }))
    .unwrap();
    assert_eq!(store.record_check(&input, at(2000)).unwrap_err().code(), "document_required");
    let tally = store.overview(at(3000)).unwrap().tally;
    assert_eq!((tally.paper, tally.not_granted), (1, 1));
    assert_eq!(store.record(&rejected.id).unwrap().unwrap().checklist_completed, Some(false));
}

#[test]
fn a_content_pack_is_installed_only_when_signed_valid_and_newer() {
    use crate::content::testing::{bundled_with_version, sign, test_key};
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let (signing, trusted) = test_key(3);
    let (stranger, _) = test_key(4);
    let keys = [trusted.clone()];
    let bundled_version = store.content().version;
    assert_eq!(store.content_state().unwrap().source, ContentSource::Bundled);

    let refusals = [
        ("{ broken".to_owned(), "content_invalid"),
        (
            serde_json::json!({"key_id": trusted.key_id, "payload": bundled_with_version(9)}).to_string(),
            "content_unsigned",
        ),
        (sign(&stranger, &trusted.key_id, &bundled_with_version(9)), "content_bad_signature"),
        (sign(&signing, "unknown", &bundled_with_version(9)), "content_untrusted_key"),
        (sign(&signing, &trusted.key_id, "{\"format\": 1}"), "content_invalid"),
        (sign(&signing, &trusted.key_id, &bundled_with_version(bundled_version)), "content_not_newer"),
    ];
    for (text, code) in &refusals {
        let err = store.install_content_pack(text, &keys, at(0)).unwrap_err();
        assert_eq!(err.code(), *code);
        let state = store.content_state().unwrap();
        assert_eq!(state.pack.version, bundled_version, "the previous pack stays in use");
        assert_eq!(state.last_refusal.as_ref().map(|r| r.code.as_str()), Some(*code), "and the app can say why");
    }

    let newer = sign(&signing, &trusted.key_id, &bundled_with_version(bundled_version + 1));
    let state = store.install_content_pack(&newer, &keys, at(1)).unwrap();
    assert_eq!(
        (state.pack.version, state.source, state.last_refusal),
        (bundled_version + 1, ContentSource::Installed, None)
    );
    assert_eq!(store.install_content_pack(&newer, &keys, at(2)).unwrap_err().code(), "content_not_newer");
    drop(store);
    let store = open(&dir);
    assert_eq!(store.content().version, bundled_version + 1, "the installed pack survives restarts");
    assert!(!store.search_content("пенсион").is_empty());
}

#[test]
fn pulled_reference_data_is_applied_and_kept() {
    use crate::content::testing::{bundled_with_version, sign, test_key};
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let (signing, trusted) = test_key(5);
    let mut config = Config::bundled();
    config.version += 1;
    config
        .failure_reasons
        .push(crate::config::Named { id: "expired_id".into(), name: "Цифровой ID не активен".into() });
    let offered = store.content().version + 1;
    let envelope: serde_json::Value =
        serde_json::from_str(&sign(&signing, &trusted.key_id, &bundled_with_version(offered))).unwrap();
    let pull = lgota_protocol::PullResponse {
        config: Some(serde_json::to_value(&config).unwrap()),
        content: Some(envelope),
        events: vec![lgota_protocol::WireEvent {
            id: "ev-1".into(),
            title: "Ночь искусств".into(),
            date: "2026-11-26".into(),
            branch_id: "branch-1".into(),
        }],
        events_cursor: 42,
        server: None,
        app: None,
    };
    store.apply_pull(&pull, &[trusted], at(0)).unwrap();
    let query = store.pull_query().unwrap();
    assert_eq!((query.config_version, query.events_cursor), (config.version, 42));
    assert_eq!(query.content_version, offered);
    assert_eq!(store.content_state().unwrap().source, ContentSource::Installed);
    let events = store.upcoming_events(at(0)).unwrap();
    assert_eq!(events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["ev-1"]);
    let state = store.choose_event("ev-1", at(0)).unwrap();
    assert_eq!(state.settings.unwrap().event.unwrap().title, "Ночь искусств");
    drop(store);
    let store = open(&dir);
    assert!(store.config().failure_reason("expired_id").is_some(), "the new configuration survives a restart");
}

#[test]
fn enrollment_export_and_sync_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    assert!(store.enrollment().unwrap().is_none());
    store.record_check(&confirmed("student"), at(0)).unwrap();
    store.set_training(true).unwrap();
    store.record_check(&confirmed("student"), at(1)).unwrap();
    let export = store.export_pending().unwrap();
    assert_eq!(export.records.len(), 1, "training records are never exported");
    assert_eq!(export.file.device_id, store.device_id());
    // Signed with the phone's own key, which stays the same for the life of the log and never
    // appears in the file (only its public half).
    let key = store.signing_public_key().unwrap();
    let file: lgota_protocol::ExportEnvelope = serde_json::from_slice(&export.to_json()).unwrap();
    assert_eq!(lgota_domain::export::verify(&file, &key), lgota_domain::export::Verdict::Verified);
    assert_eq!(file.records().unwrap(), export.records);
    let secret: Vec<u8> = store.conn.query_row("SELECT secret FROM signing_key", [], |r| r.get(0)).unwrap();
    let text = String::from_utf8(export.to_json()).unwrap();
    use base64::Engine;
    for encoding in [base64::engine::general_purpose::URL_SAFE_NO_PAD, base64::engine::general_purpose::STANDARD_NO_PAD]
    {
        assert!(!text.contains(&encoding.encode(&secret)));
    }
    assert_eq!(Store::open(dir.path().join("lgota.db")).unwrap().signing_public_key().unwrap(), key);
    assert_eq!(store.pending_count().unwrap(), 1, "exporting marks nothing as sent");

    let e = store.save_enrollment("https://cbs.example", "tok", "not an id/", "Марс").unwrap_err();
    assert_eq!(e.code(), "unknown_branch");
    let state = store.save_enrollment("https://cbs.example", "tok", "central", "Центральная").unwrap();
    assert_eq!(state.settings.unwrap().branch_id, "central", "the device moves to the enrolled branch");
    // Enrolled, the phone stays with its branch: the server would refuse another branch's records.
    let other = SetupInput { branch_id: "branch-2".into(), staff_label: "И.П.".into(), event: None };
    let e = store.setup(&other, at(2)).unwrap_err();
    assert_eq!(e.code(), "branch_fixed_by_enrollment");
    assert!(e.to_string().contains("Центральная городская библиотека"), "{e}");
    let same = SetupInput { branch_id: "central".into(), staff_label: "Другая метка".into(), event: None };
    assert_eq!(store.setup(&same, at(3)).unwrap().settings.unwrap().staff_label, "Другая метка");
    assert_eq!(
        store.enrollment().unwrap().unwrap(),
        Enrollment { server: "https://cbs.example".into(), token: "tok".into(), ca_der: None }
    );
    let problem =
        SyncProblem {
            code: "unreachable".into(), message: "нет сети".into(), advice: "позже".into(), at_ms: T0
        };
    store.note_sync(Some(&problem), at(5)).unwrap();
    let status = store.sync_status().unwrap();
    assert_eq!((status.pending, status.problem.as_ref(), status.last_success_ms), (1, Some(&problem), None));
    store.note_sync(None, at(6)).unwrap();
    let status = store.sync_status().unwrap();
    assert_eq!((status.problem, status.last_success_ms), (None, Some(T0 + 6)));
}

#[test]
fn a_branch_the_configuration_does_not_list_is_taken_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    // Not enrolled: only the configuration's branches.
    let new = SetupInput { branch_id: "branch-new".into(), staff_label: "ИП".into(), event: None };
    assert_eq!(store.setup(&new, at(0)).unwrap_err().code(), "unknown_branch");
    assert_eq!(store.branch_name("branch-new"), "branch-new");

    let state = store.save_enrollment("https://cbs.example", "tok", "branch-new", "  Филиал\tна Озёрной ").unwrap();
    let settings = state.settings.unwrap();
    assert_eq!((settings.branch_id.as_str(), settings.branch_name.as_str()), ("branch-new", "Филиал на Озёрной"));
    // Recording and changing the label work in it; the enrollment still fixes the branch.
    store.record_check(&confirmed("student"), at(1)).unwrap();
    let label = SetupInput { branch_id: "branch-new".into(), staff_label: "Другая".into(), event: None };
    assert_eq!(store.setup(&label, at(2)).unwrap().settings.unwrap().branch_name, "Филиал на Озёрной");
    let central = SetupInput { branch_id: "central".into(), staff_label: "ИП".into(), event: None };
    let e = store.setup(&central, at(3)).unwrap_err();
    assert_eq!(e.code(), "branch_fixed_by_enrollment");
    assert!(e.to_string().contains("Филиал на Озёрной"), "{e}");
    drop(store);
    let mut store = open(&dir);
    assert_eq!(store.state().unwrap().settings.unwrap().branch_name, "Филиал на Озёрной", "kept across a restart");

    // A configuration that lists it names it from then on.
    let mut config: serde_json::Value = serde_json::to_value(store.config()).unwrap();
    config["version"] = (store.config().version + 1).into();
    config["branches"].as_array_mut().unwrap().push(serde_json::json!({"id": "branch-new", "name": "Озёрная"}));
    assert!(store.replace_config(&config.to_string()).unwrap());
    assert_eq!(store.state().unwrap().settings.unwrap().branch_name, "Озёрная");

    // A name the configuration's rules refuse is not shown: the id stands in.
    let long = "Ф".repeat(lgota_domain::config::NAME_MAX + 1);
    let state = store.save_enrollment("https://cbs.example", "tok2", "branch-far", &long).unwrap();
    assert_eq!(state.settings.unwrap().branch_name, "branch-far");
}

#[test]
fn the_enrollment_secret_is_kept_per_code_until_the_enrollment_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let first = store.enrollment_secret("CODE-1").unwrap();
    assert_eq!(first.len(), 43, "32 random bytes, base64url");
    assert_eq!(store.enrollment_secret(" CODE-1 ").unwrap(), first, "the same code, the same secret");
    drop(store);
    let mut store = open(&dir);
    assert_eq!(store.enrollment_secret("CODE-1").unwrap(), first, "kept on disk before sending");
    let other = store.enrollment_secret("CODE-2").unwrap();
    assert_ne!(other, first, "another code, another secret");
    store.save_enrollment("https://cbs.example", "tok", "central", "Центральная").unwrap();
    assert_ne!(store.enrollment_secret("CODE-2").unwrap(), other, "an answered enrollment forgets its secret");
}

#[test]
fn a_scanned_event_is_chosen_only_if_known_of_this_branch_and_not_past() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let event = |id: &str, date: &str, branch: &str| lgota_protocol::WireEvent {
        id: id.into(),
        title: format!("Мероприятие {id}"),
        date: date.into(),
        branch_id: branch.into(),
    };
    let pull = lgota_protocol::PullResponse {
        config: None,
        content: None,
        events: vec![
            event("ev-today", "2026-11-25", "branch-1"),
            event("ev-later", "2026-12-01", "branch-1"),
            event("ev-past", "2026-11-24", "branch-1"),
            event("ev-other", "2026-11-25", "branch-2"),
        ],
        events_cursor: 4,
        server: None,
        app: None,
    };
    store.apply_pull(&pull, &[], at(0)).unwrap();

    let err = store.choose_event("ev-nope", at(0)).unwrap_err();
    assert_eq!(err.code(), "unknown_event");
    assert!(err.to_string().contains("Синхронизируйте"), "{err}");
    let err = store.choose_event("ev-other", at(0)).unwrap_err();
    assert_eq!(err.code(), "event_other_branch");
    let other = store.config().branch("branch-2").unwrap().name.clone();
    assert!(err.to_string().contains(&other), "names the other branch: {err}");
    let err = store.choose_event("ev-past", at(0)).unwrap_err();
    assert_eq!(err.code(), "event_past");
    assert!(err.to_string().contains("24.11.2026"), "{err}");
    assert_eq!(store.state().unwrap().settings.unwrap().event, None, "a refusal changes nothing");

    let state = store.choose_event("ev-later", at(0)).unwrap();
    assert_eq!(state.settings.unwrap().event.unwrap().id, "ev-later");
    let state = store.choose_event("ev-today", at(0)).unwrap();
    assert_eq!(state.settings.unwrap().event.unwrap().id, "ev-today");
    drop(store);
    assert_eq!(open(&dir).state().unwrap().settings.unwrap().event.unwrap().title, "Мероприятие ev-today");

    // Not set up yet: nothing to choose for.
    let fresh = tempfile::tempdir().unwrap();
    assert_eq!(open(&fresh).choose_event("ev-today", at(0)).unwrap_err().code(), "not_configured");
}

#[test]
fn pending_records_carry_their_event_title_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    store.record_check(&confirmed("student"), at(0)).unwrap();
    store.set_event(Some(&NewEvent { title: "Библионочь".into(), date: "2026-04-18".into() }), at(1)).unwrap();
    store.record_check(&confirmed("student"), at(2)).unwrap();
    // A central event: the server knows it already, so its records carry only its id.
    let pull = lgota_protocol::PullResponse {
        config: None,
        content: None,
        events: vec![lgota_protocol::WireEvent {
            id: "ev-central".into(),
            title: "Ночь искусств".into(),
            date: "2026-11-26".into(),
            branch_id: "branch-1".into(),
        }],
        events_cursor: 1,
        server: None,
        app: None,
    };
    store.apply_pull(&pull, &[], at(3)).unwrap();
    store.choose_event("ev-central", at(3)).unwrap();
    store.record_check(&confirmed("student"), at(4)).unwrap();

    let pending = store.pending(10).unwrap();
    assert_eq!((pending[0].event_id.as_ref(), pending[0].event_title.as_ref()), (None, None));
    assert!(pending[1].event_id.is_some());
    assert_eq!(pending[1].event_title.as_deref(), Some("Библионочь"), "the phone's own event is named");
    assert_eq!(pending[1].event_date.as_deref(), Some("2026-04-18"));
    assert_eq!(pending[2].event_id.as_deref(), Some("ev-central"));
    assert_eq!((pending[2].event_title.as_ref(), pending[2].event_date.as_ref()), (None, None));
    let export = store.export_pending().unwrap();
    assert_eq!(export.records[1].event_title.as_deref(), Some("Библионочь"), "the export file names it too");
    assert_eq!(export.records[2].event_title, None);
}

#[test]
fn a_bad_pulled_event_is_left_out_and_the_pull_still_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let event = |id: &str, title: &str, date: &str| lgota_protocol::WireEvent {
        id: id.into(),
        title: title.into(),
        date: date.into(),
        branch_id: "branch-1".into(),
    };
    let mut config = Config::bundled();
    config.version += 1;
    let pull = lgota_protocol::PullResponse {
        config: Some(serde_json::to_value(&config).unwrap()),
        // Unsigned: refused and remembered, which does not fail the pull.
        content: Some(serde_json::json!({"payload": "{}"})),
        events: vec![
            event("ev-good-1", "Библионочь", "2026-11-26"),
            event("ev-bad-date", "Лекция", "26.11.2026"),
            event("ev-phone", "Звонить +7 912 345-67-89", "2026-11-27"),
            event("ev-long", &"а".repeat(EVENT_TITLE_MAX + 1), "2026-11-27"),
            event("ev-empty", "  ", "2026-11-27"),
            event("ev-good-2", " Ночь кино ", "2026-11-28"),
        ],
        events_cursor: 6,
        server: None,
        app: None,
    };
    assert_eq!(store.apply_pull(&pull, &[], at(0)).unwrap(), 4, "four events left out");
    let ids = |store: &Store| -> Vec<String> {
        let mut stmt = store.conn().prepare("SELECT id FROM events ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    };
    assert_eq!(ids(&store), ["ev-good-1", "ev-good-2"]);
    let titles: Vec<String> = store.upcoming_events(at(0)).unwrap().into_iter().map(|e| e.title).collect();
    assert_eq!(titles, ["Библионочь", "Ночь кино"], "stored as validated (trimmed)");
    let query = store.pull_query().unwrap();
    assert_eq!((query.events_cursor, query.config_version), (6, config.version), "the cursor moves past them all");
    assert!(store.content_state().unwrap().last_refusal.is_some());
    assert_eq!(store.choose_event("ev-phone", at(0)).unwrap_err().code(), "unknown_event");
}

#[test]
fn a_storage_failure_while_installing_a_pulled_pack_fails_the_pull() {
    use crate::content::testing::{bundled_with_version, sign, test_key};
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let (signing, trusted) = test_key(5);
    let envelope: serde_json::Value =
        serde_json::from_str(&sign(&signing, &trusted.key_id, &bundled_with_version(store.content().version + 1)))
            .unwrap();
    store
        .conn()
        .execute_batch("CREATE TRIGGER no_write BEFORE INSERT ON reference BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        .unwrap();
    let pull = lgota_protocol::PullResponse {
        config: None,
        content: Some(envelope),
        events: vec![],
        events_cursor: 9,
        server: None,
        app: None,
    };
    assert_eq!(store.apply_pull(&pull, &[trusted], at(0)).unwrap_err().code(), "storage");
    assert_eq!(store.pull_query().unwrap().events_cursor, 0, "nothing advanced: the pull is tried again");
}

use lgota_protocol::RecordResult;

/// A configuration one version newer than the bundled one, changed by `f`, applied.
fn publish(store: &mut Store, f: impl FnOnce(&mut Config)) {
    let mut config = store.config().clone();
    config.version += 1;
    f(&mut config);
    assert!(store.replace_config(&serde_json::to_string(&config).unwrap()).unwrap());
}

fn ids(store: &Store) -> Vec<String> {
    let mut stmt = store.conn().prepare("SELECT id FROM records ORDER BY seq").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

fn ack(id: &str) -> RecordResult {
    RecordResult { id: id.into(), status: lgota_protocol::RecordStatus::Stored, code: None, message: None }
}

#[test]
fn acknowledged_records_leave_the_phone_after_the_offices_retention_and_nothing_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let day = DAY_MS;
    // Day 0: four checks, one voided; a training check.
    let old_kept = store.record_check(&confirmed("student"), at(0)).unwrap();
    let old_voided = store.record_check(&confirmed("student"), at(1)).unwrap();
    let old_refused = store.record_check(&confirmed("student"), at(2)).unwrap();
    let void = store.void(&old_voided.id, "ошибка", at(3)).unwrap();
    store.set_training(true).unwrap();
    let training = store.record_check(&confirmed("student"), at(4)).unwrap();
    store.set_training(false).unwrap();
    // The server acknowledged all of day 0 but refused one (it waits in «Требуют внимания»)…
    let sent = store.pending(100).unwrap();
    let last_seq = sent.last().unwrap().seq;
    let mut results: Vec<RecordResult> = sent.iter().map(|r| ack(&r.id)).collect();
    results.iter_mut().find(|r| r.id == old_refused.id).unwrap().status = lgota_protocol::RecordStatus::Refused;
    store.settle_batch(last_seq, &results, at(5)).unwrap();
    // …then day 40: a check never sent.
    let unsent = store.record_check(&confirmed("student"), at(40 * day)).unwrap();
    let before = ids(&store);

    // Without a retention setting nothing goes.
    assert_eq!(store.purge_acknowledged(at(400 * day)).unwrap(), 0);
    publish(&mut store, |c| c.device_policy.keep_acknowledged_days = Some(30));
    // Day 20: nothing is 30 days old yet.
    assert_eq!(store.purge_acknowledged(at(20 * day)).unwrap(), 0);
    assert_eq!(ids(&store), before);
    // Day 31: the acknowledged check and the voided check with its void are gone; the refused one,
    // the training one and the unsent one stay — whatever their age.
    assert_eq!(store.purge_acknowledged(at(31 * day)).unwrap(), 3);
    assert_eq!(ids(&store), [old_refused.id.clone(), training.id.clone(), unsent.id.clone()]);
    assert!(!ids(&store).contains(&void.id) && !ids(&store).contains(&old_kept.id));
    assert_eq!(store.pending_count().unwrap(), 1);
    assert_eq!(store.sync_status().unwrap().attention.len(), 1);
    assert_eq!(store.purge_acknowledged(at(1000 * day)).unwrap(), 0, "the unsent one is never deleted");

    // The trigger holds whatever the code asks: unacknowledged, refused and training records
    // cannot be deleted even with the gate open; UPDATE stays refused.
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("lgota.db")).unwrap();
    conn.execute("INSERT INTO meta (key, value) VALUES ('purge_before_ms', ?1)", [i64::MAX]).unwrap();
    for id in [&old_refused.id, &training.id, &unsent.id] {
        let err = conn.execute("DELETE FROM records WHERE id = ?1", [id]).unwrap_err();
        assert!(err.to_string().contains("only acknowledged records"), "{err}");
    }
    assert!(conn.execute("UPDATE records SET note = 'x'", []).is_err());
    conn.execute("DELETE FROM meta WHERE key = 'purge_before_ms'", []).unwrap();
    // Without the gate, not even an acknowledged record: a fresh one acknowledged by hand.
    drop(conn);
    let mut store = open(&dir);
    let fresh = store.record_check(&confirmed("student"), at(41 * day)).unwrap();
    let seq = store.pending(100).unwrap().last().unwrap().seq;
    store.settle_batch(seq, &[ack(&unsent.id), ack(&fresh.id)], at(41 * day)).unwrap();
    let err = store.conn().execute("DELETE FROM records WHERE id = ?1", [&fresh.id]).unwrap_err();
    assert!(err.to_string().contains("only acknowledged records"), "{err}");
}

#[test]
fn a_revoked_phone_forgets_what_the_office_has_its_token_and_staff_label() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    store.save_enrollment("https://cbs.example", "secret-token", "branch-1", "Филиал 1").unwrap();
    let sent = store.record_check(&confirmed("student"), at(0)).unwrap();
    let seq = store.pending(10).unwrap()[0].seq;
    store.settle_batch(seq, &[ack(&sent.id)], at(1)).unwrap();
    let unsent = store.record_check(&confirmed("student"), at(2)).unwrap();

    let revocation = store.forget_revoked(at(3)).unwrap();
    assert_eq!((revocation.deleted, revocation.kept_unsent), (1, 1));
    assert_eq!(ids(&store), std::slice::from_ref(&unsent.id));
    assert!(store.enrollment().unwrap().is_none(), "no token");
    assert!(store.sync_status().unwrap().server.is_none(), "the sync panel offers to enroll again");
    let state = store.state().unwrap();
    assert!(state.settings.is_none(), "no staff label: the setup screen, which says why");
    assert_eq!(state.revoked, Some(revocation));
    // The unsent record can still be carried by hand.
    assert_eq!(store.export_pending().unwrap().records.len(), 1);
    // The token is gone from the file, also for another connection; the notice survives a restart.
    drop(store);
    let sqlite = rusqlite::Connection::open(dir.path().join("lgota.db")).unwrap();
    let token: Option<String> =
        sqlite.query_row("SELECT value FROM meta WHERE key = 'device_token'", [], |r| r.get(0)).optional().unwrap();
    assert!(token.is_none());
    let mut store = open(&dir);
    assert!(store.state().unwrap().revoked.is_some());
    // Enrolling again clears the notice.
    store.save_enrollment("https://cbs.example", "new-token", "branch-1", "Филиал 1").unwrap();
    assert!(store.state().unwrap().revoked.is_none());
}

#[test]
fn the_offices_pin_policy_is_kept_before_anything_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    store.set_lock_options(900, false).unwrap();
    publish(&mut store, |c| {
        c.device_policy.pin_required = true;
        c.device_policy.max_idle_seconds = Some(300);
    });
    let lock = store.lock_settings().unwrap();
    assert!(lock.pin_required && !lock.pin_set && !lock.policy_kept());
    assert_eq!((lock.idle_seconds, lock.max_idle_seconds), (300, Some(300)), "the idle time is capped");
    let err = store.record_check(&confirmed("student"), at(0)).unwrap_err();
    assert_eq!(err.code(), "pin_needed_by_policy");
    assert!(err.to_string().contains("Задайте PIN в настройках"), "{err}");
    assert_eq!(count(&store), 0);
    let err = store.set_lock_options(900, false).unwrap_err();
    assert_eq!(err.code(), "idle_above_policy");
    assert_eq!(err.to_string(), "Центральная библиотека разрешает блокировку не позже чем через 5 мин.");
    store.set_lock_options(60, false).unwrap();

    store.set_pin(None, "2580", at(0)).unwrap();
    assert!(store.lock_settings().unwrap().policy_kept());
    store.record_check(&confirmed("student"), at(0)).unwrap();
    assert_eq!(store.remove_pin("2580", at(0)).unwrap_err().code(), "pin_kept_by_policy");
    store.set_pin(Some("2580"), "1470", at(0)).unwrap();
    // The office lifts the requirement: the PIN may go.
    publish(&mut store, |c| c.device_policy = Default::default());
    assert!(!store.remove_pin("1470", at(0)).unwrap().pin_set);
}

#[test]
fn staff_labels_come_from_the_offices_list_when_it_keeps_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir); // «И.П.», typed before any list
    publish(&mut store, |c| c.staff_labels = vec!["ЦГБ-01".into(), "ЦГБ-02".into()]);
    // The label in use keeps recording: nothing stops at the door.
    store.record_check(&confirmed("student"), at(0)).unwrap();
    let setup = |label: &str| SetupInput { branch_id: "branch-1".into(), staff_label: label.into(), event: None };
    assert_eq!(store.setup(&setup("ЦГБ-03"), at(0)).unwrap_err().code(), "staff_label_not_listed");
    let state = store.setup(&setup(" ЦГБ-02 "), at(0)).unwrap();
    assert_eq!(state.settings.unwrap().staff_label, "ЦГБ-02");
}

#[test]
fn the_device_report_goes_only_to_a_server_that_reads_it_and_old_apps_are_told_to_update() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = configured(&dir);
    let q = store.pull_query().unwrap();
    assert_eq!((q.report, q.app_version.as_deref()), (None, None), "an older server would refuse the parameters");
    let info = |report| lgota_protocol::ServerInfo { server_id: "s".into(), server_time_ms: T0, device_report: report };
    store.note_server(&info(Some(lgota_protocol::DEVICE_REPORT_VERSION)), at(0)).unwrap();
    // A refused pack is reported by its code.
    let _ = store.install_content_pack("{}", &[], at(7));
    let q = store.pull_query().unwrap();
    assert_eq!(q.report, Some(2));
    assert_eq!(q.signing_key, Some(store.signing_public_key().unwrap()), "version 2 carries the export key");
    assert_eq!(q.app_version.as_deref(), Some(crate::APP_VERSION));
    assert_eq!((q.pin_set, q.idle_seconds, q.policy_kept), (Some(false), Some(120), Some(true)));
    assert!(q.pack_refusal.is_some() && q.pack_refusal_at_ms == Some(T0 + 7), "{q:?}");
    assert_eq!(q.config_version, store.config().version);
    // A server that reads version 1 gets version 1: no key (it would refuse the parameter).
    store.note_server(&info(Some(1)), at(0)).unwrap();
    let q = store.pull_query().unwrap();
    assert_eq!((q.report, q.signing_key, q.app_version.is_some()), (Some(1), None, true));
    store.note_server(&info(None), at(0)).unwrap();
    assert_eq!(store.pull_query().unwrap().report, None, "a server downgraded: no report");

    // min_app_version: newer than this app → the notice; the same or older → none.
    store.set_app_version("0.1.0");
    let pull = |min: &str| lgota_protocol::PullResponse {
        app: Some(lgota_protocol::AppRequirement {
            min_version: min.into(),
            download_url: Some("https://cbs.example/app".into()),
        }),
        ..Default::default()
    };
    store.apply_pull(&pull("0.2.0"), &[], at(0)).unwrap();
    let notice = store.state().unwrap().update.expect("update notice");
    assert_eq!(
        (notice.min_version.as_str(), notice.download_url.as_deref()),
        ("0.2.0", Some("https://cbs.example/app"))
    );
    store.record_check(&confirmed("student"), at(0)).expect("an old app goes on recording");
    for min in ["0.1.0", "0.0.9", "не версия"] {
        store.apply_pull(&pull(min), &[], at(0)).unwrap();
        assert!(store.state().unwrap().update.is_none(), "{min}");
    }
    store.apply_pull(&pull("0.2.0"), &[], at(0)).unwrap();
    store.apply_pull(&lgota_protocol::PullResponse::default(), &[], at(0)).unwrap();
    assert!(store.state().unwrap().update.is_none(), "the server stopped asking");
    assert_eq!(store.state().unwrap().app_version, "0.1.0");
}

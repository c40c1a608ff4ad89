//! The content a phone shows, on a real SQLite file (issue 17): once enrolled with a pinned
//! content key, only that key's packs — nothing of another institution, not even the bundled
//! pack — and a pack outdated by a newer configuration kept and marked, never dropped for the
//! bundled one.

use lgota_core::content::testing::{bundled_json, bundled_with_version, sign, test_key};
use lgota_core::store::EnrollmentPins;
use lgota_core::{ContentSource, Now, SetupInput, Store};

const T0: i64 = 1_795_600_000_000;

fn at(ms: i64) -> Now {
    Now { utc_ms: T0 + ms, offset_min: 180 }
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path().join("lgota.db")).unwrap()
}

fn configured(dir: &tempfile::TempDir) -> Store {
    let mut store = open(dir);
    let setup = SetupInput { branch_id: "branch-1".into(), staff_label: "ИП".into(), event: None };
    store.setup(&setup, at(0)).unwrap();
    store
}

/// The bundled configuration as a newer version with a category whose paper document is new.
fn config_with_new_document(version: u32) -> String {
    let mut config = serde_json::to_value(lgota_core::Config::bundled()).unwrap();
    config["version"] = version.into();
    config["document_types"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"id": "veteran_card", "name": "Удостоверение ветерана"}));
    config["categories"].as_array_mut().unwrap().push(serde_json::json!({
        "id": "veteran", "name": "Ветеран труда", "document_type_ids": ["veteran_card"]
    }));
    config.to_string()
}

/// The bundled pack as `version`, with a checklist for the new document if `covering`.
fn pack(version: u32, covering: bool) -> String {
    let mut pack: serde_json::Value = serde_json::from_str(&bundled_with_version(version)).unwrap();
    if covering {
        pack["checklists"].as_array_mut().unwrap().push(serde_json::json!({
            "document_type_id": "veteran_card", "checks": ["Фото в удостоверении совпадает с человеком"]
        }));
    }
    pack.to_string()
}

#[test]
fn an_enrolled_phone_installs_only_its_institutions_packs_and_shows_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let (a, a_key) = test_key(1);
    let (b, b_key) = test_key(2);
    // The build trusts both keys (say, compiled in): the pin narrows it to the QR's.
    let compiled = [a_key.clone(), b_key.clone()];
    let mut store = configured(&dir);
    assert_eq!(store.content_state().unwrap().source, ContentSource::Bundled);
    let bundled = store.content().version;

    let pins = EnrollmentPins { content_key: Some(a_key.clone()), ca_der: None };
    store.save_enrollment_pinned("https://a.example", "token-a", "branch-1", "Центральная", &pins).unwrap();
    let state = store.content_state().unwrap();
    assert_eq!(state.source, ContentSource::Awaiting, "the bundled regulation is not shown once enrolled");
    assert!(
        state.pack.articles.is_empty() && state.pack.regulation.sections.is_empty() && state.pack.training.is_empty()
    );
    assert!(!state.stale);
    assert!(store.search_content("пенсион").is_empty(), "nothing of another institution is found either");

    // B's pack, however valid, is refused by name, and the refusal is kept for the device report.
    let from_b = sign(&b, &b_key.key_id, &pack(bundled + 1, false));
    let e = store.install_content_pack(&from_b, &compiled, at(1)).unwrap_err();
    assert_eq!(e.code(), "content_key_not_pinned");
    let refusal = store.content_state().unwrap().last_refusal.unwrap();
    assert_eq!(refusal.code, "content_key_not_pinned");
    assert!(
        refusal.message.contains("«test-2» другого учреждения") && refusal.message.contains("«test-1»"),
        "{}",
        refusal.message
    );
    assert_eq!(store.content_state().unwrap().source, ContentSource::Awaiting);

    // A's pack, even of version 1 (below the bundled one), is installed and survives a restart.
    let from_a = sign(&a, &a_key.key_id, &pack(1, false));
    let state = store.install_content_pack(&from_a, &compiled, at(2)).unwrap();
    assert_eq!((state.source, state.pack.version, state.last_refusal), (ContentSource::Installed, 1, None));
    drop(store);
    let mut store = open(&dir);
    assert_eq!((store.content_state().unwrap().source, store.content().version), (ContentSource::Installed, 1));
    assert_eq!(store.pinned_key().unwrap(), Some(a_key.clone()));

    // Enrolled again with A's QR: A's pack stays. With a QR naming A's key id but another key:
    // not shown (the pack is kept with the key that verified it, not only its id).
    let pins = EnrollmentPins { content_key: Some(a_key.clone()), ca_der: None };
    store.save_enrollment_pinned("https://a.example", "token-a2", "branch-1", "Центральная", &pins).unwrap();
    assert_eq!(store.content_state().unwrap().source, ContentSource::Installed);
    let impostor = lgota_core::TrustedKey { key_id: a_key.key_id.clone(), public_key: b_key.public_key.clone() };
    let pins = EnrollmentPins { content_key: Some(impostor), ca_der: None };
    store.save_enrollment_pinned("https://a.example", "token-a3", "branch-1", "Центральная", &pins).unwrap();
    assert_eq!(store.content_state().unwrap().source, ContentSource::Awaiting);

    // Enrolled again with B's QR: A's pack is not shown any more.
    let pins = EnrollmentPins { content_key: Some(b_key.clone()), ca_der: None };
    store.save_enrollment_pinned("https://b.example", "token-b", "branch-1", "Центральная", &pins).unwrap();
    assert_eq!(store.content_state().unwrap().source, ContentSource::Awaiting);
    drop(store);
    assert_eq!(open(&dir).content_state().unwrap().source, ContentSource::Awaiting);
}

#[test]
fn a_pack_outdated_by_a_newer_configuration_is_kept_and_marked_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (a, a_key) = test_key(1);
    let keys = [a_key.clone()];
    let mut store = configured(&dir);
    let installed = store.content().version + 1;
    store.install_content_pack(&sign(&a, &a_key.key_id, &pack(installed, false)), &keys, at(1)).unwrap();
    assert!(!store.content_state().unwrap().stale);

    // The office adds a category with a new document: the pack in use has no checklist for it.
    let config_version = store.config().version + 1;
    assert!(store.replace_config(&config_with_new_document(config_version)).unwrap());
    let state = store.content_state().unwrap();
    assert_eq!((state.source, state.pack.version, state.stale), (ContentSource::Installed, installed, true));

    // After a restart the same pack, still marked — not the bundled one.
    drop(store);
    let mut store = open(&dir);
    let state = store.content_state().unwrap();
    assert_eq!((state.source, state.pack.version, state.stale), (ContentSource::Installed, installed, true));

    // A newer pack that does not cover the configuration either is refused; the last one stays.
    let uncovering = sign(&a, &a_key.key_id, &pack(installed + 1, false));
    assert_eq!(store.install_content_pack(&uncovering, &keys, at(2)).unwrap_err().code(), "content_mismatch");
    assert_eq!(store.content().version, installed);

    // The covering pack replaces it, and the mark goes.
    let covering = sign(&a, &a_key.key_id, &pack(installed + 1, true));
    let state = store.install_content_pack(&covering, &keys, at(3)).unwrap();
    assert_eq!((state.pack.version, state.stale), (installed + 1, false));
    assert!(bundled_json().contains("\"format\""));
}

//! Export files that cannot be forged (issue 17): real phones (`lgota-core` over their own SQLite
//! files) enroll with a real server on 127.0.0.1 through the phone's HTTP client, export their
//! records, and the real binary's `import` takes a file only when the key registered for its
//! device signed exactly those bytes.

mod common;

use std::process::Command;
use std::sync::{Arc, Mutex};

use common::*;
use lgota_central::store::prelude::*;
use lgota_client::Client;
use lgota_core::sync::sync_once;
use lgota_core::{CheckInput, Now, SetupInput, Store};
use lgota_protocol::ExportFile;

fn import(db: &std::path::Path, file: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
        .arg("--db")
        .arg(db)
        .arg("import")
        .arg(file)
        .env_remove("LGOTA_CENTRAL_CONFIG")
        .current_dir(db.parent().unwrap())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// A phone's log in the server's folder, set up in the test branch.
fn phone_log(s: &Server, name: &str) -> Arc<Mutex<Store>> {
    let mut store = Store::open(s.dir.path().join(format!("{name}.db"))).unwrap();
    store
        .setup(&SetupInput { branch_id: BRANCH.into(), staff_label: "ИП".into(), event: None }, Now::system())
        .unwrap();
    Arc::new(Mutex::new(store))
}

/// A phone enrolled the way the app does it (`lgota_client::enroll_device`: its key goes along).
async fn enrolled_phone(s: &Server, name: &str) -> Arc<Mutex<Store>> {
    let store = phone_log(s, name);
    let code = s.issue_code(BRANCH);
    let (phone, base) = (store.clone(), s.base.clone());
    tokio::task::spawn_blocking(move || lgota_client::enroll_device(&phone, &base, &code, &[]).map(|_| ()))
        .await
        .unwrap()
        .unwrap();
    store
}

fn record(phone: &Mutex<Store>, n: usize) {
    let mut phone = phone.lock().unwrap();
    for _ in 0..n {
        phone
            .record_check(
                &CheckInput::DigitalIdConfirmed { category_id: "pensioner".into(), note: None },
                Now::system(),
            )
            .unwrap();
    }
}

fn export(phone: &Mutex<Store>) -> Vec<u8> {
    phone.lock().unwrap().export_pending().unwrap().to_json()
}

fn write(s: &Server, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = s.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Asserts the binary refused the file with `code` and a Russian message, and stored nothing.
fn refused(s: &Server, file: &std::path::Path, code: &str, words: &str) {
    let before = s.count();
    let (ok, out, err) = import(&s.dir.path().join("central.db"), file);
    assert!(!ok, "{out}");
    assert!(err.contains(&format!("{code}: ")) && err.contains(words), "{err}");
    assert_eq!(s.count(), before, "a refused file stores nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_export_imports_once_and_a_changed_or_foreign_one_is_refused() {
    let s = start().await;
    let db = s.dir.path().join("central.db");
    let a = enrolled_phone(&s, "a").await;
    let a_id = a.lock().unwrap().device_id().to_owned();
    assert_eq!(s.db.signing_key(&a_id).unwrap(), Some(a.lock().unwrap().signing_public_key().unwrap()));
    record(&a, 5);

    // Signed by the phone's registered key: imported; the same file again changes nothing.
    let file = write(&s, "a.json", &export(&a));
    let (ok, out, err) = import(&db, &file);
    assert!(ok, "{err}");
    assert!(out.contains("Импорт: новых записей 5, уже были 0, расхождений 0, не принято 0."), "{out}");
    let (ok, out, err) = import(&db, &file);
    assert!(ok, "{err}");
    assert!(out.contains("Импорт: новых записей 0, уже были 5, расхождений 0, не принято 0."), "{out}");
    assert_eq!(s.count(), 5);

    // One byte of a record changed after export: refused whole, the untouched file still imports.
    record(&a, 2);
    let text = String::from_utf8(export(&a)).unwrap();
    // The last record's time, its first digit after the field name: 1 → 2 (a date years later).
    let at = text.rfind("\"created_at_ms\":1").expect("a record's time") + "\"created_at_ms\":".len();
    let mut changed = text.clone().into_bytes();
    changed[at] = b'2';
    refused(&s, &write(&s, "changed.json", &changed), "export_signature_invalid", "файл изменён после выгрузки");
    let (ok, out, err) = import(&db, &write(&s, "a2.json", text.as_bytes()));
    assert!(ok && out.contains("новых записей 2, уже были 5"), "{out}{err}");

    // Another phone's file passed off as this one's: another key signed it.
    let b = enrolled_phone(&s, "b").await;
    let b_id = b.lock().unwrap().device_id().to_owned();
    record(&b, 1);
    let b_file = String::from_utf8(export(&b)).unwrap();
    let posing = b_file.replace(&format!("\"device_id\": \"{b_id}\""), &format!("\"device_id\": \"{a_id}\""));
    assert_ne!(posing, b_file);
    refused(&s, &write(&s, "posing.json", posing.as_bytes()), "export_signature_invalid", "подписан не ключом");
    // Records made up and signed with a key nobody registered.
    let records = a.lock().unwrap().export_pending().unwrap().records;
    let forged = signed_export([5; 32], &a_id, &records);
    refused(&s, &write(&s, "forged.json", &forged), "export_signature_invalid", "подписан не ключом");
    // The other phone's own file is fine.
    let (ok, out, err) = import(&db, &write(&s, "b.json", b_file.as_bytes()));
    assert!(ok && out.contains("новых записей 1"), "{out}{err}");

    // The unsigned file of an older app, and a device the server never enrolled.
    let unsigned = ExportFile { format: 1, device_id: a_id.clone(), records: records.clone() };
    refused(&s, &write(&s, "old.json", &serde_json::to_vec(&unsigned).unwrap()), "export_unsigned", "не подписан");
    let nobody = signed_export([5; 32], "phone-nobody", &records);
    refused(&s, &write(&s, "nobody.json", &nobody), "export_device_unknown", "не подключён к этому серверу");
    assert_eq!(s.count(), 8);
}

/// A phone enrolled before export keys existed: its files are refused until its next sync
/// registers its key (device report version 2); a key is never replaced by a sync.
#[tokio::test(flavor = "multi_thread")]
async fn a_phone_enrolled_before_keys_registers_its_key_at_its_next_sync() {
    let s = start().await;
    let c = phone_log(&s, "c");
    let c_id = c.lock().unwrap().device_id().to_owned();
    // The old app's enrollment: no key in the request.
    let token = s.enroll(&c_id, BRANCH).await;
    c.lock().unwrap().save_enrollment(&s.base, &token, BRANCH, "Центральная").unwrap();
    record(&c, 3);
    let file = write(&s, "c.json", &export(&c));
    refused(&s, &file, "export_key_unknown", "ещё не зарегистрирован");
    assert_eq!(s.db.signing_key(&c_id).unwrap(), None);

    let (phone, base) = (c.clone(), s.base.clone());
    let sync = move || {
        let mut client = Client::new(&base, Some(token.clone())).unwrap();
        sync_once(&phone, &mut client, &[], |_, _| {}).unwrap();
    };
    tokio::task::spawn_blocking(sync.clone()).await.unwrap();
    let key = c.lock().unwrap().signing_public_key().unwrap();
    assert_eq!(s.db.signing_key(&c_id).unwrap(), Some(key.clone()), "registered at the sync");
    // The sync sent the records itself; the file is now verified and adds nothing.
    let (ok, out, err) = import(&s.dir.path().join("central.db"), &file);
    assert!(ok && out.contains("новых записей 0, уже были 3"), "{out}{err}");

    // A sync never replaces a registered key (only a new enrollment does).
    assert!(!s.db.set_signing_key(&c_id, &lgota_domain::export::public_key(&[6; 32]), 0, false).unwrap());
    assert_eq!(s.db.signing_key(&c_id).unwrap(), Some(key));
}

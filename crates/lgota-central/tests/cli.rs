//! The real binary: enrollment QR and code, device list and revoke, import of an offline export.
mod common;

use std::process::Command;

use common::*;
use lgota_central::store::{prelude::*, SqliteDatabase};
use lgota_protocol::{parse_enroll_uri, EnrollRequest, WireRecord};

/// The private half of a test phone's export key.
const PHONE_9: [u8; 32] = [9; 32];

fn cli(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LGOTA_CENTRAL_CONFIG")
        .env("LGOTA_CENTRAL_PUBLIC_URL", "https://lib.example/lgota")
        .current_dir(db.parent().unwrap())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[tokio::test]
async fn enroll_command_prints_a_working_code_and_writes_a_qr_png() {
    let s = start().await;
    let db_path = s.dir.path().join("central.db");
    let png = s.dir.path().join("qr.png");
    let (ok, out, err) =
        cli(&db_path, &["device", "enroll", "--branch", BRANCH, "--ttl-minutes", "5", "--png", png.to_str().unwrap()]);
    assert!(ok, "{err}");
    let payload = out.lines().find_map(|l| l.strip_prefix("Содержимое QR: ")).expect("payload printed").trim();
    let parsed = parse_enroll_uri(payload).expect("a valid enrollment payload");
    assert_eq!(parsed.server, "https://lib.example/lgota");
    assert!(out.contains(&format!("Код:           {}", parsed.code)));
    assert!(out.contains('█') || out.contains('▀') || out.contains('▄'), "QR drawn in the terminal");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");

    let response = s
        .client
        .post(s.url("/api/v1/enroll"))
        .json(&EnrollRequest {
            code: parsed.code.clone(),
            device_id: "phone-1".into(),
            enrollment_secret: None,
            signing_key: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (ok, out, _) = cli(&db_path, &["device", "list"]);
    assert!(ok && out.contains("phone-1") && out.contains(BRANCH), "{out}");
    let (ok, _, _) = cli(&db_path, &["device", "revoke", "phone-1"]);
    assert!(ok);
    assert!(s.db.device("phone-1").unwrap().unwrap().revoked_at_ms.is_some());
    let (ok, _, err) = cli(&db_path, &["device", "revoke", "nobody"]);
    assert!(!ok && err.contains("nobody"));
    let (ok, _, err) = cli(&db_path, &["device", "enroll", "--branch", "no-such-branch"]);
    assert!(!ok && err.contains("no-such-branch"), "{err}");
    // Command-line actions are in the audit log too, refusals are not.
    let actions: Vec<String> = s.db.audit_log(None, 100).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["device.revoke", "device.code"]);
    assert!(s.db.audit_log(None, 100).unwrap().iter().all(|e| e.login.starts_with("cli:")));
}

#[test]
fn importing_an_export_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("central.db");
    let records = vec![check("phone-9", "branch-2", 2 * 24 * 60 * 60 * 1000), check("phone-9", "branch-2", 60_000)];
    enroll_in_file(&db_path, "phone-9", "branch-2", PHONE_9);
    let file = dir.path().join("export.json");
    std::fs::write(&file, signed_export(PHONE_9, "phone-9", &records)).unwrap();

    let (ok, out, err) = cli(&db_path, &["import", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("Импорт: новых записей 2, уже были 0, расхождений 0, не принято 0."), "{out}");
    let (ok, out, _) = cli(&db_path, &["import", file.to_str().unwrap()]);
    assert!(ok);
    assert!(out.contains("Импорт: новых записей 0, уже были 2, расхождений 0, не принято 0."), "{out}");

    let db = SqliteDatabase::open(&db_path).unwrap();
    assert_eq!(db.record_count().unwrap(), 2);
    let stored = db.record(&records[0].id).unwrap().unwrap();
    assert_eq!(stored.record, records[0]);
    assert!(stored.offline);

    // The rules of a push, record by record: a training record, a record of an unknown branch and
    // one in conflict are reported; the good one after them is stored.
    let mut bad = records.clone();
    bad.push(check("phone-9", "branch-2", 0));
    bad.last_mut().unwrap().training = true;
    bad.push(check("phone-9", "atlantis", 0));
    let mut conflicting = records[0].clone();
    conflicting.staff_label = "Другая".into();
    bad.push(conflicting);
    let later = check("phone-9", "branch-2", 0);
    bad.push(later.clone());
    std::fs::write(&file, signed_export(PHONE_9, "phone-9", &bad)).unwrap();
    let (ok, out, err) = cli(&db_path, &["import", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("новых записей 1, уже были 2, расхождений 1, не принято 2"), "{out}");
    assert!(out.contains("[training_record]") && out.contains("[wrong_branch]") && out.contains("[conflict]"), "{out}");
    assert!(db.record(&later.id).unwrap().is_some());
    std::fs::write(&file, "{\"format\": 1").unwrap();
    let (ok, _, err) = cli(&db_path, &["import", file.to_str().unwrap()]);
    assert!(!ok && err.contains("invalid_json"), "{err}");
    assert_eq!(db.record_count().unwrap(), 3);
}

#[test]
fn an_unknown_time_zone_stops_the_server_at_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let (ok, _, err) = cli(&db, &["--timezone", "Moscow/Europe", "serve", "--listen", "127.0.0.1:0"]);
    assert!(!ok);
    assert!(err.contains("часовой пояс «Moscow/Europe» не найден"), "{err}");
    // The TOML file's setting is checked the same way.
    let toml = dir.path().join("c.toml");
    std::fs::write(&toml, "timezone = \"UTC+3\"\n").unwrap();
    let (ok, _, err) = cli(&db, &["--config", toml.to_str().unwrap(), "device", "list"]);
    assert!(!ok && err.contains("часовой пояс «UTC+3» не найден"), "{err}");
    std::fs::write(&toml, "timezone = \"Asia/Yekaterinburg\"\n").unwrap();
    let (ok, _, err) = cli(&db, &["--config", toml.to_str().unwrap(), "device", "list"]);
    assert!(ok, "{err}");
}

#[test]
fn a_phone_export_of_100_000_records_imports_and_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("central.db");
    // A phone offline for weeks: 100,000 records, a few voids among them, one pasted TAB.
    let mut records: Vec<WireRecord> = (0..100_000).map(|i| check("phone-big", "branch-2", 1000 + i)).collect();
    records[500].note = Some("Госкан\tзавис".into());
    for i in (0..100).map(|k| k * 997) {
        let v = void(&records[i]);
        records.push(v);
    }
    let n = records.len();
    enroll_in_file(&db_path, "phone-big", "branch-2", PHONE_9);
    let file = dir.path().join("export.json");
    std::fs::write(&file, signed_export(PHONE_9, "phone-big", &records)).unwrap();
    let (ok, out, err) = cli(&db_path, &["import", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("Импорт: новых записей {n}, уже были 0, расхождений 0, не принято 0.")), "{out}");
    let (ok, out, err) = cli(&db_path, &["import", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("Импорт: новых записей 0, уже были {n}, расхождений 0, не принято 0.")), "{out}");
    let db = SqliteDatabase::open(&db_path).unwrap();
    assert_eq!(db.record_count().unwrap(), n as u64);
}

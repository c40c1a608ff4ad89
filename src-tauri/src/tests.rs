//! Command tests: the real commands and a real SQLite file, driven through Tauri's IPC layer on
//! the mock runtime. They pin the argument names and the `{code, message}` error shape the UI uses.

use std::sync::Mutex;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

use super::{with_commands, AppLock, AppStore, DB_FILE};
use crate::sync::SyncWorker;

struct Harness {
    _app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
}

fn harness(dir: &tempfile::TempDir) -> Harness {
    let store = lgota_core::Store::open(dir.path().join(DB_FILE)).unwrap();
    let lock = AppLock::new(store.lock_settings().unwrap());
    let app = with_commands(mock_builder())
        .manage(AppStore(Mutex::new(store)))
        .manage(lock)
        .plugin(tauri_plugin_biometric::init())
        .build(mock_context(noop_assets()))
        .unwrap();
    app.manage(SyncWorker::start(app.handle().clone()));
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    Harness { _app: app, webview }
}

impl Harness {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.webview, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn err(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).expect_err(cmd)
    }
}

fn set_up(h: &Harness) {
    h.ok("setup", json!({"input": {"branch_id": "central", "staff_label": "ИП", "event": {"title": "Библионочь", "date": "2026-11-25"}}}));
}

#[test]
fn first_start_then_setup() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    let state = h.ok("get_state", json!({}));
    assert_eq!(state["settings"], Value::Null);
    assert!(state["config"]["categories"].as_array().unwrap().len() >= 6);
    set_up(&h);
    let state = h.ok("get_state", json!({}));
    assert_eq!(state["settings"]["staff_label"], "ИП");
    assert_eq!(state["settings"]["event"]["title"], "Библионочь");
}

#[test]
fn errors_reach_the_ui_as_code_and_russian_message() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    let e = h.err("record_check", json!({"input": {"kind": "refused"}}));
    assert_eq!(e["code"], "not_configured");
    assert!(e["message"].as_str().unwrap().contains("филиал"));

    let e = h.err("setup", json!({"input": {"branch_id": "central", "staff_label": ""}}));
    assert_eq!(e, json!({"code": "empty_staff_label", "message": "Укажите свою метку (например, инициалы)."}));

    set_up(&h);
    let e = h.err(
        "record_check",
        json!({"input": {"kind": "paper", "category_id": "student", "document_type_id": "mse_certificate"}}),
    );
    assert_eq!(e["code"], "document_not_for_category");
    let e = h.err("record_check", json!({"input": {"kind": "refused", "note": "паспорт 45 06 123456"}}));
    assert_eq!(e["code"], "personal_data");
    assert!(e["message"].as_str().unwrap().contains("паспорт"));
    assert_eq!(h.ok("overview", json!({}))["tally"]["total"], 0, "nothing stored by refused input");
}

#[test]
fn record_undo_void_and_overview() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
    let a = h.ok("record_check", json!({"input": {"kind": "digital_id_confirmed", "category_id": "pensioner"}}));
    assert_eq!(a["outcome"], "confirmed");
    let b = h.ok(
        "record_check",
        json!({"input": {"kind": "digital_id_failed", "reason_id": "no_internet", "category_id": "student", "document_type_id": "student_card"}}),
    );
    assert_eq!((b["method"].as_str(), b["outcome"].as_str()), (Some("digital_id"), Some("paper_shown")));
    let c = h.ok("record_check", json!({"input": {"kind": "refused"}}));

    let undone = h.ok("undo_record", json!({"id": c["id"]}));
    assert_eq!(undone["voided"], true);
    let e = h.err("void_record", json!({"id": a["id"], "reason": " "}));
    assert_eq!(e["code"], "void_reason_required");
    let voided = h.ok("void_record", json!({"id": a["id"], "reason": "Ошибочная категория"}));
    assert_eq!(voided["void_reason"], "Ошибочная категория");

    let overview = h.ok("overview", json!({}));
    assert_eq!(overview["scope"]["kind"], "event");
    assert_eq!(overview["tally"], json!({"digital_id": 0, "paper": 1, "not_granted": 0, "total": 1, "voided": 2}));
    assert_eq!(overview["records"].as_array().unwrap().len(), 3);

    let state = h.ok("set_event", json!({"event": null}));
    assert_eq!(state["settings"]["event"], Value::Null);
    assert_eq!(h.ok("overview", json!({}))["scope"]["kind"], "today");
}

#[test]
fn malformed_arguments_are_refused_not_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
    for args in [
        json!({}),
        json!({"input": {"kind": "teleport"}}),
        json!({"input": {"kind": "refused", "citizen_name": "Иванов"}}),
        json!({"input": "refused"}),
    ] {
        assert!(h.call("record_check", args.clone()).is_err(), "{args}");
    }
    assert_eq!(h.ok("overview", json!({}))["tally"]["total"], 0);
}

#[test]
fn content_search_training_and_pack_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
    let content = h.ok("get_content", json!({}));
    assert_eq!(content["source"], "bundled");
    let guide = content["pack"]["citizen_guide"].as_str().unwrap();
    assert!(content["pack"]["articles"].as_array().unwrap().iter().any(|a| a["id"] == guide));

    let hits = h.ok("search_content", json!({"query": "пенсион"}));
    assert!(
        hits.as_array().unwrap().iter().any(|h| h["kind"] == "checklist" && h["id"] == "pension_certificate"),
        "{hits}"
    );

    let e = h.err("install_content_pack", json!({"pack": "{\"key_id\": \"x\", \"payload\": \"{}\"}"}));
    assert_eq!(e["code"], "content_unsigned");
    let content = h.ok("get_content", json!({}));
    assert_eq!(content["last_refusal"]["code"], "content_unsigned");
    assert_eq!(content["source"], "bundled");

    assert_eq!(h.ok("set_training", json!({"on": true}))["settings"]["training"], true);
    let r = h.ok("complete_training", json!({"scenario_id": "did-success", "correct_first_try": 2}));
    assert_eq!(r["training"], true);
    let overview = h.ok("overview", json!({}));
    assert_eq!((overview["tally"]["total"].as_u64(), overview["training_count"].as_u64()), (Some(0), Some(1)));
}

#[test]
fn sync_commands_before_enrollment() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
    h.ok("record_check", json!({"input": {"kind": "refused"}}));
    let status = h.ok("sync_status", json!({}));
    assert_eq!((status["server"].clone(), status["pending"].as_u64()), (Value::Null, Some(1)));
    assert_eq!(h.ok("sync_now", json!({}))["pending"], 1, "nothing to sync with, nothing lost");
    for (input, code) in [
        (json!({"uri": "https://example.org/not-a-code"}), "invalid_enrollment"),
        (json!({"server": "", "code": ""}), "invalid_enrollment"),
        (json!({"server": "ftp://server", "code": "abc"}), "invalid_server"),
    ] {
        assert_eq!(h.err("enroll", json!({"input": input}))["code"], code);
    }
    // Nothing listens on port 9 of the loopback: unreachable, said in Russian.
    let e = h.err("enroll", json!({"input": {"server": "http://127.0.0.1:9", "code": "abc"}}));
    assert_eq!(e["code"], "unreachable");
    assert!(e["message"].as_str().unwrap().contains("Сервер недоступен"));
    assert_eq!(h.ok("list_events", json!({})), json!([]));
    assert_eq!(h.err("choose_event", json!({"id": "nope"}))["code"], "unknown_event");
}

#[test]
fn an_event_code_selects_a_known_event_of_the_branch() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
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
            event("ev-here", "2099-01-01", "central"),
            event("ev-past", "2000-01-01", "central"),
            event("ev-other", "2099-01-01", "branch-1"),
        ],
        events_cursor: 3,
        server: None,
        app: None,
    };
    h._app.state::<AppStore>().0.lock().unwrap().apply_pull(&pull, &[], lgota_core::Now::system()).unwrap();

    let code = |id: &str| json!({"text": lgota_protocol::event_uri(id)});
    for (args, expected) in [
        (json!({"text": ""}), "event_code_empty"),
        (json!({"text": "просто текст"}), "event_code_invalid"),
        (json!({"text": "lgota:event?v=9&id=ev-here"}), "event_code_version"),
        (json!({"text": "lgota:event?v=1"}), "event_code_bad_id"),
        (json!({"text": "x".repeat(10_000)}), "event_code_too_long"),
        (
            json!({"text": lgota_protocol::enroll_uri("https://lib.example", "abc", &Default::default())}),
            "event_code_is_enrollment",
        ),
        (code("ev-nope"), "unknown_event"),
        (code("ev-other"), "event_other_branch"),
        (code("ev-past"), "event_past"),
    ] {
        let e = h.err("choose_event_by_code", args.clone());
        assert_eq!(e["code"], expected, "{args}");
        assert!(e["message"].as_str().unwrap().chars().any(|c| ('а'..='я').contains(&c)), "{e}");
    }
    // Picked from the list, the same rules hold.
    for (id, expected) in [("ev-nope", "unknown_event"), ("ev-other", "event_other_branch"), ("ev-past", "event_past")]
    {
        assert_eq!(h.err("choose_event", json!({"id": id}))["code"], expected, "{id}");
    }
    assert_eq!(h.ok("get_state", json!({}))["settings"]["event"]["title"], "Библионочь", "refusals change nothing");

    let state = h.ok("choose_event_by_code", json!({"text": format!(" {}\n", lgota_protocol::event_uri("ev-here"))}));
    assert_eq!(state["settings"]["event"]["id"], "ev-here");
    assert_eq!(h.ok("overview", json!({}))["scope"]["event"]["id"], "ev-here");

    // And the other way round: an event code offered as an enrollment code.
    let e = h.err("enroll", json!({"input": {"uri": lgota_protocol::event_uri("ev-here")}}));
    assert_eq!(e["code"], "enrollment_is_event_code");
}

/// Every command a locked app must refuse, with arguments that would otherwise succeed or fail
/// for another reason.
const GUARDED: &[(&str, &str)] = &[
    ("overview", "{}"),
    ("void_record", r#"{"id": "x", "reason": "Ошибка"}"#),
    ("setup", r#"{"input": {"branch_id": "central", "staff_label": "ИП"}}"#),
    ("set_event", r#"{"event": null}"#),
    ("set_training", r#"{"on": true}"#),
    ("complete_training", r#"{"scenario_id": "did-success", "correct_first_try": 3}"#),
    ("install_content_pack", r#"{"pack": "{}"}"#),
    ("enroll", r#"{"input": {"server": "http://127.0.0.1:9", "code": "abc"}}"#),
    ("sync_status", "{}"),
    ("sync_now", "{}"),
    ("export_pending", "{}"),
    ("acknowledge_fresh_start", "{}"),
    ("list_events", "{}"),
    ("choose_event", r#"{"id": "x"}"#),
    ("choose_event_by_code", r#"{"text": "lgota:event?v=1&id=x"}"#),
    ("set_pin", r#"{"current": "2580", "pin": "1111"}"#),
    ("remove_pin", r#"{"current": "2580"}"#),
    ("set_lock_options", r#"{"idle_seconds": 60, "record_while_locked": true}"#),
];

#[test]
fn a_pin_locks_the_app_at_start_and_the_backend_refuses_while_locked() {
    let dir = tempfile::tempdir().unwrap();
    {
        let h = harness(&dir);
        set_up(&h);
        let status = h.ok("lock_status", json!({}));
        assert_eq!((status["pin_set"].as_bool(), status["locked"].as_bool()), (Some(false), Some(false)));
        assert_eq!(h.err("set_pin", json!({"pin": "12"}))["code"], "pin_format");
        let status = h.ok("set_pin", json!({"pin": "2580"}));
        assert_eq!((status["pin_set"].as_bool(), status["locked"].as_bool()), (Some(true), Some(false)));
        h.ok("record_check", json!({"input": {"kind": "refused"}}));
        assert_eq!(h.ok("lock_now", json!({}))["locked"], true);
        for (cmd, args) in GUARDED {
            let e = h.err(cmd, serde_json::from_str(args).unwrap());
            assert_eq!(e["code"], "locked", "{cmd}: {e}");
            assert!(e["message"].as_str().unwrap().contains("PIN"), "{e}");
        }
        // Recording is refused too unless the librarian chose otherwise.
        assert_eq!(h.err("record_check", json!({"input": {"kind": "refused"}}))["code"], "locked");
        // What the lock screen needs still works.
        assert_eq!(h.ok("get_state", json!({}))["settings"]["staff_label"], "ИП");
        h.ok("get_content", json!({}));
    }
    // A restart starts locked.
    let h = harness(&dir);
    assert_eq!(h.ok("lock_status", json!({}))["locked"], true);
    assert_eq!(h.err("overview", json!({}))["code"], "locked");
    let e = h.err("unlock", json!({"pin": "0000"}));
    assert_eq!(e["code"], "pin_wrong");
    assert!(e["message"].as_str().unwrap().starts_with("Неверный PIN"), "{e}");
    assert_eq!(h.err("overview", json!({}))["code"], "locked");
    let status = h.ok("unlock", json!({"pin": "2580"}));
    assert_eq!(status["locked"], false);
    assert_eq!(h.ok("overview", json!({}))["tally"]["total"], 1);
}

#[test]
fn record_while_locked_allows_recording_and_undo_only() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
    h.ok("set_pin", json!({"pin": "2580"}));
    let e = h.err("set_lock_options", json!({"idle_seconds": 45, "record_while_locked": true}));
    assert_eq!(e["code"], "invalid_lock_option");
    let status = h.ok("set_lock_options", json!({"idle_seconds": 30, "record_while_locked": true}));
    assert_eq!((status["idle_seconds"].as_u64(), status["record_while_locked"].as_bool()), (Some(30), Some(true)));
    h.ok("lock_now", json!({}));
    let r = h.ok("record_check", json!({"input": {"kind": "refused"}}));
    h.ok("undo_record", json!({"id": r["id"]}));
    assert_eq!(h.err("void_record", json!({"id": r["id"], "reason": "x"}))["code"], "locked");
    assert_eq!(h.err("overview", json!({}))["code"], "locked");
}

#[test]
fn wrong_pins_back_off_across_a_restart_and_change_needs_the_current_pin() {
    let dir = tempfile::tempdir().unwrap();
    {
        let h = harness(&dir);
        set_up(&h);
        h.ok("set_pin", json!({"pin": "2580"}));
        assert_eq!(h.err("set_pin", json!({"pin": "1111"}))["code"], "pin_required");
        assert_eq!(h.err("set_pin", json!({"current": "0000", "pin": "1111"}))["code"], "pin_wrong");
        h.ok("lock_now", json!({}));
        for _ in 0..4 {
            assert_eq!(h.err("unlock", json!({"pin": "0000"}))["code"], "pin_wrong");
        }
        let e = h.err("unlock", json!({"pin": "0000"}));
        assert!(e["message"].as_str().unwrap().contains("30 с"), "{e}");
        let wait = h.ok("lock_status", json!({}))["wait_ms"].as_i64().unwrap();
        assert!((1..=30_000).contains(&wait), "{wait}");
    }
    let h = harness(&dir);
    let e = h.err("unlock", json!({"pin": "2580"}));
    assert_eq!(e["code"], "pin_backoff", "{e}");
    assert!(h.ok("lock_status", json!({}))["wait_ms"].as_i64().unwrap() > 0);
    assert_eq!(h.err("overview", json!({}))["code"], "locked");
}

#[test]
fn removing_the_pin_needs_it_and_ends_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
    h.ok("set_pin", json!({"pin": "2580"}));
    assert_eq!(h.err("remove_pin", json!({"current": "1111"}))["code"], "pin_wrong");
    let status = h.ok("remove_pin", json!({"current": "2580"}));
    assert_eq!((status["pin_set"].as_bool(), status["locked"].as_bool()), (Some(false), Some(false)));
    assert_eq!(h.ok("lock_now", json!({}))["locked"], false, "no PIN, no lock");
    h.ok("overview", json!({}));
    drop(h);
    let h = harness(&dir);
    assert_eq!(h.ok("lock_status", json!({}))["locked"], false);
}

/// Calls `on_background` directly: the hookup to `WindowEvent::Suspended` in `run()` is compiled
/// for phones only and is exercised on phones, not here.
#[test]
fn going_to_the_background_locks_in_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
    crate::lock::on_background(&h.webview.as_ref().window());
    assert_eq!(h.ok("lock_status", json!({}))["locked"], false, "no PIN, no lock");
    h.ok("set_pin", json!({"pin": "2580"}));
    crate::lock::on_background(&h.webview.as_ref().window());
    assert_eq!(h.ok("lock_status", json!({}))["locked"], true);
    assert_eq!(h.err("overview", json!({}))["code"], "locked");
}

#[test]
fn no_biometrics_on_the_desktop_the_pin_stays_the_way_in() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir);
    set_up(&h);
    assert_eq!(h.err("unlock_biometric", json!({}))["code"], "no_pin");
    h.ok("set_pin", json!({"pin": "2580"}));
    h.ok("lock_now", json!({}));
    assert_eq!(h.ok("lock_status", json!({}))["biometric"], false, "Linux reports no biometrics");
    let e = h.err("unlock_biometric", json!({}));
    assert_eq!(e["code"], "biometric_unavailable", "{e}");
    assert!(e["message"].as_str().unwrap().contains("PIN"));
    assert_eq!(h.ok("lock_status", json!({}))["locked"], true);
    assert_eq!(h.err("overview", json!({}))["code"], "locked");
}

#[test]
fn the_export_file_is_named_by_device_and_local_time() {
    // 2026-11-25 09:46:40 UTC is 12:46:40 in Moscow.
    let now = lgota_core::Now { utc_ms: 1_795_600_000_000, offset_min: 180 };
    let name = crate::commands::export_file_name("0193a1b2-c3d4-7e5f-8a9b-0123456789ab", now);
    assert_eq!(name, "lgota-zapisi-6789ab-20261125-124640.json");
    assert_eq!(crate::commands::export_file_name("abc", now), "lgota-zapisi-abc-20261125-124640.json");
}

#[test]
fn the_offices_policy_reaches_the_commands_pin_idle_time_and_staff_codes() {
    let dir = tempfile::tempdir().unwrap();
    {
        // A configuration from the central office, as sync installs it.
        let mut store = lgota_core::Store::open(dir.path().join(DB_FILE)).unwrap();
        let mut config = store.config().clone();
        config.version += 1;
        config.staff_labels = vec!["ЦГБ-01".into(), "ЦГБ-02".into()];
        config.device_policy.pin_required = true;
        config.device_policy.max_idle_seconds = Some(60);
        store.replace_config(&serde_json::to_string(&config).unwrap()).unwrap();
    }
    let h = harness(&dir);
    let state = h.ok("get_state", json!({}));
    assert_eq!(state["app_version"], lgota_core::APP_VERSION, "the settings screen shows it");
    assert_eq!(state["config"]["staff_labels"], json!(["ЦГБ-01", "ЦГБ-02"]));
    assert_eq!(state["update"], Value::Null);
    assert_eq!(state["revoked"], Value::Null);
    let e = h.err("setup", json!({"input": {"branch_id": "central", "staff_label": "ИП", "event": null}}));
    assert_eq!(e["code"], "staff_label_not_listed");
    h.ok("setup", json!({"input": {"branch_id": "central", "staff_label": "ЦГБ-02", "event": null}}));

    let status = h.ok("lock_status", json!({}));
    assert_eq!((status["pin_required"].clone(), status["max_idle_seconds"].clone()), (json!(true), json!(60)));
    assert_eq!(status["idle_seconds"], 60, "capped by the policy");
    let e = h.err("record_check", json!({"input": {"kind": "refused"}}));
    assert_eq!(e["code"], "pin_needed_by_policy");
    assert!(e["message"].as_str().unwrap().contains("Задайте PIN в настройках"), "{e}");

    h.ok("set_pin", json!({"current": null, "pin": "2580"}));
    let e = h.err("set_lock_options", json!({"idle_seconds": 300, "record_while_locked": false}));
    assert_eq!(e["code"], "idle_above_policy");
    h.ok("set_lock_options", json!({"idle_seconds": 30, "record_while_locked": false}));
    h.ok("record_check", json!({"input": {"kind": "refused"}}));
    let e = h.err("remove_pin", json!({"current": "2580"}));
    assert_eq!(e["code"], "pin_kept_by_policy");
}

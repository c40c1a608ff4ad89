//! Training results and printed materials (issue 16) over a real server on 127.0.0.1:0 and a real
//! SQLite file: a real phone (the core's store and sync engine, the real HTTP client) sends its
//! finished training scenarios apart from its records; they are stored once by id, never count,
//! and show on «Обучение» (a branch head: only their branch) and its «лист ознакомления»; the
//! materials carry the institution's name and the pages' security headers.

mod common;

use std::sync::{Arc, Mutex};

use lgota_central::service;
use lgota_central::store::{prelude::*, CodeIssuer, RecordFilter, SqliteDatabase};
use lgota_client::Client;
use lgota_core::sync::sync_once;
use lgota_core::{CheckInput, Now, SetupInput, Store};
use lgota_protocol::{RecordStatus, TrainingPush, TrainingPushResponse, WireTrainingResult};

const PASSWORD: &str = "верный пароль 123";
const INSTITUTION: &str = "МКУ г. Лермонтова «Централизованная библиотечная система»";

struct Site {
    base: String,
    db: Arc<SqliteDatabase>,
    _dir: tempfile::TempDir,
}

async fn start() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut dashboard = lgota_central::http::Dashboard::new(false, lgota_central::settings::DEFAULT_TIMEZONE);
    dashboard.public_url = base.clone();
    dashboard.institution = INSTITUTION.into();
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    service::admins::add_admin(db.as_ref(), "admin", "admin", None, PASSWORD).unwrap();
    service::admins::add_admin(db.as_ref(), "head1", "branch_head", Some("branch-1"), PASSWORD).unwrap();
    service::admins::add_admin(db.as_ref(), "head2", "branch_head", Some("branch-2"), PASSWORD).unwrap();
    Site { base, db, _dir: dir }
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A phone of `branch` with its store on disk, enrolled; its token.
    async fn phone(&self, dir: &tempfile::TempDir, branch: &str, label: &str) -> (Mutex<Store>, String) {
        let mut store = Store::open(dir.path().join(format!("{branch}.db"))).unwrap();
        store
            .setup(&SetupInput { branch_id: branch.into(), staff_label: label.into(), event: None }, Now::system())
            .unwrap();
        let code = service::devices::issue_code(self.db.as_ref(), branch, &CodeIssuer::admin("admin"), 60, &self.base)
            .unwrap()
            .code;
        let r = common::protocol_client()
            .post(self.url("/api/v1/enroll"))
            .json(&serde_json::json!({"code": code, "device_id": store.device_id()}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let token = r.json::<serde_json::Value>().await.unwrap()["device_token"].as_str().unwrap().to_string();
        (Mutex::new(store), token)
    }

    async fn browser(&self, login: &str) -> reqwest::Client {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client.post(self.url("/login")).form(&[("login", login), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "sign-in of {login}");
        client
    }

    async fn get(&self, b: &reqwest::Client, path: &str) -> (u16, String) {
        let r = b.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn push_training(&self, version: u32, token: &str, results: &[WireTrainingResult]) -> reqwest::Response {
        common::client_speaking(version)
            .post(self.url("/api/v1/training"))
            .bearer_auth(token)
            .json(&TrainingPush { results: results.to_vec() })
            .send()
            .await
            .unwrap()
    }
}

/// Syncs `phone` with the real client, off the async threads.
async fn sync(base: &str, token: &str, phone: Mutex<Store>) -> Mutex<Store> {
    let (base, token) = (base.to_string(), token.to_string());
    tokio::task::spawn_blocking(move || {
        let mut client = Client::new(&base, Some(token)).unwrap();
        sync_once(&phone, &mut client, &[], |_, _| {}).unwrap();
        phone
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_results_travel_apart_once_and_never_count() {
    let site = start().await;
    let dir = tempfile::tempdir().unwrap();
    let (phone, token) = site.phone(&dir, "branch-1", "ОК").await;
    {
        let mut store = phone.lock().unwrap();
        store
            .record_check(
                &CheckInput::DigitalIdConfirmed { category_id: "pensioner".into(), note: None },
                Now::system(),
            )
            .unwrap();
        store.complete_training("did-success", 3, Now::system()).unwrap();
        store.complete_training("did-success", 2, Now::system()).unwrap();
        store.complete_training("no-internet", 1, Now::system()).unwrap();
        store.set_training(true).unwrap();
        store.record_check(&CheckInput::Refused { category_id: None, note: None }, Now::system()).unwrap();
    }
    let phone = sync(&site.base, &token, phone).await;
    assert_eq!(phone.lock().unwrap().pending_training_count().unwrap(), 0);
    assert_eq!(phone.lock().unwrap().pending_count().unwrap(), 0);

    // One real record at the server; the training ones stayed on the phone; figures count one.
    assert_eq!(site.db.record_count().unwrap(), 1);
    assert_eq!(
        site.db
            .check_count(&RecordFilter { from_ms: 0, to_ms: common::now_ms() + 86_400_000, ..RecordFilter::default() })
            .unwrap(),
        1
    );
    let stored = site.db.training_results(None, 100).unwrap();
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert!(stored.iter().all(|t| t.result.staff_label == "ОК" && t.result.branch_id == "branch-1"));

    // Sent twice (a lost answer): duplicates, nothing doubles, figures unchanged.
    let sent: Vec<WireTrainingResult> = stored.iter().map(|t| t.result.clone()).collect();
    let r = site.push_training(3, &token, &sent).await;
    assert_eq!(r.status(), 200);
    let answer: TrainingPushResponse = r.json().await.unwrap();
    assert!(answer.results.iter().all(|r| r.status == RecordStatus::Duplicate), "{answer:?}");
    assert!(answer.server.is_some());
    assert_eq!(site.db.training_results(None, 100).unwrap().len(), 3);
    assert_eq!(site.db.record_count().unwrap(), 1);

    // The same id with other content: a conflict, the first stays.
    let mut other = sent[0].clone();
    other.correct_first_try = 0;
    let answer: TrainingPushResponse = site.push_training(3, &token, &[other]).await.json().await.unwrap();
    assert_eq!(answer.results[0].status, RecordStatus::Conflict);
    assert_eq!(answer.results[0].code.as_deref(), Some("conflict"));
    let kept = site.db.training_results(None, 100).unwrap();
    assert!(kept.iter().any(|t| t.result == sent[0]));

    // Refused one by one, with their codes: another device's, personal data, a bad score.
    let fresh = |n: u32| WireTrainingResult { id: format!("0190a0a0-0000-7000-8000-{n:012}"), ..sent[0].clone() };
    let answer: TrainingPushResponse = site
        .push_training(
            3,
            &token,
            &[
                WireTrainingResult { device_id: "someone-else".into(), ..fresh(1) },
                WireTrainingResult { staff_label: "Иванова Мария Петровна".into(), ..fresh(2) },
                WireTrainingResult { correct_first_try: 9, ..fresh(3) },
                WireTrainingResult { branch_id: "nowhere".into(), ..fresh(4) },
                fresh(5),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<_> = answer.results.iter().map(|r| (r.status, r.code.clone().unwrap_or_default())).collect();
    assert_eq!(
        codes,
        vec![
            (RecordStatus::Refused, "wrong_device".to_string()),
            (RecordStatus::Refused, "personal_data".to_string()),
            (RecordStatus::Refused, "invalid_record".to_string()),
            (RecordStatus::Refused, "wrong_branch".to_string()),
            (RecordStatus::Stored, String::new()),
        ]
    );
    assert!(answer.results[1].message.as_deref().unwrap().contains("Персональные данные"), "{answer:?}");

    // An older phone does not speak it; too many at once; not JSON; no token.
    common::expect_error(site.push_training(2, &token, &[fresh(6)]).await, 400, "unsupported_protocol").await;
    let many: Vec<_> = (100..301).map(fresh).collect();
    common::expect_error(site.push_training(3, &token, &many).await, 413, "too_many_records").await;
    let r = common::protocol_client()
        .post(site.url("/api/v1/training"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"results\": [")
        .send()
        .await
        .unwrap();
    common::expect_error(r, 400, "invalid_json").await;
    let r = common::protocol_client()
        .post(site.url("/api/v1/training"))
        .json(&TrainingPush { results: vec![] })
        .send()
        .await
        .unwrap();
    common::expect_error(r, 401, "unauthorized").await;
    assert_eq!(site.db.record_count().unwrap(), 1, "nothing of it became a record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_training_page_shows_who_was_trained_by_branch() {
    let site = start().await;
    let dir = tempfile::tempdir().unwrap();
    let (one, token1) = site.phone(&dir, "branch-1", "Т-Один").await;
    let (two, token2) = site.phone(&dir, "branch-2", "Т-Два").await;
    one.lock().unwrap().complete_training("did-success", 2, Now::system()).unwrap();
    two.lock().unwrap().complete_training("prefers-paper", 2, Now::system()).unwrap();
    sync(&site.base, &token1, one).await;
    sync(&site.base, &token2, two).await;

    let admin = site.browser("admin").await;
    let (status, page) = site.get(&admin, "/training").await;
    assert_eq!(status, 200);
    assert!(page.contains("Т-Один") && page.contains("Т-Два"), "{page}");
    assert!(page.contains("Цифровой ID подтверждён — ") && page.contains("2 из 3"), "{page}");
    assert!(page.contains("1 из 5"), "one of the pack's five scenarios: {page}");
    let (_, only2) = site.get(&admin, "/training?branch=branch-2").await;
    assert!(only2.contains("Т-Два") && !only2.contains("Т-Один"));
    assert_eq!(site.get(&admin, "/training?branch=nowhere").await.0, 404);

    // A branch head sees only their branch, whatever they ask for.
    let head1 = site.browser("head1").await;
    for path in ["/training", "/training?branch=branch-2"] {
        let (status, page) = site.get(&head1, path).await;
        assert_eq!(status, 200);
        assert!(page.contains("Т-Один") && !page.contains("Т-Два"), "{path}: {page}");
    }
    let (status, sheet) = site.get(&head1, "/training/sheet?branch=branch-2").await;
    assert_eq!(status, 200);
    assert!(sheet.contains("Т-Один") && !sheet.contains("Т-Два"), "{sheet}");

    // The sheet: the institution, the branch, the regulation, a signature column, blank rows.
    let (status, sheet) = site.get(&admin, "/training/sheet?branch=branch-2").await;
    assert_eq!(status, 200);
    for text in [INSTITUTION.to_string(), "Лист ознакомления".into(), "Подпись".into(), "Т-Два".into()]
    {
        assert!(sheet.contains(&text), "{text}: {sheet}");
    }
    assert!(sheet.contains("приказ от 16.02.2026 № 11-ол"), "{sheet}");
    assert_eq!(sheet.matches("<tr class=\"blank\">").count(), 6);
    assert_eq!(site.get(&admin, "/training/sheet").await.0, 400);
    assert_eq!(site.get(&admin, "/training/sheet?branch=nowhere").await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn materials_carry_the_institution_the_pack_and_the_pages_headers() {
    let site = start().await;
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in ["/materials", "/materials/notice", "/materials/memo", "/training", "/training/sheet?branch=branch-1"] {
        let r = anonymous.get(site.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path} without a session");
    }
    let head = site.browser("head2").await;
    let pack = lgota_domain::ContentPack::bundled();
    let config = lgota_domain::Config::bundled();
    for (path, must) in [
        ("/materials", vec!["Объявление для посетителей", "Памятка сотруднику", "встроенного в приложение"]),
        (
            "/materials/notice",
            vec![
                INSTITUTION,
                "Бумажный документ принимают всегда",
                "§3.2 и §5.3",
                "персональные данные не сохраняются",
            ],
        ),
        ("/materials/memo", vec![INSTITUTION, "Конфиденциальность (§5.2)", "Бумажные документы: что проверить"]),
    ] {
        let r = head.get(site.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
        assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'self'"), "{csp}");
        assert_eq!(r.headers().get("x-frame-options").unwrap(), "DENY");
        let page = r.text().await.unwrap();
        for text in must {
            assert!(page.contains(&text.replace('"', "&quot;")), "{path}: {text}");
        }
        assert!(!page.contains("style=") && !page.contains("<style") && !page.contains("<script"), "{path}");
    }
    // Every article of the pack's citizen section on the notice, every checklist on the памятка.
    let (_, notice) = site.get(&head, "/materials/notice").await;
    for a in pack.articles.iter().filter(|a| a.section == lgota_domain::content::Section::Citizen) {
        assert!(notice.contains(a.title.as_str()), "{}", a.title);
    }
    let (_, memo) = site.get(&head, "/materials/memo").await;
    for c in &pack.checklists {
        let name = &config.document_types.iter().find(|d| d.id == c.document_type_id).unwrap().name;
        assert!(memo.contains(name.as_str()), "{name}");
        assert!(c.checks.iter().all(|check| memo.contains(check.as_str())), "{name}");
    }
    // The poster of an event says it is for staff phones.
    let admin = site.browser("admin").await;
    let event = service::events::add(
        site.db.as_ref(),
        &service::Actor::new("admin", lgota_central::store::Role::Admin),
        "branch-1",
        "Библионочь",
        "2099-04-18",
    )
    .unwrap();
    let (status, poster) = site.get(&admin, &format!("/events/poster?id={}", event.id)).await;
    assert_eq!(status, 200);
    assert!(poster.contains("Только для телефонов сотрудников"), "{poster}");
}

//! What the office learns of its phones and asks of them, over a real server, a real SQLite file
//! on each side, the phone's own sync engine (`lgota_core::sync`) and its HTTP client: the device
//! report on «Устройства» (app, configuration and content versions, the PIN policy kept), the
//! server's `min_app_version`, a revoked phone forgetting; and age checks counted apart from
//! benefits in the figures.

mod common;

use std::sync::{Arc, Mutex};

use common::check;
use lgota_central::service::{self, Actor};
use lgota_central::store::{prelude::*, CodeIssuer, KindFilter, RecordFilter, SqliteDatabase};
use lgota_client::Client;
use lgota_core::sync::sync_once;
use lgota_core::{CheckInput, Now, SetupInput, Store};
use lgota_protocol::{AppRequirement, Outcome};

const PASSWORD: &str = "верный пароль 123";

struct Site {
    base: String,
    db: Arc<SqliteDatabase>,
    dir: tempfile::TempDir,
}

async fn start(app: Option<AppRequirement>) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut dashboard = lgota_central::http::Dashboard::new(false, lgota_central::settings::DEFAULT_TIMEZONE);
    dashboard.public_url = base.clone();
    dashboard.app_requirement = app;
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    service::admins::add_admin(db.as_ref(), "admin", "admin", None, PASSWORD).unwrap();
    Site { base, db, dir }
}

impl Site {
    async fn page(&self, path: &str) -> (u16, String) {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client
            .post(format!("{}/login", self.base))
            .form(&[("login", "admin"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = client.get(format!("{}{path}", self.base)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Publishes the bundled configuration one version newer, changed by `f`.
    fn publish(&self, f: impl FnOnce(&mut lgota_domain::Config)) -> u32 {
        let mut config = service::reference::current_config(self.db.as_ref()).unwrap();
        config.version += 1;
        f(&mut config);
        service::reference::publish_config(self.db.as_ref(), &serde_json::to_string(&config).unwrap()).unwrap()
    }
}

/// A phone's record log in the site's folder, set up in branch-1 and enrolled with the server
/// (the phone's HTTP client blocks: off the runtime's threads).
async fn phone(site: &Site, name: &str) -> Arc<Mutex<Store>> {
    let store = Arc::new(Mutex::new(Store::open(site.dir.path().join(format!("{name}.db"))).unwrap()));
    let code = service::devices::issue_code(site.db.as_ref(), "branch-1", &CodeIssuer::admin("admin"), 60, &site.base)
        .unwrap()
        .code;
    let (s, base) = (store.clone(), site.base.clone());
    tokio::task::spawn_blocking(move || lgota_client::enroll_device(&s, &base, &code, &[]).map(|_| ()))
        .await
        .unwrap()
        .unwrap();
    store
        .lock()
        .unwrap()
        .setup(&SetupInput { branch_id: "branch-1".into(), staff_label: "ИП".into(), event: None }, Now::system())
        .unwrap();
    store
}

fn sync(site: &Site, store: &Mutex<Store>) -> Result<(), lgota_core::sync::SyncError> {
    let token = store.lock().unwrap().enrollment().unwrap().map(|e| e.token);
    let mut client = Client::new(&site.base, token).unwrap();
    sync_once(store, &mut client, &[], |_, _| {}).map(|_| ())
}

fn refused() -> CheckInput {
    CheckInput::Refused { category_id: None, note: None }
}

#[tokio::test(flavor = "multi_thread")]
async fn phones_report_their_versions_and_pin_and_old_apps_are_told_to_update() {
    let app = AppRequirement { min_version: "9.0.0".into(), download_url: Some("https://cbs.example/app".into()) };
    let site = start(Some(app.clone())).await;
    let config_version = site.publish(|c| c.device_policy.pin_required = true);
    let (kept, lax) = (phone(&site, "kept").await, phone(&site, "lax").await);
    let site = Arc::new(site);
    let s = site.clone();
    let (kept, lax) = tokio::task::spawn_blocking(move || {
        kept.lock().unwrap().set_pin(None, "2580", Now::system()).unwrap();
        kept.lock().unwrap().record_check(&refused(), Now::system()).unwrap();
        // The first sync learns that the server reads the device report; the second sends it.
        sync(&s, &kept).unwrap();
        sync(&s, &kept).unwrap();
        // A phone without the required PIN records nothing, and still syncs and reports.
        let e = lax.lock().unwrap().record_check(&refused(), Now::system()).unwrap_err();
        assert_eq!(e.code(), "pin_needed_by_policy");
        sync(&s, &lax).unwrap();
        sync(&s, &lax).unwrap();
        (kept, lax)
    })
    .await
    .unwrap();
    // Told to update, and recording and syncing all the same.
    let state = kept.lock().unwrap().state().unwrap();
    assert_eq!(state.update.as_ref().map(|u| u.min_version.as_str()), Some("9.0.0"));
    assert_eq!(state.update.unwrap().download_url, app.download_url);
    assert_eq!(site.db.record_count().unwrap(), 1);

    let kept_id = kept.lock().unwrap().device_id().to_owned();
    let lax_id = lax.lock().unwrap().device_id().to_owned();
    let report = site.db.device(&kept_id).unwrap().unwrap().report.expect("a report");
    assert_eq!(report.app_version.as_deref(), Some(lgota_core::APP_VERSION));
    assert_eq!((report.config_version, report.content_version), (config_version, 1));
    assert_eq!((report.pin_set, report.policy_kept), (Some(true), Some(true)));
    let report = site.db.device(&lax_id).unwrap().unwrap().report.expect("a report");
    assert_eq!((report.pin_set, report.policy_kept), (Some(false), Some(false)));

    // «Устройства» shows which phones keep the policy and run an app older than the minimum.
    let (status, page) = site.page("/devices").await;
    assert_eq!(status, 200);
    let row = |id: &str| {
        let at = page.find(&format!("data-device=\"{id}\"")).expect("the phone's row");
        page[at..at + page[at..].find("</tr>").unwrap()].to_string()
    };
    let (kept_row, lax_row) = (row(&kept_id), row(&lax_id));
    assert!(kept_row.contains("PIN задан"), "{kept_row}");
    assert!(lax_row.contains("class=\"pin warn\">без PIN — нарушает политику"), "{lax_row}");
    let outdated = format!("{} — устарело (нужна 9.0.0)", lgota_core::APP_VERSION);
    assert!(kept_row.contains(&outdated), "{kept_row}");
    assert!(kept_row.contains(&format!("конфигурация {config_version}, инструкции 1")), "{kept_row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_min_app_version_asks_nothing_and_a_revoked_phone_forgets() {
    let site = Arc::new(start(None).await);
    let store = phone(&site, "lost").await;
    let s = site.clone();
    let store2 = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut st = store2.lock().unwrap();
        st.record_check(&refused(), Now::system()).unwrap();
        st.record_check(&refused(), Now::system()).unwrap();
        drop(st);
        sync(&s, &store2).unwrap();
        assert!(store2.lock().unwrap().state().unwrap().update.is_none());
        // One more record, never sent: the phone is lost and revoked before its next sync.
        store2.lock().unwrap().record_check(&refused(), Now::system()).unwrap();
    })
    .await
    .unwrap();
    let id = store.lock().unwrap().device_id().to_owned();
    assert!(service::devices::revoke(site.db.as_ref(), &Actor::cli(), &id).unwrap());
    let s = site.clone();
    let store2 = store.clone();
    let e = tokio::task::spawn_blocking(move || sync(&s, &store2).unwrap_err()).await.unwrap();
    assert_eq!(e.code(), "device_revoked");
    let st = store.lock().unwrap();
    assert!(st.enrollment().unwrap().is_none(), "the token is gone");
    let state = st.state().unwrap();
    assert!(state.settings.is_none(), "the staff label is gone");
    let revoked = state.revoked.expect("the phone says why");
    assert_eq!((revoked.deleted, revoked.kept_unsent), (2, 1));
    assert_eq!(st.pending_count().unwrap(), 1);
    let problem = st.sync_status().unwrap().problem.unwrap();
    assert!(problem.advice.contains("отключила этот телефон"), "{problem:?}");
    // What the server had stays there.
    assert_eq!(site.db.record_count().unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn age_checks_are_counted_apart_from_benefits_and_every_figure_leads_to_its_records() {
    let site = start(None).await;
    // The seeded (bundled) configuration marks «Совершеннолетие (18+)» as an age check.
    let device = "dev-figures";
    let code = service::devices::issue_code(site.db.as_ref(), "branch-1", &CodeIssuer::admin("admin"), 60, &site.base)
        .unwrap()
        .code;
    let token = service::devices::enroll(
        site.db.as_ref(),
        lgota_protocol::EnrollRequest { code, device_id: device.into(), enrollment_secret: None, signing_key: None },
    )
    .unwrap()
    .device_token;
    let mut records = Vec::new();
    for (category, granted, n) in
        [(Some("pensioner"), true, 2), (Some("adult"), true, 3), (None, true, 1), (Some("adult"), false, 1)]
    {
        for _ in 0..n {
            let mut r = check(device, "branch-1", 60_000);
            r.category_id = category.map(str::to_owned);
            if !granted {
                r.outcome = Some(Outcome::NoDocument);
                r.method = Some(lgota_protocol::Method::None);
                r.granted = Some(false);
            }
            records.push(r);
        }
    }
    let r = common::protocol_client()
        .post(format!("{}/api/v1/records", site.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "records": records }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let (status, page) = site.page("/").await;
    assert_eq!(status, 200);
    let figure = |id: &str| {
        let marker = format!("data-figure=\"{id}\">");
        let at = page.find(&marker).unwrap_or_else(|| panic!("{id}")) + marker.len();
        page[at..at + page[at..].find('<').unwrap()].to_string()
    };
    assert_eq!(figure("total"), "7");
    assert_eq!(figure("granted"), "3", "benefits: 2 pensioners and 1 without a category");
    assert_eq!(figure("age-checked"), "3");
    assert_eq!(figure("refused"), "1");
    // Each of the three leads to exactly its records.
    for (id, expected) in [("granted", 3), ("age-checked", 3)] {
        let at = page.find(&format!("data-figure=\"{id}\"")).unwrap();
        let href_at = page[..at].rfind("href=\"").unwrap() + 6;
        let href = page[href_at..href_at + page[href_at..].find('"').unwrap()].replace("&amp;", "&");
        assert!(href.contains("kind="), "{href}");
        let (status, records) = site.page(&href).await;
        assert_eq!(status, 200, "{href}");
        let marker = "data-figure=\"records-total\">";
        let at = records.find(marker).unwrap() + marker.len();
        let n: u64 = records[at..at + records[at..].find('<').unwrap()].trim().parse().unwrap();
        assert_eq!(n, expected, "{href}");
    }
    let (status, page) = site.page("/records?kind=discount").await;
    assert_eq!(status, 400);
    assert!(page.contains("Вид проверки"), "a bad kind is a Russian 400");

    // The store: the kinds part the checks, and the monthly summary splits like the overview.
    let now = lgota_central::now_ms();
    let all = RecordFilter { from_ms: now - 30 * 86_400_000, to_ms: now + 86_400_000, ..Default::default() };
    let kind = |age_check| RecordFilter {
        kind: Some(KindFilter { age_check, age_category_ids: vec!["adult".into()] }),
        ..all.clone()
    };
    assert_eq!(site.db.check_count(&kind(true)).unwrap(), 4);
    assert_eq!(site.db.check_count(&kind(false)).unwrap(), 3);
    let o = site.db.overview(&kind(false)).unwrap();
    assert_eq!((o.total, o.granted), (3, 3));
    let summary = site.db.monthly_summary(&all, &[(1, all.from_ms, all.to_ms)]).unwrap();
    let (benefits, ages) = summary.iter().fold((0, 0), |(b, a), s| {
        let (sb, sa) = lgota_central::report::split_granted(&s.granted_by_category, |c| c == "adult");
        (b + sb, a + sa)
    });
    assert_eq!((benefits, ages), (3, 3));
}

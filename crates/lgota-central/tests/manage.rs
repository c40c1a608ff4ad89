//! Management pages over a real server and a real SQLite file: branches and reference lists
//! publish configuration the phones pull, events by role, devices enrolled from the page's code
//! and revoked, content packs checked and published, import of phone exports, the audit log,
//! CSRF, roles and hostile input.

mod common;

use std::sync::Arc;

use common::{check, protocol_client, signed_pack, trusted};
use ed25519_dalek::SigningKey;
use lgota_central::service::{self, Actor};
use lgota_central::store::{prelude::*, CodeIssuer, ReferenceName, SqliteDatabase};
use lgota_protocol::{ExportFile, PullResponse};

const PASSWORD: &str = "верный пароль 123";

struct Site {
    base: String,
    db: Arc<SqliteDatabase>,
    _dir: tempfile::TempDir,
    device: reqwest::Client,
    signing: SigningKey,
}

async fn start() -> Site {
    start_with(|_| {}).await
}

/// [`start`] with the dashboard's settings changed by `configure`.
async fn start_with(configure: impl FnOnce(&mut lgota_central::http::Dashboard)) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let signing = SigningKey::from_bytes(&[7; 32]);
    let mut dashboard = lgota_central::http::Dashboard::new(false, lgota_central::settings::DEFAULT_TIMEZONE);
    dashboard.public_url = base.clone();
    dashboard.trusted_keys.push(trusted("office-2026", &signing));
    configure(&mut dashboard);
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    service::admins::add_admin(db.as_ref(), "admin", "admin", None, PASSWORD).unwrap();
    service::admins::add_admin(db.as_ref(), "head1", "branch_head", Some("branch-1"), PASSWORD).unwrap();
    service::admins::add_admin(db.as_ref(), "head2", "branch_head", Some("branch-2"), PASSWORD).unwrap();
    // These tests are about a branch head's confinement to their branch's records: the head has
    // an administrator's grant to see them (without it, totals only: tests/access.rs).
    db.set_records_access("head1", true).unwrap();
    Site { base, db, _dir: dir, device: protocol_client(), signing }
}

/// A signed-in browser: cookies kept, redirects not followed; and its CSRF token.
struct Browser {
    client: reqwest::Client,
    csrf: String,
}

/// The value of the first `name="csrf" value="…"` of a page.
fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

/// The text of the element with `id="…"` (up to the next `<`).
fn element_text(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let at = page.find(&marker).unwrap_or_else(|| panic!("#{id} in page")) + marker.len();
    page[at..at + page[at..].find('<').unwrap()].replace("&amp;", "&")
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn browser(&self, login: &str) -> Browser {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client.post(self.url("/login")).form(&[("login", login), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "sign-in of {login}");
        let page = client.get(self.url("/")).send().await.unwrap().text().await.unwrap();
        Browser { client, csrf: csrf_of(&page) }
    }

    async fn get(&self, b: &Browser, path: &str) -> (u16, String) {
        let r = b.client.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts a form with the browser's CSRF token added.
    async fn post(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &b.csrf)];
        form.extend_from_slice(fields);
        let r = b.client.post(self.url(path)).form(&form).send().await.unwrap();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        (r.status().as_u16(), location, r.text().await.unwrap())
    }

    async fn enroll_with(&self, code: &str, device_id: &str) -> reqwest::Response {
        self.device
            .post(self.url("/api/v1/enroll"))
            .json(&serde_json::json!({"code": code, "device_id": device_id}))
            .send()
            .await
            .unwrap()
    }

    /// Enrolls `device_id` into branch-1 with an administrator's code; its token.
    async fn enrolled(&self, device_id: &str) -> String {
        let code =
            service::devices::issue_code(self.db.as_ref(), "branch-1", &CodeIssuer::admin("admin"), 60, &self.base)
                .unwrap()
                .code;
        let r = self.enroll_with(&code, device_id).await;
        assert_eq!(r.status(), 200);
        r.json::<serde_json::Value>().await.unwrap()["device_token"].as_str().unwrap().to_string()
    }

    async fn pull(&self, token: &str, query: &str) -> (u16, Option<PullResponse>) {
        let r =
            self.device.get(self.url(&format!("/api/v1/reference{query}"))).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, if status == 200 { Some(r.json().await.unwrap()) } else { None })
    }

    async fn push(&self, token: &str, records: &[lgota_protocol::WireRecord]) -> reqwest::Response {
        self.device
            .post(self.url("/api/v1/records"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "records": records }))
            .send()
            .await
            .unwrap()
    }

    fn config_version(&self) -> u32 {
        self.db.reference(ReferenceName::Config).unwrap().unwrap().0
    }

    fn audit_actions(&self) -> Vec<(String, String, String)> {
        self.db.audit_log(None, 1000).unwrap().into_iter().map(|e| (e.login, e.action, e.detail)).collect()
    }

    async fn upload(&self, b: &Browser, path: &str, field: &str, files: &[(&str, String)]) -> (u16, String, String) {
        let mut form = reqwest::multipart::Form::new().text("csrf", b.csrf.clone());
        for (name, body) in files {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(body.clone().into_bytes()).file_name(name.to_string()),
            );
        }
        let r = b.client.post(self.url(path)).multipart(form).send().await.unwrap();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        (r.status().as_u16(), location, r.text().await.unwrap())
    }
}

#[tokio::test]
async fn branches_publish_a_new_configuration_that_phones_pull() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let token = {
        let code = service::devices::issue_code(
            s.db.as_ref(),
            "branch-1",
            &lgota_central::store::CodeIssuer::admin("admin"),
            60,
            &s.base,
        )
        .unwrap()
        .code;
        let r = s.enroll_with(&code, "phone-1").await;
        r.json::<serde_json::Value>().await.unwrap()["device_token"].as_str().unwrap().to_string()
    };
    let before = s.config_version();

    let (status, location, _) =
        s.post(&admin, "/branches", &[("mode", "add"), ("id", "branch-4"), ("name", "Библиотека-филиал № 4")]).await;
    assert_eq!((status, location.as_str()), (303, "/branches?done=branch"));
    assert_eq!(s.config_version(), before + 1);
    assert!(s.db.branches().unwrap().contains(&("branch-4".into(), "Библиотека-филиал № 4".into())));
    let (_, page) = s.get(&admin, "/branches?done=branch").await;
    assert!(page.contains("Филиал сохранён") && page.contains("data-branch=\"branch-4\""));

    // The phone pulls the new configuration with the new branch.
    let (_, pull) = s.pull(&token, &format!("?config_version={before}")).await;
    let config = pull.unwrap().config.expect("a newer configuration");
    assert!(config["branches"].as_array().unwrap().iter().any(|b| b["id"] == "branch-4"));

    let (status, _, _) =
        s.post(&admin, "/branches", &[("mode", "rename"), ("id", "branch-4"), ("name", "Филиал № 4 «Радуга»")]).await;
    assert_eq!(status, 303);
    assert!(s.db.branches().unwrap().contains(&("branch-4".into(), "Филиал № 4 «Радуга»".into())));

    // Mistakes are explained in Russian and change nothing.
    let version = s.config_version();
    for (fields, message) in [
        (vec![("mode", "add"), ("id", "branch-4"), ("name", "Ещё раз")], "уже есть"),
        (vec![("mode", "add"), ("id", "Филиал 5"), ("name", "Пятый")], "строчные латинские буквы"),
        (vec![("mode", "add"), ("id", "branch-5"), ("name", "  ")], "Заполните поле «Название»"),
        (vec![("mode", "add"), ("id", "branch-5"), ("name", "тел. +7 912 345-67-89")], "персональные данные"),
        (vec![("mode", "rename"), ("id", "branch-9"), ("name", "Нет такого")], "Нет филиала"),
    ] {
        let (status, _, page) = s.post(&admin, "/branches", &fields).await;
        assert_eq!(status, 400, "{fields:?}");
        assert!(page.contains(message), "{message} in {fields:?}");
    }
    assert_eq!(s.config_version(), version);
    let long = "я".repeat(121);
    let (status, _, page) = s.post(&admin, "/branches", &[("mode", "add"), ("id", "b6"), ("name", &long)]).await;
    assert!(status == 400 && page.contains("длиннее 120"));

    // Hostile text is only text: escaped in HTML, a parameter in SQL.
    let hostile = "<script>alert(1)</script>'); DROP TABLE records;--";
    let (status, _, _) = s.post(&admin, "/branches", &[("mode", "add"), ("id", "branch-x"), ("name", hostile)]).await;
    assert_eq!(status, 303);
    let (_, page) = s.get(&admin, "/branches").await;
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&#39;); DROP TABLE records;--"));
    assert_eq!(s.db.record_count().unwrap(), 0, "the records table is still there");

    let audit = s.audit_actions();
    assert!(audit
        .iter()
        .any(|(who, action, detail)| who == "admin" && action == "branch.add" && detail.contains("branch-4")));
    assert!(audit.iter().any(|(_, action, _)| action == "branch.rename"));
    assert!(audit.iter().any(|(who, action, _)| who == "admin" && action == "signin"));
}

#[tokio::test]
async fn categories_and_documents_are_edited_with_checks() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let before = s.config_version();
    let (status, _, _) = s
        .post(
            &admin,
            "/reference/item",
            &[("list", "document_types"), ("mode", "add"), ("id", "veteran_card"), ("name", "Удостоверение ветерана")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = s
        .post(
            &admin,
            "/reference/category",
            &[
                ("mode", "add"),
                ("id", "veteran"),
                ("name", "Ветеран труда"),
                ("docs", "veteran_card"),
                ("docs", "passport_rf"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = s
        .post(
            &admin,
            "/reference/item",
            &[("list", "failure_reasons"), ("mode", "rename"), ("id", "other"), ("name", "Иное")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(s.config_version(), before + 3);
    let config = lgota_central::service::reference::current_config(s.db.as_ref()).unwrap();
    let veteran = config.category("veteran").unwrap();
    assert_eq!(veteran.document_type_ids, ["veteran_card", "passport_rf"]);
    assert_eq!(config.failure_reason("other").unwrap().name, "Иное");
    let (_, page) = s.get(&admin, "/reference").await;
    assert!(page.contains("Ветеран труда") && page.contains("Удостоверение ветерана"));
    // The bundled «Совершеннолетие (18+)» is marked an age check; the office can mark others.
    assert!(page.contains("id=\"adult-age-check\" checked"), "the mark is shown");
    assert_eq!(veteran.kind, lgota_domain::config::CategoryKind::Benefit);
    let fields =
        [("mode", "edit"), ("id", "veteran"), ("name", "Ветеран труда"), ("docs", "passport_rf"), ("age_check", "1")];
    assert_eq!(s.post(&admin, "/reference/category", &fields).await.0, 303);
    let config = lgota_central::service::reference::current_config(s.db.as_ref()).unwrap();
    assert_eq!(config.category("veteran").unwrap().kind, lgota_domain::config::CategoryKind::AgeCheck);
    assert!(s.audit_actions().iter().any(|(_, _, d)| d.contains("«Ветеран труда», проверка возраста")));

    for (path, fields, message) in [
        (
            "/reference/category",
            vec![("mode", "add"), ("id", "x1"), ("name", "Без документов")],
            "хотя бы один документ",
        ),
        (
            "/reference/category",
            vec![("mode", "add"), ("id", "x2"), ("name", "Н"), ("docs", "nope")],
            "Нет типа документа",
        ),
        (
            "/reference/category",
            vec![("mode", "add"), ("id", "veteran"), ("name", "Н"), ("docs", "passport_rf")],
            "уже есть",
        ),
        (
            "/reference/category",
            vec![("mode", "edit"), ("id", "ghost"), ("name", "Н"), ("docs", "passport_rf")],
            "Нет категории",
        ),
        (
            "/reference/item",
            vec![("list", "branches"), ("mode", "add"), ("id", "z"), ("name", "Н")],
            "Неизвестный справочник",
        ),
        (
            "/reference/item",
            vec![("list", "document_types"), ("mode", "add"), ("id", "passport_rf"), ("name", "Н")],
            "уже занят",
        ),
    ] {
        let (status, _, page) = s.post(&admin, path, &fields).await;
        assert_eq!(status, 400, "{fields:?}");
        assert!(page.contains(message), "{message}: {fields:?}");
    }
    assert_eq!(s.config_version(), before + 4, "three changes and the age-check mark");
}

#[tokio::test]
async fn events_are_published_per_branch_and_a_branch_head_sees_only_theirs() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let head1 = s.browser("head1").await;
    let (status, _, _) = s
        .post(&admin, "/events", &[("title", "День пожилого человека"), ("date", "2026-12-01"), ("branch", "branch-2")])
        .await;
    assert_eq!(status, 303);
    // A branch head asking for another branch publishes into their own.
    let (status, _, _) = s
        .post(&head1, "/events", &[("title", "Новогодний утренник"), ("date", "2026-12-28"), ("branch", "branch-2")])
        .await;
    assert_eq!(status, 303);
    let branch_1 = s.db.events(Some("branch-1"), 100).unwrap();
    assert_eq!(branch_1.len(), 1);
    assert_eq!(branch_1[0].event.title, "Новогодний утренник");

    let (_, page) = s.get(&head1, "/events?branch=branch-2").await;
    assert!(page.contains("Новогодний утренник") && !page.contains("День пожилого человека"));
    let (_, page) = s.get(&admin, "/events").await;
    assert!(
        page.contains("Новогодний утренник") && page.contains("День пожилого человека") && page.contains("01.12.2026")
    );

    for (fields, message) in [
        (vec![("title", "Без даты"), ("date", ""), ("branch", "branch-1")], "ДД.ММ.ГГГГ"),
        (vec![("title", "Плохая дата"), ("date", "2026-02-30"), ("branch", "branch-1")], "ДД.ММ.ГГГГ"),
        (vec![("title", "Плохая дата"), ("date", "30.02.2026"), ("branch", "branch-1")], "ДД.ММ.ГГГГ"),
        (vec![("title", ""), ("date", "2026-12-01"), ("branch", "branch-1")], "Заполните"),
        (vec![("title", "Звонить 8-912-345-67-89"), ("date", "2026-12-01"), ("branch", "branch-1")], "персональные"),
        (vec![("title", "Куда"), ("date", "2026-12-01"), ("branch", "")], "Выберите филиал"),
        (vec![("title", "Куда"), ("date", "2026-12-01"), ("branch", "nowhere")], "Нет филиала"),
    ] {
        let (status, _, page) = s.post(&admin, "/events", &fields).await;
        assert_eq!(status, 400, "{fields:?}");
        assert!(page.contains(message), "{message}: {fields:?}");
    }
    assert_eq!(s.db.events(None, 100).unwrap().len(), 2);

    // The overview and the records page offer the events as a filter, a branch head only theirs.
    let (_, page) = s.get(&admin, "/").await;
    assert!(page.contains("<select name=\"event\">") && page.contains("День пожилого человека, 01.12.2026"));
    let (_, page) = s.get(&head1, "/records").await;
    assert!(page.contains("Новогодний утренник, 28.12.2026") && !page.contains("День пожилого человека"));

    // The poster's QR code selects the event on a phone; another branch's head cannot open it.
    let id = &branch_1[0].event.id;
    let (status, page) = s.get(&head1, &format!("/events/poster?id={id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<img src=\"data:image/png;base64,") && page.contains("Новогодний утренник"));
    assert_eq!(lgota_protocol::parse_event_uri(&element_text(&page, "event-payload")).unwrap(), *id);
    let head2 = s.browser("head2").await;
    assert_eq!(s.get(&head2, &format!("/events/poster?id={id}")).await.0, 403);
    assert_eq!(s.get(&admin, "/events/poster?id=nope").await.0, 404);
    assert_eq!(s.get(&admin, "/events/poster").await.0, 404);

    // A phone of branch 1 pulls only its branch's event.
    let token = s.enrolled("phone-1").await;
    let (_, pull) = s.pull(&token, "").await;
    let events = pull.unwrap().events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].title, "Новогодний утренник");
}

#[tokio::test]
async fn a_device_enrolled_from_the_page_syncs_reports_pending_and_is_refused_once_revoked() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let (status, _, page) = s.post(&admin, "/devices/enroll", &[("branch", "branch-1"), ("ttl", "60")]).await;
    assert_eq!(status, 200);
    assert!(page.contains("<img src=\"data:image/png;base64,"), "the QR code is on the page");
    let payload = element_text(&page, "enroll-payload");
    let parsed = lgota_protocol::parse_enroll_uri(&payload).expect("the payload a phone scans");
    assert_eq!(parsed.server, s.base);
    assert_eq!(parsed.code, element_text(&page, "enroll-code"));
    assert_eq!(parsed.pins, lgota_protocol::EnrollPins::default(), "nothing pinned without the settings");
    assert!(page.contains("Ключ подписи инструкций не закреплён"), "the page says what is not pinned");

    let r = s.enroll_with(&parsed.code, "phone-page").await;
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["device_token"].as_str().unwrap().to_string();
    let records: Vec<_> = (0..3).map(|_| check("phone-page", "branch-1", 60_000)).collect();
    assert_eq!(s.push(&token, &records).await.status(), 200);
    let (status, _) = s.pull(&token, "?pending=2").await;
    assert_eq!(status, 200);

    let (_, page) = s.get(&admin, "/devices").await;
    let row_at = page.find("data-device=\"phone-page\" data-state=\"active\"").expect("the device row");
    let row = &page[row_at..row_at + page[row_at..].find("</tr>").unwrap()];
    assert!(row.contains("<td class=\"n\">2</td>"), "pending reported: {row}");
    // Enrolled without an export key (an app from before signed exports): its files would be
    // refused until a sync registers one, and the row says so.
    let key_cell = |page: &str| {
        let row_at = page.find("data-device=\"phone-page\"").expect("the device row");
        let row = &page[row_at..row_at + page[row_at..].find("</tr>").unwrap()];
        let cell_at = row.find("<td class=\"signing-key").expect("the export key cell");
        row[cell_at..cell_at + row[cell_at..].find("</td>").unwrap()].to_string()
    };
    assert!(page.contains("<th>Ключ выгрузки</th>"));
    assert_eq!(
        key_cell(&page),
        "<td class=\"signing-key warn\">нет — файлы этого телефона не примутся, пока он не синхронизируется"
    );
    let key = lgota_domain::export::public_key(&[4; 32]);
    assert_eq!(s.pull(&token, &format!("?report=2&signing_key={key}")).await.0, 200);
    let (_, page) = s.get(&admin, "/devices").await;
    assert_eq!(key_cell(&page), "<td class=\"signing-key\">есть");

    // Another branch's head can neither see nor revoke it.
    let head2 = s.browser("head2").await;
    let (_, page) = s.get(&head2, "/devices").await;
    assert!(!page.contains("phone-page"));
    let (status, _, _) = s.post(&head2, "/devices/revoke", &[("id", "phone-page"), ("confirm", "yes")]).await;
    assert_eq!(status, 403);

    // Revocation asks first, then refuses the phone's next sync.
    let (status, _, page) = s.post(&admin, "/devices/revoke", &[("id", "phone-page")]).await;
    assert!(status == 200 && page.contains("Отключить устройство?"));
    assert!(s.db.device("phone-page").unwrap().unwrap().revoked_at_ms.is_none());
    let (status, location, _) = s.post(&admin, "/devices/revoke", &[("id", "phone-page"), ("confirm", "yes")]).await;
    assert_eq!((status, location.as_str()), (303, "/devices?done=revoked"));
    let r = s.push(&token, &[check("phone-page", "branch-1", 0)]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "device_revoked");
    let (_, page) = s.get(&admin, "/devices").await;
    assert!(page.contains("data-device=\"phone-page\" data-state=\"revoked\""));

    // The code was one-time; bad input is explained.
    assert_eq!(s.enroll_with(&parsed.code, "phone-other").await.status(), 409);
    let (status, _, page) = s.post(&admin, "/devices/enroll", &[("branch", "branch-1"), ("ttl", "0")]).await;
    assert!(status == 400 && page.contains("Срок действия кода"));
    let (status, _, page) = s.post(&admin, "/devices/enroll", &[("branch", "mars"), ("ttl", "60")]).await;
    assert!(status == 400 && page.contains("Выберите филиал"));
    let (status, _, _) = s.post(&admin, "/devices/revoke", &[("id", "ghost")]).await;
    assert_eq!(status, 404);

    let audit = s.audit_actions();
    assert!(audit.iter().any(|(who, a, d)| who == "admin" && a == "device.code" && d.contains("branch-1")));
    assert!(audit.iter().any(|(who, a, d)| who == "admin" && a == "device.revoke" && d.contains("phone-page")));
}

/// A region's «Устройства»: thousands of phones are a page of a hundred at a time, with a
/// filter by branch, state (those needing attention among them) and a piece of the id.
#[tokio::test]
async fn many_phones_are_listed_a_page_at_a_time_and_filtered() {
    let s = start().await;
    let now = lgota_central::now_ms();
    let key = lgota_domain::export::public_key(&[4; 32]);
    for (branch, prefix, n) in [("branch-1", "p1", 150), ("branch-2", "p2", 80)] {
        for i in 0..n {
            let id = format!("{prefix}-{i:03}");
            let code = format!("code-{id}");
            let code_sha = lgota_central::secrets::sha256_hex(&code);
            s.db.insert_enrollment_code(&code_sha, branch, &CodeIssuer::admin("admin"), now, now + 60_000).unwrap();
            let token = lgota_central::secrets::sha256_hex(&format!("token-{id}"));
            let attempt = lgota_central::store::EnrollAttempt {
                code_sha256: &code_sha,
                device_id: &id,
                secret_sha256: None,
                token_sha256: &token,
                now_ms: now,
            };
            s.db.enroll(&attempt).unwrap();
            // Heard from, with its export key: nothing to look at — but one that never synced.
            if id != "p1-007" {
                s.db.touch_device(&id, now).unwrap();
                s.db.set_signing_key(&id, &key, now, true).unwrap();
            }
        }
    }
    s.db.revoke_device("p2-003", now).unwrap();
    let admin = s.browser("admin").await;
    let rows = |page: &str| -> Vec<String> {
        page.match_indices("<tr data-device=\"")
            .map(|(at, m)| page[at + m.len()..at + m.len() + page[at + m.len()..].find('"').unwrap()].to_string())
            .collect()
    };

    let (_, page) = s.get(&admin, "/devices").await;
    assert_eq!(element_text(&page, "device-count"), "Показаны 1–100 из 230.");
    assert_eq!(rows(&page).len(), 100);
    assert!(page.contains("<a id=\"next-page\" href=\"/devices?page=2\">") && !page.contains("previous-page"));
    let (_, last) = s.get(&admin, "/devices?page=3").await;
    assert_eq!(element_text(&last, "device-count"), "Показаны 201–230 из 230.");
    assert!(last.contains("href=\"/devices?page=2\">← Предыдущие") && !last.contains("next-page"));
    let (_, beyond) = s.get(&admin, "/devices?page=999").await;
    assert_eq!(rows(&beyond), rows(&last), "a page past the end is the last one");
    // Every phone once, over the pages.
    let (_, second) = s.get(&admin, "/devices?page=2").await;
    let mut all: Vec<String> = [rows(&page), rows(&second), rows(&last)].concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 230);

    let (_, page) = s.get(&admin, "/devices?branch=branch-2").await;
    assert_eq!(element_text(&page, "device-count"), "Показаны 1–80 из 80.");
    assert!(rows(&page).iter().all(|id| id.starts_with("p2-")) && !page.contains("device-pages"));
    assert!(page.contains("<option value=\"branch-2\" selected>"), "the filter keeps its branch");
    let (_, page) = s.get(&admin, "/devices?state=attention").await;
    assert_eq!(rows(&page), ["p1-007"], "never synced; a revoked phone needs nothing");
    assert!(page.contains("<option value=\"attention\" selected>требуют внимания</option>"));
    let (_, page) = s.get(&admin, "/devices?state=revoked").await;
    assert_eq!(rows(&page), ["p2-003"]);
    let (_, page) = s.get(&admin, "/devices?q=P1-14&state=active").await;
    assert_eq!(rows(&page).len(), 10, "p1-140…p1-149, whatever the case");
    assert!(page.contains("name=\"q\" value=\"P1-14\""));
    let (_, page) = s.get(&admin, "/devices?q=p1&branch=branch-1&page=2").await;
    assert!(
        page.contains("href=\"/devices?branch=branch-1&amp;q=p1&amp;page=1\">← Предыдущие"),
        "the pages keep the filter"
    );
    let (_, page) = s.get(&admin, "/devices?q=nothing-like-it").await;
    assert_eq!(element_text(&page, "device-count"), "Таких устройств нет.");
    assert!(!page.contains("<table id=\"devices\""));
    let (status, page) = s.get(&admin, "/devices?state=%3Cscript%3E&page=-1&q=").await;
    assert_eq!((status, element_text(&page, "device-count")), (200, "Показаны 1–100 из 230.".to_string()));

    // A branch head: their branch's phones only, whatever the filter asks.
    let head2 = s.browser("head2").await;
    let (_, page) = s.get(&head2, "/devices").await;
    assert_eq!(element_text(&page, "device-count"), "Показаны 1–80 из 80.");
    assert!(!page.contains("name=\"branch\" id") && !page.contains("все филиалы"), "no branch filter for a head");
    let (_, page) = s.get(&head2, "/devices?branch=branch-1").await;
    assert!(rows(&page).is_empty(), "no other branch's phones");
}

#[tokio::test]
async fn content_packs_are_checked_on_upload_and_published_to_phones() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let good = signed_pack(2, "office-2026", &s.signing);
    let stranger = SigningKey::from_bytes(&[9; 32]);
    let mut tampered: serde_json::Value = serde_json::from_str(&good).unwrap();
    tampered["payload"] = tampered["payload"].as_str().unwrap().replace("Госкан", "Гоcкан").into();
    for (file, message) in [
        ("garbage.json".to_string(), "не файл пакета"),
        (signed_pack(2, "someone", &stranger), "someone"),
        (tampered.to_string(), "подпись"),
    ] {
        let body = if file.ends_with(".json") { "not json at all".to_string() } else { file };
        let (status, _, page) = s.upload(&admin, "/content", "pack", &[("pack.json", body)]).await;
        assert_eq!(status, 400);
        assert!(page.contains(message), "{message}");
    }
    assert!(s.db.content_uploads(10).unwrap().is_empty());

    let (status, location, _) = s.upload(&admin, "/content", "pack", &[("pack-v2.json", good.clone())]).await;
    assert_eq!((status, location.as_str()), (303, "/content?done=uploaded"));
    let uploads = s.db.content_uploads(10).unwrap();
    assert_eq!((uploads.len(), uploads[0].version, uploads[0].published_at_ms), (1, 2, None));
    let (_, page) = s.get(&admin, "/content").await;
    assert!(page.contains("этого ключа нет в приложении"), "the app build does not know the test key");
    assert!(s.db.reference(ReferenceName::Content).unwrap().is_none(), "uploaded is not published");

    let (status, _, _) = s.post(&admin, "/content/publish", &[("id", &uploads[0].id)]).await;
    assert_eq!(status, 303);
    assert_eq!(s.db.reference(ReferenceName::Content).unwrap().unwrap().0, 2);
    let token = s.enrolled("phone-1").await;
    let (_, pull) = s.pull(&token, "?content_version=1").await;
    assert_eq!(pull.unwrap().content.unwrap()["key_id"], "office-2026");

    let (status, _, page) = s.post(&admin, "/content/publish", &[("id", &uploads[0].id)]).await;
    assert!(status == 400 && page.contains("уже опубликован"));
    let (status, _, page) = s.upload(&admin, "/content", "pack", &[("again.json", good)]).await;
    assert!(status == 400 && page.contains("не новее опубликованной"));
    let (status, _, page) = s.upload(&admin, "/content", "pack", &[]).await;
    assert!(status == 400 && page.contains("Выберите файл"));
    let audit = s.audit_actions();
    assert!(
        audit.iter().any(|(_, a, _)| a == "content.upload") && audit.iter().any(|(_, a, _)| a == "content.publish")
    );
}

#[tokio::test]
async fn exported_files_import_once_and_bad_files_are_explained() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let records: Vec<_> = (0..4).map(|_| check("phone-off", "branch-3", 3_600_000)).collect();
    let secret = [3u8; 32];
    let token = s.enrolled("phone-off").await;
    // The phone's export key, registered by its sync's device report (version 2).
    let key = lgota_domain::export::public_key(&secret);
    assert_eq!(s.pull(&token, &format!("?report=2&signing_key={key}")).await.0, 200);
    let export = serde_json::to_string(&lgota_domain::export::seal(&secret, "phone-off", &records).unwrap()).unwrap();
    let unsigned = serde_json::to_string(&ExportFile { format: 1, device_id: "phone-off".into(), records }).unwrap();
    let (status, _, page) = s.upload(&admin, "/import", "files", &[("lgota-export.json", export.clone())]).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<td>lgota-export.json</td><td class=\"n\">4</td><td class=\"n\">0</td><td class=\"n\">0</td>"),
        "{page}"
    );
    let files = [("again.json", export), ("broken.json", "{\"format\": 1".into()), ("old-app.json", unsigned)];
    let (status, _, page) = s.upload(&admin, "/import", "files", &files).await;
    assert_eq!(status, 422);
    assert!(page.contains(
        "<td>old-app.json</td><td></td><td></td><td></td><td></td><td class=\"error\">Файл выгрузки не подписан"
    ));
    assert!(page.contains("<td>again.json</td><td class=\"n\">0</td><td class=\"n\">4</td>"));
    assert!(page.contains("<td>broken.json</td><td></td><td></td><td></td><td></td><td class=\"error\">"));
    assert_eq!(s.db.record_count().unwrap(), 4);
    // The refused unsigned file leaves a trace too; the broken one is no import at all.
    let imports: Vec<_> = s.audit_actions().into_iter().filter(|(_, a, _)| a == "import").collect();
    assert_eq!(imports.len(), 3, "{imports:?}");
    assert!(imports.iter().any(|(_, _, d)| d.contains("«old-app.json» отклонён: export_unsigned")), "{imports:?}");
}

#[tokio::test]
async fn every_change_needs_the_csrf_token_the_right_role_and_a_session() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let head1 = s.browser("head1").await;
    let config_version = s.config_version();
    let posts: &[(&str, &[(&str, &str)])] = &[
        ("/branches", &[("mode", "add"), ("id", "b9"), ("name", "Н")]),
        ("/reference/item", &[("list", "document_types"), ("mode", "add"), ("id", "d9"), ("name", "Н")]),
        ("/reference/category", &[("mode", "add"), ("id", "c9"), ("name", "Н"), ("docs", "passport_rf")]),
        ("/events", &[("title", "Т"), ("date", "2026-12-01"), ("branch", "branch-1")]),
        ("/devices/enroll", &[("branch", "branch-1"), ("ttl", "60")]),
        ("/devices/revoke", &[("id", "x"), ("confirm", "yes")]),
        ("/content/publish", &[("id", "x")]),
    ];
    for (path, fields) in posts {
        let mut forged = vec![("csrf", "forged")];
        forged.extend_from_slice(fields);
        let r = admin.client.post(s.url(path)).form(&forged).send().await.unwrap();
        assert_eq!(r.status(), 403, "forged token on {path}");
        let r = admin.client.post(s.url(path)).form(fields).send().await.unwrap();
        assert_eq!(r.status(), 403, "no token on {path}");
        let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = anonymous.post(s.url(path)).form(fields).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/login"), "{path}");
    }
    let (status, _, _) =
        s.upload(&Browser { client: admin.client.clone(), csrf: "forged".into() }, "/import", "files", &[]).await;
    assert_eq!(status, 403);
    assert_eq!(s.config_version(), config_version);
    assert!(s.db.events(None, 10).unwrap().is_empty());
    assert!(s.audit_actions().iter().all(|(_, a, _)| a == "signin"), "nothing but sign-ins happened");

    for path in ["/branches", "/reference", "/content", "/import", "/audit"] {
        let (status, page) = s.get(&head1, path).await;
        assert_eq!(status, 403, "{path} for a branch head");
        assert!(page.contains("Недостаточно прав"));
        let (status, _) = s.get(&admin, path).await;
        assert_eq!(status, 200, "{path} for an administrator");
    }
    for (path, fields) in [("/branches", vec![("mode", "add"), ("id", "b9"), ("name", "Н")])] {
        let (status, _, _) = s.post(&head1, path, &fields).await;
        assert_eq!(status, 403);
    }
    let (_, page) = s.get(&head1, "/devices").await;
    assert!(!page.contains("href=\"/branches\""), "no administrator links for a branch head");

    // The audit page lists actions newest first, escaped.
    let (_, page) = s.get(&admin, "/audit").await;
    assert!(page.contains("<code>signin</code>"));
}

#[tokio::test]
async fn hostile_input_in_every_field_is_refused_or_stored_as_text_never_run() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let hostile = ["\"'><script>alert(1)</script>", "'; DROP TABLE audit_log; --", "1 OR 1=1", "\u{0}\u{7}", "%00%27"];
    let forms: &[(&str, &[(&str, &str)])] = &[
        ("/branches", &[("mode", "add"), ("id", "h1"), ("name", "Н")]),
        ("/branches", &[("mode", "rename"), ("id", "branch-1"), ("name", "Н")]),
        ("/reference/item", &[("list", "document_types"), ("mode", "add"), ("id", "h2"), ("name", "Н")]),
        ("/reference/item", &[("list", "failure_reasons"), ("mode", "rename"), ("id", "other"), ("name", "Н")]),
        ("/reference/category", &[("mode", "add"), ("id", "h3"), ("name", "Н"), ("docs", "passport_rf")]),
        ("/events", &[("title", "Т"), ("date", "2026-12-01"), ("branch", "branch-1")]),
        ("/devices/enroll", &[("branch", "branch-1"), ("ttl", "60")]),
        ("/devices/revoke", &[("id", "x")]),
        ("/content/publish", &[("id", "x")]),
    ];
    let mut seq = 0;
    for (path, fields) in forms {
        for field in 0..fields.len() {
            for bad in hostile {
                seq += 1;
                let mut changed: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
                // Keep new ids unique so a valid-looking attempt is not refused as a duplicate.
                if changed[field].0 == "id" && fields.iter().any(|(k, v)| *k == "mode" && *v == "add") {
                    changed[field].1 = format!("{bad}{seq}");
                } else {
                    changed[field].1 = bad.to_string();
                }
                let borrowed: Vec<(&str, &str)> = changed.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (status, _, page) = s.post(&admin, path, &borrowed).await;
                assert!(matches!(status, 200 | 303 | 400 | 403 | 404), "{path} {borrowed:?}: {status}");
                assert!(!page.contains("<script>alert(1)"), "{path} {borrowed:?}: unescaped");
            }
        }
    }
    for path in [
        "/?from=%27%3Cscript%3E&branch=%27%20OR%201%3D1--",
        "/events?branch=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/audit?before=1%20OR%201%3D1",
        "/devices?done=%3Cscript%3E",
    ] {
        let (status, page) = s.get(&admin, path).await;
        assert!(status == 200 || status == 400, "{path}: {status}");
        assert!(!page.contains("<script>alert(1)") && !page.contains("<script>\""), "{path}");
    }
    // Everything that got through is plain text in the tables, and the tables are all there.
    let (_, page) = s.get(&admin, "/audit").await;
    assert!(!page.contains("<script>alert(1)"));
    assert!(s.db.audit_log(None, 10_000).unwrap().len() > 1, "the audit log is still there");
    assert_eq!(s.db.branches().unwrap().iter().filter(|(id, _)| id == "branch-1").count(), 1);
}

#[tokio::test]
async fn an_event_started_on_a_phone_is_named_by_the_title_the_phone_sent() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let token = s.enrolled("phone-ev").await;
    let with_event = |title: Option<&str>, date: Option<&str>, event: Option<&str>| {
        let mut r = check("phone-ev", "branch-1", 60_000);
        r.event_id = event.map(str::to_string);
        r.event_title = title.map(str::to_string);
        r.event_date = date.map(str::to_string);
        r
    };
    // Refused: a title without its event, a bad date, personal data in the title.
    for (bad, code) in [
        (with_event(Some("Библионочь"), Some("2026-04-18"), None), "invalid_record"),
        (with_event(Some("Библионочь"), Some("18.04.2026"), Some("ev-local")), "invalid_record"),
        (with_event(Some("Библионочь"), None, Some("ev-local")), "invalid_record"),
        (with_event(Some("Звонить 8 912 345-67-89"), Some("2026-04-18"), Some("ev-local")), "personal_data"),
    ] {
        let r = s.push(&token, &[bad]).await;
        assert_eq!(r.status(), 200);
        let answer = r.json::<serde_json::Value>().await.unwrap();
        assert_eq!(answer["results"][0]["status"], "refused");
        assert_eq!(answer["results"][0]["code"], code);
    }
    assert!(s.db.phone_events(10).unwrap().is_empty());

    // A published event keeps its published name whatever a phone calls it.
    let published = service::events::add(s.db.as_ref(), &Actor::cli(), "branch-1", "Лекция", "2026-05-01").unwrap();
    let records = [
        with_event(Some("  Библионочь "), Some("2026-04-18"), Some("ev-local")),
        // Older phones send no title: still stored, the event keeps the first title.
        with_event(None, None, Some("ev-local")),
        with_event(Some("Лекция, но иначе"), Some("2026-05-01"), Some(&published.id)),
    ];
    assert_eq!(s.push(&token, &records).await.status(), 200);
    // A later, different title does not rename it.
    assert_eq!(s.push(&token, &[with_event(Some("Другое"), Some("2026-04-19"), Some("ev-local"))]).await.status(), 200);
    let named = s.db.phone_events(10).unwrap();
    assert_eq!(named.len(), 1, "only the phone's own event: {named:?}");
    assert_eq!(
        (named[0].id.as_str(), named[0].title.as_str(), named[0].date.as_str()),
        ("ev-local", "Библионочь", "2026-04-18")
    );
    let (_, page) = s.get(&admin, "/").await;
    let by_event = &page[page.find("id=\"by-event\"").expect("the by-event chart")..];
    assert!(by_event.contains("Библионочь, 18.04.2026 (начато на телефоне)"), "named by its title");
    assert!(by_event.contains("Лекция, 01.05.2026") && !by_event.contains("иначе"));
    let (_, page) = s.get(&admin, "/records?event=ev-local").await;
    assert!(page.contains("Библионочь, 18.04.2026 (начато на телефоне)"));
    // The export names the event too.
    let csv = admin.client.get(s.url("/export/records.csv?event=ev-local")).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.matches("Библионочь, 18.04.2026 (начато на телефоне)").count(), 3, "{csv}");
}

#[tokio::test]
async fn events_older_than_the_filters_offer_keep_their_names_in_pages_and_exports() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let token = s.enrolled("phone-old").await;
    // An old published event and an old one started on a phone, a check at each.
    let old = service::events::add(s.db.as_ref(), &Actor::cli(), "branch-1", "Старая лекция", "2025-01-10").unwrap();
    let mut at_old = check("phone-old", "branch-1", 60_000);
    at_old.event_id = Some(old.id.clone());
    let mut at_own = check("phone-old", "branch-1", 120_000);
    at_own.event_id = Some("ev-own-old".into());
    at_own.event_title = Some("Давняя встреча".into());
    at_own.event_date = Some("2025-01-11".into());
    assert_eq!(s.push(&token, &[at_old, at_own]).await.status(), 200);
    // Then more newer events of each kind than the filters offer (a region has them in weeks).
    let n = service::reports::EVENT_CHOICES as usize;
    for i in 0..n {
        let event = lgota_protocol::WireEvent {
            id: format!("published-{i}"),
            title: format!("Новое {i}"),
            date: "2026-03-01".into(),
            branch_id: "branch-1".into(),
        };
        s.db.add_event(&event, lgota_central::now_ms()).unwrap();
    }
    let newer: Vec<_> = (0..n)
        .map(|i| {
            let mut r = check("phone-old", "branch-1", 180_000);
            r.event_id = Some(format!("own-{i}"));
            r.event_title = Some(format!("Своё {i}"));
            r.event_date = Some("2026-03-02".into());
            r
        })
        .collect();
    assert_eq!(s.push(&token, &newer).await.status(), 200);
    assert!(s.db.phone_events(service::reports::EVENT_CHOICES).unwrap().iter().all(|e| e.id != "ev-own-old"));

    let (want_old, want_own) = ("Старая лекция, 10.01.2025", "Давняя встреча, 11.01.2025 (начато на телефоне)");
    for path in [format!("/records?event={}", old.id), format!("/?event={}", old.id)] {
        let (status, page) = s.get(&admin, &path).await;
        assert_eq!(status, 200);
        assert!(page.contains(want_old) && !page.contains("Своё мероприятие телефона"), "{path}");
    }
    let (_, page) = s.get(&admin, "/records?event=ev-own-old").await;
    assert!(page.contains(want_own) && !page.contains("Своё мероприятие телефона"));
    let (_, page) = s.get(&admin, "/?event=ev-own-old").await;
    assert!(page.contains(want_own) && !page.contains("Своё мероприятие телефона"));

    let csv = admin.client.get(s.url("/export/records.csv")).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 + n, "the header and every check");
    assert!(csv.contains(want_old) && csv.contains(want_own) && csv.contains("Своё 499, 02.03.2026"));
    assert!(!csv.contains("Своё мероприятие телефона"), "{csv}");
    let xlsx = admin.client.get(s.url("/export/records.xlsx")).send().await.unwrap().bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "Записи").unwrap();
    let events: Vec<String> = sheet.rows().skip(1).map(|row| row[3].to_string()).collect();
    assert_eq!(events.len(), 2 + n);
    assert!(events.iter().any(|e| e == want_old) && events.iter().any(|e| e == want_own));
    assert!(!events.iter().any(|e| e.starts_with("Своё мероприятие телефона")), "{events:?}");
}

#[tokio::test]
async fn discrepancies_and_wrong_clocks_are_listed_for_administrators() {
    let s = start().await;
    let admin = s.browser("admin").await;
    let token = s.enrolled("phone-cl").await;
    let first = check("phone-cl", "branch-1", 60_000);
    let ahead = check("phone-cl", "branch-1", -3 * 24 * 60 * 60 * 1000);
    let body = serde_json::json!({
        "records": [first, ahead],
        "sent_at_ms": lgota_central::now_ms() + 3 * 24 * 60 * 60 * 1000,
    });
    let r = protocol_client().post(s.url("/api/v1/records")).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut other = first.clone();
    other.note = Some("другая версия".into());
    assert_eq!(s.push(&token, &[other]).await.status(), 200);

    let (status, page) = s.get(&admin, "/discrepancies").await;
    assert_eq!(status, 200);
    assert!(page.contains(&first.id) && page.contains("примечание: «» / «другая версия»"), "{page}");
    assert!(page.contains(&ahead.id), "the record made three days ahead is listed: {page}");
    let (_, devices) = s.get(&admin, "/devices").await;
    assert!(devices.contains("спешат примерно на 3 дн."), "{devices}");
    let head = s.browser("head1").await;
    assert_eq!(s.get(&head, "/discrepancies").await.0, 403, "administrators only");
}

/// A name that would run or break out of an attribute were it not escaped.
const HOSTILE: &str = "<script>alert(1)</script>\"'&";
/// [`HOSTILE`] as every page must show it.
const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";

#[tokio::test]
async fn hostile_names_are_escaped_on_every_page_that_shows_them() {
    let s = start().await;
    let admin = s.browser("admin").await;
    // A branch, an event and a record's own texts, all named through the dashboard or a phone.
    let (status, _, _) =
        s.post(&admin, "/branches", &[("mode", "rename"), ("id", "branch-1"), ("name", HOSTILE)]).await;
    assert_eq!(status, 303);
    let title = format!("Праздник {HOSTILE}");
    let (status, _, page) =
        s.post(&admin, "/events", &[("title", &title), ("date", "2026-12-01"), ("branch", "branch-1")]).await;
    assert_eq!(status, 303, "{page}");
    let event = s.db.events(Some("branch-1"), 10).unwrap().remove(0).event;
    assert_eq!(event.title, title);
    let token = s.enrolled("phone-h").await;
    let mut record = check("phone-h", "branch-1", 60_000);
    record.event_id = Some(event.id.clone());
    record.staff_label = HOSTILE.into();
    record.note = Some(HOSTILE.into());
    assert_eq!(s.push(&token, &[record.clone()]).await.status(), 200);
    // The same record again with another note: a discrepancy that quotes both.
    let mut other = record.clone();
    other.note = Some(format!("{HOSTILE}2"));
    assert_eq!(s.push(&token, &[other]).await.status(), 200);

    let head = s.browser("head1").await;
    for (who, path) in [
        (&admin, "/".to_string()),
        (&admin, "/records".to_string()),
        (&admin, format!("/records?event={}", event.id)),
        (&admin, "/branches".to_string()),
        (&admin, "/events".to_string()),
        (&admin, format!("/events/poster?id={}", event.id)),
        (&admin, "/devices".to_string()),
        (&admin, "/discrepancies".to_string()),
        (&admin, "/audit".to_string()),
        // A branch head's header names their branch.
        (&head, "/events".to_string()),
    ] {
        let (status, page) = s.get(who, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!page.contains("<script>"), "{path}: unescaped: {page}");
        assert!(!page.contains(HOSTILE) && !page.contains("\"'&"), "{path}: unescaped: {page}");
        assert!(page.contains(HOSTILE_ESCAPED), "{path}: the name, escaped: {page}");
    }
    // Where the name is an attribute's value, it stays inside it.
    let (_, page) = s.get(&admin, "/branches").await;
    assert!(page.contains(&format!("name=\"name\" value=\"{HOSTILE_ESCAPED}\"")), "{page}");
    let (_, page) = s.get(&admin, "/").await;
    assert!(page.contains(&format!("<title>{HOSTILE_ESCAPED}: 1</title>")), "the chart's tooltip: {page}");
    assert!(page.contains(&format!("<option value=\"branch-1\">{HOSTILE_ESCAPED}</option>")), "{page}");
}

#[tokio::test]
async fn the_stylesheet_is_served_at_its_hashed_path_and_cached_for_good() {
    use sha2::{Digest, Sha256};
    let s = start().await;
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = anonymous.get(s.url("/login")).send().await.unwrap();
    let csp = login.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let login = login.text().await.unwrap();
    let href = |page: &str| {
        let marker = "<link rel=\"stylesheet\" href=\"";
        assert_eq!(page.matches(marker).count(), 1, "one stylesheet: {page}");
        let at = page.find(marker).unwrap() + marker.len();
        page[at..at + page[at..].find('"').unwrap()].to_string()
    };
    let path = href(&login);
    let r = anonymous.get(s.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let css = r.text().await.unwrap();
    let digest: String = Sha256::digest(css.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(path, format!("/static/dashboard.{}.css", &digest[..12]));
    assert!(css.contains(".kpi"), "{css}");
    // Every page links to exactly that path, and carries no inline style the policy would block.
    let admin = s.browser("admin").await;
    for page in ["/", "/records", "/branches", "/reference", "/events", "/devices", "/content", "/import", "/audit"] {
        let (status, html) = s.get(&admin, page).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(href(&html), path, "{page}");
        assert!(!html.contains("style=") && !html.contains("<style"), "{page}: {html}");
    }
    // Another hash is no stylesheet.
    let r = anonymous.get(s.url("/static/dashboard.000000000000.css")).send().await.unwrap();
    assert_ne!(r.status(), 200);
}

/// Configuration and content are published together (issue 17): a category whose paper document
/// the published pack has no checklist for is refused with `config_not_covered` — from the
/// dashboard and the command line alike — and the order the page explains works.
#[tokio::test]
async fn a_configuration_the_published_pack_does_not_cover_is_refused_with_the_way_out() {
    let s = start().await;
    let keys = [trusted("office-2026", &s.signing)];
    let db = s.db.as_ref();
    let pack_version = lgota_domain::ContentPack::bundled().version + 1;
    service::content::publish(db, &signed_pack(pack_version, "office-2026", &s.signing), &keys).unwrap();
    let admin = s.browser("admin").await;
    let (_, page) = s.get(&admin, "/reference").await;
    assert!(page.contains("id=\"covered-by-pack\"") && page.contains("опубликуйте на странице"), "the page explains");

    // 1) A document alone: no category lists it yet, the pack still covers the configuration.
    let doc = [("list", "document_types"), ("mode", "add"), ("id", "veteran_card"), ("name", "Удостоверение ветерана")];
    assert_eq!(s.post(&admin, "/reference/item", &doc).await.0, 303);
    let before = s.config_version();
    // A category listing it is refused: phones would have no checklist for it.
    let category = [("mode", "add"), ("id", "veteran"), ("name", "Ветеран труда"), ("docs", "veteran_card")];
    let (status, _, page) = s.post(&admin, "/reference/category", &category).await;
    assert_ne!(status, 303);
    assert!(page.contains("не покрывает") && page.contains("veteran_card") && page.contains("«Контент»"), "{page}");
    assert_eq!(s.config_version(), before, "nothing published");
    // The command line's whole document: the same refusal, with its code.
    let mut config = serde_json::to_value(service::reference::current_config(db).unwrap()).unwrap();
    config["version"] = (before + 1).into();
    config["categories"].as_array_mut().unwrap().push(serde_json::json!({
        "id": "veteran", "name": "Ветеран труда", "document_type_ids": ["veteran_card"]
    }));
    let e = service::reference::publish_document(db, &Actor::cli(), &config.to_string(), "config.json").unwrap_err();
    assert_eq!(e.code, lgota_protocol::codes::CONFIG_NOT_COVERED, "{}", e.message);
    assert_eq!(s.config_version(), before);

    // 2) A pack with the document's checklist (it is in the configuration now), 3) the category.
    let mut pack: serde_json::Value =
        serde_json::from_str(&lgota_domain::content::testing::bundled_with_version(pack_version + 1)).unwrap();
    pack["checklists"].as_array_mut().unwrap().push(serde_json::json!({
        "document_type_id": "veteran_card", "checks": ["Фото в удостоверении совпадает с человеком"]
    }));
    let covering = lgota_domain::content::seal(&s.signing, "office-2026", &pack.to_string());
    service::content::publish(db, &covering, &keys).unwrap();
    assert_eq!(s.post(&admin, "/reference/category", &category).await.0, 303);
    assert_eq!(s.config_version(), before + 1);
}

/// The enrollment page's QR pins what the settings name (`content_key`, `tls_ca_cert`), says so,
/// and `/api/v1/ca.der` serves the certificate whose hash the QR carries.
#[tokio::test]
async fn the_enrollment_page_pins_the_content_key_and_the_ca_and_says_so() {
    let der = b"not really a certificate, only bytes to hash".to_vec();
    let key = trusted("office-2026", &SigningKey::from_bytes(&[7; 32]));
    let pins = lgota_protocol::EnrollPins {
        content_key: Some(lgota_protocol::ContentKeyPin {
            key_id: key.key_id.clone(),
            public_key: key.public_key.clone(),
        }),
        ca_sha256: Some(lgota_central::secrets::sha256_hex_bytes(&der)),
    };
    let (p, d) = (pins.clone(), der.clone());
    let s = start_with(move |dashboard| {
        dashboard.enroll_pins = p;
        dashboard.ca_der = Some(d);
    })
    .await;
    let admin = s.browser("admin").await;
    let (status, _, page) = s.post(&admin, "/devices/enroll", &[("branch", "branch-1"), ("ttl", "60")]).await;
    assert_eq!(status, 200);
    let parsed = lgota_protocol::parse_enroll_uri(&element_text(&page, "enroll-payload")).unwrap();
    assert_eq!(parsed.pins, pins);
    assert!(page.contains("Ключ подписи инструкций <code>office-2026</code>"), "{page}");
    assert!(page.contains(pins.ca_sha256.as_deref().unwrap()), "the CA's hash is shown");
    let served = reqwest::get(s.url("/api/v1/ca.der")).await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "application/pkix-cert");
    assert_eq!(served.bytes().await.unwrap().to_vec(), der);
}

//! Management from the dashboard: branches, reference lists (benefit categories, paper document
//! types, failure reasons), events, devices (enrollment QR, revocation), content packs (upload,
//! check, publish), import of files exported by phones, and the audit log.
//!
//! Every POST checks the session's CSRF token before anything else; every change is written to
//! the audit log with the signed-in login. Branches, reference lists, content and import are for
//! administrators; a branch head manages the events and devices of their own branch only.
//! Changes to branches and reference lists publish a new configuration version, which phones pull.

// Handlers answer early with a ready page: `Result<_, Response>` once per request is fine.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use base64::Engine as _;
use lgota_domain::config::{Category, Named};
use lgota_domain::Config;
use serde::Deserialize;

use super::manage_pages as view;
use super::{csrf_refused, db, html, names, pages, server_error, Session};
use crate::admin::{self, AdminError};
use crate::api::AppState;
use crate::now_ms;
use crate::store::{CodeIssuer, ContentUpload, Database, ReferenceName, Role, StoreError};

/// The largest content pack or export file the dashboard accepts.
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;
/// The largest phone export file the import page takes: 100,000 records are about 45 MB.
pub const MAX_IMPORT_FILE_BYTES: usize = 128 * 1024 * 1024;
/// Name fields (branches, categories, documents, reasons, event titles).
pub const NAME_MAX: usize = 120;
/// Ids typed by an administrator for new branches and reference entries.
pub const NEW_ID_MAX: usize = 40;
const LIST_LIMIT: u32 = 500;
const AUDIT_PAGE: u32 = 100;

pub fn routes() -> Router<AppState> {
    // Administrators only: a branch head gets 403 before the handler runs.
    let admin_only = Router::new()
        .route("/branches", get(branches).post(save_branch))
        .route("/reference", get(reference))
        .route("/reference/category", post(save_category))
        .route("/reference/item", post(save_item))
        .route("/content", get(content).post(upload_content).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)))
        .route("/content/publish", post(publish_content))
        .route("/import", get(import_form).post(import_files).layer(DefaultBodyLimit::max(2 * MAX_IMPORT_FILE_BYTES)))
        .route("/audit", get(audit_log))
        .route("/discrepancies", get(discrepancies))
        .route_layer(middleware::from_fn(require_admin));
    // Administrators, and branch heads confined to their branch inside the handlers.
    Router::new()
        .route("/events", get(events).post(add_event))
        .route("/events/poster", get(event_poster))
        .route("/devices", get(devices))
        .route("/devices/enroll", post(enroll_device))
        .route("/devices/revoke", post(revoke_device))
        .merge(admin_only)
}

/// A urlencoded form body with every field, repeated names kept (check boxes).
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).collect()
    }
}

/// What the pages need of the signed-in user.
pub struct Ctx<'a> {
    pub session: &'a Session,
    pub names: &'a pages::Names,
    pub tz: chrono_tz::Tz,
}

fn forbidden() -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::message_page("Недостаточно прав", "Это действие доступно только администратору центральной библиотеки."),
    )
}

async fn require_admin(Extension(session): Extension<Session>, request: Request, next: Next) -> Response {
    match session.admin.role {
        Role::Admin => next.run(request).await,
        Role::BranchHead(_) => forbidden(),
    }
}

fn check_csrf(session: &Session, given: &str) -> Result<(), Response> {
    if super::auth::constant_time_eq(given, &session.csrf) {
        Ok(())
    } else {
        Err(csrf_refused())
    }
}

/// The branch a branch head is confined to, or the one an administrator chose.
fn confined(session: &Session, asked: &str) -> String {
    session.admin.role.branch().map_or_else(|| asked.trim().to_string(), str::to_string)
}

/// A new id: Latin letters, digits and `-` `_`, up to [`NEW_ID_MAX`].
pub fn clean_id(id: &str) -> Result<String, String> {
    let id = id.trim();
    let ok = !id.is_empty()
        && id.len() <= NEW_ID_MAX
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(id.to_string())
    } else {
        Err(format!(
            "Код: от 1 до {NEW_ID_MAX} символов — строчные латинские буквы, цифры, дефис или подчёркивание \
             (например, branch-4)."
        ))
    }
}

/// A user's mistake (shown on the page, 400) or the server's failure (500).
enum Failure {
    User(String),
    Db(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Db(e)
    }
}

impl From<AdminError> for Failure {
    fn from(e: AdminError) -> Failure {
        match e {
            AdminError::Db(e) => Failure::Db(e),
            AdminError::Refused(m) => Failure::User(m),
            AdminError::Io(e) => Failure::Db(StoreError::Corrupt(e.to_string())),
            e @ AdminError::NotNewer(_) => Failure::User(e.to_string()),
        }
    }
}

/// Runs `f` off the async threads; a user failure comes back as `Err(message)`.
async fn act<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Database) -> Result<T, Failure> + Send + 'static,
) -> Result<Result<T, String>, Response> {
    let db = state.db.clone();
    match tokio::task::spawn_blocking(move || f(db.as_ref())).await {
        Ok(Ok(v)) => Ok(Ok(v)),
        Ok(Err(Failure::User(m))) => Ok(Err(m)),
        Ok(Err(Failure::Db(e))) => Err(server_error(e)),
        Err(e) => Err(server_error(e)),
    }
}

/// Publishes `config` as the next version; phones pull it at their next sync.
fn publish_config(db: &dyn Database, mut config: Config) -> Result<u32, Failure> {
    let published = db.reference(ReferenceName::Config)?.map_or(0, |(v, _)| v);
    config.version = published.max(config.version) + 1;
    let json = serde_json::to_string(&config).map_err(|e| Failure::Db(StoreError::Corrupt(e.to_string())))?;
    admin::publish_config(db, &json).map_err(|e| match e {
        AdminError::NotNewer(_) => {
            Failure::User("Справочники только что изменил другой администратор: повторите.".into())
        }
        other => other.into(),
    })
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

/// The message of a `?done=` redirect after a successful change.
fn done_message(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "branch" => "Филиал сохранён; телефоны получат изменения при следующей синхронизации.",
        "reference" => "Справочник сохранён; телефоны получат изменения при следующей синхронизации.",
        "event" => "Мероприятие опубликовано; телефоны филиала получат его при следующей синхронизации.",
        "revoked" => "Устройство отключено: его следующая синхронизация будет отклонена.",
        "uploaded" => "Пакет проверен и загружен. Опубликуйте его, чтобы телефоны его получили.",
        "published" => "Пакет опубликован; телефоны получат его при следующей синхронизации.",
        _ => return None,
    })
}

fn query_done(query: Result<Query<Done>, axum::extract::rejection::QueryRejection>) -> Option<&'static str> {
    let done = query.map(|Query(q)| q).unwrap_or_default().done;
    done_message(done.as_deref())
}

/// How a change ends: a redirect to `done` after success, the page again with the message after a
/// user's mistake (400), the server's error page as it is.
async fn settle<F: std::future::Future<Output = Response>>(
    result: Result<Result<(), String>, Response>,
    done: &str,
    again: impl FnOnce(String) -> F,
) -> Response {
    match result {
        Ok(Ok(())) => Redirect::to(done).into_response(),
        Ok(Err(e)) => again(e).await,
        Err(r) => r,
    }
}

fn audit(db: &dyn Database, session: &Session, action: &str, detail: &str) -> Result<(), StoreError> {
    db.audit(now_ms(), &session.admin.login, action, detail)
}

// ---------------------------------------------------------------------------------------------
// Branches

async fn branches(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    branches_page(&state, &session, StatusCode::OK, query_done(query), None, ("", "")).await
}

async fn branches_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    done: Option<&str>,
    error: Option<&str>,
    form: (&str, &str),
) -> Response {
    let data = db(state, |db| Ok((db.branches()?, db.devices()?, names(db)?.0))).await;
    let (branches, devices, names) = match data {
        Ok(v) => v,
        Err(r) => return r,
    };
    let ctx = Ctx { session, names: &names, tz: state.dashboard.tz };
    html(status, view::branches(&ctx, &branches, &devices, done, error, form))
}

async fn save_branch(State(state): State<AppState>, Extension(session): Extension<Session>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = check_csrf(&session, form.get("csrf")) {
        return r;
    }
    let rename = form.get("mode") == "rename";
    let (id, name) = (form.get("id").trim().to_string(), form.get("name").to_string());
    let checked = (|| Ok::<_, String>((clean_id(&id)?, admin::clean_text("Название", &name, NAME_MAX)?)))();
    let (id, name) = match checked {
        Ok(v) => v,
        Err(e) => return branches_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e), (&id, &name)).await,
    };
    let s = session.clone();
    let (i, n) = (id.clone(), name.clone());
    let result = act(&state, move |db| {
        let mut config = admin::current_config(db)?;
        let known = db.branches()?.into_iter().any(|(b, _)| b == i) || config.branch(&i).is_some();
        match (rename, known) {
            (false, true) => return Err(Failure::User(format!("Филиал с кодом «{i}» уже есть."))),
            (true, false) => return Err(Failure::User(format!("Нет филиала с кодом «{i}»."))),
            _ => {}
        }
        match config.branches.iter_mut().find(|b| b.id == i) {
            Some(b) => b.name = n.clone(),
            None => config.branches.push(Named { id: i.clone(), name: n.clone() }),
        }
        let version = publish_config(db, config)?;
        let (action, what) =
            if rename { ("branch.rename", "переименован") } else { ("branch.add", "добавлен") };
        audit(db, &s, action, &format!("Филиал «{i}» {what}: «{n}» (конфигурация версии {version})"))?;
        Ok(())
    })
    .await;
    settle(result, "/branches?done=branch", |e| async move {
        branches_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e), (&id, &name)).await
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Reference lists

async fn reference(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    reference_page(&state, &session, StatusCode::OK, query_done(query), None).await
}

async fn reference_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    done: Option<&str>,
    error: Option<&str>,
) -> Response {
    let (config, names) = match db(state, |db| Ok((admin::current_config(db)?, names(db)?.0))).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let ctx = Ctx { session, names: &names, tz: state.dashboard.tz };
    html(status, view::reference(&ctx, &config, done, error))
}

async fn save_category(State(state): State<AppState>, Extension(session): Extension<Session>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = check_csrf(&session, form.get("csrf")) {
        return r;
    }
    let edit = form.get("mode") == "edit";
    let checked =
        (|| Ok::<_, String>((clean_id(form.get("id"))?, admin::clean_text("Название", form.get("name"), NAME_MAX)?)))();
    let (id, name) = match checked {
        Ok(v) => v,
        Err(e) => return reference_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e)).await,
    };
    let docs = form.all("docs");
    let s = session.clone();
    let result = act(&state, move |db| {
        let mut config = admin::current_config(db)?;
        if docs.is_empty() {
            return Err(Failure::User("Отметьте хотя бы один документ, подтверждающий категорию.".into()));
        }
        if let Some(unknown) = docs.iter().find(|d| config.document_type(d).is_none()) {
            return Err(Failure::User(format!("Нет типа документа с кодом «{unknown}».")));
        }
        match (edit, config.categories.iter_mut().find(|c| c.id == id)) {
            (true, Some(c)) => {
                c.name = name.clone();
                c.document_type_ids = docs.clone();
            }
            (true, None) => return Err(Failure::User(format!("Нет категории с кодом «{id}»."))),
            (false, Some(_)) => return Err(Failure::User(format!("Категория с кодом «{id}» уже есть."))),
            (false, None) => {
                config.categories.push(Category { id: id.clone(), name: name.clone(), document_type_ids: docs.clone() })
            }
        }
        let version = publish_config(db, config)?;
        let (action, what) =
            if edit { ("category.edit", "изменена") } else { ("category.add", "добавлена") };
        let detail = format!(
            "Категория «{id}» {what}: «{name}», документы: {} (конфигурация версии {version})",
            docs.join(", ")
        );
        audit(db, &s, action, &detail)?;
        Ok(())
    })
    .await;
    settle(result, "/reference?done=reference", |e| async move {
        reference_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e)).await
    })
    .await
}

/// Adds or renames a paper document type or a failure reason.
async fn save_item(State(state): State<AppState>, Extension(session): Extension<Session>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = check_csrf(&session, form.get("csrf")) {
        return r;
    }
    let list = form.get("list").to_string();
    let rename = form.get("mode") == "rename";
    let checked = (|| {
        let (label, action) = match list.as_str() {
            "document_types" => ("Тип документа", "document_type"),
            "failure_reasons" => ("Причина", "failure_reason"),
            _ => return Err("Неизвестный справочник.".to_string()),
        };
        Ok((label, action, clean_id(form.get("id"))?, admin::clean_text("Название", form.get("name"), NAME_MAX)?))
    })();
    let (label, action, id, name) = match checked {
        Ok(v) => v,
        Err(e) => return reference_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e)).await,
    };
    let s = session.clone();
    let result = act(&state, move |db| {
        let mut config = admin::current_config(db)?;
        let items = if action == "document_type" { &mut config.document_types } else { &mut config.failure_reasons };
        match (rename, items.iter_mut().find(|d| d.id == id)) {
            (true, Some(d)) => d.name = name.clone(),
            (true, None) => return Err(Failure::User(format!("{label}: нет записи с кодом «{id}»."))),
            (false, Some(_)) => return Err(Failure::User(format!("{label}: код «{id}» уже занят."))),
            (false, None) => items.push(Named { id: id.clone(), name: name.clone() }),
        }
        let version = publish_config(db, config)?;
        let verb = if rename { "rename" } else { "add" };
        audit(
            db,
            &s,
            &format!("{action}.{verb}"),
            &format!("{label} «{id}»: «{name}» (конфигурация версии {version})"),
        )?;
        Ok(())
    })
    .await;
    settle(result, "/reference?done=reference", |e| async move {
        reference_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e)).await
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Events

#[derive(Deserialize, Default)]
struct EventsQuery {
    branch: Option<String>,
    done: Option<String>,
}

async fn events(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let branch = confined(&session, query.branch.as_deref().unwrap_or(""));
    let done = done_message(query.done.as_deref());
    events_page(&state, &session, StatusCode::OK, &branch, done, None, ("", "")).await
}

async fn events_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    branch: &str,
    done: Option<&str>,
    error: Option<&str>,
    form: (&str, &str),
) -> Response {
    let filter = Some(branch.to_string()).filter(|b| !b.is_empty());
    let data = db(state, move |db| Ok((db.events(filter.as_deref(), LIST_LIMIT)?, names(db)?))).await;
    let (events, (names, branch_ids, _)) = match data {
        Ok(v) => v,
        Err(r) => return r,
    };
    let ctx = Ctx { session, names: &names, tz: state.dashboard.tz };
    html(status, view::events(&ctx, &events, &branch_ids, branch, done, error, form))
}

async fn add_event(State(state): State<AppState>, Extension(session): Extension<Session>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = check_csrf(&session, form.get("csrf")) {
        return r;
    }
    let branch = confined(&session, form.get("branch"));
    let (title, date) = (form.get("title").to_string(), form.get("date").trim().to_string());
    if branch.is_empty() {
        let e = "Выберите филиал.";
        return events_page(&state, &session, StatusCode::BAD_REQUEST, &branch, None, Some(e), (&title, &date)).await;
    }
    let s = session.clone();
    let (b, d) = (branch.clone(), date.clone());
    let result = act(&state, move |db| {
        if !db.branches()?.iter().any(|(id, _)| *id == b) {
            return Err(Failure::User(format!("Нет филиала с кодом «{b}».")));
        }
        let event = admin::add_event(db, &b, &title, &d)?;
        audit(
            db,
            &s,
            "event.add",
            &format!("Мероприятие «{}» {} филиала «{b}» ({})", event.title, event.date, event.id),
        )?;
        Ok(())
    })
    .await;
    // A branch's id is a checked id (letters, digits, `-`, `_`): safe in the query as it is.
    let branch_query = if session.admin.role.branch().is_some() { String::new() } else { format!("&branch={branch}") };
    settle(result, &format!("/events?done=event{branch_query}"), |e| async move {
        events_page(&state, &session, StatusCode::BAD_REQUEST, &branch, None, Some(&e), (form.get("title"), &date))
            .await
    })
    .await
}

#[derive(Deserialize, Default)]
struct PosterQuery {
    id: Option<String>,
}

/// A printable poster for the door: the event's QR code, which selects it on a librarian's phone.
async fn event_poster(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<PosterQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let id = query.ok().and_then(|Query(q)| q.id).unwrap_or_default();
    let data = db(&state, move |db| Ok((db.event(id.trim())?, names(db)?.0))).await;
    let (event, names) = match data {
        Ok((Some(event), names)) => (event, names),
        Ok((None, _)) => {
            return html(
                StatusCode::NOT_FOUND,
                pages::message_page("Нет такого мероприятия", "Откройте его из списка."),
            )
        }
        Err(r) => return r,
    };
    if session.admin.role.branch().is_some_and(|own| own != event.event.branch_id) {
        return forbidden();
    }
    let payload = lgota_protocol::event_uri(&event.event.id);
    match admin::qr_png_bytes(&payload) {
        Ok(png) => {
            let uri = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
            html(
                StatusCode::OK,
                view::poster(&Ctx { session: &session, names: &names, tz: state.dashboard.tz }, &event, &payload, &uri),
            )
        }
        Err(e) => server_error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Devices

async fn devices(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    devices_page(&state, &session, StatusCode::OK, query_done(query), None).await
}

async fn devices_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    done: Option<&str>,
    error: Option<&str>,
) -> Response {
    let own = session.admin.role.branch().map(str::to_string);
    let data = db(state, |db| Ok((db.devices()?, names(db)?))).await;
    let (mut devices, (names, branch_ids, _)) = match data {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(own) = &own {
        devices.retain(|d| &d.branch_id == own);
    }
    let ctx = Ctx { session, names: &names, tz: state.dashboard.tz };
    html(status, view::devices(&ctx, &devices, &branch_ids, now_ms(), done, error))
}

async fn enroll_device(State(state): State<AppState>, Extension(session): Extension<Session>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = check_csrf(&session, form.get("csrf")) {
        return r;
    }
    let branch = confined(&session, form.get("branch"));
    let ttl = form.get("ttl").trim().parse::<u32>().ok().filter(|m| (5..=7 * 24 * 60).contains(m));
    let Some(ttl) = ttl else {
        let e = "Срок действия кода — от 5 минут до 7 суток.";
        return devices_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(e)).await;
    };
    let (s, b, url) = (session.clone(), branch.clone(), state.dashboard.public_url.clone());
    let result = act(&state, move |db| {
        if !db.branches()?.iter().any(|(id, _)| *id == b) {
            return Err(Failure::User("Выберите филиал, к которому подключается телефон.".into()));
        }
        let issuer = match s.admin.role {
            Role::Admin => CodeIssuer::admin(&s.admin.login),
            Role::BranchHead(_) => CodeIssuer::branch_head(&s.admin.login),
        };
        let issued = admin::issue_code(db, &b, &issuer, ttl, &url)?;
        let png = admin::qr_png_bytes(&issued.payload)?;
        audit(db, &s, "device.code", &format!("Выдан код подключения к филиалу «{b}» на {ttl} мин."))?;
        Ok((issued, png, names(db)?.0))
    })
    .await;
    match result {
        Ok(Ok((issued, png, names))) => {
            let data_uri = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
            let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
            html(StatusCode::OK, view::enrollment(&ctx, &issued, &data_uri))
        }
        Ok(Err(e)) => devices_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e)).await,
        Err(r) => r,
    }
}

async fn revoke_device(State(state): State<AppState>, Extension(session): Extension<Session>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = check_csrf(&session, form.get("csrf")) {
        return r;
    }
    let id = form.get("id").trim().to_string();
    let confirmed = form.get("confirm") == "yes";
    let i = id.clone();
    let device = match db(&state, move |db| Ok((db.device(&i)?, names(db)?.0))).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (device, names) = match device {
        (Some(d), names) => (d, names),
        (None, _) => {
            return devices_page(&state, &session, StatusCode::NOT_FOUND, None, Some("Нет такого устройства.")).await
        }
    };
    if session.admin.role.branch().is_some_and(|own| own != device.branch_id) {
        return forbidden();
    }
    if device.revoked_at_ms.is_some() {
        return Redirect::to("/devices?done=revoked").into_response();
    }
    if !confirmed {
        let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
        return html(StatusCode::OK, view::revoke_confirm(&ctx, &device));
    }
    let s = session.clone();
    let result = db(&state, move |db| {
        db.revoke_device(&device.id, now_ms())?;
        audit(db, &s, "device.revoke", &format!("Устройство {} филиала «{}» отключено", device.id, device.branch_id))
    })
    .await;
    match result {
        Ok(()) => Redirect::to("/devices?done=revoked").into_response(),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Content packs

/// The fields of a multipart form: text fields and uploaded files `(field, file name, bytes)`.
struct Upload {
    fields: Vec<(String, String)>,
    files: Vec<(String, String, Bytes)>,
}

impl Upload {
    fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

async fn read_multipart(multipart: Result<Multipart, MultipartRejection>, max_file: usize) -> Result<Upload, String> {
    let too_big = || format!("Файл слишком большой: не больше {} МБ.", max_file / (1024 * 1024));
    let mut multipart = multipart.map_err(|_| "Отправьте форму с файлом из панели.".to_string())?;
    let mut upload = Upload { fields: Vec::new(), files: Vec::new() };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => return Err("Форма с файлом повреждена: отправьте её ещё раз.".into()),
        };
        let name = field.name().unwrap_or_default().to_string();
        let file = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => return Err("Форма с файлом повреждена: отправьте её ещё раз.".into()),
        };
        match file {
            Some(file) => {
                if bytes.len() > max_file {
                    return Err(too_big());
                }
                if !bytes.is_empty() || !file.is_empty() {
                    upload.files.push((name, file, bytes));
                }
            }
            None => upload.fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(upload)
}

async fn content(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    content_page(&state, &session, StatusCode::OK, query_done(query), None).await
}

async fn content_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    done: Option<&str>,
    error: Option<&str>,
) -> Response {
    let data = db(state, |db| {
        Ok((db.reference(ReferenceName::Content)?.map(|(v, _)| v), db.content_uploads(50)?, names(db)?.0))
    })
    .await;
    let (published, uploads, names) = match data {
        Ok(v) => v,
        Err(r) => return r,
    };
    let app_keys: Vec<String> = lgota_domain::content::trusted_keys().into_iter().map(|k| k.key_id).collect();
    let ctx = Ctx { session, names: &names, tz: state.dashboard.tz };
    html(status, view::content(&ctx, published, &uploads, &app_keys, done, error))
}

async fn upload_content(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let upload = read_multipart(multipart, MAX_UPLOAD_BYTES).await;
    // The token travels inside the multipart body; nothing is looked at before it is checked.
    let csrf = upload.as_ref().map(|u| u.field("csrf").to_string()).unwrap_or_default();
    if let Err(r) = check_csrf(&session, &csrf) {
        return r;
    }
    let upload = match upload {
        Ok(u) => u,
        Err(e) => return content_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e)).await,
    };
    let Some((_, file, bytes)) = upload.files.into_iter().next() else {
        let e = "Выберите файл пакета инструкций.";
        return content_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(e)).await;
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        let e = "Файл не в кодировке UTF-8: это не пакет инструкций.";
        return content_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(e)).await;
    };
    let (s, trusted) = (session.clone(), state.dashboard.trusted_keys.clone());
    let result = act(&state, move |db| {
        let checked = admin::check_content(db, &text, &trusted)?;
        let upload = ContentUpload {
            id: uuid::Uuid::now_v7().to_string(),
            uploaded_at_ms: now_ms(),
            login: s.admin.login.clone(),
            version: checked.version,
            key_id: checked.key_id,
            summary: checked.summary,
            published_at_ms: None,
        };
        db.add_content_upload(&upload, &text)?;
        let detail = format!("Пакет «{file}» версии {} (ключ {}) проверен и загружен", upload.version, upload.key_id);
        audit(db, &s, "content.upload", &detail)?;
        Ok(())
    })
    .await;
    settle(result, "/content?done=uploaded", |e| async move {
        content_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e)).await
    })
    .await
}

async fn publish_content(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = check_csrf(&session, form.get("csrf")) {
        return r;
    }
    let id = form.get("id").trim().to_string();
    let (s, trusted) = (session.clone(), state.dashboard.trusted_keys.clone());
    let result = act(&state, move |db| {
        let Some((upload, body)) = db.content_upload(&id)? else {
            return Err(Failure::User("Нет такого загруженного пакета.".into()));
        };
        if upload.published_at_ms.is_some() {
            return Err(Failure::User(format!("Пакет версии {} уже опубликован.", upload.version)));
        }
        // Checked again: the configuration or the published pack may have changed since upload.
        let version = admin::publish_content(db, &body, &trusted)?.version;
        db.mark_content_published(&upload.id, now_ms())?;
        audit(
            db,
            &s,
            "content.publish",
            &format!("Опубликован пакет инструкций версии {version} ({})", upload.summary),
        )?;
        Ok(())
    })
    .await;
    settle(result, "/content?done=published", |e| async move {
        content_page(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e)).await
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Import of phone exports

async fn import_form(State(state): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let names = match db(&state, |db| Ok(names(db)?.0)).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    html(StatusCode::OK, view::import(&Ctx { session: &session, names: &names, tz: state.dashboard.tz }, &[], None))
}

/// What became of one imported file.
pub struct ImportResult {
    pub file: String,
    pub outcome: Result<crate::intake::Intake, String>,
}

async fn import_files(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let upload = read_multipart(multipart, MAX_IMPORT_FILE_BYTES).await;
    let csrf = upload.as_ref().map(|u| u.field("csrf").to_string()).unwrap_or_default();
    if let Err(r) = check_csrf(&session, &csrf) {
        return r;
    }
    let s = session.clone();
    let result = db(&state, move |db| {
        let names = names(db)?.0;
        let upload = match upload {
            Ok(u) => u,
            Err(e) => return Ok((Vec::new(), Some(e), names)),
        };
        if upload.files.is_empty() {
            return Ok((Vec::new(), Some("Выберите один или несколько файлов выгрузки с телефонов.".into()), names));
        }
        let mut results = Vec::new();
        for (_, file, bytes) in upload.files {
            let outcome = match admin::import_export(db, &bytes) {
                Ok(o) => {
                    let detail = format!("Импорт файла «{file}»: {}", o.summary());
                    audit(db, &s, "import", &detail)?;
                    Ok(o)
                }
                Err(e) if e.status.is_server_error() => return Err(StoreError::Corrupt(e.message)),
                Err(e) => Err(e.message),
            };
            results.push(ImportResult { file, outcome });
        }
        Ok((results, None, names))
    })
    .await;
    match result {
        Ok((results, error, names)) => {
            let status = if error.is_some() || results.iter().any(|r| r.outcome.is_err()) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            html(
                status,
                view::import(
                    &Ctx { session: &session, names: &names, tz: state.dashboard.tz },
                    &results,
                    error.as_deref(),
                ),
            )
        }
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Audit log

#[derive(Deserialize, Default)]
struct AuditQuery {
    before: Option<String>,
}

/// The newest conflicts and clock-flagged records shown.
const DISCREPANCIES_SHOWN: u32 = 200;

async fn discrepancies(State(state): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let data =
        db(&state, |db| Ok((db.conflicts(DISCREPANCIES_SHOWN)?, db.clock_flagged(DISCREPANCIES_SHOWN)?, names(db)?.0)))
            .await;
    let (conflicts, flagged, names) = match data {
        Ok(v) => v,
        Err(r) => return r,
    };
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    html(StatusCode::OK, view::discrepancies(&ctx, &conflicts, &flagged))
}

async fn audit_log(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let before = query.ok().and_then(|Query(q)| q.before).and_then(|b| b.trim().parse::<i64>().ok());
    let data = db(&state, move |db| Ok((db.audit_log(before, AUDIT_PAGE)?, names(db)?.0))).await;
    let (entries, names) = match data {
        Ok(v) => v,
        Err(r) => return r,
    };
    let more = entries.len() == AUDIT_PAGE as usize;
    html(StatusCode::OK, view::audit(&Ctx { session: &session, names: &names, tz: state.dashboard.tz }, &entries, more))
}

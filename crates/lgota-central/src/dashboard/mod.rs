//! The central office's web dashboard: sign-in, the overview of checks and the exports (records
//! as CSV and XLSX, the monthly summary as XLSX).
//!
//! Pages are server-rendered HTML (no scripts). Pages without a session redirect to `/login`;
//! `/admin/api/…` without a session answers 401 with an `ErrorBody`. Every state-changing POST
//! (besides sign-in itself) must carry the session's CSRF token.

pub mod auth;
pub mod csv;
pub mod filter;
pub mod manage;
pub mod manage_pages;
pub mod pages;
pub mod records;
pub mod rows;
pub mod templates;
pub mod xlsx;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::{Datelike, NaiveDate};
use lgota_protocol::codes;
use serde::Deserialize;
use std::net::SocketAddr;

use self::auth::Attempts;
use self::filter::{FilterQuery, Parsed};
use self::pages::{Names, OverviewView, Period};
use crate::api::AppState;
use crate::db::{Admin, DbError, RecordFilter, StoredRecord};
use crate::error::ApiError;
use crate::{now_ms, secrets};

/// Dashboard settings and the sign-in limiter, shared by all requests.
pub struct Dashboard {
    /// Mark the session cookie `Secure` (off only for tests over http://127.0.0.1).
    pub cookie_secure: bool,
    pub attempts: Attempts,
    /// The base URL phones reach the server at: it goes into the enrollment QR.
    pub public_url: String,
    /// Keys an uploaded content pack may be signed with: the app's compiled-in keys and any the
    /// server was given (`--trusted-keys`).
    pub trusted_keys: Vec<lgota_domain::content::TrustedKey>,
    /// The institution's time zone: periods, dates and times, months of the summary.
    pub tz: chrono_tz::Tz,
}

impl Dashboard {
    pub fn new(cookie_secure: bool, tz: chrono_tz::Tz) -> Dashboard {
        Dashboard {
            cookie_secure,
            attempts: Attempts::default(),
            public_url: format!("http://{}", crate::settings::DEFAULT_LISTEN),
            trusted_keys: lgota_domain::content::trusted_keys(),
            tz,
        }
    }
}

/// How many of the newest events the filters offer and the pages name.
pub const EVENT_CHOICES: u32 = 500;

/// How many of the newest records the overview lists.
pub const RECENT: u32 = 20;

/// The signed-in user of a request.
#[derive(Clone)]
pub struct Session {
    pub(crate) admin: Admin,
    pub(crate) csrf: String,
    token_sha256: String,
}

pub(crate) async fn db<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn crate::db::Database) -> Result<T, DbError> + Send + 'static,
) -> Result<T, Response> {
    let db = state.db.clone();
    match tokio::task::spawn_blocking(move || f(db.as_ref())).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(server_error(e)),
        Err(e) => Err(server_error(e)),
    }
}

fn server_error(e: impl std::fmt::Display) -> Response {
    tracing::error!("dashboard: {e}");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::message_page("Ошибка сервера", "Внутренняя ошибка сервера; повторите позже."),
    )
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

pub fn router(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/", get(overview))
        .route("/records", get(records::page))
        .route("/export/records.csv", get(export_csv))
        .route("/export/records.xlsx", get(export_xlsx))
        .route("/export/summary.xlsx", get(export_summary_xlsx))
        .route("/logout", post(logout))
        .merge(manage::routes())
        .route("/admin/api/overview", get(api_overview))
        .route_layer(middleware::from_fn_with_state(state, require_session));
    Router::new()
        .route("/login", get(login_form).post(login))
        .merge(signed_in)
        .layer(middleware::map_response(security_headers))
        // After the layer: its own headers (cached for good, where every page is `no-store`).
        .route(&templates::STYLESHEET_PATH, get(templates::stylesheet))
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn require_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/admin/api/");
    let refuse = || {
        if api {
            ApiError::new(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED, "Нужно войти в панель администратора.")
                .into_response()
        } else {
            Redirect::to("/login").into_response()
        }
    };
    let Some(token) = auth::session_token(request.headers()) else {
        return refuse();
    };
    let token_sha256 = secrets::sha256_hex(&token);
    let hash = token_sha256.clone();
    match db(&state, move |db| db.session(&hash, now_ms())).await {
        Ok(Some((admin, csrf))) => {
            request.extensions_mut().insert(Session { admin, csrf, token_sha256 });
            next.run(request).await
        }
        Ok(None) => refuse(),
        Err(response) => response,
    }
}

async fn login_form() -> Response {
    html(StatusCode::OK, pages::login_page(None, ""))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let login = form.login.trim().to_string();
    let ip = connect.map_or_else(|| "unknown".to_string(), |Extension(ConnectInfo(addr))| addr.ip().to_string());
    let keys = vec![format!("login:{}", login.to_lowercase()), format!("ip:{ip}")];
    let dashboard = state.dashboard.clone();
    if dashboard.attempts.blocked(&keys, now_ms()) {
        tracing::warn!(login, ip, "sign-in refused: too many failures");
        return html(
            StatusCode::TOO_MANY_REQUESTS,
            pages::login_page(Some("Слишком много попыток, попробуйте позже."), &login),
        );
    }
    let (who, password) = (login.clone(), form.password);
    let admin = match db(&state, move |db| {
        let admin = db.admin(&who)?;
        Ok(match admin {
            Some(a) if auth::verify_password(&a.password_hash, &password) => Some(a),
            Some(_) => None,
            None => {
                auth::verify_dummy(&password);
                None
            }
        })
    })
    .await
    {
        Ok(a) => a,
        Err(response) => return response,
    };
    let Some(admin) = admin else {
        dashboard.attempts.fail(&keys, now_ms());
        tracing::info!(login, ip, "sign-in failed");
        let (who, detail) = (login.chars().take(64).collect::<String>(), format!("Неудачный вход с адреса {ip}"));
        if let Err(response) = db(&state, move |db| db.audit(now_ms(), &who, "signin.failed", &detail)).await {
            return response;
        }
        return html(StatusCode::UNAUTHORIZED, pages::login_page(Some("Неверный логин или пароль."), &login));
    };
    dashboard.attempts.succeed(&keys[0]);
    let (Ok(token), Ok(csrf)) = (secrets::new_token(), secrets::new_token()) else {
        return server_error("no randomness");
    };
    let (hash, who) = (secrets::sha256_hex(&token), admin.login.clone());
    let now = now_ms();
    let detail = format!("Вход с адреса {ip}");
    if let Err(response) = db(&state, move |db| {
        db.create_session(&hash, &who, &csrf, now, now + auth::SESSION_TTL_MS)?;
        db.audit(now, &who, "signin", &detail)
    })
    .await
    {
        return response;
    }
    tracing::info!(login = admin.login, ip, "signed in");
    let mut response = Redirect::to("/").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&auth::session_cookie(Some(&token), dashboard.cookie_secure)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn csrf_refused() -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::message_page(
            "Действие отклонено",
            "Форма устарела или отправлена не из панели: откройте страницу заново.",
        ),
    )
}

async fn logout(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let given = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if !auth::constant_time_eq(&given, &session.csrf) {
        return csrf_refused();
    }
    let (hash, who) = (session.token_sha256.clone(), session.admin.login.clone());
    if let Err(response) = db(&state, move |db| {
        db.delete_session(&hash)?;
        db.audit(now_ms(), &who, "signout", "Выход")
    })
    .await
    {
        return response;
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&auth::session_cookie(None, state.dashboard.cookie_secure)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The filter of a request; a branch head is confined to their branch whatever they ask for.
/// The filter of a request and what is wrong with it, if anything: an unreadable query string
/// (e.g. a repeated key) is a bad filter too, never silently the default one.
pub(crate) fn filter_of(
    state: &AppState,
    session: &Session,
    query: Result<Query<FilterQuery>, QueryRejection>,
) -> (Parsed, Option<String>) {
    let (query, rejected) = match query {
        Ok(Query(q)) => (q, None),
        Err(e) => (FilterQuery::default(), Some(format!("Неверные параметры запроса: {e}"))),
    };
    let (parsed, error) = filter::parse(&session.admin.role, &query, state.dashboard.tz);
    (parsed, rejected.or(error))
}

pub(crate) fn names(db: &dyn crate::db::Database) -> Result<(Names, Vec<String>, Vec<String>), DbError> {
    let mut names = Names::default();
    let mut branch_ids = Vec::new();
    for (id, name) in db.branches()? {
        branch_ids.push(id.clone());
        names.branches.insert(id, name);
    }
    // The configuration phones use: the published one, or the bundled one before any.
    let config = crate::admin::current_config(db)?;
    let category_ids = config.categories.iter().map(|c| c.id.clone()).collect();
    names.categories.extend(config.categories.into_iter().map(|c| (c.id, c.name)));
    names.failure_reasons.extend(config.failure_reasons.into_iter().map(|r| (r.id, r.name)));
    names.document_types.extend(config.document_types.into_iter().map(|d| (d.id, d.name)));
    let mut seen = std::collections::HashSet::new();
    for row in db.events(None, EVENT_CHOICES)? {
        seen.insert(row.event.id.clone());
        add_event_name(&mut names, row.event, "");
    }
    // Events librarians started on their phones, named as the phones sent them.
    for event in db.phone_events(EVENT_CHOICES)? {
        if !seen.contains(&event.id) {
            add_event_name(&mut names, event, " (начато на телефоне)");
        }
    }
    Ok((names, branch_ids, category_ids))
}

fn add_event_name(names: &mut Names, event: lgota_protocol::WireEvent, suffix: &str) {
    let label = format!("{}{suffix}", pages::event_label(&event.title, &event.date));
    names.events.push((event.id, label, event.branch_id));
}

async fn overview(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<FilterQuery>, QueryRejection>,
) -> Response {
    let (Parsed { period, filter, trend: trend_asked, .. }, error) = filter_of(&state, &session, query);
    let tz = state.dashboard.tz;
    let trend_unit = pages::trend_unit(&period, trend_asked);
    let stretches = pages::trend_stretches(&period, trend_unit);
    let bounds: Vec<(i64, i64)> = stretches.iter().map(|p| p.utc_ms(tz)).collect();
    let f = filter.clone();
    let (overview, trend, recent, (names, branch_ids, category_ids)) = match db(&state, move |db| {
        let overview = db.overview(&f)?;
        let mut names = names(db)?;
        // Events of the figures older than the newest ones the names hold.
        for (id, _) in &overview.by_event {
            if !id.is_empty() && !names.0.events.iter().any(|(e, _, _)| e == id) {
                if let Some(row) = db.event(id)? {
                    add_event_name(&mut names.0, row.event, "");
                }
            }
        }
        Ok((overview, db.trend(&f, &bounds)?, db.export_records(&f, Some(RECENT))?, names))
    })
    .await
    {
        Ok(v) => v,
        Err(response) => return response,
    };
    let trend: Vec<(Period, crate::db::TrendCounts)> = stretches.into_iter().zip(trend).collect();
    let error = error.as_deref();
    let view = OverviewView {
        admin: &session.admin,
        csrf: &session.csrf,
        period,
        branch: filter.branch_id.as_deref().filter(|_| session.admin.role.branch().is_none()),
        category: filter.category_id.as_deref(),
        error,
        names: &names,
        branch_ids: &branch_ids,
        category_ids: &category_ids,
        tz,
        filter: &filter,
        trend_asked,
        trend_unit,
        trend: &trend,
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    html(status, pages::overview_page(&view, &overview, &recent))
}

async fn api_overview(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<FilterQuery>, QueryRejection>,
) -> Response {
    let (Parsed { filter, .. }, error) = filter_of(&state, &session, query);
    if let Some(e) = error {
        return ApiError::new(StatusCode::BAD_REQUEST, codes::INVALID_REQUEST, e).into_response();
    }
    match db(&state, move |db| db.overview(&filter)).await {
        Ok(o) => Json(o).into_response(),
        Err(response) => response,
    }
}

/// The records of an export request (same filter and branch confinement as the overview),
/// noted in the audit log as `action` with who took which period.
async fn export_records(
    state: &AppState,
    session: &Session,
    query: Result<Query<FilterQuery>, QueryRejection>,
    action: &'static str,
) -> Result<(Period, Vec<(StoredRecord, bool)>, Names), Response> {
    let (Parsed { period, filter, .. }, error) = filter_of(state, session, query);
    if let Some(e) = error {
        return Err(html(StatusCode::BAD_REQUEST, pages::message_page("Неверный фильтр", &e)));
    }
    let (who, dates) = (session.admin.login.clone(), (pages::ru_date(period.from), pages::ru_date(period.to)));
    let (records, names) = db(state, move |db| {
        let records = db.export_records(&filter, None)?;
        let detail = format!("Выгрузка записей за {} — {}, строк: {}", dates.0, dates.1, records.len());
        db.audit(now_ms(), &who, action, &detail)?;
        Ok((records, names(db)?.0))
    })
    .await?;
    tracing::info!(login = session.admin.login, rows = records.len(), action, "records exported");
    Ok((period, records, names))
}

fn records_file(period: &Period, extension: &str) -> String {
    format!("lgota-{}-{}.{extension}", period.from.format("%Y%m%d"), period.to.format("%Y%m%d"))
}

/// A download: `body` as an attachment named `file`.
fn attachment(body: impl IntoResponse, content_type: &'static str, file: &str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

async fn export_csv(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<FilterQuery>, QueryRejection>,
) -> Response {
    let (period, records, names) = match export_records(&state, &session, query, "export.csv").await {
        Ok(v) => v,
        Err(response) => return response,
    };
    attachment(
        csv::render(&records, &names, state.dashboard.tz),
        "text/csv; charset=utf-8",
        &records_file(&period, "csv"),
    )
}

async fn export_xlsx(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<FilterQuery>, QueryRejection>,
) -> Response {
    let (period, records, names) = match export_records(&state, &session, query, "export.xlsx").await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let tz = state.dashboard.tz;
    let file = match tokio::task::spawn_blocking(move || xlsx::records(&records, &names, tz)).await {
        Ok(Ok(file)) => file,
        Ok(Err(e)) => return server_error(e),
        Err(e) => return server_error(e),
    };
    attachment(file, xlsx::CONTENT_TYPE, &records_file(&period, "xlsx"))
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<String>,
}

/// `YYYY` between 2000 and 2100; none or empty is the current year.
fn parse_year(year: Option<&str>, tz: chrono_tz::Tz) -> Result<i32, String> {
    match year.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Period::current_month(tz).from.year()),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| "Год должен быть числом от 2000 до 2100.".to_string()),
    }
}

async fn export_summary_xlsx(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let tz = state.dashboard.tz;
    let year = match parse_year(query.year.as_deref(), tz) {
        Ok(y) => y,
        Err(e) => return html(StatusCode::BAD_REQUEST, pages::message_page("Неверный год", &e)),
    };
    let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return server_error("year out of range");
    };
    let (from_ms, to_ms) = Period { from, to }.utc_ms(tz);
    // A branch head is confined to their branch.
    let own = session.admin.role.branch().map(str::to_string);
    let filter = RecordFilter { from_ms, to_ms, branch_id: own.clone(), ..Default::default() };
    let months = month_ranges(year, tz);
    let (summary, (names, branch_ids, _)) =
        match db(&state, move |db| Ok((db.monthly_summary(&filter, &months)?, names(db)?))).await {
            Ok(v) => v,
            Err(response) => return response,
        };
    let branches = match own {
        Some(b) => vec![b],
        None => branch_ids,
    };
    let (who, detail) = (session.admin.login.clone(), format!("Сводка по месяцам за {year} год (Excel)"));
    if let Err(response) = db(&state, move |db| db.audit(now_ms(), &who, "export.summary", &detail)).await {
        return response;
    }
    let file = match tokio::task::spawn_blocking(move || xlsx::summary(year, &summary, &branches, &names)).await {
        Ok(Ok(file)) => file,
        Ok(Err(e)) => return server_error(e),
        Err(e) => return server_error(e),
    };
    tracing::info!(login = session.admin.login, year, "monthly summary exported (XLSX)");
    attachment(file, xlsx::CONTENT_TYPE, &format!("lgota-svodka-{year}.xlsx"))
}

/// The twelve months of `year` in `tz` as `(month, from_ms, to_ms)`: each from its first local
/// moment to the next month's, whatever the zone's clock changes.
pub fn month_ranges(year: i32, tz: chrono_tz::Tz) -> Vec<(u32, i64, i64)> {
    (1..=12)
        .filter_map(|m| {
            let first = NaiveDate::from_ymd_opt(year, m, 1)?;
            let next = pages::next_month(first)?;
            Some((m, pages::day_start_ms(tz, first), pages::day_start_ms(tz, next)))
        })
        .collect()
}

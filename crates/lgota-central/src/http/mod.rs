//! The HTTP surface: the phones' API ([`api`], docs/protocol.md) and the central office's
//! dashboard (one module per resource). Handlers read the request through the extractors of
//! [`extract`], call one operation of `crate::service` off the async threads ([`AppState::run`]),
//! and render the answer: JSON for phones and `/admin/api/…`, a page for the dashboard. Every
//! failure is an [`AppError`].

pub mod api;
pub mod audit;
pub mod branches;
pub mod content;
pub mod devices;
pub mod error;
pub mod events;
pub mod exports;
pub mod extract;
pub mod import;
pub mod overview;
pub mod reference;
pub mod session;

use std::sync::Arc;

use axum::http::HeaderValue;
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use self::error::AppError;
use crate::service;
use crate::store::Database;

/// Dashboard settings and the sign-in limiter, shared by all requests.
pub struct Dashboard {
    /// Mark the session cookie `Secure` (off only for tests over http://127.0.0.1).
    pub cookie_secure: bool,
    pub attempts: service::admins::Attempts,
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
            attempts: service::admins::Attempts::default(),
            public_url: format!("http://{}", crate::settings::DEFAULT_LISTEN),
            trusted_keys: lgota_domain::content::trusted_keys(),
            tz,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<dyn Database>,
    pub dashboard: Arc<Dashboard>,
}

impl AppState {
    /// With a `Secure` session cookie.
    pub fn new(db: Arc<dyn Database>) -> AppState {
        AppState::with_cookie_secure(db, true)
    }

    /// In the default time zone ([`crate::settings::DEFAULT_TIMEZONE`]).
    pub fn with_cookie_secure(db: Arc<dyn Database>, cookie_secure: bool) -> AppState {
        AppState::with_dashboard(db, Dashboard::new(cookie_secure, crate::settings::DEFAULT_TIMEZONE))
    }

    pub fn with_dashboard(db: Arc<dyn Database>, dashboard: Dashboard) -> AppState {
        AppState { db, dashboard: Arc::new(dashboard) }
    }

    /// Runs an operation on the store off the async threads.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Database) -> service::Result<T> + Send + 'static,
    ) -> Result<T, AppError> {
        let db = self.db.clone();
        match tokio::task::spawn_blocking(move || f(db.as_ref())).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(AppError::internal(e)),
        }
    }
}

/// The whole application: the phones' API, the dashboard, limits, panic and trace layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes(state.clone()))
        .merge(dashboard(state.clone()))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(CatchPanicLayer::custom(|_panic| AppError::internal("panic in a handler").into_response()))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The central office's pages. Without a session they redirect to `/login` (`/admin/api/…`
/// answers 401); branches, reference lists, content, import and the audit log are for
/// administrators; every state-changing form carries the session's CSRF token.
fn dashboard(state: AppState) -> Router<AppState> {
    let admin_only = Router::new()
        .merge(branches::routes())
        .merge(reference::routes())
        .merge(content::routes())
        .merge(import::routes())
        .merge(audit::routes())
        .route_layer(middleware::from_extractor_with_state::<extract::AdminOnly, _>(state.clone()));
    let signed_in = Router::new()
        .merge(overview::routes())
        .merge(exports::routes())
        .merge(events::routes())
        .merge(devices::routes())
        .merge(session::signed_in_routes())
        .merge(admin_only)
        .route_layer(middleware::from_extractor_with_state::<extract::SignedIn, _>(state));
    Router::new()
        .merge(session::routes())
        .merge(signed_in)
        .layer(middleware::from_fn(error::pages_for_errors))
        .layer(middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; \
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

/// A dashboard page with a status.
pub fn page(status: axum::http::StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    db: Arc<dyn Database>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_state(listener, AppState::new(db), shutdown).await
}

/// [`serve`] with a given state (e.g. the session cookie not `Secure` for tests over http).
pub async fn serve_state(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// What the dashboard's pages need of the signed-in user.
pub struct Ctx<'a> {
    pub session: &'a extract::Session,
    pub names: &'a crate::dashboard::pages::Names,
    pub tz: chrono_tz::Tz,
}

/// The `?done=` of a redirect after a successful change.
#[derive(serde::Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

impl Done {
    /// Its message for people.
    pub fn message(&self) -> Option<&'static str> {
        done_message(self.done.as_deref())
    }

    pub fn of(
        query: Result<axum::extract::Query<Done>, axum::extract::rejection::QueryRejection>,
    ) -> Option<&'static str> {
        query.map(|axum::extract::Query(q)| q).unwrap_or_default().message()
    }
}

/// The message of a `?done=` redirect after a successful change.
pub fn done_message(done: Option<&str>) -> Option<&'static str> {
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

/// How a change from a form ends: a redirect to `done` after success; after a person's mistake
/// the form's page again (`again`, given the message); the error page after the server's failure.
pub async fn settle<T, F: std::future::Future<Output = Response>>(
    result: Result<T, AppError>,
    done: &str,
    again: impl FnOnce(String) -> F,
) -> Response {
    match result {
        Ok(_) => axum::response::Redirect::to(done).into_response(),
        Err(e) if e.kind != service::Kind::Internal => again(e.message).await,
        Err(e) => e.into_response(),
    }
}

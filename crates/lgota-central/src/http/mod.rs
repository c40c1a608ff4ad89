//! The HTTP surface: the phones' API ([`api`], docs/protocol.md) and the central office's
//! dashboard (one module per resource). Handlers read the request through the extractors of
//! [`extract`], call one operation of `crate::service` off the async threads ([`AppState::run`]),
//! and render the answer: JSON for phones and `/admin/api/…`, a page for the dashboard. Every
//! failure is an [`AppError`].

pub mod api;
pub mod app;
pub mod audit;
pub mod branches;
pub mod content;
pub mod devices;
pub mod error;
pub mod events;
pub mod exports;
pub mod extract;
pub mod import;
pub mod limits;
pub mod materials;
pub mod metrics;
pub mod overview;
pub mod redact;
pub mod reference;
pub mod server;
pub mod session;
pub mod state;
pub mod tls;
pub mod training;
pub mod users;
pub mod views;

use std::sync::Arc;

use axum::http::HeaderValue;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use self::error::AppError;
pub use self::state::{AppState, Ctx, Dashboard};

use crate::store::Database;

/// The whole application: the phones' API, the dashboard (each under its own concurrency limit
/// and request deadline, [`limits`]), panic and trace layers.
pub fn router(state: AppState) -> Router {
    let gate = |routes: Router<AppState>| {
        routes.layer(middleware::from_fn_with_state(limits::Gate::new(state.limits.clone()), limits::gate))
    };
    Router::new()
        .merge(gate(api::routes(state.clone())))
        .merge(gate(dashboard(state.clone())))
        .merge(metrics::routes())
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(middleware::from_fn(metrics::track))
        .layer(CatchPanicLayer::custom(|_panic| AppError::internal("panic in a handler").into_response()))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The central office's pages. Without a session they redirect to `/login` (`/admin/api/…`
/// answers 401); branches, reference lists, content, import and the audit log are for
/// administrators, as are the dashboard's users; events and phones for administrators and branch
/// heads; individual records (the records page, the records' exports) for those who may see them
/// (`Admin::sees_records`); the totals for everyone signed in. Every state-changing form carries
/// the session's CSRF token.
fn dashboard(state: AppState) -> Router<AppState> {
    let admin_only = Router::new()
        .merge(branches::routes())
        .merge(reference::routes())
        .merge(content::routes())
        .merge(import::routes())
        .merge(audit::routes())
        .merge(users::routes())
        .merge(app::routes())
        .merge(redact::routes())
        .route_layer(middleware::from_extractor_with_state::<extract::AdminOnly, _>(state.clone()));
    let managers = Router::new()
        .merge(events::routes())
        .merge(devices::routes())
        .merge(training::routes())
        .route_layer(middleware::from_extractor_with_state::<extract::Manager, _>(state.clone()));
    let records = Router::new()
        .merge(overview::record_routes())
        .merge(exports::record_routes())
        .route_layer(middleware::from_extractor_with_state::<extract::RecordsReader, _>(state.clone()));
    let signed_in = Router::new()
        .merge(overview::routes())
        .merge(exports::routes())
        .merge(materials::routes())
        .merge(session::signed_in_routes())
        .merge(managers)
        .merge(records)
        .merge(admin_only)
        .route_layer(middleware::from_extractor_with_state::<extract::SignedIn, _>(state));
    Router::new()
        .merge(session::routes())
        .merge(app::public_routes())
        .merge(signed_in)
        .layer(middleware::from_fn(error::pages_for_errors))
        .layer(middleware::map_response(security_headers))
        // After the layer: its own headers (cached for good, where every page is `no-store`).
        .route(&crate::http::views::templates::STYLESHEET_PATH, get(crate::http::views::templates::stylesheet))
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
    serve_tls(listener, state, None, shutdown).await
}

/// [`serve_state`] over HTTPS with the certificate of `tls` (plain http without it).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: Option<Arc<tls::Tls>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_read_timeout = state.limits.header_read_timeout;
    server::run(listener, router(state), header_read_timeout, tls, shutdown).await
}

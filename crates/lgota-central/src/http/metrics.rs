//! `/metrics` (Prometheus) and the layer that counts every request. The page is served to the
//! machine itself (a loopback client that came through no proxy) or to a scraper that sends the
//! configured token (`metrics_token`: `Authorization: Bearer …`); anyone else gets 403.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lgota_protocol::{codes, paths};

use super::error::AppError;
use super::extract::ClientAddr;
use super::state::AppState;
use crate::metrics;
use crate::service::{self, Kind};

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(serve))
}

/// Counts the request by its route pattern and status, and times phones' pushes.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let started = Instant::now();
    let _in_flight = metrics::InFlight::enter();
    let response = next.run(request).await;
    let route = route.as_deref().unwrap_or("unmatched");
    metrics::request(route, response.status().as_u16());
    if route == paths::RECORDS {
        metrics::push_latency(started.elapsed());
    }
    response
}

/// Whether this request may read the metrics.
fn allowed(state: &AppState, client: &ClientAddr, headers: &HeaderMap) -> bool {
    if let Some(expected) = &state.dashboard.metrics_token_sha256 {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| crate::secrets::sha256_hex(t.trim()));
        if given.as_deref() == Some(expected.as_str()) {
            return true;
        }
    }
    // A loopback peer that forwarded nobody's request: behind a proxy on the same machine the
    // peer is loopback too, but the proxy names its client (or should be trusted to).
    let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    client.ip.is_some_and(|ip| ip.is_loopback()) && !forwarded
}

async fn serve(State(state): State<AppState>, client: ClientAddr, headers: HeaderMap) -> Response {
    if !allowed(&state, &client, &headers) {
        return AppError::new(
            Kind::Forbidden,
            codes::FORBIDDEN,
            "Показатели сервера доступны только с этой же машины или по токену (настройка metrics_token).",
        )
        .into_response();
    }
    let gauges = state.run(service::backup::gauges).await;
    let gauges = match gauges {
        Ok(g) => g,
        Err(e) => return e.into_response(),
    };
    let mut response = metrics::render(&gauges).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

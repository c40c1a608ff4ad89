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
use crate::service::backup::Backups;
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
    let backups = match state.run(service::backup::last).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let gauges = metrics::Gauges {
        last_backup_ms: match &backups {
            Backups::Files(last) => last.as_ref().map(|b| b.at_ms),
            Backups::ByTheDatabase => None,
        },
        file_backups: matches!(backups, Backups::Files(_)),
        records_in_database: records_in_database(&state).await,
        in_flight: metrics::in_flight(),
    };
    let mut response = metrics::render(&gauges).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

/// The records in the database as last counted: a count due is taken off the request, and
/// waited for at most [`COUNT_WAIT`] — a small database's count is in this answer, a large one's
/// (seconds) in a later scrape's.
async fn records_in_database(state: &AppState) -> Option<u64> {
    let (last, count_now) = state.record_count.read();
    if !count_now {
        return last;
    }
    let counter = state.clone();
    let mut counting = tokio::spawn(async move {
        let n = counter.run(|db| Ok(db.record_count()?)).await;
        if let Err(e) = &n {
            tracing::warn!("records not counted for /metrics: {e}");
        }
        counter.record_count.counted(n.ok());
    });
    if tokio::time::timeout(COUNT_WAIT, &mut counting).await.is_err() {
        return last;
    }
    state.record_count.read().0
}

/// How long a scrape waits for a count it started.
const COUNT_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

//! Bounded load: at most so many requests served at once on each of the phones' API and the
//! dashboard — one more is answered at once with `503`, `Retry-After` and the code `busy` instead
//! of waiting in an unbounded queue — and a deadline for every request. A streamed download's
//! body is not under either once its answer has started (the store reads it in chunks).

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_core::Stream;
use lgota_protocol::codes;
use tokio::sync::Semaphore;

use super::error::AppError;
use crate::service::Kind;

/// How much the server takes on at once, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Requests served at once, on the phones' API and on the dashboard each.
    pub max_concurrent_requests: usize,
    /// The deadline of a request, from its headers to its answer's start (a streamed export's
    /// body runs on past it).
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers (slow clients hold a connection);
    /// also how long an idle keep-alive connection is kept (hyper's timer runs while it waits for
    /// the next request), so clients must drop idle connections sooner (`lgota-client`: 20 s).
    pub header_read_timeout: Duration,
    /// What a busy answer tells the client to wait (`Retry-After`, whole seconds).
    pub retry_after: Duration,
}

pub use crate::settings::DEFAULT_MAX_CONCURRENT_REQUESTS;

pub use super::error::RETRY_AFTER_SECS;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            request_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(30),
            retry_after: Duration::from_secs(RETRY_AFTER_SECS),
        }
    }
}

/// The permits of one surface (the phones' API or the dashboard).
#[derive(Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
    limits: Arc<Limits>,
}

impl Gate {
    pub fn new(limits: Arc<Limits>) -> Gate {
        Gate { permits: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))), limits }
    }
}

/// The layer: a permit or `503 busy` at once; the request's deadline.
pub async fn gate(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let json = is_json(request.uri().path());
    let phone = request.uri().path().starts_with("/api/");
    let Ok(_permit) = gate.permits.clone().try_acquire_owned() else {
        tracing::warn!(path = crate::service::for_log(request.uri().path()), "busy: request refused");
        drain(request.into_body()).await;
        return busy(&gate.limits, json, phone, "Сервер сейчас занят: слишком много запросов одновременно.");
    };
    match tokio::time::timeout(gate.limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            // What the handler had started (an idempotent push, say) may still finish.
            tracing::warn!(timeout_s = gate.limits.request_timeout.as_secs(), "request timed out");
            busy(&gate.limits, json, phone, "Сервер не успел ответить: он перегружен.")
        }
    }
}

/// Reads and drops what a refused request is still sending (at most 4 MiB, 2 s): a connection
/// closed with unread data is reset, and the reset can overtake the `503` on its way.
async fn drain(body: Body) {
    let mut data = body.into_data_stream();
    let read = async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = std::future::poll_fn(|cx| Pin::new(&mut data).poll_next(cx)).await {
            seen += chunk.len();
            if seen > 4 << 20 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), read).await;
}

/// The phones' API and the dashboard's `/admin/api/…` answer JSON; the dashboard's pages a page.
fn is_json(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/admin/api/")
}

/// The busy answer: `what` happened, when to try again — and, to a phone, that its records are
/// safe (the dashboard's reader holds none).
fn busy(limits: &Limits, json: bool, phone: bool, what: &str) -> Response {
    let seconds = limits.retry_after.as_secs().max(1);
    let kept = if phone { "; записи на телефоне сохранены" } else { "" };
    let error = AppError::new(Kind::Busy, codes::BUSY, format!("{what} Повторите через {seconds} с{kept}."));
    let mut response = if json { error.into_response() } else { error.page() };
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

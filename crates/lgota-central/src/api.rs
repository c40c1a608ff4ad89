//! The HTTP API (docs/protocol.md). Every answer is JSON; every error an `ErrorBody`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lgota_protocol::{
    codes, paths, EnrollRequest, EnrollResponse, PullQuery, PullResponse, PushRequest, PushResponse, ServerInfo,
    MAX_PUSH_BODY_BYTES, MAX_RECORDS_PER_PUSH, PROTOCOL_HEADER, PROTOCOL_VERSION, PROTOCOL_VERSION_MIN,
};
use serde::de::DeserializeOwned;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::intake::{self, Branches};
use crate::store::{Database, Device, EnrollAttempt, EnrollOutcome, ReferenceName};
use crate::{now_ms, secrets};
use lgota_domain::text::is_id;

/// The largest enrollment request body.
pub const MAX_ENROLL_BODY_BYTES: usize = 16 * 1024;
/// The most events one pull returns; the phone pulls again with the new cursor.
pub const EVENTS_PER_PULL: u32 = 500;

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<dyn Database>,
    pub dashboard: Arc<crate::dashboard::Dashboard>,
}

impl AppState {
    /// With a `Secure` session cookie.
    pub fn new(db: Arc<dyn Database>) -> AppState {
        AppState::with_cookie_secure(db, true)
    }

    /// In the default time zone ([`crate::settings::DEFAULT_TIMEZONE`]).
    pub fn with_cookie_secure(db: Arc<dyn Database>, cookie_secure: bool) -> AppState {
        AppState::with_dashboard(db, crate::dashboard::Dashboard::new(cookie_secure, crate::settings::DEFAULT_TIMEZONE))
    }

    pub fn with_dashboard(db: Arc<dyn Database>, dashboard: crate::dashboard::Dashboard) -> AppState {
        AppState { db, dashboard: Arc::new(dashboard) }
    }
}

/// Runs a database call off the async threads.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Database) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let db = state.db.clone();
    match tokio::task::spawn_blocking(move || f(db.as_ref())).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// The whole application: routes, limits, protocol and auth checks, panic and trace layers.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(paths::RECORDS, post(push).layer(DefaultBodyLimit::max(MAX_PUSH_BODY_BYTES)))
        .route(paths::REFERENCE, get(pull))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_device))
        .route(paths::ENROLL, post(enroll).layer(DefaultBodyLimit::max(MAX_ENROLL_BODY_BYTES)))
        .route_layer(middleware::from_fn(require_protocol));
    Router::new()
        .route(paths::HEALTH, get(health))
        .merge(api)
        .merge(crate::dashboard::router(state.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(|_panic| ApiError::internal("panic in a handler").into_response()))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, "Нет такого адреса API.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, codes::METHOD_NOT_ALLOWED, "Этот метод HTTP здесь не поддерживается.")
}

/// The protocol version a request speaks (its [`PROTOCOL_HEADER`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol(pub u32);

async fn require_protocol(mut request: Request, next: Next) -> Response {
    let version = request
        .headers()
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|v| (PROTOCOL_VERSION_MIN..=PROTOCOL_VERSION).contains(v));
    let Some(version) = version else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::UNSUPPORTED_PROTOCOL,
            format!(
                "Версия протокола не поддерживается: сервер понимает {PROTOCOL_HEADER} от {PROTOCOL_VERSION_MIN} \
                 до {PROTOCOL_VERSION}. Обновите приложение «Льгота»."
            ),
        )
        .into_response();
    };
    request.extensions_mut().insert(Protocol(version));
    next.run(request).await
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        codes::UNAUTHORIZED,
        "Устройство не подключено к серверу или ключ доступа неверен: подключите его заново по QR-коду.",
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn require_device(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(token) = bearer(request.headers()).filter(|t| secrets::is_token_shaped(t)) else {
        return unauthorized().into_response();
    };
    let hash = secrets::sha256_hex(token);
    // One trip to the database: the device, and its last contact noted if it may sync.
    let device = blocking(&state, move |db| {
        let device = db.device_by_token(&hash)?;
        if let Some(d) = device.as_ref().filter(|d| d.revoked_at_ms.is_none()) {
            db.touch_device(&d.id, now_ms())?;
        }
        Ok(device)
    })
    .await;
    let device = match device {
        Ok(Some(device)) => device,
        Ok(None) => return unauthorized().into_response(),
        Err(e) => return e.into_response(),
    };
    if device.revoked_at_ms.is_some() {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            codes::DEVICE_REVOKED,
            "Это устройство отключено центральной библиотекой. Записи остаются на телефоне; обратитесь к администратору.",
        )
        .into_response();
    }
    request.extensions_mut().insert(device);
    next.run(request).await
}

/// Parses a JSON body: syntax errors are `invalid_json` (400), type errors (unknown field or enum
/// value, missing field) are `invalid_record` (422), bodies over the limit `too_large` (413).
pub fn parse_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::TOO_LARGE,
                "Слишком большой запрос: отправляйте записи частями.",
            )
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, codes::INVALID_REQUEST, "Не удалось прочитать тело запроса.")
        }
    })?;
    parse_json_bytes(&body)
}

pub fn parse_json_bytes<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_RECORD,
            format!("Данные не соответствуют протоколу: {e}."),
        ),
        _ => ApiError::new(StatusCode::BAD_REQUEST, codes::INVALID_JSON, format!("Это не правильный JSON: {e}.")),
    })
}

async fn enroll(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let request: EnrollRequest = parse_json(body).map_err(|e| {
        if e.code == codes::INVALID_RECORD {
            ApiError { code: codes::INVALID_REQUEST, ..e }
        } else {
            e
        }
    })?;
    let code = request.code.trim().to_string();
    if !secrets::is_code_shaped(&code) {
        return Err(code_invalid(StatusCode::BAD_REQUEST));
    }
    if !is_id(&request.device_id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            "Недопустимый идентификатор устройства.",
        ));
    }
    // The phone's secret for this enrollment: without one (an older app) a lost answer cannot be
    // repeated, with a malformed one nothing happens.
    let secret = request.enrollment_secret.as_deref().map(str::trim);
    if secret.is_some_and(|s| !secrets::is_token_shaped(s)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            "Недопустимый секрет подключения: обновите приложение «Льгота».",
        ));
    }
    let token = secrets::new_token().map_err(ApiError::internal)?;
    let (code_hash, token_hash, secret_hash, device_id) =
        (secrets::sha256_hex(&code), secrets::sha256_hex(&token), secret.map(secrets::sha256_hex), request.device_id);
    let outcome = blocking(&state, move |db| {
        db.enroll(&EnrollAttempt {
            code_sha256: &code_hash,
            device_id: &device_id,
            secret_sha256: secret_hash.as_deref(),
            token_sha256: &token_hash,
            now_ms: now_ms(),
        })
    })
    .await?;
    enroll_answer(outcome, token)
}

/// The answer to an enrollment attempt (every refusal's code and Russian message is here).
pub fn enroll_answer(outcome: EnrollOutcome, token: String) -> Result<Json<EnrollResponse>, ApiError> {
    match outcome {
        EnrollOutcome::Enrolled { branch_id, branch_name, retry, moved_from } => {
            tracing::info!(branch_id, retry, moved = moved_from.is_some(), "device enrolled");
            Ok(Json(EnrollResponse { device_token: token, branch_id, branch_name }))
        }
        EnrollOutcome::UnknownCode => Err(code_invalid(StatusCode::NOT_FOUND)),
        EnrollOutcome::Expired => Err(ApiError::new(
            StatusCode::GONE,
            codes::ENROLLMENT_CODE_EXPIRED,
            "Срок действия кода подключения истёк: попросите администратора выдать новый.",
        )),
        EnrollOutcome::Used => Err(ApiError::new(
            StatusCode::CONFLICT,
            codes::ENROLLMENT_CODE_USED,
            "Этот код подключения уже использован: каждый код действует один раз.",
        )),
        EnrollOutcome::DeviceRevoked => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            codes::DEVICE_REVOKED,
            "Это устройство отключено центральной библиотекой и не может быть подключено снова.",
        )),
        EnrollOutcome::EnrolledElsewhere { branch_name } => Err(ApiError::new(
            StatusCode::CONFLICT,
            codes::DEVICE_ENROLLED_ELSEWHERE,
            format!(
                "Этот телефон подключён к филиалу «{branch_name}». Перенести его в другой филиал может только \
                 администратор центральной библиотеки: попросите код подключения у администратора."
            ),
        )),
    }
}

fn code_invalid(status: StatusCode) -> ApiError {
    ApiError::new(
        status,
        codes::ENROLLMENT_CODE_INVALID,
        "Код подключения не найден: отсканируйте QR-код, выданный администратором, ещё раз.",
    )
}

async fn push(
    State(state): State<AppState>,
    Extension(device): Extension<Device>,
    Extension(Protocol(version)): Extension<Protocol>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    let request: PushRequest = parse_json(body)?;
    if request.records.len() > MAX_RECORDS_PER_PUSH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::TOO_MANY_RECORDS,
            format!("В одной отправке не больше {MAX_RECORDS_PER_PUSH} записей, а пришло {}.", request.records.len()),
        ));
    }
    let now = now_ms();
    let skew = request.sent_at_ms.map(|t| t.saturating_sub(now));
    let device_id = device.id.clone();
    let (intake, server_id, resend_all) = blocking(&state, move |db| {
        // The known branches matter only for records made before the device enrolled.
        let known: std::collections::HashSet<String> = if request
            .records
            .iter()
            .any(|r| r.created_at_ms < device.enrolled_at_ms && r.branch_id != device.branch_id)
        {
            db.branches()?.into_iter().map(|(id, _)| id).collect()
        } else {
            std::collections::HashSet::new()
        };
        let branches =
            Branches::Enrolled { branch: &device.branch_id, enrolled_at_ms: device.enrolled_at_ms, known: &known };
        // Asked before storing: this very batch may hold the record again.
        let resend_all = match request.last_acknowledged.as_deref() {
            Some(id) => !db.has_record(id)?,
            None => false,
        };
        let intake = intake::take(db, request.records, &device.id, &branches, now)?;
        db.note_push(&device.id, now, skew)?;
        Ok((intake, db.server_id()?, resend_all))
    })
    .await?;
    tracing::info!(
        device = device_id,
        stored = intake.stored,
        duplicates = intake.duplicates,
        conflicts = intake.conflicts,
        refused = intake.refused,
        resend_all,
        "records pushed"
    );
    if version < 2 {
        // Protocol 1 cannot be told about one record: a batch with a problem is refused whole
        // (its accepted records are stored all the same and will come back as duplicates).
        if let Some(problem) = intake.first_problem() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                match problem.code.as_deref() {
                    Some(codes::WRONG_BRANCH) => codes::WRONG_BRANCH,
                    Some(codes::WRONG_DEVICE) => codes::WRONG_DEVICE,
                    Some(codes::PERSONAL_DATA) => codes::PERSONAL_DATA,
                    Some(codes::TRAINING_RECORD) => codes::TRAINING_RECORD,
                    _ => codes::INVALID_RECORD,
                },
                format!(
                    "{} (запись {}).",
                    problem.message.as_deref().unwrap_or("Запись не принята").trim_end_matches('.'),
                    problem.id
                ),
            ));
        }
        return Ok(Json(PushResponse {
            acknowledged: intake.acknowledged(),
            stored: intake.stored,
            duplicates: intake.duplicates,
            ..PushResponse::default()
        }));
    }
    Ok(Json(PushResponse {
        acknowledged: intake.acknowledged(),
        stored: intake.stored,
        duplicates: intake.duplicates,
        results: intake.results,
        server: Some(ServerInfo { server_id, server_time_ms: now_ms() }),
        resend_all,
    }))
}

async fn pull(
    State(state): State<AppState>,
    Extension(device): Extension<Device>,
    Extension(Protocol(version)): Extension<Protocol>,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, codes::INVALID_REQUEST, format!("Недопустимые параметры запроса: {e}."))
    })?;
    let (branch, id) = (device.branch_id.clone(), device.id.clone());
    let (config, content, events, server_id) = blocking(&state, move |db| {
        if let Some(pending) = query.pending {
            db.note_pending(&id, pending)?;
        }
        Ok((
            db.reference(ReferenceName::Config)?,
            db.reference(ReferenceName::Content)?,
            db.events_after(&branch, query.events_cursor, EVENTS_PER_PULL)?,
            db.server_id()?,
        ))
    })
    .await?;
    let newer = |doc: Option<(u32, String)>, have: u32| -> Result<Option<serde_json::Value>, ApiError> {
        match doc {
            Some((version, body)) if version > have => {
                Ok(Some(serde_json::from_str(&body).map_err(ApiError::internal)?))
            }
            _ => Ok(None),
        }
    };
    let events_cursor = events.last().map_or(query.events_cursor, |(seq, _)| *seq);
    Ok(Json(PullResponse {
        config: newer(config, query.config_version)?,
        content: newer(content, query.content_version)?,
        events: events.into_iter().map(|(_, e)| e).collect(),
        events_cursor,
        server: (version >= 2).then(|| ServerInfo { server_id, server_time_ms: now_ms() }),
    }))
}

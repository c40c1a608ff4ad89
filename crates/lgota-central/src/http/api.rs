//! The phones' API (docs/protocol.md): enroll, push records, pull reference data and events, push
//! training results (protocol 3).
//! Every answer is JSON; every error an `ErrorBody`.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use lgota_protocol::{
    codes, paths, EnrollRequest, EnrollResponse, PullQuery, PullResponse, PushRequest, PushResponse, TrainingPush,
    TrainingPushResponse, MAX_PUSH_BODY_BYTES, MAX_TRAINING_BODY_BYTES,
};
use serde::de::DeserializeOwned;

use super::error::AppError;
use super::extract::{Phone, Protocol};
use super::state::AppState;
use crate::service::{self, Kind};

/// The largest enrollment request body.
pub const MAX_ENROLL_BODY_BYTES: usize = 16 * 1024;

pub fn routes(state: AppState) -> Router<AppState> {
    let api = Router::new()
        .route(paths::RECORDS, post(push).layer(DefaultBodyLimit::max(MAX_PUSH_BODY_BYTES)))
        .route(paths::REFERENCE, get(pull))
        .route(paths::TRAINING, post(push_training).layer(DefaultBodyLimit::max(MAX_TRAINING_BODY_BYTES)))
        .route_layer(middleware::from_extractor_with_state::<Phone, _>(state))
        .route(paths::ENROLL, post(enroll).layer(DefaultBodyLimit::max(MAX_ENROLL_BODY_BYTES)))
        .route_layer(middleware::from_extractor::<Protocol>());
    Router::new().route(paths::HEALTH, get(health)).route(paths::CA_CERTIFICATE, get(ca_certificate)).merge(api)
}

/// The CA certificate enrollment QR codes pin (`tls_ca_cert`), as DER: public, like the
/// certificate a TLS handshake shows anyway; a phone takes it only if its SHA-256 matches its QR.
async fn ca_certificate(State(state): State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match &state.dashboard.ca_der {
        Some(der) => ([(axum::http::header::CONTENT_TYPE, "application/pkix-cert")], der.clone()).into_response(),
        None => AppError::new(
            Kind::NotFound,
            codes::NOT_FOUND,
            "Сервер не закрепляет сертификат центра сертификации (tls_ca_cert не задан).",
        )
        .into_response(),
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

pub async fn not_found() -> AppError {
    AppError::new(Kind::NotFound, codes::NOT_FOUND, "Нет такого адреса API.")
}

pub async fn method_not_allowed() -> AppError {
    AppError::new(Kind::MethodNotAllowed, codes::METHOD_NOT_ALLOWED, "Этот метод HTTP здесь не поддерживается.")
}

/// Parses a JSON body: syntax errors are `invalid_json` (400), type errors (unknown field or enum
/// value, missing field) are `invalid_record` (422), bodies over the limit `too_large` (413).
pub fn parse_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, AppError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(Kind::TooLarge, codes::TOO_LARGE, "Слишком большой запрос: отправляйте записи частями.")
        } else {
            AppError::new(Kind::Invalid, codes::INVALID_REQUEST, "Не удалось прочитать тело запроса.")
        }
    })?;
    Ok(service::sync::parse_json(&body)?)
}

async fn enroll(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrollResponse>, AppError> {
    let request: EnrollRequest = parse_json(body).map_err(|e| {
        if e.code == codes::INVALID_RECORD {
            AppError { code: codes::INVALID_REQUEST, ..e }
        } else {
            e
        }
    })?;
    Ok(Json(state.run(move |db| service::devices::enroll(db, request)).await?))
}

async fn push(
    State(state): State<AppState>,
    Phone(device): Phone,
    Protocol(version): Protocol,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>, AppError> {
    let request: PushRequest = parse_json(body)?;
    Ok(Json(state.run(move |db| service::sync::push(db, &device, request, version)).await?))
}

async fn pull(
    State(state): State<AppState>,
    Phone(device): Phone,
    Protocol(version): Protocol,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, AppError> {
    let Query(query) = query.map_err(|e| {
        AppError::new(Kind::Invalid, codes::INVALID_REQUEST, format!("Недопустимые параметры запроса: {e}."))
    })?;
    let app = state.dashboard.app_requirement.clone();
    Ok(Json(state.run(move |db| service::sync::pull(db, &device, &query, version, app)).await?))
}

/// Finished training scenarios (protocol 3): apart from the records, never counted.
async fn push_training(
    State(state): State<AppState>,
    Phone(device): Phone,
    Protocol(version): Protocol,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TrainingPushResponse>, AppError> {
    let request: TrainingPush = parse_json(body)?;
    Ok(Json(state.run(move |db| service::training::push(db, &device, request, version)).await?))
}

//! `ApiError`: an HTTP status, a stable code and a Russian message, answered as an `ErrorBody`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lgota_protocol::{codes, ErrorBody};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {what}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "Внутренняя ошибка сервера. Записи на телефоне сохранены; повторите позже.",
        )
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody { code: self.code.to_string(), message: self.message.clone() }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::info!(code = self.code, status = self.status.as_u16(), "refused: {}", self.message);
        }
        (self.status, Json(self.body())).into_response()
    }
}

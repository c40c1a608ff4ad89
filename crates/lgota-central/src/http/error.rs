//! [`AppError`]: the one error shape of every handler — a kind, a stable code and a Russian
//! message. The phones' API and `/admin/api/…` answer it as JSON (`ErrorBody`); the dashboard's
//! pages show it as a page ([`pages_for_errors`]), with the same status.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use lgota_protocol::{codes, ErrorBody};

use crate::service::{self, Kind};

/// What a busy answer tells the client to wait by default (`Retry-After`, seconds).
pub const RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub kind: Kind,
    pub code: &'static str,
    pub message: String,
    /// The heading of the dashboard's page; by kind if none.
    pub title: Option<&'static str>,
}

impl AppError {
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> AppError {
        AppError { kind, code, message: message.into(), title: None }
    }

    /// The same error under another heading on the dashboard.
    pub fn titled(self, title: &'static str) -> AppError {
        AppError { title: Some(title), ..self }
    }

    pub fn internal(what: impl std::fmt::Display) -> AppError {
        service::Error::internal(what).into()
    }

    /// A dashboard form without the session's CSRF token.
    pub fn csrf() -> AppError {
        AppError::new(
            Kind::Forbidden,
            codes::CSRF_REFUSED,
            "Форма устарела или отправлена не из панели: откройте страницу заново.",
        )
        .titled("Действие отклонено")
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            Kind::Invalid => StatusCode::BAD_REQUEST,
            Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::Gone => StatusCode::GONE,
            Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody { code: self.code.to_string(), message: self.message.clone() }
    }

    fn page_title(&self) -> &'static str {
        self.title.unwrap_or(match self.kind {
            Kind::Forbidden => "Недостаточно прав",
            Kind::NotFound => "Не найдено",
            Kind::Internal => "Ошибка сервера",
            Kind::Unauthorized => "Нужно войти",
            Kind::Busy => "Сервер занят",
            _ => "Запрос не выполнен",
        })
    }

    /// The dashboard's page of this error.
    pub fn page(&self) -> Response {
        let message = if self.kind == Kind::Internal {
            "Внутренняя ошибка сервера; повторите позже."
        } else {
            &self.message
        };
        (self.status(), Html(crate::http::views::pages::message_page(self.page_title(), message))).into_response()
    }
}

impl From<service::Error> for AppError {
    fn from(e: service::Error) -> AppError {
        AppError::new(e.kind, e.code, e.message)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.kind != Kind::Internal {
            tracing::info!(
                code = self.code,
                status = self.status().as_u16(),
                "refused: {}",
                crate::service::cut_for_log(&self.message, 200)
            );
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if self.kind == Kind::Busy {
            // When to try again, as the phones honour it (the limits' layer sets its own).
            let seconds = RETRY_AFTER_SECS;
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// The dashboard's layer: an [`AppError`] answered by a page handler becomes a page; the
/// dashboard's JSON (`/admin/api/…`) stays JSON.
pub async fn pages_for_errors(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/admin/api/");
    let response = next.run(request).await;
    match response.extensions().get::<AppError>() {
        Some(error) if !api => error.page(),
        _ => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    /// A database held past its wait, or out of reach (PostgreSQL restarting), answers `503
    /// busy` with `Retry-After`, as the request limit does — not `500`: the phone keeps its
    /// records and sends them again when told.
    #[test]
    fn a_busy_database_is_a_busy_answer_not_a_server_error() {
        for (e, said) in [
            (StoreError::Busy("locked".into()), "занята; повторите через несколько секунд"),
            (StoreError::Unavailable("connection refused".into()), "недоступна; повторите через минуту"),
        ] {
            let error: AppError = service::Error::from(e).into();
            assert_eq!((error.kind, error.code), (Kind::Busy, codes::BUSY));
            // Whoever reads it: the office on the dashboard, the command line; not only a phone.
            assert!(error.message.contains(said) && !error.message.contains("телефон"), "{}", error.message);
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "5");
        }
        // Anything else the store fails with is still the server's own error.
        let other: AppError = service::Error::from(StoreError::Other("broken".into())).into();
        assert_eq!(other.into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}

//! What every handler shares: the state ([`AppState`]: the store and the dashboard's settings),
//! the context of a dashboard page ([`Ctx`]), and how a page or a form's change ends.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::error::AppError;
use crate::report::Names;
use crate::service;
use crate::service::Actor;
use crate::store::{Admin, Database};

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
    /// Reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed
    /// (the `ClientAddr` extractor).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// SHA-256 of the token a scraper may read `/metrics` with from another machine.
    pub metrics_token_sha256: Option<String>,
    /// The institution's full name for printed materials (`institution`); empty if not set.
    pub institution: String,
    /// What phones are told of app versions (`min_app_version`), if anything.
    pub app_requirement: Option<lgota_protocol::AppRequirement>,
    /// What enrollment QR codes pin: the content key and the CA certificate's SHA-256.
    pub enroll_pins: lgota_protocol::EnrollPins,
    /// The CA certificate phones pin (DER), served at `/api/v1/ca.der` (`tls_ca_cert`).
    pub ca_der: Option<Vec<u8>>,
}

impl Dashboard {
    /// Where an enrollment QR sends a phone and what it pins.
    pub fn enroll_target(&self) -> service::devices::EnrollTarget {
        service::devices::EnrollTarget { server_url: self.public_url.clone(), pins: self.enroll_pins.clone() }
    }
}

impl Dashboard {
    pub fn new(cookie_secure: bool, tz: chrono_tz::Tz) -> Dashboard {
        Dashboard {
            cookie_secure,
            attempts: service::admins::Attempts::default(),
            public_url: format!("http://{}", crate::settings::DEFAULT_LISTEN),
            trusted_keys: lgota_domain::content::trusted_keys(),
            tz,
            trusted_proxies: Vec::new(),
            metrics_token_sha256: None,
            institution: String::new(),
            app_requirement: None,
            enroll_pins: lgota_protocol::EnrollPins::default(),
            ca_der: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<dyn Database>,
    pub dashboard: Arc<Dashboard>,
    /// Requests at once, deadlines ([`super::limits`]).
    pub limits: Arc<super::limits::Limits>,
    /// `/metrics`' count of the records, taken now and then ([`crate::metrics::RecordCount`]).
    pub record_count: Arc<crate::metrics::RecordCount>,
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
        AppState { db, dashboard: Arc::new(dashboard), limits: Arc::default(), record_count: Arc::default() }
    }

    /// The same state under other limits.
    pub fn with_limits(self, limits: super::limits::Limits) -> AppState {
        AppState { limits: Arc::new(limits), ..self }
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

/// A dashboard page with a status.
pub fn page(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// What the dashboard's pages need of the signed-in user.
pub struct Ctx<'a> {
    pub session: &'a Session,
    pub names: &'a Names,
    pub tz: chrono_tz::Tz,
}

/// What a management page says above its content: nothing, a success (after the redirect
/// `?done=…` of a change), or a person's mistake in the form just sent (the page again, 400; 404
/// when what the form named is not there). Read from the query as an extractor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Notice {
    #[default]
    None,
    Done(&'static str),
    Mistake(StatusCode, String),
}

impl Notice {
    /// A person's mistake, shown with 400.
    pub fn mistake(message: impl Into<String>) -> Notice {
        Notice::Mistake(StatusCode::BAD_REQUEST, message.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Notice::Mistake(status, _) => *status,
            _ => StatusCode::OK,
        }
    }

    pub fn done(&self) -> Option<&'static str> {
        match self {
            Notice::Done(m) => Some(m),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            Notice::Mistake(_, m) => Some(m),
            _ => None,
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Notice {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Notice, Self::Rejection> {
        let done = form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "done")
            .and_then(|(_, v)| done_message(Some(&v)));
        Ok(done.map_or(Notice::None, Notice::Done))
    }
}

/// The message of a `?done=` redirect after a successful change.
fn done_message(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "branch" => "Филиал сохранён; телефоны получат изменения при следующей синхронизации.",
        "reference" => "Справочник сохранён; телефоны получат изменения при следующей синхронизации.",
        "event" => "Мероприятие опубликовано; телефоны филиала получат его при следующей синхронизации.",
        "revoked" => "Устройство отключено: его следующая синхронизация будет отклонена.",
        "uploaded" => "Пакет проверен и загружен. Опубликуйте его, чтобы телефоны его получили.",
        "published" => "Пакет опубликован; телефоны получат его при следующей синхронизации.",
        "disabled" => "Пользователь отключён: его сеансы завершены, войти он не сможет.",
        "enabled" => "Пользователь снова может входить в панель.",
        "removed" => "Пользователь удалён, его сеансы завершены.",
        "app" => "Приложение загружено: страница скачивания отдаёт эту версию.",
        "records-on" => "Заведующий теперь видит отдельные записи своего филиала.",
        "records-off" => "Заведующий снова видит только итоги своего филиала.",
        _ => return None,
    })
}

/// How a change from a form ends: a redirect to `done` after success; after a person's mistake
/// the form's page again (`again`, given the [`Notice`]); the error page after the server's
/// failure or a refusal of the role.
pub async fn settle<T, R: IntoResponse, F: std::future::Future<Output = R>>(
    result: Result<T, AppError>,
    done: &str,
    again: impl FnOnce(Notice) -> F,
) -> Response {
    match result {
        Ok(_) => axum::response::Redirect::to(done).into_response(),
        Err(e) if e.kind != service::Kind::Internal && e.kind != service::Kind::Forbidden => {
            again(Notice::mistake(e.message)).await.into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The signed-in user of a request.
#[derive(Clone)]
pub struct Session {
    pub admin: Admin,
    pub csrf: String,
    pub token_sha256: String,
}

impl Session {
    /// Who acts, for the operations.
    pub fn actor(&self) -> Actor {
        Actor::of(&self.admin)
    }

    pub(crate) fn check_csrf(&self, given: &str) -> Result<(), AppError> {
        if service::admins::constant_time_eq(given, &self.csrf) {
            Ok(())
        } else {
            Err(AppError::csrf())
        }
    }
}

//! The app's side of the wire: a blocking HTTP client for the central server's API
//! (docs/protocol.md) that implements the core's [`Transport`]. It lives apart from the core so
//! that the core holds no HTTP code, and apart from the app so that the server's tests and the
//! sync benchmark drive the very client the phones use.

use std::time::Duration;

use std::sync::Mutex;

use lgota_core::sync::{pull_reference, SyncError, Transport, TransportError};
use lgota_core::{AppState, Store, TrustedKey};
use lgota_protocol::{
    paths, EnrollRequest, EnrollResponse, ErrorBody, PullQuery, PullResponse, PushRequest, PushResponse,
    PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use reqwest::blocking::{Client as Http, RequestBuilder};
use serde::de::DeserializeOwned;

pub struct Client {
    http: Http,
    base: String,
    token: Option<String>,
}

impl Client {
    /// `base` is the server's address, `http://` or `https://`, without a trailing path.
    pub fn new(base: &str, token: Option<String>) -> Result<Client, TransportError> {
        let base = base.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(TransportError::Refused {
                status: 0,
                code: "invalid_server".into(),
                message:
                    "Адрес сервера должен начинаться с https:// (или http:// для тестового сервера в локальной сети)."
                        .into(),
            });
        }
        let http = Http::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("lgota-app/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                tracing::warn!(error = %e, "HTTP client not built");
                TransportError::Unreachable("не удалось подготовить соединение".into())
            })?;
        Ok(Client { http, base, token })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, builder: RequestBuilder) -> RequestBuilder {
        let builder = builder.header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    fn send<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T, TransportError> {
        let response = self.request(builder).send().map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().map_err(unreachable)?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                tracing::warn!(error = %e, status = status.as_u16(), "response body not understood");
                TransportError::Refused {
                    status: status.as_u16(),
                    code: "invalid_response".into(),
                    message: "Сервер ответил непонятно: возможно, адрес ведёт не к серверу «Льготы».".into(),
                }
            });
        }
        Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(ErrorBody { code, message }) => TransportError::Refused { status: status.as_u16(), code, message },
            Err(_) => TransportError::Refused {
                status: status.as_u16(),
                code: format!("http_{}", status.as_u16()),
                message: format!("Сервер ответил ошибкой {status}."),
            },
        })
    }

    /// Trades a one-time enrollment code for this device's token. `secret` is what the phone chose
    /// (and kept) for this enrollment: repeating the call with it after a lost answer gets a token.
    pub fn enroll(&self, code: &str, device_id: &str, secret: Option<&str>) -> Result<EnrollResponse, TransportError> {
        let body = EnrollRequest {
            code: code.to_owned(),
            device_id: device_id.to_owned(),
            enrollment_secret: secret.map(str::to_owned),
        };
        self.send(self.http.post(format!("{}{}", self.base, paths::ENROLL)).json(&body))
    }

    /// Reference data newer than what the device has.
    pub fn pull(&self, query: PullQuery) -> Result<PullResponse, TransportError> {
        let mut url = format!(
            "{}{}?config_version={}&content_version={}&events_cursor={}",
            self.base,
            paths::REFERENCE,
            query.config_version,
            query.content_version,
            query.events_cursor
        );
        if let Some(pending) = query.pending {
            url.push_str(&format!("&pending={pending}"));
        }
        self.send(self.http.get(url))
    }
}

impl Transport for Client {
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        self.send(self.http.post(format!("{}{}", self.base, paths::RECORDS)).json(request))
    }

    fn pull(&mut self, query: PullQuery) -> Result<PullResponse, TransportError> {
        Client::pull(self, query)
    }
}

/// The phone's whole enrollment (docs/protocol.md, enrollment): the secret for `code` kept on disk
/// before the request (the same one again for the same code, so a retry after a lost answer or
/// a restart gets a token), the token and the branch the server named saved, then the reference
/// data pulled at once so a branch this phone has not heard of arrives with its configuration.
/// A failed pull does not undo the enrollment: it is returned beside the new state, and the
/// sync worker pulls again.
pub fn enroll_device(
    store: &Mutex<Store>,
    server: &str,
    code: &str,
    trusted: &[TrustedKey],
) -> Result<(AppState, Option<SyncError>), SyncError> {
    let lock = || {
        store
            .lock()
            .map_err(|_| SyncError::Store(lgota_core::Error::Corrupt("хранилище заблокировано после сбоя".into())))
    };
    let client = Client::new(server, None)?;
    let (device_id, secret) = {
        let mut store = lock()?;
        let secret = store.enrollment_secret(code)?;
        (store.device_id().to_owned(), secret)
    };
    let enrolled = client.enroll(code.trim(), &device_id, Some(&secret))?;
    let state =
        lock()?.save_enrollment(client.base(), &enrolled.device_token, &enrolled.branch_id, &enrolled.branch_name)?;
    let mut authorized = Client::new(client.base(), Some(enrolled.device_token))?;
    match pull_reference(store, &mut authorized, trusted) {
        Ok(()) => Ok((lock()?.state()?, None)),
        Err(e) => {
            tracing::warn!(code = e.code(), "reference not pulled right after enrollment");
            Ok((state, Some(e)))
        }
    }
}

/// Why a request got no answer, in Russian for the librarian; reqwest's own (English) detail goes
/// to the log only.
fn unreachable(e: reqwest::Error) -> TransportError {
    tracing::warn!(error = %e, "server unreachable");
    let what = if e.is_timeout() {
        "сервер не ответил вовремя"
    } else if e.is_connect() {
        "нет соединения с сервером"
    } else {
        "соединение прервано"
    };
    TransportError::Unreachable(what.to_owned())
}

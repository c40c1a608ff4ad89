//! The app's side of the wire: a blocking HTTP client for the central server's API
//! (docs/protocol.md) that implements the core's [`Transport`]. It lives apart from the core so
//! that the core holds no HTTP code, and apart from the app so that the server's tests and the
//! sync benchmark drive the very client the phones use.

use std::time::Duration;

use std::sync::Mutex;

use lgota_core::store::{Enrollment, EnrollmentPins};
use lgota_core::sync::{pull_reference, SyncError, Transport, TransportError};
use lgota_core::{AppState, Store, TrustedKey};
use lgota_protocol::{
    codes, paths, EnrollPins, EnrollRequest, EnrollResponse, ErrorBody, PullQuery, PullResponse, PushRequest,
    PushResponse, TrainingPush, TrainingPushResponse, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use reqwest::blocking::{Client as Http, RequestBuilder};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

pub struct Client {
    http: Http,
    base: String,
    token: Option<String>,
}

impl Client {
    /// `base` is the server's address, `http://` or `https://`, without a trailing path. The
    /// server's certificate must chain to one of the roots compiled into the client.
    pub fn new(base: &str, token: Option<String>) -> Result<Client, TransportError> {
        Client::build(base, token, Trust::BuiltIn)
    }

    /// Like [`Client::new`], but the server's certificate must chain to `ca_der` (the CA pinned at
    /// enrollment) and to nothing else: the compiled-in roots are left out, so neither a public
    /// CA nor another private one can stand in for the institution's.
    pub fn pinned(base: &str, token: Option<String>, ca_der: &[u8]) -> Result<Client, TransportError> {
        Client::build(base, token, Trust::Only(ca_der))
    }

    /// The client of a stored enrollment: its token, and its pinned CA if it has one.
    pub fn for_enrollment(enrollment: &Enrollment) -> Result<Client, TransportError> {
        match &enrollment.ca_der {
            Some(der) => Client::pinned(&enrollment.server, Some(enrollment.token.clone()), der),
            None => Client::new(&enrollment.server, Some(enrollment.token.clone())),
        }
    }

    fn build(base: &str, token: Option<String>, trust: Trust) -> Result<Client, TransportError> {
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
        let builder = match trust {
            Trust::BuiltIn => Http::builder(),
            Trust::Only(der) => {
                let ca = reqwest::Certificate::from_der(der).map_err(|e| {
                    tracing::warn!(error = %e, "pinned CA certificate not read");
                    untrusted()
                })?;
                Http::builder().tls_built_in_root_certs(false).add_root_certificate(ca)
            }
            // Only to fetch the CA certificate, which is then taken only if its hash matches.
            Trust::Nothing => Http::builder().danger_accept_invalid_certs(true),
        };
        let http = builder
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            // Sooner than the server closes an idle connection (30 s), so that a request is never
            // sent down a connection the server is closing at that moment.
            .pool_idle_timeout(Duration::from_secs(20))
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

    /// The CA certificate the server names (`GET /api/v1/ca.der`), taken only if its SHA-256 is
    /// `expected` (hex, from the enrollment QR). The connection it comes over is not verified — the
    /// hash is what makes it trustworthy —; nothing else is sent over it.
    pub fn fetch_ca(base: &str, expected: &str) -> Result<Vec<u8>, TransportError> {
        let client = Client::build(base, None, Trust::Nothing)?;
        let response =
            client.http.get(format!("{}{}", client.base, paths::CA_CERTIFICATE)).send().map_err(unreachable)?;
        let status = response.status();
        let der = response.bytes().map_err(unreachable)?;
        let hash: String = Sha256::digest(&der).iter().map(|b| format!("{b:02x}")).collect();
        if !status.is_success() || !hash.eq_ignore_ascii_case(expected.trim()) {
            tracing::warn!(status = status.as_u16(), "CA certificate does not match the enrollment QR");
            return Err(TransportError::Refused {
                status: 0,
                code: codes::CA_PIN_MISMATCH.into(),
                message: "Сертификат сервера не совпадает с указанным в QR-коде подключения: телефон не подключён \
                          и ничего не отправил. Возможно, адрес ведёт не к серверу вашей библиотеки."
                    .into(),
            });
        }
        Ok(der.to_vec())
    }

    fn send<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T, TransportError> {
        let response = self.request(builder).send().map_err(unreachable)?;
        let status = response.status();
        let retry_after = retry_after(&response);
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
        if let (reqwest::StatusCode::SERVICE_UNAVAILABLE, Some(retry_after_s)) = (status, retry_after) {
            // Busy: the sync worker waits at least this long before trying again.
            return Err(TransportError::Busy { retry_after_s });
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
        self.enroll_with(&EnrollRequest {
            code: code.to_owned(),
            device_id: device_id.to_owned(),
            enrollment_secret: secret.map(str::to_owned),
            signing_key: None,
        })
    }

    /// [`Client::enroll`] with a whole request (the phone's export-signing key too).
    pub fn enroll_with(&self, request: &EnrollRequest) -> Result<EnrollResponse, TransportError> {
        self.send(self.http.post(format!("{}{}", self.base, paths::ENROLL)).json(request))
    }

    /// Reference data newer than what the device has.
    pub fn pull(&self, query: PullQuery) -> Result<PullResponse, TransportError> {
        let url = format!("{}{}?{}", self.base, paths::REFERENCE, query.to_query_string());
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

    fn push_training(&mut self, request: &TrainingPush) -> Result<TrainingPushResponse, TransportError> {
        self.send(self.http.post(format!("{}{}", self.base, paths::TRAINING)).json(request))
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
    enroll_device_pinned(store, server, code, &EnrollPins::default(), trusted)
}

/// [`enroll_device`] with what the enrollment QR pinned. A pinned CA certificate is fetched
/// first and taken only if its SHA-256 matches (else `ca_pin_mismatch`, nothing sent); the code
/// then travels only over a connection verified against it. The pins are kept with the token.
pub fn enroll_device_pinned(
    store: &Mutex<Store>,
    server: &str,
    code: &str,
    pins: &EnrollPins,
    trusted: &[TrustedKey],
) -> Result<(AppState, Option<SyncError>), SyncError> {
    let lock = || {
        store
            .lock()
            .map_err(|_| SyncError::Store(lgota_core::Error::Corrupt("хранилище заблокировано после сбоя".into())))
    };
    let content_key =
        pins.content_key.as_ref().map(|k| TrustedKey { key_id: k.key_id.clone(), public_key: k.public_key.clone() });
    if let Some(key) = &content_key {
        lgota_core::content::check_key(key).map_err(|e| SyncError::Store(e.into()))?;
    }
    let ca_der = match &pins.ca_sha256 {
        Some(hash) => Some(Client::fetch_ca(server, hash)?),
        None => None,
    };
    let client = match &ca_der {
        Some(der) => Client::pinned(server, None, der)?,
        None => Client::new(server, None)?,
    };
    let request = {
        let mut store = lock()?;
        EnrollRequest {
            code: code.trim().to_owned(),
            device_id: store.device_id().to_owned(),
            enrollment_secret: Some(store.enrollment_secret(code)?),
            signing_key: Some(store.signing_public_key()?),
        }
    };
    let enrolled = client.enroll_with(&request)?;
    let kept = EnrollmentPins { content_key, ca_der };
    let state = lock()?.save_enrollment_pinned(
        client.base(),
        &enrolled.device_token,
        &enrolled.branch_id,
        &enrolled.branch_name,
        &kept,
    )?;
    let enrollment = Enrollment { server: client.base().to_owned(), token: enrolled.device_token, ca_der: kept.ca_der };
    let mut authorized = Client::for_enrollment(&enrollment)?;
    match pull_reference(store, &mut authorized, trusted) {
        Ok(()) => Ok((lock()?.state()?, None)),
        Err(e) => {
            tracing::warn!(code = e.code(), "reference not pulled right after enrollment");
            Ok((state, Some(e)))
        }
    }
}

/// Which certificates a client accepts.
enum Trust<'a> {
    /// The roots compiled into the client.
    BuiltIn,
    /// This CA certificate (DER) only.
    Only(&'a [u8]),
    /// Any: only for [`Client::fetch_ca`].
    Nothing,
}

fn untrusted() -> TransportError {
    TransportError::Refused {
        status: 0,
        code: codes::CERTIFICATE_NOT_TRUSTED.into(),
        message: "Сертификат сервера не подтверждён закреплённым при подключении центром сертификации: записи \
                  не отправлены."
            .into(),
    }
}

/// A `Retry-After` in seconds (an HTTP date counts from now), at most a day.
fn retry_after(response: &reqwest::blocking::Response) -> Option<u64> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds = match value.parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            let at = httpdate(value)?;
            at.duration_since(std::time::SystemTime::now()).map_or(0, |d| d.as_secs())
        }
    };
    Some(seconds.min(24 * 60 * 60))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP dates are sent in.
fn httpdate(text: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else { return None };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else { return None };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = u64::try_from(days * 86_400 + h * 3600 + m * 60 + s).ok()?;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Why a request got no answer, in Russian for the librarian; reqwest's own (English) detail goes
/// to the log only.
fn unreachable(e: reqwest::Error) -> TransportError {
    tracing::warn!(error = %e, "server unreachable");
    if is_certificate_error(&e) {
        return untrusted();
    }
    let what = if e.is_timeout() {
        "сервер не ответил вовремя"
    } else if e.is_connect() {
        "нет соединения с сервером"
    } else {
        "соединение прервано"
    };
    TransportError::Unreachable(what.to_owned())
}

/// Whether the TLS handshake failed on the server's certificate (rustls names it in the error's
/// sources: an unknown issuer, a bad signature, another name…).
fn is_certificate_error(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if s.to_string().to_ascii_lowercase().contains("certificate") {
            return true;
        }
        source = s.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::Duration;

    use lgota_core::sync::{retry_delay, SyncError, Transport, TransportError};
    use lgota_protocol::PushRequest;

    use super::{httpdate, Client};

    /// A server on 127.0.0.1:0 that answers every request with `answer`.
    fn answering(answer: &'static str) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut buf = [0u8; 65536];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn a_busy_server_is_left_alone_for_its_retry_after() {
        let body = r#"{"code":"busy","message":"Сервер сейчас занят"}"#;
        let answer = Box::leak(
            format!(
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let mut client = Client::new(&answering(answer), Some("t".into())).unwrap();
        let request = PushRequest { records: Vec::new(), last_acknowledged: None, sent_at_ms: None };
        let e = client.push(&request).unwrap_err();
        assert_eq!(e, TransportError::Busy { retry_after_s: 7 });
        let e = SyncError::from(e);
        assert_eq!(e.code(), "busy");
        for failures in 1..3 {
            assert!(retry_delay(failures, &e) >= Duration::from_secs(7), "the next attempt no sooner than Retry-After");
        }
    }

    #[test]
    fn a_503_without_retry_after_is_a_refusal_retried_with_backoff() {
        let answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        let mut client = Client::new(&answering(answer), Some("t".into())).unwrap();
        let request = PushRequest { records: Vec::new(), last_acknowledged: None, sent_at_ms: None };
        let e = SyncError::from(client.push(&request).unwrap_err());
        assert_eq!(e.code(), "http_503");
        assert!(e.is_transient() && e.retry_after().is_none());
    }

    #[test]
    fn http_dates_are_read() {
        let t = httpdate("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(), 784_111_777);
        assert!(httpdate("yesterday").is_none());
    }
}

//! What handlers take from a request, checked once here: the client's address ([`ClientAddr`]),
//! the signed-in user ([`SignedIn`]), an
//! administrator ([`AdminOnly`]), an administrator or branch head ([`Manager`]), one who may see
//! individual records ([`RecordsReader`]), a form with the session's CSRF token ([`CsrfForm`],
//! [`CsrfUpload`]), the phone of a device token ([`Phone`]) and the protocol version it speaks
//! ([`Protocol`]). Each answers an [`AppError`] (or the sign-in page) when the check fails.
//!
//! The routers also run [`SignedIn`], [`AdminOnly`], [`Manager`], [`RecordsReader`], [`Phone`] and
//! [`Protocol`] as route layers,
//! so a route cannot be added without them by forgetting an argument; what a layer found is kept
//! in the request's extensions and not looked up twice.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use lgota_protocol::{codes, PROTOCOL_HEADER, PROTOCOL_VERSION, PROTOCOL_VERSION_MIN};

use super::error::AppError;
use super::state::{AppState, Session};
use super::views::filter::{self, FilterQuery, Parsed};
use crate::secrets;
use crate::service::{self, Kind};
use crate::store::Device;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lgota_session";

/// The value of the session cookie in a request, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|t| secrets::is_token_shaped(t))
}

/// `Set-Cookie` for a new session (`None`: one that clears it).
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{SESSION_COOKIE}={t}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
            service::admins::SESSION_TTL_MS / 1000
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
    }
}

/// Who sent a request and whether it came over HTTPS: the TCP peer, unless the peer is one of the
/// trusted reverse proxies (`trusted_proxies`): then the rightmost address of `X-Forwarded-For`
/// that is not a trusted proxy, and HTTPS as `X-Forwarded-Proto` says. Anyone else's headers are
/// ignored (they could name any address). A request over the server's own TLS is HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// `None` only without connection info (a router driven in memory).
    pub ip: Option<IpAddr>,
    pub https: bool,
}

impl ClientAddr {
    /// The address as the limiter, the log and the audit log name it.
    pub fn text(&self) -> String {
        self.ip.map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
    }

    pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> ClientAddr {
        let Some(peer) = peer.map(|p| p.to_canonical()) else {
            return ClientAddr { ip: None, https: false };
        };
        if !trusted.contains(&peer) {
            return ClientAddr { ip: Some(peer), https: false };
        }
        let values = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let mut client = peer;
        for hop in values("x-forwarded-for").iter().rev() {
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !trusted.contains(&ip) {
                break;
            }
        }
        let https = values("x-forwarded-proto").last().is_some_and(|p| p.eq_ignore_ascii_case("https"));
        ClientAddr { ip: Some(client), https }
    }
}

/// One hop of `X-Forwarded-For`: an address, perhaps with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .or_else(|_| hop.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>())
        .ok()
        .map(|ip| ip.to_canonical())
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ClientAddr, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        let mut client = ClientAddr::resolve(peer, &parts.headers, &state.dashboard.trusted_proxies);
        client.https |= parts.extensions.get::<super::server::ServedOverTls>().is_some();
        Ok(client)
    }
}

/// A signed-in user. Without a live session: the sign-in page (`/admin/api/…`: 401 as JSON).
pub struct SignedIn(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, Response> {
        if let Some(session) = parts.extensions.get::<Session>() {
            return Ok(SignedIn(session.clone()));
        }
        let refuse = || {
            if parts.uri.path().starts_with("/admin/api/") {
                AppError::new(Kind::Unauthorized, codes::UNAUTHORIZED, "Нужно войти в панель администратора.")
                    .into_response()
            } else {
                Redirect::to("/login").into_response()
            }
        };
        let Some(token) = session_token(&parts.headers) else {
            return Err(refuse());
        };
        let token_sha256 = secrets::sha256_hex(&token);
        match state.run(move |db| service::admins::session(db, &token)).await {
            Ok(Some((admin, csrf))) => {
                let session = Session { admin, csrf, token_sha256 };
                parts.extensions.insert(session.clone());
                Ok(SignedIn(session))
            }
            Ok(None) => Err(refuse()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A signed-in administrator; a branch head gets 403.
pub struct AdminOnly(pub Session);

impl FromRequestParts<AppState> for AdminOnly {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AdminOnly, Response> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        match session.actor().must_be_admin() {
            Ok(()) => Ok(AdminOnly(session)),
            Err(e) => Err(AppError::from(e).into_response()),
        }
    }
}

/// A signed-in administrator or branch head (events, phones); an observer gets 403.
pub struct Manager(pub Session);

impl FromRequestParts<AppState> for Manager {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Manager, Response> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        match session.actor().must_manage_something() {
            Ok(()) => Ok(Manager(session)),
            Err(e) => Err(AppError::from(e).into_response()),
        }
    }
}

/// A signed-in user who may see individual records (an administrator, a branch head with the
/// grant); others get 403 — and no record, count or name in the answer.
pub struct RecordsReader(pub Session);

impl FromRequestParts<AppState> for RecordsReader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<RecordsReader, Response> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        match session.actor().must_see_records() {
            Ok(()) => Ok(RecordsReader(session)),
            Err(e) => Err(AppError::from(e).into_response()),
        }
    }
}

/// A urlencoded form body with every field, repeated names kept (check boxes).
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The field's value; empty if absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a repeated field, trimmed.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).collect()
    }
}

/// A signed-in user's form that carries the session's CSRF token (field `csrf`).
pub struct CsrfForm(pub Session, pub FormData);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<CsrfForm, Response> {
        let (mut parts, body) = request.into_parts();
        let SignedIn(session) = SignedIn::from_request_parts(&mut parts, state).await?;
        let bytes =
            Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
        let form = FormData::parse(&bytes);
        session.check_csrf(form.get("csrf")).map_err(IntoResponse::into_response)?;
        Ok(CsrfForm(session, form))
    }
}

/// The fields of a multipart form: text fields and uploaded files `(field, file name, bytes)`.
#[derive(Default)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, String, Bytes)>,
    /// Why the form could not be read whole (e.g. a file over the limit), for people.
    pub error: Option<String>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

/// A signed-in user's multipart form with files of at most `MAX_FILE` bytes, carrying the
/// session's CSRF token; nothing of it is looked at before the token is checked.
pub struct CsrfUpload<const MAX_FILE: usize>(pub Session, pub Upload);

impl<const MAX_FILE: usize> FromRequest<AppState> for CsrfUpload<MAX_FILE> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<CsrfUpload<MAX_FILE>, Response> {
        let (mut parts, body) = request.into_parts();
        let SignedIn(session) = SignedIn::from_request_parts(&mut parts, state).await?;
        let upload = match Multipart::from_request(Request::from_parts(parts, body), state).await {
            Ok(multipart) => read_multipart(multipart, MAX_FILE).await,
            Err(_) => Upload {
                error: Some("Отправьте форму с файлом из панели.".into()), ..Upload::default()
            },
        };
        session.check_csrf(upload.field("csrf")).map_err(IntoResponse::into_response)?;
        Ok(CsrfUpload(session, upload))
    }
}

async fn read_multipart(mut multipart: Multipart, max_file: usize) -> Upload {
    let too_big = format!("Файл слишком большой: не больше {} МБ.", max_file / (1024 * 1024));
    let broken = "Форма с файлом повреждена: отправьте её ещё раз.".to_string();
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                upload.error = Some(if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_big } else { broken });
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let file = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => {
                upload.error = Some(if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_big } else { broken });
                break;
            }
        };
        match file {
            Some(_) if bytes.len() > max_file => {
                upload.error = Some(too_big);
                break;
            }
            Some(file) => {
                if !bytes.is_empty() || !file.is_empty() {
                    upload.files.push((name, file, bytes));
                }
            }
            None => upload.fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    upload
}

/// The protocol version a phone's request speaks (its [`PROTOCOL_HEADER`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol(pub u32);

impl<S: Send + Sync> FromRequestParts<S> for Protocol {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Protocol, AppError> {
        parts
            .headers
            .get(PROTOCOL_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|v| (PROTOCOL_VERSION_MIN..=PROTOCOL_VERSION).contains(v))
            .map(Protocol)
            .ok_or_else(|| {
                AppError::new(
                    Kind::Invalid,
                    codes::UNSUPPORTED_PROTOCOL,
                    format!(
                        "Версия протокола не поддерживается: сервер понимает {PROTOCOL_HEADER} от {PROTOCOL_VERSION_MIN} \
                         до {PROTOCOL_VERSION}. Обновите приложение «Льгота»."
                    ),
                )
            })
    }
}

/// The enrolled, not revoked phone of a request's `Authorization: Bearer` token.
pub struct Phone(pub Device);

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

impl FromRequestParts<AppState> for Phone {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Phone, AppError> {
        if let Some(device) = parts.extensions.get::<Device>() {
            return Ok(Phone(device.clone()));
        }
        let token = bearer(&parts.headers);
        let device = state.run(move |db| service::sync::authenticate(db, token.as_deref())).await?;
        parts.extensions.insert(device.clone());
        Ok(Phone(device))
    }
}

/// A signed-in user's records filter (the overview, the records page, the exports): confined to a
/// branch head's branch whatever they ask for, with what is wrong with it, if anything — an
/// unreadable query string (e.g. a repeated key) is a bad filter too, never silently the default.
pub struct Filtered {
    pub session: Session,
    pub parsed: Parsed,
    pub error: Option<String>,
}

impl FromRequestParts<AppState> for Filtered {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Filtered, Response> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        let (query, rejected) = match Query::<FilterQuery>::from_request_parts(parts, state).await {
            Ok(Query(q)) => (q, None),
            Err(e) => (FilterQuery::default(), Some(format!("Неверные параметры запроса: {e}"))),
        };
        let (mut parsed, error) = filter::parse(&session.admin.role, &query, state.dashboard.tz);
        if let Some(kind) = parsed.filter.kind.as_mut() {
            // The configuration's age-check categories, for the store (which knows no configuration).
            kind.age_category_ids =
                state.run(service::reports::age_check_categories).await.map_err(IntoResponse::into_response)?;
        }
        Ok(Filtered { session, parsed, error: rejected.or(error) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop_and_only_a_trusted_peer_is_believed() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let trusted = [ip("127.0.0.1"), ip("10.0.0.2")];
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.2".parse().unwrap());
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        let c = ClientAddr::resolve(Some(ip("127.0.0.1")), &h, &trusted);
        assert_eq!(c, ClientAddr { ip: Some(ip("203.0.113.7")), https: true });
        // An untrusted peer's headers are ignored.
        let c = ClientAddr::resolve(Some(ip("198.51.100.1")), &h, &trusted);
        assert_eq!(c, ClientAddr { ip: Some(ip("198.51.100.1")), https: false });
        // IPv4 mapped into IPv6 is the same peer; ports and brackets are read; garbage stops.
        h.insert("x-forwarded-for", "[2001:db8::1]:443".parse().unwrap());
        assert_eq!(ClientAddr::resolve(Some(ip("::ffff:127.0.0.1")), &h, &trusted).ip, Some(ip("2001:db8::1")));
        h.insert("x-forwarded-for", "nonsense, 10.0.0.2".parse().unwrap());
        assert_eq!(ClientAddr::resolve(Some(ip("127.0.0.1")), &h, &trusted).ip, Some(ip("10.0.0.2")));
        assert_eq!(ClientAddr::resolve(None, &h, &trusted).text(), "unknown");
    }
}

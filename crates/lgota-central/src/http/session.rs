//! Signing in and out of the dashboard.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::error::AppError;
use super::extract::{session_cookie, ClientAddr, CsrfForm};
use super::state::{page, AppState};
use crate::http::views::pages;
use crate::now_ms;
use crate::service::{self, for_log, Kind};

/// The sign-in form's body: a login and a password are short.
const MAX_LOGIN_FORM: usize = 16 * 1024;

/// Open to everyone: the sign-in form.
pub fn routes() -> Router<AppState> {
    Router::new().route("/login", get(login_form).post(login).layer(DefaultBodyLimit::max(MAX_LOGIN_FORM)))
}

pub fn signed_in_routes() -> Router<AppState> {
    Router::new().route("/logout", post(logout))
}

/// Why signing in cannot work for this request, if it cannot: the session cookie is `Secure`,
/// so a browser keeps it only over HTTPS (or on the machine itself: localhost) — over plain
/// http on another address it would drop the cookie and come back to the sign-in page forever.
fn insecure_reason(state: &AppState, client: &ClientAddr, headers: &HeaderMap) -> Option<String> {
    if !state.dashboard.cookie_secure || client.https {
        return None;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().trim();
    let name = match host.rsplit_once(':') {
        _ if host.starts_with('[') => host.trim_start_matches('[').split(']').next().unwrap_or_default(),
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback());
    if loopback || host.is_empty() {
        return None;
    }
    Some(format!(
        "Панель открыта по незащищённому адресу http://{}, а cookie сеанса защищён (Secure): браузер \
         сохраняет такой cookie только при работе по HTTPS, поэтому после входа вы снова попали бы на эту \
         страницу. Откройте панель по адресу, начинающемуся с https:// — для этого ИТ-специалист ставит \
         перед сервером обратный прокси с сертификатом (например, Caddy или nginx) и указывает его адрес \
         в настройке trusted_proxies. На самом сервере панель можно открыть по http://127.0.0.1. \
         Выключать защиту (cookie_secure = false) сервер разрешает только при работе на 127.0.0.1: по \
         открытому http пароль и сеанс администратора может перехватить любой в той же сети.",
        for_log(host)
    ))
}

async fn login_form(State(state): State<AppState>, client: ClientAddr, headers: HeaderMap) -> Response {
    let insecure = insecure_reason(&state, &client, &headers);
    page(StatusCode::OK, pages::login_page(None, "", insecure.as_deref()))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// Signs in: the attempt is let through the back-off (and counted) first, then waits for one of
/// the few password checks, then the password is checked off the async threads.
async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let shown = form.login.trim().chars().take(64).collect::<String>();
    if let Some(reason) = insecure_reason(&state, &client, &headers) {
        // No password is checked: the session could not be kept anyway.
        return page(StatusCode::BAD_REQUEST, pages::login_page(None, &shown, Some(&reason)));
    }
    let result: Result<_, AppError> = async {
        let (dashboard, login, ip) = (state.dashboard.clone(), form.login.clone(), client.text());
        let attempt = state.run(move |db| dashboard.attempts.begin(db, &login, &ip, now_ms())).await?;
        let slot = match state.dashboard.attempts.slot().await {
            Ok(slot) => slot,
            Err(e) => {
                let dashboard = state.dashboard.clone();
                state.run(move |db| dashboard.attempts.forgive(db, &attempt, false)).await?;
                tracing::warn!(ip = for_log(&client.text()), "sign-in refused: too many password checks waiting");
                return Err(e.into());
            }
        };
        let dashboard = state.dashboard.clone();
        let password = form.password;
        state.run(move |db| service::admins::sign_in(db, &dashboard.attempts, attempt, slot, &password)).await
    }
    .await;
    match result {
        Ok(session) => {
            let mut response = Redirect::to("/").into_response();
            if let Ok(cookie) =
                HeaderValue::from_str(&session_cookie(Some(&session.token), state.dashboard.cookie_secure))
            {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(e) if e.kind != Kind::Internal => page(e.status(), pages::login_page(Some(&e.message), &shown, None)),
        Err(e) => e.into_response(),
    }
}

async fn logout(State(state): State<AppState>, CsrfForm(session, _): CsrfForm) -> Response {
    let (actor, hash) = (session.actor(), session.token_sha256.clone());
    if let Err(e) = state.run(move |db| service::admins::sign_out(db, &actor, &hash)).await {
        return e.into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session_cookie(None, state.dashboard.cookie_secure)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

//! Signing in and out of the dashboard.

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use super::extract::{session_cookie, CsrfForm};
use super::state::{page, AppState};
use crate::http::views::pages;
use crate::service::{self, Kind};

/// Open to everyone: the sign-in form.
pub fn routes() -> Router<AppState> {
    Router::new().route("/login", get(login_form).post(login))
}

pub fn signed_in_routes() -> Router<AppState> {
    Router::new().route("/logout", post(logout))
}

async fn login_form() -> Response {
    page(StatusCode::OK, pages::login_page(None, ""))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let ip = connect.map_or_else(|| "unknown".to_string(), |Extension(ConnectInfo(addr))| addr.ip().to_string());
    let shown = form.login.trim().to_string();
    let dashboard = state.dashboard.clone();
    let result =
        state.run(move |db| service::admins::sign_in(db, &dashboard.attempts, &form.login, &form.password, &ip)).await;
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
        Err(e) if e.kind != Kind::Internal => page(e.status(), pages::login_page(Some(&e.message), &shown)),
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

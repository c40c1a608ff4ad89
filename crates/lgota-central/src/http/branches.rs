//! Branches (`/branches`, administrators): the list with their phones, add and rename.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::AppError;
use super::extract::{AdminOnly, CsrfForm};
use super::state::Session;
use super::state::{page, settle, AppState, Ctx, Done};
use crate::http::views::manage_pages as view;
use crate::service;

pub fn routes() -> Router<AppState> {
    Router::new().route("/branches", get(branches).post(save_branch))
}

async fn branches(
    State(state): State<AppState>,
    AdminOnly(session): AdminOnly,
    query: Result<Query<Done>, QueryRejection>,
) -> Result<Response, AppError> {
    show(&state, &session, StatusCode::OK, Done::of(query), None, ("", "")).await
}

async fn show(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    done: Option<&str>,
    error: Option<&str>,
    form: (&str, &str),
) -> Result<Response, AppError> {
    let (branches, devices, names) =
        state.run(|db| Ok((db.branches()?, db.devices()?, service::reports::names(db)?.0))).await?;
    let ctx = Ctx { session, names: &names, tz: state.dashboard.tz };
    Ok(page(status, view::branches(&ctx, &branches, &devices, done, error, form)))
}

async fn save_branch(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let rename = form.get("mode") == "rename";
    let (id, name) = (form.get("id").trim().to_string(), form.get("name").to_string());
    let (actor, i, n) = (session.actor(), id.clone(), name.clone());
    let result = state.run(move |db| service::reference::save_branch(db, &actor, &i, &n, rename)).await;
    settle(result, "/branches?done=branch", |e| async move {
        show(&state, &session, StatusCode::BAD_REQUEST, None, Some(&e), (&id, &name)).await.into_response()
    })
    .await
}

//! Branches (`/branches`, administrators): the list with their phones, add and rename.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::error::AppError;
use super::extract::{AdminOnly, CsrfForm};
use super::state::{page, settle, AppState, Ctx, Notice, Session};
use crate::http::views::manage_pages as view;
use crate::service;

pub fn routes() -> Router<AppState> {
    Router::new().route("/branches", get(branches).post(save_branch))
}

async fn branches(state: State<AppState>, AdminOnly(session): AdminOnly, notice: Notice) -> Result<Response, AppError> {
    show(state, session, notice, ("", "")).await
}

/// The page, with the values of a form sent back after a mistake.
async fn show(
    State(state): State<AppState>,
    session: Session,
    notice: Notice,
    form: (&str, &str),
) -> Result<Response, AppError> {
    let (branches, devices, names) =
        state.run(|db| Ok((db.branches()?, db.devices()?, service::reports::names(db)?.0))).await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(notice.status(), view::branches(&ctx, &branches, &devices, notice.done(), notice.error(), form)))
}

async fn save_branch(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let rename = form.get("mode") == "rename";
    let (id, name) = (form.get("id").trim().to_string(), form.get("name").to_string());
    let (actor, i, n) = (session.actor(), id.clone(), name.clone());
    let result = state.run(move |db| service::reference::save_branch(db, &actor, &i, &n, rename)).await;
    settle(
        result,
        "/branches?done=branch",
        |notice| async move { show(State(state), session, notice, (&id, &name)).await },
    )
    .await
}

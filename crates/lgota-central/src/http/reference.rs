//! Reference lists (`/reference`, administrators): benefit categories with their documents,
//! paper document types, failure reasons. Every change publishes a new configuration version.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::error::AppError;
use super::extract::{AdminOnly, CsrfForm};
use super::state::{page, settle, AppState, Ctx, Notice};
use crate::http::views::manage_pages as view;
use crate::service::{self, reference::List};
use lgota_domain::config::CategoryKind;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reference", get(reference))
        .route("/reference/category", post(save_category))
        .route("/reference/item", post(save_item))
}

/// The page; after a form's mistake, with its message.
async fn reference(
    State(state): State<AppState>,
    AdminOnly(session): AdminOnly,
    notice: Notice,
) -> Result<Response, AppError> {
    let (config, names) =
        state.run(|db| Ok((service::reference::current_config(db)?, service::reports::names(db)?.0))).await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(notice.status(), view::reference(&ctx, &config, notice.done(), notice.error())))
}

async fn save_category(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let edit = form.get("mode") == "edit";
    let (actor, id, name, docs) =
        (session.actor(), form.get("id").to_string(), form.get("name").to_string(), form.all("docs"));
    let kind = if form.get("age_check") == "1" { CategoryKind::AgeCheck } else { CategoryKind::Benefit };
    let result =
        state.run(move |db| service::reference::save_category(db, &actor, &id, &name, &docs, kind, edit)).await;
    settle(result, "/reference?done=reference", |notice| reference(State(state), AdminOnly(session), notice)).await
}

/// Adds or renames a paper document type or a failure reason.
async fn save_item(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let rename = form.get("mode") == "rename";
    let (actor, list, id, name) =
        (session.actor(), form.get("list").to_string(), form.get("id").to_string(), form.get("name").to_string());
    let result =
        state.run(move |db| service::reference::save_item(db, &actor, List::parse(&list)?, &id, &name, rename)).await;
    settle(result, "/reference?done=reference", |notice| reference(State(state), AdminOnly(session), notice)).await
}

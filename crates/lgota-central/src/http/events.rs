//! Events (`/events`): the list of a branch, publishing one, its printable poster with the QR
//! code that selects it on a librarian's phone. A branch head manages only their branch's.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use serde::Deserialize;

use super::error::AppError;
use super::extract::{CsrfForm, SignedIn};
use super::state::{page, settle, AppState, Ctx, Notice, Session};
use crate::http::views::manage_pages as view;
use crate::service;

/// The most events the page lists.
const LIST_LIMIT: u32 = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/events", get(events).post(add_event)).route("/events/poster", get(event_poster))
}

#[derive(Deserialize, Default)]
struct EventsQuery {
    branch: Option<String>,
}

/// The events of a branch (a branch head: always theirs).
async fn events(
    state: State<AppState>,
    SignedIn(session): SignedIn,
    query: Result<Query<EventsQuery>, QueryRejection>,
    notice: Notice,
) -> Result<Response, AppError> {
    let asked = query.ok().and_then(|Query(q)| q.branch).unwrap_or_default();
    let branch = session.actor().confine(&asked);
    show(state, session, notice, &branch, ("", "")).await
}

/// The page, with the values of a form sent back after a mistake.
async fn show(
    State(state): State<AppState>,
    session: Session,
    notice: Notice,
    branch: &str,
    form: (&str, &str),
) -> Result<Response, AppError> {
    let filter = Some(branch.to_string()).filter(|b| !b.is_empty());
    let (events, (names, branch_ids, _)) =
        state.run(move |db| Ok((db.events(filter.as_deref(), LIST_LIMIT)?, service::reports::names(db)?))).await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    let view = view::events(&ctx, &events, &branch_ids, branch, notice.done(), notice.error(), form);
    Ok(page(notice.status(), view))
}

async fn add_event(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let actor = session.actor();
    let branch = actor.confine(form.get("branch"));
    let (title, date) = (form.get("title").to_string(), form.get("date").trim().to_string());
    let (b, t, d) = (branch.clone(), title.clone(), date.clone());
    let result = state.run(move |db| service::events::add(db, &actor, &b, &t, &d)).await;
    // A branch's id is a checked id (letters, digits, `-`, `_`): safe in the query as it is.
    let branch_query = if session.admin.role.branch().is_some() { String::new() } else { format!("&branch={branch}") };
    settle(result, &format!("/events?done=event{branch_query}"), |notice| async move {
        show(State(state), session, notice, &branch, (&title, &date)).await
    })
    .await
}

#[derive(Deserialize, Default)]
struct PosterQuery {
    id: Option<String>,
}

/// A printable poster for the door: the event's QR code, which selects it on a librarian's phone.
async fn event_poster(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    query: Result<Query<PosterQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let id = query.ok().and_then(|Query(q)| q.id).unwrap_or_default();
    let actor = session.actor();
    let (event, names) =
        state.run(move |db| Ok((service::events::get(db, &actor, &id)?, service::reports::names(db)?.0))).await?;
    let payload = lgota_protocol::event_uri(&event.event.id);
    let png = service::devices::qr_png_bytes(&payload)?;
    let uri = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(StatusCode::OK, view::poster(&ctx, &event, &payload, &uri)))
}

//! Redaction from the dashboard (administrators): a note or staff label removed from one record,
//! after a confirmation form (CSRF), with the act of destruction shown to print
//! (`/records/redact`, `/records/act?seq=`) — the operation `lgota-central redact` runs.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lgota_protocol::codes;
use serde::Deserialize;

use super::error::AppError;
use super::extract::{AdminOnly, CsrfForm};
use super::state::{page, AppState, Ctx, Session};
use crate::http::views::manage_pages as view;
use crate::service::{self, Kind};
use crate::store::RedactField;

pub fn routes() -> Router<AppState> {
    Router::new().route("/records/redact", get(form).post(redact)).route("/records/act", get(act))
}

#[derive(Deserialize, Default)]
struct IdQuery {
    id: Option<String>,
    seq: Option<String>,
}

fn not_found() -> AppError {
    AppError::new(Kind::NotFound, codes::NOT_FOUND, "Нет такой записи.")
}

/// The form for record `id`, with the reason typed and a mistake, if any.
async fn show(state: &AppState, session: &Session, id: String, reason: &str, error: Option<String>) -> Response {
    let found = state
        .run(move |db| {
            let record = db.record(id.trim())?;
            Ok((record, service::reports::names(db)?.0))
        })
        .await;
    match found {
        Ok((Some(stored), names)) => {
            let ctx = Ctx { session, names: &names, tz: state.dashboard.tz };
            let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            page(status, view::redact_form(&ctx, &stored.record, reason, error.as_deref()))
        }
        Ok((None, _)) => not_found().into_response(),
        Err(e) => e.into_response(),
    }
}

async fn form(
    State(state): State<AppState>,
    AdminOnly(session): AdminOnly,
    query: Result<Query<IdQuery>, QueryRejection>,
) -> Response {
    let id = query.ok().and_then(|Query(q)| q.id).unwrap_or_default();
    show(&state, &session, id, "", None).await
}

async fn redact(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let actor = session.actor();
    if let Err(e) = actor.must_be_admin() {
        return AppError::from(e).into_response();
    }
    let id = form.get("id").trim().to_string();
    let reason = form.get("reason").to_string();
    let field = match form.get("field") {
        "note" => RedactField::Note,
        "staff" => RedactField::StaffLabel,
        _ => return show(&state, &session, id, &reason, Some("Выберите, что удалить.".into())).await,
    };
    if form.get("confirm") != "yes" {
        return show(&state, &session, id, &reason, Some("Отметьте «Подтверждаю уничтожение».".into())).await;
    }
    let (rid, why, by) = (id.clone(), reason.clone(), session.admin.login.clone());
    let done = state
        .run(move |db| {
            let r = service::retention::redact(db, &actor, &rid, field, &why, &by)?;
            Ok((r, db.server_id()?, service::reports::names(db)?.0))
        })
        .await;
    match done {
        Ok((r, server_id, names)) => {
            let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
            page(StatusCode::OK, view::act(&ctx, &r, &server_id))
        }
        Err(e) if e.kind == Kind::Invalid => show(&state, &session, id, &reason, Some(e.message)).await,
        Err(e) => e.into_response(),
    }
}

/// An act again, by its number.
async fn act(
    State(state): State<AppState>,
    AdminOnly(session): AdminOnly,
    query: Result<Query<IdQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let seq = query.ok().and_then(|Query(q)| q.seq).and_then(|s| s.trim().parse::<i64>().ok()).ok_or_else(not_found)?;
    let (found, server_id, names) = state
        .run(move |db| {
            let found = db.redactions(None, u32::MAX)?.into_iter().find(|r| r.seq == seq);
            Ok((found, db.server_id()?, service::reports::names(db)?.0))
        })
        .await?;
    let r = found.ok_or_else(not_found)?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(StatusCode::OK, view::act(&ctx, &r, &server_id)))
}

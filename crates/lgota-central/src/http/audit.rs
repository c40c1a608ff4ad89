//! What administrators review (`/audit`, `/discrepancies`): the last backup and the audit log,
//! newest first, a page at a time; conflicting versions of a record and records whose phone's clock was off.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::error::AppError;
use super::extract::AdminOnly;
use super::state::{page, AppState, Ctx};
use crate::http::views::manage_pages as view;
use crate::service;

/// Audit entries a page.
const AUDIT_PAGE: u32 = 100;
/// The newest conflicts and clock-flagged records shown.
const DISCREPANCIES_SHOWN: u32 = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_log)).route("/discrepancies", get(discrepancies))
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    before: Option<String>,
}

async fn audit_log(
    State(state): State<AppState>,
    AdminOnly(session): AdminOnly,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let before = query.ok().and_then(|Query(q)| q.before).and_then(|b| b.trim().parse::<i64>().ok());
    let (entries, names, backup) = state
        .run(move |db| {
            Ok((
                service::audit::log(db, before, AUDIT_PAGE)?,
                service::reports::names(db)?.0,
                service::backup::last(db)?,
            ))
        })
        .await?;
    let more = entries.len() == AUDIT_PAGE as usize;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(StatusCode::OK, view::audit(&ctx, &entries, more, &backup)))
}

async fn discrepancies(State(state): State<AppState>, AdminOnly(session): AdminOnly) -> Result<Response, AppError> {
    let (conflicts, flagged, names) = state
        .run(|db| {
            Ok((
                db.conflicts(DISCREPANCIES_SHOWN)?,
                db.clock_flagged(DISCREPANCIES_SHOWN)?,
                service::reports::names(db)?.0,
            ))
        })
        .await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(StatusCode::OK, view::discrepancies(&ctx, &conflicts, &flagged)))
}

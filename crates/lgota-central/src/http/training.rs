//! Training: the phones' `POST /api/v1/training` (protocol 3: finished training scenarios, apart
//! from the records) and the dashboard's «Обучение» (`/training`: who has been trained, by
//! branch; a branch head sees only their branch) with a printable «лист ознакомления» per branch
//! (`/training/sheet?branch=…`).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use lgota_protocol::{codes, TrainingPush, TrainingPushResponse};
use serde::Deserialize;

use super::api::parse_json;
use super::error::AppError;
use super::extract::{Phone, Protocol, SignedIn};
use super::state::{page, AppState, Ctx};
use crate::http::views::inform as view;
use crate::service::{self, Kind};

pub fn routes() -> Router<AppState> {
    Router::new().route("/training", get(training)).route("/training/sheet", get(sheet))
}

/// The phones' training results (mounted by [`super::api::routes`] behind the device's token).
pub async fn push(
    State(state): State<AppState>,
    Phone(device): Phone,
    Protocol(version): Protocol,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TrainingPushResponse>, AppError> {
    let request: TrainingPush = parse_json(body)?;
    Ok(Json(state.run(move |db| service::training::push(db, &device, request, version)).await?))
}

#[derive(Deserialize, Default)]
struct BranchQuery {
    branch: Option<String>,
}

fn asked_branch(query: Result<Query<BranchQuery>, QueryRejection>) -> String {
    query.ok().and_then(|Query(q)| q.branch).unwrap_or_default().trim().to_string()
}

async fn training(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    query: Result<Query<BranchQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let actor = session.actor();
    let branch = actor.confine(&asked_branch(query));
    let b = branch.clone();
    let (trainees, pack, (names, all_branches, _)) = state
        .run(move |db| {
            Ok((
                service::training::trainees(db, &actor, &b)?,
                service::content::published_pack(db)?,
                service::reports::names(db)?,
            ))
        })
        .await?;
    if !branch.is_empty() && !all_branches.contains(&branch) {
        return Err(unknown_branch());
    }
    let shown: Vec<String> = if branch.is_empty() { all_branches.clone() } else { vec![branch.clone()] };
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    let html = view::training(&ctx, &trainees, &shown, &all_branches, &branch, &pack, &state.dashboard.institution);
    Ok(page(StatusCode::OK, html))
}

fn unknown_branch() -> AppError {
    AppError::new(Kind::NotFound, codes::NOT_FOUND, "Нет такого филиала.")
}

async fn sheet(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    query: Result<Query<BranchQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let actor = session.actor();
    let branch = actor.confine(&asked_branch(query));
    if branch.is_empty() {
        return Err(AppError::new(Kind::Invalid, codes::INVALID_REQUEST, "Выберите филиал листа ознакомления."));
    }
    let b = branch.clone();
    let (trainees, pack, (names, all_branches, _)) = state
        .run(move |db| {
            Ok((
                service::training::trainees(db, &actor, &b)?,
                service::content::published_pack(db)?,
                service::reports::names(db)?,
            ))
        })
        .await?;
    if !all_branches.contains(&branch) {
        return Err(unknown_branch());
    }
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(StatusCode::OK, view::training_sheet(&ctx, &state.dashboard.institution, &branch, &trainees, &pack)))
}

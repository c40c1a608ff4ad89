//! Training on the dashboard: «Обучение» (`/training`: who has been trained, by branch; a branch
//! head sees only their branch) with a printable «лист ознакомления» per branch
//! (`/training/sheet?branch=…`). The phones' `POST /api/v1/training` is in [`super::api`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use lgota_protocol::codes;
use serde::Deserialize;

use super::error::AppError;
use super::extract::SignedIn;
use super::state::{page, AppState, Ctx};
use crate::http::views::inform as view;
use lgota_domain::content::ContentPack;

use crate::report::Names;
use crate::service::{self, Kind};

pub fn routes() -> Router<AppState> {
    Router::new().route("/training", get(training)).route("/training/sheet", get(sheet))
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
    let (trainees, pack, names, all_branches) = load(&state, actor, &branch).await?;
    if !branch.is_empty() && !all_branches.contains(&branch) {
        return Err(unknown_branch());
    }
    let shown: Vec<String> = if branch.is_empty() { all_branches.clone() } else { vec![branch.clone()] };
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    let html = view::training(&ctx, &trainees, &shown, &all_branches, &branch, &pack, &state.dashboard.institution);
    Ok(page(StatusCode::OK, html))
}

/// What both pages show: the branch's trainees, the published pack, the names, every branch id.
async fn load(
    state: &AppState,
    actor: service::Actor,
    branch: &str,
) -> Result<(Vec<service::training::Trainee>, ContentPack, Names, Vec<String>), AppError> {
    let b = branch.to_string();
    let (trainees, pack, (names, all_branches, _)) = state
        .run(move |db| {
            Ok((
                service::training::trainees(db, &actor, &b)?,
                service::content::published_pack(db)?,
                service::reports::names(db)?,
            ))
        })
        .await?;
    Ok((trainees, pack, names, all_branches))
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
    let (trainees, pack, names, all_branches) = load(&state, actor, &branch).await?;
    if !all_branches.contains(&branch) {
        return Err(unknown_branch());
    }
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(StatusCode::OK, view::training_sheet(&ctx, &state.dashboard.institution, &branch, &trainees, &pack)))
}

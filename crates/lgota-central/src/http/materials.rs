//! Printable materials (`/materials`, every signed-in user): the citizen notice for the entrance
//! and the staff памятка, made from the published content pack and configuration with the
//! institution's name (§5.1 of the regulation: inform citizens and staff).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::error::AppError;
use super::extract::SignedIn;
use super::state::{page, AppState, Ctx};
use crate::http::views::inform as view;
use crate::service;
use crate::store::ReferenceName;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/materials", get(materials))
        .route("/materials/notice", get(notice))
        .route("/materials/memo", get(memo))
}

async fn materials(State(state): State<AppState>, SignedIn(session): SignedIn) -> Result<Response, AppError> {
    let (pack, bundled, names) = state
        .run(|db| {
            Ok((
                service::content::published_pack(db)?,
                db.reference(ReferenceName::Content)?.is_none(),
                service::reports::names(db)?.0,
            ))
        })
        .await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(StatusCode::OK, view::materials(&ctx, &state.dashboard.institution, &pack, bundled)))
}

async fn notice(State(state): State<AppState>, SignedIn(_): SignedIn) -> Result<Response, AppError> {
    let pack = state.run(service::content::published_pack).await?;
    Ok(page(StatusCode::OK, view::notice(&state.dashboard.institution, &pack)))
}

async fn memo(State(state): State<AppState>, SignedIn(_): SignedIn) -> Result<Response, AppError> {
    let (pack, config) =
        state.run(|db| Ok((service::content::published_pack(db)?, service::reference::current_config(db)?))).await?;
    Ok(page(StatusCode::OK, view::memo(&state.dashboard.institution, &pack, &config)))
}

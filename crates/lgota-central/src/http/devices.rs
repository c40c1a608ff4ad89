//! Phones (`/devices`): the list with their state, a one-time enrollment code with its QR,
//! revocation after a confirmation. A branch head manages only their branch's phones.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;

use super::error::AppError;
use super::extract::{CsrfForm, SignedIn};
use super::state::{page, AppState, Ctx, Notice};
use crate::http::views::manage_pages as view;
use crate::now_ms;
use crate::service::{self, Kind};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/devices", get(devices))
        .route("/devices/enroll", post(enroll_device))
        .route("/devices/revoke", post(revoke_device))
}

/// The list of the phones the user manages; after a form's mistake, its message.
async fn devices(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    notice: Notice,
    query: Result<Query<view::DeviceQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    // A filter it cannot read lists every phone, as the bare page does.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let actor = session.actor();
    let (devices, (names, branch_ids, _), published) = state
        .run(move |db| {
            Ok((service::devices::list(db, &actor)?, service::reports::names(db)?, service::devices::published(db)?))
        })
        .await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    let min_app_version = state.dashboard.app_requirement.as_ref().map(|a| a.min_version.as_str());
    let cx = view::DeviceContext { published, min_app_version, now_ms: now_ms() };
    Ok(page(notice.status(), view::devices(&ctx, &devices, &branch_ids, &cx, &query, notice.done(), notice.error())))
}

async fn enroll_device(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let actor = session.actor();
    let branch = actor.confine(form.get("branch"));
    let ttl = form.get("ttl").trim().parse::<u32>().unwrap_or(0);
    let target = state.dashboard.enroll_target();
    let result = state
        .run(move |db| {
            let issued = service::devices::issue(db, &actor, &branch, ttl, &target)?;
            let png = service::devices::qr_png_bytes(&issued.payload)?;
            Ok((issued, png, service::reports::names(db)?.0))
        })
        .await;
    match result {
        Ok((issued, png, names)) => {
            let data_uri = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
            let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
            page(StatusCode::OK, view::enrollment(&ctx, &issued, &data_uri))
        }
        Err(e) if e.kind == Kind::Forbidden || e.kind == Kind::Internal => e.into_response(),
        Err(e) => devices(State(state), SignedIn(session), Notice::mistake(e.message), Ok(Query(Default::default())))
            .await
            .into_response(),
    }
}

async fn revoke_device(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let id = form.get("id").trim().to_string();
    let confirmed = form.get("confirm") == "yes";
    let actor = session.actor();
    let i = id.clone();
    let found = state.run(move |db| Ok((service::devices::get(db, &actor, &i)?, service::reports::names(db)?.0))).await;
    let (device, names) = match found {
        Ok(v) => v,
        Err(e) if e.kind == Kind::NotFound => {
            let notice = Notice::Mistake(StatusCode::NOT_FOUND, e.message);
            return devices(State(state), SignedIn(session), notice, Ok(Query(Default::default())))
                .await
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    if device.revoked_at_ms.is_some() {
        return Redirect::to("/devices?done=revoked").into_response();
    }
    if !confirmed {
        let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
        return page(StatusCode::OK, view::revoke_confirm(&ctx, &device));
    }
    let actor = session.actor();
    match state.run(move |db| service::devices::revoke(db, &actor, &device.id)).await {
        Ok(_) => Redirect::to("/devices?done=revoked").into_response(),
        Err(e) => e.into_response(),
    }
}

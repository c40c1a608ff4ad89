//! Dashboard users (`/users`, administrators): the list with role, branch, records access and
//! state; disable, enable, remove after a confirmation, a branch head's access to the records of
//! their branch granted or taken back — through the operation the command line uses.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::AppError;
use super::extract::{AdminOnly, CsrfForm};
use super::state::{page, settle, AppState, Ctx, Notice, Session};
use crate::http::views::manage_pages as view;
use crate::service;
use crate::service::admins::Change;

pub fn routes() -> Router<AppState> {
    Router::new().route("/users", get(users).post(change_user))
}

async fn users(state: State<AppState>, AdminOnly(session): AdminOnly, notice: Notice) -> Result<Response, AppError> {
    show(state, session, notice).await
}

async fn show(State(state): State<AppState>, session: Session, notice: Notice) -> Result<Response, AppError> {
    let actor = session.actor();
    let (admins, names) =
        state.run(move |db| Ok((service::admins::list(db, &actor)?, service::reports::names(db)?.0))).await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(notice.status(), view::users(&ctx, &admins, notice.done(), notice.error())))
}

async fn change_user(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let login = form.get("login").trim().to_string();
    let (what, done) = match form.get("action") {
        "disable" => (Change::Disable, "/users?done=disabled"),
        "enable" => (Change::Enable, "/users?done=enabled"),
        "remove" => (Change::Remove, "/users?done=removed"),
        "records-on" => (Change::GrantRecords, "/users?done=records-on"),
        "records-off" => (Change::RevokeRecords, "/users?done=records-off"),
        _ => return show(State(state), session, Notice::mistake("Неизвестное действие.")).await.into_response(),
    };
    if what == Change::Remove && form.get("confirm") != "yes" {
        let known = state.run({
            let login = login.clone();
            move |db| Ok((db.admin(&login)?.is_some(), service::reports::names(db)?.0))
        });
        return match known.await {
            Ok((true, names)) => {
                let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
                page(StatusCode::OK, view::remove_user_confirm(&ctx, &login))
            }
            Ok((false, _)) => {
                let notice = Notice::Mistake(StatusCode::NOT_FOUND, format!("Нет пользователя «{login}»."));
                show(State(state), session, notice).await.into_response()
            }
            Err(e) => e.into_response(),
        };
    }
    let actor = session.actor();
    let result = state.run(move |db| service::admins::change(db, &actor, &login, what, true)).await;
    settle(result, done, |notice| async move { show(State(state), session, notice).await }).await
}

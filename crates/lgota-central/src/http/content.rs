//! Content packs (`/content`, administrators): upload a signed pack (checked as a phone will
//! check it), then publish it.

use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::error::AppError;
use super::extract::{AdminOnly, CsrfForm, CsrfUpload};
use super::state::{page, settle, AppState, Ctx, Notice, Session};
use crate::http::views::manage_pages as view;
use crate::service;
use crate::store::ReferenceName;

/// The largest content pack the dashboard accepts.
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/content", get(content).post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)))
        .route("/content/publish", post(publish))
}

/// The page: the published version, the uploaded packs; after a form's mistake, its message.
async fn content(
    State(state): State<AppState>,
    AdminOnly(session): AdminOnly,
    notice: Notice,
) -> Result<Response, AppError> {
    let (published, uploads, names) = state
        .run(|db| {
            Ok((
                db.reference(ReferenceName::Content)?.map(|(v, _)| v),
                db.content_uploads(50)?,
                service::reports::names(db)?.0,
            ))
        })
        .await?;
    let app_keys: Vec<String> = lgota_domain::content::trusted_keys().into_iter().map(|k| k.key_id).collect();
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(notice.status(), view::content(&ctx, published, &uploads, &app_keys, notice.done(), notice.error())))
}

async fn again(state: AppState, session: Session, error: &str) -> Response {
    content(State(state), AdminOnly(session), Notice::mistake(error)).await.into_response()
}

async fn upload(State(state): State<AppState>, CsrfUpload(session, upload): CsrfUpload<MAX_UPLOAD_BYTES>) -> Response {
    if let Some(e) = upload.error {
        return again(state, session, &e).await;
    }
    let Some((_, file, bytes)) = upload.files.into_iter().next() else {
        return again(state, session, "Выберите файл пакета инструкций.").await;
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return again(state, session, "Файл не в кодировке UTF-8: это не пакет инструкций.").await;
    };
    let (actor, trusted) = (session.actor(), state.dashboard.trusted_keys.clone());
    let result = state.run(move |db| service::content::upload(db, &actor, &file, &text, &trusted)).await;
    settle(result, "/content?done=uploaded", |notice| content(State(state), AdminOnly(session), notice)).await
}

async fn publish(State(state): State<AppState>, CsrfForm(session, form): CsrfForm) -> Response {
    let id = form.get("id").to_string();
    let (actor, trusted) = (session.actor(), state.dashboard.trusted_keys.clone());
    let result = state.run(move |db| service::content::publish_upload(db, &actor, &id, &trusted)).await;
    settle(result, "/content?done=published", |notice| content(State(state), AdminOnly(session), notice)).await
}

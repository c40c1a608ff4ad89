//! The phones' app from the central server (issue 17): `/app` (administrators) uploads the signed
//! APK; `/app/download` (public: a librarian opens it on the phone by the QR code) shows the
//! newest version with its size and SHA-256; `/app/lgota.apk` is the file.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;

use super::error::AppError;
use super::extract::{AdminOnly, CsrfUpload};
use super::state::{page, settle, AppState, Ctx, Notice, Session};
use crate::http::views::app_pages as view;
use crate::service::{self, app::MAX_APK_BYTES};

/// Administrators: the upload page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/app", get(app).post(upload).layer(DefaultBodyLimit::max(MAX_APK_BYTES + 64 * 1024)))
}

/// Anyone: the download page ([`service::app::DOWNLOAD_PAGE`]) and the file
/// ([`service::app::APK_PATH`]).
pub fn public_routes() -> Router<AppState> {
    Router::new().route(service::app::DOWNLOAD_PAGE, get(download_page)).route(service::app::APK_PATH, get(apk))
}

fn download_url(state: &AppState) -> String {
    format!("{}{}", state.dashboard.public_url, service::app::DOWNLOAD_PAGE)
}

fn qr_uri(payload: &str) -> Result<String, AppError> {
    let png = service::devices::qr_png_bytes(payload)?;
    Ok(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)))
}

async fn app(
    State(state): State<AppState>,
    AdminOnly(session): AdminOnly,
    notice: Notice,
) -> Result<Response, AppError> {
    let (releases, names) = state.run(|db| Ok((db.app_releases(10)?, service::reports::names(db)?.0))).await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    let url = download_url(&state);
    let qr = qr_uri(&url)?;
    Ok(page(notice.status(), view::app(&ctx, &releases, &url, &qr, notice.done(), notice.error())))
}

async fn again(state: AppState, session: Session, error: &str) -> Response {
    app(State(state), AdminOnly(session), Notice::mistake(error)).await.into_response()
}

async fn upload(State(state): State<AppState>, CsrfUpload(session, upload): CsrfUpload<MAX_APK_BYTES>) -> Response {
    if let Some(e) = upload.error {
        return again(state, session, &e).await;
    }
    let version = upload.field("version").to_string();
    let Some((_, _, bytes)) = upload.files.into_iter().next() else {
        return again(state, session, "Выберите файл приложения (APK).").await;
    };
    let actor = session.actor();
    let result = state.run(move |db| service::app::upload(db, &actor, &version, &bytes)).await;
    settle(result, "/app?done=app", |notice| app(State(state), AdminOnly(session), notice)).await
}

async fn download_page(State(state): State<AppState>) -> Result<Response, AppError> {
    let latest = state.run(service::app::latest).await?;
    let url = download_url(&state);
    let qr = qr_uri(&url)?;
    let status = if latest.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok(page(status, view::download(latest.as_ref(), &url, &qr)))
}

async fn apk(State(state): State<AppState>) -> Result<Response, AppError> {
    let (release, bytes) = state.run(service::app::latest_file).await?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.android.package-archive"));
    let disposition = format!("attachment; filename=\"lgota-{}.apk\"", release.version);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&release.sha256) {
        h.insert("x-content-sha256", v);
    }
    Ok(response)
}

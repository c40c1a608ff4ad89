//! Import of phone exports (`/import`, administrators): one or several files at once, each taken
//! with the rules of a push; the page says what became of each file.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::error::AppError;
use super::extract::{AdminOnly, CsrfUpload};
use super::state::{page, AppState, Ctx};
use crate::http::views::manage_pages as view;
use crate::service::{self, import::ImportResult};

/// The largest phone export file the import page takes: 100,000 records are about 45 MB.
pub const MAX_IMPORT_FILE_BYTES: usize = 128 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/import", get(form).post(import).layer(DefaultBodyLimit::max(2 * MAX_IMPORT_FILE_BYTES)))
}

async fn form(State(state): State<AppState>, AdminOnly(session): AdminOnly) -> Result<Response, AppError> {
    let names = state.run(|db| Ok(service::reports::names(db)?.0)).await?;
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(StatusCode::OK, view::import(&ctx, &[], None)))
}

async fn import(
    State(state): State<AppState>,
    CsrfUpload(session, upload): CsrfUpload<MAX_IMPORT_FILE_BYTES>,
) -> Result<Response, AppError> {
    let actor = session.actor();
    let (results, error, names) = state
        .run(move |db| {
            let names = service::reports::names(db)?.0;
            if let Some(e) = upload.error {
                return Ok((Vec::new(), Some(e), names));
            }
            if upload.files.is_empty() {
                return Ok((
                    Vec::new(),
                    Some("Выберите один или несколько файлов выгрузки с телефонов.".into()),
                    names,
                ));
            }
            let mut results = Vec::new();
            for (_, file, bytes) in upload.files {
                let outcome = match service::import::import_file(db, &actor, &file, &bytes) {
                    Ok(intake) => Ok(intake),
                    Err(e) if e.is_callers() => Err(e.message),
                    Err(e) => return Err(e),
                };
                results.push(ImportResult { file, outcome });
            }
            Ok((results, None, names))
        })
        .await?;
    let status = if error.is_some() || results.iter().any(|r| r.outcome.is_err()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = Ctx { session: &session, names: &names, tz: state.dashboard.tz };
    Ok(page(status, view::import(&ctx, &results, error.as_deref())))
}

//! Downloads: the records of a filter as CSV and XLSX, the monthly summary of a year as XLSX.
//! Each is audited (who took which period); a branch head gets only their branch.

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use lgota_protocol::codes;
use serde::Deserialize;

use super::error::AppError;
use super::extract::{Filtered, SignedIn};
use super::state::AppState;
use crate::http::views::filter::Parsed;
use crate::http::views::pages::{self, Names, Period};
use crate::http::views::{csv, xlsx};
use crate::report::month_ranges;
use crate::service::reports::Format;
use crate::service::{self, Kind};
use crate::store::RecordFilter;

/// The totals' download: every signed-in user.
pub fn routes() -> Router<AppState> {
    Router::new().route("/export/summary.xlsx", get(export_summary_xlsx))
}

/// The records' downloads: those who may see records (the router's `RecordsReader` layer).
pub fn record_routes() -> Router<AppState> {
    Router::new().route("/export/records.csv", get(export_csv)).route("/export/records.xlsx", get(export_xlsx))
}

/// The start of an export request (same filter and branch confinement as the overview): counted,
/// audited (an XLSX too large for a sheet refused here, before any work), with the names.
async fn export_start(
    state: &AppState,
    filtered: Filtered,
    format: Format,
) -> Result<(Period, RecordFilter, Names), AppError> {
    let Filtered { session, parsed: Parsed { period, filter, .. }, error } = filtered;
    if let Some(e) = error {
        return Err(AppError::new(Kind::Invalid, codes::INVALID_REQUEST, e).titled("Неверный фильтр"));
    }
    let (actor, dates) = (session.actor(), (pages::ru_date(period.from), pages::ru_date(period.to)));
    let f = filter.clone();
    let (_, names) = state
        .run(move |db| service::reports::export_start(db, &actor, &f, (&dates.0, &dates.1), format))
        .await
        .map_err(|e| {
            if e.code == codes::TOO_MANY_ROWS {
                e.titled("Слишком много строк для Excel")
            } else {
                e
            }
        })?;
    Ok((period, filter, names))
}

fn records_file(period: &Period, extension: &str) -> String {
    format!("lgota-{}-{}.{extension}", period.from.format("%Y%m%d"), period.to.format("%Y%m%d"))
}

/// A download: `body` as an attachment named `file`.
fn attachment(body: impl IntoResponse, content_type: &'static str, file: &str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// The body of a streamed download: what a blocking task sends down a short channel (so the
/// file is never whole in memory and a slow reader slows the reading of the database).
struct Chunks(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// The CSV, streamed: the header, then a chunk of lines per chunk the store reads.
async fn export_csv(State(state): State<AppState>, filtered: Filtered) -> Result<Response, AppError> {
    let (period, filter, mut names) = export_start(&state, filtered, Format::Csv).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let (db, tz) = (state.db.clone(), state.dashboard.tz);
    tokio::task::spawn_blocking(move || {
        if tx.blocking_send(Ok(Bytes::from(csv::head()))).is_err() {
            return;
        }
        let sent = service::reports::export_each(db.as_ref(), &filter, &mut names, &mut |chunk, names| {
            tx.blocking_send(Ok(Bytes::from(csv::lines(&chunk, names, tz)))).is_ok()
        });
        if let Err(e) = sent {
            // The status is gone already: the download ends broken rather than short but whole.
            tracing::error!(error = %e, "CSV export cut off");
            let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    Ok(attachment(Body::from_stream(Chunks(rx)), "text/csv; charset=utf-8", &records_file(&period, "csv")))
}

/// Builds a file off the async threads.
async fn build<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, AppError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(AppError::internal(e)),
        Err(e) => Err(AppError::internal(e)),
    }
}

async fn export_xlsx(State(state): State<AppState>, filtered: Filtered) -> Result<Response, AppError> {
    let (period, filter, mut names) = export_start(&state, filtered, Format::Xlsx).await?;
    let (records, names) = state
        .run(move |db| {
            let records = service::reports::export_records(db, &filter, &mut names)?;
            Ok((records, names))
        })
        .await?;
    let tz = state.dashboard.tz;
    let file = build(move || xlsx::records(&records, &names, tz)).await?;
    Ok(attachment(file, xlsx::CONTENT_TYPE, &records_file(&period, "xlsx")))
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<String>,
}

/// `YYYY` between 2000 and 2100; none or empty is the current year.
fn parse_year(year: Option<&str>, tz: chrono_tz::Tz) -> Result<i32, AppError> {
    match year.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Period::current_month(tz).from.year()),
        Some(s) => s.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(|| {
            AppError::new(Kind::Invalid, codes::INVALID_REQUEST, "Год должен быть числом от 2000 до 2100.")
                .titled("Неверный год")
        }),
    }
}

async fn export_summary_xlsx(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let tz = state.dashboard.tz;
    let year = parse_year(query.year.as_deref(), tz)?;
    let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return Err(AppError::internal("year out of range"));
    };
    let (from_ms, to_ms) = Period { from, to }.utc_ms(tz);
    let actor = session.actor();
    // A branch head is confined to their branch.
    let filter =
        RecordFilter { from_ms, to_ms, branch_id: actor.role.branch().map(str::to_string), ..Default::default() };
    let months = month_ranges(year, tz);
    let (summary, names, branches) =
        state.run(move |db| service::reports::export_summary(db, &actor, year, &filter, &months)).await?;
    let file = build(move || xlsx::summary(year, &summary, &branches, &names)).await?;
    tracing::info!(login = session.admin.login, year, "monthly summary exported (XLSX)");
    Ok(attachment(file, xlsx::CONTENT_TYPE, &format!("lgota-svodka-{year}.xlsx")))
}

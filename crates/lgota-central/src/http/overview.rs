//! The overview (`/`): the figures of a period with charts, the trend and the newest records;
//! the same figures as JSON (`/admin/api/overview`); the records page (`/records`) behind them.
//! A branch head sees only their branch whatever they ask for.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use lgota_protocol::codes;

use super::error::AppError;
use super::extract::Filtered;
use super::state::{page, AppState};
use crate::http::views::filter::Parsed;
use crate::http::views::pages::{self, OverviewView, Period};
use crate::http::views::records::{self, RecordsView, PAGE_SIZE};
use crate::report::TrendCounts;
use crate::service::{self, Kind};

/// How many of the newest records the overview lists.
pub const RECENT: u32 = 20;

/// The totals: every signed-in user.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(overview)).route("/admin/api/overview", get(api_overview))
}

/// The individual records: those who may see them (the router's `RecordsReader` layer).
pub fn record_routes() -> Router<AppState> {
    Router::new().route("/records", get(records_page))
}

async fn overview(State(state): State<AppState>, filtered: Filtered) -> Result<Response, AppError> {
    let Filtered { session, parsed: Parsed { period, filter, trend: trend_asked, .. }, error } = filtered;
    let tz = state.dashboard.tz;
    let trend_unit = pages::trend_unit(&period, trend_asked);
    let stretches = pages::trend_stretches(&period, trend_unit);
    let bounds: Vec<(i64, i64)> = stretches.iter().map(|p| p.utc_ms(tz)).collect();
    let f = filter.clone();
    let records = session.admin.sees_records();
    let (overview, trend, recent, (names, branch_ids, category_ids)) = state
        .run(move |db| {
            let overview = db.overview(&f)?;
            let mut names = service::reports::names(db)?;
            service::reports::name_events(db, &mut names.0, overview.by_event.iter().map(|(id, _)| id.as_str()))?;
            // The newest records only for those who may see records.
            let recent = if records { db.export_records(&f, Some(RECENT))? } else { Vec::new() };
            service::reports::name_record_events(db, &mut names.0, &recent)?;
            Ok((overview, db.trend(&f, &bounds)?, recent, names))
        })
        .await?;
    let trend: Vec<(Period, TrendCounts)> = stretches.into_iter().zip(trend).collect();
    let error = error.as_deref();
    let view = OverviewView {
        admin: &session.admin,
        csrf: &session.csrf,
        period,
        branch: filter.branch_id.as_deref().filter(|_| session.admin.role.branch().is_none()),
        category: filter.category_id.as_deref(),
        error,
        names: &names,
        branch_ids: &branch_ids,
        category_ids: &category_ids,
        tz,
        filter: &filter,
        trend_asked,
        trend_unit,
        trend: &trend,
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok(page(status, pages::overview_page(&view, &overview, &recent)))
}

async fn api_overview(State(state): State<AppState>, filtered: Filtered) -> Result<Response, AppError> {
    let Filtered { parsed: Parsed { filter, .. }, error, .. } = filtered;
    if let Some(e) = error {
        return Err(AppError::new(Kind::Invalid, codes::INVALID_REQUEST, e));
    }
    Ok(Json(state.run(move |db| Ok(db.overview(&filter)?)).await?).into_response())
}

/// The valid checks behind a figure, newest first, [`PAGE_SIZE`] a page (keyset paging by
/// `(created_at_ms, id)`), with the full filter; a bad filter value is a 400 page with the reason.
async fn records_page(State(state): State<AppState>, filtered: Filtered) -> Result<Response, AppError> {
    let tz = state.dashboard.tz;
    let Filtered { session, parsed, error } = filtered;
    let (f, before, fetch) = (parsed.filter.clone(), parsed.before.clone(), error.is_none());
    let (total, mut records, (names, branch_ids, category_ids)) = state
        .run(move |db| {
            let mut names = service::reports::names(db)?;
            if !fetch {
                return Ok((0, Vec::new(), names));
            }
            // One more than a page tells whether there is a next page.
            let page = db.checks_page(&f, before.as_ref(), PAGE_SIZE + 1)?;
            service::reports::name_events(db, &mut names.0, page.iter().filter_map(|r| r.record.event_id.as_deref()))?;
            Ok((db.check_count(&f)?, page, names))
        })
        .await?;
    let next = if records.len() > PAGE_SIZE as usize {
        records.truncate(PAGE_SIZE as usize);
        records.last().map(|r| format!("{}.{}", r.record.created_at_ms, r.record.id))
    } else {
        None
    };
    let view = RecordsView {
        admin: &session.admin,
        csrf: &session.csrf,
        parsed: &parsed,
        error: error.as_deref(),
        names: &names,
        branch_ids: &branch_ids,
        category_ids: &category_ids,
        tz,
        total,
        records: &records,
        next,
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok(page(status, records::render(&view)))
}

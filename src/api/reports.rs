//! Reports over HTTP. `format=csv` gives the same rows as a spreadsheet
//! can open (UTF-8 with a byte-order mark, so Excel reads the Chinese).

use super::error::{ApiError, ApiResult};
use super::extract::{ApiQuery, CurrentUser};
use crate::app::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Query of the reserved-share report.
#[derive(Deserialize)]
pub struct ReservedShareQuery {
    year: Option<i32>,
    format: Option<String>,
}

/// `GET /api/v1/reports/agencies/{org_id}/reserved-share?year=&format=json|csv`
pub async fn reserved_share(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(org_id): Path<String>,
    ApiQuery(q): ApiQuery<ReservedShareQuery>,
) -> ApiResult<Response> {
    let org_id = crate::ids::parse(&org_id).ok_or(ApiError::NotFound("agency"))?;
    let year = q.year.unwrap_or_else(|| crate::time::china_today().year());
    let mut errors = crate::validation::FieldErrors::default();
    if !(2000..=2100).contains(&year) {
        errors.add("year", crate::validation::Problem::Year { from: 2000, to: 2100 });
    }
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        errors.add("format", crate::validation::Problem::Choice(&["json", "csv"]));
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    if !crate::reports::may_read_agency(&state.db, &actor, org_id).await? {
        return Err(ApiError::NotFound("agency"));
    }
    let report = crate::reports::reserved_share(&state.db, org_id, year).await?.ok_or(ApiError::NotFound("agency"))?;
    if format == "csv" {
        let mut csv = String::from("\u{feff}month,counted_yuan\n");
        for m in &report.months {
            csv.push_str(&format!("{},{}\n", m.month, m.counted_fen.yuan_text()));
        }
        csv.push_str(&format!("total,{}\ntarget,{}\n", report.counted_fen.yuan_text(), report.target_fen.yuan_text()));
        let disposition = format!("attachment; filename=\"reserved-share-{year}.csv\"");
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], csv)
            .into_response());
    }
    Ok(axum::Json(report).into_response())
}

/// Query of the pledge report: a `year`, or `from` and `to` within one
/// year (China dates, both included).
#[derive(Deserialize)]
pub struct PledgeQuery {
    year: Option<i32>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// The period of a pledge report: the whole `year`, or `from`/`to`
/// ([`Period::parse`]: this China year by default), within one calendar
/// year (a pledge is a year's) — and `year`'s, when both are given.
/// Collects what is wrong.
fn pledge_period(
    year: Option<i32>,
    from: Option<&str>,
    to: Option<&str>,
    errors: &mut crate::validation::FieldErrors,
) -> Option<crate::reports::period::Period> {
    use crate::reports::period::Period;
    use crate::validation::Problem;
    if let Some(y) = year
        && !(2000..=2100).contains(&y)
    {
        errors.add("year", Problem::Year { from: 2000, to: 2100 });
        return None;
    }
    let period = match (year, from, to) {
        (Some(y), None, None) => Period::year(y),
        _ => Period::parse(from, to, errors)?,
    };
    if period.from.year() != period.to.year() || year.is_some_and(|y| y != period.from.year()) {
        errors.add("to", Problem::PeriodInOneYear);
        return None;
    }
    Some(period)
}

/// `GET /api/v1/reports/partners/{org_id}/pledge?year=|from=&to=&format=json`
/// → the partner city's pledge per paired region (direct and helped
/// purchase, by month). Its own people, the platform, and officials of a
/// paired region (who see the paired regions within theirs) may read it;
/// anyone else gets 404.
pub async fn pledge(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(org_id): Path<String>,
    ApiQuery(q): ApiQuery<PledgeQuery>,
) -> ApiResult<Response> {
    let org_id = crate::ids::parse(&org_id).ok_or(ApiError::NotFound("partner city"))?;
    let mut errors = crate::validation::FieldErrors::default();
    let period = pledge_period(q.year, q.from.as_deref(), q.to.as_deref(), &mut errors);
    // CSV and XLSX come with the streaming exports (src/reports/export.rs).
    if !matches!(q.format.as_deref().unwrap_or("json"), "json") {
        errors.add("format", crate::validation::Problem::Choice(&["json"]));
    }
    let Some(period) = period.filter(|_| errors.is_empty()) else { return Err(ApiError::Invalid(errors)) };
    let report = crate::reports::partners::pledge(&state.db, &actor, org_id, period).await?.ok_or(ApiError::NotFound("partner city"))?;
    Ok(axum::Json(report).into_response())
}

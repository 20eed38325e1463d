//! Reports over HTTP. `format=csv` and `format=xlsx` give the same rows as
//! files a spreadsheet opens, through the one export of every report
//! (`reports::export`, answered by `http::download`).

use super::error::{ApiError, ApiResult};
use super::extract::{ApiQuery, CurrentUser};
use crate::app::AppState;
use crate::reports::export::Format;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Query of the reserved-share report.
#[derive(Deserialize)]
pub struct ReservedShareQuery {
    year: Option<i32>,
    format: Option<String>,
}

/// `GET /api/v1/reports/agencies/{org_id}/reserved-share?year=&format=json|csv|xlsx`
pub async fn reserved_share(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    ApiQuery(q): ApiQuery<ReservedShareQuery>,
) -> ApiResult<Response> {
    let org_id = crate::ids::parse(&org_id).ok_or(ApiError::NotFound("agency"))?;
    let year = q.year.unwrap_or_else(|| crate::time::today().year());
    let mut errors = crate::validation::FieldErrors::default();
    if !(2000..=2100).contains(&year) {
        errors.add("year", crate::validation::Problem::Year { from: 2000, to: 2100 });
    }
    let format = Format::parse(q.format.as_deref()).unwrap_or_else(|problem| {
        errors.add("format", problem);
        Format::Json
    });
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    if !crate::reports::may_read_agency(&state.db, &actor, org_id).await? {
        return Err(ApiError::NotFound("agency"));
    }
    let report = crate::reports::reserved_share(&state.db, org_id, year).await?.ok_or(ApiError::NotFound("agency"))?;
    if format != Format::Json {
        return Ok(crate::http::download(crate::reports::reserved_share_export(&report), format, &headers).await?);
    }
    Ok(axum::Json(report).into_response())
}

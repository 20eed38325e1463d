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
    let year = q.year.unwrap_or_else(|| crate::time::today().year());
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

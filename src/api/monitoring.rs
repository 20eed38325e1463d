//! Monitoring over HTTP (监测帮扶): visits, the visit import, alerts and
//! the monitoring report. Officials act on and read their own region
//! (a household or alert elsewhere is 404, a region elsewhere 403); the
//! platform administrator reads everywhere, pseudonymously, and records
//! nothing.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, CurrentUser, PageParams, Paged};
use crate::app::AppState;
use crate::households::Viewer;
use crate::monitoring::{self, AckError, Alert, AlertFilter, NewVisit, Refusal, ReportQuery, Rules, Visit, VisitError};
use crate::regions::RegionCode;
use crate::validation::{FieldErrors, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

impl From<VisitError> for ApiError {
    fn from(e: VisitError) -> Self {
        match e {
            VisitError::Forbidden => ApiError::Forbidden(e.to_string()),
            VisitError::NotFound => ApiError::NotFound("household"),
            VisitError::Invalid(errors) => ApiError::Invalid(errors),
            VisitError::Db(e) => e.into(),
        }
    }
}

/// The region the caller reads, from `?region=`: checked, existing, and
/// one the caller may read.
async fn region_of(state: &AppState, actor: &crate::auth::Actor, asked: Option<&str>) -> ApiResult<Option<RegionCode>> {
    let asked = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => {
            let code =
                RegionCode::parse(text).map_err(|e| ApiError::Invalid(FieldErrors::one("region", Problem::RegionCode { text: e.0 })))?;
            if crate::regions::get(&state.db, code).await?.is_none() {
                return Err(ApiError::Invalid(FieldErrors::one("region", Problem::NoSuchRegion)));
            }
            Some(code)
        }
    };
    monitoring::readable_region(actor, asked).map_err(|r| match r {
        Refusal::NotAnOfficial => ApiError::Forbidden("only officials and platform administrators read monitoring".into()),
        Refusal::OutsideRegion => ApiError::Forbidden("officials read the monitoring of their own region only".into()),
    })
}

/// `POST /api/v1/households/{id}/visits` — an official of the household's
/// region records a visit → 201 with the household's colour afterwards.
pub async fn record_visit(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    ApiJson(visit): ApiJson<NewVisit>,
) -> ApiResult<(StatusCode, Json<Visit>)> {
    if actor.official_region().is_none() {
        return Err(VisitError::Forbidden.into());
    }
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("household"))?;
    let visit = monitoring::record_visit(&state.db, &Rules::of(&state.config), &actor, id, &visit).await?;
    Ok((StatusCode::CREATED, Json(visit)))
}

/// `POST /api/v1/households/visits/import` — multipart, field `file`: a
/// CSV or XLSX file of visits; all or none → 201 `{visits, households,
/// alerts}`, or 422 listing the bad rows, or 503 with `Retry-After` while
/// as many imports as may run at once are running.
pub async fn import_visits(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    mut form: axum::extract::Multipart,
) -> ApiResult<(StatusCode, Json<monitoring::ImportReport>)> {
    let region = actor.official_region().ok_or_else(|| ApiError::Forbidden("only officials import visits of their region".into()))?;
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(|e| ApiError::BadRequest(e.body_text()))? {
        if field.name() == Some("file") {
            let kind = crate::stock::FileKind::of(field.content_type().unwrap_or(""), field.file_name().unwrap_or(""));
            let bytes = field.bytes().await.map_err(|e| ApiError::BadRequest(e.body_text()))?;
            file = Some((kind, bytes));
        }
    }
    let Some((kind, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(ApiError::Invalid(FieldErrors::one(
            "file",
            Problem::Length { min: 1, max: crate::stock::upload::MAX_UPLOAD_BYTES as i64 },
        )));
    };
    let rules = Rules::of(&state.config);
    let report = monitoring::import_upload(&state.db, &state.imports, &rules, region, actor.id, kind, bytes).await?;
    tracing::info!(user.id = actor.id, visits = report.visits, "visits imported");
    Ok((StatusCode::CREATED, Json(report)))
}

/// Query of the alerts.
#[derive(Deserialize)]
pub struct AlertsQuery {
    region: Option<String>,
    state: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/alerts?region=&state=open|all&page=&per_page=` — the
/// alerts of households of a region, newest first.
pub async fn alerts(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> ApiResult<Json<Paged<Alert>>> {
    let page = PageParams { page: q.page, per_page: q.per_page }.check()?;
    let filter = match q.state.as_deref().unwrap_or("open") {
        "open" => AlertFilter::Open,
        "all" => AlertFilter::All,
        _ => return Err(ApiError::Invalid(FieldErrors::one("state", Problem::Choice(&["open", "all"])))),
    };
    let region = region_of(&state, &actor, q.region.as_deref()).await?;
    let viewer = Viewer::of(Some(&actor));
    let (items, total) = monitoring::alerts(&state.db, &viewer, region, filter, page.per_page, page.offset()).await?;
    Ok(Json(Paged::new(items, total, page)))
}

/// Body of an acknowledgement.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    note: String,
}

/// `POST /api/v1/alerts/{id}/ack` `{note}` — an official of the household's
/// region acknowledges an alert → 200; acknowledged already → 409 saying
/// by whom and when.
pub async fn acknowledge(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    ApiJson(ack): ApiJson<Ack>,
) -> ApiResult<Json<Alert>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("alert"))?;
    match monitoring::acknowledge(&state.db, &actor, id, &ack.note).await {
        Ok(alert) => Ok(Json(alert)),
        Err(e @ AckError::Forbidden) => Err(ApiError::Forbidden(e.to_string())),
        Err(AckError::NotFound) => Err(ApiError::NotFound("alert")),
        Err(AckError::Invalid(errors)) => Err(ApiError::Invalid(errors)),
        Err(AckError::Already(alert)) => Err(ApiError::Conflict {
            title: "Already Acknowledged",
            detail: format!(
                "the alert was acknowledged already by {} at {}",
                alert.acknowledged_by.as_deref().unwrap_or("?"),
                alert.acknowledged_at.as_deref().unwrap_or("?")
            ),
            errors: FieldErrors::default(),
        }),
        Err(AckError::Db(e)) => Err(e.into()),
    }
}

/// Query of the monitoring report.
#[derive(Deserialize)]
pub struct ReportQueryParams {
    region: Option<String>,
    year: Option<i32>,
    format: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/reports/monitoring?region=&year=&page=&per_page=` — counts
/// per colour (and per child region, and last year's), the red and orange
/// households a page at a time, and the villages overdue for their weekly
/// visit.
pub async fn report(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<ReportQueryParams>,
) -> ApiResult<axum::response::Response> {
    use crate::reports::export::Format;
    use axum::response::IntoResponse;
    let page = PageParams { page: q.page, per_page: q.per_page }.check()?;
    let today = crate::time::china_today();
    let year = q.year.unwrap_or(today.year());
    let mut errors = FieldErrors::default();
    if !(2000..=2100).contains(&year) {
        errors.add("year", Problem::Year { from: 2000, to: 2100 });
    }
    let format = Format::parse(q.format.as_deref()).unwrap_or_else(|problem| {
        errors.add("format", problem);
        Format::Json
    });
    errors.into_result().map_err(ApiError::Invalid)?;
    let region = region_of(&state, &actor, q.region.as_deref()).await?;
    let line = Rules::of(&state.config).line(year);
    let viewer = Viewer::of(Some(&actor));
    if format != Format::Json {
        // The file lists every red and orange household (up to a bound),
        // not a page of them.
        let query = ReportQuery { region, year, line, page: 1, per_page: monitoring::report::MAX_EXPORTED, today };
        let report = monitoring::report(&state.db, &viewer, &query).await?;
        let export = monitoring::report::export(&report, crate::http::export_language(&headers));
        return Ok(crate::http::download(export, format, &headers).await?);
    }
    let query = ReportQuery { region, year, line, page: page.page, per_page: page.per_page, today };
    Ok(Json(monitoring::report(&state.db, &viewer, &query).await?).into_response())
}

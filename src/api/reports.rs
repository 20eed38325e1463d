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
    let year = q.year.unwrap_or_else(|| crate::time::china_today().year());
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

/// `GET /api/v1/reports/partners/{org_id}/pledge?year=|from=&to=&format=json|csv|xlsx`
/// → the partner city's pledge per paired region (direct and helped
/// purchase, by month). Its own people, the platform, and officials of a
/// paired region (who see the paired regions within theirs) may read it;
/// anyone else gets 404.
pub async fn pledge(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    ApiQuery(q): ApiQuery<PledgeQuery>,
) -> ApiResult<Response> {
    let org_id = crate::ids::parse(&org_id).ok_or(ApiError::NotFound("partner city"))?;
    let mut errors = crate::validation::FieldErrors::default();
    let period = pledge_period(q.year, q.from.as_deref(), q.to.as_deref(), &mut errors);
    let format = Format::parse(q.format.as_deref()).unwrap_or_else(|problem| {
        errors.add("format", problem);
        Format::Json
    });
    let Some(period) = period.filter(|_| errors.is_empty()) else { return Err(ApiError::Invalid(errors)) };
    let report = crate::reports::partners::pledge(&state.db, &actor, org_id, period).await?.ok_or(ApiError::NotFound("partner city"))?;
    if format != Format::Json {
        return Ok(crate::http::download(crate::reports::partners::pledge_export(&report), format, &headers).await?);
    }
    Ok(axum::Json(report).into_response())
}

// ---- households, regions, cooperatives (issue 13) ----

use crate::households::{Status, Viewer};
use crate::regions::{RegionCode, RegionLevel};
use crate::reports::period::Period;
use crate::reports::{cooperatives, households, regions};
use crate::validation::{FieldErrors, Problem};

/// Reads an optional region code field.
fn region_field(errors: &mut FieldErrors, field: &str, text: Option<&str>) -> Option<RegionCode> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    RegionCode::parse(text).map_err(|e| errors.add(field, Problem::RegionCode { text: e.0 })).ok()
}

/// Query of the households report.
#[derive(Deserialize)]
pub struct HouseholdsQuery {
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
    status: Option<String>,
    cooperative: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
    format: Option<String>,
}

/// The households report's page as JSON.
#[derive(serde::Serialize)]
pub struct HouseholdsPage {
    /// First day.
    from: String,
    /// Last day.
    to: String,
    /// The sort applied.
    sort: &'static str,
    /// This page's rows.
    items: Vec<households::Row>,
    /// Rows in all pages.
    total: i64,
    /// This page.
    page: i64,
    /// Page size.
    per_page: i64,
    /// Totals over all rows.
    totals: households::Totals,
}

/// `GET /api/v1/reports/households?from=&to=&region=&status=&cooperative=&sort=&page=&per_page=`
pub async fn households(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<HouseholdsQuery>,
) -> ApiResult<Response> {
    let scope = households::Scope::of(&actor)
        .ok_or_else(|| ApiError::Forbidden("only cooperative managers, officials and the platform read the households report".into()))?;
    let page = super::extract::PageParams { page: q.page, per_page: q.per_page }.check()?;
    let mut errors = FieldErrors::default();
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), &mut errors);
    let region = region_field(&mut errors, "region", q.region.as_deref());
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Status::parse(s).or_else(|| {
            errors.add("status", Problem::Choice(&["registered_poor", "monitored", "edge", "lifted", "none"]));
            None
        }),
    };
    let cooperative = match q.cooperative.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => crate::ids::parse(c).or_else(|| {
            errors.add("cooperative", Problem::NoSuchCooperative);
            None
        }),
    };
    let sort = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        None => households::Sort::default(),
        Some(s) => households::Sort::parse(s).unwrap_or_else(|| {
            errors.add("sort", Problem::Choice(households::Sort::NAMES));
            households::Sort::default()
        }),
    };
    let format = format_of(&mut errors, q.format.as_deref());
    let Some(period) = period else { return Err(ApiError::Invalid(errors)) };
    errors.into_result().map_err(ApiError::Invalid)?;
    let query = households::Query { period, region, status, cooperative, sort };
    let viewer = Viewer::of(Some(&actor));
    if format != Format::Json {
        let lang = crate::http::export_language(&headers);
        let export = households::export(&state.db, viewer, scope, &query, lang).await?;
        return Ok(crate::http::download(export, format, &headers).await?);
    }
    let (items, totals) = households::page(&state.db, &viewer, scope, &query, page.per_page, page.offset()).await?;
    let ymd = crate::time::format_date;
    Ok(axum::Json(HouseholdsPage {
        from: ymd(period.from),
        to: ymd(period.to),
        sort: sort.name(),
        items,
        total: totals.households,
        page: page.page,
        per_page: page.per_page,
        totals,
    })
    .into_response())
}

/// Query of one household's report.
#[derive(Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/v1/reports/households/{id}?from=&to=`: one household, by
/// month and by cooperative. Outside the caller's scope: 404.
pub async fn household(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Response> {
    let scope = households::Scope::of(&actor).ok_or(ApiError::NotFound("household"))?;
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("household"))?;
    let mut errors = FieldErrors::default();
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), &mut errors);
    let Some(period) = period else { return Err(ApiError::Invalid(errors)) };
    let viewer = Viewer::of(Some(&actor));
    let report = households::one(&state.db, &viewer, scope, id, period).await?.ok_or(ApiError::NotFound("household"))?;
    Ok(axum::Json(report).into_response())
}

/// Query of the regional rollup.
#[derive(Deserialize)]
pub struct RegionsQuery {
    from: Option<String>,
    to: Option<String>,
    parent: Option<String>,
    level: Option<String>,
    by: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/reports/regions?parent=&level=&from=&to=&by=month`: the
/// regions of `level` (default: one below the parent) inside `parent`
/// (default: the caller's own region).
pub async fn regions(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<RegionsQuery>,
) -> ApiResult<Response> {
    let reach = regions::reach_of(&state.db, &actor)
        .await?
        .ok_or_else(|| ApiError::Forbidden("only officials, partner cities and the platform read regional reports".into()))?;
    let mut errors = FieldErrors::default();
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), &mut errors);
    let parent = region_field(&mut errors, "parent", q.parent.as_deref()).or(reach.home());
    let level = match q.level.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(l) => RegionLevel::parse(l).or_else(|| {
            errors.add("level", Problem::Choice(&["province", "prefecture", "county", "township", "village"]));
            None
        }),
    };
    let by_month = match q.by.as_deref().filter(|s| !s.is_empty()) {
        None => false,
        Some("month") => true,
        Some(_) => {
            errors.add("by", Problem::Choice(&["month"]));
            false
        }
    };
    let format = format_of(&mut errors, q.format.as_deref());
    let parent_level = parent.map(|p| p.level());
    let level = level.or_else(|| match parent_level {
        None => Some(RegionLevel::Province),
        Some(l) => l.below(),
    });
    let level = match (level, parent_level) {
        (Some(l), Some(p)) if l <= p => {
            errors.add("level", Problem::LevelBelowParent);
            None
        }
        (None, _) => {
            errors.add("parent", Problem::LevelBelowParent);
            None
        }
        (l, _) => l,
    };
    let (Some(period), Some(level)) = (period, level) else { return Err(ApiError::Invalid(errors)) };
    errors.into_result().map_err(ApiError::Invalid)?;
    let allowed = match parent {
        Some(p) => reach.covers(p),
        None => reach == regions::Reach::All,
    };
    if !allowed {
        return Err(ApiError::NotFound("region"));
    }
    if let Some(p) = parent
        && crate::regions::get(&state.db, p).await?.is_none()
    {
        return Err(ApiError::NotFound("region"));
    }
    let report = regions::report(&state.db, parent, level, period, by_month).await?;
    if format != Format::Json {
        let export = regions::export(&report, crate::http::export_language(&headers));
        return Ok(crate::http::download(export, format, &headers).await?);
    }
    Ok(axum::Json(report).into_response())
}

/// Query of the cooperatives report.
#[derive(Deserialize)]
pub struct CooperativesQuery {
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/reports/cooperatives?region=&from=&to=`
pub async fn cooperatives(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CooperativesQuery>,
) -> ApiResult<Response> {
    let scope = cooperatives::Scope::of(&actor)
        .ok_or_else(|| ApiError::Forbidden("only cooperative managers, officials and the platform read the cooperatives report".into()))?;
    let mut errors = FieldErrors::default();
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), &mut errors);
    let region = region_field(&mut errors, "region", q.region.as_deref());
    let format = format_of(&mut errors, q.format.as_deref());
    let Some(period) = period else { return Err(ApiError::Invalid(errors)) };
    errors.into_result().map_err(ApiError::Invalid)?;
    let report = cooperatives::report(&state.db, scope, region, period).await?;
    if format != Format::Json {
        let export = cooperatives::export(&report, crate::http::export_language(&headers));
        return Ok(crate::http::download(export, format, &headers).await?);
    }
    Ok(axum::Json(report).into_response())
}

/// `format=json|csv|xlsx` (JSON when left out); anything else is named.
fn format_of(errors: &mut FieldErrors, format: Option<&str>) -> Format {
    Format::parse(format).unwrap_or_else(|problem| {
        errors.add("format", problem);
        Format::Json
    })
}

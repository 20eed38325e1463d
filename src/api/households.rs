//! `GET /api/v1/households` and `POST /api/v1/households`. Register numbers
//! and head names only reach the household's cooperative and officials of
//! its region (invariant 7); everyone else gets the pseudonymous code.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, CurrentUser, PageParams, Paged};
use crate::app::AppState;
use crate::auth::Role;
use crate::households::{self, CreateError, Filter, Household, NewHousehold, Scope, Status, Viewer};
use crate::regions::RegionCode;
use crate::validation::{FieldErrors, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

/// Query of the listing.
#[derive(Deserialize)]
pub struct ListQuery {
    village: Option<String>,
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The households the caller may list: a cooperative manager its members,
/// an official those of the own region, a platform admin all
/// (pseudonymous).
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<Household>>> {
    let scope = if let Some(coop) = actor.managed_cooperative() {
        Scope::Members(coop)
    } else if let Some(region) = actor.official_region() {
        Scope::Region(region)
    } else if actor.has(Role::PlatformAdmin) {
        Scope::All
    } else {
        return Err(ApiError::Forbidden("only cooperative managers, officials and platform administrators list households".into()));
    };
    let page = PageParams { page: q.page, per_page: q.per_page }.check()?;
    let mut errors = FieldErrors::default();
    let region = match q.village.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => RegionCode::parse(v).map_err(|e| errors.add("village", Problem::RegionCode { text: e.0 })).ok(),
    };
    let status = match q.status.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(s) => Status::parse(s).or_else(|| {
            errors.add("status", Problem::Choice(&["registered_poor", "monitored", "edge", "lifted", "none"]));
            None
        }),
    };
    errors.into_result().map_err(ApiError::Invalid)?;
    let viewer = Viewer::of(Some(&actor));
    let (items, total) = households::list(&state.db, &viewer, scope, &Filter { region, status }, page.per_page, page.offset()).await?;
    Ok(Json(Paged::new(items, total, page)))
}

/// Registers a member household of the caller's cooperative → 201.
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiJson(h): ApiJson<NewHousehold>,
) -> ApiResult<(StatusCode, Json<Household>)> {
    let coop =
        actor.managed_cooperative().ok_or_else(|| ApiError::Forbidden("only a cooperative manager registers member households".into()))?;
    let village = RegionCode::parse(&actor.org.region_code).map_err(|e| ApiError::Internal(e.into()))?;
    match households::create(&state.db, coop, village, &h).await {
        Ok(h) => Ok((StatusCode::CREATED, Json(h))),
        Err(CreateError::Invalid(e)) => Err(ApiError::Invalid(e)),
        Err(CreateError::Db(e)) => Err(e.into()),
    }
}

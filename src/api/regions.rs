//! `GET /api/v1/regions/{code}` and `GET /api/v1/regions?parent=`.

use super::error::{ApiError, ApiResult};
use super::extract::ApiQuery;
use crate::app::AppState;
use crate::regions::{self, Region, RegionCode, RegionSummary};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

/// One region with its chain.
pub async fn get(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<Region>> {
    let code = RegionCode::parse(&code).map_err(|_| ApiError::NotFound("region"))?;
    regions::get(&state.db, code).await?.map(Json).ok_or(ApiError::NotFound("region"))
}

/// Query of the children listing.
#[derive(Deserialize)]
pub struct ChildrenQuery {
    parent: Option<String>,
}

/// The children of `parent`, or the provinces.
pub async fn children(State(state): State<AppState>, ApiQuery(q): ApiQuery<ChildrenQuery>) -> ApiResult<Json<serde_json::Value>> {
    let parent = match q.parent.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => {
            let code = RegionCode::parse(p).map_err(|e| {
                ApiError::Invalid(crate::validation::FieldErrors::one("parent", crate::validation::Problem::RegionCode { text: e.0 }))
            })?;
            if regions::get(&state.db, code).await?.is_none() {
                return Err(ApiError::NotFound("region"));
            }
            Some(code)
        }
    };
    let items: Vec<RegionSummary> = regions::children(&state.db, parent).await?;
    let total = items.len();
    Ok(Json(serde_json::json!({ "items": items, "total": total })))
}

//! `GET /api/v1/products` and `GET /api/v1/products/{id}`.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiQuery, PageParams, Paged};
use crate::app::AppState;
use crate::catalog::{self, ListQuery, Product};
use axum::Json;
use axum::extract::{Path, State};

/// One page of the catalogue.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Paged<Product>>> {
    let page = p.check()?;
    let q = ListQuery {
        limit: page.per_page,
        offset: page.offset(),
        ..ListQuery::default()
    };
    let (items, total) = catalog::list(&state.db, &q).await?;
    Ok(Json(Paged::new(items, total, page)))
}

/// One product.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Product>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("product"))?;
    catalog::get(&state.db, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("product"))
}

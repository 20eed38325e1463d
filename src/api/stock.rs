//! The cooperative's stock: lots, adjustments, history (API.md, Stock).
//! Only a cooperative manager, and only for the own cooperative.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, CurrentUser, PageParams, Paged};
use crate::app::AppState;
use crate::auth::Actor;
use crate::stock::{self, Adjustment, Lot, Movement, NewLot, StockError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

fn cooperative_of(actor: &Actor) -> ApiResult<i64> {
    actor.managed_cooperative().ok_or_else(|| ApiError::Forbidden("only a cooperative manager may manage stock".into()))
}

impl From<StockError> for ApiError {
    fn from(e: StockError) -> Self {
        match e {
            StockError::Invalid(errors) => ApiError::Invalid(errors),
            StockError::NotFound(what) => ApiError::NotFound(what),
            StockError::Forbidden => ApiError::Forbidden("this product belongs to another cooperative".into()),
            e @ StockError::BelowAllocated { .. } => {
                let mut errors = crate::validation::FieldErrors::default();
                errors.add("delta", e.to_string());
                ApiError::Conflict { title: "Below allocated stock", detail: e.to_string(), errors }
            }
            StockError::Db(e) => e.into(),
        }
    }
}

/// Query of the lots listing.
#[derive(Deserialize)]
pub struct LotsQuery {
    product_id: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/lots?product_id=` — the own cooperative's lots, first
/// expiry first. Another cooperative's product is a 403.
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(q): ApiQuery<LotsQuery>,
) -> ApiResult<Json<Paged<Lot>>> {
    let coop = cooperative_of(&actor)?;
    let page = PageParams { page: q.page, per_page: q.per_page }.check()?;
    let product = match q.product_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let id = crate::ids::parse(s).ok_or(ApiError::NotFound("product"))?;
            match stock::product_owner(&state.db, id).await? {
                None => return Err(ApiError::NotFound("product")),
                Some(owner) if owner != coop => {
                    return Err(ApiError::Forbidden("this product belongs to another cooperative".into()));
                }
                Some(_) => Some(id),
            }
        }
    };
    let (items, total) = stock::list(&state.db, coop, product, page.per_page, page.offset()).await?;
    Ok(Json(Paged::new(items, total, page)))
}

/// `POST /api/v1/lots` → 201 lot.
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiJson(lot): ApiJson<NewLot>,
) -> ApiResult<(StatusCode, Json<Lot>)> {
    let coop = cooperative_of(&actor)?;
    let lot = stock::create_lot(&state.db, coop, Some(actor.id), &lot).await?;
    tracing::info!(lot.id = lot.id, org.id = coop, "lot recorded");
    Ok((StatusCode::CREATED, Json(lot)))
}

/// `POST /api/v1/lots/{id}/adjustments` → 201 lot after the change.
pub async fn adjust(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    ApiJson(adj): ApiJson<Adjustment>,
) -> ApiResult<(StatusCode, Json<Lot>)> {
    let coop = cooperative_of(&actor)?;
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("lot"))?;
    let lot = stock::adjust(&state.db, coop, actor.id, id, &adj).await?;
    Ok((StatusCode::CREATED, Json(lot)))
}

/// `GET /api/v1/lots/{id}/history`.
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let coop = cooperative_of(&actor)?;
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("lot"))?;
    let items: Vec<Movement> = stock::history(&state.db, coop, id).await?;
    Ok(Json(serde_json::json!({ "items": items })))
}

impl From<stock::ImportError> for ApiError {
    fn from(e: stock::ImportError) -> Self {
        match e {
            stock::ImportError::Unreadable(m) => ApiError::BadRequest(m),
            stock::ImportError::OverBudget(over) => {
                let mut errors = crate::validation::FieldErrors::default();
                errors.add("file", over.to_string());
                ApiError::Invalid(errors)
            }
            e @ stock::ImportError::Busy { retry_after_secs } => {
                ApiError::Unavailable { detail: e.to_string(), retry_after_secs: retry_after_secs as i64 }
            }
            stock::ImportError::Rows { errors: rows, more_rows } => {
                let mut errors = crate::validation::FieldErrors::default();
                for r in rows {
                    errors.add(format!("row {}", r.row), r.message);
                }
                if more_rows > 0 {
                    errors.summarise_rest(
                        "more rows",
                        format!("and {more_rows} more rows have problems (only the first {} problems are listed)", stock::MAX_ROW_ERRORS),
                    );
                }
                ApiError::Invalid(errors)
            }
            stock::ImportError::Db(e) => e.into(),
        }
    }
}

/// `POST /api/v1/lots/import` — a CSV (`text/csv`) or XLSX body; all lots
/// or none → 201 `{lots, contributions, units}`, or 422 listing the bad
/// rows (the first [`stock::MAX_ROW_ERRORS`], then how many more) or the
/// limit the file goes over (`stock::upload` states them), or 503 with
/// `Retry-After` while as many imports as may run at once are running.
pub async fn import(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<stock::ImportReport>)> {
    let coop = cooperative_of(&actor)?;
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("text/csv");
    let report = stock::import_upload(&state.db, &state.imports, coop, actor.id, stock::FileKind::of(content_type, ""), body).await?;
    tracing::info!(org.id = coop, lots = report.lots, "lots imported");
    Ok((StatusCode::CREATED, Json(report)))
}

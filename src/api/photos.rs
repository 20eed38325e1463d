//! A product's photos through the API (issue 14 §3): `POST
//! /api/v1/products/{id}/photos` (multipart, field `file`) and `DELETE
//! /api/v1/products/{id}/photos/{photo_id}`, for the managers of the
//! product's cooperative. The same `catalog::photos` as the console's
//! upload: the limits of `bounds.rs`, the picture read off the async
//! runtime with a budget, metadata stripped, three WebP variants stored.

use super::error::{ApiError, ApiResult};
use super::extract::CurrentUser;
use crate::app::AppState;
use crate::catalog::Photo;
use crate::catalog::photos::{self, PhotoError};
use crate::validation::{FieldErrors, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// The product `id` names, if the actor manages its cooperative: 404 for
/// none, 403 for another cooperative's (products are public, so saying it
/// exists tells nothing).
async fn own_product(state: &AppState, actor: &crate::auth::Actor, id: &str) -> ApiResult<(i64, i64)> {
    let coop = actor.managed_cooperative().ok_or_else(|| ApiError::Forbidden("only a cooperative manager changes photos".into()))?;
    let id = crate::ids::parse(id).ok_or(ApiError::NotFound("product"))?;
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT cooperative_id FROM products WHERE id = $1").bind(id).fetch_optional(state.db.pool()).await?;
    match owner {
        None => Err(ApiError::NotFound("product")),
        Some(o) if o != coop => Err(ApiError::Forbidden("the product is another cooperative's".into())),
        Some(_) => Ok((coop, id)),
    }
}

/// A refused photo as the API answers it.
fn refused(e: PhotoError) -> ApiError {
    match e {
        PhotoError::Empty | PhotoError::TooManyPixels { .. } | PhotoError::Unreadable | PhotoError::TooSlow { .. } => {
            ApiError::Invalid(FieldErrors::one("file", Problem::Unreadable(e.to_string())))
        }
        PhotoError::WrongType => ApiError::UnsupportedMediaType(e.to_string()),
        PhotoError::TooLarge { .. } => ApiError::PayloadTooLarge(e.to_string()),
        PhotoError::TooMany { .. } | PhotoError::Duplicate => {
            ApiError::Conflict { title: "Conflict", detail: e.to_string(), errors: FieldErrors::default() }
        }
        PhotoError::Busy { retry_after_secs } => ApiError::Unavailable { detail: e.to_string(), retry_after_secs: retry_after_secs as i64 },
        PhotoError::NotFound => ApiError::NotFound("photo"),
        PhotoError::Io(e) => ApiError::Internal(e.into()),
        PhotoError::Db(e) => ApiError::Internal(e.into()),
    }
}

/// `POST /api/v1/products/{id}/photos` → 201 `{id, thumb_url, card_url,
/// full_url}`; the new photo goes last (the first is the cover).
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> ApiResult<(StatusCode, Json<Photo>)> {
    // Another cooperative's product is refused before its photo is read.
    let (coop, product) = own_product(&state, &actor, &id).await?;
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(|e| ApiError::BadRequest(e.body_text()))? {
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(|e| ApiError::BadRequest(e.body_text()))?);
        }
    }
    let processed = photos::process_upload(&state.imports, file.unwrap_or_default()).await.map_err(refused)?;
    let (key, width, height) = (processed.key.clone(), processed.width, processed.height);
    let photo_id = photos::add(&state.db, &state.config.photos_dir, coop, actor.id, product, processed).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(Photo { id: photo_id, product_id: product, key, width, height })))
}

/// `DELETE /api/v1/products/{id}/photos/{photo_id}` → 204.
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path((id, photo)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (coop, product) = own_product(&state, &actor, &id).await?;
    let photo = crate::ids::parse(&photo).ok_or(ApiError::NotFound("photo"))?;
    photos::delete(&state.db, &state.config.photos_dir, coop, product, photo).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

//! `GET /api/v1/products` (search with filters, facets, sorts) and
//! `GET /api/v1/products/{id}`.

use super::error::{ApiError, ApiResult};
use super::extract::ApiQuery;
use crate::app::AppState;
use crate::catalog::{self, Product};
use crate::search::{self, SearchPage, SearchParams};
use axum::Json;
use axum::extract::{Path, State};

/// `GET /api/v1/products` — search the catalogue.
pub async fn list(State(state): State<AppState>, ApiQuery(p): ApiQuery<SearchParams>) -> ApiResult<Json<SearchPage>> {
    Ok(Json(search::search_page(&state.db, &state.search, state.indexer.cards(), &p).await?))
}

impl From<search::SearchPageError> for ApiError {
    fn from(e: search::SearchPageError) -> Self {
        match e {
            search::SearchPageError::Invalid(errors) => ApiError::Invalid(errors),
            search::SearchPageError::Engine(e) => ApiError::Internal(e),
            search::SearchPageError::Db(e) => e.into(),
        }
    }
}

impl From<catalog::ChangeError> for ApiError {
    fn from(e: catalog::ChangeError) -> Self {
        match e {
            catalog::ChangeError::Invalid(errors) => ApiError::Invalid(errors),
            catalog::ChangeError::NotFound => ApiError::NotFound("product"),
            catalog::ChangeError::Forbidden => ApiError::Forbidden("only the cooperative's own manager changes its products".into()),
            catalog::ChangeError::Db(e) => e.into(),
        }
    }
}

/// `POST /api/v1/products` — a cooperative manager lists a product → 201.
pub async fn create(
    State(state): State<AppState>,
    super::extract::CurrentUser(actor): super::extract::CurrentUser,
    super::extract::ApiJson(p): super::extract::ApiJson<catalog::NewProduct>,
) -> ApiResult<(axum::http::StatusCode, Json<Product>)> {
    let coop = actor.managed_cooperative().ok_or_else(|| ApiError::Forbidden("only a cooperative manager lists products".into()))?;
    let id = catalog::create_checked(&state.db, coop, &p).await?;
    let product = catalog::get(&state.db, id).await?.ok_or(ApiError::NotFound("product"))?;
    Ok((axum::http::StatusCode::CREATED, Json(product)))
}

/// `PATCH /api/v1/products/{id}` — the owning cooperative's manager.
pub async fn update(
    State(state): State<AppState>,
    super::extract::CurrentUser(actor): super::extract::CurrentUser,
    Path(id): Path<String>,
    super::extract::ApiJson(patch): super::extract::ApiJson<catalog::ProductPatch>,
) -> ApiResult<Json<Product>> {
    let coop = actor.managed_cooperative().ok_or_else(|| ApiError::Forbidden("only a cooperative manager changes products".into()))?;
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("product"))?;
    catalog::update(&state.db, coop, id, &patch).await?;
    Ok(Json(catalog::get(&state.db, id).await?.ok_or(ApiError::NotFound("product"))?))
}

/// One product.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Product>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("product"))?;
    catalog::get(&state.db, id).await?.map(Json).ok_or(ApiError::NotFound("product"))
}

/// `PATCH /api/v1/cooperatives/{id}` `{name_en}`: a cooperative's manager
/// gives its English name (`null` or `""` clears it; absent, nothing
/// changes).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CooperativePatch {
    #[serde(default, deserialize_with = "given")]
    name_en: Option<Option<String>>,
}

/// A field that is there, `null` or not: `Some(None)` for `null`, where
/// an absent one stays `None` (serde's `default`).
fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    <Option<String> as serde::Deserialize>::deserialize(d).map(Some)
}

/// A cooperative's names, as the patch answers them.
#[derive(serde::Serialize)]
pub struct CooperativeNames {
    #[serde(serialize_with = "crate::ids::serialize")]
    id: i64,
    name: String,
    name_en: Option<String>,
}

/// `PATCH /api/v1/cooperatives/{id}`.
pub async fn update_cooperative(
    State(state): State<AppState>,
    super::extract::CurrentUser(actor): super::extract::CurrentUser,
    Path(id): Path<String>,
    super::extract::ApiJson(patch): super::extract::ApiJson<CooperativePatch>,
) -> ApiResult<Json<CooperativeNames>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("cooperative"))?;
    if actor.managed_cooperative() != Some(id) {
        return Err(ApiError::Forbidden("only a manager of this cooperative changes its names".into()));
    }
    if let Some(given) = patch.name_en {
        let name_en = crate::orgs::english_name(given.as_deref().unwrap_or_default())
            .map_err(|p| ApiError::Invalid(crate::validation::FieldErrors::one("name_en", p)))?;
        if !crate::orgs::set_english_name(&state.db, id, name_en.as_deref()).await? {
            return Err(ApiError::NotFound("cooperative"));
        }
    }
    let profile = crate::orgs::cooperative(&state.db, id).await?.ok_or(ApiError::NotFound("cooperative"))?;
    Ok(Json(CooperativeNames { id, name: profile.name, name_en: profile.name_en }))
}

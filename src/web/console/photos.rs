//! A product's photos on its edit page (coop_manager, own cooperative's
//! products only): upload, delete, make first. Every action goes through
//! `catalog::photos`, which checks the product's cooperative in the
//! transaction that changes it; the answer is the edit page again, with
//! what happened in the manager's language.

use super::products::edit_page;
use crate::app::AppState;
use crate::bounds::{MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, MAX_PHOTO_SIDE, MAX_PRODUCT_PHOTOS};
use crate::catalog::photos::{self, PhotoError};
use crate::catalog::{Photo, Product};
use crate::web::photos::Picture;
use crate::web::words::fill;
use crate::web::{Chrome, Fields, Page, PageResult, field};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// One photo on the edit page.
pub struct PhotoItem {
    pub id: i64,
    pub picture: Picture,
}

/// The photos part of a product's edit page.
pub struct PhotoSection {
    pub product_id: i64,
    pub items: Vec<PhotoItem>,
    /// Room for another photo.
    pub room: bool,
    pub help: String,
    pub full: String,
    pub notice: Option<String>,
    pub problem: Option<String>,
}

impl PhotoSection {
    /// The section of `p`, with the answer to the action just taken.
    pub fn new(c: &Chrome, p: &Product, answer: Option<Result<String, String>>) -> PhotoSection {
        let t = c.t;
        let (notice, problem) = match answer {
            Some(Ok(n)) => (Some(n), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        };
        PhotoSection {
            product_id: p.id,
            items: p
                .photos
                .iter()
                .map(|ph: &Photo| PhotoItem { id: ph.id, picture: Picture::photo(ph, photos::VARIANT_BOXES[0], &p.name, c.lang) })
                .collect(),
            room: p.photos.len() < MAX_PRODUCT_PHOTOS,
            help: fill(t.photos_help, &[("max", &MAX_PRODUCT_PHOTOS), ("mb", &(MAX_PHOTO_BYTES / 1_000_000)), ("mp", &pixel_limit(c))]),
            full: fill(t.photos_full, &[("max", &MAX_PRODUCT_PHOTOS)]),
            notice,
            problem,
        }
    }
}

/// The pixel limit as each language counts it: 4000 万, 40 million.
fn pixel_limit(c: &Chrome) -> u64 {
    if c.lang.is_en() { MAX_PHOTO_PIXELS / 1_000_000 } else { MAX_PHOTO_PIXELS / 10_000 }
}

/// A refused photo in the manager's words, and the page's status.
fn refusal(c: &Chrome, e: &PhotoError) -> (StatusCode, String) {
    let t = c.t;
    let mp = pixel_limit(c);
    match e {
        PhotoError::Empty => (StatusCode::UNPROCESSABLE_ENTITY, t.photo_empty.to_owned()),
        PhotoError::WrongType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, t.photo_wrong_type.to_owned()),
        PhotoError::TooLarge { max } => (StatusCode::PAYLOAD_TOO_LARGE, fill(t.photo_too_large, &[("mb", &(max / 1_000_000))])),
        PhotoError::TooManyPixels { width, height, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fill(t.photo_too_many_pixels, &[("width", width), ("height", height), ("mp", &mp), ("side", &MAX_PHOTO_SIDE)]),
        ),
        PhotoError::Unreadable => (StatusCode::UNPROCESSABLE_ENTITY, t.photo_unreadable.to_owned()),
        PhotoError::TooSlow { secs } => (StatusCode::UNPROCESSABLE_ENTITY, fill(t.photo_too_slow, &[("secs", secs)])),
        PhotoError::TooMany { max } => (StatusCode::CONFLICT, fill(t.photos_full, &[("max", max)])),
        PhotoError::Duplicate => (StatusCode::CONFLICT, t.photo_duplicate.to_owned()),
        PhotoError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, t.photo_busy.to_owned()),
        // Answered before this is called.
        PhotoError::NotFound | PhotoError::Io(_) | PhotoError::Db(_) => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}

/// The edit page after a photo action.
async fn answer(page: &Page, state: &AppState, product: i64, result: Result<&'static str, PhotoError>) -> PageResult {
    match result {
        Ok(notice) => edit_page(page, state, product, Some(Ok(notice.to_owned())), StatusCode::OK).await,
        Err(PhotoError::NotFound) => Err(page.not_found()),
        Err(e @ (PhotoError::Io(_) | PhotoError::Db(_))) => Err(page.fail(e)),
        Err(e) => {
            let (status, words) = refusal(&page.c, &e);
            let mut res = edit_page(page, state, product, Some(Err(words)), status).await?;
            if let PhotoError::Busy { retry_after_secs } = e
                && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
            {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            Ok(res)
        }
    }
}

/// `POST /console/products/{id}/photos` — one photo file (`file`).
pub async fn upload_photo(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> PageResult {
    let page = page.at(&format!("/console/products/{id}/edit"));
    let (actor, coop) = page.manager()?;
    let (csrf, file) = page.upload_form(&mut form).await?;
    page.check_token(&actor, &csrf)?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    // Another cooperative's product is refused before its photo is read.
    if !photos::owns(&state.db, coop, id).await.map_err(|e| page.fail(e))? {
        return Err(page.not_found());
    }
    let bytes = file.map(|(_, _, b)| b).unwrap_or_default();
    let result = match photos::process_upload(&state.imports, bytes).await {
        Ok(processed) => {
            photos::add(&state.db, &state.config.photos_dir, coop, actor.id, id, processed).await.map(|_| page.c.t.photos_added)
        }
        Err(e) => Err(e),
    };
    answer(&page, &state, id, result).await
}

/// `POST /console/products/{id}/photos/{photo}` — `action` is `delete`
/// or `first`.
pub async fn photo_action(
    page: Page,
    State(state): State<AppState>,
    Path((id, photo)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> PageResult {
    let page = page.at(&format!("/console/products/{id}/edit"));
    let (actor, coop) = page.manager()?;
    page.check_token(&actor, field(&form, "csrf"))?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let photo = crate::ids::parse(&photo).ok_or_else(|| page.not_found())?;
    let result = match field(&form, "action") {
        "delete" => photos::delete(&state.db, &state.config.photos_dir, coop, id, photo).await.map(|_| page.c.t.photos_deleted),
        "first" => photos::make_first(&state.db, coop, id, photo).await.map(|_| page.c.t.photos_reordered),
        _ => return Err(page.bad_request()),
    };
    answer(&page, &state, id, result).await
}

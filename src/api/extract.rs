//! Extractors of the JSON API: the signed-in user (bearer token or session
//! cookie), JSON bodies and query strings whose rejections are problem+json,
//! and pagination.

use super::error::ApiError;
use crate::app::AppState;
use crate::auth::Actor;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use crate::http::ClientAddr;

/// The signed-in user; 401 when there is none.
pub struct CurrentUser(pub Actor);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match MaybeUser::from_request_parts(parts, state).await? {
            MaybeUser(Some(actor)) => Ok(CurrentUser(actor)),
            MaybeUser(None) => Err(ApiError::Unauthorized),
        }
    }
}

/// The signed-in user, if any (pages and endpoints open to visitors).
pub struct MaybeUser(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let actor = crate::http::signed_in(parts, state).await?;
        // A browser sends the session cookie with any request, even one a
        // foreign page makes it send: an API call that changes something
        // on the strength of the cookie alone must also carry the session's
        // CSRF token (pages check theirs in the form). Bearer tokens are not
        // sent by browsers on their own and need no such proof.
        if let Some(a) = &actor
            && !parts.headers.contains_key(header::AUTHORIZATION)
            && !parts.method.is_safe()
            && parts.uri.path().starts_with("/api/")
        {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if !crate::http::csrf_ok(&parts.headers, Some(a), sent) {
                return Err(ApiError::Forbidden(
                    "an API call signed in by the session cookie must send the X-CSRF-Token header (csrf_token of GET /api/v1/me)".into(),
                ));
            }
        }
        if let Some(a) = &actor {
            crate::http::remember(parts, a);
        }
        Ok(MaybeUser(actor))
    }
}

/// A JSON body; malformed JSON is a 400, a body of the wrong shape or with
/// a control character in a string a 422, another Content-Type a 415 and
/// one past the body limit a 413, all as problem+json naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_json(req.headers())?;
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge(format!("the request body is larger than {} MiB", crate::app::MAX_BODY_BYTES >> 20)));
            }
            Err(e) => return Err(ApiError::BadRequest(e.body_text())),
        };
        if std::str::from_utf8(&bytes).is_ok_and(crate::validation::json_has_forbidden_char) {
            return Err(ApiError::Invalid(crate::validation::forbidden_char_error("body")));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                Err(ApiError::Invalid(crate::validation::FieldErrors::one("body", crate::validation::Problem::Unreadable(e.body_text()))))
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Refuses a body that is not declared as JSON (`application/json` or a
/// `+json` type): 415, before anything reads it.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    if essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json")) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType("send the body as JSON, with Content-Type: application/json".into()))
    }
}

/// A query string; a malformed one is a 400 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::BadRequest(e.body_text())),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// `?page=&per_page=` as API.md has it: pages from 1, 50 per page by
/// default, at most 200.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PageParams {
    /// 1-based page.
    pub page: Option<i64>,
    /// Items per page.
    pub per_page: Option<i64>,
}

/// A checked page request.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// 1-based page.
    pub page: i64,
    /// Items per page.
    pub per_page: i64,
}

impl Page {
    /// Rows to skip.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

impl PageParams {
    /// Checks the numbers; out-of-range values are a 422 naming the field.
    pub fn check(self) -> Result<Page, ApiError> {
        let (page, per_page) = crate::validation::check_page(self.page, self.per_page).map_err(ApiError::Invalid)?;
        Ok(Page { page, per_page })
    }
}

/// A page of a list, as API.md shapes it.
#[derive(Debug, serde::Serialize)]
pub struct Paged<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// Items in all pages.
    pub total: i64,
    /// This page.
    pub page: i64,
    /// Page size.
    pub per_page: i64,
}

impl<T> Paged<T> {
    /// Wraps a page.
    pub fn new(items: Vec<T>, total: i64, page: Page) -> Self {
        Paged { items, total, page: page.page, per_page: page.per_page }
    }
}

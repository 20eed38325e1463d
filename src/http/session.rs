//! The session token of a request and the signed-in user it stands for.

use super::cookies::{cookie, session_cookie_name};
use crate::app::AppState;
use crate::auth::{self, Actor};
use crate::config::Config;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

/// The session token of a request: the bearer token if given, else the
/// session cookie (only the `__Host-` one under `secure_cookies`).
pub fn session_token(headers: &HeaderMap, config: &Config) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    cookie(headers, session_cookie_name(config))
}

/// The signed-in user of a request: the one an earlier extractor of the
/// same request already checked ([`remember`]), else the one the session
/// token stands for, if any. An edge adds its own checks (the API's
/// `X-CSRF-Token` for cookie-signed changes) before it calls [`remember`].
pub async fn signed_in(parts: &Parts, state: &AppState) -> sqlx::Result<Option<Actor>> {
    if let Some(actor) = parts.extensions.get::<Actor>() {
        return Ok(Some(actor.clone()));
    }
    match session_token(&parts.headers, &state.config) {
        Some(token) => auth::authenticate(&state.db, &token).await,
        None => Ok(None),
    }
}

/// Keeps the checked user for the rest of the request, so a second
/// extractor does not look the session up again.
pub fn remember(parts: &mut Parts, actor: &Actor) {
    parts.extensions.insert(actor.clone());
}

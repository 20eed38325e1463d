//! Sign-in, sign-out and `GET /api/v1/me`.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ClientAddr, CurrentUser, MaybeUser};
use crate::app::AppState;
use crate::auth::{self, Actor, LoginError};
use crate::http::{clear_session_cookie, session_cookie, session_token};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// `POST /api/v1/auth/login` body.
#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
}

/// The user as `/me` and login show it.
pub fn user_json(a: &Actor) -> serde_json::Value {
    json!({
        "id": a.id.to_string(),
        "email": a.email,
        "display_name": a.display_name,
        "roles": a.roles,
        "org": { "id": a.org.id.to_string(), "kind": a.org.kind, "name": a.org.name, "region_code": a.org.region_code },
    })
}

/// Maps a sign-in failure to its API error.
pub fn login_error(e: LoginError) -> ApiError {
    match e {
        LoginError::Invalid(errors) => ApiError::Invalid(errors),
        LoginError::WrongCredentials => ApiError::WrongCredentials,
        LoginError::TooManyAttempts { retry_after_secs } => ApiError::TooManyRequests { retry_after_secs },
        LoginError::Busy => ApiError::Unavailable { detail: LoginError::Busy.to_string(), retry_after_secs: 5 },
        LoginError::Db(e) => e.into(),
    }
}

/// `POST /api/v1/auth/login` → `200 {token, user}` and the session cookie.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let attempt = auth::Attempt { email: &body.email, password: &body.password, client };
    let session = match auth::login(&state.db, &state.config, &attempt).await {
        Ok(session) => session,
        Err(e) => return Err(login_error(e)),
    };
    tracing::info!(user.id = session.actor.id, org.id = session.actor.org.id, "signed in");
    let mut res = Json(json!({ "token": session.token, "user": user_json(&session.actor) })).into_response();
    res.headers_mut().insert(header::SET_COOKIE, session_cookie(&state.config, &session.token));
    Ok(res)
}

/// `POST /api/v1/auth/logout` → 204; the token stops working. Signed in by
/// the cookie alone, the call must carry the X-CSRF-Token header like any
/// other change ([`MaybeUser`] checks it), or a foreign page could sign the
/// user out.
pub async fn logout(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap) -> ApiResult<Response> {
    if actor.is_some()
        && let Some(token) = session_token(&headers, &state.config)
    {
        auth::logout(&state.db, &token).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(header::SET_COOKIE, clear_session_cookie(&state.config));
    Ok(res)
}

/// `GET /api/v1/me`.
pub async fn me(CurrentUser(actor): CurrentUser) -> Json<serde_json::Value> {
    let mut me = user_json(&actor);
    // For scripts of a signed-in page: the header cookie-authenticated
    // API calls that change something must send (X-CSRF-Token).
    me["csrf_token"] = serde_json::json!(actor.csrf_token);
    Json(me)
}

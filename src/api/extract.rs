//! Extractors of the JSON API: the signed-in user (bearer token or session
//! cookie), JSON bodies and query strings whose rejections are problem+json,
//! and pagination.

use super::error::ApiError;
use crate::app::AppState;
use crate::auth::{self, Actor};
use crate::config::{Config, IpRange};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Name of the session cookie when cookies are not marked `Secure`.
pub const SESSION_COOKIE: &str = "zn_session";
/// Name of the session cookie under `secure_cookies`: a `__Host-` cookie,
/// which only this host can set and only over HTTPS, so nobody can plant a
/// session of theirs in a user's browser.
pub const SECURE_SESSION_COOKIE: &str = "__Host-zn_session";

/// The session cookie's name under `config`.
pub fn session_cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

/// The session token of a request: the bearer token if given, else the
/// session cookie (only the `__Host-` one under `secure_cookies`).
pub fn session_token(headers: &HeaderMap, config: &Config) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    cookie(headers, session_cookie_name(config))
}

/// The address of the client, for the sign-in limiter: the peer of the
/// connection, or — when the peer is a configured trusted proxy — the
/// right-most address in `X-Forwarded-For` that is not a trusted proxy.
/// Never a rejection: without connection info (a test calling the router
/// directly) it is the unspecified address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientAddr(client_address(peer, &parts.headers, &state.config.trusted_proxies)))
    }
}

/// See [`ClientAddr`]. Why the right-most untrusted address: each proxy
/// appends the address it received the request from, so everything left
/// of the last trusted hop was written by the client and may be invented;
/// the hop a trusted proxy appended is the first address nobody else could
/// choose.
pub fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let Some(peer) = peer else {
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop a trusted proxy wrote is well-formed; one that is not is
        // the client's invention, and the proxy that passed it on is the
        // best we know.
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !is_trusted(ip) {
            return ip;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, maybe with a port, maybe in
/// brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sock) = hop.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok())
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

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
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(MaybeUser(Some(actor.clone())));
        }
        let Some(token) = session_token(&parts.headers, &state.config) else {
            return Ok(MaybeUser(None));
        };
        let actor = auth::authenticate(&state.db, &token).await?;
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
            if !crate::web::csrf_ok(&parts.headers, Some(a), sent) {
                return Err(ApiError::Forbidden(
                    "an API call signed in by the session cookie must send the X-CSRF-Token header (csrf_token of GET /api/v1/me)".into(),
                ));
            }
        }
        if let Some(a) = &actor {
            parts.extensions.insert(a.clone());
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
        let mut errors = crate::validation::FieldErrors::default();
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=1_000_000).contains(&page) {
            errors.add("page", crate::validation::Problem::PageNumber);
        }
        if !(1..=200).contains(&per_page) {
            errors.add("per_page", crate::validation::Problem::PerPage { max: 200 });
        }
        errors.into_result().map_err(ApiError::Invalid)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_client_is_the_right_most_address_no_trusted_proxy_wrote() {
        let proxies = [IpRange::parse("10.0.0.0/8").unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Straight from the internet: the peer, whatever the header says.
        assert_eq!(client_address(Some(ip("198.51.100.7")), &forwarded("203.0.113.1"), &proxies), ip("198.51.100.7"));
        // Through the proxy: the hop it appended, not what the client wrote before it.
        let h = forwarded("1.2.3.4, 203.0.113.9, 10.0.0.2");
        assert_eq!(client_address(Some(ip("10.0.0.1")), &h, &proxies), ip("203.0.113.9"));
        assert_eq!(client_address(Some(ip("10.0.0.1")), &forwarded("[2001:db8::1]:4711"), &proxies), ip("2001:db8::1"));
        assert_eq!(client_address(Some(ip("10.0.0.1")), &forwarded("garbage, 10.0.0.3"), &proxies), ip("10.0.0.3"));
        assert_eq!(client_address(Some(ip("10.0.0.1")), &HeaderMap::new(), &proxies), ip("10.0.0.1"));
        // No trusted proxies configured: the header is never believed.
        assert_eq!(client_address(Some(ip("10.0.0.1")), &forwarded("203.0.113.9"), &[]), ip("10.0.0.1"));
        assert_eq!(client_address(None, &forwarded("203.0.113.9"), &proxies), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
}

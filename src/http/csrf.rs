//! CSRF checks: a signed-in user's forms (and cookie-signed API calls)
//! carry the session's own token; a visitor's forms (the sign-in form)
//! carry the HMAC, under the server's key, of a nonce in a cookie.

use super::cookies::{cookie, csrf_cookie_name};
use crate::auth::{Actor, ServerKey};
use crate::config::Config;
use axum::http::HeaderMap;

/// True when the browser says another site made it send this request
/// (`Sec-Fetch-Site`, sent by every current browser). Such a request is
/// refused whatever token it carries; older browsers and other clients
/// do not send the header and are judged by the token alone.
fn from_another_site(headers: &HeaderMap) -> bool {
    matches!(headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()), Some("cross-site" | "same-site"))
}

/// True when a signed-in user's submitted token is the session's token. A
/// visitor (`actor` None) has no session: their forms are checked with
/// [`visitor_csrf_ok`], which needs the server's key, so here they always
/// fail.
pub fn csrf_ok(headers: &HeaderMap, actor: Option<&Actor>, submitted: &str) -> bool {
    match actor {
        Some(a) if !a.csrf_token.is_empty() => {
            !from_another_site(headers) && constant_time_eq(a.csrf_token.as_bytes(), submitted.as_bytes())
        }
        _ => false,
    }
}

/// True when a visitor's submitted form token is the HMAC of their nonce
/// cookie. A planted cookie does not help a forger: the matching token is
/// not the cookie's value, and under `secure_cookies` the cookie is a
/// `__Host-` one that other sites cannot plant at all.
pub fn visitor_csrf_ok(headers: &HeaderMap, config: &Config, key: &ServerKey, submitted: &str) -> bool {
    if from_another_site(headers) {
        return false;
    }
    match visitor_nonce(headers, config) {
        Some(nonce) => constant_time_eq(key.visitor_csrf_token(&nonce).as_bytes(), submitted.as_bytes()),
        None => false,
    }
}

/// The visitor's CSRF nonce cookie, when it is one this server could have
/// issued (64 hex digits).
pub fn visitor_nonce(headers: &HeaderMap, config: &Config) -> Option<String> {
    cookie(headers, csrf_cookie_name(config)).filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Compares two tokens in time that depends on their length only, so the
/// time of a refusal does not tell how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    #[test]
    fn a_visitor_token_is_not_the_cookie_and_another_site_is_refused() {
        let config = Config::from_sources(&Default::default(), None).unwrap();
        let key = ServerKey::for_tests([7; 32]);
        let nonce = "ab".repeat(32);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("zn_csrf={nonce}")).unwrap());
        assert!(!visitor_csrf_ok(&headers, &config, &key, &nonce), "the cookie's own value is not the token");
        let token = key.visitor_csrf_token(&nonce);
        assert!(visitor_csrf_ok(&headers, &config, &key, &token));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!visitor_csrf_ok(&headers, &config, &key, &token));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(visitor_csrf_ok(&headers, &config, &key, &token));
    }

    #[test]
    fn tokens_match_only_when_every_byte_and_the_length_agree() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}

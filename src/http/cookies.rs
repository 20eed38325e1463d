//! Cookie names and the reading and writing of cookies.

use crate::config::Config;
use axum::http::{HeaderMap, HeaderValue, header};

/// Name of the session cookie when cookies are not marked `Secure`.
pub const SESSION_COOKIE: &str = "zn_session";
/// Name of the session cookie under `secure_cookies`: a `__Host-` cookie,
/// which only this host can set and only over HTTPS, so nobody can plant a
/// session of theirs in a user's browser.
pub const SECURE_SESSION_COOKIE: &str = "__Host-zn_session";

/// Name of the cookie that carries the CSRF nonce of visitors who are not
/// signed in (the login form), when cookies are not marked `Secure`.
pub const CSRF_COOKIE: &str = "zn_csrf";
/// The same cookie when `secure_cookies` is on: a `__Host-` cookie can only
/// be set over HTTPS by this host itself (never by a sibling subdomain or
/// a man in the middle of plain HTTP), so it cannot be planted.
pub const SECURE_CSRF_COOKIE: &str = "__Host-zn_csrf";

/// Name of the language cookie.
pub const LANG_COOKIE: &str = "zn_lang";

/// The session cookie's name under `config`.
pub fn session_cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

/// The visitors' CSRF cookie name under `config`.
pub fn csrf_cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies { SECURE_CSRF_COOKIE } else { CSRF_COOKIE }
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

/// The `Set-Cookie` value that carries a session token to the browser.
pub fn session_cookie(config: &Config, token: &str) -> HeaderValue {
    let secure = if config.secure_cookies { "; Secure" } else { "" };
    let name = session_cookie_name(config);
    let value = format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", config.session_ttl_secs);
    HeaderValue::from_str(&value).expect("hex token and fixed text make a valid header")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(config: &Config) -> HeaderValue {
    let secure = if config.secure_cookies { "; Secure" } else { "" };
    let value = format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", session_cookie_name(config));
    HeaderValue::from_str(&value).expect("fixed text makes a valid header")
}

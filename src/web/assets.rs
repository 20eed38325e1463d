//! The static files — stylesheet and scripts, compiled into the binary —
//! served under names that carry a hash of their content
//! (`/static/app.3f9a1c0b2d.css`). A changed file gets a new name, so the
//! year-long `immutable` caching can never serve a stale copy: the cache
//! key is the content itself. The hash is computed once, on first use,
//! from the embedded bytes.
//!
//! The plain names (`/static/app.css`) redirect to the current hashed
//! name, uncached, so a link from an old page or a bookmark still works;
//! a hashed name that is not the current one (a page of an earlier
//! release) is a 404 rather than today's file under yesterday's name,
//! which a cache would then keep for a year.

use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One embedded file.
struct Asset {
    /// Plain name, e.g. `app.css`.
    name: &'static str,
    /// Content.
    body: &'static str,
    /// Content-Type.
    content_type: &'static str,
    /// Content-addressed name, e.g. `app.3f9a1c0b2d.css`.
    hashed: String,
}

/// Hex digits of the content's SHA-256 in a name: 40 bits, plenty to tell
/// the releases of three files apart.
const HASH_DIGITS: usize = 10;

/// `app.css` with the hash of `body`: `app.<hash>.css`.
pub fn hashed_name(name: &str, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let hash = &hex[..HASH_DIGITS];
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        ("app.css", include_str!("../../frontend/static/app.css"), "text/css; charset=utf-8"),
        ("app.js", include_str!("../../frontend/static/app.js"), "text/javascript; charset=utf-8"),
        ("pay.js", include_str!("../../frontend/static/pay.js"), "text/javascript; charset=utf-8"),
        ("checkout.js", include_str!("../../frontend/static/checkout.js"), "text/javascript; charset=utf-8"),
        ("scan.js", include_str!("../../frontend/static/scan.js"), "text/javascript; charset=utf-8"),
        ("label.css", include_str!("../../frontend/static/label.css"), "text/css; charset=utf-8"),
        ("favicon.svg", include_str!("../../frontend/static/favicon.svg"), "image/svg+xml"),
    ]
    .into_iter()
    .map(|(name, body, content_type)| Asset { name, body, content_type, hashed: hashed_name(name, body.as_bytes()) })
    .collect()
});

/// The URL of static file `name` (`app.css`, `app.js`, `pay.js`,
/// `scan.js`, `label.css`), named by
/// its content. Templates call it; an unknown name is a bug and panics in
/// the first test that renders the page.
pub fn asset_url(name: &str) -> String {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => format!("/static/{}", a.hashed),
        None => panic!("no static file {name}"),
    }
}

/// The scan page's service worker: `CACHE` (named by the hash of the
/// worker and of the static files' hashed names, so any change to either
/// is a new cache) and `ASSETS` (the URLs it keeps), then the worker's own
/// text (`frontend/static/sw.js`).
static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| {
    let body = include_str!("../../frontend/static/sw.js");
    let assets: Vec<String> = ["app.css", "app.js", "scan.js"].iter().map(|n| asset_url(n)).collect();
    let cache = hashed_name("zhunong-scan", format!("{}{body}", assets.join(" ")).as_bytes());
    let list = serde_json::to_string(&assets).unwrap_or_else(|_| "[]".into());
    format!("var CACHE = '{}';\nvar ASSETS = {list};\n{body}", cache.replace('.', "-"))
});

/// `GET /hub/sw.js`: the scan page's service worker. Served from `/hub/`
/// so its scope covers the scan pages and nothing outside the hub; never
/// cached by HTTP (browsers check a worker for updates, and a stale one
/// would keep a stale cache).
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (HeaderName::from_static("service-worker-allowed"), HeaderValue::from_static("/hub/")),
        ],
        SERVICE_WORKER.as_str(),
    )
        .into_response()
}

/// `GET /favicon.ico`: browsers ask for it whatever the page links; they
/// get the SVG icon's current address (an SVG under the `.ico` name would
/// be refused by some).
pub async fn favicon() -> Response {
    let mut res = Redirect::temporary(&asset_url("favicon.svg")).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    res
}

/// `GET /static/{file}`.
pub async fn static_file(Path(file): Path<String>) -> Response {
    if let Some(a) = ASSETS.iter().find(|a| a.hashed == file) {
        return (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(a.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            ],
            a.body,
        )
            .into_response();
    }
    if let Some(a) = ASSETS.iter().find(|a| a.name == file) {
        let mut res = Redirect::to(&format!("/static/{}", a.hashed)).into_response();
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return res;
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_carries_the_hash_of_the_content_and_changes_with_it() {
        let a = hashed_name("app.css", b"body { color: black }");
        let b = hashed_name("app.css", b"body { color: green }");
        assert!(a.starts_with("app.") && a.ends_with(".css") && a.len() == "app..css".len() + HASH_DIGITS, "{a}");
        assert_ne!(a, b, "new content, new name");
        assert_eq!(a, hashed_name("app.css", b"body { color: black }"), "same content, same name");
    }

    #[test]
    fn every_embedded_file_has_a_url_of_its_own_content() {
        for a in ASSETS.iter() {
            assert_eq!(asset_url(a.name), format!("/static/{}", hashed_name(a.name, a.body.as_bytes())));
        }
    }
}

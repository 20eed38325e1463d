//! Server-rendered pages (templates under `frontend/templates/`), Chinese by
//! default with an English switch. Pages call the same domain functions as
//! the JSON API; forms carry a CSRF token.
//!
//! Pages are built for a slow rural link: no web fonts, one small
//! stylesheet and one small script, both cached for a year under a
//! versioned URL, and gzip on every response.

mod browse;
mod buy;
mod console;
mod i18n;
mod pages;
mod search;
mod words;

pub use i18n::{Lang, Strings};
pub use words::Words;

use crate::app::AppState;
use crate::auth::{Actor, Role};
use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// Routes of the HTML pages and their static files.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/search", get(search::search))
        .route("/console", get(console::overview))
        .route("/console/lots/new", get(console::new_lot))
        .route("/console/lots", axum::routing::post(console::create_lot))
        .route("/console/lots/{id}", get(console::lot))
        .route("/console/lots/{id}/adjustments", axum::routing::post(console::adjust))
        .route("/console/households", get(console::members))
        .route("/console/import", get(console::import_form).post(console::import))
        .route("/console/products/new", get(console::new_product))
        .route("/console/products", axum::routing::post(console::create_product))
        .route("/console/products/{id}/edit", get(console::edit_product))
        .route("/console/products/{id}", axum::routing::post(console::update_product))
        .route("/console/orders", get(buy::fulfil))
        .route("/cart", get(buy::cart_page).post(buy::cart_add))
        .route("/cart/{product}", axum::routing::post(buy::cart_set))
        .route("/checkout", get(buy::checkout).post(buy::place))
        .route("/orders", get(buy::list))
        .route("/orders/{id}", get(buy::order))
        .route("/orders/{id}/invoice", get(buy::invoice))
        .route("/orders/{id}/pay", axum::routing::post(buy::pay))
        .route("/orders/{id}/{action}", axum::routing::post(buy::act))
        .route("/approvals", get(buy::approvals))
        .route("/finance/invoices", get(buy::finance))
        .route("/finance/refunds", get(buy::refunds).post(buy::refund))
        .route("/hub/orders", get(buy::hub))
        .route("/hub/orders/{id}/{step}", axum::routing::post(buy::hub_step))
        .route("/finance/invoices/{id}", axum::routing::post(buy::confirm))
        .route("/regions/{code}", get(browse::region))
        .route("/cooperatives/{id}", get(browse::cooperative))
        .route("/products/{id}", get(pages::product))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", axum::routing::post(pages::logout))
        .route("/lang/{to}", get(pages::switch_language))
        .route("/static/{file}", get(static_file))
}

/// Name of the cookie that carries the double-submit CSRF token of
/// visitors who are not signed in (the login form).
pub const CSRF_COOKIE: &str = "zn_csrf";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "zn_lang";

/// What every page needs: language, words, the signed-in user, the CSRF
/// token for its forms.
pub struct Chrome {
    /// Language.
    pub lang: Lang,
    /// Words.
    pub t: &'static Strings,
    /// Signed-in user's display name and organisation.
    pub user: Option<(String, String)>,
    /// Token to put in forms.
    pub csrf: String,
    /// Current path (for the language switch to come back to).
    pub path: String,
    /// The user manages a cooperative (shows the stock console link).
    pub console: bool,
    /// Words of the buying pages.
    pub w: &'static Words,
    /// The user buys for an agency or a partner city (cart, orders).
    pub buyer: bool,
    /// The user approves an agency's orders.
    pub approver: bool,
    /// The user confirms bank transfers.
    pub finance: bool,
    /// The user moves orders (hub operator, platform admin).
    pub hub: bool,
}

impl Chrome {
    /// Builds the chrome of a request. A visitor without a CSRF cookie gets
    /// a fresh token, which [`Chrome::set_cookies`] then sets.
    pub fn new(headers: &HeaderMap, actor: Option<&Actor>, path: &str) -> Chrome {
        let lang = Lang::from_cookie(crate::api::extract::cookie(headers, LANG_COOKIE).as_deref());
        let csrf = match actor {
            Some(a) => a.csrf_token.clone(),
            None => crate::api::extract::cookie(headers, CSRF_COOKIE)
                .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
                .unwrap_or_else(crate::auth::random_token),
        };
        Chrome {
            lang,
            t: lang.t(),
            user: actor.map(|a| (a.display_name.clone(), a.org.name.clone())),
            csrf,
            path: path.to_owned(),
            console: actor.is_some_and(|a| a.managed_cooperative().is_some()),
            w: if lang.is_en() { &words::EN } else { &words::ZH },
            buyer: actor.is_some_and(|a| a.has(Role::AgencyBuyer) || a.has(Role::PartnerBuyer)),
            approver: actor.is_some_and(|a| a.has(Role::AgencyApprover)),
            finance: actor.is_some_and(|a| a.has(Role::PlatformFinance)),
            hub: actor.is_some_and(|a| a.has(Role::HubOperator) || a.has(Role::PlatformAdmin)),
        }
    }

    /// Sets the visitor's CSRF cookie on a page response.
    pub fn set_cookies(&self, res: &mut Response) {
        if self.user.is_none()
            && let Ok(v) = HeaderValue::from_str(&format!("{CSRF_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict", self.csrf))
        {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// A submitted form, as name–value pairs (repeated names kept).
pub(crate) type Fields = Vec<(String, String)>;

/// The first value of field `name`, or "".
pub(crate) fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// True when a submitted form token matches: the session's token for a
/// signed-in user, else the visitor's CSRF cookie (double submit).
pub fn csrf_ok(headers: &HeaderMap, actor: Option<&Actor>, submitted: &str) -> bool {
    let expected = match actor {
        Some(a) => Some(a.csrf_token.clone()),
        None => crate::api::extract::cookie(headers, CSRF_COOKIE),
    };
    match expected {
        Some(e) if !e.is_empty() => constant_time_eq(e.as_bytes(), submitted.as_bytes()),
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Renders a template into a page response with the chrome's cookies.
pub fn render(chrome: &Chrome, status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let mut res = (status, Html(html)).into_response();
            chrome.set_cookies(&mut res);
            res
        }
        Err(e) => {
            let id = crate::api::error::request_id().unwrap_or_default();
            tracing::error!(request.id = id, error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, format!("template error; request id {id}")).into_response()
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    /// Chrome.
    pub c: &'a Chrome,
    /// Heading.
    pub heading: &'a str,
    /// Detail.
    pub detail: &'a str,
    /// Request id, for 5xx.
    pub request_id: Option<String>,
}

/// An error page in the user's language.
pub fn error_page(chrome: &Chrome, status: StatusCode) -> Response {
    let t = chrome.t;
    let (heading, detail, request_id) = match status {
        StatusCode::NOT_FOUND => (t.not_found, t.not_found_detail, None),
        StatusCode::FORBIDDEN => (t.forbidden_form, "", None),
        StatusCode::PAYLOAD_TOO_LARGE => (t.too_large, t.too_large_detail, None),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => (t.busy, t.busy_detail, crate::api::error::request_id()),
        s if s.is_client_error() => (t.bad_request, t.bad_request_detail, None),
        _ => (t.server_error, t.server_error_detail, crate::api::error::request_id()),
    };
    render(chrome, status, &ErrorPage { c: chrome, heading, detail, request_id })
}

/// Version of the static files, for cache-busting URLs.
pub const STATIC_VERSION: &str = env!("CARGO_PKG_VERSION");

const APP_CSS: &str = include_str!("../../frontend/static/app.css");
const APP_JS: &str = include_str!("../../frontend/static/app.js");
const PAY_JS: &str = include_str!("../../frontend/static/pay.js");

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "pay.js" => (PAY_JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    // The URL carries the version (`?v=`), so the file may be cached for good.
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], body).into_response()
}

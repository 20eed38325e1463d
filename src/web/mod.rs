//! Server-rendered pages (templates under `frontend/templates/`), Chinese by
//! default with an English switch. Pages call the same domain functions as
//! the JSON API; forms carry a CSRF token.
//!
//! Pages are built for a slow rural link: no web fonts, one small
//! stylesheet and one small script, both cached for a year under a name
//! that carries a hash of their content (`assets.rs`), and gzip on every
//! response.

mod approvals;
mod assets;
mod browse;
mod cart;
mod chain;
pub mod charts;
mod checkout;
mod console;
#[cfg(test)]
mod contrast;
pub(crate) mod dashboards;
mod finance;
mod hub;
mod imports;
mod monitoring;
mod orders;
mod page;
mod pages;
mod photos;
mod reports;
mod search;
mod supports;
mod words;

pub use assets::asset_url;
pub use page::{Page, PageError, PageResult};
pub use words::{Lang, Words};

use crate::app::AppState;
use crate::auth::{Actor, Role, ServerKey};
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
        .route("/console/lots/households", get(console::picks))
        .route("/console/lots", axum::routing::post(console::create_lot))
        .route("/console/lots/{id}", get(console::lot))
        .route("/console/lots/{id}/adjustments", axum::routing::post(console::adjust))
        .route("/console/households", get(console::members))
        .route("/console/profile", get(console::profile).post(console::save_profile))
        .route("/console/import", get(console::import_form).post(console::import))
        .route("/console/import/sample.csv", get(console::import_sample))
        .route("/console/products/new", get(console::new_product))
        .route("/console/products", axum::routing::post(console::create_product))
        .route("/console/products/{id}/edit", get(console::edit_product))
        .route("/console/products/{id}", axum::routing::post(console::update_product))
        .route("/console/products/{id}/photos", axum::routing::post(console::upload_photo))
        .route("/console/products/{id}/photos/{photo}", axum::routing::post(console::photo_action))
        .route("/photos/{product}/{file}", get(photos::photo_file))
        .route("/products/{id}/illustration.svg", get(photos::illustration))
        .route("/products/{id}/qr.svg", get(photos::qr))
        .route("/products/{id}/poster", get(photos::poster))
        .route("/favicon.ico", get(assets::favicon))
        .route("/console/orders", get(console::fulfil))
        .route("/cart", get(cart::cart_page).post(cart::cart_add))
        .route("/cart/{product}", axum::routing::post(cart::cart_set))
        .route("/checkout", get(checkout::checkout).post(checkout::place))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::order))
        .route("/orders/{id}/invoice", get(orders::invoice))
        .route("/orders/{id}/placed", get(orders::placed))
        .route("/orders/{id}/pay", axum::routing::post(orders::pay))
        .route("/orders/{id}/{action}", axum::routing::post(orders::act))
        .route("/approvals", get(approvals::approvals))
        .route("/finance/invoices", get(finance::finance))
        .route("/reports", get(reports::home))
        .route("/reports/regions", get(reports::regions_page))
        .route("/reports/households", get(reports::households_page))
        .route("/reports/households/{id}", get(reports::household_page))
        .route("/reports/cooperatives", get(reports::cooperatives_page))
        .route("/reports/cooperative", get(reports::cooperative_page))
        .route("/finance/refunds", get(finance::refunds).post(finance::refund))
        .route("/hub", get(hub::hub))
        .route("/hub/orders", get(hub::hub_orders))
        .route("/hub/sw.js", get(assets::service_worker))
        .route("/hub/nodes/{id}", get(hub::node))
        .route("/hub/nodes/{id}/scan", get(hub::scan).post(hub::scan_submit))
        .route("/hub/shipments/{code}", get(hub::packing))
        .route("/hub/shipments/{code}/label", get(hub::label))
        .route("/finance/invoices/{id}", axum::routing::post(finance::confirm))
        .route("/regions/{code}", get(browse::region))
        .route("/cooperatives/{id}", get(browse::cooperative))
        .route("/products/{id}", get(pages::product))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", axum::routing::post(pages::logout))
        .route("/lang/{to}", get(pages::switch_language))
        .route("/static/{file}", get(assets::static_file))
        // Monitoring (监测帮扶), for officials.
        .route("/monitoring", get(monitoring::monitoring_page))
        .route("/monitoring/find", get(monitoring::find))
        .route("/monitoring/households/{id}/visit", get(monitoring::visit_form).post(monitoring::record_visit))
        .route("/monitoring/alerts/{id}/ack", axum::routing::post(monitoring::acknowledge))
        .route("/monitoring/import", get(monitoring::import_form).post(monitoring::import))
        .route("/monitoring/import/sample.csv", get(monitoring::import_sample))
        // Dashboards (issue 13).
        .route("/dashboard", get(dashboards::dashboard))
}

pub use crate::http::{CSRF_COOKIE, LANG_COOKIE, SECURE_CSRF_COOKIE, csrf_cookie_name};

/// The Content-Security-Policy of every response: everything from this
/// origin only, no inline script or style, no plugins, no framing, forms
/// post only here. Templates keep to it: scripts and styles are the static
/// files, behaviour is bound from them by `data-` attributes.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// The policy of the payment page alone: the above plus Stripe.js, its
/// frames (the Payment Element and 3-D Secure) and its API, as Stripe's
/// security guide lists them. No other page may load Stripe.
pub const PAY_PAGE_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' https://js.stripe.com https://*.js.stripe.com; style-src 'self'; \
     img-src 'self' data: https://*.stripe.com; connect-src 'self' https://api.stripe.com; \
     frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// What every page needs: language, words, the signed-in user, the CSRF
/// token for its forms.
#[derive(Clone)]
pub struct Chrome {
    /// Language.
    pub lang: Lang,
    /// Words.
    pub t: &'static Words,
    /// Signed-in user's display name and organisation.
    pub user: Option<(String, String)>,
    /// Token to put in forms: the session's for a signed-in user; for a
    /// visitor empty unless [`Chrome::with_visitor_token`] made one.
    pub csrf: String,
    /// Current path (for the language switch to come back to).
    pub path: String,
    /// The user manages a cooperative (shows the stock console link).
    pub console: bool,
    /// The same words (the buying pages' templates call them `w`).
    pub w: &'static Words,
    /// The user buys for an agency or a partner city (cart, orders).
    pub buyer: bool,
    /// The user approves an agency's orders.
    pub approver: bool,
    /// The user confirms bank transfers.
    pub finance: bool,
    /// The user moves orders (hub operator, platform admin).
    pub hub: bool,
    /// The user reads reports (officials, cooperatives, partner cities,
    /// the platform).
    pub reports: bool,
    /// The user reads monitoring (officials, platform admin).
    pub monitoring: bool,
    /// The user's organisation has a dashboard (`/dashboard`).
    pub dashboard: bool,
    /// The visitor's CSRF cookie to (re)set, with the page that needs it.
    visitor_cookie: Option<String>,
}

impl Chrome {
    /// Builds the chrome of a request.
    pub fn new(headers: &HeaderMap, actor: Option<&Actor>, path: &str) -> Chrome {
        let lang = Lang::from_cookie(crate::http::cookie(headers, LANG_COOKIE).as_deref());
        Chrome {
            lang,
            t: lang.t(),
            user: actor.map(|a| (a.display_name.clone(), a.org.name.clone())),
            csrf: actor.map(|a| a.csrf_token.clone()).unwrap_or_default(),
            path: path.to_owned(),
            console: actor.is_some_and(|a| a.managed_cooperative().is_some()),
            w: lang.t(),
            buyer: actor.is_some_and(|a| a.has(Role::AgencyBuyer) || a.has(Role::PartnerBuyer)),
            approver: actor.is_some_and(|a| a.has(Role::AgencyApprover)),
            finance: actor.is_some_and(|a| a.has(Role::PlatformFinance)),
            hub: actor.is_some_and(|a| a.has(Role::HubOperator) || a.has(Role::PlatformAdmin)),
            reports: actor.is_some_and(|a| {
                [Role::Official, Role::CoopManager, Role::PartnerBuyer, Role::PlatformAdmin, Role::PlatformFinance]
                    .iter()
                    .any(|r| a.has(*r))
            }),
            monitoring: actor.is_some_and(|a| a.official_region().is_some() || a.has(Role::PlatformAdmin)),
            dashboard: actor.is_some_and(dashboards::has_dashboard),
            visitor_cookie: None,
        }
    }

    /// Gives a visitor's page (the sign-in form) its CSRF token: the
    /// visitor's nonce cookie is kept (or a fresh one made and set by
    /// [`Chrome::set_cookies`]), and the form token is its HMAC under the
    /// server's key, which [`crate::http::visitor_csrf_ok`] checks.
    pub fn with_visitor_token(mut self, headers: &HeaderMap, config: &crate::config::Config, key: &ServerKey) -> Chrome {
        let name = csrf_cookie_name(config);
        let nonce = crate::http::visitor_nonce(headers, config).unwrap_or_else(crate::auth::random_token);
        self.csrf = key.visitor_csrf_token(&nonce);
        let secure = if config.secure_cookies { "; Secure" } else { "" };
        self.visitor_cookie = Some(format!("{name}={nonce}; Path=/; HttpOnly; SameSite=Strict{secure}"));
        self
    }

    /// The sign-in link of this page: signing in comes back here.
    pub fn login_href(&self) -> String {
        login_href(&self.path)
    }

    /// Sets the visitor's CSRF cookie on a page response, if the page has
    /// a visitor's form.
    pub fn set_cookies(&self, res: &mut Response) {
        if let Some(cookie) = &self.visitor_cookie
            && let Ok(v) = HeaderValue::from_str(cookie)
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

/// Longest redirect target accepted, in bytes.
const MAX_REDIRECT_BYTES: usize = 2048;

/// `next` as a target to redirect to on this site, or None when it could
/// lead anywhere else.
///
/// Browsers are generous readers of `Location`: they drop tabs and
/// newlines, read `\` as `/`, and take `//host` as another site, so
/// `/\t/evil.example` and `/\evil.example` both leave the site. Only a path
/// that starts with one `/`, holds no backslash, whitespace or control
/// character, and parses as a URI without scheme or host is kept;
/// characters beyond ASCII are percent-encoded so the header is plain
/// ASCII.
pub fn local_path(next: &str) -> Option<String> {
    let bytes = next.as_bytes();
    if next.len() > MAX_REDIRECT_BYTES || bytes.first() != Some(&b'/') || matches!(bytes.get(1), Some(b'/' | b'\\')) {
        return None;
    }
    if next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return None;
    }
    let mut out = String::with_capacity(next.len());
    for c in next.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for b in c.encode_utf8(&mut [0; 4]).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let uri: axum::http::Uri = out.parse().ok()?;
    let local = uri.scheme().is_none() && uri.authority().is_none() && uri.path().starts_with('/') && !uri.path().starts_with("//");
    (local && HeaderValue::from_str(&out).is_ok()).then_some(out)
}

/// Where signing in leads: `next` when it is a path of this site
/// ([`local_path`]) other than the sign-in and sign-out pages themselves
/// (a signed-in user sent back to `/login` would go round in a circle),
/// else home.
pub fn after_sign_in(next: &str) -> String {
    local_path(next).filter(|p| !(p.starts_with("/login") || p.starts_with("/logout"))).unwrap_or_else(|| "/".to_owned())
}

/// The sign-in page's address that comes back to `next` afterwards:
/// `/login?next=%2Fproducts%2F7`. Home, or anything [`after_sign_in`]
/// would not follow, is plain `/login`.
pub fn login_href(next: &str) -> String {
    let next = after_sign_in(next);
    if next == "/" {
        return "/login".to_owned();
    }
    let mut out = String::from("/login?next=");
    for b in next.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
            let id = crate::http::request_id().unwrap_or_default();
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

/// An error page in the user's language. A 403 says the user may not
/// see the page; a stale form, also a 403, has its own page
/// ([`stale_form_page`]).
pub fn error_page(chrome: &Chrome, status: StatusCode) -> Response {
    let t = chrome.t;
    let (heading, detail, request_id) = match status {
        StatusCode::NOT_FOUND => (t.not_found, t.not_found_detail, None),
        StatusCode::FORBIDDEN => (t.forbidden, t.forbidden_detail, None),
        StatusCode::PAYLOAD_TOO_LARGE => (t.too_large, t.too_large_detail, None),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => (t.busy, t.busy_detail, crate::http::request_id()),
        s if s.is_client_error() => (t.bad_request, t.bad_request_detail, None),
        _ => (t.server_error, t.server_error_detail, crate::http::request_id()),
    };
    render(chrome, status, &ErrorPage { c: chrome, heading, detail, request_id })
}

/// The 403 page of a form whose CSRF token is missing, stale or forged:
/// it asks the user to reload, which gives the form a fresh token.
pub fn stale_form_page(chrome: &Chrome) -> Response {
    render(chrome, StatusCode::FORBIDDEN, &ErrorPage { c: chrome, heading: chrome.t.forbidden_form, detail: "", request_id: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_redirect_targets() {
        for ok in ["/", "/products/1", "/search?q=a&county=653124000000", "/orders/7?done=1#top", "/%2F/x"] {
            assert_eq!(local_path(ok).as_deref(), Some(ok), "{ok}");
        }
        assert_eq!(local_path("/search?q=红枣").as_deref(), Some("/search?q=%E7%BA%A2%E6%9E%A3"));
        for bad in [
            "",
            "products/1",
            "//evil.example/x",
            "/\\evil.example",
            "/x\\y",
            "/\t/evil.example/x",
            "/\r\nSet-Cookie: a=b",
            "/a b",
            "/\u{0}",
            "/\u{7f}",
            "/\u{2028}",
            "/\u{3000}evil",
            "https://evil.example/",
            "http:/evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(MAX_REDIRECT_BYTES))), None);
    }

    #[test]
    fn signing_in_comes_back_to_a_page_of_this_site_and_never_to_itself() {
        assert_eq!(after_sign_in("/products/7"), "/products/7");
        assert_eq!(after_sign_in("/search?q=红枣"), "/search?q=%E7%BA%A2%E6%9E%A3");
        for bad in ["", "//evil.example", "/\\evil.example", "https://evil.example/", "/login", "/login?next=/x", "/logout"] {
            assert_eq!(after_sign_in(bad), "/", "{bad:?}");
        }
        assert_eq!(login_href("/products/7"), "/login?next=/products/7");
        assert_eq!(login_href("/search?q=a&page=2"), "/login?next=/search%3Fq%3Da%26page%3D2");
        assert_eq!(login_href("/"), "/login");
        assert_eq!(login_href("//evil.example"), "/login");
    }

    #[test]
    fn no_single_character_after_the_slash_turns_a_target_into_another_site() {
        // Every character of the first 64 Ki code points, in the place
        // where browsers decide between a path and a host.
        for c in (0u32..0x1_0000).filter_map(char::from_u32) {
            if let Some(target) = local_path(&format!("/{c}/evil.example/x")) {
                let header = HeaderValue::from_str(&target).expect("a valid header");
                let text = header.to_str().unwrap();
                assert!(text.starts_with('/') && !text.starts_with("//") && !text[1..].starts_with('\\'), "{c:?} gave {text}");
            }
        }
    }
}

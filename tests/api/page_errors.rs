//! How pages refuse: a visitor is sent to sign in, a user without the
//! page's role gets a 403 that says so, a stale form a 403 that asks for a
//! reload, an unknown thing a 404 — each in the user's language. And the
//! static files, named by their content.

use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> Res {
    let mut req = Request::get(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    app.raw(req.body(Body::empty()).unwrap()).await
}

async fn post_form(app: &TestApp, path: &str, cookie: &str, form: &str) -> Res {
    let req = Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    app.raw(req).await
}

const NO_ACCESS_ZH: &str = "您没有权限访问此页面";
const NO_ACCESS_EN: &str = "have access to this page";
const STALE_ZH: &str = "表单已过期";

#[tokio::test]
async fn a_visitor_on_a_page_for_signed_in_users_is_sent_to_sign_in_and_back() {
    let app = TestApp::demo().await;
    for path in ["/cart", "/orders", "/orders/1", "/console", "/finance/invoices", "/hub/orders", "/approvals"] {
        let res = get(&app, path, None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{path}");
        let back = format!("/login?next={path}");
        assert_eq!(res.headers.get(header::LOCATION).unwrap(), back.as_str(), "{path}");
    }
    // The query comes back too, encoded as one value.
    let res = get(&app, "/orders?status=paid&page=2", None).await;
    assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/login?next=/orders%3Fstatus%3Dpaid%26page%3D2");
}

#[tokio::test]
async fn a_user_without_the_pages_role_is_told_the_page_is_not_theirs_not_that_a_form_expired() {
    let app = TestApp::demo().await;
    let buyer = format!("zn_session={}", app.login("buyer@agency.zhunong.demo").await);
    for path in ["/console", "/console/orders", "/finance/refunds", "/hub/orders"] {
        let res = get(&app, path, Some(&buyer)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        assert!(res.text.contains(NO_ACCESS_ZH), "{path}: {}", res.text);
        assert!(!res.text.contains(STALE_ZH), "{path} speaks of an expired form");
    }
    let english = get(&app, "/console", Some(&format!("{buyer}; zn_lang=en"))).await;
    assert_eq!(english.status, StatusCode::FORBIDDEN);
    assert!(english.text.contains(NO_ACCESS_EN), "{}", english.text);
    // The page still knows who is signed in (the chrome names the user).
    assert!(english.text.contains("/logout"), "the refusal keeps the signed-in chrome");
}

#[tokio::test]
async fn a_form_of_another_role_posted_with_a_good_token_says_no_access_not_that_it_expired() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let buyer = format!("zn_session={token}");
    // The buyer's own, valid token: the refusal is the role's, not the form's.
    let csrf = crate::buying::input(&get(&app, "/cart", Some(&buyer)).await, "csrf");
    for path in ["/console/lots", "/console/products", "/finance/refunds"] {
        let res = post_form(&app, path, &buyer, &format!("csrf={csrf}&product_id=1&quantity=5")).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        assert!(res.text.contains(NO_ACCESS_ZH), "{path}: {}", res.text);
        assert!(!res.text.contains(STALE_ZH), "{path} speaks of an expired form");
    }
    let english = post_form(&app, "/console/lots", &format!("{buyer}; zn_lang=en"), &format!("csrf={csrf}")).await;
    assert!(english.text.contains(NO_ACCESS_EN) && !english.text.contains("expired"), "{}", english.text);
}

#[tokio::test]
async fn a_form_with_a_stale_token_asks_for_a_reload_and_does_not_say_no_access() {
    let app = TestApp::demo().await;
    let manager = format!("zn_session={}", app.login("manager@coop.zhunong.demo").await);
    let res = post_form(&app, "/console/lots", &manager, "csrf=stale&product_id=1&quantity=5").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.text.contains(STALE_ZH), "{}", res.text);
    assert!(!res.text.contains(NO_ACCESS_ZH));
    let buyer = format!("zn_session={}", app.login("buyer@agency.zhunong.demo").await);
    let res = post_form(&app, "/cart", &buyer, "csrf=stale&product_id=1&quantity=1").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.text.contains(STALE_ZH) && !res.text.contains(NO_ACCESS_ZH));
}

#[tokio::test]
async fn an_unknown_order_or_lot_is_a_404_page_in_the_users_language() {
    let app = TestApp::demo().await;
    let buyer = format!("zn_session={}", app.login("buyer@agency.zhunong.demo").await);
    let manager = format!("zn_session={}", app.login("manager@coop.zhunong.demo").await);
    for (path, cookie) in [("/orders/999999", &buyer), ("/orders/not-an-id", &buyer), ("/console/lots/999999", &manager)] {
        let res = get(&app, path, Some(cookie)).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert!(res.content_type().starts_with("text/html"), "{path}");
        assert!(res.text.contains("找不到该页面"), "{path}");
    }
    let english = get(&app, "/orders/999999", Some(&format!("{buyer}; zn_lang=en"))).await;
    assert!(english.text.contains("Page not found"));
    // Another cooperative's lot is not found either, rather than forbidden:
    // its existence is none of this manager's business.
    let other = app.count("SELECT MIN(l.id) FROM lots l JOIN products p ON p.id = l.product_id JOIN organisations o ON o.id = p.cooperative_id WHERE o.name NOT LIKE '伽师县巴仁村%'").await;
    assert_eq!(get(&app, &format!("/console/lots/{other}"), Some(&manager)).await.status, StatusCode::NOT_FOUND);
}

/// The hashed name the stylesheet must have: `app.` + the first ten hex
/// digits of the SHA-256 of the file on disk + `.css`.
fn expected_css_url() -> String {
    use sha2::{Digest, Sha256};
    let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/frontend/static/app.css")).unwrap();
    let hex: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    format!("/static/app.{}.css", &hex[..10])
}

#[tokio::test]
async fn the_pages_link_the_stylesheet_by_a_hash_of_its_content_cached_for_good() {
    let app = TestApp::demo().await;
    let url = expected_css_url();
    assert_eq!(zhunong::web::asset_url("app.css"), url);
    let home = get(&app, "/", None).await;
    assert!(home.text.contains(&format!("href=\"{url}\"")), "the home page links {url}");
    assert!(!home.text.contains("?v="), "no version query strings left");
    let css = get(&app, &url, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type().starts_with("text/css"));
    assert_eq!(css.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");
    let on_disk = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/frontend/static/app.css")).unwrap();
    assert_eq!(css.text, on_disk);
    for script in ["app.js", "pay.js"] {
        let res = get(&app, &zhunong::web::asset_url(script), None).await;
        assert_eq!(res.status, StatusCode::OK, "{script}");
        assert!(res.content_type().starts_with("text/javascript"), "{script}");
    }
}

#[tokio::test]
async fn the_plain_name_redirects_uncached_and_a_stale_hash_is_not_found() {
    let app = TestApp::demo().await;
    let plain = get(&app, "/static/app.css", None).await;
    assert!(plain.status.is_redirection(), "{}", plain.status);
    assert_eq!(plain.headers.get(header::LOCATION).unwrap().to_str().unwrap(), expected_css_url());
    assert_eq!(plain.headers.get(header::CACHE_CONTROL).unwrap(), "no-cache");
    // An earlier release's name: today's file must not be cached under it.
    let stale = get(&app, "/static/app.0123456789.css", None).await;
    assert_eq!(stale.status, StatusCode::NOT_FOUND);
    assert!(stale.headers.get(header::CACHE_CONTROL).is_none_or(|v| v != "public, max-age=31536000, immutable"));
}

#[tokio::test]
async fn the_home_page_offers_the_prefectures_the_catalogue_has_not_a_fixed_list() {
    let demo = TestApp::demo().await;
    let home = get(&demo, "/", None).await;
    let prefectures: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT substr(origin_code, 1, 4) || '00000000' FROM products WHERE active = 1 ORDER BY 1")
            .fetch_all(demo.db().pool())
            .await
            .unwrap();
    assert!(!prefectures.is_empty());
    for code in &prefectures {
        assert!(home.text.contains(&format!("<a href=\"/regions/{code}\">")), "{code} offered");
    }
    // A catalogue without products offers no places to browse.
    let empty = TestApp::bare().await;
    let home = get(&empty, "/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.text.contains("/regions/"), "no place is featured without produce");
}

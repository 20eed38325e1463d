//! The server-rendered pages: storefront, product, sign-in, language.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> crate::helpers::Res {
    let mut req = Request::get(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    app.raw(req.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn the_home_page_lists_products_with_origin_chain_and_cooperative_in_chinese() {
    let app = TestApp::demo().await;
    let res = page(&app, "/", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.content_type().starts_with("text/html"));
    assert!(res.text.contains(r#"<html lang="zh-CN">"#));
    assert!(res.text.contains("伽师瓜"));
    assert!(res.text.contains("新疆维吾尔自治区 › 喀什地区 › 伽师县 › "), "origin chain shown");
    assert!(res.text.contains("伽师县巴仁村瓜果种植农民专业合作社"));
    assert!(res.text.contains("¥56–68") && res.text.contains("1箱起 ¥68 · 50箱起 ¥62 · 200箱起 ¥56"), "prices in yuan, every tier");
    // The second page holds the rest.
    let second = page(&app, "/?page=2", None).await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.text.contains("rel=\"prev\""));
}

#[tokio::test]
async fn the_english_switch_sets_a_cookie_and_pages_follow_it() {
    let app = TestApp::demo().await;
    let res = page(&app, "/lang/en?next=/products/1", None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/products/1");
    assert_eq!(res.set_cookie("zn_lang").as_deref(), Some("en"));
    let home = page(&app, "/", Some("zn_lang=en")).await;
    assert!(home.text.contains(r#"<html lang="en">"#));
    assert!(home.text.contains("Jiashi melon"));
    // An absolute URL is not followed: no open redirect.
    let evil = page(&app, "/lang/en?next=//evil.example/x", None).await;
    assert_eq!(evil.headers.get(header::LOCATION).unwrap(), "/");
}

#[tokio::test]
async fn the_product_page_shows_the_breadcrumb_by_name_and_whom_it_supports() {
    let app = TestApp::demo().await;
    let id = app.count("SELECT MIN(id) FROM products").await;
    let res = page(&app, &format!("/products/{id}"), None).await;
    assert_eq!(res.status, StatusCode::OK);
    // The county by its name; its code only in the tooltip.
    assert!(
        res.text.contains("<a href=\"/regions/653129000000\" title=\"区划代码 653129000000\">伽师县</a>"),
        "county name in the breadcrumb, code in the tooltip"
    );
    assert!(!crate::report_pages::has_region_code(&crate::report_pages::visible(&res.text)), "no region code shown");
    assert!(res.text.contains(r#"data-level="village""#));
    let supported = app
        .count(&format!(
            "SELECT COUNT(DISTINCT c.household_id) FROM lot_contributions c JOIN lots l ON l.id = c.lot_id WHERE l.product_id = {id}"
        ))
        .await;
    assert!(res.text.contains(&format!("带动 <strong id=\"supports-households\">{supported}</strong> 户农户增收")), "households line");
    assert!(res.text.contains("扶贫产品") && res.text.contains("FP2024-"));
    // Certificates' dates as people read them, not as stored.
    let until: String = sqlx::query_scalar("SELECT MIN(valid_until) FROM certificates WHERE product_id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let (y, m, d) = (&until[..4], until[5..7].trim_start_matches('0'), until[8..10].trim_start_matches('0'));
    assert!(res.text.contains(&format!("{y}年{m}月{d}日")), "valid until {until} in words");
    assert!(!res.text.contains(&until), "no stored date {until} on the page");
    let missing = page(&app, "/products/999999", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("找不到该页面"), "a 404 page in the user's language");
}

/// The CSRF token of a page's form.
fn form_token(page: &crate::helpers::Res) -> String {
    let after = page.text.split(r#"name="csrf" value=""#).nth(1).expect("a form with a CSRF token");
    after.split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_token_and_then_signs_the_browser_in() {
    let app = TestApp::demo().await;
    let form = page(&app, "/login", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let nonce = form.set_cookie("zn_csrf").expect("a CSRF cookie for the form");
    let token = form_token(&form);
    assert_ne!(token, nonce, "the form's token is signed, not a copy of the cookie");

    let post = |body: String, cookie: String| {
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap()
    };
    let forged = app
        .raw(post(format!("email=manager%40coop.zhunong.demo&password=zhunong-demo&csrf={}", "f".repeat(64)), format!("zn_csrf={nonce}")))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "a token that does not match the cookie is refused");
    assert!(forged.set_cookie("zn_session").is_none());

    let wrong = app.raw(post(format!("email=manager%40coop.zhunong.demo&password=oops&csrf={token}"), format!("zn_csrf={nonce}"))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("邮箱或密码不正确"));
    assert!(wrong.text.contains("manager@coop.zhunong.demo"), "the address is kept in the form");

    let ok =
        app.raw(post(format!("email=manager%40coop.zhunong.demo&password=zhunong-demo&csrf={token}"), format!("zn_csrf={nonce}"))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let session = ok.set_cookie("zn_session").unwrap();
    let home = page(&app, "/", Some(&format!("zn_session={session}"))).await;
    assert!(home.text.contains("合作社经理 阿卜杜拉"), "signed in on the page");
}

#[tokio::test]
async fn responses_are_compressed_for_slow_links_and_carry_security_headers() {
    let app = TestApp::demo().await;
    let req = Request::get("/").header(header::ACCEPT_ENCODING, "gzip").body(Body::empty()).unwrap();
    let res = app.router.clone().oneshot_raw(req).await;
    assert_eq!(res.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
    assert_eq!(res.headers().get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(res.headers().get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
}

trait OneshotRaw {
    async fn oneshot_raw(self, req: Request<Body>) -> axum::response::Response;
}

impl OneshotRaw for axum::Router {
    async fn oneshot_raw(self, req: Request<Body>) -> axum::response::Response {
        use tower::ServiceExt;
        self.oneshot(req).await.unwrap()
    }
}

#[tokio::test]
async fn the_search_page_finds_red_dates_and_offers_facets_that_work_without_javascript() {
    let app = TestApp::demo().await;
    let res = page(&app, "/search?q=%E7%BA%A2%E6%9E%A3", None).await; // 红枣
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text.contains("泽普骏枣"), "红枣 finds the jujubes");
    assert!(!res.text.contains("伽师瓜"));
    // A facet is a plain link that adds its filter to the query.
    assert!(res.text.contains("href=\"/search?q=%E7%BA%A2%E6%9E%A3&#38;county=653124000000\""), "county facet link");
    let filtered = page(&app, "/search?q=%E7%BA%A2%E6%9E%A3&county=653124000000", None).await;
    assert!(filtered.text.contains("aria-current=\"true\""), "the active facet is marked");
    // With X-Partial the server sends only the results fragment.
    let req = Request::get("/search?category=tea").header("x-partial", "1").body(Body::empty()).unwrap();
    let partial = app.raw(req).await;
    assert_eq!(partial.status, StatusCode::OK);
    assert!(!partial.text.contains("<html") && partial.text.contains("建始富硒绿茶"));
    // A bad filter is explained on the page, in the user's language.
    let bad = page(&app, "/search?sort=cheapest", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("筛选条件有误") && bad.text.contains("sort"));
}

#[tokio::test]
async fn a_partner_buyer_can_narrow_the_search_to_its_paired_regions() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@partner.zhunong.demo").await;
    let partner = app.get("/api/v1/me", Some(&token)).await.json()["org"]["id"].as_str().unwrap().to_owned();
    let res = page(&app, "/search", Some(&format!("zn_session={token}"))).await;
    assert!(res.text.contains("只看对口帮扶地区"));
    let mine = page(&app, &format!("/search?partner={partner}&per_page=200"), Some(&format!("zn_session={token}"))).await;
    assert!(mine.text.contains("昌都牦牛肉干") && !mine.text.contains("伽师瓜"), "only 昌都市, paired with 重庆市");
}

#[tokio::test]
async fn a_visitor_browses_from_prefecture_to_county_to_cooperative() {
    let app = TestApp::demo().await;
    let kashgar = page(&app, "/regions/6531", None).await;
    assert_eq!(kashgar.status, StatusCode::OK);
    let in_jiashi = app.count("SELECT COUNT(*) FROM products WHERE origin_code LIKE '653129%'").await;
    assert!(
        kashgar.text.contains(&format!("<a href=\"/regions/653129000000\">伽师县</a> <span class=\"n\">{in_jiashi}</span>")),
        "counties with product counts"
    );
    let jiashi = page(&app, "/regions/653129000000", None).await;
    assert!(jiashi.text.contains("伽师县巴仁村瓜果种植农民专业合作社"), "its cooperatives");
    assert!(jiashi.text.contains("伽师瓜") && !jiashi.text.contains("叶城薄皮核桃"), "its products only");
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let coop_page = page(&app, &format!("/cooperatives/{coop}"), None).await;
    assert_eq!(coop_page.status, StatusCode::OK);
    let members = app.count(&format!("SELECT COUNT(*) FROM cooperative_members WHERE cooperative_id = {coop}")).await;
    assert!(coop_page.text.contains(&format!("<strong>{members}</strong>")), "member households");
    assert!(coop_page.text.contains("65.00%"), "payout ratio");
    assert_eq!(page(&app, "/regions/999999", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(&app, &format!("/cooperatives/{}", coop + 100_000), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_partner_buyer_sees_its_paired_regions_first_on_the_home_page() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@partner.zhunong.demo").await;
    let home = page(&app, "/", Some(&format!("zn_session={token}"))).await;
    let paired =
        home.text.split("class=\"paired\"").nth(1).expect("a paired-regions section").split("</section>").next().unwrap().to_owned();
    assert!(paired.contains("对口帮扶地区产品"));
    assert!(paired.contains("昌都市") && !paired.contains("喀什地区"), "{paired}");
    let visitor = page(&app, "/", None).await;
    assert!(!visitor.text.contains("class=\"paired\""));
}

fn login_post(body: String, cookie: String) -> Request<Body> {
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_planted_csrf_cookie_with_a_matching_form_token_does_not_sign_in() {
    let app = TestApp::demo().await;
    // Login CSRF: a foreign page posts the attacker's credentials with a
    // token equal to a cookie the attacker planted in the victim's browser.
    let planted = "ab".repeat(32);
    let forged = app
        .raw(login_post(format!("email=manager%40coop.zhunong.demo&password=zhunong-demo&csrf={planted}"), format!("zn_csrf={planted}")))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.set_cookie("zn_session").is_none(), "not signed in");
    // A real form's token, posted from another site by a browser that says so, is refused too.
    let form = page(&app, "/login", None).await;
    let (nonce, token) = (form.set_cookie("zn_csrf").unwrap(), form_token(&form));
    let mut cross = login_post(format!("email=manager%40coop.zhunong.demo&password=zhunong-demo&csrf={token}"), format!("zn_csrf={nonce}"));
    cross.headers_mut().insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(app.raw(cross).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_overlong_e_mail_on_the_login_page_is_explained_in_the_users_language() {
    let app = TestApp::demo().await;
    let form = page(&app, "/login", None).await;
    let (nonce, token) = (form.set_cookie("zn_csrf").unwrap(), form_token(&form));
    let email = format!("{}%40example.cn", "a".repeat(100_000));
    let res = app.raw(login_post(format!("email={email}&password=x&csrf={token}"), format!("zn_csrf={nonce}"))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text.contains("邮箱或密码过长"), "a page in Chinese");
    assert!(res.text.len() < 50_000, "the address is not echoed back");
}

#[tokio::test]
async fn the_language_switch_only_goes_back_to_paths_of_this_site_and_never_fails() {
    let app = TestApp::demo().await;
    for next in [
        "/%09/evil.example/x",      // a tab, which browsers drop: //evil.example
        "//evil.example/x",         // protocol-relative
        "/%5Cevil.example",         // /\ — browsers read \ as /
        "%5C%5Cevil.example",       // \\
        "/%0D%0ASet-Cookie:%20a=b", // CR LF: header injection
        "/%0Aevil",                 // a control character alone gave a 500
        "/%00",
        "/%7F",
        "https://evil.example/", // absolute URLs
        "http:evil.example",
        "javascript:alert(1)",
        "/%E3%80%80/evil.example", // an ideographic space
        "",
    ] {
        let res = page(&app, &format!("/lang/en?next={next}"), None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{next}: {}", res.text);
        assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/", "{next}");
    }
    // A query string that does not even parse goes home too.
    let odd = page(&app, "/lang/en?next=%ZZ&next=/a&&=", None).await;
    assert_eq!(odd.status, StatusCode::SEE_OTHER);
    // A real path comes back, with characters beyond ASCII encoded.
    let back = page(&app, "/lang/en?next=/regions/%E4%BC%BD?x=1", None).await;
    assert_eq!(back.headers.get(header::LOCATION).unwrap(), "/regions/%E4%BC%BD?x=1");
}

/// Each directive of the policy every page gets.
const STRICT_POLICY: [&str; 8] = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
];

fn csp(res: &crate::helpers::Res) -> String {
    res.headers.get(header::CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn every_answer_carries_a_strict_content_security_policy_that_the_pages_keep_to() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let session = format!("zn_session={buyer}");
    let product = app.count("SELECT MIN(id) FROM products").await;
    for (path, cookie) in [
        ("/", None),
        ("/login", None),
        ("/search?q=%E7%BA%A2%E6%9E%A3", None),
        (&format!("/products/{product}") as &str, Some(session.as_str())),
        ("/orders", Some(session.as_str())),
        ("/cart", Some(session.as_str())),
        ("/no/such/page", None),
        ("/api/v1/products", None),
        (&zhunong::web::asset_url("app.css") as &str, None),
    ] {
        let res = page(&app, path, cookie).await;
        let policy = csp(&res);
        for directive in STRICT_POLICY {
            assert!(policy.split(';').any(|d| d.trim() == directive), "{path}: {directive} missing from {policy:?}");
        }
        assert!(!policy.contains("stripe") && !policy.contains("unsafe"), "{path}: {policy}");
        if res.content_type().starts_with("text/html") {
            // Nothing the policy would block: no inline script, handler or style.
            let html = res.text.to_lowercase();
            assert!(!html.contains("<script>") && !html.contains("<style"), "{path} has an inline script or style");
            assert!(!html.contains(" style=") && !html.contains("javascript:"), "{path} has an inline style or javascript: link");
            for handler in [" onclick=", " onload=", " onsubmit=", " onchange=", " oninput=", " onerror="] {
                assert!(!html.contains(handler), "{path} has an inline handler {handler}");
            }
        }
    }
}

#[tokio::test]
async fn signed_in_answers_are_never_stored_and_the_static_files_stay_cacheable() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let session = format!("zn_session={token}");
    let cache = |res: &crate::helpers::Res| res.headers.get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_owned());
    for path in ["/", "/orders", "/cart", "/api/v1/me", "/api/v1/orders"] {
        assert_eq!(cache(&page(&app, path, Some(&session)).await).as_deref(), Some("no-store"), "{path} with the cookie");
        assert_eq!(cache(&app.get(path, Some(&token)).await).as_deref(), Some("no-store"), "{path} with the bearer token");
    }
    // Signing in answers with the token itself.
    let login = app.post("/api/v1/auth/login", serde_json::json!({"email": "admin@zhunong.demo", "password": "zhunong-demo"}), None).await;
    assert_eq!(cache(&login).as_deref(), Some("no-store"));
    // The login form's CSRF token is personal too.
    assert_eq!(cache(&page(&app, "/login", None).await).as_deref(), Some("no-store"));
    let css = page(&app, &zhunong::web::asset_url("app.css"), Some(&session)).await;
    assert_eq!(cache(&css).as_deref(), Some("public, max-age=31536000, immutable"));
    assert_eq!(cache(&page(&app, "/products/1", None).await), None, "a visitor's product page may be cached");
}

#[tokio::test]
async fn with_secure_cookies_answers_carry_hsts_and_cookies_are_secure_host_cookies() {
    let plain = TestApp::demo().await;
    assert!(page(&plain, "/", None).await.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS over plain HTTP");

    let app = TestApp::configured(crate::helpers::Seed::Demo, &[("ZHUNONG_SECURE_COOKIES", "true")]).await;
    let home = page(&app, "/", None).await;
    assert_eq!(home.headers.get(header::STRICT_TRANSPORT_SECURITY).unwrap(), "max-age=31536000");
    let cookies = |res: &crate::helpers::Res| -> Vec<String> {
        res.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    };
    let form = page(&app, "/login", None).await;
    let csrf_cookie = cookies(&form).into_iter().find(|c| c.starts_with("__Host-zn_csrf=")).expect("a __Host- CSRF cookie");
    assert!(csrf_cookie.contains("; Secure") && csrf_cookie.contains("Path=/") && !csrf_cookie.contains("Domain"), "{csrf_cookie}");
    // The form signs in with the __Host- cookie, and only with it.
    let nonce = form.set_cookie("__Host-zn_csrf").unwrap();
    let body = format!("email=manager%40coop.zhunong.demo&password=zhunong-demo&csrf={}", form_token(&form));
    assert_eq!(app.raw(login_post(body.clone(), format!("zn_csrf={nonce}"))).await.status, StatusCode::FORBIDDEN);
    let ok = app.raw(login_post(body, format!("__Host-zn_csrf={nonce}"))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let session_cookie = cookies(&ok).into_iter().find(|c| c.starts_with("__Host-zn_session=")).expect("a __Host- session cookie");
    assert!(session_cookie.contains("; Secure") && session_cookie.contains("HttpOnly"), "{session_cookie}");
    let token = ok.set_cookie("__Host-zn_session").unwrap();
    let me = |cookie: String| Request::get("/api/v1/me").header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    assert_eq!(app.raw(me(format!("__Host-zn_session={token}"))).await.status, StatusCode::OK);
    assert_eq!(app.raw(me(format!("zn_session={token}"))).await.status, StatusCode::UNAUTHORIZED, "a plain cookie could be planted");
}

#[tokio::test]
async fn places_are_shown_by_name_and_pages_count_their_items_in_both_languages() {
    let app = TestApp::demo().await;
    for path in ["/regions/653129000000", "/regions/6531"] {
        let res = page(&app, path, None).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        let text = crate::report_pages::visible(&res.text);
        assert!(!crate::report_pages::has_region_code(&text), "{path} shows a region code:\n{text}");
    }
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products").await;
    let csrf = crate::buying::input(&page(&app, &format!("/products/{product}"), Some(&format!("zn_session={buyer}"))).await, "csrf");
    let added =
        crate::buying::post(&app, "/cart", &buyer, &[("csrf", &csrf), ("product_id", &product.to_string()), ("quantity", "1")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let checkout = page(&app, "/checkout?region=653101000000", Some(&format!("zn_session={buyer}"))).await;
    assert_eq!(checkout.status, StatusCode::OK);
    assert!(!crate::report_pages::has_region_code(&crate::report_pages::visible(&checkout.text)), "{}", checkout.text);
    assert!(checkout.text.contains("title=\"区划代码 653101000000\""), "the chosen region's code in its tooltip");

    let total = app.count("SELECT COUNT(*) FROM products WHERE active = 1").await;
    let home = page(&app, "/", None).await;
    let pages_line = home.text.split("第 1 / ").nth(1).expect("a pager").split('<').next().unwrap().to_owned();
    assert!(pages_line.ends_with(&format!(" 页，共 {total} 件")), "{pages_line}");
    let english = page(&app, "/", Some("zn_lang=en")).await;
    assert!(english.text.contains("Page 1 of ") && english.text.contains(&format!(", {total} items")), "the English pager");
    let search = page(&app, "/search?per_page=10", None).await;
    assert!(search.text.contains("第 1 / "), "the search results' pager");
}

/// Signs in through the form of `/login?next=…` with the `next` the form
/// carries (or `next` given), as the cooperative's manager.
async fn sign_in_from(app: &TestApp, login_path: &str, next: Option<&str>) -> crate::helpers::Res {
    let form = page(app, login_path, None).await;
    assert_eq!(form.status, StatusCode::OK, "{login_path}");
    let (nonce, token) = (form.set_cookie("zn_csrf").unwrap(), form_token(&form));
    let carried = form.text.split(r#"name="next" value=""#).nth(1).map(|v| v.split('"').next().unwrap().replace("&#38;", "&"));
    let next = next.map(str::to_owned).or(carried);
    let mut body = format!("email=manager%40coop.zhunong.demo&password=zhunong-demo&csrf={token}");
    if let Some(n) = next {
        let encoded: String = n.bytes().map(|b| format!("%{b:02X}")).collect();
        body.push_str(&format!("&next={encoded}"));
    }
    app.raw(login_post(body, format!("zn_csrf={nonce}"))).await
}

#[tokio::test]
async fn a_visitor_on_a_product_page_signs_in_to_buy_and_lands_back_on_the_product() {
    let app = TestApp::demo().await;
    let id = app.count("SELECT MIN(id) FROM products").await;
    let product = page(&app, &format!("/products/{id}"), None).await;
    let link = format!(r#"href="/login?next=/products/{id}">登录后采购</a>"#);
    assert!(product.text.contains(&link), "{}", product.text);
    let english = page(&app, &format!("/products/{id}"), Some("zn_lang=en")).await;
    assert!(english.text.contains(&format!(r#"href="/login?next=/products/{id}">Sign in to buy</a>"#)));
    // Signed in, the form to buy replaces the link.
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let signed_in = page(&app, &format!("/products/{id}"), Some(&format!("zn_session={buyer}"))).await;
    assert!(!signed_in.text.contains("登录后采购") && signed_in.text.contains("id=\"add-to-cart\""));

    // The sign-in page carries next through its form, and signing in goes there.
    let res = sign_in_from(&app, &format!("/login?next=/products/{id}"), None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.headers.get(header::LOCATION).unwrap().to_str().unwrap(), format!("/products/{id}"));
    // A page with a query comes back whole.
    let res = sign_in_from(&app, "/login?next=%2Fsearch%3Fq%3Da%26page%3D2", None).await;
    assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/search?q=a&page=2");
}

#[tokio::test]
async fn signing_in_with_a_next_that_leaves_the_site_goes_home_instead() {
    let app = TestApp::demo().await;
    for next in ["//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "products/1", "/login", ""] {
        let res = sign_in_from(&app, "/login", Some(next)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/", "{next:?}");
    }
    // Nor does the sign-in form carry it.
    let form = page(&app, "/login?next=//evil.example/x", None).await;
    assert!(!form.text.contains("evil.example"), "an unsafe next is dropped");
    // A user already signed in is sent on at once.
    let token = app.login("buyer@agency.zhunong.demo").await;
    let res = page(&app, "/login?next=/orders", Some(&format!("zn_session={token}"))).await;
    assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/orders");
    let res = page(&app, "/login?next=//evil.example", Some(&format!("zn_session={token}"))).await;
    assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/");
}

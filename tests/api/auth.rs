//! Sign-in, tokens, cookies, rate limit and scoping by organisation.

use crate::helpers::{Seed, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn a_wrong_password_is_a_401_and_the_right_one_gives_a_token_for_me() {
    let app = TestApp::demo().await;
    let wrong = app.post("/api/v1/auth/login", json!({"email": "buyer@agency.zhunong.demo", "password": "nope"}), None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.content_type(), "application/problem+json");
    let unknown = app.post("/api/v1/auth/login", json!({"email": "nobody@zhunong.demo", "password": "zhunong-demo"}), None).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.json()["detail"], wrong.json()["detail"], "the answer does not tell which addresses exist");

    let token = app.login("buyer@agency.zhunong.demo").await;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!(me["email"], "buyer@agency.zhunong.demo");
    assert_eq!(me["roles"], json!(["agency_buyer"]));
    assert_eq!(me["org"]["kind"], "agency");
    assert_eq!(me["org"]["name"], "喀什地区第一中学");
    assert!(me["org"]["id"].is_string(), "ids are opaque strings");
}

#[tokio::test]
async fn me_without_credentials_or_with_a_bad_token_is_a_401() {
    let app = TestApp::demo().await;
    assert_eq!(app.get("/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Some(&"0".repeat(64))).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Some("short")).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_sets_an_http_only_cookie_that_signs_the_browser_in() {
    let app = TestApp::demo().await;
    let res = app.post("/api/v1/auth/login", json!({"email": "Official@County.Zhunong.Demo ", "password": "zhunong-demo"}), None).await;
    assert_eq!(res.status, StatusCode::OK, "e-mail addresses are case-insensitive and trimmed");
    let set_cookie = res.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = res.set_cookie("zn_session").unwrap();
    let req = Request::get("/api/v1/me").header(header::COOKIE, format!("zn_session={cookie}")).body(Body::empty()).unwrap();
    let me = app.raw(req).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["roles"], json!(["official"]));
}

#[tokio::test]
async fn logging_out_ends_the_token() {
    let app = TestApp::demo().await;
    let token = app.login("admin@zhunong.demo").await;
    assert_eq!(app.send("POST", "/api/v1/auth/logout", None, Some(&token)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failures_lock_the_address_with_a_429_even_for_the_right_password() {
    let app = TestApp::demo().await; // the test config allows 5 failures
    for _ in 0..5 {
        let res = app.post("/api/v1/auth/login", json!({"email": "finance@zhunong.demo", "password": "guess"}), None).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let locked = app.post("/api/v1/auth/login", json!({"email": "finance@zhunong.demo", "password": "zhunong-demo"}), None).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = locked.headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Another address is not affected.
    app.login("admin@zhunong.demo").await;
}

#[tokio::test]
async fn passwords_are_stored_as_argon2_hashes_and_tokens_only_as_digests() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM users").fetch_all(app.db().pool()).await.unwrap();
    assert!(hashes.iter().all(|h| h.starts_with("$argon2id$") && !h.contains("zhunong-demo")));
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1").bind(&token).fetch_one(app.db().pool()).await.unwrap();
    assert_eq!(stored, 0, "the token itself is never stored");
}

#[tokio::test]
async fn a_cooperative_manager_cannot_read_another_cooperatives_lots() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let me = app.get("/api/v1/me", Some(&token)).await.json();
    let own_coop = me["org"]["id"].as_str().unwrap().to_owned();
    let (own, other): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT MIN(id) FROM products WHERE cooperative_id = CAST($1 AS BIGINT)), \
                (SELECT MIN(id) FROM products WHERE cooperative_id <> CAST($1 AS BIGINT))",
    )
    .bind(&own_coop)
    .fetch_one(app.db().pool())
    .await
    .unwrap();

    let mine = app.get(&format!("/api/v1/lots?product_id={own}"), Some(&token)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.json()["total"].as_i64().unwrap() >= 2);

    let theirs = app.get(&format!("/api/v1/lots?product_id={other}"), Some(&token)).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    assert_eq!(theirs.content_type(), "application/problem+json");

    // Nor can it see them by listing everything, or by guessing a lot id.
    let all = app.get("/api/v1/lots?per_page=200", Some(&token)).await.json();
    let own_products: Vec<i64> = sqlx::query_scalar("SELECT id FROM products WHERE cooperative_id = CAST($1 AS BIGINT)")
        .bind(&own_coop)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    let listed = all["items"].as_array().unwrap();
    assert!(!listed.is_empty());
    for lot in listed {
        let product: i64 = lot["product_id"].as_str().unwrap().parse().unwrap();
        assert!(own_products.contains(&product), "lot {lot} is of the manager's own cooperative");
    }
    let other_lot: i64 =
        sqlx::query_scalar("SELECT MIN(id) FROM lots WHERE product_id = $1").bind(other).fetch_one(app.db().pool()).await.unwrap();
    assert_eq!(app.get(&format!("/api/v1/lots/{other_lot}/history"), Some(&token)).await.status, StatusCode::NOT_FOUND);

    // And a buyer may not read lots at all.
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(app.get(&format!("/api/v1/lots?product_id={own}"), Some(&buyer)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/lots", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cookie_alone_cannot_change_anything_through_the_api() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let body = serde_json::json!({
        "lines": [{"product_id": product.to_string(), "quantity": 1}],
        "delivery": {"region_code": "653101000000", "address": "人民东路1号", "contact_name": "王老师", "phone": "0998-2821234"},
        "payment_method": "invoice"
    })
    .to_string();
    let with_cookie = |csrf: Option<&str>| {
        let mut req = Request::post("/api/v1/orders")
            .header(header::COOKIE, format!("zn_session={token}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.body(Body::from(body.clone())).unwrap()
    };
    // What a foreign page could make the browser send: refused, nothing placed.
    let forged = app.raw(with_cookie(None)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text);
    assert!(forged.text.contains("X-CSRF-Token"));
    assert_eq!(app.raw(with_cookie(Some("0000"))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 0);
    // The page's own script reads the token from /api/v1/me and sends it.
    let me = app.raw(Request::get("/api/v1/me").header(header::COOKIE, format!("zn_session={token}")).body(Body::empty()).unwrap()).await;
    let csrf = me.json()["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(app.raw(with_cookie(Some(&csrf))).await.status, StatusCode::CREATED);
    // Reading needs no token; a bearer token needs none either.
    assert_eq!(app.post("/api/v1/orders", serde_json::from_str(&body).unwrap(), Some(&token)).await.status, StatusCode::CREATED);
}

/// Counts the statuses of a batch of answers.
fn tally(statuses: &[StatusCode]) -> (usize, usize, usize) {
    let of = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    (of(StatusCode::OK), of(StatusCode::UNAUTHORIZED), of(StatusCode::TOO_MANY_REQUESTS))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_wrong_passwords_get_at_most_the_limit_checked() {
    let app = TestApp::demo().await; // the test config allows 5 failures
    let mut tasks = Vec::new();
    for i in 0..200 {
        let router = app.router.clone();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let body = json!({"email": "finance@zhunong.demo", "password": format!("guess-{i}")}).to_string();
            let req = Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap();
            router.oneshot(crate::helpers::from_address(req, "203.0.113.9")).await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    // Every 401 is one password checked; the limit is charged before the
    // check, in one statement, so racing requests cannot all slip under it.
    let (ok, checked, refused) = tally(&statuses);
    assert_eq!(ok, 0);
    assert!((1..=5).contains(&checked), "{checked} passwords checked of 200 racing attempts");
    assert_eq!(checked + refused, 200, "the rest are 429: {statuses:?}");
    // The attacker's address is locked out of the account, the right password included.
    assert_eq!(app.login_from("203.0.113.9", "finance@zhunong.demo", "zhunong-demo").await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_attackers_failures_do_not_lock_the_owner_out_from_another_address() {
    let app = TestApp::demo().await;
    for _ in 0..5 {
        assert_eq!(app.login_from("203.0.113.9", "finance@zhunong.demo", "guess").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login_from("203.0.113.9", "finance@zhunong.demo", "guess").await.status, StatusCode::TOO_MANY_REQUESTS);
    let owner = app.login_from("198.51.100.7", "finance@zhunong.demo", "zhunong-demo").await;
    assert_eq!(owner.status, StatusCode::OK, "the owner signs in from an address that has not failed: {}", owner.text);
    // The owner's own typo, then the right password, from the owner's address.
    assert_eq!(app.login_from("198.51.100.7", "finance@zhunong.demo", "zhunong-dem0").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login_from("198.51.100.7", "finance@zhunong.demo", "zhunong-demo").await.status, StatusCode::OK);
}

#[tokio::test]
async fn spraying_one_password_over_forty_accounts_from_one_address_is_limited() {
    let app = TestApp::demo().await; // 30 failures per client address by default
    let mut statuses = Vec::new();
    for i in 0..40 {
        statuses.push(app.login_from("203.0.113.50", &format!("staff{i}@kashi-school.example.cn"), "123456").await.status);
    }
    let (_, checked, refused) = tally(&statuses);
    assert_eq!((checked, refused), (30, 10), "{statuses:?}");
    // Another client is not affected.
    assert_eq!(app.login_from("198.51.100.7", "admin@zhunong.demo", "zhunong-demo").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_platform_wide_ceiling_stops_addresses_that_keep_failing_but_not_the_right_password_of_a_fresh_one() {
    let app = TestApp::configured(Seed::Demo, &[("ZHUNONG_LOGIN_FAILURES_PER_MINUTE", "3")]).await;
    for i in 1..=3 {
        let res = app.login_from(&format!("203.0.113.{i}"), &format!("user{i}@example.cn"), "123456").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // An address that has failed before is stopped by the full ceiling.
    let again = app.login_from("203.0.113.1", "user9@example.cn", "123456").await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = again.headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // A fresh address with the right password gets in: a few addresses
    // failing fast cannot lock the whole platform out (probe of issue 16).
    let owner = app.login_from("198.51.100.7", "finance@zhunong.demo", "zhunong-demo").await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.text);
}

#[tokio::test]
async fn an_e_mail_address_of_two_megabytes_is_refused_before_any_work_and_stores_nothing() {
    let app = TestApp::demo().await;
    let huge = format!("{}@example.cn", "a".repeat(1_900_000));
    for _ in 0..20 {
        let res = app.login_from("203.0.113.9", &huge, "guess").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.content_type(), "application/problem+json");
        assert_eq!(res.json()["errors"][0]["field"], "email");
    }
    let long_password = app.login_from("203.0.113.9", "finance@zhunong.demo", &"p".repeat(1025)).await;
    assert_eq!(long_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM login_limits").await, 0, "nothing counted, nothing stored");
    // A counted failure stores fixed-size keys, never the address typed.
    let wrong = app.login_from("203.0.113.9", &format!("{}@example.cn", "b".repeat(240)), "guess").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("SELECT CAST(MAX(length(key)) AS BIGINT) FROM login_limits").await, 64);
    assert_eq!(app.count("SELECT COUNT(*) FROM login_limits WHERE key LIKE '%example%'").await, 0);
}

#[tokio::test]
async fn counters_whose_window_has_ended_are_purged_and_let_the_address_in_again() {
    let app = TestApp::demo().await;
    for _ in 0..5 {
        app.login_from("203.0.113.9", "finance@zhunong.demo", "guess").await;
    }
    assert_eq!(app.login_from("203.0.113.9", "finance@zhunong.demo", "zhunong-demo").await.status, StatusCode::TOO_MANY_REQUESTS);
    // Fifteen minutes pass (the windows are moved, not waited for), and
    // 150 dead counters of other clients lie about.
    let past = "2026-01-01T00:00:00.000000Z";
    sqlx::query("UPDATE login_limits SET expires_at = $1").bind(past).execute(app.db().pool()).await.unwrap();
    for i in 0..150 {
        sqlx::query("INSERT INTO login_limits (key, attempts, expires_at) VALUES ($1, 3, $2)")
            .bind(format!("{i:064x}"))
            .bind(past)
            .execute(app.db().pool())
            .await
            .unwrap();
    }
    let dead = "SELECT COUNT(*) FROM login_limits WHERE expires_at = '2026-01-01T00:00:00.000000Z'";
    let before = app.count(dead).await;
    assert_eq!(app.login_from("198.51.100.7", "nobody@example.cn", "guess").await.status, StatusCode::UNAUTHORIZED);
    let after_one = app.count(dead).await;
    assert!(after_one < before && after_one > 0, "each attempt sweeps a bounded batch: {before} → {after_one}");
    assert_eq!(app.login_from("203.0.113.9", "finance@zhunong.demo", "zhunong-demo").await.status, StatusCode::OK);
    app.login_from("198.51.100.7", "nobody@example.cn", "guess").await;
    assert_eq!(app.count(dead).await, 0, "all dead counters gone after a few attempts");
}

#[tokio::test]
async fn the_api_logout_with_the_cookie_alone_needs_the_csrf_header() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let cookie = format!("zn_session={token}");
    let logout = |csrf: Option<String>| {
        let mut req = Request::post("/api/v1/auth/logout").header(header::COOKIE, cookie.clone());
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.body(Body::empty()).unwrap()
    };
    let me = || Request::get("/api/v1/me").header(header::COOKIE, cookie.clone()).body(Body::empty()).unwrap();
    // What a foreign page could make the browser send: refused, still signed in.
    let forged = app.raw(logout(None)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text);
    assert_eq!(forged.content_type(), "application/problem+json");
    let still = app.raw(me()).await;
    assert_eq!(still.status, StatusCode::OK);
    let csrf = still.json()["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(app.raw(logout(Some(csrf))).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.raw(me()).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_counted_not_the_proxy() {
    let app = TestApp::configured(Seed::Demo, &[("ZHUNONG_TRUSTED_PROXIES", "10.0.0.1")]).await;
    let through_proxy = |client: &str, password: &str| {
        let body = json!({"email": "finance@zhunong.demo", "password": password}).to_string();
        let req = Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            // The client may write anything left of what the proxy appends.
            .header("x-forwarded-for", format!("198.51.100.7, {client}"))
            .body(Body::from(body))
            .unwrap();
        crate::helpers::from_address(req, "10.0.0.1")
    };
    for _ in 0..5 {
        assert_eq!(app.raw(through_proxy("203.0.113.9", "guess")).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.raw(through_proxy("203.0.113.9", "zhunong-demo")).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is another client.
    assert_eq!(app.raw(through_proxy("192.0.2.44", "zhunong-demo")).await.status, StatusCode::OK);
}

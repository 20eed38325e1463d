//! Bounds at the edge (issue 16, findings 2, 4 and 15): numbers too large
//! to add up, lists too long to check, and the answers the framework gives
//! on its own (405, 413, 415) are all refused in the caller's terms before
//! they can hurt anyone else.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

fn delivery() -> Value {
    crate::helpers::canteen_delivery()
}

/// The demo cooperative manager's token, one of its products, a node its
/// lots sit at and one member household.
async fn coop(app: &TestApp) -> (String, i64, i64, i64) {
    let token = app.login("manager@coop.zhunong.demo").await;
    let product = app
        .count("SELECT MIN(p.id) FROM products p JOIN users u ON u.org_id = p.cooperative_id WHERE u.email = 'manager@coop.zhunong.demo'")
        .await;
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {product}")).await;
    let household = app
        .count(&format!(
            "SELECT MIN(m.household_id) FROM cooperative_members m JOIN products p ON p.cooperative_id = m.cooperative_id WHERE p.id = {product}"
        ))
        .await;
    (token, product, node, household)
}

fn fields(res: &crate::helpers::Res) -> Vec<String> {
    res.json()["errors"].as_array().map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn a_lot_too_large_to_add_up_is_refused_and_the_storefront_keeps_answering() {
    let app = TestApp::demo().await;
    let (token, product, node, household) = coop(&app).await;
    let huge = 9_200_000_000_000_000_000_i64;
    let body = json!({"product_id": product.to_string(), "quantity": huge, "harvested_on": "2026-11-01", "expires_on": "2027-11-01",
        "node_id": node.to_string(), "contributions": [{"household_id": household.to_string(), "quantity": huge}]});
    let res = app.post("/api/v1/lots", body, Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(fields(&res).contains(&"quantity".to_owned()), "{}", res.text);
    assert!(res.text.contains("1,000,000,000"), "the limit is stated: {}", res.text);

    // A lot at the limit is fine; two of them still add up.
    let max = zhunong::bounds::MAX_LOT_UNITS;
    for _ in 0..2 {
        let body = json!({"product_id": product.to_string(), "quantity": max, "harvested_on": "2026-11-01", "expires_on": "2027-11-01",
            "node_id": node.to_string(), "contributions": [{"household_id": household.to_string(), "quantity": max}]});
        assert_eq!(app.post("/api/v1/lots", body, Some(&token)).await.status, StatusCode::CREATED);
    }
    app.index().await;
    assert_eq!(app.get("/api/v1/products", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_adjustment_past_the_bounds_is_a_clear_refusal_not_a_server_error() {
    let app = TestApp::demo().await;
    let (token, product, _, _) = coop(&app).await;
    let lot = app.count(&format!("SELECT MIN(id) FROM lots WHERE product_id = {product}")).await;
    let history_before = app.count(&format!("SELECT COUNT(*) FROM stock_movements WHERE lot_id = {lot}")).await;
    for delta in [i64::MAX, i64::MIN + 1, zhunong::bounds::MAX_LOT_UNITS] {
        let res = app
            .post(&format!("/api/v1/lots/{lot}/adjustments"), json!({"delta": delta, "reason": "recount", "note": ""}), Some(&token))
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "delta {delta}: {}", res.text);
        assert_eq!(res.content_type(), "application/problem+json");
    }
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM stock_movements WHERE lot_id = {lot}")).await, history_before, "nothing recorded");
}

#[tokio::test]
async fn a_price_too_large_to_multiply_is_refused() {
    let app = TestApp::demo().await;
    let (token, product, _, _) = coop(&app).await;
    let origin: String =
        sqlx::query_scalar("SELECT origin_code FROM products WHERE id = $1").bind(product).fetch_one(app.db().pool()).await.unwrap();
    let body = json!({"name": "伽师瓜礼盒", "category": "fruit", "unit": "箱", "spec": "5kg", "storage": "ambient", "origin_code": origin,
        "unit_weight_g": 5500, "price_tiers": [{"min_quantity": 1, "unit_price_fen": i64::MAX}], "certificates": []});
    let res = app.post("/api/v1/products", body, Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(fields(&res).contains(&"price_tiers[0].unit_price_fen".to_owned()), "{}", res.text);
    assert!(res.text.contains("¥1,000,000"), "the limit is stated: {}", res.text);
}

#[tokio::test]
async fn an_order_of_sixty_thousand_lines_is_refused_at_once_with_one_short_answer() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let lines: Vec<Value> = (0..60_000).map(|i| json!({"product_id": (i % 7 + 1).to_string(), "quantity": 1})).collect();
    let body = json!({"lines": lines, "delivery": delivery(), "payment_method": "invoice"});
    assert!(body.to_string().len() < 2 * 1024 * 1024, "under the body limit, so it reaches validation");
    let orders_before = app.count("SELECT COUNT(*) FROM orders").await;
    let res = app.post("/api/v1/orders", body, Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(fields(&res), vec!["lines".to_owned()], "one error for the list, none per line");
    assert!(res.text.len() < 1024, "a short answer: {} bytes", res.text.len());
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, orders_before);
}

#[tokio::test]
async fn an_order_whose_total_would_pass_the_limit_is_refused_before_anything_is_reserved() {
    let app = TestApp::demo().await;
    let (manager, product, _, _) = coop(&app).await;
    // The dearest price allowed, on the largest line allowed.
    let res = app
        .send(
            "PATCH",
            &format!("/api/v1/products/{product}"),
            Some(json!({"price_tiers": [{"min_quantity": 1, "unit_price_fen": zhunong::bounds::MAX_UNIT_PRICE_FEN}]})),
            Some(&manager),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let body = json!({"lines": [{"product_id": product.to_string(), "quantity": zhunong::bounds::MAX_LINE_UNITS}], "delivery": delivery(), "payment_method": "invoice"});
    let res = app.post("/api/v1/orders", body, Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(res.text.contains("¥100,000,000"), "{}", res.text);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM order_lines WHERE product_id = {product}")).await, 0);
}

#[tokio::test]
async fn a_cart_holds_at_most_as_many_products_as_an_order_has_lines() {
    let app = TestApp::demo().await;
    let (manager, product, _, _) = coop(&app).await;
    let origin: String =
        sqlx::query_scalar("SELECT origin_code FROM products WHERE id = $1").bind(product).fetch_one(app.db().pool()).await.unwrap();
    let user = app.count("SELECT id FROM users WHERE email = 'buyer@agency.zhunong.demo'").await;
    let limit = zhunong::orders::cart::MAX_LINES;
    let mut ids = Vec::new();
    for i in 0..=limit {
        let body = json!({"name": format!("伽师瓜 {i} 号箱"), "category": "fruit", "unit": "箱", "spec": "5kg", "storage": "ambient",
            "origin_code": origin, "unit_weight_g": 5500, "price_tiers": [{"min_quantity": 1, "unit_price_fen": 8800}], "certificates": []});
        let res = app.post("/api/v1/products", body, Some(&manager)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        ids.push(res.json()["id"].as_str().unwrap().parse::<i64>().unwrap());
    }
    use zhunong::orders::cart::{Added, add};
    for id in &ids[..limit] {
        assert_eq!(add(app.db(), user, *id, 1).await.unwrap(), Added::Yes);
    }
    assert_eq!(add(app.db(), user, ids[limit], 1).await.unwrap(), Added::CartFull, "one product more than an order may hold");
    assert_eq!(add(app.db(), user, ids[0], 5).await.unwrap(), Added::Yes, "a product already there can still be raised");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM cart_lines WHERE user_id = {user}")).await, limit as i64);
}

#[tokio::test]
async fn the_api_answers_a_wrong_method_a_huge_body_and_a_wrong_content_type_in_problem_json() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;

    let res = app.send("DELETE", "/api/v1/orders", None, Some(&token)).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.content_type(), "application/problem+json", "{}", res.text);
    assert_eq!(res.json()["status"], 405);

    let big = Request::post("/api/v1/orders")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, 3 * 1024 * 1024)
        .body(Body::from(vec![b' '; 3 * 1024 * 1024]))
        .unwrap();
    let res = app.raw(big).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.content_type(), "application/problem+json", "{}", res.text);

    let body = json!({"lines": [{"product_id": "1", "quantity": 1}], "delivery": delivery(), "payment_method": "invoice"});
    let plain = Request::post("/api/v1/orders")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.raw(plain).await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(res.content_type(), "application/problem+json", "{}", res.text);

    // A login body of the wrong type is 415 too, not a 400 in text/plain.
    let res = app.raw(Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "text/plain").body(Body::from("{}")).unwrap()).await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(res.content_type(), "application/problem+json");
}

#[tokio::test]
async fn pages_answer_a_wrong_method_and_a_huge_form_with_a_page_in_the_visitors_language() {
    let app = TestApp::demo().await;
    let res = app.raw(Request::delete("/search").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.content_type().starts_with("text/html"), "{}", res.content_type());
    assert!(res.text.contains("无法处理该请求"), "{}", res.text);

    let huge = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, "zn_lang=en")
        .body(Body::from(vec![b'a'; 3 * 1024 * 1024]))
        .unwrap();
    let res = app.raw(huge).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.content_type().starts_with("text/html"), "{}", res.content_type());
    assert!(res.text.contains("too large"), "in English, as the visitor chose: {}", res.text);
}

#[tokio::test]
async fn a_control_character_in_any_text_is_a_clear_refusal_on_both_databases_never_a_server_error() {
    let app = TestApp::demo().await;
    // Signed out: the sign-in itself (U+0000 was a 500 on PostgreSQL).
    let res = app.post("/api/v1/auth/login", json!({"email": "a\u{0}@x.demo", "password": "x"}), None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.content_type(), "application/problem+json");

    // An order's address, and a text-direction override in a bank reference.
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let mut body = crate::helpers::order_body(&[(product, 1)]);
    body["delivery"]["address"] = json!("人民东路1号\u{0}");
    let orders_before = app.count("SELECT COUNT(*) FROM orders").await;
    let res = app.post("/api/v1/orders", body, Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, orders_before, "nothing stored");
    let placed = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, 1)]), Some(&buyer)).await;
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let res = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": "ICBC-\u{202E}77"}), Some(&finance)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM payments WHERE order_id = {id}")).await, 0, "not paid with a disguised reference");

    // A page form: a page in the visitor's language, whatever the form.
    let res = app
        .raw(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("email=a%00%40x.demo&password=x&csrf=0"))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.content_type().starts_with("text/html"), "{}", res.content_type());
    assert!(res.text.contains("控制字符"), "{}", res.text);
    // Ordinary text with line breaks and a percent sign passes the guard.
    let res = app
        .raw(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("email=%E7%8E%8B%0A100%25&password=x&csrf=0"))
                .unwrap(),
        )
        .await;
    assert_ne!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
}

#[tokio::test]
async fn an_order_delivered_to_a_whole_province_is_refused_and_a_county_is_enough() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    for too_coarse in ["650000000000", "653100000000"] {
        let mut body = crate::helpers::order_body(&[(product, 1)]);
        body["delivery"]["region_code"] = json!(too_coarse);
        let res = app.post("/api/v1/orders", body, Some(&buyer)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{too_coarse}: {}", res.text);
        assert_eq!(fields(&res), vec!["delivery.region_code".to_owned()]);
    }
    let res = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, 1)]), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

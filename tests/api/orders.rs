//! Placing orders: first-expiry-first-out allocation in the order's own
//! transaction, bulk tiers, 409 with nothing reserved, idempotency, tenancy,
//! cancellation — and no overselling under 300 concurrent buyers.

use crate::helpers::{TestApp, order_body, order_request};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

fn order(product: i64, quantity: i64) -> Value {
    order_body(&[(product, quantity)])
}

/// A product whose only stock is one fresh lot of `quantity` units.
async fn product_with(app: &TestApp, quantity: i64) -> i64 {
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    app.empty_stock(product).await;
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {product}")).await;
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {product}")).await;
    let household = app.count(&format!("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id = {coop}")).await;
    let lot = zhunong::stock::NewLot {
        product_id: product,
        quantity,
        // Harvested today, good for five years (lots may expire at most ten
        // years after their harvest).
        harvested_on: zhunong::time::format_date(zhunong::time::today()),
        expires_on: zhunong::time::format_date(zhunong::time::today() + time::Duration::days(5 * 365)),
        node_id: node,
        contributions: vec![zhunong::stock::NewContribution { household_id: household, quantity }],
    };
    zhunong::stock::create_lot(app.db(), coop, None, &lot).await.unwrap();
    product
}

async fn allocated(app: &TestApp, product: i64) -> i64 {
    app.count(&format!("SELECT CAST(COALESCE(SUM(allocated), 0) AS BIGINT) FROM lots WHERE product_id = {product}")).await
}

#[tokio::test]
async fn an_order_takes_the_earliest_expiring_lots_first_at_the_bulk_price() {
    // The order below takes more than half of the demo stock: the per-buyer
    // cap on unpaid holds (tests in rules.rs) is lifted for this one.
    let app = TestApp::configured(crate::helpers::Seed::Demo, &[("ZHUNONG_HOLD_SHARE_PERCENT", "100")]).await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let lots: Vec<(i64, i64)> = sqlx::query_as("SELECT id, quantity - allocated FROM lots WHERE product_id = $1 ORDER BY expires_on, id")
        .bind(product)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    let quantity = lots[0].1 + 5; // all of the first lot and 5 of the second
    let res = app.post("/api/v1/orders", order(product, quantity), Some(&token)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let o = res.json();
    let allocations = o["lines"][0]["allocations"].as_array().unwrap().clone();
    assert_eq!(allocations.len(), 2);
    assert_eq!((allocations[0]["lot_id"].as_str().unwrap().parse::<i64>().unwrap(), allocations[0]["quantity"].as_i64().unwrap()), lots[0]);
    assert_eq!(allocations[1]["quantity"], 5);
    // 伽师瓜: 68 yuan from 1, 62 from 50, 56 from 200 boxes.
    let expected_unit = if quantity >= 200 {
        5600
    } else if quantity >= 50 {
        6200
    } else {
        6800
    };
    assert_eq!(o["lines"][0]["unit_price_fen"], expected_unit);
    assert_eq!(o["total_fen"], expected_unit * quantity);
    assert_eq!(allocated(&app, product).await, quantity);
    // Above the agency's 20,000-yuan approval limit: waits for an approver.
    let expected_status = if expected_unit * quantity > 2_000_000 { "pending_approval" } else { "awaiting_payment" };
    assert_eq!(o["status"], expected_status);
    assert_eq!(app.get(&format!("/api/v1/orders/{}", o["id"].as_str().unwrap()), Some(&token)).await.json()["number"], o["number"]);
}

#[tokio::test]
async fn not_enough_stock_is_a_409_naming_the_line_and_nothing_is_reserved() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let product = product_with(&app, 10).await;
    let other = app.count("SELECT MIN(id) FROM products WHERE name = '莎车巴旦木'").await;
    let before_other = allocated(&app, other).await;
    let body = json!({
        "lines": [{"product_id": other.to_string(), "quantity": 3}, {"product_id": product.to_string(), "quantity": 11}],
        "delivery": order(product, 1)["delivery"].clone(),
        "payment_method": "invoice"
    });
    let res = app.post("/api/v1/orders", body, Some(&token)).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    let e = res.json();
    assert_eq!(e["errors"][0]["field"], "lines[1].quantity");
    assert!(e["errors"][0]["message"].as_str().unwrap().contains("only 10 available"));
    assert_eq!(allocated(&app, product).await, 0);
    assert_eq!(allocated(&app, other).await, before_other, "the line that fitted was not reserved either");
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 0);
}

#[tokio::test]
async fn a_retried_order_with_the_same_key_creates_nothing_new() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let product = product_with(&app, 50).await;
    let first = app.raw(order_request(&token, &order(product, 2), Some("canteen-2026-11-22-a"))).await;
    let again = app.raw(order_request(&token, &order(product, 2), Some("canteen-2026-11-22-a"))).await;
    assert_eq!((first.status, again.status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first.text, again.text, "the same body back");
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 1);
    assert_eq!(allocated(&app, product).await, 2);

    let changed = app.raw(order_request(&token, &order(product, 3), Some("canteen-2026-11-22-a"))).await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A refusal is remembered too.
    let short1 = app.raw(order_request(&token, &order(product, 999), Some("big"))).await;
    let short2 = app.raw(order_request(&token, &order(product, 999), Some("big"))).await;
    assert_eq!((short1.status, short2.status), (StatusCode::CONFLICT, StatusCode::CONFLICT));
    assert_eq!(short1.text, short2.text);
    // Another organisation's identical key is its own.
    let partner = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(app.raw(order_request(&partner, &order(product, 2), Some("canteen-2026-11-22-a"))).await.status, StatusCode::CREATED);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_create_one_order() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let product = product_with(&app, 50).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let router = app.router.clone();
        let req = order_request(&token, &order(product, 1), Some("same-key"));
        tasks.push(tokio::spawn(async move { router.oneshot(req).await.unwrap().status() }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 1);
    assert_eq!(allocated(&app, product).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hundred_buyers_racing_for_a_hundred_units_never_oversell() {
    // One organisation races itself here: the per-buyer cap on unpaid holds
    // (tests in rules.rs) is lifted, so the race is for stock alone.
    let app = TestApp::configured(crate::helpers::Seed::Demo, &[("ZHUNONG_HOLD_SHARE_PERCENT", "100")]).await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let product = product_with(&app, 100).await;
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let router = app.router.clone();
        let req = order_request(&token, &order(product, 1), None);
        tasks.push(tokio::spawn(async move { router.oneshot(req).await.unwrap().status() }));
    }
    let (mut created, mut conflict, mut other) = (0, 0, Vec::new());
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => conflict += 1,
            s => other.push(s),
        }
    }
    assert!(other.is_empty(), "no other answers (no 5xx): {other:?}");
    assert_eq!((created, conflict), (100, 200));
    assert_eq!(allocated(&app, product).await, 100);
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(a.quantity), 0) AS BIGINT) FROM allocations a JOIN order_lines l ON l.id = a.line_id").await,
        100
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM lots WHERE allocated > quantity").await, 0);
}

/// Orders naming the same products in opposite line orders, concurrently,
/// with cancellations between them: on PostgreSQL, row locks taken in line
/// order would deadlock and abort some with a 5xx. Locks follow one global
/// order, so every order is answered 201.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_naming_products_in_opposite_orders_never_deadlock() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@partner.zhunong.demo").await;
    let a = product_with(&app, 10_000).await;
    let b = app.count("SELECT MIN(id) FROM products WHERE name = '泽普骏枣'").await;
    app.top_up(b, 10_000).await;
    let mut tasks = Vec::new();
    for i in 0..80 {
        let (first, second) = if i % 2 == 0 { (a, b) } else { (b, a) };
        let mut body = order(first, 1);
        body["lines"] =
            json!([{"product_id": first.to_string(), "quantity": 1 + i % 3}, {"product_id": second.to_string(), "quantity": 1}]);
        let router = app.router.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let res = router.clone().oneshot(order_request(&token, &body, None)).await.unwrap();
            let status = res.status();
            // Every third order is cancelled at once, releasing its lots in the same global order.
            if i % 3 == 0 && status == StatusCode::CREATED {
                let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
                let id = serde_json::from_slice::<Value>(&bytes).unwrap()["id"].as_str().unwrap().to_owned();
                let cancel = Request::post(format!("/api/v1/orders/{id}/cancel"))
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap();
                return (status, router.oneshot(cancel).await.unwrap().status());
            }
            (status, StatusCode::OK)
        }));
    }
    for t in tasks {
        let (placed, cancelled) = t.await.unwrap();
        assert_eq!(placed, StatusCode::CREATED);
        assert_eq!(cancelled, StatusCode::OK);
    }
    let held = app
        .count(
            "SELECT CAST(COALESCE(SUM(a.quantity), 0) AS BIGINT) FROM allocations a JOIN order_lines l ON l.id = a.line_id \
             JOIN orders o ON o.id = l.order_id WHERE o.status <> 'cancelled'",
        )
        .await;
    let allocated = app.count("SELECT CAST(SUM(allocated) AS BIGINT) FROM lots").await;
    let before = app.count("SELECT CAST(SUM(allocated) AS BIGINT) FROM lots WHERE id NOT IN (SELECT lot_id FROM allocations)").await;
    assert_eq!(allocated, held + before, "allocated units match the live orders' allocations");
}

#[tokio::test]
async fn another_organisations_order_does_not_exist_for_you_and_cancelling_releases_stock() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let product = product_with(&app, 20).await;
    let o = app.post("/api/v1/orders", order(product, 7), Some(&token)).await.json();
    let id = o["id"].as_str().unwrap().to_owned();
    let partner = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&partner)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.send("POST", &format!("/api/v1/orders/{id}/cancel"), None, Some(&partner)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/orders", Some(&partner)).await.json()["total"], 0);
    assert_eq!(app.get("/api/v1/orders?status=awaiting_payment", Some(&token)).await.json()["total"], 1);

    assert_eq!(allocated(&app, product).await, 7);
    let cancelled = app.send("POST", &format!("/api/v1/orders/{id}/cancel"), None, Some(&token)).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(allocated(&app, product).await, 0, "the stock is free again");
    let twice = app.send("POST", &format!("/api/v1/orders/{id}/cancel"), None, Some(&token)).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "an illegal transition");
    let events: Vec<String> = sqlx::query_scalar("SELECT to_status FROM order_events WHERE order_id = CAST($1 AS BIGINT) ORDER BY id")
        .bind(&id)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(events, ["placed", "awaiting_payment", "cancelled"]);
}

#[tokio::test]
async fn bad_orders_are_422_naming_each_field_and_sellers_cannot_buy() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@agency.zhunong.demo").await;
    let body = json!({"lines": [{"product_id": "1", "quantity": 0}], "delivery": {"region_code": "12x", "address": "", "contact_name": "王", "phone": "abc"}, "payment_method": "cash"});
    let res = app.post("/api/v1/orders", body, Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = res.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["lines[0].quantity", "delivery.region_code", "delivery.address", "delivery.phone", "payment_method"]);
    let manager = app.login("manager@coop.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products").await;
    assert_eq!(app.post("/api/v1/orders", order(product, 1), Some(&manager)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/api/v1/orders", order(product, 1), None).await.status, StatusCode::UNAUTHORIZED);
}

/// Sums of the attribution of an order: per line (paid, entries' gross).
fn line_sums(attribution: &Value) -> Vec<(i64, i64)> {
    attribution["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["paid_fen"].as_i64().unwrap(), l["entries"].as_array().unwrap().iter().map(|e| e["gross_fen"].as_i64().unwrap()).sum()))
        .collect()
}

#[tokio::test]
async fn a_large_agency_order_is_approved_paid_by_invoice_and_traced_to_households_exactly() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    // 400 boxes at 56 yuan = 22,400 yuan: above the 20,000-yuan limit (and,
    // with 1,000 more in stock, within half of what is on offer).
    app.top_up(product, 1000).await;
    let o = app.post("/api/v1/orders", order(product, 400), Some(&buyer)).await.json();
    assert_eq!(o["status"], "pending_approval");
    let id = o["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let early = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": "ICBC-1"}), Some(&finance)).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "no payment before approval");
    assert_eq!(
        app.send("POST", &format!("/api/v1/orders/{id}/approve"), None, Some(&buyer)).await.status,
        StatusCode::FORBIDDEN,
        "a buyer is no approver"
    );

    let approver = app.login("approver@agency.zhunong.demo").await;
    let approved = app.send("POST", &format!("/api/v1/orders/{id}/approve"), None, Some(&approver)).await;
    assert_eq!(approved.json()["status"], "awaiting_payment");
    let paid = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": "ICBC-20261122-0042"}), Some(&finance)).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.json()["status"], "paid");
    let again =
        app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": "ICBC-20261122-0042"}), Some(&finance)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let attribution = app.get(&format!("/api/v1/orders/{id}/attribution"), Some(&buyer)).await.json();
    assert_eq!(line_sums(&attribution), vec![(2_240_000, 2_240_000)], "every fen attributed, none twice");
    let entries = attribution["lines"][0]["entries"].as_array().unwrap();
    assert!(entries.iter().all(|e| e["household_code"].as_str().unwrap().starts_with("HH-")));
    let income: i64 = entries.iter().map(|e| e["income_fen"].as_i64().unwrap()).sum();
    assert_eq!(income, 2_240_000 * 6500 / 10_000, "the cooperative passes 65% to households");
    // Seen by the cooperative concerned and the county's officials; not by others.
    for who in ["manager@coop.zhunong.demo", "official@county.zhunong.demo", "admin@zhunong.demo"] {
        let t = app.login(who).await;
        assert_eq!(app.get(&format!("/api/v1/orders/{id}/attribution"), Some(&t)).await.status, StatusCode::OK, "{who}");
    }
    let partner = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(app.get(&format!("/api/v1/orders/{id}/attribution"), Some(&partner)).await.status, StatusCode::NOT_FOUND);
    // The ledger only grows: the database holds what the API showed.
    assert_eq!(
        app.count(&format!("SELECT CAST(SUM(gross_fen) AS BIGINT) FROM attribution_entries WHERE order_id = {id}")).await,
        2_240_000
    );
    let events: Vec<String> = sqlx::query_scalar("SELECT to_status FROM order_events WHERE order_id = CAST($1 AS BIGINT) ORDER BY id")
        .bind(&id)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(events, ["placed", "pending_approval", "awaiting_payment", "paid"]);
}

#[tokio::test]
async fn a_rejected_order_gives_its_stock_back() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = product_with(&app, 1000).await;
    let o = app.post("/api/v1/orders", order(product, 400), Some(&buyer)).await.json();
    assert_eq!(o["status"], "pending_approval");
    let approver = app.login("approver@agency.zhunong.demo").await;
    let rejected = app.send("POST", &format!("/api/v1/orders/{}/reject", o["id"].as_str().unwrap()), None, Some(&approver)).await;
    assert_eq!(rejected.json()["status"], "cancelled");
    assert_eq!(allocated(&app, product).await, 0);
}

#[tokio::test]
async fn attribution_conserves_value_over_random_orders_contributions_and_refunds() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@partner.zhunong.demo").await; // no approval limit for partner cities
    let finance = app.login("finance@zhunong.demo").await;
    let mut seed: u64 = 0x2026_1122;
    let mut next = move |n: i64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) % n as u64) as i64
    };
    let products: Vec<i64> = sqlx::query_scalar("SELECT id FROM products ORDER BY id").fetch_all(app.db().pool()).await.unwrap();
    for round in 0..12 {
        let lines: Vec<Value> = (0..1 + next(3))
            .map(|k| json!({"product_id": products[((round * 7 + k * 13 + next(40)) as usize) % products.len()].to_string(), "quantity": 1 + next(37)}))
            .collect::<Vec<_>>();
        let mut seen = std::collections::HashSet::new();
        let lines: Vec<Value> = lines.into_iter().filter(|l| seen.insert(l["product_id"].as_str().unwrap().to_owned())).collect();
        let mut body = order(products[0], 1);
        body["lines"] = json!(lines);
        body["payment_method"] = json!("invoice");
        let res = app.post("/api/v1/orders", body, Some(&buyer)).await;
        if res.status == StatusCode::CONFLICT {
            continue; // sold out: nothing to attribute
        }
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let id = res.json()["id"].as_str().unwrap().to_owned();
        let paid =
            app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": format!("R{round}")}), Some(&finance)).await;
        assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
        // Some orders travel first; then random partial refunds.
        if next(2) == 0 {
            app.advance(&id).await;
        }
        for _ in 0..next(3) {
            let o = app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json();
            let lines = o["lines"].as_array().unwrap();
            let l = &lines[next(lines.len() as i64) as usize];
            let left = l["quantity"].as_i64().unwrap() - l["refunded_quantity"].as_i64().unwrap();
            if left == 0 {
                continue;
            }
            let body = json!({"lines": [{"line_id": l["id"], "quantity": 1 + next(left)}], "reason": "random"});
            let res = app.post(&format!("/api/v1/orders/{id}/refunds"), body, Some(&finance)).await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        }
        let a = app.get(&format!("/api/v1/orders/{id}/attribution"), Some(&buyer)).await.json();
        for l in a["lines"].as_array().unwrap() {
            let net: i64 = l["entries"].as_array().unwrap().iter().map(|e| e["gross_fen"].as_i64().unwrap()).sum();
            let (paid, refunded) = (l["paid_fen"].as_i64().unwrap(), l["refunded_fen"].as_i64().unwrap());
            assert_eq!(net, paid - refunded, "round {round}: a line's entries add up to its amount less refunds");
            assert!(l["entries"].as_array().unwrap().iter().all(|e| e["gross_fen"].as_i64().unwrap() >= 0), "no household owes");
        }
    }
    // Totals by household equal totals by line, and no entry lacks a paid line.
    let by_household = app
        .count(
            "SELECT CAST(COALESCE(SUM(t), 0) AS BIGINT) FROM (SELECT SUM(gross_fen) AS t FROM attribution_entries GROUP BY household_id) x",
        )
        .await;
    let paid_lines = app
        .count(
            "SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) FROM order_lines l WHERE l.order_id IN (SELECT order_id FROM payments)",
        )
        .await;
    let refunded = app.count("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM refund_lines").await;
    assert_eq!(by_household, paid_lines - refunded);
    assert!(refunded > 0 && paid_lines > refunded, "the rounds paid and refunded something");
    assert_eq!(app.count("SELECT COUNT(*) FROM attribution_entries e WHERE e.order_id NOT IN (SELECT order_id FROM payments)").await, 0);
}

#[tokio::test]
async fn an_unpaid_order_expires_and_gives_its_stock_back_but_a_paid_one_stays() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let product = product_with(&app, 30).await;
    let unpaid = app.post("/api/v1/orders", order(product, 5), Some(&buyer)).await.json()["id"].as_str().unwrap().to_owned();
    let paid = app.post("/api/v1/orders", order(product, 7), Some(&buyer)).await.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    app.post(&format!("/api/v1/orders/{paid}/payments/invoice"), json!({"reference": "BOC-1"}), Some(&finance)).await;
    // Nothing is due yet…
    assert_eq!(zhunong::orders::expire_unpaid(app.db(), &zhunong::time::now()).await.unwrap(), 0);
    // …and the hold lapses after the 72-hour payment window.
    assert_eq!(zhunong::orders::expire_unpaid(app.db(), &zhunong::time::in_seconds(72 * 3600 + 1)).await.unwrap(), 1);
    assert_eq!(app.get(&format!("/api/v1/orders/{unpaid}"), Some(&buyer)).await.json()["status"], "cancelled");
    assert_eq!(app.get(&format!("/api/v1/orders/{paid}"), Some(&buyer)).await.json()["status"], "paid");
    assert_eq!(allocated(&app, product).await, 7);
}

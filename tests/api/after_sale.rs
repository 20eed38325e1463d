//! After payment: refunds by invoice credit note (stock back before
//! dispatch, ledger reversed exactly), dispatch and delivery, goods
//! acceptance with ratings, and the agency's reserved share.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn order(product: i64, quantity: i64) -> Value {
    crate::helpers::order_body(&[(product, quantity)])
}

/// An invoice order of `quantity` 伽师瓜 by the agency buyer, paid.
async fn paid_order(app: &TestApp, quantity: i64) -> (String, String, Value) {
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let res = app.post("/api/v1/orders", order(product, quantity), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let paid = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": "ICBC-77"}), Some(&finance)).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    (buyer, id, paid.json())
}

async fn allocated(app: &TestApp, product: &str) -> i64 {
    app.count(&format!("SELECT CAST(COALESCE(SUM(allocated), 0) AS BIGINT) FROM lots WHERE product_id = {product}")).await
}

fn net(attribution: &Value) -> i64 {
    attribution["lines"][0]["entries"].as_array().unwrap().iter().map(|e| e["gross_fen"].as_i64().unwrap()).sum()
}

#[tokio::test]
async fn a_refund_before_dispatch_returns_stock_and_reverses_exactly_what_was_refunded() {
    let app = TestApp::demo().await;
    let (buyer, id, paid) = paid_order(&app, 10).await;
    let line = paid["lines"][0]["id"].as_str().unwrap().to_owned();
    let product = paid["lines"][0]["product_id"].as_str().unwrap().to_owned();
    let unit = paid["lines"][0]["unit_price_fen"].as_i64().unwrap();
    let before = allocated(&app, &product).await;
    let finance = app.login("finance@zhunong.demo").await;

    // Only finance refunds; the buyer is told so, others learn nothing.
    let body = json!({"lines": [{"line_id": line, "quantity": 3}], "reason": "三箱冻伤"});
    assert_eq!(app.post(&format!("/api/v1/orders/{id}/refunds"), body.clone(), Some(&buyer)).await.status, StatusCode::FORBIDDEN);
    let partner = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(app.post(&format!("/api/v1/orders/{id}/refunds"), body.clone(), Some(&partner)).await.status, StatusCode::NOT_FOUND);

    let res = app.post(&format!("/api/v1/orders/{id}/refunds"), body, Some(&finance)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let refund = res.json();
    assert_eq!(refund["method"], "credit_note");
    assert_eq!(refund["amount_fen"], 3 * unit);
    assert_eq!(refund["restocked"], true);
    assert_eq!(refund["order"]["status"], "paid", "a partial refund leaves the order where it is");
    assert_eq!(refund["order"]["refunded_fen"], 3 * unit);
    assert_eq!(allocated(&app, &product).await, before - 3, "three units back on sale");
    let routed = |t: Value| t["lines"][0]["routes"].as_array().unwrap().iter().map(|r| r["quantity"].as_i64().unwrap()).sum::<i64>();
    let tracking = format!("/api/v1/orders/{id}/tracking");
    assert_eq!(routed(app.get(&tracking, Some(&buyer)).await.json()), 7, "only what is still sent travels");
    let a = app.get(&format!("/api/v1/orders/{id}/attribution"), Some(&buyer)).await.json();
    assert_eq!(a["lines"][0]["refunded_fen"], 3 * unit);
    assert_eq!(net(&a), 7 * unit);

    // More than is left: 422 naming the line, nothing changes.
    let over = app
        .post(&format!("/api/v1/orders/{id}/refunds"), json!({"lines": [{"line_id": line, "quantity": 8}], "reason": "x"}), Some(&finance))
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(over.text.contains("lines[0].quantity"), "{}", over.text);

    // The rest: the order is refunded, every household back to zero.
    let rest = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 7}], "reason": "整单退货"}),
            Some(&finance),
        )
        .await;
    assert_eq!(rest.status, StatusCode::CREATED, "{}", rest.text);
    assert_eq!(rest.json()["order"]["status"], "refunded");
    let a = app.get(&format!("/api/v1/orders/{id}/attribution"), Some(&buyer)).await.json();
    assert_eq!(net(&a), 0);
    assert!(a["lines"][0]["entries"].as_array().unwrap().iter().all(|e| e["gross_fen"] == 0 && e["income_fen"] == 0));
    assert_eq!(allocated(&app, &product).await, before - 10);
    let t = app.get(&tracking, Some(&buyer)).await.json();
    assert!(t["lines"][0]["legs"].as_array().unwrap().is_empty(), "nothing left to send leaves its shipments: {t}");
    // Append-only: the sale entries are all still there.
    assert!(app.count(&format!("SELECT COUNT(*) FROM attribution_entries WHERE order_id = {id} AND kind = 'sale'")).await > 0);
    let again = app
        .post(&format!("/api/v1/orders/{id}/refunds"), json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "x"}), Some(&finance))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "nothing left to refund in a refunded order");
}

#[tokio::test]
async fn delivered_goods_are_accepted_with_a_rating_and_count_towards_the_reserved_share() {
    let app = TestApp::demo().await;
    let (buyer, id, paid) = paid_order(&app, 4).await;
    let total = paid["total_fen"].as_i64().unwrap();
    let coop = paid["lines"][0]["cooperative_id"].as_str().unwrap().to_owned();
    let agency: i64 = paid["buyer"]["id"].as_str().unwrap().parse().unwrap();
    let ratings = json!({"ratings": [{"cooperative_id": coop, "stars": 5, "comment": "瓜很甜"}]});
    let year = zhunong::time::china_today().year();
    let counted_before = report(&app, agency, year, &buyer).await.json()["counted_fen"].as_i64().unwrap();

    // Not before delivery.
    assert_eq!(app.post(&format!("/api/v1/orders/{id}/accept"), ratings.clone(), Some(&buyer)).await.status, StatusCode::CONFLICT);
    // The buyer does not move goods; the operators of the chain scan them.
    let operator = app.login("operator@hub.zhunong.demo").await;
    let first = app.next_scans(&operator, &id).await;
    let (code, node, event) = first.first().expect("the paid order's goods wait at their village point").clone();
    assert_eq!(event, "dispatched");
    assert_eq!(app.scan(&buyer, &code, &node, event).await.status, StatusCode::FORBIDDEN);
    let dispatched = app.scan(&operator, &code, &node, event).await;
    assert_eq!(dispatched.status, StatusCode::CREATED, "{}", dispatched.text);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "in_transit");
    let twice = app.scan(&operator, &code, &node, event).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "a repeated scan is a 409");
    assert_eq!(twice.json()["detail"], "the shipment is dispatched; this scan does not follow");
    app.deliver_all(&id).await;
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "delivered");

    // Every cooperative must be rated, 1 to 5.
    let bad =
        app.post(&format!("/api/v1/orders/{id}/accept"), json!({"ratings": [{"cooperative_id": coop, "stars": 6}]}), Some(&buyer)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("ratings[0].stars"), "{}", bad.text);
    let none = app.post(&format!("/api/v1/orders/{id}/accept"), json!({"ratings": []}), Some(&buyer)).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        report(&app, agency, year, &buyer).await.json()["counted_fen"].as_i64().unwrap(),
        counted_before,
        "not counted before acceptance"
    );

    let accepted = app.post(&format!("/api/v1/orders/{id}/accept"), ratings, Some(&buyer)).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(accepted.json()["status"], "accepted");
    assert_eq!(app.count(&format!("SELECT stars FROM ratings WHERE order_id = {id}")).await, 5);

    let r = report(&app, agency, year, &buyer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = r.json();
    assert_eq!(r["counted_fen"].as_i64().unwrap(), counted_before + total);
    // The month is China's (the report counts in China months).
    let month = &zhunong::time::format_date(zhunong::time::china_today())[..7];
    let in_month: i64 =
        r["months"].as_array().unwrap().iter().filter(|m| m["month"] == month).map(|m| m["counted_fen"].as_i64().unwrap()).sum();
    assert!(in_month >= total);
    let target = r["target_fen"].as_i64().unwrap();
    assert!(target > 0, "the demo agency has a reserved share this year");
    let expected = ((counted_before + total) as f64 * 1000.0 / target as f64).round() / 10.0;
    assert_eq!(r["percent"].as_f64().unwrap(), expected);

    // A refund after acceptance comes off the counted amount.
    let finance = app.login("finance@zhunong.demo").await;
    let line = accepted_line(&app, &buyer, &id).await;
    let unit = paid["lines"][0]["unit_price_fen"].as_i64().unwrap();
    let refund = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "一箱坏果"}),
            Some(&finance),
        )
        .await;
    assert_eq!(refund.status, StatusCode::CREATED, "{}", refund.text);
    assert_eq!(refund.json()["restocked"], false, "after dispatch nothing goes back on the shelf");
    assert_eq!(report(&app, agency, year, &buyer).await.json()["counted_fen"].as_i64().unwrap(), counted_before + total - unit);

    // Others' reports are not found; CSV works.
    let partner = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(report(&app, agency, year, &partner).await.status, StatusCode::NOT_FOUND);
    let csv = app.get(&format!("/api/v1/reports/agencies/{agency}/reserved-share?year={year}&format=csv"), Some(&buyer)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.text.contains(&format!("{month},")), "{}", csv.text);
}

async fn accepted_line(app: &TestApp, buyer: &str, id: &str) -> String {
    app.get(&format!("/api/v1/orders/{id}"), Some(buyer)).await.json()["lines"][0]["id"].as_str().unwrap().to_owned()
}

async fn report(app: &TestApp, agency: i64, year: i32, token: &str) -> crate::helpers::Res {
    app.get(&format!("/api/v1/reports/agencies/{agency}/reserved-share?year={year}"), Some(token)).await
}

/// Ten refunds of one unit each, at once, of a line of five: on PostgreSQL
/// both sides of a race would read "five left" unless the order is locked;
/// exactly five may succeed and the ledger must reverse exactly five units.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refunds_never_refund_more_than_was_bought() {
    let app = TestApp::demo().await;
    let (buyer, id, paid) = paid_order(&app, 5).await;
    let line = paid["lines"][0]["id"].as_str().unwrap().to_owned();
    let unit = paid["lines"][0]["unit_price_fen"].as_i64().unwrap();
    let finance = app.login("finance@zhunong.demo").await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let router = app.router.clone();
            let req = axum::http::Request::post(format!("/api/v1/orders/{id}/refunds"))
                .header("authorization", format!("Bearer {finance}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "并发"}).to_string()))
                .unwrap();
            tokio::spawn(async move { tower::ServiceExt::oneshot(router, req).await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 5, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| matches!(*s, StatusCode::CREATED | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT)),
        "{statuses:?}"
    );
    assert_eq!(app.count(&format!("SELECT CAST(SUM(quantity) AS BIGINT) FROM refund_lines WHERE line_id = {line}")).await, 5);
    let a = app.get(&format!("/api/v1/orders/{id}/attribution"), Some(&buyer)).await.json();
    assert_eq!(a["lines"][0]["refunded_fen"], 5 * unit);
    assert_eq!(net(&a), 0);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "refunded");
}

#[tokio::test]
async fn a_refund_resent_with_the_same_idempotency_key_pays_out_once() {
    let app = TestApp::demo().await;
    let (_, id, paid) = paid_order(&app, 10).await;
    let line = paid["lines"][0]["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let body = json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "一箱冻伤"});
    let send = |body: Value, key: &'static str| {
        axum::http::Request::post(format!("/api/v1/orders/{id}/refunds"))
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {finance}"))
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let first = app.raw(send(body.clone(), "refund-ICBC-77-1")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = app.raw(send(body.clone(), "refund-ICBC-77-1")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["id"], first.json()["id"], "the first refund's answer, not a second refund");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM refunds WHERE order_id = {id}")).await, 1);

    let other = json!({"lines": [{"line_id": line, "quantity": 2}], "reason": "一箱冻伤"});
    assert_eq!(app.raw(send(other.clone(), "refund-ICBC-77-1")).await.status, StatusCode::UNPROCESSABLE_ENTITY, "same key, other refund");
    assert_eq!(app.raw(send(other, "refund-ICBC-77-2")).await.status, StatusCode::CREATED, "a new key is a new refund");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM refunds WHERE order_id = {id}")).await, 2);
}

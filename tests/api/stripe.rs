//! Stripe: the PaymentIntent asked of a local stand-in for Stripe's API (the
//! real async-stripe client, pointed at it with STRIPE_API_BASE), the
//! webhook's signature cases, replays, failure and refund events, and a
//! refund through Stripe. A live test against a Stripe-compatible server
//! runs when STRIPE_API_BASE is set in the environment.

use crate::helpers::{Seed, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const WEBHOOK_SECRET: &str = "whsec_zhunong_test_secret";

/// What the stand-in received: path, Idempotency-Key, form body.
type Calls = Arc<Mutex<Vec<(String, String, String)>>>;

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| v.to_owned())
}

fn intent_json(id: &str, amount: i64, status: &str, order_id: &str) -> Value {
    json!({
        "id": id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_received": if status == "succeeded" { amount } else { 0 },
        "capture_method": "automatic", "confirmation_method": "automatic", "created": 1_795_000_000,
        "currency": "cny", "livemode": false, "metadata": {"order_id": order_id},
        "payment_method_types": ["card", "alipay", "wechat_pay"], "status": status,
        "client_secret": format!("{id}_secret_standin")
    })
}

/// How the stand-in answers refunds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Refunds {
    /// As Stripe does: succeeded.
    Answer,
    /// Never: the request hangs until the client gives up.
    Hang,
    /// With a card error.
    Decline,
}

/// A stand-in for the two Stripe endpoints Zhunong calls, on a free port.
async fn stand_in() -> (String, Calls) {
    let (base, calls, _) = stand_in_with(Refunds::Answer).await;
    (base, calls)
}

/// [`stand_in`], whose way of answering refunds can be changed meanwhile.
async fn stand_in_with(mode: Refunds) -> (String, Calls, Arc<Mutex<Refunds>>) {
    let calls: Calls = Arc::default();
    let mode = Arc::new(Mutex::new(mode));
    let recorded = calls.clone();
    let refunds = mode.clone();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let calls = recorded.clone();
        let refunds = refunds.clone();
        async move {
            let path = req.uri().path().to_owned();
            let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let auth = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap();
            let body = String::from_utf8_lossy(&body).into_owned();
            calls.lock().unwrap().push((path.clone(), key.clone(), body.clone()));
            if auth != "Bearer sk_test_zhunong" {
                return (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key"}})),
                );
            }
            let amount: i64 = form_value(&body, "amount").and_then(|a| a.parse().ok()).unwrap_or(0);
            match path.as_str() {
                "/v1/payment_intents" => {
                    // Stripe's idempotency: one intent per key.
                    let id = format!("pi_{}", key.replace('-', "_"));
                    let order = form_value(&body, "metadata[order_id]").unwrap_or_default();
                    (StatusCode::OK, axum::Json(intent_json(&id, amount, "requires_payment_method", &order)))
                }
                "/v1/refunds" if *refunds.lock().unwrap() == Refunds::Hang => std::future::pending().await,
                "/v1/refunds" if *refunds.lock().unwrap() == Refunds::Decline => (
                    StatusCode::PAYMENT_REQUIRED,
                    axum::Json(json!({"error": {"type": "card_error", "message": "The charge cannot be refunded."}})),
                ),
                "/v1/refunds" => (
                    StatusCode::OK,
                    axum::Json(json!({
                        "id": format!("re_{}", key.replace('-', "_")), "object": "refund", "amount": amount, "created": 1_795_000_100,
                        "currency": "cny", "status": "succeeded", "payment_intent": form_value(&body, "payment_intent")
                    })),
                ),
                _ => (StatusCode::NOT_FOUND, axum::Json(json!({"error": {"type": "invalid_request_error", "message": "no such route"}}))),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, calls, mode)
}

async fn app_with_stripe(base: &str) -> TestApp {
    TestApp::configured(
        Seed::Demo,
        &[("STRIPE_SECRET_KEY", "sk_test_zhunong"), ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET), ("STRIPE_API_BASE", base)],
    )
    .await
}

fn stripe_order(product: i64, quantity: i64) -> Value {
    json!({
        "lines": [{"product_id": product.to_string(), "quantity": quantity}],
        "delivery": {"region_code": "500103000000", "address": "重庆市渝中区解放碑1号", "contact_name": "陈工", "phone": "023-63801234"},
        "payment_method": "stripe"
    })
}

fn event(id: &str, kind: &str, object: Value) -> String {
    json!({
        "id": id, "object": "event", "api_version": "2025-11-17.clover", "created": 1_795_000_200, "livemode": false,
        "pending_webhooks": 1, "request": {"id": null, "idempotency_key": null}, "type": kind, "data": {"object": object}
    })
    .to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn webhook(app: &TestApp, payload: &str, signature: Option<String>) -> crate::helpers::Res {
    let mut req = Request::post("/api/v1/stripe/webhook").header(header::CONTENT_TYPE, "application/json");
    if let Some(s) = signature {
        req = req.header("stripe-signature", s);
    }
    app.raw(req.body(Body::from(payload.to_owned())).unwrap()).await
}

fn signed(payload: &str) -> Option<String> {
    Some(stripe_webhook::Webhook::generate_test_header(payload, WEBHOOK_SECRET, Some(now())))
}

/// An order paid by Stripe, placed by the partner-city buyer (no approval
/// needed), with its PaymentIntent started.
async fn started(app: &TestApp) -> (String, String, String, i64) {
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let placed = app.post("/api/v1/orders", stripe_order(product, 3), Some(&buyer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let order = placed.json();
    let id = order["id"].as_str().unwrap().to_owned();
    let started = app.send("POST", &format!("/api/v1/orders/{id}/payments/stripe"), None, Some(&buyer)).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let intent = started.json();
    assert!(intent["client_secret"].as_str().unwrap().contains("_secret_"));
    (buyer, id, intent["payment_intent_id"].as_str().unwrap().to_owned(), order["total_fen"].as_i64().unwrap())
}

#[tokio::test]
async fn a_card_payment_creates_one_cny_intent_and_the_signed_webhook_pays_the_order_once() {
    let (base, calls) = stand_in().await;
    let app = app_with_stripe(&base).await;
    let (buyer, id, intent, total) = started(&app).await;
    {
        let calls = calls.lock().unwrap();
        let (path, key, body) = &calls[0];
        assert_eq!(path, "/v1/payment_intents");
        assert!(!key.is_empty(), "creating an intent is idempotent on Stripe's side");
        assert_eq!(form_value(body, "amount"), Some(total.to_string()));
        assert_eq!(form_value(body, "currency").as_deref(), Some("cny"));
        for method in ["card", "alipay", "wechat_pay"] {
            assert!(body.contains(&format!("={method}")), "{method} offered: {body}");
        }
    }
    // Asking again gives the same intent (same idempotency key).
    let again = app.send("POST", &format!("/api/v1/orders/{id}/payments/stripe"), None, Some(&buyer)).await.json();
    assert_eq!(again["payment_intent_id"], intent.as_str());

    let payload = event("evt_paid_1", "payment_intent.succeeded", intent_json(&intent, total, "succeeded", &id));
    let res = webhook(&app, &payload, signed(&payload)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "paid");
    let attributed = app.count(&format!("SELECT CAST(SUM(gross_fen) AS BIGINT) FROM attribution_entries WHERE order_id = {id}")).await;
    assert_eq!(attributed, total, "the webhook wrote the ledger");

    // Stripe repeats itself: nothing changes.
    let replay = webhook(&app, &payload, signed(&payload)).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert!(replay.json()["outcome"].as_str().unwrap().contains("replay"));
    assert_eq!(app.count(&format!("SELECT CAST(SUM(gross_fen) AS BIGINT) FROM attribution_entries WHERE order_id = {id}")).await, total);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM payments WHERE order_id = {id}")).await, 1);
}

#[tokio::test]
async fn bad_signatures_are_400_and_change_nothing() {
    let (base, _) = stand_in().await;
    let app = app_with_stripe(&base).await;
    let (buyer, id, intent, total) = started(&app).await;
    let payload = event("evt_paid_2", "payment_intent.succeeded", intent_json(&intent, total, "succeeded", &id));
    let tampered = payload.replace(&format!("\"amount_received\":{total}"), "\"amount_received\":1");
    assert_ne!(tampered, payload);
    let cases = [
        ("missing", payload.clone(), None),
        ("tampered body", tampered.clone(), signed(&payload)),
        ("wrong secret", payload.clone(), Some(stripe_webhook::Webhook::generate_test_header(&payload, "whsec_wrong", Some(now())))),
        ("stale", payload.clone(), Some(stripe_webhook::Webhook::generate_test_header(&payload, WEBHOOK_SECRET, Some(now() - 301)))),
        ("garbage", payload.clone(), Some("t=1,v1=zz".into())),
    ];
    for (case, body, signature) in cases {
        let res = webhook(&app, &body, signature).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{case}: {}", res.text);
        assert_eq!(res.content_type(), "application/problem+json");
    }
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "awaiting_payment");
    assert_eq!(app.count("SELECT COUNT(*) FROM stripe_events").await, 0, "no event recorded from an unverified call");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM attribution_entries WHERE order_id = {id}")).await, 0);
}

#[tokio::test]
async fn a_failed_attempt_leaves_the_order_payable_and_a_wrong_amount_never_pays_it() {
    let (base, _) = stand_in().await;
    let app = app_with_stripe(&base).await;
    let (buyer, id, intent, total) = started(&app).await;
    let mut failed = intent_json(&intent, total, "requires_payment_method", &id);
    failed["last_payment_error"] = json!({"type": "card_error", "message": "Your card was declined."});
    let payload = event("evt_failed_1", "payment_intent.payment_failed", failed);
    assert_eq!(webhook(&app, &payload, signed(&payload)).await.status, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "awaiting_payment");
    let error: String = sqlx::query_scalar("SELECT last_error FROM stripe_payment_intents WHERE id = $1")
        .bind(&intent)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(error, "Your card was declined.");

    let short = event("evt_short_1", "payment_intent.succeeded", intent_json(&intent, total - 1, "succeeded", &id));
    let res = webhook(&app, &short, signed(&short)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "awaiting_payment");
}

#[tokio::test]
async fn a_refund_of_a_card_paid_order_goes_through_stripe_and_reverses_the_ledger() {
    let (base, calls) = stand_in().await;
    let app = app_with_stripe(&base).await;
    let (buyer, id, intent, total) = started(&app).await;
    let payload = event("evt_paid_3", "payment_intent.succeeded", intent_json(&intent, total, "succeeded", &id));
    assert_eq!(webhook(&app, &payload, signed(&payload)).await.status, StatusCode::OK);
    let order = app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json();
    let line = order["lines"][0]["id"].as_str().unwrap().to_owned();
    let unit = order["lines"][0]["unit_price_fen"].as_i64().unwrap();

    let finance = app.login("finance@zhunong.demo").await;
    let res = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "一箱破损"}),
            Some(&finance),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let refund = res.json();
    assert_eq!(refund["method"], "stripe");
    assert_eq!(refund["amount_fen"], unit);
    assert!(refund["reference"].as_str().unwrap().starts_with("re_"));
    let (path, _, body) = calls.lock().unwrap().last().cloned().unwrap();
    assert_eq!(path, "/v1/refunds");
    assert_eq!(form_value(&body, "payment_intent").as_deref(), Some(intent.as_str()));
    assert_eq!(form_value(&body, "amount"), Some(unit.to_string()));

    let attribution = app.get(&format!("/api/v1/orders/{id}/attribution"), Some(&buyer)).await.json();
    let l = &attribution["lines"][0];
    assert_eq!(l["refunded_fen"], unit);
    let net: i64 = l["entries"].as_array().unwrap().iter().map(|e| e["gross_fen"].as_i64().unwrap()).sum();
    assert_eq!(net, total - unit);

    // Stripe's own report of the refund agrees; a later failure is recorded on the refund.
    let refunded = event(
        "evt_refund_1",
        "refund.updated",
        json!({"id": refund["reference"], "object": "refund", "amount": unit, "created": 1_795_000_300, "currency": "cny", "status": "failed"}),
    );
    assert_eq!(webhook(&app, &refunded, signed(&refunded)).await.status, StatusCode::OK);
    let status: String = sqlx::query_scalar("SELECT status FROM refunds").fetch_one(app.db().pool()).await.unwrap();
    assert_eq!(status, "failed");
}

#[tokio::test]
async fn without_stripe_keys_card_payment_is_refused_with_the_reason() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let res = app.post("/api/v1/orders", stripe_order(product, 1), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text.contains("not configured"), "{}", res.text);
    let payload = event("evt_x", "payment_intent.succeeded", intent_json("pi_x", 1, "succeeded", "1"));
    assert_eq!(webhook(&app, &payload, signed(&payload)).await.status, StatusCode::CONFLICT, "no secret: nothing can be verified");
}

/// Against a real Stripe-compatible server (stripe-mock, or Stripe's test
/// mode with STRIPE_SECRET_KEY), when STRIPE_API_BASE says where.
#[tokio::test]
async fn live_payment_intent_against_a_stripe_compatible_server() {
    let Ok(base) = std::env::var("STRIPE_API_BASE") else {
        eprintln!("SKIPPED live Stripe test: STRIPE_API_BASE is not set (e.g. a stripe-mock at http://127.0.0.1:12111)");
        return;
    };
    let key = std::env::var("STRIPE_SECRET_KEY").unwrap_or_else(|_| "sk_test_123".into());
    let app = TestApp::configured(
        Seed::Demo,
        &[("STRIPE_SECRET_KEY", key.as_str()), ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET), ("STRIPE_API_BASE", base.as_str())],
    )
    .await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let id = app.post("/api/v1/orders", stripe_order(product, 1), Some(&buyer)).await.json()["id"].as_str().unwrap().to_owned();
    let started = app.send("POST", &format!("/api/v1/orders/{id}/payments/stripe"), None, Some(&buyer)).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    assert!(started.json()["payment_intent_id"].as_str().unwrap().starts_with("pi_"));
}

#[tokio::test]
async fn a_payment_that_arrives_after_the_order_was_cancelled_goes_straight_back() {
    let (base, calls) = stand_in().await;
    let app = app_with_stripe(&base).await;
    let (buyer, id, intent, total) = started(&app).await;
    // The order expires (or the buyer cancels) while the customer is still paying.
    assert_eq!(app.send("POST", &format!("/api/v1/orders/{id}/cancel"), None, Some(&buyer)).await.status, StatusCode::OK);
    let payload = event("evt_late_1", "payment_intent.succeeded", intent_json(&intent, total, "succeeded", &id));
    let res = webhook(&app, &payload, signed(&payload)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.json()["outcome"].as_str().unwrap().contains("refunded"), "{}", res.text);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "cancelled", "its stock stays released");
    let refunds: Vec<(String, String)> = calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(path, _, _)| path == "/v1/refunds")
        .map(|(_, key, body)| (key.clone(), body.clone()))
        .collect();
    assert_eq!(refunds.len(), 1, "refunded once");
    assert_eq!(form_value(&refunds[0].1, "amount"), Some(total.to_string()));
    assert_eq!(form_value(&refunds[0].1, "payment_intent").as_deref(), Some(intent.as_str()));
    // A replay of the event refunds nothing more.
    webhook(&app, &payload, signed(&payload)).await;
    assert_eq!(calls.lock().unwrap().iter().filter(|(path, _, _)| path == "/v1/refunds").count(), 1);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM attribution_entries WHERE order_id = {id}")).await, 0);
}

#[tokio::test]
async fn only_the_payment_page_lets_stripe_in_through_the_content_security_policy() {
    let (base, _calls) = stand_in().await;
    let app = TestApp::configured(
        Seed::Demo,
        &[
            ("STRIPE_SECRET_KEY", "sk_test_zhunong"),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("STRIPE_API_BASE", &base),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_zhunong"),
        ],
    )
    .await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let placed = app.post("/api/v1/orders", stripe_order(product, 3), Some(&buyer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let csrf = app.get("/api/v1/me", Some(&buyer)).await.json()["csrf_token"].as_str().unwrap().to_owned();
    let pay = app
        .raw(
            Request::post(format!("/orders/{id}/pay"))
                .header(header::COOKIE, format!("zn_session={buyer}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={csrf}")))
                .unwrap(),
        )
        .await;
    assert_eq!(pay.status, StatusCode::OK, "{}", pay.text);
    assert!(pay.text.contains("https://js.stripe.com/v3/"));
    let policy = |res: &crate::helpers::Res| res.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_owned();
    let pay_policy = policy(&pay);
    for directive in [
        "script-src 'self' https://js.stripe.com",
        "connect-src 'self' https://api.stripe.com",
        "frame-src https://js.stripe.com",
        "frame-ancestors 'none'",
        "style-src 'self'",
        "object-src 'none'",
    ] {
        assert!(pay_policy.contains(directive), "{directive} missing from {pay_policy}");
    }
    assert_eq!(pay.headers.get_all(header::CONTENT_SECURITY_POLICY).iter().count(), 1, "one policy, not two");
    // Every other page keeps Stripe out.
    let order = app
        .raw(Request::get(format!("/orders/{id}")).header(header::COOKIE, format!("zn_session={buyer}")).body(Body::empty()).unwrap())
        .await;
    assert_eq!(order.status, StatusCode::OK);
    assert!(!policy(&order).contains("stripe"), "{}", policy(&order));
}

// ------------------------------------------------ refunds outside transactions

/// An app whose Stripe calls give up after 300 ms, with a card-paid order
/// paid: (finance's token, order id, line id, unit price, total).
async fn paid_with_short_time_out(base: &str) -> (TestApp, String, String, String, i64, i64) {
    let app = TestApp::configured(
        Seed::Demo,
        &[
            ("STRIPE_SECRET_KEY", "sk_test_zhunong"),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("STRIPE_API_BASE", base),
            ("STRIPE_TIMEOUT_MS", "300"),
        ],
    )
    .await;
    let (_, id, intent, total) = started(&app).await;
    let payload = event(&format!("evt_paid_{id}"), "payment_intent.succeeded", intent_json(&intent, total, "succeeded", &id));
    assert_eq!(webhook(&app, &payload, signed(&payload)).await.status, StatusCode::OK);
    let finance = app.login("finance@zhunong.demo").await;
    let order = app.get(&format!("/api/v1/orders/{id}"), Some(&app.login("buyer@partner.zhunong.demo").await)).await.json();
    let line = order["lines"][0]["id"].as_str().unwrap().to_owned();
    let unit = order["lines"][0]["unit_price_fen"].as_i64().unwrap();
    (app, finance, id, line, unit, total)
}

async fn attributed(app: &TestApp, id: &str) -> i64 {
    app.count(&format!("SELECT CAST(COALESCE(SUM(gross_fen), 0) AS BIGINT) FROM attribution_entries WHERE order_id = {id}")).await
}

fn refund_keys(calls: &Calls) -> Vec<String> {
    calls.lock().unwrap().iter().filter(|(path, _, _)| path == "/v1/refunds").map(|(_, key, _)| key.clone()).collect()
}

/// The sweep of lost answers, as the server runs it a while later.
async fn sweep_later(app: &TestApp) -> usize {
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    zhunong::orders::finish_unanswered(app.db(), app.app.state.stripe.as_ref(), later).await.unwrap()
}

#[tokio::test]
async fn a_refund_stripe_does_not_answer_is_kept_as_an_intent_and_the_sweep_finishes_it_with_the_same_key() {
    let (base, calls, mode) = stand_in_with(Refunds::Hang).await;
    let (app, finance, id, line, unit, total) = paid_with_short_time_out(&base).await;
    let res = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "一箱破损"}),
            Some(&finance),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY, "{}", res.text);
    // Recorded, not applied: the ledger and the order are as before.
    assert_eq!(app.count("SELECT COUNT(*) FROM refunds WHERE answered_at IS NULL").await, 1);
    assert_eq!(attributed(&app, &id).await, total);
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["refunded_fen"], 0);
    // Its units are taken: a second refund of the whole line is refused.
    let whole = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 3}], "reason": "整单退"}),
            Some(&finance),
        )
        .await;
    assert_eq!(whole.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", whole.text);

    // Too young to be taken for lost: the sweep leaves it to its request.
    assert_eq!(
        zhunong::orders::finish_unanswered(app.db(), app.app.state.stripe.as_ref(), time::OffsetDateTime::now_utc()).await.unwrap(),
        0
    );
    *mode.lock().unwrap() = Refunds::Answer;
    assert_eq!(sweep_later(&app).await, 1);
    let (status, reference): (String, String) =
        sqlx::query_as("SELECT status, reference FROM refunds").fetch_one(app.db().pool()).await.unwrap();
    assert_eq!((status.as_str(), reference.starts_with("re_")), ("succeeded", true));
    assert_eq!(attributed(&app, &id).await, total - unit, "the ledger reversed once");
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["refunded_fen"], unit);
    let keys = refund_keys(&calls);
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1], "Stripe was asked the same question again, so it cannot refund twice");
    assert_eq!(sweep_later(&app).await, 0, "nothing left to finish");
}

#[tokio::test]
async fn a_refund_stripe_declines_is_marked_failed_and_its_units_can_be_refunded_again() {
    let (base, _calls, mode) = stand_in_with(Refunds::Decline).await;
    let (app, finance, id, line, unit, total) = paid_with_short_time_out(&base).await;
    let res = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 3}], "reason": "整单退"}),
            Some(&finance),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY, "{}", res.text);
    let status: String = sqlx::query_scalar("SELECT status FROM refunds").fetch_one(app.db().pool()).await.unwrap();
    assert_eq!(status, "failed");
    assert_eq!(attributed(&app, &id).await, total, "nothing was reversed");
    assert_eq!(app.count("SELECT COUNT(*) FROM refund_lines").await, 0, "the units are free again");
    *mode.lock().unwrap() = Refunds::Answer;
    let again = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 3}], "reason": "整单退"}),
            Some(&finance),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.json()["order"]["status"], "refunded");
    assert_eq!(attributed(&app, &id).await, 0);
    assert_eq!(again.json()["amount_fen"], 3 * unit);
}

#[tokio::test]
async fn a_retry_of_a_refund_whose_answer_was_lost_finishes_it_instead_of_answering_409_for_a_day() {
    let (base, calls, mode) = stand_in_with(Refunds::Hang).await;
    let (app, finance, id, line, unit, total) = paid_with_short_time_out(&base).await;
    let request = || {
        Request::post(format!("/api/v1/orders/{id}/refunds"))
            .header(header::AUTHORIZATION, format!("Bearer {finance}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "refund-0001")
            .body(Body::from(json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "一箱破损"}).to_string()))
            .unwrap()
    };
    assert_eq!(app.raw(request()).await.status, StatusCode::BAD_GATEWAY);
    assert_eq!(app.count("SELECT COUNT(*) FROM idempotency_keys WHERE status_code = 0").await, 1, "the key stays claimed");
    // Still no answer: the retry says so.
    assert_eq!(app.raw(request()).await.status, StatusCode::CONFLICT);
    *mode.lock().unwrap() = Refunds::Answer;
    let retried = app.raw(request()).await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.text);
    assert_eq!(retried.json()["amount_fen"], unit);
    assert_eq!(app.count("SELECT COUNT(*) FROM refunds").await, 1, "one refund");
    assert_eq!(attributed(&app, &id).await, total - unit);
    let keys = refund_keys(&calls);
    assert!(keys.iter().all(|k| *k == keys[0]), "one Stripe key: {keys:?}");
    assert_eq!(app.raw(request()).await.text, retried.text, "and later retries get its answer");
}

#[tokio::test]
async fn a_refund_key_claimed_by_a_request_that_died_before_recording_anything_is_taken_over_once_stale() {
    let (base, _calls) = stand_in().await;
    let (app, finance, id, line, unit, _) = paid_with_short_time_out(&base).await;
    let finance_id = app.count("SELECT id FROM users WHERE email = 'finance@zhunong.demo'").await;
    let org = app.count(&format!("SELECT org_id FROM users WHERE id = {finance_id}")).await;
    let body = json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "一箱破损"});
    let request = || {
        Request::post(format!("/api/v1/orders/{id}/refunds"))
            .header(header::AUTHORIZATION, format!("Bearer {finance}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "refund-0002")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    // A request claimed the key and died before its refund was recorded.
    let scope = zhunong::orders::idempotency::Scope {
        user_id: finance_id,
        org_id: org,
        endpoint: zhunong::orders::idempotency::REFUND_API,
        key: "refund-0002",
    };
    let mut tx = app.db().begin_write().await.unwrap();
    let refund: zhunong::orders::NewRefund = serde_json::from_value(body.clone()).unwrap();
    let hash: String = {
        use sha2::Digest;
        let canonical = serde_json::to_string(&refund).unwrap();
        sha2::Sha256::digest(format!("{id}\n{canonical}")).iter().map(|b| format!("{b:02x}")).collect()
    };
    assert!(zhunong::orders::idempotency::store(&mut tx, scope, &hash, 0, "").await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(app.raw(request()).await.status, StatusCode::CONFLICT, "a fresh claim may still be at work");
    sqlx::query("UPDATE idempotency_keys SET created_at = $1")
        .bind(zhunong::time::in_seconds(-zhunong::bounds::REFUND_PENDING_STALE_SECS - 1))
        .execute(app.db().pool())
        .await
        .unwrap();
    let taken_over = app.raw(request()).await;
    assert_eq!(taken_over.status, StatusCode::CREATED, "{}", taken_over.text);
    assert_eq!(taken_over.json()["amount_fen"], unit);
}

#[tokio::test]
async fn a_payment_arriving_while_the_order_is_being_cancelled_is_kept_or_given_back_never_lost() {
    let (base, calls) = stand_in().await;
    let app = app_with_stripe(&base).await;
    let (buyer, id, intent, total) = started(&app).await;
    let payload = event("evt_race_1", "payment_intent.succeeded", intent_json(&intent, total, "succeeded", &id));
    // On PostgreSQL the test holds the order's row; the cancellation comes
    // to wait on it first, then the payment, and both go when it is let go:
    // the cancellation commits while the payment waits. The payment used to
    // decide from the status it had read before waiting ("awaiting
    // payment"), so the money was neither kept as a payment nor given back.
    let holder = crate::concurrency::hold_row(app.db(), "orders", id.parse::<i64>().unwrap()).await;
    let held = holder.is_some();
    let db = app.db();
    let waiting = |n| async move {
        if held {
            crate::concurrency::until_waiting_for_locks(db, n).await;
        }
    };
    let cancel_path = format!("/api/v1/orders/{id}/cancel");
    let cancel = app.send("POST", &cancel_path, None, Some(&buyer));
    let pay = async {
        waiting(1).await;
        webhook(&app, &payload, signed(&payload)).await
    };
    let release = crate::concurrency::release_when_waiting(db, holder, 2);
    let (cancelled, paid, ()) = tokio::join!(cancel, pay, release);
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    let status = app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"].as_str().unwrap().to_owned();
    let refunds = calls.lock().unwrap().iter().filter(|(path, _, _)| path == "/v1/refunds").count();
    match status.as_str() {
        "cancelled" => {
            assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
            assert_eq!(refunds, 1, "the payment of a cancelled order goes back: {}", paid.text);
        }
        "paid" => {
            assert!(!held, "on PostgreSQL the cancellation was first in line");
            assert_eq!(cancelled.status, StatusCode::CONFLICT, "{}", cancelled.text);
            assert_eq!(refunds, 0);
        }
        other => panic!("the order ended {other}"),
    }
}

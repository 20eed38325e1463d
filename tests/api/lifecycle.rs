//! The order lifecycle's one door: a lost race is an answer (two writers
//! moving one order at once: exactly one wins, the other learns where the
//! order went, and one event is written), and lines have their own events.

use crate::helpers::{Backend, TestApp, backend};
use axum::http::StatusCode;
use serde_json::json;
use zhunong::orders::OrderStatus;
use zhunong::orders::lifecycle::{self, Lost};

/// An invoice order of the partner-city buyer (no approval), awaiting
/// payment: its id.
async fn awaiting_payment(app: &TestApp) -> i64 {
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let melon = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let res = app.post("/api/v1/orders", crate::helpers::order_body(&[(melon, 2)]), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["status"], "awaiting_payment");
    res.json()["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writers_moving_one_order_at_once_have_one_winner_and_the_loser_is_told_where_it_went() {
    let app = TestApp::demo().await;
    let id = awaiting_payment(&app).await;
    let db = app.db().clone();

    // The first writer moves the order and keeps its transaction open.
    let mut first = db.begin_write().await.unwrap();
    let won =
        lifecycle::transition(&mut first, id, OrderStatus::AwaitingPayment, OrderStatus::Cancelled, None, "buyer cancelled").await.unwrap();
    assert!(won.is_ok(), "{won:?}");

    // The second asks for another move of the same order meanwhile: on
    // PostgreSQL its UPDATE waits on the first one's row lock, on SQLite
    // its transaction waits for the one writer.
    let second = tokio::spawn({
        let db = db.clone();
        async move {
            let mut tx = db.begin_write().await.unwrap();
            let outcome =
                lifecycle::transition(&mut tx, id, OrderStatus::AwaitingPayment, OrderStatus::Paid, None, "pi_late").await.unwrap();
            tx.commit().await.unwrap();
            outcome
        }
    });
    if let Backend::Postgres(_) = backend() {
        // Commit only once the second really waits on the row, so the race
        // is run, not merely taken in turns.
        crate::concurrency::until_waiting_for_locks(&db, 1).await;
    }
    first.commit().await.unwrap();
    let lost = second.await.unwrap();
    assert_eq!(lost, Err(Lost { current: Some(OrderStatus::Cancelled) }), "the loser learns the order was cancelled");

    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = {id} AND from_status = 'awaiting_payment'")).await,
        1
    );
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1").bind(id).fetch_one(db.pool()).await.unwrap();
    assert_eq!(status, "cancelled");
}

#[tokio::test]
async fn cancelling_an_order_already_cancelled_is_a_conflict_naming_its_status_and_writes_no_event() {
    let app = TestApp::demo().await;
    let id = awaiting_payment(&app).await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(app.send("POST", &format!("/api/v1/orders/{id}/cancel"), None, Some(&buyer)).await.status, StatusCode::OK);
    let again = app.send("POST", &format!("/api/v1/orders/{id}/cancel"), None, Some(&buyer)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(again.text.contains("cancelled"), "{}", again.text);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = {id} AND to_status = 'cancelled'")).await, 1);
    // A move from a status the order is not in is lost, not done.
    let mut tx = app.db().begin_write().await.unwrap();
    let lost = lifecycle::transition(&mut tx, id, OrderStatus::AwaitingPayment, OrderStatus::Paid, None, "").await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(lost, Err(Lost { current: Some(OrderStatus::Cancelled) }));
    let mut tx = app.db().begin_write().await.unwrap();
    let gone = lifecycle::transition(&mut tx, id + 1_000_000, OrderStatus::AwaitingPayment, OrderStatus::Paid, None, "").await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(gone, Err(Lost { current: None }), "no such order");
}

#[tokio::test]
async fn each_line_moved_gets_its_own_event_with_who_moved_it() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let melon = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let karuo = app.count("SELECT MIN(id) FROM products WHERE origin_code LIKE '540302%'").await;
    let placed = app.post("/api/v1/orders", crate::helpers::order_body(&[(melon, 2), (karuo, 1)]), Some(&buyer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let paid = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": "CCB-11"}), Some(&finance)).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);

    // The 伽师县 operator dispatches the melons from their village point
    // (the 卡若区 goods are not at its nodes); the admin scans the rest.
    let operator = app.login("operator@hub.zhunong.demo").await;
    let scans = app.next_scans(&operator, &id).await;
    assert_eq!(scans.len(), 1, "the operator sees only the melon line's way: {scans:?}");
    let (code, node, event) = &scans[0];
    assert_eq!(app.scan(&operator, code, node, event).await.status, StatusCode::CREATED);
    let line_events = |sql: &str| {
        let query = format!("SELECT COUNT(*) FROM order_line_events e JOIN order_lines l ON l.id = e.line_id WHERE l.order_id = {id}{sql}");
        let app = &app;
        async move { app.count(&query).await }
    };
    assert_eq!(line_events("").await, 1, "one line moved, one line event");
    let operator_id = app.count("SELECT id FROM users WHERE email = 'operator@hub.zhunong.demo'").await;
    assert_eq!(
        line_events(&format!(
            " AND l.product_id = {melon} AND e.from_status = 'waiting' AND e.to_status = 'in_transit' AND e.user_id = {operator_id}"
        ))
        .await,
        1
    );
    app.deliver_all(&id).await;
    let delivered = app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await;
    assert_eq!(delivered.json()["status"], "delivered", "{}", delivered.text);
    assert_eq!(line_events("").await, 4, "two lines, each dispatched and delivered");
    assert_eq!(line_events(" AND e.to_status = 'delivered'").await, 2);
    // The order's own history still reads as before: one event per step.
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = {id} AND to_status = 'delivered'")).await, 1);
}

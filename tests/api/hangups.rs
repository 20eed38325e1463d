//! Clients that hang up: a phone losing signal, a proxy's time-out, a tab
//! closed mid-checkout. Hyper then drops the request's future wherever it
//! is parked; no write may be cut half-way by that, no connection may go
//! back into use inside a transaction, and the marketplace must go on
//! taking orders (issue 16, finding 0).
//!
//! Each request here goes through the whole router and is dropped after a
//! random number of polls — at every await point a handler can reach,
//! which is exactly what a hang-up does — thousands of times, over order
//! placement, payment, refunds, lot creation, imports and sign-in.

use crate::helpers::{Backend, TestApp, backend};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::ServiceExt;

/// Polls a future at most `polls` times, then drops it: a client that
/// hangs up after the server has made that much progress.
struct HangUpAfter<F> {
    inner: Option<Pin<Box<F>>>,
    polls: u32,
}

impl<F: Future> Future for HangUpAfter<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.inner.as_mut() else { return Poll::Ready(None) };
        if let Poll::Ready(v) = inner.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        self.polls = self.polls.saturating_sub(1);
        if self.polls == 0 {
            self.inner = None;
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn order(product: i64, quantity: i64) -> Value {
    crate::helpers::order_body(&[(product, quantity)])
}

fn post(path: &str, token: Option<&str>, content_type: &str, body: String, key: Option<String>) -> Request<Body> {
    let mut req = Request::post(path).header(header::CONTENT_TYPE, content_type);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.body(Body::from(body)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_clients_hanging_up_mid_write_leave_every_write_working_and_nothing_half_done() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let finance = app.login("finance@zhunong.demo").await;
    let manager = app.login("manager@coop.zhunong.demo").await;
    let product = app
        .count("SELECT MIN(p.id) FROM products p JOIN users u ON u.org_id = p.cooperative_id WHERE u.email = 'manager@coop.zhunong.demo'")
        .await;
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {product}")).await;
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {product}")).await;
    let (household_id, household_code): (i64, String) = sqlx::query_as(
        "SELECT h.id, h.code FROM households h JOIN cooperative_members m ON m.household_id = h.id WHERE m.cooperative_id = $1 ORDER BY h.id LIMIT 1",
    )
    .bind(coop)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    // Plenty of stock, so orders fail only when they are cut.
    let lot = json!({"product_id": product.to_string(), "quantity": 1_000_000, "harvested_on": "2026-11-01", "expires_on": "2027-11-01",
        "node_id": node.to_string(), "contributions": [{"household_id": household_id.to_string(), "quantity": 1_000_000}]});
    assert_eq!(app.post("/api/v1/lots", lot, Some(&manager)).await.status, StatusCode::CREATED);

    // Orders to pay and paid orders to refund, placed whole.
    let mut unpaid = Vec::new();
    let mut paid = Vec::new();
    for i in 0..80 {
        let res = app.post("/api/v1/orders", order(product, 5), Some(&buyer)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let o = res.json();
        let id = o["id"].as_str().unwrap().to_owned();
        if i % 2 == 0 {
            let res =
                app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": format!("ICBC-{i}")}), Some(&finance)).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            paid.push((id, o["lines"][0]["id"].as_str().unwrap().to_owned()));
        } else {
            unpaid.push(id);
        }
    }

    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut cut = 0;
    let rounds = 40;
    // A wedged database does not fail a request, it makes every write wait
    // for a lock that never comes: this bound turns that into a failure
    // (the whole run takes about 20 s on SQLite; before the fix it hung).
    let wedged = std::time::Duration::from_secs(240);
    let hang_ups = async {
        for round in 0..rounds {
            let mut set = tokio::task::JoinSet::new();
            for n in 0..64u64 {
                let kind = dice.roll(16);
                let req = match kind {
                    0..=6 => post(
                        "/api/v1/orders",
                        Some(&buyer),
                        "application/json",
                        order(product, 1 + dice.roll(3) as i64).to_string(),
                        Some(format!("hang-{round}-{n}")),
                    ),
                    7 | 8 => {
                        let id = &unpaid[dice.roll(unpaid.len() as u64) as usize];
                        post(
                            &format!("/api/v1/orders/{id}/payments/invoice"),
                            Some(&finance),
                            "application/json",
                            json!({"reference": format!("R-{round}-{n}")}).to_string(),
                            None,
                        )
                    }
                    9 | 10 => {
                        let (id, line) = &paid[dice.roll(paid.len() as u64) as usize];
                        let body = json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "挤压破损"});
                        post(&format!("/api/v1/orders/{id}/refunds"), Some(&finance), "application/json", body.to_string(), None)
                    }
                    11 | 12 => {
                        let q = 10 + dice.roll(50) as i64;
                        let body = json!({"product_id": product.to_string(), "quantity": q, "harvested_on": "2026-11-01", "expires_on": "2027-11-01",
                        "node_id": node.to_string(), "contributions": [{"household_id": household_id.to_string(), "quantity": q}]});
                        post("/api/v1/lots", Some(&manager), "application/json", body.to_string(), None)
                    }
                    13 | 14 => {
                        let csv = format!(
                            "lot,product_id,quantity,harvested_on,expires_on,node_id,household_code,household_quantity\n\
                         A,{product},30,2026-11-01,2027-11-01,{node},{household_code},30\n\
                         B,{product},20,2026-11-02,2027-11-02,{node},{household_code},20\n"
                        );
                        post("/api/v1/lots/import", Some(&manager), "text/csv", csv, None)
                    }
                    _ => post(
                        "/api/v1/auth/login",
                        None,
                        "application/json",
                        json!({"email": "approver@agency.zhunong.demo", "password": "zhunong-demo"}).to_string(),
                        None,
                    ),
                };
                // Half hang up after a number of polls (at an await point),
                // half after 0–8 ms (at a moment), as the reproduction
                // did; some run to their end.
                let router = app.router.clone();
                if dice.roll(2) == 0 {
                    let polls = 1 + dice.roll(40) as u32;
                    set.spawn(async move { HangUpAfter { inner: Some(Box::pin(router.oneshot(req))), polls }.await.is_none() });
                } else {
                    let after = std::time::Duration::from_micros(dice.roll(8_000));
                    set.spawn(async move { tokio::time::timeout(after, router.oneshot(req)).await.is_err() });
                }
            }
            while let Some(was_cut) = set.join_next().await {
                cut += usize::from(was_cut.unwrap());
            }
        }
        // Every write whose client left runs on to its end; wait for them.
        app.app.state.writes.idle().await;
    };
    tokio::time::timeout(wedged, hang_ups).await.expect("writes finish: the database is not wedged");
    assert!(cut > rounds * 64 / 10, "many requests are cut before they answer ({cut} of {})", rounds * 64);

    // No connection is left inside a transaction.
    nothing_holds_a_transaction(&app).await;

    // Writes work: sign-in, an order, a lot.
    let again = app.login("buyer@agency.zhunong.demo").await;
    let res = app.post("/api/v1/orders", order(product, 2), Some(&again)).await;
    assert_eq!(res.status, StatusCode::CREATED, "ordering still works: {}", res.text);
    let q = 7;
    let body = json!({"product_id": product.to_string(), "quantity": q, "harvested_on": "2026-11-01", "expires_on": "2027-11-01",
        "node_id": node.to_string(), "contributions": [{"household_id": household_id.to_string(), "quantity": q}]});
    assert_eq!(app.post("/api/v1/lots", body, Some(&manager)).await.status, StatusCode::CREATED, "recording stock still works");

    // Nothing half-done is visible.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)").await,
        0,
        "orders without lines"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM order_lines l WHERE l.quantity - (SELECT COALESCE(SUM(rl.quantity), 0) FROM refund_lines rl \
             JOIN refunds r ON r.id = rl.refund_id WHERE rl.line_id = l.id AND r.restocked = 1) \
             <> (SELECT COALESCE(SUM(a.quantity), 0) FROM allocations a WHERE a.line_id = l.id)"
        )
        .await,
        0,
        "lines whose allocations are not their quantity less what went back to stock"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM idempotency_keys WHERE status_code = 0").await, 0, "keys claimed without an answer");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM payments p WHERE p.amount_fen <> (SELECT COALESCE(SUM(e.gross_fen), 0) FROM attribution_entries e \
             WHERE e.order_id = p.order_id AND e.kind = 'sale')"
        )
        .await,
        0,
        "payments whose attribution does not add up"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM orders o WHERE (SELECT COALESCE(SUM(r.amount_fen), 0) FROM refunds r WHERE r.order_id = o.id) \
             <> -(SELECT COALESCE(SUM(e.gross_fen), 0) FROM attribution_entries e WHERE e.order_id = o.id AND e.kind = 'refund')"
        )
        .await,
        0,
        "refunds whose reversal does not add up"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM lots l WHERE NOT EXISTS (SELECT 1 FROM lot_contributions c WHERE c.lot_id = l.id) \
             OR NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.lot_id = l.id)"
        )
        .await,
        0,
        "lots without contributions or without their receipt"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM orders o WHERE o.status IN ('paid', 'refunded') AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id)").await,
        0,
        "orders paid without a payment"
    );
}

/// Asks the database itself, on a connection of its own, whether any
/// session still holds a transaction open: PostgreSQL lists sessions idle
/// in a transaction; on SQLite a fresh connection takes the write lock at
/// once only if no other connection sits on it.
async fn nothing_holds_a_transaction(app: &TestApp) {
    use sqlx::{Connection, Executor};
    let url = app.app.state.config.database_url.expose().to_owned();
    let mut fresh = sqlx::AnyConnection::connect(&url).await.unwrap();
    match backend() {
        Backend::Postgres(_) => {
            let stuck: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
            )
            .fetch_one(&mut fresh)
            .await
            .unwrap();
            assert_eq!(stuck, 0, "sessions idle in a transaction");
        }
        Backend::Sqlite => {
            fresh.execute("PRAGMA busy_timeout = 0").await.unwrap();
            fresh.execute("BEGIN IMMEDIATE").await.expect("no other connection holds the write lock");
            fresh.execute("ROLLBACK").await.unwrap();
        }
    }
    fresh.close().await.unwrap();
}

#[tokio::test]
async fn a_connection_that_comes_back_inside_a_transaction_is_closed_not_reused() {
    use sqlx::Connection;
    let app = TestApp::bare().await;
    let pool = app.db().pool();
    let begin = match backend() {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres(_) => "BEGIN",
    };
    // A transaction that nothing will end: what a future cancelled inside
    // `begin` leaves behind, made on purpose.
    let mut conn = pool.acquire().await.unwrap();
    let tx = conn.begin_with(begin).await.unwrap();
    std::mem::forget(tx);
    assert!(conn.is_in_transaction());
    drop(conn);

    // Holding every connection the pool may have means the release above
    // has run: each of them is outside any transaction.
    let size = pool.options().get_max_connections();
    let mut held = Vec::new();
    for _ in 0..size {
        let c = pool.acquire().await.unwrap();
        assert!(!c.is_in_transaction(), "a connection in a transaction was handed out again");
        held.push(c);
    }
    nothing_holds_a_transaction(&app).await;
    drop(held);
    let mut tx = app.db().begin_write().await.expect("writes work");
    zhunong::db::set_meta(&mut tx, "probe", "1").await.unwrap();
    tx.commit().await.unwrap();
}

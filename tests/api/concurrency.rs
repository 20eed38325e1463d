//! Writes that race: the read-then-writes of docs/ARCHITECTURE.md ("Writes
//! on PostgreSQL") that a single SQLite writer can never show, run really
//! at once. On PostgreSQL each test lines its writers up on a row lock held
//! by the test itself, and lets them go only once PostgreSQL reports them
//! all waiting — so the interleaving that used to lose a write happens
//! every time, not by luck. On SQLite the same requests run side by side
//! (and take turns at the writer).

use crate::helpers::{Backend, TestApp, backend};
use axum::http::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use zhunong::db::{Db, Tx};
use zhunong::demo::{self, Outcome};

/// Waits until `n` sessions of this database wait for a lock (PostgreSQL).
/// Polls the server's own view of its sessions: the test then knows its
/// writers have done everything up to the lock, instead of sleeping and
/// hoping they have.
pub async fn until_waiting_for_locks(db: &Db, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        if waiting >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{waiting} of {n} sessions came to wait for a lock within 30 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// On PostgreSQL, a transaction holding row `id` of `table` locked, so the
/// writers a test starts next line up behind it; `None` on SQLite, whose
/// one writer lines them up anyway.
pub async fn hold_row(db: &Db, table: &str, id: i64) -> Option<Tx> {
    match backend() {
        Backend::Postgres(_) => {
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query(&format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE")).bind(id).fetch_one(&mut *tx).await.unwrap();
            Some(tx)
        }
        Backend::Sqlite => None,
    }
}

/// Lets a [`hold_row`] go once `n` sessions wait for a lock.
pub async fn release_when_waiting(db: &Db, holder: Option<Tx>, n: i64) {
    if let Some(tx) = holder {
        until_waiting_for_locks(db, n).await;
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn two_instances_loading_the_demo_at_once_on_one_database_load_it_once() {
    let app = TestApp::bare().await;
    // On PostgreSQL the second loader is a second instance: its own pool.
    // (Two SQLite pools on one file would only meet SQLite's busy timeout.)
    let other = match backend() {
        Backend::Postgres(_) => Some(Db::connect(app.app.state.config.database_url.expose()).await.unwrap()),
        Backend::Sqlite => None,
    };
    let (a, b) = tokio::join!(demo::load(app.db()), demo::load(other.as_ref().unwrap_or(app.db())));
    let outcomes = [a.expect("the first loader does not fail"), b.expect("the second loader does not fail")];
    assert_eq!(outcomes.iter().filter(|o| matches!(o, Outcome::Loaded { .. })).count(), 1, "{outcomes:?}");
    assert!(outcomes.contains(&Outcome::AlreadyLoaded), "{outcomes:?}");

    let once = TestApp::demo().await;
    for table in ["organisations", "users", "households", "products", "lots", "stock_movements"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(app.count(&sql).await, once.count(&sql).await, "{table} holds one demo's rows");
    }
}

#[tokio::test]
async fn two_patches_of_different_fields_of_one_product_at_once_both_stick() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let id = app
        .count("SELECT MIN(p.id) FROM products p JOIN users u ON u.org_id = p.cooperative_id WHERE u.email = 'manager@coop.zhunong.demo'")
        .await;
    let path = format!("/api/v1/products/{id}");
    // Both patches read the product before either writes; then each used to
    // write back every field it had read, undoing the other's.
    let holder = hold_row(app.db(), "products", id).await;
    let release = release_when_waiting(app.db(), holder, 2);
    let (described, specified, ()) = tokio::join!(
        app.send("PATCH", &path, Some(json!({"description": "喀什地区伽师县的甜瓜，七月采摘"})), Some(&token)),
        app.send("PATCH", &path, Some(json!({"spec": "每箱约 5 公斤"})), Some(&token)),
        release,
    );
    assert_eq!(described.status, StatusCode::OK, "{}", described.text);
    assert_eq!(specified.status, StatusCode::OK, "{}", specified.text);
    let product = app.get(&path, None).await.json();
    assert_eq!(product["description"], "喀什地区伽师县的甜瓜，七月采摘");
    assert_eq!(product["spec"], "每箱约 5 公斤");
}

#[tokio::test]
async fn a_commit_that_writes_to_the_search_outbox_wakes_the_indexer_and_others_do_not() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let committed = app.db().committed();
    // A notification is kept until someone waits: polling once says whether
    // one is there (tokio's timeout polls the future before its clock).
    let woken = || async { tokio::time::timeout(Duration::ZERO, committed.notified()).await.is_ok() };
    woken().await;
    let lot = app
        .count(
            "SELECT MIN(l.id) FROM lots l JOIN products p ON p.id = l.product_id JOIN users u ON u.org_id = p.cooperative_id \
             WHERE u.email = 'manager@coop.zhunong.demo'",
        )
        .await;
    let product = app.count(&format!("SELECT product_id FROM lots WHERE id = {lot}")).await;
    let mut tx = app.db().begin_write().await.unwrap();
    zhunong::outbox::enqueue(&mut tx, product).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(!woken().await, "a rolled-back change has nothing to index");
    app.login("buyer@agency.zhunong.demo").await;
    assert!(!woken().await, "a sign-in changes no search document");
    let adjusted = app.post(&format!("/api/v1/lots/{lot}/adjustments"), json!({"delta": 5, "reason": "recount"}), Some(&token)).await;
    assert_eq!(adjusted.status, StatusCode::CREATED, "{}", adjusted.text);
    assert!(woken().await, "the adjustment's commit wakes the indexer, with no handler asking");
    assert!(!woken().await, "once");
}

#[tokio::test]
async fn two_tabs_adding_the_last_two_products_to_a_nearly_full_cart_get_one_in() {
    use zhunong::orders::cart::{self, Added, MAX_LINES};
    let app = TestApp::demo().await;
    let manager = app.login("manager@coop.zhunong.demo").await;
    let village = app.get("/api/v1/me", Some(&manager)).await.json()["org"]["region_code"].as_str().unwrap().to_owned();
    let mut products = Vec::new();
    for i in 0..=MAX_LINES {
        let body = json!({
            "name": format!("伽师新梅 {i} 号"), "category": "fruit", "unit": "kg", "storage": "ambient",
            "origin_code": village, "unit_weight_g": 1000, "price_tiers": [{"min_quantity": 1, "unit_price_fen": 3200}]
        });
        let res = app.post("/api/v1/products", body, Some(&manager)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        products.push(zhunong::ids::parse(res.json()["id"].as_str().unwrap()).unwrap());
    }
    let buyer = app.count("SELECT id FROM users WHERE email = 'buyer@agency.zhunong.demo'").await;
    for p in &products[..MAX_LINES - 1] {
        assert_eq!(cart::add(app.db(), buyer, *p, 1).await.unwrap(), Added::Yes);
    }
    // One free line, two tabs: each used to count 99 lines and both went in.
    let holder = hold_row(app.db(), "users", buyer).await;
    let release = release_when_waiting(app.db(), holder, 2);
    let (a, b, ()) =
        tokio::join!(cart::add(app.db(), buyer, products[MAX_LINES - 1], 1), cart::add(app.db(), buyer, products[MAX_LINES], 1), release);
    let mut outcomes = [a.unwrap(), b.unwrap()];
    outcomes.sort_by_key(|o| *o != Added::Yes);
    assert_eq!(outcomes, [Added::Yes, Added::CartFull]);
    let lines = app.count(&format!("SELECT COUNT(*) FROM cart_lines WHERE user_id = {buyer}")).await;
    assert_eq!(lines, MAX_LINES as i64, "the cart holds at most {MAX_LINES} products");
}

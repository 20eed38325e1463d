//! Several instances on one database (issue 15 §2, "no instance is
//! special"): two apps built on the same database, each with its own
//! connections, indexer and sweeper, as two processes would be. On
//! PostgreSQL the races are real (two pools, row locks); on SQLite the
//! same tests check the bookkeeping.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use zhunong::search::{Indexer, SearchEngine};
use zhunong::sweep::Sweeper;

/// Products that do not exist: their outbox rows are handled by deleting
/// their documents, cheaply, so a test can queue thousands.
const GHOSTS: i64 = 2_000;

async fn outbox_rows(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM search_outbox").await
}

#[tokio::test]
async fn two_indexers_sharing_one_engine_handle_every_outbox_row_exactly_once() {
    let a = TestApp::demo().await;
    let b = a.another_instance().await;
    // One engine both write to, as instances share one Meilisearch.
    let engine = a.app.state.search.clone();
    let products = a.count("SELECT COUNT(*) FROM products WHERE active = 1").await;
    // Three changes of every product (an edit, two sales, say) and a few
    // thousand rows of products since deleted: several batches each.
    for _ in 0..3 {
        sqlx::query("INSERT INTO search_outbox (product_id, enqueued_at) SELECT id, $1 FROM products")
            .bind(zhunong::time::now())
            .execute(a.db().pool())
            .await
            .unwrap();
    }
    let mut tx = a.db().begin_write().await.unwrap();
    let ghosts: Vec<i64> = (0..GHOSTS).map(|i| 9_000_000 + i).collect();
    zhunong::outbox::enqueue_many(&mut tx, &ghosts).await.unwrap();
    tx.commit().await.unwrap();
    let queued = outbox_rows(&a).await;
    assert!(queued >= GHOSTS + 3 * products, "{queued} rows queued");

    let first = Indexer::new(a.db().clone(), engine.clone(), 0);
    let second = Indexer::new(b.db().clone(), engine.clone(), 0);
    let (x, y) = tokio::join!(first.drain(), second.drain());
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x + y, queued as u64, "every row handled once: {x} by one, {y} by the other, of {queued}");
    assert_eq!(outbox_rows(&a).await, 0, "nothing left behind");
    assert_eq!(engine.count().await.unwrap(), products as u64, "every live product indexed, no ghost");
}

#[tokio::test]
async fn a_change_of_a_product_another_indexer_is_indexing_waits_for_it_and_a_lapsed_claim_is_taken_over() {
    let a = TestApp::demo().await;
    let b = a.another_instance().await;
    let product = a.count("SELECT MIN(id) FROM products").await;
    let other = a.count("SELECT MAX(id) FROM products").await;
    // The first instance holds a change of `product` (it is indexing it);
    // then the product changes again, and so does another.
    sqlx::query("INSERT INTO search_outbox (product_id, enqueued_at, claimed_by, claimed_until) VALUES ($1, $2, 'instance-a', $3)")
        .bind(product)
        .bind(zhunong::time::now())
        .bind(zhunong::time::in_seconds(30))
        .execute(a.db().pool())
        .await
        .unwrap();
    let mut tx = a.db().begin_write().await.unwrap();
    zhunong::outbox::enqueue_many(&mut tx, &[product, other]).await.unwrap();
    tx.commit().await.unwrap();

    // The second instance indexes the other product only: two documents of
    // one product in flight at once could reach the engine out of order.
    assert_eq!(b.app.state.indexer.drain().await.unwrap(), 1);
    assert_eq!(a.count(&format!("SELECT COUNT(*) FROM search_outbox WHERE product_id = {product}")).await, 2);

    // The holder died: its claim lapses, and both changes are taken then.
    sqlx::query("UPDATE search_outbox SET claimed_until = $1 WHERE claimed_by = 'instance-a'")
        .bind(zhunong::time::in_seconds(-1))
        .execute(a.db().pool())
        .await
        .unwrap();
    assert_eq!(b.app.state.indexer.drain().await.unwrap(), 2);
    assert_eq!(outbox_rows(&a).await, 0);
}

#[tokio::test]
async fn an_indexer_that_stops_gives_back_its_claims_at_once() {
    let a = TestApp::demo().await;
    let b = a.another_instance().await;
    let product = a.count("SELECT MIN(id) FROM products").await;
    let holder = a.app.state.indexer.holder().to_owned();
    // Rows claimed by the first instance when it was told to stop.
    sqlx::query("INSERT INTO search_outbox (product_id, enqueued_at, claimed_by, claimed_until) VALUES ($1, $2, $3, $4)")
        .bind(product)
        .bind(zhunong::time::now())
        .bind(&holder)
        .bind(zhunong::time::in_seconds(30))
        .execute(a.db().pool())
        .await
        .unwrap();
    assert_eq!(b.app.state.indexer.drain().await.unwrap(), 0, "held by the first");

    // Its run loop, told to stop, drains what it can and gives back the rest.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(a.app.state.indexer.clone().run(stopping));
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), run).await.expect("the indexer stops").unwrap();
    assert_eq!(a.count("SELECT COUNT(*) FROM search_outbox WHERE claimed_by IS NOT NULL").await, 0, "no claim left");
    assert_eq!(b.app.state.indexer.drain().await.unwrap(), 1, "the other instance takes the row without waiting");
}

#[tokio::test]
async fn two_instances_sweeping_at_once_cancel_each_lapsed_order_once() {
    let a = TestApp::demo().await;
    let b = a.another_instance().await;
    let product = a
        .count("SELECT MIN(p.id) FROM products p WHERE (SELECT SUM(quantity - allocated) FROM lots l WHERE l.product_id = p.id) >= 100")
        .await;
    for _ in 0..8 {
        a.order_to(product, 2, "653101000000").await;
    }
    // Three days and an hour later every unpaid hold has lapsed.
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(73);
    let due = a
        .count(&format!(
            "SELECT COUNT(*) FROM orders WHERE status IN ('placed', 'pending_approval', 'awaiting_payment') \
             AND released_at IS NULL AND pay_by < '{}'",
            zhunong::time::timestamp(later)
        ))
        .await;
    assert!(due >= 8, "{due} orders due");

    let rules = zhunong::monitoring::Rules::of(&a.app.state.config);
    let first = Sweeper::new(a.db().clone(), None, rules.clone(), "instance-a");
    let second = Sweeper::new(b.db().clone(), None, rules, "instance-b");
    let (x, y) = tokio::join!(first.orders(later), second.orders(later));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert!(x.orders_held != y.orders_held, "one instance holds the lease: {x:?} {y:?}");
    assert_eq!(x.expired + y.expired, due as usize, "each lapsed order cancelled once");
    let events = a
        .count(&format!(
            "SELECT COUNT(*) FROM order_events WHERE note = '{}' OR note = '{}'",
            zhunong::orders::LAPSED_UNPAID,
            zhunong::orders::LAPSED_UNAPPROVED
        ))
        .await;
    assert_eq!(events, due, "one cancellation event per order");
    let twice = a
        .count(&format!(
            "SELECT COUNT(*) FROM (SELECT order_id FROM order_events WHERE note = '{}' GROUP BY order_id HAVING COUNT(*) > 1) t",
            zhunong::orders::LAPSED_UNPAID
        ))
        .await;
    assert_eq!(twice, 0);

    // The holder stops and gives its leases back: the other takes over at
    // its next sweep, not a minute later.
    let (holder, other) = if x.orders_held { (&first, &second) } else { (&second, &first) };
    assert!(!other.orders(later).await.unwrap().orders_held, "still held");
    holder.release().await.unwrap();
    assert!(other.orders(later).await.unwrap().orders_held, "taken over at once");
}

#[tokio::test]
async fn a_region_imported_through_one_instance_is_found_by_another_at_once() {
    let a = TestApp::bare().await;
    let b = a.another_instance().await;
    // A township of 伽师县 and a village in it, neither shipped.
    let township = zhunong::regions::RegionCode::parse("653129999000").unwrap();
    let village = zhunong::regions::RegionCode::parse("653129999001").unwrap();
    assert!(zhunong::regions::get(b.db(), village).await.unwrap().is_none(), "not there yet");
    // The village arrives first, hung under its county as a source without
    // its township would have it: its chain is short.
    sqlx::query("INSERT INTO regions (code, parent_code, level, name) VALUES ($1, '653129000000', 'village', '测试村')")
        .bind(village.to_string())
        .execute(a.db().pool())
        .await
        .unwrap();
    let short = zhunong::regions::get(b.db(), village).await.unwrap().expect("the other instance finds it");
    assert!(!short.chain.iter().any(|l| l.code == township));
    sqlx::query("INSERT INTO regions (code, parent_code, level, name) VALUES ($1, '653129000000', 'township', '测试乡')")
        .bind(township.to_string())
        .execute(a.db().pool())
        .await
        .unwrap();
    let whole = zhunong::regions::get(b.db(), village).await.unwrap().unwrap();
    assert!(whole.chain.iter().any(|l| l.code == township && l.name == "测试乡"), "a short chain was not kept: {:?}", whole.chain);
}

/// The bound README.md and ARCHITECTURE.md state for a change to reach
/// searches through every instance: the indexers poll every second.
const FRESH_WITHIN: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_product_renamed_through_one_instance_is_shown_by_another_at_once_and_found_by_its_new_name_within_the_bound() {
    let a = TestApp::demo().await;
    let b = a.another_instance_sharing_search().await;
    // Both run their indexers, as two servers do.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let indexers =
        [tokio::spawn(a.app.state.indexer.clone().run(stopping.clone())), tokio::spawn(b.app.state.indexer.clone().run(stopping))];
    let token = a.login("manager@coop.zhunong.demo").await;
    let coop = a.get("/api/v1/me", Some(&token)).await.json()["org"]["id"].as_str().unwrap().to_owned();
    let id = a.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await.to_string();
    let found = |body: serde_json::Value| body["items"].as_array().unwrap().iter().any(|p| p["id"] == id.as_str());
    assert!(!found(b.get("/api/v1/products?q=改名", None).await.json()));

    let res = a.send("PATCH", &format!("/api/v1/products/{id}"), Some(json!({"name": "改名后的产品"})), Some(&token)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let changed = Instant::now();
    // What a page shows of a product is read from the database: at once.
    assert_eq!(b.get(&format!("/api/v1/products/{id}"), None).await.json()["name"], "改名后的产品");
    // Searches match it by its new name once an indexer has taken the change.
    let waited = tokio::time::timeout(FRESH_WITHIN * 5, async {
        while !found(b.get("/api/v1/products?q=改名", None).await.json()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        changed.elapsed()
    })
    .await
    .expect("the other instance finds the product by its new name");
    assert!(waited <= FRESH_WITHIN, "found after {waited:?}, past the stated {FRESH_WITHIN:?}");
    stop.send(true).unwrap();
    for indexer in indexers {
        indexer.await.unwrap();
    }
}

#[tokio::test]
async fn two_instances_sweeping_at_once_evaluate_the_households_of_a_sale_in_one_of_them() {
    let a = TestApp::demo().await;
    let b = a.another_instance().await;
    let product = a.count("SELECT MIN(p.id) FROM products p JOIN lots l ON l.product_id = p.id WHERE l.quantity > l.allocated + 5").await;
    a.paid_order_to(product, 5, "653101000000").await;
    let rules = zhunong::monitoring::Rules::of(&a.app.state.config);
    let (x, y) =
        tokio::join!(zhunong::monitoring::sweep(a.db(), &rules, "instance-a"), zhunong::monitoring::sweep(b.db(), &rules, "instance-b"));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert!(x.evaluated + y.evaluated > 0, "the households of the sale were evaluated");
    assert!(x.evaluated == 0 || y.evaluated == 0, "by one instance only: {x:?} {y:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_with_the_embedded_engine_on_one_database_is_refused_and_starts_once_the_first_stops() {
    use crate::durability::{free_port, ready, start};
    let folder = |name: &str| {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = crate::helpers::scratch_dir().join(format!("embedded-{name}-{stamp}"));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    };
    let (first_data, second_data) = (folder("first"), folder("second"));
    let url = match crate::helpers::backend() {
        crate::helpers::Backend::Sqlite => format!("sqlite://{}?mode=rwc", first_data.join("zhunong.db").display()),
        crate::helpers::Backend::Postgres(admin_url) => {
            let name = format!("zhunong_t_embedded_{}", std::process::id());
            crate::helpers::admin(&admin_url, &format!("DROP DATABASE IF EXISTS {name}")).await;
            crate::helpers::admin(&admin_url, &format!("CREATE DATABASE {name}")).await;
            crate::helpers::with_database(&admin_url, &name)
        }
    };
    let client = reqwest::Client::new();
    let port = free_port();
    let mut first = start(&url, &first_data, port);
    ready(&client, &format!("http://127.0.0.1:{port}"), &mut first).await;

    // Another server on the same database, its own data folder (so its own
    // embedded index): refused, after waiting out a lease a crash would leave.
    // The embedded engine, whatever Meilisearch the test run was given; and
    // a bound, so that a second server that starts fails the test rather
    // than hanging it.
    let mut second = std::process::Command::new(env!("CARGO_BIN_EXE_zhunong"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("ZHUNONG_DATA_DIR", &second_data)
        .env("ZHUNONG_BIND", format!("127.0.0.1:{}", free_port()))
        .env("ZHUNONG_LOG", "error")
        .env_remove("MEILI_URL")
        .env_remove("MEILI_API_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while second.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            second.kill().unwrap();
            panic!("a second server with the embedded engine on the same database started instead of being refused");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = second.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "refused: {said}");
    assert!(said.contains("another instance with the embedded search engine serves this database"), "{said}");
    assert!(said.contains("MEILI_URL"), "says what scales out: {said}");

    // Stopped politely, the first gives the database back at once.
    let term = std::process::Command::new("kill").args(["-TERM", &first.id().to_string()]).status().unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    while first.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the first server did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The lease is given back, not left to lapse.
    sqlx::any::install_default_drivers();
    let db = zhunong::db::Db::connect(&url).await.unwrap();
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM job_leases WHERE name = $1 AND until > $2")
        .bind(zhunong::search::EMBEDDED_LEASE)
        .bind(zhunong::time::now())
        .fetch_one(db.pool())
        .await
        .unwrap();
    db.close().await;
    assert_eq!(held, 0, "the first server gave the database back");
    let port = free_port();
    let mut second = start(&url, &second_data, port);
    ready(&client, &format!("http://127.0.0.1:{port}"), &mut second).await;
    second.kill().unwrap();
    second.wait().unwrap();
}

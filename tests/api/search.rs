//! Catalogue search over HTTP, and the outbox that keeps the index
//! following the database.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn names(body: &Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_visitor_finds_demo_products_by_chinese_name_and_by_origin() {
    let app = TestApp::demo().await;
    let body = app.get("/api/v1/products?q=伽师瓜", None).await.json();
    assert_eq!(names(&body).first().map(String::as_str), Some("伽师瓜"));
    let body = app.get("/api/v1/products?q=牛肉干", None).await.json();
    assert!(names(&body).contains(&"昌都牦牛肉干".to_owned()), "{:?}", names(&body));
    // By origin: everything from 建始县, nothing from elsewhere.
    let body = app.get("/api/v1/products?q=建始&per_page=200", None).await.json();
    let expected = app.count("SELECT COUNT(*) FROM products WHERE origin_code LIKE '422822%'").await;
    assert_eq!(body["total"], expected);
    assert!(body["items"].as_array().unwrap().iter().all(|p| p["origin"]["code"].as_str().unwrap().starts_with("422822")));
    // English with a typo.
    let body = app.get("/api/v1/products?q=walnutt", None).await.json();
    assert!(names(&body).contains(&"叶城薄皮核桃".to_owned()), "{:?}", names(&body));
}

#[tokio::test]
async fn facets_come_labelled_and_filters_narrow_the_result() {
    let app = TestApp::demo().await;
    let body = app.get("/api/v1/products?per_page=1", None).await.json();
    let total = body["total"].as_i64().unwrap();
    let prefectures = body["facets"]["prefecture"].as_array().unwrap();
    let kashgar = prefectures.iter().find(|f| f["value"] == "653100000000").unwrap();
    assert_eq!(kashgar["label"], "喀什地区");
    let sum: i64 = prefectures.iter().map(|f| f["count"].as_i64().unwrap()).sum();
    assert_eq!(sum, total, "every product has one prefecture");
    let meat = body["facets"]["category"].as_array().unwrap().iter().find(|f| f["value"] == "meat").unwrap().clone();
    assert_eq!(meat["label"], "肉类");

    let filtered = app.get("/api/v1/products?category=meat&per_page=200", None).await.json();
    assert_eq!(filtered["total"], meat["count"]);
    assert!(filtered["items"].as_array().unwrap().iter().all(|p| p["category"] == "meat"));

    let chilled = app.get("/api/v1/products?storage=chilled&county=422822&sort=price_asc&per_page=200", None).await.json();
    let prices: Vec<i64> =
        chilled["items"].as_array().unwrap().iter().map(|p| p["price_tiers"][0]["unit_price_fen"].as_i64().unwrap()).collect();
    assert!(!prices.is_empty());
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "price ascending: {prices:?}");
}

#[tokio::test]
async fn a_partner_city_filter_keeps_its_paired_regions_only() {
    let app = TestApp::demo().await;
    let token = app.login("buyer@partner.zhunong.demo").await;
    let partner = app.get("/api/v1/me", Some(&token)).await.json()["org"]["id"].as_str().unwrap().to_owned();
    let body = app.get(&format!("/api/v1/products?partner={partner}&per_page=200"), None).await.json();
    let items = body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|p| p["origin"]["code"].as_str().unwrap().starts_with("5403")), "重庆市 is paired with 昌都市 only");
    let bad = app.get("/api/v1/products?partner=1", None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "org 1 is not a partner city");
}

#[tokio::test]
async fn bad_search_parameters_are_422_naming_each_field() {
    let app = TestApp::demo().await;
    let res = app.get("/api/v1/products?sort=cheapest&storage=warm&price_min_fen=-5&county=6531&in_stock=maybe", None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<String> =
        res.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    fields.sort();
    assert_eq!(fields, ["county", "in_stock", "price_min_fen", "sort", "storage"]);
}

#[tokio::test]
async fn a_committed_stock_change_reaches_the_index_even_across_a_restart() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let coop = app.get("/api/v1/me", Some(&token)).await.json()["org"]["id"].as_str().unwrap().to_owned();
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {product}")).await;
    let household = app.count(&format!("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id = {coop}")).await;
    let product_id = product.to_string();
    let in_stock = |body: &Value| body["items"].as_array().unwrap().iter().any(|p| p["id"] == product_id);

    // Take all stock away: the product leaves the in-stock results.
    let lots: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, quantity FROM lots WHERE product_id = $1").bind(product).fetch_all(app.db().pool()).await.unwrap();
    for (lot, quantity) in &lots {
        let res =
            app.post(&format!("/api/v1/lots/{lot}/adjustments"), json!({"delta": -quantity, "reason": "spoilage"}), Some(&token)).await;
        assert_eq!(res.status, StatusCode::CREATED);
    }
    let pending = app.count("SELECT COUNT(*) FROM search_outbox").await;
    assert!(pending >= lots.len() as i64, "each change left an outbox row in its transaction");

    // The process "dies" before indexing: a new one on the same database
    // and data folder drains what the old one left.
    let app = app.restart().await;
    app.app.state.indexer.drain().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM search_outbox").await, 0);
    let body = app.get("/api/v1/products?in_stock=true&per_page=200", None).await.json();
    assert!(!in_stock(&body), "out of stock now");

    // Stock comes back through a new lot: the index follows.
    let (harvested, expires) = (zhunong::time::today(), zhunong::time::today() + time::Duration::days(365));
    let (harvested, expires) = (zhunong::time::format_date(harvested), zhunong::time::format_date(expires));
    let lot = json!({"product_id": product.to_string(), "quantity": 5, "harvested_on": harvested, "expires_on": expires,
                     "node_id": node.to_string(), "contributions": [{"household_id": household.to_string(), "quantity": 5}]});
    assert_eq!(app.post("/api/v1/lots", lot, Some(&token)).await.status, StatusCode::CREATED);
    app.index().await;
    let body = app.get("/api/v1/products?in_stock=true&per_page=200", None).await.json();
    assert!(in_stock(&body), "in stock again");
}

#[tokio::test]
async fn search_never_shows_a_product_the_database_no_longer_sells() {
    let app = TestApp::demo().await;
    let id = app.count("SELECT MIN(id) FROM products").await;
    // Withdrawn, and the index not told yet (its outbox row not drained):
    // still filtered out.
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {id}")).await;
    let withdraw = zhunong::catalog::ProductPatch { active: Some(false), ..Default::default() };
    zhunong::catalog::update(app.db(), coop, id, &withdraw).await.unwrap();
    let body = app.get("/api/v1/products?q=伽师瓜", None).await.json();
    let id_text = id.to_string();
    assert!(!body["items"].as_array().unwrap().iter().any(|p| p["id"] == id_text));
    // And a rebuild from the database drops it from the index too.
    let n = app.app.state.indexer.reindex().await.unwrap();
    assert_eq!(n as i64, app.count("SELECT COUNT(*) FROM products WHERE active = 1").await);
}

#[tokio::test]
async fn result_cards_follow_edits_and_show_live_availability() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let coop = app.get("/api/v1/me", Some(&token)).await.json()["org"]["id"].as_str().unwrap().to_owned();
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    let id = product.to_string();
    let card = |body: &Value| body["items"].as_array().unwrap().iter().find(|p| p["id"] == id.as_str()).cloned();
    let search = format!("/api/v1/products?per_page=200&county={}", {
        let code: String =
            sqlx::query_scalar("SELECT origin_code FROM products WHERE id = $1").bind(product).fetch_one(app.db().pool()).await.unwrap();
        format!("{}000000", &code[..6])
    });
    // Seen once: its card is now kept between searches.
    let before = card(&app.get(&search, None).await.json()).expect("the product is found");
    assert!(!app.app.state.indexer.cards().is_empty(), "cards are kept with the embedded engine");

    // Stock taken away: the card says so at once, before any indexing.
    let lots: Vec<(i64, i64)> = sqlx::query_as("SELECT id, quantity - allocated FROM lots WHERE product_id = $1 AND quantity > allocated")
        .bind(product)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    let (lot, free) = lots[0];
    let res = app
        .post(&format!("/api/v1/lots/{lot}/adjustments"), json!({"delta": -1, "reason": "damage", "note": "crushed"}), Some(&token))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(free >= 1);
    let now = card(&app.get(&search, None).await.json()).unwrap();
    assert_eq!(now["available"].as_i64().unwrap(), before["available"].as_i64().unwrap() - 1, "availability is read live");

    // Renamed and repriced: once the change is indexed, the card shows it.
    let res = app
        .send(
            "PATCH",
            &format!("/api/v1/products/{id}"),
            Some(json!({"name": "改名后的产品", "price_tiers": [{"min_quantity": 1, "unit_price_fen": 4321}]})),
            Some(&token),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.index().await;
    let after = card(&app.get(&search, None).await.json()).unwrap();
    assert_eq!(after["name"], "改名后的产品");
    assert_eq!(after["price_tiers"][0]["unit_price_fen"], 4321);
}

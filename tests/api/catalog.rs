//! The catalogue listing and product shape of API.md.

use crate::helpers::TestApp;
use axum::http::StatusCode;

#[tokio::test]
async fn the_catalogue_is_paginated_with_the_shape_of_the_contract() {
    let app = TestApp::demo().await;
    let res = app.get("/api/v1/products?page=2&per_page=15", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    assert!(body["total"].as_i64().unwrap() >= 40);
    assert_eq!(body["page"], 2);
    assert_eq!(body["per_page"], 15);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 15);
    let p = &items[0];
    for field in [
        "id",
        "name",
        "category",
        "unit",
        "spec",
        "storage",
        "price_tiers",
        "available",
        "origin",
        "cooperative",
        "certificates",
        "households_supported",
    ] {
        assert!(!p[field].is_null(), "product has {field}: {p}");
    }
    assert_eq!(p["origin"]["chain"].as_array().unwrap().len(), 5, "origin chain from province to village");
    assert_eq!(p["origin"]["chain"][4]["code"], p["origin"]["code"]);
    assert!(p["price_tiers"][0]["unit_price_fen"].is_i64(), "money is integer fen");

    let last_page = app.get("/api/v1/products?page=1000&per_page=200", None).await.json();
    assert_eq!(last_page["items"].as_array().unwrap().len(), 0, "past the end is an empty page, not an error");
}

#[tokio::test]
async fn bad_page_parameters_are_422_naming_the_field() {
    let app = TestApp::demo().await;
    let res = app.get("/api/v1/products?per_page=201", None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "per_page");
    let res = app.get("/api/v1/products?page=0", None).await;
    assert_eq!(res.json()["errors"][0]["field"], "page");
    let res = app.get("/api/v1/products?page=two", None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "page");
}

#[tokio::test]
async fn a_product_shows_availability_from_unexpired_lots_only_and_its_households() {
    let app = TestApp::demo().await;
    let id: i64 = app.count("SELECT MIN(id) FROM products").await;
    let before = app.get(&format!("/api/v1/products/{id}"), None).await.json();
    let expected = app.count(&format!("SELECT CAST(SUM(quantity - allocated) AS BIGINT) FROM lots WHERE product_id = {id}")).await;
    assert_eq!(before["available"], expected);
    let households = app
        .count(&format!(
            "SELECT COUNT(DISTINCT c.household_id) FROM lot_contributions c JOIN lots l ON l.id = c.lot_id WHERE l.product_id = {id}"
        ))
        .await;
    assert_eq!(before["households_supported"], households);
    assert!(households > 0);

    // A lot whose expiry has passed does not count: one recorded now (the
    // way a cooperative records a late harvest) adds nothing on sale.
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {id}")).await;
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {id}")).await;
    let household = app.count(&format!("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id = {coop}")).await;
    let today = zhunong::time::today();
    let expired = zhunong::stock::NewLot {
        product_id: id,
        quantity: 30,
        harvested_on: zhunong::time::format_date(today - time::Duration::days(400)),
        expires_on: zhunong::time::format_date(today - time::Duration::days(30)),
        node_id: node,
        contributions: vec![zhunong::stock::NewContribution { household_id: household, quantity: 30 }],
    };
    zhunong::stock::create_lot(app.db(), coop, None, &expired).await.unwrap();
    let after = app.get(&format!("/api/v1/products/{id}"), None).await.json();
    assert_eq!(after["available"].as_i64().unwrap(), expected, "30 units on the shelf, none on sale");
    assert_eq!(
        app.count(&format!("SELECT CAST(SUM(quantity - allocated) AS BIGINT) FROM lots WHERE product_id = {id}")).await,
        expected + 30
    );
}

#[tokio::test]
async fn an_unknown_product_is_a_problem_json_404() {
    let app = TestApp::demo().await;
    for path in ["/api/v1/products/999999", "/api/v1/products/abc", "/api/v1/products/-1"] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.content_type(), "application/problem+json");
    }
}

fn new_product(village: &str) -> serde_json::Value {
    serde_json::json!({
        "name": "伽师县有机西梅",
        "name_en": "Jiashi organic prunes",
        "category": "fruit",
        "unit": "kg",
        "spec": "单果25g以上",
        "storage": "chilled",
        "unit_weight_g": 1050,
        "origin_code": village,
        "price_tiers": [{"min_quantity": 1, "unit_price_fen": 3200}, {"min_quantity": 100, "unit_price_fen": 2800}],
        "certificates": [{"kind": "organic", "number": "ORG-2026-0007", "valid_until": "2027-06-30"}]
    })
}

#[tokio::test]
async fn a_manager_lists_and_changes_a_product_and_search_follows() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let village = app.get("/api/v1/me", Some(&token)).await.json()["org"]["region_code"].as_str().unwrap().to_owned();
    let res = app.post("/api/v1/products", new_product(&village), Some(&token)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let created = res.json();
    assert_eq!(created["origin"]["chain"][2]["name"], "伽师县");
    let id = created["id"].as_str().unwrap().to_owned();

    let dup = app.post("/api/v1/products", new_product(&village), Some(&token)).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.json()["errors"][0]["field"], "name");

    app.index().await;
    let found = app.get("/api/v1/products?q=有机西梅", None).await.json();
    assert!(found["items"].as_array().unwrap().iter().any(|p| p["id"] == id.as_str()));

    let patched = app
        .send(
            "PATCH",
            &format!("/api/v1/products/{id}"),
            Some(serde_json::json!({"name": "伽师县有机西梅（大果）", "active": false})),
            Some(&token),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.json()["name"], "伽师县有机西梅（大果）");
    assert_eq!(patched.json()["price_tiers"][1]["unit_price_fen"], 2800, "untouched fields stay");
    app.index().await;
    let gone = app.get("/api/v1/products?q=有机西梅", None).await.json();
    assert_eq!(gone["total"], 0, "a withdrawn product leaves the search");
}

#[tokio::test]
async fn product_rules_are_enforced_with_every_problem_named() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let mut bad = new_product("422822100200"); // a village of 建始县, not of the cooperative's county
    bad["price_tiers"] = serde_json::json!([{"min_quantity": 1, "unit_price_fen": 3200}, {"min_quantity": 100, "unit_price_fen": 3300}]);
    bad["certificates"][0]["valid_until"] = serde_json::json!("2027-13-01");
    bad["unit_weight_g"] = serde_json::json!(0);
    let res = app.post("/api/v1/products", bad.clone(), Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = res.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["unit_weight_g", "price_tiers[1].unit_price_fen", "certificates[0].valid_until", "origin_code"]);
    // A weight per unit is required of a new product: legs and shipments
    // carry weights.
    let mut unweighed = new_product("653129100200");
    unweighed.as_object_mut().unwrap().remove("unit_weight_g");
    let res = app.post("/api/v1/products", unweighed, Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "unit_weight_g");
    assert_eq!(res.json()["errors"][0]["code"], "unit_weight");

    // Another cooperative's product cannot be changed; a buyer cannot list.
    let other = app.count("SELECT MAX(id) FROM products").await;
    let res = app.send("PATCH", &format!("/api/v1/products/{other}"), Some(serde_json::json!({"name": "x"})), Some(&token)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(app.post("/api/v1/products", new_product("653129100200"), Some(&buyer)).await.status, StatusCode::FORBIDDEN);
}

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

    // A lot whose expiry has passed no longer counts.
    let lot: i64 = app.count(&format!("SELECT MIN(id) FROM lots WHERE product_id = {id}")).await;
    let lot_free = app.count(&format!("SELECT quantity - allocated FROM lots WHERE id = {lot}")).await;
    sqlx::query("UPDATE lots SET harvested_on = '2020-01-01', expires_on = '2020-02-01' WHERE id = $1")
        .bind(lot)
        .execute(app.db().pool())
        .await
        .unwrap();
    let after = app.get(&format!("/api/v1/products/{id}"), None).await.json();
    assert_eq!(after["available"].as_i64().unwrap(), expected - lot_free);
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

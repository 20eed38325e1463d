//! Stock: lots with contributions that add up, audited adjustments, never
//! below what orders hold.

use crate::helpers::{Seed, TestApp, order_body};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The manager's token, one of its products, its node, and member households.
async fn manager(app: &TestApp) -> (String, i64, i64, Vec<i64>) {
    let token = app.login("manager@coop.zhunong.demo").await;
    let coop: i64 = app.get("/api/v1/me", Some(&token)).await.json()["org"]["id"].as_str().unwrap().parse().unwrap();
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {product}")).await;
    let members: Vec<i64> =
        sqlx::query_scalar("SELECT household_id FROM cooperative_members WHERE cooperative_id = $1 ORDER BY household_id LIMIT 3")
            .bind(coop)
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    (token, product, node, members)
}

/// Records a lot of `quantity` from the first member household; its id.
async fn new_lot(app: &TestApp, token: &str, product: i64, node: i64, household: i64, quantity: i64) -> String {
    let res = app.post("/api/v1/lots", lot(product, node, quantity, &[(household, quantity)]), Some(token)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()["id"].as_str().unwrap().to_owned()
}

fn lot(product: i64, node: i64, quantity: i64, contributions: &[(i64, i64)]) -> Value {
    json!({
        "product_id": product.to_string(),
        "quantity": quantity,
        "harvested_on": "2026-09-01",
        "expires_on": "2027-03-01",
        "node_id": node.to_string(),
        "contributions": contributions.iter().map(|(h, q)| json!({"household_id": h.to_string(), "quantity": q})).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn a_lot_is_recorded_with_contributions_and_a_receipt_in_its_history() {
    let app = TestApp::demo().await;
    let (token, product, node, hh) = manager(&app).await;
    let res = app.post("/api/v1/lots", lot(product, node, 300, &[(hh[0], 120), (hh[1], 100), (hh[2], 80)]), Some(&token)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let created = res.json();
    assert_eq!(
        (created["quantity"].as_i64(), created["allocated"].as_i64(), created["available"].as_i64()),
        (Some(300), Some(0), Some(300))
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM lot_contributions WHERE lot_id = {id}")).await, 3);
    let history = app.get(&format!("/api/v1/lots/{id}/history"), Some(&token)).await.json();
    let first = &history["items"][0];
    assert_eq!((first["reason"].as_str(), first["before"].as_i64(), first["after"].as_i64()), (Some("receipt"), Some(0), Some(300)));
    assert_eq!(first["user_name"], "合作社经理 阿卜杜拉");
}

#[tokio::test]
async fn contributions_that_do_not_add_up_or_come_from_strangers_are_refused_and_nothing_is_stored() {
    let app = TestApp::demo().await;
    let (token, product, node, hh) = manager(&app).await;
    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;

    let res = app.post("/api/v1/lots", lot(product, node, 300, &[(hh[0], 100), (hh[1], 100)]), Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = res.json()["errors"].clone();
    assert!(
        errors.as_array().unwrap().iter().any(|e| e["field"] == "contributions" && e["message"].as_str().unwrap().contains("200")),
        "{errors}"
    );

    let stranger = app.count("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id <> (SELECT cooperative_id FROM products WHERE id = (SELECT MIN(id) FROM products))").await;
    let res = app.post("/api/v1/lots", lot(product, node, 10, &[(stranger, 10)]), Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "contributions[0].household_id");

    let mut bad_dates = lot(product, node, 10, &[(hh[0], 10)]);
    bad_dates["expires_on"] = json!("2026-08-01");
    let res = app.post("/api/v1/lots", bad_dates, Some(&token)).await;
    assert_eq!(res.json()["errors"][0]["field"], "expires_on");

    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before);
}

#[tokio::test]
async fn an_adjustment_is_audited_with_who_why_before_and_after() {
    let app = TestApp::demo().await;
    let (token, product, node, hh) = manager(&app).await;
    let id = new_lot(&app, &token, product, node, hh[0], 50).await;
    let res = app
        .post(&format!("/api/v1/lots/{id}/adjustments"), json!({"delta": -7, "reason": "spoilage", "note": "运输途中挤压"}), Some(&token))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["quantity"], 43);
    let history = app.get(&format!("/api/v1/lots/{id}/history"), Some(&token)).await.json();
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let adj = &items[1];
    assert_eq!(
        (adj["reason"].as_str(), adj["delta"].as_i64(), adj["before"].as_i64(), adj["after"].as_i64()),
        (Some("spoilage"), Some(-7), Some(50), Some(43))
    );
    assert_eq!(adj["note"], "运输途中挤压");
    assert!(adj["user_id"].is_string() && adj["at"].as_str().unwrap().ends_with('Z'));

    let res = app.post(&format!("/api/v1/lots/{id}/adjustments"), json!({"delta": 0, "reason": "mood"}), Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.json();
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["delta", "reason"]);
}

#[tokio::test]
async fn a_lot_never_goes_below_what_orders_hold() {
    // One buyer may hold all of it (the hold cap is not what is tested here).
    let app = TestApp::configured(Seed::Demo, &[("ZHUNONG_HOLD_SHARE_PERCENT", "100")]).await;
    let (token, product, node, hh) = manager(&app).await;
    app.empty_stock(product).await;
    let id = new_lot(&app, &token, product, node, hh[0], 100).await;
    // An order holds 90 of the 100.
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let placed = app.post("/api/v1/orders", order_body(&[(product, 90)]), Some(&buyer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    assert_eq!(app.count(&format!("SELECT allocated FROM lots WHERE id = {id}")).await, 90);

    let res = app.post(&format!("/api/v1/lots/{id}/adjustments"), json!({"delta": -11, "reason": "damage"}), Some(&token)).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert!(res.json()["detail"].as_str().unwrap().contains("only 10"), "{}", res.text);
    assert_eq!(app.count(&format!("SELECT quantity FROM lots WHERE id = {id}")).await, 100, "quantity untouched");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM stock_movements WHERE lot_id = {id}")).await, 1, "no history for a refused change");

    let res = app.post(&format!("/api/v1/lots/{id}/adjustments"), json!({"delta": -10, "reason": "damage"}), Some(&token)).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["available"], 0);

    // The database itself refuses an over-allocation, whatever the code does.
    let direct = sqlx::query(&format!("UPDATE lots SET allocated = 91 WHERE id = {id}")).execute(app.db().pool()).await;
    assert!(direct.is_err(), "CHECK (allocated <= quantity) holds");
}

#[tokio::test]
async fn a_manager_cannot_adjust_or_stock_another_cooperatives_products() {
    let app = TestApp::demo().await;
    let (token, _, node, hh) = manager(&app).await;
    let coop: i64 = app.get("/api/v1/me", Some(&token)).await.json()["org"]["id"].as_str().unwrap().parse().unwrap();
    let other_product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id <> {coop}")).await;
    let other_lot = app.count(&format!("SELECT MIN(id) FROM lots WHERE product_id = {other_product}")).await;
    let quantity = app.count(&format!("SELECT quantity FROM lots WHERE id = {other_lot}")).await;

    let res = app.post(&format!("/api/v1/lots/{other_lot}/adjustments"), json!({"delta": -1, "reason": "other"}), Some(&token)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count(&format!("SELECT quantity FROM lots WHERE id = {other_lot}")).await, quantity);

    let res = app.post("/api/v1/lots", lot(other_product, node, 5, &[(hh[0], 5)]), Some(&token)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

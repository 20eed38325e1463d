//! The agency's reserved-share report beyond its count (issue 13 §2):
//! what is paid but still waits for acceptance and rating, and what is
//! accepted on credit terms but not paid, with its due date — each moving
//! into the count when its last step comes.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use serde_json::{Value, json};

const BUYER: &str = "buyer@agency.zhunong.demo";
const FINANCE: &str = "finance@zhunong.demo";
/// 伽师瓜: 68.00 a box below 50 boxes.
const MELON: i64 = 6_800;

async fn agency(app: &TestApp) -> i64 {
    app.count("SELECT id FROM organisations WHERE name = '喀什地区第一中学'").await
}

async fn report(app: &TestApp) -> Value {
    let buyer = app.login(BUYER).await;
    let (org, year) = (agency(app).await, zhunong::time::china_today().year());
    let r = app.get(&format!("/api/v1/reports/agencies/{org}/reserved-share?year={year}"), Some(&buyer)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

/// An invoice order of `boxes` 伽师瓜 by the agency's buyer.
async fn order(app: &TestApp, boxes: i64) -> Value {
    let buyer = app.login(BUYER).await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let res = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, boxes)]), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

async fn confirm(app: &TestApp, id: &str) -> Value {
    let finance = app.login(FINANCE).await;
    let res = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": format!("R-{id}")}), Some(&finance)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn accept(app: &TestApp, o: &Value) {
    let buyer = app.login(BUYER).await;
    let id = o["id"].as_str().unwrap();
    let coop = o["lines"][0]["cooperative_id"].as_str().unwrap();
    let res =
        app.post(&format!("/api/v1/orders/{id}/accept"), json!({"ratings": [{"cooperative_id": coop, "stars": 4}]}), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

fn fen(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("{v} is not fen"))
}

#[tokio::test]
async fn a_paid_order_waits_for_acceptance_net_of_refunds_and_moves_into_the_count_when_accepted() {
    let app = TestApp::demo().await;
    let empty = report(&app).await;
    assert_eq!((fen(&empty["awaiting_acceptance"]["count"]), fen(&empty["awaiting_acceptance"]["amount_fen"])), (0, 0));
    assert_eq!(fen(&empty["counted_fen"]), 0);

    // Two orders paid: 3 boxes, and 5 boxes of which one is refunded.
    let first = confirm(&app, order(&app, 3).await["id"].as_str().unwrap()).await;
    let second = confirm(&app, order(&app, 5).await["id"].as_str().unwrap()).await;
    let finance = app.login(FINANCE).await;
    let id = second["id"].as_str().unwrap();
    let line = second["lines"][0]["id"].as_str().unwrap();
    let refund = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "坏果"}),
            Some(&finance),
        )
        .await;
    assert_eq!(refund.status, StatusCode::CREATED, "{}", refund.text);

    let r = report(&app).await;
    let waiting = &r["awaiting_acceptance"];
    assert_eq!(fen(&waiting["count"]), 2);
    assert_eq!(fen(&waiting["amount_fen"]), 3 * MELON + 4 * MELON, "net of the refunded box");
    let listed: Vec<(&str, i64)> =
        waiting["orders"].as_array().unwrap().iter().map(|o| (o["number"].as_str().unwrap(), fen(&o["amount_fen"]))).collect();
    assert_eq!(listed, [(first["number"].as_str().unwrap(), 3 * MELON), (second["number"].as_str().unwrap(), 4 * MELON)], "oldest first");
    let today = zhunong::time::format_date(zhunong::time::china_today());
    assert_eq!(waiting["orders"][0]["paid_on"], today.as_str(), "the China date of the payment");
    assert_eq!(waiting["orders"][0]["status"], "paid");
    assert_eq!(fen(&r["accepted_unpaid"]["count"]), 0);
    assert_eq!(fen(&r["counted_fen"]), 0, "nothing counts before acceptance");

    // The first arrives and is accepted: it counts, the second still waits.
    let id = first["id"].as_str().unwrap();
    app.deliver_all(id).await;
    accept(&app, &first).await;
    let r = report(&app).await;
    assert_eq!(fen(&r["counted_fen"]), 3 * MELON);
    assert_eq!(fen(&r["awaiting_acceptance"]["count"]), 1);
    assert_eq!(fen(&r["awaiting_acceptance"]["amount_fen"]), 4 * MELON);
    let month = &today[..7];
    let this_month = r["months"].as_array().unwrap().iter().find(|m| m["month"] == month).unwrap();
    assert_eq!(fen(&this_month["counted_fen"]), 3 * MELON, "in this China month");
}

#[tokio::test]
async fn an_order_accepted_on_credit_terms_is_listed_unpaid_with_its_due_date_until_finance_confirms_the_money() {
    let app = TestApp::demo().await;
    let admin = app.login("admin@zhunong.demo").await;
    let org = agency(&app).await;
    let set = app.send("PATCH", &format!("/api/v1/agencies/{org}"), Some(json!({"credit_terms_days": 30})), Some(&admin)).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let placed = order(&app, 2).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    app.deliver_all(&id).await;
    let r = report(&app).await;
    assert_eq!(fen(&r["awaiting_acceptance"]["count"]), 0, "unpaid goods on their way wait for nothing the report counts");
    assert_eq!(fen(&r["accepted_unpaid"]["count"]), 0);

    accept(&app, &placed).await;
    let due = zhunong::time::format_date(zhunong::time::china_today() + time::Duration::days(30));
    let r = report(&app).await;
    let unpaid = &r["accepted_unpaid"];
    assert_eq!((fen(&unpaid["count"]), fen(&unpaid["amount_fen"])), (1, 2 * MELON));
    let o = &unpaid["orders"][0];
    assert_eq!(o["number"], placed["number"]);
    assert_eq!(o["status"], "accepted");
    assert_eq!(o["due_on"], due.as_str());
    assert_eq!(o["paid_on"], Value::Null);
    assert_eq!(o["overdue"], false);
    assert_eq!(fen(&r["counted_fen"]), 0, "accepted is not paid");

    // A month passes unpaid (the due date moved by hand, as the credit-terms
    // tests do): overdue.
    let yesterday = zhunong::time::format_date(zhunong::time::china_today() - time::Duration::days(1));
    sqlx::query("UPDATE orders SET due_on = $1 WHERE id = $2")
        .bind(&yesterday)
        .bind(id.parse::<i64>().unwrap())
        .execute(app.db().pool())
        .await
        .unwrap();
    assert_eq!(report(&app).await["accepted_unpaid"]["orders"][0]["overdue"], true);

    confirm(&app, &id).await;
    let r = report(&app).await;
    assert_eq!(fen(&r["accepted_unpaid"]["count"]), 0);
    assert_eq!(fen(&r["counted_fen"]), 2 * MELON, "paid, accepted and rated: counted");
}

//! Credit terms (账期): an agency on terms receives before it pays. Its
//! invoice orders are released for fulfilment when placed (or, above its
//! approval limit, when approved), travel and are accepted unpaid, fall due
//! their terms after acceptance, and only the confirmed money writes the
//! attribution ledger. Overdue ones are listed for finance and flagged to
//! the buyer. Only the platform admin sets an agency's terms.

use crate::helpers::{Res, Seed, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

const BUYER: &str = "buyer@agency.zhunong.demo";
const APPROVER: &str = "approver@agency.zhunong.demo";
const FINANCE: &str = "finance@zhunong.demo";
const ADMIN: &str = "admin@zhunong.demo";

/// The demo agency's organisation id (the buyer's).
async fn agency(app: &TestApp) -> String {
    let buyer = app.login(BUYER).await;
    app.get("/api/v1/me", Some(&buyer)).await.json()["org"]["id"].as_str().unwrap().to_owned()
}

/// Puts the demo agency on credit terms of `days` days (`None`: none), as
/// the platform admin.
async fn set_terms(app: &TestApp, days: Option<i64>) -> Res {
    let admin = app.login(ADMIN).await;
    let org = agency(app).await;
    app.send("PATCH", &format!("/api/v1/agencies/{org}"), Some(json!({ "credit_terms_days": days })), Some(&admin)).await
}

/// An invoice order of `quantity` 伽师瓜 by the demo agency's buyer.
async fn order(app: &TestApp, quantity: i64) -> Value {
    let buyer = app.login(BUYER).await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let res = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, quantity)]), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

async fn routes_of(app: &TestApp, id: &str) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM routes r JOIN order_lines l ON l.id = r.line_id WHERE l.order_id = {id}")).await
}

async fn ledger_of(app: &TestApp, id: &str) -> (i64, i64) {
    (
        app.count(&format!("SELECT COUNT(*) FROM attribution_entries WHERE order_id = {id}")).await,
        app.count(&format!("SELECT CAST(COALESCE(SUM(gross_fen), 0) AS BIGINT) FROM attribution_entries WHERE order_id = {id}")).await,
    )
}

async fn accept(app: &TestApp, o: &Value) -> Res {
    let buyer = app.login(BUYER).await;
    let id = o["id"].as_str().unwrap();
    let coop = o["lines"][0]["cooperative_id"].as_str().unwrap();
    app.post(&format!("/api/v1/orders/{id}/accept"), json!({"ratings": [{"cooperative_id": coop, "stars": 5}]}), Some(&buyer)).await
}

async fn confirm(app: &TestApp, id: &str, reference: &str) -> Res {
    let finance = app.login(FINANCE).await;
    app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({ "reference": reference }), Some(&finance)).await
}

async fn counted(app: &TestApp) -> i64 {
    let buyer = app.login(BUYER).await;
    let org = agency(app).await;
    let year = zhunong::time::china_today().year();
    let r = app.get(&format!("/api/v1/reports/agencies/{org}/reserved-share?year={year}"), Some(&buyer)).await;
    r.json()["counted_fen"].as_i64().unwrap()
}

fn china_date_in(days: i64) -> String {
    zhunong::time::format_date(zhunong::time::china_today() + time::Duration::days(days))
}

#[tokio::test]
async fn an_agency_on_credit_terms_gets_its_approved_order_delivered_and_accepted_before_it_pays_and_the_ledger_waits_for_the_money() {
    let app = TestApp::demo().await;
    assert_eq!(set_terms(&app, Some(30)).await.status, StatusCode::OK);
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    // 400 boxes at 56 yuan: above the agency's 20,000-yuan approval limit.
    app.top_up(product, 1000).await;
    let placed = order(&app, 400).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    assert_eq!(placed["status"], "pending_approval");
    assert_eq!(placed["credit_terms_days"], 30, "the order keeps the terms it was placed under");
    assert_eq!(placed["released_at"], Value::Null, "nothing leaves before the approver says so");
    assert_eq!(routes_of(&app, &id).await, 0);

    let approver = app.login(APPROVER).await;
    let approved = app.send("POST", &format!("/api/v1/orders/{id}/approve"), None, Some(&approver)).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    let approved = approved.json();
    assert_eq!(approved["status"], "awaiting_payment", "unpaid until the goods move");
    assert!(approved["released_at"].is_string(), "released at approval: {approved}");
    assert_eq!(approved["hold_until"], Value::Null, "a released order has no deadline to lapse by");
    assert!(routes_of(&app, &id).await > 0, "its lines are routed at once");

    // Goods on their way are not called back: not by the buyer, not by the
    // expiry sweep however late it runs.
    let buyer = app.login(BUYER).await;
    let cancel = app.send("POST", &format!("/api/v1/orders/{id}/cancel"), None, Some(&buyer)).await;
    assert_eq!(cancel.status, StatusCode::CONFLICT);
    assert!(cancel.json()["detail"].as_str().unwrap().contains("credit terms"), "{}", cancel.text);
    assert_eq!(zhunong::orders::expire_unpaid(app.db(), "2999-01-01T00:00:00.000000Z").await.unwrap(), 0);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "awaiting_payment");

    // No money, no ledger, nothing to refund.
    assert_eq!(ledger_of(&app, &id).await, (0, 0));
    let finance = app.login(FINANCE).await;
    let line = approved["lines"][0]["id"].as_str().unwrap();
    let refund = app
        .post(&format!("/api/v1/orders/{id}/refunds"), json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "x"}), Some(&finance))
        .await;
    assert_eq!(refund.status, StatusCode::CONFLICT, "{}", refund.text);

    app.deliver_all(&id).await;
    let delivered = app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json();
    assert_eq!(delivered["status"], "delivered", "an unpaid order on terms follows its lines");
    assert_eq!(delivered["paid_at"], Value::Null);
    assert_eq!(delivered["due_on"], Value::Null, "not due before acceptance");
    let before = counted(&app).await;

    let accepted = accept(&app, &placed).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    let accepted = accepted.json();
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["due_on"], china_date_in(30), "due 30 China days after acceptance");
    assert_eq!(accepted["overdue"], false);
    assert_eq!(ledger_of(&app, &id).await, (0, 0), "accepted is not paid");
    assert_eq!(counted(&app).await, before, "an unpaid order does not count towards the reserved share");

    let paid = confirm(&app, &id, "ICBC-账期-0001").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    let paid = paid.json();
    assert_eq!(paid["status"], "accepted", "the money does not move the goods back");
    assert!(paid["paid_at"].is_string());
    assert_eq!(paid["overdue"], false);
    let total = paid["total_fen"].as_i64().unwrap();
    let (entries, gross) = ledger_of(&app, &id).await;
    assert!(entries > 0);
    assert_eq!(gross, total, "the ledger is written once the money is in, every fen of it");
    assert_eq!(counted(&app).await, before + total, "paid, accepted and rated: it counts now");
    let last: (String, String, String) =
        sqlx::query_as("SELECT from_status, to_status, note FROM order_events WHERE order_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(id.parse::<i64>().unwrap())
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(last, ("accepted".to_owned(), "accepted".to_owned(), "paid: ICBC-账期-0001".to_owned()));

    let again = confirm(&app, &id, "ICBC-账期-0001").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.json()["detail"].as_str().unwrap().contains("already confirmed"), "{}", again.text);
    assert_eq!(ledger_of(&app, &id).await, (entries, total), "a second confirmation writes nothing");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM payments WHERE order_id = {id}")).await, 1);
}

#[tokio::test]
async fn a_credit_order_that_needs_no_approval_is_released_when_placed_and_paying_it_early_is_paying_as_usual() {
    let app = TestApp::demo().await;
    set_terms(&app, Some(15)).await;
    let placed = order(&app, 3).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    assert_eq!(placed["status"], "awaiting_payment");
    assert_eq!(placed["credit_terms_days"], 15);
    assert!(placed["released_at"].is_string(), "{placed}");
    assert_eq!(placed["hold_until"], Value::Null);
    assert!(routes_of(&app, &id).await > 0);
    // Released unpaid, its goods are the cooperative's to send.
    let manager = app.login("manager@coop.zhunong.demo").await;
    let number = placed["number"].as_str().unwrap();
    assert!(page(&app, "/console/orders", &manager).await.text.contains(number), "the cooperative sees {number} to fulfil");

    // Paid before the goods move: awaiting_payment → paid as for anyone;
    // accepted later, it is not made due.
    let paid = confirm(&app, &id, "ABC-77").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.json()["status"], "paid");
    assert_eq!(ledger_of(&app, &id).await.1, placed["total_fen"].as_i64().unwrap());
    app.deliver_all(&id).await;
    let accepted = accept(&app, &placed).await.json();
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["due_on"], Value::Null, "nothing is due on a paid order");

    // Off terms again: orders wait for their money before they leave.
    assert_eq!(set_terms(&app, None).await.json()["credit_terms_days"], Value::Null);
    let plain = order(&app, 2).await;
    assert_eq!(plain["credit_terms_days"], Value::Null);
    assert_eq!(plain["released_at"], Value::Null);
    assert!(plain["hold_until"].is_string());
    assert_eq!(routes_of(&app, plain["id"].as_str().unwrap()).await, 0);
    let plain_number = plain["number"].as_str().unwrap();
    assert!(!page(&app, "/console/orders", &manager).await.text.contains(plain_number), "nothing to send before the money");
}

#[tokio::test]
async fn an_order_paid_by_card_never_uses_credit_terms() {
    // Placing a card order asks nothing of Stripe; the address is unused.
    let app = TestApp::configured(
        Seed::Demo,
        &[("STRIPE_SECRET_KEY", "sk_test_zhunong"), ("STRIPE_WEBHOOK_SECRET", "whsec_zhunong"), ("STRIPE_API_BASE", "http://127.0.0.1:9")],
    )
    .await;
    set_terms(&app, Some(30)).await;
    let buyer = app.login(BUYER).await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let mut body = crate::helpers::order_body(&[(product, 2)]);
    body["payment_method"] = json!("stripe");
    let res = app.post("/api/v1/orders", body, Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let o = res.json();
    assert_eq!(o["credit_terms_days"], Value::Null, "paying by card is paying now");
    assert_eq!(o["released_at"], Value::Null);
    assert_eq!(routes_of(&app, o["id"].as_str().unwrap()).await, 0);
}

#[tokio::test]
async fn only_the_platform_admin_sets_credit_terms_of_one_day_to_a_year_on_an_agency() {
    let app = TestApp::demo().await;
    let org = agency(&app).await;
    let path = format!("/api/v1/agencies/{org}");
    for who in [BUYER, APPROVER, FINANCE] {
        let t = app.login(who).await;
        assert_eq!(app.send("PATCH", &path, Some(json!({"credit_terms_days": 30})), Some(&t)).await.status, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(app.send("PATCH", &path, Some(json!({"credit_terms_days": 30})), None).await.status, StatusCode::UNAUTHORIZED);
    let admin = app.login(ADMIN).await;
    for bad in [json!(0), json!(-5), json!(366), json!("30"), json!(30.5), json!(true)] {
        let res = app.send("PATCH", &path, Some(json!({ "credit_terms_days": bad })), Some(&admin)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", res.text);
        assert_eq!(res.json()["errors"][0]["field"], "credit_terms_days", "{}", res.text);
    }
    let coop = app.count("SELECT MIN(id) FROM organisations WHERE kind = 'cooperative'").await;
    let res = app.send("PATCH", &format!("/api/v1/agencies/{coop}"), Some(json!({"credit_terms_days": 30})), Some(&admin)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "a cooperative has no credit terms");
    let res = app.send("PATCH", "/api/v1/agencies/987654321", Some(json!({"credit_terms_days": 30})), Some(&admin)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM agencies WHERE credit_terms_days IS NOT NULL").await, 0, "nothing refused was set");

    let set = app.send("PATCH", &path, Some(json!({"credit_terms_days": 365})), Some(&admin)).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let set = set.json();
    assert_eq!((set["org_id"].as_str(), set["credit_terms_days"].as_i64()), (Some(org.as_str()), Some(365)));
    assert!(set["approval_limit_fen"].as_i64().unwrap() > 0);
    let unchanged = app.send("PATCH", &path, Some(json!({})), Some(&admin)).await.json();
    assert_eq!(unchanged["credit_terms_days"], 365, "a body without the field changes nothing");
    let off = app.send("PATCH", &path, Some(json!({"credit_terms_days": null})), Some(&admin)).await.json();
    assert_eq!(off["credit_terms_days"], Value::Null);
}

/// A page as the signed-in `token` sees it, in Chinese (the default).
async fn page(app: &TestApp, path: &str, token: &str) -> Res {
    let req = Request::get(path).header(header::COOKIE, format!("zn_session={token}")).body(Body::empty()).unwrap();
    app.raw(req).await
}

/// The same page in English.
async fn page_en(app: &TestApp, path: &str, token: &str) -> Res {
    let req = Request::get(path).header(header::COOKIE, format!("zn_session={token}; zn_lang=en")).body(Body::empty()).unwrap();
    app.raw(req).await
}

#[tokio::test]
async fn an_order_unpaid_past_its_due_date_is_listed_for_finance_and_flagged_to_its_buyer() {
    let app = TestApp::demo().await;
    set_terms(&app, Some(7)).await;
    let placed = order(&app, 2).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    let number = placed["number"].as_str().unwrap().to_owned();
    app.deliver_all(&id).await;
    let accepted = accept(&app, &placed).await.json();
    assert_eq!(accepted["due_on"], china_date_in(7));

    // The rule on any day: due on day 7, overdue from day 8.
    let overdue_on = |days: i64| {
        let db = app.db().clone();
        async move {
            let day = china_date_in(days);
            let f = zhunong::orders::Filter { overdue_on: Some(&day), ..Default::default() };
            let (list, _) = zhunong::orders::list_filtered(&db, f, 50, 0).await.unwrap();
            list.iter().map(|o| o.id.to_string()).collect::<Vec<_>>()
        }
    };
    assert!(!overdue_on(7).await.contains(&id));
    assert!(overdue_on(8).await.contains(&id));
    let finance = app.login(FINANCE).await;
    let listed = app.get("/api/v1/orders?overdue=true", Some(&finance)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.json()["total"], 0, "not overdue today");

    // Today's lists read the real calendar: the due date is moved into the
    // past by hand, as a week passing would (the rule itself is checked on
    // any day above).
    sqlx::query("UPDATE orders SET due_on = $1 WHERE id = $2")
        .bind(china_date_in(-1))
        .bind(id.parse::<i64>().unwrap())
        .execute(app.db().pool())
        .await
        .unwrap();
    let listed = app.get("/api/v1/orders?overdue=true", Some(&finance)).await.json();
    assert_eq!(listed["total"], 1, "finance sees every buyer's overdue orders: {listed}");
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert_eq!(listed["items"][0]["overdue"], true);
    let buyer = app.login(BUYER).await;
    let own = app.get("/api/v1/orders?overdue=true", Some(&buyer)).await.json();
    assert_eq!(own["total"], 1, "the buyer sees its own");
    let partner = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(app.get("/api/v1/orders?overdue=true", Some(&partner)).await.json()["total"], 0, "others see none of it");
    assert_eq!(app.get("/api/v1/orders?overdue=maybe", Some(&finance)).await.status, StatusCode::BAD_REQUEST);

    let order_page = page(&app, &format!("/orders/{id}"), &buyer).await;
    assert_eq!(order_page.status, StatusCode::OK);
    assert!(order_page.text.contains("逾期未付"), "the order page flags it");
    // The due date in words, as every date on a page.
    let due = china_date_in(-1);
    let (due_zh, due_en) = (zhunong::web::Lang::Zh.t().day(&due), zhunong::web::Lang::En.t().day(&due));
    assert!(order_page.text.contains(&format!("账期 7 天，应付日期 {due_zh}")), "{}", order_page.text);
    let english = page_en(&app, &format!("/orders/{id}"), &buyer).await.text;
    assert!(english.contains("Overdue") && english.contains(&format!("7 days, due on {due_en}")), "{english}");
    let list_page = page(&app, "/orders", &buyer).await;
    assert!(list_page.text.contains("逾期未付"), "so does the order list");
    let finance_page = page(&app, "/finance/invoices", &finance).await;
    assert_eq!(finance_page.status, StatusCode::OK);
    let overdue_section = finance_page.text.split("id=\"overdue\"").nth(1).expect("an overdue section on the finance page");
    assert!(overdue_section.contains(&number), "finance sees it among the overdue");

    // Paid late is paid: no longer overdue anywhere.
    assert_eq!(confirm(&app, &id, "LATE-1").await.json()["overdue"], false);
    assert_eq!(app.get("/api/v1/orders?overdue=true", Some(&finance)).await.json()["total"], 0);
    let paid_page = page(&app, &format!("/orders/{id}"), &buyer).await.text;
    assert!(!paid_page.contains("逾期未付") && paid_page.contains("账期 7 天，已付款"), "{paid_page}");
}

/// Two finance clerks confirm the same transfer of an order on terms that
/// is already on its way: its status does not move, so only `paid_at`
/// can tell them apart — one payment, one ledger, one 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_confirmations_at_once_of_an_order_on_its_way_record_one_payment() {
    let app = TestApp::demo().await;
    set_terms(&app, Some(30)).await;
    let placed = order(&app, 4).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    app.deliver_all(&id).await;
    let finance = app.login(FINANCE).await;
    let holder = crate::concurrency::hold_row(app.db(), "orders", id.parse().unwrap()).await;
    let tasks: Vec<_> = (0..2)
        .map(|i| {
            let router = app.router.clone();
            let req = Request::post(format!("/api/v1/orders/{id}/payments/invoice"))
                .header(header::AUTHORIZATION, format!("Bearer {finance}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({ "reference": format!("TWICE-{i}") }).to_string()))
                .unwrap();
            tokio::spawn(async move { tower::ServiceExt::oneshot(router, req).await.unwrap().status() })
        })
        .collect();
    crate::concurrency::release_when_waiting(app.db(), holder, 2).await;
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM payments WHERE order_id = {id}")).await, 1);
    assert_eq!(ledger_of(&app, &id).await.1, placed["total_fen"].as_i64().unwrap(), "the ledger written once");
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&app.login(BUYER).await)).await.json()["status"], "delivered");
}

/// The unpaid hold cap is there against stock held by orders that may
/// lapse; an order released on credit terms is on its way and cannot be
/// cancelled, like a paid one.
#[tokio::test]
async fn an_order_released_on_credit_terms_holds_nothing_against_the_unpaid_hold_cap() {
    let app = TestApp::demo().await;
    set_terms(&app, Some(30)).await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    app.empty_stock(product).await;
    app.top_up(product, 10).await;
    order(&app, 5).await;
    // Counted as an unpaid hold, the first order would leave room for
    // nothing more (half of 10 on offer is 5, all held); released, it
    // leaves 5 on offer, and half of them, 3, may be ordered.
    let buyer = app.login(BUYER).await;
    let res = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, 3)]), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

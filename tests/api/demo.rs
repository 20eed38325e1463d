//! The demo data: loads once, adds up, and is what the README promises.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use zhunong::demo::{self, Outcome};

const TABLES: &[&str] = &[
    "organisations",
    "cooperatives",
    "agencies",
    "agency_reserved_shares",
    "partner_pairings",
    "partner_pledges",
    "users",
    "user_roles",
    "households",
    "household_incomes",
    "cooperative_members",
    "nodes",
    "products",
    "price_tiers",
    "certificates",
    "lots",
    "lot_contributions",
    "stock_movements",
    "household_visits",
    "household_colours",
    "monitoring_alerts",
];

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut v = Vec::new();
    for t in TABLES {
        v.push(app.count(&format!("SELECT COUNT(*) FROM {t}")).await);
    }
    v
}

#[tokio::test]
async fn loading_the_demo_twice_adds_nothing_the_second_time() {
    let app = TestApp::bare().await;
    assert!(demo::database_is_empty(app.db()).await.unwrap());
    assert!(matches!(demo::load(app.db()).await.unwrap(), Outcome::Loaded { .. }));
    let first = counts(&app).await;
    assert_eq!(demo::load(app.db()).await.unwrap(), Outcome::AlreadyLoaded);
    assert_eq!(counts(&app).await, first);
    assert!(!demo::database_is_empty(app.db()).await.unwrap());
}

#[tokio::test]
async fn the_demo_is_a_living_marketplace_of_real_places() {
    let app = TestApp::demo().await;
    assert!(app.count("SELECT COUNT(*) FROM cooperatives").await >= 12);
    assert!(app.count("SELECT COUNT(*) FROM products").await >= 40);
    let households = app.count("SELECT COUNT(*) FROM households").await;
    let poor = app.count("SELECT COUNT(*) FROM households WHERE status = 'registered_poor'").await;
    assert!(households >= 2000, "{households}");
    assert!((households / 4..households / 2).contains(&poor), "about a third registered poor: {poor} of {households}");
    // Every cooperative sits in a real village of the demo counties.
    let outside = app
        .count(
            "SELECT COUNT(*) FROM organisations o LEFT JOIN regions r ON r.code = o.region_code \
             WHERE o.kind = 'cooperative' AND (r.level IS NULL OR r.level <> 'village' \
               OR NOT (o.region_code LIKE '6531%' OR o.region_code LIKE '5403%' OR o.region_code LIKE '4228%'))",
        )
        .await;
    assert_eq!(outside, 0);
    for county in ["653129", "653125", "653126", "653123", "540302", "422822"] {
        let n = app.count(&format!("SELECT COUNT(*) FROM organisations WHERE kind = 'cooperative' AND region_code LIKE '{county}%'")).await;
        assert!(n >= 1, "a cooperative in {county}");
    }
    // Lots are fully contributed and received in the audit trail.
    let unbalanced = app
        .count("SELECT COUNT(*) FROM lots l WHERE l.quantity <> (SELECT CAST(COALESCE(SUM(c.quantity), 0) AS BIGINT) FROM lot_contributions c WHERE c.lot_id = l.id)")
        .await;
    assert_eq!(unbalanced, 0, "contributions add up to every lot");
    let unreceived = app
        .count(
            "SELECT COUNT(*) FROM lots l WHERE NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.lot_id = l.id AND m.reason = 'receipt')",
        )
        .await;
    assert_eq!(unreceived, 0);
    // Contributors are members of the selling cooperative.
    let strangers = app
        .count(
            "SELECT COUNT(*) FROM lot_contributions c JOIN lots l ON l.id = c.lot_id JOIN products p ON p.id = l.product_id \
             WHERE NOT EXISTS (SELECT 1 FROM cooperative_members m WHERE m.cooperative_id = p.cooperative_id AND m.household_id = c.household_id)",
        )
        .await;
    assert_eq!(strangers, 0);
    // The chain: a hub per prefecture, a centre per county, some cold.
    assert_eq!(app.count("SELECT COUNT(*) FROM nodes WHERE kind = 'prefecture_hub'").await, 3);
    assert!(app.count("SELECT COUNT(*) FROM nodes WHERE kind = 'township_sorting'").await >= 8);
    assert!(app.count("SELECT COUNT(*) FROM nodes WHERE cold_storage = 1").await >= 4);
    // Pairings as the README says: 重庆 → 昌都, 杭州 → 恩施.
    let cq = app.count("SELECT COUNT(*) FROM partner_pairings p JOIN organisations o ON o.id = p.partner_id WHERE o.region_code = '500000000000' AND p.region_code = '540300000000'").await;
    let hz = app.count("SELECT COUNT(*) FROM partner_pairings p JOIN organisations o ON o.id = p.partner_id WHERE o.region_code = '330100000000' AND p.region_code = '422800000000'").await;
    assert_eq!((cq, hz), (1, 1));
}

#[tokio::test]
async fn every_demo_sign_in_works_with_its_role() {
    let app = TestApp::demo().await;
    for (email, role, kind) in [
        ("admin@zhunong.demo", "platform_admin", "platform"),
        ("finance@zhunong.demo", "platform_finance", "platform"),
        ("buyer@agency.zhunong.demo", "agency_buyer", "agency"),
        ("approver@agency.zhunong.demo", "agency_approver", "agency"),
        ("manager@coop.zhunong.demo", "coop_manager", "cooperative"),
        ("buyer@partner.zhunong.demo", "partner_buyer", "partner_city"),
        ("operator@hub.zhunong.demo", "hub_operator", "hub_operator"),
        ("official@county.zhunong.demo", "official", "government"),
    ] {
        let token = app.login(email).await;
        let me = app.get("/api/v1/me", Some(&token)).await.json();
        assert_eq!(me["roles"][0], role, "{email}");
        assert_eq!(me["org"]["kind"], kind, "{email}");
    }
    let manager = app.get("/api/v1/me", Some(&app.login("manager@coop.zhunong.demo").await)).await.json();
    assert!(manager["org"]["region_code"].as_str().unwrap().starts_with("653129"), "the manager's cooperative is in 伽师县");
    let partner = app.get("/api/v1/me", Some(&app.login("buyer@partner.zhunong.demo").await)).await.json();
    assert_eq!(partner["org"]["region_code"], "500000000000", "the partner buyer is of 重庆市");
}

#[tokio::test]
async fn the_demo_orders_show_a_living_chain_with_work_for_the_jiashi_county_centre() {
    let app = TestApp::demo().await;
    assert_eq!(zhunong::demo::journeys::run(app.db()).await.unwrap(), 5);
    assert_eq!(zhunong::demo::journeys::run(app.db()).await.unwrap(), 0, "once per database");
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM orders ORDER BY id").fetch_all(app.db().pool()).await.unwrap();
    assert_eq!(statuses, ["accepted", "in_transit", "in_transit", "paid", "in_transit"]);

    let operator = app.login("operator@hub.zhunong.demo").await;
    let centre = app.count("SELECT id FROM nodes WHERE name = '伽师县配送中心'").await;
    let list = |direction: &'static str, status: &'static str| {
        let (app, operator) = (&app, &operator);
        async move {
            let res = app.get(&format!("/api/v1/nodes/{centre}/shipments?direction={direction}&status={status}"), Some(operator)).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            res.json()["total"].as_i64().unwrap()
        }
    };
    assert!(list("inbound", "dispatched").await >= 1, "a shipment on its way from a township centre, to receive");
    assert!(list("outbound", "open").await >= 1, "goods received at the centre, to dispatch to the 喀什 hub");

    // Every demo order's goods can be followed along their route: each leg
    // leaves from where the one before it arrived, and the last reaches the buyer.
    let admin = app.login("admin@zhunong.demo").await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM orders ORDER BY id").fetch_all(app.db().pool()).await.unwrap();
    for id in ids {
        let t = app.get(&format!("/api/v1/orders/{id}/tracking"), Some(&admin)).await.json();
        let legs = t["lines"][0]["legs"].as_array().unwrap();
        assert!(!legs.is_empty(), "{t}");
        for pair in legs.windows(2) {
            assert_eq!(pair[0]["to"]["node_id"], pair[1]["from"]["node_id"], "{t}");
        }
        assert_eq!(legs.last().unwrap()["to"]["buyer"], true);
        assert_eq!(legs[0]["from"]["kind"], "village_point");
    }
}

//! Routing through the chain (issue 12), on the demo's real regions and
//! nodes: the table of required routes, consolidation into shipments with
//! the cut-off, cold and ambient goods apart, the scan state machine and
//! who may scan where.

use crate::helpers::{TestApp, canteen_delivery};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The route of each line as `kind>kind:leg` steps (`buyer` for the buyer),
/// route by route, and the skipped levels as `level:reason`.
fn routes_of(tracking: &Value) -> Vec<(Vec<String>, Vec<String>, bool)> {
    let mut out = Vec::new();
    for line in tracking["lines"].as_array().unwrap() {
        for route in line["routes"].as_array().unwrap() {
            let n = route["route"].as_i64().unwrap();
            let legs = line["legs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["route"] == n)
                .map(|l| {
                    let to = l["to"]["kind"].as_str().unwrap_or("buyer");
                    format!("{}>{}:{}", l["from"]["kind"].as_str().unwrap(), to, l["kind"].as_str().unwrap())
                })
                .collect();
            let skipped = route["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| format!("{}:{}", s["level"].as_str().unwrap(), s["reason"].as_str().unwrap()))
                .collect();
            out.push((legs, skipped, route["leaves_on_pickup_day"].as_bool().unwrap()));
        }
    }
    out
}

async fn product(app: &TestApp, name: &str) -> i64 {
    app.count(&format!("SELECT id FROM products WHERE name = '{name}'")).await
}

/// A village code by SQL over the regions (the demo's real codes).
async fn region(app: &TestApp, sql: &str) -> String {
    let code: Option<String> = sqlx::query_scalar(sql).fetch_optional(app.db().pool()).await.unwrap();
    code.unwrap_or_else(|| panic!("no region for {sql}"))
}

/// Places and pays (by invoice) an order of `quantity` × `product` to
/// `region`, as the partner city's buyer; returns its id.
async fn paid_order_to(app: &TestApp, product: i64, quantity: i64, region: &str) -> String {
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let mut delivery = canteen_delivery();
    delivery["region_code"] = json!(region);
    let body =
        json!({"lines": [{"product_id": product.to_string(), "quantity": quantity}], "delivery": delivery, "payment_method": "invoice"});
    let placed = app.post("/api/v1/orders", body, Some(&buyer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let paid = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": format!("R-{id}")}), Some(&finance)).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    id
}

async fn tracking(app: &TestApp, id: &str) -> Value {
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let res = app.get(&format!("/api/v1/orders/{id}/tracking"), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

#[tokio::test]
async fn paid_lines_follow_the_required_routes_through_the_chain() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let village: String =
        region(&app, &format!("SELECT o.region_code FROM organisations o JOIN products p ON p.cooperative_id = o.id WHERE p.id = {melon}"))
            .await;
    let township = &village[..9];
    let county = &village[..6];
    let same_township =
        region(&app, &format!("SELECT code FROM regions WHERE level = 'village' AND code LIKE '{township}%' AND code <> '{village}'"))
            .await;
    let other_township = region(
        &app,
        &format!("SELECT code FROM regions WHERE level = 'village' AND code LIKE '{county}%' AND code NOT LIKE '{township}%'"),
    )
    .await;
    let shache = region(&app, "SELECT code FROM regions WHERE level = 'village' AND code LIKE '653125%'").await;
    let yuzhong = "500103000000";
    let kashi_city = "653101000000";

    let ambient = |legs: &[&str]| legs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases: Vec<(&str, &str, String, Vec<String>, Vec<&str>, bool)> = vec![
        (
            "same village as the lot: straight to the buyer",
            "伽师瓜",
            village.clone(),
            ambient(&["village_point>buyer:last_mile"]),
            vec![],
            false,
        ),
        (
            "same township",
            "伽师瓜",
            same_township,
            ambient(&["village_point>township_sorting:collection", "township_sorting>buyer:last_mile"]),
            vec![],
            false,
        ),
        (
            "same county, another township: through the county centre",
            "伽师瓜",
            other_township,
            ambient(&[
                "village_point>township_sorting:collection",
                "township_sorting>county_distribution:trunk",
                "county_distribution>buyer:last_mile",
            ]),
            vec![],
            false,
        ),
        (
            "another county of 喀什地区: through the prefecture hub",
            "伽师瓜",
            shache,
            ambient(&[
                "village_point>township_sorting:collection",
                "township_sorting>county_distribution:trunk",
                "county_distribution>prefecture_hub:trunk",
                "prefecture_hub>buyer:last_mile",
            ]),
            vec![],
            false,
        ),
        (
            "重庆市渝中区 for a 昌都市 product: the 昌都 hub, then line haul",
            "昌都牦牛肉干",
            yuzhong.into(),
            ambient(&[
                "village_point>township_sorting:collection",
                "township_sorting>county_distribution:trunk",
                "county_distribution>prefecture_hub:trunk",
                "prefecture_hub>buyer:line_haul",
            ]),
            vec![],
            false,
        ),
        (
            "a township without a sorting centre is skipped, and said so",
            "叶城薄皮核桃",
            kashi_city.into(),
            ambient(&[
                "village_point>county_distribution:collection",
                "county_distribution>prefecture_hub:trunk",
                "prefecture_hub>buyer:last_mile",
            ]),
            vec!["township:no_node"],
            false,
        ),
        (
            "frozen goods skip a township centre without cold storage and leave the village on pick-up day",
            "伽师冷冻羔羊肉",
            kashi_city.into(),
            ambient(&[
                "village_point>county_distribution:collection",
                "county_distribution>prefecture_hub:trunk",
                "prefecture_hub>buyer:last_mile",
            ]),
            vec!["township:no_cold_storage"],
            true,
        ),
    ];
    for (what, name, delivery, legs, skipped, pickup_day) in cases {
        let id = paid_order_to(&app, product(&app, name).await, 1, &delivery).await;
        let routes = routes_of(&tracking(&app, &id).await);
        assert_eq!(routes, vec![(legs, skipped.iter().map(|s| s.to_string()).collect(), pickup_day)], "{what}");
    }
}

#[tokio::test]
async fn a_line_with_lots_at_two_village_points_gets_two_routes() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    app.empty_stock(melon).await;
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {melon}")).await;
    let nodes: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM nodes WHERE kind = 'village_point' AND region_code LIKE '653129%' ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert!(nodes.len() >= 2, "伽师县 has two village points in the demo");
    let household = app.count(&format!("SELECT household_id FROM cooperative_members WHERE cooperative_id = {coop} LIMIT 1")).await;
    let today = zhunong::time::today();
    for (node, quantity, days) in [(nodes[0], 3, 10), (nodes[1], 10, 20)] {
        let lot = zhunong::stock::NewLot {
            product_id: melon,
            quantity,
            harvested_on: zhunong::time::format_date(today),
            expires_on: zhunong::time::format_date(today + time::Duration::days(days)),
            node_id: node,
            contributions: vec![zhunong::stock::NewContribution { household_id: household, quantity }],
        };
        let mut tx = app.db().begin_write().await.unwrap();
        zhunong::stock::create_lot_in(&mut tx, coop, None, &lot).await.unwrap();
        tx.commit().await.unwrap();
    }
    let id = paid_order_to(&app, melon, 5, "653101000000").await;
    let t = tracking(&app, &id).await;
    let routes = &t["lines"][0]["routes"];
    assert_eq!(routes.as_array().unwrap().len(), 2, "{t}");
    assert_eq!((routes[0]["quantity"].as_i64(), routes[1]["quantity"].as_i64()), (Some(3), Some(2)), "first expiry first");
    let starts: Vec<&str> = t["lines"][0]["legs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["seq"] == 1)
        .map(|l| l["from"]["node_id"].as_str().unwrap())
        .collect();
    assert_eq!(starts, [nodes[0].to_string(), nodes[1].to_string()], "each route leaves from where its lot sits");
}

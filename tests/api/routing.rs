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
    /// What the case is, the product, the delivery region, the legs, the
    /// skipped levels, and whether the goods leave on the day of pick-up.
    type Case<'a> = (&'a str, &'a str, String, Vec<String>, Vec<&'a str>, bool);
    let cases: Vec<Case> = vec![
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
        let id = app.paid_order_to(product(&app, name).await, 1, &delivery).await;
        let routes = routes_of(&tracking(&app, &id).await);
        assert_eq!(routes, vec![(legs, skipped.iter().map(|s| s.to_string()).collect(), pickup_day)], "{what}");
    }
}

#[tokio::test]
async fn a_line_with_lots_at_two_village_points_gets_two_routes() {
    let app = TestApp::demo().await;
    // A product of the 伽师县 cooperative grown in the county's other
    // cooperative village: its lots may sit at either village's point.
    let coop = app.count("SELECT cooperative_id FROM products WHERE name = '伽师瓜'").await;
    let nodes: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, region_code FROM nodes WHERE kind = 'village_point' AND region_code LIKE '653129%' ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert!(nodes.len() >= 2, "伽师县 has two village points in the demo");
    let manager = app.login("manager@coop.zhunong.demo").await;
    let body = json!({"name": "伽师瓜（两村）", "category": "fruit", "unit": "箱", "spec": "5kg", "storage": "ambient", "unit_weight_g": 5500,
        "origin_code": nodes[1].1, "price_tiers": [{"min_quantity": 1, "unit_price_fen": 6800}]});
    let created = app.post("/api/v1/products", body, Some(&manager)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let melon: i64 = created.json()["id"].as_str().unwrap().parse().unwrap();
    let nodes: Vec<i64> = nodes.iter().map(|(id, _)| *id).collect();
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
        zhunong::stock::create_lot_in(&mut tx, coop, None, &lot).await.unwrap_or_else(|e| panic!("lot at node {node}: {e:?}"));
        tx.commit().await.unwrap();
    }
    let id = app.paid_order_to(melon, 5, "653101000000").await;
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

/// The shipment codes of the first legs of order `id` (where its goods wait).
async fn first_shipments(app: &TestApp, id: &str) -> Vec<String> {
    let t = tracking(app, id).await;
    let mut codes: Vec<String> = t["lines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| {
            l["legs"].as_array().unwrap().iter().filter(|g| g["seq"] == 1).map(|g| g["shipment_code"].as_str().unwrap().to_owned())
        })
        .collect();
    codes.dedup();
    codes
}

async fn shipment(app: &TestApp, code: &str) -> Value {
    let admin = app.login("admin@zhunong.demo").await;
    let res = app.get(&format!("/api/v1/shipments/{code}"), Some(&admin)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

#[tokio::test]
async fn legs_of_different_orders_leaving_a_node_for_one_next_hop_travel_as_one_shipment_until_the_cut_off() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let prunes = product(&app, "伽师西梅干").await;
    let a = app.paid_order_to(melon, 2, "653101000000").await;
    let b = app.paid_order_to(prunes, 3, "653101000000").await;
    let (sa, sb) = (first_shipments(&app, &a).await, first_shipments(&app, &b).await);
    assert_eq!(sa.len(), 1);
    assert_eq!(sa, sb, "both leave the village point for its township centre in one shipment");
    let s = shipment(&app, &sa[0]).await;
    assert_eq!(s["status"], "open");
    assert_eq!(s["lines"].as_array().unwrap().len(), 2);
    assert_eq!(s["weight_g"], 2 * 5_500 + 3 * 550, "weights follow the products' unit weights");
    assert_eq!(s["cold"], false);

    // The node's cut-off closes the window (the sweep, as at 16:00 China
    // time tomorrow); goods released afterwards open the next shipment.
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let swept = zhunong::distribution::sweep(app.db(), "test-instance", tomorrow).await.unwrap();
    assert!(swept.held && swept.closed >= 1, "{swept:?}");
    assert_eq!(shipment(&app, &sa[0]).await["status"], "closed");
    let c = app.paid_order_to(melon, 1, "653101000000").await;
    let sc = first_shipments(&app, &c).await;
    assert_ne!(sc, sa, "after the cut-off a new shipment takes the legs");
    assert_eq!(shipment(&app, &sc[0]).await["status"], "open");
}

#[tokio::test]
async fn chilled_and_ambient_goods_never_share_a_shipment() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let fresh_prunes = product(&app, "伽师新梅").await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let body = json!({"lines": [{"product_id": melon.to_string(), "quantity": 1}, {"product_id": fresh_prunes.to_string(), "quantity": 1}],
        "delivery": canteen_delivery(), "payment_method": "invoice"});
    let id = app.post("/api/v1/orders", body, Some(&buyer)).await.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": "R-cold"}), Some(&finance)).await;
    let codes = first_shipments(&app, &id).await;
    assert_eq!(codes.len(), 2, "one shipment per temperature: {codes:?}");
    let colds: Vec<bool> = {
        let mut v = Vec::new();
        for c in &codes {
            let s = shipment(&app, c).await;
            let products: Vec<&str> = s["lines"].as_array().unwrap().iter().map(|l| l["product_name"].as_str().unwrap()).collect();
            assert_eq!(products.len(), 1, "{products:?}");
            v.push(s["cold"].as_bool().unwrap());
        }
        v
    };
    assert!(colds.contains(&true) && colds.contains(&false), "{colds:?}");
    // All the way up the chain, no shipment ever mixes the two.
    for _ in 0..8 {
        app.advance(&id).await;
        let t = tracking(&app, &id).await;
        let mut seen = std::collections::BTreeSet::new();
        for line in t["lines"].as_array().unwrap() {
            for leg in line["legs"].as_array().unwrap() {
                if let Some(code) = leg["shipment_code"].as_str() {
                    seen.insert(code.to_owned());
                }
            }
        }
        for code in seen {
            let s = shipment(&app, &code).await;
            let storage: std::collections::BTreeSet<&str> =
                s["lines"].as_array().unwrap().iter().map(|l| if l["product_name"] == "伽师新梅" { "cold" } else { "ambient" }).collect();
            assert_eq!(storage.len(), 1, "{s}");
        }
    }
    assert_eq!(app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json()["status"], "delivered");
}

#[tokio::test]
async fn scans_follow_the_shipments_state_and_node_and_anything_else_changes_nothing() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let id = app.paid_order_to(melon, 1, "653101000000").await;
    let operator = app.login("operator@hub.zhunong.demo").await;
    let t = tracking(&app, &id).await;
    let first = &t["lines"][0]["legs"][0];
    let code = first["shipment_code"].as_str().unwrap().to_owned();
    let (from, to) = (first["from"]["node_id"].as_str().unwrap().to_owned(), first["to"]["node_id"].as_str().unwrap().to_owned());
    let scans_sql = format!("SELECT COUNT(*) FROM shipment_scans s JOIN shipments h ON h.id = s.shipment_id WHERE h.code = '{code}'");
    let scans = || app.count(&scans_sql);

    // Received before it was dispatched: 409 naming the state; nothing changes.
    let early = app.scan(&operator, &code, &to, "received").await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    assert_eq!(early.json()["detail"], "the shipment is open; this scan does not follow");
    // Dispatched at the wrong node, or delivered when it goes to a node: 422.
    assert_eq!(app.scan(&operator, &code, &to, "dispatched").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scan(&operator, &code, &from, "delivered").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scan(&operator, &code, &from, "lost").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scan(&operator, "SH0000000", &from, "dispatched").await.status, StatusCode::NOT_FOUND);
    assert_eq!(scans().await, 0);
    assert_eq!(
        app.get(&format!("/api/v1/orders/{id}"), Some(&operator)).await.status,
        StatusCode::NOT_FOUND,
        "operators do not read orders"
    );

    // In order: dispatched at the sending node, received at the next.
    let dispatched = app.scan(&operator, &code, &from, "dispatched").await;
    assert_eq!(dispatched.status, StatusCode::CREATED, "{}", dispatched.text);
    assert_eq!(dispatched.json()["shipment"]["status"], "dispatched");
    let again = app.scan(&operator, &code, &from, "dispatched").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let received = app.scan(&operator, &code, &to, "received").await;
    assert_eq!(received.status, StatusCode::CREATED, "{}", received.text);
    assert_eq!(scans().await, 2);

    // The legs that go on join the next node's open shipment at once.
    let t = tracking(&app, &id).await;
    let legs = t["lines"][0]["legs"].as_array().unwrap();
    assert_eq!((legs[0]["status"].as_str(), legs[1]["status"].as_str()), (Some("received"), Some("planned")));
    assert!(legs[1]["shipment_code"].is_string(), "{t}");
    assert_eq!(t["lines"][0]["routes"][0]["now"]["state"], "at_node");
    assert_eq!(t["lines"][0]["routes"][0]["now"]["node"]["node_id"], to.as_str());
    let events: Vec<&str> = legs[0]["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["dispatched", "received"]);
    assert_eq!(legs[0]["events"][0]["by"], "伽师县供销物流有限公司");
}

#[tokio::test]
async fn an_operator_scans_only_at_the_nodes_it_runs() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let id = app.paid_order_to(melon, 1, "653101000000").await;
    let t = tracking(&app, &id).await;
    let first = &t["lines"][0]["legs"][0];
    let (code, from) = (first["shipment_code"].as_str().unwrap(), first["from"]["node_id"].as_str().unwrap());
    let yecheng = app.login("operator@yecheng.hub.zhunong.demo").await;
    let refused = app.scan(&yecheng, code, from, "dispatched").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "an operator of 叶城县 cannot scan at 伽师县: {}", refused.text);
    assert_eq!(app.get(&format!("/api/v1/shipments/{code}"), Some(&yecheng)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}/tracking"), Some(&yecheng)).await.status, StatusCode::NOT_FOUND);
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(app.scan(&buyer, code, from, "dispatched").await.status, StatusCode::FORBIDDEN);
    let jiashi = app.login("operator@hub.zhunong.demo").await;
    assert_eq!(app.scan(&jiashi, code, from, "dispatched").await.status, StatusCode::CREATED);
    // Its own node's shipments it may list; another's not.
    let listed = app.get(&format!("/api/v1/nodes/{from}/shipments?direction=outbound&status=dispatched"), Some(&jiashi)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert!(listed.json()["items"].as_array().unwrap().iter().any(|s| s["code"] == code));
    assert_eq!(app.get(&format!("/api/v1/nodes/{from}/shipments"), Some(&yecheng)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/nodes/{from}/shipments?direction=sideways"), Some(&jiashi)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn a_queued_scan_sent_twice_with_its_key_is_done_once() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let id = app.paid_order_to(melon, 1, "653101000000").await;
    let t = tracking(&app, &id).await;
    let first = &t["lines"][0]["legs"][0];
    let (code, from) = (first["shipment_code"].as_str().unwrap(), first["from"]["node_id"].as_str().unwrap());
    let operator = app.login("operator@hub.zhunong.demo").await;
    let at = (time::OffsetDateTime::now_utc() - time::Duration::hours(3)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let send = || {
        let req = axum::http::Request::post(format!("/api/v1/shipments/{code}/scans"))
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {operator}"))
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "scan-7f3a")
            .body(axum::body::Body::from(json!({"node_id": from, "event": "dispatched", "at": at}).to_string()))
            .unwrap();
        app.raw(req)
    };
    let first = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let retry = send().await;
    assert_eq!(retry.status, StatusCode::CREATED, "the retry gets the first answer, not a 409");
    assert_eq!(retry.text, first.text);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM shipment_scans s JOIN shipments h ON h.id = s.shipment_id WHERE h.code = '{code}'")).await,
        1
    );
    let stored: String = sqlx::query_scalar("SELECT at FROM shipment_scans").fetch_one(app.db().pool()).await.unwrap();
    assert!(stored < zhunong::time::in_seconds(-3 * 3600 + 60), "the time scanned on the device is kept: {stored}");
    // A time in the future is refused.
    let future =
        (time::OffsetDateTime::now_utc() + time::Duration::hours(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let res = app
        .post(&format!("/api/v1/shipments/{code}/scans"), json!({"node_id": from, "event": "received", "at": future}), Some(&operator))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "at");
}

#[tokio::test]
async fn two_scans_of_one_shipment_at_once_one_wins_and_the_other_is_a_conflict() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let id = app.paid_order_to(melon, 1, "653101000000").await;
    let t = tracking(&app, &id).await;
    let first = &t["lines"][0]["legs"][0];
    let (code, from) = (first["shipment_code"].as_str().unwrap().to_owned(), first["from"]["node_id"].as_str().unwrap().to_owned());
    let shipment_id = app.count(&format!("SELECT id FROM shipments WHERE code = '{code}'")).await;
    let operator = app.login("operator@hub.zhunong.demo").await;
    // On PostgreSQL both scans wait on the shipment's row, then go one
    // after the other; SQLite has one writer.
    let holder = crate::concurrency::hold_row(app.db(), "shipments", shipment_id).await;
    let release = crate::concurrency::release_when_waiting(app.db(), holder, 2);
    let (a, b, ()) =
        tokio::join!(app.scan(&operator, &code, &from, "dispatched"), app.scan(&operator, &code, &from, "dispatched"), release);
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{} / {}", a.text, b.text);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM shipment_scans WHERE shipment_id = {shipment_id}")).await, 1);
    let line_events = format!(
        "SELECT COUNT(*) FROM order_line_events e JOIN order_lines l ON l.id = e.line_id WHERE l.order_id = {id} AND e.to_status = 'in_transit'"
    );
    assert_eq!(app.count(&line_events).await, 1, "the line left once");
}

#[tokio::test]
async fn two_instances_sweeping_at_once_close_each_window_once_and_only_one_holds_the_lease() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let yecheng = product(&app, "叶城薄皮核桃").await;
    for p in [melon, yecheng, melon] {
        app.paid_order_to(p, 1, "653101000000").await;
    }
    let open = app.count("SELECT COUNT(*) FROM shipments WHERE status = 'open'").await;
    assert!(open >= 2, "{open}");
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    // Two workers closing windows at once: every shipment closed by exactly one.
    let (a, b) = tokio::join!(
        zhunong::distribution::shipments::close_due(app.db(), later),
        zhunong::distribution::shipments::close_due(app.db(), later)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), open as usize, "{a:?} {b:?}");
    assert!(a.iter().all(|id| !b.contains(id)), "no window closed twice");
    // Two instances asking for the sweep's lease at once: one gets it.
    let (x, y) = tokio::join!(
        zhunong::jobs::claim(app.db(), "test.lease", "instance-a", 60),
        zhunong::jobs::claim(app.db(), "test.lease", "instance-b", 60)
    );
    assert!(x.unwrap() ^ y.unwrap(), "exactly one instance holds the lease");
    let holder: String =
        sqlx::query_scalar("SELECT holder FROM job_leases WHERE name = 'test.lease'").fetch_one(app.db().pool()).await.unwrap();
    assert!(zhunong::jobs::claim(app.db(), "test.lease", &holder, 60).await.unwrap(), "the holder renews it");
    zhunong::jobs::release(app.db(), "test.lease", &holder).await.unwrap();
    assert!(zhunong::jobs::claim(app.db(), "test.lease", "instance-c", 60).await.unwrap(), "a released lease is free");
}

#[tokio::test]
async fn an_operator_reroutes_a_planned_leg_with_a_reason_and_the_rest_of_the_route_follows() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let id = app.paid_order_to(melon, 1, "653101000000").await;
    let t = tracking(&app, &id).await;
    let first = t["lines"][0]["legs"][0].clone();
    assert_eq!(first["to"]["kind"], "township_sorting");
    let leg = first["id"].as_str().unwrap();
    let county = app.count("SELECT id FROM nodes WHERE name = '伽师县配送中心'").await.to_string();
    let path = format!("/api/v1/legs/{leg}/reroute");
    let operator = app.login("operator@hub.zhunong.demo").await;
    let yecheng = app.login("operator@yecheng.hub.zhunong.demo").await;

    let body = json!({"to_node_id": county, "reason": "乡分拣中心停电，直送县配送中心"});
    assert_eq!(app.post(&path, body.clone(), Some(&yecheng)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&path, json!({"to_node_id": county, "reason": ""}), Some(&operator)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let done = app.post(&path, body, Some(&operator)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let routes = routes_of(&done.json());
    assert_eq!(
        routes[0].0,
        ["village_point>county_distribution:collection", "county_distribution>prefecture_hub:trunk", "prefecture_hub>buyer:last_mile"],
        "the rest of the route is planned again from the new node"
    );
    let new_code = done.json()["lines"][0]["legs"][0]["shipment_code"].as_str().unwrap().to_owned();
    assert_ne!(new_code, first["shipment_code"].as_str().unwrap(), "the leg joins the shipment for its new next hop");
    let recorded: (String, i64) = sqlx::query_as("SELECT reason, user_id FROM leg_reroutes").fetch_one(app.db().pool()).await.unwrap();
    assert_eq!(recorded.0, "乡分拣中心停电，直送县配送中心");

    // Once it has left, a leg stays where it goes.
    let node = done.json()["lines"][0]["legs"][0]["from"]["node_id"].as_str().unwrap().to_owned();
    assert_eq!(app.scan(&operator, &new_code, &node, "dispatched").await.status, StatusCode::CREATED);
    let again = app.post(&path, json!({"to_node_id": county, "reason": "再改"}), Some(&operator)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
}

#[tokio::test]
async fn orders_paid_before_routing_existed_are_routed_by_the_sweep_once() {
    let app = TestApp::demo().await;
    let melon = product(&app, "伽师瓜").await;
    let id = app.paid_order_to(melon, 2, "653101000000").await;
    // An order paid before migration 0009: released (the migration marks
    // it), no routes. Made by removing what payment wrote.
    for sql in [
        format!(
            "DELETE FROM route_legs WHERE route_id IN (SELECT r.id FROM routes r JOIN order_lines l ON l.id = r.line_id WHERE l.order_id = {id})"
        ),
        format!("DELETE FROM routes WHERE line_id IN (SELECT id FROM order_lines WHERE order_id = {id})"),
    ] {
        sqlx::query(&sql).execute(app.db().pool()).await.unwrap();
    }
    assert!(tracking(&app, &id).await["lines"][0]["legs"].as_array().unwrap().is_empty());
    let mut tx = app.db().begin_write().await.unwrap();
    assert_eq!(zhunong::distribution::routing::route_unrouted(&mut tx, 200).await.unwrap(), 1);
    assert_eq!(zhunong::distribution::routing::route_unrouted(&mut tx, 200).await.unwrap(), 0, "routed once");
    tx.commit().await.unwrap();
    let t = tracking(&app, &id).await;
    assert_eq!(routes_of(&t)[0].0.first().map(String::as_str), Some("village_point>township_sorting:collection"), "{t}");
    assert!(t["lines"][0]["legs"][0]["shipment_code"].is_string(), "its first leg waits in its node's shipment");
}

//! A partner city's pledge report (issue 13 §2, DESIGN.md "Quotas and
//! pledges"): direct purchase by the partner city, helped sales delivered
//! into it by others, only of the paired regions' produce, net of refunds;
//! read by the partner, the platform and the officials of a paired region,
//! and by nobody else.

use crate::helpers::{TestApp, canteen_delivery};
use axum::http::StatusCode;
use serde_json::{Value, json};
use zhunong::auth::{NewUser, Role};

const PARTNER: &str = "buyer@partner.zhunong.demo";
const AGENCY: &str = "buyer@agency.zhunong.demo";
const FINANCE: &str = "finance@zhunong.demo";
/// 重庆市渝中区: inside the 重庆 partner's city.
const CHONGQING_DISTRICT: &str = "500103000000";
/// 喀什市: outside it.
const KASHGAR_CITY: &str = "653101000000";

/// Signs in a new user of organisation `org_name` with `role`.
pub async fn user_in(app: &TestApp, org_name: &str, email: &str, role: Role) -> String {
    let org = app.count(&format!("SELECT id FROM organisations WHERE name = '{org_name}'")).await;
    let hash = zhunong::auth::hash_password("zhunong-demo");
    let mut tx = app.db().begin_write().await.unwrap();
    let user = NewUser { email, password_hash: &hash, display_name: "测试用户", org_id: org, roles: &[role] };
    zhunong::auth::create_user(&mut tx, &user).await.unwrap();
    tx.commit().await.unwrap();
    app.login(email).await
}

/// The organisation id of a demo organisation, as the API writes ids.
async fn org(app: &TestApp, name: &str) -> i64 {
    app.count(&format!("SELECT id FROM organisations WHERE name = '{name}'")).await
}

/// Places and pays (bank transfer confirmed by finance) an order of
/// `quantity` × `product` by `buyer` to `region`; returns the paid order.
async fn paid(app: &TestApp, buyer: &str, product: &str, quantity: i64, region: &str) -> Value {
    let token = app.login(buyer).await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE name = '{product}'")).await;
    let mut delivery = canteen_delivery();
    delivery["region_code"] = json!(region);
    let body =
        json!({"lines": [{"product_id": product.to_string(), "quantity": quantity}], "delivery": delivery, "payment_method": "invoice"});
    let placed = app.post("/api/v1/orders", body, Some(&token)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login(FINANCE).await;
    let res = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": format!("R-{id}")}), Some(&finance)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn pledge(app: &TestApp, partner: i64, query: &str, token: &str) -> crate::helpers::Res {
    app.get(&format!("/api/v1/reports/partners/{partner}/pledge{query}"), Some(token)).await
}

fn fen(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("{v} is not a number of fen"))
}

/// The month of today in China, `YYYY-MM`.
fn china_month() -> String {
    zhunong::time::format_date(zhunong::time::china_today())[..7].to_owned()
}

#[tokio::test]
async fn the_pledge_counts_the_partners_own_purchase_and_sales_delivered_into_its_city_of_paired_produce_net_of_refunds() {
    let app = TestApp::demo().await;
    let chongqing = org(&app, "重庆市对口支援昌都工作组").await;
    // 昌都牦牛肉干 (from 昌都市, paired with 重庆) costs 88.00 a bag below
    // 100 bags; 伽师瓜 (伽师县, not paired with 重庆) 68.00 a box.
    let jerky = 8_800;

    // Direct: 重庆 buys 5 bags for its own hall in 重庆, then gets one back.
    let direct = paid(&app, PARTNER, "昌都牦牛肉干", 5, CHONGQING_DISTRICT).await;
    assert_eq!(fen(&direct["total_fen"]), 5 * jerky);
    let finance = app.login(FINANCE).await;
    let id = direct["id"].as_str().unwrap();
    let line = direct["lines"][0]["id"].as_str().unwrap();
    let refund = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "一袋破损"}),
            Some(&finance),
        )
        .await;
    assert_eq!(refund.status, StatusCode::CREATED, "{}", refund.text);
    // Not counted: 重庆's own purchase of produce from 伽师县 (paired with 广东).
    paid(&app, PARTNER, "伽师瓜", 2, CHONGQING_DISTRICT).await;
    // Helped: a school in 喀什 buys 3 bags for delivery into 重庆.
    paid(&app, AGENCY, "昌都牦牛肉干", 3, CHONGQING_DISTRICT).await;
    // Not counted: the same school's 4 bags delivered to 喀什.
    paid(&app, AGENCY, "昌都牦牛肉干", 4, KASHGAR_CITY).await;

    let expected_direct = 5 * jerky - jerky;
    let expected_helped = 3 * jerky;
    let pledge_fen = 30_000_000 * 100; // the demo's pledge for 昌都市 this year
    let partner = app.login(PARTNER).await;
    let year = zhunong::time::china_today().year();
    let r = pledge(&app, chongqing, &format!("?year={year}"), &partner).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = r.json();
    assert_eq!(r["partner"]["region"]["name"], "重庆市");
    assert_eq!(r["from"], format!("{year}-01-01"));
    assert_eq!(r["to"], format!("{year}-12-31"));
    let regions = r["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 1, "重庆 is paired with 昌都市 alone");
    let changdu = &regions[0];
    assert_eq!(changdu["region"]["code"], "540300000000");
    assert_eq!(changdu["region"]["name"], "昌都市");
    assert_eq!(changdu["programme"], "对口援藏");
    assert_eq!(fen(&changdu["pledge_fen"]), pledge_fen);
    assert_eq!(fen(&changdu["direct_fen"]), expected_direct, "5 bags less the refunded one");
    assert_eq!(fen(&changdu["helped_fen"]), expected_helped, "only the bags delivered into 重庆");
    let percent = ((expected_direct + expected_helped) as f64 * 1000.0 / pledge_fen as f64).round() / 10.0;
    assert_eq!(changdu["percent"].as_f64().unwrap(), percent);
    let months = changdu["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    for m in months {
        let (d, h) = (fen(&m["direct_fen"]), fen(&m["helped_fen"]));
        if m["month"] == china_month() {
            assert_eq!((d, h), (expected_direct, expected_helped), "all of it this China month");
        } else {
            assert_eq!((d, h), (0, 0), "{m}");
        }
    }
    assert_eq!(fen(&r["totals"]["direct_fen"]), expected_direct);
    assert_eq!(fen(&r["totals"]["helped_fen"]), expected_helped);
    assert_eq!(fen(&r["totals"]["pledge_fen"]), pledge_fen);
    let this_month = r["months"].as_array().unwrap().iter().find(|m| m["month"] == china_month()).unwrap().clone();
    assert_eq!((fen(&this_month["direct_fen"]), fen(&this_month["helped_fen"])), (expected_direct, expected_helped));

    // Last year: last year's pledge (nine tenths), nothing bought.
    let last = pledge(&app, chongqing, &format!("?year={}", year - 1), &partner).await.json();
    assert_eq!(fen(&last["regions"][0]["pledge_fen"]), pledge_fen * 9 / 10);
    assert_eq!(fen(&last["totals"]["direct_fen"]) + fen(&last["totals"]["helped_fen"]), 0);

    // A period of days: today alone holds it all.
    let today = zhunong::time::format_date(zhunong::time::china_today());
    let day = pledge(&app, chongqing, &format!("?from={today}&to={today}"), &partner).await.json();
    assert_eq!(fen(&day["totals"]["direct_fen"]), expected_direct, "{day}");
    assert_eq!(day["months"].as_array().unwrap().len(), 1);

    // The same numbers are the ledger's: the verification finds nothing.
    assert!(zhunong::reports::verify::verify(app.db()).await.unwrap().is_clean());
}

#[tokio::test]
async fn a_bad_period_or_format_is_a_422_naming_the_field() {
    let app = TestApp::demo().await;
    let chongqing = org(&app, "重庆市对口支援昌都工作组").await;
    let partner = app.login(PARTNER).await;
    for (query, field) in [
        ("?from=2026-05-01&to=2026-03-01", "to"),
        ("?from=2025-12-01&to=2026-01-31", "to"),
        ("?year=2025&from=2026-01-01&to=2026-02-01", "to"),
        ("?from=2026-02-30", "from"),
        ("?to=1999-12-31", "to"),
        ("?year=1999", "year"),
        ("?format=pdf", "format"),
        ("?format=xls", "format"),
    ] {
        let r = pledge(&app, chongqing, query, &partner).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", r.text);
        assert!(r.text.contains(&format!("\"{field}\"")), "{query} names {field}: {}", r.text);
    }
    assert_eq!(pledge(&app, chongqing, "?year=abc", &partner).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_the_partner_the_platform_and_officials_of_a_paired_region_read_a_pledge_and_no_household_is_named() {
    let app = TestApp::demo().await;
    let chongqing = org(&app, "重庆市对口支援昌都工作组").await;
    let guangdong = org(&app, "广东省对口支援新疆工作前方指挥部").await;
    paid(&app, PARTNER, "昌都牦牛肉干", 2, CHONGQING_DISTRICT).await;
    let ok = |r: &crate::helpers::Res| assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    for reader in [PARTNER, "admin@zhunong.demo", FINANCE] {
        ok(&pledge(&app, chongqing, "", &app.login(reader).await).await);
    }
    // Another partner city paired with the same region, an agency, a
    // cooperative: not found.
    let tianjin = user_in(&app, "天津市对口支援昌都工作组", "buyer@tianjin.example", Role::PartnerBuyer).await;
    for token in [tianjin.clone(), app.login(AGENCY).await, app.login("manager@coop.zhunong.demo").await] {
        let r = pledge(&app, chongqing, "", &token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
    assert_eq!(app.get(&format!("/api/v1/reports/partners/{chongqing}/pledge"), None).await.status, StatusCode::UNAUTHORIZED);
    // Not a partner city at all: not found either.
    let agency = org(&app, "喀什地区第一中学").await;
    assert_eq!(pledge(&app, agency, "", &app.login("admin@zhunong.demo").await).await.status, StatusCode::NOT_FOUND);

    // The official of 伽师县 sees 广东's pledge for 伽师县, not for 疏附县,
    // and nothing of 重庆's (paired with 昌都市).
    let jiashi = app.login("official@county.zhunong.demo").await;
    assert_eq!(pledge(&app, chongqing, "", &jiashi).await.status, StatusCode::NOT_FOUND);
    let r = pledge(&app, guangdong, "", &jiashi).await;
    ok(&r);
    let codes: Vec<String> =
        r.json()["regions"].as_array().unwrap().iter().map(|g| g["region"]["code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(codes, ["653129000000"], "only the paired region inside 伽师县");
    // 昌都's officials see every partner paired with 昌都.
    let changdu = user_in(&app, "昌都市乡村振兴局", "official@changdu.example", Role::Official).await;
    ok(&pledge(&app, chongqing, "", &changdu).await);

    // Nobody's report names a household.
    let report = pledge(&app, chongqing, "", &app.login(PARTNER).await).await;
    let names: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT h.head_name, h.register_number FROM households h WHERE h.id IN (SELECT household_id FROM attribution_entries)",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert!(!names.is_empty());
    for secret in names.into_iter().flat_map(|(a, b)| [a, b]).flatten() {
        assert!(!report.text.contains(&secret), "a household's name or register number is on the report");
    }
}

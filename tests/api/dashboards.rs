//! The partner city's and the agency's dashboards (issue 13 §2): charts
//! with their tables, in both languages, within the weight budget, where
//! their users land, and without a household's name.

use crate::helpers::{Res, TestApp, canteen_delivery};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

const PARTNER: &str = "buyer@partner.zhunong.demo";
const AGENCY: &str = "buyer@agency.zhunong.demo";

async fn page(app: &TestApp, path: &str, token: Option<&str>, lang: &str) -> Res {
    let mut cookie = format!("zn_lang={lang}");
    if let Some(t) = token {
        cookie.push_str(&format!("; zn_session={t}"));
    }
    app.raw(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await
}

/// The texts a reader sees: every text between tags, outside `<script>`
/// and `<style>`, entities left as they are.
fn texts(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let text = rest[..lt].trim();
        if !text.is_empty() {
            out.push(text.to_owned());
        }
        let gt = rest[lt..].find('>').map_or(rest.len(), |i| lt + i + 1);
        let tag = &rest[lt..gt];
        rest = &rest[gt..];
        for skipped in ["script", "style"] {
            if tag.starts_with(&format!("<{skipped}")) {
                rest = rest.find(&format!("</{skipped}>")).map_or("", |i| &rest[i..]);
            }
        }
    }
    out
}

/// Fails on any English sentence among the page's texts.
fn assert_no_english(page: &Res, what: &str) {
    let english: Vec<String> = texts(&page.text).into_iter().filter(|t| crate::words::english_sentence(t)).collect();
    assert!(english.is_empty(), "{what}: English on a Chinese page: {english:?}");
}

/// Bytes of the scripts and styles the page links (its own files).
async fn weight(app: &TestApp, page: &Res) -> usize {
    let mut total = 0;
    for marker in ["<link rel=\"stylesheet\" href=\"", "<script src=\""] {
        for part in page.text.split(marker).skip(1) {
            let href = part.split('"').next().unwrap();
            let res = app.raw(Request::get(href).body(Body::empty()).unwrap()).await;
            assert_eq!(res.status, StatusCode::OK, "{href}");
            total += res.text.len();
        }
    }
    total
}

/// Places and pays an order by `buyer` of `quantity` × `product` to `region`.
async fn paid(app: &TestApp, buyer: &str, product: &str, quantity: i64, region: &str) -> serde_json::Value {
    let token = app.login(buyer).await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE name = '{product}'")).await;
    let mut delivery = canteen_delivery();
    delivery["region_code"] = json!(region);
    let body =
        json!({"lines": [{"product_id": product.to_string(), "quantity": quantity}], "delivery": delivery, "payment_method": "invoice"});
    let placed = app.post("/api/v1/orders", body, Some(&token)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let res = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": format!("R-{id}")}), Some(&finance)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

/// Names and register numbers of every household the ledger credits.
async fn identities(app: &TestApp) -> Vec<String> {
    let rows: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT head_name, register_number FROM households WHERE id IN (SELECT household_id FROM attribution_entries)")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let all: Vec<String> = rows.into_iter().flat_map(|(a, b)| [a, b]).flatten().collect();
    assert!(!all.is_empty(), "the ledger credits households with identities");
    all
}

#[tokio::test]
async fn the_partner_city_sees_its_pledge_progress_split_into_direct_and_helped_in_both_languages() {
    let app = TestApp::demo().await;
    // 2 bags of 昌都牦牛肉干 (88.00) bought by 重庆 itself, 3 by a school
    // for delivery into 重庆.
    paid(&app, PARTNER, "昌都牦牛肉干", 2, "500103000000").await;
    paid(&app, AGENCY, "昌都牦牛肉干", 3, "500103000000").await;
    let token = app.login(PARTNER).await;

    let zh = page(&app, "/dashboard", Some(&token), "zh").await;
    assert_eq!(zh.status, StatusCode::OK, "{}", zh.text);
    assert!(zh.text.contains("对口帮扶完成进度") && zh.text.contains("昌都市（对口援藏）"));
    assert!(zh.text.contains("role=\"img\"") && zh.text.contains("<title id=\"pledge-540300000000-t\">"), "a chart per paired region");
    assert!(zh.text.contains("id=\"pledge-months\""), "the months chart");
    // The table under the chart: the exact amounts.
    assert!(zh.text.contains("<th scope=\"row\">直接采购</th><td class=\"num\">¥176.00</td>"), "direct");
    assert!(zh.text.contains("<th scope=\"row\">带动销售</th><td class=\"num\">¥264.00</td>"), "helped");
    assert!(zh.text.contains("<th scope=\"row\">帮扶承诺额</th><td class=\"num\">¥30,000,000.00</td>"), "pledge");
    assert!(zh.text.contains("配送到重庆市的订单"), "the hint names the city");
    assert_no_english(&zh, "the partner's dashboard");
    for secret in identities(&app).await {
        assert!(!zh.text.contains(&secret), "a household's identity is on the dashboard");
    }
    assert!(weight(&app, &zh).await < 200 * 1024, "a dashboard's scripts and styles stay under 200 KB");

    // The numbers download from the page, as a workbook, with the session.
    let link = zh.text.split("href=\"").find(|h| h.contains("format=xlsx")).expect("an XLSX link").split('"').next().unwrap();
    let link = link.replace("&amp;", "&");
    assert!(link.starts_with("/api/v1/reports/partners/"), "{link}");
    let file = app.raw(Request::get(&link).header(header::COOKIE, format!("zn_session={token}")).body(Body::empty()).unwrap()).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.content_type().starts_with("application/vnd.openxmlformats"), "{}", file.content_type());

    let en = page(&app, "/dashboard", Some(&token), "en").await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(en.text.contains("Pledge progress") && en.text.contains("Direct purchase") && en.text.contains("Helped sales"));
    assert!(en.text.contains("<th scope=\"row\">Helped sales</th><td class=\"num\">¥264.00</td>"));
    assert!(!en.text.contains("万元"), "English axes count in thousands, not 万");

    // Last year: an empty year is charted as such, not divided by zero.
    let year = zhunong::time::china_today().year();
    let last = page(&app, &format!("/dashboard?year={}", year - 1), Some(&token), "zh").await;
    assert_eq!(last.status, StatusCode::OK);
    assert!(last.text.contains("暂无数据"), "no purchases last year");
    assert!(last.text.contains(&format!("href=\"/dashboard?year={year}\"")), "a link back to this year");
    let bad = page(&app, "/dashboard?year=abc", Some(&token), "zh").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_no_english(&bad, "a bad year");
}

#[tokio::test]
async fn the_agency_sees_its_reserved_share_and_the_orders_waiting_for_acceptance_in_both_languages() {
    let app = TestApp::demo().await;
    let order = paid(&app, AGENCY, "伽师瓜", 3, "653101000000").await;
    let number = order["number"].as_str().unwrap();
    let token = app.login(AGENCY).await;

    let zh = page(&app, "/dashboard", Some(&token), "zh").await;
    assert_eq!(zh.status, StatusCode::OK, "{}", zh.text);
    assert!(zh.text.contains("预留份额完成进度") && zh.text.contains("款项状态"));
    assert!(zh.text.contains("id=\"share\"") && zh.text.contains("id=\"stand\"") && zh.text.contains("id=\"share-months\""));
    let awaiting = zh.text.split("id=\"awaiting\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(awaiting.contains(number) && awaiting.contains("¥204.00") && awaiting.contains("已付款"), "{awaiting}");
    let unpaid = zh.text.split("id=\"unpaid\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(unpaid.contains("没有。"), "{unpaid}");
    assert!(zh.text.contains("<th scope=\"row\">已付款、待验收评价</th><td class=\"num\">¥204.00</td><td class=\"num\">1</td>"));
    assert_no_english(&zh, "the agency's dashboard");
    for secret in identities(&app).await {
        assert!(!zh.text.contains(&secret), "a household's identity is on the dashboard");
    }
    assert!(weight(&app, &zh).await < 200 * 1024);

    let en = page(&app, "/dashboard", Some(&token), "en").await;
    assert!(en.text.contains("Reserved share progress") && en.text.contains("Paid, awaiting acceptance and rating"));
    assert!(en.text.contains("Orders: 1; ¥204.00 in all"), "{}", en.text);
}

#[tokio::test]
async fn partner_and_agency_users_land_on_their_progress_and_others_have_no_dashboard() {
    let app = TestApp::demo().await;
    for (user, chart) in [(PARTNER, "id=\"home-pledge\""), (AGENCY, "id=\"home-share\"")] {
        let token = app.login(user).await;
        let home = page(&app, "/", Some(&token), "zh").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.text.contains(chart), "{user}: the progress on the home page");
        assert!(home.text.contains("<a href=\"/dashboard\">看板</a>"), "{user}: the menu's link");
        assert!(home.text.contains("<a href=\"/dashboard\">查看看板 ›</a>"));
        assert_no_english(&home, user);
        assert!(weight(&app, &home).await < 100 * 1024, "other pages stay under 100 KB of scripts and styles");
    }
    let visitor = page(&app, "/", None, "zh").await;
    assert!(!visitor.text.contains("class=\"glance\"") && !visitor.text.contains("href=\"/dashboard\""));
    let manager = app.login("manager@coop.zhunong.demo").await;
    assert_eq!(page(&app, "/dashboard", Some(&manager), "zh").await.status, StatusCode::NOT_FOUND);
    assert!(!page(&app, "/", Some(&manager), "zh").await.text.contains("href=\"/dashboard\""));
    assert_ne!(page(&app, "/dashboard", None, "zh").await.status, StatusCode::OK, "a visitor signs in first");
}

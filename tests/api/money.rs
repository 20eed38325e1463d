//! The money and the chain shown plainly (issue 14 §6, §4): whom a paid
//! order reached, per cooperative and village, on its page; whom a product
//! or a cooperative supports (带动), in counts only; the invoice's place,
//! payee, dates and seal area, and the finance page's warning about a
//! missing bank account.

use crate::helpers::{Res, Seed, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use zhunong::regions::{RegionCode, RegionLevel, short_name};

async fn page(app: &TestApp, path: &str, token: Option<&str>) -> Res {
    page_in(app, path, token, false).await
}

/// `path` in Chinese, or with `english` in English mode (the language cookie).
async fn page_in(app: &TestApp, path: &str, token: Option<&str>, english: bool) -> Res {
    let mut cookies: Vec<String> = token.map(|t| format!("zn_session={t}")).into_iter().collect();
    if english {
        cookies.push("zn_lang=en".into());
    }
    let mut req = Request::get(path);
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies.join("; "));
    }
    app.raw(req.body(Body::empty()).unwrap()).await
}

/// `Baren Village, Jiashi County (伽师县巴仁村)`: a village as the English
/// pages name it, the Chinese beside it.
async fn village_name_en(app: &TestApp, code: &str) -> String {
    let region = zhunong::regions::get(app.db(), RegionCode::parse(code).unwrap()).await.unwrap().unwrap();
    let county = region.at(RegionLevel::County).map(|l| l.name.clone()).unwrap();
    let (en_village, en_county) = (zhunong::regions::english_name(&region.name), zhunong::regions::english_name(&county));
    assert!(en_village.is_ascii() && en_county.is_ascii(), "{en_village}, {en_county}");
    format!("{en_village}, {en_county} ({})", village_name(app, code).await)
}

/// `伽师县巴仁村`: a village as the pages name it, with its county.
async fn village_name(app: &TestApp, code: &str) -> String {
    let region = zhunong::regions::get(app.db(), RegionCode::parse(code).unwrap()).await.unwrap().unwrap();
    let county = region.at(RegionLevel::County).map(|l| short_name(&l.name)).unwrap();
    format!("{county}{}", short_name(&region.name))
}

/// `html` without its cells' `data-label="…"` (the column names a phone
/// shows beside each figure), so rows compare by their content.
fn without_labels(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find(" data-label=\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 13..];
        rest = &after[after.find('"').map_or(after.len(), |e| e + 1)..];
    }
    out.push_str(rest);
    out
}

fn twelve_digits(t: &str) -> bool {
    t.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w.len() == 12 && w.bytes().all(|b| b.is_ascii_digit()))
}

/// The demo cooperative's 伽师瓜 with nothing on sale but one new lot of
/// 20 boxes: 6 from a registered poor household, 14 from another household
/// of the same village (an unpaid order may hold at most half of what is
/// on offer). Returns (product, cooperative, village, the two
/// households' codes).
async fn one_lot_of_melons(app: &TestApp) -> (i64, i64, String, [String; 2]) {
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE name = '伽师瓜' AND cooperative_id = {coop}")).await;
    app.empty_stock(product).await;
    let (village, poor, other): (String, i64, i64) = sqlx::query_as(
        "SELECT p.village_code, MIN(p.id), MIN(o.id) FROM households p JOIN cooperative_members pm ON pm.household_id = p.id \
         JOIN households o ON o.village_code = p.village_code AND o.status <> 'registered_poor' \
         JOIN cooperative_members om ON om.household_id = o.id AND om.cooperative_id = pm.cooperative_id \
         WHERE pm.cooperative_id = $1 AND p.status = 'registered_poor' GROUP BY p.village_code ORDER BY p.village_code LIMIT 1",
    )
    .bind(coop)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    app.lot_from(coop, product, &[(poor, 6), (other, 14)]).await;
    let code = |id: i64| async move {
        sqlx::query_scalar::<_, String>("SELECT code FROM households WHERE id = $1").bind(id).fetch_one(app.db().pool()).await.unwrap()
    };
    (product, coop, village, [code(poor).await, code(other).await])
}

#[tokio::test]
async fn a_paid_order_shows_per_cooperative_and_village_how_much_reached_households_and_how_many_are_registered_poor() {
    let app = TestApp::demo().await;
    let (product, _, village, codes) = one_lot_of_melons(&app).await;
    // 10 boxes at ¥68 (below the 50-box tier) = ¥680.00, all from the one
    // lot, split 6:14: 3/10 to the poor household (¥204.00), 7/10 to the
    // other (¥476.00). The cooperative passes 65% to households: ¥442.00, split
    // the same way (¥132.60 and ¥309.40).
    let id = app.paid_order_to(product, 10, "653101000000").await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let res = page(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::OK);
    let table = &res.text[res.text.find("id=\"reach-table\"").expect("a table, not a sentence")..];
    let table = without_labels(&table[..table.find("</table>").unwrap()]);
    let table = table.as_str();
    let name = village_name(&app, &village).await;
    let row = format!(
        "<td>伽师县巴仁村瓜果种植农民专业合作社</td><td>{name}</td><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">¥680.00</td><td class=\"num\">¥442.00</td>"
    );
    assert!(table.contains(&row), "{table}");
    assert!(table.contains("id=\"reach-households\">2<") && table.contains("id=\"reach-poor\">1<"), "{table}");
    assert!(table.contains("id=\"reach-gross\">¥680.00<") && table.contains("id=\"reach-income\">¥442.00<"), "{table}");
    // The ledger agrees with what the page worked out.
    let gross = app.count(&format!("SELECT CAST(SUM(gross_fen) AS BIGINT) FROM attribution_entries WHERE order_id = {id}")).await;
    let income = app.count(&format!("SELECT CAST(SUM(income_fen) AS BIGINT) FROM attribution_entries WHERE order_id = {id}")).await;
    assert_eq!((gross, income), (68_000, 44_200));
    // Nobody is named, and 重庆 is not paired with 伽师县: no report link.
    assert!(!codes.iter().any(|c| res.text.contains(c.as_str())), "no household code on the order page");
    assert!(!table.contains("/reports/"), "{table}");
    assert!(!twelve_digits(&res.text), "no region code on the order page");
    // In English the village is named in English, its Chinese beside it.
    let en = page_in(&app, &format!("/orders/{id}"), Some(&buyer), true).await;
    let name_en = village_name_en(&app, &village).await;
    assert!(without_labels(&en.text).contains(&format!("<td>{name_en}</td><td class=\"num\">2</td>")), "{name_en}: {}", en.text);

    // A partial refund moves the table with the ledger: 5 boxes back
    // leaves ¥340.00 credited (¥221.00 of income), both households still
    // reached.
    let finance = app.login("finance@zhunong.demo").await;
    let order = app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.json();
    let line = order["lines"][0]["id"].as_str().unwrap().to_owned();
    let refund = app
        .post(
            &format!("/api/v1/orders/{id}/refunds"),
            json!({"lines": [{"line_id": line, "quantity": 5}], "reason": "短少"}),
            Some(&finance),
        )
        .await;
    assert!(refund.status.is_success(), "{}", refund.text);
    let after = page(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(after.text.contains("id=\"reach-gross\">¥340.00<") && after.text.contains("id=\"reach-income\">¥221.00<"), "{}", after.text);
    assert!(after.text.contains("id=\"reach-households\">2<"));
}

#[tokio::test]
async fn a_partner_city_paired_with_the_village_gets_a_link_to_its_report() {
    let app = TestApp::demo().await;
    // 重庆 is paired with 昌都: an order of 昌都's produce links each
    // village to its township's rollup, which the partner city may read.
    let product = app
        .count("SELECT MIN(p.id) FROM products p JOIN organisations o ON o.id = p.cooperative_id WHERE o.region_code LIKE '5403%' AND p.active = 1")
        .await;
    let id = app.paid_order_to(product, 1, "653101000000").await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let res = page(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    let village: String = sqlx::query_scalar("SELECT MIN(village_code) FROM attribution_entries WHERE order_id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let township = &village[..9];
    let href = format!("/reports/regions?parent={township}000");
    assert!(res.text.contains(&format!("href=\"{href}\"")), "{}", res.text);
    let report = page(&app, &href, Some(&buyer)).await;
    assert_eq!(report.status, StatusCode::OK, "the partner city may read it");
    let village_short = short_name(&zhunong::regions::get(app.db(), RegionCode::parse(&village).unwrap()).await.unwrap().unwrap().name);
    assert!(report.text.contains(&village_short), "the village is a row of its township's report");
}

#[tokio::test]
async fn product_and_cooperative_pages_say_how_many_households_they_support_by_village_and_status_but_never_who() {
    let app = TestApp::demo().await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {product}")).await;
    for (path, filter) in [
        (format!("/products/{product}"), format!("l.product_id = {product}")),
        (format!("/cooperatives/{coop}"), format!("l.product_id IN (SELECT id FROM products WHERE cooperative_id = {coop})")),
    ] {
        let from =
            format!("FROM lot_contributions c JOIN lots l ON l.id = c.lot_id JOIN households h ON h.id = c.household_id WHERE {filter}");
        let all = app.count(&format!("SELECT COUNT(DISTINCT h.id) {from}")).await;
        let poor = app.count(&format!("SELECT COUNT(DISTINCT h.id) {from} AND h.status = 'registered_poor'")).await;
        assert!(all > poor && poor > 0, "the demo has both");
        let res = page(&app, &path, None).await;
        assert_eq!(res.status, StatusCode::OK);
        let block = &res.text[res.text.find("id=\"supports\"").expect("the 带动 block")..];
        let block = &block[..block.find("</section>").unwrap()];
        assert!(block.contains(&format!("带动 <strong id=\"supports-households\">{all}</strong> 户农户增收")), "{block}");
        assert!(block.contains(&format!("建档立卡贫困户 {poor} 户")), "{block}");
        // Each village by name with its own count.
        let villages: Vec<(String, i64)> =
            sqlx::query_as(&format!("SELECT h.village_code, COUNT(DISTINCT h.id) {from} GROUP BY h.village_code ORDER BY h.village_code"))
                .fetch_all(app.db().pool())
                .await
                .unwrap();
        for (code, n) in villages.iter().take(12) {
            let name = village_name(&app, code).await;
            assert!(block.contains(&format!("{name}：{n} 户（")), "{name} {n}: {block}");
        }
        // Never a household's identity: no code, register number or head.
        let people: Vec<(String, Option<String>, Option<String>)> =
            sqlx::query_as(&format!("SELECT DISTINCT h.code, h.register_number, h.head_name {from}"))
                .fetch_all(app.db().pool())
                .await
                .unwrap();
        for (code, number, head) in &people {
            assert!(!res.text.contains(code.as_str()), "{path} shows household {code}");
            for secret in [number, head].into_iter().flatten() {
                assert!(!res.text.contains(secret.as_str()), "{path} shows {secret}");
            }
        }
        assert!(!twelve_digits(&block.replace("supports-households", "")), "{block}");

        // The same block in English: the villages in English with their
        // Chinese beside them, the counts with their words.
        let en = page_in(&app, &path, None, true).await;
        let block = &en.text[en.text.find("id=\"supports\"").unwrap()..];
        let block = &block[..block.find("</section>").unwrap()];
        assert!(block.contains(&format!("Supports <strong id=\"supports-households\">{all}</strong> households: ")), "{block}");
        assert!(block.contains(&format!("{poor} registered poor")), "{block}");
        for (code, n) in villages.iter().take(12) {
            let name = village_name_en(&app, code).await;
            let households = if *n == 1 { "household" } else { "households" };
            assert!(block.contains(&format!("{name}: {n} {households} (")), "{name} {n}: {block}");
        }
    }
}

const ADMIN: &str = "admin@zhunong.demo";

/// Puts the demo agency on credit terms of `days` days.
async fn set_terms(app: &TestApp, days: i64) {
    let admin = app.login(ADMIN).await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let org = app.get("/api/v1/me", Some(&buyer)).await.json()["org"]["id"].as_str().unwrap().to_owned();
    let res = app.send("PATCH", &format!("/api/v1/agencies/{org}"), Some(json!({ "credit_terms_days": days })), Some(&admin)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn the_invoice_names_the_place_the_dates_and_the_terms_and_shows_buyers_no_setting_names() {
    let app = TestApp::demo().await;
    set_terms(&app, 30).await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let placed = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, 2)]), Some(&buyer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let o = placed.json();
    let id = o["id"].as_str().unwrap().to_owned();
    let today = zhunong::time::china_today();
    let day = |d: time::Date| format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day());

    let before = page(&app, &format!("/orders/{id}/invoice"), Some(&buyer)).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.text.contains("喀什地区 › 喀什市"), "the place by name: {}", before.text);
    assert!(!twelve_digits(&before.text), "no region code: {}", before.text);
    assert!(before.text.contains(&format!("id=\"invoice-issued\">{}<", day(today))), "{}", before.text);
    assert!(before.text.contains("验收后 30 天内（账期 30 天）"), "{}", before.text);
    assert_eq!(before.text.matches("助农消费帮扶平台运营中心").count(), 1, "the payee once");
    assert!(before.text.contains("id=\"seals\"") && before.text.contains("收款单位（盖章）") && before.text.contains("经办人（签字）"));
    // No bank account is configured: a neutral line, no setting's name.
    assert!(before.text.contains("收款账户信息请向平台财务索取"), "{}", before.text);
    assert!(!before.text.contains("ZHUNONG_") && !before.text.contains("请配置"), "{}", before.text);

    // Delivered and accepted: due 30 days after acceptance, with the terms.
    app.deliver_all(&id).await;
    let coop = o["lines"][0]["cooperative_id"].as_str().unwrap();
    let accepted =
        app.post(&format!("/api/v1/orders/{id}/accept"), json!({"ratings": [{"cooperative_id": coop, "stars": 5}]}), Some(&buyer)).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    let after = page(&app, &format!("/orders/{id}/invoice"), Some(&buyer)).await;
    let due = day(today + time::Duration::days(30));
    assert!(after.text.contains(&format!("{due}（账期 30 天，自验收之日起算）")), "{}", after.text);

    // Platform finance is told what to set.
    let finance = app.login("finance@zhunong.demo").await;
    let desk = page(&app, "/finance/invoices", Some(&finance)).await;
    assert!(desk.text.contains("id=\"payee-missing\""), "{}", desk.text);
    assert!(desk.text.contains("ZHUNONG_PAYEE_BANK") && desk.text.contains("ZHUNONG_PAYEE_ACCOUNT"), "{}", desk.text);
}

#[tokio::test]
async fn with_a_bank_account_configured_the_invoice_shows_it_and_finance_sees_no_warning() {
    let vars = [("ZHUNONG_PAYEE_BANK", "中国农业银行喀什分行"), ("ZHUNONG_PAYEE_ACCOUNT", "3001 0400 0000 1234")];
    let app = TestApp::configured(Seed::Demo, &vars).await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let placed = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, 1)]), Some(&buyer)).await;
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let invoice = page(&app, &format!("/orders/{id}/invoice"), Some(&buyer)).await;
    assert!(invoice.text.contains("中国农业银行喀什分行") && invoice.text.contains("id=\"payee-account\">3001 0400 0000 1234<"));
    assert!(!invoice.text.contains("id=\"payee-missing\""));
    // Without terms the notice is due when the unpaid hold ends.
    assert!(invoice.text.contains("逾期未付款，订单将自动取消"), "{}", invoice.text);
    let finance = app.login("finance@zhunong.demo").await;
    assert!(!page(&app, "/finance/invoices", Some(&finance)).await.text.contains("payee-missing"));
}

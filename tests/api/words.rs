//! Pages in Chinese (the default language) word every refusal in Chinese:
//! the domain's problems reach a page as codes with values, never as the
//! API's English. Each test sends bad input through the forms a person
//! uses and reads every error text on the page that comes back.

use crate::buying::{input, post};
use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

async fn get(app: &TestApp, path: &str, token: &str) -> Res {
    app.raw(Request::get(path).header(header::COOKIE, format!("zn_session={token}")).body(Body::empty()).unwrap()).await
}

/// The texts of the page's error blocks (`class="error"`), one per
/// element's text between tags.
fn error_texts(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("class=\"error\"") {
        let open = rest[..at].rfind('<').unwrap_or(0);
        let tag: String = rest[open + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let close = format!("</{tag}>");
        let body_start = at + rest[at..].find('>').map_or(0, |i| i + 1);
        let end = rest[body_start..].find(&close).map_or(rest.len(), |i| body_start + i);
        let mut text = String::new();
        let mut in_tag = false;
        for c in rest[body_start..end].chars() {
            match c {
                '<' => {
                    in_tag = true;
                    text.push('\n');
                }
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        out.extend(text.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()));
        rest = &rest[end..];
    }
    out
}

/// True for a text that is a sentence in English alone: no Chinese
/// character, and at least two words of letters (numbers, codes like
/// HH-7K3QX9PM and dates are not sentences).
pub(crate) fn english_sentence(text: &str) -> bool {
    let chinese = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3000}'..='\u{303f}').contains(&c));
    let words = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation()))
        .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .count();
    !chinese && words >= 2
}

/// Asserts the page has errors and that none of them is English.
fn assert_chinese_errors(page: &Res, what: &str) {
    let texts = error_texts(&page.text);
    assert!(!texts.is_empty(), "{what}: the page shows its errors\n{}", page.text);
    let english: Vec<&String> = texts.iter().filter(|t| english_sentence(t)).collect();
    assert!(english.is_empty(), "{what}: English on a Chinese page: {english:?}");
}

#[test]
fn the_checker_tells_an_english_sentence_from_chinese_words_numbers_and_codes() {
    assert!(english_sentence("contributions: contributions add up to 50, but the lot holds 60"));
    assert!(english_sentence("only 5 units are free in lot 3: 7 are held by orders"));
    assert!(!english_sentence("各农户供货数量之和为 50，但批次数量为 60"));
    assert!(!english_sentence("HH-7K3QX9PM"));
    assert!(!english_sentence("2026-09-01 · 120 kg"));
    let html = "<ul class=\"error\" role=\"alert\"><li>请填写详细地址（1–200 个字）</li><li>delivery.phone: give digits</li></ul>";
    assert_eq!(error_texts(html), ["请填写详细地址（1–200 个字）", "delivery.phone: give digits"]);
}

#[tokio::test]
async fn a_bad_lot_and_a_bad_adjustment_are_explained_in_chinese() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let form = get(&app, "/console/lots/new", &token).await;
    let csrf = input(&form, "csrf");
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await.to_string();
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {product}")).await.to_string();
    let member = app.count(&format!("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id = {coop}")).await.to_string();
    // Shares that do not add up, one household twice, a harvest after the
    // expiry.
    let refused = post(
        &app,
        "/console/lots",
        &token,
        &[
            ("csrf", &csrf),
            ("product_id", &product),
            ("quantity", "60"),
            ("harvested_on", "2026-11-01"),
            ("expires_on", "2026-10-01"),
            ("node_id", &node),
            ("household", &member),
            ("share", "30"),
            ("household", &member),
            ("share", "20"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_chinese_errors(&refused, "a bad lot");
    assert!(refused.text.contains("保质期不能早于采收日期"), "{}", refused.text);

    let lot =
        app.count(&format!("SELECT MIN(l.id) FROM lots l JOIN products p ON p.id = l.product_id WHERE p.cooperative_id = {coop}")).await;
    let page = get(&app, &format!("/console/lots/{lot}"), &token).await;
    assert!(page.text.contains("损耗变质"), "adjustment reasons are worded");
    let zero = post(
        &app,
        &format!("/console/lots/{lot}/adjustments"),
        &token,
        &[("csrf", &csrf), ("delta", "0"), ("reason", "theft"), ("note", &"烂".repeat(501))],
    )
    .await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_chinese_errors(&zero, "a bad adjustment");
    let quantity = app.count(&format!("SELECT quantity FROM lots WHERE id = {lot}")).await;
    let below = post(
        &app,
        &format!("/console/lots/{lot}/adjustments"),
        &token,
        &[("csrf", &csrf), ("delta", &format!("-{}", quantity + 1)), ("reason", "spoilage"), ("note", "")],
    )
    .await;
    assert_eq!(below.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_chinese_errors(&below, "an adjustment below what orders hold");
    let history = get(&app, &format!("/console/lots/{lot}"), &token).await;
    assert!(history.text.contains("入库"), "the receipt is worded in the history");
}

#[tokio::test]
async fn a_bad_product_and_a_bad_import_are_explained_in_chinese() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let form = get(&app, "/console/products/new", &token).await;
    let csrf = input(&form, "csrf");
    let refused = post(
        &app,
        "/console/products",
        &token,
        &[
            ("csrf", &csrf),
            ("name", ""),
            ("category", "gadgets"),
            ("unit", ""),
            ("storage", "warm"),
            ("origin_code", "12"),
            ("tier_min", "1"),
            ("tier_price", "32.50"),
            ("tier_min", "100"),
            ("tier_price", "35"),
            ("tier_min", "x"),
            ("tier_price", "y"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_chinese_errors(&refused, "a bad product");

    let csv = "lot,product_id,quantity,harvested_on,expires_on,node_id,household_code,household_quantity\n\
               A,1,10,2026-09-01,2027-03-01,1,HH-NOBODY,10\nB,x,10,soon,2027-03-01,1,HH-NOBODY,10\n";
    let boundary = "zhunongboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lots.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let req = Request::post("/console/import")
        .header(header::COOKIE, format!("zn_session={token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let res = app.raw(req).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_chinese_errors(&res, "an import with bad rows");
}

#[tokio::test]
async fn a_bad_checkout_and_an_order_larger_than_the_stock_are_explained_in_chinese() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let page = get(&app, &format!("/products/{product}"), &buyer).await;
    let csrf = input(&page, "csrf");
    let available = app.get(&format!("/api/v1/products/{product}"), None).await.json()["available"].as_i64().unwrap();
    let too_many = (available + 50).to_string();
    let added = post(&app, "/cart", &buyer, &[("csrf", &csrf), ("product_id", &product.to_string()), ("quantity", &too_many)]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);

    let region = "653101000000";
    let checkout = get(&app, &format!("/checkout?region={region}"), &buyer).await;
    let key = input(&checkout, "key");
    let base = [("csrf", csrf.as_str()), ("region_code", region), ("contact_name", "王老师"), ("payment_method", "invoice")];
    let mut bad: Vec<(&str, &str)> = base.to_vec();
    bad.extend([("key", key.as_str()), ("address", " "), ("phone", "call me")]);
    let refused = post(&app, "/checkout", &buyer, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert_chinese_errors(&refused, "a bad checkout address");
    assert!(refused.text.contains("请填写详细地址"), "{}", refused.text);

    let checkout = get(&app, &format!("/checkout?region={region}"), &buyer).await;
    let key = input(&checkout, "key");
    let mut short: Vec<(&str, &str)> = base.to_vec();
    short.extend([("key", key.as_str()), ("address", "人民东路1号 第一中学食堂"), ("phone", "0998-2821234")]);
    let refused = post(&app, "/checkout", &buyer, &short).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_chinese_errors(&refused, "an order larger than the stock");
    assert!(refused.text.contains(&format!("伽师瓜：库存仅 {available}，订购 {too_many}")), "{}", refused.text);
}

#[tokio::test]
async fn the_api_keeps_its_english_and_names_each_problem_by_a_code() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let mut body = crate::helpers::order_body(&[(1, 0)]);
    body["delivery"]["address"] = " ".into();
    let res = app.post("/api/v1/orders", body, Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = res.json()["errors"].clone();
    assert!(
        errors
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"field": "delivery.address", "message": "give 1 to 200 characters", "code": "length"})),
        "{errors}"
    );
    assert!(
        errors
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"field": "lines[0].quantity", "message": "give a whole quantity from 1 to 1,000,000", "code": "line_quantity"})),
        "{errors}"
    );
}

#[tokio::test]
async fn a_page_refused_for_a_role_says_so_in_chinese_not_that_the_form_expired() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let refused = get(&app, "/console", &buyer).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text.contains("没有权限") && !refused.text.contains("表单已过期"), "{}", refused.text);
}

#[tokio::test]
async fn a_refused_scan_is_explained_in_chinese() {
    let app = TestApp::demo().await;
    let operator = app.login("operator@hub.zhunong.demo").await;
    let node = app.count("SELECT id FROM nodes WHERE name = '伽师县配送中心'").await;
    let path = format!("/hub/nodes/{node}/scan");
    let form = get(&app, &path, &operator).await;
    let csrf = input(&form, "csrf");
    for (code, event) in [("SH0000000", "received"), ("nonsense", "dispatched")] {
        let refused = post(&app, &path, &operator, &[("csrf", &csrf), ("code", code), ("event", event)]).await;
        assert!(refused.status.is_client_error(), "{code}: {}", refused.status);
        assert_chinese_errors(&refused, code);
    }
}

/// The codes of every enumeration a page shows: household status, stock
/// movement kinds and adjustment reasons, order, line and payment
/// statuses, payment methods, storage classes.
const ENUM_CODES: &[&str] = &[
    "registered_poor",
    "monitored",
    "edge",
    "lifted",
    "none",
    "receipt",
    "spoilage",
    "recount",
    "damage",
    "return",
    "other",
    "placed",
    "pending_approval",
    "awaiting_payment",
    "paid",
    "in_transit",
    "delivered",
    "accepted",
    "cancelled",
    "refunded",
    "waiting",
    "invoice",
    "stripe",
    "ambient",
    "chilled",
    "frozen",
];

/// The enumeration codes among the words of a page's visible text.
fn codes_shown(html: &str) -> Vec<String> {
    let text = crate::report_pages::visible(html);
    let mut found: Vec<String> =
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| ENUM_CODES.contains(w)).map(str::to_owned).collect();
    found.dedup();
    found
}

#[test]
fn the_code_finder_reads_visible_words_not_attributes() {
    assert!(codes_shown("<span class=\"status paid\">已付款</span>").is_empty());
    assert_eq!(codes_shown("<td>registered_poor</td><td>spoilage</td>"), ["registered_poor", "spoilage"]);
}

#[tokio::test]
async fn the_console_lot_history_orders_and_household_pages_show_words_not_codes() {
    let app = TestApp::demo().await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    let order = app.paid_order_to(product, 2, "500103000000").await;
    let unpaid = app.order_to(product, 1, "500103000000").await;
    let lot =
        app.count(&format!("SELECT MIN(l.id) FROM lots l JOIN products p ON p.id = l.product_id WHERE p.cooperative_id = {coop}")).await;
    app.adjust_lot(lot, -1).await;

    let manager = app.login("manager@coop.zhunong.demo").await;
    let partner = app.login("buyer@partner.zhunong.demo").await;
    let official = app.login("official@county.zhunong.demo").await;
    let household = app.count(&format!("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id = {coop}")).await;
    let pages = [
        ("/console".to_owned(), &manager),
        (format!("/console/lots/{lot}"), &manager),
        ("/console/households".to_owned(), &manager),
        ("/console/orders".to_owned(), &manager),
        ("/orders".to_owned(), &partner),
        (format!("/orders/{order}"), &partner),
        (format!("/orders/{unpaid}"), &partner),
        ("/reports/households".to_owned(), &official),
        (format!("/reports/households/{household}"), &official),
        (format!("/products/{product}"), &partner),
    ];
    for (path, token) in &pages {
        let res = get(&app, path, token).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        let codes = codes_shown(&res.text);
        assert!(codes.is_empty(), "{path} shows the codes {codes:?}");
    }
    // The words are there instead.
    let history = get(&app, &format!("/console/lots/{lot}"), &manager).await;
    assert!(history.text.contains("入库") && history.text.contains("盘点更正"), "{}", history.text);
    let members = get(&app, "/console/households", &manager).await;
    assert!(members.text.contains("建档立卡贫困户"), "household statuses in words");
    let paid = get(&app, &format!("/orders/{order}"), &partner).await;
    assert!(paid.text.contains("已付款"), "the order's status in words");
}

/// True when the text holds a time as a machine writes it: an RFC 3339
/// stamp (`2026-11-30T08:00`) or a bare `2026-11-30 16:00`.
fn machine_time(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(15)).any(|i| {
        let digits = |r: std::ops::Range<usize>| r.into_iter().all(|j| b[i + j].is_ascii_digit());
        digits(0..4)
            && b[i + 4] == b'-'
            && digits(5..7)
            && b[i + 7] == b'-'
            && digits(8..10)
            && matches!(b[i + 10], b'T' | b' ')
            && digits(11..13)
            && b[i + 13] == b':'
    })
}

#[tokio::test]
async fn pages_show_times_on_chinas_clock_in_words_never_as_stored_stamps() {
    let app = TestApp::demo().await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    let order = app.paid_order_to(product, 2, "500103000000").await;
    let lot =
        app.count(&format!("SELECT MIN(l.id) FROM lots l JOIN products p ON p.id = l.product_id WHERE p.cooperative_id = {coop}")).await;
    app.adjust_lot(lot, -1).await;
    let created: String =
        sqlx::query_scalar(&format!("SELECT created_at FROM orders WHERE id = {order}")).fetch_one(app.db().pool()).await.unwrap();
    let moved: String =
        sqlx::query_scalar(&format!("SELECT MAX(at) FROM stock_movements WHERE lot_id = {lot}")).fetch_one(app.db().pool()).await.unwrap();
    let partner = app.login("buyer@partner.zhunong.demo").await;
    let manager = app.login("manager@coop.zhunong.demo").await;
    for lang in [zhunong::web::Lang::Zh, zhunong::web::Lang::En] {
        let cookie = if lang.is_en() { "; zn_lang=en" } else { "" };
        let words = lang.t();
        for (path, token, stored) in [
            (format!("/orders/{order}"), &partner, &created),
            ("/orders".to_owned(), &partner, &created),
            (format!("/console/lots/{lot}"), &manager, &moved),
        ] {
            let req =
                Request::get(path.as_str()).header(header::COOKIE, format!("zn_session={token}{cookie}")).body(Body::empty()).unwrap();
            let res = app.raw(req).await;
            assert_eq!(res.status, StatusCode::OK, "{path}");
            let text = crate::report_pages::visible(&res.text);
            assert!(text.contains(&words.when(stored)), "{path} ({lang:?}) shows {} for {stored}\n{text}", words.when(stored));
            assert!(!machine_time(&text), "{path} ({lang:?}) shows a machine time\n{text}");
        }
    }
    assert!(zhunong::web::Lang::Zh.t().when(&created).contains('年'));
    assert!(machine_time("2026-11-30T08:00:12.123456Z") && machine_time("在 2026-11-30 16:00") && !machine_time("2026年11月30日 16:00"));
}

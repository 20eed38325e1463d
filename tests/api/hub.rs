//! The pages of the chain (issue 12): the operators' node console and scan
//! page, a shipment's packing list and label, and a line's journey on the
//! order page and the cooperative's fulfilment page. States are made by
//! paying real demo orders and scanning them (`TestApp::next_scans`,
//! `advance`, `deliver_all`).

use crate::buying::{input, post};
use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

const OPERATOR: &str = "operator@hub.zhunong.demo";
const BUYER: &str = "buyer@partner.zhunong.demo";

/// A page as the signed-in user of `token` (the session cookie).
async fn page(app: &TestApp, path: &str, token: &str) -> Res {
    app.raw(Request::get(path).header(header::COOKIE, format!("zn_session={token}")).body(Body::empty()).unwrap()).await
}

/// [`TestApp::paid_order_to`] of the product named `product`.
async fn paid_order(app: &TestApp, product: &str, quantity: i64, region: &str) -> String {
    let product = app.count(&format!("SELECT id FROM products WHERE name = '{product}'")).await;
    app.paid_order_to(product, quantity, region).await
}

/// [`TestApp::order_to`] of the product named `product` (not paid).
async fn placed_order(app: &TestApp, product: &str, quantity: i64, region: &str) -> String {
    let product = app.count(&format!("SELECT id FROM products WHERE name = '{product}'")).await;
    app.order_to(product, quantity, region).await
}

async fn node_named(app: &TestApp, name: &str) -> i64 {
    app.count(&format!("SELECT id FROM nodes WHERE name = '{name}'")).await
}

/// How many scans shipment `code` has had.
async fn scans_of(app: &TestApp, code: &str) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM shipment_scans c JOIN shipments s ON s.id = c.shipment_id WHERE s.code = '{code}'")).await
}

/// The row of line `line` in a page's table (`data-line`).
fn row_of(text: &str, line: &str) -> String {
    let at = text.find(&format!("data-line=\"{line}\"")).unwrap_or_else(|| panic!("no line {line} in {text}"));
    text[at..].split("</tr>").next().unwrap().to_owned()
}

/// True when `text` holds a region code: a number of twelve digits on its
/// own (not inside a token of letters and digits, as a CSRF token's hex
/// may be).
fn has_region_code(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word.len() == 12 && word.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn a_region_code_is_found_on_its_own_and_not_inside_a_token() {
    assert!(has_region_code("喀什市 653101000000 人民东路"));
    assert!(!has_region_code("csrf a3653101000000f7"));
    assert!(!has_region_code("2026-12-01 16:00 · 12.5 kg"));
}

#[tokio::test]
async fn an_operator_opens_the_consoles_of_its_nodes_and_no_one_else_does() {
    let app = TestApp::demo().await;
    let operator = app.login(OPERATOR).await;
    let list = page(&app, "/hub", &operator).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains("伽师县配送中心") && list.text.contains("县配送中心"), "{}", list.text);
    let old = page(&app, "/hub/orders", &operator).await;
    assert!(old.status.is_redirection(), "{}", old.status);
    assert_eq!(old.headers[header::LOCATION], "/hub");

    let county = node_named(&app, "伽师县配送中心").await;
    let console = page(&app, &format!("/hub/nodes/{county}"), &operator).await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.text);
    for words in ["即将到站", "待发运（按下一站分组）", "库容", "每日截单时间"] {
        assert!(console.text.contains(words), "{words}: {}", console.text);
    }
    assert!(!has_region_code(&console.text), "no region code on the console: {}", console.text);

    // The prefecture hub is not the operator's: as if it did not exist.
    let hub = node_named(&app, "喀什地区集散分流中心").await;
    assert_eq!(page(&app, &format!("/hub/nodes/{hub}"), &operator).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(&app, &format!("/hub/nodes/{hub}/scan"), &operator).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(&app, "/hub/nodes/x/scan", &operator).await.status, StatusCode::NOT_FOUND);

    // Nor does 叶城县's operator open 伽师县's centre.
    let yecheng = app.login("operator@yecheng.hub.zhunong.demo").await;
    assert_eq!(page(&app, &format!("/hub/nodes/{county}"), &yecheng).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(&app, &format!("/hub/nodes/{county}/scan"), &yecheng).await.status, StatusCode::NOT_FOUND);

    // A buyer has no console at all.
    let buyer = app.login(BUYER).await;
    for path in ["/hub".to_owned(), format!("/hub/nodes/{county}"), format!("/hub/nodes/{county}/scan")] {
        let refused = page(&app, &path, &buyer).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused.text.contains("没有权限"), "{path}: {}", refused.text);
    }
    // The platform admin operates every node.
    let admin = app.login("admin@zhunong.demo").await;
    assert_eq!(page(&app, &format!("/hub/nodes/{hub}"), &admin).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_scan_posted_without_javascript_moves_the_shipment_and_shows_where_it_goes() {
    let app = TestApp::demo().await;
    let order = paid_order(&app, "伽师瓜", 2, "653101000000").await;
    let operator = app.login(OPERATOR).await;
    let scans = app.next_scans(&operator, &order).await;
    let (code, node, event) = scans[0].clone();
    assert_eq!(event, "dispatched", "the goods wait at their village point");

    // The village point's console shows the shipment to send, with its
    // label and packing list.
    let console = page(&app, &format!("/hub/nodes/{node}"), &operator).await;
    assert!(console.text.contains(&code) && console.text.contains("集货中"), "{}", console.text);
    assert!(console.text.contains(&format!("/hub/shipments/{code}/label")), "{}", console.text);

    let form = page(&app, &format!("/hub/nodes/{node}/scan"), &operator).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("autofocus") && form.text.contains("签收"), "{}", form.text);
    let csrf = input(&form, "csrf");
    let key = input(&form, "key");
    let path = format!("/hub/nodes/{node}/scan");
    let done =
        post(&app, &path, &operator, &[("csrf", &csrf), ("key", &key), ("code", &code.to_lowercase()), ("event", "dispatched")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains(&format!("已登记发运：{code}")), "{}", done.text);
    assert!(done.text.contains("scan-result ok") && done.text.contains("分拣中心"), "from → to in words: {}", done.text);
    let shipment = app.get(&format!("/api/v1/shipments/{code}"), Some(&operator)).await;
    assert_eq!(shipment.json()["status"], "dispatched");

    // The same form sent again (a reload) is the same scan.
    let again = post(&app, &path, &operator, &[("csrf", &csrf), ("key", &key), ("code", &code), ("event", "dispatched")]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert!(again.text.contains("这次扫描已经登记过"), "{}", again.text);
    // A new scan of it is out of order, and says what the shipment is.
    let key = input(&done, "key");
    let twice = post(&app, &path, &operator, &[("csrf", &csrf), ("key", &key), ("code", &code), ("event", "dispatched")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert!(twice.text.contains("运单当前状态为“已发出”，不能登记“发运”。") && twice.text.contains("scan-result bad"), "{}", twice.text);
    assert_eq!(scans_of(&app, &code).await, 1, "one scan recorded");

    // The next node expects it.
    let (_, next, event) = app.next_scans(&operator, &order).await[0].clone();
    assert_eq!(event, "received");
    let inbound = page(&app, &format!("/hub/nodes/{next}"), &operator).await;
    assert!(inbound.text.contains(&code) && inbound.text.contains("已发出"), "{}", inbound.text);

    // Without a token the form is stale; with another node's form, 404.
    let stale = post(&app, &path, &operator, &[("csrf", "forged"), ("code", &code), ("event", "received")]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    let hub = node_named(&app, "喀什地区集散分流中心").await;
    let elsewhere =
        post(&app, &format!("/hub/nodes/{hub}/scan"), &operator, &[("csrf", &csrf), ("code", &code), ("event", "received")]).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn refused_scans_name_the_reason_in_words() {
    let app = TestApp::demo().await;
    let order = paid_order(&app, "伽师瓜", 1, "653101000000").await;
    let operator = app.login(OPERATOR).await;
    let (code, node, _) = app.next_scans(&operator, &order).await[0].clone();
    let form = page(&app, &format!("/hub/nodes/{node}/scan"), &operator).await;
    let csrf = input(&form, "csrf");
    let path = format!("/hub/nodes/{node}/scan");
    let cases: [(&str, &str, StatusCode, &str); 4] = [
        ("hello world", "dispatched", StatusCode::UNPROCESSABLE_ENTITY, "这不是运单号"),
        ("SH0000000", "dispatched", StatusCode::NOT_FOUND, "没有这个运单号的运单。"),
        (&code, "received", StatusCode::UNPROCESSABLE_ENTITY, "这个运单不在本站登记“到货”"),
        (&code, "delivered", StatusCode::UNPROCESSABLE_ENTITY, "这个运单发往下一站点"),
    ];
    for (scanned, event, status, words) in cases {
        let res = post(&app, &path, &operator, &[("csrf", &csrf), ("code", scanned), ("event", event)]).await;
        assert_eq!(res.status, status, "{scanned} {event}: {}", res.text);
        assert!(res.text.contains(words) && res.text.contains("scan-result bad"), "{scanned} {event}: {}", res.text);
    }
    assert_eq!(scans_of(&app, &code).await, 0, "nothing was recorded");
}

#[tokio::test]
async fn the_label_carries_the_code_twice_as_svg_and_names_places_not_region_codes() {
    let app = TestApp::demo().await;
    let order = paid_order(&app, "伽师冷冻羔羊肉", 1, "653101000000").await;
    let operator = app.login(OPERATOR).await;
    let (code, _, _) = app.next_scans(&operator, &order).await[0].clone();
    let label = page(&app, &format!("/hub/shipments/{code}/label"), &operator).await;
    assert_eq!(label.status, StatusCode::OK, "{}", label.text);
    assert_eq!(label.text.matches("<svg").count(), 2, "a QR code and a Code 128 barcode: {}", label.text);
    assert!(label.text.contains(&format!("id=\"label-code\">{code}<")), "{}", label.text);
    assert!(label.text.contains("集货点") && label.text.contains("伽师县配送中心"), "from → to by name: {}", label.text);
    assert!(label.text.contains("冷链"), "frozen goods carry the cold mark: {}", label.text);
    assert!(label.text.contains("label.") && label.text.contains(".css"), "its own A6 stylesheet");
    assert!(!has_region_code(&label.text), "no region code on the label: {}", label.text);

    let packing = page(&app, &format!("/hub/shipments/{code}"), &operator).await;
    assert_eq!(packing.status, StatusCode::OK, "{}", packing.text);
    assert!(packing.text.contains("伽师冷冻羔羊肉") && packing.text.contains(" kg"), "{}", packing.text);
    let number =
        app.get(&format!("/api/v1/orders/{order}"), Some(&app.login(BUYER).await)).await.json()["number"].as_str().unwrap().to_owned();
    assert!(packing.text.contains(&number), "the order's number: {}", packing.text);

    // The API leads to the same page; others see no such shipment.
    let api = app.get(&format!("/api/v1/shipments/{code}/label"), Some(&operator)).await;
    assert_eq!(api.status, StatusCode::SEE_OTHER, "{}", api.text);
    assert_eq!(api.headers[header::LOCATION], format!("/hub/shipments/{code}/label").as_str());
    let buyer = app.login(BUYER).await;
    assert_eq!(app.get(&format!("/api/v1/shipments/{code}/label"), Some(&buyer)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(&app, &format!("/hub/shipments/{code}/label"), &buyer).await.status, StatusCode::FORBIDDEN);
    let admin_of_nothing = app.login("finance@zhunong.demo").await;
    assert_eq!(page(&app, &format!("/hub/shipments/{code}"), &admin_of_nothing).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_order_page_draws_each_line_through_the_chain_as_it_moves() {
    let app = TestApp::demo().await;
    let buyer = app.login(BUYER).await;
    let unpaid = placed_order(&app, "伽师瓜", 1, "653101000000").await;
    let before = page(&app, &format!("/orders/{unpaid}"), &buyer).await;
    assert!(before.text.contains("付款后，货物从产地开始发运。"), "{}", before.text);

    let order = paid_order(&app, "叶城薄皮核桃", 1, "653101000000").await;
    let path = format!("/orders/{order}");
    let waiting = page(&app, &path, &buyer).await;
    assert_eq!(waiting.status, StatusCode::OK, "{}", waiting.text);
    for words in ["物流跟踪", "村", "县", "地区", "收货方", "跳过：当地没有站点", "货物在此", "当前位置"] {
        assert!(waiting.text.contains(words), "{words}: {}", waiting.text);
    }
    assert!(waiting.text.contains("集货点") && waiting.text.contains("叶城县配送中心"), "{}", waiting.text);

    assert_eq!(app.advance(&order).await, 1);
    let moving = page(&app, &path, &buyer).await;
    assert!(moving.text.contains("在途：") && moving.text.contains("发运 20"), "{}", moving.text);
    assert!(!moving.text.contains("dispatched SH"), "the history words the scan: {}", moving.text);

    app.deliver_all(&order).await;
    let delivered = page(&app, &path, &buyer).await;
    assert!(delivered.text.contains("已送达收货方") && delivered.text.contains("签收 20"), "{}", delivered.text);
    assert!(delivered.text.contains("到货 20"), "{}", delivered.text);
}

#[tokio::test]
async fn a_cooperative_sees_where_the_goods_of_its_lines_are() {
    let app = TestApp::demo().await;
    let order = paid_order(&app, "伽师瓜", 1, "653101000000").await;
    let buyer = app.login(BUYER).await;
    let line = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.json()["lines"][0]["id"].as_str().unwrap().to_owned();
    let manager = app.login("manager@coop.zhunong.demo").await;
    let before = page(&app, "/console/orders", &manager).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert!(before.text.contains("当前位置"), "{}", before.text);
    let row = row_of(&before.text, &line);
    assert!(row.contains("在 伽师县") && row.contains("集货点"), "{row}");
    app.advance(&order).await;
    let row = row_of(&page(&app, "/console/orders", &manager).await.text, &line);
    assert!(row.contains("在途："), "{row}");
}

#[tokio::test]
async fn the_scan_page_and_its_service_worker_are_served_for_offline_use() {
    let app = TestApp::demo().await;
    let sw = app.get("/hub/sw.js", None).await;
    assert_eq!(sw.status, StatusCode::OK);
    assert!(sw.content_type().starts_with("text/javascript"), "{}", sw.content_type());
    assert_eq!(sw.headers["service-worker-allowed"], "/hub/");
    assert!(sw.text.starts_with("var CACHE = 'zhunong-scan-"), "{}", &sw.text[..80]);
    assert!(sw.text.contains("/static/scan.") && sw.text.contains("/static/app."), "it keeps the page's files");

    let operator = app.login(OPERATOR).await;
    let county = node_named(&app, "伽师县配送中心").await;
    let form = page(&app, &format!("/hub/nodes/{county}/scan"), &operator).await;
    assert!(form.text.contains("/static/scan."), "the script");
    let words = form.text.split("id=\"scan-words\">").nth(1).unwrap().split("</script>").next().unwrap();
    let words: serde_json::Value = serde_json::from_str(words).unwrap();
    assert_eq!(words["states"]["dispatched"], "已发出");
    assert_eq!(words["events"]["received"], "到货");
    assert!(words["out_of_order"].as_str().unwrap().contains("{state}"));
}

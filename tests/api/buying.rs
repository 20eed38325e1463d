//! The buying pages, driven as a browser without JavaScript would: cart,
//! checkout with the region picker, a double submit, approval, finance's
//! confirmation, the order page's households line, acceptance with
//! ratings, the invoice, the cooperative's orders to fulfil and the hub's
//! dispatch and delivery.

use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

pub(crate) async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Res {
    let mut req = Request::get(path);
    if let Some(t) = token {
        req = req.header(header::COOKIE, format!("zn_session={t}"));
    }
    app.raw(req.body(Body::empty()).unwrap()).await
}

/// Posts a form (URL-encoded) with the session cookie. Shared with the
/// words tests.
pub(crate) async fn post(app: &TestApp, path: &str, token: &str, form: &[(&str, &str)]) -> Res {
    let body: String = form.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
    let req = Request::post(path)
        .header(header::COOKIE, format!("zn_session={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    app.raw(req).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The value of the page's input `name`.
pub(crate) fn input(page: &Res, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.text.find(&marker).unwrap_or_else(|| panic!("no {name} in {}", page.text)) + marker.len();
    page.text[at..].split('"').next().unwrap().to_owned()
}

pub(crate) fn location(res: &Res) -> String {
    res.headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_else(|| panic!("no redirect: {}", res.text))
}

pub(crate) const KASHGAR_CITY: &str = "653101000000";

/// Fills the cart of `token` with `quantity` 伽师瓜 from its product page.
pub(crate) async fn fill_cart(app: &TestApp, token: &str, quantity: i64) -> (i64, String) {
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let page = get(app, &format!("/products/{product}"), Some(token)).await;
    assert!(page.text.contains("id=\"add-to-cart\""), "buyers get the add-to-cart form");
    let csrf = input(&page, "csrf");
    let added =
        post(app, "/cart", token, &[("csrf", &csrf), ("product_id", &product.to_string()), ("quantity", &quantity.to_string())]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    (product, csrf)
}

/// Checks out the cart to Kashgar city by invoice; returns the order id.
pub(crate) async fn check_out(app: &TestApp, token: &str) -> String {
    let page = get(app, &format!("/checkout?region={KASHGAR_CITY}"), Some(token)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let form = [
        ("csrf", input(&page, "csrf")),
        ("key", input(&page, "key")),
        ("region_code", KASHGAR_CITY.to_owned()),
        ("address", "人民东路1号 第一中学食堂".to_owned()),
        ("contact_name", "王老师".to_owned()),
        ("phone", "0998-2821234".to_owned()),
        ("payment_method", "invoice".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let placed = post(app, "/checkout", token, &form).await;
    assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.text);
    let to = location(&placed);
    // The same form sent twice (a double tap on a slow link) places one order.
    assert_eq!(location(&post(app, "/checkout", token, &form).await), to);
    // The confirmation page of the placed order.
    let id = to.strip_prefix("/orders/").and_then(|r| r.strip_suffix("/placed")).unwrap_or_else(|| panic!("placed: {to}"));
    id.to_owned()
}

#[tokio::test]
async fn a_buyer_fills_the_cart_at_the_bulk_price_and_checks_out_once() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let (product, csrf) = fill_cart(&app, &buyer, 2).await;
    let cart = get(&app, "/cart", Some(&buyer)).await;
    assert!(cart.text.contains("伽师瓜") && cart.text.contains("¥136.00"), "2 × 68 yuan");
    assert!(cart.text.contains("50"), "the next tier is offered");
    // 60 boxes reach the 62-yuan tier.
    let set = post(&app, &format!("/cart/{product}"), &buyer, &[("csrf", &csrf), ("quantity", "60")]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let cart = get(&app, "/cart", Some(&buyer)).await;
    assert!(cart.text.contains("¥62.00") && cart.text.contains("¥3,720.00"), "{}", cart.text);

    // The picker walks down the chain; a prefecture is not precise enough.
    let picker = get(&app, "/checkout", Some(&buyer)).await;
    assert!(picker.text.contains("新疆维吾尔自治区"));
    let county = get(&app, "/checkout?region=653100000000", Some(&buyer)).await;
    assert!(county.text.contains("id=\"region-needed\""), "a prefecture is not precise enough");
    assert!(county.text.contains(KASHGAR_CITY), "its counties are offered");

    let id = check_out(&app, &buyer).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM cart_lines").await, 0, "the cart is emptied");
    let order = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(order.text.contains("待付款") && order.text.contains("¥3,720.00"), "{}", order.text);
    let list = get(&app, "/orders", Some(&buyer)).await;
    assert!(list.text.contains(&format!("/orders/{id}")) && list.text.contains("id=\"share-percent\""), "with the reserved-share widget");

    // Invoice: the capital-numeral amount and the payee.
    let invoice = get(&app, &format!("/orders/{id}/invoice"), Some(&buyer)).await;
    assert!(invoice.text.contains("人民币叁仟柒佰贰拾元整"), "{}", invoice.text);
    assert!(invoice.text.contains("助农消费帮扶平台运营中心"));
    // Places by their names, and no internal numbers: no region code on
    // the invoice, no lot ids on the buyer's pages.
    assert!(invoice.text.contains("喀什地区 › 喀什市"), "{}", invoice.text);
    let twelve_digits =
        |t: &str| t.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w.len() == 12 && w.bytes().all(|b| b.is_ascii_digit()));
    assert!(!twelve_digits(&invoice.text), "{}", invoice.text);
    let lot =
        app.count(&format!("SELECT MIN(a.lot_id) FROM allocations a JOIN order_lines l ON l.id = a.line_id WHERE l.order_id = {id}")).await;
    assert!(!order.text.contains(&format!("#{lot} ×")), "{}", order.text);
    // Another organisation cannot see it.
    let partner = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(get(&app, &format!("/orders/{id}"), Some(&partner)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn not_enough_stock_comes_back_on_the_checkout_page_naming_the_product() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let (product, _) = fill_cart(&app, &buyer, 999_999).await;
    let page = get(&app, &format!("/checkout?region={KASHGAR_CITY}"), Some(&buyer)).await;
    let form = [
        ("csrf", input(&page, "csrf")),
        ("key", input(&page, "key")),
        ("region_code", KASHGAR_CITY.to_owned()),
        ("address", "解放碑1号".to_owned()),
        ("contact_name", "陈工".to_owned()),
        ("phone", "023-63801234".to_owned()),
        ("payment_method", "invoice".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post(&app, "/checkout", &buyer, &form).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.text.contains("伽师瓜：库存仅"), "{}", res.text);
    assert!(res.text.contains("解放碑1号"), "what was typed is kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 0);
    let allocated = app.count(&format!("SELECT CAST(SUM(allocated) AS BIGINT) FROM lots WHERE product_id = {product}")).await;
    assert_eq!(allocated, 0, "nothing reserved");
    // Without the CSRF token nothing happens.
    let forged: Vec<(&str, &str)> = form.iter().filter(|(k, _)| *k != "csrf").copied().collect();
    assert_eq!(post(&app, "/checkout", &buyer, &forged).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn approval_payment_delivery_and_acceptance_through_the_pages() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    app.top_up(product, 400).await;
    fill_cart(&app, &buyer, 400).await; // 22,400 yuan: above the agency's limit
    let id = check_out(&app, &buyer).await;
    let order = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(order.text.contains("待审批"));
    assert!(!order.text.contains(&format!("/orders/{id}/approve")), "a buyer does not approve");

    let approver = app.login("approver@agency.zhunong.demo").await;
    let queue = get(&app, "/approvals", Some(&approver)).await;
    assert!(queue.text.contains(&format!("/orders/{id}/approve")));
    let approved = post(
        &app,
        &format!("/orders/{id}/approve"),
        &approver,
        &[("csrf", &input(&queue, "csrf")), ("confirm", "1"), ("next", "/approvals?done=1")],
    )
    .await;
    assert_eq!(location(&approved), "/approvals?done=1");
    assert!(get(&app, "/approvals", Some(&approver)).await.text.contains("没有待审批"));

    let finance = app.login("finance@zhunong.demo").await;
    let invoices = get(&app, "/finance/invoices", Some(&finance)).await;
    assert!(invoices.text.contains(&format!("/finance/invoices/{id}")), "{}", invoices.text);
    let csrf = input(&invoices, "csrf");
    let empty = post(&app, &format!("/finance/invoices/{id}"), &finance, &[("csrf", &csrf), ("confirm", "1"), ("reference", " ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let confirmed =
        post(&app, &format!("/finance/invoices/{id}"), &finance, &[("csrf", &csrf), ("confirm", "1"), ("reference", "ICBC-20261122-9")])
            .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
    let paid = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(paid.text.contains("已付款"));
    let households = app
        .count(&format!(
            "SELECT COUNT(*) FROM (SELECT household_id FROM attribution_entries WHERE order_id = {id} GROUP BY household_id HAVING SUM(gross_fen) > 0) x"
        ))
        .await;
    assert!(paid.text.contains(&format!("id=\"reach-households\">{households}<")), "{}", paid.text);

    // The cooperative sees what to send, from which lots.
    let manager = app.login("manager@coop.zhunong.demo").await;
    let fulfil = get(&app, "/console/orders", Some(&manager)).await;
    assert!(fulfil.text.contains("伽师瓜") && fulfil.text.contains("/console/lots/"), "{}", fulfil.text);
    assert_eq!(get(&app, "/console/orders", Some(&buyer)).await.status, StatusCode::FORBIDDEN);

    // The operators of the chain scan it to the buyer; buyers have no hub.
    assert_eq!(get(&app, "/hub/orders", Some(&buyer)).await.status, StatusCode::FORBIDDEN);
    app.deliver_all(&id).await;
    let list = get(&app, "/orders", Some(&buyer)).await;
    assert!(list.text.contains("等待您验收"), "buyers are reminded of delivered orders");
    let delivered = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(delivered.text.contains("id=\"accept\""));
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {product}")).await;
    let stars = format!("stars_{coop}");
    let accepted = post(
        &app,
        &format!("/orders/{id}/accept"),
        &buyer,
        &[("csrf", &input(&delivered, "csrf")), (&stars, "4"), (&format!("comment_{coop}"), "包装好"), ("confirm", "1")],
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    assert!(get(&app, &format!("/orders/{id}"), Some(&buyer)).await.text.contains("已验收"));
    assert_eq!(app.count(&format!("SELECT stars FROM ratings WHERE order_id = {id}")).await, 4);
    let widget = get(&app, "/orders", Some(&buyer)).await;
    assert!(widget.text.contains("id=\"share-counted\">¥22,400.00<"), "{}", widget.text);
}

#[tokio::test]
async fn only_buyers_have_a_cart() {
    let app = TestApp::demo().await;
    let visitor = get(&app, "/cart", None).await;
    assert_eq!(location(&visitor), "/login?next=/cart");
    let manager = app.login("manager@coop.zhunong.demo").await;
    assert_eq!(get(&app, "/cart", Some(&manager)).await.status, StatusCode::FORBIDDEN);
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let empty = get(&app, "/cart", Some(&buyer)).await;
    assert!(empty.text.contains("购物车是空的"));
    assert_eq!(location(&get(&app, "/checkout", Some(&buyer)).await), "/cart", "nothing to check out");
}

#[tokio::test]
async fn finance_finds_an_order_by_number_and_refunds_part_of_it() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    fill_cart(&app, &buyer, 5).await;
    let id = check_out(&app, &buyer).await;
    let finance = app.login("finance@zhunong.demo").await;
    let invoices = get(&app, "/finance/invoices", Some(&finance)).await;
    post(
        &app,
        &format!("/finance/invoices/{id}"),
        &finance,
        &[("csrf", &input(&invoices, "csrf")), ("confirm", "1"), ("reference", "ICBC-1")],
    )
    .await;
    let number: String =
        sqlx::query_scalar("SELECT number FROM orders WHERE id = CAST($1 AS BIGINT)").bind(&id).fetch_one(app.db().pool()).await.unwrap();
    let line = app.count(&format!("SELECT id FROM order_lines WHERE order_id = {id}")).await;

    assert_eq!(get(&app, "/finance/refunds?number=ZN00000000-00000000", Some(&finance)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/finance/refunds", Some(&buyer)).await.status, StatusCode::FORBIDDEN);
    let page = get(&app, &format!("/finance/refunds?number={}", number.to_lowercase()), Some(&finance)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&format!("name=\"qty_{line}\"")), "{}", page.text);
    let csrf = input(&page, "csrf");
    let qty = format!("qty_{line}");
    let base = [("csrf", csrf.as_str()), ("order_id", id.as_str()), ("number", number.as_str()), ("confirm", "1")];

    let too_many: Vec<(&str, &str)> = base.iter().copied().chain([(qty.as_str(), "6"), ("reason", "坏果")]).collect();
    let refused = post(&app, "/finance/refunds", &finance, &too_many).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("退款数量请填写 1 至 5"), "{}", refused.text);

    let two: Vec<(&str, &str)> = base.iter().copied().chain([(qty.as_str(), "2"), ("reason", "两箱坏果")]).collect();
    let done = post(&app, "/finance/refunds", &finance, &two).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert!(location(&done).contains("done=CN-"), "a credit note for an invoice order");
    assert_eq!(app.count(&format!("SELECT CAST(SUM(amount_fen) AS BIGINT) FROM refunds WHERE order_id = {id}")).await, 2 * 6800);
    let order = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(order.text.contains("已退款 2"), "the buyer sees the refunded units");
}

#[tokio::test]
async fn a_quantity_that_is_not_a_whole_number_in_range_is_explained_not_added() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let (product, csrf) = fill_cart(&app, &buyer, 2).await;
    for bad in ["abc", "-3", "0", "1.5", "1000001", "１０"] {
        let res = post(&app, "/cart", &buyer, &[("csrf", &csrf), ("product_id", &product.to_string()), ("quantity", bad)]).await;
        assert_eq!(location(&res), "/cart?bad_quantity=1", "{bad}");
    }
    // Changing the line to a bad quantity is explained too, and keeps it.
    for bad in ["abc", "-1", "1.5", "1000001"] {
        let res = post(&app, &format!("/cart/{product}"), &buyer, &[("csrf", &csrf), ("quantity", bad)]).await;
        assert_eq!(location(&res), "/cart?bad_quantity=1", "{bad}");
    }
    let cart = get(&app, "/cart?bad_quantity=1", Some(&buyer)).await;
    assert!(cart.text.contains("数量请填写 1 至 1,000,000 之间的整数"), "{}", cart.text);
    let user = app.count("SELECT id FROM users WHERE email = 'buyer@agency.zhunong.demo'").await;
    assert_eq!(app.count(&format!("SELECT quantity FROM cart_lines WHERE user_id = {user}")).await, 2, "nothing added");
}

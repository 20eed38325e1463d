//! Forms that forgive (issue 14 §4), driven as a browser without
//! JavaScript would: the checkout keeps what was typed through a region
//! change and starts at the agency's own region; the cart refuses more than
//! is on sale and offers what is left; the approval notice and the placed
//! page say what happens to this order; irreversible actions are confirmed
//! and reject, cancel and refund say why, in the order's history; ratings
//! start unselected and are shown afterwards.

use crate::buying::{KASHGAR_CITY, check_out, fill_cart, get, input, location, post};
use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

/// 伽师县, a county of the same prefecture as Kashgar city.
const JIASHI: &str = "653129000000";

/// Order `id`'s status.
async fn status(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE id = CAST($1 AS BIGINT)").bind(id).fetch_one(app.db().pool()).await.unwrap()
}

/// A page in English.
async fn get_en(app: &TestApp, path: &str, token: &str) -> Res {
    let req = Request::get(path).header(header::COOKIE, format!("zn_session={token}; zn_lang=en")).body(Body::empty()).unwrap();
    app.raw(req).await
}

/// An order of 400 melons by the agency (22,400 yuan: above its 20,000
/// limit), awaiting its approver.
async fn order_above_the_limit(app: &TestApp, buyer: &str) -> String {
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    app.top_up(product, 400).await;
    fill_cart(app, buyer, 400).await;
    check_out(app, buyer).await
}

#[tokio::test]
async fn the_picker_starts_at_the_agencys_own_region() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    fill_cart(&app, &buyer, 2).await;
    // 喀什地区第一中学 is in Kashgar city: chosen already, the form ready.
    let page = get(&app, "/checkout", Some(&buyer)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&format!("name=\"region_code\" value=\"{KASHGAR_CITY}\"")), "{}", page.text);
    assert!(page.text.contains("新疆维吾尔自治区 › 喀什地区 › 喀什市"), "{}", page.text);
    assert!(!page.text.contains("id=\"region-needed\""), "a county is precise enough");
    // A partner city's buyer starts at its own province, not the country.
    let partner = app.login("buyer@partner.zhunong.demo").await;
    fill_cart(&app, &partner, 2).await;
    let page = get(&app, "/checkout", Some(&partner)).await;
    assert!(page.text.contains("name=\"region_code\" value=\"500000000000\""), "{}", page.text);
    assert!(page.text.contains("id=\"region-needed\""), "a province is not precise enough");
}

#[tokio::test]
async fn changing_the_region_without_javascript_keeps_every_typed_field() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    fill_cart(&app, &buyer, 2).await;
    let page = get(&app, "/checkout", Some(&buyer)).await;
    let key = input(&page, "key");
    // The third list changes from 喀什市 to 伽师县; the button beside the
    // lists sends the whole form.
    let form = [
        ("csrf", input(&page, "csrf")),
        ("key", key.clone()),
        ("region_code", KASHGAR_CITY.to_owned()),
        ("level", "650000000000".to_owned()),
        ("level", "653100000000".to_owned()),
        ("level", JIASHI.to_owned()),
        ("pick", "1".to_owned()),
        ("address", "人民东路1号 第一中学食堂".to_owned()),
        ("contact_name", "王老师".to_owned()),
        ("phone", "0998-2821234".to_owned()),
        ("note", "请走北门".to_owned()),
        ("payment_method", "invoice".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let again = post(&app, "/checkout", &buyer, &form).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert!(again.text.contains(&format!("name=\"region_code\" value=\"{JIASHI}\"")), "the new region: {}", again.text);
    assert!(again.text.contains("喀什地区 › 伽师县"), "{}", again.text);
    for typed in ["人民东路1号 第一中学食堂", "王老师", "0998-2821234", "请走北门"] {
        assert!(again.text.contains(&format!("value=\"{typed}\"")), "{typed} is kept: {}", again.text);
    }
    assert_eq!(input(&again, "key"), key, "the same form: nothing was placed");
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 0);

    // With JavaScript the script asks for the picker alone.
    let req = Request::get(format!("/checkout?region={JIASHI}"))
        .header(header::COOKIE, format!("zn_session={buyer}"))
        .header("x-partial", "1")
        .body(Body::empty())
        .unwrap();
    let fragment = app.raw(req).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.text.contains("name=\"level\"") && !fragment.text.contains("<html"), "{}", fragment.text);
    assert!(fragment.text.contains(&format!("name=\"region_code\" value=\"{JIASHI}\"")));
}

#[tokio::test]
async fn a_cart_quantity_above_what_is_on_sale_is_refused_and_what_is_left_offered() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let (product, csrf) = fill_cart(&app, &buyer, 2).await;
    let today = zhunong::time::format_date(zhunong::time::today());
    let available = app
        .count(&format!(
            "SELECT CAST(SUM(quantity - allocated) AS BIGINT) FROM lots WHERE product_id = {product} AND expires_on >= '{today}'"
        ))
        .await;
    let unit: String =
        sqlx::query_scalar("SELECT unit FROM products WHERE id = $1").bind(product).fetch_one(app.db().pool()).await.unwrap();
    let asked = available + 30;
    let res = post(&app, &format!("/cart/{product}"), &buyer, &[("csrf", &csrf), ("quantity", &asked.to_string())]).await;
    assert_eq!(location(&res), format!("/cart?short={product}&asked={asked}#line-{product}"));
    let user = app.count("SELECT id FROM users WHERE email = 'buyer@agency.zhunong.demo'").await;
    assert_eq!(app.count(&format!("SELECT quantity FROM cart_lines WHERE user_id = {user}")).await, 2, "the line is as it was");
    let cart = get(&app, &format!("/cart?short={product}&asked={asked}"), Some(&buyer)).await;
    let said = format!("伽师瓜 当前仅剩 {available} {unit}，数量未改为 {asked} {unit}。");
    assert!(cart.text.contains(&said), "{said} in {}", cart.text);
    let offer = &cart.text[cart.text.find("id=\"cart-short\"").unwrap()..];
    assert!(offer.contains(&format!("name=\"quantity\" value=\"{available}\"")), "what is left is offered: {offer}");

    // A line that asks for more than is left (added from the product page
    // before the stock went) offers to take what is left, in one press.
    fill_cart(&app, &buyer, available).await;
    let cart = get(&app, "/cart", Some(&buyer)).await;
    assert!(cart.text.contains(&format!("name=\"quantity\" value=\"{available}\"")), "{}", cart.text);
    assert!(cart.text.contains(&format!("改为 {available} {unit}")), "{}", cart.text);
    let taken = post(&app, &format!("/cart/{product}"), &buyer, &[("csrf", &csrf), ("quantity", &available.to_string())]).await;
    assert_eq!(location(&taken), "/cart");
    assert_eq!(app.count(&format!("SELECT quantity FROM cart_lines WHERE user_id = {user}")).await, available);
}

#[tokio::test]
async fn the_approval_notice_says_the_limit_and_whether_this_order_needs_approval() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let (product, csrf) = fill_cart(&app, &buyer, 2).await;
    let within = get(&app, "/checkout", Some(&buyer)).await;
    assert!(within.text.contains("本单位审批限额 ¥20,000.00；本单合计 ¥136.00，未超过限额，无需审批。"), "{}", within.text);
    app.top_up(product, 400).await;
    post(&app, &format!("/cart/{product}"), &buyer, &[("csrf", &csrf), ("quantity", "400")]).await;
    let above = get(&app, "/checkout", Some(&buyer)).await;
    assert!(
        above.text.contains("本单位审批限额 ¥20,000.00；本单合计 ¥22,400.00，超过限额，提交后需经审批人批准才能付款。"),
        "{}",
        above.text
    );
    let en = get_en(&app, "/checkout", &buyer).await;
    assert!(en.text.contains("approval limit is ¥20,000.00") && en.text.contains("above the limit"), "{}", en.text);
}

#[tokio::test]
async fn buyers_see_only_the_payment_methods_that_exist() {
    // The test server has no Stripe keys.
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    fill_cart(&app, &buyer, 2).await;
    for page in [get(&app, "/checkout", Some(&buyer)).await, get_en(&app, "/checkout", &buyer).await] {
        assert!(page.text.contains("name=\"payment_method\" value=\"invoice\" checked"), "{}", page.text);
        assert!(!page.text.contains("value=\"stripe\""), "no card option without keys");
        for operator in ["Stripe", "未配置", "configured", "密钥"] {
            assert!(!page.text.contains(operator), "{operator} on a buyer's page: {}", page.text);
        }
    }
}

#[tokio::test]
async fn after_placing_the_buyer_sees_the_number_the_amount_and_what_happens_next() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    fill_cart(&app, &buyer, 2).await;
    let id = check_out(&app, &buyer).await;
    let number: String =
        sqlx::query_scalar("SELECT number FROM orders WHERE id = CAST($1 AS BIGINT)").bind(&id).fetch_one(app.db().pool()).await.unwrap();
    let page = get(&app, &format!("/orders/{id}/placed"), Some(&buyer)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("订单已提交") && page.text.contains(&number) && page.text.contains("¥136.00"), "{}", page.text);
    assert!(page.text.contains("按付款通知书对公转账"), "pay next: {}", page.text);
    assert!(page.text.contains("货物经县、乡服务站送到 新疆维吾尔自治区 › 喀什地区 › 喀什市"), "{}", page.text);
    assert!(!page.text.contains("需审批人批准"), "within the limit: no approval step");
    assert!(page.text.contains(&format!("href=\"/orders/{id}/invoice\"")));
    let en = get_en(&app, &format!("/orders/{id}/placed"), &buyer).await;
    assert!(en.text.contains("Order placed") && en.text.contains("What happens next") && en.text.contains("bank transfer"), "{}", en.text);

    // Above the limit the approval comes first.
    let above = order_above_the_limit(&app, &buyer).await;
    let page = get(&app, &format!("/orders/{above}/placed"), Some(&buyer)).await;
    assert!(page.text.contains("本单超过本单位审批限额，需审批人批准"), "{}", page.text);
    // Nobody else's.
    let partner = app.login("buyer@partner.zhunong.demo").await;
    assert_eq!(get(&app, &format!("/orders/{id}/placed"), Some(&partner)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reject_without_a_reason_or_confirmation_is_refused_and_changes_nothing() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let id = order_above_the_limit(&app, &buyer).await;
    let approver = app.login("approver@agency.zhunong.demo").await;
    let page = get(&app, &format!("/orders/{id}"), Some(&approver)).await;
    assert!(page.text.contains("name=\"confirm\" value=\"1\" required"), "approve and reject ask to confirm");
    let csrf = input(&page, "csrf");
    let reject = format!("/orders/{id}/reject");
    let events = app.count(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = {id}")).await;

    let no_reason = post(&app, &reject, &approver, &[("csrf", &csrf), ("confirm", "1"), ("reason", "  ")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text.contains("请填写驳回理由（1–200 个字）"), "{}", no_reason.text);
    let too_long = "超".repeat(201);
    let long = post(&app, &reject, &approver, &[("csrf", &csrf), ("confirm", "1"), ("reason", &too_long)]).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unconfirmed = post(&app, &reject, &approver, &[("csrf", &csrf), ("reason", "超出本月预算")]).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.text.contains("请先勾选确认框"), "{}", unconfirmed.text);
    assert!(unconfirmed.text.contains(">超出本月预算</textarea>"), "the reason typed is kept");
    let approve = post(&app, &format!("/orders/{id}/approve"), &approver, &[("csrf", &csrf)]).await;
    assert_eq!(approve.status, StatusCode::UNPROCESSABLE_ENTITY, "approving asks to confirm too");
    assert_eq!(status(&app, &id).await, "pending_approval", "nothing changed");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = {id}")).await, events, "no event either");

    let done = post(&app, &reject, &approver, &[("csrf", &csrf), ("confirm", "1"), ("reason", "超出本月预算")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(status(&app, &id).await, "cancelled");
    let order = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(order.text.contains("原因：超出本月预算"), "the buyer reads why: {}", order.text);
}

#[tokio::test]
async fn a_cancel_says_why_and_the_history_shows_it() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    fill_cart(&app, &buyer, 2).await;
    let id = check_out(&app, &buyer).await;
    let page = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    let csrf = input(&page, "csrf");
    let cancel = format!("/orders/{id}/cancel");
    let refused = post(&app, &cancel, &buyer, &[("csrf", &csrf), ("confirm", "1")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("请填写取消原因（1–200 个字）"), "{}", refused.text);
    assert_eq!(status(&app, &id).await, "awaiting_payment");
    let done = post(&app, &cancel, &buyer, &[("csrf", &csrf), ("confirm", "1"), ("reason", "学校停课，暂不需要")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(status(&app, &id).await, "cancelled");
    let order = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(order.text.contains("原因：学校停课，暂不需要"), "{}", order.text);
    // The API takes the reason too (optional there: its contract is kept).
    fill_cart(&app, &buyer, 2).await;
    let other = check_out(&app, &buyer).await;
    let res = app.post(&format!("/api/v1/orders/{other}/cancel"), serde_json::json!({"reason": "重复下单"}), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(get(&app, &format!("/orders/{other}"), Some(&buyer)).await.text.contains("原因：重复下单"));
}

#[tokio::test]
async fn a_refund_and_a_payment_are_confirmed_and_the_refund_says_why_in_the_history() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    fill_cart(&app, &buyer, 5).await;
    let id = check_out(&app, &buyer).await;
    let finance = app.login("finance@zhunong.demo").await;
    let invoices = get(&app, "/finance/invoices", Some(&finance)).await;
    let csrf = input(&invoices, "csrf");
    let unconfirmed = post(&app, &format!("/finance/invoices/{id}"), &finance, &[("csrf", &csrf), ("reference", "ICBC-7")]).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.text.contains("请先勾选确认框"), "{}", unconfirmed.text);
    assert_eq!(status(&app, &id).await, "awaiting_payment", "not paid without the tick");
    let paid =
        post(&app, &format!("/finance/invoices/{id}"), &finance, &[("csrf", &csrf), ("confirm", "1"), ("reference", "ICBC-7")]).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER);

    let number: String =
        sqlx::query_scalar("SELECT number FROM orders WHERE id = CAST($1 AS BIGINT)").bind(&id).fetch_one(app.db().pool()).await.unwrap();
    let line = app.count(&format!("SELECT id FROM order_lines WHERE order_id = {id}")).await;
    let qty = format!("qty_{line}");
    let base = [("csrf", csrf.as_str()), ("order_id", id.as_str()), ("number", number.as_str()), (qty.as_str(), "2")];
    let no_reason: Vec<(&str, &str)> = base.iter().copied().chain([("confirm", "1"), ("reason", "")]).collect();
    let refused = post(&app, "/finance/refunds", &finance, &no_reason).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("请填写原因（1–500 个字）"), "{}", refused.text);
    let no_tick: Vec<(&str, &str)> = base.iter().copied().chain([("reason", "两箱坏果")]).collect();
    let refused = post(&app, "/finance/refunds", &finance, &no_tick).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("请先勾选确认框") && refused.text.contains("value=\"两箱坏果\""), "{}", refused.text);
    assert!(
        refused.text.contains(&format!("name=\"{qty}\" type=\"number\" min=\"0\" max=\"5\" step=\"1\" value=\"2\"")),
        "the quantity typed is kept"
    );
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM refunds WHERE order_id = {id}")).await, 0, "nothing refunded");

    let done: Vec<(&str, &str)> = base.iter().copied().chain([("confirm", "1"), ("reason", "两箱坏果")]).collect();
    let done = post(&app, "/finance/refunds", &finance, &done).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let order = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    assert!(order.text.contains("：¥136.00，原因：两箱坏果"), "{}", order.text);
    assert!(!order.text.contains("refund CN-"), "not the note as stored");
}

#[tokio::test]
async fn ratings_start_unselected_and_are_shown_once_given() {
    let app = TestApp::demo().await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let (product, _) = fill_cart(&app, &buyer, 2).await;
    let id = check_out(&app, &buyer).await;
    let finance = app.login("finance@zhunong.demo").await;
    let invoices = get(&app, "/finance/invoices", Some(&finance)).await;
    let form = [("csrf", input(&invoices, "csrf")), ("confirm", "1".into()), ("reference", "ICBC-8".into())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post(&app, &format!("/finance/invoices/{id}"), &finance, &form).await;
    app.deliver_all(&id).await;

    let delivered = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    let accept = &delivered.text[delivered.text.find("id=\"accept\"").expect("the acceptance form")..];
    let accept = &accept[..accept.find("</form>").unwrap()];
    assert!(accept.contains("type=\"radio\""), "{accept}");
    assert!(!accept.contains("checked"), "no star is chosen for the buyer: {accept}");
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {product}")).await;
    let stars = format!("stars_{coop}");
    let csrf = input(&delivered, "csrf");
    let unconfirmed = post(&app, &format!("/orders/{id}/accept"), &buyer, &[("csrf", &csrf), (&stars, "4")]).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status(&app, &id).await, "delivered");
    let accepted = post(
        &app,
        &format!("/orders/{id}/accept"),
        &buyer,
        &[("csrf", &csrf), (&stars, "4"), (&format!("comment_{coop}"), "瓜很甜，包装好"), ("confirm", "1")],
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    let order = get(&app, &format!("/orders/{id}"), Some(&buyer)).await;
    let given = &order.text[order.text.find("id=\"ratings\"").expect("the ratings are shown")..];
    assert!(given.contains("★★★★☆") && given.contains("4 星") && given.contains("瓜很甜，包装好"), "{given}");
}

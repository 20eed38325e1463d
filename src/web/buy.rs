//! The buying pages: cart, checkout with the cascading region picker,
//! order list (with the reserved-share widget and acceptance reminders),
//! order detail with its actions, the printable invoice, card payment, the
//! approval queue, finance's invoices to confirm and a cooperative's orders
//! to fulfil. Every form carries the CSRF token; every change goes through
//! the same functions as the API (checkout through the API's idempotent
//! placement, keyed by a token in the form, so a double submit places one
//! order).

use super::pages::internal;
use super::{Chrome, Fields, csrf_ok, error_page, field, render};
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::auth::{Actor, Role};
use crate::money::Fen;
use crate::orders::{self, Order, Transition, TransitionError, cart};
use crate::regions::{RegionCode, RegionLevel, short_name};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The signed-in user, or the sign-in page for visitors.
#[allow(clippy::result_large_err)]
fn signed_in(actor: Option<Actor>) -> Result<Actor, Response> {
    actor.ok_or_else(|| Redirect::to("/login").into_response())
}

/// A signed-in user holding one of `roles`, else 403 (or sign in).
#[allow(clippy::result_large_err)]
fn with_role(c: &Chrome, actor: Option<Actor>, roles: &[Role]) -> Result<Actor, Response> {
    let a = signed_in(actor)?;
    if roles.iter().any(|r| a.has(*r)) { Ok(a) } else { Err(error_page(c, StatusCode::FORBIDDEN)) }
}

const BUYERS: [Role; 2] = [Role::AgencyBuyer, Role::PartnerBuyer];

/// The user submitting a form: signed in, holding one of `roles` (any
/// role when empty), and the form carrying the session's CSRF token.
#[allow(clippy::result_large_err)]
fn form_user(c: &Chrome, actor: Option<Actor>, headers: &HeaderMap, f: &Fields, roles: &[Role]) -> Result<Actor, Response> {
    let a = if roles.is_empty() { signed_in(actor)? } else { with_role(c, actor, roles)? };
    if csrf_ok(headers, Some(&a), field(f, "csrf")) { Ok(a) } else { Err(error_page(c, StatusCode::FORBIDDEN)) }
}

// ---------------------------------------------------------------- cart

/// A cart line as shown.
pub struct CartRow {
    product_id: i64,
    name: String,
    unit: String,
    cooperative: String,
    quantity: i64,
    unit_price: String,
    amount: String,
    next_tier: Option<(i64, String)>,
    available: i64,
    short: bool,
}

fn cart_rows(lines: Vec<cart::CartLine>) -> Vec<CartRow> {
    lines
        .into_iter()
        .map(|l| CartRow {
            product_id: l.product_id,
            short: l.quantity > l.available,
            name: l.name,
            unit: l.unit,
            cooperative: l.cooperative,
            quantity: l.quantity,
            unit_price: l.unit_price.to_string(),
            amount: l.amount.to_string(),
            next_tier: l.next_tier.map(|(q, p)| (q, p.to_string())),
            available: l.available,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "cart.html")]
struct CartPage<'a> {
    c: &'a Chrome,
    lines: Vec<CartRow>,
    total: String,
    added: bool,
    full: bool,
    bad_quantity: bool,
}

/// Query of the cart page.
#[derive(Deserialize)]
pub struct CartQuery {
    added: Option<String>,
    full: Option<String>,
    bad_quantity: Option<String>,
}

/// `GET /cart`.
pub async fn cart_page(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<CartQuery>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/cart");
    let actor = match with_role(&c, actor, &BUYERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match cart::lines(&state.db, actor.id).await {
        Ok((lines, total)) => render(
            &c,
            StatusCode::OK,
            &CartPage {
                c: &c,
                lines: cart_rows(lines),
                total: total.to_string(),
                added: q.added.is_some(),
                full: q.full.is_some(),
                bad_quantity: q.bad_quantity.is_some(),
            },
        ),
        Err(e) => internal(&c, e.into()),
    }
}

/// `POST /cart` (product_id, quantity): adds to the cart.
pub async fn cart_add(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/cart");
    let actor = match form_user(&c, actor, &headers, &f, &BUYERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(product) = crate::ids::parse(field(&f, "product_id")) else { return error_page(&c, StatusCode::NOT_FOUND) };
    // An empty field means one; anything else must be a whole number in
    // range, or the buyer is told (it used to say "added" and add nothing).
    let text = field(&f, "quantity").trim();
    let quantity: i64 = if text.is_empty() { 1 } else { text.parse().unwrap_or(0) };
    if !(1..=cart::MAX_QUANTITY).contains(&quantity) {
        return Redirect::to("/cart?bad_quantity=1").into_response();
    }
    match cart::add(&state.db, actor.id, product, quantity).await {
        Ok(cart::Added::Yes) => Redirect::to("/cart?added=1").into_response(),
        Ok(cart::Added::CartFull) => Redirect::to("/cart?full=1").into_response(),
        Ok(cart::Added::NoSuchProduct) => error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => internal(&c, e.into()),
    }
}

/// `POST /cart/{product_id}` (quantity; 0 or `remove` removes the line).
pub async fn cart_set(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(product): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/cart");
    let actor = match form_user(&c, actor, &headers, &f, &BUYERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(product) = crate::ids::parse(&product) else { return error_page(&c, StatusCode::NOT_FOUND) };
    // "Remove", or a quantity of 0, takes the line out; anything that is not
    // a whole number up to the maximum is explained and changes nothing (it
    // used to remove the line without a word).
    let quantity = if field(&f, "remove").is_empty() {
        match field(&f, "quantity").trim().parse::<i64>() {
            Ok(q) if (0..=cart::MAX_QUANTITY).contains(&q) => q,
            _ => return Redirect::to("/cart?bad_quantity=1").into_response(),
        }
    } else {
        0
    };
    match cart::set(&state.db, actor.id, product, quantity).await {
        Ok(()) => Redirect::to("/cart").into_response(),
        Err(e) => internal(&c, e.into()),
    }
}

// ------------------------------------------------------------ checkout

/// One select of the region picker.
pub struct PickerLevel {
    options: Vec<(String, String, bool)>,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage<'a> {
    c: &'a Chrome,
    lines: Vec<CartRow>,
    total: String,
    picker: Vec<PickerLevel>,
    region: Option<(String, String)>,
    region_ok: bool,
    key: String,
    address: String,
    contact_name: String,
    phone: String,
    note: String,
    method: String,
    stripe: bool,
    errors: Vec<String>,
}

/// Query of the checkout page.
#[derive(Deserialize)]
pub struct CheckoutQuery {
    region: Option<String>,
}

/// The picker down to `region`: at each level the siblings with the chosen
/// one selected, then the children of the chosen region to pick from.
async fn picker(state: &AppState, region: Option<&crate::regions::Region>) -> sqlx::Result<Vec<PickerLevel>> {
    let mut levels = Vec::new();
    let mut parent: Option<RegionCode> = None;
    let chain: Vec<RegionCode> = region.map(|r| r.chain.iter().map(|l| l.code).collect()).unwrap_or_default();
    for i in 0..=chain.len() {
        let children = crate::regions::children(&state.db, parent).await?;
        if children.is_empty() {
            break;
        }
        let chosen = chain.get(i).copied();
        levels.push(PickerLevel {
            chosen: chosen.is_some(),
            options: children.into_iter().map(|r| (r.code.to_string(), short_name(&r.name), Some(r.code) == chosen)).collect(),
        });
        match chosen {
            Some(c) => parent = Some(c),
            None => break,
        }
    }
    Ok(levels)
}

#[allow(clippy::too_many_arguments)]
async fn checkout_page(
    state: &AppState,
    c: &Chrome,
    actor: &Actor,
    region: Option<&str>,
    form: Option<&Fields>,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let result: anyhow::Result<Response> = async {
        let (lines, total) = cart::lines(&state.db, actor.id).await?;
        if lines.is_empty() && errors.is_empty() {
            return Ok(Redirect::to("/cart").into_response());
        }
        let region = match region.and_then(|r| RegionCode::parse(r).ok()) {
            Some(code) => crate::regions::get(&state.db, code).await?,
            None => None,
        };
        let picker = picker(state, region.as_ref()).await?;
        let region_ok =
            region.as_ref().is_some_and(|r| matches!(r.level, RegionLevel::County | RegionLevel::Township | RegionLevel::Village));
        let get = |name: &str| form.map(|f| field(f, name).to_owned()).unwrap_or_default();
        let page = CheckoutPage {
            c,
            lines: cart_rows(lines),
            total: total.to_string(),
            picker,
            region: region.as_ref().map(|r| (r.code.to_string(), r.chain_label())),
            region_ok,
            key: form.map(|f| field(f, "key").to_owned()).filter(|k| !k.is_empty()).unwrap_or_else(crate::auth::random_token),
            address: get("address"),
            contact_name: form.map(|f| field(f, "contact_name").to_owned()).unwrap_or_else(|| actor.display_name.clone()),
            phone: get("phone"),
            note: get("note"),
            method: form.map(|f| field(f, "payment_method").to_owned()).filter(|m| !m.is_empty()).unwrap_or_else(|| "invoice".into()),
            stripe: state.stripe.is_some(),
            errors,
        };
        Ok(render(c, status, &page))
    }
    .await;
    result.unwrap_or_else(|e| internal(c, e))
}

/// `GET /checkout?region=`.
pub async fn checkout(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<CheckoutQuery>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/checkout");
    let actor = match with_role(&c, actor, &BUYERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    checkout_page(&state, &c, &actor, q.region.as_deref(), None, Vec::new(), StatusCode::OK).await
}

/// The order a checkout form's key already placed, if any (the caller's
/// own key, on the checkout endpoint, within its 24 hours).
async fn placed_with(state: &AppState, actor: &Actor, key: Option<&str>) -> sqlx::Result<Option<String>> {
    let Some(key) = key else { return Ok(None) };
    let scope = orders::idempotency::Scope { user_id: actor.id, org_id: actor.org.id, endpoint: orders::idempotency::PLACE_CHECKOUT, key };
    let mut conn = state.db.pool().acquire().await?;
    let stored = orders::idempotency::find(&mut conn, scope).await?.filter(|s| s.status_code == 201);
    Ok(stored
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s.response_body).ok())
        .and_then(|v| v["id"].as_str().map(str::to_owned)))
}

/// `POST /checkout`: places the cart as one order through the API's
/// idempotent path; on success the cart is emptied and the order shown.
pub async fn place(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/checkout");
    let actor = match form_user(&c, actor, &headers, &f, &BUYERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let key = field(&f, "key");
    let key = (!key.is_empty() && key.len() <= 200).then_some(key);
    // A second submit of a form that already placed its order (the cart is
    // empty by then) shows that order.
    match placed_with(&state, &actor, key).await {
        Ok(Some(id)) => return Redirect::to(&format!("/orders/{id}?placed=1")).into_response(),
        Ok(None) => {}
        Err(e) => return internal(&c, e.into()),
    }
    let region = field(&f, "region_code").to_owned();
    let lines = match cart::lines(&state.db, actor.id).await {
        Ok((lines, _)) => lines,
        Err(e) => return internal(&c, e.into()),
    };
    let body = serde_json::json!({
        "lines": lines.iter().map(|l| serde_json::json!({"product_id": l.product_id.to_string(), "quantity": l.quantity})).collect::<Vec<_>>(),
        "delivery": {"region_code": region, "address": field(&f, "address"), "contact_name": field(&f, "contact_name"), "phone": field(&f, "phone")},
        "payment_method": field(&f, "payment_method"),
        "note": field(&f, "note"),
    });
    let res =
        match crate::api::orders::place_once(&state, &actor, orders::idempotency::PLACE_CHECKOUT, key, body.to_string().as_bytes()).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if status == StatusCode::CREATED {
        let id = answer["id"].as_str().unwrap_or_default().to_owned();
        // The order is committed; emptying the cart is a convenience.
        if let Ok(mut tx) = state.db.begin_write().await
            && cart::clear_in(&mut tx, actor.id).await.is_ok()
        {
            let _ = tx.commit().await;
        }
        return Redirect::to(&format!("/orders/{id}?placed=1")).into_response();
    }
    if status.is_server_error() {
        return error_page(&c, StatusCode::INTERNAL_SERVER_ERROR);
    }
    // Two submits at once: the other one placed the order and emptied the cart.
    if let Ok(Some(id)) = placed_with(&state, &actor, key).await {
        return Redirect::to(&format!("/orders/{id}?placed=1")).into_response();
    }
    // The hold cap, explained in the page's language with the numbers now.
    if answer["title"] == crate::api::orders::HOLD_LIMIT_TITLE {
        let errors = match hold_limit_words(&state, &c, &actor, &lines, &answer).await {
            Ok(e) => e,
            Err(e) => return internal(&c, e.into()),
        };
        let mut f = f;
        f.retain(|(k, _)| k != "key");
        return checkout_page(&state, &c, &actor, Some(&region), Some(&f), errors, StatusCode::CONFLICT).await;
    }
    // Name the cart line for line errors: "伽师瓜: only 3 available, 5 ordered".
    let mut errors: Vec<String> = answer["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| {
                    let field = e["field"].as_str().unwrap_or("");
                    let message = e["message"].as_str().unwrap_or("");
                    let line = field.strip_prefix("lines[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
                    match line.and_then(|i| lines.get(i)) {
                        Some(l) => format!("{}: {message}", l.name),
                        None => format!("{field}: {message}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if errors.is_empty() {
        errors.push(answer["detail"].as_str().unwrap_or("the order was not placed").to_owned());
    }
    let shown = if status == StatusCode::CONFLICT { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
    // A refused order keeps its key's answer: the next try needs a new key.
    let mut f = f;
    f.retain(|(k, _)| k != "key");
    checkout_page(&state, &c, &actor, Some(&region), Some(&f), errors, shown).await
}

/// The lines a hold-cap refusal names, in the page's words: what the buyer
/// may hold of each product and holds already.
async fn hold_limit_words(
    state: &AppState,
    c: &Chrome,
    actor: &Actor,
    lines: &[cart::CartLine],
    answer: &serde_json::Value,
) -> sqlx::Result<Vec<String>> {
    let holds = orders::HoldPolicy::from_config(&state.config);
    let mut conn = state.db.pool().acquire().await?;
    let mut out = Vec::new();
    for e in answer["errors"].as_array().into_iter().flatten() {
        let field = e["field"].as_str().unwrap_or("");
        let line = field.strip_prefix("lines[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
        let Some(l) = line.and_then(|i| lines.get(i)) else { continue };
        let room = orders::hold_room(&mut conn, actor.org.id, l.product_id, &holds).await?;
        out.push(
            c.w.hold_limit
                .replace("{product}", &l.name)
                .replace("{percent}", &holds.share_percent.to_string())
                .replace("{cap}", &room.cap.to_string())
                .replace("{held}", &room.held.to_string())
                .replace("{unit}", &room.unit),
        );
    }
    Ok(out)
}

// -------------------------------------------------------------- orders

/// An order in a list.
pub struct OrderSummary {
    id: i64,
    number: String,
    status: String,
    status_label: &'static str,
    buyer: String,
    total: String,
    created: String,
    products: String,
    method: String,
}

fn summary(c: &Chrome, o: &Order) -> OrderSummary {
    OrderSummary {
        id: o.id,
        number: o.number.clone(),
        status: o.status.clone(),
        status_label: c.w.status(&o.status),
        buyer: o.buyer.name.clone(),
        total: o.total_fen.to_string(),
        created: crate::time::china_minute(&o.created_at),
        products: o.lines.iter().map(|l| format!("{} × {}", l.product_name, l.quantity)).collect::<Vec<_>>().join("、"),
        method: o.payment_method.clone(),
    }
}

/// The reserved-share widget of an agency's pages.
pub struct ShareWidget {
    year: i32,
    target: String,
    counted: String,
    percent: Option<String>,
    bar: i64,
    months: Vec<(String, String)>,
}

async fn share_widget(state: &AppState, actor: &Actor) -> sqlx::Result<Option<ShareWidget>> {
    let year = crate::time::today().year();
    let Some(r) = crate::reports::reserved_share(&state.db, actor.org.id, year).await? else { return Ok(None) };
    Ok(Some(ShareWidget {
        year,
        target: r.target_fen.to_string(),
        counted: r.counted_fen.to_string(),
        percent: r.percent.map(|p| format!("{p:.1}%")),
        bar: r.percent.map(|p| p.clamp(0.0, 100.0).round() as i64).unwrap_or(0),
        months: r.months.into_iter().filter(|m| m.counted_fen != Fen::ZERO).map(|m| (m.month, m.counted_fen.to_string())).collect(),
    }))
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage<'a> {
    c: &'a Chrome,
    orders: Vec<OrderSummary>,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    page: i64,
    pages: i64,
    to_accept: i64,
    share: Option<ShareWidget>,
}

/// Query of order lists.
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<i64>,
}

const PER_PAGE: i64 = 20;

/// `GET /orders?status=&page=`: the organisation's orders.
pub async fn list(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/orders");
    let actor = match with_role(&c, actor, &[Role::AgencyBuyer, Role::PartnerBuyer, Role::AgencyApprover]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let status = q.status.filter(|s| orders::OrderStatus::parse(s).is_some()).unwrap_or_default();
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let result: anyhow::Result<Response> = async {
        let (list, total) =
            orders::list(&state.db, actor.org.id, Some(status.as_str()).filter(|s| !s.is_empty()), PER_PAGE, (page - 1) * PER_PAGE).await?;
        let to_accept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE buyer_org_id = $1 AND status = 'delivered'")
            .bind(actor.org.id)
            .fetch_one(state.db.pool())
            .await?;
        let page_view = OrdersPage {
            c: &c,
            orders: list.iter().map(|o| summary(&c, o)).collect(),
            statuses: orders::OrderStatus::ALL
                .iter()
                .filter(|s| **s != orders::OrderStatus::Placed)
                .map(|s| (s.as_str(), c.w.status(s.as_str())))
                .collect(),
            status,
            page,
            pages: (total + PER_PAGE - 1) / PER_PAGE,
            to_accept,
            share: share_widget(&state, &actor).await?,
        };
        Ok(render(&c, StatusCode::OK, &page_view))
    }
    .await;
    result.unwrap_or_else(|e| internal(&c, e))
}

/// A line of the order page.
pub struct LineView {
    id: i64,
    product_id: i64,
    name: String,
    quantity: i64,
    refunded: i64,
    unit_price: String,
    amount: String,
    lots: String,
    status_label: &'static str,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage<'a> {
    c: &'a Chrome,
    o: OrderSummary,
    delivery: String,
    address: String,
    contact: String,
    note: String,
    total: String,
    refunded: Option<String>,
    lines: Vec<LineView>,
    events: Vec<(String, &'static str, String, String)>,
    hold_until: Option<String>,
    reach: Option<orders::Reach>,
    can_cancel: bool,
    can_approve: bool,
    can_accept: bool,
    can_pay_stripe: bool,
    stripe_error: Option<String>,
    coops: Vec<(i64, String)>,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

/// Query of the order page.
#[derive(Deserialize)]
pub struct OrderQuery {
    placed: Option<String>,
    done: Option<String>,
}

async fn order_page(state: &AppState, c: &Chrome, actor: &Actor, id: i64, errors: Vec<String>, notice: Option<&'static str>) -> Response {
    let result: anyhow::Result<Response> = async {
        let Some(o) = orders::get(&state.db, actor.org.id, id).await? else { return Ok(error_page(c, StatusCode::NOT_FOUND)) };
        let region = match RegionCode::parse(&o.delivery.region_code) {
            Ok(code) => crate::regions::get(&state.db, code).await?.map(|r| r.chain_label()),
            Err(_) => None,
        };
        let events = orders::events(&state.db, id)
            .await?
            .into_iter()
            .map(|e| {
                let note = if e.note.starts_with("hold lapsed") { c.w.hold_lapsed.to_owned() } else { e.note };
                (crate::time::china_minute(&e.at), c.w.status(&e.to_status), e.who.unwrap_or_default(), note)
            })
            .collect();
        let paid = !matches!(o.status.as_str(), "placed" | "pending_approval" | "awaiting_payment" | "cancelled");
        let reach = if paid { Some(orders::reach(&state.db, id).await?) } else { None };
        let coops: Vec<(i64, String)> = sqlx::query_as(
            "SELECT DISTINCT l.cooperative_id, g.name FROM order_lines l JOIN organisations g ON g.id = l.cooperative_id \
             WHERE l.order_id = $1 ORDER BY l.cooperative_id",
        )
        .bind(id)
        .fetch_all(state.db.pool())
        .await?;
        let stripe_error: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM stripe_payment_intents WHERE order_id = $1 AND last_error <> '' ORDER BY updated_at DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?;
        let buyer = BUYERS.iter().any(|r| actor.has(*r));
        let page = OrderPage {
            c,
            delivery: region.unwrap_or_else(|| o.delivery.region_code.clone()),
            address: o.delivery.address.clone(),
            contact: format!("{} {}", o.delivery.contact_name, o.delivery.phone),
            note: o.note.clone(),
            total: o.total_fen.to_string(),
            refunded: (o.refunded_fen != Fen::ZERO).then(|| o.refunded_fen.to_string()),
            lines: o
                .lines
                .iter()
                .map(|l| LineView {
                    id: l.id,
                    product_id: l.product_id,
                    name: l.product_name.clone(),
                    quantity: l.quantity,
                    refunded: l.refunded_quantity,
                    unit_price: l.unit_price_fen.to_string(),
                    amount: l.amount_fen.to_string(),
                    lots: l.allocations.iter().map(|a| format!("#{} × {}", a.lot_id, a.quantity)).collect::<Vec<_>>().join(", "),
                    status_label: c.w.status(&l.status),
                })
                .collect(),
            events,
            hold_until: o.hold_until.as_deref().map(crate::time::china_minute),
            reach,
            can_cancel: buyer && orders::CANCELLABLE.contains(&o.status.as_str()),
            can_approve: actor.has(Role::AgencyApprover) && o.status == "pending_approval",
            can_accept: (buyer || actor.has(Role::AgencyApprover)) && o.status == "delivered",
            can_pay_stripe: buyer && o.status == "awaiting_payment" && o.payment_method == "stripe" && state.stripe.is_some(),
            stripe_error: stripe_error.filter(|_| o.status == "awaiting_payment"),
            coops,
            errors,
            notice,
            o: summary(c, &o),
        };
        Ok(render(c, StatusCode::OK, &page))
    }
    .await;
    result.unwrap_or_else(|e| internal(c, e))
}

/// `GET /orders/{id}`.
pub async fn order(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/orders/{id}"));
    let actor = match signed_in(actor) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let notice = if q.placed.is_some() || q.done.is_some() { Some(c.w.done) } else { None };
    order_page(&state, &c, &actor, id, Vec::new(), notice).await
}

/// `POST /orders/{id}/{action}`: cancel, approve, reject, accept (with a
/// rating per cooperative). Back to `next` (the order page by default).
pub async fn act(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/orders/{id}"));
    let actor = match form_user(&c, actor, &headers, &f, &[]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let outcome: Result<(), TransitionError> = match action.as_str() {
        "cancel" => orders::cancel(&state.db, &actor, id).await.map(|_| ()),
        "approve" | "reject" => {
            let t = if action == "approve" { Transition::Approve } else { Transition::Reject };
            orders::transition(&state.db, &actor, id, t, "").await.map(|_| ())
        }
        "accept" => {
            let ratings: Vec<orders::Rating> = f
                .iter()
                .filter_map(|(k, v)| {
                    let coop = crate::ids::parse(k.strip_prefix("stars_")?)?;
                    let comment = field(&f, &format!("comment_{coop}")).trim().to_owned();
                    Some(orders::Rating {
                        cooperative_id: coop,
                        stars: v.parse().unwrap_or(0),
                        comment: Some(comment).filter(|c| !c.is_empty()),
                    })
                })
                .collect();
            match orders::accept(&state.db, &actor, id, &ratings).await {
                Ok(_) => Ok(()),
                Err(orders::AcceptError::Invalid(errors)) => {
                    let messages = errors.0.iter().map(|e| e.message()).collect();
                    return order_page(&state, &c, &actor, id, messages, None).await;
                }
                Err(orders::AcceptError::Transition(e)) => Err(e),
            }
        }
        _ => return error_page(&c, StatusCode::NOT_FOUND),
    };
    match outcome {
        Ok(()) => {
            state.indexer.nudge();
            let next = super::local_path(field(&f, "next")).unwrap_or_else(|| format!("/orders/{id}?done=1"));
            Redirect::to(&next).into_response()
        }
        Err(TransitionError::NotFound) => error_page(&c, StatusCode::NOT_FOUND),
        Err(TransitionError::Db(e)) => internal(&c, e.into()),
        Err(e) => order_page(&state, &c, &actor, id, vec![e.to_string()], None).await,
    }
}

// ------------------------------------------------------- card payment

#[derive(Template)]
#[template(path = "pay.html")]
struct PayPage<'a> {
    c: &'a Chrome,
    id: i64,
    number: String,
    total: String,
    publishable_key: String,
    client_secret: String,
}

/// `POST /orders/{id}/pay`: the PaymentIntent, and Stripe's payment form.
pub async fn pay(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/orders/{id}"));
    let actor = match form_user(&c, actor, &headers, &f, &BUYERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    match orders::start_stripe(&state.db, state.stripe.as_ref(), &actor, id).await {
        Ok(intent) => {
            let o = match orders::get(&state.db, actor.org.id, id).await {
                Ok(Some(o)) => o,
                Ok(None) => return error_page(&c, StatusCode::NOT_FOUND),
                Err(e) => return internal(&c, e.into()),
            };
            let page = PayPage {
                c: &c,
                id,
                number: o.number,
                total: o.total_fen.to_string(),
                publishable_key: state.config.stripe_publishable_key.clone().unwrap_or_default(),
                client_secret: intent.client_secret,
            };
            // The one page that loads Stripe.js: its wider policy replaces
            // the strict one the router would add.
            let mut res = render(&c, StatusCode::OK, &page);
            res.headers_mut().insert(
                axum::http::header::CONTENT_SECURITY_POLICY,
                axum::http::HeaderValue::from_static(super::PAY_PAGE_CONTENT_SECURITY_POLICY),
            );
            res
        }
        Err(orders::StartError::Transition(TransitionError::NotFound)) => error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => order_page(&state, &c, &actor, id, vec![e.to_string()], None).await,
    }
}

// ------------------------------------------------------------- invoice

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage<'a> {
    c: &'a Chrome,
    o: OrderSummary,
    lines: Vec<LineView>,
    total: String,
    total_upper: String,
    payee: &'a crate::config::Payee,
    delivery: String,
}

/// `GET /orders/{id}/invoice`: the printable payment notice.
pub async fn invoice(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/orders/{id}/invoice"));
    let actor = match signed_in(actor) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let o = match orders::get(&state.db, actor.org.id, id).await {
        Ok(Some(o)) if o.payment_method == "invoice" => o,
        Ok(_) => return error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => return internal(&c, e.into()),
    };
    let delivery = format!("{} {} {} {}", o.delivery.region_code, o.delivery.address, o.delivery.contact_name, o.delivery.phone);
    let page = InvoicePage {
        c: &c,
        lines: o
            .lines
            .iter()
            .map(|l| LineView {
                id: l.id,
                product_id: l.product_id,
                name: l.product_name.clone(),
                quantity: l.quantity,
                refunded: l.refunded_quantity,
                unit_price: l.unit_price_fen.to_string(),
                amount: l.amount_fen.to_string(),
                lots: String::new(),
                status_label: c.w.status(&l.status),
            })
            .collect(),
        total: o.total_fen.to_string(),
        total_upper: o.total_fen.chinese_uppercase(),
        payee: &state.config.payee,
        delivery,
        o: summary(&c, &o),
    };
    render(&c, StatusCode::OK, &page)
}

// ------------------------------------------------------------ approvals

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage<'a> {
    c: &'a Chrome,
    orders: Vec<OrderSummary>,
    done: bool,
}

/// `GET /approvals`: the agency's orders awaiting approval.
pub async fn approvals(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<OrderQuery>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/approvals");
    let actor = match with_role(&c, actor, &[Role::AgencyApprover]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match orders::list(&state.db, actor.org.id, Some("pending_approval"), 200, 0).await {
        Ok((list, _)) => {
            let page = ApprovalsPage { c: &c, orders: list.iter().map(|o| summary(&c, o)).collect(), done: q.done.is_some() };
            render(&c, StatusCode::OK, &page)
        }
        Err(e) => internal(&c, e.into()),
    }
}

// -------------------------------------------------------------- finance

#[derive(Template)]
#[template(path = "finance.html")]
struct FinancePage<'a> {
    c: &'a Chrome,
    orders: Vec<OrderSummary>,
    page: i64,
    pages: i64,
    done: Option<String>,
    errors: Vec<String>,
}

/// Query of the finance page.
#[derive(Deserialize)]
pub struct FinanceQuery {
    page: Option<i64>,
    done: Option<String>,
}

async fn finance_page(state: &AppState, c: &Chrome, page: i64, done: Option<String>, errors: Vec<String>) -> Response {
    let filter = orders::Filter { org_id: None, status: Some("awaiting_payment"), payment_method: Some("invoice") };
    match orders::list_filtered(&state.db, filter, PER_PAGE, (page - 1) * PER_PAGE).await {
        Ok((list, total)) => {
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            let view = FinancePage {
                c,
                orders: list.iter().map(|o| summary(c, o)).collect(),
                page,
                pages: (total + PER_PAGE - 1) / PER_PAGE,
                done,
                errors,
            };
            render(c, status, &view)
        }
        Err(e) => internal(c, e.into()),
    }
}

/// `GET /finance/invoices`: bank-transfer orders awaiting confirmation.
pub async fn finance(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<FinanceQuery>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/finance/invoices");
    if let Err(r) = with_role(&c, actor, &[Role::PlatformFinance]) {
        return r;
    }
    finance_page(&state, &c, q.page.unwrap_or(1).clamp(1, 100_000), q.done, Vec::new()).await
}

/// `POST /finance/invoices/{id}` (reference): confirms the transfer.
pub async fn confirm(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/finance/invoices");
    let actor = match form_user(&c, actor, &headers, &f, &[Role::PlatformFinance]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let reference = field(&f, "reference").trim();
    if reference.is_empty() || reference.chars().count() > 100 {
        return finance_page(&state, &c, 1, None, vec![c.w.reference.to_owned() + ": 1–100"]).await;
    }
    match orders::transition(&state.db, &actor, id, Transition::ConfirmInvoice, reference).await {
        Ok(o) => {
            tracing::info!(order.id = id, user.id = actor.id, "bank transfer confirmed");
            Redirect::to(&format!("/finance/invoices?done={}", o.number)).into_response()
        }
        Err(TransitionError::NotFound) => error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => finance_page(&state, &c, 1, None, vec![e.to_string()]).await,
    }
}

// -------------------------------------------------- orders to fulfil

#[derive(Template)]
#[template(path = "fulfil.html")]
struct FulfilPage<'a> {
    c: &'a Chrome,
    coop: String,
    lines: Vec<orders::FulfilLine>,
}

/// `GET /console/orders`: the cooperative's lines to send, with their lots.
pub async fn fulfil(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/orders");
    let actor = match signed_in(actor) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(coop) = actor.managed_cooperative() else { return error_page(&c, StatusCode::FORBIDDEN) };
    match orders::to_fulfil(&state.db, coop, 500).await {
        Ok(lines) => render(&c, StatusCode::OK, &FulfilPage { c: &c, coop: actor.org.name.clone(), lines }),
        Err(e) => internal(&c, e.into()),
    }
}

// ------------------------------------------------------ hub: move orders

#[derive(Template)]
#[template(path = "hub.html")]
struct HubPage<'a> {
    c: &'a Chrome,
    orders: Vec<HubRow>,
    errors: Vec<String>,
    done: bool,
}

/// An order on the hub page: its lines the viewer may move, where it goes,
/// and whether those lines wait for dispatch (else for delivery).
struct HubRow {
    o: OrderSummary,
    destination: String,
    dispatch: bool,
}

const MOVERS: [Role; 2] = [Role::HubOperator, Role::PlatformAdmin];

async fn hub_page(state: &AppState, c: &Chrome, actor: &Actor, errors: Vec<String>, done: bool) -> Response {
    let result: anyhow::Result<Response> = async {
        let list = orders::to_move(&state.db, actor, 200).await?;
        let codes: Vec<RegionCode> = list.iter().filter_map(|o| RegionCode::parse(&o.delivery.region_code).ok()).collect();
        let places = crate::regions::get_many(&state.db, &codes).await?;
        let rows = list
            .iter()
            .map(|o| {
                let destination = RegionCode::parse(&o.delivery.region_code)
                    .ok()
                    .and_then(|code| places.get(&code))
                    .map(|r| r.chain_label())
                    .unwrap_or_else(|| o.delivery.region_code.clone());
                let waiting = o.lines.iter().any(|l| l.status == "waiting" && l.quantity > l.refunded_quantity);
                HubRow { o: summary(c, o), destination, dispatch: waiting }
            })
            .collect();
        let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::CONFLICT };
        Ok(render(c, status, &HubPage { c, orders: rows, errors, done }))
    }
    .await;
    result.unwrap_or_else(|e| internal(c, e))
}

/// `GET /hub/orders`: paid orders to dispatch and dispatched ones to
/// deliver, until routing moves them by shipment scans.
pub async fn hub(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Query(q): Query<OrderQuery>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/hub/orders");
    let actor = match with_role(&c, actor, &MOVERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    hub_page(&state, &c, &actor, Vec::new(), q.done.is_some()).await
}

/// `POST /hub/orders/{id}/{dispatch|deliver}`.
pub async fn hub_step(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/hub/orders");
    let actor = match form_user(&c, actor, &headers, &f, &MOVERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let t = match step.as_str() {
        "dispatch" => Transition::Dispatch,
        "deliver" => Transition::Deliver,
        _ => return error_page(&c, StatusCode::NOT_FOUND),
    };
    match orders::transition(&state.db, &actor, id, t, "").await {
        Ok(_) => Redirect::to("/hub/orders?done=1").into_response(),
        Err(TransitionError::NotFound) => error_page(&c, StatusCode::NOT_FOUND),
        Err(TransitionError::Db(e)) => internal(&c, e.into()),
        Err(e) => hub_page(&state, &c, &actor, vec![e.to_string()], false).await,
    }
}

// ------------------------------------------------------ finance: refunds

/// An order on the refunds page: its lines with the units left to refund,
/// and what was refunded so far.
struct RefundableOrder {
    o: OrderSummary,
    lines: Vec<(LineView, i64)>,
    refunded: String,
}

#[derive(Template)]
#[template(path = "refunds.html")]
struct RefundsPage<'a> {
    c: &'a Chrome,
    number: String,
    order: Option<RefundableOrder>,
    not_found: bool,
    errors: Vec<String>,
    done: Option<String>,
}

/// Query of the refunds page.
#[derive(Deserialize)]
pub struct RefundsQuery {
    number: Option<String>,
    done: Option<String>,
}

async fn refunds_page(state: &AppState, c: &Chrome, number: &str, errors: Vec<String>, done: Option<String>) -> Response {
    let result: anyhow::Result<Response> = async {
        let number = number.trim().to_uppercase();
        let found: Option<(i64, i64)> = if number.is_empty() {
            None
        } else {
            sqlx::query_as("SELECT id, buyer_org_id FROM orders WHERE number = $1").bind(&number).fetch_optional(state.db.pool()).await?
        };
        let order = match found {
            Some((id, buyer)) => orders::get(&state.db, buyer, id).await?,
            None => None,
        };
        let view = order.map(|o| {
            let lines = o
                .lines
                .iter()
                .map(|l| {
                    let left = l.quantity - l.refunded_quantity;
                    let view = LineView {
                        id: l.id,
                        product_id: l.product_id,
                        name: l.product_name.clone(),
                        quantity: l.quantity,
                        refunded: l.refunded_quantity,
                        unit_price: l.unit_price_fen.to_string(),
                        amount: l.amount_fen.to_string(),
                        lots: String::new(),
                        status_label: c.w.status(&l.status),
                    };
                    (view, left)
                })
                .collect();
            RefundableOrder { o: summary(c, &o), lines, refunded: o.refunded_fen.to_string() }
        });
        let status = if !errors.is_empty() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else if !number.is_empty() && view.is_none() {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        let page = RefundsPage { c, not_found: !number.is_empty() && view.is_none(), number, order: view, errors, done };
        Ok(render(c, status, &page))
    }
    .await;
    result.unwrap_or_else(|e| internal(c, e))
}

/// `GET /finance/refunds?number=`: find an order to refund.
pub async fn refunds(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<RefundsQuery>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/finance/refunds");
    if let Err(r) = with_role(&c, actor, &[Role::PlatformFinance]) {
        return r;
    }
    refunds_page(&state, &c, q.number.as_deref().unwrap_or(""), Vec::new(), q.done).await
}

/// `POST /finance/refunds` (number, qty_{line}, reason): refunds through
/// the same function as the API.
pub async fn refund(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/finance/refunds");
    let actor = match form_user(&c, actor, &headers, &f, &[Role::PlatformFinance]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let number = field(&f, "number").to_owned();
    let Some(id) = crate::ids::parse(field(&f, "order_id")) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let lines: Vec<orders::RefundLine> = f
        .iter()
        .filter_map(|(k, v)| {
            let line_id = crate::ids::parse(k.strip_prefix("qty_")?)?;
            let quantity: i64 = v.trim().parse().ok().filter(|q| *q > 0)?;
            Some(orders::RefundLine { line_id, quantity })
        })
        .collect();
    let request = orders::NewRefund { lines, reason: field(&f, "reason").to_owned() };
    match orders::refund(&state.db, state.stripe.as_ref(), &actor, id, &request).await {
        Ok(r) => {
            state.indexer.nudge();
            tracing::info!(order.id = id, refund.id = r.id, user.id = actor.id, "order refunded");
            Redirect::to(&format!("/finance/refunds?number={}&done={}", r.order.number, r.reference)).into_response()
        }
        Err(orders::RefundError::Invalid(errors)) => {
            let messages = errors.0.iter().map(|e| e.message()).collect();
            refunds_page(&state, &c, &number, messages, None).await
        }
        Err(orders::RefundError::Transition(TransitionError::NotFound)) => error_page(&c, StatusCode::NOT_FOUND),
        Err(orders::RefundError::Transition(TransitionError::Db(e))) => internal(&c, e.into()),
        Err(e) => refunds_page(&state, &c, &number, vec![e.to_string()], None).await,
    }
}

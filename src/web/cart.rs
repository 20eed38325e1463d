//! The cart: what a buyer means to order, kept per user until checkout.

use super::page::{BUYERS, Or500};
use super::{Chrome, Fields, Page, PageResult, field};
use crate::app::AppState;
use crate::orders::cart;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// A cart line as shown.
pub(super) struct CartRow {
    pub(super) product_id: i64,
    pub(super) name: String,
    pub(super) unit: String,
    pub(super) cooperative: String,
    pub(super) quantity: i64,
    pub(super) unit_price: String,
    pub(super) amount: String,
    pub(super) next_tier: Option<(i64, String)>,
    pub(super) available: i64,
    pub(super) short: bool,
}

/// The cart's lines as rows; in English the unit is written as after a
/// quantity of several (cases), as the rows show it after quantities.
pub(super) fn cart_rows(lang: super::Lang, lines: Vec<cart::CartLine>) -> Vec<CartRow> {
    lines
        .into_iter()
        .map(|l| CartRow {
            product_id: l.product_id,
            short: l.quantity > l.available,
            name: l.name,
            unit: super::words::unit_for(lang, 2, &l.unit),
            cooperative: l.cooperative,
            quantity: l.quantity,
            unit_price: l.unit_price.to_string(),
            amount: l.amount.to_string(),
            next_tier: l.next_tier.map(|(q, p)| (q, p.to_string())),
            available: l.available,
        })
        .collect()
}

/// A refused update of the cart: in words ("类乌齐牦牛肉 当前仅剩 270
/// 箱，数量未改为 500 箱。"), and the offer to take what is left.
struct Short {
    said: String,
    offer: Option<Offer>,
}

/// The offer to set a line to what is left of its product.
struct Offer {
    product: i64,
    available: i64,
    unit: String,
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
    /// A refused update and what is left to take.
    short: Option<Short>,
}

/// Query of the cart page.
#[derive(Deserialize)]
pub struct CartQuery {
    added: Option<String>,
    full: Option<String>,
    bad_quantity: Option<String>,
    /// The product whose update was refused for want of stock…
    short: Option<String>,
    /// … and the quantity asked for.
    asked: Option<i64>,
}

/// `GET /cart`.
pub async fn cart_page(page: Page, State(state): State<AppState>, Query(q): Query<CartQuery>) -> PageResult {
    let actor = page.with_role(&BUYERS)?;
    let (lines, total) = cart::lines(&state.db, actor.id).await.or_500(&page)?;
    // Said with the numbers as they are now (the stock may have moved
    // since the refusal).
    let short_id = q.short.as_deref().and_then(crate::ids::parse);
    let short = lines.iter().find(|l| Some(l.product_id) == short_id).map(|l| {
        let asked = q.asked.unwrap_or(0).clamp(0, cart::MAX_QUANTITY);
        let said = super::words::fill(
            page.c.w.cart_short,
            &[("product", &l.name), ("available", &l.available.max(0)), ("asked", &asked), ("unit", &l.unit)],
        );
        let offer = (l.available > 0 && l.available != l.quantity).then(|| Offer {
            product: l.product_id,
            available: l.available,
            unit: l.unit.clone(),
        });
        Short { said, offer }
    });
    page.render(
        StatusCode::OK,
        &CartPage {
            c: &page.c,
            short,
            lines: cart_rows(page.c.lang, lines),
            total: total.to_string(),
            added: q.added.is_some(),
            full: q.full.is_some(),
            bad_quantity: q.bad_quantity.is_some(),
        },
    )
}

/// `POST /cart` (product_id, quantity): adds to the cart.
pub async fn cart_add(page: Page, State(state): State<AppState>, Form(f): Form<Fields>) -> PageResult {
    let actor = page.form_user(&f, &BUYERS)?;
    let product = crate::ids::parse(field(&f, "product_id")).ok_or_else(|| page.not_found())?;
    // An empty field means one; anything else must be a whole number in
    // range, or the buyer is told (it used to say "added" and add nothing).
    let text = field(&f, "quantity").trim();
    let quantity: i64 = if text.is_empty() { 1 } else { text.parse().unwrap_or(0) };
    if !(1..=cart::MAX_QUANTITY).contains(&quantity) {
        return Ok(Redirect::to("/cart?bad_quantity=1").into_response());
    }
    match cart::add(&state.db, actor.id, product, quantity).await.or_500(&page)? {
        cart::Added::Yes => Ok(Redirect::to("/cart?added=1").into_response()),
        cart::Added::CartFull => Ok(Redirect::to("/cart?full=1").into_response()),
        cart::Added::NoSuchProduct => Err(page.not_found()),
    }
}

/// `POST /cart/{product_id}` (quantity; 0 or `remove` removes the line).
pub async fn cart_set(page: Page, State(state): State<AppState>, Path(product): Path<String>, Form(f): Form<Fields>) -> PageResult {
    let page = page.at("/cart");
    let actor = page.form_user(&f, &BUYERS)?;
    let product = crate::ids::parse(&product).ok_or_else(|| page.not_found())?;
    // "Remove", or a quantity of 0, takes the line out; anything that is not
    // a whole number up to the maximum is explained and changes nothing (it
    // used to remove the line without a word).
    let quantity = if field(&f, "remove").is_empty() {
        match field(&f, "quantity").trim().parse::<i64>() {
            Ok(q) if (0..=cart::MAX_QUANTITY).contains(&q) => q,
            _ => return Ok(Redirect::to("/cart?bad_quantity=1").into_response()),
        }
    } else {
        0
    };
    // Never more than is on sale now, and never silently less: the line
    // stays as it was and the page offers what is left.
    match cart::set(&state.db, actor.id, product, quantity).await.or_500(&page)? {
        cart::Set::Done => Ok(Redirect::to("/cart").into_response()),
        cart::Set::Short { .. } => {
            let to = format!("/cart?short={product}&asked={quantity}#line-{product}");
            Ok(Redirect::to(&to).into_response())
        }
    }
}

//! The cart: what a buyer means to order, kept per user until checkout.

use super::access::*;
use super::pages::internal;
use super::{Chrome, Fields, error_page, field, render};
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::orders::cart;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
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

pub(super) fn cart_rows(lines: Vec<cart::CartLine>) -> Vec<CartRow> {
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

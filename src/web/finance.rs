//! Finance: bank-transfer invoices to confirm, and refunds.

use super::access::*;
use super::orders::{LineView, OrderSummary, PER_PAGE, summary};
use super::pages::internal;
use super::{Chrome, Fields, error_page, field, render};
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::auth::Role;
use crate::orders::{self, Transition, TransitionError};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

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
            let messages = errors.0.iter().map(|e| e.message.clone()).collect();
            refunds_page(&state, &c, &number, messages, None).await
        }
        Err(orders::RefundError::Transition(TransitionError::NotFound)) => error_page(&c, StatusCode::NOT_FOUND),
        Err(orders::RefundError::Transition(TransitionError::Db(e))) => internal(&c, e.into()),
        Err(e) => refunds_page(&state, &c, &number, vec![e.to_string()], None).await,
    }
}

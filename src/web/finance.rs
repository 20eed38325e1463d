//! Finance: bank-transfer invoices to confirm (orders awaiting payment, and
//! orders on credit terms whose goods went first), the overdue ones among
//! them, and refunds.

use super::orders::{LineView, OrderSummary, PER_PAGE, summary};
use super::page::Or500;
use super::{Chrome, Fields, Page, PageResult, field};
use crate::app::AppState;
use crate::auth::Role;
use crate::orders::{self, Transition, TransitionError};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "finance.html")]
struct FinancePage<'a> {
    c: &'a Chrome,
    /// Orders on credit terms unpaid past their due date (the first page).
    overdue: Vec<OrderSummary>,
    /// "共 3 笔逾期未付".
    overdue_count: String,
    orders: Vec<OrderSummary>,
    page: i64,
    pages: i64,
    /// Invoices awaiting confirmation, over all pages.
    total: i64,
    done: Option<String>,
    errors: Vec<String>,
    /// For platform finance only: the payee settings still missing, so
    /// invoices show no account to pay into.
    payee_missing: Option<String>,
}

/// Query of the finance page.
#[derive(Deserialize)]
pub struct FinanceQuery {
    page: Option<i64>,
    done: Option<String>,
}

/// The invoices awaiting confirmation, page `number`, with `errors` of a
/// refused confirmation; above them the overdue orders on credit terms.
async fn finance_page(state: &AppState, page: &Page, number: i64, done: Option<String>, errors: Vec<String>) -> PageResult {
    let filter = orders::Filter { payment_method: Some("invoice"), payable: true, ..orders::Filter::default() };
    let (list, total) = orders::list_filtered(&state.db, filter, PER_PAGE, (number - 1) * PER_PAGE).await.or_500(page)?;
    let today = crate::time::format_date(crate::time::china_today());
    let overdue_filter = orders::Filter { overdue_on: Some(&today), ..orders::Filter::default() };
    let (overdue, overdue_total) = orders::list_filtered(&state.db, overdue_filter, PER_PAGE, 0).await.or_500(page)?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let c = &page.c;
    let view = FinancePage {
        c,
        overdue: overdue.iter().map(|o| summary(c, o)).collect(),
        overdue_count: super::words::fill(c.w.finance_overdue_count, &[("total", &overdue_total)]),
        orders: list.iter().map(|o| summary(c, o)).collect(),
        page: number,
        pages: (total + PER_PAGE - 1) / PER_PAGE,
        total,
        done,
        errors,
        payee_missing: Some(state.config.payee.missing())
            .filter(|m| !m.is_empty())
            .map(|m| super::words::fill(c.w.finance_payee_missing, &[("settings", &m.join(c.lang.pick("、", ", ")))])),
    };
    page.render(status, &view)
}

/// `GET /finance/invoices`: bank-transfer orders awaiting confirmation,
/// overdue ones on credit terms first.
pub async fn finance(page: Page, State(state): State<AppState>, Query(q): Query<FinanceQuery>) -> PageResult {
    page.with_role(&[Role::PlatformFinance])?;
    finance_page(&state, &page, q.page.unwrap_or(1).clamp(1, 100_000), q.done, Vec::new()).await
}

/// `POST /finance/invoices/{id}` (reference): confirms the transfer.
pub async fn confirm(page: Page, State(state): State<AppState>, Path(id): Path<String>, Form(f): Form<Fields>) -> PageResult {
    let page = page.at("/finance/invoices");
    let actor = page.form_user(&f, &[Role::PlatformFinance])?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let reference = field(&f, "reference").trim();
    // Money that is confirmed cannot be unconfirmed: the row's box must be
    // ticked (the browser asks; this is for a form sent without it).
    if field(&f, "confirm") != "1" {
        return finance_page(&state, &page, 1, None, vec![page.c.w.confirm_needed.to_owned()]).await;
    }
    if reference.is_empty() || reference.chars().count() > 100 {
        return finance_page(
            &state,
            &page,
            1,
            None,
            vec![super::words::problem(page.c.lang, page.c.w.reference, &crate::validation::Problem::BankReference { max: 100 })],
        )
        .await;
    }
    match orders::transition(&state.db, &actor, id, Transition::ConfirmInvoice, reference).await {
        Ok(o) => {
            tracing::info!(order.id = id, user.id = actor.id, "bank transfer confirmed");
            Ok(Redirect::to(&format!("/finance/invoices?done={}", o.number)).into_response())
        }
        Err(TransitionError::NotFound) => Err(page.not_found()),
        Err(e) => finance_page(&state, &page, 1, None, vec![super::words::transition_error(page.c.lang, &e)]).await,
    }
}

// ------------------------------------------------------ finance: refunds

/// An order on the refunds page: its lines with the units left to refund,
/// and what was refunded so far.
struct RefundableOrder {
    o: OrderSummary,
    /// Each line, the units left to refund, and the units typed (0).
    lines: Vec<(LineView, i64, String)>,
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
    /// The reason of a refused refund, as typed (its quantities are kept
    /// in the lines).
    reason: String,
}

/// Query of the refunds page.
#[derive(Deserialize)]
pub struct RefundsQuery {
    number: Option<String>,
    done: Option<String>,
}

/// The refunds page: the order with `number` (any buyer's: finance
/// refunds for the platform), with `errors` of a refused refund.
async fn refunds_page(
    state: &AppState,
    page: &Page,
    number: &str,
    errors: Vec<String>,
    done: Option<String>,
    typed: &Fields,
) -> PageResult {
    let c = &page.c;
    let result: anyhow::Result<PageResult> = async {
        let number = number.trim().to_uppercase();
        let order = if number.is_empty() { None } else { orders::find_by_number(&state.db, &number).await? };
        let view = order.map(|o| {
            let lines = o
                .lines
                .iter()
                .map(|l| {
                    let left = l.quantity - l.refunded_quantity;
                    let view = LineView::of(c, l);
                    let qty = field(typed, &format!("qty_{}", l.id)).trim();
                    let qty = if qty.is_empty() { "0".to_owned() } else { qty.chars().take(12).collect() };
                    (view, left, qty)
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
        let view = RefundsPage {
            c,
            not_found: !number.is_empty() && view.is_none(),
            number,
            order: view,
            errors,
            done,
            reason: field(typed, "reason").to_owned(),
        };
        Ok(page.render(status, &view))
    }
    .await;
    result.or_500(page)?
}

/// `GET /finance/refunds?number=`: find an order to refund.
pub async fn refunds(page: Page, State(state): State<AppState>, Query(q): Query<RefundsQuery>) -> PageResult {
    page.with_role(&[Role::PlatformFinance])?;
    refunds_page(&state, &page, q.number.as_deref().unwrap_or(""), Vec::new(), q.done, &Fields::new()).await
}

/// `POST /finance/refunds` (number, qty_{line}, reason): refunds through
/// the same function as the API.
pub async fn refund(page: Page, State(state): State<AppState>, Form(f): Form<Fields>) -> PageResult {
    let actor = page.form_user(&f, &[Role::PlatformFinance])?;
    let number = field(&f, "number").to_owned();
    let id = crate::ids::parse(field(&f, "order_id")).ok_or_else(|| page.not_found())?;
    let lines: Vec<orders::RefundLine> = f
        .iter()
        .filter_map(|(k, v)| {
            let line_id = crate::ids::parse(k.strip_prefix("qty_")?)?;
            let quantity: i64 = v.trim().parse().ok().filter(|q| *q > 0)?;
            Some(orders::RefundLine { line_id, quantity })
        })
        .collect();
    let reason = field(&f, "reason");
    // A refund cannot be taken back: the box must be ticked.
    if field(&f, "confirm") != "1" {
        return refunds_page(&state, &page, &number, vec![page.c.w.confirm_needed.to_owned()], None, &f).await;
    }
    let request = orders::NewRefund { lines, reason: reason.to_owned() };
    match orders::refund(&state.db, state.stripe.as_ref(), &actor, id, &request).await {
        Ok(r) => {
            tracing::info!(order.id = id, refund.id = r.id, user.id = actor.id, "order refunded");
            Ok(Redirect::to(&format!("/finance/refunds?number={}&done={}", r.order.number, r.reference)).into_response())
        }
        Err(orders::RefundError::Invalid(errors)) => {
            let messages = super::words::field_errors(page.c.lang, &errors);
            refunds_page(&state, &page, &number, messages, None, &f).await
        }
        Err(orders::RefundError::Transition(TransitionError::NotFound)) => Err(page.not_found()),
        Err(orders::RefundError::Transition(TransitionError::Db(e))) => Err(page.fail(e)),
        Err(orders::RefundError::Transition(e)) => {
            refunds_page(&state, &page, &number, vec![super::words::transition_error(page.c.lang, &e)], None, &f).await
        }
        Err(orders::RefundError::Stripe(e)) => {
            refunds_page(&state, &page, &number, vec![super::words::stripe_failure(page.c.lang, &e)], None, &f).await
        }
    }
}

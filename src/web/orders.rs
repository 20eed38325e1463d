//! The order list (with the reserved-share widget and acceptance
//! reminders), the order page with its actions, card payment and the
//! printable invoice.

use super::page::{BUYERS, Or500};
use super::{Chrome, Fields, Page, PageResult, field};
use crate::app::AppState;
use crate::auth::{Actor, Role};
use crate::money::Fen;
use crate::orders::{self, Order, Transition, TransitionError};
use crate::regions::RegionCode;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// An order in a list.
pub(super) struct OrderSummary {
    pub(super) id: i64,
    pub(super) number: String,
    pub(super) status: String,
    pub(super) status_label: &'static str,
    pub(super) buyer: String,
    pub(super) total: String,
    pub(super) created: String,
    pub(super) products: String,
    pub(super) method: String,
    /// For an order on credit terms: its terms, and its due date once
    /// accepted ("账期 30 天，应付日期 2027-01-19").
    pub(super) terms: Option<String>,
    /// Unpaid past its due date.
    pub(super) overdue: bool,
}

/// The credit terms of order `o` in the page's words, if it has any.
fn terms_words(c: &Chrome, o: &Order) -> Option<String> {
    let days = o.credit_terms_days?;
    Some(match (&o.paid_at, &o.due_on) {
        (Some(_), _) => super::words::fill(c.w.credit_terms_paid, &[("days", &days)]),
        (None, Some(due)) => super::words::fill(c.w.credit_terms_due, &[("days", &days), ("due", &c.w.day(due))]),
        (None, None) => super::words::fill(c.w.credit_terms_pending, &[("days", &days)]),
    })
}

pub(super) fn summary(c: &Chrome, o: &Order) -> OrderSummary {
    OrderSummary {
        id: o.id,
        number: o.number.clone(),
        status: o.status.as_str().to_owned(),
        status_label: c.w.status(o.status.as_str()),
        buyer: o.buyer.name.clone(),
        total: o.total_fen.to_string(),
        created: c.w.when(&o.created_at),
        products: o.lines.iter().map(|l| format!("{} × {}", l.product_name, l.quantity)).collect::<Vec<_>>().join("、"),
        method: o.payment_method.as_str().to_owned(),
        terms: terms_words(c, o),
        overdue: o.overdue,
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
    let year = crate::time::china_today().year();
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
    /// Orders in the list, over all its pages.
    total: i64,
    to_accept: i64,
    share: Option<ShareWidget>,
}

/// Query of order lists.
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<i64>,
}

pub(super) const PER_PAGE: i64 = 20;

/// `GET /orders?status=&page=`: the organisation's orders.
pub async fn list(page: Page, State(state): State<AppState>, Query(q): Query<ListQuery>) -> PageResult {
    let actor = page.with_role(&[Role::AgencyBuyer, Role::PartnerBuyer, Role::AgencyApprover])?;
    let c = &page.c;
    let status = q.status.filter(|s| orders::OrderStatus::parse(s).is_some()).unwrap_or_default();
    let number = q.page.unwrap_or(1).clamp(1, 100_000);
    let result: anyhow::Result<PageResult> = async {
        let (list, total) =
            orders::list(&state.db, actor.org.id, Some(status.as_str()).filter(|s| !s.is_empty()), PER_PAGE, (number - 1) * PER_PAGE)
                .await?;
        let to_accept = orders::awaiting_acceptance(&state.db, actor.org.id).await?;
        let page_view = OrdersPage {
            c,
            orders: list.iter().map(|o| summary(c, o)).collect(),
            statuses: orders::OrderStatus::ALL
                .iter()
                .filter(|s| **s != orders::OrderStatus::Placed)
                .map(|s| (s.as_str(), c.w.status(s.as_str())))
                .collect(),
            status,
            page: number,
            pages: (total + PER_PAGE - 1) / PER_PAGE,
            total,
            to_accept,
            share: share_widget(&state, &actor).await?,
        };
        Ok(page.render(StatusCode::OK, &page_view))
    }
    .await;
    result.or_500(&page)?
}

/// A line of the order page.
pub(super) struct LineView {
    pub(super) id: i64,
    pub(super) product_id: i64,
    pub(super) name: String,
    pub(super) quantity: i64,
    pub(super) refunded: i64,
    pub(super) unit_price: String,
    pub(super) amount: String,
    pub(super) status_label: &'static str,
}

impl LineView {
    /// Line `l` in the page's words. Which lots hold it is the
    /// cooperative's business, not shown to buyers (their goods' journey
    /// is: see `chain.rs`).
    pub(super) fn of(c: &Chrome, l: &orders::Line) -> LineView {
        LineView {
            id: l.id,
            product_id: l.product_id,
            name: l.product_name.clone(),
            quantity: l.quantity,
            refunded: l.refunded_quantity,
            unit_price: l.unit_price_fen.to_string(),
            amount: l.amount_fen.to_string(),
            status_label: c.w.status(l.status.as_str()),
        }
    }
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
    /// Whom the money reached (paid orders): per cooperative and village.
    reach: Option<ReachTable>,
    terms: Option<String>,
    overdue: bool,
    can_cancel: bool,
    can_approve: bool,
    can_accept: bool,
    can_pay_stripe: bool,
    stripe_error: Option<String>,
    coops: Vec<(i64, String)>,
    /// The ratings given at acceptance.
    ratings: Vec<orders::GivenRating>,
    /// A reason typed into a refused reject or cancel, shown again.
    reason: String,
    errors: Vec<String>,
    notice: Option<&'static str>,
    journeys: Vec<super::chain::Journey>,
    /// Said instead of (or before) the journeys: the goods start moving
    /// once paid; none when the order was cancelled.
    tracking_note: Option<&'static str>,
    show_tracking: bool,
}

/// Query of the order page.
#[derive(Deserialize)]
pub(super) struct OrderQuery {
    pub(super) placed: Option<String>,
    pub(super) done: Option<String>,
}

/// The order page, with `errors` of a refused action or a `notice`.
async fn order_page(
    state: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<String>,
    notice: Option<&'static str>,
) -> PageResult {
    order_page_with(state, page, actor, id, Refused { errors, reason: String::new(), status: StatusCode::OK }, notice).await
}

/// A refused action of the order page: its problems in words, the reason
/// as typed, and the page's status.
struct Refused {
    errors: Vec<String>,
    reason: String,
    status: StatusCode,
}

/// The order page after a refused action (see [`order_page`]).
async fn order_page_with(
    state: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    refused: Refused,
    notice: Option<&'static str>,
) -> PageResult {
    let Refused { errors, reason, status } = refused;
    let c = &page.c;
    let result: anyhow::Result<PageResult> = async {
        let Some(o) = orders::get(&state.db, actor.org.id, id).await? else { return Ok(Err(page.not_found())) };
        let region = match RegionCode::parse(&o.delivery.region_code) {
            Ok(code) => crate::regions::get(&state.db, code).await?.map(|r| super::words::chain(c.lang, &r.chain_label())),
            Err(_) => None,
        };
        let events = orders::events(&state.db, id)
            .await?
            .into_iter()
            .map(|e| {
                // A payment confirmed after the goods moved (credit terms)
                // is an event in place: shown as the payment it is.
                if let Some(reference) = e.note.strip_prefix(orders::PAID_IN_PLACE) {
                    return (c.w.when(&e.at), c.w.status("paid"), e.who.unwrap_or_default(), reference.to_owned());
                }
                let note = if e.note.starts_with("hold lapsed") {
                    c.w.hold_lapsed.to_owned()
                } else if let Some(refund) = refund_note(c, &e.note) {
                    refund
                } else if e.to_status == "cancelled" && !e.note.is_empty() {
                    // A reject's or a cancel's reason, as the person gave it.
                    super::words::fill(c.w.history_reason, &[("reason", &e.note)])
                } else {
                    scan_note(c, e.note)
                };
                (c.w.when(&e.at), c.w.status(&e.to_status), e.who.unwrap_or_default(), note)
            })
            .collect();
        let paid = o.paid_at.is_some();
        let reach = if paid { Some(reach_table(state, actor, c.lang, orders::reach(&state.db, id).await?).await?) } else { None };
        let coops = orders::cooperatives(&state.db, id).await?;
        let ratings = orders::ratings(&state.db, id).await?;
        let stripe_error = orders::last_stripe_error(&state.db, id).await?;
        let buyer = BUYERS.iter().any(|r| actor.has(*r));
        let tracking = crate::distribution::views::tracking(&state.db, actor, id).await?;
        let journeys = tracking.as_ref().map(|t| super::chain::journeys(c, t)).unwrap_or_default();
        let routed = journeys.iter().any(|j| !j.routes.is_empty());
        use orders::OrderStatus;
        let tracking_note = match o.status {
            _ if routed => None,
            // On credit terms the goods leave once the order is approved.
            OrderStatus::Placed | OrderStatus::PendingApproval if o.credit_terms_days.is_some() => Some(c.w.track_before_approval),
            OrderStatus::Placed | OrderStatus::PendingApproval | OrderStatus::AwaitingPayment => Some(c.w.track_before_release),
            _ => Some(c.w.track_not_routed),
        };
        let view = OrderPage {
            journeys: if routed { journeys } else { Vec::new() },
            tracking_note,
            show_tracking: !matches!(o.status, orders::OrderStatus::Cancelled),
            c,
            // Never the 12-digit code: a place the table does not know is
            // left to the address line below it.
            delivery: region.unwrap_or_default(),
            address: o.delivery.address.clone(),
            contact: format!("{} {}", o.delivery.contact_name, o.delivery.phone),
            note: o.note.clone(),
            total: o.total_fen.to_string(),
            refunded: (o.refunded_fen != Fen::ZERO).then(|| o.refunded_fen.to_string()),
            lines: o.lines.iter().map(|l| LineView::of(c, l)).collect(),
            events,
            hold_until: o.hold_until.as_deref().map(|t| c.w.when(t)),
            reach,
            terms: terms_words(c, &o),
            overdue: o.overdue,
            can_cancel: buyer && o.status.is_cancellable(o.released_at.is_some()),
            can_approve: actor.has(Role::AgencyApprover) && o.status == orders::OrderStatus::PendingApproval,
            can_accept: (buyer || actor.has(Role::AgencyApprover)) && o.status == orders::OrderStatus::Delivered,
            can_pay_stripe: buyer
                && o.status == orders::OrderStatus::AwaitingPayment
                && o.payment_method == orders::PaymentMethod::Stripe
                && state.stripe.is_some(),
            stripe_error: stripe_error.filter(|_| o.status == orders::OrderStatus::AwaitingPayment),
            coops,
            ratings,
            reason,
            errors,
            notice,
            o: summary(c, &o),
        };
        Ok(page.render(status, &view))
    }
    .await;
    result.or_500(page)?
}

/// A refund's event note (`refund RF…: 120.00 — 破损`, as the refund
/// writes it) in the page's words, with its reason.
fn refund_note(c: &Chrome, note: &str) -> Option<String> {
    let (reference, rest) = note.strip_prefix("refund ")?.split_once(": ")?;
    let (amount, reason) = rest.split_once(" — ")?;
    Some(super::words::fill(c.w.history_refund, &[("reference", &reference), ("amount", &format!("¥{amount}")), ("reason", &reason)]))
}

/// One cooperative's households of one village on the order page.
pub(super) struct ReachLine {
    cooperative: String,
    village: String,
    /// The village's report, when the viewer may read it.
    href: Option<String>,
    households: i64,
    registered_poor: i64,
    gross: String,
    income: String,
}

/// The order page's table of whom the money reached, with its totals.
pub(super) struct ReachTable {
    rows: Vec<ReachLine>,
    households: i64,
    registered_poor: i64,
    gross: String,
    income: String,
}

/// The ledger's reach of an order as the page shows it: money as yuan,
/// each village linked to its report where the viewer may read it — its
/// households' report for officials of its region and the platform, the
/// township's rollup (which lists the village) for a partner city paired
/// with it, no link for anyone else.
async fn reach_table(state: &AppState, actor: &Actor, lang: super::Lang, reach: orders::Reach) -> anyhow::Result<ReachTable> {
    use crate::reports::households::Scope;
    let scope = Scope::of(actor);
    let regional = crate::reports::regions::reach_of(&state.db, actor).await?;
    let href = |code: &str| -> Option<String> {
        let village = RegionCode::parse(code).ok()?;
        let own = match &scope {
            Some(Scope::All) => true,
            Some(Scope::Region(r)) => r.contains(village),
            _ => false,
        };
        if own {
            return Some(format!("/reports/regions?parent={village}"));
        }
        let township = village.ancestor(crate::regions::RegionLevel::Township)?;
        regional.as_ref().filter(|r| r.covers(village)).map(|_| format!("/reports/regions?parent={township}"))
    };
    Ok(ReachTable {
        rows: reach
            .rows
            .iter()
            .map(|r| ReachLine {
                cooperative: super::words::org_name(lang, &r.cooperative, r.cooperative_en.as_deref()),
                village: super::words::village_in_county(lang, &r.county, &r.village),
                href: href(&r.village_code),
                households: r.households,
                registered_poor: r.registered_poor,
                gross: r.gross.to_string(),
                income: r.income.to_string(),
            })
            .collect(),
        households: reach.households,
        registered_poor: reach.registered_poor,
        gross: reach.gross.to_string(),
        income: reach.income.to_string(),
    })
}

/// The note of a line's move by a scan (`dispatched SH3K9QX2M7`), in the
/// page's words: the event, then the shipment's code.
fn scan_note(c: &Chrome, note: String) -> String {
    match note.split_once(' ') {
        Some((event, code)) if crate::distribution::shipments::looks_like_code(code) => {
            match crate::distribution::shipments::ScanEvent::parse(event) {
                Some(e) => format!("{} {code}", c.w.scan_event(e)),
                None => note,
            }
        }
        _ => note,
    }
}

/// `GET /orders/{id}`.
pub async fn order(page: Page, State(state): State<AppState>, Path(id): Path<String>, Query(q): Query<OrderQuery>) -> PageResult {
    let actor = page.user()?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let notice = if q.placed.is_some() || q.done.is_some() { Some(page.c.w.done) } else { None };
    order_page(&state, &page, &actor, id, Vec::new(), notice).await
}

#[derive(Template)]
#[template(path = "placed.html")]
struct PlacedPage<'a> {
    c: &'a Chrome,
    o: OrderSummary,
    /// What happens next, step by step, in words.
    steps: Vec<String>,
    /// Pay by bank transfer: link the invoice.
    invoice: bool,
}

/// `GET /orders/{id}/placed`: the confirmation after checkout — the
/// order's number and amount, and what happens next (approval, payment,
/// delivery) for this order.
pub async fn placed(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let actor = page.user()?;
    let c = &page.c;
    let w = c.w;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let o = orders::get(&state.db, actor.org.id, id).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    let place = match RegionCode::parse(&o.delivery.region_code) {
        Ok(code) => crate::regions::get(&state.db, code).await.or_500(&page)?.map(|r| r.chain_label()),
        Err(_) => None,
    }
    .unwrap_or_default();
    let fill = super::words::fill;
    let mut steps = Vec::new();
    if o.status == orders::OrderStatus::PendingApproval {
        steps.push(match o.hold_until.as_deref() {
            Some(until) => fill(w.next_approval, &[("until", &w.when(until))]),
            None => w.next_approval_plain.to_owned(),
        });
    }
    let invoice = o.payment_method == orders::PaymentMethod::Invoice;
    match o.credit_terms_days {
        Some(days) => steps.push(fill(w.next_credit, &[("days", &days)])),
        None if invoice => steps.push(w.next_pay_invoice.to_owned()),
        None => steps.push(w.next_pay_stripe.to_owned()),
    }
    steps.push(fill(w.next_delivery, &[("place", &place)]));
    page.render(StatusCode::OK, &PlacedPage { c, o: summary(c, &o), steps, invoice })
}

/// `POST /orders/{id}/{action}`: cancel, approve, reject, accept (with a
/// rating per cooperative). Back to `next` (the order page by default).
pub async fn act(
    page: Page,
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> PageResult {
    let page = page.at(&format!("/orders/{id}"));
    let actor = page.form_user(&f, &[])?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    if !matches!(action.as_str(), "cancel" | "approve" | "reject" | "accept") {
        return Err(page.not_found());
    }
    // None of these can be undone: each form has a box to tick (the
    // browser asks for it; this is for a form sent without it), and a
    // reject or a cancel says why. A refusal changes nothing and keeps
    // what was typed.
    let typed = field(&f, "reason").to_owned();
    let refuse = |message: String| Refused { errors: vec![message], reason: typed.clone(), status: StatusCode::UNPROCESSABLE_ENTITY };
    if field(&f, "confirm") != "1" {
        return order_page_with(&state, &page, &actor, id, refuse(page.c.w.confirm_needed.to_owned()), None).await;
    }
    let reason = match action.as_str() {
        "cancel" | "reject" => match orders::check_reason(&typed, true) {
            Ok(r) => r,
            Err(p) => {
                let label = if action == "cancel" { page.c.w.cancel_reason } else { page.c.w.reject_reason };
                return order_page_with(&state, &page, &actor, id, refuse(super::words::problem(page.c.lang, label, &p)), None).await;
            }
        },
        _ => String::new(),
    };
    let outcome: Result<(), TransitionError> = match action.as_str() {
        "cancel" => orders::cancel(&state.db, &actor, id, &reason).await.map(|_| ()),
        "approve" | "reject" => {
            let t = if action == "approve" { Transition::Approve } else { Transition::Reject };
            orders::transition(&state.db, &actor, id, t, &reason).await.map(|_| ())
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
                    let messages = super::words::field_errors(page.c.lang, &errors);
                    return order_page(&state, &page, &actor, id, messages, None).await;
                }
                Err(orders::AcceptError::Transition(e)) => Err(e),
            }
        }
        _ => return Err(page.not_found()),
    };
    match outcome {
        Ok(()) => {
            let next = super::local_path(field(&f, "next")).unwrap_or_else(|| format!("/orders/{id}?done=1"));
            Ok(Redirect::to(&next).into_response())
        }
        Err(TransitionError::NotFound) => Err(page.not_found()),
        Err(TransitionError::Db(e)) => Err(page.fail(e)),
        Err(e) => order_page(&state, &page, &actor, id, vec![super::words::transition_error(page.c.lang, &e)], None).await,
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
pub async fn pay(page: Page, State(state): State<AppState>, Path(id): Path<String>, Form(f): Form<Fields>) -> PageResult {
    let page = page.at(&format!("/orders/{id}"));
    let actor = page.form_user(&f, &BUYERS)?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    match orders::start_stripe(&state.db, state.stripe.as_ref(), &actor, id).await {
        Ok(intent) => {
            let o = orders::get(&state.db, actor.org.id, id).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
            let view = PayPage {
                c: &page.c,
                id,
                number: o.number,
                total: o.total_fen.to_string(),
                publishable_key: state.config.stripe_publishable_key.clone().unwrap_or_default(),
                client_secret: intent.client_secret,
            };
            // The one page that loads Stripe.js: its wider policy replaces
            // the strict one the router would add.
            let mut res = page.render(StatusCode::OK, &view)?;
            res.headers_mut().insert(
                axum::http::header::CONTENT_SECURITY_POLICY,
                axum::http::HeaderValue::from_static(super::PAY_PAGE_CONTENT_SECURITY_POLICY),
            );
            Ok(res)
        }
        Err(orders::StartError::Transition(TransitionError::NotFound)) => Err(page.not_found()),
        Err(orders::StartError::Transition(e)) => {
            order_page(&state, &page, &actor, id, vec![super::words::transition_error(page.c.lang, &e)], None).await
        }
        Err(orders::StartError::Stripe(e)) => {
            order_page(&state, &page, &actor, id, vec![super::words::stripe_failure(page.c.lang, &e)], None).await
        }
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
    /// Who is paid.
    payee: &'a str,
    /// The payee's bank and account; `None` while they are not configured
    /// (buyers get a neutral line, never the settings' names).
    account: Option<(&'a str, &'a str)>,
    delivery: String,
    /// Today, China's date: the day this notice is issued.
    issued: String,
    /// When payment is due, in words (with the credit terms, if any).
    due: Option<String>,
}

/// When order `o` is to be paid, in the page's words: paid already; the
/// due date of credit terms (or "within N days of acceptance" before
/// acceptance); or the end of the hold of an unpaid order.
fn due_words(c: &Chrome, o: &Order) -> Option<String> {
    use super::words::{day, fill};
    if let Some(paid) = &o.paid_at {
        return Some(fill(c.w.invoice_paid_on, &[("paid", &c.w.when(paid))]));
    }
    if let Some(days) = o.credit_terms_days {
        return Some(match &o.due_on {
            Some(due) => fill(c.w.invoice_due_terms, &[("due", &day(c.lang, due)), ("days", &days)]),
            None => fill(c.w.invoice_due_after_acceptance, &[("days", &days)]),
        });
    }
    if o.status == orders::OrderStatus::Cancelled {
        return None;
    }
    o.hold_until.as_deref().map(|t| fill(c.w.invoice_due_hold, &[("due", &c.w.when(t))]))
}

/// `GET /orders/{id}/invoice`: the printable payment notice.
pub async fn invoice(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let actor = page.user()?;
    let c = &page.c;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let o = orders::get(&state.db, actor.org.id, id).await.or_500(&page)?.filter(|o| o.payment_method == orders::PaymentMethod::Invoice);
    let o = o.ok_or_else(|| page.not_found())?;
    // The place by its names (省 › 地区 › 县 …), never its 12-digit code.
    let place = match RegionCode::parse(&o.delivery.region_code) {
        Ok(code) => crate::regions::get(&state.db, code).await.or_500(&page)?.map(|r| super::words::chain(c.lang, &r.chain_label())),
        Err(_) => None,
    };
    let place = place.unwrap_or_default();
    let delivery = format!("{place} {} {} {}", o.delivery.address, o.delivery.contact_name, o.delivery.phone).trim().to_owned();
    let payee = &state.config.payee;
    let view = InvoicePage {
        c,
        lines: o.lines.iter().map(|l| LineView::of(c, l)).collect(),
        total: o.total_fen.to_string(),
        total_upper: o.total_fen.chinese_uppercase(),
        payee: &payee.name,
        account: match (&payee.bank, &payee.account) {
            (Some(bank), Some(account)) => Some((bank.as_str(), account.as_str())),
            _ => None,
        },
        delivery,
        issued: super::words::day(c.lang, &crate::time::format_date(crate::time::china_today())),
        due: due_words(c, &o),
        o: summary(c, &o),
    };
    page.render(StatusCode::OK, &view)
}

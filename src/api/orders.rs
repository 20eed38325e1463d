//! Orders over HTTP: `POST /api/v1/orders` with `Idempotency-Key`,
//! `GET /api/v1/orders[/{id}]`, the transitions, payments (invoice and
//! Stripe with its webhook), refunds and goods acceptance.
//!
//! Idempotency: the first response to a key is stored in the same
//! transaction as the order it created (or, for a refusal, on its own), so
//! a retry gets the same status and body and creates nothing. Keys belong
//! to the user and the endpoint and expire after 24 hours
//! ([`crate::orders::idempotency`] says why and how).

use super::error::{ApiError, ApiResult};
use super::extract::{ApiQuery, CurrentUser, PageParams, Paged};
use crate::app::AppState;
use crate::orders::{self, NewOrder, Order, PlaceError, TransitionError, idempotency};
use crate::validation::{FieldErrors, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

fn stored(status: i64, body: String) -> Response {
    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// The problem title of a refusal by the unpaid hold cap.
pub const HOLD_LIMIT_TITLE: &str = "Unpaid hold limit";

fn place_error(e: PlaceError) -> ApiError {
    match e {
        PlaceError::Db(e) => e.into(),
        refusal => refusal_error(&refusal),
    }
}

/// A refusal in the API's words (also stored for the key).
fn refusal_error(e: &PlaceError) -> ApiError {
    match e {
        PlaceError::Invalid(errors) => ApiError::Invalid(errors.clone()),
        PlaceError::OutOfStock(errors) => {
            ApiError::Conflict { title: "Not enough stock", detail: format!("not enough stock: {errors}"), errors: errors.clone() }
        }
        PlaceError::HoldLimit(errors) => {
            ApiError::Conflict { title: HOLD_LIMIT_TITLE, detail: format!("unpaid hold limit: {errors}"), errors: errors.clone() }
        }
        PlaceError::Forbidden(m) => ApiError::Forbidden((*m).into()),
        PlaceError::Db(e) => ApiError::Internal(anyhow::anyhow!("{e}")),
    }
}

/// `POST /api/v1/orders` → 201 order; 409 naming the short lines.
pub async fn place(State(state): State<AppState>, CurrentUser(actor): CurrentUser, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    super::extract::require_json(&headers)?;
    let key = idempotency_key(&headers)?;
    place_once(&state, &actor, idempotency::PLACE_API, key.as_deref(), &body).await
}

/// The `Idempotency-Key` header, if sent: 1 to 200 visible characters.
pub(super) fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => match v.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 200) {
            Some(k) => Ok(Some(k.to_owned())),
            None => Err(ApiError::BadRequest("Idempotency-Key must be 1 to 200 visible characters".into())),
        },
    }
}

/// Reads the order in `body` and places it once per `key` of the caller on
/// `endpoint` through [`orders::place_idempotent`], which keeps the key.
async fn place_once(
    state: &AppState,
    actor: &crate::auth::Actor,
    endpoint: &'static str,
    key: Option<&str>,
    body: &[u8],
) -> ApiResult<Response> {
    // No right to order is answered before the body is read.
    orders::may_place(actor).map_err(place_error)?;
    if std::str::from_utf8(body).is_ok_and(crate::validation::json_has_forbidden_char) {
        return Err(ApiError::Invalid(crate::validation::forbidden_char_error("body")));
    }
    let order: NewOrder = match serde_json::from_slice(body) {
        Ok(o) => o,
        Err(e) if e.is_syntax() || e.is_eof() => return Err(ApiError::BadRequest(format!("malformed JSON: {e}"))),
        Err(e) => {
            return Err(ApiError::Invalid(FieldErrors::one("body", Problem::Unreadable(e.to_string()))));
        }
    };
    let holds = orders::HoldPolicy::from_config(&state.config);
    let render = |e: &PlaceError| {
        let (status, body) = rendered_now(refusal_error(e));
        orders::Answer { status, body }
    };
    let request = orders::PlaceRequest { endpoint, key, order: &order };
    match orders::place_idempotent(&state.db, &holds, state.stripe.is_some(), actor, request, &render).await? {
        orders::PlaceOutcome::Placed(created) => {
            let body = serde_json::to_string(&created).map_err(|e| ApiError::Internal(e.into()))?;
            Ok(stored(201, body))
        }
        orders::PlaceOutcome::Replayed(answer) | orders::PlaceOutcome::Refused { stored: Some(answer), .. } => {
            Ok(stored(i64::from(answer.status), answer.body))
        }
        orders::PlaceOutcome::Refused { why, stored: None } => Err(place_error(why)),
    }
}

/// `GET /api/v1/orders/{id}` — the buyer's own; anyone else's is a 404.
pub async fn get(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<String>) -> ApiResult<Json<Order>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    orders::get(&state.db, actor.org.id, id).await?.map(Json).ok_or(ApiError::NotFound("order"))
}

/// Query of the order list.
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    /// `true`: only orders on credit terms unpaid past their due date.
    overdue: Option<bool>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/orders?status=&overdue=` — the organisation's orders,
/// newest first. With `overdue=true`, only those unpaid past their due
/// date (credit terms): platform finance, who chase them, sees every
/// buyer's; anyone else their own organisation's.
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<Order>>> {
    let page = PageParams { page: q.page, per_page: q.per_page }.check()?;
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty())
        && orders::OrderStatus::parse(s).is_none()
    {
        let names = orders::OrderStatus::ALL.iter().map(|s| s.as_str().to_owned()).collect();
        return Err(ApiError::Invalid(FieldErrors::one("status", Problem::OneOf(names))));
    }
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let (items, total) = if q.overdue == Some(true) {
        let today = crate::time::format_date(crate::time::china_today());
        let org_id = if actor.has(crate::auth::Role::PlatformFinance) { None } else { Some(actor.org.id) };
        let filter = orders::Filter { org_id, status, overdue_on: Some(&today), ..orders::Filter::default() };
        orders::list_filtered(&state.db, filter, page.per_page, page.offset()).await?
    } else {
        orders::list(&state.db, actor.org.id, status, page.per_page, page.offset()).await?
    };
    Ok(Json(Paged::new(items, total, page)))
}

/// The optional body of a cancel or a reject: `{reason?}`, kept in the
/// order's history. No body at all is the contract's call and is fine.
fn optional_reason(body: &[u8]) -> ApiResult<String> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        reason: Option<String>,
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(String::new());
    }
    let parsed: Body = serde_json::from_slice(body)
        .map_err(|_| ApiError::Invalid(FieldErrors::one("reason", Problem::Length { min: 1, max: orders::MAX_REASON_CHARS })))?;
    orders::check_reason(parsed.reason.as_deref().unwrap_or(""), false).map_err(|p| ApiError::Invalid(FieldErrors::one("reason", p)))
}

/// `POST /api/v1/orders/{id}/cancel` (optional `{reason}`) — before
/// payment; releases the stock.
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    let reason = optional_reason(&body)?;
    orders::cancel(&state.db, &actor, id, &reason).await.map(Json).map_err(transition_error)
}

fn transition_error(e: TransitionError) -> ApiError {
    match e {
        TransitionError::NotFound => ApiError::NotFound("order"),
        e @ (TransitionError::Illegal(_) | TransitionError::Refused(_)) => {
            ApiError::Conflict { title: "Illegal transition", detail: e.to_string(), errors: Default::default() }
        }
        TransitionError::Forbidden(m) => ApiError::Forbidden(m.into()),
        TransitionError::Db(e) => e.into(),
    }
}

async fn step(state: &AppState, actor: &crate::auth::Actor, id: &str, t: orders::Transition, reference: &str) -> ApiResult<Json<Order>> {
    let id = crate::ids::parse(id).ok_or(ApiError::NotFound("order"))?;
    let order = orders::transition(&state.db, actor, id, t, reference).await.map_err(transition_error)?;
    tracing::info!(order.id = id, user.id = actor.id, to = order.status.as_str(), "order moved");
    Ok(Json(order))
}

/// `POST /api/v1/orders/{id}/approve` (agency approver of the buyer).
pub async fn approve(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<String>) -> ApiResult<Json<Order>> {
    step(&state, &actor, &id, orders::Transition::Approve, "").await
}

/// `POST /api/v1/orders/{id}/reject` (agency approver; optional
/// `{reason}`); releases stock.
pub async fn reject(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    let reason = optional_reason(&body)?;
    step(&state, &actor, &id, orders::Transition::Reject, &reason).await
}

/// Body of an invoice confirmation.
#[derive(Deserialize)]
pub struct InvoiceBody {
    reference: String,
}

/// `POST /api/v1/orders/{id}/payments/invoice` (platform finance) → paid,
/// with the bank reference recorded and the ledger written.
pub async fn confirm_invoice(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    super::extract::ApiJson(body): super::extract::ApiJson<InvoiceBody>,
) -> ApiResult<Json<Order>> {
    let reference = body.reference.trim();
    if reference.is_empty() || reference.chars().count() > 100 {
        return Err(ApiError::Invalid(FieldErrors::one("reference", Problem::BankReference { max: 100 })));
    }
    step(&state, &actor, &id, orders::Transition::ConfirmInvoice, reference).await
}

/// `GET /api/v1/orders/{id}/attribution`.
pub async fn attribution(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    let lines = orders::attribution(&state.db, &actor, id).await?.ok_or(ApiError::NotFound("order"))?;
    Ok(Json(serde_json::json!({ "lines": lines })))
}

/// Body of a goods acceptance.
#[derive(Deserialize)]
pub struct AcceptBody {
    ratings: Vec<orders::Rating>,
}

/// `POST /api/v1/orders/{id}/accept` (the buyer, after delivery) with a
/// rating of every cooperative.
pub async fn accept(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    super::extract::ApiJson(body): super::extract::ApiJson<AcceptBody>,
) -> ApiResult<Json<Order>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    match orders::accept(&state.db, &actor, id, &body.ratings).await {
        Ok(order) => Ok(Json(order)),
        Err(orders::AcceptError::Invalid(errors)) => Err(ApiError::Invalid(errors)),
        Err(orders::AcceptError::Transition(e)) => Err(transition_error(e)),
    }
}

/// `POST /api/v1/orders/{id}/refunds` (platform finance) → 201 refund.
///
/// With an `Idempotency-Key`, a retry of the same refund (same order, same
/// body) gets the first answer and refunds nothing more: money moves once
/// however often a client resends after a time-out
/// ([`orders::refund_once`] keeps the key). A retry while the first is
/// still waiting for Stripe gets a 409.
pub async fn refund(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    super::extract::ApiJson(body): super::extract::ApiJson<orders::NewRefund>,
) -> ApiResult<Response> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    let Some(key) = idempotency_key(&headers)? else {
        let refund = orders::refund(&state.db, state.stripe.as_ref(), &actor, id, &body).await.map_err(refund_error)?;
        tracing::info!(order.id = id, refund.id = refund.id, user.id = actor.id, "order refunded");
        let json = serde_json::to_string(&refund).map_err(|e| ApiError::Internal(e.into()))?;
        return Ok(stored(201, json));
    };
    let render = |e: &orders::RefundError| {
        let e = match e {
            orders::RefundError::Invalid(errors) => ApiError::Invalid(errors.clone()),
            orders::RefundError::Transition(orders::TransitionError::NotFound) => ApiError::NotFound("order"),
            orders::RefundError::Transition(orders::TransitionError::Illegal(s)) => ApiError::Conflict {
                title: "Illegal transition",
                detail: orders::TransitionError::Illegal(s.clone()).to_string(),
                errors: Default::default(),
            },
            orders::RefundError::Transition(orders::TransitionError::Refused(r)) => {
                ApiError::Conflict { title: "Illegal transition", detail: r.to_string(), errors: Default::default() }
            }
            orders::RefundError::Transition(orders::TransitionError::Forbidden(m)) => ApiError::Forbidden((*m).into()),
            other => ApiError::Internal(anyhow::anyhow!("{other}")),
        };
        let (status, body) = rendered_now(e);
        orders::Answer { status, body }
    };
    match orders::refund_once(&state.db, state.stripe.as_ref(), &actor, id, &key, &body, &render).await.map_err(refund_error)? {
        orders::RefundOnce::Answered(answer) => {
            if answer.status == 201 {
                tracing::info!(order.id = id, user.id = actor.id, "order refunded");
            }
            Ok(stored(i64::from(answer.status), answer.body))
        }
        orders::RefundOnce::KeyReused => {
            let mut errors = crate::validation::FieldErrors::default();
            errors.add("Idempotency-Key", Problem::KeyReused { body: false });
            Err(ApiError::Invalid(errors))
        }
        orders::RefundOnce::InProgress => Err(ApiError::Conflict {
            title: "Request in progress",
            detail: "a refund with this Idempotency-Key is still being made; ask again in a moment".into(),
            errors: Default::default(),
        }),
    }
}

/// The status and body of an error, rendered at once (the refund's stored
/// refusals; no request body is read, so nothing is awaited).
fn rendered_now(e: ApiError) -> (u16, String) {
    use http_body_util::BodyExt;
    let res = e.into_response();
    let status = res.status().as_u16();
    // The body is one string in memory: collecting it is ready at the first
    // poll, so no executor is needed.
    let mut collect = std::pin::pin!(res.into_body().collect());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let body = match std::future::Future::poll(collect.as_mut(), &mut cx) {
        std::task::Poll::Ready(Ok(c)) => c.to_bytes(),
        _ => Default::default(),
    };
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn refund_error(e: orders::RefundError) -> ApiError {
    match e {
        orders::RefundError::Invalid(errors) => ApiError::Invalid(errors),
        orders::RefundError::Stripe(e) => e.into(),
        orders::RefundError::Transition(e) => transition_error(e),
    }
}

/// `POST /api/v1/orders/{id}/payments/stripe` (the buyer) →
/// `{payment_intent_id, client_secret}` for Stripe.js.
pub async fn start_stripe(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::payments::Intent>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    match orders::start_stripe(&state.db, state.stripe.as_ref(), &actor, id).await {
        Ok(intent) => Ok(Json(intent)),
        Err(orders::StartError::Stripe(e)) => Err(e.into()),
        Err(orders::StartError::Transition(e)) => Err(transition_error(e)),
    }
}

/// `POST /api/v1/stripe/webhook`: the raw body, its `Stripe-Signature`
/// verified before anything is read; 400 and no change otherwise.
pub async fn stripe_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<serde_json::Value>> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let event = match crate::payments::verify(&state.config, &body, signature) {
        Ok(e) => e,
        Err(crate::payments::WebhookRejection::NotConfigured) => {
            return Err(ApiError::Conflict {
                title: "Stripe is not configured",
                detail: "this server has no STRIPE_WEBHOOK_SECRET: it cannot verify Stripe's calls".into(),
                errors: Default::default(),
            });
        }
        Err(crate::payments::WebhookRejection::Invalid(why)) => {
            tracing::warn!(why = why.as_str(), "Stripe webhook refused");
            return Err(ApiError::BadRequest(why));
        }
    };
    let applied = orders::apply_stripe_event(&state.db, state.stripe.as_ref(), &event).await?;
    tracing::info!(stripe.event = event.id.as_str(), kind = event.kind.as_str(), outcome = applied.outcome.as_str(), "Stripe webhook");
    Ok(Json(serde_json::json!({ "received": true, "outcome": applied.outcome })))
}

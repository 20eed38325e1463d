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
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

fn stored(status: i64, body: String) -> Response {
    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// The problem title of a refusal by the unpaid hold cap (the checkout
/// page recognises it to explain the cap in the buyer's language).
pub const HOLD_LIMIT_TITLE: &str = "Unpaid hold limit";

fn place_error(e: PlaceError) -> ApiError {
    match e {
        PlaceError::Invalid(errors) => ApiError::Invalid(errors),
        PlaceError::OutOfStock(errors) => {
            ApiError::Conflict { title: "Not enough stock", detail: format!("not enough stock: {errors}"), errors }
        }
        PlaceError::HoldLimit(errors) => {
            ApiError::Conflict { title: HOLD_LIMIT_TITLE, detail: format!("unpaid hold limit: {errors}"), errors }
        }
        PlaceError::Forbidden(m) => ApiError::Forbidden(m.into()),
        PlaceError::Db(e) => e.into(),
    }
}

/// The status and body an error would be answered with (to store them).
async fn rendered(e: ApiError) -> (StatusCode, String) {
    let res = e.into_response();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// `POST /api/v1/orders` → 201 order; 409 naming the short lines.
pub async fn place(State(state): State<AppState>, CurrentUser(actor): CurrentUser, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    super::extract::require_json(&headers)?;
    let key = idempotency_key(&headers)?;
    place_once(&state, &actor, idempotency::PLACE_API, key.as_deref(), &body).await
}

/// The `Idempotency-Key` header, if sent: 1 to 200 visible characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => match v.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 200) {
            Some(k) => Ok(Some(k.to_owned())),
            None => Err(ApiError::BadRequest("Idempotency-Key must be 1 to 200 visible characters".into())),
        },
    }
}

/// Places the order in `body` once per `key` of the caller on `endpoint`
/// ([`idempotency::PLACE_API`] here, [`idempotency::PLACE_CHECKOUT`] for
/// the checkout page, whose form carries a key). The caller's right to
/// place orders is checked before any stored answer is replayed.
pub async fn place_once(
    state: &AppState,
    actor: &crate::auth::Actor,
    endpoint: &'static str,
    key: Option<&str>,
    body: &[u8],
) -> ApiResult<Response> {
    // Authorisation first: a stored answer is the answer to someone
    // allowed to ask, and a refusal for want of the role is not stored.
    if let Err(e) = orders::may_place(actor) {
        return Err(place_error(e));
    }
    let scope = key.map(|key| idempotency::Scope { user_id: actor.id, org_id: actor.org.id, endpoint, key });
    if std::str::from_utf8(body).is_ok_and(crate::validation::json_has_forbidden_char) {
        return Err(ApiError::Invalid(crate::validation::forbidden_char_error("body")));
    }
    let order: NewOrder = match serde_json::from_slice(body) {
        Ok(o) => o,
        Err(e) if e.is_syntax() || e.is_eof() => return Err(ApiError::BadRequest(format!("malformed JSON: {e}"))),
        Err(e) => {
            let mut errors = crate::validation::FieldErrors::default();
            errors.add("body", e.to_string());
            return Err(ApiError::Invalid(errors));
        }
    };
    if order.payment_method == "stripe" && state.stripe.is_none() {
        let mut errors = crate::validation::FieldErrors::default();
        errors.add("payment_method", "card, Alipay and WeChat Pay are not configured on this server: pay by invoice");
        return Err(ApiError::Invalid(errors));
    }
    let hash: String = Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect();

    // A key answered before gets its answer; checking and pricing only
    // read. Both are done before the write transaction, on one connection.
    let mut conn = state.db.pool().acquire().await?;
    if let Some(scope) = scope
        && let Some(answer) = stored_answer(&mut conn, scope, &hash).await?
    {
        return answer;
    }
    let prepared = orders::prepare(&mut conn, actor, &order).await;
    drop(conn);
    let prepared = match prepared {
        Ok(p) => p,
        Err(PlaceError::Db(e)) => return Err(e.into()),
        Err(e) => return refuse(state, scope, &hash, e).await,
    };

    let holds = orders::HoldPolicy::from_config(&state.config);
    let mut tx = state.db.begin_write().await?;
    if let Some(scope) = scope
        && !idempotency::store(&mut tx, scope, &hash, 0, "").await?
    {
        // A concurrent request with this key got there first.
        let answer = stored_answer(&mut tx, scope, &hash).await?;
        tx.rollback().await?;
        return answer
            .unwrap_or_else(|| Err(ApiError::Internal(anyhow::anyhow!("idempotency key {} claimed without an answer", scope.key))));
    }
    match orders::place_in(&mut tx, actor, &order, &prepared, &holds).await {
        Ok(created) => {
            let body = serde_json::to_string(&created).map_err(|e| ApiError::Internal(e.into()))?;
            if let Some(scope) = scope {
                idempotency::complete(&mut tx, scope, 201, &body).await?;
            }
            // Acknowledged only after the commit (invariant 4).
            tx.commit().await?;
            tracing::info!(order.id = created.id, org.id = actor.org.id, "order placed");
            Ok(stored(201, body))
        }
        Err(PlaceError::Db(e)) => Err(e.into()),
        Err(e) => {
            tx.rollback().await?;
            refuse(state, scope, &hash, e).await
        }
    }
}

/// The live stored answer for `scope`, if it has one: the first response
/// for the same body, or a 422 for a different body.
async fn stored_answer(
    conn: &mut sqlx::AnyConnection,
    scope: idempotency::Scope<'_>,
    hash: &str,
) -> sqlx::Result<Option<ApiResult<Response>>> {
    let row = idempotency::find(conn, scope).await?;
    Ok(row.filter(|r| r.status_code != 0).map(|r| {
        if r.request_hash == hash {
            Ok(stored(r.status_code, r.response_body))
        } else {
            let mut errors = crate::validation::FieldErrors::default();
            errors.add("Idempotency-Key", "this key was used with a different request body");
            Err(ApiError::Invalid(errors))
        }
    }))
}

/// Answers a refused order. Nothing of it is kept; the refusal itself is
/// stored for the key (for 24 hours), so a retry gets the same answer
/// (unless another request with the key stored its answer first: then that
/// one).
async fn refuse(state: &AppState, scope: Option<idempotency::Scope<'_>>, hash: &str, e: PlaceError) -> ApiResult<Response> {
    let (status, body) = rendered(place_error(e)).await;
    if let Some(scope) = scope {
        let mut tx = state.db.begin_write().await?;
        if idempotency::store(&mut tx, scope, hash, status.as_u16() as i64, &body).await? {
            tx.commit().await?;
        } else {
            let answer = stored_answer(&mut tx, scope, hash).await?;
            tx.rollback().await?;
            if let Some(answer) = answer {
                return answer;
            }
        }
    }
    Ok(stored(status.as_u16() as i64, body))
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
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/orders?status=` — the organisation's orders, newest first.
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<Order>>> {
    let page = PageParams { page: q.page, per_page: q.per_page }.check()?;
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty())
        && orders::OrderStatus::parse(s).is_none()
    {
        let names: Vec<&str> = orders::OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
        let mut errors = crate::validation::FieldErrors::default();
        errors.add("status", format!("must be one of {}", names.join(", ")));
        return Err(ApiError::Invalid(errors));
    }
    let (items, total) =
        orders::list(&state.db, actor.org.id, q.status.as_deref().filter(|s| !s.is_empty()), page.per_page, page.offset()).await?;
    Ok(Json(Paged::new(items, total, page)))
}

/// `POST /api/v1/orders/{id}/cancel` — before payment; releases the stock.
pub async fn cancel(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<String>) -> ApiResult<Json<Order>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    orders::cancel(&state.db, &actor, id).await.map(Json).map_err(transition_error)
}

fn transition_error(e: TransitionError) -> ApiError {
    match e {
        TransitionError::NotFound => ApiError::NotFound("order"),
        e @ TransitionError::Illegal(_) => {
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

/// `POST /api/v1/orders/{id}/reject` (agency approver); releases stock.
pub async fn reject(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<String>) -> ApiResult<Json<Order>> {
    step(&state, &actor, &id, orders::Transition::Reject, "").await
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
        let mut errors = crate::validation::FieldErrors::default();
        errors.add("reference", "give the bank transfer's reference (1 to 100 characters)");
        return Err(ApiError::Invalid(errors));
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

/// `POST /api/v1/orders/{id}/dispatch` (platform admin or a hub operator of
/// the origin prefecture) → in_transit. Until routing scans shipments.
pub async fn dispatch(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<String>) -> ApiResult<Json<Order>> {
    step(&state, &actor, &id, orders::Transition::Dispatch, "").await
}

/// `POST /api/v1/orders/{id}/deliver` (same roles) → delivered.
pub async fn deliver(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<String>) -> ApiResult<Json<Order>> {
    step(&state, &actor, &id, orders::Transition::Deliver, "").await
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
/// however often a client resends after a time-out. The key is claimed
/// before the refund and answered after it; a retry while the first is
/// still at work gets a 409.
pub async fn refund(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    super::extract::ApiJson(body): super::extract::ApiJson<orders::NewRefund>,
) -> ApiResult<Response> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    let Some(key) = idempotency_key(&headers)? else {
        return refund_now(&state, &actor, id, &body).await.map(|(status, body)| stored(status.as_u16() as i64, body));
    };
    let scope = idempotency::Scope { user_id: actor.id, org_id: actor.org.id, endpoint: idempotency::REFUND_API, key: &key };
    let hash: String = Sha256::digest(format!("{id}\n{body:?}")).iter().map(|b| format!("{b:02x}")).collect();
    let mut tx = state.db.begin_write().await?;
    let claimed = idempotency::store(&mut tx, scope, &hash, 0, "").await?;
    if !claimed {
        let earlier = idempotency::find(&mut tx, scope).await?;
        tx.rollback().await?;
        return match earlier {
            Some(e) if e.request_hash != hash => {
                let mut errors = crate::validation::FieldErrors::default();
                errors.add("Idempotency-Key", "this key was used with a different request");
                Err(ApiError::Invalid(errors))
            }
            Some(e) if e.status_code != 0 => Ok(stored(e.status_code, e.response_body)),
            _ => Err(ApiError::Conflict {
                title: "Request in progress",
                detail: "a refund with this Idempotency-Key is still being made; ask again in a moment".into(),
                errors: Default::default(),
            }),
        };
    }
    tx.commit().await?;
    let (status, answer) = match refund_now(&state, &actor, id, &body).await {
        Ok(done) => done,
        Err(e) => rendered(e).await,
    };
    if status.is_server_error() {
        // Nothing was refunded (the refund's own transaction rolled back):
        // a retry may try again.
        idempotency::release(&state.db, scope).await?;
    } else {
        let mut tx = state.db.begin_write().await?;
        idempotency::complete(&mut tx, scope, status.as_u16() as i64, &answer).await?;
        tx.commit().await?;
    }
    Ok(stored(status.as_u16() as i64, answer))
}

/// Makes the refund and returns the answer's status and body.
async fn refund_now(state: &AppState, actor: &crate::auth::Actor, id: i64, body: &orders::NewRefund) -> ApiResult<(StatusCode, String)> {
    match orders::refund(&state.db, state.stripe.as_ref(), actor, id, body).await {
        Ok(refund) => {
            tracing::info!(order.id = id, refund.id = refund.id, user.id = actor.id, "order refunded");
            let json = serde_json::to_string(&refund).map_err(|e| ApiError::Internal(e.into()))?;
            Ok((StatusCode::CREATED, json))
        }
        Err(orders::RefundError::Invalid(errors)) => Err(ApiError::Invalid(errors)),
        Err(orders::RefundError::Stripe(e)) => Err(e.into()),
        Err(orders::RefundError::Transition(e)) => Err(transition_error(e)),
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
    let applied = orders::apply_stripe_event(&state.db, &event).await?;
    tracing::info!(stripe.event = event.id.as_str(), kind = event.kind.as_str(), outcome = applied.outcome.as_str(), "Stripe webhook");
    // Money for an order cancelled before it arrived goes straight back; the
    // refund's idempotency key is the intent, so a replay cannot refund twice.
    if let Some((intent, amount)) = &applied.refund {
        match &state.stripe {
            Some(stripe) => match stripe.refund(intent, *amount, &format!("zhunong-orphan-{intent}")).await {
                Ok(r) => {
                    tracing::info!(stripe.intent = intent.as_str(), stripe.refund = r.id.as_str(), "payment of a cancelled order refunded")
                }
                Err(e) => {
                    tracing::error!(stripe.intent = intent.as_str(), error = %e, "payment of a cancelled order NOT refunded: finance must refund it")
                }
            },
            None => tracing::error!(stripe.intent = intent.as_str(), "payment of a cancelled order NOT refunded: Stripe is not configured"),
        }
    }
    Ok(Json(serde_json::json!({ "received": true, "outcome": applied.outcome })))
}

//! Refunds of whole lines or quantities of a paid order (platform finance):
//! through Stripe for Stripe-paid orders, as a credit note for invoice
//! orders. The ledger gets equal and opposite entries for what is refunded
//! (invariant 3); before dispatch the refunded units go back to their lots,
//! latest expiry first. When every unit of every line is refunded the
//! order becomes `refunded`; a partial refund leaves the order where it is
//! in its journey, with the refund on record.
//!
//! Refunds of one order are serialized by the order's row lock.
//!
//! No call to Stripe is made inside a transaction (it would hold SQLite's
//! one writer, or the order's row lock, for the round trip). A Stripe
//! refund is made in three steps:
//!
//! 1. the intent is recorded and committed: a `refunds` row not yet
//!    answered (`answered_at` NULL) with its lines, which reserve the units
//!    (no second refund can claim them), and the idempotency key it is sent
//!    to Stripe with;
//! 2. Stripe is asked, with a time-out, outside any transaction;
//! 3. the answer is recorded in a second transaction. Accepted (pending or
//!    succeeded on Stripe's side): the effects — ledger reversal, restock
//!    before dispatch, the order's status — are applied then, together.
//!    Declined: the refund is marked failed and its lines are deleted, so
//!    the units are free to refund again; the ledger and the stock were
//!    never touched, so nothing needs reverting and each line's entries
//!    still add up to paid − refunded (invariant 3). No answer (time-out,
//!    network): the intent stays unanswered.
//!
//! An unanswered intent — no answer, or a crash between the steps — is
//! finished by [`finish_unanswered`] (at start-up and every minute): older
//! than [`crate::bounds::REFUND_PENDING_STALE_SECS`], it is asked of Stripe
//! again with the same idempotency key, which replays Stripe's first answer
//! (or makes the refund now if Stripe never got it), and that answer is
//! recorded as in step 3. Past Stripe's 24 hours of keys it is marked
//! failed and logged for finance to check on Stripe.
//!
//! Credit notes need no call out: intent and effects are one transaction.

use super::idempotency::{self, Answer};
use super::lifecycle::{self, OrderStatus, PaymentMethod};
use super::{Order, TransitionError, get_in, ledger};
use crate::auth::{Actor, Role};
use crate::db::{Db, Tx};
use crate::money::Fen;
use crate::payments::{Stripe, StripeFailure, StripeRefund};
use crate::validation::{FieldErrors, Problem};
use serde::{Deserialize, Serialize};

/// A line to refund, whole or in part.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RefundLine {
    /// The order line.
    #[serde(deserialize_with = "crate::ids::deserialize")]
    pub line_id: i64,
    /// Units to refund.
    pub quantity: i64,
}

/// A refund as asked for.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NewRefund {
    /// Lines and quantities.
    pub lines: Vec<RefundLine>,
    /// Why (kept with the refund).
    pub reason: String,
}

/// A refunded line.
#[derive(Debug, Clone, Serialize)]
pub struct RefundedLine {
    /// The order line.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub line_id: i64,
    /// Units.
    pub quantity: i64,
    /// Units × the line's unit price.
    pub amount_fen: Fen,
}

/// A recorded refund.
#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// stripe or credit_note
    pub method: String,
    /// Stripe's refund id, or the credit note number.
    pub reference: String,
    /// pending/succeeded/failed (Stripe) or issued (credit note).
    pub status: String,
    /// Sum of the lines.
    pub amount_fen: Fen,
    /// Whether the units went back to stock (refunded before dispatch).
    pub restocked: bool,
    /// Why.
    pub reason: String,
    /// Lines.
    pub lines: Vec<RefundedLine>,
    /// The order after the refund.
    pub order: Order,
}

/// Why a refund was refused.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    /// Not allowed (order missing, wrong role, wrong status).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The request breaks a rule (named fields).
    #[error("invalid refund: {0}")]
    Invalid(FieldErrors),
    /// A Stripe-paid order but no Stripe configured, or Stripe refused.
    #[error(transparent)]
    Stripe(#[from] StripeFailure),
}

impl From<sqlx::Error> for RefundError {
    fn from(e: sqlx::Error) -> Self {
        RefundError::Transition(TransitionError::Db(e))
    }
}

/// Refunds lines of order `id` (only platform finance refunds): records
/// the intent, asks Stripe outside any transaction and records its answer
/// (see the module's doc); a credit note at once.
pub async fn refund(db: &Db, stripe: Option<&Stripe>, actor: &Actor, id: i64, r: &NewRefund) -> Result<Refund, RefundError> {
    make(db, stripe, actor, id, r, None).await
}

async fn make(
    db: &Db,
    stripe: Option<&Stripe>,
    actor: &Actor,
    id: i64,
    r: &NewRefund,
    request: Option<&str>,
) -> Result<Refund, RefundError> {
    match record_intent(db, stripe.is_some(), actor, id, r, request).await? {
        Intent::Done(refund_id) => read(db, refund_id).await,
        Intent::AskStripe(ask) => {
            let stripe = stripe.ok_or_else(|| StripeFailure::Unreachable("Stripe is not configured on this server".into()))?;
            let answer = stripe.refund(&ask.payment_intent, ask.amount, &ask.stripe_key).await;
            answer_in(db, ask.refund_id, answer).await?;
            read(db, ask.refund_id).await
        }
    }
}

/// What step 1 left to do.
enum Intent {
    /// A credit note: made and applied.
    Done(i64),
    /// A Stripe refund recorded, to be asked of Stripe.
    AskStripe(Ask),
}

/// A recorded Stripe refund and what to ask Stripe.
struct Ask {
    refund_id: i64,
    payment_intent: String,
    amount: Fen,
    stripe_key: String,
}

/// Step 1: checks the refund and records it — the intent of a Stripe
/// refund (unanswered, its units reserved), or a credit note with its
/// effects — and commits.
async fn record_intent(db: &Db, stripe: bool, actor: &Actor, id: i64, r: &NewRefund, request: Option<&str>) -> Result<Intent, RefundError> {
    // An order has at most that many lines: a longer list is refused before
    // the write transaction, where each line costs a query.
    if r.lines.len() > crate::bounds::MAX_ORDER_LINES {
        let mut errors = FieldErrors::default();
        errors.add("lines", Problem::RefundTooManyLines { max: crate::bounds::MAX_ORDER_LINES as i64 });
        return Err(RefundError::Invalid(errors));
    }
    let mut tx = db.begin_write().await?;
    // Refunds of one order take turns: touching the order's row first holds
    // its lock (PostgreSQL) until this step commits, so a concurrent one
    // reads what is left only after it. SQLite's one writer does the same.
    lock_order(&mut tx, id).await?;
    #[allow(clippy::type_complexity)]
    let row: Option<(String, i64, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT o.status, o.buyer_org_id, o.payment_method, o.number, COALESCE(p.reference, ''), o.paid_at FROM orders o \
         LEFT JOIN payments p ON p.order_id = o.id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((status, buyer, method, number, payment_reference, paid)) = row else { return Err(TransitionError::NotFound.into()) };
    if !actor.has(Role::PlatformFinance) {
        return Err(if actor.org.id == buyer {
            TransitionError::Forbidden("refunds are made by platform finance; ask them with the order number")
        } else {
            TransitionError::NotFound
        }
        .into());
    }
    // A refund gives money back, so money must have come in: an order on
    // credit terms can be delivered and accepted unpaid.
    if !OrderStatus::from_db(&status)?.is_refundable() {
        return Err(TransitionError::Illegal(status).into());
    }
    if paid.is_none() {
        return Err(TransitionError::Refused(super::Refusal::NotPaid).into());
    }

    let mut errors = FieldErrors::default();
    let reason = r.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.add("reason", Problem::RefundReason { max: 500 });
    }
    if r.lines.is_empty() {
        errors.add("lines", Problem::NoRefundLine);
    }
    let mut refunded: Vec<(i64, i64, i64)> = Vec::new(); // line, quantity, amount
    for (i, l) in r.lines.iter().enumerate() {
        if r.lines[..i].iter().any(|p| p.line_id == l.line_id) {
            errors.add(format!("lines[{i}].line_id"), Problem::LineTwice);
            continue;
        }
        // Every refund's lines count here, answered or not: units an
        // unanswered Stripe refund asks for are taken until it fails.
        let line: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT l.quantity, l.unit_price_fen, CAST(COALESCE((SELECT SUM(r.quantity) FROM refund_lines r WHERE r.line_id = l.id), 0) AS BIGINT) \
             FROM order_lines l WHERE l.id = $1 AND l.order_id = $2",
        )
        .bind(l.line_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((quantity, unit, before)) = line else {
            errors.add(format!("lines[{i}].line_id"), Problem::NoSuchLine);
            continue;
        };
        let left = quantity - before;
        if l.quantity < 1 || l.quantity > left {
            errors.add(format!("lines[{i}].quantity"), Problem::RefundQuantity { left, ordered: quantity, refunded: before });
            continue;
        }
        refunded.push((l.line_id, l.quantity, l.quantity * unit));
    }
    if !errors.is_empty() {
        return Err(RefundError::Invalid(errors));
    }
    let method = PaymentMethod::from_db(&method)?;
    if method == PaymentMethod::Stripe && !stripe {
        return Err(StripeFailure::Unreachable("Stripe is not configured on this server".into()).into());
    }
    let total: i64 = refunded.iter().map(|r| r.2).sum();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refunds WHERE order_id = $1").bind(id).fetch_one(&mut *tx).await?;
    let now = crate::time::now();
    // A Stripe refund's reference is Stripe's id, known from its answer.
    let (refund_method, reference, refund_status, stripe_key, answered) = match method {
        PaymentMethod::Stripe => ("stripe", String::new(), "pending", Some(format!("zhunong-refund-{id}-{}", count + 1)), None),
        PaymentMethod::Invoice => ("credit_note", format!("CN-{number}-{}", count + 1), "issued", None, Some(now.clone())),
    };
    let refund_id: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (order_id, method, reference, status, reason, amount_fen, restocked, created_by, created_at, stripe_key, request_key, answered_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(id)
    .bind(refund_method)
    .bind(&reference)
    .bind(refund_status)
    .bind(reason)
    .bind(total)
    .bind(actor.id)
    .bind(&now)
    .bind(&stripe_key)
    .bind(request)
    .bind(&answered)
    .fetch_one(&mut *tx)
    .await?;
    for (line, quantity, amount) in &refunded {
        sqlx::query("INSERT INTO refund_lines (refund_id, line_id, quantity, amount_fen) VALUES ($1, $2, $3, $4)")
            .bind(refund_id)
            .bind(line)
            .bind(quantity)
            .bind(amount)
            .execute(&mut *tx)
            .await?;
    }
    let next = match stripe_key {
        None => {
            apply_in(&mut tx, refund_id).await?;
            Intent::Done(refund_id)
        }
        Some(stripe_key) => Intent::AskStripe(Ask { refund_id, payment_intent: payment_reference, amount: Fen::new(total), stripe_key }),
    };
    tx.commit().await?;
    Ok(next)
}

/// Touches order `id`'s row: its lock (PostgreSQL) orders every refund step
/// of one order, and the line moves, one after the other.
async fn lock_order(tx: &mut Tx, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2").bind(crate::time::now()).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Step 3: records Stripe's answer to refund `refund_id` — applies its
/// effects if Stripe took it, marks it failed and frees its units if Stripe
/// declined, leaves it unanswered if there was no answer — and says what
/// the caller should be told. A refund answered meanwhile (by the sweep, or
/// a retry) is left as it is.
async fn answer_in(db: &Db, refund_id: i64, answer: Result<StripeRefund, StripeFailure>) -> Result<(), RefundError> {
    let refused = match answer {
        Ok(done) if !matches!(done.status.as_str(), "failed" | "canceled") => {
            let mut tx = db.begin_write().await?;
            let order: i64 = sqlx::query_scalar("SELECT order_id FROM refunds WHERE id = $1").bind(refund_id).fetch_one(&mut *tx).await?;
            lock_order(&mut tx, order).await?;
            let status = if done.status == "succeeded" { "succeeded" } else { "pending" };
            let now = crate::time::now();
            let first =
                sqlx::query("UPDATE refunds SET status = $1, reference = $2, answered_at = $3 WHERE id = $4 AND answered_at IS NULL")
                    .bind(status)
                    .bind(&done.id)
                    .bind(&now)
                    .bind(refund_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if first == 1 {
                apply_in(&mut tx, refund_id).await?;
            }
            tx.commit().await?;
            return Ok(());
        }
        Ok(done) => StripeFailure::Declined(format!("the refund is {}", done.status)),
        Err(e @ StripeFailure::Declined(_)) => e,
        // No answer: the outcome on Stripe's side is unknown, so the intent
        // stays for the sweep to ask again.
        Err(e @ StripeFailure::Unreachable(_)) => {
            tracing::warn!(refund.id = refund_id, error = %e, "Stripe did not answer a refund; it will be asked again");
            return Err(e.into());
        }
    };
    let mut tx = db.begin_write().await?;
    let order: i64 = sqlx::query_scalar("SELECT order_id FROM refunds WHERE id = $1").bind(refund_id).fetch_one(&mut *tx).await?;
    lock_order(&mut tx, order).await?;
    let first = sqlx::query("UPDATE refunds SET status = 'failed', answered_at = $1 WHERE id = $2 AND answered_at IS NULL")
        .bind(crate::time::now())
        .bind(refund_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if first == 1 {
        // The units it reserved are free again; nothing else was touched.
        sqlx::query("DELETE FROM refund_lines WHERE refund_id = $1").bind(refund_id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Err(refused.into())
}

/// The effects of refund `refund_id`, just answered (or a credit note),
/// inside the caller's transaction holding the order's lock: the ledger's
/// equal and opposite entries, the units back to their lots if nothing was
/// dispatched yet, and the order's status by the lifecycle's rule with the
/// refund's event.
async fn apply_in(tx: &mut Tx, refund_id: i64) -> sqlx::Result<()> {
    let (order, reference, reason, total, user): (i64, String, String, i64, Option<i64>) =
        sqlx::query_as("SELECT order_id, reference, reason, amount_fen, created_by FROM refunds WHERE id = $1")
            .bind(refund_id)
            .fetch_one(&mut **tx)
            .await?;
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1").bind(order).fetch_one(&mut **tx).await?;
    let status = OrderStatus::from_db(&status)?;
    // Before dispatch (the order still only paid) the units go back on sale.
    let restock = status == OrderStatus::Paid;
    if restock {
        sqlx::query("UPDATE refunds SET restocked = 1 WHERE id = $1").bind(refund_id).execute(&mut **tx).await?;
    }
    let lines: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT r.line_id, r.quantity, l.amount_fen FROM refund_lines r JOIN order_lines l ON l.id = r.line_id WHERE r.refund_id = $1 ORDER BY r.line_id",
    )
    .bind(refund_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut refunded = Vec::with_capacity(lines.len());
    for (line, quantity, line_amount) in lines {
        // The ledger follows the refunds that are answered (this one now
        // included), whatever order they were answered in.
        let refunded_after: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(r.amount_fen), 0) AS BIGINT) FROM refund_lines r JOIN refunds f ON f.id = r.refund_id \
             WHERE r.line_id = $1 AND f.answered_at IS NOT NULL",
        )
        .bind(line)
        .fetch_one(&mut **tx)
        .await?;
        refunded.push(ledger::RefundedLine { line_id: line, line_amount, refunded_after });
        if restock {
            give_back(tx, line, quantity).await?;
            // What is no longer sent leaves its shipments.
            crate::distribution::routing::follow_allocations_in(tx, line).await?;
        }
    }
    ledger::attribute_refunds(tx, order, &refunded).await?;
    if status.is_refundable() {
        let note = format!("refund {reference}: {} — {reason}", Fen::new(total).yuan_text());
        if let Err(lost) = lifecycle::settle(tx, order, status, user, &note).await? {
            // The order's lock is held: nobody can have moved it.
            return Err(sqlx::Error::Protocol(format!("order {order} moved to {:?} under its lock", lost.current)));
        }
    }
    Ok(())
}

/// Refund `refund_id` as the API shows it, with its order now.
async fn read(db: &Db, refund_id: i64) -> Result<Refund, RefundError> {
    let mut conn = db.pool().acquire().await?;
    let (order, method, reference, status, reason, amount, restocked): (i64, String, String, String, String, i64, i64) =
        sqlx::query_as("SELECT order_id, method, reference, status, reason, amount_fen, restocked FROM refunds WHERE id = $1")
            .bind(refund_id)
            .fetch_one(&mut *conn)
            .await?;
    let lines: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT line_id, quantity, amount_fen FROM refund_lines WHERE refund_id = $1 ORDER BY line_id")
            .bind(refund_id)
            .fetch_all(&mut *conn)
            .await?;
    let buyer: i64 = sqlx::query_scalar("SELECT buyer_org_id FROM orders WHERE id = $1").bind(order).fetch_one(&mut *conn).await?;
    let order = get_in(&mut conn, buyer, order).await?.ok_or(TransitionError::NotFound)?;
    Ok(Refund {
        id: refund_id,
        method,
        reference,
        status,
        amount_fen: Fen::new(amount),
        restocked: restocked != 0,
        reason,
        lines: lines
            .into_iter()
            .map(|(line_id, quantity, amount)| RefundedLine { line_id, quantity, amount_fen: Fen::new(amount) })
            .collect(),
        order,
    })
}

/// Finishes the Stripe refunds whose answer was lost (see the module's
/// doc): those recorded before `now` less
/// [`crate::bounds::REFUND_PENDING_STALE_SECS`] and still unanswered are
/// asked of Stripe again with their idempotency key, and the answer
/// recorded; past [`crate::bounds::REFUND_PENDING_GIVE_UP_SECS`] they are
/// marked failed. Returns how many were answered now. Several instances may
/// sweep at once: each answer is recorded only on a refund still
/// unanswered, and Stripe answers the same key the same way.
pub async fn finish_unanswered(db: &Db, stripe: Option<&Stripe>, now: time::OffsetDateTime) -> sqlx::Result<usize> {
    let stale = crate::time::timestamp(now - time::Duration::seconds(crate::bounds::REFUND_PENDING_STALE_SECS));
    let give_up = crate::time::timestamp(now - time::Duration::seconds(crate::bounds::REFUND_PENDING_GIVE_UP_SECS));
    let due: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT r.id, COALESCE(r.stripe_key, ''), r.amount_fen, COALESCE(p.reference, ''), r.created_at FROM refunds r \
         LEFT JOIN payments p ON p.order_id = r.order_id WHERE r.answered_at IS NULL AND r.created_at < $1 ORDER BY r.created_at LIMIT 100",
    )
    .bind(&stale)
    .fetch_all(db.pool())
    .await?;
    let mut answered = 0;
    for (refund_id, key, amount, payment_intent, created_at) in due {
        let answer = if created_at < give_up || key.is_empty() {
            tracing::error!(
                refund.id = refund_id,
                "a Stripe refund went unanswered past Stripe's memory of its key: marked failed; finance must check it on Stripe"
            );
            Err(StripeFailure::Declined("no answer from Stripe in time".into()))
        } else {
            match stripe {
                Some(stripe) => stripe.refund(&payment_intent, Fen::new(amount), &key).await,
                None => {
                    tracing::warn!(refund.id = refund_id, "a Stripe refund is unanswered and Stripe is not configured");
                    continue;
                }
            }
        };
        match answer_in(db, refund_id, answer).await {
            Ok(()) | Err(RefundError::Stripe(StripeFailure::Declined(_))) => answered += 1,
            Err(RefundError::Stripe(StripeFailure::Unreachable(_))) => {}
            Err(RefundError::Transition(TransitionError::Db(e))) => return Err(e),
            Err(e) => tracing::warn!(refund.id = refund_id, error = %e, "finishing a refund failed"),
        }
    }
    Ok(answered)
}

/// What [`refund_once`] did with a request carrying an idempotency key.
#[derive(Debug)]
pub enum RefundOnce {
    /// Made (201, stored), or refused for a reason that stays true (stored),
    /// or the earlier request's answer replayed.
    Answered(Answer),
    /// The key was used for another request.
    KeyReused,
    /// A refund with this key is still being made: its answer from Stripe
    /// has not come yet.
    InProgress,
}

/// [`refund`] once per `key` of the caller: the first request's answer is
/// stored and replayed to retries, and money moves once however often a
/// client resends after a time-out. A refusal is stored as `render` words
/// it (the edge's words, replayed byte for byte); failures that may pass
/// (Stripe unreachable or declining, the database) free the key instead,
/// except when the refund's intent is recorded and its answer unknown: then
/// the key stays claimed, and a retry finishes that refund (asking Stripe
/// with the refund's own key) rather than making another. A claim whose
/// request died before recording anything is taken over once it is older
/// than [`crate::bounds::REFUND_PENDING_STALE_SECS`], so a crash never
/// blocks a key for its 24 hours.
pub async fn refund_once(
    db: &Db,
    stripe: Option<&Stripe>,
    actor: &Actor,
    id: i64,
    key: &str,
    r: &NewRefund,
    render: &(dyn Fn(&RefundError) -> Answer + Sync),
) -> Result<RefundOnce, RefundError> {
    let scope = idempotency::Scope { user_id: actor.id, org_id: actor.org.id, endpoint: idempotency::REFUND_API, key };
    let request = format!("{}\n{}\n{}", scope.user_id, scope.endpoint, scope.key);
    let hash: String = {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::to_string(r).unwrap_or_default();
        Sha256::digest(format!("{id}\n{canonical}")).iter().map(|b| format!("{b:02x}")).collect()
    };
    let mut tx = db.begin_write().await?;
    let claimed = idempotency::store(&mut tx, scope, &hash, 0, "").await?;
    if !claimed {
        let earlier = idempotency::find(&mut tx, scope).await?;
        let Some(earlier) = earlier else {
            tx.rollback().await?;
            return Ok(RefundOnce::InProgress);
        };
        if earlier.request_hash != hash {
            tx.rollback().await?;
            return Ok(RefundOnce::KeyReused);
        }
        if earlier.status_code != 0 {
            tx.rollback().await?;
            return Ok(RefundOnce::Answered(Answer { status: earlier.status_code as u16, body: earlier.response_body }));
        }
        // In progress, or its request died. A refund recorded under the key
        // is finished here; with none, a stale claim is taken over.
        let made: Option<(i64, Option<String>, String, i64, String)> = sqlx::query_as(
            "SELECT r.id, r.answered_at, COALESCE(r.stripe_key, ''), r.amount_fen, COALESCE(p.reference, '') FROM refunds r \
             LEFT JOIN payments p ON p.order_id = r.order_id WHERE r.request_key = $1 ORDER BY r.id DESC LIMIT 1",
        )
        .bind(&request)
        .fetch_optional(&mut *tx)
        .await?;
        match made {
            Some((refund_id, answered, stripe_key, amount, payment_intent)) => {
                tx.rollback().await?;
                if answered.is_none() {
                    let Some(stripe) = stripe else { return Ok(RefundOnce::InProgress) };
                    let answer = stripe.refund(&payment_intent, Fen::new(amount), &stripe_key).await;
                    match answer_in(db, refund_id, answer).await {
                        Ok(()) => {}
                        Err(RefundError::Stripe(StripeFailure::Unreachable(_))) => return Ok(RefundOnce::InProgress),
                        Err(e) => {
                            idempotency::release(db, scope).await?;
                            return Err(e);
                        }
                    }
                }
                let refund = read(db, refund_id).await?;
                if refund.status == "failed" {
                    idempotency::release(db, scope).await?;
                    return Err(StripeFailure::Declined("the refund failed".into()).into());
                }
                return answered_with(db, scope, refund).await;
            }
            None => {
                if !idempotency::take_over_stale(&mut tx, scope, crate::bounds::REFUND_PENDING_STALE_SECS).await? {
                    tx.rollback().await?;
                    return Ok(RefundOnce::InProgress);
                }
            }
        }
    }
    tx.commit().await?;
    match make(db, stripe, actor, id, r, Some(&request)).await {
        Ok(refund) => answered_with(db, scope, refund).await,
        // Recorded, answer unknown: the claim stays for a retry to finish.
        Err(e @ RefundError::Stripe(StripeFailure::Unreachable(_))) if recorded(db, &request).await? => Err(e),
        Err(e @ (RefundError::Stripe(_) | RefundError::Transition(TransitionError::Db(_)))) => {
            // Nothing was refunded: a retry may try again.
            idempotency::release(db, scope).await?;
            Err(e)
        }
        Err(e) => {
            let answer = render(&e);
            let mut tx = db.begin_write().await?;
            idempotency::complete(&mut tx, scope, i64::from(answer.status), &answer.body).await?;
            tx.commit().await?;
            Ok(RefundOnce::Answered(answer))
        }
    }
}

/// Whether a refund is recorded under `request` and not yet answered.
async fn recorded(db: &Db, request: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refunds WHERE request_key = $1 AND answered_at IS NULL")
        .bind(request)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// Stores and gives the 201 answer of `refund` for `scope`.
async fn answered_with(db: &Db, scope: idempotency::Scope<'_>, refund: Refund) -> Result<RefundOnce, RefundError> {
    let body = serde_json::to_string(&refund).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    idempotency::complete(&mut tx, scope, 201, &body).await?;
    tx.commit().await?;
    Ok(RefundOnce::Answered(Answer { status: 201, body }))
}

/// Returns `quantity` units of line `line` to their lots, latest expiry
/// first (the freshest stock goes back on sale). The rows are then updated
/// in the global lock order (expiry, lot) that placement uses.
async fn give_back(tx: &mut crate::db::Tx, line: i64, mut quantity: i64) -> sqlx::Result<()> {
    let held: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT a.id, a.lot_id, a.quantity, t.product_id FROM allocations a JOIN lots t ON t.id = a.lot_id WHERE a.line_id = $1 \
         ORDER BY t.expires_on DESC, t.id DESC",
    )
    .bind(line)
    .fetch_all(&mut **tx)
    .await?;
    let mut plan = Vec::new();
    for (allocation, lot, held, product) in held {
        if quantity == 0 {
            break;
        }
        let back = quantity.min(held);
        plan.push((allocation, lot, held, product, back));
        quantity -= back;
    }
    plan.reverse();
    for (allocation, lot, held, product, back) in plan {
        if back == held {
            sqlx::query("DELETE FROM allocations WHERE id = $1").bind(allocation).execute(&mut **tx).await?;
        } else {
            sqlx::query("UPDATE allocations SET quantity = quantity - $1 WHERE id = $2")
                .bind(back)
                .bind(allocation)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("UPDATE lots SET allocated = allocated - $1 WHERE id = $2").bind(back).bind(lot).execute(&mut **tx).await?;
        crate::outbox::enqueue(tx, product).await?;
    }
    Ok(())
}

//! Payment by Stripe: the buyer asks for a PaymentIntent for an order
//! awaiting payment; Stripe's webhook, verified, says it succeeded, and
//! the order becomes paid — once, however often Stripe repeats itself
//! (invariant 5: each event id is recorded in the transaction that acts
//! on it). A payment that lands on an order cancelled meanwhile goes
//! straight back, after the event's transaction, never inside it.

use super::lifecycle::{self, OrderStatus, PaymentMethod};
use super::{TransitionError, ledger};
use crate::auth::Actor;
use crate::db::{Db, Tx};
use crate::money::Fen;
use crate::payments::{EventKind, Intent, Stripe, StripeFailure, WebhookEvent};

/// Marks order `id` paid now unless it was paid before, in the caller's
/// transaction; `false` when it was. One conditional UPDATE: of two
/// confirmations at once, PostgreSQL makes the second wait for the first's
/// row lock and re-check `paid_at IS NULL`, so only one records a payment
/// and writes the ledger — which the status cannot guard for an order on
/// credit terms, whose confirmation moves no status.
pub(super) async fn claim_payment(tx: &mut Tx, id: i64) -> sqlx::Result<bool> {
    let claimed = sqlx::query("UPDATE orders SET paid_at = $1 WHERE id = $2 AND paid_at IS NULL")
        .bind(crate::time::now())
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(claimed == 1)
}

/// Records the payment of order `id` (which the caller has just moved to
/// `paid` or, for a bank transfer, claimed with [`claim_payment`]), writes
/// its attribution ledger and releases its lines for fulfilment (if not
/// released before), in the caller's transaction. The ledger is written
/// here and nowhere else: only confirmed money is attributed.
pub(super) async fn record_payment_in(
    tx: &mut Tx,
    id: i64,
    method: PaymentMethod,
    reference: &str,
    amount: i64,
    user: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payments (order_id, method, reference, amount_fen, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(method.as_str())
    .bind(reference)
    .bind(amount)
    .bind(user)
    .bind(crate::time::now())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE orders SET paid_at = $1 WHERE id = $2 AND paid_at IS NULL")
        .bind(crate::time::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    ledger::attribute_sale(tx, id).await?;
    // Paid goods start moving: the lines are routed in the same
    // transaction (a no-op for an order released earlier on credit terms).
    crate::distribution::release_in(tx, id).await?;
    Ok(())
}

/// Why a Stripe payment could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The order cannot be paid now, or not by this caller.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Stripe refused or is unreachable or unconfigured.
    #[error(transparent)]
    Stripe(#[from] StripeFailure),
}

impl From<sqlx::Error> for StartError {
    fn from(e: sqlx::Error) -> Self {
        StartError::Transition(TransitionError::Db(e))
    }
}

/// The PaymentIntent for the buyer's order `id` (awaiting payment, paid
/// by Stripe), created on first call and the same one after.
pub async fn start_stripe(db: &Db, stripe: Option<&Stripe>, actor: &Actor, id: i64) -> Result<Intent, StartError> {
    let row: Option<(String, String, String, i64)> =
        sqlx::query_as("SELECT number, status, payment_method, total_fen FROM orders WHERE id = $1 AND buyer_org_id = $2")
            .bind(id)
            .bind(actor.org.id)
            .fetch_optional(db.pool())
            .await?;
    let Some((number, status, method, total)) = row else { return Err(TransitionError::NotFound.into()) };
    if PaymentMethod::from_db(&method)? != PaymentMethod::Stripe {
        return Err(TransitionError::Illegal(format!("{status} (to be paid by invoice, not by card)")).into());
    }
    if OrderStatus::from_db(&status)? != OrderStatus::AwaitingPayment {
        return Err(TransitionError::Illegal(status).into());
    }
    let stripe =
        stripe.ok_or_else(|| StripeFailure::Unreachable("card, Alipay and WeChat Pay are not configured on this server".into()))?;
    let intent = stripe.create_intent(id, &number, Fen::new(total)).await?;
    let now = crate::time::now();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO stripe_payment_intents (id, order_id, amount_fen, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
    )
    .bind(&intent.payment_intent_id)
    .bind(id)
    .bind(total)
    .bind(&intent.status)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(intent)
}

/// What the webhook did with an event.
#[derive(Debug)]
pub struct Applied {
    /// For the log and the event's row.
    pub outcome: String,
}

/// Why the last card payment attempt of order `id` failed, if it did
/// (Stripe's words, kept on the intent for the order page).
pub async fn last_stripe_error(db: &Db, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT last_error FROM stripe_payment_intents WHERE order_id = $1 AND last_error <> '' ORDER BY updated_at DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// Acts on a verified event once (its id is kept with what was done). A
/// payment that arrived for an order no longer awaiting it (cancelled or
/// expired meanwhile, its stock released) is refunded in full through
/// `stripe` after the event is recorded ([`refund_orphan`]).
pub async fn apply_stripe_event(db: &Db, stripe: Option<&Stripe>, event: &WebhookEvent) -> sqlx::Result<Applied> {
    let (applied, orphan) = record_stripe_event(db, event).await?;
    if let Some((intent, amount)) = orphan {
        refund_orphan(stripe, &intent, amount).await;
    }
    Ok(applied)
}

/// Money for an order cancelled before it arrived goes straight back,
/// outside any transaction; the refund's idempotency key is the intent, so
/// a replay of the event cannot refund twice. A failure is logged for
/// finance: the event is recorded, and Stripe's dashboard shows the charge.
async fn refund_orphan(stripe: Option<&Stripe>, intent: &str, amount: Fen) {
    match stripe {
        Some(stripe) => match stripe.refund(intent, amount, &format!("zhunong-orphan-{intent}")).await {
            Ok(r) => tracing::info!(stripe.intent = intent, stripe.refund = r.id.as_str(), "payment of a cancelled order refunded"),
            Err(e) => {
                tracing::error!(stripe.intent = intent, error = %e, "payment of a cancelled order NOT refunded: finance must refund it")
            }
        },
        None => tracing::error!(stripe.intent = intent, "payment of a cancelled order NOT refunded: Stripe is not configured"),
    }
}

/// The event's own transaction: what it did, and the payment to give back.
async fn record_stripe_event(db: &Db, event: &WebhookEvent) -> sqlx::Result<(Applied, Option<(String, Fen)>)> {
    let mut tx = db.begin_write().await?;
    let now = crate::time::now();
    let first =
        sqlx::query("INSERT INTO stripe_events (id, type, outcome, received_at) VALUES ($1, $2, '', $3) ON CONFLICT (id) DO NOTHING")
            .bind(&event.id)
            .bind(&event.kind)
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if first == 0 {
        tx.rollback().await?;
        return Ok((Applied { outcome: "replay: already handled".into() }, None));
    }
    let mut refund = None;
    let outcome = match &event.what {
        EventKind::IntentSucceeded { intent, amount_received, currency } => {
            let (outcome, orphan) = intent_succeeded(&mut tx, intent, *amount_received, currency).await?;
            refund = orphan.then(|| (intent.clone(), Fen::new(*amount_received)));
            outcome
        }
        EventKind::IntentFailed { intent, message } => {
            let n = sqlx::query(
                "UPDATE stripe_payment_intents SET status = 'requires_payment_method', last_error = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(message)
            .bind(&now)
            .bind(intent)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                format!("unknown payment intent {intent}")
            } else {
                "payment attempt failed; the order still awaits payment".into()
            }
        }
        // Stripe's later word on a refund it answered (it may still fail).
        EventKind::RefundChanged { refund, status } => {
            let n = sqlx::query("UPDATE refunds SET status = $1 WHERE reference = $2 AND method = 'stripe'")
                .bind(status)
                .bind(refund)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 { format!("refund {refund} is not one of ours") } else { format!("refund {refund} is {status}") }
        }
        EventKind::ChargeRefunded { intent, amount_refunded } => {
            let ours: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(r.amount_fen), 0) AS BIGINT) FROM refunds r JOIN payments p ON p.order_id = r.order_id \
                 WHERE p.reference = $1 AND r.method = 'stripe' AND r.status <> 'failed'",
            )
            .bind(intent.as_deref().unwrap_or(""))
            .fetch_one(&mut *tx)
            .await?;
            if ours == *amount_refunded {
                "refunds agree with Stripe".into()
            } else {
                tracing::warn!(
                    stripe.event = event.id.as_str(),
                    ours,
                    stripe = amount_refunded,
                    "Stripe reports refunds Zhunong did not make"
                );
                format!("Stripe has refunded {amount_refunded} fen, Zhunong recorded {ours}: finance must check")
            }
        }
        EventKind::Other => "ignored".into(),
    };
    sqlx::query("UPDATE stripe_events SET outcome = $1 WHERE id = $2").bind(&outcome).bind(&event.id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok((Applied { outcome }, refund))
}

/// The outcome, and whether the money must go back (the order was
/// cancelled before the payment arrived).
async fn intent_succeeded(tx: &mut Tx, intent: &str, received: i64, currency: &str) -> sqlx::Result<(String, bool)> {
    // Locked (PostgreSQL): the status read here decides below whether the
    // money goes back, so it must not change before the UPDATE.
    let row: Option<(i64, i64, String)> = sqlx::query_as(&format!(
        "SELECT o.id, o.total_fen, o.status FROM stripe_payment_intents s JOIN orders o ON o.id = s.order_id WHERE s.id = $1{}",
        tx.for_update()
    ))
    .bind(intent)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((order, total, status)) = row else { return Ok((format!("unknown payment intent {intent}"), false)) };
    sqlx::query("UPDATE stripe_payment_intents SET status = 'succeeded', last_error = '', updated_at = $1 WHERE id = $2")
        .bind(crate::time::now())
        .bind(intent)
        .execute(&mut **tx)
        .await?;
    if currency != "cny" || received != total {
        tracing::error!(order.id = order, received, total, currency, "a Stripe payment does not match its order");
        return Ok((format!("received {received} {currency} for an order of {total} cny: left for finance"), false));
    }
    if let Err(lost) = lifecycle::transition(tx, order, OrderStatus::AwaitingPayment, OrderStatus::Paid, None, intent).await? {
        let status = lost.current.map_or(status, |s| s.as_str().to_owned());
        tracing::warn!(order.id = order, status = status.as_str(), "Stripe payment for an order no longer awaiting payment: refunding it");
        return Ok((format!("order is {status}, not awaiting payment: refunded in full"), status == OrderStatus::Cancelled.as_str()));
    }
    record_payment_in(tx, order, PaymentMethod::Stripe, intent, total, None).await?;
    Ok(("order paid".into(), false))
}

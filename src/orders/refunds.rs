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
//! The Stripe call is made inside the write transaction, after every check:
//! if Stripe refuses, nothing is recorded; its idempotency key (order and
//! how many refunds it already has) makes a retry after a lost answer safe.

use super::{Order, TransitionError, get_in, ledger};
use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::money::Fen;
use crate::payments::{Stripe, StripeFailure};
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};

/// A line to refund, whole or in part.
#[derive(Debug, Clone, Deserialize)]
pub struct RefundLine {
    /// The order line.
    #[serde(deserialize_with = "crate::ids::deserialize")]
    pub line_id: i64,
    /// Units to refund.
    pub quantity: i64,
}

/// A refund as asked for.
#[derive(Debug, Clone, Deserialize)]
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

/// Statuses in which an order holds paid money that can be refunded.
const REFUNDABLE: [&str; 4] = ["paid", "in_transit", "delivered", "accepted"];

/// Refunds lines of order `id`. Only platform finance refunds.
pub async fn refund(db: &Db, stripe: Option<&Stripe>, actor: &Actor, id: i64, r: &NewRefund) -> Result<Refund, RefundError> {
    // An order has at most that many lines: a longer list is refused before
    // the write transaction, where each line costs a query.
    if r.lines.len() > crate::bounds::MAX_ORDER_LINES {
        let mut errors = FieldErrors::default();
        errors.add("lines", format!("an order has at most {} lines", crate::bounds::MAX_ORDER_LINES));
        return Err(RefundError::Invalid(errors));
    }
    let mut tx = db.begin_write().await?;
    // Refunds of one order take turns: touching the order's row first holds
    // its lock (PostgreSQL) until this refund commits, so a concurrent one
    // reads what is left only after it. SQLite's one writer does the same.
    sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2").bind(crate::time::now()).bind(id).execute(&mut *tx).await?;
    let row: Option<(String, i64, String, String)> = sqlx::query_as(
        "SELECT o.status, o.buyer_org_id, o.payment_method, COALESCE(p.reference, '') FROM orders o LEFT JOIN payments p ON p.order_id = o.id \
         WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((status, buyer, method, payment_reference)) = row else { return Err(TransitionError::NotFound.into()) };
    if !actor.has(Role::PlatformFinance) {
        return Err(if actor.org.id == buyer {
            TransitionError::Forbidden("refunds are made by platform finance; ask them with the order number")
        } else {
            TransitionError::NotFound
        }
        .into());
    }
    if !REFUNDABLE.contains(&status.as_str()) {
        return Err(TransitionError::Illegal(status).into());
    }

    let mut errors = FieldErrors::default();
    let reason = r.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.add("reason", "say why, in 1 to 500 characters");
    }
    if r.lines.is_empty() {
        errors.add("lines", "refund at least one line");
    }
    let mut refunded: Vec<(i64, i64, i64, i64, i64)> = Vec::new(); // line, quantity, amount, line amount, refunded before
    for (i, l) in r.lines.iter().enumerate() {
        if r.lines[..i].iter().any(|p| p.line_id == l.line_id) {
            errors.add(format!("lines[{i}].line_id"), "this line is already in the refund");
            continue;
        }
        let line: Option<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT l.quantity, l.unit_price_fen, l.amount_fen, CAST(COALESCE((SELECT SUM(r.quantity) FROM refund_lines r WHERE r.line_id = l.id), 0) AS BIGINT) \
             FROM order_lines l WHERE l.id = $1 AND l.order_id = $2",
        )
        .bind(l.line_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((quantity, unit, amount, before)) = line else {
            errors.add(format!("lines[{i}].line_id"), "no such line in this order");
            continue;
        };
        let left = quantity - before;
        if l.quantity < 1 || l.quantity > left {
            errors.add(format!("lines[{i}].quantity"), format!("give 1 to {left} (ordered {quantity}, refunded {before})"));
            continue;
        }
        refunded.push((l.line_id, l.quantity, l.quantity * unit, amount, before * unit));
    }
    if !errors.is_empty() {
        return Err(RefundError::Invalid(errors));
    }
    let total: i64 = refunded.iter().map(|r| r.2).sum();
    let restock = status == "paid";
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refunds WHERE order_id = $1").bind(id).fetch_one(&mut *tx).await?;

    let (refund_method, reference, refund_status) = if method == "stripe" {
        let stripe = stripe.ok_or_else(|| StripeFailure::Unreachable("Stripe is not configured on this server".into()))?;
        let done = stripe.refund(&payment_reference, Fen::new(total), &format!("zhunong-refund-{id}-{}", count + 1)).await?;
        ("stripe", done.id, done.status)
    } else {
        let number: String = sqlx::query_scalar("SELECT number FROM orders WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        ("credit_note", format!("CN-{number}-{}", count + 1), "issued".to_string())
    };
    let now = crate::time::now();
    let refund_id: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (order_id, method, reference, status, reason, amount_fen, restocked, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(id)
    .bind(refund_method)
    .bind(&reference)
    .bind(&refund_status)
    .bind(reason)
    .bind(total)
    .bind(restock as i64)
    .bind(actor.id)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    for (line, quantity, amount, line_amount, before) in &refunded {
        sqlx::query("INSERT INTO refund_lines (refund_id, line_id, quantity, amount_fen) VALUES ($1, $2, $3, $4)")
            .bind(refund_id)
            .bind(line)
            .bind(quantity)
            .bind(amount)
            .execute(&mut *tx)
            .await?;
        ledger::attribute_refund(&mut tx, id, *line, *line_amount, before + amount).await?;
        if restock {
            give_back(&mut tx, *line, *quantity).await?;
        }
    }
    let all_refunded: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM order_lines l WHERE l.order_id = $1 \
         AND l.quantity > CAST(COALESCE((SELECT SUM(r.quantity) FROM refund_lines r WHERE r.line_id = l.id), 0) AS BIGINT)",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    // A line refunded in full sends nothing: the order may now be delivered.
    let to = if all_refunded == 0 { "refunded" } else { super::fulfil::settled(&mut tx, id, &status).await? };
    if to != status {
        sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3").bind(to).bind(&now).bind(id).execute(&mut *tx).await?;
    }
    sqlx::query("INSERT INTO order_events (order_id, from_status, to_status, user_id, at, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(&status)
        .bind(to)
        .bind(actor.id)
        .bind(&now)
        .bind(format!("refund {reference}: {} — {reason}", Fen::new(total).yuan_text()))
        .execute(&mut *tx)
        .await?;
    let order = get_in(&mut tx, buyer, id).await?.ok_or(TransitionError::NotFound)?;
    tx.commit().await?;
    Ok(Refund {
        id: refund_id,
        method: refund_method.into(),
        reference,
        status: refund_status,
        amount_fen: Fen::new(total),
        restocked: restock,
        reason: reason.into(),
        lines: refunded.iter().map(|(line, q, a, _, _)| RefundedLine { line_id: *line, quantity: *q, amount_fen: Fen::new(*a) }).collect(),
        order,
    })
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

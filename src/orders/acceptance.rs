//! Goods acceptance (验收): after delivery the buyer accepts the order and
//! rates each cooperative in it, 1 to 5 stars, in one step — the step that
//! makes an agency's order count towards its reserved share. An order on
//! credit terms (账期) still unpaid falls due then: `due_on` is the China
//! date of acceptance plus its terms.

use super::lifecycle::{self, OrderStatus};
use super::{Order, TransitionError, get_in};
use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::validation::{FieldErrors, Problem};
use serde::Deserialize;

/// A rating of one cooperative of the order.
#[derive(Debug, Clone, Deserialize)]
pub struct Rating {
    /// The cooperative.
    #[serde(deserialize_with = "crate::ids::deserialize")]
    pub cooperative_id: i64,
    /// 1 to 5.
    pub stars: i64,
    /// Optional words.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Why an acceptance was refused.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// Wrong status, wrong caller, no such order.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Ratings missing or out of range (named fields).
    #[error("invalid acceptance: {0}")]
    Invalid(FieldErrors),
}

impl From<sqlx::Error> for AcceptError {
    fn from(e: sqlx::Error) -> Self {
        AcceptError::Transition(TransitionError::Db(e))
    }
}

/// Accepts delivered order `id` of the caller's organisation with a rating
/// of every cooperative in it.
pub async fn accept(db: &Db, actor: &Actor, id: i64, ratings: &[Rating]) -> Result<Order, AcceptError> {
    // One rating per cooperative, and an order has at most that many lines:
    // a longer list is refused before the write transaction.
    if ratings.len() > crate::bounds::MAX_ORDER_LINES {
        let mut errors = FieldErrors::default();
        errors.add("ratings", Problem::TooManyRatings { max: crate::bounds::MAX_ORDER_LINES as i64 });
        return Err(AcceptError::Invalid(errors));
    }
    let mut tx = db.begin_write().await?;
    let row: Option<(String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT status, credit_terms_days, paid_at FROM orders WHERE id = $1 AND buyer_org_id = $2")
            .bind(id)
            .bind(actor.org.id)
            .fetch_optional(&mut *tx)
            .await?;
    let (status, terms, paid) = row.ok_or(TransitionError::NotFound)?;
    if !(actor.has(Role::AgencyBuyer) || actor.has(Role::AgencyApprover) || actor.has(Role::PartnerBuyer)) {
        return Err(TransitionError::Forbidden("only the buyer's purchasers accept goods").into());
    }
    if OrderStatus::from_db(&status)? != OrderStatus::Delivered {
        return Err(TransitionError::Illegal(status).into());
    }
    let coops: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT cooperative_id FROM order_lines WHERE order_id = $1 ORDER BY cooperative_id")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    let mut errors = FieldErrors::default();
    for (i, r) in ratings.iter().enumerate() {
        if !coops.contains(&r.cooperative_id) {
            errors.add(format!("ratings[{i}].cooperative_id"), Problem::NotASeller);
        } else if ratings[..i].iter().any(|p| p.cooperative_id == r.cooperative_id) {
            errors.add(format!("ratings[{i}].cooperative_id"), Problem::RatedTwice);
        }
        if !(1..=5).contains(&r.stars) {
            errors.add(format!("ratings[{i}].stars"), Problem::Stars);
        }
        if r.comment.as_deref().is_some_and(|c| c.chars().count() > 500) {
            errors.add(format!("ratings[{i}].comment"), Problem::TooLong { max: 500 });
        }
    }
    for c in &coops {
        if !ratings.iter().any(|r| r.cooperative_id == *c) {
            errors.add("ratings", Problem::Unrated { cooperative: *c });
        }
    }
    if !errors.is_empty() {
        return Err(AcceptError::Invalid(errors));
    }
    let now = crate::time::now();
    lifecycle::transition(&mut tx, id, OrderStatus::Delivered, OrderStatus::Accepted, Some(actor.id), "")
        .await?
        .map_err(TransitionError::lost)?;
    if let Some(days) = terms.filter(|_| paid.is_none()) {
        // The buyer's calendar day (China), as every date a buyer sees. A
        // payment confirmed meanwhile (the order's row is locked by the
        // move above) is not made due: `paid_at IS NULL` is re-checked.
        let due = super::terms::due_on(crate::time::china_today(), days);
        sqlx::query("UPDATE orders SET due_on = $1 WHERE id = $2 AND paid_at IS NULL")
            .bind(crate::time::format_date(due))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    for r in ratings {
        sqlx::query("INSERT INTO ratings (order_id, cooperative_id, stars, comment, rated_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(r.cooperative_id)
            .bind(r.stars)
            .bind(r.comment.as_deref().unwrap_or("").trim())
            .bind(actor.id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
    }
    let order = get_in(&mut tx, actor.org.id, id).await?.ok_or(TransitionError::NotFound)?;
    tx.commit().await?;
    Ok(order)
}

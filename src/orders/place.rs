//! Placing an order once per idempotency key: the one door the JSON API and
//! the checkout page both use ([`place_idempotent`]).
//!
//! The first answer to a key is stored (for 24 hours,
//! [`super::idempotency`] says why) in the same transaction as the order it
//! created, or — for a refusal — on its own, so a retry gets the same answer
//! and creates nothing. The caller's right to place orders is checked before
//! any stored answer is replayed: a stored answer is the answer to someone
//! allowed to ask, and a refusal for want of the role is not stored.
//!
//! Refusals are stored in the words of the edge that answered them
//! (`render`), so a retry is answered byte for byte as the first request
//! was; the domain stores and replays them without reading them.

use super::idempotency::{self, Answer, Scope};
use super::{HoldPolicy, NewOrder, Order, PlaceError, place_in, prepare};
use crate::auth::Actor;
use crate::db::Db;
use crate::validation::FieldErrors;
use sha2::{Digest, Sha256};

/// What a placement asks for.
#[derive(Debug, Clone, Copy)]
pub struct PlaceRequest<'a> {
    /// Which door ([`idempotency::PLACE_API`], [`idempotency::PLACE_CHECKOUT`]):
    /// one key on two doors names two requests.
    pub endpoint: &'static str,
    /// The client's idempotency key, if it sent one.
    pub key: Option<&'a str>,
    /// The order.
    pub order: &'a NewOrder,
}

/// What became of a placement.
#[derive(Debug)]
pub enum PlaceOutcome {
    /// Placed now, committed (and its answer stored for the key). Boxed:
    /// an order is large beside the other answers.
    Placed(Box<Order>),
    /// The key was answered before: that answer, as given then.
    Replayed(Answer),
    /// Not placed: why, and the answer stored for the key (none when the
    /// refusal is not stored: no key, no right to order, a key reused for
    /// another order, card payments not configured).
    Refused {
        /// Why: invalid fields, not enough stock (the short lines named),
        /// the unpaid hold cap, or no right to order.
        why: PlaceError,
        /// The stored answer the caller should give, byte for byte.
        stored: Option<Answer>,
    },
}

impl Answer {
    /// The order a stored 201 answer placed.
    pub fn placed_order(&self) -> Option<i64> {
        if self.status != 201 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        crate::ids::parse(v["id"].as_str()?)
    }
}

/// Places `req.order` for `actor` once per key (see the module's doc).
/// `cards` says whether card payment (Stripe) is configured; `render` words
/// a refusal as the edge answers it, for storing.
pub async fn place_idempotent(
    db: &Db,
    holds: &HoldPolicy,
    cards: bool,
    actor: &Actor,
    req: PlaceRequest<'_>,
    render: &(dyn Fn(&PlaceError) -> Answer + Sync),
) -> sqlx::Result<PlaceOutcome> {
    if let Err(why) = super::may_place(actor) {
        return Ok(PlaceOutcome::Refused { why, stored: None });
    }
    let order = req.order;
    if order.payment_method == super::PaymentMethod::Stripe.as_str() && !cards {
        let errors = FieldErrors::one("payment_method", crate::validation::Problem::CardsUnavailable);
        return Ok(PlaceOutcome::Refused { why: PlaceError::Invalid(errors), stored: None });
    }
    let scope = req.key.map(|key| Scope { user_id: actor.id, org_id: actor.org.id, endpoint: req.endpoint, key });
    let hash = request_hash(order);

    // A key answered before gets its answer; checking and pricing only
    // read. Both are done before the write transaction, on one connection.
    let mut conn = db.pool().acquire().await?;
    if let Some(scope) = scope
        && let Some(answer) = stored_answer(&mut conn, scope, &hash).await?
    {
        return Ok(answer);
    }
    let prepared = prepare(&mut conn, actor, order).await;
    drop(conn);
    let prepared = match prepared {
        Ok(p) => p,
        Err(PlaceError::Db(e)) => return Err(e),
        Err(why) => return refuse(db, scope, &hash, why, render).await,
    };

    let mut tx = db.begin_write().await?;
    if let Some(scope) = scope
        && !idempotency::store(&mut tx, scope, &hash, 0, "").await?
    {
        // A concurrent request with this key got there first.
        let answer = stored_answer(&mut tx, scope, &hash).await?;
        tx.rollback().await?;
        return answer.ok_or_else(|| sqlx::Error::Protocol(format!("idempotency key {} claimed without an answer", scope.key)));
    }
    match place_in(&mut tx, actor, order, &prepared, holds).await {
        Ok(created) => {
            if let Some(scope) = scope {
                let body = serde_json::to_string(&created).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                idempotency::complete(&mut tx, scope, 201, &body).await?;
            }
            // Acknowledged only after the commit (invariant 4).
            tx.commit().await?;
            tracing::info!(order.id = created.id, org.id = actor.org.id, "order placed");
            Ok(PlaceOutcome::Placed(Box::new(created)))
        }
        Err(PlaceError::Db(e)) => Err(e),
        Err(why) => {
            tx.rollback().await?;
            refuse(db, scope, &hash, why, render).await
        }
    }
}

/// The order a key of `actor` placed through `endpoint`, if it placed one
/// within its 24 hours (a second submit of a checkout form whose cart is
/// empty by then shows that order).
pub async fn placed_with_key(db: &Db, actor: &Actor, endpoint: &'static str, key: &str) -> sqlx::Result<Option<i64>> {
    let scope = Scope { user_id: actor.id, org_id: actor.org.id, endpoint, key };
    let mut conn = db.pool().acquire().await?;
    let stored = idempotency::find(&mut conn, scope).await?;
    Ok(stored.and_then(|s| Answer { status: s.status_code as u16, body: s.response_body }.placed_order()))
}

/// SHA-256 of the order as parsed, hex: two requests are the same when
/// they ask for the same order, however their JSON was spaced.
fn request_hash(order: &NewOrder) -> String {
    let canonical = serde_json::to_string(order).unwrap_or_default();
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The live stored answer for `scope`, if it has one: the first answer for
/// the same order, or a refusal for a different one.
async fn stored_answer(conn: &mut sqlx::AnyConnection, scope: Scope<'_>, hash: &str) -> sqlx::Result<Option<PlaceOutcome>> {
    let row = idempotency::find(conn, scope).await?;
    Ok(row.filter(|r| r.status_code != 0).map(|r| {
        if r.request_hash == hash {
            PlaceOutcome::Replayed(Answer { status: r.status_code as u16, body: r.response_body })
        } else {
            let errors = FieldErrors::one("Idempotency-Key", crate::validation::Problem::KeyReused { body: true });
            PlaceOutcome::Refused { why: PlaceError::Invalid(errors), stored: None }
        }
    }))
}

/// A refused order. Nothing of it is kept; the refusal itself is stored
/// for the key (for 24 hours), so a retry gets the same answer (unless
/// another request with the key stored its answer first: then that one).
async fn refuse(
    db: &Db,
    scope: Option<Scope<'_>>,
    hash: &str,
    why: PlaceError,
    render: &(dyn Fn(&PlaceError) -> Answer + Sync),
) -> sqlx::Result<PlaceOutcome> {
    let Some(scope) = scope else { return Ok(PlaceOutcome::Refused { why, stored: None }) };
    let answer = render(&why);
    let mut tx = db.begin_write().await?;
    if idempotency::store(&mut tx, scope, hash, i64::from(answer.status), &answer.body).await? {
        tx.commit().await?;
        return Ok(PlaceOutcome::Refused { why, stored: Some(answer) });
    }
    let earlier = stored_answer(&mut tx, scope, hash).await?;
    tx.rollback().await?;
    Ok(earlier.unwrap_or(PlaceOutcome::Refused { why, stored: Some(answer) }))
}

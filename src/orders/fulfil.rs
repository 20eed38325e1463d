//! Fulfilment by scans: an operator scans a shipment at a node
//! ([`crate::distribution::shipments::scan_in`] moves the shipment and its
//! legs), and the lines in it follow — a line leaves (waiting →
//! in_transit) at its first dispatch and is delivered when every leg of
//! every route of it is — each move the line's event; the orders then
//! follow their lines by the one rule ([`lifecycle::settle`]). All in one
//! transaction: a scan moves everything or nothing.
//!
//! A scan sent with an `Idempotency-Key` (the offline scan page sends one
//! with every queued scan) is done once: a retry after a lost answer gets
//! the first answer again.

use super::idempotency::{self, Scope};
use super::lifecycle::{self, LineStatus, OrderStatus};
use crate::auth::Actor;
use crate::db::{Db, Tx};
use crate::distribution::shipments::{self, ScanError, ScanEvent, Shipment};
use serde::Serialize;
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// The endpoint name of scans, for their idempotency keys.
pub const SCAN_API: &str = "POST /api/v1/shipments/{code}/scans";

/// A scan as asked.
#[derive(Debug, Clone, Copy)]
pub struct ScanRequest<'a> {
    /// The shipment's code.
    pub code: &'a str,
    /// The node scanning.
    pub node_id: i64,
    /// What happened.
    pub event: ScanEvent,
    /// When it was scanned (now, or earlier for a scan queued offline).
    pub at: OffsetDateTime,
}

/// A scan done: the shipment as it is after the scan (a scan of it that
/// commits in the same instant may already show).
#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    /// The shipment after the scan.
    pub shipment: Shipment,
    /// What was scanned.
    pub event: ScanEvent,
    /// When, as stored.
    pub at: String,
}

/// The answer to a scan.
#[derive(Debug)]
pub enum ScanOutcome {
    /// Done now.
    Done(Box<Scan>),
    /// A retry of a scan done before with this key: its first answer.
    Replayed(idempotency::Answer),
    /// The key was used before for another scan.
    KeyReused,
}

/// Scans once per key (without one, every call is a new scan; a repeat is
/// then refused as out of order).
pub async fn scan(db: &Db, actor: &Actor, req: ScanRequest<'_>, key: Option<&str>) -> Result<ScanOutcome, ScanError> {
    let scope = key.map(|key| Scope { user_id: actor.id, org_id: actor.org.id, endpoint: SCAN_API, key });
    let hash = format!("{}|{}|{}|{}", req.code, req.node_id, req.event.as_str(), crate::time::timestamp(req.at));
    if let Some(scope) = scope {
        let mut conn = db.pool().acquire().await?;
        if let Some(stored) = idempotency::find(&mut conn, scope).await?
            && stored.status_code != 0
        {
            return Ok(if stored.request_hash == hash {
                ScanOutcome::Replayed(idempotency::Answer { status: stored.status_code as u16, body: stored.response_body })
            } else {
                ScanOutcome::KeyReused
            });
        }
    }
    let mut tx = db.begin_write().await?;
    if let Some(scope) = scope
        && !idempotency::store(&mut tx, scope, &hash, 0, "").await?
    {
        // The same key at work in another request (the device sent twice):
        // this one is a repeat.
        tx.rollback().await?;
        return Ok(ScanOutcome::KeyReused);
    }
    let scanned = shipments::scan_in(&mut tx, actor, req.code, req.node_id, req.event, req.at).await?;
    follow(&mut tx, actor, &scanned).await?;
    let done = match scope {
        // The answer is stored with the scan, so it is read inside.
        Some(scope) => {
            let shipment = crate::distribution::views::shipment_in(&mut tx, scanned.shipment_id).await?;
            let done = Scan { shipment, event: scanned.event, at: scanned.at };
            let body = serde_json::to_string(&done).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            idempotency::complete(&mut tx, scope, 201, &body).await?;
            tx.commit().await?;
            done
        }
        // Else after the commit: on SQLite the writer's turn is the scan's
        // only, not the read of the answer (scans at a busy hub queue for it).
        None => {
            tx.commit().await?;
            let mut conn = db.pool().acquire().await?;
            let shipment = crate::distribution::views::shipment_in(&mut conn, scanned.shipment_id).await?;
            Scan { shipment, event: scanned.event, at: scanned.at }
        }
    };
    tracing::info!(shipment = %done.shipment.code, event = done.event.as_str(), user.id = actor.id, "shipment scanned");
    Ok(ScanOutcome::Done(Box::new(done)))
}

/// Moves the lines a scan moved, then settles their orders. Orders are
/// locked in id order (the shipment row is already locked by the scan), so
/// two scans touching one order wait for each other instead of
/// deadlocking, and each settles from the other's committed lines.
async fn follow(tx: &mut Tx, actor: &Actor, scanned: &shipments::Scanned) -> sqlx::Result<()> {
    let (lines, from, to) = match scanned.event {
        ScanEvent::Dispatched => (&scanned.dispatched_lines, LineStatus::Waiting, LineStatus::InTransit),
        ScanEvent::Delivered => (&scanned.delivered_lines, LineStatus::InTransit, LineStatus::Delivered),
        ScanEvent::Received => return Ok(()),
    };
    let orders: BTreeSet<i64> = lines.iter().map(|(_, o)| *o).collect();
    let mut statuses = Vec::with_capacity(orders.len());
    for order in &orders {
        // The lock, and the status the order is in under it.
        let status: String = sqlx::query_scalar("UPDATE orders SET updated_at = updated_at WHERE id = $1 RETURNING status")
            .bind(order)
            .fetch_one(&mut **tx)
            .await?;
        statuses.push((*order, OrderStatus::from_db(&status)?));
    }
    let note = format!("{} {}", scanned.event.as_str(), scanned.code);
    for (line, _) in lines {
        // A line with lots at two nodes leaves with its first shipment;
        // the second one's dispatch finds it already on its way (the move
        // is lost to where the line already is). Under the order's lock
        // nobody else moves it: any other loss is a bug, reported.
        let rank = |s: LineStatus| LineStatus::ALL.iter().position(|x| *x == s);
        if let Err(lost) = lifecycle::transition_line(tx, *line, from, to, Some(actor.id), &note).await?
            && lost.current.is_none_or(|c| rank(c) < rank(to))
        {
            return Err(sqlx::Error::Protocol(format!("line {line} moved under its order's lock: {lost:?}")));
        }
    }
    for (order, status) in statuses {
        // Goods of a refunded line may still travel (they were packed); a
        // refunded or cancelled order does not move again.
        if matches!(status, OrderStatus::Refunded | OrderStatus::Cancelled) {
            continue;
        }
        if let Err(lost) = lifecycle::settle(tx, order, status, Some(actor.id), &note).await? {
            return Err(sqlx::Error::Protocol(format!("order {order} moved under its lock: {lost:?}")));
        }
    }
    Ok(())
}

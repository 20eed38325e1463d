//! Fulfilment per line: dispatch and delivery move order lines, each on its
//! own (a line can be delivered while another is still at the county
//! centre), each move recorded as the line's event; the order's status then
//! follows from its lines by the one rule, [`lifecycle::derive`].
//!
//! Who moves a line is the distribution chain's rule,
//! [`crate::distribution::MoverScope`]: the platform admin any line, a hub
//! operator the lines whose origin lies inside a region its nodes serve.

use super::lifecycle::{self, LineStatus, OrderStatus};
use super::{Order, Transition, TransitionError, get_in};
use crate::auth::Actor;
use crate::db::{Db, Tx};
use crate::distribution::MoverScope;
use crate::regions::RegionCode;

/// Dispatches (waiting → in_transit) or delivers (in_transit → delivered)
/// the lines of order `id` that `actor` may move, then settles the order's
/// status by the rule and records one event naming the lines when only
/// some moved. 404 for someone with no line in the order (403 for the
/// buyer's own people); 409 when none of their lines can take this step.
pub(super) async fn move_lines(db: &Db, actor: &Actor, id: i64, t: Transition) -> Result<Order, TransitionError> {
    let (from, to, verb) = match t {
        Transition::Dispatch => (LineStatus::Waiting, LineStatus::InTransit, "dispatched"),
        Transition::Deliver => (LineStatus::InTransit, LineStatus::Delivered, "delivered"),
        _ => unreachable!("only dispatch and delivery move lines"),
    };
    let mut tx = db.begin_write().await?;
    // Lock the order row first: two operators moving lines of one order at
    // once then derive its status one after the other, each from the
    // other's committed lines (PostgreSQL; SQLite has one writer anyway).
    let locked = sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
    if locked == 0 {
        return Err(TransitionError::NotFound);
    }
    let (status, buyer): (String, i64) =
        sqlx::query_as("SELECT status, buyer_org_id FROM orders WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
    let status = OrderStatus::from_db(&status)?;
    let lines = lines_of(&mut tx, id).await?;
    let scope = MoverScope::of(&mut tx, actor).await?;
    let mine: Vec<&LineRow> = lines.iter().filter(|l| may_move(&scope, l.origin)).collect();
    if mine.is_empty() {
        return Err(if actor.org.id == buyer {
            TransitionError::Forbidden("only the hub operators of the origin move the goods")
        } else {
            TransitionError::NotFound
        });
    }
    let order_ready = match t {
        Transition::Dispatch => status.follows_lines(),
        _ => status == OrderStatus::InTransit,
    };
    let movable: Vec<&&LineRow> = mine.iter().filter(|l| l.status == from && l.units_left > 0).collect();
    if !order_ready || movable.is_empty() {
        return Err(TransitionError::Illegal(status.as_str().to_owned()));
    }
    for l in &movable {
        if let Err(lost) = lifecycle::transition_line(&mut tx, l.id, from, to, Some(actor.id), "").await? {
            // Cannot happen under the order's lock; answered as a conflict
            // rather than assumed away.
            return Err(TransitionError::Illegal(lost.current.map_or("gone", |s| s.as_str()).to_owned()));
        }
    }
    // The whole order moving reads as before ("paid → in_transit"); a part
    // of it names the lines.
    let every_line = lines.iter().filter(|l| l.status == from && l.units_left > 0).count() == movable.len();
    let note = if every_line {
        String::new()
    } else {
        format!("{verb}: {}", movable.iter().map(|l| l.product.as_str()).collect::<Vec<_>>().join("、"))
    };
    if let Err(lost) = lifecycle::settle(&mut tx, id, status, Some(actor.id), &note).await? {
        return Err(TransitionError::lost(lost));
    }
    let order = get_in(&mut tx, buyer, id).await?.ok_or(TransitionError::NotFound)?;
    tx.commit().await?;
    Ok(order)
}

/// Whether `scope` covers a line of `origin` (a code that does not parse is
/// covered only by the scope of everywhere).
fn may_move(scope: &MoverScope, origin: Option<RegionCode>) -> bool {
    match origin {
        Some(o) => scope.may_move(o),
        None => *scope == MoverScope::Everywhere,
    }
}

struct LineRow {
    id: i64,
    status: LineStatus,
    /// `None` for a code that does not parse (moved by nobody but the
    /// platform admin's scope, which needs no origin).
    origin: Option<RegionCode>,
    product: String,
    /// Units left to send: ordered less refunded.
    units_left: i64,
}

async fn lines_of(tx: &mut Tx, id: i64) -> sqlx::Result<Vec<LineRow>> {
    let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT l.id, l.status, p.origin_code, p.name, \
                l.quantity - CAST(COALESCE((SELECT SUM(r.quantity) FROM refund_lines r JOIN refunds f ON f.id = r.refund_id WHERE r.line_id = l.id AND f.answered_at IS NOT NULL), 0) AS BIGINT) \
         FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|(id, status, origin, product, units_left)| {
            Ok(LineRow { id, status: LineStatus::from_db(&status)?, origin: RegionCode::parse(&origin).ok(), product, units_left })
        })
        .collect()
}

//! Fulfilment per line: dispatch and delivery move order lines, each on its
//! own (a line can be delivered while another is still at the county
//! centre), and the order's status follows from its lines by one rule,
//! [`derive`].
//!
//! Who moves a line: the platform admin any line; a hub operator the lines
//! whose product's origin lies inside the region of a node its organisation
//! runs — the nodes the goods pass on their way up the chain (village point,
//! township sorting centre, county centre, prefecture hub). Until routing
//! assigns shipments to nodes this is the rule; a 伽师县 operator never moves
//! a 卡若区 line of a mixed order.

use super::{Order, Transition, TransitionError, get_in};
use crate::auth::{Actor, Role};
use crate::db::{Db, Tx};
use crate::regions::RegionCode;

/// The regions whose goods `actor` may move: `None` for every region (the
/// platform admin), else the regions of the nodes its organisation runs
/// (none for anyone who is not a hub operator).
pub async fn mover_regions(conn: &mut sqlx::AnyConnection, actor: &Actor) -> sqlx::Result<Option<Vec<RegionCode>>> {
    if actor.has(Role::PlatformAdmin) {
        return Ok(None);
    }
    if !actor.has(Role::HubOperator) {
        return Ok(Some(Vec::new()));
    }
    let codes: Vec<String> = sqlx::query_scalar("SELECT DISTINCT region_code FROM nodes WHERE operator_org_id = $1")
        .bind(actor.org.id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(Some(codes.iter().filter_map(|c| RegionCode::parse(c).ok()).collect()))
}

/// Whether a line of origin `origin` is in the scope [`mover_regions`] gave.
pub fn may_move(scope: &Option<Vec<RegionCode>>, origin: &str) -> bool {
    match scope {
        None => true,
        Some(regions) => RegionCode::parse(origin).is_ok_and(|o| regions.iter().any(|r| r.contains(o))),
    }
}

/// The order's status from its lines' `(status, units left to send)`, while
/// it is between payment and delivery: `delivered` when every line with
/// units left is delivered; `in_transit` when any line has left (dispatched
/// or delivered); else `paid`. Fully refunded lines send nothing and do not
/// hold the order back.
pub fn derive(lines: &[(String, i64)]) -> &'static str {
    let live: Vec<&str> = lines.iter().filter(|(_, left)| *left > 0).map(|(s, _)| s.as_str()).collect();
    if !live.is_empty() && live.iter().all(|s| *s == "delivered") {
        "delivered"
    } else if lines.iter().any(|(s, _)| s != "waiting") {
        "in_transit"
    } else {
        "paid"
    }
}

/// Dispatches (waiting → in_transit) or delivers (in_transit → delivered)
/// the lines of order `id` that `actor` may move, then sets the order's
/// status by [`derive`] and records one event naming the lines when only
/// some moved. 404 for someone with no line in the order (403 for the
/// buyer's own people); 409 when none of their lines can take this step.
pub(super) async fn move_lines(db: &Db, actor: &Actor, id: i64, t: Transition) -> Result<Order, TransitionError> {
    let (from, to, verb) = match t {
        Transition::Dispatch => ("waiting", "in_transit", "dispatched"),
        Transition::Deliver => ("in_transit", "delivered", "delivered"),
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
    let lines = lines_of(&mut tx, id).await?;
    let scope = mover_regions(&mut tx, actor).await?;
    let mine: Vec<&LineRow> = lines.iter().filter(|l| may_move(&scope, &l.origin)).collect();
    if mine.is_empty() {
        return Err(if actor.org.id == buyer {
            TransitionError::Forbidden("only the hub operators of the origin move the goods")
        } else {
            TransitionError::NotFound
        });
    }
    let order_ready = match t {
        Transition::Dispatch => status == "paid" || status == "in_transit",
        _ => status == "in_transit",
    };
    let movable: Vec<&&LineRow> = mine.iter().filter(|l| l.status == from && l.units_left > 0).collect();
    if !order_ready || movable.is_empty() {
        return Err(TransitionError::Illegal(status));
    }
    for l in &movable {
        sqlx::query("UPDATE order_lines SET status = $1 WHERE id = $2 AND status = $3")
            .bind(to)
            .bind(l.id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
    }
    let after: Vec<(String, i64)> =
        lines.iter().map(|l| (if movable.iter().any(|m| m.id == l.id) { to.to_owned() } else { l.status.clone() }, l.units_left)).collect();
    let derived = derive(&after);
    if derived != status {
        sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(derived)
            .bind(crate::time::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    // The whole order moving reads as before ("paid → in_transit"); a part
    // of it names the lines.
    let every_line = lines.iter().filter(|l| l.status == from && l.units_left > 0).count() == movable.len();
    let note = if every_line {
        String::new()
    } else {
        format!("{verb}: {}", movable.iter().map(|l| l.product.as_str()).collect::<Vec<_>>().join("、"))
    };
    sqlx::query("INSERT INTO order_events (order_id, from_status, to_status, user_id, at, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(&status)
        .bind(derived)
        .bind(actor.id)
        .bind(crate::time::now())
        .bind(&note)
        .execute(&mut *tx)
        .await?;
    let order = get_in(&mut tx, buyer, id).await?.ok_or(TransitionError::NotFound)?;
    tx.commit().await?;
    Ok(order)
}

/// The status order `id` (now `status`) should have after its lines
/// changed otherwise than by moving (a refund): derived from its lines
/// while it is between payment and delivery, else `status` unchanged.
pub(super) async fn settled<'a>(tx: &mut Tx, id: i64, status: &'a str) -> sqlx::Result<&'a str> {
    if !matches!(status, "paid" | "in_transit") {
        return Ok(status);
    }
    let lines: Vec<(String, i64)> = lines_of(tx, id).await?.into_iter().map(|l| (l.status, l.units_left)).collect();
    Ok(derive(&lines))
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: i64,
    status: String,
    origin: String,
    product: String,
    /// Units left to send: ordered less refunded.
    units_left: i64,
}

async fn lines_of(tx: &mut Tx, id: i64) -> sqlx::Result<Vec<LineRow>> {
    sqlx::query_as(
        "SELECT l.id, l.status, p.origin_code AS origin, p.name AS product, \
                l.quantity - CAST(COALESCE((SELECT SUM(r.quantity) FROM refund_lines r WHERE r.line_id = l.id), 0) AS BIGINT) AS units_left \
         FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await
}

#[cfg(test)]
mod tests {
    use super::derive;

    fn lines(l: &[(&str, i64)]) -> Vec<(String, i64)> {
        l.iter().map(|(s, n)| (s.to_string(), *n)).collect()
    }

    #[test]
    fn an_order_is_delivered_only_when_every_line_with_goods_left_is() {
        assert_eq!(derive(&lines(&[("waiting", 3), ("waiting", 1)])), "paid");
        assert_eq!(derive(&lines(&[("in_transit", 3), ("waiting", 1)])), "in_transit");
        assert_eq!(derive(&lines(&[("delivered", 3), ("waiting", 1)])), "in_transit");
        assert_eq!(derive(&lines(&[("delivered", 3), ("delivered", 1)])), "delivered");
        assert_eq!(derive(&lines(&[("delivered", 3), ("waiting", 0)])), "delivered", "a fully refunded line holds nothing back");
    }
}

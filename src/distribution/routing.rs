//! Releasing order lines for fulfilment: each lot allocated to a released
//! line gets a route ([`super::route::plan`]) from the node where the lot
//! sits to the buyer, stored as legs, and the first leg joins its node's
//! open shipment for its next hop ([`super::shipments::join_in`]).
//!
//! A route is planned once and never silently recomputed: the table's
//! `UNIQUE (line_id, lot_id)` makes a second release of the same line a
//! no-op, whoever asks (payment, approval on credit terms, the sweep that
//! routes lines released before routing existed).
//!
//! Everything is written in the caller's transaction, in batches (one
//! INSERT per few hundred routes, one per shipment key), so releasing the
//! 100,000 lines of the benchmark costs a few hundred statements, not a
//! million.

use super::route::{self, LegKind, Route, Site, Skipped};
use super::shipments::{self, Hop};
use crate::db::Tx;
use crate::regions::RegionCode;
use std::collections::HashMap;
use time::OffsetDateTime;

/// One lot's share of a released line, as routing needs it.
#[derive(Debug, Clone)]
struct ToRoute {
    order_id: i64,
    line_id: i64,
    lot_id: i64,
    quantity: i64,
    start: i64,
    delivery: RegionCode,
    cold: bool,
    weight_g: i64,
}

/// Releases order `id` for fulfilment: marks it released (once) and routes
/// every lot of every line. Returns the number of routes written (0 when
/// the order was released before).
pub async fn release_in(tx: &mut Tx, id: i64) -> sqlx::Result<usize> {
    let now = OffsetDateTime::now_utc();
    let marked = sqlx::query("UPDATE orders SET released_at = $1 WHERE id = $2 AND released_at IS NULL")
        .bind(crate::time::timestamp(now))
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if marked == 0 {
        return Ok(0);
    }
    route_orders(tx, &[id], now).await
}

/// Routes the lots of every line of `orders` that has no route yet. Used by
/// [`release_in`] and by [`route_unrouted`]; the benchmark calls it with
/// thousands of orders at once.
pub async fn route_orders(tx: &mut Tx, orders: &[i64], now: OffsetDateTime) -> sqlx::Result<usize> {
    let mut written = 0;
    for chunk in orders.chunks(500) {
        let items = to_route(tx, chunk).await?;
        written += store(tx, &items, now).await?;
    }
    Ok(written)
}

/// Routes the lines of orders released before routing existed (paid
/// before migration 0009, or released by an instance that crashed between
/// two steps — which cannot happen, as release and routing share one
/// transaction, but costs nothing to cover): at most `limit` orders per
/// call. Safe to run on several instances at once (the unique route per
/// line and lot makes a second writer's rows no-ops).
pub async fn route_unrouted(tx: &mut Tx, limit: i64) -> sqlx::Result<usize> {
    let orders: Vec<i64> = sqlx::query_scalar(
        "SELECT o.id FROM orders o WHERE o.released_at IS NOT NULL AND o.status IN ('awaiting_payment', 'paid', 'in_transit') \
           AND EXISTS (SELECT 1 FROM order_lines l JOIN allocations a ON a.line_id = l.id \
                        WHERE l.order_id = o.id AND l.status = 'waiting' \
                          AND NOT EXISTS (SELECT 1 FROM routes r WHERE r.line_id = l.id AND r.lot_id = a.lot_id)) \
         ORDER BY o.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    route_orders(tx, &orders, OffsetDateTime::now_utc()).await
}

/// The lots of the still-waiting lines of `orders` that have no route.
async fn to_route(tx: &mut Tx, orders: &[i64]) -> sqlx::Result<Vec<ToRoute>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let list = crate::db::list_placeholders(1, orders.len());
    let sql = format!(
        "SELECT o.id, l.id, a.lot_id, a.quantity, t.node_id, o.delivery_region_code, p.storage, COALESCE(p.unit_weight_g, 0) \
         FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN allocations a ON a.line_id = l.id \
         JOIN lots t ON t.id = a.lot_id JOIN products p ON p.id = l.product_id \
         WHERE o.id IN ({list}) AND l.status = 'waiting' \
           AND NOT EXISTS (SELECT 1 FROM routes r WHERE r.line_id = l.id AND r.lot_id = a.lot_id) \
         ORDER BY o.id, l.id, a.id"
    );
    let mut q = sqlx::query_as::<_, (i64, i64, i64, i64, i64, String, String, i64)>(&sql);
    for o in orders {
        q = q.bind(o);
    }
    let rows = q.fetch_all(&mut **tx).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (order_id, line_id, lot_id, quantity, start, delivery, storage, unit_weight) in rows {
        let delivery = RegionCode::parse(&delivery).map_err(|e| sqlx::Error::Decode(format!("order {order_id}: {e}").into()))?;
        out.push(ToRoute {
            order_id,
            line_id,
            lot_id,
            quantity,
            start,
            delivery,
            cold: storage != "ambient",
            weight_g: quantity.saturating_mul(unit_weight),
        });
    }
    Ok(out)
}

/// Every node as the planner sees it, with its cut-off. The chain is small
/// (a prefecture has a few hundred nodes), so it is read whole once per
/// batch rather than per route.
pub(super) async fn sites(tx: &mut Tx) -> sqlx::Result<HashMap<i64, (Site, time::Time)>> {
    let rows: Vec<(i64, String, i64, String)> =
        sqlx::query_as("SELECT id, region_code, cold_storage, cutoff FROM nodes").fetch_all(&mut **tx).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for (id, region, cold, cutoff) in rows {
        let region = RegionCode::parse(&region).map_err(|e| sqlx::Error::Decode(format!("node {id}: {e}").into()))?;
        let cutoff = crate::time::parse_clock(&cutoff).ok_or_else(|| sqlx::Error::Decode(format!("node {id}: cut-off {cutoff}").into()))?;
        out.insert(id, (Site { id, region, cold: cold != 0 }, cutoff));
    }
    Ok(out)
}

/// Plans and writes the routes of `items`, and puts each first leg into its
/// node's open shipment.
async fn store(tx: &mut Tx, items: &[ToRoute], now: OffsetDateTime) -> sqlx::Result<usize> {
    if items.is_empty() {
        return Ok(0);
    }
    let sites = sites(tx).await?;
    let candidates: Vec<Site> = sites.values().map(|(s, _)| *s).collect();
    let created = crate::time::timestamp(now);
    let mut planned: Vec<(&ToRoute, Route)> = Vec::with_capacity(items.len());
    for item in items {
        let (start, cutoff) = sites.get(&item.start).copied().ok_or_else(|| sqlx::Error::RowNotFound)?;
        // Goods released after the start node's cut-off leave tomorrow.
        let closes = crate::time::next_china_clock(now, cutoff);
        let first_day = closes.to_offset(crate::time::CHINA).date();
        planned.push((item, route::plan(start, &candidates, item.delivery, item.cold, first_day)));
    }

    // Routes, a few hundred rows per statement; the insert returns the ids
    // of the rows it wrote — none for a (line, lot) routed before, whose
    // route must not get legs twice.
    let mut ids: HashMap<(i64, i64), i64> = HashMap::with_capacity(items.len());
    for chunk in planned.chunks(400) {
        let sql = format!(
            "INSERT INTO routes (line_id, lot_id, quantity, weight_g, cold, leaves_on_pickup_day, skipped, created_at) VALUES {} \
             ON CONFLICT (line_id, lot_id) DO NOTHING RETURNING id, line_id, lot_id",
            crate::db::batch_placeholders(tx.backend(), chunk.len(), 8)
        );
        let mut q = sqlx::query_as::<_, (i64, i64, i64)>(&sql);
        for (item, r) in chunk {
            q = q
                .bind(item.line_id)
                .bind(item.lot_id)
                .bind(item.quantity)
                .bind(item.weight_g)
                .bind(item.cold as i64)
                .bind(r.leaves_on_pickup_day as i64)
                .bind(skipped_text(&r.skipped))
                .bind(&created);
        }
        for (id, line, lot) in q.fetch_all(&mut **tx).await? {
            ids.insert((line, lot), id);
        }
    }

    // The first leg of each route joins the open shipment of its node for
    // its next hop: one find-or-open per distinct (node, hop, cold).
    let mut first_legs: HashMap<(i64, Hop, bool), Vec<i64>> = HashMap::new();
    let mut legs: Vec<(i64, i64, &route::PlannedLeg)> = Vec::new();
    let mut written = 0;
    for (item, r) in &planned {
        let Some(&route_id) = ids.get(&(item.line_id, item.lot_id)) else { continue };
        written += 1;
        for (i, leg) in r.legs.iter().enumerate() {
            legs.push((route_id, i as i64 + 1, leg));
        }
        if let Some(first) = r.legs.first() {
            first_legs.entry((first.from, Hop::of(first.to, item.order_id), item.cold)).or_default().push(route_id);
        }
    }
    let mut shipment_of: HashMap<i64, i64> = HashMap::new();
    for ((node, hop, cold), routes) in &first_legs {
        let cutoff = sites.get(node).map(|(_, c)| *c).ok_or(sqlx::Error::RowNotFound)?;
        let shipment = shipments::open_for(tx, *node, *hop, *cold, cutoff, now).await?;
        for r in routes {
            shipment_of.insert(*r, shipment);
        }
    }
    for chunk in legs.chunks(500) {
        let sql = format!(
            "INSERT INTO route_legs (route_id, seq, from_node_id, to_node_id, kind, planned_on, status, shipment_id) VALUES {}",
            crate::db::batch_placeholders(tx.backend(), chunk.len(), 8)
        );
        let mut q = sqlx::query(&sql);
        for (route_id, seq, leg) in chunk {
            let shipment = if *seq == 1 { shipment_of.get(route_id).copied() } else { None };
            q = q
                .bind(route_id)
                .bind(seq)
                .bind(leg.from)
                .bind(leg.to)
                .bind(leg.kind.as_str())
                .bind(crate::time::format_date(leg.planned_on))
                .bind("planned")
                .bind(shipment);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(written)
}

/// Brings the routes of line `line` in line with its allocations after
/// units went back to their lots (a refund before anything left): a route
/// whose lot holds nothing for the line any more is withdrawn, legs and
/// all (none of them has moved: the order had not left); the others carry
/// the quantity and weight still to send.
pub async fn follow_allocations_in(tx: &mut Tx, line: i64) -> sqlx::Result<()> {
    let routes: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT r.id, CAST(COALESCE((SELECT SUM(a.quantity) FROM allocations a WHERE a.line_id = r.line_id AND a.lot_id = r.lot_id), 0) AS BIGINT), \
                COALESCE(p.unit_weight_g, 0), \
                (SELECT COUNT(*) FROM route_legs g WHERE g.route_id = r.id AND g.status <> 'planned') \
         FROM routes r JOIN order_lines l ON l.id = r.line_id JOIN products p ON p.id = l.product_id WHERE r.line_id = $1",
    )
    .bind(line)
    .fetch_all(&mut **tx)
    .await?;
    for (route, held, unit_weight, moved) in routes {
        if held > 0 {
            sqlx::query("UPDATE routes SET quantity = $1, weight_g = $2 WHERE id = $3")
                .bind(held)
                .bind(held.saturating_mul(unit_weight))
                .bind(route)
                .execute(&mut **tx)
                .await?;
        } else if moved == 0 {
            sqlx::query("DELETE FROM route_legs WHERE route_id = $1").bind(route).execute(&mut **tx).await?;
            sqlx::query("DELETE FROM routes WHERE id = $1").bind(route).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// Why a re-route was refused.
#[derive(Debug, thiserror::Error)]
pub enum RerouteError {
    /// No such leg, or not one the actor may see.
    #[error("no such leg")]
    NotFound,
    /// The actor does not operate the node the goods are at.
    #[error("only the operators of the node the goods leave from re-route them")]
    NotYourNode,
    /// The leg has left.
    #[error("the leg has left; only a planned leg is re-routed")]
    Moved,
    /// The new next node is no node, the current one, or the leg's own start.
    #[error("choose another node")]
    BadNode,
    /// Cold goods to a node without cold storage.
    #[error("the goods need cold storage, which that node does not have")]
    NoColdStorage,
    /// The reason is missing or too long.
    #[error("give a reason of 1 to 200 characters")]
    Reason,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Sends planned leg `leg` to node `to` instead, for `reason` (recorded
/// with who and when): the legs after it are planned again from `to` by the
/// same rules, and the leg moves to its node's open shipment for the new
/// hop. Returns the order the leg belongs to. Never done silently: only
/// here, by an operator of the node the goods leave from (or the platform
/// admin), with a reason.
pub async fn reroute_in(tx: &mut Tx, actor: &crate::auth::Actor, leg: i64, to: i64, reason: &str) -> Result<i64, RerouteError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(crate::validation::forbidden_char) {
        return Err(RerouteError::Reason);
    }
    /// route, seq, from, to, status, planned on, shipment, cold, order, delivery region, from again
    type LegRow = (i64, i64, i64, Option<i64>, String, String, Option<i64>, i64, i64, String, i64);
    let row: Option<LegRow> = sqlx::query_as(&format!(
        "SELECT g.route_id, g.seq, g.from_node_id, g.to_node_id, g.status, g.planned_on, g.shipment_id, r.cold, l.order_id, \
                o.delivery_region_code, f.id \
         FROM route_legs g JOIN routes r ON r.id = g.route_id JOIN order_lines l ON l.id = r.line_id JOIN orders o ON o.id = l.order_id \
         JOIN nodes f ON f.id = g.from_node_id WHERE g.id = $1{}",
        tx.for_update()
    ))
    .bind(leg)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((route, seq, from, old_to, status, planned_on, shipment, cold, order, delivery, _)) = row else {
        return Err(RerouteError::NotFound);
    };
    if !super::views::operates(tx, actor, from).await? {
        return Err(RerouteError::NotYourNode);
    }
    if status != "planned" {
        return Err(RerouteError::Moved);
    }
    let sites = sites(tx).await?;
    let Some(&(next, _)) = sites.get(&to) else { return Err(RerouteError::BadNode) };
    if to == from || Some(to) == old_to {
        return Err(RerouteError::BadNode);
    }
    if cold != 0 && !next.cold {
        return Err(RerouteError::NoColdStorage);
    }
    let delivery = RegionCode::parse(&delivery).map_err(|e| sqlx::Error::Decode(format!("order {order}: {e}").into()))?;
    let start_is_village = sites.get(&from).is_some_and(|(s, _)| s.region.level() == crate::regions::RegionLevel::Village);
    let kind = if start_is_village { LegKind::Collection } else { LegKind::Trunk };
    sqlx::query("DELETE FROM route_legs WHERE route_id = $1 AND seq > $2").bind(route).bind(seq).execute(&mut **tx).await?;
    sqlx::query("UPDATE route_legs SET to_node_id = $1, kind = $2 WHERE id = $3")
        .bind(to)
        .bind(kind.as_str())
        .bind(leg)
        .execute(&mut **tx)
        .await?;
    let candidates: Vec<Site> = sites.values().map(|(s, _)| *s).collect();
    let day = crate::time::parse_date(&planned_on).and_then(|d| d.next_day()).unwrap_or_else(crate::time::china_today);
    let rest = route::plan(next, &candidates, delivery, cold != 0, day);
    for (i, l) in rest.legs.iter().enumerate() {
        sqlx::query(
            "INSERT INTO route_legs (route_id, seq, from_node_id, to_node_id, kind, planned_on, status) VALUES ($1, $2, $3, $4, $5, $6, 'planned')",
        )
        .bind(route)
        .bind(seq + 1 + i as i64)
        .bind(l.from)
        .bind(l.to)
        .bind(l.kind.as_str())
        .bind(crate::time::format_date(l.planned_on))
        .execute(&mut **tx)
        .await?;
    }
    if shipment.is_some() {
        let cutoff = sites.get(&from).map(|(_, c)| *c).ok_or(sqlx::Error::RowNotFound)?;
        let joined = shipments::open_for(tx, from, Hop::Node(to), cold != 0, cutoff, OffsetDateTime::now_utc()).await?;
        sqlx::query("UPDATE route_legs SET shipment_id = $1 WHERE id = $2").bind(joined).bind(leg).execute(&mut **tx).await?;
    }
    sqlx::query("INSERT INTO leg_reroutes (leg_id, old_to_node, new_to_node, reason, user_id, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(leg)
        .bind(old_to)
        .bind(to)
        .bind(reason)
        .bind(actor.id)
        .bind(crate::time::now())
        .execute(&mut **tx)
        .await?;
    Ok(order)
}

/// [`reroute_in`] in a transaction of its own.
pub async fn reroute(db: &crate::db::Db, actor: &crate::auth::Actor, leg: i64, to: i64, reason: &str) -> Result<i64, RerouteError> {
    let mut tx = db.begin_write().await?;
    let order = reroute_in(&mut tx, actor, leg, to, reason).await?;
    tx.commit().await?;
    tracing::info!(leg, to, user.id = actor.id, "leg re-routed");
    Ok(order)
}

/// The stored form of a route's skipped levels: `level:reason` pairs.
fn skipped_text(skipped: &[Skipped]) -> String {
    skipped.iter().map(|s| format!("{}:{}", s.level.as_str(), s.reason.as_str())).collect::<Vec<_>>().join(",")
}

/// Reads [`skipped_text`] back (unknown pairs are dropped: the text is
/// only ever written above).
pub fn parse_skipped(text: &str) -> Vec<Skipped> {
    text.split(',')
        .filter_map(|pair| {
            let (level, reason) = pair.split_once(':')?;
            Some(Skipped { level: crate::regions::RegionLevel::parse(level)?, reason: route::SkipReason::parse(reason)? })
        })
        .collect()
}

/// Whether a leg of `kind` ends at the buyer.
pub fn to_buyer(kind: LegKind) -> bool {
    matches!(kind, LegKind::LastMile | LegKind::LineHaul)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regions::RegionLevel;
    use route::SkipReason;

    #[test]
    fn skipped_levels_are_stored_as_text_and_read_back() {
        let skipped = vec![
            Skipped { level: RegionLevel::Township, reason: SkipReason::NoNode },
            Skipped { level: RegionLevel::County, reason: SkipReason::NoColdStorage },
        ];
        let text = skipped_text(&skipped);
        assert_eq!(text, "township:no_node,county:no_cold_storage");
        assert_eq!(parse_skipped(&text), skipped);
        assert!(parse_skipped("").is_empty());
    }
}

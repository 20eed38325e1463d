//! What the chain looks like to the people in it: shipments (for the
//! operators of their nodes), an order's tracking (for its buyer, its
//! cooperatives and the operators its goods pass), and a node's board
//! (inbound, on hand, outbound, use of capacity).
//!
//! Who sees what is decided here, on every read: a shipment is shown to
//! the operators of its two nodes and the platform; an order's tracking to
//! the buyer's organisation (every line), a cooperative (its own lines), an
//! operator (the lines whose goods pass one of its nodes) and the platform.
//! Anyone else gets `None`, as if there were nothing.

use super::NodeKind;
use super::route::{LegKind, Skipped};
use super::routing::parse_skipped;
use super::shipments::{Destination, NodeRef, ScanEvent, Shipment, ShipmentLine, ShipmentStatus};
use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::orgs::OrgKind;
use serde::Serialize;
use std::collections::HashMap;

fn kind_of(text: &str) -> sqlx::Result<NodeKind> {
    NodeKind::parse(text).ok_or_else(|| sqlx::Error::Decode(format!("{text} is not a node kind").into()))
}

fn decode<T>(what: &str, v: Option<T>, text: &str) -> sqlx::Result<T> {
    v.ok_or_else(|| sqlx::Error::Decode(format!("{text} is not a {what}").into()))
}

/// The nodes `actor`'s organisation operates (every node for the platform
/// admin), by kind then name.
pub async fn operated_nodes(db: &Db, actor: &Actor) -> sqlx::Result<Vec<super::Node>> {
    let all = super::list(db, None).await?;
    if actor.has(Role::PlatformAdmin) {
        return Ok(all);
    }
    if !actor.has(Role::HubOperator) {
        return Ok(Vec::new());
    }
    let mine: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM nodes WHERE operator_org_id = $1").bind(actor.org.id).fetch_all(db.pool()).await?;
    Ok(all.into_iter().filter(|n| mine.contains(&n.id)).collect())
}

/// Whether `actor` operates node `node` (the platform admin operates all).
pub async fn operates(conn: &mut sqlx::AnyConnection, actor: &Actor, node: i64) -> sqlx::Result<bool> {
    if actor.has(Role::PlatformAdmin) {
        return Ok(true);
    }
    if !actor.has(Role::HubOperator) {
        return Ok(false);
    }
    let op: Option<Option<i64>> =
        sqlx::query_scalar("SELECT operator_org_id FROM nodes WHERE id = $1").bind(node).fetch_optional(&mut *conn).await?;
    Ok(op.flatten() == Some(actor.org.id))
}

#[derive(sqlx::FromRow)]
struct ShipmentRow {
    id: i64,
    code: String,
    from_id: i64,
    from_kind: String,
    from_name: String,
    to_id: Option<i64>,
    to_kind: Option<String>,
    to_name: Option<String>,
    to_order_id: Option<i64>,
    order_number: Option<String>,
    order_place: Option<String>,
    cold: i64,
    status: String,
    window_ends_at: String,
}

const SHIPMENT_SELECT: &str = "SELECT s.id, s.code, f.id AS from_id, f.kind AS from_kind, f.name AS from_name, \
    t.id AS to_id, t.kind AS to_kind, t.name AS to_name, s.to_order_id, o.number AS order_number, \
    rg.name AS order_place, s.cold, s.status, s.window_ends_at \
    FROM shipments s JOIN nodes f ON f.id = s.from_node_id LEFT JOIN nodes t ON t.id = s.to_node_id \
    LEFT JOIN orders o ON o.id = s.to_order_id LEFT JOIN regions rg ON rg.code = o.delivery_region_code";

/// Shipments with their lines, in the order of `rows`.
async fn assemble(conn: &mut sqlx::AnyConnection, rows: Vec<ShipmentRow>) -> sqlx::Result<Vec<(i64, Shipment)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let sql = format!(
        "SELECT g.shipment_id, l.order_id, o.number, l.id, p.id, p.name, p.unit, r.quantity, r.weight_g, \
                CASE WHEN p.unit_weight_g IS NULL THEN 1 ELSE 0 END, g.planned_on \
         FROM route_legs g JOIN routes r ON r.id = g.route_id JOIN order_lines l ON l.id = r.line_id \
         JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id \
         WHERE g.shipment_id IN ({}) ORDER BY g.shipment_id, l.order_id, l.id, r.id",
        crate::db::list_placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, (i64, i64, String, i64, i64, String, String, i64, i64, i64, String)>(&sql);
    for id in &ids {
        q = q.bind(id);
    }
    let mut lines: HashMap<i64, Vec<(ShipmentLine, bool)>> = HashMap::new();
    let mut planned: HashMap<i64, String> = HashMap::new();
    for (shipment, order_id, order_number, line_id, product_id, product_name, unit, quantity, weight_g, unweighed, planned_on) in
        q.fetch_all(&mut *conn).await?
    {
        let earliest = planned.entry(shipment).or_insert_with(|| planned_on.clone());
        if planned_on < *earliest {
            *earliest = planned_on;
        }
        lines
            .entry(shipment)
            .or_default()
            .push((ShipmentLine { order_id, order_number, line_id, product_id, product_name, unit, quantity, weight_g }, unweighed == 1));
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mine = lines.remove(&r.id).unwrap_or_default();
        let to = match (r.to_id, r.to_kind, r.to_name, r.to_order_id) {
            (Some(node_id), Some(kind), Some(name), _) => Destination::Node(NodeRef { node_id, kind: kind_of(&kind)?, name }),
            (_, _, _, Some(order_id)) => Destination::Buyer {
                buyer: true,
                order_id,
                order_number: r.order_number.unwrap_or_default(),
                place: r.order_place.unwrap_or_default(),
            },
            _ => return Err(sqlx::Error::Decode(format!("shipment {} goes nowhere", r.code).into())),
        };
        out.push((
            r.id,
            Shipment {
                code: r.code,
                from: NodeRef { node_id: r.from_id, kind: kind_of(&r.from_kind)?, name: r.from_name },
                to,
                status: decode("shipment status", ShipmentStatus::parse(&r.status), &r.status)?,
                weight_g: mine.iter().map(|(l, _)| l.weight_g).fold(0i64, i64::saturating_add),
                cold: r.cold != 0,
                unweighed_lines: mine.iter().filter(|(_, u)| *u).count() as i64,
                window_ends_at: r.window_ends_at,
                planned_on: planned.remove(&r.id),
                lines: mine.into_iter().map(|(l, _)| l).collect(),
            },
        ));
    }
    Ok(out)
}

/// Shipment `id` as shown (no permission check: for the caller that just
/// scanned it).
pub async fn shipment_in(conn: &mut sqlx::AnyConnection, id: i64) -> sqlx::Result<Shipment> {
    let row: ShipmentRow = sqlx::query_as(&format!("{SHIPMENT_SELECT} WHERE s.id = $1")).bind(id).fetch_one(&mut *conn).await?;
    let mut all = assemble(conn, vec![row]).await?;
    all.pop().map(|(_, s)| s).ok_or(sqlx::Error::RowNotFound)
}

/// Shipment `code`, if `actor` operates one of its nodes (or is the
/// platform admin).
pub async fn shipment(db: &Db, actor: &Actor, code: &str) -> sqlx::Result<Option<Shipment>> {
    let mut conn = db.pool().acquire().await?;
    let row: Option<ShipmentRow> =
        sqlx::query_as(&format!("{SHIPMENT_SELECT} WHERE s.code = $1")).bind(code).fetch_optional(&mut *conn).await?;
    let Some(row) = row else { return Ok(None) };
    let mut allowed = operates(&mut conn, actor, row.from_id).await?;
    if let (false, Some(to)) = (allowed, row.to_id) {
        allowed = operates(&mut conn, actor, to).await?;
    }
    if !allowed {
        return Ok(None);
    }
    Ok(assemble(&mut conn, vec![row]).await?.pop().map(|(_, s)| s))
}

/// Which shipments of a node a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Coming to the node.
    Inbound,
    /// Leaving it.
    Outbound,
}

named_enum!(Direction { Inbound => "inbound", Outbound => "outbound" });

/// The shipments of node `node` in `direction`, optionally of one status,
/// newest window first; one page and the total. `None` when `actor` does
/// not operate the node.
pub async fn node_shipments(
    db: &Db,
    actor: &Actor,
    node: i64,
    direction: Direction,
    status: Option<ShipmentStatus>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Option<(Vec<Shipment>, i64)>> {
    let mut conn = db.pool().acquire().await?;
    if !operates(&mut conn, actor, node).await? {
        return Ok(None);
    }
    let column = match direction {
        Direction::Inbound => "s.to_node_id",
        Direction::Outbound => "s.from_node_id",
    };
    let status_sql = if status.is_some() { " AND s.status = $2" } else { "" };
    let total: i64 = {
        let sql = format!("SELECT COUNT(*) FROM shipments s WHERE {column} = $1{status_sql}");
        let mut q = sqlx::query_scalar(&sql).bind(node);
        if let Some(s) = status {
            q = q.bind(s.as_str());
        }
        q.fetch_one(&mut *conn).await?
    };
    let n = if status.is_some() { 3 } else { 2 };
    let sql =
        format!("{SHIPMENT_SELECT} WHERE {column} = $1{status_sql} ORDER BY s.window_ends_at DESC, s.id DESC LIMIT ${n} OFFSET ${}", n + 1);
    let mut q = sqlx::query_as::<_, ShipmentRow>(&sql).bind(node);
    if let Some(s) = status {
        q = q.bind(s.as_str());
    }
    let rows = q.bind(limit).bind(offset).fetch_all(&mut *conn).await?;
    Ok(Some((assemble(&mut conn, rows).await?.into_iter().map(|(_, s)| s).collect(), total)))
}

/// A node's board: what is coming, what is here, what leaves, and the use
/// of its capacity.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// The node.
    pub node: super::Node,
    /// Shipments on their way here (dispatched) or about to be (open or
    /// closed at the sending node), with their planned dates.
    pub inbound: Vec<Shipment>,
    /// Shipments leaving here that have not left: open or closed, grouped
    /// by next hop in that order.
    pub outbound: Vec<Shipment>,
    /// Weight of the goods at the node now, grams.
    pub on_hand_g: i64,
    /// Of which chilled or frozen.
    pub cold_on_hand_g: i64,
    /// Weight planned to arrive (dispatched towards it or waiting to be).
    pub inbound_g: i64,
    /// Whether what is here and what is coming would not fit.
    pub over_capacity: bool,
}

/// The board of node `node`, if `actor` operates it.
pub async fn board(db: &Db, actor: &Actor, node: i64) -> sqlx::Result<Option<Board>> {
    let Some(info) = super::list(db, None).await?.into_iter().find(|n| n.id == node) else { return Ok(None) };
    let Some((inbound, _)) = node_shipments(db, actor, node, Direction::Inbound, None, 200, 0).await? else { return Ok(None) };
    let inbound: Vec<Shipment> = inbound.into_iter().filter(|s| !matches!(s.status, ShipmentStatus::Received)).collect();
    let (outbound, _) = node_shipments(db, actor, node, Direction::Outbound, None, 500, 0).await?.unwrap_or_default();
    let mut outbound: Vec<Shipment> =
        outbound.into_iter().filter(|s| matches!(s.status, ShipmentStatus::Open | ShipmentStatus::Closed)).collect();
    outbound.sort_by(|a, b| hop_name(&a.to).cmp(&hop_name(&b.to)).then(a.window_ends_at.cmp(&b.window_ends_at)));
    // Goods at the node are the legs leaving it that have not left.
    let on_hand = outbound.iter().map(|s| s.weight_g).fold(0i64, i64::saturating_add);
    let cold = outbound.iter().filter(|s| s.cold).map(|s| s.weight_g).fold(0i64, i64::saturating_add);
    let coming = inbound.iter().map(|s| s.weight_g).fold(0i64, i64::saturating_add);
    let over = on_hand.saturating_add(coming) > info.capacity_kg.saturating_mul(1000);
    Ok(Some(Board { node: info, inbound, outbound, on_hand_g: on_hand, cold_on_hand_g: cold, inbound_g: coming, over_capacity: over }))
}

fn hop_name(d: &Destination) -> String {
    match d {
        Destination::Node(n) => n.name.clone(),
        Destination::Buyer { order_number, .. } => order_number.clone(),
    }
}

/// A scan as tracking shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ScanView {
    /// dispatched, received or delivered.
    pub event: ScanEvent,
    /// Where.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub node_id: i64,
    /// The node's name.
    pub node_name: String,
    /// When it was scanned.
    pub at: String,
    /// The operator's organisation.
    pub by: String,
}

/// A leg as tracking shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LegView {
    /// Opaque id (for re-routing).
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Which route of the line (1 unless the line's lots sit at two nodes).
    pub route: i64,
    /// Position in the route, from 1.
    pub seq: i64,
    /// collection, trunk, line_haul, last_mile.
    pub kind: LegKind,
    /// Where it leaves.
    pub from: NodeRef,
    /// Where it goes: a node, or `{buyer: true, order_id}`.
    pub to: Destination,
    /// planned, dispatched, received, delivered.
    pub status: String,
    /// The planned day of departure (China date).
    pub planned_on: String,
    /// The shipment it travels in, once it has one.
    pub shipment_code: Option<String>,
    /// Its shipment's scans.
    pub events: Vec<ScanView>,
}

/// Where one route's goods are now.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WhereNow {
    /// At a node (waiting there, or received there).
    AtNode {
        /// The node.
        node: NodeRef,
    },
    /// Between two nodes, or on the way to the buyer.
    OnTheWay {
        /// Left here.
        from: NodeRef,
        /// Going there.
        to: Destination,
    },
    /// At the buyer.
    Delivered,
}

/// One route of a line: one lot's goods.
#[derive(Debug, Clone, Serialize)]
pub struct RouteView {
    /// 1, 2, … within the line.
    pub route: i64,
    /// Units on this route.
    pub quantity: i64,
    /// Weight, grams.
    pub weight_g: i64,
    /// Chilled or frozen.
    pub cold: bool,
    /// Levels passed over, with why.
    pub skipped: Vec<Skipped>,
    /// Cold goods at a node without cold storage: they leave it the day
    /// they are picked up.
    pub leaves_on_pickup_day: bool,
    /// Where its goods are.
    pub now: WhereNow,
}

/// A line's journey.
#[derive(Debug, Clone, Serialize)]
pub struct LineTracking {
    /// The line.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub line_id: i64,
    /// The product.
    pub product_name: String,
    /// waiting (not released), released (routed, not left), in_transit,
    /// delivered.
    pub status: String,
    /// Every leg of every route, route by route, in travel order.
    pub legs: Vec<LegView>,
    /// Levels passed over (of every route; `route` says which).
    pub skipped: Vec<SkippedView>,
    /// The routes: one per lot.
    pub routes: Vec<RouteView>,
}

/// A skipped level, with its route.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedView {
    /// Which route.
    pub route: i64,
    /// The level and why.
    #[serde(flatten)]
    pub skipped: Skipped,
}

/// An order's tracking.
#[derive(Debug, Clone, Serialize)]
pub struct Tracking {
    /// The order.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub order_id: i64,
    /// Its lines the viewer may see.
    pub lines: Vec<LineTracking>,
}

/// The tracking of order `id` as `actor` may see it (see the module's doc);
/// `None` when they may see none of it.
pub async fn tracking(db: &Db, actor: &Actor, id: i64) -> sqlx::Result<Option<Tracking>> {
    let mut conn = db.pool().acquire().await?;
    let order: Option<(i64, String)> =
        sqlx::query_as("SELECT buyer_org_id, status FROM orders WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let Some((buyer, _)) = order else { return Ok(None) };
    let lines: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT l.id, p.name, l.cooperative_id, l.status FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    #[derive(sqlx::FromRow)]
    struct LegRow {
        id: i64,
        route_id: i64,
        line_id: i64,
        quantity: i64,
        weight_g: i64,
        cold: i64,
        leaves: i64,
        skipped: String,
        seq: i64,
        kind: String,
        from_id: i64,
        from_kind: String,
        from_name: String,
        from_op: Option<i64>,
        to_id: Option<i64>,
        to_kind: Option<String>,
        to_name: Option<String>,
        to_op: Option<i64>,
        status: String,
        planned_on: String,
        shipment_id: Option<i64>,
        code: Option<String>,
    }
    let legs: Vec<LegRow> = sqlx::query_as(
        "SELECT g.id, r.id AS route_id, r.line_id, r.quantity, r.weight_g, r.cold, r.leaves_on_pickup_day AS leaves, r.skipped, \
                g.seq, g.kind, f.id AS from_id, f.kind AS from_kind, f.name AS from_name, f.operator_org_id AS from_op, \
                t.id AS to_id, t.kind AS to_kind, t.name AS to_name, t.operator_org_id AS to_op, g.status, g.planned_on, \
                g.shipment_id, s.code \
         FROM routes r JOIN order_lines l ON l.id = r.line_id JOIN route_legs g ON g.route_id = r.id \
         JOIN nodes f ON f.id = g.from_node_id LEFT JOIN nodes t ON t.id = g.to_node_id LEFT JOIN shipments s ON s.id = g.shipment_id \
         WHERE l.order_id = $1 ORDER BY r.line_id, r.id, g.seq",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    // Who sees which lines.
    let everything = actor.has(Role::PlatformAdmin) || actor.org.id == buyer;
    let coop = actor.org.kind == OrgKind::Cooperative;
    let operator = actor.has(Role::HubOperator);
    let visible = |line: i64, coop_id: i64| -> bool {
        everything
            || (coop && coop_id == actor.org.id)
            || (operator && legs.iter().any(|g| g.line_id == line && (g.from_op == Some(actor.org.id) || g.to_op == Some(actor.org.id))))
    };
    let shown: Vec<&(i64, String, i64, String)> = lines.iter().filter(|(l, _, c, _)| visible(*l, *c)).collect();
    if shown.is_empty() {
        return Ok(None);
    }
    let shipments: Vec<i64> = {
        let mut s: Vec<i64> = legs.iter().filter_map(|g| g.shipment_id).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let mut scans: HashMap<i64, Vec<ScanView>> = HashMap::new();
    if !shipments.is_empty() {
        let sql = format!(
            "SELECT c.shipment_id, c.event, c.node_id, n.name, c.at, COALESCE(g.name, '') FROM shipment_scans c JOIN nodes n ON n.id = c.node_id \
             LEFT JOIN organisations g ON g.id = c.org_id WHERE c.shipment_id IN ({}) ORDER BY c.at, c.id",
            crate::db::list_placeholders(1, shipments.len())
        );
        let mut q = sqlx::query_as::<_, (i64, String, i64, String, String, String)>(&sql);
        for s in &shipments {
            q = q.bind(s);
        }
        for (shipment, event, node_id, node_name, at, by) in q.fetch_all(&mut *conn).await? {
            let event = decode("scan event", ScanEvent::parse(&event), &event)?;
            scans.entry(shipment).or_default().push(ScanView { event, node_id, node_name, at, by });
        }
    }
    let mut out = Vec::with_capacity(shown.len());
    for (line_id, product_name, _, status) in shown {
        let mine: Vec<&LegRow> = legs.iter().filter(|g| g.line_id == *line_id).collect();
        let mut route_ids: Vec<i64> = mine.iter().map(|g| g.route_id).collect();
        route_ids.dedup();
        let mut views = Vec::new();
        let mut routes = Vec::new();
        let mut skipped_all = Vec::new();
        for (n, route_id) in route_ids.iter().enumerate() {
            let route_no = n as i64 + 1;
            let its: Vec<&&LegRow> = mine.iter().filter(|g| g.route_id == *route_id).collect();
            let first = its[0];
            let mut leg_views = Vec::with_capacity(its.len());
            for g in &its {
                let from = NodeRef { node_id: g.from_id, kind: kind_of(&g.from_kind)?, name: g.from_name.clone() };
                let to = match (g.to_id, &g.to_kind, &g.to_name) {
                    (Some(node_id), Some(kind), Some(name)) => {
                        Destination::Node(NodeRef { node_id, kind: kind_of(kind)?, name: name.clone() })
                    }
                    _ => Destination::Buyer { buyer: true, order_id: id, order_number: String::new(), place: String::new() },
                };
                leg_views.push(LegView {
                    id: g.id,
                    route: route_no,
                    seq: g.seq,
                    kind: decode("leg kind", LegKind::parse(&g.kind), &g.kind)?,
                    from,
                    to,
                    status: g.status.clone(),
                    planned_on: g.planned_on.clone(),
                    shipment_code: g.code.clone(),
                    events: g.shipment_id.and_then(|s| scans.get(&s).cloned()).unwrap_or_default(),
                });
            }
            let skipped = parse_skipped(&first.skipped);
            skipped_all.extend(skipped.iter().map(|s| SkippedView { route: route_no, skipped: *s }));
            routes.push(RouteView {
                route: route_no,
                quantity: first.quantity,
                weight_g: first.weight_g,
                cold: first.cold != 0,
                skipped,
                leaves_on_pickup_day: first.leaves != 0,
                now: where_now(&leg_views),
            });
            views.extend(leg_views);
        }
        let status = if status == "waiting" && !routes.is_empty() { "released".to_owned() } else { status.clone() };
        out.push(LineTracking { line_id: *line_id, product_name: product_name.clone(), status, legs: views, skipped: skipped_all, routes });
    }
    Ok(Some(Tracking { order_id: id, lines: out }))
}

/// Where the goods of a route are, from its legs in order: at the buyer
/// once the last leg is delivered; on the way while a leg is dispatched;
/// else at the node the first leg not yet received leaves from.
fn where_now(legs: &[LegView]) -> WhereNow {
    for leg in legs {
        match leg.status.as_str() {
            "delivered" => return WhereNow::Delivered,
            "dispatched" => return WhereNow::OnTheWay { from: leg.from.clone(), to: leg.to.clone() },
            "received" => continue,
            _ => return WhereNow::AtNode { node: leg.from.clone() },
        }
    }
    match legs.last() {
        Some(LegView { to: Destination::Node(n), .. }) => WhereNow::AtNode { node: n.clone() },
        _ => WhereNow::Delivered,
    }
}

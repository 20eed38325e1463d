//! Consolidated shipments and their scans (DESIGN.md, Routing through the
//! chain).
//!
//! At each node, legs with the same next hop whose goods are at the node
//! before its daily cut-off travel as one shipment. A leg joins its node's
//! open shipment for its next hop — a node, or the buyer of one order — as
//! soon as its goods are at (or routed to start from) that node: at
//! release for the first leg, at the `received` scan for the next ones.
//! The cut-off closes the window ([`close_due`]) and the next leg opens a
//! new shipment; a `dispatched` scan closes it too. Cold and ambient goods
//! never share a shipment (the key includes the temperature), so no
//! ambient vehicle ever carries chilled goods and no cold one is taken up
//! by goods that need none.
//!
//! A scan moves the shipment and every leg in it in one transaction, by
//! conditional UPDATEs: a scan that is out of order or repeated — or that
//! lost a race to another scan of the same shipment — changes nothing and
//! reports the state the shipment is in. What the scan means for order
//! lines (a line leaves at its first dispatch, is delivered when all its
//! legs are) is the orders module's to apply, from [`Scanned`].
//!
//! Must not: change order or line statuses (orders does, from the lines
//! this module reports).

use super::NodeKind;
use crate::auth::{Actor, Role};
use crate::db::{Db, Tx};
use serde::Serialize;
use std::collections::HashMap;
use time::OffsetDateTime;

/// Where a shipment goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hop {
    /// The next node up the chain.
    Node(i64),
    /// The buyer of this order (last mile or line haul).
    Buyer(i64),
}

impl Hop {
    /// The hop of a leg going `to` a node (`None`: the buyer of `order`).
    pub fn of(to: Option<i64>, order: i64) -> Hop {
        to.map_or(Hop::Buyer(order), Hop::Node)
    }

    /// The stored key (`n12`, `o34`), one comparable column for the
    /// one-open-shipment index.
    fn key(self) -> String {
        match self {
            Hop::Node(n) => format!("n{n}"),
            Hop::Buyer(o) => format!("o{o}"),
        }
    }
}

/// Where a shipment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShipmentStatus {
    /// Taking legs until the node's cut-off.
    Open,
    /// The cut-off passed: complete, waiting to be dispatched.
    Closed,
    /// Left the sending node.
    Dispatched,
    /// Arrived at the next node.
    Received,
    /// Handed to the buyer.
    Delivered,
}

named_enum!(ShipmentStatus { Open => "open", Closed => "closed", Dispatched => "dispatched", Received => "received", Delivered => "delivered" });

/// What an operator scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanEvent {
    /// The shipment left the sending node (scanned there).
    Dispatched,
    /// It arrived at the next node (scanned there).
    Received,
    /// It was handed to the buyer (scanned by the sending node).
    Delivered,
}

named_enum!(ScanEvent { Dispatched => "dispatched", Received => "received", Delivered => "delivered" });

macro_rules! text_serialize {
    ($($ty:ident),+) => {$(
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )+};
}
text_serialize!(ShipmentStatus, ScanEvent);

impl ScanEvent {
    /// The shipment states this scan may follow, and the one it leads to.
    fn step(self) -> (&'static [ShipmentStatus], ShipmentStatus) {
        use ShipmentStatus::*;
        match self {
            ScanEvent::Dispatched => (&[Open, Closed], Dispatched),
            ScanEvent::Received => (&[Dispatched], Received),
            ScanEvent::Delivered => (&[Dispatched], Delivered),
        }
    }

    /// The leg status the scan leads to (legs move with their shipment).
    fn leg_status(self) -> &'static str {
        self.as_str()
    }
}

/// A node as a shipment names it.
#[derive(Debug, Clone, Serialize)]
pub struct NodeRef {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub node_id: i64,
    /// Its kind.
    pub kind: NodeKind,
    /// Its name, e.g. 伽师县配送中心.
    pub name: String,
}

/// Where a shipment goes: a node, or the buyer of one order.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Destination {
    /// The next node.
    Node(NodeRef),
    /// The buyer.
    Buyer {
        /// Always true.
        buyer: bool,
        /// The order.
        #[serde(serialize_with = "crate::ids::serialize")]
        order_id: i64,
        /// The order's number, for the label.
        #[serde(skip)]
        order_number: String,
        /// Who receives, for the label.
        #[serde(skip)]
        place: String,
    },
}

/// A line's goods in a shipment.
#[derive(Debug, Clone, Serialize)]
pub struct ShipmentLine {
    /// The order.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub order_id: i64,
    /// The order's number.
    pub order_number: String,
    /// The line.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub line_id: i64,
    /// The product.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub product_id: i64,
    /// The product's name.
    pub product_name: String,
    /// Its unit (箱, 袋 …).
    pub unit: String,
    /// Units of this line in the shipment (one lot's share).
    pub quantity: i64,
    /// Their weight in grams.
    pub weight_g: i64,
}

/// A shipment as the API and the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Shipment {
    /// The short code printed on the label and scanned.
    pub code: String,
    /// The sending node.
    pub from: NodeRef,
    /// The next hop.
    pub to: Destination,
    /// Where it is.
    pub status: ShipmentStatus,
    /// Total weight in grams.
    pub weight_g: i64,
    /// Whether it carries chilled or frozen goods (then only those).
    pub cold: bool,
    /// Lines in it without a known weight (products made before weights
    /// were required), counted as 0 g.
    pub unweighed_lines: i64,
    /// When its window closes (the sending node's cut-off).
    pub window_ends_at: String,
    /// The earliest day its legs were planned to leave (China date).
    pub planned_on: Option<String>,
    /// The goods in it.
    pub lines: Vec<ShipmentLine>,
}

/// Opens — or finds — the open shipment at `node` for `hop` and
/// temperature in the window that is open at `now` (closing at the next
/// `cutoff` on China's clock); returns its id. The shipment row is locked
/// (PostgreSQL) until the caller commits, so a dispatch scan cannot slip
/// between finding the shipment and the caller's leg joining it: the scan
/// waits, then sees the leg. The unique index on open shipments makes two
/// writers opening one at once agree on a single row.
pub async fn open_for(tx: &mut Tx, node: i64, hop: Hop, cold: bool, cutoff: time::Time, now: OffsetDateTime) -> sqlx::Result<i64> {
    let window = crate::time::timestamp(crate::time::next_china_clock(now, cutoff));
    let key = hop.key();
    let (to_node, to_order) = match hop {
        Hop::Node(n) => (Some(n), None),
        Hop::Buyer(o) => (None, Some(o)),
    };
    let find = format!(
        "SELECT id FROM shipments WHERE from_node_id = $1 AND hop = $2 AND cold = $3 AND window_ends_at = $4 AND status = 'open'{}",
        tx.for_update()
    );
    // A handful of tries: each either finds the open shipment or inserts
    // one; an insert that did nothing lost to another writer's insert (or,
    // once in a billion, drew a code already taken), so look again.
    for _ in 0..8 {
        let found: Option<i64> =
            sqlx::query_scalar(&find).bind(node).bind(&key).bind(cold as i64).bind(&window).fetch_optional(&mut **tx).await?;
        if let Some(id) = found {
            return Ok(id);
        }
        sqlx::query(
            "INSERT INTO shipments (code, from_node_id, to_node_id, to_order_id, hop, cold, status, window_ends_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(new_code())
        .bind(node)
        .bind(to_node)
        .bind(to_order)
        .bind(&key)
        .bind(cold as i64)
        .bind(&window)
        .bind(crate::time::timestamp(now))
        .execute(&mut **tx)
        .await?;
    }
    Err(sqlx::Error::Protocol("no open shipment could be found or opened".into()))
}

/// A fresh shipment code: `SH` and seven characters of Crockford's base 32
/// (no I, L, O or U to misread on a label): 34 billion codes.
fn new_code() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut random = [0u8; 5];
    getrandom::fill(&mut random).expect("the operating system's random source works");
    let mut n = random.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
    let mut code = String::from("SH");
    for _ in 0..7 {
        code.push(ALPHABET[(n % 32) as usize] as char);
        n /= 32;
    }
    code
}

/// Whether `s` could be a shipment code (checked at the edge before any
/// query: the scan field takes whatever a scanner types).
pub fn looks_like_code(s: &str) -> bool {
    s.len() == 9 && s.starts_with("SH") && s[2..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Closes every open shipment whose window has ended by `now`; returns the
/// ids it closed. One conditional UPDATE: two instances running it at once
/// each close a different share, never the same shipment twice.
pub async fn close_due(db: &Db, now: OffsetDateTime) -> sqlx::Result<Vec<i64>> {
    let mut tx = db.begin_write().await?;
    let at = crate::time::timestamp(now);
    let closed: Vec<i64> = sqlx::query_scalar(
        "UPDATE shipments SET status = 'closed', closed_at = $1 WHERE status = 'open' AND window_ends_at <= $1 RETURNING id",
    )
    .bind(&at)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(closed)
}

/// Why a scan was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// No such shipment (or node).
    #[error("no such shipment")]
    NotFound,
    /// The actor does not operate the node.
    #[error("only the operators of this node scan there")]
    NotYourNode,
    /// The node is not where this scan happens for this shipment.
    #[error("this shipment is {event} at another node")]
    WrongNode {
        /// The scan asked for.
        event: ScanEvent,
    },
    /// `delivered` for a shipment to a node, or `received` for one to a
    /// buyer.
    #[error("a shipment to {0} is not {1}")]
    WrongEvent(&'static str, ScanEvent),
    /// Out of order or repeated: the shipment is in `current`.
    #[error("the shipment is {current}")]
    OutOfOrder {
        /// Where it is.
        current: ShipmentStatus,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl std::fmt::Display for ShipmentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for ScanEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a scan did.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The shipment's id.
    pub shipment_id: i64,
    /// Its code.
    pub code: String,
    /// The scan.
    pub event: ScanEvent,
    /// When it was scanned, as stored.
    pub at: String,
    /// Lines whose goods just left a node, with their orders (the orders
    /// module moves those still waiting to in_transit).
    pub dispatched_lines: Vec<(i64, i64)>,
    /// Lines whose every leg is now delivered, with their orders.
    pub delivered_lines: Vec<(i64, i64)>,
}

/// Scans shipment `code` at `node` as `actor`, at `at` (when the device
/// scanned it), inside the caller's transaction: moves the shipment and its
/// legs, records the scan, and on `received` puts the legs that continue
/// from `node` into its open outbound shipments.
pub async fn scan_in(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    node: i64,
    event: ScanEvent,
    at: OffsetDateTime,
) -> Result<Scanned, ScanError> {
    let operator: Option<Option<i64>> =
        sqlx::query_scalar("SELECT operator_org_id FROM nodes WHERE id = $1").bind(node).fetch_optional(&mut **tx).await?;
    let Some(operator) = operator else { return Err(ScanError::NotFound) };
    let admin = actor.has(Role::PlatformAdmin);
    let runs_it = actor.has(Role::HubOperator) && operator == Some(actor.org.id);
    if !(admin || runs_it) {
        return Err(ScanError::NotYourNode);
    }
    let row: Option<(i64, i64, Option<i64>, String)> =
        sqlx::query_as(&format!("SELECT id, from_node_id, to_node_id, status FROM shipments WHERE code = $1{}", tx.for_update()))
            .bind(code)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((id, from, to, status)) = row else { return Err(ScanError::NotFound) };
    let current = ShipmentStatus::parse(&status).ok_or_else(|| sqlx::Error::Decode(format!("shipment status {status}").into()))?;
    match (event, to) {
        (ScanEvent::Delivered, Some(_)) => return Err(ScanError::WrongEvent("a node", event)),
        (ScanEvent::Received, None) => return Err(ScanError::WrongEvent("a buyer", event)),
        _ => {}
    }
    let scanned_where = if event == ScanEvent::Received { to } else { Some(from) };
    if scanned_where != Some(node) {
        return Err(ScanError::WrongNode { event });
    }
    let (after, next) = event.step();
    if !after.contains(&current) {
        return Err(ScanError::OutOfOrder { current });
    }
    let moved = sqlx::query(&format!(
        "UPDATE shipments SET status = $1, closed_at = COALESCE(closed_at, $2) WHERE id = $3 AND status IN ({})",
        after.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
    ))
    .bind(next.as_str())
    .bind(crate::time::now())
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved == 0 {
        // Another scan won (only possible where the row lock above is not
        // taken, i.e. never on PostgreSQL; SQLite has one writer).
        let now: String = sqlx::query_scalar("SELECT status FROM shipments WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
        return Err(ScanError::OutOfOrder { current: ShipmentStatus::parse(&now).unwrap_or(current) });
    }
    let at_text = crate::time::timestamp(at);
    sqlx::query(
        "INSERT INTO shipment_scans (shipment_id, node_id, event, at, recorded_at, user_id, org_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(node)
    .bind(event.as_str())
    .bind(&at_text)
    .bind(crate::time::now())
    .bind(actor.id)
    .bind(actor.org.id)
    .execute(&mut **tx)
    .await?;
    let prior = match event {
        ScanEvent::Dispatched => "planned",
        ScanEvent::Received | ScanEvent::Delivered => "dispatched",
    };
    sqlx::query("UPDATE route_legs SET status = $1 WHERE shipment_id = $2 AND status = $3")
        .bind(event.leg_status())
        .bind(id)
        .bind(prior)
        .execute(&mut **tx)
        .await?;
    let lines: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT DISTINCT l.id, l.order_id FROM route_legs g JOIN routes r ON r.id = g.route_id JOIN order_lines l ON l.id = r.line_id \
         WHERE g.shipment_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let mut scanned =
        Scanned { shipment_id: id, code: code.to_owned(), event, at: at_text, dispatched_lines: vec![], delivered_lines: vec![] };
    match event {
        ScanEvent::Dispatched => scanned.dispatched_lines = lines,
        ScanEvent::Received => continue_from(tx, id, node).await?,
        ScanEvent::Delivered => {
            // A line is delivered when every route of it has delivered its
            // last leg (legs move in order, so only a last leg can be).
            for (line, order) in lines {
                let open: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM routes r WHERE r.line_id = $1 \
                       AND NOT EXISTS (SELECT 1 FROM route_legs g WHERE g.route_id = r.id AND g.status = 'delivered')",
                )
                .bind(line)
                .fetch_one(&mut **tx)
                .await?;
                if open == 0 {
                    scanned.delivered_lines.push((line, order));
                }
            }
        }
    }
    Ok(scanned)
}

/// After shipment `id` was received at `node`: the next leg of each of its
/// routes joins `node`'s open shipment for that leg's next hop.
async fn continue_from(tx: &mut Tx, id: i64, node: i64) -> sqlx::Result<()> {
    let next: Vec<(i64, Option<i64>, i64, i64)> = sqlx::query_as(
        "SELECT n.id, n.to_node_id, l.order_id, r.cold FROM route_legs g JOIN route_legs n ON n.route_id = g.route_id AND n.seq = g.seq + 1 \
         JOIN routes r ON r.id = g.route_id JOIN order_lines l ON l.id = r.line_id \
         WHERE g.shipment_id = $1 AND n.shipment_id IS NULL AND n.status = 'planned' ORDER BY n.id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    if next.is_empty() {
        return Ok(());
    }
    let cutoff: String = sqlx::query_scalar("SELECT cutoff FROM nodes WHERE id = $1").bind(node).fetch_one(&mut **tx).await?;
    let cutoff = crate::time::parse_clock(&cutoff).ok_or_else(|| sqlx::Error::Decode(format!("node {node}: cut-off {cutoff}").into()))?;
    let now = OffsetDateTime::now_utc();
    let mut by_key: HashMap<(Hop, bool), Vec<i64>> = HashMap::new();
    for (leg, to, order, cold) in next {
        by_key.entry((Hop::of(to, order), cold != 0)).or_default().push(leg);
    }
    for ((hop, cold), legs) in by_key {
        let shipment = open_for(tx, node, hop, cold, cutoff, now).await?;
        // In slices: a hub's shipment may carry more legs than a statement
        // may have parameters (65,535 on PostgreSQL).
        for slice in legs.chunks(1000) {
            let sql = format!("UPDATE route_legs SET shipment_id = $1 WHERE id IN ({})", crate::db::list_placeholders(2, slice.len()));
            let mut q = sqlx::query(&sql).bind(shipment);
            for l in slice {
                q = q.bind(l);
            }
            q.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

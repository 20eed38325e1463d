//! Demo orders along the chain, so a fresh demo shows a living chain: one
//! delivered and accepted, one between a township centre and the 伽师县
//! county centre (for its operator to receive), one at the county centre
//! waiting to be dispatched, one waiting at its village point, and one on
//! the line haul from the 昌都 hub to 重庆.
//!
//! Made through the same domain functions as real orders — placement,
//! the bank transfer confirmed by finance, scans at each node, acceptance —
//! after the demo's data is committed, with the scans dated over the last
//! days as operators would have made them.

use crate::auth::{self, Actor};
use crate::db::Db;
use crate::distribution::shipments::ScanEvent;
use crate::orders::{self, Delivery, HoldPolicy, NewLine, NewOrder, ScanRequest, Transition};
use anyhow::Context;
use time::{Duration, OffsetDateTime};

/// One demo order: who buys what, where it goes, how far it has come.
struct Journey {
    buyer: &'static str,
    product: &'static str,
    quantity: i64,
    region: &'static str,
    address: &'static str,
    /// Rounds of scans (each moves every route one step: dispatched,
    /// received or delivered).
    rounds: usize,
    /// Accepted and rated by the buyer once delivered.
    accept: bool,
}

const CANTEEN: &str = "喀什市人民东路1号 喀什地区第一中学食堂";
const CHONGQING: &str = "重庆市渝中区解放碑民族路 对口帮扶消费专馆";

const JOURNEYS: &[Journey] = &[
    // 伽师县 → 喀什市: village, township, county, prefecture hub, buyer.
    Journey {
        buyer: "buyer@agency.zhunong.demo",
        product: "伽师瓜",
        quantity: 20,
        region: "653101000000",
        address: CANTEEN,
        rounds: 12,
        accept: true,
    },
    // Dispatched from the township centre: the county centre receives it next.
    Journey {
        buyer: "buyer@agency.zhunong.demo",
        product: "伽师西梅干",
        quantity: 30,
        region: "653101000000",
        address: CANTEEN,
        rounds: 3,
        accept: false,
    },
    // Received at the county centre: waits there to go to the 喀什 hub.
    Journey {
        buyer: "buyer@partner.zhunong.demo",
        product: "伽师瓜",
        quantity: 10,
        region: "500103000000",
        address: CHONGQING,
        rounds: 4,
        accept: false,
    },
    // Paid; waits at its village point for the first shipment.
    Journey {
        buyer: "buyer@partner.zhunong.demo",
        product: "伽师无花果干",
        quantity: 15,
        region: "500103000000",
        address: CHONGQING,
        rounds: 0,
        accept: false,
    },
    // 昌都 → 重庆: on the line haul from the prefecture hub.
    Journey {
        buyer: "buyer@partner.zhunong.demo",
        product: "昌都牦牛肉干",
        quantity: 10,
        region: "500103000000",
        address: CHONGQING,
        rounds: 7,
        accept: false,
    },
];

/// Places, pays and moves the demo's orders along the chain, once per
/// database (a mark in `meta`, claimed first). Returns how many orders it
/// made.
pub async fn run(db: &Db) -> anyhow::Result<usize> {
    let mut tx = db.begin_write().await?;
    let claimed = sqlx::query("INSERT INTO meta (key, value) VALUES ('demo.journeys', $1) ON CONFLICT (key) DO NOTHING")
        .bind(crate::time::now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    if claimed == 0 {
        return Ok(0);
    }
    let finance = actor(db, "finance@zhunong.demo").await?;
    // The 伽师县 operator scans at its nodes; the platform admin stands in
    // for the operators the demo has no sign-in for.
    let operators = [actor(db, "operator@hub.zhunong.demo").await?, actor(db, "admin@zhunong.demo").await?];
    let holds = HoldPolicy { payment_hours: 72, approval_hours: 24, share_percent: 100 };
    for (n, j) in JOURNEYS.iter().enumerate() {
        let buyer = actor(db, j.buyer).await?;
        let product: i64 = sqlx::query_scalar("SELECT id FROM products WHERE name = $1 ORDER BY id LIMIT 1")
            .bind(j.product)
            .fetch_one(db.pool())
            .await
            .with_context(|| format!("demo product {}", j.product))?;
        let order = NewOrder {
            lines: vec![NewLine { product_id: product, quantity: j.quantity }],
            delivery: Delivery {
                region_code: j.region.into(),
                address: j.address.into(),
                contact_name: "王老师".into(),
                phone: "0998-2821234".into(),
            },
            payment_method: "invoice".into(),
            note: None,
        };
        let mut conn = db.pool().acquire().await?;
        let prepared = orders::prepare(&mut conn, &buyer, &order).await.map_err(|e| anyhow::anyhow!("demo order {n}: {e}"))?;
        drop(conn);
        let mut tx = db.begin_write().await?;
        let placed =
            orders::place_in(&mut tx, &buyer, &order, &prepared, &holds).await.map_err(|e| anyhow::anyhow!("demo order {n}: {e}"))?;
        tx.commit().await?;
        if prepared.needs_approval() {
            let approver = actor(db, "approver@agency.zhunong.demo").await?;
            orders::transition(db, &approver, placed.id, Transition::Approve, "").await?;
        }
        orders::transition(db, &finance, placed.id, Transition::ConfirmInvoice, &format!("DEMO-{}", placed.number)).await?;
        // Scans dated over the last days, the latest a few hours ago.
        let start = OffsetDateTime::now_utc() - Duration::hours(6 * j.rounds as i64 + 3);
        for round in 0..j.rounds {
            let at = start + Duration::hours(6 * round as i64);
            if advance(db, &operators, placed.id, at).await? == 0 {
                break;
            }
        }
        if j.accept {
            let coop: i64 = sqlx::query_scalar("SELECT cooperative_id FROM order_lines WHERE order_id = $1 LIMIT 1")
                .bind(placed.id)
                .fetch_one(db.pool())
                .await?;
            let rating = orders::Rating { cooperative_id: coop, stars: 5, comment: Some("瓜很甜，按时送达".into()) };
            orders::accept(db, &buyer, placed.id, &[rating]).await.map_err(|e| anyhow::anyhow!("demo acceptance: {e}"))?;
        }
    }
    Ok(JOURNEYS.len())
}

pub(super) async fn actor(db: &Db, email: &str) -> anyhow::Result<Actor> {
    auth::actor_of(db, email).await?.with_context(|| format!("demo user {email}"))
}

/// One step further for every route of order `id`: the scan its first leg
/// not yet done needs (dispatched when planned; received at the next node,
/// or delivered to the buyer, when dispatched). Returns the scans made.
pub(super) async fn advance(db: &Db, operators: &[Actor], id: i64, at: OffsetDateTime) -> anyhow::Result<usize> {
    /// route, seq, from, to, status, shipment code
    type LegRow = (i64, i64, i64, Option<i64>, String, Option<String>);
    let legs: Vec<LegRow> = sqlx::query_as(
        "SELECT g.route_id, g.seq, g.from_node_id, g.to_node_id, g.status, s.code FROM route_legs g JOIN routes r ON r.id = g.route_id \
         JOIN order_lines l ON l.id = r.line_id LEFT JOIN shipments s ON s.id = g.shipment_id \
         WHERE l.order_id = $1 AND g.status NOT IN ('received', 'delivered') ORDER BY g.route_id, g.seq",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut done: Vec<String> = Vec::new();
    let mut last_route = None;
    for (route, _, from, to, status, code) in legs {
        if last_route == Some(route) {
            continue;
        }
        last_route = Some(route);
        let Some(code) = code else { continue };
        let (node, event) = match (status.as_str(), to) {
            ("planned", _) => (from, ScanEvent::Dispatched),
            ("dispatched", Some(to)) => (to, ScanEvent::Received),
            ("dispatched", None) => (from, ScanEvent::Delivered),
            _ => continue,
        };
        if done.contains(&code) {
            continue;
        }
        let runs: Option<i64> =
            sqlx::query_scalar("SELECT operator_org_id FROM nodes WHERE id = $1").bind(node).fetch_one(db.pool()).await?;
        let by = operators.iter().find(|a| Some(a.org.id) == runs).unwrap_or(&operators[operators.len() - 1]);
        orders::scan(db, by, ScanRequest { code: &code, node_id: node, event, at }, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo scan {event} of {code}: {e}"))?;
        done.push(code);
    }
    Ok(done.len())
}

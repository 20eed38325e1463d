//! The distribution chain (DESIGN.md, Routing through the chain): its
//! sites (物流节点) — village collection points, township sorting centres,
//! county distribution centres and prefecture hubs, with cold storage,
//! capacity and a daily cut-off — the routes of released order lines
//! ([`route`] plans, [`routing`] stores), the consolidated shipments that
//! carry them and their scans ([`shipments`]), and what operators, buyers
//! and cooperatives see of it ([`views`]).
//!
//! Must not: know HTTP, or change orders and their lines (a scan reports
//! the lines it moved; the orders module moves them).

pub mod route;
pub mod routing;
pub mod shipments;
pub mod views;

pub use routing::release_in;

/// The lease name of the chain's clock work.
pub const SWEEP_LEASE: &str = "distribution.sweep";

/// What one [`sweep`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Whether this instance held the lease (else it did nothing).
    pub held: bool,
    /// Shipments whose window closed at their node's cut-off.
    pub closed: usize,
    /// Routes written for lines released before routing existed.
    pub routed: usize,
}

/// The chain's clock work, run every minute by each instance and done by
/// the one that holds the lease: closes the shipments whose node's cut-off
/// has passed, and routes lines released without a route (orders paid
/// before routing existed), a bounded batch at a time.
pub async fn sweep(db: &Db, holder: &str, now: time::OffsetDateTime) -> sqlx::Result<Swept> {
    if !crate::jobs::claim(db, SWEEP_LEASE, holder, 55).await? {
        return Ok(Swept::default());
    }
    let closed = shipments::close_due(db, now).await?.len();
    // Lines are routed in their payment's transaction; only orders paid
    // before routing existed lack routes. Once a sweep of this process
    // finds none, later sweeps skip the search (it reads every order on
    // its way, every minute, for nothing).
    static BACKFILLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let mut routed = 0;
    if !BACKFILLED.load(std::sync::atomic::Ordering::Relaxed) {
        let mut tx = db.begin_write().await?;
        routed = routing::route_unrouted(&mut tx, 200).await?;
        tx.commit().await?;
        if routed == 0 {
            BACKFILLED.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    Ok(Swept { held: true, closed, routed })
}

use crate::db::Db;
use crate::regions::{RegionCode, RegionLevel};
use serde::Serialize;

/// A kind of node, ordered bottom-up: goods climb the chain from a village
/// point towards the prefecture hub, only as far as needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// 村合作社 collection point, serving a village.
    VillagePoint,
    /// 乡分拣中心, serving a township.
    TownshipSorting,
    /// 县配送中心, serving a county.
    CountyDistribution,
    /// 地区集散分流中心, serving a prefecture.
    PrefectureHub,
}

named_enum!(NodeKind { VillagePoint => "village_point", TownshipSorting => "township_sorting", CountyDistribution => "county_distribution", PrefectureHub => "prefecture_hub" });

impl NodeKind {
    /// The level of region a node of this kind serves.
    pub fn level(self) -> RegionLevel {
        match self {
            NodeKind::VillagePoint => RegionLevel::Village,
            NodeKind::TownshipSorting => RegionLevel::Township,
            NodeKind::CountyDistribution => RegionLevel::County,
            NodeKind::PrefectureHub => RegionLevel::Prefecture,
        }
    }

    /// The kind of node serving regions of `level` (none for a province:
    /// the chain ends at the prefecture hub).
    pub fn for_level(level: RegionLevel) -> Option<NodeKind> {
        NodeKind::ALL.iter().copied().find(|k| k.level() == level)
    }
}

impl Serialize for NodeKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for NodeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A node as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// village_point, township_sorting, county_distribution, prefecture_hub
    pub kind: NodeKind,
    /// e.g. 伽师县配送中心
    pub name: String,
    /// Region it serves, 12 digits.
    pub region_code: String,
    /// Has cold storage.
    pub cold_storage: bool,
    /// Capacity in kg.
    pub capacity_kg: i64,
    /// Daily cut-off, China time `HH:MM`: goods here before it leave that day.
    pub cutoff: String,
}

/// Nodes inside `region` (all nodes when `None`), by region then kind.
pub async fn list(db: &Db, region: Option<RegionCode>) -> sqlx::Result<Vec<Node>> {
    let prefix = region.map(|r| format!("{}%", r.prefix())).unwrap_or_else(|| "%".into());
    let rows: Vec<(i64, String, String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT id, kind, name, region_code, cold_storage, capacity_kg, cutoff FROM nodes WHERE region_code LIKE $1 ORDER BY region_code, kind, id",
    )
    .bind(prefix)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(id, kind, name, region_code, cold, capacity_kg, cutoff)| {
            let kind = NodeKind::parse(&kind).ok_or_else(|| sqlx::Error::Decode(format!("{kind} is not a node kind").into()))?;
            Ok(Node { id, kind, name, region_code, cold_storage: cold != 0, capacity_kg, cutoff })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_kinds_climb_from_the_village_to_the_prefecture() {
        let kinds = NodeKind::ALL.to_vec();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted, "declared bottom-up");
        assert_eq!(NodeKind::for_level(RegionLevel::County), Some(NodeKind::CountyDistribution));
        assert_eq!(NodeKind::for_level(RegionLevel::Province), None);
        for k in NodeKind::ALL {
            assert_eq!(NodeKind::for_level(k.level()), Some(*k));
            assert_eq!(NodeKind::parse(k.as_str()), Some(*k));
        }
    }
}

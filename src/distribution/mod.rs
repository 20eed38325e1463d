//! The distribution chain's sites (物流节点): village collection points,
//! township sorting centres, county distribution centres and prefecture
//! hubs, with cold storage and capacity — and who may move goods through
//! them ([`MoverScope`]). Routing and shipments build on these.
//!
//! Must not: know HTTP, or change orders (the orders module asks
//! [`MoverScope::may_move`] before it moves a line).

pub mod route;
pub mod routing;
pub mod shipments;

pub use routing::release_in;

use crate::auth::{Actor, Role};
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
}

/// Nodes inside `region` (all nodes when `None`), by region then kind.
pub async fn list(db: &Db, region: Option<RegionCode>) -> sqlx::Result<Vec<Node>> {
    let prefix = region.map(|r| format!("{}%", r.prefix())).unwrap_or_else(|| "%".into());
    let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, kind, name, region_code, cold_storage, capacity_kg FROM nodes WHERE region_code LIKE $1 ORDER BY region_code, kind, id",
    )
    .bind(prefix)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(id, kind, name, region_code, cold, capacity_kg)| {
            let kind = NodeKind::parse(&kind).ok_or_else(|| sqlx::Error::Decode(format!("{kind} is not a node kind").into()))?;
            Ok(Node { id, kind, name, region_code, cold_storage: cold != 0, capacity_kg })
        })
        .collect()
}

/// Whose goods an actor may move through the chain: the platform admin
/// anyone's; a hub operator those whose origin lies inside the region of a
/// node its organisation runs — the nodes the goods pass on their way up
/// (village point, township sorting centre, county centre, prefecture hub);
/// nobody else any. Until routing assigns shipments to nodes this is the
/// rule: a 伽师县 operator never moves a 卡若区 line of a mixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoverScope {
    /// Every origin (the platform admin).
    Everywhere,
    /// Origins inside these regions (empty: none).
    Regions(Vec<RegionCode>),
}

impl MoverScope {
    /// The scope of `actor`, from the nodes its organisation runs.
    pub async fn of(conn: &mut sqlx::AnyConnection, actor: &Actor) -> sqlx::Result<MoverScope> {
        if actor.has(Role::PlatformAdmin) {
            return Ok(MoverScope::Everywhere);
        }
        if !actor.has(Role::HubOperator) {
            return Ok(MoverScope::Regions(Vec::new()));
        }
        let codes: Vec<String> = sqlx::query_scalar("SELECT DISTINCT region_code FROM nodes WHERE operator_org_id = $1")
            .bind(actor.org.id)
            .fetch_all(&mut *conn)
            .await?;
        Ok(MoverScope::Regions(codes.iter().filter_map(|c| RegionCode::parse(c).ok()).collect()))
    }

    /// Whether goods from `origin` are in this scope.
    pub fn may_move(&self, origin: RegionCode) -> bool {
        match self {
            MoverScope::Everywhere => true,
            MoverScope::Regions(regions) => regions.iter().any(|r| r.contains(origin)),
        }
    }
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

    #[test]
    fn an_operator_moves_goods_from_inside_its_nodes_regions_only() {
        let jiashi = RegionCode::parse("653129").unwrap();
        let scope = MoverScope::Regions(vec![jiashi]);
        assert!(scope.may_move(RegionCode::parse("653129100200").unwrap()), "a village of 伽师县");
        assert!(!scope.may_move(RegionCode::parse("540102000000").unwrap()), "卡若区 is not");
        assert!(!MoverScope::Regions(Vec::new()).may_move(jiashi));
        assert!(MoverScope::Everywhere.may_move(jiashi));
    }
}

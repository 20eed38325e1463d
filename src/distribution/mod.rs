//! The distribution chain's sites (物流节点): village collection points,
//! township sorting centres, county distribution centres and prefecture
//! hubs, with cold storage and capacity. Routing and shipments build on
//! these.

pub mod route;

use crate::db::Db;
use serde::Serialize;

/// Kinds of node, bottom of the chain first.
pub const NODE_KINDS: [&str; 4] = ["village_point", "township_sorting", "county_distribution", "prefecture_hub"];

/// A node as the API shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Node {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// village_point, township_sorting, county_distribution, prefecture_hub
    pub kind: String,
    /// e.g. 伽师县配送中心
    pub name: String,
    /// Region it serves, 12 digits.
    pub region_code: String,
    /// Has cold storage (0/1 in the database).
    #[serde(serialize_with = "serialize_flag")]
    pub cold_storage: i64,
    /// Capacity in kg.
    pub capacity_kg: i64,
}

fn serialize_flag<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*v != 0)
}

/// Nodes inside `region` (all nodes when `None`), by region then kind.
pub async fn list(db: &Db, region: Option<crate::regions::RegionCode>) -> sqlx::Result<Vec<Node>> {
    let prefix = region.map(|r| format!("{}%", r.prefix())).unwrap_or_else(|| "%".into());
    sqlx::query_as::<_, Node>(
        "SELECT id, kind, name, region_code, cold_storage, capacity_kg FROM nodes WHERE region_code LIKE $1 ORDER BY region_code, kind, id",
    )
    .bind(prefix)
    .fetch_all(db.pool())
    .await
}

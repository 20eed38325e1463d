//! Stock: harvest lots of a product, the member households that contributed
//! to each, and the audited history of every quantity change (invariant 8).
//! `allocated` is what orders hold; a lot never goes below it (invariant 1,
//! also a CHECK in the schema).
//!
//! Every function here takes the cooperative that is acting, and touches
//! only that cooperative's lots (invariant 6).

mod import;
pub mod upload;

pub use import::{
    COLUMNS as IMPORT_COLUMNS, ImportError, ImportReport, MAX_ROW_ERRORS, RowError, import, import_upload, read_csv, read_xlsx, rows_error,
    sample as import_sample,
};
pub use upload::{FileKind, OverBudget};

use crate::db::{Db, Tx};
use crate::validation::{FieldErrors, Problem};
use serde::{Deserialize, Serialize};

/// A lot as its cooperative sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Lot {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// The product.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub product_id: i64,
    /// Units in the lot.
    pub quantity: i64,
    /// Units held by orders.
    pub allocated: i64,
    /// `quantity - allocated`.
    pub available: i64,
    /// YYYY-MM-DD
    pub harvested_on: String,
    /// YYYY-MM-DD
    pub expires_on: String,
    /// Node where the lot sits.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub node_id: i64,
    /// When recorded.
    pub created_at: String,
}

/// One household's share of a lot, as given.
#[derive(Debug, Clone, Deserialize)]
pub struct NewContribution {
    /// The member household.
    #[serde(deserialize_with = "crate::ids::deserialize")]
    pub household_id: i64,
    /// Units it supplied.
    pub quantity: i64,
}

/// A lot to record.
#[derive(Debug, Clone, Deserialize)]
pub struct NewLot {
    /// The product (of the acting cooperative).
    #[serde(deserialize_with = "crate::ids::deserialize")]
    pub product_id: i64,
    /// Units harvested.
    pub quantity: i64,
    /// YYYY-MM-DD
    pub harvested_on: String,
    /// YYYY-MM-DD, not before the harvest.
    pub expires_on: String,
    /// Where the lot sits.
    #[serde(deserialize_with = "crate::ids::deserialize")]
    pub node_id: i64,
    /// Member households and their units; must add up to `quantity`.
    pub contributions: Vec<NewContribution>,
}

/// Why a stock change was refused.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    /// The input breaks a rule; every problem is listed.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// No such lot or product for this cooperative.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The lot's product belongs to another cooperative.
    #[error("this belongs to another cooperative")]
    Forbidden,
    /// The change would take the lot below what orders hold.
    #[error("only {available} units are free in lot {lot}: {allocated} are held by orders")]
    BelowAllocated {
        /// The lot.
        lot: i64,
        /// Held by orders.
        allocated: i64,
        /// Free.
        available: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Which cooperative owns `product_id`, if the product exists.
pub async fn product_owner(db: &Db, product_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT cooperative_id FROM products WHERE id = $1").bind(product_id).fetch_optional(db.pool()).await
}

/// The SQL expression of a product's units on sale: free units of its
/// unexpired lots. `p` is the product's alias; `$today` the placeholder
/// number that carries today's date. The one definition of "available"
/// for listings, search documents and the cart.
pub fn available_sql(today: usize) -> String {
    format!(
        "CAST(COALESCE((SELECT SUM(l.quantity - l.allocated) FROM lots l WHERE l.product_id = p.id AND l.expires_on >= ${today}), 0) AS BIGINT)"
    )
}

const LOT_COLUMNS: &str = "l.id, l.product_id, l.quantity, l.allocated, l.quantity - l.allocated AS available, \
                           l.harvested_on, l.expires_on, l.node_id, l.created_at";

/// The lots of `cooperative_id`, optionally of one product, first expiry
/// first (the order they are sold in).
pub async fn list(db: &Db, cooperative_id: i64, product_id: Option<i64>, limit: i64, offset: i64) -> sqlx::Result<(Vec<Lot>, i64)> {
    let filter = "FROM lots l JOIN products p ON p.id = l.product_id WHERE p.cooperative_id = $1 AND ($2 = 0 OR l.product_id = $2)";
    let product = product_id.unwrap_or(0);
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) {filter}")).bind(cooperative_id).bind(product).fetch_one(db.pool()).await?;
    let lots = sqlx::query_as::<_, Lot>(&format!("SELECT {LOT_COLUMNS} {filter} ORDER BY l.expires_on, l.id LIMIT $3 OFFSET $4"))
        .bind(cooperative_id)
        .bind(product)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    Ok((lots, total))
}

/// A lot with the name and unit of its product.
#[derive(Debug, Clone)]
pub struct LotOfProduct {
    /// The lot.
    pub lot: Lot,
    /// The product's name.
    pub product: String,
    /// The product's unit.
    pub unit: String,
}

/// The columns of [`LOT_COLUMNS`] and the product's name and unit.
type LotRowOfProduct = (i64, i64, i64, i64, i64, String, String, i64, String, String, String);

/// Lot `lot_id` of the acting cooperative, with its product's name and
/// unit; another cooperative's lot is not found.
pub async fn get(db: &Db, cooperative_id: i64, lot_id: i64) -> Result<LotOfProduct, StockError> {
    let row: Option<LotRowOfProduct> = sqlx::query_as(&format!(
        "SELECT {LOT_COLUMNS}, p.name, p.unit FROM lots l JOIN products p ON p.id = l.product_id WHERE l.id = $1 AND p.cooperative_id = $2"
    ))
    .bind(lot_id)
    .bind(cooperative_id)
    .fetch_optional(db.pool())
    .await?;
    let (id, product_id, quantity, allocated, available, harvested_on, expires_on, node_id, created_at, product, unit) =
        row.ok_or(StockError::NotFound("lot"))?;
    Ok(LotOfProduct {
        lot: Lot { id, product_id, quantity, allocated, available, harvested_on, expires_on, node_id, created_at },
        product,
        unit,
    })
}

/// Records a harvest lot of the acting cooperative with its contributions
/// and a `receipt` entry in its history.
pub async fn create_lot(db: &Db, cooperative_id: i64, user_id: Option<i64>, lot: &NewLot) -> Result<Lot, StockError> {
    let mut tx = db.begin_write().await?;
    let id = create_lot_in(&mut tx, cooperative_id, user_id, lot).await?;
    let created =
        sqlx::query_as::<_, Lot>(&format!("SELECT {LOT_COLUMNS} FROM lots l WHERE l.id = $1")).bind(id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(created)
}

/// [`create_lot`] inside a caller's transaction (the demo loader uses it).
pub async fn create_lot_in(tx: &mut Tx, cooperative_id: i64, user_id: Option<i64>, lot: &NewLot) -> Result<i64, StockError> {
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT cooperative_id FROM products WHERE id = $1").bind(lot.product_id).fetch_optional(&mut **tx).await?;
    match owner {
        None => return Err(StockError::NotFound("product")),
        Some(o) if o != cooperative_id => return Err(StockError::Forbidden),
        Some(_) => {}
    }
    use crate::bounds::{MAX_CONTRIBUTIONS, MAX_LOT_UNITS, units_in_range};
    let mut errors = FieldErrors::default();
    if !units_in_range(lot.quantity, MAX_LOT_UNITS) {
        errors.add("quantity", Problem::LotQuantity { max: MAX_LOT_UNITS });
    }
    if lot.contributions.len() > MAX_CONTRIBUTIONS {
        // Checked before any household is looked up: one query each.
        errors.add("contributions", Problem::TooManyContributions { max: MAX_CONTRIBUTIONS as i64 });
        return Err(StockError::Invalid(errors));
    }
    let harvested = crate::time::parse_date(&lot.harvested_on);
    let expires = crate::time::parse_date(&lot.expires_on);
    if harvested.is_none() {
        errors.add("harvested_on", Problem::Date);
    }
    if expires.is_none() {
        errors.add("expires_on", Problem::Date);
    }
    if let (Some(h), Some(e)) = (harvested, expires)
        && e < h
    {
        errors.add("expires_on", Problem::ExpiresBeforeHarvest);
    }
    check_node_and_dates(tx, cooperative_id, lot, &mut errors).await?;
    if lot.contributions.is_empty() {
        errors.add("contributions", Problem::NoContributions);
    }
    let mut sum: i64 = 0;
    let mut seen = std::collections::HashSet::new();
    for (i, c) in lot.contributions.iter().enumerate() {
        if !units_in_range(c.quantity, MAX_LOT_UNITS) {
            errors.add(format!("contributions[{i}].quantity"), Problem::Units { max: MAX_LOT_UNITS });
        }
        sum = sum.saturating_add(c.quantity);
        if !seen.insert(c.household_id) {
            errors.add(format!("contributions[{i}].household_id"), Problem::HouseholdTwice);
        }
        let member: Option<i64> =
            sqlx::query_scalar("SELECT household_id FROM cooperative_members WHERE cooperative_id = $1 AND household_id = $2")
                .bind(cooperative_id)
                .bind(c.household_id)
                .fetch_optional(&mut **tx)
                .await?;
        if member.is_none() {
            errors.add(format!("contributions[{i}].household_id"), Problem::NotAMember);
        }
    }
    if !lot.contributions.is_empty() && sum != lot.quantity {
        errors.add("contributions", Problem::ContributionsSum { sum, lot: lot.quantity });
    }
    if !errors.is_empty() {
        return Err(StockError::Invalid(errors));
    }

    let now = crate::time::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO lots (product_id, quantity, harvested_on, expires_on, node_id, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(lot.product_id)
    .bind(lot.quantity)
    .bind(&lot.harvested_on)
    .bind(&lot.expires_on)
    .bind(lot.node_id)
    .bind(&now)
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?;
    for c in &lot.contributions {
        sqlx::query("INSERT INTO lot_contributions (lot_id, household_id, quantity) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(c.household_id)
            .bind(c.quantity)
            .execute(&mut **tx)
            .await?;
    }
    record(tx, id, "receipt", "", lot.quantity, 0, user_id, &now).await?;
    crate::outbox::enqueue(tx, lot.product_id).await?;
    Ok(id)
}

/// The nodes a lot of `cooperative_id` may sit at (see
/// [`check_node_and_dates`]): those on the chain of its village or of one of
/// its products' origins, the cooperative's village point first. For the
/// console's lot form.
pub async fn lot_nodes(db: &Db, cooperative_id: i64) -> sqlx::Result<Vec<(i64, String)>> {
    use crate::regions::{RegionCode, RegionLevel};
    let village: String =
        sqlx::query_scalar("SELECT region_code FROM organisations WHERE id = $1").bind(cooperative_id).fetch_one(db.pool()).await?;
    let homes: Vec<String> = sqlx::query_scalar("SELECT DISTINCT origin_code FROM products WHERE cooperative_id = $1")
        .bind(cooperative_id)
        .fetch_all(db.pool())
        .await?;
    let mut chain: Vec<String> = std::iter::once(&village)
        .chain(&homes)
        .filter_map(|h| RegionCode::parse(h).ok())
        .flat_map(|h| [RegionLevel::Prefecture, RegionLevel::County, RegionLevel::Township, RegionLevel::Village].map(|l| h.ancestor(l)))
        .flatten()
        .map(|c| c.to_string())
        .collect();
    chain.sort();
    chain.dedup();
    let sql = format!(
        "SELECT id, name FROM nodes WHERE region_code IN ({}) ORDER BY CASE WHEN region_code = $1 THEN 0 ELSE 1 END, kind DESC, name",
        (0..chain.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ")
    );
    let mut query = sqlx::query_as(&sql).bind(&village);
    for c in &chain {
        query = query.bind(c);
    }
    query.fetch_all(db.pool()).await
}

/// How far back a harvest may be dated: two years (730 days) — older
/// produce is not on sale, and a typo like 0000-01-01 is refused.
pub const HARVEST_MAX_AGE_DAYS: i64 = 730;
/// How long after its harvest a lot may expire: ten years (3,653 days), more
/// than any dried or preserved produce keeps; 9999-12-31 is refused.
pub const SHELF_LIFE_MAX_DAYS: i64 = 3_653;

/// The rules of finding 12 of issue 16, shared by the API, the console
/// form and imports (all create lots through [`create_lot_in`]):
///
/// * the node must lie on the chain of the cooperative's village — the
///   village's own collection point, its township's sorting centre, its
///   county's distribution centre or its prefecture's hub — or on the chain
///   of the product's origin village (a product may name another village of
///   the cooperative's county). A 伽师县 lot at a 建始县 node is refused;
/// * harvested at most [`HARVEST_MAX_AGE_DAYS`] ago and not after tomorrow
///   (China time: a harvest recorded just after midnight in 喀什 is not "in
///   the future" for a server on UTC);
/// * expiring on or after the harvest and at most [`SHELF_LIFE_MAX_DAYS`]
///   after it.
async fn check_node_and_dates(tx: &mut Tx, cooperative_id: i64, lot: &NewLot, errors: &mut FieldErrors) -> sqlx::Result<()> {
    use crate::regions::{RegionCode, RegionLevel};
    let node: Option<String> =
        sqlx::query_scalar("SELECT region_code FROM nodes WHERE id = $1").bind(lot.node_id).fetch_optional(&mut **tx).await?;
    match node {
        None => errors.add("node_id", Problem::NoSuchNode),
        Some(node) => {
            let homes: Vec<String> = sqlx::query_scalar(
                "SELECT region_code FROM organisations WHERE id = $1 UNION SELECT origin_code FROM products WHERE id = $2 AND cooperative_id = $1",
            )
            .bind(cooperative_id)
            .bind(lot.product_id)
            .fetch_all(&mut **tx)
            .await?;
            let on_chain = RegionCode::parse(&node).is_ok_and(|n| {
                n.level() >= RegionLevel::Prefecture && homes.iter().filter_map(|h| RegionCode::parse(h).ok()).any(|h| n.contains(h))
            });
            if !on_chain {
                errors.add("node_id", Problem::NodeOffChain);
            }
        }
    }
    let today = crate::time::china_today();
    if let Some(h) = crate::time::parse_date(&lot.harvested_on) {
        if h > today + time::Duration::days(1) {
            errors.add("harvested_on", Problem::HarvestInFuture);
        } else if h < today - time::Duration::days(HARVEST_MAX_AGE_DAYS) {
            errors.add("harvested_on", Problem::HarvestTooOld { days: HARVEST_MAX_AGE_DAYS });
        }
        if let Some(e) = crate::time::parse_date(&lot.expires_on)
            && h.checked_add(time::Duration::days(SHELF_LIFE_MAX_DAYS)).is_some_and(|latest| e > latest)
        {
            errors.add("expires_on", Problem::ShelfLife { years: 10 });
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn record(tx: &mut Tx, lot: i64, reason: &str, note: &str, delta: i64, before: i64, user: Option<i64>, at: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO stock_movements (lot_id, reason, note, delta, quantity_before, quantity_after, user_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(lot)
    .bind(reason)
    .bind(note)
    .bind(delta)
    .bind(before)
    .bind(before + delta)
    .bind(user)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Reasons a cooperative may give for changing a lot's quantity.
pub const ADJUSTMENT_REASONS: [&str; 5] = ["spoilage", "recount", "damage", "return", "other"];

/// An adjustment as given.
#[derive(Debug, Clone, Deserialize)]
pub struct Adjustment {
    /// Units added (positive) or removed (negative); not zero.
    pub delta: i64,
    /// One of [`ADJUSTMENT_REASONS`].
    pub reason: String,
    /// Free text, e.g. what spoiled.
    #[serde(default)]
    pub note: String,
}

/// Changes a lot's quantity and records who, when, why, before and after.
/// The update is one conditional statement that returns the new quantity:
/// it succeeds only while the lot stays at or above what orders hold, and
/// before/after come from the row it changed, so a concurrent order cannot
/// slip between a check and the write.
pub async fn adjust(db: &Db, cooperative_id: i64, user_id: i64, lot_id: i64, adj: &Adjustment) -> Result<Lot, StockError> {
    use crate::bounds::{MAX_ADJUSTMENT_UNITS, MAX_LOT_UNITS};
    let mut errors = FieldErrors::default();
    if adj.delta == 0 {
        errors.add("delta", Problem::ZeroChange);
    } else if adj.delta.unsigned_abs() > MAX_ADJUSTMENT_UNITS as u64 {
        errors.add("delta", Problem::AdjustmentTooLarge { max: MAX_ADJUSTMENT_UNITS });
    }
    if !ADJUSTMENT_REASONS.contains(&adj.reason.as_str()) {
        errors.add("reason", Problem::OneOf(ADJUSTMENT_REASONS.iter().map(|r| (*r).to_owned()).collect()));
    }
    if adj.note.chars().count() > 500 {
        errors.add("note", Problem::TooLong { max: 500 });
    }
    if !errors.is_empty() {
        return Err(StockError::Invalid(errors));
    }
    let mut tx = db.begin_write().await?;
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT p.cooperative_id FROM lots l JOIN products p ON p.id = l.product_id WHERE l.id = $1")
            .bind(lot_id)
            .fetch_optional(&mut *tx)
            .await?;
    if owner != Some(cooperative_id) {
        // Another cooperative's lot is reported as missing: its existence is
        // none of this cooperative's business.
        return Err(StockError::NotFound("lot"));
    }
    // The upper bound is part of the condition: the delta is bounded, the
    // lot's quantity too, so `quantity + delta` cannot overflow either.
    let after: Option<i64> = sqlx::query_scalar(
        "UPDATE lots SET quantity = quantity + $1 WHERE id = $2 AND quantity + $1 >= allocated AND quantity + $1 <= $3 RETURNING quantity",
    )
    .bind(adj.delta)
    .bind(lot_id)
    .bind(MAX_LOT_UNITS)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(after) = after else {
        let (quantity, allocated): (i64, i64) =
            sqlx::query_as("SELECT quantity, allocated FROM lots WHERE id = $1").bind(lot_id).fetch_one(&mut *tx).await?;
        if quantity.saturating_add(adj.delta) > MAX_LOT_UNITS {
            return Err(StockError::Invalid(FieldErrors::one("delta", Problem::LotFull { max: MAX_LOT_UNITS, quantity })));
        }
        return Err(StockError::BelowAllocated { lot: lot_id, allocated, available: quantity - allocated });
    };
    let before = after - adj.delta;
    let product: i64 = sqlx::query_scalar("SELECT product_id FROM lots WHERE id = $1").bind(lot_id).fetch_one(&mut *tx).await?;
    // Availability is part of the search document.
    crate::outbox::enqueue(&mut tx, product).await?;
    record(&mut tx, lot_id, &adj.reason, adj.note.trim(), adj.delta, before, Some(user_id), &crate::time::now()).await?;
    let lot =
        sqlx::query_as::<_, Lot>(&format!("SELECT {LOT_COLUMNS} FROM lots l WHERE l.id = $1")).bind(lot_id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(lot)
}

/// One entry of a lot's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Movement {
    /// When.
    pub at: String,
    /// Who (user id), if a person.
    #[serde(serialize_with = "serialize_opt_id")]
    pub user_id: Option<i64>,
    /// Who, by name.
    pub user_name: Option<String>,
    /// receipt, spoilage, recount, damage, return, other
    pub reason: String,
    /// Free text.
    pub note: String,
    /// Change.
    pub delta: i64,
    /// Quantity before.
    pub before: i64,
    /// Quantity after.
    pub after: i64,
}

fn serialize_opt_id<S: serde::Serializer>(id: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(i) => s.collect_str(i),
        None => s.serialize_none(),
    }
}

/// Every change of a lot of the acting cooperative, oldest first.
pub async fn history(db: &Db, cooperative_id: i64, lot_id: i64) -> Result<Vec<Movement>, StockError> {
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT p.cooperative_id FROM lots l JOIN products p ON p.id = l.product_id WHERE l.id = $1")
            .bind(lot_id)
            .fetch_optional(db.pool())
            .await?;
    if owner != Some(cooperative_id) {
        return Err(StockError::NotFound("lot"));
    }
    Ok(sqlx::query_as::<_, Movement>(
        "SELECT m.at, m.user_id, u.display_name AS user_name, m.reason, m.note, m.delta, \
                m.quantity_before AS before, m.quantity_after AS after \
         FROM stock_movements m LEFT JOIN users u ON u.id = m.user_id WHERE m.lot_id = $1 ORDER BY m.id",
    )
    .bind(lot_id)
    .fetch_all(db.pool())
    .await?)
}

//! Organisations — cooperatives, agencies, partner cities, hub operators,
//! government offices and the platform — with the facts each kind carries:
//! a cooperative's payout ratio, an agency's approval limit and yearly
//! reserved share, a partner city's pairings and pledges.

use crate::db::Db;
use serde::Serialize;

/// The kind of an organisation; decides which roles its users may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 农民专业合作社: sells.
    Cooperative,
    /// 预算单位: buys in bulk against a reserved share.
    Agency,
    /// 对口帮扶城市: buys from its paired regions against a pledge.
    PartnerCity,
    /// Operates nodes of the distribution chain.
    HubOperator,
    /// A poverty-alleviation office: reads reports for its region.
    Government,
    /// The platform itself: administration and finance.
    Platform,
}

named_enum!(OrgKind { Cooperative => "cooperative", Agency => "agency", PartnerCity => "partner_city", HubOperator => "hub_operator", Government => "government", Platform => "platform" });

/// An organisation as users and the API see it.
#[derive(Debug, Clone, Serialize)]
pub struct OrgRef {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// What it is.
    pub kind: OrgKind,
    /// Its registered name.
    pub name: String,
    /// Its region (village of a cooperative, jurisdiction of an office …).
    pub region_code: String,
}

/// Reads an organisation.
pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<OrgRef>> {
    let row: Option<(i64, String, String, String)> =
        sqlx::query_as("SELECT id, kind, name, region_code FROM organisations WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
    Ok(row.and_then(|(id, kind, name, region_code)| Some(OrgRef { id, kind: OrgKind::parse(&kind)?, name, region_code })))
}

/// The regions a partner city is paired with; `None` when `partner_id` is
/// not a partner city.
pub async fn paired_regions(db: &Db, partner_id: i64) -> sqlx::Result<Option<Vec<crate::regions::RegionCode>>> {
    let kind: Option<String> =
        sqlx::query_scalar("SELECT kind FROM organisations WHERE id = $1").bind(partner_id).fetch_optional(db.pool()).await?;
    if kind.as_deref() != Some("partner_city") {
        return Ok(None);
    }
    let codes: Vec<String> = sqlx::query_scalar("SELECT region_code FROM partner_pairings WHERE partner_id = $1 ORDER BY region_code")
        .bind(partner_id)
        .fetch_all(db.pool())
        .await?;
    Ok(Some(codes.iter().filter_map(|c| crate::regions::RegionCode::parse(c).ok()).collect()))
}

/// A cooperative as its public page shows it.
#[derive(Debug, Clone)]
pub struct CooperativeProfile {
    /// Registered name.
    pub name: String,
    /// Its name in English, where its managers gave one.
    pub name_en: Option<String>,
    /// Its village, 12 digits.
    pub village: String,
    /// What it says about itself.
    pub description: String,
    /// Share of sales passed to supplying households, in basis points.
    pub payout_ratio_bp: i64,
}

/// The public profile of cooperative `id`; `None` when `id` is not a
/// cooperative.
pub async fn cooperative(db: &Db, id: i64) -> sqlx::Result<Option<CooperativeProfile>> {
    let row: Option<(String, Option<String>, String, String, i64)> = sqlx::query_as(
        "SELECT o.name, o.name_en, o.region_code, c.description, c.payout_ratio_bp \
         FROM organisations o JOIN cooperatives c ON c.org_id = o.id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(name, name_en, village, description, payout_ratio_bp)| CooperativeProfile {
        name,
        name_en,
        village,
        description,
        payout_ratio_bp,
    }))
}

/// Most characters of a cooperative's English name.
pub const MAX_NAME_EN: usize = 120;

/// A cooperative's English name as given: trimmed, and none when empty;
/// refused when longer than [`MAX_NAME_EN`], holding Chinese characters
/// (it is the name the English pages write beside the Chinese one) or
/// characters that cannot be stored.
pub fn english_name(given: &str) -> Result<Option<String>, crate::validation::Problem> {
    use crate::validation::Problem;
    let name = given.trim();
    if name.chars().any(crate::validation::forbidden_char) {
        return Err(Problem::ForbiddenChars);
    }
    if name.chars().count() > MAX_NAME_EN {
        return Err(Problem::TooLong { max: MAX_NAME_EN as i64 });
    }
    let chinese =
        |c: char| matches!(c, '\u{3000}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}' | '\u{20000}'..='\u{3FFFF}');
    if name.chars().any(chinese) {
        return Err(Problem::LatinText);
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// Sets (or with `None` clears) cooperative `id`'s English name, and
/// queues its products' search documents and cards to be rebuilt, in one
/// transaction. False when `id` is not a cooperative.
pub async fn set_english_name(db: &Db, id: i64, name_en: Option<&str>) -> sqlx::Result<bool> {
    let mut tx = db.begin_write().await?;
    let changed = sqlx::query("UPDATE organisations SET name_en = $1 WHERE id = $2 AND kind = 'cooperative'")
        .bind(name_en)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    crate::outbox::enqueue_all(&mut tx, id).await?;
    tx.commit().await?;
    Ok(true)
}

/// The cooperatives based inside `region`, by name, at most `limit`, each
/// with its English name where it gave one.
pub async fn cooperatives_in(db: &Db, region: crate::regions::RegionCode, limit: i64) -> sqlx::Result<Vec<(OrgRef, Option<String>)>> {
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, name, region_code, name_en FROM organisations WHERE kind = 'cooperative' AND region_code LIKE $1 ORDER BY name LIMIT $2",
    )
    .bind(format!("{}%", region.prefix()))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, region_code, name_en)| (OrgRef { id, kind: OrgKind::Cooperative, name, region_code }, name_en))
        .collect())
}

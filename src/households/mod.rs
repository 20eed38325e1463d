//! Farming households (农户): pseudonymous code, village, size, poverty
//! status, and — personal data under invariant 7 — register number and
//! head's name, which only the household's cooperative and officials of
//! its region may see. Every read that returns a household goes through
//! [`Viewer`] so the rule lives in one place.

use crate::auth::Actor;
use crate::db::Db;
use crate::regions::RegionCode;
use crate::validation::Problem;
use serde::Serialize;

/// Poverty status of a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 建档立卡贫困户: in the national register.
    RegisteredPoor,
    /// 监测户: watched for risk of returning to poverty.
    Monitored,
    /// 边缘户: just above the line, at risk.
    Edge,
    /// 已脱贫: lifted out of poverty.
    Lifted,
    /// None of the above.
    None,
}

named_enum!(Status { RegisteredPoor => "registered_poor", Monitored => "monitored", Edge => "edge", Lifted => "lifted", None => "none" });

/// A household as one viewer may see it.
#[derive(Debug, Clone, Serialize)]
pub struct Household {
    /// Opaque id (used in lot contributions).
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Stable pseudonym, e.g. `HH-7K3QX9PM`.
    pub code: String,
    /// The village, 12 digits.
    pub village_code: String,
    /// People in the household.
    pub size: i64,
    /// Poverty status.
    pub status: Status,
    /// 建档立卡 number; only for those allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_number: Option<String>,
    /// Head of household; only for those allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_name: Option<String>,
}

/// Who is looking, reduced to what decides household privacy.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// The cooperative the viewer manages.
    pub cooperative_id: Option<i64>,
    /// The region the viewer is an official of.
    pub official_region: Option<RegionCode>,
}

impl Viewer {
    /// The privacy view of an actor (anonymous visitors: `Viewer::default()`).
    pub fn of(actor: Option<&Actor>) -> Viewer {
        match actor {
            Some(a) => Viewer { cooperative_id: a.managed_cooperative(), official_region: a.official_region() },
            None => Viewer::default(),
        }
    }

    /// True when this viewer may see the identity of a household in
    /// `village` whose cooperatives are `member_of`.
    pub fn may_identify(&self, village: &str, member_of: &[i64]) -> bool {
        let by_coop = self.cooperative_id.is_some_and(|c| member_of.contains(&c));
        let by_region = match (self.official_region, RegionCode::parse(village)) {
            (Some(region), Ok(v)) => region.contains(v),
            _ => false,
        };
        by_coop || by_region
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    code: String,
    village_code: String,
    size: i64,
    status: String,
    register_number: Option<String>,
    head_name: Option<String>,
}

/// Builds the viewer's picture of household rows: identities only where
/// [`Viewer::may_identify`] allows.
async fn present(db: &Db, viewer: &Viewer, rows: Vec<Row>) -> sqlx::Result<Vec<Household>> {
    // Which of these households are members of the viewer's cooperative:
    // one query for the page, not one per row.
    let members: std::collections::HashSet<i64> = match viewer.cooperative_id {
        Some(coop) if !rows.is_empty() => {
            let ids = rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>().join(", ");
            // The ids are integers read from the database: safe to inline.
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT household_id FROM cooperative_members WHERE cooperative_id = $1 AND household_id IN ({ids})"
            ))
            .bind(coop)
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .collect()
        }
        _ => Default::default(),
    };
    let own: Vec<i64> = viewer.cooperative_id.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let member_of: &[i64] = if members.contains(&r.id) { &own } else { &[] };
            let identified = viewer.may_identify(&r.village_code, member_of);
            Household {
                id: r.id,
                code: r.code,
                village_code: r.village_code,
                size: r.size,
                status: Status::parse(&r.status).unwrap_or(Status::None),
                register_number: if identified { r.register_number } else { None },
                head_name: if identified { r.head_name } else { None },
            }
        })
        .collect())
}

/// Whose households a listing covers; decided by the caller's role.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// The members of one cooperative.
    Members(i64),
    /// The households living inside one region.
    Region(RegionCode),
    /// Every household (platform administration; pseudonymous).
    All,
}

/// Filters of a household listing.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only households of villages inside this region.
    pub region: Option<RegionCode>,
    /// Only this status.
    pub status: Option<Status>,
}

/// One page of the households in `scope`, in code order, and the total.
pub async fn list(db: &Db, viewer: &Viewer, scope: Scope, filter: &Filter, limit: i64, offset: i64) -> sqlx::Result<(Vec<Household>, i64)> {
    let (join, scope_sql, scope_bind) = match scope {
        Scope::Members(coop) => {
            ("JOIN cooperative_members m ON m.household_id = h.id", "m.cooperative_id = CAST($1 AS BIGINT)", coop.to_string())
        }
        Scope::Region(r) => ("", "h.village_code LIKE $1", format!("{}%", r.prefix())),
        Scope::All => ("", "$1 = $1", String::new()),
    };
    let region = filter.region.map(|r| format!("{}%", r.prefix())).unwrap_or_else(|| "%".into());
    let status = filter.status.map(|s| s.as_str()).unwrap_or("");
    let from = format!("FROM households h {join} WHERE {scope_sql} AND h.village_code LIKE $2 AND ($3 = '' OR h.status = $3)");
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) {from}")).bind(&scope_bind).bind(&region).bind(status).fetch_one(db.pool()).await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT h.id, h.code, h.village_code, h.size, h.status, h.register_number, h.head_name {from} ORDER BY h.code LIMIT $4 OFFSET $5"
    ))
    .bind(&scope_bind)
    .bind(&region)
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok((present(db, viewer, rows).await?, total))
}

/// Longest text the lot form's household picker searches for, in characters.
pub const MAX_PICK_TEXT: usize = 40;

/// Most households one search of the picker returns; the page says how
/// many more match, so the manager narrows the search instead of scrolling.
pub const MAX_PICK_RESULTS: i64 = 30;

/// `%text%` for `LIKE … ESCAPE '\'`, upper-cased (codes are upper case;
/// PostgreSQL's `LIKE` is case-sensitive, SQLite's is not for ASCII).
fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.chars().take(MAX_PICK_TEXT) {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.extend(ch.to_uppercase());
    }
    p.push('%');
    p
}

/// The member households of cooperative `coop` whose code or village
/// name contains `text` — or whose head's name does, but only when
/// `viewer` manages `coop` (a name is searched only by those who may see
/// it, so a search cannot reveal one) — in code order, at most
/// [`MAX_PICK_RESULTS`], and how many match in all. An empty `text`
/// matches every member. The caller has checked the length of `text`
/// against [`MAX_PICK_TEXT`]; past it the text is cut.
pub async fn search_members(db: &Db, viewer: &Viewer, coop: i64, text: &str) -> sqlx::Result<(Vec<Household>, i64)> {
    let text = text.trim();
    let by_name: i64 = (viewer.cooperative_id == Some(coop)).into();
    let from = "FROM households h JOIN cooperative_members m ON m.household_id = h.id LEFT JOIN regions r ON r.code = h.village_code \
                WHERE m.cooperative_id = $1 AND ($2 = '%%' OR UPPER(h.code) LIKE $2 ESCAPE '\\' OR UPPER(r.name) LIKE $2 ESCAPE '\\' \
                OR ($3 = 1 AND UPPER(h.head_name) LIKE $2 ESCAPE '\\'))";
    let pattern = like_pattern(text);
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) {from}")).bind(coop).bind(&pattern).bind(by_name).fetch_one(db.pool()).await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT h.id, h.code, h.village_code, h.size, h.status, h.register_number, h.head_name {from} ORDER BY h.code LIMIT $4"
    ))
    .bind(coop)
    .bind(&pattern)
    .bind(by_name)
    .bind(MAX_PICK_RESULTS)
    .fetch_all(db.pool())
    .await?;
    Ok((present(db, viewer, rows).await?, total))
}

/// The member households of cooperative `coop` among `ids` (the ones a
/// form has already chosen), in code order, as `viewer` may see them.
/// Ids of other households are left out.
pub async fn members_among(db: &Db, viewer: &Viewer, coop: i64, ids: &[i64]) -> sqlx::Result<Vec<Household>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Integers parsed by the caller: safe to inline, as in `present`.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT h.id, h.code, h.village_code, h.size, h.status, h.register_number, h.head_name \
         FROM households h JOIN cooperative_members m ON m.household_id = h.id \
         WHERE m.cooperative_id = $1 AND h.id IN ({list}) ORDER BY h.code"
    ))
    .bind(coop)
    .fetch_all(db.pool())
    .await?;
    present(db, viewer, rows).await
}

/// The households that contributed to lot `lot_id`, with the units each
/// gave, largest share first, as `viewer` may see them. The caller has
/// checked that the viewer may see the lot at all.
pub async fn lot_contributions(db: &Db, viewer: &Viewer, lot_id: i64) -> sqlx::Result<Vec<(Household, i64)>> {
    let rows: Vec<NumberedRow> = sqlx::query_as(
        "SELECT h.id, h.code, h.village_code, h.size, h.status, h.register_number, h.head_name, c.quantity \
         FROM lot_contributions c JOIN households h ON h.id = c.household_id WHERE c.lot_id = $1 ORDER BY c.quantity DESC, h.code",
    )
    .bind(lot_id)
    .fetch_all(db.pool())
    .await?;
    with_numbers(db, viewer, rows).await
}

/// The member households of cooperative `coop`, with the units each has
/// supplied to the cooperative's lots, biggest supplier first, as `viewer`
/// may see them.
pub async fn members_with_supply(db: &Db, viewer: &Viewer, coop: i64) -> sqlx::Result<Vec<(Household, i64)>> {
    let rows: Vec<NumberedRow> = sqlx::query_as(
        "SELECT h.id, h.code, h.village_code, h.size, h.status, h.register_number, h.head_name, \
                CAST(COALESCE((SELECT SUM(c.quantity) FROM lot_contributions c JOIN lots l ON l.id = c.lot_id JOIN products p ON p.id = l.product_id \
                               WHERE c.household_id = h.id AND p.cooperative_id = $1), 0) AS BIGINT) AS supplied \
         FROM households h JOIN cooperative_members m ON m.household_id = h.id WHERE m.cooperative_id = $1 ORDER BY supplied DESC, h.code",
    )
    .bind(coop)
    .fetch_all(db.pool())
    .await?;
    with_numbers(db, viewer, rows).await
}

/// A household row (as [`Row`], in its column order) with a number.
type NumberedRow = (i64, String, String, i64, String, Option<String>, Option<String>, i64);

/// Household rows with a number each, through [`present`] (so identities
/// only where the viewer may see them), the numbers kept in row order.
async fn with_numbers(db: &Db, viewer: &Viewer, rows: Vec<NumberedRow>) -> sqlx::Result<Vec<(Household, i64)>> {
    let numbers: Vec<i64> = rows.iter().map(|r| r.7).collect();
    let rows = rows
        .into_iter()
        .map(|(id, code, village_code, size, status, register_number, head_name, _)| Row {
            id,
            code,
            village_code,
            size,
            status,
            register_number,
            head_name,
        })
        .collect();
    Ok(present(db, viewer, rows).await?.into_iter().zip(numbers).collect())
}

/// How many member households cooperative `coop` has, and how many of
/// them are registered poor. Counts only: no identities.
pub async fn member_counts(db: &Db, coop: i64) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN h.status = 'registered_poor' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM cooperative_members m JOIN households h ON h.id = m.household_id WHERE m.cooperative_id = $1",
    )
    .bind(coop)
    .fetch_one(db.pool())
    .await
}

/// Whose goods it is: a product, or every product of a cooperative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supplier {
    /// The households that supplied lots of one product.
    Product(i64),
    /// The households that supplied lots of any product of a cooperative.
    Cooperative(i64),
}

/// Whom a product or a cooperative supports (带动): households that
/// supplied its lots, counted by village and by status. Counts only, for
/// public pages: no code, name or register number leaves here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Support {
    /// Households in all.
    pub households: i64,
    /// By status, in [`Status::ALL`] order, statuses with none left out.
    pub by_status: Vec<(Status, i64)>,
    /// By village, most households first (then by code).
    pub villages: Vec<VillageSupport>,
}

/// One village's households in a [`Support`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageSupport {
    /// The village, 12 digits.
    pub code: String,
    /// Households of the village.
    pub households: i64,
    /// By status, as in [`Support::by_status`].
    pub by_status: Vec<(Status, i64)>,
}

/// Whom `supplier` supports, by the households' status today.
pub async fn support(db: &Db, supplier: Supplier) -> sqlx::Result<Support> {
    let (filter, id) = match supplier {
        Supplier::Product(id) => ("l.product_id = $1", id),
        Supplier::Cooperative(id) => ("l.product_id IN (SELECT id FROM products WHERE cooperative_id = $1)", id),
    };
    // A household has one village and one status: the groups do not overlap.
    let rows: Vec<(String, String, i64)> = sqlx::query_as(&format!(
        "SELECT h.village_code, h.status, COUNT(DISTINCT h.id) FROM lot_contributions c JOIN lots l ON l.id = c.lot_id \
         JOIN households h ON h.id = c.household_id WHERE {filter} GROUP BY h.village_code, h.status ORDER BY h.village_code"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut support = Support::default();
    let mut totals: Vec<(Status, i64)> = Vec::new();
    for (village, status, n) in rows {
        let Some(status) = Status::parse(&status) else { continue };
        support.households += n;
        match totals.iter_mut().find(|(s, _)| *s == status) {
            Some(t) => t.1 += n,
            None => totals.push((status, n)),
        }
        if support.villages.last().is_none_or(|v| v.code != village) {
            support.villages.push(VillageSupport { code: village, households: 0, by_status: Vec::new() });
        }
        let v = support.villages.last_mut().expect("pushed above");
        v.households += n;
        v.by_status.push((status, n));
    }
    let order = |s: &Status| Status::ALL.iter().position(|x| x == s);
    totals.sort_by_key(|(s, _)| order(s));
    for v in &mut support.villages {
        v.by_status.sort_by_key(|(s, _)| order(s));
    }
    support.villages.sort_by(|a, b| b.households.cmp(&a.households).then_with(|| a.code.cmp(&b.code)));
    support.by_status = totals;
    Ok(support)
}

/// A household to register.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewHousehold {
    /// The village, 12 digits.
    pub village_code: String,
    /// People in the household.
    pub size: i64,
    /// registered_poor, monitored, edge, lifted or none
    pub status: String,
    /// 建档立卡 number, if any.
    #[serde(default)]
    pub register_number: Option<String>,
    /// Head of household, if given.
    #[serde(default)]
    pub head_name: Option<String>,
}

/// Why a household could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// Every problem with the input.
    #[error("invalid input: {0}")]
    Invalid(crate::validation::FieldErrors),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Registers a household of a village in the cooperative's county and makes
/// it a member of the cooperative.
pub async fn create(db: &Db, cooperative_id: i64, coop_village: RegionCode, h: &NewHousehold) -> Result<Household, CreateError> {
    use crate::regions::RegionLevel;
    let mut errors = crate::validation::FieldErrors::default();
    let village = match RegionCode::parse(&h.village_code) {
        Ok(v) if v.level() != RegionLevel::Village => {
            errors.add("village_code", Problem::RegionOfLevel { level: "village" });
            None
        }
        Ok(v) if v.ancestor(RegionLevel::County) != coop_village.ancestor(RegionLevel::County) => {
            errors.add("village_code", Problem::OutsideCounty { origin: false });
            None
        }
        Ok(v) => Some(v),
        Err(e) => {
            errors.add("village_code", Problem::RegionCode { text: e.0 });
            None
        }
    };
    if let Some(v) = village
        && crate::regions::get(db, v).await?.is_none()
    {
        errors.add("village_code", Problem::NoSuchVillage);
    }
    if !(1..=30).contains(&h.size) {
        errors.add("size", Problem::HouseholdSize);
    }
    if Status::parse(&h.status).is_none() {
        errors.add("status", Problem::Choice(&["registered_poor", "monitored", "edge", "lifted", "none"]));
    }
    let register_number = h.register_number.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if register_number.is_some_and(|r| r.len() > 40 || !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
        errors.add("register_number", Problem::RegisterNumber);
    }
    let head_name = h.head_name.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if head_name.is_some_and(|n| n.chars().count() > 40) {
        errors.add("head_name", Problem::TooLong { max: 40 });
    }
    if !errors.is_empty() {
        return Err(CreateError::Invalid(errors));
    }
    let mut tx = db.begin_write().await?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).expect("the operating system's random source works");
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO households (code, village_code, size, status, register_number, head_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(pseudonym(u64::from_le_bytes(random)))
    .bind(&h.village_code)
    .bind(h.size)
    .bind(&h.status)
    .bind(register_number)
    .bind(head_name)
    .bind(crate::time::now())
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if crate::db::is_unique_violation(&e) => {
            let mut errors = crate::validation::FieldErrors::default();
            errors.add("register_number", Problem::DuplicateRegisterNumber);
            return Err(CreateError::Invalid(errors));
        }
        Err(e) => return Err(e.into()),
    };
    sqlx::query("INSERT INTO cooperative_members (cooperative_id, household_id, joined_on) VALUES ($1, $2, $3)")
        .bind(cooperative_id)
        .bind(id)
        .bind(crate::time::format_date(crate::time::today()))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let viewer = Viewer { cooperative_id: Some(cooperative_id), official_region: None };
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id, code, village_code, size, status, register_number, head_name FROM households WHERE id = $1")
            .bind(id)
            .fetch_all(db.pool())
            .await?;
    Ok(present(db, &viewer, rows).await?.pop().expect("just inserted"))
}

/// A fresh pseudonymous code: `HH-` and 8 characters of Crockford base32
/// from `random` (no vowels-lookalikes, so codes read aloud cleanly).
pub fn pseudonym(random: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut s = String::from("HH-");
    for i in 0..8 {
        s.push(ALPHABET[((random >> (i * 5)) & 31) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_cooperative_and_officials_of_the_region_may_identify() {
        let village = "653129100200";
        let anonymous = Viewer::default();
        let own_coop = Viewer { cooperative_id: Some(7), official_region: None };
        let other_coop = Viewer { cooperative_id: Some(8), official_region: None };
        let county_official = Viewer { cooperative_id: None, official_region: RegionCode::parse("653129").ok() };
        let other_official = Viewer { cooperative_id: None, official_region: RegionCode::parse("5403").ok() };
        assert!(!anonymous.may_identify(village, &[7]));
        assert!(own_coop.may_identify(village, &[7]));
        assert!(!other_coop.may_identify(village, &[7]));
        assert!(county_official.may_identify(village, &[7]));
        assert!(!other_official.may_identify(village, &[7]));
    }

    #[test]
    fn pseudonyms_have_a_fixed_readable_shape() {
        let a = pseudonym(0x1234_5678_9abc);
        assert_eq!(a.len(), 11);
        assert!(a.starts_with("HH-"));
        assert_ne!(a, pseudonym(0x1234_5678_9abd));
        assert!(!a.contains('I') && !a.contains('O'));
    }
}

//! The catalogue: products of cooperatives with origin tag, price tiers,
//! storage class and certificates, and the read model the storefront and
//! the API list (with availability and households supported).

mod cards;
mod model;
pub mod photos;

pub use cards::Cards;
pub use model::*;

use crate::db::{Db, Tx};
use crate::money::Fen;
use crate::regions::{self, RegionCode, RegionLevel};
use crate::validation::{FieldErrors, Problem};
use std::collections::HashMap;

/// Which products to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this cooperative's products.
    pub cooperative_id: Option<i64>,
    /// Only products from inside this region.
    pub region: Option<RegionCode>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    name: String,
    name_en: Option<String>,
    category: String,
    unit: String,
    spec: String,
    storage: String,
    unit_weight_g: Option<i64>,
    origin_code: String,
    description: String,
    sales_count: i64,
    created_at: String,
    cooperative_id: i64,
    cooperative_name: String,
    cooperative_name_en: Option<String>,
    available: i64,
}

/// The product columns with `available`, which counts unexpired lots only;
/// `$today` is the placeholder number that carries today's date.
fn product_select(today: usize) -> String {
    format!(
        "SELECT p.id, p.name, p.name_en, p.category, p.unit, p.spec, p.storage, p.unit_weight_g, p.origin_code, \
         p.description, p.sales_count, p.created_at, p.cooperative_id, o.name AS cooperative_name, o.name_en AS cooperative_name_en, \
         {} AS available \
         FROM products p JOIN organisations o ON o.id = p.cooperative_id",
        crate::stock::available_sql(today)
    )
}

/// One page of active products, in listing order, and the total count.
pub async fn list(db: &Db, q: &ListQuery) -> sqlx::Result<(Vec<Product>, i64)> {
    let mut filter = String::from(" WHERE p.active = 1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(c) = q.cooperative_id {
        binds.push(c.to_string());
        filter.push_str(&format!(" AND p.cooperative_id = CAST(${} AS BIGINT)", binds.len()));
    }
    if let Some(r) = q.region {
        binds.push(format!("{}%", r.prefix()));
        filter.push_str(&format!(" AND p.origin_code LIKE ${}", binds.len()));
    }
    let count_sql = format!("SELECT COUNT(*) FROM products p{filter}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        count = count.bind(b);
    }
    let total = count.fetch_one(db.pool()).await?;

    let n = binds.len();
    let sql = format!("{}{filter} ORDER BY p.id LIMIT ${} OFFSET ${}", product_select(n + 1), n + 2, n + 3);
    let mut query = sqlx::query_as::<_, ProductRow>(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    let today = crate::time::format_date(crate::time::today());
    let rows = query.bind(today).bind(q.limit).bind(q.offset).fetch_all(db.pool()).await?;
    Ok((assemble(db, rows).await?, total))
}

/// One product, active or not; `None` when there is no such product.
pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<Product>> {
    let today = crate::time::format_date(crate::time::today());
    let sql = format!("{} WHERE p.id = $2", product_select(1));
    let rows = sqlx::query_as::<_, ProductRow>(&sql).bind(&today).bind(id).fetch_all(db.pool()).await?;
    Ok(assemble(db, rows).await?.pop())
}

/// The active products among `ids`, in the order of `ids` (unknown or
/// inactive ones are left out: search results never show what the
/// database no longer sells).
pub async fn get_many(db: &Db, ids: &[i64]) -> sqlx::Result<Vec<Product>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{} WHERE p.active = 1 AND p.id IN ({})", product_select(1), crate::db::list_placeholders(2, ids.len()));
    let mut query = sqlx::query_as::<_, ProductRow>(&sql).bind(crate::time::format_date(crate::time::today()));
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let mut products = assemble(db, rows).await?;
    products.sort_by_key(|p| ids.iter().position(|i| *i == p.id));
    Ok(products)
}

/// Adds tiers, certificates, origin chains and household counts to rows,
/// with one query per kind for the whole page.
async fn assemble(db: &Db, rows: Vec<ProductRow>) -> sqlx::Result<Vec<Product>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let list = crate::db::list_placeholders(1, ids.len());
    async fn by_ids<T>(db: &Db, sql: &str, ids: &[i64]) -> sqlx::Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let mut query = sqlx::query_as::<_, T>(sql);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(db.pool()).await
    }
    let tiers: Vec<(i64, i64, i64)> = by_ids(
        db,
        &format!("SELECT product_id, min_quantity, unit_price_fen FROM price_tiers WHERE product_id IN ({list}) ORDER BY product_id, min_quantity"),
        &ids,
    )
    .await?;
    let certs: Vec<(i64, String, String, String)> = by_ids(
        db,
        &format!(
            "SELECT product_id, kind, number, valid_until FROM certificates WHERE product_id IN ({list}) ORDER BY product_id, kind, number"
        ),
        &ids,
    )
    .await?;
    let supported: Vec<(i64, i64, i64)> = by_ids(
        db,
        &format!(
            "SELECT l.product_id, COUNT(DISTINCT c.household_id), \
                    COUNT(DISTINCT CASE WHEN h.status = 'registered_poor' THEN h.id END) \
             FROM lots l JOIN lot_contributions c ON c.lot_id = l.id JOIN households h ON h.id = c.household_id \
             WHERE l.product_id IN ({list}) GROUP BY l.product_id"
        ),
        &ids,
    )
    .await?;
    let codes: Vec<RegionCode> = rows.iter().filter_map(|r| RegionCode::parse(&r.origin_code).ok()).collect();
    let origins = regions::get_many(db, &codes).await?;
    let mut photos_by = photos::of_products(db, &ids).await?;

    let mut tiers_by: HashMap<i64, Vec<PriceTier>> = HashMap::new();
    for (p, min_quantity, fen) in tiers {
        tiers_by.entry(p).or_default().push(PriceTier { min_quantity, unit_price_fen: Fen::new(fen) });
    }
    let mut certs_by: HashMap<i64, Vec<Certificate>> = HashMap::new();
    for (p, kind, number, valid_until) in certs {
        if let Some(kind) = CertificateKind::parse(&kind) {
            certs_by.entry(p).or_default().push(Certificate { kind, number, valid_until });
        }
    }
    let supported_by: HashMap<i64, (i64, i64)> = supported.into_iter().map(|(p, all, poor)| (p, (all, poor))).collect();

    Ok(rows
        .into_iter()
        .map(|r| {
            let origin = RegionCode::parse(&r.origin_code).ok().and_then(|c| origins.get(&c).cloned());
            let (households_supported, registered_poor_supported) = supported_by.get(&r.id).copied().unwrap_or((0, 0));
            Product {
                id: r.id,
                name: r.name,
                name_en: r.name_en,
                category: r.category,
                unit: r.unit,
                spec: r.spec,
                storage: Storage::parse(&r.storage).unwrap_or(Storage::Ambient),
                unit_weight_g: r.unit_weight_g,
                price_tiers: tiers_by.remove(&r.id).unwrap_or_default(),
                available: r.available,
                origin: Origin {
                    code: r.origin_code,
                    chain: origin.as_ref().map(|o| o.chain.clone()).unwrap_or_default(),
                    label: origin.as_ref().map(|o| o.chain_label()).unwrap_or_default(),
                },
                cooperative: CooperativeRef { id: r.cooperative_id, name: r.cooperative_name, name_en: r.cooperative_name_en },
                certificates: certs_by.remove(&r.id).unwrap_or_default(),
                households_supported,
                registered_poor_supported,
                description: r.description,
                sales_count: r.sales_count,
                created_at: r.created_at,
                photos: photos_by.remove(&r.id).unwrap_or_default(),
            }
        })
        .collect())
}

/// Checks a new product against the catalogue's rules. `coop_village` is
/// the cooperative's village: the origin must lie in the same county.
pub fn validate(p: &NewProduct, coop_village: RegionCode) -> Result<RegionCode, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        errors.add("name", Problem::ProductName { max: 80 });
    }
    if p.name_en.as_deref().is_some_and(|n| n.chars().count() > 120) {
        errors.add("name_en", Problem::TooLong { max: 120 });
    }
    if p.description.chars().count() > 4000 {
        errors.add("description", Problem::TooLong { max: 4000 });
    }
    if category(&p.category).is_none() {
        errors.add("category", Problem::OneOf(CATEGORIES.iter().map(|c| c.slug.to_owned()).collect()));
    }
    if p.unit.trim().is_empty() || p.unit.chars().count() > 16 {
        errors.add("unit", Problem::SellingUnit { max: 16 });
    }
    if p.spec.chars().count() > 120 {
        errors.add("spec", Problem::TooLong { max: 120 });
    }
    if Storage::parse(&p.storage).is_none() {
        errors.add("storage", Problem::Choice(&["ambient", "chilled", "frozen"]));
    }
    if !p.unit_weight_g.is_some_and(|g| (1..=crate::bounds::MAX_UNIT_WEIGHT_G).contains(&g)) {
        errors.add("unit_weight_g", Problem::UnitWeight { max: crate::bounds::MAX_UNIT_WEIGHT_G });
    }
    use crate::bounds::{MAX_CERTIFICATES, MAX_LINE_UNITS, MAX_PRICE_TIERS, MAX_UNIT_PRICE_FEN};
    if p.price_tiers.is_empty() {
        errors.add("price_tiers", Problem::NoPriceTier);
    } else if p.price_tiers.len() > MAX_PRICE_TIERS {
        errors.add("price_tiers", Problem::TooManyPriceTiers { max: MAX_PRICE_TIERS as i64 });
    } else {
        if p.price_tiers[0].min_quantity != 1 {
            errors.add("price_tiers[0].min_quantity", Problem::FirstTierFromOne);
        }
        for (i, t) in p.price_tiers.iter().enumerate() {
            if !(1..=MAX_UNIT_PRICE_FEN).contains(&t.unit_price_fen.get()) {
                errors.add(format!("price_tiers[{i}].unit_price_fen"), Problem::UnitPrice { max_yuan: MAX_UNIT_PRICE_FEN / 100 });
            }
            if !(1..=MAX_LINE_UNITS).contains(&t.min_quantity) {
                errors.add(format!("price_tiers[{i}].min_quantity"), Problem::TierStart { max: MAX_LINE_UNITS });
            }
            if i > 0 {
                let prev = &p.price_tiers[i - 1];
                if t.min_quantity <= prev.min_quantity {
                    errors.add(format!("price_tiers[{i}].min_quantity"), Problem::TiersAscend);
                }
                if t.unit_price_fen >= prev.unit_price_fen {
                    errors.add(format!("price_tiers[{i}].unit_price_fen"), Problem::TierPriceDescends);
                }
            }
        }
    }
    if p.certificates.len() > MAX_CERTIFICATES {
        errors.add("certificates", Problem::TooManyCertificates { max: MAX_CERTIFICATES as i64 });
    }
    for (i, c) in p.certificates.iter().enumerate().take(MAX_CERTIFICATES) {
        if CertificateKind::parse(&c.kind).is_none() {
            errors.add(
                format!("certificates[{i}].kind"),
                Problem::Choice(&["poverty_alleviation", "geographic_indication", "green_food", "organic"]),
            );
        }
        if c.number.trim().is_empty() || c.number.chars().count() > 64 {
            errors.add(format!("certificates[{i}].number"), Problem::CertificateNumber { max: 64 });
        }
        match crate::time::parse_date(&c.valid_until) {
            None => errors.add(format!("certificates[{i}].valid_until"), Problem::Date),
            // A plausible window: certificates are issued for a few years,
            // and 0000-01-01 or 9999-12-31 is a typo or a probe.
            Some(d) if !(2000..=2100).contains(&d.year()) => {
                errors.add(format!("certificates[{i}].valid_until"), Problem::DateBetween { from: 2000, to: 2100 })
            }
            Some(_) => {}
        }
    }
    let origin = match RegionCode::parse(&p.origin_code) {
        Ok(o) if o.level() != RegionLevel::Village => {
            errors.add("origin_code", Problem::NotAVillage);
            None
        }
        Ok(o) if o.ancestor(RegionLevel::County) != coop_village.ancestor(RegionLevel::County) => {
            errors.add("origin_code", Problem::OutsideCounty { origin: true });
            None
        }
        Ok(o) => Some(o),
        Err(e) => {
            errors.add("origin_code", Problem::RegionCode { text: e.0 });
            None
        }
    };
    errors.into_result()?;
    Ok(origin.expect("no errors means an origin"))
}

/// Creates a product of `cooperative_id` inside `tx`, after [`validate`].
pub async fn create(tx: &mut Tx, cooperative_id: i64, p: &NewProduct, origin: RegionCode) -> sqlx::Result<i64> {
    let now = crate::time::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO products (cooperative_id, name, name_en, category, unit, spec, storage, origin_code, description, \
                               created_at, updated_at, unit_weight_g) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
    )
    .bind(cooperative_id)
    .bind(p.name.trim())
    .bind(p.name_en.as_deref())
    .bind(&p.category)
    .bind(p.unit.trim())
    .bind(p.spec.trim())
    .bind(&p.storage)
    .bind(origin.to_string())
    .bind(&p.description)
    .bind(&now)
    .bind(p.unit_weight_g)
    .fetch_one(&mut **tx)
    .await?;
    for t in &p.price_tiers {
        sqlx::query("INSERT INTO price_tiers (product_id, min_quantity, unit_price_fen) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(t.min_quantity)
            .bind(t.unit_price_fen.get())
            .execute(&mut **tx)
            .await?;
    }
    crate::outbox::enqueue(tx, id).await?;
    for c in &p.certificates {
        sqlx::query("INSERT INTO certificates (product_id, kind, number, valid_until) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(&c.kind)
            .bind(c.number.trim())
            .bind(&c.valid_until)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walnuts() -> NewProduct {
        NewProduct {
            name: "叶城薄皮核桃".into(),
            name_en: None,
            category: "nuts".into(),
            unit: "kg".into(),
            spec: "一级果 500g×2".into(),
            storage: "ambient".into(),
            unit_weight_g: Some(1000),
            origin_code: "653126200200".into(),
            description: String::new(),
            price_tiers: vec![
                PriceTier { min_quantity: 1, unit_price_fen: Fen::new(3600) },
                PriceTier { min_quantity: 50, unit_price_fen: Fen::new(3200) },
            ],
            certificates: vec![NewCertificate {
                kind: "poverty_alleviation".into(),
                number: "FP2023-6531-0001".into(),
                valid_until: "2027-12-31".into(),
            }],
        }
    }

    #[test]
    fn a_well_formed_product_passes() {
        let coop_village = RegionCode::parse("653126201201").unwrap();
        assert_eq!(validate(&walnuts(), coop_village).unwrap().to_string(), "653126200200");
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut p = walnuts();
        p.price_tiers[1].unit_price_fen = Fen::new(3900);
        p.certificates[0].valid_until = "2027-02-30".into();
        p.origin_code = "653129200200".into(); // 伽师县, not 叶城县
        p.storage = "warm".into();
        let coop_village = RegionCode::parse("653126201201").unwrap();
        let fields: Vec<String> = validate(&p, coop_village).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["storage", "price_tiers[1].unit_price_fen", "certificates[0].valid_until", "origin_code"]);
    }
}

/// Changes to a product; absent fields stay as they are. Tiers and
/// certificates, when given, replace the old ones.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// Name, in Chinese.
    pub name: Option<String>,
    /// Name in English.
    pub name_en: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// Selling unit.
    pub unit: Option<String>,
    /// Specification.
    pub spec: Option<String>,
    /// ambient, chilled or frozen
    pub storage: Option<String>,
    /// Weight of one unit in grams.
    pub unit_weight_g: Option<i64>,
    /// A village of the cooperative's county.
    pub origin_code: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Replaces the price tiers.
    pub price_tiers: Option<Vec<PriceTier>>,
    /// Replaces the certificates.
    pub certificates: Option<Vec<NewCertificate>>,
    /// `false` withdraws the product from sale.
    pub active: Option<bool>,
}

/// Why a product change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Every problem with the input.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// No such product.
    #[error("product not found")]
    NotFound,
    /// Another cooperative's product.
    #[error("this product belongs to another cooperative")]
    Forbidden,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The cooperative's village, which bounds where its products may come from.
pub async fn cooperative_village(db: &Db, cooperative_id: i64) -> sqlx::Result<Option<RegionCode>> {
    let v: Option<String> = sqlx::query_scalar("SELECT region_code FROM organisations WHERE id = $1 AND kind = 'cooperative'")
        .bind(cooperative_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(v.and_then(|v| RegionCode::parse(&v).ok()))
}

/// A cooperative's own product as its console lists it: name and unit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnProduct {
    /// Id.
    pub id: i64,
    /// Chinese name.
    pub name: String,
    /// Unit of sale.
    pub unit: String,
}

/// The order of [`own_products`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnOrder {
    /// Listing order (oldest first), as the stock overview shows them.
    Listed,
    /// By name, as pickers show them.
    Name,
}

/// The active products of cooperative `coop`.
pub async fn own_products(db: &Db, coop: i64, order: OwnOrder) -> sqlx::Result<Vec<OwnProduct>> {
    let by = match order {
        OwnOrder::Listed => "id",
        OwnOrder::Name => "name",
    };
    sqlx::query_as(&format!("SELECT id, name, unit FROM products WHERE cooperative_id = $1 AND active = 1 ORDER BY {by}"))
        .bind(coop)
        .fetch_all(db.pool())
        .await
}

/// Whether product `id` of cooperative `coop` is on sale; `None` when the
/// product is not the cooperative's (or does not exist).
pub async fn is_active(db: &Db, coop: i64, id: i64) -> sqlx::Result<Option<bool>> {
    let active: Option<i64> = sqlx::query_scalar("SELECT active FROM products WHERE id = $1 AND cooperative_id = $2")
        .bind(id)
        .bind(coop)
        .fetch_optional(db.pool())
        .await?;
    Ok(active.map(|a| a == 1))
}

/// How many active products come from each child region of `region`,
/// keyed by the child's code prefix ([`RegionCode::prefix`]); one grouped
/// query. A village has no children: empty.
pub async fn counts_by_child_region(db: &Db, region: RegionCode) -> sqlx::Result<std::collections::HashMap<String, i64>> {
    use crate::regions::RegionLevel;
    // The length of a child's prefix: the digits that tell the children
    // of this level apart.
    let width = match region.level() {
        RegionLevel::Province => 4,
        RegionLevel::Prefecture => 6,
        RegionLevel::County => 9,
        RegionLevel::Township => 12,
        RegionLevel::Village => return Ok(Default::default()),
    };
    let counts: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT substr(origin_code, 1, {width}) AS part, COUNT(*) FROM products WHERE active = 1 AND origin_code LIKE $1 GROUP BY part"
    ))
    .bind(format!("{}%", region.prefix()))
    .fetch_all(db.pool())
    .await?;
    Ok(counts.into_iter().collect())
}

/// The prefectures whose produce is on sale, most products first (ties in
/// code order), at most `limit`, with their product counts: the places the
/// home page offers to browse, taken from the catalogue rather than
/// written into a template.
pub async fn prefectures_on_sale(db: &Db, limit: i64) -> sqlx::Result<Vec<(crate::regions::Region, i64)>> {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT substr(origin_code, 1, 4) AS part, COUNT(*) AS n FROM products WHERE active = 1 \
         GROUP BY part ORDER BY n DESC, part LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let codes: Vec<(RegionCode, i64)> =
        counts.into_iter().filter_map(|(part, n)| Some((RegionCode::parse(&format!("{part}00000000")).ok()?, n))).collect();
    let mut regions = crate::regions::get_many(db, &codes.iter().map(|(c, _)| *c).collect::<Vec<_>>()).await?;
    Ok(codes.into_iter().filter_map(|(code, n)| Some((regions.remove(&code)?, n))).collect())
}

/// Creates a product of the acting cooperative after validating it; a
/// duplicate name within the cooperative is a field error.
pub async fn create_checked(db: &Db, cooperative_id: i64, p: &NewProduct) -> Result<i64, ChangeError> {
    let village = cooperative_village(db, cooperative_id).await?.ok_or(ChangeError::Forbidden)?;
    let origin = validate(p, village).map_err(ChangeError::Invalid)?;
    if regions::get(db, origin).await?.is_none() {
        let mut e = FieldErrors::default();
        e.add("origin_code", Problem::NoSuchVillage);
        return Err(ChangeError::Invalid(e));
    }
    let mut tx = db.begin_write().await?;
    let id = match create(&mut tx, cooperative_id, p, origin).await {
        Ok(id) => id,
        Err(e) if crate::db::is_unique_violation(&e) => {
            let mut errors = FieldErrors::default();
            errors.add("name", Problem::DuplicateProductName);
            return Err(ChangeError::Invalid(errors));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(id)
}

/// Applies a patch to a product of the acting cooperative.
pub async fn update(db: &Db, cooperative_id: i64, id: i64, patch: &ProductPatch) -> Result<(), ChangeError> {
    let current = get(db, id).await?.ok_or(ChangeError::NotFound)?;
    if current.cooperative.id != cooperative_id {
        return Err(ChangeError::Forbidden);
    }
    let merged = NewProduct {
        name: patch.name.clone().unwrap_or(current.name),
        name_en: patch.name_en.clone().or(current.name_en),
        category: patch.category.clone().unwrap_or(current.category),
        unit: patch.unit.clone().unwrap_or(current.unit),
        spec: patch.spec.clone().unwrap_or(current.spec),
        storage: patch.storage.clone().unwrap_or_else(|| current.storage.as_str().to_owned()),
        // A product listed before weights were required may be patched
        // without giving one; a weight given is checked.
        unit_weight_g: patch.unit_weight_g.or(current.unit_weight_g).or(Some(1)),
        origin_code: patch.origin_code.clone().unwrap_or(current.origin.code),
        description: patch.description.clone().unwrap_or(current.description),
        price_tiers: patch.price_tiers.clone().unwrap_or(current.price_tiers),
        certificates: patch.certificates.clone().unwrap_or_else(|| {
            current
                .certificates
                .iter()
                .map(|c| NewCertificate { kind: c.kind.as_str().to_owned(), number: c.number.clone(), valid_until: c.valid_until.clone() })
                .collect()
        }),
    };
    let village = cooperative_village(db, cooperative_id).await?.ok_or(ChangeError::Forbidden)?;
    let origin = validate(&merged, village).map_err(ChangeError::Invalid)?;
    let mut tx = db.begin_write().await?;
    // Only the fields the patch names are written; the others keep the
    // row's own values (COALESCE with NULL). `current` was read outside this
    // transaction — for the checks above only: writing its values back
    // would undo a concurrent patch of another field that committed between
    // that read and this UPDATE (PostgreSQL runs writers side by side). The
    // UPDATE also locks the row, so two patches of price tiers or
    // certificates replace them one after the other.
    let result = sqlx::query(
        "UPDATE products SET name = COALESCE($1, name), name_en = COALESCE($2, name_en), category = COALESCE($3, category), \
         unit = COALESCE($4, unit), spec = COALESCE($5, spec), storage = COALESCE($6, storage), \
         origin_code = COALESCE($7, origin_code), description = COALESCE($8, description), active = COALESCE($9, active), \
         updated_at = $10, unit_weight_g = COALESCE($12, unit_weight_g) WHERE id = $11",
    )
    .bind(patch.name.as_deref().map(str::trim))
    .bind(patch.name_en.as_deref())
    .bind(patch.category.as_deref())
    .bind(patch.unit.as_deref().map(str::trim))
    .bind(patch.spec.as_deref().map(str::trim))
    .bind(patch.storage.as_deref())
    .bind(patch.origin_code.is_some().then(|| origin.to_string()))
    .bind(patch.description.as_deref())
    .bind(patch.active.map(i64::from))
    .bind(crate::time::now())
    .bind(id)
    .bind(patch.unit_weight_g)
    .execute(&mut *tx)
    .await;
    if let Err(e) = result {
        if crate::db::is_unique_violation(&e) {
            let mut errors = FieldErrors::default();
            errors.add("name", Problem::DuplicateProductName);
            return Err(ChangeError::Invalid(errors));
        }
        return Err(e.into());
    }
    if patch.price_tiers.is_some() {
        sqlx::query("DELETE FROM price_tiers WHERE product_id = $1").bind(id).execute(&mut *tx).await?;
        for t in &merged.price_tiers {
            sqlx::query("INSERT INTO price_tiers (product_id, min_quantity, unit_price_fen) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(t.min_quantity)
                .bind(t.unit_price_fen.get())
                .execute(&mut *tx)
                .await?;
        }
    }
    if patch.certificates.is_some() {
        sqlx::query("DELETE FROM certificates WHERE product_id = $1").bind(id).execute(&mut *tx).await?;
        for c in &merged.certificates {
            sqlx::query("INSERT INTO certificates (product_id, kind, number, valid_until) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(&c.kind)
                .bind(c.number.trim())
                .bind(&c.valid_until)
                .execute(&mut *tx)
                .await?;
        }
    }
    crate::outbox::enqueue(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

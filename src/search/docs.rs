//! Search documents from the database, and the outbox that keeps the index
//! following it.

use super::SearchDoc;
use crate::db::Db;
use crate::regions::{self, RegionCode, RegionLevel, short_name};
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    name_en: Option<String>,
    description: String,
    category: String,
    storage: String,
    origin_code: String,
    sales_count: i64,
    created_at: String,
    cooperative: String,
    price_fen: i64,
    available: i64,
}

/// The documents of the active products among `ids` (all active products
/// when `None`). Inactive or missing products have no document.
pub async fn build_docs(db: &Db, ids: Option<&[i64]>) -> anyhow::Result<Vec<SearchDoc>> {
    let filter = match ids {
        Some([]) => return Ok(Vec::new()),
        // The ids are integers: safe to inline.
        Some(ids) => format!("AND p.id IN ({})", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")),
        None => String::new(),
    };
    let today = crate::time::format_date(crate::time::today());
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT p.id, p.name, p.name_en, p.description, p.category, p.storage, p.origin_code, p.sales_count, p.created_at, \
                o.name AS cooperative, \
                CAST(COALESCE((SELECT t.unit_price_fen FROM price_tiers t WHERE t.product_id = p.id ORDER BY t.min_quantity LIMIT 1), 0) AS BIGINT) AS price_fen, \
                {available} AS available \
         FROM products p JOIN organisations o ON o.id = p.cooperative_id WHERE p.active = 1 {filter} ORDER BY p.id",
        available = crate::stock::available_sql(1)
    ))
    .bind(&today)
    .fetch_all(db.pool())
    .await?;
    let certs: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT c.product_id, c.kind FROM certificates c JOIN products p ON p.id = c.product_id \
         WHERE c.valid_until >= $1 AND p.active = 1 {filter} ORDER BY c.product_id, c.kind"
    ))
    .bind(&today)
    .fetch_all(db.pool())
    .await?;
    let mut certs_by: HashMap<i64, Vec<String>> = HashMap::new();
    for (p, kind) in certs {
        let v = certs_by.entry(p).or_default();
        if !v.contains(&kind) {
            v.push(kind);
        }
    }
    let mut codes: Vec<RegionCode> = rows.iter().filter_map(|r| RegionCode::parse(&r.origin_code).ok()).collect();
    codes.sort_unstable();
    codes.dedup();
    let origins = regions::get_many(db, &codes).await?;

    Ok(rows
        .into_iter()
        .map(|r| {
            let origin = RegionCode::parse(&r.origin_code).ok().and_then(|c| origins.get(&c));
            let code_at = |level| origin.and_then(|o| o.at(level)).map(|l| l.code.to_string()).unwrap_or_default();
            let mut names = Vec::new();
            for link in origin.map(|o| o.chain.as_slice()).unwrap_or_default() {
                names.push(link.name.clone());
                let short = short_name(&link.name);
                if short != link.name {
                    names.push(short);
                }
            }
            let category = crate::catalog::category(&r.category);
            SearchDoc {
                id: r.id,
                name: r.name,
                name_en: r.name_en.unwrap_or_default(),
                description: r.description,
                category_labels: category.map(|c| format!("{} {}", c.zh, c.en)).unwrap_or_default(),
                category: r.category,
                prefecture: code_at(RegionLevel::Prefecture),
                county: code_at(RegionLevel::County),
                origin_ancestors: origin.map(|o| o.chain.iter().map(|l| l.code.to_string()).collect()).unwrap_or_default(),
                origin_names: names.join(" "),
                origin_code: r.origin_code,
                cooperative: r.cooperative,
                certificates: certs_by.remove(&r.id).unwrap_or_default(),
                storage: r.storage,
                price_fen: r.price_fen,
                available: r.available,
                sales_count: r.sales_count,
                created_at: time::OffsetDateTime::parse(&r.created_at, &time::format_description::well_known::Rfc3339)
                    .map(|t| t.unix_timestamp())
                    .unwrap_or(0),
            }
        })
        .collect())
}

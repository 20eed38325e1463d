//! The Meilisearch engine, for several instances on PostgreSQL. Every call
//! is a real SDK call; a write waits until Meilisearch has applied it, so
//! the outbox row is deleted only once the document is searchable.
//!
//! Meilisearch segments Chinese into whole words, so "牛肉" would not find
//! "昌都牦牛肉干" there. Each document therefore also carries `segments`:
//! every dictionary word inside its text (jieba full mode), space-separated.

use super::segment::segments_full;
use super::{FacetCount, Facets, SearchDoc, SearchEngine, SearchQuery, SearchResult, Sort};
use anyhow::Context;
use meilisearch_sdk::client::Client;
use meilisearch_sdk::indexes::Index;
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::{FacetingSettings, MinWordSizeForTypos, PaginationSetting, Settings, TypoToleranceSettings};
use meilisearch_sdk::task_info::TaskInfo;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// A Meilisearch index of products.
pub struct MeiliEngine {
    client: Client,
    index: Index,
}

#[derive(Serialize)]
struct MeiliDoc<'a> {
    #[serde(flatten)]
    doc: &'a SearchDoc,
    segments: String,
}

#[derive(Deserialize)]
struct Hit {
    id: i64,
}

const FACETS: [&str; 5] = ["category", "prefecture", "county", "storage", "certificates"];

/// Results a search can count and page through. Meilisearch stops at 1,000
/// by default (a larger result would show a total of 1,000 and empty pages
/// past it); the embedded engine has no such limit, so this is set above
/// any catalogue the platform serves.
const MAX_TOTAL_HITS: usize = 1_000_000;

/// Values a facet returns. Meilisearch returns 100 by default; the
/// embedded engine returns every value, and a prefecture can hold more
/// than 100 counties and townships worth filtering by.
const MAX_VALUES_PER_FACET: usize = 10_000;

impl MeiliEngine {
    /// Connects, creates the index if needed and applies its settings.
    pub async fn connect(url: &str, api_key: Option<&str>, uid: &str) -> anyhow::Result<MeiliEngine> {
        let client = Client::new(url, api_key).context("creating the Meilisearch client")?;
        client.health().await.with_context(|| format!("Meilisearch at {url} does not answer"))?;
        // Creating an index that exists fails its task harmlessly.
        let _ = client.create_index(uid, Some("id")).await?.wait_for_completion(&client, None, Some(Duration::from_secs(60))).await?;
        let index = client.index(uid);
        let settings = Settings::new()
            .with_searchable_attributes(["name", "name_en", "segments", "category_labels", "origin_names", "cooperative", "description"])
            .with_filterable_attributes([
                "category",
                "prefecture",
                "county",
                "storage",
                "certificates",
                "price_fen",
                "available",
                "origin_ancestors",
                // Only for "no paired region": `id < 0` matches nothing.
                "id",
            ])
            .with_sortable_attributes(["price_fen", "sales_count", "created_at", "id"])
            // The embedded engine's rule: one typo in words of four letters
            // or more, never two (255, the setting's largest value, is
            // longer than any word).
            .with_typo_tolerance(TypoToleranceSettings {
                enabled: Some(true),
                disable_on_attributes: Some(Vec::new()),
                disable_on_words: Some(Vec::new()),
                min_word_size_for_typos: Some(MinWordSizeForTypos { one_typo: Some(4), two_typos: Some(255) }),
                disable_on_numbers: None,
            })
            .with_pagination(PaginationSetting { max_total_hits: MAX_TOTAL_HITS })
            .with_faceting(FacetingSettings { max_values_per_facet: MAX_VALUES_PER_FACET, sort_facet_values_by: None });
        let engine = MeiliEngine { client, index };
        engine.finish(engine.index.set_settings(&settings).await?).await.context("applying Meilisearch settings")?;
        Ok(engine)
    }

    /// Waits for a task and turns its failure into an error.
    async fn finish(&self, task: TaskInfo) -> anyhow::Result<()> {
        let done = task.wait_for_completion(&self.client, Some(Duration::from_millis(20)), Some(Duration::from_secs(120))).await?;
        if done.is_failure() {
            anyhow::bail!("Meilisearch task failed: {}", done.unwrap_failure());
        }
        Ok(())
    }
}

/// A filter value in double quotes, escaped.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The Meilisearch filter expression of a query.
pub(super) fn filter(q: &SearchQuery) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = &q.category {
        parts.push(format!("category = {}", quoted(c)));
    }
    if let Some(p) = q.prefecture {
        parts.push(format!("prefecture = {}", quoted(&p.to_string())));
    }
    if let Some(c) = q.county {
        parts.push(format!("county = {}", quoted(&c.to_string())));
    }
    if let Some(s) = &q.storage {
        parts.push(format!("storage = {}", quoted(s)));
    }
    match q.certified.as_deref() {
        None => {}
        Some("any") => parts.push("certificates IS NOT EMPTY".into()),
        Some(kind) => parts.push(format!("certificates = {}", quoted(kind))),
    }
    if let Some(m) = q.price_min_fen {
        parts.push(format!("price_fen >= {m}"));
    }
    if let Some(m) = q.price_max_fen {
        parts.push(format!("price_fen <= {m}"));
    }
    if q.in_stock {
        parts.push("available > 0".into());
    }
    if let Some(rs) = &q.regions {
        let list: Vec<String> = rs.iter().map(|r| quoted(&r.to_string())).collect();
        // No paired region at all matches nothing.
        parts.push(if list.is_empty() { "id < 0".into() } else { format!("origin_ancestors IN [{}]", list.join(", ")) });
    }
    parts.join(" AND ")
}

impl SearchEngine for std::sync::Arc<MeiliEngine> {
    async fn upsert(&self, docs: Vec<SearchDoc>) -> anyhow::Result<()> {
        let payload: Vec<MeiliDoc> = docs
            .iter()
            .map(|d| MeiliDoc { doc: d, segments: segments_full(&format!("{} {} {}", d.name, d.description, d.origin_names)) })
            .collect();
        self.finish(self.index.add_or_replace(&payload, Some("id")).await?).await
    }

    async fn delete(&self, ids: Vec<i64>) -> anyhow::Result<()> {
        self.finish(self.index.delete_documents(&ids).await?).await
    }

    async fn clear(&self) -> anyhow::Result<()> {
        self.finish(self.index.delete_all_documents().await?).await
    }

    async fn search(&self, q: &SearchQuery) -> anyhow::Result<SearchResult> {
        let filter = filter(q);
        let sort: &[&str] = match q.sort {
            Sort::Relevance if q.q.trim().is_empty() => &["created_at:desc", "id:desc"],
            Sort::Relevance => &[],
            Sort::PriceAsc => &["price_fen:asc", "id:asc"],
            Sort::PriceDesc => &["price_fen:desc", "id:asc"],
            Sort::Sales => &["sales_count:desc", "id:asc"],
            Sort::Newest => &["created_at:desc", "id:desc"],
        };
        let mut search = self.index.search();
        // Every word of the query must match, as in the embedded engine;
        // Meilisearch's default ("last") drops words from the end until
        // something matches, so 核桃仁 would also find every walnut.
        search.with_query(&q.q).with_matching_strategy(MatchingStrategies::ALL).with_facets(Selectors::Some(&FACETS));
        // Page mode gives an exact total (offset mode only an estimate).
        if q.limit > 0 && q.offset % q.limit == 0 {
            search.with_page(q.offset / q.limit + 1).with_hits_per_page(q.limit);
        } else {
            search.with_offset(q.offset).with_limit(q.limit);
        }
        search.with_attributes_to_retrieve(Selectors::Some(&["id"]));
        if !filter.is_empty() {
            search.with_filter(&filter);
        }
        if !sort.is_empty() {
            search.with_sort(sort);
        }
        let res = search.execute::<Hit>().await.context("Meilisearch search")?;
        let dist = res.facet_distribution.unwrap_or_default();
        let facet = |name: &str| -> Vec<FacetCount> {
            let map: HashMap<&str, u64> =
                dist.get(name).map(|m| m.iter().map(|(k, v)| (k.as_str(), *v as u64)).collect()).unwrap_or_default();
            sorted_counts(map)
        };
        Ok(SearchResult {
            ids: res.hits.into_iter().map(|h| h.result.id).collect(),
            total: res.total_hits.or(res.estimated_total_hits).unwrap_or(0) as u64,
            facets: Facets {
                category: facet("category"),
                prefecture: facet("prefecture"),
                county: facet("county"),
                storage: facet("storage"),
                certified: facet("certificates"),
            },
        })
    }

    async fn count(&self) -> anyhow::Result<u64> {
        Ok(self.index.get_stats().await?.number_of_documents as u64)
    }
}

/// Facet values by count, then value; empty values left out.
fn sorted_counts(map: HashMap<&str, u64>) -> Vec<FacetCount> {
    let mut v: Vec<FacetCount> =
        map.into_iter().filter(|(k, _)| !k.is_empty()).map(|(value, count)| FacetCount { value: value.to_owned(), count }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regions::RegionCode;

    #[test]
    fn filters_are_quoted_and_joined() {
        let q = SearchQuery {
            category: Some("nu\"ts".into()),
            certified: Some("any".into()),
            price_max_fen: Some(5000),
            in_stock: true,
            regions: Some(vec![RegionCode::parse("5403").unwrap()]),
            ..SearchQuery::default()
        };
        assert_eq!(
            filter(&q),
            r#"category = "nu\"ts" AND certificates IS NOT EMPTY AND price_fen <= 5000 AND available > 0 AND origin_ancestors IN ["540300000000"]"#
        );
    }
}

//! One page of a catalogue search as both edges show it: the query string
//! checked into a [`SearchQuery`] (every problem named), the engine asked,
//! the page's products loaded from the database and the facet values
//! labelled. The JSON API (`GET /api/v1/products`) and the search and home
//! pages call [`search_page`]; neither knows how a search is put together.

use super::{FacetCount, Facets, SearchEngine, SearchQuery, Sort};
use crate::catalog::{self, Cards, Product};
use crate::db::Db;
use crate::validation::{FieldErrors, Problem};
use serde::{Deserialize, Serialize};

/// Why a search page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SearchPageError {
    /// The parameters are wrong; every problem listed.
    #[error("invalid search parameters")]
    Invalid(FieldErrors),
    /// The engine failed.
    #[error("search engine: {0:#}")]
    Engine(anyhow::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Checks `params`, runs the search and loads the page: the one door to a
/// page of search results.
pub async fn search_page(db: &Db, engine: &impl SearchEngine, cards: &Cards, params: &SearchParams) -> Result<SearchPage, SearchPageError> {
    let (query, page, per_page) = parse(db, params).await?;
    run(db, engine, cards, &query, page, per_page).await
}

/// The query string of a catalogue search (API.md, Catalogue). Numbers
/// arrive as text so that a bad one is a 422 naming its field.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct SearchParams {
    /// Words.
    pub q: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// Prefecture code.
    pub prefecture: Option<String>,
    /// County code.
    pub county: Option<String>,
    /// `true` (any valid certificate) or a certificate kind.
    pub certified: Option<String>,
    /// ambient, chilled, frozen
    pub storage: Option<String>,
    /// Lowest first-tier price.
    pub price_min_fen: Option<String>,
    /// Highest first-tier price.
    pub price_max_fen: Option<String>,
    /// `true`: only products with stock.
    pub in_stock: Option<String>,
    /// Partner city org id: only its paired regions.
    pub partner: Option<String>,
    /// relevance, price_asc, price_desc, sales, newest
    pub sort: Option<String>,
    /// Page from 1.
    pub page: Option<String>,
    /// Items per page, at most 200.
    pub per_page: Option<String>,
}

/// One facet value with its label.
#[derive(Debug, Serialize)]
pub struct FacetValue {
    /// Slug or code.
    pub value: String,
    /// For people (Chinese).
    pub label: String,
    /// Results with this value.
    pub count: u64,
}

/// The facets of API.md.
#[derive(Debug, Default, Serialize)]
pub struct FacetsOut {
    /// By category.
    pub category: Vec<FacetValue>,
    /// By prefecture.
    pub prefecture: Vec<FacetValue>,
    /// By county.
    pub county: Vec<FacetValue>,
    /// By storage class.
    pub storage: Vec<FacetValue>,
    /// By certificate kind.
    pub certified: Vec<FacetValue>,
}

/// A page of search results.
#[derive(Debug, Serialize)]
pub struct SearchPage {
    /// Products of this page, in result order.
    pub items: Vec<Product>,
    /// Results in all pages.
    pub total: u64,
    /// This page.
    pub page: i64,
    /// Page size.
    pub per_page: i64,
    /// Counts over all results.
    pub facets: FacetsOut,
}

fn number(errors: &mut FieldErrors, field: &str, v: &Option<String>) -> Option<i64> {
    let v = v.as_deref().filter(|s| !s.is_empty())?;
    match v.parse::<i64>() {
        Ok(n) if n >= 0 => Some(n),
        _ => {
            errors.add(field, Problem::WholeNumber);
            None
        }
    }
}

fn flag(errors: &mut FieldErrors, field: &str, v: &Option<String>) -> bool {
    match v.as_deref() {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => {
            errors.add(field, Problem::Bool);
            false
        }
    }
}

fn region(
    errors: &mut FieldErrors,
    field: &str,
    v: &Option<String>,
    level: crate::regions::RegionLevel,
) -> Option<crate::regions::RegionCode> {
    let v = v.as_deref().filter(|s| !s.is_empty())?;
    match crate::regions::RegionCode::parse(v) {
        Ok(c) if c.level() == level => Some(c),
        Ok(_) => {
            errors.add(field, Problem::RegionOfLevel { level: level.as_str() });
            None
        }
        Err(e) => {
            errors.add(field, Problem::RegionCode { text: e.0 });
            None
        }
    }
}

/// Checks the parameters and turns them into an engine query; also
/// returns the page and its size. Every problem is listed at once; a bad
/// page number is reported only when nothing else is wrong.
pub async fn parse(db: &Db, p: &SearchParams) -> Result<(SearchQuery, i64, i64), SearchPageError> {
    use crate::regions::RegionLevel;
    let mut errors = FieldErrors::default();
    let page = number(&mut errors, "page", &p.page);
    let per_page = number(&mut errors, "per_page", &p.per_page);
    let q = p.q.as_deref().unwrap_or("").trim().to_owned();
    if q.chars().count() > 100 {
        errors.add("q", Problem::TooLong { max: 100 });
    }
    let category = p.category.clone().filter(|c| !c.is_empty());
    if let Some(c) = &category
        && catalog::category(c).is_none()
    {
        errors.add("category", Problem::NoSuchCategory);
    }
    let storage = p.storage.clone().filter(|s| !s.is_empty());
    if let Some(s) = &storage
        && catalog::Storage::parse(s).is_none()
    {
        errors.add("storage", Problem::Choice(&["ambient", "chilled", "frozen"]));
    }
    let certified = match p.certified.as_deref() {
        None | Some("") | Some("false") => None,
        Some("true") => Some("any".to_owned()),
        Some(kind) if catalog::CertificateKind::parse(kind).is_some() => Some(kind.to_owned()),
        Some(_) => {
            errors.add("certified", Problem::Certified);
            None
        }
    };
    let sort = match p.sort.as_deref().filter(|s| !s.is_empty()) {
        None => Sort::Relevance,
        Some(s) => Sort::parse(s).unwrap_or_else(|| {
            errors.add("sort", Problem::Choice(&["relevance", "price_asc", "price_desc", "sales", "newest"]));
            Sort::Relevance
        }),
    };
    let query = SearchQuery {
        q,
        category,
        prefecture: region(&mut errors, "prefecture", &p.prefecture, RegionLevel::Prefecture),
        county: region(&mut errors, "county", &p.county, RegionLevel::County),
        certified,
        storage,
        price_min_fen: number(&mut errors, "price_min_fen", &p.price_min_fen),
        price_max_fen: number(&mut errors, "price_max_fen", &p.price_max_fen),
        in_stock: flag(&mut errors, "in_stock", &p.in_stock),
        regions: match p.partner.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(id) => match crate::ids::parse(id) {
                Some(id) => match crate::orgs::paired_regions(db, id).await? {
                    Some(regions) => Some(regions),
                    None => {
                        errors.add("partner", Problem::NoSuchPartner);
                        None
                    }
                },
                None => {
                    errors.add("partner", Problem::NoSuchPartner);
                    None
                }
            },
        },
        sort,
        offset: 0,
        limit: 0,
    };
    let checked = crate::validation::check_page(page, per_page);
    errors.into_result().map_err(SearchPageError::Invalid)?;
    let (page, per_page) = checked.map_err(SearchPageError::Invalid)?;
    Ok((SearchQuery { offset: ((page - 1) * per_page) as usize, limit: per_page as usize, ..query }, page, per_page))
}

/// Runs a checked search and loads its products (through the cards,
/// dropping any no longer sold) and its facet labels.
pub async fn run(
    db: &Db,
    engine: &impl SearchEngine,
    cards: &Cards,
    query: &SearchQuery,
    page: i64,
    per_page: i64,
) -> Result<SearchPage, SearchPageError> {
    let found = engine.search(query).await.map_err(SearchPageError::Engine)?;
    let items = cards.get_many(db, &found.ids).await?;
    Ok(SearchPage { items, total: found.total, page, per_page, facets: label(db, found.facets).await? })
}

/// Attaches labels to facet values: categories, places, storage classes,
/// certificate kinds.
async fn label(db: &Db, f: Facets) -> sqlx::Result<FacetsOut> {
    let codes: Vec<crate::regions::RegionCode> =
        f.prefecture.iter().chain(&f.county).filter_map(|c| crate::regions::RegionCode::parse(&c.value).ok()).collect();
    let places = crate::regions::get_many(db, &codes).await?;
    let place = |v: &str| {
        crate::regions::RegionCode::parse(v).ok().and_then(|c| places.get(&c)).map(|r| r.name.clone()).unwrap_or_else(|| v.to_owned())
    };
    let out = |counts: Vec<FacetCount>, label: &dyn Fn(&str) -> String| -> Vec<FacetValue> {
        counts.into_iter().map(|c| FacetValue { label: label(&c.value), value: c.value, count: c.count }).collect()
    };
    Ok(FacetsOut {
        category: out(f.category, &|v| catalog::category(v).map(|c| c.zh.to_owned()).unwrap_or_else(|| v.to_owned())),
        prefecture: out(f.prefecture, &place),
        county: out(f.county, &place),
        storage: out(f.storage, &|v| catalog::Storage::parse(v).map(|s| s.label(false).to_owned()).unwrap_or_else(|| v.to_owned())),
        certified: out(f.certified, &|v| {
            catalog::CertificateKind::parse(v).map(|k| k.label(false).to_owned()).unwrap_or_else(|| v.to_owned())
        }),
    })
}

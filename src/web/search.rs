//! The search page: query box, facet filters and sorts as plain links and
//! a GET form, so everything works without JavaScript; `app.js` swaps only
//! the results in place when it can (the server answers `X-Partial: 1`
//! with just that fragment).

use super::pages::Card;
use super::{Chrome, Page, PageResult};
use crate::app::AppState;
use crate::auth::Role;
use crate::search::{FacetValue, SearchPage, SearchPageError, SearchParams, search_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;

const PER_PAGE: i64 = 24;

/// One facet value as a link that toggles it.
pub struct FacetLink {
    label: String,
    count: u64,
    href: String,
    active: bool,
}

/// A facet group.
pub struct FacetGroup {
    title: &'static str,
    links: Vec<FacetLink>,
}

/// A sort choice.
pub struct SortOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPageView<'a> {
    c: &'a Chrome,
    r: Results,
}

/// The part of the page that changes with a search.
#[derive(Template)]
#[template(path = "search_results.html")]
struct Results {
    t: &'static super::Words,
    q: String,
    cards: Vec<Card>,
    total: u64,
    facets: Vec<FacetGroup>,
    sorts: Vec<SortOption>,
    hidden: Vec<(&'static str, String)>,
    prev: Option<String>,
    next: Option<String>,
    page: i64,
    pages: i64,
    clear: Option<String>,
    error: Option<String>,
    partner: Option<(String, bool)>,
}

/// The facet filters of a search, by name.
type Getter = fn(&SearchParams) -> &Option<String>;
const FILTERS: [(&str, Getter); 7] = [
    ("category", |p| &p.category),
    ("prefecture", |p| &p.prefecture),
    ("county", |p| &p.county),
    ("certified", |p| &p.certified),
    ("storage", |p| &p.storage),
    ("in_stock", |p| &p.in_stock),
    ("partner", |p| &p.partner),
];

/// The facet filters that are set, as name and value.
fn filters(p: &SearchParams) -> Vec<(&'static str, String)> {
    FILTERS.iter().filter_map(|(k, get)| get(p).clone().filter(|v| !v.is_empty()).map(|v| (*k, v))).collect()
}

/// `/search?…` with the current parameters, `key` set to `value` (or
/// removed when `value` is `None`); the page is dropped (back to the first)
/// unless `key` is `page`.
pub fn link(p: &SearchParams, key: &str, value: Option<&str>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    let mut fields: Vec<(&str, String)> = Vec::new();
    for (k, v) in [("q", &p.q)].into_iter().chain(FILTERS.iter().map(|(k, get)| (*k, get(p)))).chain([
        ("sort", &p.sort),
        ("price_min_fen", &p.price_min_fen),
        ("price_max_fen", &p.price_max_fen),
    ]) {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            fields.push((k, v.to_owned()));
        }
    }
    pairs.extend(fields.into_iter().filter(|(k, _)| *k != key));
    if let Some(v) = value {
        pairs.push((key, v.to_owned()));
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("/search?{}", query.join("&"))
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 3);
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn group(title: &'static str, key: &str, values: &[FacetValue], current: &Option<String>, p: &SearchParams, en: bool) -> FacetGroup {
    FacetGroup {
        title,
        links: values
            .iter()
            .map(|f| {
                let active = current.as_deref() == Some(f.value.as_str());
                let label = if en { english_label(key, &f.value).unwrap_or_else(|| english_place(key, &f.label)) } else { f.label.clone() };
                FacetLink { label, count: f.count, href: link(p, key, if active { None } else { Some(&f.value) }), active }
            })
            .collect(),
    }
}

fn english_label(key: &str, value: &str) -> Option<String> {
    match key {
        "category" => crate::catalog::category(value).map(|c| c.en.to_owned()),
        "storage" => crate::catalog::Storage::parse(value).map(|s| s.label(true).to_owned()),
        "certified" => crate::catalog::CertificateKind::parse(value).map(|k| k.label(true).to_owned()),
        _ => None,
    }
}

/// A place facet's label in English (its other labels are words already).
fn english_place(key: &str, label: &str) -> String {
    match key {
        "prefecture" | "county" => crate::regions::english_name(label),
        _ => label.to_owned(),
    }
}

/// `GET /search`.
pub async fn search(page: Page, State(state): State<AppState>, Query(p): Query<SearchParams>) -> PageResult {
    let c = &page.c;
    let t = c.t;
    let en = c.lang.is_en();
    let mut p = p;
    if p.per_page.is_none() {
        p.per_page = Some(PER_PAGE.to_string());
    }
    let partner_org = page.actor.as_ref().filter(|a| a.has(Role::PartnerBuyer)).map(|a| a.org.id.to_string());
    let (found, error): (Option<SearchPage>, Option<String>) = match search_page(&state.db, &state.search, state.indexer.cards(), &p).await
    {
        Ok(found) => (Some(found), None),
        Err(SearchPageError::Invalid(errors)) => (None, Some(super::words::field_errors(c.lang, &errors).join(" "))),
        Err(e) => return Err(page.fail(e)),
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let (cards, total, facets, number, pages) = match &found {
        Some(f) => (
            f.items.iter().map(|item| Card::new(item, c.lang)).collect(),
            f.total,
            vec![
                group(t.facet_category, "category", &f.facets.category, &p.category, &p, en),
                group(t.facet_prefecture, "prefecture", &f.facets.prefecture, &p.prefecture, &p, en),
                group(t.facet_county, "county", &f.facets.county, &p.county, &p, en),
                group(t.facet_certified, "certified", &f.facets.certified, &p.certified, &p, en),
                group(t.storage, "storage", &f.facets.storage, &p.storage, &p, en),
            ],
            f.page,
            ((f.total as i64 + f.per_page - 1) / f.per_page).max(1),
        ),
        None => (Vec::new(), 0, Vec::new(), 1, 1),
    };
    let current_sort = p.sort.clone().unwrap_or_default();
    let sorts = [
        ("relevance", t.sort_relevance),
        ("price_asc", t.sort_price_asc),
        ("price_desc", t.sort_price_desc),
        ("sales", t.sort_sales),
        ("newest", t.sort_newest),
    ]
    .into_iter()
    .map(|(value, label)| SortOption { value, label, selected: current_sort == value || (current_sort.is_empty() && value == "relevance") })
    .collect();
    // The GET form carries the active filters along as hidden fields.
    let hidden = filters(&p);
    let any_filter = !hidden.is_empty();
    let results = Results {
        t,
        q: p.q.clone().unwrap_or_default(),
        cards,
        total,
        facets,
        sorts,
        hidden,
        prev: (number > 1).then(|| link(&p, "page", Some(&(number - 1).to_string()))),
        next: (number < pages).then(|| link(&p, "page", Some(&(number + 1).to_string()))),
        page: number,
        pages,
        clear: any_filter.then(|| format!("/search?q={}", encode(p.q.as_deref().unwrap_or("")))),
        error,
        partner: partner_org.map(|org| {
            let on = p.partner.as_deref() == Some(org.as_str());
            (link(&p, "partner", if on { None } else { Some(&org) }), on)
        }),
    };
    if page.headers().get("x-partial").is_some_and(|v| v == "1") {
        return page.render(status, &results);
    }
    page.render(status, &SearchPageView { c, r: results })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facet_links_keep_the_other_filters_and_reset_the_page() {
        let p =
            SearchParams { q: Some("红枣 干".into()), category: Some("nuts".into()), page: Some("3".into()), ..SearchParams::default() };
        assert_eq!(link(&p, "storage", Some("chilled")), "/search?q=%E7%BA%A2%E6%9E%A3%20%E5%B9%B2&category=nuts&storage=chilled");
        assert_eq!(link(&p, "category", None), "/search?q=%E7%BA%A2%E6%9E%A3%20%E5%B9%B2");
        assert_eq!(link(&p, "page", Some("4")), "/search?q=%E7%BA%A2%E6%9E%A3%20%E5%B9%B2&category=nuts&page=4");
    }
}

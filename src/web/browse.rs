//! Browsing by place: a region's page (its sub-regions with product counts,
//! its cooperatives, its products) and a cooperative's page.

use super::page::Or500;
use super::pages::Card;
use super::{Chrome, Page, PageResult};
use crate::app::AppState;
use crate::catalog::{self, ListQuery};
use crate::regions::{self, RegionCode, RegionLevel, short_name};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// A link to a region.
pub struct Place {
    name: String,
    href: String,
    count: i64,
}

/// A link to a cooperative.
pub struct CoopLink {
    name: String,
    href: String,
    village: String,
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage<'a> {
    c: &'a Chrome,
    name: String,
    code: String,
    crumbs: Vec<Place>,
    children: Vec<Place>,
    coops: Vec<CoopLink>,
    cards: Vec<Card>,
    total: i64,
    search_href: String,
}

/// `GET /regions/{code}`.
pub async fn region(page: Page, State(state): State<AppState>, Path(code): Path<String>) -> PageResult {
    let code = RegionCode::parse(&code).map_err(|_| page.not_found())?;
    let view = region_page(&state, &page.c, code).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    page.render(StatusCode::OK, &view)
}

async fn region_page<'a>(state: &AppState, c: &'a Chrome, code: RegionCode) -> anyhow::Result<Option<RegionPage<'a>>> {
    let Some(region) = regions::get(&state.db, code).await? else { return Ok(None) };
    let children = regions::children(&state.db, Some(code)).await?;
    let mut places = Vec::new();
    if region.level < RegionLevel::Village {
        let counts = catalog::counts_by_child_region(&state.db, code).await?;
        for child in children {
            let count = counts.get(&child.code.prefix()).copied().unwrap_or(0);
            places.push(Place { name: super::words::place(c.lang, &child.name), href: format!("/regions/{}", child.code), count });
        }
        // Places with produce first; the rest keep code order.
        places.sort_by_key(|p| p.count == 0);
    }
    let coops = crate::orgs::cooperatives_in(&state.db, code, 100).await?;
    let villages =
        regions::get_many(&state.db, &coops.iter().filter_map(|(o, _)| RegionCode::parse(&o.region_code).ok()).collect::<Vec<_>>()).await?;
    let (products, total) =
        catalog::list(&state.db, &ListQuery { region: Some(code), limit: 24, offset: 0, ..ListQuery::default() }).await?;
    let search_param = match region.level {
        RegionLevel::Prefecture => format!("prefecture={code}"),
        RegionLevel::County => format!("county={code}"),
        _ => format!("q={}", short_name(&region.name)),
    };
    Ok(Some(RegionPage {
        c,
        name: super::words::place_full(c.lang, &region.name),
        code: code.to_string(),
        crumbs: region
            .chain
            .iter()
            .map(|l| Place { name: super::words::place(c.lang, &l.name), href: format!("/regions/{}", l.code), count: 0 })
            .collect(),
        children: places,
        coops: coops
            .into_iter()
            .map(|(o, name_en)| CoopLink {
                href: format!("/cooperatives/{}", o.id),
                village: RegionCode::parse(&o.region_code)
                    .ok()
                    .and_then(|v| villages.get(&v))
                    .map(|r| super::words::place(c.lang, &r.name))
                    .unwrap_or_default(),
                name: super::words::org_name(c.lang, &o.name, name_en.as_deref()),
            })
            .collect(),
        cards: products.iter().map(|p| Card::new(p, c.lang)).collect(),
        total,
        search_href: format!("/search?{search_param}"),
    }))
}

#[derive(Template)]
#[template(path = "cooperative.html")]
struct CoopPage<'a> {
    c: &'a Chrome,
    name: String,
    /// In English, the registered Chinese name under the English one.
    subname: Option<String>,
    description: String,
    crumbs: Vec<Place>,
    payout_percent: String,
    members: i64,
    poor_members: i64,
    cards: Vec<Card>,
    /// 带动: whom the cooperative's goods support, by village and status.
    support: super::supports::SupportView,
}

/// `GET /cooperatives/{id}`.
pub async fn cooperative(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let c = &page.c;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let profile = crate::orgs::cooperative(&state.db, id).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    let crate::orgs::CooperativeProfile { name, name_en, village, description, payout_ratio_bp: payout_bp } = profile;
    let (name, subname) = match name_en.filter(|_| c.lang.is_en()) {
        Some(en) => (en, Some(name)),
        None => (name, None),
    };
    let result: anyhow::Result<CoopPage> = async {
        let chain = match RegionCode::parse(&village) {
            Ok(v) => regions::get(&state.db, v).await?.map(|r| r.chain).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let (members, poor_members) = crate::households::member_counts(&state.db, id).await?;
        let support = super::supports::view(&state, c, crate::households::Supplier::Cooperative(id)).await?;
        let (products, _) =
            catalog::list(&state.db, &ListQuery { cooperative_id: Some(id), limit: 100, offset: 0, ..ListQuery::default() }).await?;
        Ok(CoopPage {
            c,
            name,
            subname,
            description,
            crumbs: chain
                .iter()
                .map(|l| Place { name: super::words::place(c.lang, &l.name), href: format!("/regions/{}", l.code), count: 0 })
                .collect(),
            payout_percent: format!("{}.{:02}", payout_bp / 100, payout_bp % 100),
            members,
            poor_members,
            cards: products.iter().map(|p| Card::new(p, c.lang)).collect(),
            support,
        })
    }
    .await;
    let view = result.or_500(&page)?;
    page.render(StatusCode::OK, &view)
}

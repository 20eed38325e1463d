//! Browsing by place: a region's page (its sub-regions with product counts,
//! its cooperatives, its products) and a cooperative's page.

use super::pages::{Card, internal};
use super::{Chrome, error_page, render};
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::catalog::{self, ListQuery};
use crate::regions::{self, RegionCode, RegionLevel, short_name};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

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
pub async fn region(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Path(code): Path<String>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/regions/{code}"));
    let Ok(code) = RegionCode::parse(&code) else { return error_page(&c, StatusCode::NOT_FOUND) };
    match region_page(&state, &c, code).await {
        Ok(Some(page)) => render(&c, StatusCode::OK, &page),
        Ok(None) => error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => internal(&c, e),
    }
}

async fn region_page<'a>(state: &AppState, c: &'a Chrome, code: RegionCode) -> anyhow::Result<Option<RegionPage<'a>>> {
    let Some(region) = regions::get(&state.db, code).await? else { return Ok(None) };
    let prefix = code.prefix();
    // Products per child region, from one grouped query.
    let children = regions::children(&state.db, Some(code)).await?;
    let mut places = Vec::new();
    if region.level < RegionLevel::Village {
        let width = match region.level {
            RegionLevel::Province => 4,
            RegionLevel::Prefecture => 6,
            RegionLevel::County => 9,
            _ => 12,
        };
        let counts: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT substr(origin_code, 1, {width}) AS part, COUNT(*) FROM products WHERE active = 1 AND origin_code LIKE $1 GROUP BY part"
        ))
        .bind(format!("{prefix}%"))
        .fetch_all(state.db.pool())
        .await?;
        for child in children {
            let count = counts.iter().find(|(p, _)| *p == child.code.prefix()).map(|(_, n)| *n).unwrap_or(0);
            places.push(Place { name: short_name(&child.name), href: format!("/regions/{}", child.code), count });
        }
        // Places with produce first; the rest keep code order.
        places.sort_by_key(|p| p.count == 0);
    }
    let coops: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT o.id, o.name, o.region_code FROM organisations o WHERE o.kind = 'cooperative' AND o.region_code LIKE $1 ORDER BY o.name LIMIT 100",
    )
    .bind(format!("{prefix}%"))
    .fetch_all(state.db.pool())
    .await?;
    let villages =
        regions::get_many(&state.db, &coops.iter().filter_map(|(_, _, v)| RegionCode::parse(v).ok()).collect::<Vec<_>>()).await?;
    let (products, total) =
        catalog::list(&state.db, &ListQuery { region: Some(code), limit: 24, offset: 0, ..ListQuery::default() }).await?;
    let search_param = match region.level {
        RegionLevel::Prefecture => format!("prefecture={code}"),
        RegionLevel::County => format!("county={code}"),
        _ => format!("q={}", short_name(&region.name)),
    };
    Ok(Some(RegionPage {
        c,
        name: short_name(&region.name),
        code: code.to_string(),
        crumbs: region.chain.iter().map(|l| Place { name: short_name(&l.name), href: format!("/regions/{}", l.code), count: 0 }).collect(),
        children: places,
        coops: coops
            .into_iter()
            .map(|(id, name, v)| CoopLink {
                name,
                href: format!("/cooperatives/{id}"),
                village: RegionCode::parse(&v).ok().and_then(|v| villages.get(&v)).map(|r| short_name(&r.name)).unwrap_or_default(),
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
    description: String,
    crumbs: Vec<Place>,
    payout_percent: String,
    members: i64,
    poor_members: i64,
    cards: Vec<Card>,
}

/// `GET /cooperatives/{id}`.
pub async fn cooperative(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/cooperatives/{id}"));
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let row: Result<Option<(String, String, String, i64)>, sqlx::Error> = sqlx::query_as(
        "SELECT o.name, o.region_code, c.description, c.payout_ratio_bp FROM organisations o JOIN cooperatives c ON c.org_id = o.id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(state.db.pool())
    .await;
    let (name, village, description, payout_bp) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => return internal(&c, e.into()),
    };
    let result: anyhow::Result<CoopPage> = async {
        let chain = match RegionCode::parse(&village) {
            Ok(v) => regions::get(&state.db, v).await?.map(|r| r.chain).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let (members, poor_members): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN h.status = 'registered_poor' THEN 1 ELSE 0 END), 0) \
             FROM cooperative_members m JOIN households h ON h.id = m.household_id WHERE m.cooperative_id = $1",
        )
        .bind(id)
        .fetch_one(state.db.pool())
        .await?;
        let (products, _) =
            catalog::list(&state.db, &ListQuery { cooperative_id: Some(id), limit: 100, offset: 0, ..ListQuery::default() }).await?;
        Ok(CoopPage {
            c: &c,
            name,
            description,
            crumbs: chain.iter().map(|l| Place { name: short_name(&l.name), href: format!("/regions/{}", l.code), count: 0 }).collect(),
            payout_percent: format!("{}.{:02}", payout_bp / 100, payout_bp % 100),
            members,
            poor_members,
            cards: products.iter().map(|p| Card::new(p, c.lang)).collect(),
        })
    }
    .await;
    match result {
        Ok(page) => render(&c, StatusCode::OK, &page),
        Err(e) => internal(&c, e),
    }
}

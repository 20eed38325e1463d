//! A cooperative's order lines to send, with their lots and where their
//! goods are in the chain.

use crate::app::AppState;
use crate::orders;
use crate::web::page::Or500;
use crate::web::{Chrome, Page, PageResult};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "fulfil.html")]
struct FulfilPage<'a> {
    c: &'a Chrome,
    coop: String,
    lines: Vec<(orders::FulfilLine, String)>,
}

/// `GET /console/orders`: the cooperative's lines to send, with their lots
/// and, per line, where its goods are now.
pub async fn fulfil(page: Page, State(state): State<AppState>) -> PageResult {
    let (actor, coop) = page.manager()?;
    let lines = orders::to_fulfil(&state.db, coop, 500).await.or_500(&page)?;
    // One tracking per order (it shows the cooperative its own lines).
    let mut now: HashMap<i64, String> = HashMap::new();
    let mut orders_seen: Vec<i64> = lines.iter().map(|l| l.order_id).collect();
    orders_seen.dedup();
    for order in orders_seen {
        if let Some(t) = crate::distribution::views::tracking(&state.db, &actor, order).await.or_500(&page)? {
            for j in crate::web::chain::journeys(&page.c, &t) {
                now.insert(j.line_id, j.now);
            }
        }
    }
    let lines = lines
        .into_iter()
        .map(|l| {
            let here = now.remove(&l.line_id).unwrap_or_default();
            (l, here)
        })
        .collect();
    page.render(StatusCode::OK, &FulfilPage { c: &page.c, coop: actor.org.name.clone(), lines })
}

//! A cooperative's order lines to send, with their lots.

use crate::app::AppState;
use crate::orders;
use crate::web::page::Or500;
use crate::web::{Chrome, Page, PageResult};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "fulfil.html")]
struct FulfilPage<'a> {
    c: &'a Chrome,
    coop: String,
    lines: Vec<orders::FulfilLine>,
}

/// `GET /console/orders`: the cooperative's lines to send, with their lots.
pub async fn fulfil(page: Page, State(state): State<AppState>) -> PageResult {
    let (actor, coop) = page.manager()?;
    let lines = orders::to_fulfil(&state.db, coop, 500).await.or_500(&page)?;
    page.render(StatusCode::OK, &FulfilPage { c: &page.c, coop: actor.org.name.clone(), lines })
}

//! The hub operator's pages: the nodes an operator runs. (Being rebuilt
//! around shipments and scans for issue 12: node console, scan page,
//! labels and packing lists.)

use super::page::Or500;
use super::{Page, PageResult};
use crate::app::AppState;
use crate::auth::Role;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "hub.html")]
struct HubPage<'a> {
    c: &'a super::Chrome,
    nodes: Vec<crate::distribution::Node>,
}

const MOVERS: [Role; 2] = [Role::HubOperator, Role::PlatformAdmin];

/// `GET /hub/orders`: the nodes the operator runs.
pub async fn hub(page: Page, State(state): State<AppState>) -> PageResult {
    let actor = page.with_role(&MOVERS)?;
    let nodes = crate::distribution::views::operated_nodes(&state.db, &actor).await.or_500(&page)?;
    page.render(StatusCode::OK, &HubPage { c: &page.c, nodes })
}

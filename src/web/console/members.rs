//! Member households with what they supplied.

use crate::app::AppState;
use crate::households::{self, Viewer};
use crate::web::page::Or500;
use crate::web::{Chrome, Page, PageResult};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage<'a> {
    c: &'a Chrome,
    /// Code, head's name, status, size, units supplied.
    rows: Vec<(String, String, String, i64, i64)>,
}

/// `GET /console/households` — member households and what they supplied.
/// Names come through [`households::members_with_supply`], which shows
/// them to the cooperative's own manager only.
pub async fn members(page: Page, State(state): State<AppState>) -> PageResult {
    let (actor, coop) = page.manager()?;
    let members = households::members_with_supply(&state.db, &Viewer::of(Some(&actor)), coop).await.or_500(&page)?;
    let rows = members
        .into_iter()
        .map(|(h, supplied)| (h.code, h.head_name.unwrap_or_default(), h.status.as_str().to_owned(), h.size, supplied))
        .collect();
    page.render(StatusCode::OK, &MembersPage { c: &page.c, rows })
}

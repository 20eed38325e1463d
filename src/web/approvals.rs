//! The approval queue: an agency's orders awaiting its approver.

use super::orders::{OrderQuery, OrderSummary, summary};
use super::page::Or500;
use super::{Chrome, Page, PageResult};
use crate::app::AppState;
use crate::auth::Role;
use crate::orders;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage<'a> {
    c: &'a Chrome,
    orders: Vec<OrderSummary>,
    done: bool,
}

/// `GET /approvals`: the agency's orders awaiting approval.
pub async fn approvals(page: Page, State(state): State<AppState>, Query(q): Query<OrderQuery>) -> PageResult {
    let actor = page.with_role(&[Role::AgencyApprover])?;
    let (list, _) = orders::list(&state.db, actor.org.id, Some("pending_approval"), 200, 0).await.or_500(&page)?;
    let c = &page.c;
    page.render(StatusCode::OK, &ApprovalsPage { c, orders: list.iter().map(|o| summary(c, o)).collect(), done: q.done.is_some() })
}

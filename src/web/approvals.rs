//! The approval queue: an agency's orders awaiting its approver.

use super::access::*;
use super::orders::{OrderQuery, OrderSummary, summary};
use super::pages::internal;
use super::{Chrome, render};
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::auth::Role;
use crate::orders;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage<'a> {
    c: &'a Chrome,
    orders: Vec<OrderSummary>,
    done: bool,
}

/// `GET /approvals`: the agency's orders awaiting approval.
pub async fn approvals(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<OrderQuery>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/approvals");
    let actor = match with_role(&c, actor, &[Role::AgencyApprover]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match orders::list(&state.db, actor.org.id, Some("pending_approval"), 200, 0).await {
        Ok((list, _)) => {
            let page = ApprovalsPage { c: &c, orders: list.iter().map(|o| summary(&c, o)).collect(), done: q.done.is_some() };
            render(&c, StatusCode::OK, &page)
        }
        Err(e) => internal(&c, e.into()),
    }
}

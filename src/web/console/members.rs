//! Member households with what they supplied.

use super::*;
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::web::pages::internal;
use crate::web::{Chrome, render};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage<'a> {
    c: &'a Chrome,
    rows: Vec<(String, String, String, i64, i64)>,
}

/// Code, head's name, status, size, units supplied.
type MemberRow = (String, Option<String>, String, i64, i64);

/// `GET /console/households` — member households and what they supplied.
pub async fn members(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/households");
    let (_, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let rows: Result<Vec<MemberRow>, sqlx::Error> = sqlx::query_as(
        "SELECT h.code, h.head_name, h.status, h.size, \
                CAST(COALESCE((SELECT SUM(c.quantity) FROM lot_contributions c JOIN lots l ON l.id = c.lot_id JOIN products p ON p.id = l.product_id \
                               WHERE c.household_id = h.id AND p.cooperative_id = $1), 0) AS BIGINT) AS supplied \
         FROM households h JOIN cooperative_members m ON m.household_id = h.id WHERE m.cooperative_id = $1 ORDER BY supplied DESC, h.code",
    )
    .bind(coop)
    .fetch_all(state.db.pool())
    .await;
    match rows {
        Ok(rows) => render(
            &c,
            StatusCode::OK,
            &MembersPage {
                c: &c,
                rows: rows
                    .into_iter()
                    .map(|(code, name, status, size, supplied)| (code, name.unwrap_or_default(), status, size, supplied))
                    .collect(),
            },
        ),
        Err(e) => internal(&c, e.into()),
    }
}

//! A cooperative's order lines to send, with their lots.

use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::orders;
use crate::web::access::*;
use crate::web::pages::internal;
use crate::web::{Chrome, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

#[derive(Template)]
#[template(path = "fulfil.html")]
struct FulfilPage<'a> {
    c: &'a Chrome,
    coop: String,
    lines: Vec<orders::FulfilLine>,
}

/// `GET /console/orders`: the cooperative's lines to send, with their lots.
pub async fn fulfil(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/orders");
    let actor = match signed_in(actor) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(coop) = actor.managed_cooperative() else { return error_page(&c, StatusCode::FORBIDDEN) };
    match orders::to_fulfil(&state.db, coop, 500).await {
        Ok(lines) => render(&c, StatusCode::OK, &FulfilPage { c: &c, coop: actor.org.name.clone(), lines }),
        Err(e) => internal(&c, e.into()),
    }
}

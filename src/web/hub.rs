//! The hub page: paid orders to dispatch and dispatched ones to deliver,
//! until routing moves goods by shipment scans.

use super::access::*;
use super::orders::{OrderQuery, OrderSummary, summary};
use super::pages::internal;
use super::{Chrome, Fields, error_page, render};
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::auth::{Actor, Role};
use crate::orders::{self, Transition, TransitionError};
use crate::regions::RegionCode;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "hub.html")]
struct HubPage<'a> {
    c: &'a Chrome,
    orders: Vec<HubRow>,
    errors: Vec<String>,
    done: bool,
}

/// An order on the hub page: its lines the viewer may move, where it goes,
/// and whether those lines wait for dispatch (else for delivery).
struct HubRow {
    o: OrderSummary,
    destination: String,
    dispatch: bool,
}

const MOVERS: [Role; 2] = [Role::HubOperator, Role::PlatformAdmin];

async fn hub_page(state: &AppState, c: &Chrome, actor: &Actor, errors: Vec<String>, done: bool) -> Response {
    let result: anyhow::Result<Response> = async {
        let list = orders::to_move(&state.db, actor, 200).await?;
        let codes: Vec<RegionCode> = list.iter().filter_map(|o| RegionCode::parse(&o.delivery.region_code).ok()).collect();
        let places = crate::regions::get_many(&state.db, &codes).await?;
        let rows = list
            .iter()
            .map(|o| {
                let destination = RegionCode::parse(&o.delivery.region_code)
                    .ok()
                    .and_then(|code| places.get(&code))
                    .map(|r| r.chain_label())
                    .unwrap_or_else(|| o.delivery.region_code.clone());
                let waiting = o.lines.iter().any(|l| l.status == "waiting" && l.quantity > l.refunded_quantity);
                HubRow { o: summary(c, o), destination, dispatch: waiting }
            })
            .collect();
        let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::CONFLICT };
        Ok(render(c, status, &HubPage { c, orders: rows, errors, done }))
    }
    .await;
    result.unwrap_or_else(|e| internal(c, e))
}

/// `GET /hub/orders`: paid orders to dispatch and dispatched ones to
/// deliver, until routing moves them by shipment scans.
pub async fn hub(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Query(q): Query<OrderQuery>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/hub/orders");
    let actor = match with_role(&c, actor, &MOVERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    hub_page(&state, &c, &actor, Vec::new(), q.done.is_some()).await
}

/// `POST /hub/orders/{id}/{dispatch|deliver}`.
pub async fn hub_step(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/hub/orders");
    let actor = match form_user(&c, actor, &headers, &f, &MOVERS) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let t = match step.as_str() {
        "dispatch" => Transition::Dispatch,
        "deliver" => Transition::Deliver,
        _ => return error_page(&c, StatusCode::NOT_FOUND),
    };
    match orders::transition(&state.db, &actor, id, t, "").await {
        Ok(_) => Redirect::to("/hub/orders?done=1").into_response(),
        Err(TransitionError::NotFound) => error_page(&c, StatusCode::NOT_FOUND),
        Err(TransitionError::Db(e)) => internal(&c, e.into()),
        Err(e) => hub_page(&state, &c, &actor, vec![e.to_string()], false).await,
    }
}

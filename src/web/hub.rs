//! The hub page: paid orders to dispatch and dispatched ones to deliver,
//! until routing moves goods by shipment scans.

use super::orders::{OrderQuery, OrderSummary, summary};
use super::page::Or500;
use super::{Chrome, Fields, Page, PageResult};
use crate::app::AppState;
use crate::auth::{Actor, Role};
use crate::orders::{self, Transition, TransitionError};
use crate::regions::RegionCode;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

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

/// The orders `actor` may move, with `errors` of a refused move.
async fn hub_page(state: &AppState, page: &Page, actor: &Actor, errors: Vec<String>, done: bool) -> PageResult {
    let c = &page.c;
    let result: anyhow::Result<PageResult> = async {
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
                let waiting = o.lines.iter().any(|l| l.status == orders::LineStatus::Waiting && l.quantity > l.refunded_quantity);
                HubRow { o: summary(c, o), destination, dispatch: waiting }
            })
            .collect();
        let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::CONFLICT };
        Ok(page.render(status, &HubPage { c, orders: rows, errors, done }))
    }
    .await;
    result.or_500(page)?
}

/// `GET /hub/orders`: paid orders to dispatch and dispatched ones to
/// deliver, until routing moves them by shipment scans.
pub async fn hub(page: Page, State(state): State<AppState>, Query(q): Query<OrderQuery>) -> PageResult {
    let actor = page.with_role(&MOVERS)?;
    hub_page(&state, &page, &actor, Vec::new(), q.done.is_some()).await
}

/// `POST /hub/orders/{id}/{dispatch|deliver}`.
pub async fn hub_step(
    page: Page,
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> PageResult {
    let page = page.at("/hub/orders");
    let actor = page.form_user(&f, &MOVERS)?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let t = match step.as_str() {
        "dispatch" => Transition::Dispatch,
        "deliver" => Transition::Deliver,
        _ => return Err(page.not_found()),
    };
    match orders::transition(&state.db, &actor, id, t, "").await {
        Ok(_) => Ok(Redirect::to("/hub/orders?done=1").into_response()),
        Err(TransitionError::NotFound) => Err(page.not_found()),
        Err(TransitionError::Db(e)) => Err(page.fail(e)),
        Err(e) => hub_page(&state, &page, &actor, vec![super::words::transition_error(page.c.lang, &e)], false).await,
    }
}

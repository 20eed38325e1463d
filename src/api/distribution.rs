//! The distribution chain over HTTP (../shared/API.md, Distribution):
//! nodes, a node's shipments, one shipment, scans, and an order's
//! tracking.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, CurrentUser, Page, Paged};
use crate::app::AppState;
use crate::distribution::shipments::{ScanError, ScanEvent, ShipmentStatus, looks_like_code};
use crate::distribution::views::{self, Direction};
use crate::orders::{self, ScanOutcome, ScanRequest};
use crate::validation::{FieldErrors, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

/// How old a scan queued on a device may be when it reaches the server.
pub const SCAN_MAX_AGE_DAYS: i64 = 7;
/// How far ahead of the server's clock a device's clock may run.
const SCAN_CLOCK_SKEW_SECS: i64 = 300;

#[derive(Deserialize)]
pub struct NodesQuery {
    region: Option<String>,
}

/// `GET /api/v1/nodes?region=` → every node inside the region.
pub async fn nodes(State(state): State<AppState>, ApiQuery(q): ApiQuery<NodesQuery>) -> ApiResult<Json<serde_json::Value>> {
    let region = match q.region.as_deref().filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => Some(
            crate::regions::RegionCode::parse(r)
                .map_err(|e| ApiError::Invalid(FieldErrors::one("region", Problem::RegionCode { text: e.0 })))?,
        ),
    };
    let items = crate::distribution::list(&state.db, region).await?;
    let total = items.len();
    Ok(Json(serde_json::json!({ "items": items, "total": total })))
}

#[derive(Deserialize)]
pub struct ShipmentsQuery {
    direction: Option<String>,
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/nodes/{id}/shipments?direction=inbound|outbound&status=`
/// (operators of the node, platform admin) → one page of shipments.
pub async fn node_shipments(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ShipmentsQuery>,
) -> ApiResult<Json<Paged<crate::distribution::shipments::Shipment>>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("node"))?;
    let mut errors = FieldErrors::default();
    let direction = match q.direction.as_deref() {
        None | Some("") => Direction::Outbound,
        Some(d) => Direction::parse(d).unwrap_or_else(|| {
            errors.add("direction", Problem::Choice(&["inbound", "outbound"]));
            Direction::Outbound
        }),
    };
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => ShipmentStatus::parse(s).or_else(|| {
            errors.add("status", Problem::Choice(&["open", "closed", "dispatched", "received", "delivered"]));
            None
        }),
    };
    let page = match crate::validation::check_page(q.page, q.per_page) {
        Ok((page, per_page)) => Page { page, per_page },
        Err(e) => {
            errors.0.extend(e.0);
            Page { page: 1, per_page: 50 }
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let (items, total) = views::node_shipments(&state.db, &actor, id, direction, status, page.per_page, page.offset())
        .await?
        .ok_or(ApiError::NotFound("node"))?;
    Ok(Json(Paged::new(items, total, page)))
}

/// `GET /api/v1/shipments/{code}` (operators of its nodes, platform admin).
pub async fn shipment(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(code): Path<String>) -> ApiResult<Response> {
    if !looks_like_code(&code) {
        return Err(ApiError::NotFound("shipment"));
    }
    let s = views::shipment(&state.db, &actor, &code).await?.ok_or(ApiError::NotFound("shipment"))?;
    Ok(Json(s).into_response())
}

/// `GET /api/v1/shipments/{code}/label` (operators of its nodes, platform
/// admin) → 303 to the label page, `/hub/shipments/{code}/label`. The
/// label is a page in the viewer's language, worded from the pages' one
/// table of words, which the API does not reach (the edges never import
/// each other); the same session or bearer token opens it.
pub async fn label(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(code): Path<String>) -> ApiResult<Response> {
    if !looks_like_code(&code) {
        return Err(ApiError::NotFound("shipment"));
    }
    let s = views::shipment(&state.db, &actor, &code).await?.ok_or(ApiError::NotFound("shipment"))?;
    Ok(axum::response::Redirect::to(&format!("/hub/shipments/{}/label", s.code)).into_response())
}

/// Body of a scan.
#[derive(Deserialize)]
pub struct ScanBody {
    #[serde(deserialize_with = "crate::ids::deserialize")]
    node_id: i64,
    event: String,
    #[serde(default)]
    at: Option<String>,
}

/// `POST /api/v1/shipments/{code}/scans` (+ optional `Idempotency-Key`)
/// `{node_id, event, at?}` (operators of that node, platform admin) → 201
/// `{shipment, event, at}`; out of order or repeated → 409 naming the
/// shipment's state; nothing changes.
pub async fn scan(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(code): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ScanBody>,
) -> ApiResult<Response> {
    let key = super::orders::idempotency_key(&headers)?;
    let mut errors = FieldErrors::default();
    let event = ScanEvent::parse(&body.event).unwrap_or_else(|| {
        errors.add("event", Problem::Choice(&["dispatched", "received", "delivered"]));
        ScanEvent::Dispatched
    });
    let at = scan_time(body.at.as_deref(), OffsetDateTime::now_utc()).unwrap_or_else(|p| {
        errors.add("at", p);
        OffsetDateTime::now_utc()
    });
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    if !looks_like_code(&code) {
        return Err(ApiError::NotFound("shipment"));
    }
    let req = ScanRequest { code: &code, node_id: body.node_id, event, at };
    match orders::scan(&state.db, &actor, req, key.as_deref()).await.map_err(scan_error)? {
        ScanOutcome::Done(done) => Ok((StatusCode::CREATED, Json(done)).into_response()),
        ScanOutcome::Replayed(answer) => Ok((
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::CREATED),
            [(header::CONTENT_TYPE, "application/json")],
            answer.body,
        )
            .into_response()),
        ScanOutcome::KeyReused => Err(ApiError::Invalid(FieldErrors::one("Idempotency-Key", Problem::KeyReused { body: false }))),
    }
}

/// When a scan happened: `at` if given (RFC 3339, not in the future beyond
/// a few minutes of clock skew, at most [`SCAN_MAX_AGE_DAYS`] old), else now.
fn scan_time(at: Option<&str>, now: OffsetDateTime) -> Result<OffsetDateTime, Problem> {
    let problem = Problem::ScanTime { max_age_days: SCAN_MAX_AGE_DAYS };
    let Some(text) = at.filter(|t| !t.is_empty()) else { return Ok(now) };
    if text.len() > 40 {
        return Err(problem);
    }
    let t = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| problem.clone())?;
    if t > now + time::Duration::seconds(SCAN_CLOCK_SKEW_SECS) || t < now - time::Duration::days(SCAN_MAX_AGE_DAYS) {
        return Err(problem);
    }
    Ok(t.min(now))
}

fn scan_error(e: ScanError) -> ApiError {
    match e {
        ScanError::NotFound => ApiError::NotFound("shipment"),
        e @ ScanError::NotYourNode => ApiError::Forbidden(e.to_string()),
        ScanError::WrongNode { event } => ApiError::Invalid(FieldErrors::one("node_id", Problem::ScanNode { event: event.as_str() })),
        ScanError::WrongEvent(to, _) => {
            let to = if to == "a node" { "node" } else { "buyer" };
            ApiError::Invalid(FieldErrors::one("event", Problem::ScanEvent { to }))
        }
        ScanError::OutOfOrder { current } => ApiError::Conflict {
            title: "Out of order",
            detail: format!("the shipment is {current}; this scan does not follow"),
            errors: FieldErrors::one("event", Problem::ShipmentState { current: current.as_str() }),
        },
        ScanError::Db(e) => e.into(),
    }
}

/// Body of a re-route.
#[derive(Deserialize)]
pub struct RerouteBody {
    #[serde(deserialize_with = "crate::ids::deserialize")]
    to_node_id: i64,
    reason: String,
}

/// `POST /api/v1/legs/{id}/reroute` `{to_node_id, reason}` (operators of
/// the node the goods leave from, platform admin) → the order's tracking
/// as the caller may see it.
pub async fn reroute(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RerouteBody>,
) -> ApiResult<Json<views::Tracking>> {
    use crate::distribution::routing::{self, RerouteError};
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("leg"))?;
    let order = routing::reroute(&state.db, &actor, id, body.to_node_id, &body.reason).await.map_err(|e| match e {
        RerouteError::NotFound => ApiError::NotFound("leg"),
        e @ RerouteError::NotYourNode => ApiError::Forbidden(e.to_string()),
        e @ RerouteError::Moved => ApiError::Conflict { title: "Leg has left", detail: e.to_string(), errors: Default::default() },
        RerouteError::BadNode | RerouteError::NoColdStorage => {
            ApiError::Invalid(FieldErrors::one("to_node_id", Problem::Unreadable(e.to_string())))
        }
        RerouteError::Reason => ApiError::Invalid(FieldErrors::one("reason", Problem::Length { min: 1, max: 200 })),
        RerouteError::Db(e) => e.into(),
    })?;
    Ok(Json(views::tracking(&state.db, &actor, order).await?.ok_or(ApiError::NotFound("leg"))?))
}

/// `GET /api/v1/orders/{id}/tracking` (the buyer; a cooperative its lines;
/// an operator the lines through its nodes; platform admin).
pub async fn tracking(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<views::Tracking>> {
    let id = crate::ids::parse(&id).ok_or(ApiError::NotFound("order"))?;
    Ok(Json(views::tracking(&state.db, &actor, id).await?.ok_or(ApiError::NotFound("order"))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_scan_keeps_its_time_within_a_week_and_never_in_the_future() {
        let now = time::macros::datetime!(2026-12-03 08:00 UTC);
        assert_eq!(scan_time(None, now), Ok(now));
        assert_eq!(scan_time(Some("2026-12-02T10:00:00+08:00"), now), Ok(time::macros::datetime!(2026-12-02 02:00 UTC)));
        // A device clock a minute fast is taken as now.
        assert_eq!(scan_time(Some("2026-12-03T08:01:00Z"), now), Ok(now));
        for bad in ["2026-12-03T09:00:00Z", "2026-11-20T08:00:00Z", "yesterday", "2026-12-03 08:00"] {
            assert!(scan_time(Some(bad), now).is_err(), "{bad}");
        }
    }
}

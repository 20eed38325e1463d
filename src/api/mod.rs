//! The JSON API under `/api/v1` (the contract is ../shared/API.md; the
//! OpenAPI document is `openapi.json` beside this file, served at
//! `/api/v1/openapi.json`). Handlers parse, call one domain function with
//! the caller's [`crate::auth::Actor`], and shape the answer.

mod agencies;
mod auth;
pub mod catalog;
mod distribution;
pub mod error;
pub mod extract;
mod households;
mod monitoring;
pub(crate) mod orders;
mod photos;
mod regions;
mod reports;
pub mod stock;

pub use auth::{login_error, user_json};

use crate::app::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Routes of the JSON API and the health probes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/regions", get(regions::children))
        .route("/api/v1/regions/{code}", get(regions::get))
        .route("/api/v1/products", get(catalog::list).post(catalog::create))
        .route("/api/v1/products/{id}", get(catalog::get).patch(catalog::update))
        .route("/api/v1/cooperatives/{id}", axum::routing::patch(catalog::update_cooperative))
        .route("/api/v1/products/{id}/photos", post(photos::upload))
        .route("/api/v1/products/{id}/photos/{photo_id}", axum::routing::delete(photos::delete))
        .route("/api/v1/lots", get(stock::list).post(stock::create))
        .route("/api/v1/lots/import", post(stock::import))
        .route("/api/v1/lots/{id}/adjustments", post(stock::adjust))
        .route("/api/v1/lots/{id}/history", get(stock::history))
        .route("/api/v1/households", get(households::list).post(households::create))
        .route("/api/v1/nodes", get(distribution::nodes))
        .route("/api/v1/nodes/{id}/shipments", get(distribution::node_shipments))
        .route("/api/v1/shipments/{code}", get(distribution::shipment))
        .route("/api/v1/shipments/{code}/label", get(distribution::label))
        .route("/api/v1/shipments/{code}/scans", post(distribution::scan))
        .route("/api/v1/legs/{id}/reroute", post(distribution::reroute))
        .route("/api/v1/orders", get(orders::list).post(orders::place))
        .route("/api/v1/orders/{id}", get(orders::get))
        .route("/api/v1/orders/{id}/cancel", post(orders::cancel))
        .route("/api/v1/orders/{id}/approve", post(orders::approve))
        .route("/api/v1/orders/{id}/reject", post(orders::reject))
        .route("/api/v1/orders/{id}/payments/invoice", post(orders::confirm_invoice))
        .route("/api/v1/orders/{id}/attribution", get(orders::attribution))
        .route("/api/v1/orders/{id}/payments/stripe", post(orders::start_stripe))
        .route("/api/v1/orders/{id}/refunds", post(orders::refund))
        .route("/api/v1/orders/{id}/tracking", get(distribution::tracking))
        .route("/api/v1/orders/{id}/accept", post(orders::accept))
        .route("/api/v1/stripe/webhook", post(orders::stripe_webhook))
        .route("/api/v1/reports/agencies/{org_id}/reserved-share", get(reports::reserved_share))
        .route("/api/v1/reports/households", get(reports::households))
        .route("/api/v1/reports/households/{id}", get(reports::household))
        .route("/api/v1/reports/regions", get(reports::regions))
        .route("/api/v1/reports/cooperatives", get(reports::cooperatives))
        .route("/api/v1/agencies/{org_id}", patch(agencies::update))
        // Monitoring (监测帮扶).
        .route("/api/v1/households/{id}/visits", post(monitoring::record_visit))
        .route("/api/v1/households/visits/import", post(monitoring::import_visits))
        .route("/api/v1/alerts", get(monitoring::alerts))
        .route("/api/v1/alerts/{id}/ack", post(monitoring::acknowledge))
        .route("/api/v1/reports/monitoring", get(monitoring::report))
        // Partner cities' pledges (issue 13).
        .route("/api/v1/reports/partners/{org_id}/pledge", get(reports::pledge))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ping().await { (StatusCode::OK, "ready") } else { (StatusCode::SERVICE_UNAVAILABLE, "database unavailable") }
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

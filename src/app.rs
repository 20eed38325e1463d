//! `build(config) -> App`: the one place that wires database, migrations,
//! shipped regions and HTTP routes together, shared by `main` and the tests.

use crate::config::Config;
use crate::db::Db;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// What every handler can reach: the database and the configuration.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The configuration.
    pub config: Arc<Config>,
    /// The search engine.
    pub search: crate::search::Engine,
    /// Keeps the search index following the database.
    pub indexer: crate::search::Indexer,
    /// Stripe, when configured.
    pub stripe: Option<crate::payments::Stripe>,
    /// Signs the CSRF tokens of visitors' forms.
    pub csrf_key: crate::auth::ServerKey,
}

/// A built application: state plus routes.
pub struct App {
    /// Shared state.
    pub state: AppState,
}

/// Connects to the database, applies migrations, loads the shipped regions
/// and opens the search engine. Demo data is the caller's choice
/// ([`crate::demo::load`]), and so is running the indexer
/// ([`crate::search::Indexer::run`]).
pub async fn build(config: Config) -> anyhow::Result<App> {
    let db = Db::connect(config.database_url.expose()).await?;
    db.migrate().await?;
    let added = crate::regions::load_shipped(&db).await?;
    if added > 0 {
        tracing::info!(regions.added = added, "loaded the shipped regions");
    }
    let search = crate::search::Engine::open(&config).await?;
    let indexer = crate::search::Indexer::new(db.clone(), search.clone(), usize::try_from(config.search_cards).unwrap_or(0));
    let stripe = crate::payments::Stripe::from_config(&config)?;
    if stripe.is_some() && config.stripe_webhook_secret.is_none() {
        tracing::warn!("STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: card payments will never be confirmed");
    }
    let csrf_key = crate::auth::ServerKey::load_or_create(&db).await?;
    Ok(App { state: AppState { db, config: Arc::new(config), search, indexer, stripe, csrf_key } })
}

impl App {
    /// The HTTP service: pages, JSON API, health probes, with request ids,
    /// logging, gzip, a body limit, a timeout and security headers.
    pub fn router(&self) -> Router {
        // HSTS only where cookies are marked Secure, i.e. behind HTTPS: sent
        // over plain HTTP it would lock browsers out of a test instance.
        let hsts = self.state.config.secure_cookies.then(|| {
            SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"))
        });
        Router::new()
            .merge(crate::web::router())
            .merge(crate::api::router())
            .fallback(not_found)
            .with_state(self.state.clone())
            .layer(RequestBodyLimitLayer::new(2 * 1024 * 1024))
            .layer(CompressionLayer::new())
            .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
            .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
            .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
            .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
            // if_not_present: the payment page sets its own, wider policy.
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(crate::web::CONTENT_SECURITY_POLICY),
            ))
            .layer(tower::util::option_layer(hsts))
            .layer(middleware::from_fn(no_store_when_personal))
            .layer(middleware::from_fn(request_context))
    }
}

async fn not_found(headers: axum::http::HeaderMap, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::api::error::ApiError::NotFound("endpoint").into_response()
    } else {
        // The signed-in user is not looked up for a 404: the page shows
        // the sign-in link, which is enough to find the way back.
        let chrome = crate::web::Chrome::new(&headers, None, uri.path());
        crate::web::error_page(&chrome, StatusCode::NOT_FOUND)
    }
}

/// Marks personal answers `Cache-Control: no-store`, so no shared cache,
/// and no browser cache after sign-out, keeps a copy: every answer to a
/// request that carried a session (cookie or bearer token) — pages and API
/// answers with addresses, phones, CSRF tokens — and every answer that
/// sets a cookie (sign-in hands out the session token). The static files
/// keep their year-long caching: they are the same for everyone.
async fn no_store_when_personal(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let signed_in = headers.contains_key(header::AUTHORIZATION)
        || [crate::api::extract::SESSION_COOKIE, crate::api::extract::SECURE_SESSION_COOKIE]
            .iter()
            .any(|name| crate::api::extract::cookie(headers, name).is_some());
    let static_file = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    if !static_file && (signed_in || response.headers().contains_key(header::SET_COOKIE)) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Gives every request an id (kept from `x-request-id` when a proxy set a
/// sane one), logs the request line — path only, never the query string,
/// which may carry personal data — and returns the id in a header.
async fn request_context(request: Request, next: Next) -> Response {
    static HEADER: HeaderName = HeaderName::from_static("x-request-id");
    let id = request
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:x}-{:x}", std::process::id(), REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed)));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    let mut response = crate::api::error::REQUEST_ID.scope(id.clone(), next.run(request)).await;
    tracing::info!(
        request.id = %id,
        http.method = %method,
        http.path = %path,
        http.status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER.clone(), v);
    }
    response
}

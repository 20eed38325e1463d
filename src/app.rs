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
    /// Writes still running, whether or not their client is still there.
    pub writes: InFlight,
    /// Places for lot imports running at once: one set per instance (an
    /// instance is a process), shared by the API and the console.
    pub imports: crate::stock::upload::ImportSlots,
    /// Signs the CSRF tokens of visitors' forms.
    pub csrf_key: crate::auth::ServerKey,
}

/// Counts the requests that may write and are still running (see
/// [`run_to_completion`]), so that shutdown — and a test — can wait until
/// every one of them has committed or rolled back.
#[derive(Clone, Default)]
pub struct InFlight(Arc<InFlightCount>);

#[derive(Default)]
struct InFlightCount {
    running: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// One running write; dropping it (its task ended, or unwound) counts it out.
struct InFlightGuard(Arc<InFlightCount>);

impl InFlight {
    fn enter(&self) -> InFlightGuard {
        self.0.running.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.0.clone())
    }

    /// How many writes are running now.
    pub fn running(&self) -> usize {
        self.0.running.load(Ordering::SeqCst)
    }

    /// Waits until no write is running.
    pub async fn idle(&self) {
        loop {
            let notified = self.0.idle.notified();
            tokio::pin!(notified);
            // Registered before the count is read, so a write that ends in
            // between still wakes us.
            notified.as_mut().enable();
            if self.running() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
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
    Ok(App {
        state: AppState {
            db,
            config: Arc::new(config),
            search,
            indexer,
            stripe,
            writes: InFlight::default(),
            imports: crate::stock::upload::ImportSlots::new(crate::stock::upload::MAX_CONCURRENT_IMPORTS),
            csrf_key,
        },
    })
}

/// The largest request body any endpoint reads (uploads included).
pub const MAX_BODY_BYTES: usize = crate::bounds::MAX_BODY_BYTES;

/// How long a client waits for an answer before it gets a 503.
pub const REQUEST_TIME_LIMIT: Duration = Duration::from_secs(30);

impl App {
    /// The HTTP service: pages, JSON API, health probes, with request ids,
    /// logging, gzip, a body limit, a time limit and security headers.
    ///
    /// Layers, outermost first: request id and log line; `no-store` for
    /// personal answers; HSTS and the security headers (CSP among them);
    /// gzip; error bodies in the caller's terms (problem+json or a page);
    /// the time limit; the body limit; writes run to completion; page forms
    /// checked for control characters.
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
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self.state.clone())
            .layer(middleware::from_fn(form_text_guard))
            .layer(middleware::from_fn_with_state(self.state.writes.clone(), run_to_completion))
            .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
            .layer(middleware::from_fn(time_limit))
            .layer(middleware::from_fn(error_bodies))
            .layer(CompressionLayer::new())
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

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    // A page answers with the error page (`error_bodies` turns the empty
    // 405 into one); the API says which method it got.
    if uri.path().starts_with("/api/") {
        crate::api::error::ApiError::MethodNotAllowed(format!("{} does not answer {method}", uri.path())).into_response()
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    }
}

/// Runs the rest of a request that may change something (any method but
/// GET, HEAD, OPTIONS and TRACE) in a task of its own, and waits for it.
///
/// When a client hangs up — a phone losing signal, a proxy's time-out, a
/// closed tab — hyper drops the request's future, and with it whatever
/// await it was parked on: a transaction half-begun, a commit half-sent.
/// A spawned task is not dropped with the connection: the write runs to its
/// end (commit or rollback) and only its answer is lost. Reads are left
/// cancellable, so a search a crawler abandons stops costing CPU.
/// `db::release_outside_transaction` is the second line: no connection
/// goes back into use inside a transaction.
async fn run_to_completion(axum::extract::State(writes): axum::extract::State<InFlight>, request: Request, next: Next) -> Response {
    if request.method().is_safe() {
        return next.run(request).await;
    }
    // Task-locals do not cross a spawn: the request id goes along by hand.
    let id = crate::http::request_id().unwrap_or_default();
    let api = request.uri().path().starts_with("/api/");
    let running = writes.enter();
    let task = async move {
        let response = next.run(request).await;
        drop(running);
        response
    };
    match tokio::spawn(crate::http::REQUEST_ID.scope(id, task)).await {
        Ok(response) => response,
        Err(e) => {
            // A panic in a handler: logged once with the request id,
            // answered 500 (a page gets its body from `error_bodies`).
            let err = crate::api::error::ApiError::Internal(anyhow::anyhow!("handler task failed: {e}"));
            if api {
                err.into_response()
            } else {
                tracing::error!(request.id = crate::http::request_id().as_deref().unwrap_or("-"), error = %err, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// Refuses a submitted page form (`application/x-www-form-urlencoded`)
/// whose values hold a control character or a text-direction override
/// (see [`crate::validation::forbidden_char`]) with a 422 page, before any
/// handler sees it: one check for every form, where U+0000 was a 500 on
/// PostgreSQL. The JSON API checks its bodies in `ApiJson`.
async fn form_text_guard(request: Request, next: Next) -> Response {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !is_form || request.method().is_safe() || request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if form_has_forbidden_char(&bytes) {
        let chrome = crate::web::Chrome::new(&parts.headers, None, parts.uri.path());
        let t = chrome.t;
        let page = crate::web::ErrorPage { c: &chrome, heading: t.bad_request, detail: t.control_chars, request_id: None };
        return crate::web::render(&chrome, StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// True when a form body, once its `%XX` and `+` are decoded, holds a
/// forbidden character in a name or a value.
fn form_has_forbidden_char(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').flat_map(|pair| pair.split(|b| *b == b'=')).any(|part| {
        let mut out = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            match part[i] {
                b'+' => out.push(b' '),
                b'%' => match part.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    Some(h) => {
                        out.push(u8::from_str_radix(std::str::from_utf8(h).unwrap_or("00"), 16).unwrap_or(0));
                        i += 2;
                    }
                    None => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).chars().any(crate::validation::forbidden_char)
    })
}

/// Answers 503 with `Retry-After` when a request takes longer than
/// [`REQUEST_TIME_LIMIT`]. Not 408: that says the client was slow, and some
/// clients resend a 408'd POST by themselves. A write that is still running
/// goes on to its end (see [`run_to_completion`]).
async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIME_LIMIT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
    }
}

/// Gives every error answer a body in the caller's terms: problem+json
/// under `/api/`, a page in the visitor's language elsewhere. Handlers
/// already do; this catches what the framework answers on its own — 405,
/// 413 from the body limit, 415 and 400/422 form rejections in text/plain,
/// the time limit's empty 503 — so no client ever gets a bare status.
async fn error_bodies(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/") || request.uri().path() == "/healthz" || request.uri().path() == "/readyz";
    let mut cookies = axum::http::HeaderMap::new();
    if let Some(c) = request.headers().get(header::COOKIE) {
        cookies.insert(header::COOKIE, c.clone());
    }
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/problem+json") || content_type.starts_with("text/html") {
        return response;
    }
    // Headers worth keeping (Allow of a 405, Retry-After of a 503).
    let keep: Vec<(HeaderName, HeaderValue)> = [header::ALLOW, header::RETRY_AFTER, header::SET_COOKIE]
        .into_iter()
        .flat_map(|name| response.headers().get_all(&name).iter().map(move |v| (name.clone(), v.clone())).collect::<Vec<_>>())
        .collect();
    let mut fresh = if api {
        use crate::api::error::ApiError;
        let detail = match status {
            StatusCode::PAYLOAD_TOO_LARGE => format!("the request body is larger than {} MiB", MAX_BODY_BYTES >> 20),
            StatusCode::METHOD_NOT_ALLOWED => format!("{path} does not answer this method"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "this endpoint does not read a body of that Content-Type".to_owned(),
            StatusCode::SERVICE_UNAVAILABLE => "the server is busy or the request took too long; retry later".to_owned(),
            _ => {
                let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
                let text = String::from_utf8_lossy(&body).trim().to_owned();
                if text.is_empty() { status.canonical_reason().unwrap_or("error").to_lowercase() } else { text }
            }
        };
        let err = match status {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(detail),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed(detail),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(detail),
            StatusCode::SERVICE_UNAVAILABLE => ApiError::Unavailable { detail, retry_after_secs: 5 },
            StatusCode::NOT_FOUND => ApiError::NotFound("endpoint"),
            s if s.is_server_error() => ApiError::Internal(anyhow::anyhow!("{s}: {detail}")),
            _ => ApiError::BadRequest(detail),
        };
        err.into_response()
    } else {
        let chrome = crate::web::Chrome::new(&cookies, None, &path);
        crate::web::error_page(&chrome, status)
    };
    *fresh.status_mut() = status;
    for (name, value) in keep {
        // Cookies add up; Allow and Retry-After are one value each (the
        // fresh answer may have set its own).
        if name == header::SET_COOKIE {
            fresh.headers_mut().append(name, value);
        } else {
            fresh.headers_mut().insert(name, value);
        }
    }
    fresh
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
        || [crate::http::SESSION_COOKIE, crate::http::SECURE_SESSION_COOKIE]
            .iter()
            .any(|name| crate::http::cookie(headers, name).is_some());
    // Static files and photo variants are the same for everyone and carry
    // their content's hash in their name: cached for a year either way.
    let static_file = request.uri().path().starts_with("/static/") || request.uri().path().starts_with("/photos/");
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
    let mut response = crate::http::REQUEST_ID.scope(id.clone(), next.run(request)).await;
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

//! The test harness: a fresh database per test, on SQLite by default and on
//! PostgreSQL when `TEST_DATABASE_URL` names a server (`./scripts/test`
//! runs the whole suite both ways). Requests go through the real router,
//! in process.
//!
//! Preparing a database (migrations, 50,000 regions, the demo) takes
//! seconds, so it is done once per test process into a template — a file
//! for SQLite, a template database for PostgreSQL — and each test gets a
//! copy.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Mutex, OnceCell};
use tower::ServiceExt;
use zhunong::app::App;
use zhunong::config::Config;
use zhunong::db::Db;

/// Which database a test process runs on.
pub enum Backend {
    Sqlite,
    Postgres(String),
}

pub fn backend() -> Backend {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Backend::Postgres(url),
        _ => Backend::Sqlite,
    }
}

/// What a fresh database starts with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Seed {
    /// Migrated, regions loaded.
    Bare,
    /// And the demo loaded.
    Demo,
}

static TEMPLATES: OnceCell<(String, String)> = OnceCell::const_new();
static CREATE_LOCK: Mutex<()> = Mutex::const_new(());
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// This process's folder for SQLite files, under cargo's `target/tmp`.
pub fn scratch_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("zhunong-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes the folders of earlier test processes that have ended.
fn remove_stale_scratch_dirs() {
    let Ok(entries) = std::fs::read_dir(env!("CARGO_TARGET_TMPDIR")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("zhunong-").and_then(|p| p.parse::<u32>().ok())
            && pid != std::process::id()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn config(database_url: &str, data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let mut vars: BTreeMap<String, String> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    vars.insert("DATABASE_URL".to_owned(), database_url.to_owned());
    vars.insert("ZHUNONG_DATA_DIR".to_owned(), data_dir.display().to_string());
    vars.insert("ZHUNONG_LOGIN_ATTEMPTS".to_owned(), "5".to_owned());
    Config::from_sources(&vars, None).unwrap()
}

/// Builds a database at `url` with the given seed, then closes it.
async fn prepare(url: &str, seed: Seed) {
    let dir = scratch_dir().join(format!("template-{}", COUNTER.fetch_add(1, Ordering::Relaxed)));
    let app = zhunong::app::build(config(url, &dir, &[])).await.expect("template database builds");
    if seed == Seed::Demo {
        zhunong::demo::load(&app.state.db).await.expect("demo loads");
    }
    app.state.db.close().await;
}

/// The names of the two templates, created on first use.
async fn templates() -> &'static (String, String) {
    TEMPLATES
        .get_or_init(|| async {
            match backend() {
                Backend::Sqlite => {
                    remove_stale_scratch_dirs();
                    let dir = scratch_dir();
                    let bare = dir.join("template-bare.db");
                    let demo = dir.join("template-demo.db");
                    prepare(&format!("sqlite://{}?mode=rwc", bare.display()), Seed::Bare).await;
                    std::fs::copy(&bare, &demo).unwrap();
                    prepare(&format!("sqlite://{}?mode=rwc", demo.display()), Seed::Demo).await;
                    (bare.display().to_string(), demo.display().to_string())
                }
                Backend::Postgres(url) => {
                    drop_stale_databases(&url).await;
                    let pid = std::process::id();
                    let (bare, demo) = (format!("zhunong_tpl_bare_{pid}"), format!("zhunong_tpl_demo_{pid}"));
                    admin(&url, &format!("CREATE DATABASE {bare}")).await;
                    prepare(&with_database(&url, &bare), Seed::Bare).await;
                    admin(&url, &format!("CREATE DATABASE {demo} TEMPLATE {bare}")).await;
                    prepare(&with_database(&url, &demo), Seed::Demo).await;
                    (bare, demo)
                }
            }
        })
        .await
}

/// The id of the test process a database of this harness belongs to:
/// `zhunong_test_{pid}_{n}`, `zhunong_tpl_bare_{pid}`, `zhunong_tpl_demo_{pid}`.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name
        .strip_prefix("zhunong_test_")
        .or_else(|| name.strip_prefix("zhunong_tpl_bare_"))
        .or_else(|| name.strip_prefix("zhunong_tpl_demo_"))?;
    rest.split('_').next()?.parse().ok()
}

/// Drops the databases of earlier test processes on this machine that no
/// longer run, like [`remove_stale_scratch_dirs`] for SQLite: each process
/// leaves its copies behind (there is no teardown after the last test), and
/// a day of runs against one server once filled this machine's disk with
/// two thousand of them. A database still in use (a run on another machine
/// whose pid happens to be free here) is refused by `DROP DATABASE` and
/// kept.
async fn drop_stale_databases(url: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let Ok(mut conn) = sqlx::AnyConnection::connect(url).await else { return };
    let names: Vec<String> = sqlx::query_scalar(r"SELECT datname::text FROM pg_database WHERE datname LIKE 'zhunong\_t%'")
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| {
            eprintln!("leftover test databases not listed (so not dropped): {e}");
            Vec::new()
        });
    for name in names {
        if let Some(pid) = owner_pid(&name)
            && pid != std::process::id()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            // Templates last would be tidier, but a template is only a
            // database: copies never depend on it once made.
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await;
        }
    }
    conn.close().await.ok();
}

/// Runs one statement on the server's maintenance database.
pub async fn admin(url: &str, sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("PostgreSQL answers at TEST_DATABASE_URL");
    sqlx::query(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await.ok();
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let cut = base.rfind('/').expect("a database URL has a path");
    format!("{}/{name}{query}", &base[..cut])
}

/// Marks a request as coming from client address `ip`, as a real server's
/// connection info does (without it the server sees the unspecified
/// address).
pub fn from_address(mut req: Request<Body>, ip: &str) -> Request<Body> {
    let addr = std::net::SocketAddr::new(ip.parse().expect("an IP address"), 40_000);
    req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    req
}

/// A running application on its own fresh database.
pub struct TestApp {
    pub app: App,
    pub router: axum::Router,
    /// The database, for a second instance on it.
    url: String,
    /// The extra configuration it was built with.
    vars: Vec<(String, String)>,
}

/// A response, read whole.
pub struct Res {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    /// The value of a cookie this response sets.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

impl TestApp {
    /// A fresh database with the demo loaded.
    pub async fn demo() -> TestApp {
        TestApp::with(Seed::Demo).await
    }

    /// A fresh database with only the regions.
    pub async fn bare() -> TestApp {
        TestApp::with(Seed::Bare).await
    }

    pub async fn with(seed: Seed) -> TestApp {
        TestApp::configured(seed, &[]).await
    }

    /// A fresh database, with extra configuration variables.
    pub async fn configured(seed: Seed, vars: &[(&str, &str)]) -> TestApp {
        let (bare, demo) = templates().await;
        let template = if seed == Seed::Demo { demo } else { bare };
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let url = match backend() {
            Backend::Sqlite => {
                let path = scratch_dir().join(format!("test-{n}.db"));
                std::fs::copy(template, &path).unwrap();
                format!("sqlite://{}?mode=rwc", path.display())
            }
            Backend::Postgres(url) => {
                let name = format!("zhunong_test_{}_{n}", std::process::id());
                // PostgreSQL refuses to copy a template that another CREATE
                // DATABASE is reading, so copies are made one at a time.
                let _guard = CREATE_LOCK.lock().await;
                admin(&url, &format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
                with_database(&url, &name)
            }
        };
        // Each test has its own data folder, so its own search index.
        let app = zhunong::app::build(config(&url, &scratch_dir().join(format!("data-{n}")), vars)).await.expect("app builds");
        app.state.indexer.drain().await.expect("the outbox drains into the search index");
        let router = app.router();
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TestApp { app, router, url, vars }
    }

    /// [`TestApp::another_instance`] whose searches and indexing go to this
    /// instance's engine, as instances sharing one Meilisearch do — and,
    /// like them, keeping no result cards.
    pub async fn another_instance_sharing_search(&self) -> TestApp {
        let mut other = self.another_instance().await;
        let search = self.app.state.search.clone();
        other.app.state.indexer = zhunong::search::Indexer::new(other.db().clone(), search.clone(), 0);
        other.app.state.search = search;
        other.router = other.app.router();
        other
    }

    /// The same instance after a crash before indexing: a new process on
    /// the same database and data folder, whose outbox is not drained yet.
    pub async fn restart(self) -> TestApp {
        let config = (*self.app.state.config).clone();
        let (url, vars) = (self.url.clone(), self.vars.clone());
        drop(self);
        let app = zhunong::app::build(config).await.unwrap();
        TestApp { router: app.router(), app, url, vars }
    }

    /// Another instance on this test's database, as a second process would
    /// be: its own connections, its own data folder (so its own embedded
    /// index) and its own indexer.
    pub async fn another_instance(&self) -> TestApp {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let app = zhunong::app::build(config(&self.url, &scratch_dir().join(format!("data-{n}")), &vars)).await.expect("app builds");
        let router = app.router();
        TestApp { app, router, url: self.url.clone(), vars: self.vars.clone() }
    }

    pub fn db(&self) -> &Db {
        &self.app.state.db
    }

    /// Brings the search index up to date with the database (what the
    /// background indexer does within a second in a running server).
    pub async fn index(&self) {
        self.app.state.indexer.drain().await.unwrap();
    }

    /// Sends a request; `token` as a bearer token.
    pub async fn send(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Res {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())).unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        self.raw(req).await
    }

    /// Sends a prepared request. An answer of the JSON API is checked
    /// against the OpenAPI document (`crate::contract`): a test that
    /// receives an undocumented status or a body unlike its documented
    /// schema fails, whatever it asserts itself.
    pub async fn raw(&self, req: Request<Body>) -> Res {
        let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let res = Res { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() };
        if let Err(e) = crate::contract::check(&method, &path, status.as_u16(), res.content_type(), &res.text) {
            panic!("the answer is not what src/api/openapi.json documents: {e}\n{}", res.text);
        }
        res
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        self.send("GET", path, None, token).await
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Res {
        self.send("POST", path, Some(body), token).await
    }

    /// Tries to sign in through the API from client address `ip` (as the
    /// server's `ConnectInfo` would give it).
    pub async fn login_from(&self, ip: &str, email: &str, password: &str) -> Res {
        let body = serde_json::json!({"email": email, "password": password}).to_string();
        let req = Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap();
        self.raw(from_address(req, ip)).await
    }

    /// The scans that move order `order`'s goods one step further, each
    /// once: per route, its first leg not yet done — dispatched at its
    /// sending node when planned, then received at the next node (or, for
    /// a leg to the buyer, delivered by the sending node). As the tracking
    /// of `token`'s user shows it.
    pub async fn next_scans(&self, token: &str, order: &str) -> Vec<(String, String, &'static str)> {
        self.next_scans_of(token, order, None).await
    }

    /// [`TestApp::next_scans`] for the lines of one product only.
    pub async fn next_scans_of(&self, token: &str, order: &str, product_name: Option<&str>) -> Vec<(String, String, &'static str)> {
        let tracking = self.get(&format!("/api/v1/orders/{order}/tracking"), Some(token)).await;
        assert_eq!(tracking.status, StatusCode::OK, "{}", tracking.text);
        let mut scans: Vec<(String, String, &'static str)> = Vec::new();
        for line in tracking.json()["lines"].as_array().unwrap() {
            if product_name.is_some_and(|p| line["product_name"] != p) {
                continue;
            }
            let legs = line["legs"].as_array().unwrap();
            let routes: std::collections::BTreeSet<i64> = legs.iter().map(|l| l["route"].as_i64().unwrap()).collect();
            for route in routes {
                let Some(leg) =
                    legs.iter().find(|l| l["route"] == route && !matches!(l["status"].as_str(), Some("received" | "delivered")))
                else {
                    continue;
                };
                let Some(code) = leg["shipment_code"].as_str() else { continue };
                let (node, event) = match (leg["status"].as_str().unwrap(), leg["to"]["node_id"].as_str()) {
                    ("planned", _) => (leg["from"]["node_id"].as_str().unwrap(), "dispatched"),
                    ("dispatched", Some(to)) => (to, "received"),
                    ("dispatched", None) => (leg["from"]["node_id"].as_str().unwrap(), "delivered"),
                    (other, _) => panic!("leg status {other}"),
                };
                let scan = (code.to_owned(), node.to_owned(), event);
                if !scans.contains(&scan) {
                    scans.push(scan);
                }
            }
        }
        scans
    }

    /// Places an order of `quantity` × product `product` to `region`, paid
    /// by invoice, as the partner city's buyer; returns its id.
    pub async fn order_to(&self, product: i64, quantity: i64, region: &str) -> String {
        let buyer = self.login("buyer@partner.zhunong.demo").await;
        let mut delivery = canteen_delivery();
        delivery["region_code"] = serde_json::json!(region);
        let body = serde_json::json!({"lines": [{"product_id": product.to_string(), "quantity": quantity}], "delivery": delivery, "payment_method": "invoice"});
        let placed = self.post("/api/v1/orders", body, Some(&buyer)).await;
        assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
        placed.json()["id"].as_str().unwrap().to_owned()
    }

    /// [`TestApp::order_to`], its bank transfer then confirmed by platform
    /// finance (which releases and routes it).
    pub async fn paid_order_to(&self, product: i64, quantity: i64, region: &str) -> String {
        let id = self.order_to(product, quantity, region).await;
        let finance = self.login("finance@zhunong.demo").await;
        let body = serde_json::json!({"reference": format!("R-{id}")});
        let paid = self.post(&format!("/api/v1/orders/{id}/payments/invoice"), body, Some(&finance)).await;
        assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
        id
    }

    /// Scans shipment `code` at node `node` as `token`'s user.
    pub async fn scan(&self, token: &str, code: &str, node: &str, event: &str) -> Res {
        self.post(&format!("/api/v1/shipments/{code}/scans"), serde_json::json!({"node_id": node, "event": event}), Some(token)).await
    }

    /// Moves order `order`'s goods one step further by scans (as the
    /// platform admin); returns how many scans that took (0: nothing left).
    pub async fn advance(&self, order: &str) -> usize {
        let admin = self.login("admin@zhunong.demo").await;
        let scans = self.next_scans(&admin, order).await;
        for (code, node, event) in &scans {
            let res = self.scan(&admin, code, node, event).await;
            assert_eq!(res.status, StatusCode::CREATED, "{event} {code}: {}", res.text);
        }
        scans.len()
    }

    /// Scans order `order`'s goods all the way to the buyer (as the
    /// platform admin), as the operators of the chain would.
    pub async fn deliver_all(&self, order: &str) {
        for _ in 0..12 {
            if self.advance(order).await == 0 {
                return;
            }
        }
        panic!("order {order} still travels after 12 rounds of scans");
    }

    /// Signs a demo user in and returns the bearer token.
    pub async fn login(&self, email: &str) -> String {
        let res = self.post("/api/v1/auth/login", serde_json::json!({"email": email, "password": "zhunong-demo"}), None).await;
        assert_eq!(res.status, StatusCode::OK, "{email} signs in: {}", res.text);
        res.json()["token"].as_str().unwrap().to_owned()
    }

    /// Changes lot `lot`'s quantity by `delta` the way a cooperative does —
    /// an audited adjustment (`stock::adjust`, reason "recount"), so the
    /// lot's history still adds up — as a user of the lot's cooperative (the
    /// platform admin for a cooperative without sign-ins).
    pub async fn adjust_lot(&self, lot: i64, delta: i64) {
        let coop =
            self.count(&format!("SELECT p.cooperative_id FROM lots l JOIN products p ON p.id = l.product_id WHERE l.id = {lot}")).await;
        let user = self
            .count(&format!(
                "SELECT COALESCE((SELECT MIN(id) FROM users WHERE org_id = {coop}), \
                 (SELECT MIN(u.id) FROM users u JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'platform_admin'))"
            ))
            .await;
        let adjustment = zhunong::stock::Adjustment { delta, reason: "recount".into(), note: "test set-up".into() };
        zhunong::stock::adjust(self.db(), coop, user, lot, &adjustment)
            .await
            .unwrap_or_else(|e| panic!("lot {lot} adjusted by {delta}: {e}"));
    }

    /// Adds `units` to the lot of `product` that expires last, by an
    /// adjustment.
    pub async fn top_up(&self, product: i64, units: i64) {
        let lot = self.count(&format!("SELECT id FROM lots WHERE product_id = {product} ORDER BY expires_on DESC, id DESC LIMIT 1")).await;
        self.adjust_lot(lot, units).await;
    }

    /// Takes every free unit of `product` off its lots, by adjustments:
    /// afterwards nothing of it is on sale but what orders already hold.
    pub async fn empty_stock(&self, product: i64) {
        let lots: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, quantity - allocated FROM lots WHERE product_id = $1 AND quantity > allocated ORDER BY id")
                .bind(product)
                .fetch_all(self.db().pool())
                .await
                .unwrap();
        for (lot, free) in lots {
            self.adjust_lot(lot, -free).await;
        }
    }

    /// Records a lot of `product` of cooperative `coop`, harvested
    /// yesterday and good for 30 days, at the cooperative's first node,
    /// from `(household id, units)` contributions.
    pub async fn lot_from(&self, coop: i64, product: i64, contributions: &[(i64, i64)]) {
        let node = zhunong::stock::lot_nodes(self.db(), coop).await.unwrap()[0].0;
        let harvested = zhunong::time::china_today() - time::Duration::days(1);
        let lot = zhunong::stock::NewLot {
            product_id: product,
            quantity: contributions.iter().map(|(_, q)| q).sum(),
            harvested_on: zhunong::time::format_date(harvested),
            expires_on: zhunong::time::format_date(harvested + time::Duration::days(30)),
            node_id: node,
            contributions: contributions
                .iter()
                .map(|&(household_id, quantity)| zhunong::stock::NewContribution { household_id, quantity })
                .collect(),
        };
        zhunong::stock::create_lot(self.db(), coop, None, &lot).await.unwrap();
    }

    /// A number from one SQL query.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(self.db().pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// The delivery of the demo agency's canteen in 喀什市.
pub fn canteen_delivery() -> Value {
    serde_json::json!({"region_code": "653101000000", "address": "喀什市人民东路1号 喀什地区第一中学食堂", "contact_name": "王老师", "phone": "0998-2821234"})
}

/// An order body: `(product, quantity)` lines, to the canteen, by invoice.
pub fn order_body(lines: &[(i64, i64)]) -> Value {
    serde_json::json!({
        "lines": lines.iter().map(|(p, q)| serde_json::json!({"product_id": p.to_string(), "quantity": q})).collect::<Vec<_>>(),
        "delivery": canteen_delivery(),
        "payment_method": "invoice"
    })
}

/// `POST /api/v1/orders` with a bearer token and, if given, an `Idempotency-Key`.
pub fn order_request(token: &str, body: &Value, key: Option<&str>) -> Request<Body> {
    let mut req = Request::post("/api/v1/orders")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

//! Benchmarks, run by `zhunong bench search`, `zhunong bench checkout`,
//! `zhunong bench routing` and `zhunong bench export`
//! (see docs/PERFORMANCE.md). Each but `export` (which needs no database)
//! builds a fresh database with the demo data in a temporary folder — SQLite, or the PostgreSQL database that
//! `DATABASE_URL` names, which must be empty — serves the real router on
//! loopback and drives it over HTTP.
//!
//! The server and the load generator share this process and the machine's
//! cores, so the figures are a floor, not a ceiling. Every run is bounded
//! in time and in requests, and talks only to 127.0.0.1.

mod checkout;
mod routing;
mod search;

pub use checkout::checkout;
pub use routing::routing;
pub use search::{PRODUCTS, search};

// ---- exports (issue 13 §3) ----
mod export;
pub use export::{ROWS as EXPORT_ROWS, export};

use crate::app::App;
use crate::config::Config;
use std::path::PathBuf;

/// The app on a fresh database with the demo loaded, and its folder (to
/// remove afterwards).
async fn fresh_demo(mut config: Config) -> anyhow::Result<(App, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("zhunong-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    config.data_dir = dir.clone();
    if std::env::var("DATABASE_URL").is_err() {
        config.database_url = crate::config::Secret::new(format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()));
    }
    let app = crate::app::build(config).await?;
    crate::demo::load(&app.state.db).await?;
    Ok((app, dir))
}

/// Gives every active product one fresh lot of `quantity` units, at the
/// node of its demo lots (on its village's chain), from one member
/// household of its cooperative; returns (product, lot) in product order.
async fn big_lots(db: &crate::db::Db, quantity: i64) -> anyhow::Result<Vec<(i64, i64)>> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, cooperative_id FROM products WHERE active = 1 ORDER BY id").fetch_all(db.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (product, coop) in rows {
        let household: i64 = sqlx::query_scalar("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id = $1")
            .bind(coop)
            .fetch_one(db.pool())
            .await?;
        let node: i64 =
            sqlx::query_scalar("SELECT MIN(node_id) FROM lots WHERE product_id = $1").bind(product).fetch_one(db.pool()).await?;
        let lot = crate::stock::NewLot {
            product_id: product,
            quantity,
            harvested_on: crate::time::format_date(crate::time::today()),
            expires_on: crate::time::format_date(crate::time::today() + time::Duration::days(5 * 365)),
            node_id: node,
            contributions: vec![crate::stock::NewContribution { household_id: household, quantity }],
        };
        let lot = crate::stock::create_lot(db, coop, None, &lot).await.map_err(|e| anyhow::anyhow!("stocking product {product}: {e}"))?;
        out.push((product, lot.id));
    }
    Ok(out)
}

/// One keep-alive HTTP/1.1 connection of the load generator. Plain hyper
/// rather than reqwest: no pool, no URL parsing, no redirects — the less
/// the generator spends of the two shared cores, the more of them the
/// server under test gets.
struct Connection {
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Empty<hyper::body::Bytes>>,
    host: String,
}

impl Connection {
    async fn open(addr: std::net::SocketAddr) -> anyhow::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Connection { sender, host: addr.to_string() })
    }

    /// GETs `path` (with its query) and reads the whole body.
    async fn get(&mut self, path: &str) -> anyhow::Result<(hyper::StatusCode, hyper::body::Bytes)> {
        use http_body_util::BodyExt;
        self.sender.ready().await?;
        let request = hyper::Request::get(path).header(hyper::header::HOST, &self.host).body(http_body_util::Empty::new())?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        Ok((status, response.into_body().collect().await?.to_bytes()))
    }
}

/// The value at quantile `p` of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Resident memory of this process in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

//! `zhunong bench search`: generates a prefecture-sized catalogue (100,000
//! products across the real villages of the demo prefectures), indexes it
//! with the configured engine, and measures search over HTTP on loopback
//! at 1, 16 and 64 concurrent clients.

use super::{Connection, fresh_demo, percentile, rss_mib};
use crate::app::App;
use crate::config::Config;
use crate::db::values_placeholders;
use crate::search::SearchEngine;
use anyhow::Context;
use std::time::{Duration, Instant};

/// Products the search benchmark generates.
pub const PRODUCTS: usize = 100_000;
const SECONDS_PER_LEVEL: u64 = 8;
const MAX_REQUESTS_PER_LEVEL: usize = 500_000;

/// Queries the clients cycle through: Chinese words and places, latin with
/// and without typos, facets, filters and sorts.
const QUERIES: &[&str] = &[
    "q=%E7%BA%A2%E6%9E%A3",                // 红枣
    "q=%E6%A0%B8%E6%A1%83&sort=price_asc", // 核桃
    "q=%E7%89%A6%E7%89%9B%E8%82%89",       // 牦牛肉
    "q=%E5%96%80%E4%BB%80&category=nuts",  // 喀什
    "q=%E4%BC%BD%E5%B8%88%E7%93%9C",       // 伽师瓜
    "q=walnutt",
    "q=yak&certified=true",
    "category=tea&sort=sales",
    "prefecture=540300000000&storage=frozen",
    "county=422822000000&price_max_fen=5000&sort=price_desc",
    "sort=newest&page=3",
    "q=%E8%8C%B6%E5%8F%B6&in_stock=true", // 茶叶
];

/// Runs the search benchmark with a fresh SQLite database (or
/// `DATABASE_URL`) in a temporary folder and prints a Markdown report.
pub async fn search(config: Config) -> anyhow::Result<()> {
    let (app, dir) = fresh_demo(config).await?;
    let started = Instant::now();
    generate(&app, PRODUCTS).await?;
    let generate_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let indexed = app.state.indexer.reindex().await?;
    let index_secs = started.elapsed().as_secs_f64();
    let rss_indexed = rss_mib();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = app.router();
    // The product's own listener; the load generator is one address with
    // hundreds of connections, so the per-address cap is lifted.
    let limits = crate::serve::Limits { per_address: usize::MAX, ..crate::serve::Limits::of(&app.state.config) };
    let server = tokio::spawn(crate::serve::serve(listener, router, limits, std::future::pending()));

    println!("## Search benchmark — {} engine, {:?} database\n", app.state.search.name(), app.state.db.backend());
    println!("- products indexed: {indexed} (generated in {generate_secs:.1} s)");
    println!("- indexing time (full rebuild from the database): {index_secs:.1} s");
    println!("- resident memory after indexing: {rss_indexed:.0} MiB\n");
    println!("| clients | pages | requests | requests/s | p50 ms | p95 ms | p99 ms | errors |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    let mut notes = Vec::new();
    for (clients, pages) in [(1usize, Pages::First), (16, Pages::First), (64, Pages::First), (16, Pages::Deep)] {
        let r = load(addr, clients, pages).await?;
        if let Pages::Deep = pages {
            notes.push(format!(
                "- pages 1–{DEEP_PAGES}: {} different pages asked; result cards held afterwards: {}",
                r.pages,
                app.state.indexer.cards().len()
            ));
        }
        println!(
            "| {clients} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            match pages {
                Pages::First => "as listed".to_owned(),
                Pages::Deep => format!("1–{DEEP_PAGES}"),
            },
            r.latencies.len(),
            r.latencies.len() as f64 / r.seconds,
            percentile(&r.latencies, 0.50),
            percentile(&r.latencies, 0.95),
            percentile(&r.latencies, 0.99),
            r.errors
        );
    }
    println!();
    for note in notes {
        println!("{note}");
    }
    println!("- resident memory after the load: {:.0} MiB", rss_mib());
    println!("\nThe engine alone (no HTTP, no database), one client, 20 results with facets:\n");
    println!("| query | matches | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    for (q, p50, p99, total) in engine_latency(&app).await? {
        println!("| {q} | {total} | {p50:.3} | {p99:.3} |");
    }
    server.abort();
    app.state.db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Which pages the clients ask for.
#[derive(Clone, Copy)]
enum Pages {
    /// The queries as listed (first pages, and page 3 of the newest):
    /// what a storefront mostly serves, so the result cards are kept.
    First,
    /// Pages 1 to [`DEEP_PAGES`] of every query, like a crawler: about
    /// 60,000 different products, three times what the card cache holds,
    /// so most pages are assembled from the database.
    Deep,
}

/// Pages per query in a [`Pages::Deep`] run.
const DEEP_PAGES: usize = 250;

struct LoadResult {
    latencies: Vec<f64>,
    errors: usize,
    seconds: f64,
    /// Different pages (query and page number) asked.
    pages: usize,
}

async fn load(addr: std::net::SocketAddr, clients: usize, pages: Pages) -> anyhow::Result<LoadResult> {
    // Warm-up: every query once.
    let mut warm = Connection::open(addr).await?;
    for q in QUERIES {
        let (status, _) = warm.get(&format!("/api/v1/products?per_page=20&{q}")).await?;
        anyhow::ensure!(status.is_success(), "warm-up: {q} answered {status}");
    }
    let deadline = Instant::now() + Duration::from_secs(SECONDS_PER_LEVEL);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut asked = std::collections::HashSet::new();
            let mut connection = Connection::open(addr).await?;
            let mut i = c;
            while Instant::now() < deadline && latencies.len() < MAX_REQUESTS_PER_LEVEL / clients {
                // 20 per page, about what the search page shows (24).
                let query = QUERIES[i % QUERIES.len()];
                let path = match pages {
                    Pages::First => format!("/api/v1/products?per_page=20&{query}"),
                    Pages::Deep => {
                        let query = query.split('&').filter(|p| !p.starts_with("page=")).collect::<Vec<_>>().join("&");
                        // Each round of the twelve queries asks another page
                        // (a stride prime to the page count), and the clients
                        // start spread over the rounds, so every (query,
                        // page) pair comes up rather than the same few.
                        let round = i / QUERIES.len() + c * DEEP_PAGES / clients;
                        format!("/api/v1/products?per_page=20&{query}&page={}", 1 + (round * 7919) % DEEP_PAGES)
                    }
                };
                i += 1;
                let t = Instant::now();
                let answer = connection.get(&path).await;
                let elapsed = t.elapsed();
                asked.insert(path);
                match answer {
                    Ok((status, body)) if status.is_success() && body.starts_with(b"{\"items\":") => {
                        latencies.push(elapsed.as_secs_f64() * 1000.0);
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        connection = Connection::open(addr).await?;
                    }
                }
            }
            anyhow::Ok((latencies, errors, asked))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut asked = std::collections::HashSet::new();
    for t in tasks {
        let (l, e, a) = t.await??;
        all.extend(l);
        errors += e;
        asked.extend(a);
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Ok(LoadResult { latencies: all, errors, seconds, pages: asked.len() })
}

/// The engine's own latency per query, without HTTP or the database.
async fn engine_latency(app: &App) -> anyhow::Result<Vec<(String, f64, f64, u64)>> {
    use crate::search::{SearchQuery, Sort};
    let words = |text: &str| SearchQuery { q: text.into(), limit: 20, ..Default::default() };
    let mut queries: Vec<(String, SearchQuery)> =
        ["", "红枣", "核桃", "牦牛肉", "喀什", "伽师瓜", "walnutt", "yak"].iter().map(|t| (t.to_string(), words(t))).collect();
    // The word-less filters of the mix.
    let code = |c: &str| crate::regions::RegionCode::parse(c).ok();
    queries.push(("category tea, by sales".into(), SearchQuery { category: Some("tea".into()), sort: Sort::Sales, ..words("") }));
    queries.push((
        "prefecture 昌都, frozen".into(),
        SearchQuery { prefecture: code("540300000000"), storage: Some("frozen".into()), ..words("") },
    ));
    queries.push((
        "county 建始, ≤ 50 yuan, by price".into(),
        SearchQuery { county: code("422822000000"), price_max_fen: Some(5000), sort: Sort::PriceDesc, ..words("") },
    ));
    let mut out = Vec::new();
    for (label, q) in queries {
        let mut lat = Vec::new();
        let mut total = 0;
        for _ in 0..300 {
            let t = Instant::now();
            total = app.state.search.search(&q).await?.total;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        lat.sort_by(f64::total_cmp);
        out.push((if label.is_empty() { "(no words)".into() } else { label }, percentile(&lat, 0.5), percentile(&lat, 0.99), total));
    }
    Ok(out)
}

/// Inserts `n` products spread over cooperatives in the real villages of
/// the demo prefectures, named after what those places grow.
async fn generate(app: &App, n: usize) -> anyhow::Result<()> {
    let db = &app.state.db;
    let coops: Vec<(i64, String)> =
        sqlx::query_as("SELECT org_id, o.region_code FROM cooperatives c JOIN organisations o ON o.id = c.org_id ORDER BY org_id")
            .fetch_all(db.pool())
            .await?;
    let villages: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM regions WHERE level = 'village' AND substr(code, 10, 3) >= '200' ORDER BY code")
            .fetch_all(db.pool())
            .await?;
    anyhow::ensure!(!coops.is_empty() && !villages.is_empty(), "the demo must be loaded first");
    let produce: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT name, COALESCE(name_en, ''), category, storage FROM products ORDER BY id").fetch_all(db.pool()).await?;
    let now = crate::time::now();
    let mut seed: u64 = 42;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut tx = db.begin_write().await?;
    let base_id: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM products").fetch_one(&mut *tx).await?;
    let mut rows = Vec::with_capacity(500);
    for i in 0..n {
        // A village of the coop's county, so the origin rule holds.
        let (coop, coop_village) = &coops[(next() as usize) % coops.len()];
        let county = &coop_village[..6];
        let in_county: Vec<&(String, String)> = villages.iter().filter(|(c, _)| c.starts_with(county)).collect();
        let (village, village_name) = in_county[(next() as usize) % in_county.len()];
        let (name, en, category, storage) = &produce[(next() as usize) % produce.len()];
        let id = base_id + 1 + i as i64;
        rows.push((
            id,
            *coop,
            format!("{}{name} {}号", crate::regions::short_name(village_name), i + 1),
            format!("{en} #{i}"),
            category.clone(),
            storage.clone(),
            village.clone(),
            (next() % 5_000) as i64,
            1_000 + (next() % 20_000) as i64,
        ));
        if rows.len() == 500 || i + 1 == n {
            let sql = format!(
                "INSERT INTO products (id, cooperative_id, name, name_en, category, unit, spec, storage, origin_code, sales_count, created_at, updated_at) VALUES {}",
                values_placeholders(rows.len(), 12)
            );
            let mut q = sqlx::query(&sql);
            for r in &rows {
                q = q
                    .bind(r.0)
                    .bind(r.1)
                    .bind(&r.2)
                    .bind(&r.3)
                    .bind(&r.4)
                    .bind("kg")
                    .bind("")
                    .bind(&r.5)
                    .bind(&r.6)
                    .bind(r.7)
                    .bind(&now)
                    .bind(&now);
            }
            q.execute(&mut *tx).await.context("inserting benchmark products")?;
            let sql =
                format!("INSERT INTO price_tiers (product_id, min_quantity, unit_price_fen) VALUES {}", values_placeholders(rows.len(), 3));
            let mut q = sqlx::query(&sql);
            for r in &rows {
                q = q.bind(r.0).bind(1i64).bind(r.8);
            }
            q.execute(&mut *tx).await?;
            rows.clear();
        }
    }
    if db.backend() == crate::db::Backend::Postgres {
        // Ids were given explicitly: move the identity past them.
        sqlx::query("SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT MAX(id) FROM products))").execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

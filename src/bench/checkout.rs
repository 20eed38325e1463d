//! `zhunong bench checkout`: buyers place orders of 1 to 3 lines (1 to 5
//! units each, random products, each with its own Idempotency-Key) over
//! HTTP at 16 and 64 concurrent clients, then 300 buyers race for a
//! product with 100 units. Reports orders/s and latency percentiles, and
//! checks what must never happen: a 5xx, or a lot allocated beyond its
//! quantity.

use super::{fresh_demo, percentile};
use crate::config::Config;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECONDS_PER_LEVEL: u64 = 15;
/// Units each product gets for the run, so stock never runs out.
const STOCK_PER_PRODUCT: i64 = 10_000_000;

/// Runs the checkout benchmark and prints a Markdown report.
pub async fn checkout(mut config: Config) -> anyhow::Result<()> {
    // One buyer places every order and pays none: the per-buyer cap on
    // unpaid holds would refuse most of them. The bench measures placement,
    // so the cap is lifted (100% of what is on offer).
    config.hold_share_percent = 100;
    let (app, dir) = fresh_demo(config).await?;
    let db = app.state.db.clone();
    let products = stock_everything(&app).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = app.router();
    // The product's own listener; the load generator is one address with
    // hundreds of connections, so the per-address cap is lifted.
    let limits = crate::serve::Limits { per_address: usize::MAX, ..crate::serve::Limits::of(&app.state.config) };
    let server = tokio::spawn(crate::serve::serve(listener, router, limits, std::future::pending()));
    let client = reqwest::Client::builder().pool_max_idle_per_host(512).timeout(Duration::from_secs(60)).build()?;
    // Partner-city buyers have no approval limit: every order goes straight
    // to awaiting payment, the common path.
    let token = login(&client, &base, "buyer@partner.zhunong.demo").await?;

    println!("## Checkout benchmark — {:?} database\n", db.backend());
    println!("Orders of 1–3 lines (1–5 units of random products), each with an Idempotency-Key, {SECONDS_PER_LEVEL} s per level.\n");
    println!("| buyers | orders | orders/s | p50 ms | p95 ms | p99 ms | 409 | 5xx | no answer |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for buyers in [16usize, 64] {
        let r = load(&client, &base, &token, &products, buyers).await;
        println!(
            "| {buyers} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
            r.latencies.len(),
            r.latencies.len() as f64 / r.seconds,
            percentile(&r.latencies, 0.50),
            percentile(&r.latencies, 0.95),
            percentile(&r.latencies, 0.99),
            r.conflicts,
            r.server_errors,
            r.no_answer
        );
    }

    // 300 single-unit orders racing for 100 units.
    let scarce = products[0];
    sqlx::query("UPDATE lots SET quantity = allocated WHERE product_id = $1").bind(scarce).execute(db.pool()).await?;
    sqlx::query("UPDATE lots SET quantity = allocated + 100 WHERE id = (SELECT MAX(id) FROM lots WHERE product_id = $1)")
        .bind(scarce)
        .execute(db.pool())
        .await?;
    let before: i64 = allocated(&db, scarce).await?;
    let started = Instant::now();
    let race: Vec<_> = (0..300)
        .map(|i| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            tokio::spawn(async move { place(&client, &base, &token, &[(scarce, 1)], &format!("race-{i}")).await.0 })
        })
        .collect();
    let (mut created, mut conflicts, mut other) = (0, 0, 0);
    for t in race {
        match t.await? {
            201 => created += 1,
            409 => conflicts += 1,
            _ => other += 1,
        }
    }
    let race_ms = started.elapsed().as_secs_f64() * 1000.0;
    let taken = allocated(&db, scarce).await? - before;
    println!(
        "\n300 buyers racing for 100 units: {created} × 201, {conflicts} × 409, {other} other, {taken} units allocated, in {race_ms:.0} ms."
    );

    let oversold: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lots WHERE allocated > quantity").fetch_one(db.pool()).await?;
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM lots t WHERE t.allocated <> CAST(COALESCE((SELECT SUM(a.quantity) FROM allocations a JOIN order_lines l ON l.id = a.line_id \
         JOIN orders o ON o.id = l.order_id WHERE a.lot_id = t.id AND o.status <> 'cancelled'), 0) AS BIGINT)",
    )
    .fetch_one(db.pool())
    .await?;
    println!("Lots allocated beyond their quantity: {oversold}. Lots whose allocated units differ from their allocations: {orphans}.");
    server.abort();
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(oversold == 0 && orphans == 0 && created == 100 && taken == 100 && other == 0, "an invariant broke under load");
    Ok(())
}

/// Gives every product a big fresh lot (from one member household of its
/// cooperative) and returns the products.
async fn stock_everything(app: &crate::app::App) -> anyhow::Result<Vec<i64>> {
    let lots = super::big_lots(&app.state.db, STOCK_PER_PRODUCT).await?;
    app.state.indexer.drain().await?;
    Ok(lots.into_iter().map(|(p, _)| p).collect())
}

pub(super) async fn login(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let res: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": crate::demo::DEMO_PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    res["token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("{email} cannot sign in: {res}"))
}

async fn allocated(db: &crate::db::Db, product: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT CAST(COALESCE(SUM(allocated), 0) AS BIGINT) FROM lots WHERE product_id = $1")
        .bind(product)
        .fetch_one(db.pool())
        .await
}

/// Places one order; the status (0 when no answer came) and the latency in ms.
async fn place(client: &reqwest::Client, base: &str, token: &str, lines: &[(i64, i64)], key: &str) -> (u16, f64) {
    let body = serde_json::json!({
        "lines": lines.iter().map(|(p, q)| serde_json::json!({"product_id": p.to_string(), "quantity": q})).collect::<Vec<_>>(),
        "delivery": {"region_code": "500103000000", "address": "重庆市渝中区解放碑1号", "contact_name": "陈工", "phone": "023-63801234"},
        "payment_method": "invoice",
    });
    let started = Instant::now();
    let status =
        match client.post(format!("{base}/api/v1/orders")).bearer_auth(token).header("idempotency-key", key).json(&body).send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                let _ = res.bytes().await;
                status
            }
            Err(e) => {
                eprintln!("no answer: {e}");
                0
            }
        };
    (status, started.elapsed().as_secs_f64() * 1000.0)
}

struct LoadResult {
    latencies: Vec<f64>,
    conflicts: usize,
    server_errors: usize,
    no_answer: usize,
    seconds: f64,
}

async fn load(client: &reqwest::Client, base: &str, token: &str, products: &[i64], buyers: usize) -> LoadResult {
    let products = Arc::new(products.to_vec());
    let deadline = Instant::now() + Duration::from_secs(SECONDS_PER_LEVEL);
    let started = Instant::now();
    let tasks: Vec<_> = (0..buyers)
        .map(|b| {
            let (client, base, token, products) = (client.clone(), base.to_owned(), token.to_owned(), products.clone());
            tokio::spawn(async move {
                let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (b as u64 + 1);
                let mut next = move |n: usize| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((seed >> 33) as usize) % n
                };
                let (mut latencies, mut conflicts, mut server_errors, mut no_answer) = (Vec::new(), 0, 0, 0);
                let mut i = 0;
                while Instant::now() < deadline {
                    let mut lines: Vec<(i64, i64)> = Vec::new();
                    for _ in 0..1 + next(3) {
                        let p = products[next(products.len())];
                        if !lines.iter().any(|(q, _)| *q == p) {
                            lines.push((p, 1 + next(5) as i64));
                        }
                    }
                    let (status, ms) = place(&client, &base, &token, &lines, &format!("bench-{buyers}-{b}-{i}")).await;
                    i += 1;
                    match status {
                        201 => latencies.push(ms),
                        409 => conflicts += 1,
                        0 => no_answer += 1,
                        s => {
                            eprintln!("unexpected status {s}");
                            server_errors += 1
                        }
                    }
                }
                (latencies, conflicts, server_errors, no_answer)
            })
        })
        .collect();
    let mut r = LoadResult { latencies: Vec::new(), conflicts: 0, server_errors: 0, no_answer: 0, seconds: 0.0 };
    for t in tasks {
        if let Ok((l, c, e, n)) = t.await {
            r.latencies.extend(l);
            r.conflicts += c;
            r.server_errors += e;
            r.no_answer += n;
        }
    }
    r.seconds = started.elapsed().as_secs_f64();
    r.latencies.sort_by(f64::total_cmp);
    r
}

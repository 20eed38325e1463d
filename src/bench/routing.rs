//! `zhunong bench routing`: route and consolidate 100,000 released order
//! lines over the demo's real prefectures (喀什, 昌都, 恩施) and their
//! chain of nodes, then 10,000 shipment scans over HTTP at 16 clients.
//!
//! The lines are written straight into the database first (not measured):
//! orders already paid and released, each line holding units of one big
//! lot per product at the product's village point, delivered to random
//! villages of the three prefectures and to 重庆市渝中区. Then routing
//! writes every route, leg and shipment as payment does, in batches of 500
//! orders per transaction — that is the figure. For the scans, 5,000 of
//! the orders go to their own township: once their first shipments are
//! dispatched and received (not measured), each waits at the township
//! centre in a shipment of its own to the buyer, and 16 clients scan those
//! 5,000 shipments dispatched and then delivered. On PostgreSQL the tables
//! are analysed after each bulk step, as autovacuum would have.

use super::{fresh_demo, percentile};
use crate::config::Config;
use std::time::{Duration, Instant};

const LINES: usize = 100_000;
const SCAN_ORDERS: usize = 5_000;
const CLIENTS: usize = 16;

/// Runs the routing benchmark and prints a Markdown report.
pub async fn routing(config: Config) -> anyhow::Result<()> {
    let (app, dir) = fresh_demo(config).await?;
    let db = app.state.db.clone();
    let started = Instant::now();
    let (orders, scan_orders) = released_lines(&db).await?;
    analyze(&db).await?;
    let setup = started.elapsed().as_secs_f64();

    println!("## Routing benchmark — {:?} database\n", db.backend());
    println!("{LINES} released lines in {} orders written in {setup:.1} s (setup, not measured).\n", orders.len());
    let now = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    let mut routes = 0;
    for chunk in orders.chunks(500) {
        let mut tx = db.begin_write().await?;
        routes += crate::distribution::routing::route_orders(&mut tx, chunk, now).await?;
        tx.commit().await?;
    }
    let routing_s = started.elapsed().as_secs_f64();
    analyze(&db).await?;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await }
    };
    let (legs, shipments) = (count("SELECT COUNT(*) FROM route_legs").await?, count("SELECT COUNT(*) FROM shipments").await?);
    println!("| step | lines | routes | legs | shipments | seconds | lines/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!("| route + consolidate | {LINES} | {routes} | {legs} | {shipments} | {routing_s:.2} | {:.0} |", LINES as f64 / routing_s);

    // The scan orders' first shipments leave their village points and
    // arrive at their township (or county) centres: not measured.
    let admin = crate::auth::actor_of(&db, "admin@zhunong.demo").await?.ok_or_else(|| anyhow::anyhow!("no demo admin"))?;
    let firsts: Vec<(String, i64, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT DISTINCT s.code, s.from_node_id, s.to_node_id FROM shipments s JOIN route_legs g ON g.shipment_id = s.id \
         JOIN routes r ON r.id = g.route_id JOIN order_lines l ON l.id = r.line_id WHERE g.seq = 1 AND s.to_node_id IS NOT NULL \
           AND l.order_id IN ({})",
        scan_orders.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(",")
    ))
    .fetch_all(db.pool())
    .await?;
    let at = time::OffsetDateTime::now_utc();
    for (code, from, to) in &firsts {
        for (node, event) in [
            (*from, crate::distribution::shipments::ScanEvent::Dispatched),
            (to.unwrap_or(*from), crate::distribution::shipments::ScanEvent::Received),
        ] {
            crate::orders::scan(&db, &admin, crate::orders::ScanRequest { code, node_id: node, event, at }, None)
                .await
                .map_err(|e| anyhow::anyhow!("setting up the scans: {event} {code}: {e}"))?;
        }
    }
    let to_buyer: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT DISTINCT s.code, s.from_node_id FROM shipments s WHERE s.to_order_id IN ({}) AND s.status = 'open'",
        scan_orders.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(",")
    ))
    .fetch_all(db.pool())
    .await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let limits = crate::serve::Limits { per_address: usize::MAX, ..crate::serve::Limits::of(&app.state.config) };
    let server = tokio::spawn(crate::serve::serve(listener, app.router(), limits, std::future::pending()));
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).timeout(Duration::from_secs(60)).build()?;
    let token = super::checkout::login(&client, &base, "admin@zhunong.demo").await?;
    let per_client = to_buyer.len().div_ceil(CLIENTS).max(1);
    let started = Instant::now();
    let tasks: Vec<_> = to_buyer
        .chunks(per_client)
        .map(|mine| {
            let (client, base, token, mine) = (client.clone(), base.clone(), token.clone(), mine.to_vec());
            tokio::spawn(async move {
                let (mut latencies, mut refused, mut failed) = (Vec::new(), 0usize, 0usize);
                for (code, node) in mine {
                    for event in ["dispatched", "delivered"] {
                        let t = Instant::now();
                        let body = serde_json::json!({"node_id": node.to_string(), "event": event});
                        match client.post(format!("{base}/api/v1/shipments/{code}/scans")).bearer_auth(&token).json(&body).send().await {
                            Ok(res) => {
                                let status = res.status().as_u16();
                                let _ = res.bytes().await;
                                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                                match status {
                                    201 => {}
                                    400..=499 => refused += 1,
                                    _ => failed += 1,
                                }
                            }
                            Err(_) => failed += 1,
                        }
                    }
                }
                (latencies, refused, failed)
            })
        })
        .collect();
    let (mut latencies, mut refused, mut failed) = (Vec::new(), 0, 0);
    for t in tasks {
        let (l, r, f) = t.await?;
        latencies.extend(l);
        refused += r;
        failed += f;
    }
    let scan_s = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    println!("\n| scans | clients | scans/s | p50 ms | p95 ms | p99 ms | 4xx | 5xx or no answer |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {CLIENTS} | {:.0} | {:.1} | {:.1} | {:.1} | {refused} | {failed} |",
        latencies.len(),
        latencies.len() as f64 / scan_s,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99)
    );
    let delivered: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM orders WHERE status = 'delivered' AND id IN ({})",
        scan_orders.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(",")
    ))
    .fetch_one(db.pool())
    .await?;
    println!("\nOrders delivered by the scans: {delivered} of {}.", scan_orders.len());
    server.abort();
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(refused == 0 && failed == 0, "scans were refused or failed");
    anyhow::ensure!(delivered as usize == scan_orders.len(), "not every scanned order was delivered");
    Ok(())
}

/// On PostgreSQL, fresh statistics after a bulk write — what autovacuum
/// does within its minute in a running system (the tables went from empty
/// to 100,000 rows in seconds, and plans made for empty tables scan them).
/// SQLite plans without statistics, as in production.
async fn analyze(db: &crate::db::Db) -> anyhow::Result<()> {
    if db.backend() == crate::db::Backend::Postgres {
        sqlx::query("ANALYZE").execute(db.pool()).await?;
    }
    Ok(())
}

/// Writes `LINES` released lines (and their orders and allocations) and
/// returns every order, and the orders meant for the scans.
async fn released_lines(db: &crate::db::Db) -> anyhow::Result<(Vec<i64>, Vec<i64>)> {
    // One big lot per product at its demo lots' node (where its village
    // point is), from one member.
    let products: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT p.id, p.cooperative_id, n.region_code FROM products p JOIN lots t ON t.id = (SELECT MIN(id) FROM lots WHERE product_id = p.id) \
         JOIN nodes n ON n.id = t.node_id WHERE p.active = 1 ORDER BY p.id",
    )
    .fetch_all(db.pool())
    .await?;
    let lots: std::collections::HashMap<i64, i64> = super::big_lots(db, 10_000_000).await?.into_iter().collect();
    let villages: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM regions WHERE level = 'village' AND (code LIKE '6531%' OR code LIKE '5403%' OR code LIKE '4228%') ORDER BY code",
    )
    .fetch_all(db.pool())
    .await?;
    let (buyer_org, buyer_user): (i64, i64) =
        sqlx::query_as("SELECT org_id, id FROM users WHERE email = 'buyer@partner.zhunong.demo'").fetch_one(db.pool()).await?;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    // (delivery region, [(product index, quantity)]) per order.
    let mut plan: Vec<(String, Vec<(usize, i64)>)> = Vec::new();
    for _ in 0..SCAN_ORDERS {
        let p = next(products.len());
        let township = format!("{}000", &products[p].2[..9]);
        plan.push((township, vec![(p, 1 + next(3) as i64)]));
    }
    let mut lines = SCAN_ORDERS;
    while lines < LINES {
        let region = if next(5) == 0 { "500103000000".to_owned() } else { villages[next(villages.len())].clone() };
        let (a, b) = (next(products.len()), next(products.len()));
        let mut order = vec![(a, 1 + next(5) as i64)];
        if b != a && lines + 1 < LINES {
            order.push((b, 1 + next(5) as i64));
        }
        lines += order.len();
        plan.push((region, order));
    }
    let prices: Vec<i64> = {
        let mut v = Vec::with_capacity(products.len());
        for (p, _, _) in &products {
            v.push(
                sqlx::query_scalar("SELECT MAX(unit_price_fen) FROM price_tiers WHERE product_id = $1")
                    .bind(p)
                    .fetch_one(db.pool())
                    .await?,
            );
        }
        v
    };
    let now = crate::time::now();
    let mut order_ids = Vec::with_capacity(plan.len());
    let mut tx = db.begin_write().await?;
    for (chunk_no, chunk) in plan.chunks(500).enumerate() {
        let sql = format!(
            "INSERT INTO orders (number, buyer_org_id, buyer_user_id, status, payment_method, delivery_region_code, delivery_address, \
                                 contact_name, phone, note, total_fen, created_at, updated_at, released_at, paid_at) VALUES {}",
            crate::db::batch_placeholders(db.backend(), chunk.len(), 15)
        );
        let mut q = sqlx::query(&sql);
        for (i, (region, order)) in chunk.iter().enumerate() {
            let total: i64 = order.iter().map(|(p, n)| prices[*p] * n).sum();
            q = q
                .bind(format!("BENCH-{chunk_no:04}-{i:03}"))
                .bind(buyer_org)
                .bind(buyer_user)
                .bind("paid")
                .bind("invoice")
                .bind(region)
                .bind("重庆市渝中区解放碑1号")
                .bind("陈工")
                .bind("023-63801234")
                .bind("")
                .bind(total)
                .bind(&now)
                .bind(&now)
                .bind(&now)
                .bind(&now);
        }
        q.execute(&mut *tx).await?;
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM orders WHERE number LIKE $1 ORDER BY number")
            .bind(format!("BENCH-{chunk_no:04}-%"))
            .fetch_all(&mut *tx)
            .await?;
        let mut rows = Vec::new();
        for (id, (_, order)) in ids.iter().zip(chunk) {
            for (p, n) in order {
                rows.push((*id, *p, *n));
            }
        }
        let sql = format!(
            "INSERT INTO order_lines (order_id, product_id, cooperative_id, quantity, unit_price_fen, amount_fen) VALUES {}",
            crate::db::batch_placeholders(db.backend(), rows.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for (order, p, n) in &rows {
            q = q.bind(order).bind(products[*p].0).bind(products[*p].1).bind(n).bind(prices[*p]).bind(prices[*p] * n);
        }
        q.execute(&mut *tx).await?;
        let first = ids.first().copied().unwrap_or(0);
        let last = ids.last().copied().unwrap_or(0);
        let line_rows: Vec<(i64, i64, i64)> =
            sqlx::query_as("SELECT id, product_id, quantity FROM order_lines WHERE order_id BETWEEN $1 AND $2 ORDER BY id")
                .bind(first)
                .bind(last)
                .fetch_all(&mut *tx)
                .await?;
        let sql = format!(
            "INSERT INTO allocations (line_id, lot_id, quantity) VALUES {}",
            crate::db::batch_placeholders(db.backend(), line_rows.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (line, product, n) in &line_rows {
            q = q.bind(line).bind(lots.get(product).copied().unwrap_or_default()).bind(n);
        }
        q.execute(&mut *tx).await?;
        order_ids.extend(ids);
    }
    sqlx::query(
        "UPDATE lots SET allocated = CAST(COALESCE((SELECT SUM(a.quantity) FROM allocations a WHERE a.lot_id = lots.id), 0) AS BIGINT) \
         WHERE quantity = 10000000",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let scan_orders = order_ids[..SCAN_ORDERS].to_vec();
    Ok((order_ids, scan_orders))
}

//! `zhunong bench reports`: the reports an official opens, at prefecture
//! scale (issue 13 §5), over HTTP against the real router at 1 and 16
//! clients, signed in as the official of 喀什地区 (so every request goes
//! through the tenancy checks):
//!
//! - the regional rollup drilled down: the prefecture's counties, a
//!   county's townships, a township's villages (target p99 < 100 ms);
//! - one household's report (p99 < 20 ms);
//! - the first page of the household report of a county, by gross sales
//!   (p99 < 200 ms);
//! - the monitoring counts of the prefecture (p99 < 200 ms);
//! - the XLSX export of the households of the county with the most of
//!   them (200,114 at prefecture scale) and of the county nearest 100,000
//!   households (125,718): under 10 s, peak RSS under 300 MB.
//!
//! The data set (`zhunong demo --scale`) takes many minutes to build, so
//! it is kept and reused: the database is `DATABASE_URL` when set (an
//! empty one is filled first; one holding the data set of this scale is
//! reused; anything else is refused), else the SQLite file
//! `<ZHUNONG_DATA_DIR>/bench-reports-<scale>.db`, built on the first run.
//! Reports are over this China calendar year (whole months: the monthly
//! totals), the year the data set's last 14 months mostly fall in.
//!
//! The server and the load generator share the process and the machine's
//! cores: the figures are a floor. A report whose endpoint answers 404
//! (not on this build) is listed as missing, not failed.

use super::{Connection, percentile};
use crate::config::Config;
use crate::demo::scale::{self, Scale};
use std::time::{Duration, Instant};

/// Seconds per scenario and level of clients.
const SECONDS: u64 = 10;
/// At most this many requests per scenario and level.
const MAX_REQUESTS: usize = 5_000;

/// A report to load and its target.
struct Scenario {
    name: &'static str,
    /// p99 target in ms.
    target_ms: f64,
    /// The paths asked, in turn.
    paths: Vec<String>,
}

/// What one level of load gave.
struct Measured {
    latencies: Vec<f64>,
    errors: usize,
    seconds: f64,
    first_error: Option<String>,
}

/// Runs the benchmark at `scale` and prints a Markdown report.
pub async fn reports(mut config: Config, scale: Scale) -> anyhow::Result<()> {
    if std::env::var("DATABASE_URL").is_err() {
        let path = config.data_dir.join(format!("bench-reports-{}.db", scale.name));
        config.database_url = crate::config::Secret::new(format!("sqlite://{}?mode=rwc", path.display()));
    }
    let app = crate::app::build(config).await?;
    let db = app.state.db.clone();
    let backend = db.backend();
    println!("## Reports benchmark — {backend:?} database, {} scale\n", scale.name);
    match db.meta("demo.scale").await? {
        Some(name) if name == scale.name => {
            println!("Reusing the {} data set already in the database.\n", scale.name);
        }
        None if crate::demo::database_is_empty(&db).await? => {
            let started = Instant::now();
            let mut last = Instant::now();
            let built = scale::build(&db, &scale, |p| {
                if p.done >= p.total || last.elapsed() > Duration::from_secs(10) {
                    last = Instant::now();
                    eprintln!("{}: {}/{} ({:.0} s)", p.step, p.done, p.total, started.elapsed().as_secs_f64());
                }
            })
            .await?;
            println!(
                "Built the {} data set in {:.0} s: {} households, {} products, {} orders, {} ledger entries.\n",
                scale.name,
                started.elapsed().as_secs_f64(),
                built.households,
                built.products,
                built.orders,
                built.entries
            );
        }
        other => anyhow::bail!(
            "the database holds {}; give an empty database or one built with --scale {}",
            other.map_or("other data".to_owned(), |n| format!("the {n} data set")),
            scale.name
        ),
    }
    if backend == crate::db::Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(db.pool()).await?;
    }
    let size = scale::database_size(&db).await?;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await }
    };
    println!(
        "{} households, {} products, {} ledger entries, {} household-month and {} region-month totals; database {:.2} GB.\n",
        count("SELECT COUNT(*) FROM households").await?,
        count("SELECT COUNT(*) FROM products").await?,
        count("SELECT COUNT(*) FROM attribution_entries").await?,
        count("SELECT COUNT(*) FROM ledger_household_months").await?,
        count("SELECT COUNT(*) FROM ledger_region_months").await?,
        size as f64 / 1e9
    );

    // What the official asks about: this China year, the county with the
    // most households, its townships, and households with sales.
    let year = crate::time::china_today().year();
    let period = format!("from={year}-01-01&to={year}-12-31");
    let (county, households): (String, i64) = sqlx::query_as(
        "SELECT substr(village_code, 1, 6) || '000000', COUNT(*) FROM households WHERE village_code LIKE '6531%' \
         GROUP BY substr(village_code, 1, 6) ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let counties: Vec<String> = sqlx::query_scalar("SELECT code FROM regions WHERE parent_code = $1 ORDER BY code")
        .bind(scale::PREFECTURE)
        .fetch_all(db.pool())
        .await?;
    let townships: Vec<String> =
        sqlx::query_scalar("SELECT code FROM regions WHERE level = 'township' AND code LIKE '6531%' ORDER BY code")
            .fetch_all(db.pool())
            .await?;
    let with_sales: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT household_id FROM ledger_household_months WHERE month = '{year}-{:02}' GROUP BY household_id ORDER BY household_id",
        crate::time::china_today().month() as u8
    ))
    .fetch_all(db.pool())
    .await?;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let mut drill = Vec::new();
    for _ in 0..60 {
        let c = &counties[next(counties.len())];
        let mine: Vec<&String> = townships.iter().filter(|t| t[..6] == c[..6]).collect();
        drill.push(format!("/api/v1/reports/regions?parent={}&{period}", scale::PREFECTURE));
        drill.push(format!("/api/v1/reports/regions?parent={c}&{period}"));
        if !mine.is_empty() {
            drill.push(format!("/api/v1/reports/regions?parent={}&{period}", mine[next(mine.len())]));
        }
    }
    let one: Vec<String> =
        (0..2_000).map(|_| format!("/api/v1/reports/households/{}?{period}", with_sales[next(with_sales.len())])).collect();
    let scenarios = vec![
        Scenario { name: "regions: prefecture → county → township", target_ms: 100.0, paths: drill },
        Scenario { name: "one household", target_ms: 20.0, paths: one },
        Scenario {
            name: "households of a county, top 50 by sales",
            target_ms: 200.0,
            paths: counties
                .iter()
                .map(|c| format!("/api/v1/reports/households?region={c}&sort=-gross_sales&per_page=50&{period}"))
                .collect(),
        },
        Scenario {
            name: "monitoring counts, prefecture",
            target_ms: 200.0,
            paths: vec![format!("/api/v1/reports/monitoring?region={}&year={year}", scale::PREFECTURE)],
        },
    ];

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let limits = crate::serve::Limits { per_address: usize::MAX, ..crate::serve::Limits::of(&app.state.config) };
    let server = tokio::spawn(crate::serve::serve(listener, app.router(), limits, std::future::pending()));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;
    let token = super::checkout::login(&client, &format!("http://{addr}"), scale::OFFICIAL).await?;

    println!("Signed in as {}; {year}, county {county} ({households} households).\n", scale::OFFICIAL);
    println!("| report | clients | requests | req/s | p50 ms | p99 ms | max ms | target p99 | met | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    let mut missed = Vec::new();
    for s in &scenarios {
        let mut probe = Connection::open(addr).await?.signed(&token);
        let (status, body) = probe.get(&s.paths[0]).await?;
        if missing(status, &body) {
            println!("| {} | – | – | – | – | – | – | {:.0} ms | not on this build | – |", s.name, s.target_ms);
            continue;
        }
        // Warm-up: each distinct path once (at most 50).
        for p in s.paths.iter().take(50) {
            let _ = probe.get(p).await?;
        }
        for clients in [1, 16] {
            let m = load(addr, &token, &s.paths, clients).await?;
            let (p50, p99) = (percentile(&m.latencies, 0.5), percentile(&m.latencies, 0.99));
            let met = p99 < s.target_ms && m.errors == 0;
            if !met {
                missed.push(format!("{} at {clients}", s.name));
            }
            println!(
                "| {} | {clients} | {} | {:.0} | {p50:.1} | {p99:.1} | {:.1} | {:.0} ms | {} | {} |",
                s.name,
                m.latencies.len(),
                m.latencies.len() as f64 / m.seconds,
                m.latencies.last().copied().unwrap_or(0.0),
                s.target_ms,
                if met { "yes" } else { "**no**" },
                m.errors
            );
            if let Some(e) = m.first_error {
                eprintln!("{}: {e}", s.name);
            }
        }
    }

    // The export: one client, twice per county. Peak resident memory of this
    // process (server and generator) during each: VmHWM, reset before each
    // run. On SQLite it counts the database file's pages that the pool's
    // connections map (up to 256 MiB each, shared with the OS cache, and
    // resident before the export starts: the column "file-backed at the
    // start"), so the target is judged on the anonymous part — what the
    // export itself allocates — sampled every 10 ms.
    // Twice: the county with the most households, and the one nearest
    // the target's 100,000 rows.
    let nearest: (String, i64) = sqlx::query_as(
        "SELECT substr(village_code, 1, 6) || '000000', COUNT(*) FROM households WHERE village_code LIKE '6531%' \
         GROUP BY substr(village_code, 1, 6) ORDER BY ABS(COUNT(*) - 100000), 1 LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    println!("\n| export | rows | bytes | seconds | peak RSS MB | file-backed at the start MB | anonymous peak MB | target |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let mut connection = Connection::open(addr).await?.signed(&token);
    for (county, households, run) in
        [(&county, households, 1), (&county, households, 2), (&nearest.0, nearest.1, 1), (&nearest.0, nearest.1, 2)]
    {
        let export = format!("/api/v1/reports/households?region={county}&format=xlsx&{period}");
        reset_peak_rss();
        let file_backed = status_mib("RssFile:");
        let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = {
            let sampling = sampling.clone();
            tokio::task::spawn_blocking(move || {
                let mut peak: f64 = 0.0;
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(status_mib("RssAnon:"));
                    std::thread::sleep(Duration::from_millis(10));
                }
                peak
            })
        };
        let t = Instant::now();
        let (status, body) = connection.get(&export).await?;
        let seconds = t.elapsed().as_secs_f64();
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        let anonymous = sampler.await?;
        let peak = status_mib("VmHWM:");
        // Before the exports land, `format=xlsx` is refused as a choice.
        if run == 1
            && (missing(status, &body)
                || (status == hyper::StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8_lossy(&body).contains("format")))
        {
            println!("| XLSX, county {county} | {households} | – | – | – | – | – | not on this build |");
            break;
        }
        let ok = status.is_success() && body.starts_with(b"PK");
        let met = ok && seconds < 10.0 && anonymous < 300.0;
        if !met {
            missed.push(format!("export of {county} run {run} ({status})"));
        }
        println!(
            "| XLSX, county {county} (run {run}) | {households} | {} | {seconds:.2} | {peak:.0} | {file_backed:.0} | {anonymous:.0} | < 10 s, < 300 MB: {} |",
            body.len(),
            if met { "yes" } else { "**no**" }
        );
    }
    server.abort();
    db.close().await;
    if !missed.is_empty() {
        println!("\nMissed: {}.", missed.join("; "));
    }
    Ok(())
}

/// True when the router has no such endpoint (the answer of its fallback,
/// not a report's own 404 for, say, an unknown household).
fn missing(status: hyper::StatusCode, body: &[u8]) -> bool {
    status == hyper::StatusCode::NOT_FOUND && String::from_utf8_lossy(body).contains("endpoint not found")
}

/// `clients` connections asking `paths` in turn (each starting elsewhere)
/// for [`SECONDS`] or [`MAX_REQUESTS`] requests in all.
async fn load(addr: std::net::SocketAddr, token: &str, paths: &[String], clients: usize) -> anyhow::Result<Measured> {
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let paths = std::sync::Arc::new(paths.to_vec());
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (paths, token) = (paths.clone(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(addr).await?.signed(&token);
            let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0, None);
            let mut i = c * paths.len() / clients;
            while Instant::now() < deadline && latencies.len() + errors < MAX_REQUESTS / clients {
                let path = &paths[i % paths.len()];
                i += 1;
                let t = Instant::now();
                match connection.get(path).await {
                    Ok((status, _)) if status.is_success() => latencies.push(t.elapsed().as_secs_f64() * 1000.0),
                    Ok((status, body)) => {
                        errors += 1;
                        first_error
                            .get_or_insert_with(|| format!("{path}: {status} {}", String::from_utf8_lossy(&body[..body.len().min(300)])));
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{path}: {e}"));
                        connection = Connection::open(addr).await?.signed(&token);
                    }
                }
            }
            anyhow::Ok((latencies, errors, first_error))
        }));
    }
    let mut m = Measured { latencies: Vec::new(), errors: 0, seconds: 0.0, first_error: None };
    for t in tasks {
        let (l, e, f) = t.await??;
        m.latencies.extend(l);
        m.errors += e;
        if m.first_error.is_none() {
            m.first_error = f;
        }
    }
    m.seconds = started.elapsed().as_secs_f64();
    m.latencies.sort_by(f64::total_cmp);
    Ok(m)
}

/// Resets this process's peak resident memory (VmHWM) to its current
/// resident memory (Linux: `5` written to `/proc/self/clear_refs`), so the
/// next reading is the peak of what follows.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A memory figure of this process's `/proc/self/status` (`VmHWM:`,
/// `RssAnon:`, …) in MiB.
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

//! The `zhunong` command: `serve` (default), `migrate`, `demo`,
//! `import regions <villages.csv>`, `reindex`, `verify`, `backup`,
//! `restore`, `bench`.

use std::io::{IsTerminal, Write};
use zhunong::config::Config;

const USAGE: &str = "\
zhunong — consumption-support marketplace

USAGE:
    zhunong [serve]                      serve the web UI and API (loads demo data into an empty database)
    zhunong migrate                      apply database migrations and load the shipped regions
    zhunong demo                         load the demo data (does nothing if it is loaded already)
    zhunong demo --scale prefecture      build the prefecture-scale data set of 喀什地区 into an empty database:
                                         1,000,000 households, 100,000 products, 10,000,000 ledger entries
                                         (--scale tenth: a tenth of each); see docs/PERFORMANCE.md
    zhunong import regions <villages.csv> load villages from china-division's villages.csv
    zhunong reindex                      rebuild the search index from the database
    zhunong backup <file>                copy the SQLite database into a new file, consistently, while the server
                                         runs (PostgreSQL: pg_dump; see docs/DEPLOY.md)
    zhunong restore <file>               put a backup in place of the SQLite database, with the server stopped (the
                                         database replaced is kept beside it), then rebuild the search index
    zhunong verify                       recompute every report total from the ledger, and the ledger from the
                                         paid orders and refunds; print differences, exit 1 if there are any
    zhunong bench search                 benchmark search on 100,000 generated products (see docs/PERFORMANCE.md)
    zhunong bench checkout               benchmark order placement at 16 and 64 buyers, and 300 racing for 100 units
    zhunong bench routing                benchmark routing 100,000 released lines, then 10,000 scans at 16 clients
    zhunong bench export [rows]          benchmark exporting 100,000 (or rows) rows as CSV and XLSX (time, peak memory)
    zhunong bench reports [--scale tenth] benchmark the reports at prefecture scale at 1 and 16 clients; builds the
                                         data set into an empty DATABASE_URL (else data/bench-reports-<scale>.db)
                                         on the first run and reuses it after
    zhunong help                         this text

Configuration comes from environment variables (see README.md), e.g.
    DATABASE_URL=postgres://user@localhost/zhunong zhunong serve
";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Err(e) = run(&args).await {
        eprintln!("zhunong: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: &[&str]) -> anyhow::Result<()> {
    match args {
        [] | ["serve"] => serve().await,
        ["migrate"] => {
            let app = build().await?;
            println!("database migrated; regions loaded");
            app.state.db.close().await;
            Ok(())
        }
        ["demo"] => {
            let app = build().await?;
            match zhunong::demo::load(&app.state.db).await? {
                zhunong::demo::Outcome::Loaded { cooperatives, products, households } => {
                    let history = zhunong::demo::history::run(&app.state.db).await?;
                    let orders = zhunong::demo::journeys::run(&app.state.db).await?;
                    println!(
                        "demo loaded: {cooperatives} cooperatives, {products} products, {households} households, \
                         {history} orders over the last year, {orders} orders along the chain"
                    )
                }
                zhunong::demo::Outcome::AlreadyLoaded => {
                    println!("demo already loaded; nothing changed")
                }
            }
            app.state.db.close().await;
            Ok(())
        }
        ["demo", "--scale", name] => {
            let scale =
                zhunong::demo::scale::Scale::named(name).ok_or_else(|| anyhow::anyhow!("unknown scale {name:?}: prefecture or tenth"))?;
            let app = build().await?;
            let result = build_scale(&app.state.db, &scale).await;
            app.state.db.close().await;
            result
        }
        ["import", "regions", path] => import_regions(path).await,
        ["bench", "search"] => {
            init_tracing();
            zhunong::bench::search(Config::from_env()?).await
        }
        ["bench", "routing"] => {
            init_tracing();
            zhunong::bench::routing(Config::from_env()?).await
        }
        ["bench", "reports"] | ["bench", "reports", "--scale", _] => {
            init_tracing();
            let name = args.get(3).copied().unwrap_or("prefecture");
            let scale =
                zhunong::demo::scale::Scale::named(name).ok_or_else(|| anyhow::anyhow!("unknown scale {name:?}: prefecture or tenth"))?;
            zhunong::bench::reports(Config::from_env()?, scale).await
        }
        ["bench", "checkout"] => {
            init_tracing();
            zhunong::bench::checkout(Config::from_env()?).await
        }
        ["verify"] => {
            let app = build().await?;
            let report = zhunong::reports::verify::verify(&app.state.db).await?;
            app.state.db.close().await;
            println!("{} ledger entries", report.entries);
            for check in &report.checks {
                let mark = if check.differences == 0 { "ok  " } else { "FAIL" };
                println!("{mark} {} ({} differences)", check.what, check.differences);
                for example in &check.examples {
                    println!("       {example}");
                }
            }
            if report.is_clean() {
                println!("verify: clean");
                Ok(())
            } else {
                anyhow::bail!("verify found differences")
            }
        }
        ["bench", "export"] => {
            init_tracing();
            zhunong::bench::export(zhunong::bench::EXPORT_ROWS).await
        }
        ["bench", "export", rows] => {
            init_tracing();
            zhunong::bench::export(rows.replace(',', "").parse().map_err(|_| anyhow::anyhow!("bench export: rows must be a number"))?).await
        }
        ["backup", file] => {
            init_tracing();
            let config = Config::from_env()?;
            let started = std::time::Instant::now();
            let b = zhunong::db::backup::backup(config.database_url.expose(), std::path::Path::new(file)).await?;
            println!(
                "backed up {} to {} ({:.1} MB, migration {}) in {:.1}s",
                b.database.display(),
                b.file.display(),
                b.bytes as f64 / 1e6,
                b.migration,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        ["restore", file] => {
            init_tracing();
            let config = Config::from_env()?;
            let r = zhunong::db::backup::restore(config.database_url.expose(), std::path::Path::new(file)).await?;
            println!("restored {file} to {} (migration {})", r.database.display(), r.migration);
            if let Some(kept) = &r.replaced {
                println!("the database it replaced is kept as {}", kept.display());
            }
            // The search index holds what the replaced database said.
            let rebuilt = async {
                let app = zhunong::app::build(config).await?;
                let n = app.state.indexer.reindex().await?;
                app.state.db.close().await;
                anyhow::Ok(n)
            };
            match rebuilt.await {
                Ok(n) => {
                    println!("search index rebuilt: {n} products");
                    Ok(())
                }
                Err(e) => anyhow::bail!("the database is restored but the search index was not rebuilt ({e:#}): run `zhunong reindex`"),
            }
        }
        ["reindex"] => {
            let app = build().await?;
            let started = std::time::Instant::now();
            let n = app.state.indexer.reindex().await?;
            println!("search index ({}) rebuilt: {n} products in {:.1}s", app.state.search.name(), started.elapsed().as_secs_f64());
            app.state.db.close().await;
            Ok(())
        }
        ["help"] | ["--help"] | ["-h"] => {
            print!("{USAGE}");
            Ok(())
        }
        ["--version"] | ["-V"] => {
            println!("zhunong {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        _ => {
            eprint!("{USAGE}");
            anyhow::bail!("unknown command: {}", args.join(" "))
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZHUNONG_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

async fn build() -> anyhow::Result<zhunong::app::App> {
    init_tracing();
    let config = Config::from_env()?;
    zhunong::app::build(config).await
}

async fn serve() -> anyhow::Result<()> {
    let app = build().await?;
    let db = app.state.db.clone();
    // The embedded index is this process's: one such instance per database.
    app.state.indexer.take_database().await?;
    if app.state.config.demo_on_empty && zhunong::demo::database_is_empty(&db).await? {
        tracing::info!("the database is empty: loading the demo data (sign-ins in README.md; set ZHUNONG_DEMO=false to skip)");
        if let zhunong::demo::Outcome::Loaded { .. } = zhunong::demo::load(&db).await? {
            let history = zhunong::demo::history::run(&db).await?;
            tracing::info!(orders = history, "a year of demo sales made");
            let orders = zhunong::demo::journeys::run(&db).await?;
            tracing::info!(orders, "demo orders placed along the chain");
        }
    }
    let indexer = app.state.indexer.clone();
    let products: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE active = 1").fetch_one(db.pool()).await?;
    if products > 0 && zhunong::search::SearchEngine::count(indexer.engine()).await? == 0 {
        let started = std::time::Instant::now();
        let n = indexer.reindex().await?;
        tracing::info!(
            search.engine = indexer.engine().name(),
            products = n,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "built the search index"
        );
    }
    indexer.drain().await?;
    // Background work stops when this turns true (after the listener has
    // drained), finishing what it is doing and giving its claims back.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let indexing = tokio::spawn(indexer.run(stopping.clone()));
    // Refunds whose answer from Stripe was lost when the process stopped
    // are finished now, not a minute from now.
    match zhunong::orders::finish_unanswered(&db, app.state.stripe.as_ref(), time::OffsetDateTime::now_utc()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(refunds = n, "unanswered Stripe refunds finished"),
        Err(e) => tracing::warn!(error = %e, "finishing unanswered Stripe refunds failed; the sweep will retry"),
    }
    let sweeper = zhunong::sweep::Sweeper::new(
        db.clone(),
        app.state.stripe.clone(),
        zhunong::monitoring::Rules::of(&app.state.config),
        zhunong::jobs::instance_id(),
    );
    let sweeping = tokio::spawn(sweeper.run(stopping));
    let bind = app.state.config.bind.clone();
    let listener = tokio::net::TcpListener::bind(&bind).await.map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    tracing::info!(backend = ?db.backend(), instance = zhunong::jobs::instance_id(), "Zhunong serving on http://{}", listener.local_addr()?);
    let writes = app.state.writes.clone();
    // With the peer's address in every request (the sign-in limiter counts
    // failures per client) and the limits on slow and idle connections.
    let limits = zhunong::serve::Limits::of(&app.state.config);
    zhunong::serve::serve(listener, app.router(), limits, shutdown()).await;
    tracing::info!("stopped accepting; finishing background work");
    // Writes whose clients hung up still run in tasks of their own: each
    // ends (commit or rollback) before the database closes.
    writes.idle().await;
    // The indexer finishes its batch, the sweeper its sweep, and both give
    // back their claims and leases, so another instance takes over at once.
    // Bounded: what is still running then is dropped and its claims lapse.
    let _ = stop.send(true);
    if tokio::time::timeout(std::time::Duration::from_secs(BACKGROUND_STOP_SECS), async {
        let _ = indexing.await;
        let _ = sweeping.await;
    })
    .await
    .is_err()
    {
        tracing::warn!("background work still running after {BACKGROUND_STOP_SECS} s; its claims lapse by themselves");
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How long shutdown waits for the indexer's batch and the sweep under way.
const BACKGROUND_STOP_SECS: u64 = 20;

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: no new connections; requests in flight finish");
}

/// Builds a scale data set with a progress bar, then prints what was
/// built, how long each step took and how big the database is.
async fn build_scale(db: &zhunong::db::Db, scale: &zhunong::demo::scale::Scale) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut bar = Bar::new();
    let built = zhunong::demo::scale::build(db, scale, |p| bar.show(p.step, p.done, p.total)).await?;
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    // SQLite's pages are counted once the WAL is in the file.
    if db.backend() == zhunong::db::Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(db.pool()).await?;
    }
    let size = zhunong::demo::scale::database_size(db).await?;
    println!("{} data set of 喀什地区 built ({:?}) in {}:", scale.name, db.backend(), duration(seconds));
    println!(
        "  {} households in {} villages, {} cooperatives, {} products, {} lots",
        built.households, built.villages, built.cooperatives, built.products, built.lots
    );
    println!(
        "  {} orders, {} lines, {} partial refunds, {} ledger entries, {} household-month and {} region-month totals",
        built.orders, built.lines, built.refunds, built.entries, built.household_months, built.region_months
    );
    for (step, s) in &built.steps {
        println!("  {step}: {}", duration(*s));
    }
    println!("  database size: {:.2} GB", size as f64 / 1e9);
    println!("  zhunong verify: clean ({} entries)", built.verified_entries);
    println!("  sign in as {} (password {})", zhunong::demo::scale::OFFICIAL, zhunong::demo::DEMO_PASSWORD);
    Ok(())
}

/// `1h 02m 03s`, `4m 05s`, `6.7s`.
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 3600 {
        format!("{}h {:02}m {:02}s", s / 3600, s % 3600 / 60, s % 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{seconds:.1}s")
    }
}

/// A progress bar on stderr: percent, rows a second and the time left,
/// redrawn in place at most ten times a second on a terminal; in a log, a
/// line every five seconds and at the end of each step.
struct Bar {
    terminal: bool,
    step: String,
    started: std::time::Instant,
    shown: Option<std::time::Instant>,
    last: (u64, u64),
}

impl Bar {
    fn new() -> Bar {
        Bar {
            terminal: std::io::stderr().is_terminal(),
            step: String::new(),
            started: std::time::Instant::now(),
            shown: None,
            last: (0, 0),
        }
    }

    fn show(&mut self, step: &str, done: u64, total: u64) {
        if step != self.step {
            self.finish();
            self.step = step.to_owned();
            self.started = std::time::Instant::now();
            self.shown = None;
        }
        self.last = (done, total);
        let every = if self.terminal { std::time::Duration::from_millis(100) } else { std::time::Duration::from_secs(5) };
        if done < total && self.shown.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        self.shown = Some(std::time::Instant::now());
        let elapsed = self.started.elapsed().as_secs_f64();
        let percent = (done * 100).checked_div(total).unwrap_or(100).min(100);
        // Rate and time left once there is a second to judge by.
        let rate = done as f64 / elapsed.max(0.001);
        let (speed, eta) = if elapsed < 1.0 {
            (String::new(), String::new())
        } else if done == 0 || done >= total {
            (format!("{rate:.0}/s"), String::new())
        } else {
            (format!("{rate:.0}/s"), format!("  ETA {}", duration((total - done) as f64 / rate)))
        };
        let filled = (percent * 30 / 100) as usize;
        let line = format!(
            "{:<18} [{}{}] {percent:>3}%  {done}/{total}  {speed}  {}{eta}",
            self.step,
            "#".repeat(filled),
            " ".repeat(30 - filled),
            duration(elapsed)
        );
        if self.terminal {
            eprint!("\r{line}\x1b[K");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    }

    /// Ends the current step's line.
    fn finish(&mut self) {
        if self.step.is_empty() {
            return;
        }
        let (done, total) = self.last;
        if self.terminal {
            eprintln!();
        } else if done < total {
            eprintln!("{:<18} stopped at {done}/{total}", self.step);
        }
        self.step.clear();
    }
}

async fn import_regions(path: &str) -> anyhow::Result<()> {
    let app = build().await?;
    let file = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0).max(1);
    let started = std::time::Instant::now();
    // On a terminal the bar redraws in place when the percentage changes; in
    // a log it prints one line every 10 %.
    let terminal = std::io::stderr().is_terminal();
    let mut shown = u64::MAX;
    let report = zhunong::regions::import_villages(&app.state.db, file, |done| {
        let percent = done * 100 / size;
        let step = if terminal { percent } else { percent / 10 * 10 };
        if step == shown {
            return;
        }
        shown = step;
        let filled = (percent * 30 / 100) as usize;
        let bar = format!("[{}{}] {percent:>3}%  {:.1} MB", "#".repeat(filled), " ".repeat(30 - filled.min(30)), done as f64 / 1e6);
        if terminal {
            eprint!("\r{bar}");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{bar}");
        }
    })
    .await?;
    if terminal {
        eprintln!();
    }
    println!(
        "read {} villages in {:.1}s: {} added, {} already present, {} skipped",
        report.read,
        started.elapsed().as_secs_f64(),
        report.added,
        report.already_present,
        report.skipped_count
    );
    for (line, why) in &report.skipped {
        println!("  line {line}: {why}");
    }
    app.state.db.close().await;
    Ok(())
}

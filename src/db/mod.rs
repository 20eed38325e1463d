//! The database: one connection pool through sqlx's `Any` driver, SQLite or
//! PostgreSQL chosen by the URL's scheme, and the migrations of both.
//!
//! Why `Any` and not the native drivers behind an enum: every query in the
//! code base is then written once, against one pool and one transaction
//! type, and runs on both backends. The price is that `Any` carries only
//! integers, floats, text, bytes and booleans, so the schema keeps to those
//! (see the header of `migrations/*/0001_foundation.sql`): money and
//! quantities are BIGINT, times are RFC 3339 text written by Rust, flags are
//! 0/1, and aggregates are `CAST(… AS BIGINT)` because PostgreSQL's `SUM` of
//! a BIGINT is a NUMERIC, which `Any` cannot read. docs/ARCHITECTURE.md has
//! the full reasoning.
//!
//! This module must not know about any domain table. `backup` holds
//! `zhunong backup` and `zhunong restore` (SQLite).

pub mod backup;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file under the data folder.
    Sqlite,
    /// PostgreSQL, for several instances behind a load balancer.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, by its scheme.
    pub fn from_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres://")
        }
    }
}

/// A shared handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Its busy handler makes a blocked
    /// `BEGIN IMMEDIATE` sleep and retry (up to 100 ms a nap), which under
    /// load turns into long, unfair tails; writers of this process queue
    /// here instead, first come first served, and SQLite never sees them
    /// collide. Unused on PostgreSQL.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Woken after the commit of a transaction that asked for it
    /// ([`Tx::wake_after_commit`]): the search outbox's writers ask, and the
    /// indexer waits here, so the index is nudged once per commit by the
    /// transaction itself, not by every handler that wrote.
    committed: Arc<tokio::sync::Notify>,
}

/// A transaction, the same type on both backends: derefs to the
/// connection (`&mut *tx` is an executor) and holds the SQLite writer's
/// turn until it commits, rolls back or is dropped.
pub struct Tx {
    inner: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    backend: Backend,
    committed: Arc<tokio::sync::Notify>,
    wake: bool,
}

impl Tx {
    /// Commits, then wakes [`Db::committed`] if the transaction asked for it.
    pub async fn commit(self) -> sqlx::Result<()> {
        let (wake, committed) = (self.wake, self.committed.clone());
        self.inner.commit().await?;
        if wake {
            committed.notify_one();
        }
        Ok(())
    }

    /// Rolls back.
    pub async fn rollback(self) -> sqlx::Result<()> {
        self.inner.rollback().await
    }

    /// Asks for [`Db::committed`] to be woken once this transaction has
    /// committed (nothing happens if it rolls back). Called by the writers
    /// of the search outbox, so whoever commits their rows nudges the
    /// indexer without knowing it exists.
    pub fn wake_after_commit(&mut self) {
        self.wake = true;
    }

    /// `" FOR UPDATE"` on PostgreSQL, `""` on SQLite, to end a `SELECT`
    /// that reads rows this transaction is about to change on their values.
    ///
    /// `begin_write` serialises writers on SQLite (`BEGIN IMMEDIATE`), which
    /// lacks the clause; on PostgreSQL, under READ COMMITTED, a plain read
    /// would let a concurrent transaction change the rows between the read
    /// and the write. See "Writes on PostgreSQL" in docs/ARCHITECTURE.md.
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Which engine this transaction runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// Connections per pool: `ZHUNONG_DB_POOL` (1 to 256), else `default`.
/// Read here rather than through `Config` because it tunes the machine,
/// not the product.
fn pool_size(default: u32) -> u32 {
    std::env::var("ZHUNONG_DB_POOL").ok().and_then(|v| v.parse().ok()).filter(|n| (1..=256).contains(n)).unwrap_or(default)
}

impl Db {
    /// Connects to `url`; for SQLite, creates the file's folder if needed.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = match backend {
            Backend::Sqlite => {
                if let Some(dir) = sqlite_path(url).and_then(|p| p.parent().map(|d| d.to_owned()))
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                }
                AnyPoolOptions::new()
                    .max_connections(pool_size(8))
                    // A local file does not drop connections: no ping on
                    // every checkout.
                    .test_before_acquire(false)
                    // WAL lets readers run beside the one writer; FULL makes a
                    // commit durable before it is acknowledged (invariant 4);
                    // the busy timeout makes writers queue instead of failing.
                    // Reads map the file (up to 256 MiB) rather than copy
                    // each page out of the OS cache into every connection's
                    // own: 12–49% more searches a second in three
                    // interleaved rounds on the reference machine
                    // (docs/PERFORMANCE.md). Writes still go through the WAL
                    // as before.
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                                 PRAGMA mmap_size = 268435456;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
            }
            // Per instance. On the 2-core reference machine 8 gave the best
            // tail latency at 64 concurrent buyers (16 made p99 worse: more
            // backends than cores only queue inside PostgreSQL); a larger
            // server may want more (ZHUNONG_DB_POOL).
            Backend::Postgres => AnyPoolOptions::new().max_connections(pool_size(8)),
        };
        let pool = options
            .after_release(move |conn, _meta| Box::pin(release_outside_transaction(conn, backend)))
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .with_context(|| format!("connecting to the {backend:?} database"))?;
        Ok(Db { pool, backend, writer: Arc::default(), committed: Arc::default() })
    }

    /// The pool, for reads and single statements.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that will write. On SQLite it takes the write
    /// lock up front (`BEGIN IMMEDIATE`): a deferred transaction that reads
    /// and then writes can fail with SQLITE_BUSY half-way, where an
    /// immediate one simply waits its turn.
    ///
    /// On PostgreSQL it is a plain `BEGIN` (READ COMMITTED): writers run
    /// side by side, and a read-then-write is correct only if it is made so
    /// — a conditional `UPDATE … WHERE`, an `INSERT … ON CONFLICT`, a row
    /// lock ([`Tx::for_update`]) or a constraint. docs/ARCHITECTURE.md,
    /// "Writes on PostgreSQL", lists each one.
    pub async fn begin_write(&self) -> sqlx::Result<Tx> {
        let (inner, turn) = match self.backend {
            Backend::Sqlite => {
                let turn = self.writer.clone().lock_owned().await;
                (self.pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Backend::Postgres => (self.pool.begin().await?, None),
        };
        Ok(Tx { inner, _turn: turn, backend: self.backend, committed: self.committed.clone(), wake: false })
    }

    /// Notified after each commit of a transaction that called
    /// [`Tx::wake_after_commit`]. A notification that finds nobody waiting
    /// is kept for the next wait, so a commit between two waits is not
    /// missed; several commits before a wait make one wake-up.
    pub fn committed(&self) -> Arc<tokio::sync::Notify> {
        self.committed.clone()
    }

    /// Applies the migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await.context("running database migrations")
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes every connection. On SQLite the WAL is first checkpointed
    /// into the main file, so a stopped database is one self-contained
    /// file (safe to copy or back up).
    pub async fn close(&self) {
        if self.backend == Backend::Sqlite
            && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await
        {
            tracing::warn!(error = %e, "WAL checkpoint on close failed");
        }
        self.pool.close().await;
    }

    /// Reads a `meta` value.
    pub async fn meta(&self, key: &str) -> sqlx::Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(&self.pool).await
    }
}

/// Decides, as a connection goes back to the pool, whether it may be
/// reused: only if no transaction is open on it.
///
/// A transaction whose owner was dropped is rolled back by sqlx, but a
/// future cancelled inside `begin` itself (after the database began the
/// transaction, before sqlx handed out the `Transaction` that would end it)
/// leaves the connection in a transaction that nothing ends: on SQLite it
/// then holds the write lock for good and every writer fails with
/// "database is locked" (issue 16, finding 0). Such a connection is closed
/// here instead of reused; closing ends its transaction on both engines.
///
/// sqlx's depth count is the truth here (nothing in this code base begins
/// a transaction behind its back), so the common case costs nothing. Only
/// a connection that still counts a transaction is looked at again: on
/// SQLite the rollback of a dropped transaction is queued to the
/// connection's worker thread, and the ping waits for that queue to drain,
/// so a connection whose rollback was merely pending is kept. On
/// PostgreSQL sqlx counts the depth down as it queues the rollback.
async fn release_outside_transaction(conn: &mut AnyConnection, backend: Backend) -> sqlx::Result<bool> {
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    if backend == Backend::Sqlite {
        conn.ping().await?;
    }
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("a connection came back to the pool inside a transaction; closing it");
    }
    Ok(clean)
}

/// Sets a `meta` value inside a transaction.
pub async fn set_meta(tx: &mut Tx, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// True when `e` is a unique-constraint violation (on either backend).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// True when `e` is a CHECK-constraint violation (on either backend).
pub fn is_check_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_check_violation())
}

/// `$first, $first+1, …`: `n` placeholders for an `IN (…)` list. Binding
/// ids instead of writing them into the text keeps the statement the same
/// for every list of the same length, so each connection prepares it once.
pub fn list_placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `$1, $2, …` placeholders for a multi-row `VALUES` list of `rows` rows of
/// `cols` columns each: `($1, $2), ($3, $4)`.
pub fn values_placeholders(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

/// [`values_placeholders`] for big batches: on SQLite anonymous `?`s, which
/// bind in order. sqlx finds the number of each `$N` parameter through
/// SQLite's parameter-name list, a linear search per parameter, so a
/// statement of thousands of `$N`s binds in quadratic time (the routing
/// benchmark spent 37 % of its time there); anonymous parameters have no
/// names to search. A statement built with this must have no other
/// placeholders.
pub fn batch_placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    match backend {
        Backend::Postgres => values_placeholders(rows, cols),
        Backend::Sqlite => {
            let row = format!("({})", vec!["?"; cols].join(", "));
            vec![row; rows].join(", ")
        }
    }
}

/// The file path inside a `sqlite:` URL, if it names a file.
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_chosen_by_the_url_scheme() {
        assert_eq!(Backend::from_url("sqlite://data/z.db?mode=rwc").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("postgres://u@localhost/z").unwrap(), Backend::Postgres);
        assert_eq!(Backend::from_url("postgresql://u@localhost/z").unwrap(), Backend::Postgres);
        assert!(Backend::from_url("mysql://x").is_err());
    }

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(sqlite_path("sqlite://data/z.db?mode=rwc"), Some("data/z.db".into()));
        assert_eq!(sqlite_path("sqlite:///tmp/a.db"), Some("/tmp/a.db".into()));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(values_placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}

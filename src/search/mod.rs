//! Product search: one small trait, [`SearchEngine`], with two engines — the
//! embedded one (tantivy + jieba, an index under the data folder; the
//! default) and Meilisearch (when `MEILI_URL` is set). Both pass one
//! contract test suite (`tests/api/search_contract.rs`).
//!
//! The index follows the database through a transactional outbox: every
//! write that changes what a product's search document says inserts a
//! `search_outbox` row in the same transaction ([`crate::outbox::enqueue`]),
//! whose commit wakes the [`Indexer`], which drains those rows into the
//! engine. A commit therefore always
//! reaches the index, even if the process dies between commit and indexing:
//! the row is still there when it comes back. `zhunong reindex` rebuilds the
//! index from the database.
//!
//! Engines return product ids, totals and facet values with counts; the
//! caller loads the products from the database (so a result never shows a
//! product the database no longer sells) and labels the facets.

mod docs;
mod embedded;
mod meili;
pub mod page;
mod segment;
mod table;

pub use docs::build_docs;
pub use embedded::EmbeddedEngine;
pub use meili::MeiliEngine;
pub use page::{FacetValue, FacetsOut, SearchPage, SearchPageError, SearchParams, search_page};
pub use segment::{is_latin, query_terms, segments_full};

use crate::catalog::Cards;
use crate::db::Db;
use crate::regions::RegionCode;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;

/// What the engines index about one product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    /// Product id.
    pub id: i64,
    /// Chinese name.
    pub name: String,
    /// English name, if any.
    pub name_en: String,
    /// Free text.
    pub description: String,
    /// Category slug.
    pub category: String,
    /// Category labels (中文 and English), searchable.
    pub category_labels: String,
    /// Origin village, 12 digits.
    pub origin_code: String,
    /// Prefecture of the origin, 12 digits.
    pub prefecture: String,
    /// County of the origin, 12 digits.
    pub county: String,
    /// Codes of every level of the origin (for "paired regions" filters).
    pub origin_ancestors: Vec<String>,
    /// Names of every level of the origin, official and short.
    pub origin_names: String,
    /// Selling cooperative's name.
    pub cooperative: String,
    /// Kinds of the product's valid certificates.
    pub certificates: Vec<String>,
    /// ambient, chilled, frozen
    pub storage: String,
    /// First-tier unit price.
    pub price_fen: i64,
    /// Units available now.
    pub available: i64,
    /// Units sold.
    pub sales_count: i64,
    /// Listing time, seconds since 1970 (for "newest").
    pub created_at: i64,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (ties: newest first); without a query, newest.
    #[default]
    Relevance,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// Best-selling first.
    Sales,
    /// Newest first.
    Newest,
}

named_enum!(Sort { Relevance => "relevance", PriceAsc => "price_asc", PriceDesc => "price_desc", Sales => "sales", Newest => "newest" });

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Words to find (Chinese without spaces, or latin).
    pub q: String,
    /// Category slug.
    pub category: Option<String>,
    /// Prefecture code.
    pub prefecture: Option<RegionCode>,
    /// County code.
    pub county: Option<RegionCode>,
    /// `Some("any")` for any valid certificate, or a certificate kind.
    pub certified: Option<String>,
    /// Storage class.
    pub storage: Option<String>,
    /// Lowest first-tier price.
    pub price_min_fen: Option<i64>,
    /// Highest first-tier price.
    pub price_max_fen: Option<i64>,
    /// Only products with stock.
    pub in_stock: bool,
    /// Only products from inside these regions (a partner city's pairings).
    pub regions: Option<Vec<RegionCode>>,
    /// Order.
    pub sort: Sort,
    /// Results to skip.
    pub offset: usize,
    /// Results to return.
    pub limit: usize,
}

/// One facet value and how many results have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// The value (slug or code).
    pub value: String,
    /// Results with this value.
    pub count: u64,
}

/// Facet counts over the whole result (not just the page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// By category slug.
    pub category: Vec<FacetCount>,
    /// By prefecture code.
    pub prefecture: Vec<FacetCount>,
    /// By county code.
    pub county: Vec<FacetCount>,
    /// By storage class.
    pub storage: Vec<FacetCount>,
    /// By certificate kind.
    pub certified: Vec<FacetCount>,
}

/// What a search found.
#[derive(Debug, Clone, Default)]
pub struct SearchResult {
    /// Product ids of the page, in order.
    pub ids: Vec<i64>,
    /// Results in all pages.
    pub total: u64,
    /// Facet counts over all results.
    pub facets: Facets,
}

/// A search engine: keeps product documents and answers searches.
pub trait SearchEngine: Send + Sync {
    /// Adds or replaces documents.
    fn upsert(&self, docs: Vec<SearchDoc>) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Removes documents (unknown ids are ignored).
    fn delete(&self, ids: Vec<i64>) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Removes every document.
    fn clear(&self) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Answers a search.
    fn search(&self, q: &SearchQuery) -> impl Future<Output = anyhow::Result<SearchResult>> + Send;
    /// How many documents are indexed.
    fn count(&self) -> impl Future<Output = anyhow::Result<u64>> + Send;
}

/// The engine in use, chosen by configuration.
#[derive(Clone)]
pub enum Engine {
    /// tantivy + jieba under the data folder.
    Embedded(Arc<EmbeddedEngine>),
    /// A Meilisearch server.
    Meili(Arc<MeiliEngine>),
}

impl Engine {
    /// Opens the engine the configuration asks for.
    pub async fn open(config: &crate::config::Config) -> anyhow::Result<Engine> {
        match &config.meili_url {
            Some(url) => {
                let key = config.meili_api_key.as_ref().map(|k| k.expose().to_owned());
                Ok(Engine::Meili(Arc::new(MeiliEngine::connect(url, key.as_deref(), "products").await?)))
            }
            None => Ok(Engine::Embedded(Arc::new(EmbeddedEngine::open(&config.data_dir.join("search"))?))),
        }
    }

    /// "embedded" or "meilisearch", for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Embedded(_) => "embedded",
            Engine::Meili(_) => "meilisearch",
        }
    }
}

impl SearchEngine for Engine {
    async fn upsert(&self, docs: Vec<SearchDoc>) -> anyhow::Result<()> {
        match self {
            Engine::Embedded(e) => e.upsert(docs).await,
            Engine::Meili(e) => e.upsert(docs).await,
        }
    }
    async fn delete(&self, ids: Vec<i64>) -> anyhow::Result<()> {
        match self {
            Engine::Embedded(e) => e.delete(ids).await,
            Engine::Meili(e) => e.delete(ids).await,
        }
    }
    async fn clear(&self) -> anyhow::Result<()> {
        match self {
            Engine::Embedded(e) => e.clear().await,
            Engine::Meili(e) => e.clear().await,
        }
    }
    async fn search(&self, q: &SearchQuery) -> anyhow::Result<SearchResult> {
        match self {
            Engine::Embedded(e) => e.search(q).await,
            Engine::Meili(e) => e.search(q).await,
        }
    }
    async fn count(&self) -> anyhow::Result<u64> {
        match self {
            Engine::Embedded(e) => e.count().await,
            Engine::Meili(e) => e.count().await,
        }
    }
}

/// Drains the outbox into the engine, and keeps the result cards
/// ([`Cards`]) in step with it.
///
/// Several instances may share one database and one engine (PostgreSQL and
/// Meilisearch): each outbox row is then indexed by exactly one of them.
/// An indexer claims a batch of rows under its own name for
/// [`CLAIM_SECONDS`], indexes them outside any transaction, and deletes the
/// rows it still holds. Claims are made one transaction at a time (an
/// advisory lock on PostgreSQL, the single writer on SQLite), and a row is
/// not claimed while another change of the same product is claimed: two
/// documents of one product are never in flight at once, so an older one
/// cannot overtake a newer one on its way into the engine. A holder that
/// dies lets its claims lapse; another indexer takes the rows then.
#[derive(Clone)]
pub struct Indexer {
    db: Db,
    engine: Engine,
    cards: Arc<Cards>,
    wake: Arc<tokio::sync::Notify>,
    holder: Arc<str>,
}

/// How long an indexer holds the outbox rows it claimed: far longer than
/// indexing a batch takes, and the longest a change waits for an
/// indexer after its holder died mid-batch.
pub const CLAIM_SECONDS: i64 = 30;

/// Outbox rows claimed at once.
const BATCH: usize = 500;

/// The lease a serving instance with the embedded engine holds on its
/// database: the embedded index is the process's own, so a second such
/// instance on the database would take part of the outbox and each index
/// would miss the other's share of the changes.
pub const EMBEDDED_LEASE: &str = "search.embedded";

/// How long [`EMBEDDED_LEASE`] lasts unless renewed (every drain, at
/// least every second): how long a restart after a crash waits for it.
const EMBEDDED_LEASE_SECONDS: i64 = 10;

/// Serialises claim transactions on PostgreSQL (any constant shared by
/// every instance; `pg_advisory_xact_lock` releases it at commit).
const CLAIM_LOCK: i64 = 0x7a68_6e67_6f62_7831; // "zhngobx1"

impl Indexer {
    /// An indexer of `db` into `engine`, keeping up to `cards` result cards
    /// (about 2 KB each) — with the embedded engine only, whose process is
    /// the only one that drains (see [`Cards`]).
    pub fn new(db: Db, engine: Engine, cards: usize) -> Indexer {
        let cards = match engine {
            Engine::Embedded(_) => cards,
            Engine::Meili(_) => 0,
        };
        // Woken by every commit that wrote to the outbox (see crate::outbox).
        let wake = db.committed();
        // Each indexer a name of its own: two apps in one process (tests)
        // are two instances.
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let holder: Arc<str> = format!("{}/indexer-{n}", crate::jobs::instance_id()).into();
        Indexer { db, engine, cards: Arc::new(Cards::new(cards)), wake, holder }
    }

    /// The result cards this indexer keeps current.
    pub fn cards(&self) -> &Cards {
        &self.cards
    }

    /// The name this indexer claims outbox rows under.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Indexes every outbox row nobody else is indexing; returns how many
    /// rows it handled. Rows are deleted only after the engine has taken
    /// their documents, so a crash in between means they are indexed
    /// again, never lost. Rows another indexer holds are left to it.
    pub async fn drain(&self) -> anyhow::Result<u64> {
        let mut handled = 0;
        loop {
            // A long drain (a bulk change) must not let the hold lapse.
            self.renew_embedded().await;
            let rows = self.claim().await?;
            if rows.is_empty() {
                return Ok(handled);
            }
            if let Err(e) = self.index(&rows).await {
                // Given back at once: the next drain, here or elsewhere,
                // retries them without waiting for the claim to lapse.
                if let Err(release) = self.release_rows(&rows).await {
                    tracing::warn!(error = %release, "giving back outbox rows failed; they lapse in {CLAIM_SECONDS} s");
                }
                return Err(e);
            }
            handled += rows.len() as u64;
        }
    }

    /// Claims up to [`BATCH`] outbox rows: unclaimed or lapsed ones whose
    /// product has no live claim on another row.
    async fn claim(&self) -> sqlx::Result<Vec<(i64, i64)>> {
        let now = crate::time::now();
        let mut tx = self.db.begin_write().await?;
        if self.db.backend() == crate::db::Backend::Postgres {
            // Without it two claims running at once would each see the
            // other's rows unclaimed and could take two changes of one
            // product (SKIP LOCKED skips rows, not products). A claim is
            // one short statement pair; the indexing runs outside.
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CLAIM_LOCK).execute(&mut *tx).await?;
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT o.id, o.product_id FROM search_outbox o \
             WHERE (o.claimed_until IS NULL OR o.claimed_until < $1) \
             AND NOT EXISTS (SELECT 1 FROM search_outbox c WHERE c.product_id = o.product_id AND c.claimed_until >= $1) \
             ORDER BY o.id LIMIT {BATCH}"
        ))
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?;
        if !rows.is_empty() {
            // The ids are integers read from the database: safe to inline.
            let list = rows.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>().join(", ");
            sqlx::query(&format!("UPDATE search_outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN ({list})"))
                .bind(&*self.holder)
                .bind(crate::time::in_seconds(CLAIM_SECONDS))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Indexes the products of claimed rows, then deletes the rows this
    /// indexer still holds.
    async fn index(&self, rows: &[(i64, i64)]) -> anyhow::Result<()> {
        let mut ids: Vec<i64> = rows.iter().map(|(_, p)| *p).collect();
        ids.sort_unstable();
        ids.dedup();
        self.cards.forget(&ids);
        let docs = build_docs(&self.db, Some(&ids)).await?;
        let gone: Vec<i64> = ids.iter().copied().filter(|id| !docs.iter().any(|d| d.id == *id)).collect();
        if !docs.is_empty() {
            self.engine.upsert(docs).await?;
        }
        if !gone.is_empty() {
            self.engine.delete(gone).await?;
        }
        let list = rows.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>().join(", ");
        sqlx::query(&format!("DELETE FROM search_outbox WHERE id IN ({list}) AND claimed_by = $1"))
            .bind(&*self.holder)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    async fn release_rows(&self, rows: &[(i64, i64)]) -> sqlx::Result<()> {
        let list = rows.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>().join(", ");
        sqlx::query(&format!("UPDATE search_outbox SET claimed_by = NULL, claimed_until = NULL WHERE id IN ({list}) AND claimed_by = $1"))
            .bind(&*self.holder)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Gives back every outbox row this indexer holds (on shutdown, after
    /// its last drain): another instance takes them at once rather than
    /// after [`CLAIM_SECONDS`].
    pub async fn release(&self) -> sqlx::Result<u64> {
        let r = sqlx::query("UPDATE search_outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1")
            .bind(&*self.holder)
            .execute(self.db.pool())
            .await?;
        Ok(r.rows_affected())
    }

    /// Rebuilds the whole index from the database.
    pub async fn reindex(&self) -> anyhow::Result<u64> {
        // The outbox rows visible now are covered by the rebuild, which reads
        // the products after them; exactly those rows are deleted afterwards.
        // Not "every id up to the largest seen": on PostgreSQL ids are handed
        // out at insert, not at commit, so a row with a smaller id can commit
        // after this read, carrying a change the rebuild may have missed.
        let covered: Vec<i64> = sqlx::query_scalar("SELECT id FROM search_outbox ORDER BY id").fetch_all(self.db.pool()).await?;
        self.cards.clear();
        self.engine.clear().await?;
        let docs = build_docs(&self.db, None).await?;
        let n = docs.len() as u64;
        for chunk in docs.chunks(5_000) {
            self.renew_embedded().await;
            self.engine.upsert(chunk.to_vec()).await?;
        }
        for chunk in covered.chunks(500) {
            // The ids are integers read from the database: safe to inline.
            let list = chunk.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
            sqlx::query(&format!("DELETE FROM search_outbox WHERE id IN ({list})")).execute(self.db.pool()).await?;
        }
        Ok(n)
    }

    /// With the embedded engine, makes this the one serving instance of
    /// the database ([`EMBEDDED_LEASE`]): waits for the lease of a
    /// predecessor that died to lapse, and refuses, saying what scales out,
    /// while another instance holds it. Nothing to do with a shared engine.
    pub async fn take_database(&self) -> anyhow::Result<()> {
        if !matches!(self.engine, Engine::Embedded(_)) {
            return Ok(());
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(EMBEDDED_LEASE_SECONDS as u64 + 2);
        let mut told = false;
        while !crate::jobs::claim(&self.db, EMBEDDED_LEASE, &self.holder, EMBEDDED_LEASE_SECONDS).await? {
            if std::time::Instant::now() > deadline {
                anyhow::bail!(
                    "another instance with the embedded search engine serves this database. The embedded index is one \
                     process's own and would miss that instance's changes: stop it, or, to run several instances on one \
                     database, set MEILI_URL (Meilisearch) and DATABASE_URL (PostgreSQL) for all of them"
                );
            }
            if !told {
                tracing::warn!(
                    "another instance with the embedded search engine holds this database; waiting {EMBEDDED_LEASE_SECONDS} s for it to lapse"
                );
                told = true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        Ok(())
    }

    /// With the embedded engine, renews this instance's hold on the
    /// database ([`EMBEDDED_LEASE`]); said loudly when another has it.
    async fn renew_embedded(&self) {
        if !matches!(self.engine, Engine::Embedded(_)) {
            return;
        }
        match crate::jobs::claim(&self.db, EMBEDDED_LEASE, &self.holder, EMBEDDED_LEASE_SECONDS).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::error!("another instance with the embedded search engine holds this database: this index misses its changes")
            }
            Err(e) => tracing::warn!(error = %e, "renewing the embedded search lease failed; will retry"),
        }
    }

    /// Runs until `stop` turns true: drains when a local commit wrote to
    /// the outbox ([`Db::committed`]), and every second (other instances
    /// write to the outbox too). A drain under way when `stop` turns is
    /// finished; then the indexer gives back what it holds and returns.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let embedded = matches!(self.engine, Engine::Embedded(_));
        while !*stop.borrow() {
            self.renew_embedded().await;
            if let Err(e) = self.drain().await {
                tracing::warn!(error = format!("{e:#}"), "search indexing failed; will retry");
            }
            tokio::select! {
                changed = stop.changed() => if changed.is_err() { break },
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
        if let Err(e) = self.release().await {
            tracing::warn!(error = %e, "giving back outbox claims failed; they lapse in {CLAIM_SECONDS} s");
        }
        if embedded && let Err(e) = crate::jobs::release(&self.db, EMBEDDED_LEASE, &self.holder).await {
            tracing::warn!(error = %e, "giving back the embedded search lease failed; it lapses in {EMBEDDED_LEASE_SECONDS} s");
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

//! Products as a result page shows them, kept between searches.
//!
//! Assembling a product (tiers, certificates, origin chain, households
//! supported) takes four queries per page; a storefront asks for the same
//! popular products again and again. [`Cards`] keeps assembled products
//! and, when it holds every product of a page, asks the database only what
//! must be true at the moment of the request: which are still sold, and
//! how many units each has available (one query). A page with a product it
//! does not hold is assembled whole, as without the cache (that reads both
//! of those too), and kept. Everything else is refreshed through the
//! search outbox: a committed change of anything a result shows writes an
//! outbox row in its transaction, and the indexer forgets the product's
//! card when it drains that row — so a card is never older than the search
//! index's own view of the product.
//!
//! Only one process may rely on that: the one that drains. With the
//! embedded engine there is exactly one (tantivy locks its folder); with
//! Meilisearch several instances share the outbox and each drains only
//! part of it, so there the cache is off and every page is assembled from
//! the database.

use super::{Product, get_many};
use crate::db::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Assembled products by id.
pub struct Cards {
    /// At most this many cards; 0 turns the cache off.
    capacity: usize,
    map: RwLock<HashMap<i64, Arc<Product>>>,
    /// Bumped by every [`Cards::forget`]: a page assembled from reads that
    /// began before a forget must not store what it read.
    epoch: AtomicU64,
    /// Pages assembled while the cache was full (see [`Cards::keep`]).
    full_misses: AtomicU64,
}

/// When the cache is full, one assembled page in this many is kept.
const ADMIT_WHEN_FULL: u64 = 16;

impl Cards {
    /// A cache of up to `capacity` products (0: no cache).
    pub fn new(capacity: usize) -> Cards {
        Cards { capacity, map: RwLock::new(HashMap::new()), epoch: AtomicU64::new(0), full_misses: AtomicU64::new(0) }
    }

    /// Whether the cache is on.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Drops these products' cards (they changed).
    pub fn forget(&self, ids: &[i64]) {
        let mut map = self.map.write().expect("cards lock");
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for id in ids {
            map.remove(id);
        }
    }

    /// Drops every card.
    pub fn clear(&self) {
        let mut map = self.map.write().expect("cards lock");
        self.epoch.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }

    /// Cards held now.
    pub fn len(&self) -> usize {
        self.map.read().expect("cards lock").len()
    }

    /// Whether no card is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The active products among `ids`, in the order of `ids`, with their
    /// availability as of now — as [`super::get_many`], from the cache
    /// where it can.
    pub async fn get_many(&self, db: &Db, ids: &[i64]) -> sqlx::Result<Vec<Product>> {
        if !self.enabled() || ids.is_empty() {
            return get_many(db, ids).await;
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let cached: Option<Vec<Arc<Product>>> = {
            let map = self.map.read().expect("cards lock");
            ids.iter().map(|id| map.get(id).cloned()).collect()
        };
        let Some(cached) = cached else {
            // A card is missing: the page is assembled whole (which reads
            // what is live too) — four queries, as without the cache.
            let loaded = get_many(db, ids).await?;
            self.keep(epoch, loaded.iter().map(|p| Arc::new(p.clone())).collect());
            return Ok(loaded);
        };
        // Every card held: one query for what must be true now.
        let list = crate::db::list_placeholders(2, ids.len());
        let sql = format!("SELECT p.id, {} FROM products p WHERE p.active = 1 AND p.id IN ({list})", crate::stock::available_sql(1));
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql).bind(crate::time::format_date(crate::time::today()));
        for id in ids {
            query = query.bind(*id);
        }
        let live: HashMap<i64, i64> = query.fetch_all(db.pool()).await?.into_iter().collect();
        Ok(cached.iter().filter_map(|card| Some(Product { available: *live.get(&card.id)?, ..Product::clone(card) })).collect())
    }

    /// Stores freshly assembled cards, unless a forget came in since their
    /// reads began. When the cache is full, only one page in
    /// [`ADMIT_WHEN_FULL`] gets in, in place of as many arbitrary cards: a
    /// crawler paging through more products than the cache holds would
    /// otherwise replace cards on every page and gain nothing from them,
    /// while pages asked again and again still find their way in.
    fn keep(&self, epoch: u64, loaded: Vec<Arc<Product>>) {
        let mut evicted = Vec::new();
        {
            let mut map = self.map.write().expect("cards lock");
            if self.epoch.load(Ordering::SeqCst) != epoch {
                return;
            }
            let new = loaded.iter().filter(|p| !map.contains_key(&p.id)).count();
            if map.len() + new > self.capacity {
                if self.full_misses.fetch_add(1, Ordering::Relaxed) % ADMIT_WHEN_FULL != 0 {
                    return;
                }
                let room = map.len() + new - self.capacity;
                let ids: Vec<i64> = map.keys().filter(|id| !loaded.iter().any(|p| p.id == **id)).take(room).copied().collect();
                evicted.extend(ids.iter().filter_map(|id| map.remove(id)));
            }
            for p in loaded {
                map.insert(p.id, p);
            }
        }
        // Freed outside the lock, which every search takes.
        drop(evicted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CooperativeRef, Origin, Storage};

    fn product(id: i64) -> Arc<Product> {
        Arc::new(Product {
            id,
            name: format!("p{id}"),
            name_en: None,
            category: "tea".into(),
            unit: "kg".into(),
            spec: String::new(),
            storage: Storage::Ambient,
            unit_weight_g: None,
            price_tiers: Vec::new(),
            available: 0,
            origin: Origin { code: String::new(), chain: Vec::new(), label: String::new() },
            cooperative: CooperativeRef { id: 1, name: String::new(), name_en: None },
            certificates: Vec::new(),
            households_supported: 0,
            registered_poor_supported: 0,
            description: String::new(),
            sales_count: 0,
            created_at: String::new(),
            photos: Vec::new(),
        })
    }

    #[test]
    fn a_card_read_before_a_forget_is_not_kept() {
        let cards = Cards::new(100);
        // A page's reads begin; meanwhile a change is indexed.
        let epoch = cards.epoch.load(Ordering::SeqCst);
        cards.forget(&[1]);
        cards.keep(epoch, vec![product(1)]);
        assert!(cards.is_empty(), "what was read before the change is dropped");
        // Reads that begin after it are kept.
        let epoch = cards.epoch.load(Ordering::SeqCst);
        cards.keep(epoch, vec![product(1)]);
        assert_eq!(cards.len(), 1);
    }

    #[test]
    fn a_full_cache_lets_one_page_in_sixteen_replace_cards() {
        let cards = Cards::new(16);
        for id in 0..16 {
            cards.keep(0, vec![product(id)]);
        }
        assert_eq!(cards.len(), 16);
        let held = |id| cards.map.read().unwrap().contains_key(&id);
        for id in 100..100 + ADMIT_WHEN_FULL as i64 {
            cards.keep(0, vec![product(id)]);
            assert_eq!(cards.len(), 16, "never past capacity");
        }
        let admitted: Vec<i64> = (100..100 + ADMIT_WHEN_FULL as i64).filter(|id| held(*id)).collect();
        assert_eq!(admitted.len(), 1, "one page of sixteen got in: {admitted:?}");
        // A fresh card of a product already held always replaces it.
        let id = *cards.map.read().unwrap().keys().next().unwrap();
        let mut renamed = Product::clone(&product(id));
        renamed.name = "new name".into();
        cards.keep(0, vec![Arc::new(renamed)]);
        assert_eq!(cards.map.read().unwrap()[&id].name, "new name");
        assert_eq!(cards.len(), 16);
    }
}

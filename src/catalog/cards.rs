//! Products as a result page shows them, kept between searches.
//!
//! Assembling a product (tiers, certificates, origin chain, households
//! supported) takes four queries per page; a storefront asks for the same
//! popular products again and again. [`Cards`] keeps assembled products
//! and, for those it holds, asks the database only what must be true at
//! the moment of the request: which are still sold, and how many units
//! each has available (one query). Products it does not hold are
//! assembled, which reads both of those too. Everything else is refreshed
//! through the search outbox: a committed change of anything a result shows
//! writes an outbox row in its transaction, and the indexer forgets the
//! product's card when it drains that row — so a card is never older than
//! the search index's own view of the product.
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
}

impl Cards {
    /// A cache of up to `capacity` products (0: no cache).
    pub fn new(capacity: usize) -> Cards {
        Cards { capacity, map: RwLock::new(HashMap::new()), epoch: AtomicU64::new(0) }
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
        let (cached, missing): (Vec<(i64, Arc<Product>)>, Vec<i64>) = {
            let map = self.map.read().expect("cards lock");
            let mut cached = Vec::with_capacity(ids.len());
            let mut missing = Vec::new();
            for id in ids {
                match map.get(id) {
                    Some(card) => cached.push((*id, card.clone())),
                    None => missing.push(*id),
                }
            }
            (cached, missing)
        };
        // Every product of the page, with its availability now: cards
        // checked by one query, the rest assembled (which reads both).
        let mut page: HashMap<i64, Product> = HashMap::with_capacity(ids.len());
        if !cached.is_empty() {
            let list = crate::db::list_placeholders(2, cached.len());
            let sql = format!("SELECT p.id, {} FROM products p WHERE p.active = 1 AND p.id IN ({list})", crate::stock::available_sql(1));
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql).bind(crate::time::format_date(crate::time::today()));
            for (id, _) in &cached {
                query = query.bind(*id);
            }
            let live: HashMap<i64, i64> = query.fetch_all(db.pool()).await?.into_iter().collect();
            for (id, card) in cached {
                if let Some(available) = live.get(&id) {
                    page.insert(id, Product { available: *available, ..Product::clone(&card) });
                }
            }
        }
        if !missing.is_empty() {
            let loaded: Vec<Arc<Product>> = get_many(db, &missing).await?.into_iter().map(Arc::new).collect();
            self.keep(epoch, &loaded);
            page.extend(loaded.iter().map(|p| (p.id, Product::clone(p))));
        }
        Ok(ids.iter().filter_map(|id| page.remove(id)).collect())
    }

    /// Stores freshly assembled cards, unless a forget came in since their
    /// reads began; past capacity, about an eighth of the cards make room
    /// (whichever the map yields first: popular ones come straight back).
    fn keep(&self, epoch: u64, loaded: &[Arc<Product>]) {
        let mut map = self.map.write().expect("cards lock");
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        if map.len() + loaded.len() > self.capacity {
            let evict: Vec<i64> = map.keys().take((self.capacity / 8).max(loaded.len())).copied().collect();
            for id in evict {
                map.remove(&id);
            }
        }
        for p in loaded {
            map.insert(p.id, p.clone());
        }
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
            price_tiers: Vec::new(),
            available: 0,
            origin: Origin { code: String::new(), chain: Vec::new(), label: String::new() },
            cooperative: CooperativeRef { id: 1, name: String::new() },
            certificates: Vec::new(),
            households_supported: 0,
            registered_poor_supported: 0,
            description: String::new(),
            sales_count: 0,
            created_at: String::new(),
        })
    }

    #[test]
    fn a_card_read_before_a_forget_is_not_kept() {
        let cards = Cards::new(100);
        // A page's reads begin; meanwhile a change is indexed.
        let epoch = cards.epoch.load(Ordering::SeqCst);
        cards.forget(&[1]);
        cards.keep(epoch, &[product(1)]);
        assert!(cards.is_empty(), "what was read before the change is dropped");
        // Reads that begin after it are kept.
        let epoch = cards.epoch.load(Ordering::SeqCst);
        cards.keep(epoch, &[product(1)]);
        assert_eq!(cards.len(), 1);
    }

    #[test]
    fn past_capacity_cards_make_room() {
        let cards = Cards::new(16);
        for id in 0..100 {
            cards.keep(0, &[product(id)]);
            assert!(cards.len() <= 16);
        }
        assert!(cards.map.read().unwrap().contains_key(&99), "the newest card is kept");
    }
}

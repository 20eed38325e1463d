//! The embedded engine's in-memory table: one small row per product with
//! its filter, facet and sort values. Text values (category, places,
//! storage, certificates) are interned to small integers, so a search's
//! filtering and facet counting over a prefecture's 100,000 products is
//! integer comparisons and array increments — well under a millisecond.

use super::{FacetCount, Facets, SearchDoc, SearchQuery, Sort};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-shift hasher for integer keys: product ids are not chosen by
/// an attacker, and a search looks up tens of thousands of them, where
/// SipHash's cost shows.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_i64(&mut self, n: i64) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type IdMap = HashMap<i64, usize, BuildHasherDefault<IdHasher>>;

/// Interns strings to dense ids.
#[derive(Default)]
struct Dict {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Dict {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.to_owned());
        self.ids.insert(s.to_owned(), id);
        id
    }

    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

struct Row {
    id: i64,
    category: u32,
    prefecture: u32,
    county: u32,
    storage: u32,
    /// Bit i set: certificate kind with id i (there are only a few kinds).
    certificates: u64,
    /// Region ids of every level of the origin.
    ancestors: Vec<u32>,
    price_fen: i64,
    available: i64,
    sales_count: i64,
    created_at: i64,
}

/// The table.
#[derive(Default)]
pub(super) struct Table {
    rows: Vec<Row>,
    by_id: IdMap,
    categories: Dict,
    regions: Dict,
    storages: Dict,
    certificates: Dict,
}

/// A query with its values turned into ids. `None` inside a filter means
/// "a value no row has": nothing matches.
struct Compiled {
    category: Option<Option<u32>>,
    prefecture: Option<Option<u32>>,
    county: Option<Option<u32>>,
    storage: Option<Option<u32>>,
    /// Required certificate bits; `Some(0)` = any certificate.
    certified: Option<Option<u64>>,
    regions: Option<Vec<u32>>,
    price_min: Option<i64>,
    price_max: Option<i64>,
    in_stock: bool,
}

impl Compiled {
    fn keep(&self, r: &Row) -> bool {
        fn eq(filter: Option<Option<u32>>, v: u32) -> bool {
            match filter {
                None => true,
                Some(None) => false,
                Some(Some(want)) => want == v,
            }
        }
        eq(self.category, r.category)
            && eq(self.prefecture, r.prefecture)
            && eq(self.county, r.county)
            && eq(self.storage, r.storage)
            && match self.certified {
                None => true,
                Some(None) => false,
                Some(Some(0)) => r.certificates != 0,
                Some(Some(bits)) => r.certificates & bits != 0,
            }
            && self.price_min.is_none_or(|m| r.price_fen >= m)
            && self.price_max.is_none_or(|m| r.price_fen <= m)
            && (!self.in_stock || r.available > 0)
            && self.regions.as_ref().is_none_or(|rs| r.ancestors.iter().any(|a| rs.contains(a)))
    }
}

impl Table {
    /// Number of products.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        *self = Table::default();
    }

    /// Adds or replaces a product's row.
    pub fn upsert(&mut self, d: &SearchDoc) {
        let mut certificates = 0u64;
        for c in &d.certificates {
            let bit = self.certificates.intern(c);
            if bit < 64 {
                certificates |= 1 << bit;
            }
        }
        let row = Row {
            id: d.id,
            category: self.categories.intern(&d.category),
            prefecture: self.regions.intern(&d.prefecture),
            county: self.regions.intern(&d.county),
            storage: self.storages.intern(&d.storage),
            certificates,
            ancestors: d.origin_ancestors.iter().map(|a| self.regions.intern(a)).collect(),
            price_fen: d.price_fen,
            available: d.available,
            sales_count: d.sales_count,
            created_at: d.created_at,
        };
        match self.by_id.get(&d.id) {
            Some(&i) => self.rows[i] = row,
            None => {
                self.by_id.insert(d.id, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    /// Removes a product's row (unknown ids are ignored).
    pub fn delete(&mut self, id: i64) {
        if let Some(i) = self.by_id.remove(&id) {
            self.rows.swap_remove(i);
            if let Some(moved) = self.rows.get(i) {
                self.by_id.insert(moved.id, i);
            }
        }
    }

    fn compile(&self, q: &SearchQuery) -> Compiled {
        let certified = q.certified.as_deref().map(|c| match c {
            "any" => Some(0),
            kind => self.certificates.get(kind).filter(|b| *b < 64).map(|b| 1u64 << b),
        });
        Compiled {
            category: q.category.as_deref().map(|c| self.categories.get(c)),
            prefecture: q.prefecture.map(|p| self.regions.get(&p.to_string())),
            county: q.county.map(|c| self.regions.get(&c.to_string())),
            storage: q.storage.as_deref().map(|s| self.storages.get(s)),
            certified,
            regions: q.regions.as_ref().map(|rs| rs.iter().filter_map(|r| self.regions.get(&r.to_string())).collect()),
            price_min: q.price_min_fen,
            price_max: q.price_max_fen,
            in_stock: q.in_stock,
        }
    }

    /// Filters, counts facets, sorts and pages. `scored` holds the products
    /// that matched the words, with their scores; `None` means no words
    /// (every product is a candidate).
    pub fn search(&self, q: &SearchQuery, scored: Option<&[(u64, f32)]>) -> (Vec<i64>, u64, Facets) {
        let filter = self.compile(q);
        let hits: Vec<(usize, f32)> = match scored {
            Some(scored) => scored
                .iter()
                .filter_map(|(id, s)| self.by_id.get(&(*id as i64)).map(|i| (*i, *s)))
                .filter(|(i, _)| filter.keep(&self.rows[*i]))
                .collect(),
            None => (0..self.rows.len()).filter(|i| filter.keep(&self.rows[*i])).map(|i| (i, 0.0)).collect(),
        };
        let facets = self.facets(hits.iter().map(|(i, _)| &self.rows[*i]));
        let total = hits.len() as u64;
        // Sort on keys of plain integers, computed once per hit: smaller is
        // first, the id breaks ties so the order is total and stable.
        let rows = &self.rows;
        let mut keyed: Vec<((i64, i64, i64), usize)> = hits
            .iter()
            .map(|(i, score)| {
                let r = &rows[*i];
                let key = match q.sort {
                    // Scores are non-negative floats: their bits order like them.
                    Sort::Relevance => (-(score.to_bits() as i64), -r.created_at, -r.id),
                    Sort::PriceAsc => (r.price_fen, r.id, 0),
                    Sort::PriceDesc => (-r.price_fen, r.id, 0),
                    Sort::Sales => (-r.sales_count, r.id, 0),
                    Sort::Newest => (-r.created_at, -r.id, 0),
                };
                (key, *i)
            })
            .collect();
        // Only the first offset + limit need to be in order.
        let end = (q.offset + q.limit).min(keyed.len());
        if end > 0 && end < keyed.len() {
            keyed.select_nth_unstable(end - 1);
            keyed.truncate(end);
        }
        keyed.sort_unstable();
        let ids = keyed.iter().skip(q.offset).take(q.limit).map(|(_, i)| rows[*i].id).collect();
        (ids, total, facets)
    }

    fn facets<'a>(&self, rows: impl Iterator<Item = &'a Row>) -> Facets {
        let mut category = vec![0u64; self.categories.names.len()];
        let mut prefecture = vec![0u64; self.regions.names.len()];
        let mut county = vec![0u64; self.regions.names.len()];
        let mut storage = vec![0u64; self.storages.names.len()];
        let mut certified = vec![0u64; self.certificates.names.len().min(64)];
        for r in rows {
            category[r.category as usize] += 1;
            prefecture[r.prefecture as usize] += 1;
            county[r.county as usize] += 1;
            storage[r.storage as usize] += 1;
            let mut bits = r.certificates;
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                certified[b] += 1;
                bits &= bits - 1;
            }
        }
        Facets {
            category: counts(&self.categories, &category),
            prefecture: counts(&self.regions, &prefecture),
            county: counts(&self.regions, &county),
            storage: counts(&self.storages, &storage),
            certified: counts(&self.certificates, &certified),
        }
    }
}

/// Non-zero counts with their names, by count then value; empty names (a
/// product without that level) are left out.
fn counts(dict: &Dict, counts: &[u64]) -> Vec<FacetCount> {
    let mut v: Vec<FacetCount> = counts
        .iter()
        .enumerate()
        .filter(|(i, n)| **n > 0 && !dict.names[*i].is_empty())
        .map(|(i, n)| FacetCount { value: dict.names[i].clone(), count: *n })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    v
}

//! The embedded engine's in-memory table: each product's filter, facet and
//! sort values, stored by column. Text values (category, places, storage,
//! certificates) are interned to small integers, so filtering and facet
//! counting over a prefecture's 100,000 products is integer comparisons on
//! a few contiguous arrays and array increments, and the page comes from a
//! top-k buffer instead of sorting every match.

use super::{FacetCount, Facets, SearchDoc, SearchQuery, Sort};
use std::collections::HashMap;

/// No row: a free slot in [`Table::slots`].
const NONE: u32 = u32::MAX;

/// A facet value no row has (dictionaries stay far below it: China has
/// about 2,850 counties, and the catalogue 11 categories).
const NO_VALUE: u16 = u16::MAX;

/// Certificate kinds a row can carry (bits of a `u16`).
const CERTIFICATE_KINDS: u32 = 16;

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

    /// A facet value's id; past 65,534 values (never reached) the rest
    /// share the last id, which no filter asks for.
    fn intern_value(&mut self, s: &str) -> u16 {
        u16::try_from(self.intern(s)).unwrap_or(NO_VALUE - 1)
    }

    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    fn get_value(&self, s: &str) -> u16 {
        self.get(s).and_then(|id| u16::try_from(id).ok()).filter(|id| *id < NO_VALUE - 1).unwrap_or(NO_VALUE)
    }
}

/// The table. Row `i` of every column belongs to the product `ids[i]`.
#[derive(Default)]
pub(super) struct Table {
    ids: Vec<i64>,
    // Facet columns are two bytes a row, so counting facets over the
    // whole catalogue reads little memory.
    category: Vec<u16>,
    prefecture: Vec<u16>,
    county: Vec<u16>,
    storage: Vec<u16>,
    /// Bit i set: certificate kind with id i (there are four kinds).
    certificates: Vec<u16>,
    /// The origin village, an id of `origins`.
    origin: Vec<u32>,
    price_fen: Vec<i64>,
    available: Vec<i64>,
    sales_count: Vec<i64>,
    created_at: Vec<i64>,
    /// Row of each product id (`NONE` when the id has no row). Product ids
    /// are database sequence numbers, so this is a dense array: 4 bytes
    /// per id ever issued, and a lookup without hashing.
    slots: Vec<u32>,
    categories: Dict,
    prefectures: Dict,
    counties: Dict,
    storages: Dict,
    certificate_kinds: Dict,
    origins: Dict,
    /// Codes of every level of each origin village, by origin id.
    origin_ancestors: Vec<Vec<String>>,
    /// See [`Table::moves`].
    moves: u64,
    /// Facet counts over all rows, kept as rows change: a search without
    /// words or filters (the storefront's first page) needs no counting.
    totals: Counts,
}

/// A query with its values turned into ids. `Some(NONE)` in a filter means
/// "a value no row has": nothing matches.
struct Compiled {
    category: Option<u16>,
    prefecture: Option<u16>,
    county: Option<u16>,
    storage: Option<u16>,
    /// Required certificate bits: any of them; `Some(u16::MAX)` = any
    /// certificate, `Some(0)` = a kind no row has.
    certified: Option<u16>,
    /// By origin id: whether the origin lies inside the partner's regions.
    origins: Option<Vec<bool>>,
    price_min: Option<i64>,
    price_max: Option<i64>,
    in_stock: bool,
}

impl Compiled {
    /// Whether any filter is set.
    fn narrows(&self) -> bool {
        self.category.is_some()
            || self.prefecture.is_some()
            || self.county.is_some()
            || self.storage.is_some()
            || self.certified.is_some()
            || self.origins.is_some()
            || self.price_min.is_some()
            || self.price_max.is_some()
            || self.in_stock
    }
}

/// Facet counts by interned id.
#[derive(Default)]
struct Counts {
    category: Vec<u64>,
    prefecture: Vec<u64>,
    county: Vec<u64>,
    storage: Vec<u64>,
    certified: Vec<u64>,
}

/// A row's facet values.
#[derive(Clone, Copy)]
struct FacetValues {
    category: u16,
    prefecture: u16,
    county: u16,
    storage: u16,
    certificates: u16,
}

impl Counts {
    /// Counts one row in (`add`) or out; arrays grow as values appear.
    fn tally(&mut self, v: FacetValues, add: bool) {
        fn bump(counts: &mut Vec<u64>, i: usize, add: bool) {
            if counts.len() <= i {
                counts.resize(i + 1, 0);
            }
            if add {
                counts[i] += 1;
            } else {
                counts[i] -= 1;
            }
        }
        bump(&mut self.category, v.category as usize, add);
        bump(&mut self.prefecture, v.prefecture as usize, add);
        bump(&mut self.county, v.county as usize, add);
        bump(&mut self.storage, v.storage as usize, add);
        let mut bits = v.certificates;
        while bits != 0 {
            bump(&mut self.certified, bits.trailing_zeros() as usize, add);
            bits &= bits - 1;
        }
    }
}

/// Sort key of a row: smaller comes first; the product id breaks ties so
/// the order is total.
type Key = (i64, i64, i64);

impl Table {
    /// Number of products.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        *self = Table { moves: self.moves + 1, ..Table::default() };
    }

    fn slot(&self, id: i64) -> Option<usize> {
        let s = *self.slots.get(usize::try_from(id).ok()?)?;
        (s != NONE).then_some(s as usize)
    }

    /// Adds or replaces a product's row.
    pub fn upsert(&mut self, d: &SearchDoc) {
        let Ok(key) = usize::try_from(d.id) else { return };
        let mut certificates = 0u16;
        for c in &d.certificates {
            let bit = self.certificate_kinds.intern(c);
            if bit < CERTIFICATE_KINDS {
                certificates |= 1 << bit;
            }
        }
        let origin = self.origins.intern(&d.origin_code);
        if origin as usize == self.origin_ancestors.len() {
            self.origin_ancestors.push(d.origin_ancestors.clone());
        }
        let category = self.categories.intern_value(&d.category);
        let prefecture = self.prefectures.intern_value(&d.prefecture);
        let county = self.counties.intern_value(&d.county);
        let storage = self.storages.intern_value(&d.storage);
        let row = match self.slot(d.id) {
            Some(row) => {
                let old = self.facet_values(row);
                self.totals.tally(old, false);
                row
            }
            None => {
                if self.slots.len() <= key {
                    self.slots.resize(key + 1, NONE);
                }
                self.slots[key] = self.ids.len() as u32;
                self.ids.push(d.id);
                self.category.push(0);
                self.prefecture.push(0);
                self.county.push(0);
                self.storage.push(0);
                self.certificates.push(0);
                self.origin.push(0);
                self.price_fen.push(0);
                self.available.push(0);
                self.sales_count.push(0);
                self.created_at.push(0);
                self.ids.len() - 1
            }
        };
        self.category[row] = category;
        self.prefecture[row] = prefecture;
        self.county[row] = county;
        self.storage[row] = storage;
        self.certificates[row] = certificates;
        self.origin[row] = origin;
        self.price_fen[row] = d.price_fen;
        self.available[row] = d.available;
        self.sales_count[row] = d.sales_count;
        self.created_at[row] = d.created_at;
        let new = self.facet_values(row);
        self.totals.tally(new, true);
    }

    fn facet_values(&self, row: usize) -> FacetValues {
        FacetValues {
            category: self.category[row],
            prefecture: self.prefecture[row],
            county: self.county[row],
            storage: self.storage[row],
            certificates: self.certificates[row],
        }
    }

    /// Removes a product's row (unknown ids are ignored).
    pub fn delete(&mut self, id: i64) {
        let Some(row) = self.slot(id) else { return };
        let old = self.facet_values(row);
        self.totals.tally(old, false);
        self.moves += 1;
        self.slots[id as usize] = NONE;
        self.ids.swap_remove(row);
        self.category.swap_remove(row);
        self.prefecture.swap_remove(row);
        self.county.swap_remove(row);
        self.storage.swap_remove(row);
        self.certificates.swap_remove(row);
        self.origin.swap_remove(row);
        self.price_fen.swap_remove(row);
        self.available.swap_remove(row);
        self.sales_count.swap_remove(row);
        self.created_at.swap_remove(row);
        if let Some(moved) = self.ids.get(row) {
            self.slots[*moved as usize] = row as u32;
        }
    }

    fn compile(&self, q: &SearchQuery) -> Compiled {
        let id = |dict: &Dict, v: &str| dict.get_value(v);
        let certified = q.certified.as_deref().map(|c| match c {
            "any" => u16::MAX,
            kind => self.certificate_kinds.get(kind).filter(|b| *b < CERTIFICATE_KINDS).map_or(0, |b| 1u16 << b),
        });
        let origins = q.regions.as_ref().map(|regions| {
            let wanted: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
            self.origin_ancestors.iter().map(|ancestors| ancestors.iter().any(|a| wanted.contains(a))).collect()
        });
        Compiled {
            category: q.category.as_deref().map(|c| id(&self.categories, c)),
            prefecture: q.prefecture.map(|p| id(&self.prefectures, &p.to_string())),
            county: q.county.map(|c| id(&self.counties, &c.to_string())),
            storage: q.storage.as_deref().map(|s| id(&self.storages, s)),
            certified,
            origins,
            price_min: q.price_min_fen,
            price_max: q.price_max_fen,
            in_stock: q.in_stock,
        }
    }

    #[inline]
    fn keep(&self, f: &Compiled, row: usize) -> bool {
        // (Compiled::narrows must list every filter checked here.)
        f.category.is_none_or(|v| self.category[row] == v)
            && f.prefecture.is_none_or(|v| self.prefecture[row] == v)
            && f.county.is_none_or(|v| self.county[row] == v)
            && f.storage.is_none_or(|v| self.storage[row] == v)
            && f.certified.is_none_or(|bits| self.certificates[row] & bits != 0)
            && f.price_min.is_none_or(|m| self.price_fen[row] >= m)
            && f.price_max.is_none_or(|m| self.price_fen[row] <= m)
            && (!f.in_stock || self.available[row] > 0)
            && f.origins.as_ref().is_none_or(|inside| inside[self.origin[row] as usize])
    }

    #[inline]
    fn key(&self, sort: Sort, row: usize, score: f32) -> Key {
        let id = self.ids[row];
        match sort {
            // Scores are non-negative floats: their bits order like them.
            Sort::Relevance => (-i64::from(score.to_bits()), -self.created_at[row], -id),
            Sort::PriceAsc => (self.price_fen[row], id, 0),
            Sort::PriceDesc => (-self.price_fen[row], id, 0),
            Sort::Sales => (-self.sales_count[row], id, 0),
            Sort::Newest => (-self.created_at[row], -id, 0),
        }
    }

    /// Filters, counts facets, sorts and pages, a column at a time.
    /// `matched` holds the rows that matched the words (see [`Table::row`]),
    /// with their scores; `None` means no words: every row is a candidate.
    pub fn search(&self, q: &SearchQuery, matched: Option<Vec<(u32, f32)>>) -> (Vec<i64>, u64, Facets) {
        let filter = self.compile(q);
        if matched.is_none() && !filter.narrows() {
            return self.everything(q);
        }
        let mut hits = match matched {
            Some(matched) => matched,
            None => self.candidates(&filter),
        };
        if filter.narrows() {
            hits.retain(|(row, _)| self.keep(&filter, *row as usize));
        }
        let mut counts = Counts {
            category: vec![0; self.categories.names.len()],
            prefecture: vec![0; self.prefectures.names.len()],
            county: vec![0; self.counties.names.len()],
            storage: vec![0; self.storages.names.len()],
            certified: vec![0; self.certificate_kinds.names.len().min(CERTIFICATE_KINDS as usize)],
        };
        for (row, _) in &hits {
            self.count(&mut counts, *row as usize);
        }
        let mut best = TopN::new(q.offset.saturating_add(q.limit));
        for (row, score) in &hits {
            best.offer(|| self.key(q.sort, *row as usize, *score), *row);
        }
        let ids = best.into_page(q.offset).into_iter().map(|row| self.ids[row as usize]).collect();
        (ids, hits.len() as u64, self.facets(&counts))
    }

    /// A search without words or filters: every row, counted already.
    fn everything(&self, q: &SearchQuery) -> (Vec<i64>, u64, Facets) {
        let mut best = TopN::new(q.offset.saturating_add(q.limit));
        // Newest last first: see `candidates`.
        for row in (0..self.len()).rev() {
            best.offer(|| self.key(q.sort, row, 0.0), row as u32);
        }
        let ids = best.into_page(q.offset).into_iter().map(|row| self.ids[row as usize]).collect();
        (ids, self.len() as u64, self.facets(&self.totals))
    }

    /// Rows a word-less search starts from: those with the value of its
    /// most selective place or category filter, else all — newest last
    /// first. (Rows are added in id order and most word-less searches want
    /// the newest first, which then fill the page early and turn the rest
    /// away at one comparison each.)
    fn candidates(&self, f: &Compiled) -> Vec<(u32, f32)> {
        let column = [(f.county, &self.county), (f.category, &self.category), (f.prefecture, &self.prefecture), (f.storage, &self.storage)]
            .into_iter()
            .find_map(|(want, column)| Some((want?, column)));
        match column {
            Some((want, column)) => {
                // Counted first (a tight loop the compiler vectorises), so
                // the list is allocated once at its size.
                let matches = column.iter().filter(|v| **v == want).count();
                let rows = column.iter().enumerate().rev();
                if matches < column.len() / 8 {
                    // Few matches: the branch is nearly always "no".
                    let mut list = Vec::with_capacity(matches);
                    for (row, v) in rows {
                        if *v == want {
                            list.push((row as u32, 0.0));
                        }
                    }
                    list
                } else {
                    // Many, at random: a mispredicted branch on each would
                    // cost more than writing every row at the list's end,
                    // which moves on only past a match (the slot past the
                    // last match takes the rest).
                    let mut list = vec![(0, 0.0); matches + 1];
                    let mut n = 0;
                    for (row, v) in rows {
                        list[n] = (row as u32, 0.0);
                        n += usize::from(*v == want);
                    }
                    list.truncate(matches);
                    list
                }
            }
            None => (0..self.len() as u32).rev().map(|row| (row, 0.0)).collect(),
        }
    }

    /// The row of product `id`, if it has one. Rows stay put until a
    /// product is deleted (see [`Table::moves`]).
    pub fn row(&self, id: i64) -> Option<u32> {
        self.slot(id).map(|row| row as u32)
    }

    /// How many times rows have moved (deletes, clears): a map from
    /// anything to rows is stale once this changes.
    pub fn moves(&self) -> u64 {
        self.moves
    }

    fn count(&self, counts: &mut Counts, row: usize) {
        counts.category[self.category[row] as usize] += 1;
        counts.prefecture[self.prefecture[row] as usize] += 1;
        counts.county[self.county[row] as usize] += 1;
        counts.storage[self.storage[row] as usize] += 1;
        let mut bits = self.certificates[row];
        while bits != 0 {
            counts.certified[bits.trailing_zeros() as usize] += 1;
            bits &= bits - 1;
        }
    }

    fn facets(&self, c: &Counts) -> Facets {
        Facets {
            category: named(&self.categories, &c.category),
            prefecture: named(&self.prefectures, &c.prefecture),
            county: named(&self.counties, &c.county),
            storage: named(&self.storages, &c.storage),
            certified: named(&self.certificate_kinds, &c.certified),
        }
    }
}

/// The `k` smallest keys offered, whatever order they come in: offers
/// collect in a buffer of `k` plus at least 512 more, which is cut back to
/// its best `k` when full; from then on anything not better than the worst
/// kept is turned away with one comparison. A cut costs O(buffer) and
/// comes at most once per `buffer - k` offers, so even rows that arrive in
/// exactly the wrong order cost O(1) each (a binary heap would pay log k
/// on every one of them).
struct TopN {
    k: usize,
    buf: Vec<(Key, u32)>,
    cap: usize,
    worst_kept: Option<Key>,
}

impl TopN {
    fn new(k: usize) -> TopN {
        let cap = k.saturating_add(k.max(512));
        TopN { k, buf: Vec::with_capacity(cap.min(1 << 16)), cap, worst_kept: None }
    }

    /// Offers a row; its key is computed only when it could still make it.
    fn offer(&mut self, key: impl FnOnce() -> Key, row: u32) {
        if self.k == 0 {
            return;
        }
        let key = key();
        if self.worst_kept.is_some_and(|worst| key >= worst) {
            return;
        }
        self.buf.push((key, row));
        if self.buf.len() >= self.cap {
            self.cut();
        }
    }

    fn cut(&mut self) {
        if self.buf.len() > self.k {
            self.buf.select_nth_unstable(self.k - 1);
            self.buf.truncate(self.k);
            self.worst_kept = Some(self.buf[self.k - 1].0);
        }
    }

    /// The rows ranked `offset` to `k` (the page), best first. Only the
    /// page is sorted: the `offset` rows before it are merely split off.
    fn into_page(mut self, offset: usize) -> Vec<u32> {
        if self.k == 0 {
            return Vec::new();
        }
        self.cut();
        if offset >= self.buf.len() {
            return Vec::new();
        }
        if offset > 0 {
            self.buf.select_nth_unstable(offset);
        }
        let page = &mut self.buf[offset..];
        page.sort_unstable();
        page.iter().map(|(_, row)| *row).collect()
    }
}

/// Non-zero counts with their names, by count then value; empty names (a
/// product without that level) are left out.
fn named(dict: &Dict, counts: &[u64]) -> Vec<FacetCount> {
    let mut v: Vec<FacetCount> = counts
        .iter()
        .enumerate()
        .filter(|(i, n)| **n > 0 && !dict.names[*i].is_empty())
        .map(|(i, n)| FacetCount { value: dict.names[i].clone(), count: *n })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i64, seed: u64) -> SearchDoc {
        let pick = |n: u64, of: &[&str]| of[(n % of.len() as u64) as usize].to_owned();
        let county = pick(seed >> 3, &["653121000000", "653122000000", "540302000000"]);
        let village = format!("{}{:03}200", &county[..9], seed % 3);
        SearchDoc {
            id,
            name: format!("p{id}"),
            name_en: String::new(),
            description: String::new(),
            category: pick(seed, &["nuts", "tea", "meat"]),
            category_labels: String::new(),
            prefecture: format!("{}00000000", &county[..4]),
            origin_ancestors: vec![
                format!("{}0000000000", &county[..2]),
                format!("{}00000000", &county[..4]),
                county.clone(),
                village.clone(),
            ],
            county,
            origin_code: village,
            origin_names: String::new(),
            cooperative: String::new(),
            certificates: if seed % 4 == 0 { vec![] } else { vec![pick(seed >> 5, &["organic", "green_food"])] },
            storage: pick(seed >> 7, &["ambient", "frozen"]),
            price_fen: (seed % 50) as i64 * 100,
            available: (seed % 3) as i64,
            sales_count: (seed % 7) as i64,
            created_at: (seed % 11) as i64,
        }
    }

    fn random_docs(n: i64) -> Vec<SearchDoc> {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        (1..=n)
            .map(|id| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                doc(id, seed)
            })
            .collect()
    }

    /// What a search must return, computed the slow, obvious way.
    fn naive(docs: &[SearchDoc], q: &SearchQuery, scores: Option<&HashMap<i64, f32>>) -> (Vec<i64>, u64, Vec<(String, u64)>) {
        let mut hits: Vec<&SearchDoc> = docs
            .iter()
            .filter(|d| scores.is_none_or(|s| s.contains_key(&d.id)))
            .filter(|d| q.category.as_ref().is_none_or(|c| *c == d.category))
            .filter(|d| q.storage.as_ref().is_none_or(|s| *s == d.storage))
            .filter(|d| {
                q.certified
                    .as_deref()
                    .is_none_or(|c| if c == "any" { !d.certificates.is_empty() } else { d.certificates.iter().any(|x| x == c) })
            })
            .filter(|d| q.price_max_fen.is_none_or(|m| d.price_fen <= m))
            .filter(|d| !q.in_stock || d.available > 0)
            .filter(|d| q.regions.as_ref().is_none_or(|rs| rs.iter().any(|r| d.origin_ancestors.contains(&r.to_string()))))
            .collect();
        let score = |d: &SearchDoc| scores.map_or(0.0, |s| s[&d.id]);
        hits.sort_by(|a, b| match q.sort {
            Sort::Relevance => score(b).total_cmp(&score(a)).then(b.created_at.cmp(&a.created_at)).then(b.id.cmp(&a.id)),
            Sort::PriceAsc => a.price_fen.cmp(&b.price_fen).then(a.id.cmp(&b.id)),
            Sort::PriceDesc => b.price_fen.cmp(&a.price_fen).then(a.id.cmp(&b.id)),
            Sort::Sales => b.sales_count.cmp(&a.sales_count).then(a.id.cmp(&b.id)),
            Sort::Newest => b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)),
        });
        let mut categories: HashMap<String, u64> = HashMap::new();
        for d in &hits {
            *categories.entry(d.category.clone()).or_default() += 1;
        }
        let mut categories: Vec<(String, u64)> = categories.into_iter().collect();
        categories.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let page = hits.iter().skip(q.offset).take(q.limit).map(|d| d.id).collect();
        (page, hits.len() as u64, categories)
    }

    #[test]
    fn pages_filters_and_facets_match_a_full_sort() {
        let mut docs = random_docs(3000);
        // A rare value too: few matches take another path than many.
        for d in docs.iter_mut().filter(|d| d.id % 97 == 0) {
            d.category = "honey".into();
        }
        let mut table = Table::default();
        for d in &docs {
            table.upsert(d);
        }
        // Deletes and replacements move rows around; the answers must not notice.
        for id in [1, 17, 3000, 333] {
            table.delete(id);
            docs.retain(|d| d.id != id);
        }
        let mut changed = docs[10].clone();
        changed.price_fen = 1;
        changed.category = "tea".into();
        table.upsert(&changed);
        docs[10] = changed;
        assert_eq!(table.len(), docs.len());

        let scores: HashMap<i64, f32> = docs.iter().filter(|d| d.id % 3 != 0).map(|d| (d.id, (d.id % 13) as f32 / 4.0)).collect();
        let matched: Vec<(u32, f32)> = scores.iter().map(|(id, s)| (table.row(*id).unwrap(), *s)).collect();
        let kashgar = crate::regions::RegionCode::parse("653100000000").unwrap();
        for sort in [Sort::Relevance, Sort::PriceAsc, Sort::PriceDesc, Sort::Sales, Sort::Newest] {
            for (offset, limit) in [(0, 20), (40, 20), (0, 0), (2990, 50)] {
                let queries = [
                    SearchQuery::default(),
                    SearchQuery { category: Some("nuts".into()), in_stock: true, ..Default::default() },
                    SearchQuery { certified: Some("any".into()), price_max_fen: Some(2500), ..Default::default() },
                    SearchQuery { certified: Some("organic".into()), storage: Some("frozen".into()), ..Default::default() },
                    SearchQuery { regions: Some(vec![kashgar]), ..Default::default() },
                    SearchQuery { category: Some("honey".into()), ..Default::default() },
                    SearchQuery { category: Some("no_such".into()), ..Default::default() },
                ];
                for q in queries {
                    let q = SearchQuery { sort, offset, limit, ..q };
                    for with_words in [false, true] {
                        let (ids, total, facets) = table.search(&q, with_words.then(|| matched.clone()));
                        let (want_ids, want_total, want_categories) = naive(&docs, &q, with_words.then_some(&scores));
                        let context = format!("{q:?}, words: {with_words}");
                        assert_eq!(ids, want_ids, "{context}");
                        assert_eq!(total, want_total, "{context}");
                        let categories: Vec<(String, u64)> = facets.category.into_iter().map(|c| (c.value, c.count)).collect();
                        assert_eq!(categories, want_categories, "{context}");
                    }
                }
            }
        }
    }
}

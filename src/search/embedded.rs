//! The embedded engine: tantivy with a jieba tokenizer for the words, and
//! an in-memory table of each product's filter, facet and sort values.
//!
//! Why the split: tantivy answers "which products match these words, how
//! well" (Chinese without spaces, one typo in latin words); everything
//! else — filters, five facets, four sorts, pagination — is a pass over at
//! most a few hundred thousand small rows in memory, which is both simpler
//! and faster than facet collectors. The rows are rebuilt from the index's
//! stored documents when the engine opens, so the index folder is the only
//! state.

use super::segment::{is_latin, jieba, query_terms};
use super::{FacetCount, Facets, SearchDoc, SearchEngine, SearchQuery, SearchResult, Sort};
use anyhow::Context;
use cang_jie::{CangJieTokenizer, TokenizerOption};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy::{DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, TantivyDocument, Term};

const TOKENIZER: &str = "jieba_all";

/// What a search filters, counts and sorts on, per product.
#[derive(Debug, Clone)]
struct Row {
    category: String,
    prefecture: String,
    county: String,
    ancestors: Vec<String>,
    certificates: Vec<String>,
    storage: String,
    price_fen: i64,
    available: i64,
    sales_count: i64,
    created_at: i64,
}

impl From<&SearchDoc> for Row {
    fn from(d: &SearchDoc) -> Row {
        Row {
            category: d.category.clone(),
            prefecture: d.prefecture.clone(),
            county: d.county.clone(),
            ancestors: d.origin_ancestors.clone(),
            certificates: d.certificates.clone(),
            storage: d.storage.clone(),
            price_fen: d.price_fen,
            available: d.available,
            sales_count: d.sales_count,
            created_at: d.created_at,
        }
    }
}

struct Fields {
    id: Field,
    title: Field,
    body: Field,
    doc: Field,
}

/// tantivy + jieba, stored in a folder.
pub struct EmbeddedEngine {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    rows: RwLock<HashMap<i64, Row>>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs));
    let id = b.add_u64_field("id", INDEXED | FAST);
    let title = b.add_text_field("title", text.clone());
    let body = b.add_text_field("body", text);
    let doc = b.add_text_field("doc", STORED);
    (b.build(), Fields { id, title, body, doc })
}

impl EmbeddedEngine {
    /// Opens (or creates) the index in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<EmbeddedEngine> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir).with_context(|| format!("opening {}", dir.display()))?;
        let index = Index::open_or_create(directory, schema).context("opening the search index")?;
        // Indexing: every dictionary word inside the text (full mode), so a
        // query word found inside a compound still matches.
        let analyzer = TextAnalyzer::builder(CangJieTokenizer { worker: jieba(), option: TokenizerOption::All }).filter(LowerCaser).build();
        index.tokenizers().register(TOKENIZER, analyzer);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer_with_num_threads(1, 64_000_000).context("opening the search index writer")?;
        let engine = EmbeddedEngine { reader, writer: Mutex::new(writer), fields, rows: RwLock::new(HashMap::new()) };
        engine.load_rows()?;
        Ok(engine)
    }

    /// Rebuilds the in-memory rows from the stored documents.
    fn load_rows(&self) -> anyhow::Result<()> {
        let searcher = self.reader.searcher();
        let mut rows = HashMap::new();
        for addr in searcher.search(&AllQuery, &tantivy::collector::DocSetCollector)? {
            let stored: TantivyDocument = searcher.doc(addr)?;
            if let Some(json) = stored.get_first(self.fields.doc).and_then(|v| v.as_str()) {
                let doc: SearchDoc = serde_json::from_str(json).context("a stored search document")?;
                rows.insert(doc.id, Row::from(&doc));
            }
        }
        *self.rows.write().expect("rows lock") = rows;
        Ok(())
    }

    fn write(&self, docs: &[SearchDoc], delete: &[i64], clear: bool) -> anyhow::Result<()> {
        let mut writer = self.writer.lock().expect("writer lock");
        if clear {
            writer.delete_all_documents()?;
        }
        for id in delete.iter().chain(docs.iter().map(|d| &d.id)) {
            writer.delete_term(Term::from_field_u64(self.fields.id, *id as u64));
        }
        for d in docs {
            let mut doc = TantivyDocument::default();
            doc.add_u64(self.fields.id, d.id as u64);
            doc.add_text(self.fields.title, format!("{} {}", d.name, d.name_en));
            doc.add_text(
                self.fields.body,
                format!("{} {} {} {} {} {}", d.name, d.name_en, d.description, d.category_labels, d.origin_names, d.cooperative),
            );
            doc.add_text(self.fields.doc, serde_json::to_string(d)?);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        self.reader.reload()?;
        let mut rows = self.rows.write().expect("rows lock");
        if clear {
            rows.clear();
        }
        for id in delete {
            rows.remove(id);
        }
        for d in docs {
            rows.insert(d.id, Row::from(d));
        }
        Ok(())
    }

    fn query(&self, terms: &[String]) -> Box<dyn Query> {
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in terms {
            let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in [(self.fields.title, 2.0), (self.fields.body, 1.0)] {
                let t = Term::from_field_text(field, term);
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs)), boost)),
                ));
                // One typo in latin words of four letters or more.
                if is_latin(term) && term.chars().count() >= 4 {
                    should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(FuzzyTermQuery::new(t, 1, true)), boost * 0.5))));
                }
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
        }
        Box::new(BooleanQuery::new(must))
    }

    fn run(&self, q: &SearchQuery) -> anyhow::Result<SearchResult> {
        let terms = query_terms(&q.q);
        // Candidates with their scores; without words, every product.
        let scored: Option<HashMap<i64, Score>> = if terms.is_empty() {
            None
        } else {
            let searcher = self.reader.searcher();
            let hits = searcher.search(self.query(&terms).as_ref(), &ScoredIds)?;
            Some(hits.into_iter().map(|(id, s)| (id as i64, s)).collect())
        };
        let rows = self.rows.read().expect("rows lock");
        let regions: Option<Vec<String>> = q.regions.as_ref().map(|rs| rs.iter().map(|r| r.to_string()).collect());
        let keep = |row: &Row| -> bool {
            q.category.as_ref().is_none_or(|c| &row.category == c)
                && q.prefecture.is_none_or(|p| row.prefecture == p.to_string())
                && q.county.is_none_or(|c| row.county == c.to_string())
                && q.storage.as_ref().is_none_or(|s| &row.storage == s)
                && match q.certified.as_deref() {
                    None => true,
                    Some("any") => !row.certificates.is_empty(),
                    Some(kind) => row.certificates.iter().any(|c| c == kind),
                }
                && q.price_min_fen.is_none_or(|m| row.price_fen >= m)
                && q.price_max_fen.is_none_or(|m| row.price_fen <= m)
                && (!q.in_stock || row.available > 0)
                && regions.as_ref().is_none_or(|rs| row.ancestors.iter().any(|a| rs.contains(a)))
        };
        let mut hits: Vec<Hit> = match &scored {
            Some(scored) => scored.iter().filter_map(|(id, s)| rows.get(id).filter(|r| keep(r)).map(|r| (*id, *s, r))).collect(),
            None => rows.iter().filter(|(_, r)| keep(r)).map(|(id, r)| (*id, 0.0, r)).collect(),
        };

        let facets = count_facets(hits.iter().map(|(_, _, r)| *r));
        let total = hits.len() as u64;
        let by: fn(&Hit, &Hit) -> std::cmp::Ordering = match q.sort {
            Sort::Relevance => |a, b| b.1.total_cmp(&a.1).then(b.2.created_at.cmp(&a.2.created_at)).then(b.0.cmp(&a.0)),
            Sort::PriceAsc => |a, b| a.2.price_fen.cmp(&b.2.price_fen).then(a.0.cmp(&b.0)),
            Sort::PriceDesc => |a, b| b.2.price_fen.cmp(&a.2.price_fen).then(a.0.cmp(&b.0)),
            Sort::Sales => |a, b| b.2.sales_count.cmp(&a.2.sales_count).then(a.0.cmp(&b.0)),
            Sort::Newest => |a, b| b.2.created_at.cmp(&a.2.created_at).then(b.0.cmp(&a.0)),
        };
        // Only the first offset + limit need to be in order.
        let end = (q.offset + q.limit).min(hits.len());
        if end > 0 && end < hits.len() {
            hits.select_nth_unstable_by(end - 1, by);
            hits.truncate(end);
        }
        hits.sort_unstable_by(by);
        let ids = hits.iter().skip(q.offset).take(q.limit).map(|(id, _, _)| *id).collect();
        Ok(SearchResult { ids, total, facets })
    }
}

fn count_facets<'a>(rows: impl Iterator<Item = &'a Row>) -> Facets {
    let mut maps: [HashMap<&str, u64>; 5] = Default::default();
    for r in rows {
        *maps[0].entry(&r.category).or_default() += 1;
        *maps[1].entry(&r.prefecture).or_default() += 1;
        *maps[2].entry(&r.county).or_default() += 1;
        *maps[3].entry(&r.storage).or_default() += 1;
        for c in &r.certificates {
            *maps[4].entry(c).or_default() += 1;
        }
    }
    let [category, prefecture, county, storage, certified] = maps.map(sorted_counts);
    Facets { category, prefecture, county, storage, certified }
}

/// Facet values by count, then value; empty values (no region) left out.
pub(super) fn sorted_counts(map: HashMap<&str, u64>) -> Vec<FacetCount> {
    let mut v: Vec<FacetCount> =
        map.into_iter().filter(|(k, _)| !k.is_empty()).map(|(value, count)| FacetCount { value: value.to_owned(), count }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    v
}

/// A candidate: product id, score, values.
type Hit<'a> = (i64, Score, &'a Row);

/// Collects every matching document's product id with its score.
struct ScoredIds;

struct ScoredIdsSegment {
    ids: Column<u64>,
    out: Vec<(u64, Score)>,
}

impl Collector for ScoredIds {
    type Fruit = Vec<(u64, Score)>;
    type Child = ScoredIdsSegment;

    fn for_segment(&self, _ord: u32, reader: &SegmentReader) -> tantivy::Result<ScoredIdsSegment> {
        Ok(ScoredIdsSegment { ids: reader.fast_fields().u64("id")?, out: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u64, Score)>>) -> tantivy::Result<Vec<(u64, Score)>> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for ScoredIdsSegment {
    type Fruit = Vec<(u64, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(id) = self.ids.first(doc) {
            self.out.push((id, score));
        }
    }

    fn harvest(self) -> Vec<(u64, Score)> {
        self.out
    }
}

impl SearchEngine for Arc<EmbeddedEngine> {
    async fn upsert(&self, docs: Vec<SearchDoc>) -> anyhow::Result<()> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.write(&docs, &[], false)).await?
    }

    async fn delete(&self, ids: Vec<i64>) -> anyhow::Result<()> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.write(&[], &ids, false)).await?
    }

    async fn clear(&self) -> anyhow::Result<()> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.write(&[], &[], true)).await?
    }

    async fn search(&self, q: &SearchQuery) -> anyhow::Result<SearchResult> {
        // A search takes well under a millisecond to a few: run it in place
        // rather than pay a thread hand-off.
        self.run(q)
    }

    async fn count(&self) -> anyhow::Result<u64> {
        Ok(self.rows.read().expect("rows lock").len() as u64)
    }
}

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
use super::table::Table;
use super::{SearchDoc, SearchEngine, SearchQuery, SearchResult};
use anyhow::Context;
use cang_jie::{CangJieTokenizer, TokenizerOption};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy::{DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, TantivyDocument, Term};

const TOKENIZER: &str = "jieba_all";

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
    table: RwLock<Table>,
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
        let engine = EmbeddedEngine { reader, writer: Mutex::new(writer), fields, table: RwLock::new(Table::default()) };
        engine.load_rows()?;
        Ok(engine)
    }

    /// Rebuilds the in-memory table from the stored documents.
    fn load_rows(&self) -> anyhow::Result<()> {
        let searcher = self.reader.searcher();
        let mut table = Table::default();
        for addr in searcher.search(&AllQuery, &tantivy::collector::DocSetCollector)? {
            let stored: TantivyDocument = searcher.doc(addr)?;
            if let Some(json) = stored.get_first(self.fields.doc).and_then(|v| v.as_str()) {
                let doc: SearchDoc = serde_json::from_str(json).context("a stored search document")?;
                table.upsert(&doc);
            }
        }
        *self.table.write().expect("table lock") = table;
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
        let mut table = self.table.write().expect("table lock");
        if clear {
            table.clear();
        }
        for id in delete {
            table.delete(*id);
        }
        for d in docs {
            table.upsert(d);
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
        // Products that match the words, with scores; without words, all.
        let scored = if terms.is_empty() { None } else { Some(self.reader.searcher().search(self.query(&terms).as_ref(), &ScoredIds)?) };
        let (ids, total, facets) = self.table.read().expect("table lock").search(q, scored.as_deref());
        Ok(SearchResult { ids, total, facets })
    }
}

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
        Ok(self.table.read().expect("table lock").len() as u64)
    }
}

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
//!
//! A search reads one [`View`]: a tantivy searcher, the table as of the
//! same commit, and for each of the searcher's segments the table row of
//! every document, so a match becomes a row without a fast-field read or
//! a lookup by id. Writers replace the view under its lock.

use super::segment::{is_latin, jieba, query_terms};
use super::table::Table;
use super::{SearchDoc, SearchEngine, SearchQuery, SearchResult};
use anyhow::Context;
use cang_jie::{CangJieTokenizer, TokenizerOption};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{AlphaNumOnlyFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};
use tantivy::{DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, SegmentReader, TantivyDocument, Term};

const TOKENIZER: &str = "jieba_all";
const LATIN: &str = "latin_words";

struct Fields {
    id: Field,
    text: Field,
    /// The latin words alone, for typo-tolerant matching: a Levenshtein
    /// walk of this small dictionary instead of one full of Chinese words.
    latin: Field,
    doc: Field,
}

/// tantivy + jieba, stored in a folder.
pub struct EmbeddedEngine {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    view: RwLock<View>,
    /// Held for the life of the engine: one process per index folder.
    _lock: std::fs::File,
}

/// What searches read, consistent with itself.
struct View {
    searcher: Searcher,
    table: Table,
    /// By segment: the table row of each document (`u32::MAX`: none).
    rows: HashMap<SegmentId, Arc<Vec<u32>>>,
    /// `table.moves()` when `rows` was built.
    moves: u64,
}

impl View {
    /// Brings the row maps up to `searcher`'s segments: maps of segments
    /// still there are kept unless rows moved since; new ones are built.
    fn refresh(&mut self, searcher: Searcher, id_field: Field) -> anyhow::Result<()> {
        if self.moves != self.table.moves() {
            self.rows.clear();
            self.moves = self.table.moves();
        }
        let mut rows = HashMap::new();
        for segment in searcher.segment_readers() {
            let map = match self.rows.remove(&segment.segment_id()) {
                Some(map) => map,
                None => Arc::new(rows_of(segment, id_field, &self.table)?),
            };
            rows.insert(segment.segment_id(), map);
        }
        self.rows = rows;
        self.searcher = searcher;
        Ok(())
    }
}

/// The table row of each of `segment`'s documents.
fn rows_of(segment: &SegmentReader, id_field: Field, table: &Table) -> tantivy::Result<Vec<u32>> {
    let name = segment.schema().get_field_name(id_field).to_owned();
    let ids = segment.fast_fields().u64(&name)?.first_or_default_col(0);
    Ok((0..segment.max_doc()).map(|doc| i64::try_from(ids.get_val(doc)).ok().and_then(|id| table.row(id)).unwrap_or(u32::MAX)).collect())
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs));
    let latin = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(LATIN).set_index_option(IndexRecordOption::WithFreqs));
    let id = b.add_u64_field("id", INDEXED | FAST);
    let text = b.add_text_field("text", text);
    let latin = b.add_text_field("latin", latin);
    let doc = b.add_text_field("doc", STORED);
    (b.build(), Fields { id, text, latin, doc })
}

impl EmbeddedEngine {
    /// Opens (or creates) the index in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<EmbeddedEngine> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let lock = lock_folder(dir)?;
        let (schema, fields) = schema();
        let open = || -> anyhow::Result<Index> {
            let directory = tantivy::directory::MmapDirectory::open(dir).with_context(|| format!("opening {}", dir.display()))?;
            Ok(Index::open_or_create(directory, schema.clone())?)
        };
        let index = match open() {
            Ok(index) => index,
            // An index of an earlier layout. It only ever holds what the
            // database says: start empty, and the server rebuilds it.
            Err(e) if matches!(e.downcast_ref(), Some(tantivy::TantivyError::SchemaError(_))) => {
                tracing::warn!(dir = %dir.display(), "the search index has an earlier layout: starting a new one");
                std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                open()?
            }
            Err(e) => return Err(e.context("opening the search index")),
        };
        // Indexing: every dictionary word inside the text (full mode), so a
        // query word found inside a compound still matches.
        let analyzer = TextAnalyzer::builder(CangJieTokenizer { worker: jieba(), option: TokenizerOption::All }).filter(LowerCaser).build();
        index.tokenizers().register(TOKENIZER, analyzer);
        let latin = TextAnalyzer::builder(SimpleTokenizer::default()).filter(AlphaNumOnlyFilter).filter(LowerCaser).build();
        index.tokenizers().register(LATIN, latin);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer_with_num_threads(1, 64_000_000).context("opening the search index writer")?;
        // The table, rebuilt from the stored documents.
        let searcher = reader.searcher();
        let mut table = Table::default();
        for addr in searcher.search(&AllQuery, &tantivy::collector::DocSetCollector)? {
            let stored: TantivyDocument = searcher.doc(addr)?;
            if let Some(json) = stored.get_first(fields.doc).and_then(|v| v.as_str()) {
                let doc: SearchDoc = serde_json::from_str(json).context("a stored search document")?;
                table.upsert(&doc);
            }
        }
        let mut view = View { searcher: searcher.clone(), table, rows: HashMap::new(), moves: 0 };
        view.refresh(searcher, fields.id)?;
        Ok(EmbeddedEngine { reader, writer: Mutex::new(writer), fields, view: RwLock::new(view), _lock: lock })
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
            // One text field, the names twice: a word of the name counts
            // double in BM25, as a boosted title field would, while each
            // query word stays a single posting list (no union of two
            // fields per word — the most expensive part of a search).
            doc.add_text(
                self.fields.text,
                format!(
                    "{name} {en} {name} {en} {} {} {} {}",
                    d.description,
                    d.category_labels,
                    d.origin_names,
                    d.cooperative,
                    name = d.name,
                    en = d.name_en
                ),
            );
            doc.add_text(self.fields.latin, format!("{en} {en} {} {} {}", d.description, d.category_labels, d.cooperative, en = d.name_en));
            doc.add_text(self.fields.doc, serde_json::to_string(d)?);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        self.reader.reload()?;
        let mut view = self.view.write().expect("view lock");
        if clear {
            view.table.clear();
        }
        for id in delete {
            view.table.delete(*id);
        }
        for d in docs {
            view.table.upsert(d);
        }
        view.refresh(self.reader.searcher(), self.fields.id)
    }

    fn query(&self, terms: &[String]) -> Box<dyn Query> {
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in terms {
            let t = Term::from_field_text(self.fields.text, term);
            let exact: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
            // One typo in latin words of four letters or more; an exact
            // match scores higher than a corrected one.
            let word = match is_latin(term) && term.chars().count() >= 4 {
                true => Box::new(BooleanQuery::new(vec![
                    (Occur::Should, exact),
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new(Term::from_field_text(self.fields.latin, term), 1, true)),
                            0.5,
                        )),
                    ),
                ])),
                false => exact,
            };
            must.push((Occur::Must, word));
        }
        if must.len() == 1 {
            return must.pop().map(|(_, q)| q).expect("one query");
        }
        Box::new(BooleanQuery::new(must))
    }

    fn run(&self, q: &SearchQuery) -> anyhow::Result<SearchResult> {
        let terms = query_terms(&q.q);
        let view = self.view.read().expect("view lock");
        // Rows that match the words, with scores; without words, all.
        let matched = match terms.is_empty() {
            true => None,
            false => Some(view.searcher.search(self.query(&terms).as_ref(), &ScoredRows { view: &view, id_field: self.fields.id })?),
        };
        let (ids, total, facets) = view.table.search(q, matched);
        Ok(SearchResult { ids, total, facets })
    }
}

/// Collects every matching document's table row with its score.
struct ScoredRows<'a> {
    view: &'a View,
    id_field: Field,
}

struct ScoredRowsSegment {
    rows: Arc<Vec<u32>>,
    out: Vec<(u32, Score)>,
}

impl Collector for ScoredRows<'_> {
    type Fruit = Vec<(u32, Score)>;
    type Child = ScoredRowsSegment;

    fn for_segment(&self, _ord: u32, segment: &SegmentReader) -> tantivy::Result<ScoredRowsSegment> {
        let rows = match self.view.rows.get(&segment.segment_id()) {
            Some(rows) => rows.clone(),
            // Not expected (the view maps every segment of its searcher),
            // but correct all the same.
            None => Arc::new(rows_of(segment, self.id_field, &self.view.table)?),
        };
        Ok(ScoredRowsSegment { rows, out: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, mut fruits: Vec<Vec<(u32, Score)>>) -> tantivy::Result<Vec<(u32, Score)>> {
        if fruits.len() == 1 {
            return Ok(fruits.pop().unwrap_or_default());
        }
        Ok(fruits.concat())
    }
}

impl SegmentCollector for ScoredRowsSegment {
    type Fruit = Vec<(u32, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(&row) = self.rows.get(doc as usize)
            && row != u32::MAX
        {
            self.out.push((row, score));
        }
    }

    fn harvest(self) -> Vec<(u32, Score)> {
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
        Ok(self.view.read().expect("view lock").table.len() as u64)
    }
}

/// Takes the index folder for this process: an exclusive lock on
/// `<folder>.lock` beside it (beside, not inside: an index of an earlier
/// layout is removed folder and all), held until the engine is dropped and
/// released by the system when the process dies. The embedded index is one
/// process's: a second process writing it would corrupt it, and one
/// reading it would serve results that never see the other's changes.
fn lock_folder(dir: &Path) -> anyhow::Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = dir.with_extension("lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    // fs4 (flock on Unix), already built for tantivy: std's File::try_lock
    // needs Rust 1.89, past this crate's rust-version.
    match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
        Ok(true) => {}
        Ok(false) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
            anyhow::bail!(
                "the search index {} is in use by another zhunong process{holder}. The embedded search engine serves one \
                 process: stop the other one, give this one its own ZHUNONG_DATA_DIR, or, to run several instances on \
                 one database, set MEILI_URL (Meilisearch) and DATABASE_URL (PostgreSQL)",
                dir.display()
            )
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("locking {}", path.display()))),
    }
    // Who holds it, for the message above (the lock is what counts).
    let _ = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| write!(file, "{}", std::process::id()));
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_index_of_an_earlier_layout_is_replaced_by_an_empty_one() {
        let dir = std::env::temp_dir().join(format!("zhunong-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut b = Schema::builder();
        b.add_text_field("title", STORED);
        Index::create_in_dir(&dir, b.build()).unwrap();

        let engine = Arc::new(EmbeddedEngine::open(&dir).expect("opens despite the old layout"));
        assert_eq!(engine.count().await.unwrap(), 0, "empty: the server rebuilds it from the database");
        drop(engine);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_second_engine_on_the_same_folder_is_refused_until_the_first_is_gone() {
        let dir = std::env::temp_dir().join(format!("zhunong-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = EmbeddedEngine::open(&dir).expect("the first opens");
        // A lock taken through another open file conflicts as one taken by
        // another process does (flock locks belong to the open file).
        let refused = EmbeddedEngine::open(&dir).err().expect("the second is refused");
        let message = format!("{refused:#}");
        assert!(message.contains("in use by another zhunong process"), "{message}");
        assert!(message.contains(&format!("process {}", std::process::id())), "names the holder: {message}");
        assert!(message.contains("MEILI_URL"), "says what scales out: {message}");
        drop(first);
        EmbeddedEngine::open(&dir).expect("free again once the first is gone");
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(dir.with_extension("lock"));
    }
}

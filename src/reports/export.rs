//! Exports: the one way every report gives its table as JSON, CSV or XLSX,
//! streamed, so that a 100,000-row export never holds its rows in memory.
//!
//! A report says what its columns are and sends its rows; the export does
//! the rest — headers in the reader's language, yuan written as yuan, a
//! totals row, the file's name and media type. The HTTP edges turn the
//! started [`Download`] into a response (`crate::http::download`).
//!
//! ```ignore
//! use crate::reports::export::{Cell, Column, Export, Totals};
//! use futures_util::TryStreamExt;
//!
//! const COLUMNS: &[Column] = &[
//!     Column::text("cooperative", "合作社", "Cooperative"),
//!     Column::integer("households", "供货农户", "Households supplied"),
//!     Column::yuan("gross_sales_fen", "销售额（元）", "Gross sales (yuan)"),
//! ];
//!
//! /// The domain builds the export; nothing runs until it is started.
//! pub fn cooperative_sales(db: &Db, region: String) -> Export {
//!     let db = db.clone();
//!     Export::new("cooperative-sales", ("合作社销售", "Cooperative sales"), COLUMNS)
//!         .totals(Totals::Sum)
//!         .rows(move |mut out| async move {
//!             let mut rows = sqlx::query_as::<_, (String, i64, i64)>("SELECT … WHERE region = $1")
//!                 .bind(region)
//!                 .fetch(db.pool());
//!             while let Some((name, households, gross)) = rows.try_next().await? {
//!                 out.send(vec![name.into(), households.into(), Fen::new(gross).into()]).await?;
//!             }
//!             Ok(())
//!         })
//! }
//!
//! // The handler (api/ or web/): `format` from `Format::parse(q.format.as_deref())`.
//! let response = crate::http::download(cooperative_sales(&state.db, region), format, &headers).await?;
//! ```
//!
//! Rows already in memory (a year's twelve months) go in with
//! [`Export::rows_from`]. `out.send(..)?` ends the producer early, without
//! an error, when the reader went away or the row limit is reached.
//!
//! How it flows: the producer runs as a task of its own and sends rows into
//! a bounded channel; the writer (csv, serde_json or rust_xlsxwriter —
//! blocking code) runs on `spawn_blocking` and writes chunks of at most
//! [`CHUNK_BYTES`] into another bounded channel, which the response body
//! drains. So at any time at most [`ROW_BUFFER`] rows and [`CHUNK_BUFFER`]
//! chunks are in memory, and the async runtime never blocks.
//!
//! - CSV: UTF-8 with a byte-order mark (so Excel reads the Chinese), written
//!   by the `csv` crate (quoting and escaping). Yuan are exact text from
//!   fen (`Fen::yuan_text`), never a float. A text that starts like a
//!   formula (`=`, `+`, `-`, `@`) gets a leading `'`, so a spreadsheet shows
//!   it instead of running it. The header row is Chinese, or in English the
//!   columns' keys (a money column's `_fen` read as `_yuan`), for machines.
//! - XLSX: headers in the reader's language, bold, frozen, with a filter;
//!   yuan as numbers with the format `¥#,##0.00`; dates as dates; a bold
//!   totals row. The sheet is written in rust_xlsxwriter's constant-memory
//!   mode: each finished row goes to an anonymous temporary file (in
//!   `TMPDIR`, which should be a disk, not memory), and the zip is then
//!   streamed out as it is compressed (rust_xlsxwriter writes zips in
//!   streaming mode, so no seeking and no second file). Its body's first
//!   byte comes once every row is in the sheet.
//! - JSON: `{"rows": [{key: value}], "totals": {…} | null, "notes": {key:
//!   value}, "truncated": bool}`, money in fen under the column's key — for
//!   reports whose JSON is their table; a report with a richer JSON shape
//!   answers JSON itself and uses the export for CSV and XLSX.
//!
//! The work is bounded: at most [`crate::bounds::MAX_EXPORT_ROWS`] rows.
//! Past it the export stops reading, and says so in a last row (and in
//! JSON's `truncated`): a CSV has already started when the limit is met,
//! so an error is no longer possible, and a cut file that says it is cut
//! serves an official better than none.
//!
//! The answer begins with the first row, so a failing query (the usual
//! mistake) is still a 5xx with a request id. An export that fails later
//! (the database goes away at row 50,000) ends the body with an error, so
//! the connection is dropped and the download fails visibly rather than
//! looking complete; the failure is logged.

use crate::money::Fen;
use crate::validation::Problem;
use futures_util::future::BoxFuture;
use std::borrow::Cow;
use std::future::Future;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{mpsc, oneshot};

/// Rows buffered between the producer and the writer.
pub const ROW_BUFFER: usize = 1024;
/// Bytes gathered before a chunk goes to the response: 64 KiB.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks buffered between the writer and the response.
pub const CHUNK_BUFFER: usize = 4;

/// The file format asked for with `format=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (the default).
    Json,
    /// CSV, UTF-8 with a byte-order mark.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl Format {
    /// The values `format=` takes.
    pub const CHOICES: &'static [&'static str] = &["json", "csv", "xlsx"];

    /// `format=` of a request: JSON when absent or empty (a form's empty
    /// choice); anything but the [`Format::CHOICES`] is a problem naming
    /// them.
    pub fn parse(value: Option<&str>) -> Result<Format, Problem> {
        match value {
            None | Some("" | "json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(_) => Err(Problem::Choice(Format::CHOICES)),
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// The media type of the answer.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The language of an export's headers and labels; the edges decide it
/// from the request (the page's language cookie, then Accept-Language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// 中文 (default)
    #[default]
    Zh,
    /// English
    En,
}

impl Language {
    /// The one of two texts written for this language.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Language::Zh => zh,
            Language::En => en,
        }
    }
}

/// What a column holds, which decides how it is written and summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A whole number (households, units); summed in totals.
    Integer,
    /// Money: [`Cell::Fen`] cells, written as yuan; summed in totals.
    Yuan,
    /// A percentage: [`Cell::Percent`] cells, in percent (`12.5` is 12.5 %).
    Percent,
    /// A date, `YYYY-MM-DD` text cells (a date in XLSX).
    Date,
    /// A month, `YYYY-MM` text cells.
    Month,
}

/// One column of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The JSON key (money in fen ends in `_fen`), and the English CSV
    /// header (with `_fen` read as `_yuan`).
    pub key: Cow<'static, str>,
    /// The Chinese header.
    pub zh: Cow<'static, str>,
    /// The English header (XLSX).
    pub en: Cow<'static, str>,
    /// What it holds.
    pub kind: Kind,
}

impl Column {
    /// A column of `kind`.
    pub const fn new(key: &'static str, zh: &'static str, en: &'static str, kind: Kind) -> Column {
        Column { key: Cow::Borrowed(key), zh: Cow::Borrowed(zh), en: Cow::Borrowed(en), kind }
    }
    /// A text column.
    pub const fn text(key: &'static str, zh: &'static str, en: &'static str) -> Column {
        Column::new(key, zh, en, Kind::Text)
    }
    /// A whole-number column.
    pub const fn integer(key: &'static str, zh: &'static str, en: &'static str) -> Column {
        Column::new(key, zh, en, Kind::Integer)
    }
    /// A money column (fen in, yuan out).
    pub const fn yuan(key: &'static str, zh: &'static str, en: &'static str) -> Column {
        Column::new(key, zh, en, Kind::Yuan)
    }
    /// A percentage column.
    pub const fn percent(key: &'static str, zh: &'static str, en: &'static str) -> Column {
        Column::new(key, zh, en, Kind::Percent)
    }
    /// A date column.
    pub const fn date(key: &'static str, zh: &'static str, en: &'static str) -> Column {
        Column::new(key, zh, en, Kind::Date)
    }
    /// A month column.
    pub const fn month(key: &'static str, zh: &'static str, en: &'static str) -> Column {
        Column::new(key, zh, en, Kind::Month)
    }

    /// The header people read (XLSX).
    pub fn header(&self, lang: Language) -> &str {
        lang.pick(&self.zh, &self.en)
    }

    /// The CSV header: Chinese, or in English the key, with a money
    /// column's `_fen` read as `_yuan` (its cells are yuan).
    pub fn csv_header(&self, lang: Language) -> Cow<'_, str> {
        match lang {
            Language::Zh => Cow::Borrowed(&self.zh),
            Language::En if self.kind == Kind::Yuan => match self.key.strip_suffix("_fen") {
                Some(stem) => Cow::Owned(format!("{stem}_yuan")),
                None => Cow::Borrowed(&self.key),
            },
            Language::En => Cow::Borrowed(&self.key),
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing (null in JSON).
    Empty,
    /// Text; in a [`Kind::Date`] column `YYYY-MM-DD`.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// Money.
    Fen(Fen),
    /// A percentage, in percent (`12.5` is 12.5 %).
    Percent(f64),
}

impl Cell {
    /// A percentage, or nothing.
    pub fn percent(p: Option<f64>) -> Cell {
        p.filter(|p| p.is_finite()).map_or(Cell::Empty, Cell::Percent)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(v.to_owned())
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(v)
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Integer(v)
    }
}
impl From<Fen> for Cell {
    fn from(v: Fen) -> Cell {
        Cell::Fen(v)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// The totals row.
#[derive(Debug, Clone, PartialEq)]
pub enum Totals {
    /// None.
    None,
    /// The sum of every integer and money column, worked out by the writer
    /// from the rows it wrote (so it always matches them); other columns
    /// empty, the first labelled 合计 / Total.
    Sum,
    /// A row the report worked out (an empty first cell is labelled).
    Given(Vec<Cell>),
}

/// A labelled value after the totals (a year's target, say): one row
/// `label, value` in CSV and XLSX, `"notes": {key: value}` in JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The JSON key and the English CSV label.
    pub key: Cow<'static, str>,
    /// The Chinese label.
    pub zh: Cow<'static, str>,
    /// The English label (XLSX).
    pub en: Cow<'static, str>,
    /// The value.
    pub value: Cell,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The rows' query failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// Writing the CSV failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// Writing the workbook failed.
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// Writing JSON failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Writing failed (the reader went away, a full temporary disk).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A row with another number of cells than there are columns (a bug
    /// of the report).
    #[error("a row has {found} cells for {expected} columns")]
    Shape {
        /// Columns.
        expected: usize,
        /// Cells sent.
        found: usize,
    },
    /// A total does not fit in 64 bits.
    #[error("a total is out of range")]
    Overflow,
    /// The rows ended without their producer finishing (it panicked), or
    /// the writer died.
    #[error("the export ended before its rows did")]
    Incomplete,
    /// Not a failure: the reader went away or the row limit was reached,
    /// so the producer should stop ([`Rows::send`]).
    #[error("the export needs no more rows")]
    Stopped,
}

/// What the producer sends the writer.
enum Message {
    Row(Vec<Cell>),
    End,
    Failed(ExportError),
}

/// The producer's end of the rows: [`Rows::send`] each row in order.
pub struct Rows {
    tx: mpsc::Sender<Message>,
    columns: usize,
    sent: usize,
    limit: usize,
    truncated: Arc<AtomicBool>,
}

impl Rows {
    /// Sends one row, waiting while the writer is behind. `Err(Stopped)`
    /// when no more rows are wanted (the reader went away, or the row limit
    /// is reached: the export then says it is cut) — pass it on with `?`;
    /// the export treats it as the end. A row of the wrong width is an
    /// error.
    pub async fn send(&mut self, row: Vec<Cell>) -> Result<(), ExportError> {
        if row.len() != self.columns {
            return Err(ExportError::Shape { expected: self.columns, found: row.len() });
        }
        if self.sent >= self.limit {
            self.truncated.store(true, Ordering::SeqCst);
            return Err(ExportError::Stopped);
        }
        self.tx.send(Message::Row(row)).await.map_err(|_| ExportError::Stopped)?;
        self.sent += 1;
        Ok(())
    }
}

type Producer = Box<dyn FnOnce(Rows) -> BoxFuture<'static, Result<(), ExportError>> + Send>;

/// A report's table, ready to be written: columns, where its rows come
/// from, its totals. Nothing runs until [`Export::start`].
pub struct Export {
    file_stem: String,
    sheet: (Cow<'static, str>, Cow<'static, str>),
    columns: Vec<Column>,
    totals: Totals,
    notes: Vec<Note>,
    limit: usize,
    producer: Producer,
}

impl Export {
    /// An export named `file_stem` (ASCII: `reserved-share-2026`; the
    /// extension is added), whose sheet is called `sheet` (Chinese,
    /// English), with `columns` and no rows yet.
    pub fn new(file_stem: impl Into<String>, sheet: (&'static str, &'static str), columns: &[Column]) -> Export {
        Export {
            file_stem: file_stem.into(),
            sheet: (Cow::Borrowed(sheet.0), Cow::Borrowed(sheet.1)),
            columns: columns.to_vec(),
            totals: Totals::None,
            notes: Vec::new(),
            limit: crate::bounds::MAX_EXPORT_ROWS,
            producer: Box::new(|_| Box::pin(async { Ok(()) })),
        }
    }

    /// Where the rows come from: `produce` gets the [`Rows`] to send them
    /// to, and runs as a task of its own (so it owns what it reads: clone
    /// the `Db` into it).
    pub fn rows<F, Fut>(mut self, produce: F) -> Export
    where
        F: FnOnce(Rows) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), ExportError>> + Send + 'static,
    {
        self.producer = Box::new(move |rows| Box::pin(produce(rows)));
        self
    }

    /// Rows already at hand.
    pub fn rows_from<I>(self, rows: I) -> Export
    where
        I: IntoIterator<Item = Vec<Cell>> + Send + 'static,
        I::IntoIter: Send,
    {
        self.rows(move |mut out| async move {
            for row in rows {
                out.send(row).await?;
            }
            Ok(())
        })
    }

    /// The totals row.
    pub fn totals(mut self, totals: Totals) -> Export {
        self.totals = totals;
        self
    }

    /// A labelled value after the totals.
    pub fn note(mut self, key: &'static str, label: (&'static str, &'static str), value: impl Into<Cell>) -> Export {
        self.notes.push(Note { key: Cow::Borrowed(key), zh: Cow::Borrowed(label.0), en: Cow::Borrowed(label.1), value: value.into() });
        self
    }

    /// At most `rows` rows (never more than
    /// [`crate::bounds::MAX_EXPORT_ROWS`]).
    pub fn limit(mut self, rows: usize) -> Export {
        self.limit = rows.min(crate::bounds::MAX_EXPORT_ROWS);
        self
    }

    /// Starts the export: the rows flow from their producer through the
    /// writer into the returned [`Download`]'s chunks. Returns after the
    /// first row (or the end of none), so a failing query is still an error
    /// here; any failure after that ends the chunks with an error. Not
    /// later: an XLSX of a million rows takes longer to write than a
    /// request may take to be answered (30 s), and only the answer's
    /// beginning is bound by that limit, not its body.
    pub async fn start(self, format: Format, lang: Language) -> Result<Download, ExportError> {
        let Export { file_stem, sheet, columns, totals, notes, limit, producer } = self;
        let truncated = Arc::new(AtomicBool::new(false));
        let (row_tx, row_rx) = mpsc::channel(ROW_BUFFER);
        let rows = Rows { tx: row_tx.clone(), columns: columns.len(), sent: 0, limit, truncated: truncated.clone() };
        let produce = producer(rows);
        tokio::spawn(async move {
            let message = match produce.await {
                Ok(()) | Err(ExportError::Stopped) => Message::End,
                Err(e) => Message::Failed(e),
            };
            // The writer may have gone (the reader left): nothing to tell.
            let _ = row_tx.send(message).await;
        });
        let (chunk_tx, chunk_rx) = mpsc::channel(CHUNK_BUFFER);
        let (ready_tx, ready_rx) = oneshot::channel();
        let job = Job { format, lang, sheet, columns, totals, notes, limit, truncated };
        // A writer that panics must not end the body as if the file were
        // whole: its panic becomes the body's error.
        let on_panic = chunk_tx.clone();
        tokio::task::spawn_blocking(move || {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(row_rx, chunk_tx, ready_tx))).is_err() {
                let _ = on_panic.blocking_send(Err(io::Error::other("the export's writer panicked")));
            }
        });
        match ready_rx.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(ExportError::Incomplete),
        }
        Ok(Download { file_name: format!("{}.{}", safe_stem(&file_stem), format.extension()), format, chunks: chunk_rx })
    }
}

/// A file name part that needs no quoting in a header: ASCII letters,
/// digits, `-` and `_`; anything else becomes `-`.
fn safe_stem(stem: &str) -> String {
    let s: String = stem.chars().take(100).map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    if s.is_empty() { "export".to_owned() } else { s }
}

/// A started export: its file name, format, and bytes as they are written.
pub struct Download {
    /// `reserved-share-2026.xlsx`
    pub file_name: String,
    /// The format.
    pub format: Format,
    /// The bytes, in chunks; an `Err` ends a failed export.
    pub chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
}

impl Download {
    /// The media type.
    pub fn content_type(&self) -> &'static str {
        self.format.content_type()
    }

    /// The whole file in memory — for tests and small files only; a
    /// response streams [`Download::chunks`].
    pub async fn bytes(mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = self.chunks.recv().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

/// Everything the blocking writer needs.
struct Job {
    format: Format,
    lang: Language,
    sheet: (Cow<'static, str>, Cow<'static, str>),
    columns: Vec<Column>,
    totals: Totals,
    notes: Vec<Note>,
    limit: usize,
    truncated: Arc<AtomicBool>,
}

impl Job {
    /// Writes the export (on a blocking thread). `ready` is answered once:
    /// with the failure while the response has not started, `Ok` when it
    /// may; later failures go down `chunks`.
    fn run(
        self,
        mut rows: mpsc::Receiver<Message>,
        chunks: mpsc::Sender<io::Result<Vec<u8>>>,
        ready: oneshot::Sender<Result<(), ExportError>>,
    ) {
        let mut ready = Some(ready);
        let out = ChunkWriter::new(chunks.clone());
        let result = self.write(&mut rows, out, &chunks, &mut ready);
        match (result, ready.take()) {
            (Ok(()), Some(ready)) => {
                let _ = ready.send(Ok(()));
            }
            (Ok(()), None) => {}
            (Err(e), Some(ready)) => {
                let _ = ready.send(Err(e));
            }
            // The reader went away: nobody to tell.
            (Err(_), None) if chunks.is_closed() => tracing::info!("an export's reader went away before its end"),
            (Err(e), None) => {
                tracing::error!(error = %e, "an export failed after its answer began; the download is cut off");
                let _ = chunks.blocking_send(Err(io::Error::other(e.to_string())));
            }
        }
    }

    fn write(
        &self,
        rows: &mut mpsc::Receiver<Message>,
        out: ChunkWriter,
        chunks: &mpsc::Sender<io::Result<Vec<u8>>>,
        ready: &mut Option<oneshot::Sender<Result<(), ExportError>>>,
    ) -> Result<(), ExportError> {
        let mut sheet = match self.format {
            Format::Csv => Sheet::Csv(CsvSheet::new(out, &self.columns, self.lang)?),
            Format::Json => Sheet::Json(JsonSheet::new(out, &self.columns)?),
            Format::Xlsx => Sheet::Xlsx(XlsxSheet::new(&self.columns, self.lang, self.lang.pick(&self.sheet.0, &self.sheet.1))?, out),
        };
        let mut sum = Sum::new(&self.columns);
        let mut written = 0usize;
        loop {
            match rows.blocking_recv() {
                Some(Message::Row(row)) => {
                    sum.add(&row);
                    sheet.row(&row)?;
                    written += 1;
                    // An XLSX sends nothing before its end, so it would not
                    // notice a reader that left (a closed tab, a client that
                    // gave up) until then: look now and then.
                    if written % ROW_BUFFER == 0 && chunks.is_closed() {
                        return Err(ExportError::Stopped);
                    }
                }
                Some(Message::End) => break,
                Some(Message::Failed(e)) => return Err(e),
                None => return Err(ExportError::Incomplete),
            }
            // The first row came: the query works, the answer may begin
            // (what was written so far waits in the writer's buffer; an
            // XLSX sends its first byte only once its rows are all in the
            // sheet).
            if let Some(r) = ready.take() {
                let _ = r.send(Ok(()));
            }
        }
        let totals = match &self.totals {
            Totals::None => None,
            Totals::Sum => Some(sum.row()?),
            Totals::Given(row) if row.len() == self.columns.len() => Some(row.clone()),
            Totals::Given(row) => return Err(ExportError::Shape { expected: self.columns.len(), found: row.len() }),
        };
        let mut notes: Vec<Note> = self.notes.clone();
        if self.truncated.load(Ordering::SeqCst) {
            notes.push(truncation_note(self.limit, self.lang));
        }
        // No rows at all: the answer begins now.
        if let Some(r) = ready.take() {
            let _ = r.send(Ok(()));
        }
        sheet.finish(totals.map(|t| labelled(t, self.lang, self.format)), &notes, self.lang, self.truncated.load(Ordering::SeqCst))
    }
}

/// The note that says the rows were cut at `limit`.
fn truncation_note(limit: usize, lang: Language) -> Note {
    let n = crate::bounds::grouped(limit as i64);
    Note {
        key: Cow::Borrowed("truncated"),
        zh: Cow::Borrowed("注意"),
        en: Cow::Borrowed("Note"),
        value: Cell::Text(match lang {
            Language::Zh => format!("只导出了前 {n} 行（合计只含这些行），请缩小范围后分批导出。"),
            Language::En => {
                format!("Only the first {n} rows were exported (the totals cover them only); narrow the range to export the rest.")
            }
        }),
    }
}

/// The totals row with its first cell labelled when empty: 合计, or in
/// English `Total` (XLSX) and `total` (CSV, for machines).
fn labelled(mut row: Vec<Cell>, lang: Language, format: Format) -> Vec<Cell> {
    if let Some(first) = row.first_mut()
        && *first == Cell::Empty
    {
        *first = Cell::Text(lang.pick("合计", if format == Format::Xlsx { "Total" } else { "total" }).to_owned());
    }
    row
}

/// The running sums of a [`Totals::Sum`] row, in `i128` so that no row
/// count can overflow them before the end.
struct Sum {
    kinds: Vec<Kind>,
    sums: Vec<i128>,
}

impl Sum {
    fn new(columns: &[Column]) -> Sum {
        Sum { kinds: columns.iter().map(|c| c.kind).collect(), sums: vec![0; columns.len()] }
    }

    fn add(&mut self, row: &[Cell]) {
        for (sum, cell) in self.sums.iter_mut().zip(row) {
            match cell {
                Cell::Integer(v) => *sum += *v as i128,
                Cell::Fen(v) => *sum += v.get() as i128,
                _ => {}
            }
        }
    }

    fn row(&self) -> Result<Vec<Cell>, ExportError> {
        self.kinds
            .iter()
            .zip(&self.sums)
            .map(|(kind, sum)| {
                let v = || i64::try_from(*sum).map_err(|_| ExportError::Overflow);
                Ok(match kind {
                    Kind::Integer => Cell::Integer(v()?),
                    Kind::Yuan => Cell::Fen(Fen::new(v()?)),
                    _ => Cell::Empty,
                })
            })
            .collect()
    }
}

/// The writer of one export.
// One per export, on its own thread's stack: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Sheet<W: Write + Send> {
    Csv(CsvSheet<W>),
    Json(JsonSheet<W>),
    Xlsx(XlsxSheet, W),
}

impl<W: Write + Send> Sheet<W> {
    fn row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        match self {
            Sheet::Csv(s) => s.row(row),
            Sheet::Json(s) => s.row(row),
            Sheet::Xlsx(s, _) => s.row(row),
        }
    }

    fn finish(self, totals: Option<Vec<Cell>>, notes: &[Note], lang: Language, truncated: bool) -> Result<(), ExportError> {
        let mut out = match self {
            Sheet::Csv(mut s) => {
                if let Some(t) = &totals {
                    s.row(t)?;
                }
                for n in notes {
                    s.note(n, lang)?;
                }
                s.finish()?
            }
            Sheet::Json(s) => s.finish(totals.as_deref(), notes, truncated)?,
            Sheet::Xlsx(mut s, mut out) => {
                s.end_rows()?;
                if let Some(t) = &totals {
                    s.totals(t)?;
                }
                for n in notes {
                    s.note(n, lang)?;
                }
                s.finish(&mut out)?;
                out
            }
        };
        out.flush()?;
        Ok(())
    }
}

/// Gathers bytes into chunks of [`CHUNK_BYTES`] and sends them to the
/// response, waiting while it is behind (this runs on a blocking thread).
struct ChunkWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<io::Result<Vec<u8>>>,
}

impl ChunkWriter {
    fn new(tx: mpsc::Sender<io::Result<Vec<u8>>>) -> ChunkWriter {
        ChunkWriter { buf: Vec::with_capacity(CHUNK_BYTES), tx }
    }

    fn send(&mut self) -> io::Result<()> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the reader went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() { Ok(()) } else { self.send() }
    }
}

/// The text of a cell in CSV: yuan exactly from fen, percentages as given,
/// and text that a spreadsheet would take for a formula made inert.
fn csv_text(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => Cow::Owned(format!("'{s}")),
        Cell::Text(s) => Cow::Borrowed(s),
        Cell::Integer(v) => Cow::Owned(v.to_string()),
        Cell::Fen(v) => Cow::Owned(v.yuan_text()),
        Cell::Percent(v) => Cow::Owned(v.to_string()),
    }
}

/// CSV: a byte-order mark, the header, the rows.
struct CsvSheet<W: Write> {
    csv: csv::Writer<W>,
    width: usize,
}

impl<W: Write> CsvSheet<W> {
    fn new(mut out: W, columns: &[Column], lang: Language) -> Result<CsvSheet<W>, ExportError> {
        out.write_all("\u{feff}".as_bytes())?;
        // Flexible: a note row has two fields whatever the width (rows are
        // checked against the columns when they are sent).
        let mut csv = csv::WriterBuilder::new().flexible(true).from_writer(out);
        csv.write_record(columns.iter().map(|c| c.csv_header(lang).into_owned()))?;
        Ok(CsvSheet { csv, width: columns.len() })
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        self.csv.write_record(row.iter().map(|c| csv_text(c).into_owned()))?;
        Ok(())
    }

    fn note(&mut self, note: &Note, lang: Language) -> Result<(), ExportError> {
        let label = match (lang, &note.value) {
            (Language::Zh, _) => note.zh.to_string(),
            // As a money column's header: the value is yuan here.
            (Language::En, Cell::Fen(_)) => match note.key.strip_suffix("_fen") {
                Some(stem) => format!("{stem}_yuan"),
                None => note.key.to_string(),
            },
            (Language::En, _) => note.key.to_string(),
        };
        let mut record = vec![label, csv_text(&note.value).into_owned()];
        record.resize(self.width.max(2), String::new());
        self.csv.write_record(&record)?;
        Ok(())
    }

    fn finish(self) -> Result<W, ExportError> {
        self.csv.into_inner().map_err(|e| ExportError::Io(io::Error::other(e.to_string())))
    }
}

/// The JSON value of a cell: money in fen, as in the reports' JSON.
fn json_value(cell: &Cell) -> serde_json::Value {
    match cell {
        Cell::Empty => serde_json::Value::Null,
        Cell::Text(s) => serde_json::Value::String(s.clone()),
        Cell::Integer(v) => (*v).into(),
        Cell::Fen(v) => v.get().into(),
        Cell::Percent(v) => serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, serde_json::Value::Number),
    }
}

/// JSON: `{"rows": [...], "totals": ..., "notes": ..., "truncated": ...}`,
/// written row by row.
struct JsonSheet<W: Write> {
    out: W,
    keys: Vec<String>,
    first: bool,
}

impl<W: Write> JsonSheet<W> {
    fn new(mut out: W, columns: &[Column]) -> Result<JsonSheet<W>, ExportError> {
        out.write_all(b"{\"rows\":[")?;
        Ok(JsonSheet { out, keys: columns.iter().map(|c| c.key.to_string()).collect(), first: true })
    }

    fn object(&self, row: &[Cell]) -> serde_json::Map<String, serde_json::Value> {
        self.keys.iter().zip(row).map(|(k, c)| (k.clone(), json_value(c))).collect()
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        let object = self.object(row);
        serde_json::to_writer(&mut self.out, &object)?;
        Ok(())
    }

    fn finish(mut self, totals: Option<&[Cell]>, notes: &[Note], truncated: bool) -> Result<W, ExportError> {
        self.out.write_all(b"],\"totals\":")?;
        match totals {
            Some(t) => {
                let object = self.object(t);
                serde_json::to_writer(&mut self.out, &object)?
            }
            None => self.out.write_all(b"null")?,
        }
        let notes: serde_json::Map<String, serde_json::Value> = notes.iter().map(|n| (n.key.to_string(), json_value(&n.value))).collect();
        self.out.write_all(b",\"notes\":")?;
        serde_json::to_writer(&mut self.out, &notes)?;
        write!(self.out, ",\"truncated\":{truncated}}}")?;
        Ok(self.out)
    }
}

/// The widest text Excel keeps in a cell.
const XLSX_MAX_TEXT: usize = 32_767;

/// XLSX in constant-memory mode: one sheet, header row frozen and bold,
/// yuan formatted, totals bold.
struct XlsxSheet {
    book: rust_xlsxwriter::Workbook,
    columns: Vec<Kind>,
    formats: XlsxFormats,
    /// The next row to write (0 is the header).
    next: u32,
}

/// The cell formats, plain and bold (header and totals).
struct XlsxFormats {
    header: rust_xlsxwriter::Format,
    plain: [rust_xlsxwriter::Format; 2],
    integer: [rust_xlsxwriter::Format; 2],
    yuan: [rust_xlsxwriter::Format; 2],
    percent: [rust_xlsxwriter::Format; 2],
    date: [rust_xlsxwriter::Format; 2],
}

impl XlsxFormats {
    fn new() -> XlsxFormats {
        use rust_xlsxwriter::{Format, FormatBorder};
        let both = |f: Format| [f.clone(), f.set_bold()];
        XlsxFormats {
            header: Format::new().set_bold().set_border_bottom(FormatBorder::Thin),
            plain: both(Format::new()),
            integer: both(Format::new().set_num_format("#,##0")),
            yuan: both(Format::new().set_num_format("¥#,##0.00")),
            percent: both(Format::new().set_num_format("0.0%")),
            date: both(Format::new().set_num_format("yyyy-mm-dd")),
        }
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let s: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    let s = s.trim_matches('\'').to_owned();
    if s.is_empty() { "Sheet1".to_owned() } else { s }
}

/// How wide a header reads, in Excel's character widths (a Chinese
/// character is about two).
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

impl XlsxSheet {
    fn new(columns: &[Column], lang: Language, name: &str) -> Result<XlsxSheet, ExportError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let formats = XlsxFormats::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name(name))?;
        for (i, c) in columns.iter().enumerate() {
            // The rows are not seen before they are written (they stream),
            // so the widths come from the header and what the kind holds.
            let least = match c.kind {
                Kind::Text => 16,
                Kind::Integer => 10,
                Kind::Yuan => 16,
                Kind::Percent => 9,
                Kind::Date => 12,
                Kind::Month => 9,
            };
            let width = (display_width(c.header(lang)) + 2).clamp(least, 60);
            sheet.set_column_width(i as u16, width as f64)?;
            sheet.write_string_with_format(0, i as u16, c.header(lang), &formats.header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(XlsxSheet { book, columns: columns.iter().map(|c| c.kind).collect(), formats, next: 1 })
    }

    fn write(&mut self, row: &[Cell], bold: bool) -> Result<(), ExportError> {
        let b = usize::from(bold);
        let (r, f) = (self.next, &self.formats);
        let sheet = self.book.worksheet_from_index(0)?;
        for (i, (cell, kind)) in row.iter().zip(self.columns.iter().copied().chain(std::iter::repeat(Kind::Text))).enumerate() {
            let c = i as u16;
            match cell {
                Cell::Empty if bold => {
                    sheet.write_blank(r, c, &f.plain[b])?;
                }
                Cell::Empty => {}
                Cell::Text(s) if kind == Kind::Date => match crate::time::parse_date(s) {
                    Some(d) => {
                        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day())?;
                        sheet.write_datetime_with_format(r, c, &date, &f.date[b])?;
                    }
                    None => {
                        sheet.write_string_with_format(r, c, clip(s), &f.plain[b])?;
                    }
                },
                Cell::Text(s) => {
                    sheet.write_string_with_format(r, c, clip(s), &f.plain[b])?;
                }
                Cell::Integer(v) => {
                    sheet.write_number_with_format(r, c, *v as f64, &f.integer[b])?;
                }
                // fen / 100 is the double nearest the exact yuan amount
                // (both are exact, and division rounds correctly); the sheet
                // shows it with two decimals.
                Cell::Fen(v) => {
                    sheet.write_number_with_format(r, c, v.get() as f64 / 100.0, &f.yuan[b])?;
                }
                Cell::Percent(v) => {
                    sheet.write_number_with_format(r, c, *v / 100.0, &f.percent[b])?;
                }
            }
        }
        self.next += 1;
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        self.write(row, false)
    }

    /// Marks the end of the rows: the filter covers the header and the
    /// rows, not the totals and notes after them.
    fn end_rows(&mut self) -> Result<(), ExportError> {
        let (last_row, last_col) = (self.next.saturating_sub(1), self.columns.len().saturating_sub(1) as u16);
        self.book.worksheet_from_index(0)?.autofilter(0, 0, last_row, last_col)?;
        Ok(())
    }

    fn totals(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        self.write(row, true)
    }

    fn note(&mut self, note: &Note, lang: Language) -> Result<(), ExportError> {
        let label = Cell::Text(lang.pick(&note.zh, &note.en).to_string());
        let cells = [label, note.value.clone()];
        // The value is written by its own kind, not its column's.
        let kinds = std::mem::replace(&mut self.columns, vec![Kind::Text, Kind::Text]);
        let result = self.write(&cells, false);
        self.columns = kinds;
        result
    }

    fn finish(mut self, out: impl Write + Send) -> Result<(), ExportError> {
        self.book.save_to_writer(out)?;
        Ok(())
    }
}

/// Text cut to what an Excel cell holds.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(XLSX_MAX_TEXT) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    const COLUMNS: &[Column] = &[
        Column::text("name", "名称", "Name"),
        Column::date("day", "日期", "Day"),
        Column::integer("households", "农户", "Households"),
        Column::yuan("gross_fen", "销售额（元）", "Gross (yuan)"),
        Column::percent("share", "占比", "Share"),
    ];

    fn rows() -> Vec<Vec<Cell>> {
        vec![
            vec!["伽师县, \"卧里托格拉克\"\n第二行".into(), "2026-03-01".into(), 3.into(), Fen::new(123_456).into(), Cell::Percent(12.5)],
            vec!["=SUM(A1:A2)".into(), Cell::Empty, 2.into(), Fen::new(-5).into(), Cell::percent(None)],
        ]
    }

    fn csv_of(lang: Language, totals: Option<Vec<Cell>>, notes: &[Note]) -> Vec<u8> {
        let mut s = CsvSheet::new(Vec::new(), COLUMNS, lang).unwrap();
        for r in rows() {
            s.row(&r).unwrap();
        }
        if let Some(t) = totals {
            s.row(&t).unwrap();
        }
        for n in notes {
            s.note(n, lang).unwrap();
        }
        s.finish().unwrap()
    }

    fn records(bytes: &[u8]) -> Vec<Vec<String>> {
        let text = std::str::from_utf8(bytes).unwrap().strip_prefix('\u{feff}').expect("a byte-order mark first");
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn csv_starts_with_a_byte_order_mark_and_quotes_commas_quotes_and_line_breaks() {
        let bytes = csv_of(Language::Zh, None, &[]);
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"伽师县, \"\"卧里托格拉克\"\"\n第二行\""), "{text}");
        let r = records(&bytes);
        assert_eq!(r[0], ["名称", "日期", "农户", "销售额（元）", "占比"]);
        assert_eq!(r[1], ["伽师县, \"卧里托格拉克\"\n第二行", "2026-03-01", "3", "1234.56", "12.5"]);
    }

    #[test]
    fn csv_money_is_exact_yuan_text_and_a_formula_is_made_inert() {
        let r = records(&csv_of(Language::Zh, None, &[]));
        assert_eq!(r[2], ["'=SUM(A1:A2)", "", "2", "-0.05", ""]);
    }

    #[test]
    fn english_csv_headers_are_the_keys_with_money_in_yuan() {
        let r = records(&csv_of(Language::En, None, &[]));
        assert_eq!(r[0], ["name", "day", "households", "gross_yuan", "share"]);
    }

    #[test]
    fn csv_notes_are_a_label_and_a_value_padded_to_the_width() {
        let note = Note { key: "target_fen".into(), zh: "目标".into(), en: "Target".into(), value: Fen::new(100).into() };
        let r = records(&csv_of(Language::En, None, &[note]));
        assert_eq!(r[3], ["target_yuan", "1.00", "", "", ""]);
    }

    #[test]
    fn the_sum_adds_integer_and_money_columns_and_labels_the_first() {
        let mut sum = Sum::new(COLUMNS);
        for r in rows() {
            sum.add(&r);
        }
        let row = labelled(sum.row().unwrap(), Language::Zh, Format::Csv);
        assert_eq!(row, vec!["合计".into(), Cell::Empty, 5.into(), Fen::new(123_451).into(), Cell::Empty]);
        let mut big = Sum::new(COLUMNS);
        big.add(&[Cell::Empty, Cell::Empty, i64::MAX.into(), Cell::Empty, Cell::Empty]);
        big.add(&[Cell::Empty, Cell::Empty, 1.into(), Cell::Empty, Cell::Empty]);
        assert!(matches!(big.row(), Err(ExportError::Overflow)));
    }

    fn xlsx_of(lang: Language) -> Vec<u8> {
        let mut s = XlsxSheet::new(COLUMNS, lang, "测试/表").unwrap();
        for r in rows() {
            s.row(&r).unwrap();
        }
        s.end_rows().unwrap();
        s.totals(&["合计".into(), Cell::Empty, 5.into(), Fen::new(123_451).into(), Cell::Empty]).unwrap();
        s.note(&Note { key: "target".into(), zh: "目标".into(), en: "Target".into(), value: Fen::new(100).into() }, lang).unwrap();
        let mut out = Vec::new();
        s.finish(&mut out).unwrap();
        out
    }

    fn sheet_xml(bytes: &[u8]) -> String {
        let mut zip = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut xml).unwrap();
        xml
    }

    #[test]
    fn xlsx_has_headers_yuan_as_numbers_dates_totals_and_notes() {
        let bytes = xlsx_of(Language::Zh);
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["测试表"]);
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let get = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(get(0, 3), Data::String("销售额（元）".into()));
        assert_eq!(get(1, 0), Data::String("伽师县, \"卧里托格拉克\"\n第二行".into()));
        assert_eq!(get(1, 3), Data::Float(1234.56));
        assert_eq!(get(1, 4), Data::Float(0.125));
        assert!(matches!(get(1, 1), Data::DateTime(_)), "a date is a date: {:?}", get(1, 1));
        assert_eq!(get(2, 0), Data::String("=SUM(A1:A2)".into()), "XLSX text is never a formula, so it stays as it is");
        assert_eq!(get(2, 3), Data::Float(-0.05));
        assert_eq!(get(3, 0), Data::String("合计".into()));
        assert_eq!(get(3, 2), Data::Float(5.0));
        assert_eq!(get(3, 3), Data::Float(1234.51));
        assert_eq!(get(4, 0), Data::String("目标".into()));
        assert_eq!(get(4, 1), Data::Float(1.0));
    }

    #[test]
    fn xlsx_freezes_the_header_filters_the_rows_and_formats_yuan() {
        let bytes = xlsx_of(Language::En);
        let xml = sheet_xml(&bytes);
        assert!(xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#), "{xml}");
        assert!(xml.contains(r#"<autoFilter ref="A1:E3"/>"#), "{xml}");
        let mut zip = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        let mut styles = String::new();
        io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
        assert!(styles.contains("¥#,##0.00"), "{styles}");
        assert!(styles.contains("<b/>"), "bold headers and totals: {styles}");
    }

    #[test]
    fn json_has_rows_by_key_with_money_in_fen_and_totals() {
        let mut s = JsonSheet::new(Vec::new(), COLUMNS).unwrap();
        for r in rows() {
            s.row(&r).unwrap();
        }
        let out = s.finish(Some(&["合计".into(), Cell::Empty, 5.into(), Fen::new(1).into(), Cell::Empty]), &[], true).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["rows"][0]["gross_fen"], 123_456);
        assert_eq!(v["rows"][0]["share"], 12.5);
        assert_eq!(v["rows"][1]["day"], serde_json::Value::Null);
        assert_eq!(v["totals"]["households"], 5);
        assert_eq!(v["truncated"], true);
    }

    #[test]
    fn format_takes_json_csv_or_xlsx_and_names_them_otherwise() {
        assert_eq!(Format::parse(None), Ok(Format::Json));
        assert_eq!(Format::parse(Some("")), Ok(Format::Json));
        assert_eq!(Format::parse(Some("xlsx")), Ok(Format::Xlsx));
        assert_eq!(Format::parse(Some("XLSX")), Err(Problem::Choice(&["json", "csv", "xlsx"])));
        assert_eq!(Problem::Choice(Format::CHOICES).to_string(), "must be json, csv or xlsx");
    }

    #[test]
    fn file_names_and_sheet_names_are_made_safe() {
        assert_eq!(safe_stem("reserved-share-2026"), "reserved-share-2026");
        assert_eq!(safe_stem("a\"b;c\r\n"), "a-b-c--");
        assert_eq!(sheet_name("a[b]:c*?/\\d"), "abcd");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }

    fn many(n: i64) -> Export {
        const TWO: &[Column] = &[Column::text("n", "序号", "No."), Column::yuan("gross_fen", "销售额（元）", "Gross (yuan)")];
        Export::new("many", ("多", "Many"), TWO).totals(Totals::Sum).rows(move |mut out| async move {
            for i in 0..n {
                out.send(vec![i.to_string().into(), Fen::new(i).into()]).await?;
            }
            Ok(())
        })
    }

    #[tokio::test]
    async fn an_export_streams_more_rows_than_its_buffers_hold_and_sums_them() {
        let n = (ROW_BUFFER * 5) as i64;
        let bytes = many(n).start(Format::Csv, Language::En).await.unwrap().bytes().await.unwrap();
        let r = records(&bytes);
        assert_eq!(r.len(), n as usize + 2);
        assert_eq!(r.last().unwrap(), &["total".to_owned(), Fen::new(n * (n - 1) / 2).yuan_text()]);
    }

    #[tokio::test]
    async fn an_export_past_its_limit_stops_and_says_so() {
        let bytes = many(10).limit(3).start(Format::Csv, Language::Zh).await.unwrap().bytes().await.unwrap();
        let r = records(&bytes);
        assert_eq!(r.len(), 1 + 3 + 1 + 1, "header, three rows, totals, the note: {r:?}");
        assert_eq!(r[4], ["合计", "0.03"]);
        assert!(r[5][1].contains("只导出了前 3 行"), "{r:?}");
        let json = many(10).limit(3).start(Format::Json, Language::Zh).await.unwrap().bytes().await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["rows"].as_array().unwrap().len(), 3);
        assert_eq!(v["truncated"], true);
        let whole = many(3).limit(3).start(Format::Json, Language::Zh).await.unwrap().bytes().await.unwrap();
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&whole).unwrap()["truncated"], false, "exactly the limit is not cut");
    }

    #[tokio::test]
    async fn a_failing_query_is_an_error_before_the_answer_starts() {
        let failing = || {
            Export::new("x", ("x", "x"), COLUMNS)
                .rows(|_out| async { Err(ExportError::Db(sqlx::Error::Protocol("the database went away".into()))) })
        };
        for format in [Format::Csv, Format::Json, Format::Xlsx] {
            assert!(matches!(failing().start(format, Language::Zh).await, Err(ExportError::Db(_))), "{format:?}");
        }
        let wrong_width = Export::new("x", ("x", "x"), COLUMNS).rows_from(vec![vec![Cell::Empty]]);
        assert!(matches!(wrong_width.start(Format::Csv, Language::Zh).await, Err(ExportError::Shape { expected: 5, found: 1 })));
    }

    #[tokio::test]
    async fn a_failure_after_the_answer_started_ends_the_chunks_with_an_error() {
        for format in [Format::Csv, Format::Json, Format::Xlsx] {
            let export = Export::new("x", ("x", "x"), &COLUMNS[2..3]).rows(|mut out| async move {
                for i in 0..(ROW_BUFFER as i64 * 100) {
                    out.send(vec![i.into()]).await?;
                }
                Err(ExportError::Db(sqlx::Error::Protocol("the database went away".into())))
            });
            let download = export.start(format, Language::Zh).await.expect("the first rows are fine");
            assert!(download.bytes().await.is_err(), "a cut {format:?} download must not look complete");
        }
    }

    #[tokio::test]
    async fn an_xlsx_whose_reader_left_before_its_first_byte_stops_asking_for_rows() {
        let (going_tx, going_rx) = oneshot::channel();
        let (stopped_tx, stopped_rx) = oneshot::channel();
        let export = Export::new("x", ("x", "x"), &COLUMNS[2..3]).rows(move |mut out| async move {
            let mut going = Some(going_tx);
            let mut sent = 0i64;
            // Endless, but for the export telling it to stop.
            let result = loop {
                if let Err(e) = out.send(vec![sent.into()]).await {
                    break e;
                }
                sent += 1;
                if sent == ROW_BUFFER as i64 * 4
                    && let Some(g) = going.take()
                {
                    let _ = g.send(());
                }
            };
            let _ = stopped_tx.send((result, sent));
            Ok(())
        });
        let download = export.start(Format::Xlsx, Language::Zh).await.unwrap();
        going_rx.await.unwrap();
        // The reader leaves (a closed tab) while the sheet is still being
        // written, before any byte of it was sent.
        drop(download);
        // (The time-out only keeps a broken export from hanging the test.)
        let stopped = tokio::time::timeout(std::time::Duration::from_secs(60), stopped_rx).await;
        let Ok(Ok((ExportError::Stopped, sent))) = stopped else { panic!("the producer is told to stop: {stopped:?}") };
        assert!(sent < ROW_BUFFER as i64 * 16, "soon, not at the row limit: {sent} rows");
    }

    #[tokio::test]
    async fn a_producer_that_panics_fails_the_export_instead_of_cutting_it_short() {
        let export = Export::new("x", ("x", "x"), &COLUMNS[2..3]).rows(|_out| async move {
            panic!("a bug in a report");
        });
        assert!(matches!(export.start(Format::Xlsx, Language::Zh).await, Err(ExportError::Incomplete)));
    }
}

//! Reading an uploaded import file (CSV or XLSX) into rows of cells, inside
//! a budget: one signed-in manager must not be able to take the marketplace
//! down with one file (issue 16: a 1.6 KB sparse XLSX made the old reader
//! allocate 512 GiB; a 1.1 MB zip bomb inflated to 337 MB of XML on the
//! async runtime).
//!
//! How the budget is kept:
//! - an XLSX archive is checked before calamine opens it — entry count,
//!   every entry's declared uncompressed size and their total — and then
//!   inflated once through a counting reader that stops at the budget, so
//!   a header that lies about its size gains nothing;
//! - the sheet's declared dimension (`<dimension ref=…>`) is checked before
//!   any cell is read;
//! - cells are streamed ([`calamine::Xlsx::worksheet_cells_reader`]), never
//!   read as a dense range, and rows are built here only up to the row,
//!   cell and byte budget;
//! - reading runs on the blocking pool ([`read_upload`]) and checks a
//!   deadline as it goes;
//! - at most [`MAX_CONCURRENT_IMPORTS`] imports run at once in a process
//!   ([`ImportSlot`]); the next one is told to come back later.
//!
//! This module reads; it never touches the database. It depends on nothing
//! of the crate but [`crate::regions::split_csv_line`], so the fuzz target
//! (`fuzz/`) compiles this very file without the rest of the marketplace.

use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Largest upload read, in bytes: [`crate::bounds::MAX_BODY_BYTES`], which
/// the whole app refuses past (413), stated again where files are read so
/// the reader keeps it whichever door a file comes through. A literal, as
/// the fuzz target compiles this file on its own; a test in `bounds` keeps
/// the two equal.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

/// Most rows in a file, the header included. A cooperative's season is a
/// few hundred contributing households; the rows are recorded in one write
/// transaction, which on SQLite holds every other writer back while it runs.
pub const MAX_ROWS: usize = 5_000;

/// Most cells in one row, counted to the last non-empty one (trailing empty
/// cells, which spreadsheet exports like to add, do not count). The file
/// needs eight columns; the rest is room for the manager's own notes.
pub const MAX_CELLS_PER_ROW: usize = 64;

/// Most non-empty cells in the whole file.
pub const MAX_CELLS: usize = 100_000;

/// Most bytes of text in one cell. The longest legitimate value is a note
/// in an extra column; a longer cell is an attack on the error list, which
/// echoes cells back.
pub const MAX_CELL_BYTES: usize = 1_024;

/// Most bytes of cell text in the whole file. In an XLSX file one shared
/// string can be referenced by every cell, so the text can be far larger
/// than the file; this bounds what the rows hold in memory.
pub const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;

/// Most entries in an XLSX archive. A workbook from Excel or WPS has a
/// dozen or two; a few hundred allows themes and pictures.
pub const MAX_ZIP_ENTRIES: usize = 256;

/// Most bytes an XLSX archive may inflate to, all entries together (and
/// so any one entry). A 5,000-row sheet is a few MB of XML.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 32 * 1024 * 1024;

/// Longest time reading one file may take, in seconds; the reader checks
/// the deadline as it goes and gives up with a clear answer.
pub const MAX_READ_SECONDS: u64 = 10;

/// Most imports running at once in one process. Each may hold up to
/// [`MAX_UNCOMPRESSED_BYTES`] of inflated XML and a core while it reads.
pub const MAX_CONCURRENT_IMPORTS: usize = 2;

/// Seconds a refused import is told to wait (`Retry-After`).
pub const BUSY_RETRY_AFTER_SECS: u64 = 10;

/// The limits one read keeps. [`Budget::DEFAULT`] is what uploads get;
/// tests and the fuzzer use smaller ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most bytes of the file itself.
    pub upload_bytes: usize,
    /// Most rows, the header included.
    pub rows: usize,
    /// Most cells in one row (to the last non-empty cell).
    pub cells_per_row: usize,
    /// Most non-empty cells in all.
    pub cells: usize,
    /// Most bytes of text in one cell.
    pub cell_bytes: usize,
    /// Most bytes of cell text in all.
    pub text_bytes: usize,
    /// Most entries in an XLSX archive.
    pub zip_entries: usize,
    /// Most bytes an XLSX archive may inflate to.
    pub uncompressed_bytes: u64,
    /// Longest time a read may take.
    pub time: Duration,
}

impl Budget {
    /// The limits stated by this module's constants.
    pub const DEFAULT: Budget = Budget {
        upload_bytes: MAX_UPLOAD_BYTES,
        rows: MAX_ROWS,
        cells_per_row: MAX_CELLS_PER_ROW,
        cells: MAX_CELLS,
        cell_bytes: MAX_CELL_BYTES,
        text_bytes: MAX_TEXT_BYTES,
        zip_entries: MAX_ZIP_ENTRIES,
        uncompressed_bytes: MAX_UNCOMPRESSED_BYTES,
        time: Duration::from_secs(MAX_READ_SECONDS),
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

// Which limit a file went over is a validation problem: it lives with
// `Problem`, which carries it, so `validation` needs nothing of `stock`.
pub use crate::validation::OverBudget;

/// Why a file could not be read into rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The file is not what it says (not UTF-8, not a workbook, broken XML).
    #[error("{0}")]
    Unreadable(String),
    /// The file goes over the budget.
    #[error(transparent)]
    OverBudget(#[from] OverBudget),
}

/// The format of an uploaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Comma-separated UTF-8 text.
    Csv,
    /// An Excel workbook; the first sheet is read.
    Xlsx,
}

impl FileKind {
    /// From the upload's content type or file name; CSV unless either says
    /// XLSX.
    pub fn of(content_type: &str, name: &str) -> FileKind {
        if content_type.contains("spreadsheetml") || name.to_lowercase().ends_with(".xlsx") { FileKind::Xlsx } else { FileKind::Csv }
    }
}

/// A place among the [`MAX_CONCURRENT_IMPORTS`] imports that may run at
/// once; the place is free again when this is dropped.
#[derive(Debug)]
pub struct ImportSlot(#[allow(dead_code)] OwnedSemaphorePermit);

/// Places for imports running at once.
#[derive(Debug, Clone)]
pub struct ImportSlots(Arc<Semaphore>);

impl ImportSlots {
    /// `n` places.
    pub fn new(n: usize) -> ImportSlots {
        ImportSlots(Arc::new(Semaphore::new(n)))
    }

    /// A free place now, or `None` when all are taken. Never waits: a
    /// queue of waiting imports would hold their files in memory.
    pub fn try_take(&self) -> Option<ImportSlot> {
        self.0.clone().try_acquire_owned().ok().map(ImportSlot)
    }

    /// Places free now.
    pub fn free(&self) -> usize {
        self.0.available_permits()
    }
}

/// Counts what a read has used and refuses to go past the budget.
struct Meter<'b> {
    budget: &'b Budget,
    deadline: Instant,
    cells: usize,
    text: usize,
    ticks: u32,
}

impl<'b> Meter<'b> {
    fn new(budget: &'b Budget) -> Self {
        let now = Instant::now();
        Meter { budget, deadline: now.checked_add(budget.time).unwrap_or(now), cells: 0, text: 0, ticks: 0 }
    }

    fn over_time(&self) -> Result<(), ReadError> {
        if Instant::now() >= self.deadline {
            return Err(OverBudget::Time { secs: self.budget.time.as_secs() }.into());
        }
        Ok(())
    }

    /// Called per cell; looks at the clock every 256 cells.
    fn tick(&mut self) -> Result<(), ReadError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % 256 == 1 { self.over_time() } else { Ok(()) }
    }

    /// Checks a cell's position (0-based) and text before it is kept.
    fn cell(&mut self, row: usize, column: usize, len: usize) -> Result<(), ReadError> {
        let b = self.budget;
        if row >= b.rows {
            return Err(OverBudget::Rows { max: b.rows }.into());
        }
        if column >= b.cells_per_row {
            return Err(OverBudget::RowCells { row: row + 1, max: b.cells_per_row }.into());
        }
        if len > b.cell_bytes {
            return Err(OverBudget::CellText { row: row + 1, max: b.cell_bytes }.into());
        }
        self.cells += 1;
        self.text += len;
        if self.cells > b.cells || self.text > b.text_bytes {
            return Err(OverBudget::Cells { max_cells: b.cells, max_bytes: b.text_bytes }.into());
        }
        Ok(())
    }
}

/// Drops trailing empty cells, so `a,b,,,` is the row `a,b`.
fn trim_row(row: &mut Vec<String>) {
    while row.last().is_some_and(String::is_empty) {
        row.pop();
    }
}

/// The cells of a CSV file, row by row, within the budget.
pub fn read_csv_within(bytes: &[u8], budget: &Budget) -> Result<Vec<Vec<String>>, ReadError> {
    if bytes.len() > budget.upload_bytes {
        return Err(OverBudget::Upload { max: budget.upload_bytes }.into());
    }
    let mut meter = Meter::new(budget);
    let text = std::str::from_utf8(bytes).map_err(|_| ReadError::Unreadable("the CSV file must be UTF-8 text".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Blank lines at the end are not rows; blank lines between rows are
    // kept (empty) so row numbers match what a spreadsheet shows.
    let text = text.trim_end_matches(['\r', '\n']);
    let mut rows = Vec::new();
    if text.is_empty() {
        return Ok(rows);
    }
    for (i, line) in text.split('\n').enumerate() {
        meter.tick()?;
        if i >= budget.rows {
            return Err(OverBudget::Rows { max: budget.rows }.into());
        }
        let mut row: Vec<String> =
            crate::regions::split_csv_line(line.trim_end_matches('\r')).into_iter().map(|c| c.trim().to_owned()).collect();
        trim_row(&mut row);
        for (column, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                meter.cell(i, column, cell.len())?;
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Checks an XLSX archive before anything else reads it: the number of
/// entries, their declared sizes, then their real sizes, inflating each
/// through a counter that stops at the budget (a declared size is only a
/// claim; the counter is what holds).
fn check_archive(bytes: &[u8], budget: &Budget, meter: &Meter<'_>) -> Result<(), ReadError> {
    let unreadable = |e: zip::result::ZipError| ReadError::Unreadable(format!("not a readable XLSX file: {e}"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > budget.zip_entries {
        return Err(OverBudget::Entries { max: budget.zip_entries }.into());
    }
    let too_big = || ReadError::from(OverBudget::Uncompressed { max: budget.uncompressed_bytes });
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(unreadable)?;
        declared = declared.saturating_add(entry.size());
        if declared > budget.uncompressed_bytes {
            return Err(too_big());
        }
    }
    let mut inflated: u64 = 0;
    let mut shared_strings: usize = 0;
    // Read in chunks, each after the last bytes of the one before, so a
    // `uniqueCount` split between two chunks is still seen whole.
    const CARRY: usize = 64;
    let mut buf = vec![0u8; CARRY + 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(unreadable)?;
        let mut carried = 0;
        loop {
            meter.over_time()?;
            let n = entry.read(&mut buf[carried..]).map_err(|e| ReadError::Unreadable(format!("not a readable XLSX file: {e}")))?;
            if n == 0 {
                break;
            }
            inflated += n as u64;
            if inflated > budget.uncompressed_bytes {
                return Err(too_big());
            }
            let window = &buf[..carried + n];
            // calamine reserves room for as many shared strings as the
            // file's `<sst uniqueCount=…>` claims before reading one: a
            // 1 KB file claiming 10¹¹ strings would abort the process.
            // And it keeps every shared string (`<si>`) in memory, 24 bytes
            // each even when empty: 32 MiB of `<si/>` would be 160 MB.
            shared_strings += shared_string_starts(window, carried);
            if shared_strings > budget.cells || declared_unique_strings(window).is_some_and(|count| count > budget.cells as u64) {
                return Err(OverBudget::Cells { max_cells: budget.cells, max_bytes: budget.text_bytes }.into());
            }
            let filled = carried + n;
            let keep = filled.min(CARRY);
            buf.copy_within(filled - keep..filled, 0);
            carried = keep;
        }
    }
    Ok(())
}

/// How many `<si>` elements (shared strings, with or without a namespace
/// prefix) start in `xml`, not counting those that lie wholly within its
/// first `carried` bytes (counted with the chunk before).
fn shared_string_starts(xml: &[u8], carried: usize) -> usize {
    xml.windows(4)
        .enumerate()
        .filter(|(at, w)| {
            at + 4 > carried
                && matches!(w[0], b'<' | b':')
                && &w[1..3] == b"si"
                && matches!(w[3], b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r')
        })
        .count()
}

/// The largest number an attribute `uniqueCount="…"` (digits only, as
/// calamine reads it) holds in `xml`, saturating; `None` if there is none.
fn declared_unique_strings(xml: &[u8]) -> Option<u64> {
    const NAME: &[u8] = b"uniqueCount";
    let mut largest = None;
    let mut from = 0;
    while let Some(at) = xml[from..].windows(NAME.len()).position(|w| w == NAME) {
        let mut rest = xml[from + at + NAME.len()..].trim_ascii_start();
        from += at + NAME.len();
        let Some(after_equals) = rest.strip_prefix(b"=") else { continue };
        rest = after_equals.trim_ascii_start();
        let Some((&quote, value)) = rest.split_first().filter(|(q, _)| **q == b'"' || **q == b'\'') else { continue };
        let Some(end) = value.iter().position(|&b| b == quote) else { continue };
        let digits = &value[..end];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            continue;
        }
        let n = digits.iter().fold(0u64, |n, &d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
        largest = largest.max(Some(n));
    }
    largest
}

/// An Excel date serial number (days since 1899-12-30, Julian day
/// 2415019) as `YYYY-MM-DD`; `None` outside Excel's calendar, which ends
/// on 9999-12-31 (the number is the file's, so anything can come).
fn excel_date(serial: f64) -> Option<String> {
    let days = serial.floor();
    if !(0.0..=2_958_465.0).contains(&days) {
        return None;
    }
    let d = time::Date::from_julian_day(2_415_019 + days as i32).ok()?;
    Some(format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
}

/// The text of one cell, as the import reads it: whole numbers without a
/// decimal point, dates as `YYYY-MM-DD`, the rest as displayed. Strings
/// are borrowed, so their length is checked before they are copied (a
/// shared string may be long and referenced by every cell); anything else
/// prints in a few hundred bytes at most.
fn cell_text<'v>(value: &'v calamine::DataRef<'_>) -> Cow<'v, str> {
    use calamine::{Data, DataRef};
    match value {
        DataRef::Empty => Cow::Borrowed(""),
        DataRef::String(s) => Cow::Borrowed(s.trim()),
        DataRef::SharedString(s) => Cow::Borrowed(s.trim()),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => Cow::Owned(format!("{}", *f as i64)),
        DataRef::DateTime(d) => Cow::Owned(excel_date(d.as_f64()).unwrap_or_default()),
        other => Cow::Owned(Data::from(other.clone()).to_string().trim().to_owned()),
    }
}

/// The cells of the first sheet of an XLSX file, row by row (row `i` of
/// the result is the sheet's row `i + 1`, column `j` its column `j + 1`),
/// within the budget.
pub fn read_xlsx_within(bytes: &[u8], budget: &Budget) -> Result<Vec<Vec<String>>, ReadError> {
    use calamine::{Reader, Xlsx};
    if bytes.len() > budget.upload_bytes {
        return Err(OverBudget::Upload { max: budget.upload_bytes }.into());
    }
    let mut meter = Meter::new(budget);
    check_archive(bytes, budget, &meter)?;
    meter.over_time()?;
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| ReadError::Unreadable(format!("not a readable XLSX file: {e}")))?;
    let sheet = book.sheet_names().into_iter().next().ok_or_else(|| ReadError::Unreadable("the workbook has no sheet".into()))?;
    let unreadable = |e: calamine::XlsxError| ReadError::Unreadable(format!("the first sheet cannot be read: {e}"));
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    // The declared range first: a sheet that says it is larger than the
    // budget is refused before a single cell is read.
    let dim = cells.dimensions();
    let (rows_declared, columns_declared) = (u64::from(dim.end.0) + 1, u64::from(dim.end.1) + 1);
    if rows_declared > budget.rows as u64 || columns_declared > budget.cells_per_row as u64 {
        return Err(OverBudget::Dimension {
            rows: rows_declared,
            columns: columns_declared,
            max_rows: budget.rows,
            max_columns: budget.cells_per_row,
        }
        .into());
    }
    // Rows are built here, only for cells that hold something and only
    // inside the budget: a sheet without a dimension, or one that lies
    // about it, gets no further than a truthful one.
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        meter.tick()?;
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        meter.cell(row, column, text.len())?;
        if rows.len() <= row {
            rows.resize_with(row + 1, Vec::new);
        }
        let cells_of_row = &mut rows[row];
        if cells_of_row.len() <= column {
            cells_of_row.resize(column + 1, String::new());
        }
        cells_of_row[column] = text.into_owned();
    }
    Ok(rows)
}

/// Reads an uploaded file on the blocking pool, within [`Budget::DEFAULT`],
/// holding `slot` while it reads: parsing is CPU work that must not hold up
/// the async runtime's threads (issue 16: three large files at once made
/// `/healthz` take 26 s). The blocking task owns the slot, so a client that
/// hangs up cannot free a place while its file is still being read; the
/// slot comes back with the rows for the caller to hold while it records
/// them.
///
/// A reader that panics on a hostile file is an unreadable file, not a
/// crashed request.
pub async fn read_upload<B>(slot: ImportSlot, kind: FileKind, bytes: B) -> Result<(ImportSlot, Vec<Vec<String>>), ReadError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    let task = tokio::task::spawn_blocking(move || {
        let rows = match kind {
            FileKind::Csv => read_csv_within(bytes.as_ref(), &Budget::DEFAULT),
            FileKind::Xlsx => read_xlsx_within(bytes.as_ref(), &Budget::DEFAULT),
        };
        rows.map(|rows| (slot, rows))
    });
    match task.await {
        Ok(result) => result,
        Err(e) if e.is_panic() => {
            tracing::warn!(error = %e, "the import reader panicked on a file");
            Err(ReadError::Unreadable("the file cannot be read".into()))
        }
        Err(e) => Err(ReadError::Unreadable(format!("the file could not be read: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_slots_refuse_the_one_over_the_limit_and_free_a_place_when_dropped() {
        let slots = ImportSlots::new(2);
        let first = slots.try_take().expect("a first place");
        let _second = slots.try_take().expect("a second place");
        assert!(slots.try_take().is_none(), "a third import at once is refused");
        drop(first);
        assert!(slots.try_take().is_some(), "a finished import frees its place");
    }

    #[test]
    fn a_read_past_its_deadline_is_refused_with_the_time_limit() {
        let budget = Budget { time: Duration::ZERO, ..Budget::DEFAULT };
        let csv = "a,b\n".repeat(10);
        assert!(matches!(read_csv_within(csv.as_bytes(), &budget), Err(ReadError::OverBudget(OverBudget::Time { .. }))));
    }

    #[test]
    fn trailing_empty_cells_do_not_count_against_the_row_budget() {
        let budget = Budget { cells_per_row: 2, ..Budget::DEFAULT };
        let rows = read_csv_within(b"a,b,,,,,,\n", &budget).unwrap();
        assert_eq!(rows, vec![vec!["a".to_owned(), "b".to_owned()]]);
        assert!(matches!(read_csv_within(b"a,b,c\n", &budget), Err(ReadError::OverBudget(OverBudget::RowCells { row: 1, max: 2 }))));
    }

    #[test]
    fn a_claimed_count_of_shared_strings_is_found_wherever_the_attribute_is() {
        assert_eq!(declared_unique_strings(br#"<sst xmlns="x" count="3" uniqueCount="3">"#), Some(3));
        assert_eq!(declared_unique_strings(b"<x:sst uniqueCount = '100000000000'>"), Some(100_000_000_000));
        assert_eq!(declared_unique_strings(br#"<sst uniqueCount="99999999999999999999999">"#), Some(u64::MAX));
        assert_eq!(declared_unique_strings(br#"<sst uniqueCount=" 5">"#), None, "not digits: calamine ignores it too");
        assert_eq!(declared_unique_strings(b"uniqueCount"), None);
        assert_eq!(declared_unique_strings(b"<sst count=\"3\">"), None);
    }

    #[test]
    fn shared_strings_are_counted_once_across_chunks() {
        let xml = br#"<sst><si><t>a</t></si><x:si/><si
 ><t>b</t></si><sig/><sheetData/></sst>"#;
        assert_eq!(shared_string_starts(xml, 0), 3);
        // A chunk whose first 9 bytes ("<sst><si>") came with the one before.
        assert_eq!(shared_string_starts(xml, 9), 2);
        assert_eq!(shared_string_starts(xml, 8), 3, "an element cut by the chunk boundary counts in the later chunk");
    }

    /// A workbook of one sheet whose `<sheetData>` is `data`.
    fn workbook(data: &str) -> Vec<u8> {
        use std::io::Write;
        let parts = [
            ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#.to_owned()),
            ("_rels/.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
            ("xl/workbook.xml", r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#)),
        ];
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, body) in parts {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn a_number_that_prints_long_counts_at_its_printed_length() {
        // 1e300 prints as 301 digits; 0.1 as three characters.
        let file = workbook(r#"<row r="1"><c r="A1"><v>0.1</v></c><c r="B1"><v>1e300</v></c></row>"#);
        let budget = Budget { cell_bytes: 100, ..Budget::DEFAULT };
        assert_eq!(read_xlsx_within(&file, &budget), Err(ReadError::OverBudget(OverBudget::CellText { row: 1, max: 100 })));
        let file = workbook(r#"<row r="1"><c r="A1"><v>0.1</v></c><c r="C1"><v>46266</v></c></row>"#);
        assert_eq!(read_xlsx_within(&file, &budget), Ok(vec![vec!["0.1".to_owned(), String::new(), "46266".to_owned()]]));
    }

    #[test]
    fn excel_serial_numbers_far_outside_the_calendar_are_no_date() {
        assert_eq!(excel_date(46_266.0).as_deref(), Some("2026-09-01"));
        assert_eq!(excel_date(2_958_465.0).as_deref(), Some("9999-12-31"));
        assert_eq!(excel_date(f64::MAX), None);
        assert_eq!(excel_date(f64::NAN), None);
        assert_eq!(excel_date(-1e300), None);
    }
}

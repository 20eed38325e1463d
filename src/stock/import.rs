//! Importing harvest lots and their contributions from CSV or XLSX, all or
//! nothing: a file with any bad row records nothing and every bad row comes
//! back with its reason.
//!
//! One row per contributing household; rows with the same `lot` reference
//! form one lot. Products and nodes are named as managers know them — the
//! product's name (or the number the import page lists beside it, for two
//! products of one name) and the node's name (or its number) — never by
//! internal ids they have no way to see:
//!
//! ```text
//! lot,product,quantity,harvested_on,expires_on,node,household_code,household_quantity
//! A,伽师瓜,300,2026-09-01,2027-03-01,巴仁村集货点,HH-7K3QX9PM,120
//! A,伽师瓜,300,2026-09-01,2027-03-01,巴仁村集货点,HH-2B8M4WQA,180
//! ```
//!
//! Columns may be named in Chinese too (批次, 产品, 数量, 采收日期,
//! 保质期至, 站点, 农户编号, 农户供货量); files of the old `product_id` and
//! `node_id` columns still import, their numbers read as above.

use super::upload::{Budget, FileKind, ImportSlots, OverBudget, ReadError};
use super::{NewContribution, NewLot, StockError, create_lot_in};
use crate::db::Db;
use crate::validation::Problem;
use serde::Serialize;
use std::collections::BTreeMap;

/// The columns a file must have (any order, more allowed).
pub const COLUMNS: [&str; 8] = ["lot", "product", "quantity", "harvested_on", "expires_on", "node", "household_code", "household_quantity"];

/// Other names a column may have: Chinese, and the old id columns.
const ALIASES: [(&str, &[&str]); 8] = [
    ("lot", &["批次"]),
    ("product", &["product_id", "产品", "产品名称"]),
    ("quantity", &["数量", "批次数量"]),
    ("harvested_on", &["采收日期"]),
    ("expires_on", &["保质期至", "到期日期"]),
    ("node", &["node_id", "站点", "存放站点"]),
    ("household_code", &["农户编号"]),
    ("household_quantity", &["农户供货量", "供货数量"]),
];

/// What a cell names, among `(id, names…)`: the one thing of that name,
/// or the thing of that number (`12` or `#12`). `Err(n)`: `n` things of
/// that name (0: none, and no such number).
fn resolve(text: &str, things: &[(i64, Vec<String>)]) -> Result<i64, usize> {
    let named: Vec<i64> = things.iter().filter(|(_, names)| names.iter().any(|n| n == text)).map(|(id, _)| *id).collect();
    match named.as_slice() {
        [one] => return Ok(*one),
        [] => {}
        many => return Err(many.len()),
    }
    let number = text.strip_prefix('#').unwrap_or(text).parse::<i64>().ok();
    number.filter(|n| things.iter().any(|(id, _)| id == n)).ok_or(0)
}

/// A sample file for cooperative `cooperative_id` that imports as it is:
/// one lot of its first product, at the first node its lots may sit at,
/// from two of its member households, harvested yesterday (China time).
/// `None` when the cooperative has no product, node or member yet.
pub async fn sample(db: &Db, cooperative_id: i64) -> sqlx::Result<Option<String>> {
    let product: Option<String> =
        sqlx::query_scalar("SELECT name FROM products WHERE cooperative_id = $1 AND active = 1 ORDER BY id LIMIT 1")
            .bind(cooperative_id)
            .fetch_optional(db.pool())
            .await?;
    let node = super::lot_nodes(db, cooperative_id).await?.into_iter().next().map(|(_, name)| name);
    let households: Vec<String> = sqlx::query_scalar(
        "SELECT h.code FROM households h JOIN cooperative_members m ON m.household_id = h.id WHERE m.cooperative_id = $1 ORDER BY h.code LIMIT 2",
    )
    .bind(cooperative_id)
    .fetch_all(db.pool())
    .await?;
    let (Some(product), Some(node), false) = (product, node, households.is_empty()) else { return Ok(None) };
    let harvested = crate::time::china_today() - time::Duration::days(1);
    let (from, to) = (crate::time::format_date(harvested), crate::time::format_date(harvested + time::Duration::days(30)));
    let shares: &[i64] = if households.len() == 2 { &[120, 180] } else { &[300] };
    let mut out = format!("{}\n", COLUMNS.join(","));
    for (h, share) in households.iter().zip(shares) {
        out.push_str(&format!("A,{},300,{from},{to},{},{h},{share}\n", csv_cell(&product), csv_cell(&node)));
    }
    Ok(Some(out))
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// The problems of one row (row 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Row number as a spreadsheet shows it.
    pub row: usize,
    /// What is wrong, each a code and its values.
    pub problems: Vec<Problem>,
}

impl RowError {
    /// What is wrong as one problem: the only one, or all of them.
    pub fn problem(&self) -> Problem {
        match self.problems.as_slice() {
            [one] => one.clone(),
            _ => Problem::Several(self.problems.clone()),
        }
    }
}

/// What an import recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Lots recorded.
    pub lots: usize,
    /// Contributions recorded.
    pub contributions: usize,
    /// Units recorded in all.
    pub units: i64,
}

/// Most row problems listed in an answer; the rest are counted. A 2 MB
/// file of bad rows once made a 47 MB answer (issue 16).
pub const MAX_ROW_ERRORS: usize = 100;

/// Why an import recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read at all.
    #[error("{0}")]
    Unreadable(String),
    /// The file goes over the import budget; nothing of it was kept.
    #[error(transparent)]
    OverBudget(#[from] OverBudget),
    /// As many imports as may run at once are running; try again later.
    #[error("{} imports are running already; try again in {retry_after_secs} seconds", super::upload::MAX_CONCURRENT_IMPORTS)]
    Busy {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Rows with problems; nothing was recorded.
    #[error("rows of the file have problems")]
    Rows {
        /// The first [`MAX_ROW_ERRORS`] problems, by row.
        errors: Vec<RowError>,
        /// Rows with problems beyond those listed.
        more_rows: usize,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<ReadError> for ImportError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Unreadable(m) => ImportError::Unreadable(m),
            ReadError::OverBudget(o) => ImportError::OverBudget(o),
        }
    }
}

/// The cells of a CSV file, row by row, within [`Budget::DEFAULT`].
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    Ok(super::upload::read_csv_within(bytes, &Budget::DEFAULT)?)
}

/// The cells of the first sheet of an XLSX file, row by row, within
/// [`Budget::DEFAULT`].
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    Ok(super::upload::read_xlsx_within(bytes, &Budget::DEFAULT)?)
}

/// The one door for an uploaded file, used by the API and the console
/// page alike: takes a place among the imports running at once (or
/// answers [`ImportError::Busy`] at once), reads the file on the blocking
/// pool within the budget, then checks and records its rows.
pub async fn import_upload<B>(
    db: &Db,
    slots: &ImportSlots,
    cooperative_id: i64,
    user_id: i64,
    kind: FileKind,
    bytes: B,
) -> Result<ImportReport, ImportError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    let Some(slot) = slots.try_take() else {
        return Err(ImportError::Busy { retry_after_secs: super::upload::BUSY_RETRY_AFTER_SECS });
    };
    let (slot, cells) = super::upload::read_upload(slot, kind, bytes).await?;
    let report = import(db, cooperative_id, user_id, cells).await;
    drop(slot);
    report
}

/// The problems as the answer lists them: sorted by row, the first
/// [`MAX_ROW_ERRORS`] kept, and the other rows counted. (Also the answer
/// of the monitoring's visit import, which lists its rows alike.)
pub fn rows_error(mut errors: Vec<RowError>) -> ImportError {
    errors.sort_by_key(|e| e.row);
    if errors.len() <= MAX_ROW_ERRORS {
        return ImportError::Rows { errors, more_rows: 0 };
    }
    let rest = errors.split_off(MAX_ROW_ERRORS);
    let last_listed = errors.last().map(|e| e.row);
    let mut more_rows = 0;
    let mut previous = last_listed;
    for e in &rest {
        if Some(e.row) != previous {
            more_rows += 1;
            previous = Some(e.row);
        }
    }
    ImportError::Rows { errors, more_rows }
}

/// A cell's text as a message quotes it: at most 40 characters, so a long
/// cell is not echoed back whole.
fn quoted(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}…", &text[..end]),
    }
}

struct Row {
    line: usize,
    lot: String,
    product_id: i64,
    quantity: i64,
    harvested_on: String,
    expires_on: String,
    node_id: i64,
    household: String,
    share: i64,
}

/// Nodes named in a file that the cooperative's lots may not sit at, found
/// one by one so that the lot is refused by the same rule as a lot typed
/// in (`NodeOffChain`, in `create_lot_in`), not as an unknown name. At most
/// [`OtherNodes::MAX_LOOKUPS`] different cells are looked up; past that a
/// cell is unknown.
#[derive(Default)]
struct OtherNodes {
    found: BTreeMap<String, Option<i64>>,
}

impl OtherNodes {
    const MAX_LOOKUPS: usize = 100;

    async fn find(&mut self, db: &Db, text: &str) -> sqlx::Result<Option<i64>> {
        if let Some(id) = self.found.get(text) {
            return Ok(*id);
        }
        if self.found.len() >= Self::MAX_LOOKUPS {
            return Ok(None);
        }
        let number = text.strip_prefix('#').unwrap_or(text).parse::<i64>().unwrap_or(0);
        let id: Option<i64> =
            sqlx::query_scalar("SELECT MIN(id) FROM nodes WHERE name = $1 OR id = $2").bind(text).bind(number).fetch_one(db.pool()).await?;
        self.found.insert(text.to_owned(), id);
        Ok(id)
    }
}

/// The products of cooperative `cooperative_id` by id, with their names
/// (Chinese, and the English one if given).
async fn products_of(db: &Db, cooperative_id: i64) -> sqlx::Result<Vec<(i64, Vec<String>)>> {
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, name_en FROM products WHERE cooperative_id = $1 ORDER BY id")
            .bind(cooperative_id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(|(id, name, en)| (id, std::iter::once(name).chain(en).collect())).collect())
}

/// Checks every row and records every lot in one transaction, or nothing.
pub async fn import(db: &Db, cooperative_id: i64, user_id: i64, cells: Vec<Vec<String>>) -> Result<ImportReport, ImportError> {
    let mut errors = Vec::new();
    let mut rows_iter = cells.into_iter().enumerate().filter(|(_, r)| r.iter().any(|c| !c.is_empty()));
    let Some((_, header)) = rows_iter.next() else { return Err(ImportError::Unreadable("the file is empty".into())) };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut at = BTreeMap::new();
    for (col, aliases) in ALIASES {
        match header.iter().position(|h| h == col || aliases.contains(&h.as_str())) {
            Some(i) => {
                at.insert(col, i);
            }
            None => errors.push(RowError { row: 1, problems: vec![Problem::MissingColumn { column: col.to_owned(), expected: &COLUMNS }] }),
        }
    }
    if !errors.is_empty() {
        return Err(rows_error(errors));
    }
    // Member households by code: the file names households as managers see them.
    let members: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT h.code, h.id FROM households h JOIN cooperative_members m ON m.household_id = h.id WHERE m.cooperative_id = $1",
    )
    .bind(cooperative_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    // Products and nodes by name (or number), among the cooperative's own
    // products and the nodes its lots may sit at.
    let products = products_of(db, cooperative_id).await?;
    let nodes: Vec<(i64, Vec<String>)> = super::lot_nodes(db, cooperative_id).await?.into_iter().map(|(id, n)| (id, vec![n])).collect();
    let mut elsewhere = OtherNodes::default();

    let mut rows = Vec::new();
    for (i, cells) in rows_iter {
        let line = i + 1;
        let cell = |col: &str| cells.get(at[col]).map(|c| c.trim()).unwrap_or("").to_owned();
        let mut problems = Vec::new();
        let mut int = |col: &str| match cell(col).parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                problems.push(Problem::NotWholeNumber { column: col.to_owned(), text: quoted(&cell(col)) });
                0
            }
        };
        let (quantity, share) = (int("quantity"), int("household_quantity"));
        let product_id = match resolve(&cell("product"), &products) {
            Ok(id) => id,
            Err(0) => {
                problems.push(Problem::UnknownProduct { text: quoted(&cell("product")) });
                0
            }
            Err(n) => {
                problems.push(Problem::AmbiguousProduct { text: quoted(&cell("product")), n });
                0
            }
        };
        let node_cell = cell("node");
        let node_id = match resolve(&node_cell, &nodes) {
            Ok(id) => Some(id),
            Err(_) => elsewhere.find(db, &node_cell).await?,
        }
        .unwrap_or_else(|| {
            problems.push(Problem::UnknownNode { text: quoted(&node_cell) });
            0
        });
        let lot = cell("lot");
        if lot.is_empty() {
            problems.push(Problem::NoLotReference);
        }
        for col in ["harvested_on", "expires_on"] {
            if crate::time::parse_date(&cell(col)).is_none() {
                problems.push(Problem::NotADate { column: col.to_owned(), text: quoted(&cell(col)) });
            }
        }
        let household = cell("household_code");
        if !members.contains_key(&household) {
            problems.push(Problem::NotAMemberCode { text: quoted(&household) });
        }
        if problems.is_empty() {
            rows.push(Row {
                line,
                lot,
                product_id,
                quantity,
                harvested_on: cell("harvested_on"),
                expires_on: cell("expires_on"),
                node_id,
                household,
                share,
            });
        } else {
            errors.push(RowError { row: line, problems });
        }
    }

    // Group rows into lots; a lot's rows must agree on the lot's facts.
    let mut lots: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        lots.entry(r.lot.clone()).or_default().push(r);
    }
    let mut tx = db.begin_write().await?;
    let mut report = ImportReport { lots: 0, contributions: 0, units: 0 };
    for (reference, group) in &lots {
        let first = group[0];
        let mut agree = true;
        for r in &group[1..] {
            if (r.product_id, r.quantity, &r.harvested_on, &r.expires_on, r.node_id)
                != (first.product_id, first.quantity, &first.harvested_on, &first.expires_on, first.node_id)
            {
                errors.push(RowError {
                    row: r.line,
                    problems: vec![Problem::LotRowsDiffer { lot: reference.clone(), first_row: first.line }],
                });
                agree = false;
            }
        }
        if !agree {
            continue;
        }
        let lot = NewLot {
            product_id: first.product_id,
            quantity: first.quantity,
            harvested_on: first.harvested_on.clone(),
            expires_on: first.expires_on.clone(),
            node_id: first.node_id,
            contributions: group.iter().map(|r| NewContribution { household_id: members[&r.household], quantity: r.share }).collect(),
        };
        let rows_of = || group.iter().map(|r| r.line.to_string()).collect::<Vec<_>>().join(", ");
        match create_lot_in(&mut tx, cooperative_id, Some(user_id), &lot).await {
            Ok(_) => {
                report.lots += 1;
                report.contributions += group.len();
                report.units += lot.quantity;
            }
            Err(StockError::Invalid(fields)) => {
                for f in fields.0 {
                    errors.push(RowError {
                        row: first.line,
                        problems: vec![Problem::InLot {
                            lot: reference.clone(),
                            rows: rows_of(),
                            field: f.field,
                            problem: Box::new(f.problem),
                        }],
                    });
                }
            }
            Err(StockError::NotFound(_)) | Err(StockError::Forbidden) => errors.push(RowError {
                row: first.line,
                problems: vec![Problem::ForeignProduct { lot: reference.clone(), product: first.product_id }],
            }),
            Err(StockError::BelowAllocated { .. }) => unreachable!("a new lot has nothing allocated"),
            Err(StockError::Db(e)) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        // Dropping the transaction rolls back every lot of the file.
        return Err(rows_error(errors));
    }
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(row: usize) -> RowError {
        RowError { row, problems: vec![Problem::NoLotReference] }
    }

    #[test]
    fn the_list_of_problems_keeps_the_first_hundred_by_row_and_counts_the_other_rows() {
        // Two problems for each of rows 2..=201, given out of order.
        let errors: Vec<RowError> = (2..=201).rev().flat_map(|r| [problem(r), problem(r)]).collect();
        let ImportError::Rows { errors, more_rows } = rows_error(errors) else { panic!("rows") };
        assert_eq!(errors.len(), MAX_ROW_ERRORS);
        assert_eq!((errors[0].row, errors[99].row), (2, 51));
        assert_eq!(more_rows, 150, "rows 52..=201; row 51 is listed already");
        let ImportError::Rows { errors, more_rows } = rows_error((2..=11).map(problem).collect()) else { panic!("rows") };
        assert_eq!((errors.len(), more_rows), (10, 0));
    }

    #[test]
    fn a_product_is_found_by_its_name_or_its_number_and_a_shared_name_is_ambiguous() {
        let things =
            vec![(12, vec!["伽师瓜".to_owned(), "Jiashi melon".to_owned()]), (13, vec!["新梅".to_owned()]), (14, vec!["新梅".to_owned()])];
        assert_eq!(resolve("伽师瓜", &things), Ok(12));
        assert_eq!(resolve("Jiashi melon", &things), Ok(12));
        assert_eq!(resolve("#13", &things), Ok(13));
        assert_eq!(resolve("14", &things), Ok(14));
        assert_eq!(resolve("新梅", &things), Err(2));
        assert_eq!(resolve("哈密瓜", &things), Err(0));
        assert_eq!(resolve("99", &things), Err(0), "a number of no product of the cooperative");
        assert_eq!(csv_cell("甲,乙"), "\"甲,乙\"");
    }

    #[test]
    fn a_quoted_cell_stops_after_forty_characters() {
        assert_eq!(quoted("ten"), "\"ten\"");
        assert_eq!(quoted(&"瓜".repeat(40)), format!("\"{}\"", "瓜".repeat(40)));
        assert_eq!(quoted(&"瓜".repeat(41)), format!("\"{}\"…", "瓜".repeat(40)));
    }
}

//! Importing harvest lots and their contributions from CSV or XLSX, all or
//! nothing: a file with any bad row records nothing and every bad row comes
//! back with its reason.
//!
//! One row per contributing household; rows with the same `lot` reference
//! form one lot:
//!
//! ```text
//! lot,product_id,quantity,harvested_on,expires_on,node_id,household_code,household_quantity
//! A,12,300,2026-09-01,2027-03-01,4,HH-7K3QX9PM,120
//! A,12,300,2026-09-01,2027-03-01,4,HH-2B8M4WQA,180
//! ```

use super::{NewContribution, NewLot, StockError, create_lot_in};
use crate::db::Db;
use serde::Serialize;
use std::collections::BTreeMap;

/// The columns a file must have (any order, more allowed).
pub const COLUMNS: [&str; 8] =
    ["lot", "product_id", "quantity", "harvested_on", "expires_on", "node_id", "household_code", "household_quantity"];

/// A problem with one row (row 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Row number as a spreadsheet shows it.
    pub row: usize,
    /// What is wrong.
    pub message: String,
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

/// Why an import recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read at all.
    #[error("{0}")]
    Unreadable(String),
    /// Rows with problems; nothing was recorded.
    #[error("{} rows have problems", .0.len())]
    Rows(Vec<RowError>),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The cells of a CSV file, row by row.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::Unreadable("the CSV file must be UTF-8 text".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(text
        .lines()
        .map(|l| crate::regions::split_csv_line(l.trim_end_matches('\r')).into_iter().map(|c| c.trim().to_owned()).collect())
        .collect())
}

/// The cells of the first sheet of an XLSX file, row by row.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| ImportError::Unreadable(format!("not a readable XLSX file: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| ImportError::Unreadable("the workbook has no sheet".into()))?
        .map_err(|e| ImportError::Unreadable(format!("the first sheet cannot be read: {e}")))?;
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    // Excel dates are days since 1899-12-30 (Julian day 2415019).
                    Data::DateTime(d) => {
                        time::Date::from_julian_day(2_415_019 + d.as_f64().floor() as i32).map(crate::time::format_date).unwrap_or_default()
                    }
                    other => other.to_string().trim().to_owned(),
                })
                .collect()
        })
        .collect())
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

/// Checks every row and records every lot in one transaction, or nothing.
pub async fn import(db: &Db, cooperative_id: i64, user_id: i64, cells: Vec<Vec<String>>) -> Result<ImportReport, ImportError> {
    let mut errors = Vec::new();
    let mut rows_iter = cells.into_iter().enumerate().filter(|(_, r)| r.iter().any(|c| !c.is_empty()));
    let Some((_, header)) = rows_iter.next() else { return Err(ImportError::Unreadable("the file is empty".into())) };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut at = BTreeMap::new();
    for col in COLUMNS {
        match header.iter().position(|h| h == col) {
            Some(i) => {
                at.insert(col, i);
            }
            None => {
                errors.push(RowError { row: 1, message: format!("missing column {col:?}; the header must name {}", COLUMNS.join(", ")) })
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
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

    let mut rows = Vec::new();
    for (i, cells) in rows_iter {
        let line = i + 1;
        let cell = |col: &str| cells.get(at[col]).map(String::as_str).unwrap_or("").to_owned();
        let mut problems = Vec::new();
        let mut int = |col: &str| match cell(col).parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                problems.push(format!("{col} must be a whole number, not {:?}", cell(col)));
                0
            }
        };
        let (product_id, quantity, node_id, share) = (int("product_id"), int("quantity"), int("node_id"), int("household_quantity"));
        let lot = cell("lot");
        if lot.is_empty() {
            problems.push("lot must name the lot this row belongs to".into());
        }
        for col in ["harvested_on", "expires_on"] {
            if crate::time::parse_date(&cell(col)).is_none() {
                problems.push(format!("{col} must be a date as YYYY-MM-DD, not {:?}", cell(col)));
            }
        }
        let household = cell("household_code");
        if !members.contains_key(&household) {
            problems.push(format!("{household:?} is not a member household of this cooperative"));
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
            errors.push(RowError { row: line, message: problems.join("; ") });
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
                    message: format!("lot {reference}: product, quantity, dates and node must match row {}", first.line),
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
                        message: format!("lot {reference} (rows {}): {}: {}", rows_of(), f.field, f.message),
                    });
                }
            }
            Err(StockError::NotFound(_)) | Err(StockError::Forbidden) => errors.push(RowError {
                row: first.line,
                message: format!("lot {reference}: product {} is not one of this cooperative's", first.product_id),
            }),
            Err(StockError::BelowAllocated { .. }) => unreachable!("a new lot has nothing allocated"),
            Err(StockError::Db(e)) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        // Dropping the transaction rolls back every lot of the file.
        errors.sort_by_key(|e| e.row);
        return Err(ImportError::Rows(errors));
    }
    tx.commit().await?;
    Ok(report)
}

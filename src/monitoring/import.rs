//! Visits from a CSV or XLSX file, as villages collect them weekly, all or
//! nothing: a file with any bad row records no visit, and every bad row
//! comes back with its problems (codes with values; the page words them
//! in the reader's language). The file is read by `stock::upload`'s
//! bounded reader, off the async runtime, within its budget, one of the
//! few imports that may run at once.
//!
//! ```text
//! household_code,visited_on,other_income_yuan,risk_factors,failed_checks,note
//! HH-7K3QX9PM,2026-03-02,14000,因病、因学,饮水,老人住院
//! HH-2B8M4WQA,2026-03-02,26000.50,,,
//! ```
//!
//! Columns may be named in Chinese too (农户编号, 走访日期, 其他收入（元）,
//! 风险因素, 未达标项, 备注); factors and checks may be written in Chinese
//! (因病, 饮水 …) or as the API's codes, separated by 、 , ; or spaces.

use super::Rules;
use super::visits::{CheckedVisit, NewVisit, Source, VisitChecks, lock_household, quoted, record_in};
use crate::db::Db;
use crate::money::Fen;
use crate::regions::RegionCode;
use crate::stock::upload::{FileKind, ImportSlots};
use crate::stock::{ImportError, RowError, rows_error};
use crate::validation::Problem;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The columns of a visits file: the first three are required.
pub const IMPORT_COLUMNS: [&str; 6] = ["household_code", "visited_on", "other_income_yuan", "risk_factors", "failed_checks", "note"];

/// The Chinese names a column may have instead.
const ALIASES: [(&str, &[&str]); 6] = [
    ("household_code", &["农户编号", "户码", "编号"]),
    ("visited_on", &["走访日期", "日期"]),
    ("other_income_yuan", &["其他收入（元）", "其他收入(元)", "其他收入"]),
    ("risk_factors", &["风险因素", "致贫风险", "风险"]),
    ("failed_checks", &["未达标项", "未保障项", "两不愁三保障未达标"]),
    ("note", &["备注"]),
];

/// What an import recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Visits recorded.
    pub visits: usize,
    /// Households visited.
    pub households: usize,
    /// Alerts raised by them.
    pub alerts: usize,
}

/// The one door for an uploaded file of visits, for the API and the page
/// alike: a place among the imports running at once (or
/// [`ImportError::Busy`] at once), the file read on the blocking pool
/// within the budget, then every row checked and recorded — or none.
/// `actor` must be an official; the caller has checked that.
pub async fn import_upload<B>(
    db: &Db,
    slots: &ImportSlots,
    rules: &Rules,
    region: RegionCode,
    user_id: i64,
    kind: FileKind,
    bytes: B,
) -> Result<ImportReport, ImportError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    let Some(slot) = slots.try_take() else {
        return Err(ImportError::Busy { retry_after_secs: crate::stock::upload::BUSY_RETRY_AFTER_SECS });
    };
    let (slot, cells) = crate::stock::upload::read_upload(slot, kind, bytes).await.map_err(|e| match e {
        crate::stock::upload::ReadError::Unreadable(m) => ImportError::Unreadable(m),
        crate::stock::upload::ReadError::OverBudget(o) => ImportError::OverBudget(o),
    })?;
    let report = import(db, rules, region, user_id, cells, crate::time::china_today()).await;
    drop(slot);
    report
}

/// A sample file of visits for the officials of `region` that imports as
/// it is: two of its households (by code), visited `today`, one with an
/// illness and unsafe water. `None` when the region has fewer than two
/// households.
pub async fn sample(db: &Db, region: RegionCode, today: time::Date) -> sqlx::Result<Option<String>> {
    let (lo, hi) = super::code_range(Some(region));
    let codes: Vec<String> =
        sqlx::query_scalar("SELECT code FROM households WHERE village_code BETWEEN $1 AND $2 ORDER BY village_code, code LIMIT 2")
            .bind(&lo)
            .bind(&hi)
            .fetch_all(db.pool())
            .await?;
    let [first, second] = codes.as_slice() else { return Ok(None) };
    let day = crate::time::format_date(today);
    Ok(Some(format!("{}\n{first},{day},14000,因病,饮水,老人住院\n{second},{day},26000.50,,,\n", IMPORT_COLUMNS.join(","))))
}

/// Splits a cell of factors or checks: 、 , ， ; ； | / and spaces.
fn items(cell: &str) -> Vec<&str> {
    cell.split(|c: char| matches!(c, '、' | ',' | '，' | ';' | '；' | '|' | '/') || c.is_whitespace()).filter(|s| !s.is_empty()).collect()
}

/// True for text shaped like a household code (`HH-` and 8 of Crockford's
/// base32): only such text is looked up, so it can be inlined.
fn code_shaped(s: &str) -> bool {
    s.len() == 11 && s.starts_with("HH-") && s[3..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

struct Row {
    line: usize,
    household: i64,
    village: String,
    visit: CheckedVisit,
}

/// Checks every row of `cells` (row 1 the header) and records every visit
/// in one transaction, or nothing; `today` is China's.
pub async fn import(
    db: &Db,
    rules: &Rules,
    region: RegionCode,
    user_id: i64,
    cells: Vec<Vec<String>>,
    today: time::Date,
) -> Result<ImportReport, ImportError> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows_iter = cells.into_iter().enumerate().filter(|(_, r)| r.iter().any(|c| !c.is_empty()));
    let Some((_, header)) = rows_iter.next() else { return Err(ImportError::Unreadable("the file is empty".into())) };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (column, aliases) in ALIASES {
        if let Some(i) = header.iter().position(|h| h == column || aliases.contains(&h.as_str())) {
            at.insert(column, i);
        } else if IMPORT_COLUMNS[..3].contains(&column) {
            errors
                .push(RowError { row: 1, problems: vec![Problem::MissingColumn { column: column.to_owned(), expected: &IMPORT_COLUMNS }] });
        }
    }
    if !errors.is_empty() {
        return Err(rows_error(errors));
    }
    let rows: Vec<(usize, Vec<String>)> = rows_iter.map(|(i, r)| (i + 1, r)).collect();
    let cell = |r: &[String], column: &str| at.get(column).and_then(|i| r.get(*i)).map(|s| s.trim().to_owned()).unwrap_or_default();

    // The households of the official's region that the file names, by code.
    let (lo, hi) = super::code_range(Some(region));
    let mut codes: Vec<String> = rows.iter().map(|(_, r)| cell(r, "household_code").to_uppercase()).filter(|c| code_shaped(c)).collect();
    codes.sort();
    codes.dedup();
    let mut known: HashMap<String, (i64, String)> = HashMap::new();
    for chunk in codes.chunks(500) {
        let list = chunk.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",");
        let found: Vec<(String, i64, String)> = sqlx::query_as(&format!(
            "SELECT code, id, village_code FROM households WHERE code IN ({list}) AND village_code BETWEEN $1 AND $2"
        ))
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool())
        .await?;
        known.extend(found.into_iter().map(|(c, id, v)| (c, (id, v))));
    }

    let mut checked = Vec::new();
    let mut seen: BTreeMap<(i64, String), usize> = BTreeMap::new();
    for (line, r) in &rows {
        let mut problems = Vec::new();
        let code = cell(r, "household_code");
        let household = known.get(&code.to_uppercase()).cloned();
        if household.is_none() {
            problems.push(Problem::NotInYourRegion { text: quoted(&code) });
        }
        let income = cell(r, "other_income_yuan");
        let other_income_fen = match Fen::parse_yuan(&income) {
            Some(f) => f.get(),
            None => {
                problems.push(Problem::OtherIncome { max_yuan: super::visits::MAX_OTHER_INCOME_FEN / 100 });
                0
            }
        };
        let mut failed = Vec::new();
        for text in items(&cell(r, "failed_checks")) {
            match super::rule::Check::parse_any(text) {
                Some(c) if !failed.contains(&c) => failed.push(c),
                Some(_) => {}
                None => problems.push(Problem::UnknownCheck { text: quoted(text) }),
            }
        }
        let visit = NewVisit {
            visited_on: cell(r, "visited_on"),
            other_income_fen,
            risk_factors: items(&cell(r, "risk_factors")).into_iter().map(str::to_owned).collect(),
            checks: VisitChecks::with_failed(&failed),
            note: cell(r, "note"),
        };
        let visit = match visit.check(today) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.extend(e.0.into_iter().map(|f| f.problem));
                None
            }
        };
        if let (Some((id, _)), Some(v)) = (&household, &visit) {
            let key = (*id, crate::time::format_date(v.visited_on));
            if let Some(first_row) = seen.get(&key) {
                problems.push(Problem::VisitTwice { first_row: *first_row });
            } else {
                seen.insert(key, *line);
            }
        }
        match (household, visit) {
            (Some((household, village)), Some(visit)) if problems.is_empty() => {
                checked.push(Row { line: *line, household, village, visit })
            }
            _ => errors.push(RowError { row: *line, problems }),
        }
    }
    if !errors.is_empty() {
        return Err(rows_error(errors));
    }

    // Households locked in id order, as every evaluation takes them.
    checked.sort_by_key(|r| (r.household, r.line));
    let mut tx = db.begin_write().await?;
    let mut report = ImportReport { visits: 0, households: 0, alerts: 0 };
    let mut last = None;
    for r in &checked {
        if last != Some(r.household) {
            lock_household(&mut tx, r.household).await?;
            report.households += 1;
            last = Some(r.household);
        }
        let (_, _, evaluated) = record_in(&mut tx, rules, user_id, r.household, &r.village, &r.visit, Source::Import).await?;
        report.visits += 1;
        report.alerts += usize::from(evaluated.is_some_and(|e| e.alert.is_some()));
    }
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_factors_split_on_chinese_and_latin_separators() {
        assert_eq!(items("因病、因学"), ["因病", "因学"]);
        assert_eq!(items("illness, accident;disaster"), ["illness", "accident", "disaster"]);
        assert_eq!(items("  "), Vec::<&str>::new());
        assert!(code_shaped("HH-7K3QX9PM"));
        assert!(!code_shaped("HH-7K3QX9P'"));
        assert!(!code_shaped("hh-7k3qx9pm"));
    }
}

//! Loading regions: the shipped file at start-up, and the full national
//! villages file on demand (`zhunong import regions <villages.csv>`).
//! Both are idempotent: rows already present are left as they are.

use super::RegionCode;
pub use super::csv_line::split_csv_line;
use crate::db::{Db, set_meta, values_placeholders};
use anyhow::Context;
use std::io::{BufRead, BufReader, Read};

/// The shipped regions: every province, prefecture, county and township,
/// and the villages of the demo prefectures. See data/regions/README.md.
const SHIPPED: &str = include_str!("../../data/regions/regions.csv");
const SHIPPED_MARK: &str = "china-division-2.7.0:50512";
const BATCH: usize = 500;

/// Inserts the shipped regions unless this database already has them.
/// Returns how many rows were added.
pub async fn load_shipped(db: &Db) -> anyhow::Result<u64> {
    if db.meta("regions.shipped").await?.as_deref() == Some(SHIPPED_MARK) {
        return Ok(0);
    }
    let mut rows = Vec::with_capacity(51_000);
    for (i, line) in SHIPPED.lines().enumerate().skip(1) {
        let mut f = line.splitn(4, ',');
        let (code, parent, level, name) = (f.next(), f.next(), f.next(), f.next());
        let (Some(code), Some(parent), Some(level), Some(name)) = (code, parent, level, name) else {
            anyhow::bail!("data/regions/regions.csv line {}: expected code,parent_code,level,name", i + 1);
        };
        rows.push([code.to_owned(), parent.to_owned(), level.to_owned(), name.to_owned()]);
    }
    let mut tx = db.begin_write().await?;
    let mut added = 0;
    for chunk in rows.chunks(BATCH) {
        added += insert_batch(&mut tx, chunk).await?;
    }
    set_meta(&mut tx, "regions.shipped", SHIPPED_MARK).await?;
    tx.commit().await?;
    Ok(added)
}

async fn insert_batch(tx: &mut crate::db::Tx, rows: &[[String; 4]]) -> sqlx::Result<u64> {
    let sql = format!(
        "INSERT INTO regions (code, parent_code, level, name) VALUES {} ON CONFLICT (code) DO NOTHING",
        values_placeholders(rows.len(), 4)
    );
    let mut q = sqlx::query(&sql);
    for [code, parent, level, name] in rows {
        q = q.bind(code).bind((!parent.is_empty()).then_some(parent)).bind(level).bind(name);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Data rows read.
    pub read: u64,
    /// Villages added.
    pub added: u64,
    /// Villages already present.
    pub already_present: u64,
    /// Rows skipped, with their line number and reason (at most 20 kept).
    pub skipped: Vec<(u64, String)>,
    /// How many rows were skipped in all.
    pub skipped_count: u64,
}

/// Loads villages from the `china-division` package's `villages.csv`
/// (`code,name,streetCode,provinceCode,cityCode,areaCode`). Villages whose
/// township is unknown, or whose code is not a village code, are skipped
/// and reported. `progress(bytes_read)` is called after every batch.
pub async fn import_villages(db: &Db, input: impl Read, mut progress: impl FnMut(u64)) -> anyhow::Result<ImportReport> {
    let mut known_townships = std::collections::HashSet::new();
    let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM regions WHERE level = 'township'").fetch_all(db.pool()).await?;
    known_townships.extend(codes);

    let mut report = ImportReport::default();
    let mut reader = BufReader::with_capacity(1 << 20, CountingReader { inner: input, count: 0 });
    let mut line = String::new();
    let mut line_no = 0u64;
    let mut batch: Vec<[String; 4]> = Vec::with_capacity(BATCH);
    let skip = |report: &mut ImportReport, line_no: u64, why: String| {
        report.skipped_count += 1;
        if report.skipped.len() < 20 {
            report.skipped.push((line_no, why));
        }
    };
    let mut tx = db.begin_write().await?;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).context("reading the villages file")?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = line.trim_end_matches(['\r', '\n']);
        if line_no == 1 {
            anyhow::ensure!(
                text.starts_with("code,name,streetCode"),
                "this is not china-division's villages.csv: its header should start with code,name,streetCode"
            );
            continue;
        }
        if text.is_empty() {
            continue;
        }
        report.read += 1;
        let fields = split_csv_line(text);
        if fields.len() < 3 {
            skip(&mut report, line_no, "expected at least code,name,streetCode".into());
            continue;
        }
        let (code, street) = match (RegionCode::parse(&fields[0]), RegionCode::parse(&fields[2])) {
            (Ok(c), Ok(s)) if c.level() == super::RegionLevel::Village && c.parent() == Some(s) => (c, s),
            _ => {
                skip(&mut report, line_no, format!("{:?} is not a village code under township {:?}", fields[0], fields[2]));
                continue;
            }
        };
        if !known_townships.contains(&street.to_string()) {
            skip(&mut report, line_no, format!("township {street} is unknown"));
            continue;
        }
        batch.push([code.to_string(), street.to_string(), "village".into(), fields[1].clone()]);
        if batch.len() == BATCH {
            let added = insert_batch(&mut tx, &batch).await?;
            report.added += added;
            report.already_present += batch.len() as u64 - added;
            batch.clear();
            // Commit in slices so a huge import does not hold the write lock
            // for minutes; re-running it skips what is already in.
            if report.read % (BATCH as u64 * 40) == 0 {
                tx.commit().await?;
                tx = db.begin_write().await?;
            }
            progress(reader.get_ref().count);
        }
    }
    if !batch.is_empty() {
        let added = insert_batch(&mut tx, &batch).await?;
        report.added += added;
        report.already_present += batch.len() as u64 - added;
    }
    tx.commit().await?;
    progress(reader.get_ref().count);
    Ok(report)
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_split_with_quotes() {
        assert_eq!(split_csv_line(r#"653129100200,"巴仁村委会",653129100"#), vec!["653129100200", "巴仁村委会", "653129100"]);
        assert_eq!(split_csv_line(r#"1,"a, ""b""",3"#), vec!["1", r#"a, "b""#, "3"]);
        assert_eq!(split_csv_line("a,,c"), vec!["a", "", "c"]);
    }
}

//! `zhunong bench export`: 100,000 rows of a household-like report written
//! as CSV and as XLSX through the one export path of every report
//! (`reports::export` started by `http::download`, the response body read
//! chunk by chunk as a client would), with the time and the peak resident
//! memory of each.
//!
//! The rows are generated as they are asked for — a producer like a
//! report's, without a database — so the figures are the export's own:
//! the writer, the channels, the body. Peak memory is the process's
//! high-water mark (`VmHWM` of `/proc/self/status`), reset before each
//! format where the kernel allows it (`/proc/self/clear_refs`), so each
//! figure is that format's peak.

use crate::money::Fen;
use crate::reports::export::{Cell, Column, Export, Format, Totals};
use http_body_util::BodyExt;
use std::time::Instant;

/// Rows exported unless told otherwise.
pub const ROWS: usize = 100_000;

const COLUMNS: &[Column] = &[
    Column::text("household_code", "农户编号", "Household"),
    Column::text("village", "所在村", "Village"),
    Column::text("status", "状态", "Status"),
    Column::integer("size", "家庭人口", "Household size"),
    Column::yuan("gross_sales_fen", "销售额（元）", "Gross sales (yuan)"),
    Column::yuan("household_income_fen", "农户收入（元）", "Household income (yuan)"),
    Column::yuan("per_capita_income_fen", "人均收入（元）", "Per-capita income (yuan)"),
    Column::percent("share", "收入占比", "Income share"),
    Column::date("last_sale", "最近销售日期", "Last sale"),
];

const VILLAGES: &[&str] = &[
    "喀什地区 › 伽师县 › 卧里托格拉克镇 › 英买里村",
    "喀什地区 › 叶城县 › 乌夏巴什镇 › 阿亚格库木巴格村",
    "喀什地区 › 疏附县 › 吾库萨克镇 › 托万克吾库萨克村",
    "喀什地区 › 莎车县 › 阿瓦提镇 › 兰干村",
];
const STATUSES: &[&str] = &["脱贫户", "监测户", "一般农户"];

/// The export of `rows` generated rows (a small linear congruential
/// generator, so every run writes the same file).
fn generated(rows: usize) -> Export {
    Export::new("bench-households", ("农户销售", "Household sales"), COLUMNS).totals(Totals::Sum).rows(move |mut out| async move {
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for i in 0..rows {
            let size = 1 + next(7) as i64;
            let gross = next(5_000_000) as i64;
            let income = gross * (60 + next(30) as i64) / 100;
            let row = vec![
                Cell::Text(format!("653129-{:06}", i)),
                VILLAGES[next(VILLAGES.len() as u64) as usize].into(),
                STATUSES[next(STATUSES.len() as u64) as usize].into(),
                size.into(),
                Fen::new(gross).into(),
                Fen::new(income).into(),
                Fen::new(income / size).into(),
                Cell::percent((gross > 0).then(|| (income as f64 * 1000.0 / gross as f64).round() / 10.0)),
                format!("2026-{:02}-{:02}", 1 + next(12), 1 + next(28)).into(),
            ];
            out.send(row).await?;
        }
        Ok(())
    })
}

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
}

/// Resets the high-water mark of resident memory to the current size
/// (Linux 4.0 and later); false where that is not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Runs the export benchmark on `rows` rows (at most
/// [`crate::bounds::MAX_EXPORT_ROWS`]) and prints a Markdown report.
pub async fn export(rows: usize) -> anyhow::Result<()> {
    anyhow::ensure!((1..=crate::bounds::MAX_EXPORT_ROWS).contains(&rows), "rows: 1 to {}", crate::bounds::MAX_EXPORT_ROWS);
    println!("## Export benchmark — {} generated rows of {} columns\n", crate::bounds::grouped(rows as i64), COLUMNS.len());
    let base = status_kib("VmRSS").unwrap_or(0);
    println!("Resident memory before: {:.1} MiB.\n", base as f64 / 1024.0);
    println!("| format | time | rows/s | file size | peak RSS | chunks |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut reset = true;
    for format in [Format::Csv, Format::Xlsx] {
        reset &= reset_peak();
        let started = Instant::now();
        let response = crate::http::download(generated(rows), format, &axum::http::HeaderMap::new()).await?;
        let mut body = response.into_body();
        let (mut bytes, mut chunks) = (0usize, 0usize);
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.map_err(|e| anyhow::anyhow!("the export failed: {e}"))?.into_data() {
                bytes += data.len();
                chunks += 1;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let peak = status_kib("VmHWM").unwrap_or(0);
        println!(
            "| {} | **{secs:.2} s** | {:.0} | {:.1} MiB | **{:.1} MiB** | {chunks} |",
            format.extension().to_uppercase(),
            rows as f64 / secs,
            bytes as f64 / (1024.0 * 1024.0),
            peak as f64 / 1024.0
        );
    }
    if !reset {
        println!("\n(The kernel did not reset the high-water mark between formats: each peak includes the ones before.)");
    }
    Ok(())
}

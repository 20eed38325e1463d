//! Reports read the order book and the ledger: households, regions and
//! cooperatives (`households.rs`, `regions.rs`, `cooperatives.rs`), an
//! agency's reserved-share progress (预留份额, `agencies.rs`), a partner
//! city's pledges (`partners.rs`), the periods they cover (`period.rs`),
//! and `zhunong verify` (`verify.rs`).

pub mod cooperatives;
pub mod households;
pub mod period;
pub mod regions;
pub mod verify;

// Agencies' reserved shares and partner cities' pledges (issue 13).
pub mod agencies;
pub mod partners;
pub use agencies::{Month, ReservedShare, may_read_agency, reserved_share};

/// The lowest and highest 12-digit codes inside `region`, for a range
/// condition that an index serves (`LIKE` does not on every backend).
pub fn code_range(region: crate::regions::RegionCode) -> (String, String) {
    let prefix = region.prefix();
    (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
}

/// A place named from its county down, short names: `伽师县 › 巴仁镇 ›
/// 巴仁村` (the province and prefecture are the same for most readers and
/// stay in the page's heading).
pub fn county_down(region: &crate::regions::Region) -> String {
    let from = region.chain.iter().position(|l| l.level >= crate::regions::RegionLevel::County).unwrap_or(0);
    region.chain[from..].iter().map(|l| crate::regions::short_name(&l.name)).collect::<Vec<_>>().join(" › ")
}

// ---- exports (issue 13 §3) ----

pub mod export;

/// The reserved-share report as a table for CSV and XLSX: one row a
/// month, the year's total, then the target and the percentage reached.
pub fn reserved_share_export(report: &ReservedShare) -> export::Export {
    use export::{Cell, Column, Export, Totals};
    const COLUMNS: &[Column] = &[Column::month("month", "月份", "Month"), Column::yuan("counted_fen", "计入金额（元）", "Counted (yuan)")];
    let rows: Vec<Vec<Cell>> = report.months.iter().map(|m| vec![m.month.clone().into(), m.counted_fen.into()]).collect();
    Export::new(format!("reserved-share-{}", report.year), ("预留份额", "Reserved share"), COLUMNS)
        .rows_from(rows)
        .totals(Totals::Sum)
        .note("target_fen", ("全年预留份额（元）", "Reserved share of the year (yuan)"), report.target_fen)
        .note("percent", ("完成比例", "Reached"), Cell::percent(report.percent))
}

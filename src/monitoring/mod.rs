//! Monitoring (监测帮扶): per household and year a colour — green, yellow,
//! orange, red — from the per-capita income against the configured
//! monitoring line, last year's income and what the latest visit found;
//! visits recorded by the officials of the household's region (one at a
//! time or imported from a file); alerts (弹屏预警) when a household turns
//! orange or red, open until an official of its region acknowledges them
//! with a note; and the monitoring report.
//!
//! - `rule.rs` — the colour rule, a pure function ([`rule::assess`]).
//! - `evaluate.rs` — working a household's colour out from the database
//!   and storing it (`household_colours`), raising alerts, and the
//!   minute's sweep that keeps colours in step with the ledger.
//! - `visits.rs` — recording a visit; `import.rs` — visits from CSV/XLSX.
//! - `alerts.rs` — open alerts and their acknowledgement.
//! - `report.rs` — counts per colour (per region, per child region, last
//!   year's), the red and orange households, villages overdue for their
//!   weekly visit.
//!
//! When colours are worked out: at once when a visit is recorded (in the
//! visit's transaction), and by the sweep (every minute, under the
//! `monitoring.sweep` lease) for households whose ledger entries changed
//! (a sale or a refund) and for households not yet evaluated this year or
//! last. A household's declared other income of a year is
//! `household_incomes`; the latest visit of the year sets it.
//!
//! This module owns its tables; it reads `households`, `regions` and the
//! ledger (`attribution_entries`) and writes none of them but
//! `household_incomes`.

pub mod alerts;
pub mod evaluate;
pub mod import;
pub mod report;
pub mod rule;
pub mod visits;

pub use alerts::{AckError, Alert, AlertFilter, acknowledge, alerts, open_alerts};
pub use evaluate::{Evaluated, SWEEP_LEASE, Swept, Trigger, evaluate_all, evaluate_in, sweep};
pub use import::{IMPORT_COLUMNS, ImportReport, import_upload, sample as import_sample};
pub use report::{ChildCounts, Counts, FlaggedHousehold, MonitoringReport, OverdueVillage, ReportQuery, counts, report};
pub use rule::{Assessment, Check, Colour, Figures, Reason, RiskFactor, Thresholds, assess};
pub use visits::{NewVisit, Visit, VisitChecks, VisitError, record_visit};

use crate::money::Fen;
use std::collections::BTreeMap;

/// The rule in force: the monitoring line of each year and the thresholds
/// (both configuration: `ZHUNONG_MONITORING_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    lines: BTreeMap<i32, Fen>,
    /// The thresholds.
    pub thresholds: Thresholds,
}

impl Rules {
    /// The rules a configuration sets.
    pub fn of(config: &crate::config::Config) -> Rules {
        Rules { lines: config.monitoring_lines.clone(), thresholds: Thresholds::of(config) }
    }

    /// Rules with explicit lines and thresholds (tests, benchmarks).
    pub fn new(lines: BTreeMap<i32, Fen>, thresholds: Thresholds) -> Rules {
        Rules { lines, thresholds }
    }

    /// The line of `year`: its own, else the latest earlier one; `None`
    /// before the first (no colour is worked out for such a year).
    pub fn line(&self, year: i32) -> Option<Fen> {
        self.lines.range(..=year).next_back().map(|(_, f)| *f)
    }

    /// The rule of `year` as one comparable text, stored with each colour:
    /// a colour worked out under another rule is worked out again.
    pub fn fingerprint(&self, year: i32) -> String {
        let t = &self.thresholds;
        format!(
            "line={};orange={};yellow={};drop={};risk={}",
            self.line(year).map(|l| l.get()).unwrap_or(0),
            t.orange_percent,
            t.yellow_percent,
            t.drop_percent,
            t.risk_minimum.as_str()
        )
    }
}

/// Why an actor may not read a region's monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Neither an official nor the platform administrator.
    NotAnOfficial,
    /// An official asking for a region outside their own.
    OutsideRegion,
}

/// The region whose monitoring `actor` reads when asking for `asked`:
/// an official their own region, or a region inside it; the platform
/// administrator any region, or everywhere (`None`).
pub fn readable_region(
    actor: &crate::auth::Actor,
    asked: Option<crate::regions::RegionCode>,
) -> Result<Option<crate::regions::RegionCode>, Refusal> {
    if let Some(own) = actor.official_region() {
        return match asked {
            None => Ok(Some(own)),
            Some(r) if own.contains(r) => Ok(Some(r)),
            Some(_) => Err(Refusal::OutsideRegion),
        };
    }
    if actor.has(crate::auth::Role::PlatformAdmin) { Ok(asked) } else { Err(Refusal::NotAnOfficial) }
}

/// The lowest and highest 12-digit codes inside a region, for range
/// conditions an index can serve (`village_code BETWEEN lo AND hi`);
/// everything for `None`.
pub(crate) fn code_range(region: Option<crate::regions::RegionCode>) -> (String, String) {
    match region {
        Some(r) => {
            let p = r.prefix();
            (format!("{p:0<12}"), format!("{p:9<12}"))
        }
        None => ("000000000000".into(), "999999999999".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_the_range_of_the_codes_under_it() {
        let county = crate::regions::RegionCode::parse("653129").unwrap();
        assert_eq!(code_range(Some(county)), ("653129000000".into(), "653129999999".into()));
        let rules = Rules::of(&crate::config::Config::defaults());
        assert_eq!(rules.line(2026), Some(Fen::yuan(7_200)));
        assert_eq!(rules.line(2020), None);
        assert!(rules.fingerprint(2026).starts_with("line=720000;orange=10"));
    }
}

//! The monitoring report of a region and year: households per colour, the
//! same per child region (the drill-down), last year's counts and the
//! change, the red and orange households (a page at a time; identities
//! only for officials of the household's region, through
//! [`Viewer`]), and the villages whose weekly visit is overdue — no visit
//! of any of its households in the last 7 days, China time.
//!
//! Everything reads the stored colours (`household_colours`), never the
//! ledger, so counting a prefecture is one index range.

use super::code_range;
use super::evaluate::parse_reasons;
use super::rule::Colour;
use crate::db::Db;
use crate::households::Viewer;
use crate::money::Fen;
use crate::regions::{RegionCode, RegionLevel};
use serde::Serialize;
use std::collections::BTreeMap;

/// Households per colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Red.
    pub red: i64,
    /// Orange.
    pub orange: i64,
    /// Yellow.
    pub yellow: i64,
    /// Green.
    pub green: i64,
}

impl Counts {
    /// The count of one colour.
    pub fn of(&self, c: Colour) -> i64 {
        match c {
            Colour::Red => self.red,
            Colour::Orange => self.orange,
            Colour::Yellow => self.yellow,
            Colour::Green => self.green,
        }
    }

    /// All households counted.
    pub fn total(&self) -> i64 {
        self.red + self.orange + self.yellow + self.green
    }

    /// This minus `other`, colour by colour (the change from last year).
    pub fn minus(&self, other: &Counts) -> Counts {
        Counts {
            red: self.red - other.red,
            orange: self.orange - other.orange,
            yellow: self.yellow - other.yellow,
            green: self.green - other.green,
        }
    }
}

/// Households per colour in `region` (everywhere for `None`) in `year`:
/// what an official's dashboard shows. The caller has decided that the
/// viewer may read `region`.
pub async fn counts(db: &Db, region: Option<RegionCode>, year: i32) -> sqlx::Result<Counts> {
    let (lo, hi) = code_range(region);
    // Migration 0019's per-village counts, kept by triggers: one row per
    // village rather than one per household.
    let (green, yellow, orange, red): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(green), 0) AS BIGINT), CAST(COALESCE(SUM(yellow), 0) AS BIGINT), \
                CAST(COALESCE(SUM(orange), 0) AS BIGINT), CAST(COALESCE(SUM(red), 0) AS BIGINT) \
         FROM village_colours WHERE year = $1 AND village_code BETWEEN $2 AND $3",
    )
    .bind(year as i64)
    .bind(lo)
    .bind(hi)
    .fetch_one(db.pool())
    .await?;
    Ok(Counts { red, orange, yellow, green })
}

/// A region of the report, named.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    /// 12 digits.
    pub code: String,
    /// Its official name.
    pub name: String,
    /// Its level.
    pub level: RegionLevel,
}

/// One child region's counts (the drill-down).
#[derive(Debug, Clone, Serialize)]
pub struct ChildCounts {
    /// 12 digits.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: RegionLevel,
    /// Households per colour.
    pub counts: Counts,
}

/// A red or orange household.
#[derive(Debug, Clone, Serialize)]
pub struct FlaggedHousehold {
    /// Opaque id (for the visit form).
    #[serde(serialize_with = "crate::ids::serialize")]
    pub household_id: i64,
    /// Pseudonymous code.
    pub household_code: String,
    /// Its village.
    pub village: Place,
    /// Poverty status (households::Status).
    pub status: String,
    /// People.
    pub size: i64,
    /// Red or orange.
    pub colour: Colour,
    /// Why, as codes.
    pub reasons: Vec<String>,
    /// Attributed plus declared income of the year per person, in whole
    /// fen rounded down.
    pub per_capita_income_fen: Fen,
    /// 建档立卡 number, for officials of its region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_number: Option<String>,
    /// Head of household, for officials of its region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_name: Option<String>,
}

/// A village whose weekly visit is overdue.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueVillage {
    /// 12 digits.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The day of its last visit, if there was one.
    pub last_visit_on: Option<String>,
}

/// The monitoring report of a region and year.
#[derive(Debug, Clone, Serialize)]
pub struct MonitoringReport {
    /// The year.
    pub year: i32,
    /// The region (none: everywhere).
    pub region: Option<Place>,
    /// The monitoring line of the year, per person.
    pub line_fen: Option<Fen>,
    /// Households per colour.
    pub counts: Counts,
    /// Last year's.
    pub last_year: Counts,
    /// This year's minus last year's, per colour.
    pub change: Counts,
    /// Per child region, in code order (none below a village).
    pub children: Vec<ChildCounts>,
    /// The red and orange households of this page: red first, then by
    /// per-capita income, lowest first.
    pub households: Vec<FlaggedHousehold>,
    /// Red and orange households in all.
    pub total: i64,
    /// The page.
    pub page: i64,
    /// Households per page.
    pub per_page: i64,
    /// Villages whose weekly visit is overdue, the first
    /// [`MAX_OVERDUE_LISTED`] in code order.
    pub overdue_villages: Vec<OverdueVillage>,
    /// Overdue villages in all.
    pub overdue_total: i64,
}

/// A red or orange household as read: id, code, village, status, size,
/// register number, head, colour, reasons, per-capita fen, village name.
type FlaggedRow = (i64, String, String, String, i64, Option<String>, Option<String>, String, String, i64, Option<String>);

/// Most overdue villages listed in one report.
pub const MAX_OVERDUE_LISTED: i64 = 100;

/// Days within which a village must have been visited (today included).
pub const VISIT_EVERY_DAYS: i64 = 7;

/// The digits of a region's children: provinces under everywhere,
/// prefectures under a province and so on; none under a village.
fn child_digits(region: Option<RegionCode>) -> Option<usize> {
    Some(match region.map(|r| r.level()) {
        None => 2,
        Some(RegionLevel::Province) => 4,
        Some(RegionLevel::Prefecture) => 6,
        Some(RegionLevel::County) => 9,
        Some(RegionLevel::Township) => 12,
        Some(RegionLevel::Village) => return None,
    })
}

/// What a report is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ReportQuery {
    /// The region (everywhere for `None`).
    pub region: Option<RegionCode>,
    /// The year.
    pub year: i32,
    /// The year's monitoring line, shown with the report.
    pub line: Option<Fen>,
    /// The page of red and orange households, from 1.
    pub page: i64,
    /// Households per page.
    pub per_page: i64,
    /// Today in China (for overdue visits).
    pub today: time::Date,
}

/// The monitoring report `q` asks for, as `viewer` may see it. The caller
/// has decided that the viewer may read `q.region`.
pub async fn report(db: &Db, viewer: &Viewer, q: &ReportQuery) -> sqlx::Result<MonitoringReport> {
    let ReportQuery { region, year, line, page, per_page, today } = *q;
    let (lo, hi) = code_range(region);
    let place = match region {
        Some(r) => crate::regions::get(db, r).await?.map(|g| Place { code: g.code.to_string(), name: g.name, level: g.level }),
        None => None,
    };
    let this_year = counts(db, region, year).await?;
    let last_year = counts(db, region, year - 1).await?;

    let mut children = Vec::new();
    if let Some(n) = child_digits(region) {
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT substr(village_code, 1, {n}), CAST(SUM(green) AS BIGINT), CAST(SUM(yellow) AS BIGINT), \
                    CAST(SUM(orange) AS BIGINT), CAST(SUM(red) AS BIGINT) FROM village_colours \
             WHERE year = $1 AND village_code BETWEEN $2 AND $3 GROUP BY substr(village_code, 1, {n}) \
             HAVING SUM(green + yellow + orange + red) > 0"
        ))
        .bind(year as i64)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool())
        .await?;
        let by_child: BTreeMap<String, Counts> = rows
            .into_iter()
            .map(|(prefix, green, yellow, orange, red)| (format!("{prefix:0<12}"), Counts { red, orange, yellow, green }))
            .collect();
        let codes: Vec<RegionCode> = by_child.keys().filter_map(|c| RegionCode::parse(c).ok()).collect();
        let names = crate::regions::get_many(db, &codes).await?;
        for (code, counts) in by_child {
            let (name, level) = match RegionCode::parse(&code).ok().and_then(|c| names.get(&c)) {
                Some(r) => (r.name.clone(), r.level),
                None => (code.clone(), RegionCode::parse(&code).map(|c| c.level()).unwrap_or(RegionLevel::Village)),
            };
            children.push(ChildCounts { code, name, level, counts });
        }
    }

    let total = this_year.red + this_year.orange;
    let rows: Vec<FlaggedRow> = sqlx::query_as(
        "SELECT h.id, h.code, h.village_code, h.status, h.size, h.register_number, h.head_name, c.colour, c.reasons, \
                    c.per_capita_fen, r.name \
             FROM household_colours c JOIN households h ON h.id = c.household_id LEFT JOIN regions r ON r.code = h.village_code \
             WHERE c.year = $1 AND c.village_code BETWEEN $2 AND $3 AND c.colour IN ('red', 'orange') \
             ORDER BY CASE c.colour WHEN 'red' THEN 0 ELSE 1 END, c.per_capita_fen, h.code LIMIT $4 OFFSET $5",
    )
    .bind(year as i64)
    .bind(&lo)
    .bind(&hi)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(db.pool())
    .await?;
    let households = rows
        .into_iter()
        .map(|(id, code, village, status, size, register, head, colour, reasons, per_capita, village_name)| {
            let identified = viewer.may_identify(&village, &[]);
            FlaggedHousehold {
                household_id: id,
                household_code: code,
                village: Place { name: village_name.unwrap_or_else(|| village.clone()), code: village, level: RegionLevel::Village },
                status,
                size,
                colour: Colour::parse(&colour).unwrap_or(Colour::Red),
                reasons: parse_reasons(&reasons).into_iter().map(|r| r.code()).collect(),
                per_capita_income_fen: Fen::new(per_capita),
                register_number: if identified { register } else { None },
                head_name: if identified { head } else { None },
            }
        })
        .collect();

    let cutoff = crate::time::format_date(today - time::Duration::days(VISIT_EVERY_DAYS - 1));
    let overdue_from = "FROM (SELECT v.code, v.name, (SELECT MAX(hv.visited_on) FROM household_visits hv WHERE hv.village_code = v.code) AS last_visit \
                        FROM regions v WHERE v.level = 'village' AND v.code BETWEEN $1 AND $2 \
                        AND EXISTS (SELECT 1 FROM households h WHERE h.village_code = v.code)) x \
                        WHERE x.last_visit IS NULL OR x.last_visit < $3";
    let overdue_total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) {overdue_from}")).bind(&lo).bind(&hi).bind(&cutoff).fetch_one(db.pool()).await?;
    let overdue: Vec<(String, String, Option<String>)> =
        sqlx::query_as(&format!("SELECT x.code, x.name, x.last_visit {overdue_from} ORDER BY x.code LIMIT $4"))
            .bind(&lo)
            .bind(&hi)
            .bind(&cutoff)
            .bind(MAX_OVERDUE_LISTED)
            .fetch_all(db.pool())
            .await?;
    Ok(MonitoringReport {
        year,
        region: place,
        line_fen: line,
        counts: this_year,
        last_year,
        change: this_year.minus(&last_year),
        children,
        households,
        total,
        page,
        per_page,
        overdue_villages: overdue.into_iter().map(|(code, name, last_visit_on)| OverdueVillage { code, name, last_visit_on }).collect(),
        overdue_total,
    })
}

/// The red and orange households an export lists at most (they are read
/// into memory, unlike the other reports' streamed rows; a prefecture's
/// red and orange households are far fewer).
pub const MAX_EXPORTED: i64 = 100_000;

/// A reason in the export's language.
pub fn reason_text(code: &str, lang: crate::reports::export::Language) -> String {
    use super::rule::{Check, Reason, RiskFactor};
    let Some(reason) = Reason::parse(code) else { return code.to_owned() };
    let pick = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
    match reason {
        Reason::BelowLine => pick("人均收入低于监测线", "income per person below the line"),
        Reason::NearLine => pick("人均收入略高于监测线", "income per person just above the line"),
        Reason::CloseToLine => pick("人均收入接近监测线", "income per person close to the line"),
        Reason::IncomeDrop => pick("收入较上年大幅下降", "income fell sharply from last year"),
        Reason::Factor(f) => match f {
            RiskFactor::Illness => pick("因病", "illness"),
            RiskFactor::Schooling => pick("因学", "schooling"),
            RiskFactor::Disability => pick("因残", "disability"),
            RiskFactor::Disaster => pick("因灾", "disaster"),
            RiskFactor::Unemployment => pick("因失业", "unemployment"),
            RiskFactor::Marriage => pick("因婚变", "marriage breakdown"),
            RiskFactor::Accident => pick("因意外", "accident"),
        },
        Reason::Failed(c) => {
            let (zh, en) = match c {
                Check::Food => ("吃", "food"),
                Check::Clothing => ("穿", "clothing"),
                Check::Schooling => ("义务教育", "schooling"),
                Check::Medical => ("基本医疗", "medical care"),
                Check::Housing => ("住房安全", "safe housing"),
                Check::Water => ("饮水安全", "drinking water"),
            };
            lang.pick(format!("{zh}未保障"), format!("{en} not met"))
        }
    }
}

/// The red and orange households of a report (read with one page of up
/// to [`MAX_EXPORTED`]) as an export, the counts per colour as notes.
pub fn export(report: &MonitoringReport, lang: crate::reports::export::Language) -> crate::reports::export::Export {
    use crate::reports::export::{Cell, Column, Export, Totals};
    const COLUMNS: &[Column] = &[
        Column::text("household_code", "农户编号", "Household"),
        Column::text("head_name", "户主", "Head of household"),
        Column::text("register_number", "建档立卡证号", "Register number"),
        Column::text("village", "所在村", "Village"),
        Column::integer("size", "人口", "People"),
        Column::text("colour", "监测颜色", "Colour"),
        Column::yuan("per_capita_income_fen", "人均收入（元）", "Income per person (yuan)"),
        Column::text("reasons", "原因", "Why"),
    ];
    let colour = |c: Colour| match c {
        Colour::Red => lang.pick("红色", "red"),
        Colour::Orange => lang.pick("橙色", "orange"),
        Colour::Yellow => lang.pick("黄色", "yellow"),
        Colour::Green => lang.pick("绿色", "green"),
    };
    let rows: Vec<Vec<Cell>> = report
        .households
        .iter()
        .map(|h| {
            let reasons: Vec<String> = h.reasons.iter().map(|r| reason_text(r, lang)).collect();
            vec![
                h.household_code.clone().into(),
                h.head_name.clone().unwrap_or_default().into(),
                h.register_number.clone().unwrap_or_default().into(),
                crate::regions::short_name(&h.village.name).into(),
                h.size.into(),
                colour(h.colour).into(),
                h.per_capita_income_fen.into(),
                reasons.join(lang.pick("、", "; ")).into(),
            ]
        })
        .collect();
    let place = report.region.as_ref().map(|p| p.code.clone()).unwrap_or_else(|| "all".into());
    let mut export = Export::new(format!("monitoring-{place}-{}", report.year), ("红色橙色预警户", "Red and orange households"), COLUMNS)
        .rows_from(rows)
        .totals(Totals::None);
    for (key, label, n) in [
        ("red", ("红色（户）", "Red (households)"), report.counts.red),
        ("orange", ("橙色（户）", "Orange (households)"), report.counts.orange),
        ("yellow", ("黄色（户）", "Yellow (households)"), report.counts.yellow),
        ("green", ("绿色（户）", "Green (households)"), report.counts.green),
    ] {
        export = export.note(key, label, n);
    }
    export
}

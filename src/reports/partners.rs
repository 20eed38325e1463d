//! A partner city's pledge report (对口帮扶 / 东西部协作, DESIGN.md "Quotas
//! and pledges"): per paired region and month, the year's pledge against
//! what reached the region's produce —
//!
//! - **direct** purchase: ledger entries whose buyer is the partner city's
//!   organisation itself;
//! - **helped** sales: entries whose buyer is anyone else and whose order
//!   was delivered into the partner city's region
//!   (`organisations.region_code` of the partner: 重庆市, 杭州市 …) — the
//!   city's schools, hospitals and people buying the paired region's
//!   produce;
//!
//! both only for products whose origin lies in the paired region. The
//! numbers are the ledger's (`attribution_entries.gross_fen`): every entry
//! of a sale and of its refunds, so the amounts are net of refunds — a
//! refund counts, negatively, in the month it was paid back. Days and
//! months are China's (the ledger's `day` and `month`).
//!
//! The ledger is read rather than the monthly totals: those are not kept
//! by origin or delivery region. The entries' `(buyer_org_id, day)` and
//! `(delivery_region, day)` indexes narrow each of the two queries.
//!
//! Who may read it: the partner city's own users, the platform's admin and
//! finance, and officials whose region contains a paired region — those
//! see the paired regions within their region only. Anyone else is told
//! the partner does not exist (404), as with every other tenant's data.
//! Nothing here names a household.

use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::money::Fen;
use crate::regions::RegionCode;
use serde::Serialize;

use super::code_range;
pub use super::period::Period;

/// A region by code and name.
#[derive(Debug, Clone, Serialize)]
pub struct RegionName {
    /// 12 digits.
    pub code: RegionCode,
    /// 昌都市.
    pub name: String,
}

/// One month of a pledge's progress.
#[derive(Debug, Clone, Serialize)]
pub struct PledgeMonth {
    /// `2026-03`.
    pub month: String,
    /// Bought by the partner city itself, net of refunds.
    pub direct_fen: Fen,
    /// Bought by others for delivery into the partner city, net of refunds.
    pub helped_fen: Fen,
}

/// A paired region's pledge and progress.
#[derive(Debug, Clone, Serialize)]
pub struct PairedRegion {
    /// The paired region.
    pub region: RegionName,
    /// The programme of the pairing (对口援疆, 东西部协作 …).
    pub programme: String,
    /// The year's pledge (0 when none is set).
    pub pledge_fen: Fen,
    /// Direct purchase in the period.
    pub direct_fen: Fen,
    /// Helped sales in the period.
    pub helped_fen: Fen,
    /// (direct + helped) / pledge in percent, one decimal; `None` without
    /// a pledge.
    pub percent: Option<f64>,
    /// The months of the period.
    pub months: Vec<PledgeMonth>,
}

/// The partner city a report is of.
#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    /// Its organisation.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The city whose deliveries count as helped sales.
    pub region: RegionName,
}

/// Sums over the paired regions shown.
#[derive(Debug, Clone, Serialize)]
pub struct PledgeTotals {
    /// Pledged.
    pub pledge_fen: Fen,
    /// Direct purchase.
    pub direct_fen: Fen,
    /// Helped sales.
    pub helped_fen: Fen,
    /// (direct + helped) / pledge in percent, one decimal.
    pub percent: Option<f64>,
}

/// The pledge report of a partner city for a period.
#[derive(Debug, Clone, Serialize)]
pub struct PledgeReport {
    /// The partner city.
    pub partner: Partner,
    /// The year whose pledges apply.
    pub year: i32,
    /// First day, `YYYY-MM-DD` (China).
    pub from: String,
    /// Last day, `YYYY-MM-DD` (China).
    pub to: String,
    /// Per paired region, in code order.
    pub regions: Vec<PairedRegion>,
    /// The paired regions together.
    pub totals: PledgeTotals,
    /// The paired regions together, by month.
    pub months: Vec<PledgeMonth>,
}

/// `part / whole` in percent with one decimal, `None` when `whole` is 0.
fn percent(part: Fen, whole: Fen) -> Option<f64> {
    (whole.get() > 0).then(|| (part.get() as f64 * 1000.0 / whole.get() as f64).round() / 10.0)
}

/// Whether `actor` sees all of partner `partner`'s pairings: its own
/// people and the platform's admin and finance.
fn sees_all(actor: &Actor, partner: i64) -> bool {
    actor.org.id == partner || actor.has(Role::PlatformAdmin) || actor.has(Role::PlatformFinance)
}

/// Whether `actor` sees pairing `pairing` of partner `partner`: all
/// pairings for [`sees_all`], those within an official's region for an
/// official.
fn visible(actor: &Actor, partner: i64, pairing: RegionCode) -> bool {
    sees_all(actor, partner) || actor.official_region().is_some_and(|r| r.contains(pairing))
}

/// Partner city `partner`'s pledge report for `period` as `actor` may see
/// it, or `None` when there is no such partner city or `actor` may see
/// none of its pairings (the edge answers 404 either way). The pledges
/// are those of `period.from`'s year; the edge keeps a period within one
/// year.
pub async fn pledge(db: &Db, actor: &Actor, partner: i64, period: Period) -> sqlx::Result<Option<PledgeReport>> {
    let org: Option<(String, String)> =
        sqlx::query_as("SELECT name, region_code FROM organisations WHERE id = $1 AND kind = 'partner_city'")
            .bind(partner)
            .fetch_optional(db.pool())
            .await?;
    let Some((name, city)) = org else { return Ok(None) };
    let Ok(city) = RegionCode::parse(&city) else { return Ok(None) };
    let year = period.from.year();
    let pairings: Vec<(String, String, Option<i64>)> = sqlx::query_as(
        "SELECT p.region_code, p.programme, g.pledge_fen FROM partner_pairings p \
         LEFT JOIN partner_pledges g ON g.partner_id = p.partner_id AND g.region_code = p.region_code AND g.year = $2 \
         WHERE p.partner_id = $1 ORDER BY p.region_code",
    )
    .bind(partner)
    .bind(year as i64)
    .fetch_all(db.pool())
    .await?;
    let pairings: Vec<(RegionCode, String, Fen)> = pairings
        .into_iter()
        .filter_map(|(code, programme, pledge)| Some((RegionCode::parse(&code).ok()?, programme, Fen::new(pledge.unwrap_or(0)))))
        .filter(|(code, _, _)| visible(actor, partner, *code))
        .collect();
    if pairings.is_empty() && !sees_all(actor, partner) {
        return Ok(None);
    }
    let mut codes: Vec<RegionCode> = pairings.iter().map(|(c, _, _)| *c).collect();
    codes.push(city);
    let names = crate::regions::get_many(db, &codes).await?;
    let name_of = |code: RegionCode| RegionName { code, name: names.get(&code).map(|r| r.name.clone()).unwrap_or_default() };

    let (from, to) = (crate::time::format_date(period.from), crate::time::format_date(period.to));
    let (city_lo, city_hi) = code_range(city);
    let month_list = period.months();
    let blank = || month_list.iter().map(|m| PledgeMonth { month: m.clone(), direct_fen: Fen::ZERO, helped_fen: Fen::ZERO }).collect();
    let mut all_months: Vec<PledgeMonth> = blank();
    let mut regions = Vec::with_capacity(pairings.len());
    for (code, programme, pledge) in pairings {
        let (lo, hi) = code_range(code);
        // Direct: the partner's own purchases of the region's produce.
        let direct: Vec<(String, i64)> = sqlx::query_as(
            "SELECT month, CAST(COALESCE(SUM(gross_fen), 0) AS BIGINT) FROM attribution_entries \
             WHERE buyer_org_id = $1 AND day >= $2 AND day <= $3 AND origin_code >= $4 AND origin_code <= $5 GROUP BY month",
        )
        .bind(partner)
        .bind(&from)
        .bind(&to)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool())
        .await?;
        // Helped: anyone else's, delivered into the partner's city.
        let helped: Vec<(String, i64)> = sqlx::query_as(
            "SELECT month, CAST(COALESCE(SUM(gross_fen), 0) AS BIGINT) FROM attribution_entries \
             WHERE delivery_region >= $1 AND delivery_region <= $2 AND day >= $3 AND day <= $4 \
               AND buyer_org_id <> $5 AND origin_code >= $6 AND origin_code <= $7 GROUP BY month",
        )
        .bind(&city_lo)
        .bind(&city_hi)
        .bind(&from)
        .bind(&to)
        .bind(partner)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool())
        .await?;
        let mut months: Vec<PledgeMonth> = blank();
        for (month, fen) in direct {
            if let Some(m) = months.iter_mut().find(|m| m.month == month) {
                m.direct_fen += Fen::new(fen);
            }
        }
        for (month, fen) in helped {
            if let Some(m) = months.iter_mut().find(|m| m.month == month) {
                m.helped_fen += Fen::new(fen);
            }
        }
        let direct_fen = months.iter().map(|m| m.direct_fen).sum::<Fen>();
        let helped_fen = months.iter().map(|m| m.helped_fen).sum::<Fen>();
        for (all, m) in all_months.iter_mut().zip(&months) {
            all.direct_fen += m.direct_fen;
            all.helped_fen += m.helped_fen;
        }
        regions.push(PairedRegion {
            region: name_of(code),
            programme,
            pledge_fen: pledge,
            direct_fen,
            helped_fen,
            percent: percent(direct_fen + helped_fen, pledge),
            months,
        });
    }
    let pledge_fen = regions.iter().map(|r| r.pledge_fen).sum::<Fen>();
    let direct_fen = regions.iter().map(|r| r.direct_fen).sum::<Fen>();
    let helped_fen = regions.iter().map(|r| r.helped_fen).sum::<Fen>();
    Ok(Some(PledgeReport {
        partner: Partner { id: partner, name, region: name_of(city) },
        year,
        from,
        to,
        regions,
        totals: PledgeTotals { pledge_fen, direct_fen, helped_fen, percent: percent(direct_fen + helped_fen, pledge_fen) },
        months: all_months,
    }))
}

/// The pledge report as a table for CSV and XLSX (`format=csv|xlsx`):
/// per paired region its months (direct and helped purchase), then the
/// region's whole period (its pledge, both amounts, the percentage
/// reached); the totals row is the paired regions together. The JSON
/// answer keeps its richer shape.
pub fn pledge_export(report: &PledgeReport) -> super::export::Export {
    use super::export::{Cell, Column, Export, Totals};
    const COLUMNS: &[Column] = &[
        Column::text("region", "对口地区", "Paired region"),
        Column::month("month", "月份", "Month"),
        Column::yuan("pledge_fen", "帮扶承诺额（元）", "Pledge (yuan)"),
        Column::yuan("direct_fen", "直接采购（元）", "Direct purchase (yuan)"),
        Column::yuan("helped_fen", "带动销售（元）", "Helped sales (yuan)"),
        Column::percent("percent", "完成比例", "Reached"),
    ];
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for r in &report.regions {
        for m in &r.months {
            rows.push(vec![
                r.region.name.clone().into(),
                m.month.clone().into(),
                Cell::Empty,
                m.direct_fen.into(),
                m.helped_fen.into(),
                Cell::Empty,
            ]);
        }
        // The region's period, after its months: no month, its pledge.
        rows.push(vec![
            r.region.name.clone().into(),
            Cell::Empty,
            r.pledge_fen.into(),
            r.direct_fen.into(),
            r.helped_fen.into(),
            Cell::percent(r.percent),
        ]);
    }
    let t = &report.totals;
    let totals = vec![Cell::Empty, Cell::Empty, t.pledge_fen.into(), t.direct_fen.into(), t.helped_fen.into(), Cell::percent(t.percent)];
    Export::new(format!("pledge-{}", report.year), ("对口帮扶", "Pledges"), COLUMNS).rows_from(rows).totals(Totals::Given(totals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_the_range_of_the_codes_that_start_with_its_digits() {
        let r = |s: &str| RegionCode::parse(s).unwrap();
        assert_eq!(code_range(r("500000000000")), ("500000000000".into(), "509999999999".into()));
        assert_eq!(code_range(r("653129000000")), ("653129000000".into(), "653129999999".into()));
        assert_eq!(code_range(r("540300000000")), ("540300000000".into(), "540399999999".into()));
    }
}

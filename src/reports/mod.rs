//! Reports read the order book and the ledger. So far: an agency's
//! reserved-share progress (预留份额) — per DESIGN.md, an order counts once
//! it is paid, accepted and rated (acceptance carries the ratings, so an
//! accepted order is rated), for its amount net of refunds, in the month
//! it became all three: its acceptance, or — on credit terms, where the
//! money comes after the goods — its payment.

pub mod verify;

use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::money::Fen;
use serde::Serialize;

/// One month's counted amount.
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `2026-03`
    pub month: String,
    /// Counted in that month.
    pub counted_fen: Fen,
}

/// An agency's progress towards its reserved share of a year.
#[derive(Debug, Clone, Serialize)]
pub struct ReservedShare {
    /// The year.
    pub year: i32,
    /// The reserved share (0 when none is set for the year).
    pub target_fen: Fen,
    /// Paid, accepted and rated orders, net of refunds.
    pub counted_fen: Fen,
    /// counted / target in percent, one decimal; `None` without a target.
    pub percent: Option<f64>,
    /// The twelve months, January first.
    pub months: Vec<Month>,
}

/// Whether `actor` may read the reports of agency `agency`: its own
/// people, the platform, and officials of the region it sits in.
pub async fn may_read_agency(db: &Db, actor: &Actor, agency: i64) -> sqlx::Result<bool> {
    if actor.org.id == agency || actor.has(Role::PlatformAdmin) || actor.has(Role::PlatformFinance) {
        return Ok(true);
    }
    let Some(region) = actor.official_region() else { return Ok(false) };
    let code: Option<String> = sqlx::query_scalar("SELECT region_code FROM organisations WHERE id = $1 AND kind = 'agency'")
        .bind(agency)
        .fetch_optional(db.pool())
        .await?;
    Ok(code.and_then(|c| crate::regions::RegionCode::parse(&c).ok()).is_some_and(|c| region.contains(c)))
}

/// Agency `agency`'s reserved-share progress in `year`, or `None` when it
/// is not an agency.
pub async fn reserved_share(db: &Db, agency: i64, year: i32) -> sqlx::Result<Option<ReservedShare>> {
    let is_agency: Option<i64> =
        sqlx::query_scalar("SELECT org_id FROM agencies WHERE org_id = $1").bind(agency).fetch_optional(db.pool()).await?;
    if is_agency.is_none() {
        return Ok(None);
    }
    let target: Option<i64> = sqlx::query_scalar("SELECT target_fen FROM agency_reserved_shares WHERE agency_id = $1 AND year = $2")
        .bind(agency)
        .bind(year as i64)
        .fetch_optional(db.pool())
        .await?;
    // The month the order became paid, accepted and rated — its
    // acceptance, or its payment when that came later (on credit terms) —
    // and its amount net of refunds. An accepted order on credit terms
    // that is not paid yet does not count. Timestamps are fixed-width
    // text, so the later of two is the greater string.
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT SUBSTR(c.counted_at, 1, 7), c.net FROM ( \
           SELECT CASE WHEN o.paid_at > e.at THEN o.paid_at ELSE e.at END AS counted_at, \
                  o.total_fen - CAST(COALESCE((SELECT SUM(r.amount_fen) FROM refunds r WHERE r.order_id = o.id), 0) AS BIGINT) AS net \
           FROM orders o JOIN order_events e ON e.order_id = o.id AND e.from_status = 'delivered' AND e.to_status = 'accepted' \
           WHERE o.buyer_org_id = $1 AND o.status IN ('accepted', 'refunded') AND o.paid_at IS NOT NULL) c \
         WHERE c.counted_at >= $2 AND c.counted_at < $3",
    )
    .bind(agency)
    .bind(format!("{year:04}-01-01"))
    .bind(format!("{:04}-01-01", year + 1))
    .fetch_all(db.pool())
    .await?;
    let mut months: Vec<Month> = (1..=12).map(|m| Month { month: format!("{year:04}-{m:02}"), counted_fen: Fen::ZERO }).collect();
    let mut counted = Fen::ZERO;
    for (month, amount) in rows {
        if let Some(m) = months.iter_mut().find(|m| m.month == month) {
            m.counted_fen += Fen::new(amount);
            counted += Fen::new(amount);
        }
    }
    let target = Fen::new(target.unwrap_or(0));
    let percent = (target.get() > 0).then(|| (counted.get() as f64 * 1000.0 / target.get() as f64).round() / 10.0);
    Ok(Some(ReservedShare { year, target_fen: target, counted_fen: counted, percent, months }))
}

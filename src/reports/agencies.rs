//! An agency's reserved share (预留份额). Per DESIGN.md an order counts
//! once it is paid, accepted and rated (acceptance carries the ratings, so
//! an accepted order is rated), for its amount net of refunds, in the
//! China month it became all three: its acceptance, or — on credit terms,
//! where the money comes after the goods — its payment.
//!
//! Beside the count, what is on its way to counting, as of now (whatever
//! year is asked): orders paid but not yet accepted and rated, and orders
//! accepted on credit terms (账期, `orders::terms`) but not yet paid, with
//! the day each falls due and whether it is overdue.

use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::money::Fen;
use serde::Serialize;

/// How many orders each list of open orders holds at most (oldest first);
/// the counts and amounts cover them all.
pub const OPEN_LISTED: i64 = 100;

/// One month's counted amount.
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `2026-03` (China).
    pub month: String,
    /// Counted in that month.
    pub counted_fen: Fen,
}

/// An order that does not count yet.
#[derive(Debug, Clone, Serialize)]
pub struct OpenOrder {
    /// The order.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Its number, as people quote it.
    pub number: String,
    /// Its status (`paid`, `in_transit`, `delivered`, `accepted`).
    pub status: String,
    /// Its amount net of refunds.
    pub amount_fen: Fen,
    /// China date it was paid (`None`: not paid).
    pub paid_on: Option<String>,
    /// China date it falls due (credit terms, after acceptance).
    pub due_on: Option<String>,
    /// Unpaid after its due date.
    pub overdue: bool,
}

/// Orders that do not count yet, of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct OpenOrders {
    /// How many.
    pub count: i64,
    /// Their amount net of refunds.
    pub amount_fen: Fen,
    /// The oldest [`OPEN_LISTED`] of them.
    pub orders: Vec<OpenOrder>,
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
    /// Paid, still waiting for acceptance and rating (counts once
    /// accepted).
    pub awaiting_acceptance: OpenOrders,
    /// Accepted on credit terms, not paid yet (counts once paid).
    pub accepted_unpaid: OpenOrders,
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

/// The moment China's year `year` begins, as stored (UTC text): China
/// has no daylight saving, so it is 16:00 UTC on the day before.
fn china_year_starts(year: i32) -> String {
    format!("{:04}-12-31T16:00:00.000000Z", year - 1)
}

/// The China date of a stored moment (`2026-03-31T17:00:00Z` →
/// `2026-04-01`); `None` for text that is not one.
fn china_day(stored: &str) -> Option<String> {
    let t = time::OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339).ok()?;
    Some(crate::time::format_date(crate::time::china_date_of(t)))
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
    // The moment the order became paid, accepted and rated — its
    // acceptance, or its payment when that came later (on credit terms) —
    // and its amount net of refunds. An accepted order on credit terms
    // that is not paid yet does not count. Timestamps are fixed-width
    // text, so the later of two is the greater string; the year's bounds
    // and each month are China's.
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.counted_at, c.net FROM ( \
           SELECT CASE WHEN o.paid_at > e.at THEN o.paid_at ELSE e.at END AS counted_at, \
                  o.total_fen - CAST(COALESCE((SELECT SUM(r.amount_fen) FROM refunds r WHERE r.order_id = o.id), 0) AS BIGINT) AS net \
           FROM orders o JOIN order_events e ON e.order_id = o.id AND e.from_status = 'delivered' AND e.to_status = 'accepted' \
           WHERE o.buyer_org_id = $1 AND o.status IN ('accepted', 'refunded') AND o.paid_at IS NOT NULL) c \
         WHERE c.counted_at >= $2 AND c.counted_at < $3",
    )
    .bind(agency)
    .bind(china_year_starts(year))
    .bind(china_year_starts(year + 1))
    .fetch_all(db.pool())
    .await?;
    let mut months: Vec<Month> = (1..=12).map(|m| Month { month: format!("{year:04}-{m:02}"), counted_fen: Fen::ZERO }).collect();
    let mut counted = Fen::ZERO;
    for (at, amount) in rows {
        let Some(day) = china_day(&at) else { continue };
        if let Some(m) = months.iter_mut().find(|m| day.starts_with(&m.month)) {
            m.counted_fen += Fen::new(amount);
            counted += Fen::new(amount);
        }
    }
    let target = Fen::new(target.unwrap_or(0));
    let percent = (target.get() > 0).then(|| (counted.get() as f64 * 1000.0 / target.get() as f64).round() / 10.0);
    Ok(Some(ReservedShare {
        year,
        target_fen: target,
        counted_fen: counted,
        percent,
        months,
        awaiting_acceptance: open_orders(db, agency, Open::AwaitingAcceptance).await?,
        accepted_unpaid: open_orders(db, agency, Open::AcceptedUnpaid).await?,
    }))
}

/// The two kinds of orders on their way to counting.
#[derive(Clone, Copy)]
enum Open {
    AwaitingAcceptance,
    AcceptedUnpaid,
}

impl Open {
    /// The condition on `orders o`, and the order of the list: oldest
    /// payment first; soonest due first.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            // Paid, goods on their way or arrived, not accepted. A fully
            // refunded order is `refunded` and owes nothing.
            Open::AwaitingAcceptance => ("o.paid_at IS NOT NULL AND o.status IN ('paid', 'in_transit', 'delivered')", "o.paid_at, o.id"),
            // Accepted, unpaid: only orders on credit terms get here.
            Open::AcceptedUnpaid => ("o.paid_at IS NULL AND o.status = 'accepted'", "o.due_on, o.id"),
        }
    }
}

/// An open order as read: id, number, status, net amount, paid at, due on.
type OpenRow = (i64, String, String, i64, Option<String>, Option<String>);

async fn open_orders(db: &Db, agency: i64, kind: Open) -> sqlx::Result<OpenOrders> {
    let (condition, order) = kind.sql();
    let net = "o.total_fen - CAST(COALESCE((SELECT SUM(r.amount_fen) FROM refunds r WHERE r.order_id = o.id), 0) AS BIGINT)";
    let (count, amount): (i64, i64) = sqlx::query_as(&format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM({net}), 0) AS BIGINT) FROM orders o WHERE o.buyer_org_id = $1 AND {condition}"
    ))
    .bind(agency)
    .fetch_one(db.pool())
    .await?;
    let rows: Vec<OpenRow> = sqlx::query_as(&format!(
        "SELECT o.id, o.number, o.status, {net}, o.paid_at, o.due_on FROM orders o \
         WHERE o.buyer_org_id = $1 AND {condition} ORDER BY {order} LIMIT {OPEN_LISTED}"
    ))
    .bind(agency)
    .fetch_all(db.pool())
    .await?;
    let today = crate::time::china_today();
    let orders = rows
        .into_iter()
        .map(|(id, number, status, amount, paid_at, due_on)| OpenOrder {
            id,
            number,
            status,
            amount_fen: Fen::new(amount),
            overdue: crate::orders::terms::is_overdue(due_on.as_deref(), paid_at.as_deref(), today),
            paid_on: paid_at.as_deref().and_then(china_day),
            due_on,
        })
        .collect();
    Ok(OpenOrders { count, amount_fen: Fen::new(amount), orders })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_belongs_to_the_china_day_and_year_it_falls_in() {
        assert_eq!(china_day("2026-03-31T15:59:59.999999Z").as_deref(), Some("2026-03-31"));
        assert_eq!(china_day("2026-03-31T16:00:00.000000Z").as_deref(), Some("2026-04-01"));
        assert_eq!(china_day("not a moment"), None);
        assert_eq!(china_year_starts(2027), "2026-12-31T16:00:00.000000Z");
        assert!("2026-12-31T16:00:00.000000Z" >= china_year_starts(2027).as_str(), "new year's first moment is the next year's");
    }
}

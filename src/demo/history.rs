//! A year of demo sales, so the reports have something to show: a few
//! orders a month over the last twelve months by the demo agency (喀什地区
//! 第一中学) and the 重庆 partner city, most of the produce from 喀什地区,
//! each placed, paid, carried along the chain, accepted and rated through
//! the same domain functions as real orders.
//!
//! The only shortcut is the calendar: the orders are made now and then
//! moved back to their month — the order's times, its events, payment and
//! rating, and its ledger entries' times and China dates — and the monthly
//! totals are then rebuilt from the ledger by the same grouping as the
//! migration that created them (`zhunong verify` checks they agree).
//! Scans keep their real (today's) times. Deterministic: the same demo
//! every time.

use super::journeys::{actor, advance};
use crate::db::Db;
use crate::orders::{self, Delivery, HoldPolicy, NewLine, NewOrder, Transition};
use time::{Duration, OffsetDateTime};

/// Orders per month.
const PER_MONTH: usize = 5;

/// Months of history, this month included.
const MONTHS: i64 = 12;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Makes the history once (a second call does nothing); returns the
/// orders made.
pub async fn run(db: &Db) -> anyhow::Result<usize> {
    let mut tx = db.begin_write().await?;
    let claimed = sqlx::query("INSERT INTO meta (key, value) VALUES ('demo.history', $1) ON CONFLICT (key) DO NOTHING")
        .bind(crate::time::now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    if claimed == 0 {
        return Ok(0);
    }
    let finance = actor(db, "finance@zhunong.demo").await?;
    let approver = actor(db, "approver@agency.zhunong.demo").await?;
    let operators = [actor(db, "operator@hub.zhunong.demo").await?, actor(db, "admin@zhunong.demo").await?];
    let buyers = [
        (actor(db, "buyer@agency.zhunong.demo").await?, "653101000000", "喀什市人民东路1号 喀什地区第一中学食堂"),
        (actor(db, "buyer@partner.zhunong.demo").await?, "500103000000", "重庆市渝中区解放碑民族路 对口帮扶消费专馆"),
    ];
    let holds = HoldPolicy { payment_hours: 72, approval_hours: 24, share_percent: 100 };
    // (product, cooperative's region, free units)
    let products: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT p.id, o.region_code, CAST(SUM(l.quantity - l.allocated) AS BIGINT) FROM products p \
         JOIN organisations o ON o.id = p.cooperative_id JOIN lots l ON l.product_id = p.id \
         WHERE p.active = 1 AND l.expires_on >= $1 GROUP BY p.id, o.region_code HAVING SUM(l.quantity - l.allocated) >= 200 ORDER BY p.id",
    )
    .bind(crate::time::format_date(crate::time::china_date_of(OffsetDateTime::now_utc()) + Duration::days(30)))
    .fetch_all(db.pool())
    .await?;
    let (kashgar, elsewhere): (Vec<_>, Vec<_>) = products.iter().partition(|p| p.1.starts_with("6531"));
    let mut rng = Rng(0x5eed_2026);
    let now = OffsetDateTime::now_utc();
    let today = crate::time::china_date_of(now);
    let mut made = 0;
    for back in (0..MONTHS).rev() {
        // The first of the month `back` months ago, China time.
        let mut first = today.replace_day(1)?;
        for _ in 0..back {
            first = (first - Duration::days(1)).replace_day(1)?;
        }
        let days = if back == 0 { today.day() as i64 - 1 } else { 27 };
        for _ in 0..PER_MONTH {
            // The 重庆 partner buys from its paired 昌都 (and elsewhere);
            // the agency mostly from 喀什地区.
            let (buyer, region, address) = &buyers[rng.below(3).min(1) as usize];
            let pool = if rng.below(10) < 7 && !kashgar.is_empty() { &kashgar } else { &elsewhere };
            let Some(&&(product, _, free)) = pool.get(rng.below(pool.len() as u64) as usize) else { continue };
            let quantity = (5 + rng.below(26) as i64).min(free / 20).max(1);
            let order = NewOrder {
                lines: vec![NewLine { product_id: product, quantity }],
                delivery: Delivery {
                    region_code: (*region).into(),
                    address: (*address).into(),
                    contact_name: "王老师".into(),
                    phone: "0998-2821234".into(),
                },
                payment_method: "invoice".into(),
                note: None,
            };
            let mut conn = db.pool().acquire().await?;
            let Ok(prepared) = orders::prepare(&mut conn, buyer, &order).await else { continue };
            drop(conn);
            let mut tx = db.begin_write().await?;
            let placed = orders::place_in(&mut tx, buyer, &order, &prepared, &holds)
                .await
                .map_err(|e| anyhow::anyhow!("demo history order: {e}"))?;
            tx.commit().await?;
            if prepared.needs_approval() {
                orders::transition(db, &approver, placed.id, Transition::Approve, "").await?;
            }
            orders::transition(db, &finance, placed.id, Transition::ConfirmInvoice, &format!("DEMO-{}", placed.number)).await?;
            for _ in 0..12 {
                if advance(db, &operators, placed.id, OffsetDateTime::now_utc()).await? == 0 {
                    break;
                }
            }
            let coop: i64 = sqlx::query_scalar("SELECT cooperative_id FROM order_lines WHERE order_id = $1 LIMIT 1")
                .bind(placed.id)
                .fetch_one(db.pool())
                .await?;
            let stars = 4 + rng.below(2) as i64;
            let rating = orders::Rating { cooperative_id: coop, stars, comment: None };
            orders::accept(db, buyer, placed.id, &[rating]).await.map_err(|e| anyhow::anyhow!("demo history acceptance: {e}"))?;
            // Paid on a working morning of its month, China time.
            let day = first + Duration::days(rng.below(days as u64 + 1) as i64);
            let paid = day.with_hms(10, 0, 0)?.assume_offset(time::UtcOffset::from_hms(8, 0, 0)?);
            backdate(db, placed.id, paid).await?;
            made += 1;
        }
    }
    rebuild_totals(db).await?;
    Ok(made)
}

/// Moves order `id` back in time: placed two days before it was paid at
/// `paid`, accepted and rated four days after; its ledger entries dated at
/// the payment.
async fn backdate(db: &Db, id: i64, paid: OffsetDateTime) -> anyhow::Result<()> {
    let ts = crate::time::timestamp;
    let (placed, accepted) = (ts(paid - Duration::days(2)), ts(paid + Duration::days(4)));
    let paid_at = ts(paid);
    let day = crate::time::format_date(crate::time::china_date_of(paid));
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE orders SET created_at = $1, paid_at = $2, released_at = $2, updated_at = $3 WHERE id = $4")
        .bind(&placed)
        .bind(&paid_at)
        .bind(&accepted)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE order_events SET at = CASE WHEN from_status IS NULL OR to_status IN ('pending_approval', 'awaiting_payment') THEN $1 \
         WHEN to_status = 'accepted' THEN $3 ELSE $2 END WHERE order_id = $4",
    )
    .bind(&placed)
    .bind(&paid_at)
    .bind(&accepted)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE payments SET confirmed_at = $1 WHERE order_id = $2").bind(&paid_at).bind(id).execute(&mut *tx).await?;
    sqlx::query("UPDATE ratings SET created_at = $1 WHERE order_id = $2").bind(&accepted).bind(id).execute(&mut *tx).await?;
    sqlx::query("UPDATE attribution_entries SET created_at = $1, day = $2, month = $3 WHERE order_id = $4")
        .bind(&paid_at)
        .bind(&day)
        .bind(&day[..7])
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Rebuilds the monthly totals from the ledger (the grouping of migration
/// 0010).
async fn rebuild_totals(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    for sql in [
        "DELETE FROM ledger_household_months",
        "DELETE FROM ledger_region_months",
        "DELETE FROM ledger_village_months",
        "DELETE FROM ledger_region_parties",
        "DELETE FROM ledger_household_years",
        "DELETE FROM ledger_village_years",
        "DELETE FROM ledger_household_year_villages",
        "DELETE FROM ledger_region_party_years",
        "DELETE FROM ledger_region_party_counts",
        "DELETE FROM ledger_village_party_years",
        "INSERT INTO ledger_household_months (month, household_id, village_code, household_status, cooperative_id, gross_fen, income_fen) \
         SELECT month, household_id, village_code, household_status, cooperative_id, SUM(gross_fen), SUM(income_fen) \
         FROM attribution_entries GROUP BY month, household_id, village_code, household_status, cooperative_id",
        "INSERT INTO ledger_region_months (month, village_code, household_status, cooperative_id, buyer_org_id, buyer_kind, gross_fen, income_fen) \
         SELECT month, village_code, household_status, cooperative_id, buyer_org_id, MIN(buyer_kind), SUM(gross_fen), SUM(income_fen) \
         FROM attribution_entries GROUP BY month, village_code, household_status, cooperative_id, buyer_org_id",
    ]
    .into_iter()
    .chain(crate::orders::SMALL_TOTALS_FROM_LEDGER)
    {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

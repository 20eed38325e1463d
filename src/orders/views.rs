//! Read models of the order pages: an order's history, whom it reached,
//! and the lines a cooperative has to fulfil.

use crate::db::Db;
use crate::money::Fen;
use crate::regions::RegionCode;

/// A status change, as the order page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    /// From (none for the first).
    pub from_status: Option<String>,
    /// To.
    pub to_status: String,
    /// Who (none for the system: expiry, Stripe).
    pub who: Option<String>,
    /// When (RFC 3339).
    pub at: String,
    /// Reference, refund, reason…
    pub note: String,
}

/// The status changes of order `id`, oldest first.
pub async fn events(db: &Db, id: i64) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(
        "SELECT e.from_status, e.to_status, u.display_name AS who, e.at, e.note FROM order_events e LEFT JOIN users u ON u.id = e.user_id \
         WHERE e.order_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
}

/// Whom a paid order reached, read from the attribution ledger net of
/// refunds: one row per cooperative and village, and the totals. Counts
/// and amounts only — no household is named.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Per cooperative and village, by cooperative then village code.
    pub rows: Vec<ReachRow>,
    /// Households credited with more than nothing, in all.
    pub households: i64,
    /// Of them registered poor (建档立卡) when the money moved.
    pub registered_poor: i64,
    /// Sales credited to households, net of refunds.
    pub gross: Fen,
    /// The households' income from them (the cooperatives' payout ratio).
    pub income: Fen,
}

/// One cooperative's households of one village in an order.
#[derive(Debug, Clone)]
pub struct ReachRow {
    /// The cooperative (organisation id).
    pub cooperative_id: i64,
    /// Its name.
    pub cooperative: String,
    /// Its English name, where it gave one.
    pub cooperative_en: Option<String>,
    /// The village, 12 digits (pages link with it and show the names).
    pub village_code: String,
    /// The village's name (`巴仁村委会`; pages write it in their language).
    pub village: String,
    /// Its county's name (`伽师县`).
    pub county: String,
    /// Households credited with more than nothing.
    pub households: i64,
    /// Of them registered poor when the money moved.
    pub registered_poor: i64,
    /// Sales credited to them, net of refunds.
    pub gross: Fen,
    /// Their income from it.
    pub income: Fen,
}

/// Whom order `id` reached, per cooperative and village (nothing before
/// payment). The household's village and status are the ledger's facts
/// of the sale, so the table does not move when a household is
/// reclassified later.
pub async fn reach(db: &Db, id: i64) -> sqlx::Result<Reach> {
    #[derive(sqlx::FromRow)]
    struct Share {
        cooperative_id: i64,
        cooperative: String,
        cooperative_en: Option<String>,
        village_code: String,
        household_id: i64,
        household_status: String,
        gross: i64,
        income: i64,
    }
    let shares: Vec<Share> = sqlx::query_as(
        "SELECT e.cooperative_id, g.name AS cooperative, g.name_en AS cooperative_en, e.village_code, e.household_id, e.household_status, \
                CAST(SUM(e.gross_fen) AS BIGINT) AS gross, CAST(SUM(e.income_fen) AS BIGINT) AS income \
         FROM attribution_entries e JOIN organisations g ON g.id = e.cooperative_id WHERE e.order_id = $1 \
         GROUP BY e.cooperative_id, g.name, g.name_en, e.village_code, e.household_id, e.household_status \
         ORDER BY e.cooperative_id, e.village_code, e.household_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut codes: Vec<RegionCode> = shares.iter().filter_map(|s| RegionCode::parse(&s.village_code).ok()).collect();
    codes.sort();
    codes.dedup();
    let regions = crate::regions::get_many(db, &codes).await?;
    let names = |code: &str| {
        RegionCode::parse(code)
            .ok()
            .and_then(|c| regions.get(&c))
            .map(|r| {
                let county = r.at(crate::regions::RegionLevel::County).map(|l| l.name.clone()).unwrap_or_default();
                (county, r.name.clone())
            })
            .unwrap_or_default()
    };
    let mut reach = Reach::default();
    let mut counted = std::collections::BTreeSet::new();
    for s in shares {
        let same = reach.rows.last().is_some_and(|r| r.cooperative_id == s.cooperative_id && r.village_code == s.village_code);
        if !same {
            let (county, village) = names(&s.village_code);
            reach.rows.push(ReachRow {
                cooperative_id: s.cooperative_id,
                cooperative: s.cooperative.clone(),
                cooperative_en: s.cooperative_en.clone(),
                village,
                county,
                village_code: s.village_code.clone(),
                households: 0,
                registered_poor: 0,
                gross: Fen::ZERO,
                income: Fen::ZERO,
            });
        }
        let row = reach.rows.last_mut().expect("pushed above");
        row.gross += Fen::new(s.gross);
        row.income += Fen::new(s.income);
        reach.gross += Fen::new(s.gross);
        reach.income += Fen::new(s.income);
        // A household fully refunded is no longer reached.
        if s.gross > 0 {
            let poor = s.household_status == "registered_poor";
            row.households += 1;
            row.registered_poor += i64::from(poor);
            // A household that supplied two cooperatives counts once in all.
            if counted.insert(s.household_id) {
                reach.households += 1;
                reach.registered_poor += i64::from(poor);
            }
        }
    }
    reach.rows.retain(|r| r.households > 0 || r.gross != Fen::ZERO);
    Ok(reach)
}

/// A line a cooperative has to send, with the lots it comes from.
#[derive(Debug, Clone)]
pub struct FulfilLine {
    /// The order.
    pub order_id: i64,
    /// The line.
    pub line_id: i64,
    /// Order number.
    pub number: String,
    /// paid or in_transit (awaiting_payment: released on credit terms).
    pub status: String,
    /// The buyer.
    pub buyer: String,
    /// Delivery region, as a chain label.
    pub destination: String,
    /// Product.
    pub product: String,
    /// Units to send (ordered less refunded).
    pub quantity: i64,
    /// Unit.
    pub unit: String,
    /// (lot id, units) first expiry first.
    pub lots: Vec<(i64, i64)>,
}

/// How many of organisation `org_id`'s orders are delivered and wait for
/// the buyer's acceptance.
pub async fn awaiting_acceptance(db: &Db, org_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE buyer_org_id = $1 AND status = 'delivered'")
        .bind(org_id)
        .fetch_one(db.pool())
        .await
}

/// The cooperatives that sell in order `id`, by id, with their names (the
/// buyer rates each on acceptance). The caller has read the order, so it
/// may see it.
pub async fn cooperatives(db: &Db, id: i64) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT DISTINCT l.cooperative_id, g.name FROM order_lines l JOIN organisations g ON g.id = l.cooperative_id \
         WHERE l.order_id = $1 ORDER BY l.cooperative_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
}

/// A rating given when the order was accepted, as the order page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GivenRating {
    /// The cooperative rated.
    pub cooperative: String,
    /// 1 to 5.
    pub stars: i64,
    /// The buyer's words (may be empty).
    pub comment: String,
}

/// The ratings given to the cooperatives of order `id`, in the order of
/// its cooperatives (none before acceptance).
pub async fn ratings(db: &Db, id: i64) -> sqlx::Result<Vec<GivenRating>> {
    sqlx::query_as(
        "SELECT g.name AS cooperative, r.stars, r.comment FROM ratings r JOIN organisations g ON g.id = r.cooperative_id \
         WHERE r.order_id = $1 ORDER BY r.cooperative_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
}

/// The order with `number`, whoever bought it: for the platform's own
/// finance staff, who refund any organisation's orders (the caller checks
/// that role). Numbers are matched as given (they are upper case).
pub async fn find_by_number(db: &Db, number: &str) -> sqlx::Result<Option<super::Order>> {
    let found: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, buyer_org_id FROM orders WHERE number = $1").bind(number).fetch_optional(db.pool()).await?;
    match found {
        Some((id, buyer)) => super::get(db, buyer, id).await,
        None => Ok(None),
    }
}

/// The lines of cooperative `coop`'s products in orders released for
/// fulfilment (paid, or unpaid on credit terms) but not yet delivered,
/// oldest order first.
pub async fn to_fulfil(db: &Db, coop: i64, limit: i64) -> sqlx::Result<Vec<FulfilLine>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        order_id: i64,
        line_id: i64,
        number: String,
        status: String,
        buyer: String,
        region: String,
        product: String,
        quantity: i64,
        unit: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT o.id AS order_id, l.id AS line_id, o.number, o.status, g.name AS buyer, o.delivery_region_code AS region, p.name AS product, \
                l.quantity - CAST(COALESCE((SELECT SUM(r.quantity) FROM refund_lines r WHERE r.line_id = l.id), 0) AS BIGINT) AS quantity, p.unit \
         FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN organisations g ON g.id = o.buyer_org_id JOIN products p ON p.id = l.product_id \
         WHERE l.cooperative_id = $1 AND (o.status IN ('paid', 'in_transit') OR (o.status = 'awaiting_payment' AND o.released_at IS NOT NULL)) \
         ORDER BY o.id, l.id LIMIT $2",
    )
    .bind(coop)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let codes: Vec<RegionCode> = rows.iter().filter_map(|r| RegionCode::parse(&r.region).ok()).collect();
    let regions = crate::regions::get_many(db, &codes).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if r.quantity == 0 {
            continue;
        }
        let lots: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT a.lot_id, a.quantity FROM allocations a JOIN lots t ON t.id = a.lot_id WHERE a.line_id = $1 ORDER BY t.expires_on, a.id",
        )
        .bind(r.line_id)
        .fetch_all(db.pool())
        .await?;
        let destination =
            RegionCode::parse(&r.region).ok().and_then(|c| regions.get(&c)).map(|g| g.chain_label()).unwrap_or_else(|| r.region.clone());
        out.push(FulfilLine {
            order_id: r.order_id,
            line_id: r.line_id,
            number: r.number,
            status: r.status,
            buyer: r.buyer,
            destination,
            product: r.product,
            quantity: r.quantity,
            unit: r.unit,
            lots,
        });
    }
    Ok(out)
}

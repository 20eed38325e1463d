//! Orders: placing one allocates stock lot by lot, first expiry first out,
//! in the same transaction that records the order (invariant 1), at the
//! bulk price tier its quantity reaches; cancelling releases the stock.
//! Every status change is an `order_events` row with who and when.
//!
//! Only the buyer's organisation sees its orders (invariant 6): reads take
//! the caller's organisation and answer "not found" for anyone else's.

use crate::auth::{Actor, Role};
use crate::db::{Db, Tx};
use crate::money::Fen;
use crate::validation::{FieldErrors, Problem};
use serde::{Deserialize, Serialize};

/// A line as ordered.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NewLine {
    /// The product.
    #[serde(deserialize_with = "crate::ids::deserialize")]
    pub product_id: i64,
    /// Whole units of the product's unit.
    pub quantity: i64,
}

/// Where the goods go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    /// A region code (a village or township for rural addresses).
    pub region_code: String,
    /// Street address.
    pub address: String,
    /// Who receives.
    pub contact_name: String,
    /// Their phone.
    pub phone: String,
}

/// An order as placed.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NewOrder {
    /// Lines, from any cooperatives.
    pub lines: Vec<NewLine>,
    /// Delivery.
    pub delivery: Delivery,
    /// invoice or stripe
    pub payment_method: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Why an order was not placed.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// The input breaks a rule.
    #[error("invalid order: {0}")]
    Invalid(FieldErrors),
    /// Not enough stock for some lines (named, with what is available).
    #[error("not enough stock: {0}")]
    OutOfStock(FieldErrors),
    /// Some lines would take the buyer's unpaid holds of a product above
    /// its cap ([`HoldPolicy::share_percent`]); named, with the limit.
    #[error("unpaid hold limit: {0}")]
    HoldLimit(FieldErrors),
    /// The caller may not order.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// One allocation of a line.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Allocation {
    /// The lot.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub lot_id: i64,
    /// Units it holds for the line.
    pub quantity: i64,
}

/// A line of an order.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// The product.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub product_id: i64,
    /// Product name, for people.
    pub product_name: String,
    /// The selling cooperative.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub cooperative_id: i64,
    /// Units.
    pub quantity: i64,
    /// Price per unit at the tier reached.
    pub unit_price_fen: Fen,
    /// quantity × unit price.
    pub amount_fen: Fen,
    /// Units refunded so far.
    pub refunded_quantity: i64,
    /// waiting, in_transit or delivered: each line moves on its own
    /// ([`lifecycle::transition_line`]).
    pub status: LineStatus,
    /// Lots holding the quantity, first expiry first.
    pub allocations: Vec<Allocation>,
}

/// The buyer organisation.
#[derive(Debug, Clone, Serialize)]
pub struct Buyer {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Name.
    pub name: String,
}

/// An order as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// For people: ZN20261122-7K3QX9.
    pub number: String,
    /// See DESIGN.md and [`lifecycle`].
    pub status: OrderStatus,
    /// Who buys.
    pub buyer: Buyer,
    /// Lines.
    pub lines: Vec<Line>,
    /// Sum of the lines.
    pub total_fen: Fen,
    /// Refunded so far.
    pub refunded_fen: Fen,
    /// invoice or stripe
    pub payment_method: PaymentMethod,
    /// Delivery.
    pub delivery: Delivery,
    /// Free text.
    pub note: String,
    /// When placed.
    pub created_at: String,
    /// While unpaid: when the order's hold on its stock lapses and it is
    /// cancelled (RFC 3339) — sooner while it waits for approval. `None`
    /// once paid, released on credit terms, cancelled or later.
    pub hold_until: Option<String>,
    /// The credit terms (账期) the order was placed under: the buyer pays
    /// within this many days of acceptance. `None`: pay before dispatch.
    pub credit_terms_days: Option<i64>,
    /// When the order was released for fulfilment (its lines routed): when
    /// paid, or — on credit terms — when placed or approved.
    pub released_at: Option<String>,
    /// When its money was confirmed (`None`: unpaid). Not implied by the
    /// status: an order on credit terms travels and is accepted unpaid.
    pub paid_at: Option<String>,
    /// The China date (`YYYY-MM-DD`) by which an order on credit terms must
    /// be paid: its acceptance plus the terms; set at acceptance.
    pub due_on: Option<String>,
    /// Unpaid past its due date (`due_on` before today in China).
    pub overdue: bool,
}

/// The rules an order body must keep, checked without the database: line
/// count first (a list past the limit is one error and nothing else is
/// looked at), quantities, duplicates, delivery fields. Public for the
/// property tests.
pub fn check(o: &NewOrder) -> FieldErrors {
    let mut e = FieldErrors::default();
    if o.lines.is_empty() {
        e.add("lines", Problem::NoLines);
    }
    if o.lines.len() > crate::bounds::MAX_ORDER_LINES {
        // Nothing else is looked at: a 60,000-line body costs no more than
        // this sentence.
        e.add("lines", Problem::TooManyLines { max: crate::bounds::MAX_ORDER_LINES as i64 });
        return e;
    }
    let mut seen = std::collections::HashSet::with_capacity(o.lines.len());
    for (i, l) in o.lines.iter().enumerate() {
        if !crate::bounds::units_in_range(l.quantity, crate::bounds::MAX_LINE_UNITS) {
            e.add(format!("lines[{i}].quantity"), Problem::LineQuantity { max: crate::bounds::MAX_LINE_UNITS });
        }
        if !seen.insert(l.product_id) {
            e.add(format!("lines[{i}].product_id"), Problem::DuplicateProduct);
        }
    }
    match crate::regions::RegionCode::parse(&o.delivery.region_code) {
        Err(_) => e.add("delivery.region_code", Problem::DeliveryRegion),
        // Goods are delivered to a place, and the route's last leg needs
        // one: a province or prefecture is too coarse (as the checkout
        // page says, at least the county).
        Ok(code) if matches!(code.level(), crate::regions::RegionLevel::Province | crate::regions::RegionLevel::Prefecture) => {
            e.add("delivery.region_code", Problem::DeliveryTooCoarse)
        }
        Ok(_) => {}
    }
    for (field, v, max) in [("delivery.address", &o.delivery.address, 200i64), ("delivery.contact_name", &o.delivery.contact_name, 40)] {
        if v.trim().is_empty() || v.chars().count() as i64 > max {
            e.add(field, Problem::Length { min: 1, max });
        }
    }
    let phone: String = o.delivery.phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !(7..=20).contains(&phone.len()) || !phone.trim_start_matches('+').chars().all(|c| c.is_ascii_digit()) {
        e.add("delivery.phone", Problem::Phone);
    }
    if !matches!(o.payment_method.as_str(), "invoice" | "stripe") {
        e.add("payment_method", Problem::Choice(&["invoice", "stripe"]));
    }
    if o.note.as_deref().is_some_and(|n| n.chars().count() > 500) {
        e.add("note", Problem::TooLong { max: 500 });
    }
    e
}

/// An order checked and priced, ready to be placed.
#[derive(Debug, Clone)]
pub struct Prepared {
    lines: Vec<Priced>,
    total: Fen,
    /// pending_approval or awaiting_payment
    next: OrderStatus,
    region_code: String,
    /// The agency's credit terms, for an order paid by invoice: such an
    /// order is released for fulfilment without waiting for the money.
    credit_terms_days: Option<i64>,
}

impl Prepared {
    /// Whether the order will wait for an agency approver.
    pub fn needs_approval(&self) -> bool {
        self.next == OrderStatus::PendingApproval
    }
}

#[derive(Debug, Clone)]
struct Priced {
    product_id: i64,
    product_name: String,
    cooperative_id: i64,
    quantity: i64,
    unit: Fen,
}

/// Whether `actor` may place orders at all: agency and partner-city buyers.
/// Checked before anything else — before an idempotent answer is replayed.
pub fn may_place(actor: &Actor) -> Result<(), PlaceError> {
    if actor.has(Role::AgencyBuyer) || actor.has(Role::PartnerBuyer) {
        Ok(())
    } else {
        Err(PlaceError::Forbidden("only agency and partner-city buyers place orders"))
    }
}

/// How long unpaid orders hold their stock, and how much of it one buyer
/// may hold (finding 11 of issue 16: one unpaid order could hold a
/// product's whole stock for three days, locking every other buyer out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldPolicy {
    /// Hours an order awaiting payment holds its stock
    /// (`ZHUNONG_ORDER_PAYMENT_HOURS`, 72).
    pub payment_hours: i64,
    /// Hours an order waiting for an approver holds its stock
    /// (`ZHUNONG_APPROVAL_HOLD_HOURS`, 24): approval is an internal step of
    /// the buyer's agency and should not keep other buyers waiting for
    /// three days. Approved in time, the order keeps its payment deadline.
    pub approval_hours: i64,
    /// Percent of a product's units on offer (free plus held by anyone's
    /// unpaid orders) that one buyer organisation's unpaid orders may hold
    /// together (`ZHUNONG_HOLD_SHARE_PERCENT`, 50): a buyer can always
    /// reserve half of what is on offer, and never all of it without
    /// paying. Paid orders do not count — money in hand is not hoarding.
    /// 100 turns the cap off. The count reads every unpaid order's
    /// allocations of the product, so its cost grows with the unpaid orders
    /// on the platform (docs/PERFORMANCE.md); running totals kept at each
    /// status change would make it constant.
    pub share_percent: i64,
}

impl Default for HoldPolicy {
    fn default() -> Self {
        HoldPolicy { payment_hours: 72, approval_hours: 24, share_percent: 50 }
    }
}

impl HoldPolicy {
    /// The policy configured for this process.
    pub fn from_config(c: &crate::config::Config) -> Self {
        HoldPolicy { payment_hours: c.order_payment_hours, approval_hours: c.approval_hold_hours, share_percent: c.hold_share_percent }
    }

    /// The most units of `on_offer` one buyer may hold unpaid: the share,
    /// rounded up, so a buyer can always hold at least one unit.
    pub fn cap(&self, on_offer: i64) -> i64 {
        let on_offer = i128::from(on_offer.max(0));
        i64::try_from((on_offer * i128::from(self.share_percent) + 99) / 100).unwrap_or(i64::MAX)
    }
}

/// Checks an order and prices each line at the highest tier its quantity
/// reaches — reads only, so it runs before the write transaction (on
/// SQLite, outside the one writer's turn). A price changed in the
/// milliseconds between this and [`place_in`] is the price the buyer saw.
pub async fn prepare(conn: &mut sqlx::AnyConnection, actor: &Actor, o: &NewOrder) -> Result<Prepared, PlaceError> {
    if !(actor.has(Role::AgencyBuyer) || actor.has(Role::PartnerBuyer)) {
        return Err(PlaceError::Forbidden("only agency and partner-city buyers place orders"));
    }
    let mut errors = check(o);
    // An order that breaks a rule costs no query: the lines are looked up
    // only once the body itself is sound.
    if !errors.is_empty() {
        return Err(PlaceError::Invalid(errors));
    }
    let region_code = crate::regions::RegionCode::parse(&o.delivery.region_code).map(|c| c.to_string()).unwrap_or_default();
    let known: Option<String> =
        sqlx::query_scalar("SELECT code FROM regions WHERE code = $1").bind(&region_code).fetch_optional(&mut *conn).await?;
    if known.is_none() {
        errors.add("delivery.region_code", Problem::NoSuchRegion);
    }
    let mut lines = Vec::new();
    for (i, l) in o.lines.iter().enumerate() {
        // The product and the price of the highest tier the quantity reaches.
        let row: Option<(i64, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT p.cooperative_id, p.name, p.active, (SELECT t.unit_price_fen FROM price_tiers t WHERE t.product_id = p.id \
             AND t.min_quantity <= $2 ORDER BY t.min_quantity DESC LIMIT 1) FROM products p WHERE p.id = $1",
        )
        .bind(l.product_id)
        .bind(l.quantity.max(1))
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some((coop, name, 1, Some(unit))) => lines.push(Priced {
                product_id: l.product_id,
                product_name: name,
                cooperative_id: coop,
                quantity: l.quantity,
                unit: Fen::new(unit),
            }),
            Some((_, _, 1, None)) => errors.add(format!("lines[{i}].product_id"), Problem::NoPrice),
            _ => errors.add(format!("lines[{i}].product_id"), Problem::NotOnSale),
        }
    }
    if !errors.is_empty() {
        return Err(PlaceError::Invalid(errors));
    }
    let mut total = Fen::ZERO;
    for p in &lines {
        match p.unit.times(p.quantity).and_then(|a| total.checked_add(a)) {
            Ok(t) if t.get() <= crate::bounds::MAX_ORDER_TOTAL_FEN => total = t,
            _ => {
                let e = FieldErrors::one("lines", Problem::OrderTotal { max_yuan: crate::bounds::MAX_ORDER_TOTAL_FEN / 100 });
                return Err(PlaceError::Invalid(e));
            }
        }
    }
    let agency: Option<(i64, Option<i64>)> = sqlx::query_as("SELECT approval_limit_fen, credit_terms_days FROM agencies WHERE org_id = $1")
        .bind(actor.org.id)
        .fetch_optional(&mut *conn)
        .await?;
    let next =
        if agency.is_some_and(|(limit, _)| total.get() > limit) { OrderStatus::PendingApproval } else { OrderStatus::AwaitingPayment };
    // Terms are for the bank transfer that follows the goods; a card
    // payment is paying now, so a Stripe order never uses them.
    let credit_terms_days = agency.and_then(|(_, terms)| terms).filter(|_| o.payment_method == PaymentMethod::Invoice.as_str());
    Ok(Prepared { lines, total, next, region_code, credit_terms_days })
}

/// Places a prepared order inside the caller's write transaction:
/// allocates every line first-expiry-first-out and records order, lines,
/// allocations, events and search-outbox rows; returns the order as the
/// API shows it. On any error nothing of it must be committed: the caller
/// rolls the transaction back.
pub async fn place_in(tx: &mut Tx, actor: &Actor, o: &NewOrder, prepared: &Prepared, holds: &HoldPolicy) -> Result<Order, PlaceError> {
    let today = crate::time::format_date(crate::time::today());
    let priced = &prepared.lines;
    // Allocation: lot by lot, first expiry first. Each take is one
    // conditional UPDATE, so under PostgreSQL's row locks (or SQLite's one
    // writer) two orders can never take the same unit.
    //
    // Lots are locked in one global order — product, then expiry, then lot
    // — by every transaction that changes `allocated` (here, `release`,
    // refunds), so two orders can never wait on each other's rows
    // (PostgreSQL would otherwise abort one with a deadlock).
    let mut shortages = FieldErrors::default();
    let mut over_cap = FieldErrors::default();
    let mut taken: Vec<Vec<(i64, i64)>> = vec![Vec::new(); priced.len()];
    let mut by_product: Vec<usize> = (0..priced.len()).collect();
    by_product.sort_by_key(|&i| priced[i].product_id);
    for i in by_product {
        let p = &priced[i];
        // The buyer's unpaid holds of this product, counted under its lock
        // row (taken in product order, like the lots after it). A share of
        // 100 % is no cap: neither the lock nor the count is taken.
        let room = if holds.share_percent >= 100 { None } else { Some(hold_room_locked(tx, actor.org.id, p.product_id, holds).await?) };
        let lots: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, quantity - allocated FROM lots WHERE product_id = $1 AND expires_on >= $2 AND quantity > allocated ORDER BY expires_on, id",
        )
        .bind(p.product_id)
        .bind(&today)
        .fetch_all(&mut **tx)
        .await?;
        let mut need = p.quantity;
        let mut mine = Vec::new();
        for (lot, free) in lots {
            if need == 0 {
                break;
            }
            let take = need.min(free);
            let done = sqlx::query("UPDATE lots SET allocated = allocated + $1 WHERE id = $2 AND quantity - allocated >= $1")
                .bind(take)
                .bind(lot)
                .execute(&mut **tx)
                .await?
                .rows_affected();
            if done == 1 {
                mine.push((lot, take));
                need -= take;
            }
        }
        if need > 0 {
            let available = p.quantity - need;
            shortages.add(
                format!("lines[{i}].quantity"),
                Problem::OverStock { product: p.product_name.clone(), available, ordered: p.quantity },
            );
        } else if let Some(room) = &room
            && room.held.saturating_add(p.quantity) > room.cap
        {
            over_cap.add(format!("lines[{i}].quantity"), room.explain(&p.product_name, holds));
        }
        taken[i] = mine;
    }
    let by_line =
        |e: &crate::validation::FieldError| e.field.trim_start_matches("lines[").split(']').next().and_then(|n| n.parse::<usize>().ok());
    // Too little stock is the more basic answer; the hold cap comes second.
    if !shortages.is_empty() {
        shortages.0.sort_by_key(by_line);
        return Err(PlaceError::OutOfStock(shortages));
    }
    if !over_cap.is_empty() {
        over_cap.0.sort_by_key(by_line);
        return Err(PlaceError::HoldLimit(over_cap));
    }

    let now = crate::time::now();
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).expect("the operating system's random source works");
    // The number carries the day of the order as the buyer's calendar has
    // it (China), like every time its pages show.
    let number = format!(
        "ZN{}-{:08X}",
        crate::time::china_today().format(time::macros::format_description!("[year][month][day]")).unwrap_or_default(),
        u32::from_le_bytes(random)
    );
    let delivery = Delivery {
        region_code: prepared.region_code.clone(),
        address: o.delivery.address.trim().to_owned(),
        contact_name: o.delivery.contact_name.trim().to_owned(),
        phone: o.delivery.phone.trim().to_owned(),
    };
    let note = o.note.as_deref().unwrap_or("").trim().to_owned();
    let pay_by = crate::time::in_seconds(holds.payment_hours * 3600);
    let approve_by = (prepared.next == OrderStatus::PendingApproval).then(|| crate::time::in_seconds(holds.approval_hours * 3600));
    let order_id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (number, buyer_org_id, buyer_user_id, status, payment_method, delivery_region_code, delivery_address, contact_name, \
                             phone, note, total_fen, created_at, updated_at, pay_by, approve_by, credit_terms_days) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15) RETURNING id",
    )
    .bind(&number)
    .bind(actor.org.id)
    .bind(actor.id)
    .bind(prepared.next.as_str())
    .bind(&o.payment_method)
    .bind(&delivery.region_code)
    .bind(&delivery.address)
    .bind(&delivery.contact_name)
    .bind(&delivery.phone)
    .bind(&note)
    .bind(prepared.total.get())
    .bind(&now)
    .bind(&pay_by)
    .bind(&approve_by)
    .bind(prepared.credit_terms_days)
    .fetch_one(&mut **tx)
    .await?;
    let mut lines = Vec::with_capacity(priced.len());
    for (p, lots) in priced.iter().zip(&taken) {
        let amount = Fen::new(p.unit.get() * p.quantity);
        let line_id: i64 = sqlx::query_scalar(
            "INSERT INTO order_lines (order_id, product_id, cooperative_id, quantity, unit_price_fen, amount_fen) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(order_id)
        .bind(p.product_id)
        .bind(p.cooperative_id)
        .bind(p.quantity)
        .bind(p.unit.get())
        .bind(amount.get())
        .fetch_one(&mut **tx)
        .await?;
        let sql = format!("INSERT INTO allocations (line_id, lot_id, quantity) VALUES {}", crate::db::values_placeholders(lots.len(), 3));
        let mut insert = sqlx::query(&sql);
        for (lot, q) in lots {
            insert = insert.bind(line_id).bind(lot).bind(q);
        }
        insert.execute(&mut **tx).await?;
        lines.push(Line {
            id: line_id,
            product_id: p.product_id,
            product_name: p.product_name.clone(),
            cooperative_id: p.cooperative_id,
            quantity: p.quantity,
            unit_price_fen: p.unit,
            amount_fen: amount,
            refunded_quantity: 0,
            status: LineStatus::Waiting,
            allocations: lots.iter().map(|(lot_id, quantity)| Allocation { lot_id: *lot_id, quantity: *quantity }).collect(),
        });
    }
    let products: Vec<i64> = priced.iter().map(|p| p.product_id).collect();
    crate::outbox::enqueue_many(tx, &products).await?;
    lifecycle::born(tx, order_id, actor.id, prepared.next, &now).await?;
    // On credit terms an order that needs no approval goes out at once
    // (one that does, when approved: `transition`).
    let released_at = if prepared.credit_terms_days.is_some() && prepared.next == OrderStatus::AwaitingPayment {
        terms::release_on_credit(tx, order_id).await?
    } else {
        None
    };
    Ok(Order {
        id: order_id,
        number,
        status: prepared.next,
        buyer: Buyer { id: actor.org.id, name: actor.org.name.clone() },
        lines,
        total_fen: prepared.total,
        refunded_fen: Fen::ZERO,
        payment_method: PaymentMethod::parse(&o.payment_method).unwrap_or(PaymentMethod::Invoice),
        delivery,
        note,
        created_at: now,
        hold_until: if released_at.is_some() { None } else { Some(approve_by.unwrap_or(pay_by)) },
        credit_terms_days: prepared.credit_terms_days,
        released_at,
        paid_at: None,
        due_on: None,
        overdue: false,
    })
}

/// How much of a product one buyer organisation holds unpaid, and may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRoom {
    /// Units on offer: free in unexpired lots plus held by anyone's unpaid
    /// orders.
    pub on_offer: i64,
    /// Units the buyer's unpaid orders hold now.
    pub held: i64,
    /// The most they may hold ([`HoldPolicy::cap`] of `on_offer`).
    pub cap: i64,
    /// The product's unit, for messages.
    pub unit: String,
}

impl HoldRoom {
    /// Units the buyer may still add.
    pub fn left(&self) -> i64 {
        (self.cap - self.held).max(0)
    }

    /// The refusal, as a problem each edge words for its reader.
    pub fn explain(&self, product: &str, holds: &HoldPolicy) -> Problem {
        Problem::HoldCap {
            product: product.to_owned(),
            unit: self.unit.clone(),
            percent: holds.share_percent,
            cap: self.cap,
            on_offer: self.on_offer,
            held: self.held,
            left: self.left(),
        }
    }
}

/// [`HoldRoom`] of `org` for `product`, read without a lock (for pages
/// explaining a refusal).
pub async fn hold_room(conn: &mut sqlx::AnyConnection, org: i64, product: i64, holds: &HoldPolicy) -> sqlx::Result<HoldRoom> {
    let today = crate::time::format_date(crate::time::today());
    let free: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity - allocated), 0) AS BIGINT) FROM lots WHERE product_id = $1 AND expires_on >= $2",
    )
    .bind(product)
    .bind(&today)
    .fetch_one(&mut *conn)
    .await?;
    let (all, mine): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(a.quantity), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN o.buyer_org_id = $2 THEN a.quantity ELSE 0 END), 0) AS BIGINT) \
         FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN allocations a ON a.line_id = l.id \
         WHERE o.status IN ('placed', 'pending_approval', 'awaiting_payment') AND o.released_at IS NULL AND l.product_id = $1",
    )
    .bind(product)
    .bind(org)
    .fetch_one(&mut *conn)
    .await?;
    let unit: String = sqlx::query_scalar("SELECT unit FROM products WHERE id = $1").bind(product).fetch_one(&mut *conn).await?;
    let on_offer = free.saturating_add(all);
    Ok(HoldRoom { on_offer, held: mine, cap: holds.cap(on_offer), unit })
}

/// [`hold_room`] inside a placement, after locking the buyer's row for the
/// product: on PostgreSQL a second order of the same buyer for the same
/// product waits here until the first commits, then counts its holds — so
/// two orders cannot both pass the cap on one stale count. (SQLite's single
/// writer gives the same.) The upsert is the lock: it needs no FOR UPDATE,
/// which SQLite lacks.
async fn hold_room_locked(tx: &mut Tx, org: i64, product: i64, holds: &HoldPolicy) -> sqlx::Result<HoldRoom> {
    sqlx::query(
        "INSERT INTO hold_locks (org_id, product_id, touched_at) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, product_id) DO UPDATE SET touched_at = excluded.touched_at",
    )
    .bind(org)
    .bind(product)
    .bind(crate::time::now())
    .execute(&mut **tx)
    .await?;
    hold_room(tx, org, product, holds).await
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    number: String,
    status: String,
    buyer_org_id: i64,
    buyer_name: String,
    payment_method: String,
    delivery_region_code: String,
    delivery_address: String,
    contact_name: String,
    phone: String,
    note: String,
    total_fen: i64,
    created_at: String,
    pay_by: Option<String>,
    approve_by: Option<String>,
    credit_terms_days: Option<i64>,
    released_at: Option<String>,
    paid_at: Option<String>,
    due_on: Option<String>,
}

const ORDER_SELECT: &str = "SELECT o.id, o.number, o.status, o.buyer_org_id, g.name AS buyer_name, o.payment_method, o.delivery_region_code, \
    o.delivery_address, o.contact_name, o.phone, o.note, o.total_fen, o.created_at, o.pay_by, o.approve_by, \
    o.credit_terms_days, o.released_at, o.paid_at, o.due_on \
    FROM orders o JOIN organisations g ON g.id = o.buyer_org_id";

async fn assemble(conn: &mut sqlx::AnyConnection, r: OrderRow) -> sqlx::Result<Order> {
    #[derive(sqlx::FromRow)]
    struct LineRow {
        id: i64,
        product_id: i64,
        name: String,
        cooperative_id: i64,
        quantity: i64,
        unit_price_fen: i64,
        amount_fen: i64,
        refunded_quantity: i64,
        status: String,
    }
    let lines: Vec<LineRow> = sqlx::query_as(
        "SELECT l.id, l.product_id, p.name, l.cooperative_id, l.quantity, l.unit_price_fen, l.amount_fen, l.status, \
         CAST(COALESCE((SELECT SUM(r.quantity) FROM refund_lines r JOIN refunds f ON f.id = r.refund_id WHERE r.line_id = l.id AND f.answered_at IS NOT NULL), 0) AS BIGINT) AS refunded_quantity \
         FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(r.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut allocations: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT a.line_id, a.lot_id, a.quantity FROM allocations a JOIN order_lines l ON l.id = a.line_id WHERE l.order_id = $1 ORDER BY a.id",
    )
    .bind(r.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(lines.len());
    let mut refunded = Fen::ZERO;
    for LineRow {
        id,
        product_id,
        name: product_name,
        cooperative_id,
        quantity,
        unit_price_fen: unit,
        amount_fen: amount,
        refunded_quantity,
        status,
    } in lines
    {
        refunded += Fen::new(unit * refunded_quantity);
        let mine: Vec<Allocation> = allocations
            .iter()
            .filter(|(line, _, _)| *line == id)
            .map(|(_, lot_id, quantity)| Allocation { lot_id: *lot_id, quantity: *quantity })
            .collect();
        allocations.retain(|(line, _, _)| *line != id);
        out.push(Line {
            id,
            product_id,
            product_name,
            cooperative_id,
            quantity,
            unit_price_fen: Fen::new(unit),
            amount_fen: Fen::new(amount),
            refunded_quantity,
            status: LineStatus::from_db(&status)?,
            allocations: mine,
        });
    }
    let status = OrderStatus::from_db(&r.status)?;
    let hold_until = match status {
        _ if r.released_at.is_some() => None,
        OrderStatus::PendingApproval => r.approve_by.or(r.pay_by),
        OrderStatus::Placed | OrderStatus::AwaitingPayment => r.pay_by,
        _ => None,
    };
    let overdue = terms::is_overdue(r.due_on.as_deref(), r.paid_at.as_deref(), crate::time::china_today());
    Ok(Order {
        id: r.id,
        number: r.number,
        status,
        buyer: Buyer { id: r.buyer_org_id, name: r.buyer_name },
        lines: out,
        total_fen: Fen::new(r.total_fen),
        refunded_fen: refunded,
        payment_method: PaymentMethod::from_db(&r.payment_method)?,
        delivery: Delivery {
            region_code: r.delivery_region_code,
            address: r.delivery_address,
            contact_name: r.contact_name,
            phone: r.phone,
        },
        note: r.note,
        created_at: r.created_at,
        hold_until,
        credit_terms_days: r.credit_terms_days,
        released_at: r.released_at,
        paid_at: r.paid_at,
        due_on: r.due_on,
        overdue,
    })
}

/// An order of organisation `org_id` (`None` for anyone else's).
pub async fn get_in(conn: &mut sqlx::AnyConnection, org_id: i64, id: i64) -> sqlx::Result<Option<Order>> {
    let row: Option<OrderRow> = sqlx::query_as(&format!("{ORDER_SELECT} WHERE o.id = $1 AND o.buyer_org_id = $2"))
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(assemble(conn, r).await?)),
        None => Ok(None),
    }
}

/// [`get_in`] on the pool.
pub async fn get(db: &Db, org_id: i64, id: i64) -> sqlx::Result<Option<Order>> {
    let mut conn = db.pool().acquire().await?;
    get_in(&mut conn, org_id, id).await
}

/// Which orders a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// The buyer organisation (`None`: every organisation — platform use only).
    pub org_id: Option<i64>,
    /// One status.
    pub status: Option<&'a str>,
    /// One payment method.
    pub payment_method: Option<&'a str>,
    /// Only orders whose money finance can confirm now: unpaid, and either
    /// awaiting payment or released on credit terms (in transit, delivered
    /// or accepted).
    pub payable: bool,
    /// Only orders overdue on this China date (`YYYY-MM-DD`, normally
    /// today): on credit terms, unpaid, due before it. A parameter, so
    /// that the rule can be checked on any day.
    pub overdue_on: Option<&'a str>,
}

/// The orders of organisation `org_id`, newest first, optionally of one
/// status; one page and the total.
pub async fn list(db: &Db, org_id: i64, status: Option<&str>, limit: i64, offset: i64) -> sqlx::Result<(Vec<Order>, i64)> {
    list_filtered(db, Filter { org_id: Some(org_id), status, ..Filter::default() }, limit, offset).await
}

/// The orders `f` selects, newest first; one page and the total. Only the
/// filters given enter the WHERE clause, so the buyer's index serves a
/// buyer's list.
pub async fn list_filtered(db: &Db, f: Filter<'_>, limit: i64, offset: i64) -> sqlx::Result<(Vec<Order>, i64)> {
    let mut conditions = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    if f.org_id.is_some() {
        conditions.push(format!("o.buyer_org_id = ${}", next()));
    }
    if f.status.is_some() {
        conditions.push(format!("o.status = ${}", next()));
    }
    if f.payment_method.is_some() {
        conditions.push(format!("o.payment_method = ${}", next()));
    }
    if f.payable {
        // Orders paid before dispatch have `paid_at` once past
        // awaiting_payment, so only credit orders qualify in the later
        // statuses.
        conditions.push("o.paid_at IS NULL AND o.status IN ('awaiting_payment', 'in_transit', 'delivered', 'accepted')".to_owned());
    }
    if f.overdue_on.is_some() {
        // Served by the partial index `orders_credit_due` (migration 0009).
        conditions.push(format!("o.due_on IS NOT NULL AND o.paid_at IS NULL AND o.due_on < ${}", next()));
    }
    let condition = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let (page_limit, page_offset) = (next(), next());
    let count_sql = format!("SELECT COUNT(*) FROM orders o{condition}");
    let page_sql = format!("{ORDER_SELECT}{condition} ORDER BY o.id DESC LIMIT ${page_limit} OFFSET ${page_offset}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    let mut page = sqlx::query_as::<_, OrderRow>(&page_sql);
    if let Some(org) = f.org_id {
        count = count.bind(org);
        page = page.bind(org);
    }
    if let Some(status) = f.status {
        count = count.bind(status);
        page = page.bind(status);
    }
    if let Some(method) = f.payment_method {
        count = count.bind(method);
        page = page.bind(method);
    }
    if let Some(day) = f.overdue_on {
        count = count.bind(day);
        page = page.bind(day);
    }
    let total = count.fetch_one(db.pool()).await?;
    let rows = page.bind(limit).bind(offset).fetch_all(db.pool()).await?;
    let mut conn = db.pool().acquire().await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(assemble(&mut conn, r).await?);
    }
    Ok((out, total))
}

/// Why a transition was refused.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// No such order of this organisation.
    #[error("order not found")]
    NotFound,
    /// Not allowed from the current status.
    #[error("not allowed while the order is {0}")]
    Illegal(String),
    /// The caller's organisation owns the order but the caller lacks the role.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The status would allow the move, but a fact of the order forbids it.
    #[error("{0}")]
    Refused(Refusal),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Why a move was refused although the order's status would allow it
/// (each edge words it for its reader).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The order was released for fulfilment on credit terms: its goods
    /// are on their way, and the buyer can no longer cancel it.
    #[error("the order was released for delivery on credit terms and can no longer be cancelled")]
    ReleasedOnCredit,
    /// Nothing was paid yet (an order on credit terms, delivered or
    /// accepted unpaid): there is no money to give back.
    #[error("nothing has been paid for this order yet, so nothing can be refunded")]
    NotPaid,
    /// Its payment was confirmed before (the order is where the goods are).
    #[error("the payment of this order is already confirmed (the order is {0})")]
    AlreadyPaid(OrderStatus),
}

impl TransitionError {
    /// A move lost to another writer: illegal from where the order is now
    /// (not found when it is gone).
    pub fn lost(lost: lifecycle::Lost) -> Self {
        match lost.current {
            Some(current) => TransitionError::Illegal(current.as_str().to_owned()),
            None => TransitionError::NotFound,
        }
    }
}

/// Moves order `id` from an unpaid status to `cancelled` and gives back
/// every unit it held — or reports where the order is when it is no longer
/// unpaid. The status is re-checked in the UPDATE itself (the lifecycle's
/// one door), so two cancels (a buyer's and the expiry sweep, say) cannot
/// both release the stock.
///
/// With `lapsed_by` (the expiry sweep's now), the order is cancelled only if
/// its hold has lapsed by then, checked in the same UPDATE: an order
/// approved a moment earlier has a later deadline and stays.
async fn cancel_unpaid_in(
    tx: &mut Tx,
    id: i64,
    user: Option<i64>,
    note: &str,
    lapsed_by: Option<&str>,
) -> sqlx::Result<Result<lifecycle::Moved, lifecycle::Lost>> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, released_at FROM orders WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
    let Some((from, released)) = row else {
        return Ok(Err(lifecycle::Lost { current: None }));
    };
    let from = OrderStatus::from_db(&from)?;
    if !from.is_cancellable(released.is_some()) {
        return Ok(Err(lifecycle::Lost { current: Some(from) }));
    }
    // Re-checked in the UPDATE: never cancel what was released meanwhile.
    let unless = lapsed_by.map_or(lifecycle::Unless::Released, lifecycle::Unless::HoldLiveAt);
    let moved = lifecycle::transition_unless(tx, id, from, OrderStatus::Cancelled, user, note, unless).await?;
    if moved.is_ok() {
        release(tx, id).await?;
    }
    Ok(moved)
}

/// The longest reason for rejecting or cancelling an order, in characters
/// (a refund's reason has its own, longer limit).
pub const MAX_REASON_CHARS: i64 = 200;

/// The reason given for rejecting or cancelling an order, trimmed: at most
/// [`MAX_REASON_CHARS`] characters and no control characters; empty only
/// when not `required` (the pages require one, the API does not, so its
/// contract stays as it was).
pub fn check_reason(text: &str, required: bool) -> Result<String, Problem> {
    let text = text.trim();
    let count = text.chars().count() as i64;
    if (required && count == 0) || count > MAX_REASON_CHARS || text.chars().any(crate::validation::forbidden_char) {
        return Err(Problem::Length { min: 1, max: MAX_REASON_CHARS });
    }
    Ok(text.to_owned())
}

/// Cancels an unpaid order of the buyer's organisation and releases every
/// unit it held; `reason` (checked by [`check_reason`]) is the event's
/// note, shown in the order's history.
pub async fn cancel(db: &Db, actor: &Actor, id: i64, reason: &str) -> Result<Order, TransitionError> {
    let mut tx = db.begin_write().await?;
    let mine: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, released_at FROM orders WHERE id = $1 AND buyer_org_id = $2")
            .bind(id)
            .bind(actor.org.id)
            .fetch_optional(&mut *tx)
            .await?;
    let (status, released) = mine.ok_or(TransitionError::NotFound)?;
    // Before payment by its status, but on its way on credit terms: say
    // so, rather than "not while awaiting payment".
    if released.is_some() && OrderStatus::from_db(&status)? == OrderStatus::AwaitingPayment {
        return Err(TransitionError::Refused(Refusal::ReleasedOnCredit));
    }
    cancel_unpaid_in(&mut tx, id, Some(actor.id), reason, None).await?.map_err(TransitionError::lost)?;
    let order = get_in(&mut tx, actor.org.id, id).await?.ok_or(TransitionError::NotFound)?;
    tx.commit().await?;
    Ok(order)
}

mod acceptance;
pub mod cart;
pub mod fulfil;
pub mod idempotency;
mod ledger;
pub mod lifecycle;
mod payment;
mod place;
mod refunds;
pub mod terms;
mod views;

pub use acceptance::{AcceptError, Rating, accept};
pub use fulfil::{Scan, ScanOutcome, ScanRequest, scan};
pub use idempotency::Answer;
pub use lifecycle::{LineStatus, OrderStatus, PaymentMethod};
pub use payment::{Applied, StartError, apply_stripe_event, last_stripe_error, start_stripe};
pub use place::{PlaceOutcome, PlaceRequest, place_idempotent, placed_with_key};
pub use refunds::{NewRefund, Refund, RefundError, RefundLine, RefundOnce, finish_unanswered, refund, refund_once};
pub use views::{
    Event, FulfilLine, GivenRating, Reach, ReachRow, awaiting_acceptance, cooperatives, events, find_by_number, ratings, reach, to_fulfil,
};

/// Who is allowed to move an order, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// pending_approval → awaiting_payment (agency approver of the buyer).
    Approve,
    /// pending_approval → cancelled, stock released (agency approver).
    Reject,
    /// The bank transfer came in (platform finance): awaiting_payment →
    /// paid; an order released on credit terms that is already in transit,
    /// delivered or accepted stays there, the payment an event in place.
    ConfirmInvoice,
}

/// Moves an order one step (approve, reject, confirm a bank transfer),
/// checked against its current status and the actor's role and scope, and
/// recorded. Confirming payment writes the attribution ledger and routes
/// the lines in the same transaction. (Goods move by shipment scans:
/// [`scan`].)
pub async fn transition(db: &Db, actor: &Actor, id: i64, t: Transition, reference: &str) -> Result<Order, TransitionError> {
    let mut tx = db.begin_write().await?;
    // Locked (PostgreSQL): what is read here — the status, whether it was
    // released or paid — decides the move, and a scan moving the goods of
    // an order on credit terms must not change it before the move is made.
    #[allow(clippy::type_complexity)]
    let row: Option<(String, i64, String, i64, Option<i64>, Option<String>, Option<String>)> = sqlx::query_as(&format!(
        "SELECT status, buyer_org_id, payment_method, total_fen, credit_terms_days, released_at, paid_at FROM orders WHERE id = $1{}",
        tx.for_update()
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((status, buyer, method, total, credit_terms, released, paid)) = row else { return Err(TransitionError::NotFound) };
    // Scope: an approver sees only its own agency's orders; finance all.
    let allowed = match t {
        Transition::Approve | Transition::Reject => actor.has(Role::AgencyApprover) && actor.org.id == buyer,
        Transition::ConfirmInvoice => actor.has(Role::PlatformFinance),
    };
    if !allowed {
        // The buyer's own people learn they lack the role; others learn
        // nothing of the order.
        return Err(if actor.org.id == buyer {
            TransitionError::Forbidden(match t {
                Transition::Approve | Transition::Reject => "only an agency approver approves or rejects orders",
                Transition::ConfirmInvoice => "only platform finance confirms bank transfers",
            })
        } else {
            TransitionError::NotFound
        });
    }
    let current = OrderStatus::from_db(&status)?;
    let (from, to) = match t {
        Transition::Approve => (OrderStatus::PendingApproval, OrderStatus::AwaitingPayment),
        Transition::Reject => (OrderStatus::PendingApproval, OrderStatus::Cancelled),
        Transition::ConfirmInvoice => match current {
            _ if paid.is_some() => return Err(TransitionError::Refused(Refusal::AlreadyPaid(current))),
            OrderStatus::AwaitingPayment => (OrderStatus::AwaitingPayment, OrderStatus::Paid),
            // On credit terms the money may come after the goods: the
            // order stays where they are, and the payment is its event.
            OrderStatus::InTransit | OrderStatus::Delivered | OrderStatus::Accepted if released.is_some() => (current, current),
            _ => return Err(TransitionError::Illegal(status)),
        },
    };
    if t == Transition::ConfirmInvoice && PaymentMethod::from_db(&method)? != PaymentMethod::Invoice {
        return Err(TransitionError::Illegal(format!("{status} (paid by card, not by invoice)")));
    }
    if t == Transition::ConfirmInvoice && !payment::claim_payment(&mut tx, id).await? {
        // Cannot happen under the row lock above; the conditional claim is
        // what keeps one payment per order wherever the lock is not taken.
        return Err(TransitionError::Refused(Refusal::AlreadyPaid(current)));
    }
    let note = if from == to { format!("{PAID_IN_PLACE}{reference}") } else { reference.to_owned() };
    lifecycle::transition(&mut tx, id, from, to, Some(actor.id), &note).await?.map_err(TransitionError::lost)?;
    if to == OrderStatus::Cancelled {
        release(&mut tx, id).await?;
    }
    if t == Transition::ConfirmInvoice {
        payment::record_payment_in(&mut tx, id, PaymentMethod::Invoice, reference, total, Some(actor.id)).await?;
    }
    if t == Transition::Approve && credit_terms.is_some() {
        terms::release_on_credit(&mut tx, id).await?;
    }
    let order = get_in(&mut tx, buyer, id).await?.ok_or(TransitionError::NotFound)?;
    tx.commit().await?;
    Ok(order)
}

/// Gives back every unit an order holds.
async fn release(tx: &mut Tx, id: i64) -> sqlx::Result<()> {
    let held: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT a.lot_id, a.quantity, l.product_id FROM allocations a JOIN order_lines l ON l.id = a.line_id JOIN lots t ON t.id = a.lot_id \
         WHERE l.order_id = $1 ORDER BY l.product_id, t.expires_on, t.id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    for (lot, q, product) in &held {
        sqlx::query("UPDATE lots SET allocated = allocated - $1 WHERE id = $2").bind(q).bind(lot).execute(&mut **tx).await?;
        crate::outbox::enqueue(tx, *product).await?;
    }
    Ok(())
}

/// One household's share of a line, as shown.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The household's pseudonym.
    pub household_code: String,
    /// The lot.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub lot_id: i64,
    /// Sales value attributed.
    pub gross_fen: Fen,
    /// Estimated household income (payout ratio applied).
    pub income_fen: Fen,
}

/// A line's attribution, net of refunds.
#[derive(Debug, Clone, Serialize)]
pub struct LineAttribution {
    /// The line.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub line_id: i64,
    /// Paid for the line.
    pub paid_fen: Fen,
    /// Refunded.
    pub refunded_fen: Fen,
    /// Per household and lot.
    pub entries: Vec<Entry>,
}

/// The attribution of an order, if `actor` may see it: the buyer's
/// organisation, the cooperatives concerned, officials of an origin region,
/// the platform. Anyone else gets `None` (as if there were no such order).
///
/// An official who is none of the others sees only their own region's part
/// (invariant 7): the lines whose product comes from their region, and of
/// those only the entries of households living in it — a 伽师县 official
/// never sees the 卡若区 households of a mixed order.
pub async fn attribution(db: &Db, actor: &Actor, id: i64) -> sqlx::Result<Option<Vec<LineAttribution>>> {
    let buyer: Option<i64> = sqlx::query_scalar("SELECT buyer_org_id FROM orders WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
    let Some(buyer) = buyer else { return Ok(None) };
    let coops: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT cooperative_id FROM order_lines WHERE order_id = $1").bind(id).fetch_all(db.pool()).await?;
    let origins: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT p.origin_code FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1")
            .bind(id)
            .fetch_all(db.pool())
            .await?;
    let official = actor
        .official_region()
        .is_some_and(|r| origins.iter().filter_map(|o| crate::regions::RegionCode::parse(o).ok()).any(|o| r.contains(o)));
    let platform = actor.has(Role::PlatformAdmin) || actor.has(Role::PlatformFinance);
    if !(actor.org.id == buyer || coops.contains(&actor.org.id) || official || platform) {
        return Ok(None);
    }
    // `Some(region)`: the caller sees the order only as an official.
    let only_region = actor.official_region().filter(|_| !(actor.org.id == buyer || coops.contains(&actor.org.id) || platform));
    let in_region = |code: &str| only_region.is_none_or(|r| crate::regions::RegionCode::parse(code).is_ok_and(|c| r.contains(c)));
    let lines: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT l.id, l.amount_fen, p.origin_code FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let lines: Vec<(i64, i64)> = lines.into_iter().filter(|(_, _, origin)| in_region(origin)).map(|(l, a, _)| (l, a)).collect();
    let paid: bool = {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE order_id = $1").bind(id).fetch_one(db.pool()).await?;
        n > 0
    };
    let rows: Vec<(i64, String, i64, String, i64, i64, String)> = sqlx::query_as(
        "SELECT e.line_id, h.code, e.lot_id, e.kind, e.gross_fen, e.income_fen, h.village_code FROM attribution_entries e \
         JOIN households h ON h.id = e.household_id WHERE e.order_id = $1 ORDER BY e.line_id, h.code, e.lot_id, e.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let rows: Vec<_> = rows.into_iter().filter(|r| in_region(&r.6)).collect();
    let mut out = Vec::new();
    for (line, amount) in lines {
        let mut entries: Vec<Entry> = Vec::new();
        let mut refunded = Fen::ZERO;
        for (_, code, lot, kind, gross, income, _) in rows.iter().filter(|r| r.0 == line) {
            if kind == "refund" {
                refunded += -Fen::new(*gross);
            }
            // Net of reversals: one entry per household and lot.
            match entries.iter_mut().find(|e| &e.household_code == code && e.lot_id == *lot) {
                Some(e) => {
                    e.gross_fen += Fen::new(*gross);
                    e.income_fen += Fen::new(*income);
                }
                None => entries.push(Entry {
                    household_code: code.clone(),
                    lot_id: *lot,
                    gross_fen: Fen::new(*gross),
                    income_fen: Fen::new(*income),
                }),
            }
        }
        out.push(LineAttribution {
            line_id: line,
            paid_fen: if paid { Fen::new(amount) } else { Fen::ZERO },
            refunded_fen: refunded,
            entries,
        });
    }
    Ok(Some(out))
}

/// Cancels every unpaid order whose hold on its stock has lapsed by `now`
/// (RFC 3339, as stored) — `approve_by` while it waits for approval,
/// `pay_by` otherwise — gives its stock back and records why (the event
/// says the hold lapsed); returns how many lapsed. Each order moves by a
/// conditional UPDATE, so several instances may sweep at once.
pub async fn expire_unpaid(db: &Db, now: &str) -> sqlx::Result<usize> {
    let due: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, status FROM orders WHERE status IN ('placed', 'pending_approval', 'awaiting_payment') AND released_at IS NULL \
         AND ((status = 'pending_approval' AND approve_by IS NOT NULL AND approve_by < $1) OR pay_by < $1) ORDER BY id LIMIT 500",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut expired = 0;
    for (id, status) in due {
        let note = if status == "pending_approval" { LAPSED_UNAPPROVED } else { LAPSED_UNPAID };
        let mut tx = db.begin_write().await?;
        // An order paid, approved or cancelled meanwhile is left alone.
        if cancel_unpaid_in(&mut tx, id, None, note, Some(now)).await?.is_ok() {
            tx.commit().await?;
            expired += 1;
        }
    }
    Ok(expired)
}

/// The event note of an order cancelled because nobody approved it in time.
pub const LAPSED_UNAPPROVED: &str = "hold lapsed: not approved in time";
/// The event note of an order cancelled because it was not paid in time.
pub const LAPSED_UNPAID: &str = "hold lapsed: not paid in time";
/// The start of the note of a payment confirmed after the goods moved (on
/// credit terms): an event in place, `in_transit → in_transit`, say,
/// followed by the bank reference.
pub const PAID_IN_PLACE: &str = "paid: ";

// The prefecture-scale demo (src/demo/scale.rs) writes the ledger in bulk;
// its test (tests/api/scale.rs) replays these over the orders it wrote, in
// a transaction it rolls back, and compares the rows. Nothing else may call
// them: the order flows above post the ledger exactly once.
#[doc(hidden)]
pub(crate) use ledger::party_groups;
pub use ledger::{PARTY_DIGITS, RefundedLine, SMALL_TOTALS_FROM_LEDGER, attribute_refunds, attribute_sale};

//! The server-side cart: one per user, lines from any cooperatives, priced
//! at the bulk tier each quantity reaches (the price the order will get,
//! unless the cooperative changes it meanwhile). Only buyers have carts.

use crate::db::Db;
use crate::money::Fen;

/// Largest quantity of one cart line (as for order lines).
pub const MAX_QUANTITY: i64 = crate::bounds::MAX_LINE_UNITS;

/// Most products in one cart: as many as one order may have lines, which
/// also bounds the cart's total (see [`crate::bounds`]).
pub const MAX_LINES: usize = crate::bounds::MAX_ORDER_LINES;

/// What adding to the cart did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The line was added or its quantity raised.
    Yes,
    /// No such product on sale.
    NoSuchProduct,
    /// The cart already holds [`MAX_LINES`] other products.
    CartFull,
}

/// What setting a line's quantity did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// Set (or removed, for 0).
    Done,
    /// More than is on sale now was asked for; nothing changed.
    Short {
        /// Units on sale now.
        available: i64,
    },
}

/// A line of the cart, priced.
#[derive(Debug, Clone)]
pub struct CartLine {
    /// The product.
    pub product_id: i64,
    /// Its name.
    pub name: String,
    /// Its unit (箱, 袋…).
    pub unit: String,
    /// The selling cooperative.
    pub cooperative: String,
    /// Units in the cart.
    pub quantity: i64,
    /// Price per unit at the tier reached.
    pub unit_price: Fen,
    /// quantity × unit price.
    pub amount: Fen,
    /// The next tier, if any: from how many units, at what price.
    pub next_tier: Option<(i64, Fen)>,
    /// Units on sale now.
    pub available: i64,
}

/// The cart of `user`, oldest line first, and its total.
pub async fn lines(db: &Db, user: i64) -> sqlx::Result<(Vec<CartLine>, Fen)> {
    let today = crate::time::format_date(crate::time::today());
    let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT p.id, p.name, p.unit, g.name, c.quantity, {} \
         FROM cart_lines c JOIN products p ON p.id = c.product_id JOIN organisations g ON g.id = p.cooperative_id \
         WHERE c.user_id = $1 AND p.active = 1 ORDER BY c.added_at, p.id",
        crate::stock::available_sql(2)
    ))
    .bind(user)
    .bind(&today)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut total = Fen::ZERO;
    for (product_id, name, unit, cooperative, quantity, available) in rows {
        let tiers: Vec<(i64, i64)> =
            sqlx::query_as("SELECT min_quantity, unit_price_fen FROM price_tiers WHERE product_id = $1 ORDER BY min_quantity")
                .bind(product_id)
                .fetch_all(db.pool())
                .await?;
        let Some(&(_, price)) = tiers.iter().rev().find(|(min, _)| *min <= quantity) else { continue };
        let next_tier = tiers.iter().find(|(min, _)| *min > quantity).map(|(min, p)| (*min, Fen::new(*p)));
        // Prices and quantities are bounded when they come in; saturating
        // keeps a row written before those bounds from wrapping round to a
        // negative total.
        let amount = Fen::new(price.saturating_mul(quantity));
        total = Fen::new(total.get().saturating_add(amount.get()));
        out.push(CartLine { product_id, name, unit, cooperative, quantity, unit_price: Fen::new(price), amount, next_tier, available });
    }
    Ok((out, total))
}

/// Units of `product` on sale now (0 for a product not on sale).
pub async fn available(db: &Db, product: i64) -> sqlx::Result<i64> {
    let today = crate::time::format_date(crate::time::today());
    let n: Option<i64> =
        sqlx::query_scalar(&format!("SELECT {} FROM products p WHERE p.id = $1 AND p.active = 1", crate::stock::available_sql(2)))
            .bind(product)
            .bind(&today)
            .fetch_optional(db.pool())
            .await?;
    Ok(n.unwrap_or(0))
}

/// Adds `quantity` units of `product` (to what is already there, up to
/// the maximum), unless the cart is full. More than is on sale may go in
/// (the product page's number is the buyer's wish); the cart page then
/// says what is left and offers to take it.
pub async fn add(db: &Db, user: i64, product: i64, quantity: i64) -> sqlx::Result<Added> {
    let active: Option<i64> =
        sqlx::query_scalar("SELECT active FROM products WHERE id = $1").bind(product).fetch_optional(db.pool()).await?;
    if active != Some(1) {
        return Ok(Added::NoSuchProduct);
    }
    // A product already in the cart is always raised; a new one goes in only
    // while the cart has room. The count and the insert are one statement,
    // but on PostgreSQL two tabs of one user adding at once would each count
    // the other's line as absent and pass together: the user's row is
    // locked first, so adds to one cart take turns (SQLite's one writer
    // does the same).
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!("SELECT id FROM users WHERE id = $1{}", tx.for_update())).bind(user).fetch_optional(&mut *tx).await?;
    let changed = sqlx::query(
        "INSERT INTO cart_lines (user_id, product_id, quantity, added_at) SELECT $1, $2, $3, $4 \
         WHERE EXISTS (SELECT 1 FROM cart_lines WHERE user_id = $1 AND product_id = $2) \
         OR (SELECT COUNT(*) FROM cart_lines WHERE user_id = $1) < $6 \
         ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = \
         CASE WHEN cart_lines.quantity + excluded.quantity > $5 THEN $5 ELSE cart_lines.quantity + excluded.quantity END",
    )
    .bind(user)
    .bind(product)
    .bind(quantity.clamp(1, MAX_QUANTITY))
    .bind(crate::time::now())
    .bind(MAX_QUANTITY)
    .bind(MAX_LINES as i64)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(if changed == 0 { Added::CartFull } else { Added::Yes })
}

/// Sets a line's quantity; 0 removes it. More than is on sale at this
/// moment is refused ([`Set::Short`]) and changes nothing: the cart holds
/// no stock (checkout allocates, or refuses, again), but a quantity that
/// is not there now should not wait until checkout to be told.
pub async fn set(db: &Db, user: i64, product: i64, quantity: i64) -> sqlx::Result<Set> {
    if quantity > 0 {
        let available = available(db, product).await?;
        if quantity > available {
            return Ok(Set::Short { available });
        }
    }
    if quantity <= 0 {
        sqlx::query("DELETE FROM cart_lines WHERE user_id = $1 AND product_id = $2").bind(user).bind(product).execute(db.pool()).await?;
    } else {
        sqlx::query("UPDATE cart_lines SET quantity = $1 WHERE user_id = $2 AND product_id = $3")
            .bind(quantity.min(MAX_QUANTITY))
            .bind(user)
            .bind(product)
            .execute(db.pool())
            .await?;
    }
    Ok(Set::Done)
}

/// Empties the cart of `user` in the caller's transaction (once ordered).
pub async fn clear_in(tx: &mut crate::db::Tx, user: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM cart_lines WHERE user_id = $1").bind(user).execute(&mut **tx).await?;
    Ok(())
}

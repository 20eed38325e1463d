//! The writing half of the search outbox: inside a caller's transaction,
//! a `search_outbox` row per product whose search document must be rebuilt.
//! The reading half — draining rows into the engine — is
//! [`crate::search::Indexer`].
//!
//! Why a module of its own, below `catalog`, `stock` and `orders`: those
//! write products, prices and stock and must enqueue, while `search` reads
//! `catalog` (the cards, the category names) and `stock` (what "available"
//! means) to build its documents. With `enqueue` inside `search` the
//! modules formed a cycle (`catalog → stock → search → catalog`); here it
//! depends on `db` alone.
//!
//! Every enqueue also marks the transaction ([`Tx::wake_after_commit`]), so
//! its commit wakes the indexer: the index is nudged once per committed
//! change by the transaction that made it, whichever edge or job ran it.
//!
//! Must not know about search engines, documents or HTTP.

use crate::db::{Tx, values_placeholders};

/// Records, inside the caller's transaction, that product `product_id`'s
/// search document must be rebuilt.
pub async fn enqueue(tx: &mut Tx, product_id: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO search_outbox (product_id, enqueued_at) VALUES ($1, $2)")
        .bind(product_id)
        .bind(crate::time::now())
        .execute(&mut **tx)
        .await?;
    tx.wake_after_commit();
    Ok(())
}

/// Records several products in one statement.
pub async fn enqueue_many(tx: &mut Tx, product_ids: &[i64]) -> sqlx::Result<()> {
    if product_ids.is_empty() {
        return Ok(());
    }
    let now = crate::time::now();
    let sql = format!("INSERT INTO search_outbox (product_id, enqueued_at) VALUES {}", values_placeholders(product_ids.len(), 2));
    let mut q = sqlx::query(&sql);
    for id in product_ids {
        q = q.bind(id).bind(&now);
    }
    q.execute(&mut **tx).await?;
    tx.wake_after_commit();
    Ok(())
}

/// Records every product of a cooperative (its name changed, say).
pub async fn enqueue_all(tx: &mut Tx, cooperative_id: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO search_outbox (product_id, enqueued_at) SELECT id, $2 FROM products WHERE cooperative_id = $1")
        .bind(cooperative_id)
        .bind(crate::time::now())
        .execute(&mut **tx)
        .await?;
    tx.wake_after_commit();
    Ok(())
}

//! Stored answers of idempotent requests (`Idempotency-Key`), the way
//! Stripe keeps them: per user and per endpoint, for 24 hours.
//!
//! Why per user and endpoint, not per organisation: an answer is replayed
//! only to the one who asked, after their own authorisation was checked, so
//! a colleague without the right (an approver replaying a buyer's key) gets
//! a 403 and never the stored 201; and one key used on two endpoints names
//! two requests. Why 24 hours: a client's retries of one request come
//! within minutes; after a day the key is treated as new, stored refusals
//! included (a refusal for want of stock must not outlive the shortage).
//!
//! A row is claimed before the work it guards (`status_code` 0), in the
//! work's own transaction: a concurrent request with the same key waits on
//! it (PostgreSQL's unique index, SQLite's single writer) and then finds the
//! answer. An expired row is overwritten by the same upsert that claims a
//! fresh one, conditionally on its age, so two requests reusing an expired
//! key cannot both start over.

use crate::db::{Db, Tx};

/// How long a stored answer is replayed, in seconds.
pub const TTL_SECS: i64 = 24 * 3600;

/// The endpoint name of order placement through the API.
pub const PLACE_API: &str = "POST /api/v1/orders";
/// The endpoint name of order placement through the checkout page.
pub const PLACE_CHECKOUT: &str = "POST /checkout";
/// The endpoint name of refunds through the API (the order is part of the
/// request's hash, as it is part of its path).
pub const REFUND_API: &str = "POST /api/v1/orders/{id}/refunds";

/// Who used a key, and where.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The signed-in user.
    pub user_id: i64,
    /// Their organisation (kept for reports; not part of the key).
    pub org_id: i64,
    /// One of the endpoint names above.
    pub endpoint: &'static str,
    /// The client's key.
    pub key: &'a str,
}

/// A stored answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    /// SHA-256 of the first request's body, hex.
    pub request_hash: String,
    /// Its status; 0 while the first request is still at work.
    pub status_code: i64,
    /// Its body.
    pub response_body: String,
}

/// A stored answer to an idempotent request as the domain hands it back:
/// its status and body, as first given (the edge's words, replayed byte
/// for byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: String,
}

/// The oldest `created_at` still replayed.
fn live_since() -> String {
    crate::time::in_seconds(-TTL_SECS)
}

/// The live answer stored for `scope`, if any (an expired one is none).
pub async fn find(conn: &mut sqlx::AnyConnection, scope: Scope<'_>) -> sqlx::Result<Option<Stored>> {
    sqlx::query_as(
        "SELECT request_hash, status_code, response_body FROM idempotency_keys \
         WHERE user_id = $1 AND endpoint = $2 AND key = $3 AND created_at >= $4",
    )
    .bind(scope.user_id)
    .bind(scope.endpoint)
    .bind(scope.key)
    .bind(live_since())
    .fetch_optional(&mut *conn)
    .await
}

/// Stores `status` and `body` for `scope` unless a live answer is there
/// already: inserts, or overwrites an expired row — one conditional upsert.
/// True when this call stored it (`status` 0 claims the key for work in
/// progress, to be completed by [`complete`] in the same transaction).
pub async fn store(tx: &mut Tx, scope: Scope<'_>, hash: &str, status: i64, body: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, endpoint, key, org_id, request_hash, status_code, response_body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (user_id, endpoint, key) DO UPDATE SET org_id = excluded.org_id, request_hash = excluded.request_hash, \
             status_code = excluded.status_code, response_body = excluded.response_body, created_at = excluded.created_at \
         WHERE idempotency_keys.created_at < $9",
    )
    .bind(scope.user_id)
    .bind(scope.endpoint)
    .bind(scope.key)
    .bind(scope.org_id)
    .bind(hash)
    .bind(status)
    .bind(body)
    .bind(crate::time::now())
    .bind(live_since())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// Records the answer of the work a [`store`] with status 0 claimed.
pub async fn complete(tx: &mut Tx, scope: Scope<'_>, status: i64, body: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE user_id = $3 AND endpoint = $4 AND key = $5")
        .bind(status)
        .bind(body)
        .bind(scope.user_id)
        .bind(scope.endpoint)
        .bind(scope.key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Takes over the claim (status 0) of `scope` if it is older than
/// `stale_secs`: its request died before recording anything (the caller
/// checked), so this request does the work instead. One conditional
/// UPDATE renews the claim, so of two retries only one takes it over.
pub async fn take_over_stale(tx: &mut Tx, scope: Scope<'_>, stale_secs: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE idempotency_keys SET created_at = $1 WHERE user_id = $2 AND endpoint = $3 AND key = $4 AND status_code = 0 AND created_at < $5",
    )
    .bind(crate::time::now())
    .bind(scope.user_id)
    .bind(scope.endpoint)
    .bind(scope.key)
    .bind(crate::time::in_seconds(-stale_secs))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// Gives up a claim (status 0) whose work failed without an answer worth
/// keeping, so that a retry runs the work again.
pub async fn release(db: &Db, scope: Scope<'_>) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND endpoint = $2 AND key = $3 AND status_code = 0")
        .bind(scope.user_id)
        .bind(scope.endpoint)
        .bind(scope.key)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Deletes at most `limit` expired answers, oldest first; returns how many.
/// Bounded, so one sweep never holds the writer long; the sweep runs every
/// minute, which clears far more keys a day than buyers make.
pub async fn purge_expired(db: &Db, limit: i64) -> sqlx::Result<u64> {
    let mut tx = db.begin_write().await?;
    let purged = sqlx::query(
        "DELETE FROM idempotency_keys WHERE id IN (SELECT id FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2)",
    )
    .bind(live_since())
    .bind(limit)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(purged)
}

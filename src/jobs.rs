//! Leases for work that runs on a clock (DESIGN.md: "anything that runs on
//! a clock is claimed through the database, so that several instances do
//! it once").
//!
//! A lease is a row per job name: whoever holds it until a moment does the
//! job until then. [`claim`] takes it with one conditional upsert — when
//! nobody holds it, when it has lapsed, or to renew one's own — so of
//! several instances asking at once exactly one gets it (PostgreSQL's row
//! lock makes the others re-check the condition after the winner commits;
//! SQLite has one writer). A holder that dies simply lets it lapse.
//!
//! The work done under a lease is written to be correct without it too
//! (conditional updates, unique keys): the lease saves the other instances
//! the work, it does not carry the correctness.

use crate::db::Db;

/// A name for this process among the instances sharing a database: host
/// process id and a random part, fixed for the life of the process.
pub fn instance_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let mut random = [0u8; 4];
        getrandom::fill(&mut random).expect("the operating system's random source works");
        format!("{}-{:08x}", std::process::id(), u32::from_le_bytes(random))
    })
}

/// Takes (or renews) the lease on job `name` for `holder` for `seconds`;
/// true when `holder` holds it now.
pub async fn claim(db: &Db, name: &str, holder: &str, seconds: i64) -> sqlx::Result<bool> {
    let mut tx = db.begin_write().await?;
    let now = crate::time::now();
    let claimed = sqlx::query(
        "INSERT INTO job_leases (name, holder, until) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
         WHERE job_leases.until <= $4 OR job_leases.holder = excluded.holder",
    )
    .bind(name)
    .bind(holder)
    .bind(crate::time::in_seconds(seconds))
    .bind(&now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(claimed == 1)
}

/// Gives the lease up (on shutdown), so another instance need not wait
/// for it to lapse.
pub async fn release(db: &Db, name: &str, holder: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE job_leases SET until = $1 WHERE name = $2 AND holder = $3")
        .bind(crate::time::in_seconds(-1))
        .bind(name)
        .bind(holder)
        .execute(db.pool())
        .await?;
    Ok(())
}

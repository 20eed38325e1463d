//! The minute's background work of a serving instance, each part under a
//! lease ([`crate::jobs`]) so that of N instances on one database one does
//! it (DESIGN.md: "anything that runs on a clock is claimed through the
//! database, so that several instances do it once"):
//!
//! - [`ORDERS_LEASE`]: unpaid orders whose hold lapsed are cancelled (their
//!   stock released), Stripe refunds whose answer was lost are finished,
//!   and a batch of expired idempotency keys is purged;
//! - [`crate::distribution::SWEEP_LEASE`]: shipment windows close at their
//!   node's cut-off;
//! - [`crate::monitoring::SWEEP_LEASE`]: monitoring colours follow the
//!   ledger.
//!
//! Each part is also correct without its lease (an order is cancelled by a
//! conditional transition, a shipment closed by a conditional update): the
//! lease spares the other instances the work and Stripe the duplicate
//! calls, it does not carry the correctness. On shutdown an instance
//! finishes the sweep under way and gives its leases back, so the next
//! sweep of another instance need not wait for them to lapse.
//!
//! Must not know about HTTP.

use crate::db::Db;

/// The lease of the orders' clock work.
pub const ORDERS_LEASE: &str = "orders.sweep";

/// How long a lease taken by a sweep lasts: a little under the minute
/// between sweeps, so the holder renews it at its next sweep and another
/// instance takes over within two minutes of the holder's death.
const LEASE_SECONDS: i64 = 55;

/// Every lease a sweeper may hold.
const LEASES: [&str; 3] = [ORDERS_LEASE, crate::distribution::SWEEP_LEASE, crate::monitoring::SWEEP_LEASE];

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Whether this instance held the orders' lease (else it left that
    /// part to the holder).
    pub orders_held: bool,
    /// Unpaid orders cancelled because their hold lapsed.
    pub expired: usize,
    /// Stripe refunds finished.
    pub refunds: usize,
    /// Idempotency keys purged.
    pub keys: u64,
}

/// The background clock work of one instance.
pub struct Sweeper {
    db: Db,
    stripe: Option<crate::payments::Stripe>,
    rules: crate::monitoring::Rules,
    holder: String,
}

impl Sweeper {
    /// A sweeper of `db` taking leases as `holder` (the instance's name,
    /// [`crate::jobs::instance_id`], in a server).
    pub fn new(db: Db, stripe: Option<crate::payments::Stripe>, rules: crate::monitoring::Rules, holder: &str) -> Sweeper {
        Sweeper { db, stripe, rules, holder: holder.to_owned() }
    }

    /// The orders' part of a sweep, when this instance holds (or takes)
    /// its lease.
    pub async fn orders(&self, now: time::OffsetDateTime) -> sqlx::Result<Swept> {
        if !crate::jobs::claim(&self.db, ORDERS_LEASE, &self.holder, LEASE_SECONDS).await? {
            return Ok(Swept::default());
        }
        let expired = crate::orders::expire_unpaid(&self.db, &crate::time::timestamp(now)).await?;
        let refunds = crate::orders::finish_unanswered(&self.db, self.stripe.as_ref(), now).await?;
        let keys = crate::orders::idempotency::purge_expired(&self.db, 5_000).await?;
        Ok(Swept { orders_held: true, expired, refunds, keys })
    }

    /// One sweep: every part, each failure logged and left to the next.
    pub async fn once(&self) {
        let now = time::OffsetDateTime::now_utc();
        match self.orders(now).await {
            Ok(s) => {
                if s.expired > 0 {
                    tracing::info!(orders = s.expired, "unpaid orders lapsed");
                }
                if s.refunds > 0 {
                    tracing::info!(refunds = s.refunds, "unanswered Stripe refunds finished");
                }
                if s.keys > 0 {
                    tracing::info!(keys = s.keys, "expired idempotency keys purged");
                }
            }
            Err(e) => tracing::warn!(error = %e, "the orders' sweep failed; will retry"),
        }
        match crate::distribution::sweep(&self.db, &self.holder, now).await {
            Ok(s) if s.closed + s.routed > 0 => tracing::info!(shipments_closed = s.closed, routes = s.routed, "distribution sweep"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the distribution sweep failed; will retry"),
        }
        match crate::monitoring::sweep(&self.db, &self.rules, &self.holder).await {
            Ok(s) if s.evaluated > 0 => tracing::info!(households = s.evaluated, alerts = s.alerts, "monitoring sweep"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the monitoring sweep failed; will retry"),
        }
    }

    /// Sweeps every minute until `stop` turns true; a sweep under way then
    /// is finished, and the leases are given back.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                changed = stop.changed() => if changed.is_err() || *stop.borrow() { break },
            }
            if *stop.borrow() {
                break;
            }
            self.once().await;
        }
        if let Err(e) = self.release().await {
            tracing::warn!(error = %e, "giving back the sweep leases failed; they lapse within a minute");
        }
    }

    /// Gives back every lease this sweeper may hold.
    pub async fn release(&self) -> sqlx::Result<()> {
        for name in LEASES {
            crate::jobs::release(&self.db, name, &self.holder).await?;
        }
        Ok(())
    }
}

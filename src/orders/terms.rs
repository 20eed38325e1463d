//! Credit terms (账期): an agency that buys on terms, as budget units on
//! 832 do, receives before it pays. The platform admin sets the terms per
//! agency (`agencies.credit_terms_days`, off by default); an order paid by
//! invoice keeps the terms it was placed under (`orders.credit_terms_days`).
//!
//! Such an order is released for fulfilment when it is placed — or, if it
//! needs approval, when it is approved ([`release_on_credit`]) — instead of
//! when it is paid; its status stays `awaiting_payment` until its goods
//! move, and then follows its lines ([`super::lifecycle::derive`]). At
//! acceptance it falls due ([`due_on`]); finance confirms the transfer as
//! for any invoice, and only then is the attribution ledger written. An
//! order unpaid after its due date is [`is_overdue`].
//!
//! This module owns the rules of terms; the status changes stay with
//! [`super::lifecycle`], the payment with `payment.rs`.

use crate::auth::{Actor, Role};
use crate::db::{Db, Tx};
use crate::money::Fen;
use crate::validation::{FieldErrors, Problem};
use serde::Serialize;

/// The longest credit terms, in days (the schema's CHECK says the same).
pub const MAX_CREDIT_TERMS_DAYS: i64 = 365;

/// An agency's buying settings, as the platform sets them.
#[derive(Debug, Clone, Serialize)]
pub struct AgencySettings {
    /// The agency's organisation.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub org_id: i64,
    /// Its name.
    pub name: String,
    /// Orders above this total wait for one of its approvers.
    pub approval_limit_fen: Fen,
    /// Days to pay after acceptance; `None`: pay before dispatch.
    pub credit_terms_days: Option<i64>,
}

/// Why an agency's settings were not changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Only the platform admin sets an agency's terms.
    #[error("only the platform admin sets an agency's credit terms")]
    Forbidden,
    /// No agency has this id (no organisation, or one of another kind).
    #[error("agency not found")]
    NotAnAgency,
    /// The value breaks a rule (named field).
    #[error("invalid settings: {0}")]
    Invalid(FieldErrors),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Checks credit terms as given: `None` (pay before dispatch) or 1 to
/// [`MAX_CREDIT_TERMS_DAYS`] days.
pub fn check_credit_terms(days: Option<i64>) -> Result<Option<i64>, FieldErrors> {
    match days {
        Some(d) if !(1..=MAX_CREDIT_TERMS_DAYS).contains(&d) => {
            Err(FieldErrors::one("credit_terms_days", Problem::CreditTerms { max: MAX_CREDIT_TERMS_DAYS }))
        }
        ok => Ok(ok),
    }
}

/// Sets agency `org_id`'s credit terms to `days` (`None`: pay before
/// dispatch) as the platform admin `actor`, and returns its settings.
/// Orders placed before keep the terms they were placed under.
///
/// Audited in the log (marked `audit`: who, which agency, from, to) rather
/// than in a table: the change is rare and admin-only, and every order
/// records the terms it was placed under, so what a change meant for money
/// can always be read from the orders themselves.
pub async fn set_credit_terms(db: &Db, actor: &Actor, org_id: i64, days: Option<i64>) -> Result<AgencySettings, SettingsError> {
    if !actor.has(Role::PlatformAdmin) {
        return Err(SettingsError::Forbidden);
    }
    let days = check_credit_terms(days).map_err(SettingsError::Invalid)?;
    let mut tx = db.begin_write().await?;
    // Locked (PostgreSQL), so that the logged "from" is the value this
    // change replaced even when two admins change it at once.
    let before: Option<Option<i64>> =
        sqlx::query_scalar(&format!("SELECT credit_terms_days FROM agencies WHERE org_id = $1{}", tx.for_update()))
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(before) = before else { return Err(SettingsError::NotAnAgency) };
    sqlx::query("UPDATE agencies SET credit_terms_days = $1 WHERE org_id = $2").bind(days).bind(org_id).execute(&mut *tx).await?;
    let settings = settings_in(&mut tx, org_id).await?.ok_or(SettingsError::NotAnAgency)?;
    tx.commit().await?;
    tracing::info!(audit = true, user.id = actor.id, org.id = org_id, from = ?before, to = ?days, "agency credit terms changed");
    Ok(settings)
}

/// Agency `org_id`'s settings (`None` when it is no agency).
pub async fn agency_settings(db: &Db, org_id: i64) -> sqlx::Result<Option<AgencySettings>> {
    let mut conn = db.pool().acquire().await?;
    settings_in(&mut conn, org_id).await
}

async fn settings_in(conn: &mut sqlx::AnyConnection, org_id: i64) -> sqlx::Result<Option<AgencySettings>> {
    let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT o.name, a.approval_limit_fen, a.credit_terms_days FROM agencies a JOIN organisations o ON o.id = a.org_id WHERE a.org_id = $1",
    )
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(name, limit, terms)| AgencySettings { org_id, name, approval_limit_fen: Fen::new(limit), credit_terms_days: terms }))
}

/// Releases order `id`, on credit terms, for fulfilment in the caller's
/// transaction: its lines are routed ([`crate::distribution::release_in`])
/// and it no longer has a deadline to lapse by — goods on their way are
/// not called back by the expiry sweep, and the buyer pays after
/// acceptance. Returns when it was released.
pub(super) async fn release_on_credit(tx: &mut Tx, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query("UPDATE orders SET pay_by = NULL, approve_by = NULL WHERE id = $1").bind(id).execute(&mut **tx).await?;
    crate::distribution::release_in(tx, id).await?;
    sqlx::query_scalar("SELECT released_at FROM orders WHERE id = $1").bind(id).fetch_one(&mut **tx).await
}

/// The day an order accepted on `accepted_on` (a China date) on credit
/// terms of `days` days must be paid by. Terms are 1 to 365 days, so this
/// never leaves the calendar.
pub fn due_on(accepted_on: time::Date, days: i64) -> time::Date {
    accepted_on.saturating_add(time::Duration::days(days))
}

/// The one rule of "overdue": an order with a due date (on credit terms,
/// accepted) still unpaid on a day after it. `today` is a China date.
pub fn is_overdue(due_on: Option<&str>, paid_at: Option<&str>, today: time::Date) -> bool {
    paid_at.is_none() && due_on.is_some_and(|d| d < crate::time::format_date(today).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_order_falls_due_its_terms_after_acceptance_and_is_overdue_only_from_the_next_day_if_unpaid() {
        assert_eq!(due_on(date!(2026 - 12 - 20), 30), date!(2027 - 01 - 19));
        let due = Some("2027-01-19");
        assert!(!is_overdue(due, None, date!(2027 - 01 - 19)), "the due date itself is still in time");
        assert!(is_overdue(due, None, date!(2027 - 01 - 20)));
        assert!(!is_overdue(due, Some("2027-01-21T02:00:00.000000Z"), date!(2027 - 01 - 30)), "paid late is paid");
        assert!(!is_overdue(None, None, date!(2030 - 01 - 01)), "no due date: not on terms, or not accepted yet");
    }

    #[test]
    fn credit_terms_are_one_day_to_a_year_or_none() {
        assert_eq!(check_credit_terms(None), Ok(None));
        assert_eq!(check_credit_terms(Some(1)), Ok(Some(1)));
        assert_eq!(check_credit_terms(Some(365)), Ok(Some(365)));
        for bad in [0, -1, 366, i64::MAX] {
            assert!(check_credit_terms(Some(bad)).is_err(), "{bad}");
        }
    }
}

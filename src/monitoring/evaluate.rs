//! Working colours out from the database and keeping them in step.
//!
//! [`evaluate_in`] takes households of one year in a batch: it locks their
//! rows (`FOR UPDATE` on PostgreSQL, in id order; SQLite's one writer does
//! the same), reads their figures with one query each — the ledger's
//! household income of the year and of last year, the declared other
//! income, the latest visit's findings, the colour stored so far — applies
//! [`super::rule::assess`], stores the colour and raises an alert where a
//! household turned orange or red. The lock makes two evaluations of one
//! household take turns, so the stored colour is always the later one's;
//! the alert is an `INSERT … ON CONFLICT DO NOTHING` against the unique
//! index of the open alert per household and year, so even without the
//! lock one turn raises one alert.
//!
//! Which evaluations raise alerts ([`Trigger`]): a *change* — a visit, a
//! ledger entry, a changed rule — compares the new colour with the stored
//! one (none stored counts as green) and raises an alert when it is orange
//! or red and worse than before. A *baseline* — the first evaluation of a
//! household in a year, done by the sweep — only stores the colour: a
//! household found red on the day monitoring starts (or on 1 January) has
//! not *turned* red, and the red list shows it; its later turns alert.
//!
//! The sweep ([`sweep`], every minute under the `monitoring.sweep` lease):
//! - ledger entries past a cursor (`meta` key `monitoring.ledger_seen`):
//!   their households are evaluated (a change) in the year of each entry's
//!   China `day` (a refund's is the refund's day);
//!   the cursor only moves past entries older than [`SETTLE_SECS`], since
//!   on PostgreSQL an entry with a lower id can commit after one with a
//!   higher id — entries younger than that are evaluated again next
//!   minute, which changes nothing when nothing changed;
//! - households past a cursor per year (`monitoring.baseline.<year>`), for
//!   this year and last: a baseline for each without a colour;
//! - once per process (the configuration is read at start), colours
//!   stored under another rule are worked out again (a change).

use super::Rules;
use super::rule::{Check, Colour, Figures, Reason, RiskFactor, assess, per_capita};
use crate::db::{Db, Tx};
use crate::money::Fen;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The lease of the minute's sweep.
pub const SWEEP_LEASE: &str = "monitoring.sweep";

/// Seconds after which a ledger entry or a household is taken as
/// committed for good: a transaction open longer than this when the sweep
/// passes may be missed by the cursors (then its household's next visit
/// or entry evaluates it).
pub const SETTLE_SECS: i64 = 600;

/// Most households evaluated in one transaction.
pub const BATCH: usize = 500;

/// Most ledger entries or households a sweep reads per cursor.
const SWEEP_ROWS: i64 = 5_000;

/// Why a household is evaluated, which decides whether it may alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The first colour of a household in a year: stored, never alerting;
    /// a household that has a colour already is left alone.
    Baseline,
    /// A visit, a ledger entry or a changed rule: alerts when the colour
    /// turned orange or red.
    Change,
}

/// What one evaluation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluated {
    /// The household.
    pub household_id: i64,
    /// Its colour now.
    pub colour: Colour,
    /// Its stored colour before, if any.
    pub previous: Option<Colour>,
    /// Why.
    pub reasons: Vec<Reason>,
    /// The alert raised now, if any.
    pub alert: Option<i64>,
}

/// Comma-separated codes, as stored.
pub(crate) fn join_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> String {
    codes.into_iter().collect::<Vec<_>>().join(",")
}

/// The reasons stored as codes.
pub(crate) fn reasons_text(reasons: &[Reason]) -> String {
    reasons.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

/// The reasons of stored codes (unknown ones dropped).
pub fn parse_reasons(text: &str) -> Vec<Reason> {
    text.split(',').filter(|s| !s.is_empty()).filter_map(Reason::parse).collect()
}

/// Evaluates households `ids` for `year` in transaction `tx`: locks them,
/// works their colours out, stores them, raises alerts as `trigger`
/// allows. Households that do not exist are skipped; a year without a
/// monitoring line evaluates nothing. At most [`BATCH`] households per
/// call is what callers give (any number works).
pub async fn evaluate_in(tx: &mut Tx, rules: &Rules, year: i32, ids: &[i64], trigger: Trigger) -> sqlx::Result<Vec<Evaluated>> {
    let Some(line) = rules.line(year) else { return Ok(Vec::new()) };
    let ids: BTreeSet<i64> = ids.iter().copied().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The ids are integers: safe to inline, and one statement per batch.
    let list = |ids: &BTreeSet<i64>| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let previous: HashMap<i64, Colour> = sqlx::query_as::<_, (i64, String)>(&format!(
        "SELECT household_id, colour FROM household_colours WHERE year = $1 AND household_id IN ({})",
        list(&ids)
    ))
    .bind(year as i64)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .filter_map(|(h, c)| Some((h, Colour::parse(&c)?)))
    .collect();
    let ids: BTreeSet<i64> = match trigger {
        Trigger::Baseline => ids.into_iter().filter(|h| !previous.contains_key(h)).collect(),
        Trigger::Change => ids,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids_sql = list(&ids);
    let households: Vec<(i64, String, i64)> =
        sqlx::query_as(&format!("SELECT id, village_code, size FROM households WHERE id IN ({ids_sql}) ORDER BY id{}", tx.for_update()))
            .fetch_all(&mut **tx)
            .await?;
    // The stored colour may have changed while this waited for the locks.
    let previous: HashMap<i64, Colour> = if tx.for_update().is_empty() {
        previous
    } else {
        sqlx::query_as::<_, (i64, String)>(&format!(
            "SELECT household_id, colour FROM household_colours WHERE year = $1 AND household_id IN ({ids_sql})"
        ))
        .bind(year as i64)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .filter_map(|(h, c)| Some((h, Colour::parse(&c)?)))
        .collect()
    };
    // The ledger's China day of each entry (when the money moved) decides
    // its year; (household_id, day) is indexed.
    // household → (income this year, income last year, entries last year)
    let ledger: HashMap<i64, (i64, i64, i64)> = sqlx::query_as::<_, (i64, i64, i64, i64)>(&format!(
        "SELECT household_id, \
                CAST(COALESCE(SUM(CASE WHEN day >= $2 THEN income_fen ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN day < $2 THEN income_fen ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN day < $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM attribution_entries WHERE household_id IN ({ids_sql}) AND day >= $1 AND day <= $3 GROUP BY household_id"
    ))
    .bind(format!("{:04}-01-01", year - 1))
    .bind(format!("{year:04}-01-01"))
    .bind(format!("{year:04}-12-31"))
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|(h, this, last, n)| (h, (this, last, n)))
    .collect();
    // household → (declared this year, declared last year)
    let mut declared: HashMap<i64, (Option<i64>, Option<i64>)> = HashMap::new();
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT household_id, year, other_income_fen FROM household_incomes WHERE household_id IN ({ids_sql}) AND year IN ($1, $2)"
    ))
    .bind(year as i64)
    .bind(year as i64 - 1)
    .fetch_all(&mut **tx)
    .await?;
    for (h, y, fen) in rows {
        let e = declared.entry(h).or_default();
        if y == year as i64 { e.0 = Some(fen) } else { e.1 = Some(fen) }
    }
    // The latest visit of the year: latest date, then latest recorded.
    let visits: HashMap<i64, (String, String)> = sqlx::query_as::<_, (i64, String, String)>(&format!(
        "SELECT v.household_id, v.risk_factors, v.failed_checks FROM household_visits v \
         WHERE v.household_id IN ({ids_sql}) AND v.year = $1 AND NOT EXISTS ( \
           SELECT 1 FROM household_visits w WHERE w.household_id = v.household_id AND w.year = v.year \
             AND (w.visited_on > v.visited_on OR (w.visited_on = v.visited_on AND w.id > v.id)))"
    ))
    .bind(year as i64)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|(h, f, c)| (h, (f, c)))
    .collect();

    let fingerprint = rules.fingerprint(year);
    let now = crate::time::now();
    let mut out = Vec::with_capacity(households.len());
    // In village order: each colour written updates its village's counts
    // (migration 0019's trigger), and two evaluations must take those rows
    // in one order (the households themselves are locked above, by id).
    let mut households = households;
    households.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
    for (id, village, size) in households {
        let (income, last_income, last_entries) = ledger.get(&id).copied().unwrap_or((0, 0, 0));
        let (other, last_other) = declared.get(&id).copied().unwrap_or((None, None));
        let last_year_total = (last_entries > 0 || last_other.is_some()).then(|| Fen::new(last_income + last_other.unwrap_or(0)));
        let (factors, failed_checks) = match visits.get(&id) {
            Some((f, c)) => {
                (f.split(',').filter_map(RiskFactor::parse).collect::<Vec<_>>(), c.split(',').filter_map(Check::parse).collect::<Vec<_>>())
            }
            None => (Vec::new(), Vec::new()),
        };
        let figures =
            Figures { income: Fen::new(income), other_income: Fen::new(other.unwrap_or(0)), last_year_total, size, factors, failed_checks };
        let a = assess(line, &rules.thresholds, &figures);
        let reasons = reasons_text(&a.reasons);
        sqlx::query(
            "INSERT INTO household_colours (household_id, year, village_code, colour, reasons, income_fen, other_income_fen, size, \
                                            per_capita_fen, rule, evaluated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (household_id, year) DO UPDATE SET village_code = excluded.village_code, colour = excluded.colour, \
               reasons = excluded.reasons, income_fen = excluded.income_fen, other_income_fen = excluded.other_income_fen, \
               size = excluded.size, per_capita_fen = excluded.per_capita_fen, rule = excluded.rule, evaluated_at = excluded.evaluated_at",
        )
        .bind(id)
        .bind(year as i64)
        .bind(&village)
        .bind(a.colour.as_str())
        .bind(&reasons)
        .bind(income)
        .bind(other.unwrap_or(0))
        .bind(size)
        .bind(per_capita(Fen::new(income), Fen::new(other.unwrap_or(0)), size).get())
        .bind(&fingerprint)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let before = previous.get(&id).copied();
        let turned = trigger == Trigger::Change && a.colour.alarming() && a.colour > before.unwrap_or(Colour::Green);
        let alert = if turned { raise(tx, id, year, &village, a.colour, before, &reasons, &now).await? } else { None };
        out.push(Evaluated { household_id: id, colour: a.colour, previous: before, reasons: a.reasons, alert });
    }
    Ok(out)
}

/// Raises an alert for a household that turned `colour`, unless one is
/// open for it this year; an open orange alert of a household now red
/// becomes red. The id of the alert raised, if one was.
#[allow(clippy::too_many_arguments)]
async fn raise(
    tx: &mut Tx,
    household: i64,
    year: i32,
    village: &str,
    colour: Colour,
    previous: Option<Colour>,
    reasons: &str,
    now: &str,
) -> sqlx::Result<Option<i64>> {
    // No conflict target: the only unique index that can conflict is the
    // partial one of the open alert, and both engines accept the bare form.
    let raised: Option<i64> = sqlx::query_scalar(
        "INSERT INTO monitoring_alerts (household_id, year, village_code, colour, previous_colour, reasons, raised_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(household)
    .bind(year as i64)
    .bind(village)
    .bind(colour.as_str())
    .bind(previous.map(Colour::as_str))
    .bind(reasons)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if raised.is_none() && colour == Colour::Red {
        sqlx::query(
            "UPDATE monitoring_alerts SET colour = 'red', reasons = $3 \
             WHERE household_id = $1 AND year = $2 AND acknowledged_at IS NULL AND colour = 'orange'",
        )
        .bind(household)
        .bind(year as i64)
        .bind(reasons)
        .execute(&mut **tx)
        .await?;
    }
    if let Some(id) = raised {
        tracing::info!(alert.id = id, household.id = household, colour = colour.as_str(), year, "monitoring alert raised");
    }
    Ok(raised)
}

/// Evaluates `ids` for `year` in transactions of [`BATCH`] households.
async fn evaluate_batches(db: &Db, rules: &Rules, year: i32, ids: &[i64], trigger: Trigger) -> sqlx::Result<Vec<Evaluated>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(BATCH) {
        let mut tx = db.begin_write().await?;
        out.extend(evaluate_in(&mut tx, rules, year, chunk, trigger).await?);
        tx.commit().await?;
    }
    Ok(out)
}

/// What one [`sweep`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// Households evaluated (changes and baselines).
    pub evaluated: usize,
    /// Alerts raised.
    pub alerts: usize,
}

impl Swept {
    fn add(&mut self, done: &[Evaluated]) {
        self.evaluated += done.len();
        self.alerts += done.iter().filter(|e| e.alert.is_some()).count();
    }
}

/// Set once this process has found no colour stored under another rule.
static RULE_CHECKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The minute's monitoring work, done by whichever instance holds the
/// lease (nothing when another does); see the module's comment.
pub async fn sweep(db: &Db, rules: &Rules, holder: &str) -> sqlx::Result<Swept> {
    if !crate::jobs::claim(db, SWEEP_LEASE, holder, 55).await? {
        return Ok(Swept::default());
    }
    let mut swept = Swept::default();
    let settled = crate::time::in_seconds(-SETTLE_SECS);
    let this_year = crate::time::china_today().year();

    // 1. Households whose ledger entries changed.
    let seen: i64 = db.meta("monitoring.ledger_seen").await?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let entries: Vec<(i64, i64, String, String)> =
        sqlx::query_as("SELECT id, household_id, created_at, day FROM attribution_entries WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(seen)
            .bind(SWEEP_ROWS)
            .fetch_all(db.pool())
            .await?;
    let mut by_year: BTreeMap<i32, BTreeSet<i64>> = BTreeMap::new();
    for (_, household, _, day) in &entries {
        if let Some(y) = day.get(..4).and_then(|y| y.parse().ok()) {
            by_year.entry(y).or_default().insert(*household);
        }
    }
    for (year, households) in by_year {
        let ids: Vec<i64> = households.into_iter().collect();
        swept.add(&evaluate_batches(db, rules, year, &ids, Trigger::Change).await?);
    }
    let advanced = entries.iter().take_while(|(_, _, at, _)| *at < settled).last().map(|(id, _, _, _)| *id);
    if let Some(to) = advanced {
        let mut tx = db.begin_write().await?;
        crate::db::set_meta(&mut tx, "monitoring.ledger_seen", &to.to_string()).await?;
        tx.commit().await?;
    }

    // 2. Baselines of this year and last.
    for year in [this_year, this_year - 1] {
        if rules.line(year).is_none() {
            continue;
        }
        let key = format!("monitoring.baseline.{year}");
        let from: i64 = db.meta(&key).await?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, created_at FROM households WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(from)
            .bind(SWEEP_ROWS)
            .fetch_all(db.pool())
            .await?;
        let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        swept.add(&evaluate_batches(db, rules, year, &ids, Trigger::Baseline).await?);
        if let Some(to) = rows.iter().take_while(|(_, at)| *at < settled).last().map(|(id, _)| *id) {
            let mut tx = db.begin_write().await?;
            crate::db::set_meta(&mut tx, &key, &to.to_string()).await?;
            tx.commit().await?;
        }
    }

    // 3. Colours stored under another rule (the configuration changed).
    if !RULE_CHECKED.load(std::sync::atomic::Ordering::Relaxed) {
        let mut stale = false;
        for year in [this_year, this_year - 1] {
            let ids: Vec<i64> = sqlx::query_scalar("SELECT household_id FROM household_colours WHERE year = $1 AND rule <> $2 LIMIT $3")
                .bind(year as i64)
                .bind(rules.fingerprint(year))
                .bind(SWEEP_ROWS)
                .fetch_all(db.pool())
                .await?;
            stale |= !ids.is_empty();
            swept.add(&evaluate_batches(db, rules, year, &ids, Trigger::Change).await?);
        }
        if !stale {
            RULE_CHECKED.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    Ok(swept)
}

/// Evaluates every household for `year` (a baseline: no alerts) and moves
/// the sweep's cursors past everything there is now — for a bulk load
/// (`zhunong demo --scale`), after which the sweep has nothing to catch up
/// on. Returns the households evaluated.
pub async fn evaluate_all(db: &Db, rules: &Rules, year: i32) -> sqlx::Result<usize> {
    let mut done = 0;
    let mut after = 0i64;
    loop {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM households WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(BATCH as i64)
            .fetch_all(db.pool())
            .await?;
        let Some(last) = ids.last().copied() else { break };
        done += evaluate_batches(db, rules, year, &ids, Trigger::Baseline).await?.len();
        after = last;
    }
    let entries: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM attribution_entries").fetch_one(db.pool()).await?;
    let mut tx = db.begin_write().await?;
    crate::db::set_meta(&mut tx, "monitoring.ledger_seen", &entries.to_string()).await?;
    crate::db::set_meta(&mut tx, &format!("monitoring.baseline.{year}"), &after.to_string()).await?;
    tx.commit().await?;
    Ok(done)
}

//! Recording a visit (走访) of a household by an official of its region:
//! the declared other income, the risk factors found and the 两不愁三保障
//! checks. Visits are only ever inserted — the rows are the audit of who
//! recorded what, when. The latest visit of a year (by its date, then by
//! when it was recorded) sets the year's declared other income
//! (`household_incomes`), and the household's colour is worked out again
//! in the same transaction, raising an alert if it turned orange or red.

use super::Rules;
use super::evaluate::{Trigger, evaluate_in, join_codes};
use super::rule::{Check, Colour, RiskFactor};
use crate::auth::Actor;
use crate::db::{Db, Tx};
use crate::money::Fen;
use crate::regions::RegionCode;
use crate::validation::{FieldErrors, Problem};
use serde::{Deserialize, Serialize};

/// The earliest year a visit may be dated in.
pub const FIRST_YEAR: i32 = 2000;

/// Most declared other income of a year, in fen (one million yuan).
pub const MAX_OTHER_INCOME_FEN: i64 = 100_000_000;

/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// The 两不愁三保障 checks of a visit: `true` when the household has it
/// (不愁吃 …), `false` when the check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VisitChecks {
    /// 不愁吃
    pub food: bool,
    /// 不愁穿
    pub clothing: bool,
    /// 义务教育有保障
    pub schooling: bool,
    /// 基本医疗有保障
    pub medical: bool,
    /// 住房安全有保障
    pub housing: bool,
    /// 饮水安全有保障
    pub water: bool,
}

impl VisitChecks {
    /// Every check passed.
    pub const PASSED: VisitChecks = VisitChecks { food: true, clothing: true, schooling: true, medical: true, housing: true, water: true };

    /// The checks that failed, in the order of [`Check::ALL`].
    pub fn failed(&self) -> Vec<Check> {
        Check::ALL.iter().copied().filter(|c| !self.passed(*c)).collect()
    }

    /// Whether check `c` passed.
    pub fn passed(&self, c: Check) -> bool {
        match c {
            Check::Food => self.food,
            Check::Clothing => self.clothing,
            Check::Schooling => self.schooling,
            Check::Medical => self.medical,
            Check::Housing => self.housing,
            Check::Water => self.water,
        }
    }

    /// The checks with `failed` failed and the others passed.
    pub fn with_failed(failed: &[Check]) -> VisitChecks {
        let mut v = VisitChecks::PASSED;
        for c in failed {
            match c {
                Check::Food => v.food = false,
                Check::Clothing => v.clothing = false,
                Check::Schooling => v.schooling = false,
                Check::Medical => v.medical = false,
                Check::Housing => v.housing = false,
                Check::Water => v.water = false,
            }
        }
        v
    }
}

/// A visit as the API and the form send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    /// The day of the visit, `YYYY-MM-DD`, China time.
    pub visited_on: String,
    /// Declared other income of the year (wages, pensions, subsidies …).
    pub other_income_fen: i64,
    /// Risk factors found: illness, schooling, disability, disaster,
    /// unemployment, marriage, accident.
    #[serde(default)]
    pub risk_factors: Vec<String>,
    /// The 两不愁三保障 checks.
    pub checks: VisitChecks,
    /// What the official noted.
    #[serde(default)]
    pub note: String,
}

/// A visit whose every field is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedVisit {
    /// The day of the visit.
    pub visited_on: time::Date,
    /// Declared other income of the year.
    pub other_income: Fen,
    /// Risk factors found, each once.
    pub factors: Vec<RiskFactor>,
    /// Checks that failed.
    pub failed: Vec<Check>,
    /// The note, trimmed.
    pub note: String,
}

impl NewVisit {
    /// Checks every field against its stated limit; `today` is China's.
    pub(crate) fn check(&self, today: time::Date) -> Result<CheckedVisit, FieldErrors> {
        let mut errors = FieldErrors::default();
        let visited_on = match crate::time::parse_date(self.visited_on.trim()) {
            Some(d) if d.year() >= FIRST_YEAR && d <= today => Some(d),
            _ => {
                errors.add("visited_on", Problem::VisitDate { from: FIRST_YEAR as i64 });
                None
            }
        };
        if !(0..=MAX_OTHER_INCOME_FEN).contains(&self.other_income_fen) {
            errors.add("other_income_fen", Problem::OtherIncome { max_yuan: MAX_OTHER_INCOME_FEN / 100 });
        }
        let mut factors = Vec::new();
        if self.risk_factors.len() > RiskFactor::ALL.len() {
            errors.add("risk_factors", Problem::TooManyRiskFactors { max: RiskFactor::ALL.len() as i64 });
        } else {
            for (i, text) in self.risk_factors.iter().enumerate() {
                match RiskFactor::parse_any(text) {
                    Some(f) if !factors.contains(&f) => factors.push(f),
                    Some(_) => errors.add(format!("risk_factors[{i}]"), Problem::TooManyRiskFactors { max: RiskFactor::ALL.len() as i64 }),
                    None => errors.add(format!("risk_factors[{i}]"), Problem::UnknownRiskFactor { text: quoted(text) }),
                }
            }
        }
        factors.sort();
        let note = self.note.trim().to_owned();
        if note.chars().count() > MAX_NOTE_CHARS {
            errors.add("note", Problem::TooLong { max: MAX_NOTE_CHARS as i64 });
        } else if note.chars().any(crate::validation::forbidden_char) {
            errors.add("note", Problem::ForbiddenChars);
        }
        errors.into_result()?;
        Ok(CheckedVisit {
            visited_on: visited_on.expect("checked"),
            other_income: Fen::new(self.other_income_fen),
            factors,
            failed: self.checks.failed(),
            note,
        })
    }
}

/// A text as a message quotes it: at most 40 characters.
pub(crate) fn quoted(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}…", &text[..end]),
    }
}

/// How a visit reached the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The form or the API, one visit.
    Form,
    /// A file of visits.
    Import,
}

/// A recorded visit and what it made of the household's colour.
#[derive(Debug, Clone, Serialize)]
pub struct Visit {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// The household's pseudonymous code.
    pub household_code: String,
    /// The day of the visit.
    pub visited_on: String,
    /// Declared other income of the year.
    pub other_income_fen: Fen,
    /// Risk factors found.
    pub risk_factors: Vec<RiskFactor>,
    /// The checks.
    pub checks: VisitChecks,
    /// The official's note.
    pub note: String,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    /// The household's colour in the visit's year afterwards (none for a
    /// year without a monitoring line).
    pub colour: Option<Colour>,
    /// Why, as codes.
    pub reasons: Vec<String>,
    /// Whether this visit raised an alert.
    pub alert_raised: bool,
}

/// Why a visit was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    /// Not an official.
    #[error("only officials of the household's region record visits")]
    Forbidden,
    /// No such household in the official's region.
    #[error("household not found")]
    NotFound,
    /// Fields with problems.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Records a visit of household `household_id` by `actor`, an official
/// whose region holds the household's village; works the household's
/// colour out again in the same transaction.
pub async fn record_visit(db: &Db, rules: &Rules, actor: &Actor, household_id: i64, visit: &NewVisit) -> Result<Visit, VisitError> {
    let region = actor.official_region().ok_or(VisitError::Forbidden)?;
    let checked = visit.check(crate::time::china_today()).map_err(VisitError::Invalid)?;
    let mut tx = db.begin_write().await?;
    let Some((code, village)) = lock_household(&mut tx, household_id).await? else { return Err(VisitError::NotFound) };
    if !RegionCode::parse(&village).is_ok_and(|v| region.contains(v)) {
        return Err(VisitError::NotFound);
    }
    let recorded = record_in(&mut tx, rules, actor.id, household_id, &village, &checked, Source::Form).await?;
    tx.commit().await?;
    tracing::info!(visit.id = recorded.0, household.id = household_id, user.id = actor.id, "visit recorded");
    let (id, recorded_at, evaluated) = recorded;
    Ok(Visit {
        id,
        household_code: code,
        visited_on: crate::time::format_date(checked.visited_on),
        other_income_fen: checked.other_income,
        risk_factors: checked.factors,
        checks: VisitChecks::with_failed(&checked.failed),
        note: checked.note,
        recorded_at,
        colour: evaluated.as_ref().map(|e| e.colour),
        reasons: evaluated.as_ref().map(|e| e.reasons.iter().map(|r| r.code()).collect()).unwrap_or_default(),
        alert_raised: evaluated.is_some_and(|e| e.alert.is_some()),
    })
}

/// Locks household `id` for this transaction; its code and village.
pub(crate) async fn lock_household(tx: &mut Tx, id: i64) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(&format!("SELECT code, village_code FROM households WHERE id = $1{}", tx.for_update()))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Inserts a checked visit, sets the year's declared other income from
/// the year's latest visit and evaluates the household (a change). The
/// caller holds the household's row lock. Returns the visit's id, when it
/// was recorded and the evaluation.
pub(crate) async fn record_in(
    tx: &mut Tx,
    rules: &Rules,
    user: i64,
    household: i64,
    village: &str,
    v: &CheckedVisit,
    source: Source,
) -> sqlx::Result<(i64, String, Option<super::Evaluated>)> {
    let now = crate::time::now();
    let year = v.visited_on.year();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO household_visits (household_id, village_code, visited_on, year, other_income_fen, risk_factors, failed_checks, \
                                       note, source, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(household)
    .bind(village)
    .bind(crate::time::format_date(v.visited_on))
    .bind(year as i64)
    .bind(v.other_income.get())
    .bind(join_codes(v.factors.iter().map(|f| f.as_str())))
    .bind(join_codes(v.failed.iter().map(|c| c.as_str())))
    .bind(&v.note)
    .bind(match source {
        Source::Form => "form",
        Source::Import => "import",
    })
    .bind(user)
    .bind(&now)
    .fetch_one(&mut **tx)
    .await?;
    // The year's declared income is the latest visit's — which need not be
    // this one (a visit may be recorded days after a later-dated one).
    let latest: i64 = sqlx::query_scalar(
        "SELECT other_income_fen FROM household_visits WHERE household_id = $1 AND year = $2 ORDER BY visited_on DESC, id DESC LIMIT 1",
    )
    .bind(household)
    .bind(year as i64)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO household_incomes (household_id, year, other_income_fen) VALUES ($1, $2, $3) \
         ON CONFLICT (household_id, year) DO UPDATE SET other_income_fen = excluded.other_income_fen",
    )
    .bind(household)
    .bind(year as i64)
    .bind(latest)
    .execute(&mut **tx)
    .await?;
    let evaluated = evaluate_in(tx, rules, year, &[household], Trigger::Change).await?.pop();
    Ok((id, now, evaluated))
}

/// One visit in a household's history.
#[derive(Debug, Clone, Serialize)]
pub struct PastVisit {
    /// The day of the visit.
    pub visited_on: String,
    /// Declared other income of the year.
    pub other_income_fen: Fen,
    /// Risk factors found.
    pub risk_factors: Vec<RiskFactor>,
    /// Checks that failed.
    pub failed_checks: Vec<Check>,
    /// The note.
    pub note: String,
    /// Who recorded it (display name).
    pub recorded_by: String,
    /// When (stored RFC 3339, UTC).
    pub recorded_at: String,
}

/// The latest `limit` visits of household `household`, newest first. The
/// caller has checked that the viewer may see the household's visits.
pub async fn recent_visits(db: &Db, household: i64, limit: i64) -> sqlx::Result<Vec<PastVisit>> {
    let rows: Vec<(String, i64, String, String, String, String, String)> = sqlx::query_as(
        "SELECT v.visited_on, v.other_income_fen, v.risk_factors, v.failed_checks, v.note, u.display_name, v.recorded_at \
         FROM household_visits v JOIN users u ON u.id = v.recorded_by WHERE v.household_id = $1 \
         ORDER BY v.visited_on DESC, v.id DESC LIMIT $2",
    )
    .bind(household)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(visited_on, income, factors, checks, note, by, at)| PastVisit {
            visited_on,
            other_income_fen: Fen::new(income),
            risk_factors: factors.split(',').filter_map(RiskFactor::parse).collect(),
            failed_checks: checks.split(',').filter_map(Check::parse).collect(),
            note,
            recorded_by: by,
            recorded_at: at,
        })
        .collect())
}

/// A household an official may visit: its code, village and the colour
/// of `year`, or `None` when it is not in `region` (or does not exist).
pub async fn household_in_region(
    db: &Db,
    region: RegionCode,
    household: i64,
    year: i32,
) -> sqlx::Result<Option<(String, String, i64, Option<Colour>)>> {
    let row: Option<(String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT h.code, h.village_code, h.size, c.colour FROM households h \
         LEFT JOIN household_colours c ON c.household_id = h.id AND c.year = $2 WHERE h.id = $1",
    )
    .bind(household)
    .bind(year as i64)
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .filter(|(_, village, _, _)| RegionCode::parse(village).is_ok_and(|v| region.contains(v)))
        .map(|(code, village, size, colour)| (code, village, size, colour.as_deref().and_then(Colour::parse))))
}

/// The id of the household with code `code` in `region`, if any.
pub async fn household_by_code(db: &Db, region: RegionCode, code: &str) -> sqlx::Result<Option<i64>> {
    let (lo, hi) = super::code_range(Some(region));
    sqlx::query_scalar("SELECT id FROM households WHERE code = $1 AND village_code BETWEEN $2 AND $3")
        .bind(code.trim().to_uppercase())
        .bind(lo)
        .bind(hi)
        .fetch_optional(db.pool())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit() -> NewVisit {
        NewVisit {
            visited_on: "2026-03-02".into(),
            other_income_fen: 1_200_000,
            risk_factors: vec!["illness".into(), "因学".into()],
            checks: VisitChecks { water: false, ..VisitChecks::PASSED },
            note: "  家中老人住院  ".into(),
        }
    }

    #[test]
    fn a_good_visit_is_checked_into_its_typed_parts() {
        let today = time::macros::date!(2026 - 03 - 09);
        let v = visit().check(today).unwrap();
        assert_eq!(v.factors, vec![RiskFactor::Illness, RiskFactor::Schooling]);
        assert_eq!(v.failed, vec![Check::Water]);
        assert_eq!(v.note, "家中老人住院");
    }

    #[test]
    fn every_bad_field_is_named() {
        let today = time::macros::date!(2026 - 03 - 09);
        let codes = |v: NewVisit| v.check(today).unwrap_err().0.iter().map(|e| (e.field.clone(), e.problem.code())).collect::<Vec<_>>();
        assert_eq!(codes(NewVisit { visited_on: "2026-03-10".into(), ..visit() }), [("visited_on".into(), "visit_date")]);
        assert_eq!(codes(NewVisit { visited_on: "1999-12-31".into(), ..visit() }), [("visited_on".into(), "visit_date")]);
        assert_eq!(codes(NewVisit { visited_on: "2026-02-30".into(), ..visit() }), [("visited_on".into(), "visit_date")]);
        assert_eq!(codes(NewVisit { other_income_fen: 100_000_001, ..visit() }), [("other_income_fen".into(), "other_income")]);
        assert_eq!(codes(NewVisit { other_income_fen: -1, ..visit() }), [("other_income_fen".into(), "other_income")]);
        assert_eq!(codes(NewVisit { note: "话".repeat(501), ..visit() }), [("note".into(), "too_long")]);
        let unknown = NewVisit { risk_factors: vec!["illness".into(), "laziness".into()], ..visit() }.check(today).unwrap_err();
        assert_eq!(unknown.0[0].field, "risk_factors[1]");
        assert!(unknown.0[0].message().contains("\"laziness\""), "{}", unknown.0[0].message());
        assert!(NewVisit { note: "话".repeat(500), other_income_fen: 100_000_000, ..visit() }.check(today).is_ok());
    }
}

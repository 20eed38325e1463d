//! The period a report covers: `from` and `to`, China calendar dates, both
//! included. Reports over whole months read the monthly totals kept beside
//! the ledger; any other range reads the ledger itself by its China date.
//! Both sources have the same columns, so a report's SQL is written once
//! and only its `FROM … ON …` differs; `zhunong verify` and the property
//! tests check that the two agree.

use crate::validation::{FieldErrors, Problem};
use time::{Date, Month};

/// The longest period a report covers, in days (ten years): bounds the
/// months a `by=month` report lists.
pub const MAX_DAYS: i64 = 3_660;

/// A period of China dates, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

fn first_of(year: i32, month: Month) -> Date {
    Date::from_calendar_date(year, month, 1).expect("the first of a month exists")
}

fn ymd(d: Date) -> String {
    crate::time::format_date(d)
}

impl Period {
    /// The calendar year `year`.
    pub fn year(year: i32) -> Period {
        Period { from: first_of(year, Month::January), to: first_of(year, Month::December).replace_day(31).expect("31 December") }
    }

    /// Reads `from` and `to` (`YYYY-MM-DD`); either may be left out: the
    /// default is this China year, and one end alone runs to the end (or
    /// from the start) of its year. Problems go to `errors` under the
    /// field's name.
    pub fn parse(from: Option<&str>, to: Option<&str>, errors: &mut FieldErrors) -> Option<Period> {
        let mut date = |field: &str, text: Option<&str>| -> Result<Option<Date>, ()> {
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(t) => match crate::time::parse_date(t) {
                    Some(d) if (2000..=2100).contains(&d.year()) => Ok(Some(d)),
                    Some(_) => {
                        errors.add(field, Problem::DateBetween { from: 2000, to: 2100 });
                        Err(())
                    }
                    None => {
                        errors.add(field, Problem::Date);
                        Err(())
                    }
                },
            }
        };
        let (from, to) = (date("from", from), date("to", to));
        let (Ok(from), Ok(to)) = (from, to) else { return None };
        let this_year = Period::year(crate::time::china_today().year());
        let period = match (from, to) {
            (None, None) => this_year,
            (Some(f), None) => Period { from: f, to: Period::year(f.year()).to },
            (None, Some(t)) => Period { from: Period::year(t.year()).from, to: t },
            (Some(f), Some(t)) => Period { from: f, to: t },
        };
        if period.to < period.from {
            errors.add("to", Problem::PeriodOrder);
            return None;
        }
        if (period.to - period.from).whole_days() >= MAX_DAYS {
            errors.add("to", Problem::PeriodTooLong { years: MAX_DAYS / 366 });
            return None;
        }
        Some(period)
    }

    /// True when the period starts on the first of a month and ends on
    /// the last day of one: the monthly totals cover it exactly.
    pub fn whole_months(&self) -> bool {
        self.from.day() == 1 && self.to.next_day().is_some_and(|d| d.day() == 1)
    }

    /// `YYYY-MM` of the first and last month touched.
    pub fn month_range(&self) -> (String, String) {
        (ymd(self.from)[..7].to_owned(), ymd(self.to)[..7].to_owned())
    }

    /// Every month touched, `YYYY-MM`, first to last.
    pub fn months(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut d = first_of(self.from.year(), self.from.month());
        while d <= self.to {
            out.push(ymd(d)[..7].to_owned());
            d = match d.month() {
                Month::December => first_of(d.year() + 1, Month::January),
                m => first_of(d.year(), m.next()),
            };
        }
        out
    }

    /// The stored moments (UTC text) this period covers, as `[start, end)`:
    /// China midnight of `from` to China midnight after `to`.
    pub fn utc_bounds(&self) -> (String, String) {
        let china = time::UtcOffset::from_hms(8, 0, 0).expect("UTC+8");
        let start = self.from.midnight().assume_offset(china);
        let end = self.to.next_day().unwrap_or(self.to).midnight().assume_offset(china);
        (crate::time::timestamp(start), crate::time::timestamp(end))
    }

    /// `table alias ON condition` for joining the per-household rows of
    /// this period (columns: month, household_id, village_code,
    /// household_status, cooperative_id, gross_fen, income_fen) as
    /// `alias`; `on` is the caller's join condition. The dates are ours,
    /// checked and formatted, so they are written into the SQL.
    pub fn household_rows(&self, alias: &str) -> String {
        self.rows("ledger_household_months", alias)
    }

    /// Like [`Period::household_rows`] for the per-village rows (columns:
    /// month, village_code, household_status, cooperative_id,
    /// buyer_org_id, buyer_kind, gross_fen, income_fen).
    pub fn region_rows(&self, alias: &str) -> String {
        self.rows("ledger_region_months", alias)
    }

    /// Like [`Period::household_rows`] for the per-village rows (columns:
    /// month, village_code, household_status, gross_fen, income_fen).
    pub fn village_rows(&self, alias: &str) -> String {
        self.rows("ledger_village_months", alias)
    }

    /// The year (`YYYY`) when the period is exactly one calendar year:
    /// then the per-household yearly totals cover it.
    pub fn calendar_year(&self) -> Option<String> {
        (*self == Period::year(self.from.year())).then(|| format!("{:04}", self.from.year()))
    }

    fn rows(&self, totals: &str, alias: &str) -> String {
        if self.whole_months() {
            let (a, b) = self.month_range();
            format!("{totals} {alias} WHERE {alias}.month >= '{a}' AND {alias}.month <= '{b}'")
        } else {
            format!("attribution_entries {alias} WHERE {alias}.day >= '{}' AND {alias}.day <= '{}'", ymd(self.from), ymd(self.to))
        }
    }

    /// The condition alone (for joins: `… JOIN table alias ON … AND cond`),
    /// and the table it applies to.
    pub fn household_join(&self, alias: &str) -> (String, String) {
        self.join("ledger_household_months", alias)
    }

    fn join(&self, totals: &str, alias: &str) -> (String, String) {
        if self.whole_months() {
            let (a, b) = self.month_range();
            (totals.to_owned(), format!("{alias}.month >= '{a}' AND {alias}.month <= '{b}'"))
        } else {
            ("attribution_entries".to_owned(), format!("{alias}.day >= '{}' AND {alias}.day <= '{}'", ymd(self.from), ymd(self.to)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(from: &str, to: &str) -> Result<Period, Vec<String>> {
        let mut errors = FieldErrors::default();
        Period::parse(Some(from), Some(to), &mut errors).ok_or_else(|| errors.0.iter().map(|e| e.problem.code().to_owned()).collect())
    }

    #[test]
    fn whole_months_read_the_totals_and_other_ranges_the_ledger() {
        let year = period("2026-01-01", "2026-12-31").unwrap();
        assert!(year.whole_months());
        assert!(year.household_rows("t").starts_with("ledger_household_months t WHERE t.month >= '2026-01' AND t.month <= '2026-12'"));
        let february = period("2024-02-01", "2024-02-29").unwrap();
        assert!(february.whole_months(), "a leap February ends on the 29th");
        let part = period("2026-03-02", "2026-03-31").unwrap();
        assert!(!part.whole_months());
        assert_eq!(part.region_rows("r"), "attribution_entries r WHERE r.day >= '2026-03-02' AND r.day <= '2026-03-31'");
    }

    #[test]
    fn months_are_listed_across_a_new_year() {
        assert_eq!(period("2025-11-15", "2026-02-01").unwrap().months(), ["2025-11", "2025-12", "2026-01", "2026-02"]);
    }

    #[test]
    fn a_china_day_starts_at_sixteen_hundred_utc_the_day_before() {
        let p = period("2026-01-01", "2026-01-31").unwrap();
        assert_eq!(p.utc_bounds(), ("2025-12-31T16:00:00.000000Z".to_owned(), "2026-01-31T16:00:00.000000Z".to_owned()));
    }

    #[test]
    fn bad_periods_are_refused_with_the_field_named() {
        assert_eq!(period("2026-13-01", "2026-12-31").unwrap_err(), ["date"]);
        assert_eq!(period("2026-05-01", "2026-04-30").unwrap_err(), ["period_order"]);
        assert_eq!(period("2001-01-01", "2026-01-01").unwrap_err(), ["period_too_long"]);
        assert_eq!(period("1999-01-01", "2000-01-01").unwrap_err(), ["date_between"]);
    }

    #[test]
    fn one_end_alone_runs_within_its_year() {
        let mut errors = FieldErrors::default();
        let p = Period::parse(Some("2025-06-01"), None, &mut errors).unwrap();
        assert_eq!((ymd(p.from), ymd(p.to)), ("2025-06-01".to_owned(), "2025-12-31".to_owned()));
    }
}

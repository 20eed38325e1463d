//! The colour rule of DESIGN.md ("Monitoring") as a pure function: the
//! figures of one household and year in, its colour and the reasons out.
//! No database, no clock — so every boundary is a unit test.
//!
//! Arithmetic is exact: per-capita income is never divided out. "Below the
//! line" is `total < line × size`; "within 10 % above" is
//! `total × 100 ≤ line × size × 110`; a drop of more than 30 % is
//! `total × 100 < last_total × 70` (the household's size is the same on
//! both sides, so it cancels). All in `i128`, so no sum of `i64` fen can
//! overflow.

use crate::money::Fen;
use serde::Serialize;

/// A household's monitoring colour (监测预警), best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// Safely above the line.
    Green,
    /// Within the yellow band above the line.
    Yellow,
    /// Just above the line, or at risk by a visit's findings.
    Orange,
    /// Below the line.
    Red,
}

named_enum!(Colour { Green => "green", Yellow => "yellow", Orange => "orange", Red => "red" });

impl Colour {
    /// One step worse (red stays red).
    pub fn worse(self) -> Colour {
        match self {
            Colour::Green => Colour::Yellow,
            Colour::Yellow => Colour::Orange,
            Colour::Orange | Colour::Red => Colour::Red,
        }
    }

    /// True for the colours that raise an alert: orange and red.
    pub fn alarming(self) -> bool {
        self >= Colour::Orange
    }
}

/// A risk factor a visit may find (致贫返贫风险).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskFactor {
    /// 因病
    Illness,
    /// 因学
    Schooling,
    /// 因残
    Disability,
    /// 因灾
    Disaster,
    /// 因失业
    Unemployment,
    /// 因婚变
    Marriage,
    /// 因意外
    Accident,
}

named_enum!(RiskFactor { Illness => "illness", Schooling => "schooling", Disability => "disability", Disaster => "disaster", Unemployment => "unemployment", Marriage => "marriage", Accident => "accident" });

impl RiskFactor {
    /// The factor from its code or its Chinese name as the prefectures'
    /// forms write it (因病, or 病 alone).
    pub fn parse_any(s: &str) -> Option<RiskFactor> {
        let s = s.trim();
        if let Some(f) = RiskFactor::parse(&s.to_lowercase()) {
            return Some(f);
        }
        let s = s.strip_prefix('因').unwrap_or(s);
        Some(match s {
            "病" => RiskFactor::Illness,
            "学" => RiskFactor::Schooling,
            "残" => RiskFactor::Disability,
            "灾" => RiskFactor::Disaster,
            "失业" => RiskFactor::Unemployment,
            "婚变" => RiskFactor::Marriage,
            "意外" => RiskFactor::Accident,
            _ => return None,
        })
    }
}

/// One of the 两不愁三保障 checks (不愁吃、不愁穿，义务教育、基本医疗、
/// 住房安全有保障, and 饮水安全).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// 不愁吃
    Food,
    /// 不愁穿
    Clothing,
    /// 义务教育有保障
    Schooling,
    /// 基本医疗有保障
    Medical,
    /// 住房安全有保障
    Housing,
    /// 饮水安全有保障
    Water,
}

named_enum!(Check { Food => "food", Clothing => "clothing", Schooling => "schooling", Medical => "medical", Housing => "housing", Water => "water" });

impl Check {
    /// The check from its code or its Chinese name (吃, 穿, 义务教育 or 教育,
    /// 医疗, 住房, 饮水).
    pub fn parse_any(s: &str) -> Option<Check> {
        let s = s.trim();
        if let Some(c) = Check::parse(&s.to_lowercase()) {
            return Some(c);
        }
        Some(match s {
            "吃" | "不愁吃" => Check::Food,
            "穿" | "不愁穿" => Check::Clothing,
            "教育" | "义务教育" => Check::Schooling,
            "医疗" | "基本医疗" => Check::Medical,
            "住房" | "住房安全" => Check::Housing,
            "饮水" | "饮水安全" => Check::Water,
            _ => return None,
        })
    }
}

/// Why a household has its colour: the income band, a drop, or what the
/// latest visit found. Stored and answered as codes (`below_line`,
/// `illness`, `check_water` …); pages give each its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Per-capita income below the line.
    BelowLine,
    /// Within the orange band above the line.
    NearLine,
    /// Within the yellow band above the line.
    CloseToLine,
    /// More than the configured drop from last year.
    IncomeDrop,
    /// A risk factor of the latest visit.
    Factor(RiskFactor),
    /// A failed check of the latest visit.
    Failed(Check),
}

impl Reason {
    /// The code, as stored and as the API answers.
    pub fn code(self) -> String {
        match self {
            Reason::BelowLine => "below_line".into(),
            Reason::NearLine => "near_line".into(),
            Reason::CloseToLine => "close_to_line".into(),
            Reason::IncomeDrop => "income_drop".into(),
            Reason::Factor(f) => f.as_str().into(),
            Reason::Failed(c) => format!("check_{}", c.as_str()),
        }
    }

    /// The reason of a code ([`Reason::code`]).
    pub fn parse(code: &str) -> Option<Reason> {
        Some(match code {
            "below_line" => Reason::BelowLine,
            "near_line" => Reason::NearLine,
            "close_to_line" => Reason::CloseToLine,
            "income_drop" => Reason::IncomeDrop,
            other => match other.strip_prefix("check_") {
                Some(c) => Reason::Failed(Check::parse(c)?),
                None => Reason::Factor(RiskFactor::parse(other)?),
            },
        })
    }
}

/// The thresholds of the rule (configuration, not code:
/// `ZHUNONG_MONITORING_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Up to this percent above the line is orange.
    pub orange_percent: i64,
    /// Up to this percent above the line is yellow.
    pub yellow_percent: i64,
    /// A fall of more than this percent from last year is one step worse.
    pub drop_percent: i64,
    /// The least colour of a household whose latest visit found a risk
    /// factor or a failed check.
    pub risk_minimum: Colour,
}

impl Thresholds {
    /// DESIGN.md's: 10 %, 30 %, 30 %, orange.
    pub const STANDARD: Thresholds = Thresholds { orange_percent: 10, yellow_percent: 30, drop_percent: 30, risk_minimum: Colour::Orange };

    /// The thresholds a configuration sets.
    pub fn of(config: &crate::config::Config) -> Thresholds {
        Thresholds {
            orange_percent: config.monitoring_orange_percent,
            yellow_percent: config.monitoring_yellow_percent,
            drop_percent: config.monitoring_drop_percent,
            risk_minimum: Colour::parse(&config.monitoring_risk_colour).unwrap_or(Colour::Orange),
        }
    }
}

/// The figures of one household and year that decide its colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Household income attributed by the ledger in the year.
    pub income: Fen,
    /// Declared other income of the year.
    pub other_income: Fen,
    /// Last year's attributed plus declared income, when anything is known
    /// of last year (`None`: no drop can be measured).
    pub last_year_total: Option<Fen>,
    /// People in the household (1 or more).
    pub size: i64,
    /// The risk factors the latest visit of the year found.
    pub factors: Vec<RiskFactor>,
    /// The checks the latest visit of the year found failed.
    pub failed_checks: Vec<Check>,
}

/// A colour and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The colour.
    pub colour: Colour,
    /// Why, in the order the rule applied them.
    pub reasons: Vec<Reason>,
}

/// The colour of a household against monitoring line `line` (per person
/// per year): red below the line; orange up to `orange_percent` above it
/// (the line itself and exactly +10 % included); yellow up to
/// `yellow_percent` above it (exactly +30 % included); green above that.
/// Then one step worse when per-capita income fell by more than
/// `drop_percent` from last year (exactly 30 % is not more), and at least
/// `risk_minimum` when the latest visit found a risk factor or a failed
/// check.
pub fn assess(line: Fen, t: &Thresholds, f: &Figures) -> Assessment {
    let total = f.income.get() as i128 + f.other_income.get() as i128;
    let bar = line.get() as i128 * f.size.max(1) as i128;
    let mut reasons = Vec::new();
    let mut colour = if total < bar {
        reasons.push(Reason::BelowLine);
        Colour::Red
    } else if total * 100 <= bar * (100 + t.orange_percent as i128) {
        reasons.push(Reason::NearLine);
        Colour::Orange
    } else if total * 100 <= bar * (100 + t.yellow_percent as i128) {
        reasons.push(Reason::CloseToLine);
        Colour::Yellow
    } else {
        Colour::Green
    };
    if let Some(last) = f.last_year_total
        && last.get() > 0
        && total * 100 < last.get() as i128 * (100 - t.drop_percent as i128)
    {
        reasons.push(Reason::IncomeDrop);
        colour = colour.worse();
    }
    if !f.factors.is_empty() || !f.failed_checks.is_empty() {
        reasons.extend(f.factors.iter().map(|x| Reason::Factor(*x)));
        reasons.extend(f.failed_checks.iter().map(|c| Reason::Failed(*c)));
        colour = colour.max(t.risk_minimum);
    }
    Assessment { colour, reasons }
}

/// Per-capita income in whole fen, rounded down, for showing (the colour
/// never uses it).
pub fn per_capita(income: Fen, other_income: Fen, size: i64) -> Fen {
    Fen::new((income.get() + other_income.get()).div_euclid(size.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: Fen = Fen::yuan(6_000);

    fn figures(total_yuan_per_person: i64, size: i64) -> Figures {
        Figures {
            income: Fen::ZERO,
            other_income: Fen::yuan(total_yuan_per_person * size),
            last_year_total: None,
            size,
            factors: vec![],
            failed_checks: vec![],
        }
    }

    fn colour_of(f: &Figures) -> Colour {
        assess(LINE, &Thresholds::STANDARD, f).colour
    }

    #[test]
    fn the_income_bands_meet_at_the_line_and_at_ten_and_thirty_percent_above_it() {
        // (per-capita income in fen, colour), household of 3.
        let table = [
            (599_999, Colour::Red),
            (600_000, Colour::Orange), // exactly at the line: not below it
            (660_000, Colour::Orange), // exactly +10 %
            (660_001, Colour::Yellow),
            (780_000, Colour::Yellow), // exactly +30 %
            (780_001, Colour::Green),
            (0, Colour::Red),
        ];
        for (fen, want) in table {
            let f = Figures { other_income: Fen::new(fen * 3), ..figures(0, 3) };
            assert_eq!(colour_of(&f), want, "{fen} fen per person");
        }
    }

    #[test]
    fn a_fen_short_of_the_line_over_the_whole_household_is_red() {
        // 5 people at the line need 3,000,000 fen; one fen less is red,
        // though the per-capita income rounds to the line.
        let f = Figures { income: Fen::new(1_000_000), other_income: Fen::new(1_999_999), ..figures(0, 5) };
        assert_eq!(colour_of(&f), Colour::Red);
        let f = Figures { income: Fen::new(1_000_000), other_income: Fen::new(2_000_000), ..figures(0, 5) };
        assert_eq!(colour_of(&f), Colour::Orange);
        assert_eq!(per_capita(Fen::new(1_000_000), Fen::new(1_999_999), 5), Fen::new(599_999));
    }

    #[test]
    fn a_drop_of_more_than_thirty_percent_makes_the_colour_one_step_worse() {
        // Green at 10,000 yuan per person; last year 14,286 → a drop of
        // 30.0004 %: one step worse. Last year 14,285 → 29.9965 %: not.
        let mut f = figures(10_000, 1);
        f.last_year_total = Some(Fen::yuan(14_286));
        let a = assess(LINE, &Thresholds::STANDARD, &f);
        assert_eq!((a.colour, a.reasons.as_slice()), (Colour::Yellow, &[Reason::IncomeDrop][..]));
        f.last_year_total = Some(Fen::yuan(14_285));
        assert_eq!(colour_of(&f), Colour::Green);
        // Exactly 30 % is not more than 30 %.
        let exactly = Figures { other_income: Fen::new(1_400_000), last_year_total: Some(Fen::new(2_000_000)), ..figures(0, 1) };
        assert_eq!(colour_of(&exactly), Colour::Green);
        let more = Figures { other_income: Fen::new(1_399_999), ..exactly };
        assert_eq!(colour_of(&more), Colour::Yellow);
        // Red stays red; nothing known of last year means no drop.
        let mut red = figures(5_000, 2);
        red.last_year_total = Some(Fen::yuan(100_000));
        assert_eq!(colour_of(&red), Colour::Red);
        red.last_year_total = Some(Fen::ZERO);
        assert_eq!(assess(LINE, &Thresholds::STANDARD, &red).reasons, vec![Reason::BelowLine]);
    }

    #[test]
    fn a_risk_factor_or_a_failed_check_makes_a_household_at_least_orange() {
        let mut f = figures(20_000, 4);
        f.factors = vec![RiskFactor::Illness];
        let a = assess(LINE, &Thresholds::STANDARD, &f);
        assert_eq!((a.colour, a.reasons), (Colour::Orange, vec![Reason::Factor(RiskFactor::Illness)]));
        let mut f = figures(20_000, 4);
        f.failed_checks = vec![Check::Water];
        assert_eq!(colour_of(&f), Colour::Orange);
        // Never better than the income says.
        let mut red = figures(1_000, 4);
        red.factors = vec![RiskFactor::Accident];
        assert_eq!(colour_of(&red), Colour::Red);
        // The least colour is configuration.
        let strict = Thresholds { risk_minimum: Colour::Red, ..Thresholds::STANDARD };
        assert_eq!(assess(LINE, &strict, &f).colour, Colour::Red);
    }

    #[test]
    fn the_thresholds_are_configuration() {
        let wide = Thresholds { orange_percent: 20, yellow_percent: 50, ..Thresholds::STANDARD };
        let f = figures(7_100, 1); // +18.3 %
        assert_eq!(colour_of(&f), Colour::Yellow);
        assert_eq!(assess(LINE, &wide, &f).colour, Colour::Orange);
    }

    #[test]
    fn factors_and_checks_read_codes_and_chinese_words() {
        assert_eq!(RiskFactor::parse_any("因病"), Some(RiskFactor::Illness));
        assert_eq!(RiskFactor::parse_any("婚变"), Some(RiskFactor::Marriage));
        assert_eq!(RiskFactor::parse_any("Accident"), Some(RiskFactor::Accident));
        assert_eq!(RiskFactor::parse_any("因懒"), None);
        assert_eq!(Check::parse_any("饮水"), Some(Check::Water));
        assert_eq!(Check::parse_any("medical"), Some(Check::Medical));
        for r in [Reason::BelowLine, Reason::IncomeDrop, Reason::Factor(RiskFactor::Schooling), Reason::Failed(Check::Schooling)] {
            assert_eq!(Reason::parse(&r.code()), Some(r));
        }
    }
}

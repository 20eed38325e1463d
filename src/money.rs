//! Money: integer fen (分), never a float (DESIGN invariant 2).
//!
//! `Fen` is the only money type. Splitting an amount into parts uses the
//! largest-remainder method so the parts always add up to the whole.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub};

/// Money in fen (1/100 yuan). Negative only in ledger reversals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(i64);

/// An amount that does not fit in 64-bit fen, or a split that makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The result would not fit in an `i64` number of fen.
    #[error("amount out of range")]
    Overflow,
    /// A split was asked for with no weights or only zero weights.
    #[error("cannot split over zero total weight")]
    NoWeight,
    /// A weight was negative.
    #[error("split weights must not be negative")]
    NegativeWeight,
}

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// Wraps a number of fen.
    pub const fn new(fen: i64) -> Self {
        Fen(fen)
    }

    /// Whole yuan, as fen.
    pub const fn yuan(yuan: i64) -> Self {
        Fen(yuan * 100)
    }

    /// The number of fen.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Parses yuan as people write them — `12`, `12.5`, `12.50`, `1,234.00`
    /// — into exact fen, without passing through a float. More than two
    /// decimals, signs and other characters are refused.
    pub fn parse_yuan(s: &str) -> Option<Fen> {
        let s = s.trim().trim_start_matches('¥').replace(',', "");
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let yuan: i64 = whole.parse().ok()?;
        let fen: i64 = format!("{frac:0<2}").parse().ok()?;
        yuan.checked_mul(100)?.checked_add(fen).map(Fen)
    }

    /// The amount as yuan with two decimals, no symbol: `12.50`.
    pub fn yuan_text(self) -> String {
        format!("{}{}.{:02}", if self.0 < 0 { "-" } else { "" }, self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100)
    }

    /// The amount in Chinese capital numerals, as invoices and transfer
    /// slips write it (大写): `12345.67` → `人民币壹万贰仟叁佰肆拾伍元陆角柒分`,
    /// `100.00` → `人民币壹佰元整`.
    pub fn chinese_uppercase(self) -> String {
        const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
        const SMALL: [&str; 4] = ["", "拾", "佰", "仟"];
        const BIG: [&str; 4] = ["", "万", "亿", "万亿"];
        let abs = self.0.unsigned_abs();
        let (yuan, jiao, fen) = (abs / 100, (abs / 10 % 10) as usize, (abs % 10) as usize);
        let mut out = String::from(if self.0 < 0 { "人民币负" } else { "人民币" });
        // One group of four digits (1..=9999), inner zeros read once.
        let group_text = |g: u64, out: &mut String| {
            let mut zero = false;
            let mut started = false;
            for (i, d) in [g / 1000, g / 100 % 10, g / 10 % 10, g % 10].into_iter().enumerate() {
                if d == 0 {
                    zero |= started;
                    continue;
                }
                if zero {
                    out.push('零');
                    zero = false;
                }
                out.push(DIGITS[d as usize]);
                out.push_str(SMALL[3 - i]);
                started = true;
            }
        };
        if yuan > 0 {
            let mut groups = Vec::new();
            let mut y = yuan;
            while y > 0 {
                groups.push(y % 10_000);
                y /= 10_000;
            }
            groups.reverse();
            let mut skipped = false;
            for (i, g) in groups.iter().enumerate() {
                if *g == 0 {
                    skipped = true;
                    continue;
                }
                if i > 0 && (skipped || *g < 1000) {
                    out.push('零');
                }
                skipped = false;
                group_text(*g, &mut out);
                out.push_str(BIG[groups.len() - 1 - i]);
            }
            out.push('元');
        }
        if jiao == 0 && fen == 0 {
            if yuan == 0 {
                out.push_str("零元");
            }
            out.push('整');
        } else {
            if jiao > 0 {
                out.push(DIGITS[jiao]);
                out.push('角');
            } else if yuan > 0 {
                out.push('零');
            }
            if fen > 0 {
                out.push(DIGITS[fen]);
                out.push('分');
            }
        }
        out
    }

    /// `self * quantity`, or an error instead of wrapping around.
    pub fn times(self, quantity: i64) -> Result<Fen, MoneyError> {
        self.0.checked_mul(quantity).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// `self + other`, or an error instead of wrapping around.
    pub fn checked_add(self, other: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_add(other.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Splits `self` into parts proportional to `weights` by the
    /// largest-remainder method: every part is the floor of its exact share,
    /// and the fen left over go one each to the parts with the largest
    /// remainders (ties to the earlier part). The parts always sum to `self`.
    pub fn split(self, weights: &[i64]) -> Result<Vec<Fen>, MoneyError> {
        Ok(largest_remainder(self.0, weights)?.into_iter().map(Fen).collect())
    }
}

/// Splits the whole number `total` into parts proportional to `weights` by
/// the largest-remainder method; the parts always sum to `total`. Used for
/// money ([`Fen::split`]) and for quantities alike.
pub fn largest_remainder(total: i64, weights: &[i64]) -> Result<Vec<i64>, MoneyError> {
    if weights.iter().any(|w| *w < 0) {
        return Err(MoneyError::NegativeWeight);
    }
    let sum: i128 = weights.iter().map(|w| *w as i128).sum();
    if sum == 0 {
        return Err(MoneyError::NoWeight);
    }
    let whole = total as i128;
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = whole * (*w as i128);
        parts.push(exact.div_euclid(sum));
        remainders.push((exact.rem_euclid(sum), i));
    }
    let mut left = whole - parts.iter().sum::<i128>();
    // Largest remainder first; equal remainders keep their order.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    Ok(parts.into_iter().map(|p| p as i64).collect())
}

impl Add for Fen {
    type Output = Fen;
    /// Panics on overflow in debug builds like any `i64`; use
    /// [`Fen::checked_add`] on untrusted input.
    fn add(self, other: Fen) -> Fen {
        Fen(self.0 + other.0)
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, other: Fen) {
        self.0 += other.0;
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, other: Fen) -> Fen {
        Fen(self.0 - other.0)
    }
}

impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

/// `¥1,234.50` style, for pages: yuan with two decimals and thousands
/// separators.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
        for (i, c) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}¥{grouped}.{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn capital_numerals_read_as_on_a_transfer_slip() {
        let cases = [
            (1_234_567, "人民币壹万贰仟叁佰肆拾伍元陆角柒分"),
            (10_000, "人民币壹佰元整"),
            (1_000_500, "人民币壹万零伍元整"),
            (10_000_000, "人民币壹拾万元整"),
            (100_000_000_100, "人民币壹拾亿零壹元整"),
            (10_005, "人民币壹佰元零伍分"),
            (50, "人民币伍角"),
            (0, "人民币零元整"),
            (2_240_000, "人民币贰万贰仟肆佰元整"),
            (10_101_000, "人民币壹拾万壹仟零壹拾元整"),
        ];
        for (fen, text) in cases {
            assert_eq!(Fen::new(fen).chinese_uppercase(), text, "{fen} fen");
        }
    }

    use super::*;

    #[test]
    fn a_split_always_adds_up_to_the_whole() {
        let parts = Fen::new(100).split(&[1, 1, 1]).unwrap();
        assert_eq!(parts, vec![Fen::new(34), Fen::new(33), Fen::new(33)]);
        for total in [0, 1, 7, 99, 1_000_003, -1_000_003] {
            for weights in [vec![3, 5, 7], vec![1], vec![0, 2, 0, 9], vec![10_000, 1, 1]] {
                let parts = Fen::new(total).split(&weights).unwrap();
                assert_eq!(parts.iter().copied().sum::<Fen>(), Fen::new(total), "{total} over {weights:?}");
            }
        }
    }

    #[test]
    fn the_largest_remainders_get_the_leftover_fen() {
        // 10 fen over 1:2:3 → exact 1.67, 3.33, 5.00 → floors 1, 3, 5; the
        // one leftover fen goes to the part with remainder .67.
        let parts = Fen::new(10).split(&[1, 2, 3]).unwrap();
        assert_eq!(parts, vec![Fen::new(2), Fen::new(3), Fen::new(5)]);
    }

    #[test]
    fn a_zero_weight_gets_nothing_and_no_weight_is_an_error() {
        assert_eq!(Fen::new(5).split(&[0, 1]).unwrap(), vec![Fen::ZERO, Fen::new(5)]);
        assert_eq!(Fen::new(5).split(&[0, 0]), Err(MoneyError::NoWeight));
        assert_eq!(Fen::new(5).split(&[]), Err(MoneyError::NoWeight));
        assert_eq!(Fen::new(5).split(&[-1, 2]), Err(MoneyError::NegativeWeight));
    }

    #[test]
    fn multiplication_refuses_to_overflow() {
        assert_eq!(Fen::new(1250).times(40).unwrap(), Fen::new(50_000));
        assert_eq!(Fen::new(i64::MAX).times(2), Err(MoneyError::Overflow));
        assert_eq!(Fen::new(i64::MAX).checked_add(Fen::new(1)), Err(MoneyError::Overflow));
    }

    #[test]
    fn yuan_text_parses_to_exact_fen() {
        assert_eq!(Fen::parse_yuan("12"), Some(Fen::new(1200)));
        assert_eq!(Fen::parse_yuan("12.5"), Some(Fen::new(1250)));
        assert_eq!(Fen::parse_yuan(" ¥1,234.05 "), Some(Fen::new(123_405)));
        assert_eq!(Fen::parse_yuan("0.29"), Some(Fen::new(29)), "no float rounding: 0.29 is 29 fen");
        for bad in ["", "12.345", "-3", "1e3", "abc", ".5", "99999999999999999999"] {
            assert_eq!(Fen::parse_yuan(bad), None, "{bad:?}");
        }
        assert_eq!(Fen::new(1250).yuan_text(), "12.50");
    }

    #[test]
    fn fen_display_as_yuan_with_separators() {
        assert_eq!(Fen::new(123_456_789).to_string(), "¥1,234,567.89");
        assert_eq!(Fen::new(5).to_string(), "¥0.05");
        assert_eq!(Fen::new(-1000).to_string(), "-¥10.00");
        assert_eq!(Fen::yuan(100).to_string(), "¥100.00");
    }
}

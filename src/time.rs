//! Time as the database stores it: RFC 3339 UTC text with microseconds
//! (fixed width, so text order is time order on both backends) and calendar
//! dates as `YYYY-MM-DD`. Times are always produced here, in Rust, never by
//! the database's clock (SQLite's `CURRENT_TIMESTAMP` text does not compare
//! with RFC 3339).

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

const TIMESTAMP: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Now, as stored: `2026-11-22T10:40:48.123456Z`.
pub fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

/// A moment as stored.
pub fn timestamp(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(TIMESTAMP).expect("a UTC timestamp always formats")
}

/// Now plus `seconds`, as stored.
pub fn in_seconds(seconds: i64) -> String {
    timestamp(OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
}

/// Today's date (UTC).
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The current year (UTC).
pub fn this_year() -> i32 {
    today().year()
}

/// China's time zone (UTC+8, no daylight saving): the calendar harvests
/// are dated by and the clock people read.
pub const CHINA: time::UtcOffset = time::macros::offset!(+8);

/// Today in China.
pub fn china_today() -> Date {
    OffsetDateTime::now_utc().to_offset(CHINA).date()
}

/// The China calendar date of a moment (Asia/Shanghai: UTC+8 all year).
/// Reports' days and months are China's, whatever the server's zone.
pub fn china_date_of(t: OffsetDateTime) -> Date {
    t.to_offset(CHINA).date()
}

/// A stored moment on China's clock, or `None` for text that is not a
/// stored moment. The pages word it (`web::Words::when`).
pub fn in_china(stored: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339).ok().map(|t| t.to_offset(CHINA))
}

/// A stored moment as a person in China reads it: `2026-12-04 02:00`
/// (China time, to the minute). Text that is not a stored moment comes
/// back as it is.
pub fn china_minute(stored: &str) -> String {
    const SHOWN: &[FormatItem<'static>] = format_description!("[year]-[month]-[day] [hour]:[minute]");
    OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(CHINA).format(SHOWN).ok())
        .unwrap_or_else(|| stored.to_owned())
}

/// A daily China-time clock reading `HH:MM` (a node's cut-off), as hour
/// and minute; anything else is `None`.
pub fn parse_clock(s: &str) -> Option<time::Time> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    time::Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

/// The first moment strictly after `after` at which China's clocks read
/// `at`: when a node's dispatch window that is open at `after` closes.
pub fn next_china_clock(after: OffsetDateTime, at: time::Time) -> OffsetDateTime {
    let local = after.to_offset(CHINA);
    let today = local.date().with_time(at).assume_offset(CHINA);
    if today > local { today } else { today + time::Duration::days(1) }
}

/// Parses `YYYY-MM-DD`, the only date form the API accepts.
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, DATE).ok()
}

/// A date as stored and shown: `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    d.format(DATE).expect("a date always formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_moments_are_shown_in_china_time() {
        assert_eq!(china_minute("2026-12-03T18:00:12.123456Z"), "2026-12-04 02:00");
        assert_eq!(china_minute("not a time"), "not a time");
    }

    #[test]
    fn stored_timestamps_sort_as_text_in_time_order() {
        let a = timestamp(time::macros::datetime!(2026-01-02 03:04:05.000006 UTC));
        let b = timestamp(time::macros::datetime!(2026-01-02 03:04:05.1 UTC));
        assert_eq!(a, "2026-01-02T03:04:05.000006Z");
        assert!(a < b);
    }

    #[test]
    fn a_window_closes_at_the_next_cut_off_on_chinas_clock() {
        let cutoff = parse_clock("16:00").unwrap();
        // 07:59 UTC is 15:59 in China: today's window, closing 08:00 UTC.
        let before = time::macros::datetime!(2026-12-03 07:59 UTC);
        assert_eq!(next_china_clock(before, cutoff), time::macros::datetime!(2026-12-03 08:00 UTC));
        // At the cut-off itself the window has closed: the next one is tomorrow's.
        let at = time::macros::datetime!(2026-12-03 08:00 UTC);
        assert_eq!(next_china_clock(at, cutoff), time::macros::datetime!(2026-12-04 08:00 UTC));
        // 17:00 UTC is already the next day (01:00) in China.
        let late = time::macros::datetime!(2026-12-03 17:00 UTC);
        assert_eq!(next_china_clock(late, cutoff), time::macros::datetime!(2026-12-04 08:00 UTC));
        assert_eq!(parse_clock("24:00"), None);
        assert_eq!(parse_clock("9:00"), None);
        assert_eq!(parse_clock("09:5x"), None);
    }

    #[test]
    fn only_real_calendar_dates_parse() {
        assert_eq!(format_date(parse_date("2024-02-29").unwrap()), "2024-02-29");
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2023-2-1").is_none());
        assert!(parse_date("yesterday").is_none());
    }
}

//! The stated limits of what comes in, in one place. Every number, string
//! and list a request carries is checked against one of these at the edge,
//! with a clear error, before any work is done for it. docs/SECURITY.md
//! lists them with their reasons.
//!
//! The numeric limits are chosen so that no sum the product makes can
//! overflow an `i64` (±9.2·10¹⁸): a line's amount is at most
//! [`MAX_LINE_UNITS`] × [`MAX_UNIT_PRICE_FEN`] = 10¹⁴ fen, an order's total
//! at most [`MAX_ORDER_TOTAL_FEN`] = 10¹⁰ fen, so even a hundred million
//! orders sum to at most 10¹⁸; a lot holds at most [`MAX_LOT_UNITS`] = 10⁹
//! units, so a product's stock overflows only past nine billion lots.
//! Arithmetic on these values is still checked (`Fen::times`,
//! `Fen::checked_add`): a limit is a promise to people, checked maths is
//! the guard against a mistake in it.

/// The largest request body any endpoint reads, uploads included: 2 MiB.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Most units one lot (or one household's contribution to it) may hold.
pub const MAX_LOT_UNITS: i64 = 1_000_000_000;

/// Largest change of a lot's quantity in one adjustment, either way.
pub const MAX_ADJUSTMENT_UNITS: i64 = MAX_LOT_UNITS;

/// Most units of one product on one order line (and one cart line).
pub const MAX_LINE_UNITS: i64 = 1_000_000;

/// Highest unit price: ¥1,000,000.
pub const MAX_UNIT_PRICE_FEN: i64 = 100_000_000;

/// The heaviest unit a product may declare: one tonne, in grams. With
/// [`MAX_LINE_UNITS`] units a line weighs at most 10¹⁵ g, far inside i64.
pub const MAX_UNIT_WEIGHT_G: i64 = 1_000_000;

/// Highest order total: ¥100,000,000. Larger purchases are split.
pub const MAX_ORDER_TOTAL_FEN: i64 = 10_000_000_000;

/// Most lines on one order.
pub const MAX_ORDER_LINES: usize = 100;

/// Most contributing households on one lot.
pub const MAX_CONTRIBUTIONS: usize = 2_000;

/// Most price tiers of one product.
pub const MAX_PRICE_TIERS: usize = 10;

/// Most certificates of one product.
pub const MAX_CERTIFICATES: usize = 10;

/// Most field errors listed in one answer; the rest are counted.
pub const MAX_FIELD_ERRORS: usize = 100;

/// The longest one call to Stripe may take, in milliseconds (and the
/// default): 10 s. No call to Stripe is made inside a database transaction,
/// so this bounds how long a request waits, not how long a lock is held.
pub const STRIPE_TIMEOUT_MS: i64 = 10_000;

/// A Stripe refund still `pending` this long after it was recorded lost its
/// answer (the process died, or Stripe did not answer in time): the sweep
/// asks Stripe again. Well above [`STRIPE_TIMEOUT_MS`], so a refund whose
/// request is still waiting for Stripe is never taken for lost.
pub const REFUND_PENDING_STALE_SECS: i64 = 120;

/// Stripe replays the answer to an idempotency key for 24 hours; a pending
/// refund older than this (23 hours, an hour to spare) can no longer be
/// asked about safely by resending it, and is marked failed for finance to
/// check by hand.
pub const REFUND_PENDING_GIVE_UP_SECS: i64 = 23 * 3600;

/// Most rows one export (CSV, XLSX or JSON of a report) writes: 1,000,000,
/// under Excel's 1,048,576 rows a sheet, with room for the header, the
/// totals and the notes. An export past it stops there and says so in a
/// last row (`reports::export`); at about 100,000 rows a second for XLSX
/// this bounds one export's work to some ten seconds of one core.
pub const MAX_EXPORT_ROWS: usize = 1_000_000;

/// Most photos of one product. Six show a product from every side a
/// buyer asks about (whole, cut, packed, the field) without turning the
/// product page into an album on a slow link.
pub const MAX_PRODUCT_PHOTOS: usize = 6;

/// Largest photo file accepted, in bytes: 2,000,000 (2 MB), under the
/// body limit ([`MAX_BODY_BYTES`], 2 MiB) with room for the form around
/// it, so a file over this limit gets the photo's own answer rather than
/// the generic 413. A phone's full-size photo is larger; sharing it
/// through a chat app or the phone's "reduce size" makes it fit, and the
/// largest variant kept is 1,200 pixels anyway.
pub const MAX_PHOTO_BYTES: usize = 2_000_000;

/// Most pixels of a photo (width × height, as its header declares them
/// before anything is decoded): 40 million, a 7,750 × 5,160 picture.
/// Decoded, that is 160 MB of RGBA at most; with
/// [`crate::stock::upload::MAX_CONCURRENT_IMPORTS`] heavy uploads at once
/// a process holds at most two of them. A 2 MB PNG of one colour can
/// declare a billion pixels: the header is checked first.
pub const MAX_PHOTO_PIXELS: u64 = 40_000_000;

/// Longest side of a photo, in pixels.
pub const MAX_PHOTO_SIDE: u32 = 12_000;

/// Longest time reading and resizing one photo may take, in seconds
/// (checked between the steps; a 40-megapixel JPEG takes about a second).
pub const MAX_PHOTO_SECONDS: u64 = 10;

/// True when `v` is a whole number of units from 1 to `max`.
pub fn units_in_range(v: i64, max: i64) -> bool {
    (1..=max).contains(&v)
}

/// `1,000,000,000`: a limit as people read it.
pub fn grouped(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    if v < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_orders_cannot_overflow_a_sum_of_a_hundred_million_of_them() {
        let line = (MAX_LINE_UNITS as i128) * (MAX_UNIT_PRICE_FEN as i128);
        assert!(line <= i64::MAX as i128);
        assert!((MAX_ORDER_TOTAL_FEN as i128) * 100_000_000 < i64::MAX as i128);
        assert!((MAX_LOT_UNITS as i128) * (MAX_CONTRIBUTIONS as i128) < i64::MAX as i128);
    }

    #[test]
    fn the_import_reader_keeps_the_body_limit() {
        assert_eq!(crate::stock::upload::MAX_UPLOAD_BYTES, MAX_BODY_BYTES);
    }

    #[test]
    fn limits_are_written_with_thousands_separators() {
        assert_eq!(grouped(1_000_000_000), "1,000,000,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(-1_000), "-1,000");
    }
}

//! Property tests (proptest) of the parsers at the edge: the import
//! reader's CSV and XLSX rows, money in yuan, region codes and the CSV line
//! splitter. Each property says what must hold for every input: no panic,
//! no read past its budget, and well-formed input read back as written.
//! The `cargo fuzz` target in `fuzz/` drives the same import reader with
//! coverage guidance (`scripts/fuzz`).

use proptest::prelude::*;
use std::time::Duration;
use zhunong::money::Fen;
use zhunong::regions::{RegionCode, split_csv_line};
use zhunong::stock::upload::{Budget, OverBudget, ReadError, read_csv_within, read_xlsx_within};

/// A small budget, so properties reach every limit with small inputs.
const SMALL: Budget = Budget {
    upload_bytes: 64 * 1024,
    rows: 12,
    cells_per_row: 6,
    cells: 40,
    cell_bytes: 24,
    text_bytes: 400,
    zip_entries: 16,
    uncompressed_bytes: 256 * 1024,
    time: Duration::from_secs(60),
};

/// What a successful read must respect, whatever the input.
fn within(rows: &[Vec<String>], budget: &Budget) -> Result<(), TestCaseError> {
    prop_assert!(rows.len() <= budget.rows, "{} rows", rows.len());
    let filled: Vec<&String> = rows.iter().flatten().filter(|c| !c.is_empty()).collect();
    prop_assert!(filled.len() <= budget.cells);
    prop_assert!(filled.iter().map(|c| c.len()).sum::<usize>() <= budget.text_bytes);
    for row in rows {
        prop_assert!(row.len() <= budget.cells_per_row, "a row of {} cells", row.len());
        prop_assert!(row.iter().all(|c| c.len() <= budget.cell_bytes));
    }
    Ok(())
}

/// Writes rows as CSV, quoting every cell (`"` doubled inside).
fn to_csv(rows: &[Vec<String>], crlf: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    rows.iter().map(|r| r.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(",") + end).collect()
}

/// A cell as the import reads it back: without surrounding blanks.
fn cell() -> impl Strategy<Value = String> {
    "[a-z0-9伽师瓜 ,\"-]{0,6}"
}

/// Rows whose first cell is filled (so no row is blank) and whose last
/// cell is filled (so no trailing empty cell is dropped).
fn rows(max_rows: usize, max_cells: usize) -> impl Strategy<Value = Vec<Vec<String>>> {
    let filled = "[a-z伽师瓜][a-z0-9伽师瓜-]{0,5}";
    prop::collection::vec(
        (filled, prop::collection::vec(cell(), 0..max_cells.saturating_sub(1)), filled).prop_map(|(first, middle, last)| {
            let mut row = vec![first];
            row.extend(middle.into_iter().map(|c| c.trim().to_owned()));
            row.push(last);
            row
        }),
        1..max_rows,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_csv_reader_never_panics_and_never_reads_past_its_budget(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(rows) = read_csv_within(&bytes, &SMALL) {
            within(&rows, &SMALL)?;
        }
    }

    #[test]
    fn the_csv_reader_never_reads_past_its_budget_on_text_with_many_rows_and_cells(
        text in "([a-z九,\"]{0,40}(\n|\r\n)){0,40}"
    ) {
        match read_csv_within(text.as_bytes(), &SMALL) {
            Ok(rows) => within(&rows, &SMALL)?,
            Err(ReadError::OverBudget(_)) => {}
            Err(e) => prop_assert!(false, "UTF-8 text is readable or over budget, not {e}"),
        }
    }

    #[test]
    fn well_formed_csv_rows_are_read_back_as_written(rows in rows(10, 6), crlf in any::<bool>(), bom in any::<bool>()) {
        let mut text = if bom { "\u{feff}".to_owned() } else { String::new() };
        text.push_str(&to_csv(&rows, crlf));
        prop_assert_eq!(read_csv_within(text.as_bytes(), &Budget::DEFAULT).unwrap(), rows);
    }

    #[test]
    fn a_csv_with_more_rows_than_the_budget_is_refused_as_over_it(extra in 1usize..20) {
        let text = "a,b\n".repeat(SMALL.rows + extra);
        let read = read_csv_within(text.as_bytes(), &SMALL);
        prop_assert!(matches!(read, Err(ReadError::OverBudget(OverBudget::Rows { max: 12 }))), "{:?}", read);
    }

    #[test]
    fn well_formed_xlsx_rows_are_read_back_as_written(
        rows in prop::collection::vec(
            prop::collection::vec(prop_oneof!["[a-z伽师瓜][a-z0-9伽师瓜-]{0,5}", (-1_000_000_000i64..1_000_000_000).prop_map(|n| n.to_string())], 1..6),
            1..10,
        )
    ) {
        let file = crate::import::xlsx(&rows);
        prop_assert_eq!(read_xlsx_within(&file, &Budget::DEFAULT).unwrap(), rows);
    }

    #[test]
    fn the_xlsx_reader_never_panics_on_a_damaged_file_and_never_reads_past_its_budget(
        rows in prop::collection::vec(prop::collection::vec("[a-z0-9]{1,30}", 1..9), 1..20),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
    ) {
        let mut file = crate::import::xlsx(&rows);
        let len = file.len();
        for (at, byte) in damage {
            file[at.index(len)] = byte;
        }
        if let Ok(read) = read_xlsx_within(&file, &SMALL) {
            within(&read, &SMALL)?;
        }
    }

    #[test]
    fn the_xlsx_reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let mut file = b"PK\x03\x04".to_vec();
        file.extend(bytes);
        if let Ok(read) = read_xlsx_within(&file, &SMALL) {
            within(&read, &SMALL)?;
        }
    }

    #[test]
    fn parsing_yuan_never_panics(s in "\\PC{0,30}") {
        let _ = Fen::parse_yuan(&s);
    }

    #[test]
    fn parsing_yuan_never_panics_on_numbers_of_any_length(s in "[¥ ]?[0-9,]{0,30}(\\.[0-9]{0,4})?") {
        if let Some(f) = Fen::parse_yuan(&s) {
            prop_assert!(f.get() >= 0, "{s} parsed as {f:?}");
        }
    }

    #[test]
    fn amounts_in_yuan_read_back_as_the_same_fen(fen in 0i64..=100_000_000) {
        let f = Fen::new(fen);
        prop_assert_eq!(Fen::parse_yuan(&f.yuan_text()), Some(f));
        prop_assert_eq!(Fen::parse_yuan(&format!("¥{}", f.yuan_text())), Some(f));
    }

    #[test]
    fn yuan_with_one_or_two_decimals_are_exact_fen(yuan in 0i64..=1_000_000, fen in 0i64..100) {
        prop_assert_eq!(Fen::parse_yuan(&format!("{yuan}.{fen:02}")), Some(Fen::new(yuan * 100 + fen)));
        if fen % 10 == 0 {
            prop_assert_eq!(Fen::parse_yuan(&format!("{yuan}.{}", fen / 10)), Some(Fen::new(yuan * 100 + fen)));
        }
        prop_assert_eq!(Fen::parse_yuan(&format!("-{yuan}.{fen:02}")), None, "no signs");
        prop_assert_eq!(Fen::parse_yuan(&format!("{yuan}.{fen:02}1")), None, "no third decimal");
    }

    #[test]
    fn parsing_a_region_code_never_panics(s in "\\PC{0,16}") {
        if let Ok(code) = RegionCode::parse(&s) {
            prop_assert!(matches!(s.len(), 2 | 4 | 6 | 9 | 12) && s.bytes().all(|b| b.is_ascii_digit()), "{s:?}");
            prop_assert!(code.to_string().starts_with(&s));
        }
    }

    #[test]
    fn a_region_code_reads_back_as_its_twelve_digits_and_its_prefixes_pad_with_zeros(
        province in 11u64..=99, rest in 0u64..10_000_000_000, len in prop::sample::select(vec![2usize, 4, 6, 9, 12]),
    ) {
        let digits = format!("{province:02}{rest:010}");
        let code = RegionCode::parse(&digits).unwrap();
        prop_assert_eq!(code.to_string(), digits.clone());
        let short = &digits[..len];
        let padded = format!("{short:0<12}");
        prop_assert_eq!(RegionCode::parse(short).unwrap(), RegionCode::parse(&padded).unwrap());
    }

    #[test]
    fn region_codes_below_the_first_province_or_of_other_lengths_are_refused(n in 0u64..11, extra in "[0-9]{1,3}") {
        let below = format!("{n:02}");
        prop_assert!(RegionCode::parse(&below).is_err(), "{} is below the first province", below);
        let odd = format!("6531{extra}");
        prop_assert_eq!(RegionCode::parse(&odd).is_ok(), matches!(odd.len(), 6));
    }

    #[test]
    fn splitting_a_csv_line_never_panics(line in "\\PC{0,80}") {
        prop_assert!(!split_csv_line(&line).is_empty());
    }

    #[test]
    fn quoted_fields_split_back_as_written(fields in prop::collection::vec("[^\r\n]{0,12}", 1..8)) {
        let line = fields.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect::<Vec<_>>().join(",");
        prop_assert_eq!(split_csv_line(&line), fields);
    }

    #[test]
    fn plain_fields_split_back_as_written(fields in prop::collection::vec("[^\r\n,\"]{0,12}", 1..8)) {
        prop_assert_eq!(split_csv_line(&fields.join(",")), fields);
    }
}

// ---- Order bodies and query strings -------------------------------------

use zhunong::bounds::{MAX_FIELD_ERRORS, MAX_ORDER_LINES};
use zhunong::orders::{Delivery, NewLine, NewOrder, check};

fn any_order() -> impl Strategy<Value = NewOrder> {
    let line = (any::<i64>(), any::<i64>()).prop_map(|(product_id, quantity)| NewLine { product_id, quantity });
    (prop::collection::vec(line, 0..260), ".{0,30}", ".{0,260}", ".{0,50}", ".{0,30}", ".{0,10}", prop::option::of(".{0,600}")).prop_map(
        |(lines, region_code, address, contact_name, phone, payment_method, note)| NewOrder {
            lines,
            delivery: Delivery { region_code, address, contact_name, phone },
            payment_method,
            note,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any order body is checked without a panic, with a bounded list of
    /// problems; a list of lines past the limit is one problem and nothing
    /// else is looked at.
    #[test]
    fn any_order_body_is_checked_without_panic_and_with_few_errors(o in any_order()) {
        let errors = check(&o);
        prop_assert!(errors.0.len() <= MAX_FIELD_ERRORS + 1, "{} errors", errors.0.len());
        if o.lines.len() > MAX_ORDER_LINES {
            prop_assert_eq!(errors.0.len(), 1);
            prop_assert_eq!(errors.0[0].field.as_str(), "lines");
        }
        if o.lines.iter().any(|l| !(1..=zhunong::bounds::MAX_LINE_UNITS).contains(&l.quantity)) {
            prop_assert!(!errors.is_empty(), "a quantity out of range is never accepted");
        }
    }

    /// Any bytes sent as an order body either parse or are refused; never
    /// a panic.
    #[test]
    fn any_bytes_as_an_order_body_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = serde_json::from_slice::<NewOrder>(&bytes);
    }

    /// Any query string reaches the search or the page parameters as values
    /// or as a refusal; page numbers that pass the check never overflow an
    /// offset.
    #[test]
    fn any_query_string_is_read_or_refused_and_pages_stay_in_range(q in "[ -~]{0,200}", page in any::<i64>(), per_page in any::<i64>()) {
        let uri: axum::http::Uri = match format!("/api/v1/products?{}", q.replace(' ', "%20").replace('#', "%23")).parse() {
            Ok(u) => u,
            Err(_) => return Ok(()),
        };
        let _ = axum::extract::Query::<zhunong::search::SearchParams>::try_from_uri(&uri);
        let checked = zhunong::api::extract::PageParams { page: Some(page), per_page: Some(per_page) }.check();
        if let Ok(p) = checked {
            prop_assert!((1..=200).contains(&p.per_page));
            prop_assert!(p.offset() >= 0);
        }
    }
}

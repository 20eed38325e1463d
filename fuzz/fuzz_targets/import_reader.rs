//! Fuzzes the import reader: any bytes, read as CSV and as XLSX within the
//! upload budget, must give rows or a refusal — never a panic, an abort, a
//! time-out or memory beyond libFuzzer's limit — and rows that come back
//! must be within the budget.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zhunong_fuzz::upload::{Budget, read_csv_within, read_xlsx_within};

fn assert_within(rows: &[Vec<String>], budget: &Budget) {
    assert!(rows.len() <= budget.rows, "{} rows", rows.len());
    let mut cells = 0;
    let mut text = 0;
    for row in rows {
        assert!(row.len() <= budget.cells_per_row, "a row of {} cells", row.len());
        for cell in row.iter().filter(|c| !c.is_empty()) {
            assert!(cell.len() <= budget.cell_bytes, "a cell of {} bytes", cell.len());
            cells += 1;
            text += cell.len();
        }
    }
    assert!(cells <= budget.cells && text <= budget.text_bytes, "{cells} cells, {text} bytes");
}

fuzz_target!(|data: &[u8]| {
    let budget = Budget::DEFAULT;
    if let Ok(rows) = read_csv_within(data, &budget) {
        assert_within(&rows, &budget);
    }
    if let Ok(rows) = read_xlsx_within(data, &budget) {
        assert_within(&rows, &budget);
    }
});

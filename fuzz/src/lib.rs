//! The marketplace's import reader, compiled from its own source files for
//! fuzzing: `stock/upload.rs` and the CSV line splitter it uses
//! (`regions/csv_line.rs`), under the paths the reader names them by.

#[path = "../../src/regions/csv_line.rs"]
mod csv_line;

/// The part of `zhunong::regions` the reader uses.
pub mod regions {
    pub use super::csv_line::split_csv_line;
}

/// `zhunong::stock::upload`, as it is.
#[path = "../../src/stock/upload.rs"]
pub mod upload;

//! Reports read the order book and the ledger: an agency's reserved-share
//! progress (预留份额, `agencies.rs`), a partner city's pledges
//! (`partners.rs`), and `zhunong verify` (`verify.rs`).

pub mod period;
pub mod verify;

// Agencies' reserved shares and partner cities' pledges (issue 13).
pub mod agencies;
pub mod partners;
pub use agencies::{Month, ReservedShare, may_read_agency, reserved_share};

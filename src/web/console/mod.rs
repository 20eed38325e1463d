//! The cooperative stock console (coop_manager, own cooperative only):
//! stock by product in first-expiry-first-out order, lots near expiry, low
//! stock, recording a harvest lot with its contributing households,
//! adjustments and a lot's history, member households with what they
//! supplied. Every form carries the session's CSRF token; every change goes
//! through the same `stock` functions as the API.

mod fulfil;
mod import;
mod members;
mod photos;
mod products;
mod profile;
mod stock;

pub use fulfil::fulfil;
pub use import::{import, import_form, sample as import_sample};
pub use members::members;
pub use photos::{photo_action, upload_photo};
pub use products::{create_product, edit_product, new_product, update_product};
pub use profile::{profile, save_profile};
pub use stock::{adjust, create_lot, lot, new_lot, overview, picks};

/// Days before expiry at which a lot is flagged.
pub(super) const NEAR_EXPIRY_DAYS: i64 = 14;
/// Available units under which a product is flagged.
pub(super) const LOW_STOCK: i64 = 50;

//! The cooperative stock console (coop_manager, own cooperative only):
//! stock by product in first-expiry-first-out order, lots near expiry, low
//! stock, recording a harvest lot with its contributing households,
//! adjustments and a lot's history, member households with what they
//! supplied. Every form carries the session's CSRF token; every change goes
//! through the same `stock` functions as the API.

mod fulfil;
mod import;
mod members;
mod products;
mod stock;

pub use fulfil::fulfil;
pub use import::{import, import_form};
pub use members::members;
pub use products::{create_product, edit_product, new_product, update_product};
pub use stock::{adjust, create_lot, lot, new_lot, overview};

use crate::auth::Actor;
use crate::web::{Chrome, error_page};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

/// Days before expiry at which a lot is flagged.
pub(super) const NEAR_EXPIRY_DAYS: i64 = 14;
/// Available units under which a product is flagged.
pub(super) const LOW_STOCK: i64 = 50;

/// The signed-in cooperative manager, or the response to send instead: the
/// sign-in page for visitors, 403 for other roles.
// A page handler returns the `Response` either way; boxing it would only
// add an allocation to the rare refusal.
#[allow(clippy::result_large_err)]
pub(super) fn manager(c: &Chrome, actor: Option<Actor>) -> Result<(Actor, i64), Response> {
    match actor {
        None => Err(Redirect::to("/login").into_response()),
        Some(a) => match a.managed_cooperative() {
            Some(coop) => Ok((a, coop)),
            None => Err(error_page(c, StatusCode::FORBIDDEN)),
        },
    }
}

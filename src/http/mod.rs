//! What the two HTTP edges, [`crate::web`] (pages) and [`crate::api`]
//! (JSON), share: reading cookies, the session token of a request and the
//! signed-in user it stands for, CSRF checks, the client's address, the
//! request id, and a report's export as a streamed download. Both edges
//! import this module; neither imports the other (`tests/edges.rs` checks
//! it).
//!
//! This module knows HTTP but no answer format: it returns plain values and
//! `sqlx` errors (and a download, which is the same file for both), and
//! each edge turns a refusal into its own kind of answer (problem+json or a
//! page).

mod client;
mod cookies;
mod csrf;
mod request_id;
mod session;

// ---- exports (issue 13 §3) ----
mod download;
pub use download::{download, export_language};

pub use client::{ClientAddr, client_address};
pub use cookies::{
    CSRF_COOKIE, LANG_COOKIE, SECURE_CSRF_COOKIE, SECURE_SESSION_COOKIE, SESSION_COOKIE, clear_session_cookie, cookie, csrf_cookie_name,
    session_cookie, session_cookie_name,
};
pub use csrf::{csrf_ok, visitor_csrf_ok, visitor_nonce};
pub use request_id::{REQUEST_ID, request_id};
pub use session::{remember, session_token, signed_in};

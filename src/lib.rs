//! Zhunong (助农): a consumption-support marketplace (消费帮扶平台) that sells
//! the produce of poverty-alleviation regions and traces every paid yuan to
//! the households that grew it.
//!
//! # Crate map
//!
//! - [`app`] — `build(config) -> App`, shared by `main` and the tests.
//! - [`config`] — environment variables and `zhunong.toml`.
//! - [`db`] — one `Any` pool, SQLite or PostgreSQL by URL; migrations;
//!   backups of the SQLite file.
//! - [`money`], [`time`], [`ids`], [`validation`] — small types used everywhere;
//!   [`bounds`] — the stated limits of everything that comes in; [`jobs`] —
//!   leases for work on a clock, so several instances do it once, and
//!   [`sweep`] the minute's work done under them;
//!   [`barcode`] — Code 128 and QR codes as SVG for printed labels.
//! - Domain areas, which never import `axum`:
//!   [`regions`], [`orgs`], [`auth`], [`households`], [`catalog`],
//!   [`stock`], [`distribution`], [`demo`]; [`outbox`], the search outbox's
//!   writer, below catalog, stock and orders.
//! - HTTP edges, the only modules that know HTTP: [`web`] (server-rendered
//!   pages) and [`api`] (JSON + OpenAPI), and [`http`], what the two share
//!   (sessions, CSRF, cookies, client address, request id). Neither edge
//!   imports the other.
//!
//! docs/ARCHITECTURE.md has the bird's-eye view and the invariants.

/// Gives a fieldless enum its names in the API and the database: `ALL`,
/// `as_str` and `parse`. The names are written out, never derived from the
/// Rust identifiers, because they are part of the contract.
macro_rules! named_enum {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The API / database name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// Parses the API / database name.
            pub fn parse(s: &str) -> Option<$ty> {
                match s {
                    $($name => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub mod api;
pub mod app;
pub mod auth;
pub mod barcode;
pub mod bench;
pub mod bounds;
pub mod catalog;
pub mod config;
pub mod db;
pub mod demo;
pub mod distribution;
pub mod households;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod money;
pub mod monitoring;
pub mod orders;
pub mod orgs;
pub mod outbox;
pub mod payments;
pub mod regions;
pub mod reports;
pub mod search;
pub mod serve;
pub mod stock;
pub mod sweep;
pub mod time;
pub mod validation;
pub mod web;

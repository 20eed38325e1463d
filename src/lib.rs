//! Zhunong (助农): a consumption-support marketplace (消费帮扶平台) that sells
//! the produce of poverty-alleviation regions and traces every paid yuan to
//! the households that grew it.
//!
//! # Crate map
//!
//! - [`app`] — `build(config) -> App`, shared by `main` and the tests.
//! - [`config`] — environment variables and `zhunong.toml`.
//! - [`db`] — one `Any` pool, SQLite or PostgreSQL by URL; migrations.
//! - [`money`], [`time`], [`ids`], [`validation`] — small types used everywhere.
//! - Domain areas, which never import `axum`:
//!   [`regions`], [`orgs`], [`auth`], [`households`], [`catalog`],
//!   [`stock`], [`distribution`], [`demo`].
//! - HTTP edges, the only modules that know HTTP: [`web`] (server-rendered
//!   pages) and [`api`] (JSON + OpenAPI).
//!
//! docs/ARCHITECTURE.md has the bird's-eye view and the invariants.

pub mod api;
pub mod app;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod db;
pub mod demo;
pub mod distribution;
pub mod households;
pub mod ids;
pub mod money;
pub mod orgs;
pub mod regions;
pub mod stock;
pub mod time;
pub mod validation;
pub mod web;

//! Integration tests, one binary (one link step) with a module per area.
//! Every test here runs on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set — `./scripts/test` does both.

mod helpers;

mod after_sale;
mod auth;
mod bounds;
mod buying;
mod catalog;
mod concurrency;
mod console;
mod contract;
mod credit_terms;
mod dashboards;
mod demo;
mod domain_layers;
mod durability;
mod hangups;
mod households;
mod hub;
mod import;
mod import_limit;
mod instances;
mod ledger_facts;
mod lifecycle;
mod listener;
mod monitoring;
mod orders;
mod page_errors;
mod page_walk;
mod pages;
mod platform;
mod pledges;
mod properties;
mod regions;
mod report_pages;
mod reports;
mod reserved_share;
mod routing;
mod rules;
mod scale;
mod search;
mod search_contract;
mod stock;
mod stripe;
mod words;

// ---- exports (issue 13 §3) ----
mod exports;

// ---- backups (issue 15 §4) ----
mod backups;

// ---- the cluster through nginx (issue 15 §3; ignored: ./scripts/cluster test runs it) ----
mod cluster;

// ---- forms that forgive (issue 14 §4) ----
mod forgiving;

// ---- a cooperative's English name (issue 14 §1) ----
mod names;
// ---- the money and the chain shown plainly (issue 14 §6, §4; h-money) ----
mod money;
// ---- product photos, illustrations, the poster (issue 14 §3) ----
mod photos;

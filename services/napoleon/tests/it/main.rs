//! Integration tests of the platform foundation, on real PostgreSQL: one test binary, a fresh
//! database per test (cloned from a migrated template), so tests run in parallel.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
#![expect(unreachable_pub, reason = "test helpers")]

mod access;
mod bulk;
mod crash;
mod demo_seed;
mod dossier_exports;
mod duplicates;
mod eligibility;
mod exports;
mod help;
mod identity;
mod isolation;
mod jobs;
mod journal;
mod keys;
mod limits;
mod login;
mod nomination;
mod pages;
mod pieces;
mod pipeline;
mod proconnect;
mod proposal_imports;
mod queue;
mod random_forms;
mod readlog;
mod refusals;
mod registry;
mod registry_import;
mod roles;
mod rules_cli;
mod schema;
mod search;
mod split;
mod stamps;
mod statements;
mod telemetry;
mod walk;
mod web;

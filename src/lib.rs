//! kinerja: an event-sourced performance ledger for the civil servants (ASN) of an Indonesian city
//! government. Every target set, report filed, evaluation made, award granted, training completed and
//! survey answered is an immutable, hash-chained event; projections fold the log into scores,
//! dashboards and audit trails.
//!
//! # Layout
//!
//! - [`app`]: use cases: load, fold, decide, append with the expected revision; access tokens.
//! - [`domain`]: the performance cycle as events and pure deciders. No I/O, no clock, no ids.
//! - [`store`]: the event store contract ([`store::EventStore`]) and its backends (in-memory,
//!   SQLite, PostgreSQL), the single writer with group commit, the hash chain and `verify`.
//! - [`http`]: the axum service: routes, problem+json errors, bearer-token access.
//! - [`web`]: the web interface (server-rendered HTML under `/ui`, Bahasa Indonesia and English).
//! - [`proofs`]: the RFC 6962 Merkle tree, signed tree heads, inclusion and consistency proofs.
//! - [`ledger`]: proofs, signed heads and full verification over a store.
//! - [`config`]: typed settings read from flags and `KINERJA_…` environment variables.
//! - [`cli`]: the `kinerja` command line.
#![deny(unsafe_code)]
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod ledger;
pub mod projections;
pub mod proofs;
pub mod store;
pub mod telemetry;
pub mod web;

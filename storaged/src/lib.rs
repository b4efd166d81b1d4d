//! storaged: the one service of an ironstor appliance.
//!
//! It finds the drives, builds the pool, carves volumes, remembers what it
//! was asked to do and answers over an API. Every place it touches the OS
//! goes through a narrow seam (a command runner, a sysfs root, a `/dev`
//! root, a state directory) so tests point it at fixtures and fakes.
//!
//! It must never destroy or format anything it was not explicitly asked to.
//!
//! The layers, top to bottom, are in the [`engine`] module's doc; each
//! module imports only from its layer or below (`tests/layers.rs`).
//!
//! Tests come in tiers: unit and fixture tests (temp-dir trees, the fake
//! `zpool`/`zfs`, `storaged --sim` started as the daemon starts) need
//! nothing on the host; the `host_tools` modules run real tools (Samba's
//! `testparm`) and fail naming the package when it is missing. Run
//! `cargo test -p storaged -- --skip host_tools::` without them, or
//! `cargo test -p storaged host_tools::` for them alone.

pub mod api;
pub mod auth;
pub mod collector;
pub mod config;
pub mod daemon;
pub mod drives;
pub mod engine;
pub mod lio;
pub mod names;
pub mod netif;
pub mod nfs;
pub mod notify;
pub mod platform;
pub mod reconcile;
pub mod roots;
pub mod runner;
pub mod samba;
pub mod sharing;
pub mod ssh;
pub mod state;
pub mod tls;
pub mod upgrade;
pub mod util;
pub mod var_source;
pub mod web;
pub mod zfs;

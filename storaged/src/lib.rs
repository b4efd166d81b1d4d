//! storaged: the one service of an ironstor appliance.
//!
//! It finds the drives, builds the pool, carves volumes, remembers what it
//! was asked to do and answers over an API. Every place it touches the OS
//! goes through a narrow seam (a command runner, a sysfs root, a `/dev`
//! root, a state directory) so tests point it at fixtures and fakes.
//!
//! It must never destroy or format anything it was not explicitly asked to.

pub mod api;
pub mod auth;
pub mod config;
pub mod daemon;
pub mod drives;
pub mod engine;
pub mod lio;
pub mod names;
pub mod nfs;
pub mod notify;
pub mod platform;
pub mod reconcile;
pub mod roots;
pub mod runner;
pub mod samba;
pub mod sharing;
pub mod state;
pub mod tls;
pub mod upgrade;
pub mod util;
pub mod var_source;
pub mod zfs;

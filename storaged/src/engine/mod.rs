//! The engine: storaged's domain operations, with no HTTP in them.
//!
//! Each part takes engine-level inputs (validated names, `state` types,
//! small input structs of its own), checks the change against the desired
//! state before anything runs on the machine, runs it through the wrappers
//! of the outside systems, and saves the state once it succeeded. Errors
//! are typed ([`EngineError`]); the API maps them to HTTP statuses in one
//! place (`api/error.rs`).
//!
//! Layers, each importing only those below it (enforced by
//! `tests/layers.rs`):
//!
//! ```text
//! daemon, config          start-up, listeners, the one choice of machine
//! api                     HTTP: parse, call the engine, map errors
//! engine                  domain operations (this module)
//! state, apply, sharing,  desired state and reconcile; credentials;
//!   auth, upgrade           A/B slots
//! zfs, lio, nfs, samba,   one typed wrapper per outside system
//!   drives, tls, notify,
//!   runner, platform,
//!   var_source, roots
//! util, names             small shared helpers and validated names
//! ```
//!
//! Parts, one module each: `start` (the start-up reconcile and the trial
//! boot's verdict). Parts to come go beside them: network, alerts,
//! replication.

mod machine;
pub mod start;

pub use machine::Machine;

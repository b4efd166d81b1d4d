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
//! state, reconcile,       the desired state and reconciling the machine
//!   sharing, auth,          with it (pools, then the sharing services);
//!   upgrade                 credentials; A/B slots
//! zfs, lio, nfs, samba,   one typed wrapper per outside system
//!   drives, tls, notify,
//!   runner, platform,
//!   var_source, roots, ssh
//! util, names             small shared helpers and validated names
//! ```
//!
//! Parts, one module each:
//! - `auth`: first-time setup, login and logout;
//! - `drives`: the inventory;
//! - `pools`: list, create from inventory disks, status, import, export,
//!   scrub, destroy;
//! - `storage`: datasets and volumes (list, create, change, destroy);
//! - `sharing`: iSCSI targets, NFS exports, SMB shares and users, and who
//!   is connected;
//! - `snapshots`: list, take, roll back, destroy;
//! - `presets`: vmware-iscsi, smb-video and pi-nfs-root, each built from
//!   the operations above, all or nothing;
//! - `ssh`: the owner's SSH service (keys only, off by default);
//! - `upgrade`: A/B installs, rollback, reboot;
//! - `start`: the start-up reconcile and the trial boot's verdict.
//!
//! Parts to come go beside them, each a module with its operations and
//! its variants in [`EngineError`]: network, alerts, replication.
//!
//! The API serialises one operation that changes the machine at a time and
//! runs operations off its async runtime; the engine's functions are plain
//! blocking calls.

pub mod auth;
pub mod console;
pub mod declared;
pub mod drives;
mod machine;
pub mod pools;
pub mod presets;
pub mod sharing;
pub mod snapshots;
pub mod ssh;
pub mod start;
pub mod storage;
pub mod upgrade;

pub use machine::Machine;

use crate::auth::AuthError;
use crate::drives::DriveError;
use crate::lio::Iqn;
use crate::names::{DatasetName, DiskId, NameError, PoolName, SnapshotName};
use crate::runner::CommandError;
use crate::samba::{SambaError, ShareName};
use crate::sharing::sessions::SessionsError;
use crate::sharing::SharingError;
use crate::state::{LoadError, MutationError, SaveError};
use crate::upgrade::UpgradeError;
use crate::zfs::ZfsError;

/// Why an engine operation did not happen (or happened but was not
/// recorded). Each variant keeps the lower layer's typed error, so the API
/// can choose a status for each case.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// `zpool`/`zfs` refused or failed.
    #[error(transparent)]
    Zfs(#[from] ZfsError),
    /// The change does not fit the desired state.
    #[error(transparent)]
    Mutation(#[from] MutationError),
    /// The desired state does not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The drive inventory could not be taken.
    #[error(transparent)]
    Drives(DriveError),
    /// Disks refused for a new pool, before anything ran.
    #[error(transparent)]
    Disks(#[from] pools::DiskRefusal),
    #[error("pool {pool}: {disk} cannot replace itself; name the new disk")]
    ReplaceWithItself { pool: PoolName, disk: DiskId },
    #[error("pool {pool}: {disk} is a member already")]
    AlreadyAMember { pool: PoolName, disk: DiskId },
    #[error("pool {pool} is not adopted into the desired state: {reason}")]
    CannotAdopt { pool: String, reason: String },
    #[error("pool {pool} is declared but not imported; import it (storagectl pool import {pool})")]
    PoolNotImported { pool: PoolName },
    /// A name given does not parse (a snapshot's pool, say).
    #[error(transparent)]
    BadName(NameError),
    /// A snapshot of something the desired state does not declare.
    #[error("{name} is not a declared dataset, volume or pool")]
    SnapshotOfUndeclared { name: String },
    #[error("no snapshot {0}")]
    NoSuchSnapshot(SnapshotName),
    #[error("iSCSI target {0} is declared already")]
    TargetExists(Iqn),
    /// The target does not fit the configuration (its field is named
    /// within the whole configuration's `targets[i]`).
    #[error(transparent)]
    TargetRejected(MutationError),
    #[error("{0} is exported already")]
    ExportExists(DatasetName),
    #[error("SMB share {0} is declared already")]
    ShareExists(ShareName),
    #[error("no randomness for the appliance id: {0}")]
    NoRandomness(String),
    /// LIO, nfsd's or smbd's files, the accounts.
    #[error(transparent)]
    Sharing(SharingError),
    /// The services refused a change, and were brought back to what is
    /// declared (or `restore` says why not); nothing was saved.
    #[error("{error}")]
    NotApplied {
        error: Box<SharingError>,
        restore: Option<Box<SharingError>>,
    },
    #[error(transparent)]
    Samba(#[from] SambaError),
    #[error(transparent)]
    Sessions(SessionsError),
    /// Setup or login refused, or the credentials could not be kept.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// An install, rollback or reboot refused or failed.
    #[error(transparent)]
    Upgrade(#[from] UpgradeError),
    /// `systemctl reboot` or `poweroff` failed (the console's power keys).
    #[error("cannot {verb}")]
    Power {
        verb: &'static str,
        #[source]
        source: CommandError,
    },
    /// The machine changed but the state file could not say so.
    #[error("{done}, but storaged could not record it in its state")]
    NotRecorded {
        done: String,
        /// Boxed: it is large and rare, and every result carries the enum.
        #[source]
        source: Box<SaveError>,
    },
    /// A preset's share or LUN was refused after its dataset was made.
    #[error(transparent)]
    Preset(#[from] presets::PresetError),
    /// The SSH service's settings were refused or could not be applied.
    #[error(transparent)]
    Ssh(#[from] crate::ssh::SshError),
}

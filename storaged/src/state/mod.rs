//! Persisted desired state under the state directory: atomic, versioned, migrated.
//!
//! - [`schema`]: what the admin asked for (pools, datasets, volumes, and
//!   empty sections for iSCSI, NFS, SMB, users, network).
//! - `mutate`, `sharing`: the only way to change it; each change validates and returns
//!   a new state, committed once by [`StateStore::save`].
//! - [`migrate`]: schema versions and the pure migrations between them.
//! - [`store`]: `state.json`, atomic writes, history, corrupt-file handling.
//! - [`reconcile`]: the pure planner from desired + observed to actions.

pub mod migrate;
mod mutate;
pub mod reconcile;
pub mod schema;
mod sharing;
pub mod store;

#[cfg(test)]
mod tests;

pub use migrate::{MigrateError, MigrationRecord, CURRENT_VERSION};
pub use mutate::{MutationError, Removal};
pub use reconcile::{
    plan, Action, ActionReport, Drift, ImportablePool, Kind, Observed, ObservedDataset,
    ObservedVolume, Outcome, Plan,
};
// Compression, Layout and SyncMode are the zfs module's own types: one
// set for the state file, the planner and the command lines.
pub use schema::{
    Compression, Dataset, DatasetProps, DesiredState, Layout, NfsExport, Pool, PoolVdev, SmbShare,
    SshSection, SyncMode, User, Volume, DEFAULT_COMPRESSION, DEFAULT_VOLBLOCKSIZE, FIRST_USER_UID,
    USERS_GID,
};
pub use sharing::{dataset_path, ServedBy};
pub use store::{LoadError, Loaded, SaveError, StateStore, StoreIoError, HISTORY_KEEP};

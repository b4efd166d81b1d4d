//! ZFS pools, datasets, zvols and snapshots through the `zpool` and `zfs` CLIs.
//!
//! A typed wrapper: validated names in, typed rows out, one [`ZfsError`]
//! whose variants name the pool or dataset. Every command goes through the
//! [`CommandRunner`](crate::runner::CommandRunner) handed in; parsers are pure functions over captured
//! output (`-H -p` tab-separated text, or `zpool status -j --json-int`).
//! Plans (the command lines an operation will run) are pure too, so they
//! are checked without a machine; [`fake::FakeZfs`] behaves like the real
//! tools for the commands issued here.
//!
//! What this module must not do:
//! - import with `-f` unless the caller asked for it: a pool that looks in
//!   use by another system is reported ([`ZfsError::PoolInUseElsewhere`]);
//! - destroy a pool without the caller repeating its name;
//! - destroy a dataset that has children or snapshots, roll back past
//!   newer snapshots, or shrink a zvol, unless the caller asked for exactly
//!   that;
//! - pass `-f` to `zpool create` unless the [`PoolSpec`] says `force`
//!   (the API sets it only when the admin forced every in-use disk by id):
//!   disks that carry a pool label or a filesystem are reported
//!   ([`ZfsError::DisksInUse`]);
//! - let `zpool` write a cache file: `/etc` is read-only, and storaged
//!   imports its pools by id itself (`-o cachefile=none` on create and
//!   import).

mod dataset;
pub mod fake;
pub mod parse;
mod pool;
mod pool_maint;
mod props;
mod resize;
mod snapshot;

#[cfg(test)]
mod tests;

pub use dataset::{
    create_dataset, create_zvol, destroy_dataset, get_dataset, list_datasets, plan_create_dataset,
    plan_create_zvol, DatasetSpec, Plan, ZvolSpec, DEFAULT_VOLBLOCKSIZE,
};
pub use parse::{
    DatasetRow, Importable, ImportableMember, ParseError, PoolListRow, PoolStatus, ScanFunction,
    ScanState, ScanStatus, SnapshotRow, StatusReport, VdevErrors, VdevStatus,
};
pub use pool::{
    check_vdevs, create_pool, destroy_pool, ensure_imported, export_pool, list_pools,
    plan_create_pool, pool_status, start_scrub, ImportOutcome, PoolPlan, PoolSpec, ScrubOutcome,
    BY_ID_DIR,
};
pub use pool_maint::{clear_errors, importable_pools, offline_disk, online_disk, replace_disk};
pub use props::{
    Compression, DatasetKind, Health, Layout, SyncMode, VolMode, Warning, WarningKind,
};
pub use resize::{resize_zvol, set_quota, QuotaKind};
pub use snapshot::{
    create_snapshot, destroy_snapshot, list_all_snapshots, list_snapshots, rollback,
};

use crate::names::PoolName;
use crate::runner::{CommandError, CommandLine};

/// What an idempotent operation did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Unchanged,
    Updated,
}

/// Everything that can go wrong in this module. Each variant names the pool,
/// dataset or snapshot it is about; a command failure keeps the
/// [`CommandError`] (command line, status, stderr) as its source.
#[derive(Debug, thiserror::Error)]
pub enum ZfsError {
    #[error("pool {pool}: a {layout} needs at least {min} disks, {got} given")]
    TooFewDisks {
        pool: PoolName,
        layout: Layout,
        min: usize,
        got: usize,
    },
    #[error("pool {pool}: every {layout} vdev needs the same number of disks (ZFS calls anything else a mismatched replication level), got {}", .widths.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    UnevenVdevs {
        pool: PoolName,
        layout: Layout,
        widths: Vec<usize>,
    },
    #[error("pool {pool} has no member {disk} (its members are listed by GET /pools/{pool})")]
    NotAMember { pool: PoolName, disk: String },
    #[error("pool {pool}: zpool refused: {detail}")]
    MemberRefused {
        pool: PoolName,
        action: &'static str,
        detail: String,
    },
    #[error("pool {pool}: disk {disk} is listed more than once")]
    DuplicateDisk { pool: PoolName, disk: String },
    #[error("pool {pool}: mountpoint base {base:?} must be an absolute directory below / without `..` (the root itself is read-only)")]
    BadMountBase { pool: PoolName, base: String },
    #[error("pool {pool}: disks are in use or carry a pool or filesystem label; wipe them first ({})", .details.join("; "))]
    DisksInUse {
        pool: PoolName,
        details: Vec<String>,
    },
    #[error("pool {pool}: a disk is missing ({detail})")]
    DiskMissing { pool: PoolName, detail: String },
    #[error("pool {pool} already exists")]
    PoolExists { pool: PoolName },
    #[error("pool {pool} not found")]
    NoSuchPool { pool: PoolName },
    #[error("pool {pool} looks in use by another system; not importing it without an explicit force ({detail})")]
    PoolInUseElsewhere { pool: PoolName, detail: String },
    #[error("refusing to destroy pool {pool}: the confirmation {confirmation:?} is not its name")]
    ConfirmationMismatch {
        pool: PoolName,
        confirmation: String,
    },
    #[error("{dataset} already exists")]
    DatasetExists { dataset: String },
    #[error("{dataset} not found")]
    NoSuchDataset { dataset: String },
    #[error("cannot create {dataset}: its parent does not exist")]
    NoParent { dataset: String },
    #[error("{dataset} is a {actual}, not a {expected}")]
    WrongKind {
        dataset: String,
        expected: DatasetKind,
        actual: DatasetKind,
    },
    #[error("refusing to destroy {dataset}: it has children or snapshots ({}); ask for a recursive destroy", .dependents.join(", "))]
    HasDependents {
        dataset: String,
        dependents: Vec<String>,
    },
    #[error("refusing to roll back to {snapshot}: newer snapshots exist ({}); ask to destroy them", .newer.join(", "))]
    NewerSnapshots {
        snapshot: String,
        newer: Vec<String>,
    },
    #[error("zvol {zvol}: volblocksize {size} is not a power of two from 512 to 131072")]
    BadVolBlockSize { zvol: String, size: u64 },
    #[error("zvol {zvol}: size {size} is not a positive multiple of volblocksize {volblocksize}")]
    BadVolSize {
        zvol: String,
        size: u64,
        volblocksize: u64,
    },
    #[error("zvol {zvol}: shrinking from {from} to {to} bytes discards the data at its end; ask for it explicitly")]
    ShrinkRefused { zvol: String, from: u64, to: u64 },
    #[error("{dataset}: {kind} of {bytes} bytes is below the space it already uses")]
    QuotaBelowUsed {
        dataset: String,
        kind: QuotaKind,
        bytes: u64,
    },
    #[error("{dataset}: a {kind} of 0 bytes is not a limit; pass none to remove it")]
    ZeroQuota { dataset: String, kind: QuotaKind },
    #[error("{object}: out of space")]
    OutOfSpace { object: String },
    #[error("pool {pool}: a scrub or resilver is already running")]
    ScanRunning { pool: PoolName },
    #[error("cannot read the output of `{command}` about {object}")]
    Parse {
        object: String,
        command: String,
        #[source]
        source: ParseError,
    },
    #[error("cannot {action} {object}")]
    Command {
        action: &'static str,
        object: String,
        #[source]
        source: Box<CommandError>,
    },
}

/// The pool a dataset, zvol or snapshot name belongs to. Callers pass
/// names that came from a validated [`crate::names`] type, whose pool part
/// is a valid pool name.
fn pool_of(name: &str) -> PoolName {
    let end = name.find(['/', '@']).unwrap_or(name.len());
    name[..end]
        .parse()
        .expect("validated dataset names start with a valid pool name")
}

/// The generic failure: the action, the object, the command error as source.
fn failed(action: &'static str, object: impl ToString, source: CommandError) -> ZfsError {
    ZfsError::Command {
        action,
        object: object.to_string(),
        source: Box::new(source),
    }
}

fn parse_failed(object: impl ToString, command: &CommandLine, source: ParseError) -> ZfsError {
    ZfsError::Parse {
        object: object.to_string(),
        command: command.to_string(),
        source,
    }
}

/// The names listed after the "use '-r' to ..." (or `-R`) line of
/// `zfs destroy` or `zfs rollback` stderr.
fn names_after_use_line(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("use '-"))
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Serde helpers for types this module does not own.
mod ser {
    use serde::Serializer;

    use crate::runner::CommandLine;

    /// Command lines as the shell-quoted strings `Display` gives.
    pub fn commands<S: Serializer>(commands: &[CommandLine], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(commands.iter().map(ToString::to_string))
    }
}

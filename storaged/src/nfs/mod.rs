//! NFS exports for the kernel nfsd: desired exports in, an `exports(5)`
//! file, an `nfs.conf` and the `exportfs` reload plan out.
//!
//! Everything here is pure except [`reload`], which runs `exportfs -ra`
//! through the [`CommandRunner`]. Writing the rendered files under `/run`
//! and deciding when to reload belong to the caller.
//!
//! How nfsd finds files that live under `/run` while `/etc` is read-only:
//! Debian's nfs-kernel-server reads `/etc/exports` and every
//! `/etc/exports.d/*.exports` (its `nfs-server.service` runs `exportfs -r`
//! before starting nfsd), and `exportfs` has no option naming another file
//! (`-f` flushes the kernel's export cache; it does not take a path). So
//! the image ships [`EXPORTS_LINK`], a symlink in `/etc/exports.d` to
//! [`EXPORTS_FILE`], and leaves Debian's `/etc/exports` alone (an
//! unmodified conffile, empty of exports). Likewise every nfs-utils daemon
//! reads `/etc/nfs.conf.d/*.conf` after `/etc/nfs.conf`: the image links
//! [`NFS_CONF_LINK`] to [`NFS_CONF_FILE`]. storaged must write both files
//! before `nfs-server.service` starts.
//!
//! What this module must not do:
//! - export to everyone unless `*` is listed explicitly;
//! - make `async` or `insecure` a default: both are opt-ins with a warning;
//! - derive an `fsid` from anything but the dataset name.

mod client;
mod conf;
mod exports;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use client::{Client, ClientError};
pub use conf::{render_nfs_conf, NfsSettings, MAX_THREADS};
pub use exports::{
    export_warnings, fsid, render_exports, Access, Export, ExportWarning, ExportWarningKind,
    Squash, Writes,
};

use crate::names::DatasetName;
use crate::runner::{CommandError, CommandLine, CommandRunner, Program};

/// Where storaged writes the rendered exports.
pub const EXPORTS_FILE: &str = "/run/storaged/nfs/storaged.exports";
/// The symlink the image carries, pointing at [`EXPORTS_FILE`].
pub const EXPORTS_LINK: &str = "/etc/exports.d/storaged.exports";
/// Where storaged writes the rendered `nfs.conf`.
pub const NFS_CONF_FILE: &str = "/run/storaged/nfs/nfs.conf";
/// The symlink the image carries, pointing at [`NFS_CONF_FILE`].
pub const NFS_CONF_LINK: &str = "/etc/nfs.conf.d/storaged.conf";

/// Everything that can go wrong here; each variant names the export (by
/// dataset) and the field, or the setting.
#[derive(Debug, thiserror::Error)]
pub enum NfsError {
    #[error("export {dataset}: path {path:?} must be absolute and normalised (no `.`, `..`, `//` or trailing /), not /, without control characters")]
    BadPath { dataset: DatasetName, path: PathBuf },
    #[error(
        "export {dataset}: clients is empty; list networks or hosts, or \"*\" for every client"
    )]
    NoClients { dataset: DatasetName },
    /// Self-contained (not a `#[source]`): serde shows only this message.
    #[error("export {dataset}: clients: {error}")]
    BadClient {
        dataset: DatasetName,
        error: ClientError,
    },
    #[error("export {dataset}: clients lists {client} twice")]
    DuplicateClient {
        dataset: DatasetName,
        client: Client,
    },
    #[error("exports {first} and {second}: both have path {path:?}")]
    DuplicatePath {
        path: PathBuf,
        first: DatasetName,
        second: DatasetName,
    },
    #[error("export {dataset}: the dataset is exported twice")]
    DuplicateDataset { dataset: DatasetName },
    #[error("exports {first} and {second}: their fsids collide")]
    FsidCollision {
        first: DatasetName,
        second: DatasetName,
    },
    #[error("nfs settings: threads must be 1 to {MAX_THREADS}, not {threads}")]
    BadThreads { threads: u16 },
    #[error("nfs settings: {field} {port} is reserved (0, 111 rpcbind, 2049 nfsd)")]
    BadPort { field: &'static str, port: u16 },
    #[error("nfs settings: {field} and {other} are both {port}")]
    PortClash {
        field: &'static str,
        other: &'static str,
        port: u16,
    },
    #[error("nfs settings: state_dir {path:?} must be a normalised path below /var (the root is read-only)")]
    BadStateDir { path: PathBuf },
    #[error("cannot reload the NFS exports")]
    Reload {
        #[source]
        source: Box<CommandError>,
    },
}

/// `exportfs -ra`: re-reads every exports file, exports what is new or
/// changed and unexports what is gone. Clients of unchanged exports keep
/// their mounts.
pub fn plan_reload() -> CommandLine {
    CommandLine::new(Program::Exportfs, ["-ra"])
}

/// Runs [`plan_reload`]. Call it after writing [`EXPORTS_FILE`].
pub fn reload(runner: &dyn CommandRunner) -> Result<(), NfsError> {
    runner
        .run(&plan_reload())
        .map(drop)
        .map_err(|source| NfsError::Reload {
            source: Box::new(source),
        })
}

//! Desired NFS exports and the `exports(5)` file rendered from them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::client::Client;
use super::NfsError;
use crate::names::DatasetName;

/// One exported dataset.
///
/// In JSON (state file, API), with the defaults spelled out:
/// `{"dataset": "tank/esx", "path": "/mnt/tank/esx", "clients":
/// ["10.0.10.0/24"], "access": "rw", "squash": "no_root_squash",
/// "writes": "sync", "insecure": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawExport")]
pub struct Export {
    /// The dataset; its name is also where the export's `fsid` comes from.
    pub dataset: DatasetName,
    /// Where the dataset is mounted (the caller reads it from ZFS).
    pub path: PathBuf,
    /// Who may mount it. Never empty; `*` only when listed explicitly.
    pub clients: Vec<Client>,
    pub access: Access,
    pub squash: Squash,
    pub writes: Writes,
    /// Accept requests from source ports at or above 1024. Only for
    /// clients behind NAT or port forwarding (QEMU's user-mode network in
    /// the tests); a real client mounts from a privileged port.
    pub insecure: bool,
}

/// The JSON shape of [`Export`], checked into one by `TryFrom`, so a bad
/// client is reported with the export it belongs to.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExport {
    dataset: DatasetName,
    path: PathBuf,
    clients: Vec<String>,
    #[serde(default)]
    access: Access,
    #[serde(default)]
    squash: Squash,
    #[serde(default)]
    writes: Writes,
    #[serde(default)]
    insecure: bool,
}

impl TryFrom<RawExport> for Export {
    type Error = NfsError;
    fn try_from(raw: RawExport) -> Result<Self, NfsError> {
        let clients = raw
            .clients
            .iter()
            .map(|c| c.parse())
            .collect::<Result<Vec<Client>, _>>()
            .map_err(|error| NfsError::BadClient {
                dataset: raw.dataset.clone(),
                error,
            })?;
        let export = Export {
            dataset: raw.dataset,
            path: raw.path,
            clients,
            access: raw.access,
            squash: raw.squash,
            writes: raw.writes,
            insecure: raw.insecure,
        };
        export.check()?;
        Ok(export)
    }
}

/// Read-only (`ro`, the default, as in `exports(5)`) or read-write (`rw`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[schemars(rename = "NfsAccess")]
pub enum Access {
    #[default]
    #[serde(rename = "ro")]
    ReadOnly,
    #[serde(rename = "rw")]
    ReadWrite,
}

/// How the server maps the client's root (or every) user.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Squash {
    /// The client's root acts as `nobody`. The default.
    #[default]
    RootSquash,
    /// The client's root stays root. ESXi needs this on a datastore: it
    /// creates and locks VM files as root.
    NoRootSquash,
    /// Every client user acts as `nobody`: anonymous read-mostly shares.
    AllSquash,
}

/// Whether the server may acknowledge a write before it is on the pool.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Writes {
    /// Replies after the data is on stable storage, as NFS promises. The
    /// default.
    #[default]
    Sync,
    /// Replies before: faster, and wrong after a crash. See
    /// [`ExportWarningKind::Async`].
    Async,
}

impl Access {
    fn option(self) -> &'static str {
        match self {
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
        }
    }
}

impl Squash {
    fn option(self) -> &'static str {
        match self {
            Squash::RootSquash => "root_squash",
            Squash::NoRootSquash => "no_root_squash",
            Squash::AllSquash => "all_squash",
        }
    }
}

impl Writes {
    fn option(self) -> &'static str {
        match self {
            Writes::Sync => "sync",
            Writes::Async => "async",
        }
    }
}

impl Export {
    /// Checks what can be checked on one export alone: the path and the
    /// client list.
    pub fn check(&self) -> Result<(), NfsError> {
        if !path_ok(&self.path) {
            return Err(NfsError::BadPath {
                dataset: self.dataset.clone(),
                path: self.path.clone(),
            });
        }
        if self.clients.is_empty() {
            return Err(NfsError::NoClients {
                dataset: self.dataset.clone(),
            });
        }
        let mut seen = BTreeMap::new();
        for client in &self.clients {
            if seen.insert(client, ()).is_some() {
                return Err(NfsError::DuplicateClient {
                    dataset: self.dataset.clone(),
                    client: client.clone(),
                });
            }
        }
        Ok(())
    }

    /// The export's options, in the order they are rendered.
    fn options(&self) -> String {
        let mut opts = vec![
            self.access.option(),
            self.writes.option(),
            "no_subtree_check",
            self.squash.option(),
        ];
        if self.insecure {
            opts.push("insecure");
        }
        let fsid = format!("fsid={}", fsid(&self.dataset));
        opts.push(&fsid);
        opts.join(",")
    }
}

/// An absolute, normalised path below `/` without control characters.
fn path_ok(path: &Path) -> bool {
    let Some(s) = path.to_str() else {
        return false;
    };
    path.is_absolute()
        && crate::names::is_normal_absolute_path(s)
        && s.len() <= 4096
        && !s.chars().any(char::is_control)
        && path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

/// The export's `fsid`: a UUID made from the SHA-256 of the dataset name.
///
/// Clients (ESXi above all) identify a filesystem by the fsid inside their
/// file handles; if it changes, every open file goes stale and ESXi marks
/// the datastore inaccessible. Deriving it from the name, not from the
/// export's position or the device number, keeps it the same across
/// reboots, pool re-imports, and exports added or removed beside it. A
/// renamed dataset gets a new fsid, so its clients must remount. 128 bits
/// make a collision between two names practically impossible;
/// [`render_exports`] checks anyway.
pub fn fsid(dataset: &DatasetName) -> String {
    let digest = Sha256::new()
        .chain_update(b"ironstor nfs fsid\0")
        .chain_update(dataset.as_str().as_bytes())
        .finalize();
    let h: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Something legal but risky in an export, for the API and the web page to
/// show beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportWarning {
    pub dataset: DatasetName,
    pub kind: ExportWarningKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportWarningKind {
    Async,
    Insecure,
}

impl fmt::Display for ExportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "export {}: ", self.dataset)?;
        match self.kind {
            ExportWarningKind::Async => f.write_str(
                "async: the server acknowledges writes before they reach the pool. NFS \
                 promises a client (ESXi above all, which writes every VM disk \
                 synchronously) that an acknowledged write survives a crash; with async a \
                 power cut or crash silently loses writes the VMs believe are safe and can \
                 corrupt their disks. Keep sync, and add a fast log device (SLOG) if sync \
                 writes are too slow.",
            ),
            ExportWarningKind::Insecure => f.write_str(
                "insecure: requests from unprivileged source ports are accepted, so any \
                 user on a listed client can speak NFS as any uid. Meant for port \
                 forwarding in tests, not for production clients.",
            ),
        }
    }
}

/// The warnings for these exports, in rendering order (by path).
pub fn export_warnings(exports: &[Export]) -> Vec<ExportWarning> {
    let mut sorted: Vec<&Export> = exports.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = Vec::new();
    for e in sorted {
        if e.writes == Writes::Async {
            out.push(ExportWarning {
                dataset: e.dataset.clone(),
                kind: ExportWarningKind::Async,
            });
        }
        if e.insecure {
            out.push(ExportWarning {
                dataset: e.dataset.clone(),
                kind: ExportWarningKind::Insecure,
            });
        }
    }
    out
}

/// Renders the exports file storaged writes under `/run` (see
/// [`super::EXPORTS_LINK`] for how nfsd finds it).
///
/// One line per export, sorted by path, each client with the export's
/// options; the same exports in any order give the same bytes. Refuses an
/// export that fails [`Export::check`], a dataset or path exported twice,
/// and (never seen in practice) two datasets whose fsids collide.
pub fn render_exports(exports: &[Export]) -> Result<String, NfsError> {
    let mut by_path: BTreeMap<&Path, &Export> = BTreeMap::new();
    let mut by_dataset: BTreeMap<&DatasetName, &Export> = BTreeMap::new();
    let mut by_fsid: BTreeMap<String, &Export> = BTreeMap::new();
    for e in exports {
        e.check()?;
        if let Some(other) = by_path.insert(&e.path, e) {
            return Err(NfsError::DuplicatePath {
                path: e.path.clone(),
                first: other.dataset.clone(),
                second: e.dataset.clone(),
            });
        }
        if by_dataset.insert(&e.dataset, e).is_some() {
            return Err(NfsError::DuplicateDataset {
                dataset: e.dataset.clone(),
            });
        }
        if let Some(other) = by_fsid.insert(fsid(&e.dataset), e) {
            return Err(NfsError::FsidCollision {
                first: other.dataset.clone(),
                second: e.dataset.clone(),
            });
        }
    }
    let mut out = String::from(
        "# Generated by storaged from its state; edits here are lost.\n\
         # fsid is derived from the dataset name: stable across reboots and\n\
         # other exports coming and going.\n",
    );
    let warnings = export_warnings(exports);
    for e in by_path.values() {
        out.push('\n');
        for w in warnings.iter().filter(|w| w.dataset == e.dataset) {
            let kind = match w.kind {
                ExportWarningKind::Async => "async: acknowledged writes can be lost on a crash",
                ExportWarningKind::Insecure => "insecure: unprivileged source ports accepted",
            };
            out.push_str(&format!("# warning: {kind}\n"));
        }
        let mut clients = e.clients.clone();
        clients.sort();
        let options = e.options();
        out.push_str(&escape_path(&e.path));
        for c in &clients {
            out.push_str(&format!(" {c}({options})"));
        }
        out.push('\n');
    }
    Ok(out)
}

/// The path as `exports(5)` reads it: blanks, `\`, `#`, `"` and anything
/// outside printable ASCII as a backslash and three octal digits.
fn escape_path(path: &Path) -> String {
    let s = path.to_str().expect("checked paths are UTF-8");
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic() && !matches!(b, b'\\' | b'#' | b'"') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\{b:03o}"));
        }
    }
    out
}

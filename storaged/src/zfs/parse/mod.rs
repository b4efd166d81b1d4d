//! Pure parsers for the output of the `zpool` and `zfs` commands this
//! module runs. Each doc comment quotes the exact command; the tests in
//! `parse/tests.rs` feed them output in the shape OpenZFS 2.3 prints.

mod import;
mod status;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use import::{parse_import_list, Importable, ImportableMember};
pub use status::{
    parse_pool_status_json, PoolStatus, ScanFunction, ScanState, ScanStatus, StatusReport,
    VdevErrors, VdevStatus,
};

use super::props::{BadValue, Compression, DatasetKind, Health, SyncMode, VolMode};

/// The `-o` list of every `zfs list` of datasets and zvols.
pub const DATASET_COLUMNS: &str = "name,type,used,avail,refer,volsize,volblocksize,compression,sync,quota,refquota,refreservation,volmode,recordsize,mountpoint,mounted";
/// The `-o` list of every `zfs list -t snapshot`.
pub const SNAPSHOT_COLUMNS: &str = "name,used,refer,creation";
/// The `-o` list of every `zpool list`.
pub const POOL_COLUMNS: &str = "name,health,size,allocated,free,capacity,fragmentation";

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: expected {expected} tab-separated fields, found {found}")]
    FieldCount {
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("line {line}: {field} {value:?} is not {what}")]
    BadField {
        line: usize,
        field: &'static str,
        value: String,
        what: &'static str,
    },
    #[error("line {line}: {field}")]
    BadProperty {
        line: usize,
        field: &'static str,
        #[source]
        source: BadValue,
    },
    #[error("the JSON does not have the shape of `zpool status -j --json-int`")]
    Json(#[source] serde_json::Error),
    #[error("pool {0} is not in the output")]
    MissingPool(String),
}

/// One filesystem or zvol, a row of `zfs list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct DatasetRow {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: DatasetKind,
    /// Bytes used by it, its children, snapshots and reservation.
    pub used: u64,
    pub available: u64,
    /// Bytes of data it references.
    pub referenced: u64,
    /// Zvols only.
    pub volsize: Option<u64>,
    /// Zvols only.
    pub volblocksize: Option<u64>,
    pub compression: Compression,
    pub sync: SyncMode,
    /// Filesystems only; `None` is no quota.
    pub quota: Option<u64>,
    /// Filesystems only; `None` is no refquota.
    pub refquota: Option<u64>,
    /// 0 on a sparse zvol.
    pub refreservation: u64,
    pub volmode: VolMode,
    /// Filesystems only.
    pub recordsize: Option<u64>,
    /// Filesystems only: a path, `none` or `legacy`.
    pub mountpoint: Option<String>,
    /// Filesystems only.
    pub mounted: Option<bool>,
}

impl DatasetRow {
    /// A zvol with no reservation: thin-provisioned.
    pub fn is_sparse(&self) -> bool {
        self.kind == DatasetKind::Volume && self.refreservation == 0
    }
}

/// One snapshot, a row of `zfs list -t snapshot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct SnapshotRow {
    /// The full name, `pool/a@snap`.
    pub name: String,
    /// The part before `@`.
    pub dataset: String,
    /// The part after `@`.
    pub snapshot: String,
    /// Bytes only this snapshot holds.
    pub used: u64,
    pub referenced: u64,
    /// Seconds since the Unix epoch.
    pub created: u64,
}

/// A pool's capacity and health, a row of `zpool list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolListRow {
    pub name: String,
    pub health: Health,
    /// Raw bytes (parity included for raidz).
    pub size: u64,
    pub allocated: u64,
    pub free: u64,
    pub capacity_percent: u64,
    /// `None` when the pool cannot tell (`-`).
    pub fragmentation_percent: Option<u64>,
}

/// Splits each non-empty line into exactly `n` tab-separated fields.
fn rows(stdout: &str, n: usize) -> impl Iterator<Item = Result<(usize, Vec<&str>), ParseError>> {
    stdout
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(move |(i, l)| {
            let fields: Vec<&str> = l.split('\t').collect();
            if fields.len() == n {
                Ok((i + 1, fields))
            } else {
                Err(ParseError::FieldCount {
                    line: i + 1,
                    expected: n,
                    found: fields.len(),
                })
            }
        })
}

fn number(line: usize, field: &'static str, v: &str) -> Result<u64, ParseError> {
    v.parse().map_err(|_| ParseError::BadField {
        line,
        field,
        value: v.to_string(),
        what: "an exact number (was -p given?)",
    })
}

/// `-` (not applicable) is `None`.
fn maybe_number(line: usize, field: &'static str, v: &str) -> Result<Option<u64>, ParseError> {
    if v == "-" {
        Ok(None)
    } else {
        number(line, field, v).map(Some)
    }
}

fn property<T: std::str::FromStr<Err = BadValue>>(
    line: usize,
    field: &'static str,
    v: &str,
) -> Result<T, ParseError> {
    v.parse().map_err(|source| ParseError::BadProperty {
        line,
        field,
        source,
    })
}

/// Parses the datasets and zvols printed by
/// `zfs list -H -p -o name,type,used,avail,refer,volsize,volblocksize,compression,sync,quota,refquota,refreservation,volmode,recordsize,mountpoint,mounted -t filesystem,volume -r <pool>`
/// (or the same without `-t … -r` for one named dataset).
pub fn parse_dataset_list(stdout: &str) -> Result<Vec<DatasetRow>, ParseError> {
    rows(stdout, 16)
        .map(|r| {
            let (n, f) = r?;
            let quota = maybe_number(n, "quota", f[9])?.filter(|&q| q != 0);
            let refquota = maybe_number(n, "refquota", f[10])?.filter(|&q| q != 0);
            Ok(DatasetRow {
                name: f[0].to_string(),
                kind: property(n, "type", f[1])?,
                used: number(n, "used", f[2])?,
                available: number(n, "avail", f[3])?,
                referenced: number(n, "refer", f[4])?,
                volsize: maybe_number(n, "volsize", f[5])?,
                volblocksize: maybe_number(n, "volblocksize", f[6])?,
                compression: property(n, "compression", f[7])?,
                sync: property(n, "sync", f[8])?,
                quota,
                refquota,
                refreservation: number(n, "refreservation", f[11])?,
                volmode: property(n, "volmode", f[12])?,
                recordsize: maybe_number(n, "recordsize", f[13])?,
                mountpoint: (f[14] != "-").then(|| f[14].to_string()),
                mounted: match f[15] {
                    "yes" => Some(true),
                    "no" => Some(false),
                    "-" => None,
                    other => {
                        return Err(ParseError::BadField {
                            line: n,
                            field: "mounted",
                            value: other.to_string(),
                            what: "yes, no or -",
                        })
                    }
                },
            })
        })
        .collect()
}

/// Parses the snapshots printed by
/// `zfs list -H -p -t snapshot -o name,used,refer,creation -s createtxg -d 1 <dataset>`
/// (or `-r <pool>` for all of a pool's), oldest first.
pub fn parse_snapshot_list(stdout: &str) -> Result<Vec<SnapshotRow>, ParseError> {
    rows(stdout, 4)
        .map(|r| {
            let (n, f) = r?;
            let (dataset, snapshot) = f[0].split_once('@').ok_or(ParseError::BadField {
                line: n,
                field: "name",
                value: f[0].to_string(),
                what: "a snapshot name (dataset@snap)",
            })?;
            Ok(SnapshotRow {
                name: f[0].to_string(),
                dataset: dataset.to_string(),
                snapshot: snapshot.to_string(),
                used: number(n, "used", f[1])?,
                referenced: number(n, "refer", f[2])?,
                created: number(n, "creation", f[3])?,
            })
        })
        .collect()
}

/// Parses the names printed by `zfs list -H -o name -t all -r <dataset>`.
pub fn parse_name_list(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Parses the pools printed by
/// `zpool list -H -p -o name,health,size,allocated,free,capacity,fragmentation [<pool>]`.
pub fn parse_pool_list(stdout: &str) -> Result<Vec<PoolListRow>, ParseError> {
    rows(stdout, 7)
        .map(|r| {
            let (n, f) = r?;
            Ok(PoolListRow {
                name: f[0].to_string(),
                health: f[1].parse().unwrap_or_else(|e| match e {}),
                size: number(n, "size", f[2])?,
                allocated: number(n, "allocated", f[3])?,
                free: number(n, "free", f[4])?,
                capacity_percent: number(n, "capacity", f[5].trim_end_matches('%'))?,
                fragmentation_percent: maybe_number(
                    n,
                    "fragmentation",
                    f[6].trim_end_matches('%'),
                )?,
            })
        })
        .collect()
}

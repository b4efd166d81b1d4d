//! Resizing: a zvol's `volsize`, a filesystem's `quota` and `refquota`.

use std::fmt;

use serde::Serialize;

use super::dataset::{check_volsize, expect_kind, get_dataset, DEFAULT_VOLBLOCKSIZE};
use super::props::DatasetKind;
use super::{failed, Change, ZfsError};
use crate::names::DatasetName;
use crate::runner::{CommandLine, CommandRunner, Program};

/// `quota` (the dataset with children and snapshots) or `refquota` (its
/// own data only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaKind {
    Quota,
    Refquota,
}

impl fmt::Display for QuotaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuotaKind::Quota => "quota",
            QuotaKind::Refquota => "refquota",
        })
    }
}

/// Sets a zvol's `volsize`. Growing is always allowed; shrinking discards
/// data at the end of the disk, so it needs `allow_shrink`.
pub fn resize_zvol(
    runner: &dyn CommandRunner,
    zvol: &DatasetName,
    new_size: u64,
    allow_shrink: bool,
) -> Result<Change, ZfsError> {
    let name = zvol.as_str();
    let row = get_dataset(runner, zvol)?;
    expect_kind(&row, DatasetKind::Volume)?;
    let volblocksize = row.volblocksize.unwrap_or(DEFAULT_VOLBLOCKSIZE);
    check_volsize(name, new_size, volblocksize)?;
    let current = row.volsize.unwrap_or(0);
    if new_size == current {
        return Ok(Change::Unchanged);
    }
    if new_size < current && !allow_shrink {
        return Err(ZfsError::ShrinkRefused {
            zvol: name.to_string(),
            from: current,
            to: new_size,
        });
    }
    let command = CommandLine::new(
        Program::Zfs,
        [
            "set".to_string(),
            format!("volsize={new_size}"),
            name.to_string(),
        ],
    );
    runner.run(&command).map_err(|e| {
        if e.stderr().contains("out of space") {
            ZfsError::OutOfSpace {
                object: name.to_string(),
            }
        } else {
            failed("resize", name, e)
        }
    })?;
    Ok(Change::Updated)
}

/// Sets or (with `None`) removes a filesystem's `quota` or `refquota`.
pub fn set_quota(
    runner: &dyn CommandRunner,
    dataset: &DatasetName,
    kind: QuotaKind,
    bytes: Option<u64>,
) -> Result<Change, ZfsError> {
    let name = dataset.as_str();
    if bytes == Some(0) {
        return Err(ZfsError::ZeroQuota {
            dataset: name.to_string(),
            kind,
        });
    }
    let row = get_dataset(runner, dataset)?;
    expect_kind(&row, DatasetKind::Filesystem)?;
    let current = match kind {
        QuotaKind::Quota => row.quota,
        QuotaKind::Refquota => row.refquota,
    };
    if current == bytes {
        return Ok(Change::Unchanged);
    }
    let value = bytes.map_or_else(|| "none".to_string(), |b| b.to_string());
    let command = CommandLine::new(
        Program::Zfs,
        [
            "set".to_string(),
            format!("{kind}={value}"),
            name.to_string(),
        ],
    );
    runner.run(&command).map_err(|e| {
        if e.stderr().contains("size is less than current used") {
            ZfsError::QuotaBelowUsed {
                dataset: name.to_string(),
                kind,
                bytes: bytes.unwrap_or(0),
            }
        } else {
            failed("set the quota of", name, e)
        }
    })?;
    Ok(Change::Updated)
}

//! Snapshots: create, list, roll back to, destroy.

use super::parse::{self, SnapshotRow, SNAPSHOT_COLUMNS};
use super::{failed, names_after_use_line, parse_failed, ZfsError};
use crate::names::{DatasetName, PoolName, SnapshotName};
use crate::runner::{CommandLine, CommandRunner, Program};

fn dataset_part(snapshot: &SnapshotName) -> &str {
    snapshot
        .as_str()
        .split_once('@')
        .map_or(snapshot.as_str(), |(d, _)| d)
}

/// `zfs snapshot <dataset@name>`.
pub fn create_snapshot(
    runner: &dyn CommandRunner,
    snapshot: &SnapshotName,
) -> Result<(), ZfsError> {
    let command = CommandLine::new(Program::Zfs, ["snapshot", snapshot.as_str()]);
    runner.run(&command).map_err(|e| {
        let stderr = e.stderr();
        if stderr.contains("dataset already exists") {
            ZfsError::DatasetExists {
                dataset: snapshot.to_string(),
            }
        } else if stderr.contains("dataset does not exist") {
            ZfsError::NoSuchDataset {
                dataset: dataset_part(snapshot).to_string(),
            }
        } else if stderr.contains("out of space") {
            ZfsError::OutOfSpace {
                object: snapshot.to_string(),
            }
        } else {
            failed("snapshot", snapshot, e)
        }
    })?;
    Ok(())
}

fn list(
    runner: &dyn CommandRunner,
    scope: &[&str],
    object: &str,
) -> Result<Vec<SnapshotRow>, ZfsError> {
    let mut args = vec![
        "list",
        "-H",
        "-p",
        "-t",
        "snapshot",
        "-o",
        SNAPSHOT_COLUMNS,
        "-s",
        "createtxg",
    ];
    args.extend_from_slice(scope);
    args.push(object);
    let command = CommandLine::new(Program::Zfs, args);
    let out = runner.run(&command).map_err(|e| {
        if e.stderr().contains("dataset does not exist") {
            ZfsError::NoSuchDataset {
                dataset: object.to_string(),
            }
        } else {
            failed("list the snapshots of", object, e)
        }
    })?;
    parse::parse_snapshot_list(&out.stdout).map_err(|e| parse_failed(object, &command, e))
}

/// The snapshots of one dataset or zvol (not of its children), oldest
/// first.
pub fn list_snapshots(
    runner: &dyn CommandRunner,
    dataset: &DatasetName,
) -> Result<Vec<SnapshotRow>, ZfsError> {
    list(runner, &["-d", "1"], dataset.as_str())
}

/// Every snapshot in a pool, oldest first.
pub fn list_all_snapshots(
    runner: &dyn CommandRunner,
    pool: &PoolName,
) -> Result<Vec<SnapshotRow>, ZfsError> {
    list(runner, &["-r"], pool.as_str()).map_err(|e| match e {
        ZfsError::NoSuchDataset { .. } => ZfsError::NoSuchPool { pool: pool.clone() },
        other => other,
    })
}

/// `zfs rollback <snapshot>`: only to the latest snapshot, unless
/// `destroy_newer` is set (`-r`, which destroys the newer snapshots).
/// Refusals come back as [`ZfsError::NewerSnapshots`] listing them.
pub fn rollback(
    runner: &dyn CommandRunner,
    snapshot: &SnapshotName,
    destroy_newer: bool,
) -> Result<(), ZfsError> {
    let mut args = vec!["rollback"];
    if destroy_newer {
        args.push("-r");
    }
    args.push(snapshot.as_str());
    runner
        .run(&CommandLine::new(Program::Zfs, args))
        .map_err(|e| {
            let stderr = e.stderr();
            if stderr.contains("more recent snapshots") {
                ZfsError::NewerSnapshots {
                    snapshot: snapshot.to_string(),
                    newer: names_after_use_line(stderr),
                }
            } else if stderr.contains("dataset does not exist") {
                ZfsError::NoSuchDataset {
                    dataset: snapshot.to_string(),
                }
            } else {
                failed("roll back to", snapshot, e)
            }
        })?;
    Ok(())
}

/// `zfs destroy <dataset@name>`. A snapshot with clones is refused by
/// `zfs` itself and reported as [`ZfsError::HasDependents`].
pub fn destroy_snapshot(
    runner: &dyn CommandRunner,
    snapshot: &SnapshotName,
) -> Result<(), ZfsError> {
    let command = CommandLine::new(Program::Zfs, ["destroy", snapshot.as_str()]);
    runner.run(&command).map_err(|e| {
        let stderr = e.stderr();
        if stderr.contains("could not find any snapshots")
            || stderr.contains("dataset does not exist")
        {
            ZfsError::NoSuchDataset {
                dataset: snapshot.to_string(),
            }
        } else if stderr.contains("dependent clones") {
            ZfsError::HasDependents {
                dataset: snapshot.to_string(),
                dependents: names_after_use_line(stderr),
            }
        } else {
            failed("destroy", snapshot, e)
        }
    })?;
    Ok(())
}

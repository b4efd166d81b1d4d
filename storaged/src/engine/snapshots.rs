//! Snapshots of declared datasets and volumes: list, create, roll back,
//! destroy. Snapshots are data, not desired state: these operations only
//! run `zfs`. Each one checks first that the dataset or volume is
//! declared, and (for rollback and destroy) that the snapshot exists, so a
//! request that cannot succeed is refused before anything changes.

use crate::names::{DatasetName, PoolName, SnapshotName};
use crate::zfs::{self, SnapshotRow, ZfsError};

use super::declared::Declared;
use super::{EngineError, Machine};

/// The snapshots of `dataset`, else of `pool`, else of every imported pool.
pub fn list(
    machine: &Machine,
    dataset: Option<DatasetName>,
    pool: Option<PoolName>,
) -> Result<Vec<SnapshotRow>, EngineError> {
    let runner = machine.runner.as_ref();
    let rows = match (dataset, pool) {
        (Some(dataset), _) => zfs::list_snapshots(runner, &dataset)?,
        (None, Some(pool)) => zfs::list_all_snapshots(runner, &pool)?,
        (None, None) => {
            let mut rows = Vec::new();
            for pool in zfs::list_pools(runner)? {
                if let Ok(pool) = pool.name.parse::<PoolName>() {
                    rows.extend(zfs::list_all_snapshots(runner, &pool)?);
                }
            }
            rows
        }
    };
    Ok(rows)
}

/// Takes the snapshot `name` of a declared dataset, volume or pool.
pub fn create(machine: &Machine, name: &SnapshotName) -> Result<(), EngineError> {
    check_declared(machine, name)?;
    zfs::create_snapshot(machine.runner.as_ref(), name)?;
    Ok(())
}

/// Rolls back to `name`; the newer snapshots that this destroys need
/// `destroy_newer`. Returns their names.
pub fn rollback(
    machine: &Machine,
    name: &SnapshotName,
    destroy_newer: bool,
) -> Result<Vec<String>, EngineError> {
    check_declared(machine, name)?;
    let rows = siblings(machine, name)?;
    let at = rows
        .iter()
        .position(|row| row.name == name.as_str())
        .ok_or_else(|| EngineError::NoSuchSnapshot(name.clone()))?;
    let newer: Vec<String> = rows[at + 1..].iter().map(|r| r.name.clone()).collect();
    if !newer.is_empty() && !destroy_newer {
        return Err(ZfsError::NewerSnapshots {
            snapshot: name.to_string(),
            newer,
        }
        .into());
    }
    zfs::rollback(machine.runner.as_ref(), name, destroy_newer)?;
    Ok(newer)
}

/// Destroys the snapshot `name`.
pub fn destroy(machine: &Machine, name: &SnapshotName) -> Result<(), EngineError> {
    check_declared(machine, name)?;
    if !siblings(machine, name)?
        .iter()
        .any(|r| r.name == name.as_str())
    {
        return Err(EngineError::NoSuchSnapshot(name.clone()));
    }
    zfs::destroy_snapshot(machine.runner.as_ref(), name)?;
    Ok(())
}

/// The dataset (or pool root) a snapshot is of: the part before `@`.
fn origin(snapshot: &SnapshotName) -> &str {
    snapshot
        .as_str()
        .split_once('@')
        .map_or(snapshot.as_str(), |(d, _)| d)
}

/// Refuses a snapshot of something the desired state does not declare.
fn check_declared(machine: &Machine, snapshot: &SnapshotName) -> Result<(), EngineError> {
    let state = Declared::load(machine)?.state;
    let target = origin(snapshot);
    let declared = match target.parse::<DatasetName>() {
        Ok(name) => state.dataset(&name).is_some() || state.volume(&name).is_some(),
        Err(_) => target
            .parse::<PoolName>()
            .is_ok_and(|pool| state.pool(&pool).is_some()),
    };
    if declared {
        Ok(())
    } else {
        Err(EngineError::SnapshotOfUndeclared {
            name: target.to_string(),
        })
    }
}

/// The snapshots of what `snapshot` is of, oldest first.
fn siblings(machine: &Machine, snapshot: &SnapshotName) -> Result<Vec<SnapshotRow>, EngineError> {
    let target = origin(snapshot);
    let runner = machine.runner.as_ref();
    let rows = match target.parse::<DatasetName>() {
        Ok(name) => zfs::list_snapshots(runner, &name)?,
        Err(_) => {
            let pool: PoolName = target.parse().map_err(EngineError::BadName)?;
            zfs::list_all_snapshots(runner, &pool)?
                .into_iter()
                .filter(|row| row.dataset == target)
                .collect()
        }
    };
    Ok(rows)
}

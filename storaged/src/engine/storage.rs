//! Datasets (for NFS and SMB) and zvols (the disks of iSCSI LUNs): list,
//! create, change, destroy. Each change is checked against the desired
//! state before `zfs` runs and saved only once it succeeded.

use crate::names::{DatasetName, PoolName};
use crate::state::{Dataset, DatasetProps, MutationError, Removal, Volume};
use crate::zfs::{
    self, Change, DatasetKind, DatasetRow, DatasetSpec, Plan, QuotaKind, ZfsError, ZvolSpec,
};

use super::declared::{with_dataset_props, with_volume_size, Declared};
use super::{EngineError, Machine};

/// A dataset or zvol on the machine, and whether it is declared.
pub struct Found {
    pub row: DatasetRow,
    pub declared: bool,
}

/// The filesystems or zvols of `pool` (or of every imported pool), with
/// whether each is declared. Pools' own root filesystems are left out.
pub fn list(
    machine: &Machine,
    pool: Option<PoolName>,
    kind: DatasetKind,
) -> Result<Vec<Found>, EngineError> {
    let state = Declared::load(machine)?.state;
    let runner = machine.runner.as_ref();
    let pools = match pool {
        Some(pool) => vec![pool],
        None => zfs::list_pools(runner)?
            .into_iter()
            .filter_map(|row| row.name.parse().ok())
            .collect(),
    };
    let mut out = Vec::new();
    for pool in pools {
        for row in zfs::list_datasets(runner, &pool)? {
            if row.kind != kind || !row.name.contains('/') {
                continue;
            }
            let declared = row.name.parse::<DatasetName>().is_ok_and(|n| match kind {
                DatasetKind::Filesystem => state.dataset(&n).is_some(),
                DatasetKind::Volume => state.volume(&n).is_some(),
            });
            out.push(Found { row, declared });
        }
    }
    Ok(out)
}

/// Creates the filesystem `dataset` and declares it.
pub fn create_dataset(machine: &Machine, dataset: Dataset) -> Result<Plan, EngineError> {
    let declared = Declared::load(machine)?;
    let props = &dataset.properties;
    let spec = DatasetSpec {
        compression: Some(props.compression),
        sync: props.sync,
        quota: props.quota,
        // Declared properties reach zfs: the smb-video preset sets 1M.
        recordsize: props.recordsize,
        ..DatasetSpec::new(dataset.name.clone())
    };
    let name = dataset.name.clone();
    let next = declared.state.add_dataset(dataset)?;
    zfs::plan_create_dataset(&spec)?;
    let plan = zfs::create_dataset(machine.runner.as_ref(), &spec)?;
    declared.commit(&next, &format!("dataset {name} was created"))?;
    Ok(plan)
}

/// Sets (or, with `None`, removes) the quota of the declared dataset
/// `name`.
pub fn set_quota(
    machine: &Machine,
    name: &DatasetName,
    quota: Option<u64>,
) -> Result<Change, EngineError> {
    let declared = Declared::load(machine)?;
    let current = declared
        .state
        .dataset(name)
        .ok_or_else(|| MutationError::DatasetNotDeclared(name.clone()))?;
    if quota == Some(0) {
        return Err(ZfsError::ZeroQuota {
            dataset: name.to_string(),
            kind: QuotaKind::Quota,
        }
        .into());
    }
    let props = DatasetProps {
        quota,
        ..current.properties.clone()
    };
    let next = with_dataset_props(&declared.state, name, props)?;
    let change = zfs::set_quota(machine.runner.as_ref(), name, QuotaKind::Quota, quota)?;
    declared.commit(&next, &format!("the quota of {name} was set"))?;
    Ok(change)
}

/// Creates the zvol `volume` and declares it.
pub fn create_volume(machine: &Machine, volume: Volume) -> Result<Plan, EngineError> {
    let declared = Declared::load(machine)?;
    let spec = ZvolSpec {
        volblocksize: volume.volblocksize,
        sparse: volume.sparse,
        compression: Some(volume.compression),
        sync: volume.sync,
        ..ZvolSpec::new(volume.name.clone(), volume.size_bytes)
    };
    let name = volume.name.clone();
    let next = declared.state.add_volume(volume)?;
    zfs::plan_create_zvol(&spec)?;
    let plan = zfs::create_zvol(machine.runner.as_ref(), &spec)?;
    declared.commit(&next, &format!("volume {name} was created"))?;
    Ok(plan)
}

/// Resizes the declared zvol `name` to `size` bytes; a smaller size needs
/// `shrink` (the end of the disk is lost).
pub fn resize_volume(
    machine: &Machine,
    name: &DatasetName,
    size: u64,
    shrink: bool,
) -> Result<Change, EngineError> {
    let declared = Declared::load(machine)?;
    let current = declared
        .state
        .volume(name)
        .ok_or_else(|| MutationError::VolumeNotDeclared(name.clone()))?;
    if size < current.size_bytes && !shrink {
        return Err(ZfsError::ShrinkRefused {
            zvol: name.to_string(),
            from: current.size_bytes,
            to: size,
        }
        .into());
    }
    let next = with_volume_size(&declared.state, name, size)?;
    let change = zfs::resize_zvol(machine.runner.as_ref(), name, size, shrink)?;
    declared.commit(&next, &format!("volume {name} was resized"))?;
    Ok(change)
}

/// Destroys the declared dataset or zvol `name` and stops declaring it;
/// `recursive` takes what is below it (and its snapshots) too. Returns
/// everything `zfs destroy` took.
pub fn destroy(
    machine: &Machine,
    kind: DatasetKind,
    name: &DatasetName,
    recursive: bool,
) -> Result<Vec<String>, EngineError> {
    let declared = Declared::load(machine)?;
    let (next, word) = match kind {
        DatasetKind::Filesystem => {
            let removal = if recursive {
                Removal::Recursive
            } else {
                Removal::Single
            };
            (declared.state.remove_dataset(name, removal)?, "dataset")
        }
        DatasetKind::Volume => (declared.state.remove_volume(name)?, "volume"),
    };
    let destroyed = zfs::destroy_dataset(machine.runner.as_ref(), name, recursive)?;
    declared.commit(&next, &format!("{word} {name} was destroyed"))?;
    Ok(destroyed)
}

//! Changes to the desired state. Each method checks its input against the
//! whole state and returns a new value; `self` is never touched, so bad
//! input changes nothing and the caller commits the result once with
//! [`super::StateStore::save`].
//!
//! Removing something here only stops declaring it: nothing on disk is
//! destroyed. Destroying data is a separate, explicit request.

use std::collections::BTreeSet;

use super::schema::{
    is_below, parent_of, pool_of, Dataset, DesiredState, Layout, Parent, Pool, Volume,
};
use crate::names::{DatasetName, DiskId, PoolName};

/// Whether a removal may take declared children along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Refuse when anything is declared below.
    Single,
    /// Also stop declaring everything below.
    Recursive,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MutationError {
    #[error("pool {0} is already declared")]
    PoolExists(PoolName),
    #[error("pool {0} is not declared")]
    PoolNotDeclared(PoolName),
    #[error("pool {pool} has no member disks")]
    NoDisks { pool: PoolName },
    #[error("pool {pool}: a {layout} vdev needs at least {min} disks, got {got}")]
    TooFewDisks {
        pool: PoolName,
        layout: Layout,
        min: usize,
        got: usize,
    },
    #[error("pool {pool}: its vdevs have {} disks; every vdev needs as many as the first", .widths.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    UnevenVdevs { pool: PoolName, widths: Vec<usize> },
    #[error("pool {pool} lists disk {disk} twice")]
    DuplicateDisk { pool: PoolName, disk: DiskId },
    #[error("pool {pool}: disk {disk} is already a member of pool {other}")]
    DiskInOtherPool {
        pool: PoolName,
        disk: DiskId,
        other: PoolName,
    },
    #[error("pool {pool}: disk {disk} is not one of its declared members")]
    NotMember { pool: PoolName, disk: DiskId },
    #[error("pool {pool} forces disk {disk}, which is not one of its members")]
    ForcedNotMember { pool: PoolName, disk: DiskId },
    #[error("{0} is already declared as a dataset")]
    DatasetExists(DatasetName),
    #[error("{0} is already declared as a volume")]
    VolumeExists(DatasetName),
    #[error("dataset {0} is not declared")]
    DatasetNotDeclared(DatasetName),
    #[error("volume {0} is not declared")]
    VolumeNotDeclared(DatasetName),
    #[error("cannot declare {name}: pool {pool} is not declared")]
    ParentPoolNotDeclared { name: DatasetName, pool: PoolName },
    #[error("cannot declare {name}: its parent dataset {parent} is not declared")]
    ParentNotDeclared {
        name: DatasetName,
        parent: DatasetName,
    },
    #[error("cannot declare {name}: its parent {parent} is a volume")]
    ParentIsVolume {
        name: DatasetName,
        parent: DatasetName,
    },
    #[error(
        "pool {pool} still declares {count} datasets or volumes; remove them first or remove recursively"
    )]
    PoolHasChildren { pool: PoolName, count: usize },
    #[error(
        "dataset {dataset} still declares {count} datasets or volumes below it; remove them first or remove recursively"
    )]
    DatasetHasChildren { dataset: DatasetName, count: usize },
    #[error("dataset {name}: {reason}")]
    BadDataset {
        name: DatasetName,
        reason: &'static str,
    },
    #[error("volume {name}: {reason}")]
    BadVolume {
        name: DatasetName,
        reason: &'static str,
    },
    #[error("{name} cannot be removed: {dataset} is served by {by}; remove that first")]
    Served {
        name: String,
        dataset: DatasetName,
        by: String,
    },
    #[error("the appliance has no id yet, so LUN identities cannot be made")]
    NoApplianceId,
    #[error("iSCSI {0}")]
    Iscsi(#[from] crate::lio::ConfigError),
    #[error("{field}: {zvol} is not a declared volume")]
    LunNotVolume { field: String, zvol: DatasetName },
    #[error("iSCSI target {0} is not declared")]
    TargetNotDeclared(crate::lio::Iqn),
    #[error("{}", if *.pool_declared { format!("{dataset} is not a declared dataset") } else { format!("{dataset} is not a declared dataset (its pool is not declared either)") })]
    SharedNotDataset {
        dataset: DatasetName,
        pool_declared: bool,
    },
    /// The nfs module's own message, which names the export and field.
    #[error("{0}")]
    Nfs(String),
    /// The samba module's own message, which names the share and field.
    #[error("{0}")]
    Smb(String),
    #[error("NFS export of {0} is not declared")]
    ExportNotDeclared(DatasetName),
    #[error("SMB share {0} is not declared")]
    ShareNotDeclared(crate::samba::ShareName),
    #[error("user {0} is already declared")]
    UserExists(crate::samba::AccountName),
    #[error("user {0} is not declared")]
    UserNotDeclared(crate::samba::AccountName),
    #[error("user {user} cannot be removed: SMB share {share} lists it in valid_users")]
    UserInUse {
        user: crate::samba::AccountName,
        share: crate::samba::ShareName,
    },
    #[error("share {share}: valid_users: {user} is not a declared user")]
    ShareUserNotDeclared {
        share: crate::samba::ShareName,
        user: crate::samba::AccountName,
    },
    #[error("user {user}: uid {uid} is below the user range or used twice")]
    BadUid {
        user: crate::samba::AccountName,
        uid: u32,
    },
}

impl DesiredState {
    /// Declare a pool (the API calls this once `zpool create` succeeded).
    pub fn add_pool(&self, pool: Pool) -> Result<Self, MutationError> {
        if self.pool(&pool.name).is_some() {
            return Err(MutationError::PoolExists(pool.name));
        }
        check_pool(&pool)?;
        for disk in &pool.disks() {
            if let Some(other) = self.pools.iter().find(|p| p.has_disk(disk)) {
                return Err(MutationError::DiskInOtherPool {
                    pool: pool.name.clone(),
                    disk: disk.clone(),
                    other: other.name.clone(),
                });
            }
        }
        let mut next = self.clone();
        let at = next.pools.partition_point(|p| p.name < pool.name);
        next.pools.insert(at, pool);
        Ok(next)
    }

    /// Stop declaring a pool; with [`Removal::Recursive`], also everything
    /// declared in it.
    pub fn remove_pool(&self, name: &PoolName, removal: Removal) -> Result<Self, MutationError> {
        if self.pool(name).is_none() {
            return Err(MutationError::PoolNotDeclared(name.clone()));
        }
        let inside = |n: &DatasetName| &pool_of(n) == name;
        let count = self.datasets.iter().filter(|d| inside(&d.name)).count()
            + self.volumes.iter().filter(|v| inside(&v.name)).count();
        self.check_not_served(name.as_str())?;
        if count > 0 && removal == Removal::Single {
            return Err(MutationError::PoolHasChildren {
                pool: name.clone(),
                count,
            });
        }
        let mut next = self.clone();
        next.pools.retain(|p| &p.name != name);
        next.datasets.retain(|d| !inside(&d.name));
        next.volumes.retain(|v| !inside(&v.name));
        Ok(next)
    }

    /// Declares `new` in the place of member `old` of `pool` (a `zpool
    /// replace` started); `forced` says whether `new` was forced past its
    /// verdict. `old` leaves the forced set with its place.
    pub fn replace_pool_disk(
        &self,
        pool: &PoolName,
        old: &DiskId,
        new: &DiskId,
        forced: bool,
    ) -> Result<Self, MutationError> {
        let mut next = self.clone();
        let others: Vec<PoolName> = self
            .pools
            .iter()
            .filter(|p| &p.name != pool && p.has_disk(new))
            .map(|p| p.name.clone())
            .collect();
        if let Some(other) = others.into_iter().next() {
            return Err(MutationError::DiskInOtherPool {
                pool: pool.clone(),
                disk: new.clone(),
                other,
            });
        }
        let declared = next
            .pools
            .iter_mut()
            .find(|p| &p.name == pool)
            .ok_or_else(|| MutationError::PoolNotDeclared(pool.clone()))?;
        let slot = declared
            .vdevs
            .iter_mut()
            .flat_map(|v| v.disks.iter_mut())
            .find(|d| *d == old)
            .ok_or_else(|| MutationError::NotMember {
                pool: pool.clone(),
                disk: old.clone(),
            })?;
        *slot = new.clone();
        declared.forced.remove(old);
        if forced {
            declared.forced.insert(new.clone());
        }
        check_pool(declared)?;
        Ok(next)
    }

    /// Declare a dataset below a declared pool or dataset.
    pub fn add_dataset(&self, dataset: Dataset) -> Result<Self, MutationError> {
        self.check_new_child(&dataset.name)?;
        if let Some(size) = dataset.properties.recordsize {
            if !size.is_power_of_two() || !(512..=16 << 20).contains(&size) {
                return Err(MutationError::BadDataset {
                    name: dataset.name,
                    reason: "recordsize must be a power of two from 512 B to 16 MiB",
                });
            }
        }
        let mut next = self.clone();
        let at = next.datasets.partition_point(|d| d.name < dataset.name);
        next.datasets.insert(at, dataset);
        Ok(next)
    }

    /// Stop declaring a dataset; with [`Removal::Recursive`], also
    /// everything declared below it.
    pub fn remove_dataset(
        &self,
        name: &DatasetName,
        removal: Removal,
    ) -> Result<Self, MutationError> {
        if self.dataset(name).is_none() {
            return Err(MutationError::DatasetNotDeclared(name.clone()));
        }
        let below = |n: &DatasetName| is_below(n, name.as_str());
        let count = self.datasets.iter().filter(|d| below(&d.name)).count()
            + self.volumes.iter().filter(|v| below(&v.name)).count();
        self.check_not_served(name.as_str())?;
        if count > 0 && removal == Removal::Single {
            return Err(MutationError::DatasetHasChildren {
                dataset: name.clone(),
                count,
            });
        }
        let mut next = self.clone();
        next.datasets.retain(|d| &d.name != name && !below(&d.name));
        next.volumes.retain(|v| !below(&v.name));
        Ok(next)
    }

    /// Declare a zvol below a declared pool or dataset.
    pub fn add_volume(&self, volume: Volume) -> Result<Self, MutationError> {
        self.check_new_child(&volume.name)?;
        let bad = |reason| MutationError::BadVolume {
            name: volume.name.clone(),
            reason,
        };
        let bs = volume.volblocksize;
        if !bs.is_power_of_two() || !(512..=128 << 10).contains(&bs) {
            return Err(bad(
                "volblocksize must be a power of two from 512 B to 128 KiB",
            ));
        }
        if volume.size_bytes == 0 {
            return Err(bad("size must be more than zero"));
        }
        // bs is a power of two, so the low bits are the remainder.
        if volume.size_bytes & (bs - 1) != 0 {
            return Err(bad("size must be a multiple of volblocksize"));
        }
        let mut next = self.clone();
        let at = next.volumes.partition_point(|v| v.name < volume.name);
        next.volumes.insert(at, volume);
        Ok(next)
    }

    /// Stop declaring a zvol.
    pub fn remove_volume(&self, name: &DatasetName) -> Result<Self, MutationError> {
        if self.volume(name).is_none() {
            return Err(MutationError::VolumeNotDeclared(name.clone()));
        }
        self.check_not_served(name.as_str())?;
        let mut next = self.clone();
        next.volumes.retain(|v| &v.name != name);
        Ok(next)
    }

    /// Check every invariant the mutation methods keep.
    pub fn validate(&self) -> Result<(), MutationError> {
        self.rebuilt().map(|_| ())
    }

    /// This state replayed, in name order, into an empty one through the
    /// mutation methods: the same value, sorted, or the first invariant it
    /// breaks. Run on every load, so a hand-edited file cannot hold what the
    /// API would refuse.
    pub(super) fn rebuilt(&self) -> Result<DesiredState, MutationError> {
        let mut replay = DesiredState {
            pools: Vec::new(),
            datasets: Vec::new(),
            volumes: Vec::new(),
            ..self.clone()
        };
        let mut pools = self.pools.clone();
        pools.sort_by(|a, b| a.name.cmp(&b.name));
        for pool in pools {
            replay = replay.add_pool(pool)?;
        }
        // Name order puts every parent before its children.
        let mut datasets = self.datasets.clone();
        datasets.sort_by(|a, b| a.name.cmp(&b.name));
        for dataset in datasets {
            replay = replay.add_dataset(dataset)?;
        }
        for volume in &self.volumes {
            replay = replay.add_volume(volume.clone())?;
        }
        replay.check_sharing()?;
        Ok(replay)
    }

    /// A name a new dataset or volume may take: free, below a declared pool
    /// and below a declared dataset (never a volume).
    fn check_new_child(&self, name: &DatasetName) -> Result<(), MutationError> {
        if self.dataset(name).is_some() {
            return Err(MutationError::DatasetExists(name.clone()));
        }
        if self.volume(name).is_some() {
            return Err(MutationError::VolumeExists(name.clone()));
        }
        let pool = pool_of(name);
        if self.pool(&pool).is_none() {
            return Err(MutationError::ParentPoolNotDeclared {
                name: name.clone(),
                pool,
            });
        }
        match parent_of(name) {
            Parent::Pool(_) => Ok(()),
            Parent::Dataset(parent) if self.volume(&parent).is_some() => {
                Err(MutationError::ParentIsVolume {
                    name: name.clone(),
                    parent,
                })
            }
            Parent::Dataset(parent) if self.dataset(&parent).is_none() => {
                Err(MutationError::ParentNotDeclared {
                    name: name.clone(),
                    parent,
                })
            }
            Parent::Dataset(_) => Ok(()),
        }
    }
}

fn check_pool(pool: &Pool) -> Result<(), MutationError> {
    let all = pool.disks();
    if all.is_empty() {
        return Err(MutationError::NoDisks {
            pool: pool.name.clone(),
        });
    }
    let layout = pool.layout;
    for vdev in &pool.vdevs {
        let got = vdev.disks.len();
        if got < layout.min_disks() {
            return Err(MutationError::TooFewDisks {
                pool: pool.name.clone(),
                layout,
                min: layout.min_disks(),
                got,
            });
        }
    }
    let widths: Vec<usize> = pool.vdevs.iter().map(|v| v.disks.len()).collect();
    if layout != Layout::Stripe && widths.iter().any(|w| *w != widths[0]) {
        return Err(MutationError::UnevenVdevs {
            pool: pool.name.clone(),
            widths,
        });
    }
    let mut seen = BTreeSet::new();
    for disk in &all {
        if !seen.insert(disk) {
            return Err(MutationError::DuplicateDisk {
                pool: pool.name.clone(),
                disk: disk.clone(),
            });
        }
    }
    if let Some(disk) = pool.forced.iter().find(|d| !seen.contains(d)) {
        return Err(MutationError::ForcedNotMember {
            pool: pool.name.clone(),
            disk: disk.clone(),
        });
    }
    Ok(())
}

//! Pools: list, create from inventory disks, status, import, export,
//! scrub, destroy.
//!
//! Creating a pool takes only disks the inventory knows, by id. A disk
//! whose verdict is not `usable` is refused unless it is named in `force`;
//! the boot medium is refused even then. Every check (names, layout,
//! disks, the desired state) runs before `zpool` does, and the state is
//! saved only once `zpool` succeeded.

mod disks;
mod maintain;

use std::time::{SystemTime, UNIX_EPOCH};

pub use disks::{check_disks, check_members, DiskRefusal, RefusedDisk};
pub use maintain::{
    clear, import, importable, offline, online, replace, Adopted, ImportableSeen, Maintained,
    Replaced,
};

use crate::drives::Verdict;
use crate::names::{DiskId, PoolName};
use crate::state::{self, Removal};
use crate::zfs::{
    self, Layout, PoolListRow, PoolPlan, PoolSpec, PoolStatus, ScrubOutcome, ZfsError,
};

use super::declared::Declared;
use super::{drives, EngineError, Machine};

/// A pool to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPool {
    pub name: PoolName,
    /// The layout of every vdev.
    pub layout: Layout,
    /// The top-level vdevs, each a list of disks, in pool order.
    pub vdevs: Vec<Vec<DiskId>>,
    /// Members to take even though their verdict is not `usable`.
    pub force: Vec<DiskId>,
}

impl NewPool {
    /// Every member, vdev after vdev.
    pub fn disks(&self) -> Vec<DiskId> {
        self.vdevs.iter().flatten().cloned().collect()
    }
}

/// A member taken past its verdict because `force` named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forced {
    pub id: DiskId,
    pub verdict: Verdict,
}

/// What creating a pool did: the plan that ran, the disks forced.
pub struct Created {
    pub plan: PoolPlan,
    pub forced: Vec<Forced>,
}

/// The pools `zpool list` shows and the pools the state declares.
pub struct Seen {
    pub imported: Vec<PoolListRow>,
    pub declared: Vec<state::Pool>,
}

/// What destroying a pool undeclared.
pub struct Destroyed {
    /// Whether the pool was declared (and so is no longer).
    pub was_declared: bool,
    /// The datasets and volumes no longer declared with it.
    pub undeclared: Vec<String>,
}

pub fn list(machine: &Machine) -> Result<Seen, EngineError> {
    let declared = Declared::load(machine)?.state;
    let imported = zfs::list_pools(machine.runner.as_ref())?;
    Ok(Seen {
        imported,
        declared: declared.pools().to_vec(),
    })
}

/// Creates the pool from inventory disks and declares it.
pub fn create(machine: &Machine, pool: NewPool) -> Result<Created, EngineError> {
    let declared = Declared::load(machine)?;
    let spec = PoolSpec {
        name: pool.name.clone(),
        layout: pool.layout,
        vdevs: pool.vdevs.clone(),
        mount_base: machine.roots.pool_mount_base(),
        force: false,
    };
    // Layout, disk counts and duplicates first: they need no inventory.
    zfs::plan_create_pool(&spec)?;
    let forced = check_disks(&pool, &drives::inventory(machine)?)?;
    let spec = PoolSpec {
        force: !forced.is_empty(),
        ..spec
    };
    let next = declared.state.add_pool(state::Pool {
        name: pool.name.clone(),
        layout: pool.layout,
        vdevs: pool
            .vdevs
            .iter()
            .map(|disks| state::PoolVdev {
                disks: disks.clone(),
            })
            .collect(),
        forced: forced.iter().map(|f| f.id.clone()).collect(),
        created_unix: now_unix(),
    })?;
    let plan = zfs::create_pool(machine.runner.as_ref(), &spec)?;
    declared.commit(&next, &format!("pool {} was created", pool.name))?;
    Ok(Created { plan, forced })
}

pub(super) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `zpool status` of `pool`, and its declaration if it has one.
pub fn status(
    machine: &Machine,
    pool: &PoolName,
) -> Result<(PoolStatus, Option<state::Pool>), EngineError> {
    let declared = Declared::load(machine)?.state.pool(pool).cloned();
    match zfs::pool_status(machine.runner.as_ref(), pool) {
        Ok(status) => Ok((status, declared)),
        Err(ZfsError::NoSuchPool { .. }) if declared.is_some() => {
            Err(EngineError::PoolNotImported { pool: pool.clone() })
        }
        Err(e) => Err(e.into()),
    }
}

/// Exports `pool`; it stays declared.
pub fn export(machine: &Machine, pool: &PoolName) -> Result<(), EngineError> {
    Ok(zfs::export_pool(machine.runner.as_ref(), pool)?)
}

pub fn scrub(machine: &Machine, pool: &PoolName) -> Result<ScrubOutcome, EngineError> {
    Ok(zfs::start_scrub(machine.runner.as_ref(), pool)?)
}

/// Destroys `pool` (`confirm` must be its name again) and undeclares it
/// with everything below it.
pub fn destroy(
    machine: &Machine,
    pool: &PoolName,
    confirm: &str,
) -> Result<Destroyed, EngineError> {
    if confirm != pool.as_str() {
        return Err(ZfsError::ConfirmationMismatch {
            pool: pool.clone(),
            confirmation: confirm.to_string(),
        }
        .into());
    }
    let declared = Declared::load(machine)?;
    let next = declared
        .state
        .pool(pool)
        .is_some()
        .then(|| declared.state.remove_pool(pool, Removal::Recursive))
        .transpose()?;
    let undeclared: Vec<String> = match &next {
        None => Vec::new(),
        Some(next) => {
            let before = declared.state.datasets().iter().map(|d| &d.name);
            let before = before.chain(declared.state.volumes().iter().map(|v| &v.name));
            before
                .filter(|n| next.dataset(n).is_none() && next.volume(n).is_none())
                .map(ToString::to_string)
                .collect()
        }
    };
    zfs::destroy_pool(machine.runner.as_ref(), pool, confirm)?;
    let was_declared = next.is_some();
    if let Some(next) = next {
        declared.commit(&next, &format!("pool {pool} was destroyed"))?;
    }
    Ok(Destroyed {
        was_declared,
        undeclared,
    })
}

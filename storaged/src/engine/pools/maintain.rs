//! Pool maintenance: replace a member, online, offline, clear, and the
//! pools `zpool import` sees, with adoption of one the state does not
//! declare.
//!
//! A replacement disk is checked like a member of a new pool (in the
//! inventory, `usable` or forced by id, never the boot medium), and the
//! declaration names it from the moment `zpool replace` started: the
//! resilver then runs on its own, and a reboot in the middle imports the
//! pool with the new disk, as ZFS does.

use std::collections::BTreeSet;

use super::{check_members, now_unix, Forced};
use crate::engine::declared::Declared;
use crate::engine::{drives, EngineError, Machine};
use crate::names::{DiskId, PoolName};
use crate::runner::CommandLine;
use crate::state::{self, MutationError};
use crate::zfs::{self, ImportOutcome, Importable, Layout, VdevStatus, ZfsError};

/// What `replace` did.
pub struct Replaced {
    pub command: CommandLine,
    /// The new disk, if it was taken past its verdict.
    pub forced: Option<Forced>,
    /// Whether the declaration now names the new disk (false for a pool
    /// imported but not declared).
    pub declared: bool,
}

/// What `online`, `offline` and `clear` ran.
pub struct Maintained {
    pub command: CommandLine,
}

/// The importable pools and which of them the state declares.
pub struct ImportableSeen {
    pub pools: Vec<Importable>,
    pub declared: BTreeSet<String>,
}

/// What importing a pool did, and whether the state took it in.
pub struct Adopted {
    pub outcome: ImportOutcome,
    /// The pool was not declared and now is.
    pub adopted: bool,
    pub declared: state::Pool,
}

/// Every leaf of the vdev tree, by the name `zpool status` gives it and
/// by the by-id name its path holds: a disk that is gone is named by its
/// guid, but its path still says which disk it was.
fn leaves(vdevs: &[VdevStatus], out: &mut Vec<String>) {
    for v in vdevs {
        if v.children.is_empty() {
            out.push(v.name.clone());
            if let Some(path) = &v.path {
                let base = path.rsplit('/').next().unwrap_or(path);
                // `zpool create` on a whole disk makes partition 1 the vdev.
                let base = base.strip_suffix("-part1").unwrap_or(base);
                out.push(base.to_string());
            }
        } else {
            leaves(&v.children, out);
        }
    }
}

/// The members of imported `pool` as `zpool status` lists them.
fn members(machine: &Machine, pool: &PoolName) -> Result<Vec<String>, EngineError> {
    // A declared pool that is exported is "not imported" (409), not "no
    // such pool".
    let (status, _) = super::status(machine, pool)?;
    let mut out = Vec::new();
    leaves(&status.vdevs, &mut out);
    Ok(out)
}

/// Whether `disk` is a member of imported `pool`: in `zpool status`, or
/// in the pool's declaration.
fn is_member(
    machine: &Machine,
    declared: Option<&state::Pool>,
    pool: &PoolName,
    disk: &DiskId,
) -> Result<bool, EngineError> {
    let listed = members(machine, pool)?.iter().any(|m| m == disk.as_str());
    Ok(listed || declared.is_some_and(|p| p.has_disk(disk)))
}

fn check_member(machine: &Machine, pool: &PoolName, disk: &DiskId) -> Result<(), EngineError> {
    let declared = Declared::load(machine)?.state;
    if is_member(machine, declared.pool(pool), pool, disk)? {
        Ok(())
    } else {
        Err(ZfsError::NotAMember {
            pool: pool.clone(),
            disk: disk.to_string(),
        }
        .into())
    }
}

/// `zpool replace <pool> <old> <new>`, after checking that `old` is a
/// member, `new` is not, and `new` may be used (`force`: past a verdict
/// other than `usable`, which also lets `zpool` overwrite it).
pub fn replace(
    machine: &Machine,
    pool: &PoolName,
    old: &DiskId,
    new: &DiskId,
    force: bool,
) -> Result<Replaced, EngineError> {
    let declared = Declared::load(machine)?;
    if old == new {
        return Err(EngineError::ReplaceWithItself {
            pool: pool.clone(),
            disk: old.clone(),
        });
    }
    let this = declared.state.pool(pool);
    if !is_member(machine, this, pool, old)? {
        return Err(ZfsError::NotAMember {
            pool: pool.clone(),
            disk: old.to_string(),
        }
        .into());
    }
    if is_member(machine, this, pool, new)? {
        return Err(EngineError::AlreadyAMember {
            pool: pool.clone(),
            disk: new.clone(),
        });
    }
    let force_list: Vec<DiskId> = if force { vec![new.clone()] } else { Vec::new() };
    let forced = check_members(
        pool,
        std::slice::from_ref(new),
        &force_list,
        ("new", "force"),
        &drives::inventory(machine)?,
    )?
    .pop();
    let next = match declared.state.pool(pool) {
        Some(_) => Some(
            declared
                .state
                .replace_pool_disk(pool, old, new, forced.is_some())?,
        ),
        None => None,
    };
    let command = zfs::replace_disk(machine.runner.as_ref(), pool, old, new, forced.is_some())?;
    let is_declared = next.is_some();
    if let Some(next) = next {
        declared.commit(
            &next,
            &format!("pool {pool}: replacing {old} with {new} started"),
        )?;
    }
    Ok(Replaced {
        command,
        forced,
        declared: is_declared,
    })
}

pub fn online(
    machine: &Machine,
    pool: &PoolName,
    disk: &DiskId,
) -> Result<Maintained, EngineError> {
    check_member(machine, pool, disk)?;
    let command = zfs::online_disk(machine.runner.as_ref(), pool, disk)?;
    Ok(Maintained { command })
}

pub fn offline(
    machine: &Machine,
    pool: &PoolName,
    disk: &DiskId,
    temporary: bool,
) -> Result<Maintained, EngineError> {
    check_member(machine, pool, disk)?;
    let command = zfs::offline_disk(machine.runner.as_ref(), pool, disk, temporary)?;
    Ok(Maintained { command })
}

pub fn clear(
    machine: &Machine,
    pool: &PoolName,
    disk: Option<&DiskId>,
) -> Result<Maintained, EngineError> {
    match disk {
        Some(disk) => check_member(machine, pool, disk)?,
        None => {
            members(machine, pool)?;
        }
    }
    let command = zfs::clear_errors(machine.runner.as_ref(), pool, disk)?;
    Ok(Maintained { command })
}

pub fn importable(machine: &Machine) -> Result<ImportableSeen, EngineError> {
    let declared = Declared::load(machine)?.state;
    let pools = zfs::importable_pools(machine.runner.as_ref())?;
    Ok(ImportableSeen {
        declared: declared
            .pools()
            .iter()
            .map(|p| p.name.to_string())
            .collect(),
        pools,
    })
}

/// The declaration an importable pool would get: its vdevs from the
/// listing, all of one layout, every member present and named by a disk
/// id. Anything else (missing disks, log or cache vdevs, mixed layouts)
/// is refused before the import, naming why.
fn declaration_of(found: &Importable) -> Result<state::Pool, EngineError> {
    let refuse = |reason: String| EngineError::CannotAdopt {
        pool: found.name.clone(),
        reason,
    };
    let mut layout: Option<Layout> = None;
    let mut vdevs: Vec<state::PoolVdev> = Vec::new();
    let mut group: Option<&str> = None;
    for m in &found.members {
        if m.state != zfs::Health::Online {
            return Err(refuse(format!(
                "member {} is {}: attach the missing disk and try again (storaged adopts a \
                 pool only with every member present)",
                m.name, m.state
            )));
        }
        let disk: DiskId = m.name.parse().map_err(|_| {
            refuse(format!(
                "member {} is not named by a /dev/disk/by-id link",
                m.name
            ))
        })?;
        let this = match m.vdev.as_deref() {
            None => Layout::Stripe,
            Some(v) if v.starts_with("mirror-") => Layout::Mirror,
            Some(v) if v.starts_with("raidz1-") => Layout::Raidz1,
            Some(v) if v.starts_with("raidz2-") => Layout::Raidz2,
            Some(v) if v.starts_with("raidz3-") => Layout::Raidz3,
            Some(v) => {
                return Err(refuse(format!(
                    "it has a {v} vdev, which storaged does not declare"
                )))
            }
        };
        match layout {
            None => layout = Some(this),
            Some(l) if l != this => {
                return Err(refuse(format!(
                    "it mixes {l} and {this} vdevs; storaged declares pools of one layout"
                )))
            }
            Some(_) => {}
        }
        let same_group = m.vdev.is_some() && m.vdev.as_deref() == group;
        match vdevs.last_mut() {
            Some(last) if same_group || (this == Layout::Stripe && m.vdev.is_none()) => {
                last.disks.push(disk)
            }
            _ => vdevs.push(state::PoolVdev { disks: vec![disk] }),
        }
        group = m.vdev.as_deref();
    }
    let name: PoolName = found
        .name
        .parse()
        .map_err(|e: crate::names::NameError| refuse(e.to_string()))?;
    Ok(state::Pool {
        name,
        layout: layout.ok_or_else(|| refuse("zpool lists no members".into()))?,
        vdevs,
        forced: BTreeSet::new(),
        created_unix: now_unix(),
    })
}

/// Imports `pool`. A declared pool is imported as before; a pool the
/// state does not declare must be one `zpool import` lists, and is
/// declared (adopted) once imported, so storaged imports it at every
/// start from then on.
pub fn import(machine: &Machine, pool: &PoolName, force: bool) -> Result<Adopted, EngineError> {
    let declared = Declared::load(machine)?;
    if let Some(existing) = declared.state.pool(pool) {
        let existing = existing.clone();
        let outcome = zfs::ensure_imported(machine.runner.as_ref(), pool, force)?;
        return Ok(Adopted {
            outcome,
            adopted: false,
            declared: existing,
        });
    }
    let listed = zfs::importable_pools(machine.runner.as_ref())?;
    let found = listed
        .iter()
        .find(|p| p.name == pool.as_str())
        .ok_or_else(|| MutationError::PoolNotDeclared(pool.clone()))?;
    let adoption = declaration_of(found)?;
    let next = declared.state.add_pool(adoption.clone())?;
    let outcome = zfs::ensure_imported(machine.runner.as_ref(), pool, force)?;
    declared.commit(&next, &format!("pool {pool} was imported"))?;
    Ok(Adopted {
        outcome,
        adopted: true,
        declared: adoption,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zfs::VdevErrors;

    fn leaf(name: &str, path: Option<&str>) -> VdevStatus {
        VdevStatus {
            name: name.into(),
            vdev_type: "disk".into(),
            class: Some("normal".into()),
            path: path.map(Into::into),
            state: zfs::Health::Online,
            aux: None,
            errors: VdevErrors::default(),
            children: Vec::new(),
        }
    }

    #[test]
    fn a_missing_member_is_found_by_its_path_not_only_its_guid_name() {
        let mirror = VdevStatus {
            children: vec![
                leaf("nvme-A", Some("/dev/disk/by-id/nvme-A-part1")),
                leaf("4093658398264813411", Some("/dev/disk/by-id/nvme-B-part1")),
            ],
            ..leaf("mirror-0", None)
        };
        let mut out = Vec::new();
        leaves(&[mirror], &mut out);
        assert!(out.contains(&"nvme-B".to_string()), "{out:?}");
        assert!(out.contains(&"nvme-A".to_string()), "{out:?}");
        assert!(!out.contains(&"mirror-0".to_string()), "{out:?}");
    }

    fn listed(members: &[(&str, Option<&str>)]) -> Importable {
        Importable {
            name: "old".into(),
            id: "1".into(),
            state: zfs::Health::Online,
            status: None,
            action: None,
            members: members
                .iter()
                .map(|(name, vdev)| zfs::ImportableMember {
                    name: name.to_string(),
                    state: zfs::Health::Online,
                    vdev: vdev.map(str::to_string),
                    note: None,
                })
                .collect(),
        }
    }

    #[test]
    fn an_importable_pool_is_declared_with_the_vdevs_zpool_lists() {
        let p = declaration_of(&listed(&[
            ("a", Some("mirror-0")),
            ("b", Some("mirror-0")),
            ("c", Some("mirror-1")),
            ("d", Some("mirror-1")),
        ]))
        .unwrap();
        assert_eq!(p.layout, Layout::Mirror);
        let vdevs: Vec<Vec<String>> = p
            .vdev_disks()
            .iter()
            .map(|v| v.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(vdevs, [["a", "b"], ["c", "d"]]);
        let stripe = declaration_of(&listed(&[("a", None), ("b", None)])).unwrap();
        assert_eq!((stripe.layout, stripe.vdevs.len()), (Layout::Stripe, 1));

        let mixed = declaration_of(&listed(&[
            ("a", None),
            ("b", Some("mirror-1")),
            ("c", Some("mirror-1")),
        ]));
        assert!(mixed
            .unwrap_err()
            .to_string()
            .contains("mixes stripe and mirror"));
        let logs = declaration_of(&listed(&[("a", None), ("b", Some("logs"))]));
        assert!(logs.unwrap_err().to_string().contains("logs vdev"));
    }
}

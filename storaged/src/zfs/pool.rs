//! Pools: create (from a pure plan), import at boot, export, status, scrub,
//! destroy with confirmation.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::parse::{self, PoolListRow, PoolStatus, POOL_COLUMNS};
use super::props::{Layout, Warning};
use super::{failed, parse_failed, ser, ZfsError};
use crate::names::{DiskId, PoolName};
use crate::runner::{CommandLine, CommandRunner, Program};

/// Where vdevs are named from, and the only directory import scans.
pub const BY_ID_DIR: &str = "/dev/disk/by-id";

/// Pool properties every new pool gets (`-o`): 4K sectors whatever the
/// disks claim, so a later 4Kn replacement disk still fits; and no cache
/// file, because `/etc` is a read-only squashfs and storaged imports its
/// pools itself, by id, at every start.
const POOL_PROPERTIES: [(&str, &str); 2] = [("ashift", "12"), (CACHEFILE.0, CACHEFILE.1)];

/// `-o cachefile=none`, on `zpool create` and on `zpool import`: the
/// property is not kept across an import, so each import repeats it.
const CACHEFILE: (&str, &str) = ("cachefile", "none");

/// Root dataset properties every new pool gets (`-O`), inherited below.
const ROOT_PROPERTIES: [(&str, &str); 4] = [
    ("compression", "lz4"),
    ("atime", "off"),
    ("xattr", "sa"),
    ("acltype", "posixacl"),
];

/// A pool to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    pub name: PoolName,
    pub layout: Layout,
    /// The top-level vdevs, each a group of disks of `layout`, in the
    /// order they go on the command line (a stripe's disks are each a
    /// vdev of their own; how they are grouped does not matter).
    pub vdevs: Vec<Vec<DiskId>>,
    /// A writable directory; the pool mounts at `<mount_base>/<name>`
    /// (the appliance's root is read-only, so `/<name>` cannot be made).
    pub mount_base: PathBuf,
    /// `zpool create -f`: overwrite what the disks carry (a partition
    /// table with a filesystem in it, the label of an exported pool).
    /// Set it only when the admin forced every such disk by id; a disk of
    /// an imported pool is refused even then.
    pub force: bool,
}

/// What creating a pool will do (or did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolPlan {
    pub pool: PoolName,
    pub layout: Layout,
    /// Every member, vdev after vdev.
    pub disks: Vec<DiskId>,
    /// The top-level vdevs as grouped in the request.
    pub vdevs: Vec<Vec<DiskId>>,
    pub mountpoint: PathBuf,
    /// How many disks can fail, whichever they are, without losing the
    /// pool: one vdev's tolerance (more may fail if they are spread over
    /// several vdevs).
    pub tolerated_failures: usize,
    /// What ran.
    // A client cannot rebuild a CommandLine from its text, and has no
    // use for it beyond showing it, which it does from the JSON.
    #[serde(serialize_with = "ser::commands", skip_deserializing)]
    #[schemars(with = "Vec<String>")]
    pub commands: Vec<CommandLine>,
    pub warnings: Vec<Warning>,
}

/// The `zpool create` a spec asks for, checked and explained; runs nothing.
pub fn plan_create_pool(spec: &PoolSpec) -> Result<PoolPlan, ZfsError> {
    let pool = &spec.name;
    check_vdevs(pool, spec.layout, &spec.vdevs)?;
    let disks: Vec<DiskId> = spec.vdevs.iter().flatten().cloned().collect();
    let mountpoint = mountpoint_for(pool, &spec.mount_base)?;

    let mut args: Vec<String> = vec!["create".into()];
    if spec.force {
        args.push("-f".into());
    }
    for (k, v) in POOL_PROPERTIES {
        args.extend(["-o".into(), format!("{k}={v}")]);
    }
    for (k, v) in ROOT_PROPERTIES {
        args.extend(["-O".into(), format!("{k}={v}")]);
    }
    args.extend(["-O".into(), format!("mountpoint={}", mountpoint.display())]);
    args.push(pool.to_string());
    for vdev in &spec.vdevs {
        args.extend(spec.layout.vdev_keyword().map(String::from));
        args.extend(vdev.iter().map(|d| format!("{BY_ID_DIR}/{d}")));
    }

    let mut warnings = Vec::new();
    if spec.layout == Layout::Stripe {
        warnings.push(Warning::no_redundancy(pool.as_str(), disks.len()));
    }
    Ok(PoolPlan {
        pool: pool.clone(),
        layout: spec.layout,
        disks,
        vdevs: spec.vdevs.clone(),
        mountpoint,
        tolerated_failures: spec.layout.tolerated_failures(spec.vdevs[0].len()),
        commands: vec![CommandLine::new(Program::Zpool, args)],
        warnings,
    })
}

/// The checks `zpool create` would make, before it runs: at least one
/// vdev, each with the layout's minimum of disks, all of one width (ZFS
/// warns of a "mismatched replication level" otherwise: a pool is as
/// weak as its weakest vdev), and no disk twice.
pub fn check_vdevs(pool: &PoolName, layout: Layout, vdevs: &[Vec<DiskId>]) -> Result<(), ZfsError> {
    let min = layout.min_disks();
    if vdevs.is_empty() {
        return Err(ZfsError::TooFewDisks {
            pool: pool.clone(),
            layout,
            min,
            got: 0,
        });
    }
    for vdev in vdevs {
        if vdev.len() < min {
            return Err(ZfsError::TooFewDisks {
                pool: pool.clone(),
                layout,
                min,
                got: vdev.len(),
            });
        }
    }
    if layout != Layout::Stripe {
        let widths: Vec<usize> = vdevs.iter().map(Vec::len).collect();
        if widths.iter().any(|w| *w != widths[0]) {
            return Err(ZfsError::UnevenVdevs {
                pool: pool.clone(),
                layout,
                widths,
            });
        }
    }
    let all: Vec<&DiskId> = vdevs.iter().flatten().collect();
    for (i, disk) in all.iter().enumerate() {
        if all[..i].contains(disk) {
            return Err(ZfsError::DuplicateDisk {
                pool: pool.clone(),
                disk: disk.to_string(),
            });
        }
    }
    Ok(())
}

fn mountpoint_for(pool: &PoolName, base: &Path) -> Result<PathBuf, ZfsError> {
    let normal: PathBuf = base.components().collect();
    let usable = base.is_absolute()
        && normal.components().count() > 1
        && normal
            .components()
            .skip(1)
            .all(|c| matches!(c, Component::Normal(_)))
        && normal.to_str().is_some();
    if !usable {
        return Err(ZfsError::BadMountBase {
            pool: pool.clone(),
            base: base.display().to_string(),
        });
    }
    Ok(normal.join(pool.as_str()))
}

/// Creates the pool the spec describes. Disks that carry a pool label or a
/// partition table with a filesystem are reported
/// ([`ZfsError::DisksInUse`]) unless the spec says `force`.
pub fn create_pool(runner: &dyn CommandRunner, spec: &PoolSpec) -> Result<PoolPlan, ZfsError> {
    let plan = plan_create_pool(spec)?;
    let pool = &plan.pool;
    for command in &plan.commands {
        runner.run(command).map_err(|e| {
            let stderr = e.stderr();
            if stderr.contains("pool already exists") {
                ZfsError::PoolExists { pool: pool.clone() }
            } else if stderr.contains("use '-f' to override the following errors") {
                ZfsError::DisksInUse {
                    pool: pool.clone(),
                    details: in_use_details(stderr),
                }
            } else if stderr.contains("cannot resolve path") || stderr.contains("no such device") {
                ZfsError::DiskMissing {
                    pool: pool.clone(),
                    detail: stderr.trim().to_string(),
                }
            } else {
                failed("create pool", pool, e)
            }
        })?;
    }
    Ok(plan)
}

/// What [`ensure_imported`] did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    AlreadyImported,
    Imported { forced: bool },
}

/// The `zpool import` line: by id, without mounting, without a cache
/// file, `-f` only if asked.
fn import_command(pool: &PoolName, force: bool) -> CommandLine {
    let cachefile = format!("{}={}", CACHEFILE.0, CACHEFILE.1);
    let mut args = vec!["import", "-d", BY_ID_DIR, "-N", "-o", &cachefile];
    if force {
        args.push("-f");
    }
    args.push(pool.as_str());
    CommandLine::new(Program::Zpool, args)
}

fn in_use_elsewhere(stderr: &str) -> bool {
    stderr.contains("previously in use from another system")
        || stderr.contains("may be in use")
        || stderr.contains("is imported on")
}

/// Makes sure `pool` is imported and its filesystems mounted: imports it
/// by id without a cache file (`zpool import -d /dev/disk/by-id -N -o
/// cachefile=none`), then `zfs mount -R`.
/// A pool that looks in use by another system is reported as
/// [`ZfsError::PoolInUseElsewhere`] unless `force` is set, which adds `-f`.
pub fn ensure_imported(
    runner: &dyn CommandRunner,
    pool: &PoolName,
    force: bool,
) -> Result<ImportOutcome, ZfsError> {
    let outcome = match list_one(runner, pool) {
        Ok(_) => ImportOutcome::AlreadyImported,
        Err(ZfsError::NoSuchPool { .. }) => {
            runner.run(&import_command(pool, force)).map_err(|e| {
                let stderr = e.stderr();
                if in_use_elsewhere(stderr) {
                    ZfsError::PoolInUseElsewhere {
                        pool: pool.clone(),
                        detail: stderr.split_whitespace().collect::<Vec<_>>().join(" "),
                    }
                } else if stderr.contains("no such pool") {
                    ZfsError::NoSuchPool { pool: pool.clone() }
                } else {
                    failed("import pool", pool, e)
                }
            })?;
            ImportOutcome::Imported { forced: force }
        }
        Err(e) => return Err(e),
    };
    let mount = CommandLine::new(Program::Zfs, ["mount", "-R", pool.as_str()]);
    runner
        .run(&mount)
        .map_err(|e| failed("mount the filesystems of pool", pool, e))?;
    Ok(outcome)
}

/// `zpool export <pool>`.
pub fn export_pool(runner: &dyn CommandRunner, pool: &PoolName) -> Result<(), ZfsError> {
    let command = CommandLine::new(Program::Zpool, ["export", pool.as_str()]);
    runner
        .run(&command)
        .map_err(|e| no_such_pool_or(pool, e, "export pool"))?;
    Ok(())
}

fn no_such_pool_or(
    pool: &PoolName,
    e: crate::runner::CommandError,
    action: &'static str,
) -> ZfsError {
    if e.stderr().contains("no such pool") {
        ZfsError::NoSuchPool { pool: pool.clone() }
    } else {
        failed(action, pool, e)
    }
}

fn pool_list_command(pool: Option<&PoolName>) -> CommandLine {
    let mut args = vec!["list", "-H", "-p", "-o", POOL_COLUMNS];
    args.extend(pool.map(PoolName::as_str));
    CommandLine::new(Program::Zpool, args)
}

fn list_one(runner: &dyn CommandRunner, pool: &PoolName) -> Result<PoolListRow, ZfsError> {
    let command = pool_list_command(Some(pool));
    let out = runner
        .run(&command)
        .map_err(|e| no_such_pool_or(pool, e, "list pool"))?;
    parse::parse_pool_list(&out.stdout)
        .map_err(|e| parse_failed(pool, &command, e))?
        .into_iter()
        .find(|row| row.name == pool.as_str())
        .ok_or_else(|| ZfsError::NoSuchPool { pool: pool.clone() })
}

/// Every imported pool with its capacity and health.
pub fn list_pools(runner: &dyn CommandRunner) -> Result<Vec<PoolListRow>, ZfsError> {
    let command = pool_list_command(None);
    let out = runner
        .run(&command)
        .map_err(|e| failed("list", "pools", e))?;
    parse::parse_pool_list(&out.stdout).map_err(|e| parse_failed("pools", &command, e))
}

/// Health, capacity and per-vdev errors of an imported pool.
pub fn pool_status(runner: &dyn CommandRunner, pool: &PoolName) -> Result<PoolStatus, ZfsError> {
    let list = list_one(runner, pool)?;
    let command = CommandLine::new(
        Program::Zpool,
        ["status", "-j", "--json-int", pool.as_str()],
    );
    let out = runner
        .run(&command)
        .map_err(|e| no_such_pool_or(pool, e, "read the status of pool"))?;
    let report = parse::parse_pool_status_json(&out.stdout, pool.as_str())
        .map_err(|e| parse_failed(pool, &command, e))?;
    Ok(PoolStatus::from_parts(list, report))
}

/// What [`start_scrub`] did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ScrubOutcome {
    Started,
    AlreadyRunning,
}

/// `zpool scrub <pool>`; a scrub already under way is not an error.
pub fn start_scrub(runner: &dyn CommandRunner, pool: &PoolName) -> Result<ScrubOutcome, ZfsError> {
    let command = CommandLine::new(Program::Zpool, ["scrub", pool.as_str()]);
    match runner.run(&command) {
        Ok(_) => Ok(ScrubOutcome::Started),
        Err(e) if e.stderr().contains("currently scrubbing") => Ok(ScrubOutcome::AlreadyRunning),
        Err(e) if e.stderr().contains("currently resilvering") => {
            Err(ZfsError::ScanRunning { pool: pool.clone() })
        }
        Err(e) => Err(no_such_pool_or(pool, e, "scrub pool")),
    }
}

/// `zpool destroy <pool>`, only when `confirmation` is the pool's name
/// again; otherwise nothing is run. Never `-f`.
pub fn destroy_pool(
    runner: &dyn CommandRunner,
    pool: &PoolName,
    confirmation: &str,
) -> Result<(), ZfsError> {
    if confirmation != pool.as_str() {
        return Err(ZfsError::ConfirmationMismatch {
            pool: pool.clone(),
            confirmation: confirmation.to_string(),
        });
    }
    let command = CommandLine::new(Program::Zpool, ["destroy", pool.as_str()]);
    runner
        .run(&command)
        .map_err(|e| no_such_pool_or(pool, e, "destroy pool"))?;
    Ok(())
}

/// The lines after zpool's "use '-f' to override the following errors:",
/// one per disk it found in use.
pub(crate) fn in_use_details(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("use '-f'"))
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests;

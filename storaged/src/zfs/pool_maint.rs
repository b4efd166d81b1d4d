//! Pool maintenance: replace a member, take one offline or online again,
//! clear error counts, and list the pools `zpool import` could import.
//!
//! Members are named on the command line by their by-id path, as they were
//! given to `zpool create`: `zpool` matches that against the path its
//! configuration records, so a member whose disk is gone is still found.

use super::parse::{self, Importable};
use super::pool::BY_ID_DIR;
use super::{failed, parse_failed, ZfsError};
use crate::names::{DiskId, PoolName};
use crate::runner::{CommandError, CommandLine, CommandRunner, Program};

fn by_id(disk: &DiskId) -> String {
    format!("{BY_ID_DIR}/{disk}")
}

/// The errors every maintenance command shares: no such pool, no such
/// member, a refusal with `zpool`'s own reason.
fn member_error(pool: &PoolName, disk: &DiskId, action: &'static str, e: CommandError) -> ZfsError {
    let stderr = e.stderr();
    if stderr.contains("no such pool") {
        ZfsError::NoSuchPool { pool: pool.clone() }
    } else if stderr.contains("no such device in pool") {
        ZfsError::NotAMember {
            pool: pool.clone(),
            disk: disk.to_string(),
        }
    } else if stderr.contains("use '-f' to override") {
        ZfsError::DisksInUse {
            pool: pool.clone(),
            details: super::pool::in_use_details(stderr),
        }
    } else if stderr.starts_with("cannot ") {
        // "cannot offline X: no valid replicas", "cannot replace X with Y:
        // device is too small": zpool's reason is the useful part.
        ZfsError::MemberRefused {
            pool: pool.clone(),
            action,
            detail: stderr.trim().to_string(),
        }
    } else {
        failed(action, pool, e)
    }
}

/// `zpool replace [-f] <pool> <old> <new>`: starts resilvering `new` in
/// the place of `old`. `force` overwrites what `new` holds.
pub fn replace_disk(
    runner: &dyn CommandRunner,
    pool: &PoolName,
    old: &DiskId,
    new: &DiskId,
    force: bool,
) -> Result<CommandLine, ZfsError> {
    let mut args = vec!["replace".to_string()];
    if force {
        args.push("-f".into());
    }
    args.extend([pool.to_string(), by_id(old), by_id(new)]);
    let command = CommandLine::new(Program::Zpool, args);
    runner
        .run(&command)
        .map_err(|e| member_error(pool, old, "replace a disk of pool", e))?;
    Ok(command)
}

/// `zpool online <pool> <disk>`.
pub fn online_disk(
    runner: &dyn CommandRunner,
    pool: &PoolName,
    disk: &DiskId,
) -> Result<CommandLine, ZfsError> {
    let command = CommandLine::new(Program::Zpool, ["online", pool.as_str(), &by_id(disk)]);
    runner
        .run(&command)
        .map_err(|e| member_error(pool, disk, "bring online a disk of pool", e))?;
    Ok(command)
}

/// `zpool offline [-t] <pool> <disk>`; `temporary`: only until the next
/// import (reboot), else until `zpool online`.
pub fn offline_disk(
    runner: &dyn CommandRunner,
    pool: &PoolName,
    disk: &DiskId,
    temporary: bool,
) -> Result<CommandLine, ZfsError> {
    let mut args = vec!["offline".to_string()];
    if temporary {
        args.push("-t".into());
    }
    args.extend([pool.to_string(), by_id(disk)]);
    let command = CommandLine::new(Program::Zpool, args);
    runner
        .run(&command)
        .map_err(|e| member_error(pool, disk, "take offline a disk of pool", e))?;
    Ok(command)
}

/// `zpool clear <pool> [disk]`: forgets error counts (of one member, or
/// all) and lets a faulted member try again.
pub fn clear_errors(
    runner: &dyn CommandRunner,
    pool: &PoolName,
    disk: Option<&DiskId>,
) -> Result<CommandLine, ZfsError> {
    let mut args = vec!["clear".to_string(), pool.to_string()];
    args.extend(disk.map(by_id));
    let command = CommandLine::new(Program::Zpool, args);
    runner.run(&command).map_err(|e| match disk {
        Some(disk) => member_error(pool, disk, "clear the errors of pool", e),
        None if e.stderr().contains("no such pool") => ZfsError::NoSuchPool { pool: pool.clone() },
        None => failed("clear the errors of pool", pool, e),
    })?;
    Ok(command)
}

/// `zpool import -d /dev/disk/by-id`: the pools on the machine's disks
/// that are not imported. `zpool import` has no JSON output (`-j` is
/// for status, list and get), so its text is parsed. "no pools available
/// to import" is an empty list, whatever the exit status.
pub fn importable_pools(runner: &dyn CommandRunner) -> Result<Vec<Importable>, ZfsError> {
    let command = CommandLine::new(Program::Zpool, ["import", "-d", BY_ID_DIR]);
    let out = match runner.run(&command) {
        Ok(out) => out.stdout,
        Err(e) if e.stderr().contains("no pools available to import") => return Ok(Vec::new()),
        Err(e) => return Err(failed("list", "importable pools", e)),
    };
    parse::parse_import_list(&out).map_err(|e| parse_failed("importable pools", &command, e))
}

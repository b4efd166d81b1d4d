//! Filesystem datasets and zvols: create (from pure plans), list, resize,
//! destroy.

use std::fmt;

use serde::Serialize;

use super::parse::{self, DatasetRow, DATASET_COLUMNS};
use super::props::{Compression, DatasetKind, SyncMode, Warning};
use super::resize::QuotaKind;
use super::{failed, names_after_use_line, parse_failed, pool_of, ser, ZfsError};
use crate::names::{DatasetName, PoolName};
use crate::runner::{CommandError, CommandLine, CommandRunner, Program};

/// OpenZFS's and TrueNAS's default zvol block size; suits VMFS and NTFS.
pub const DEFAULT_VOLBLOCKSIZE: u64 = 16 * 1024;

/// A filesystem dataset to create (for NFS and SMB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSpec {
    pub name: DatasetName,
    /// `None` inherits the pool's (lz4).
    pub compression: Option<Compression>,
    pub sync: SyncMode,
    /// Bytes, for it and its children and snapshots.
    pub quota: Option<u64>,
    /// Bytes, for its own data.
    pub refquota: Option<u64>,
    /// Bytes, a power of two from 512 to 16M; `None` inherits (128K).
    pub recordsize: Option<u64>,
}

impl DatasetSpec {
    /// Inherited compression and recordsize, `sync=standard`, no quotas.
    pub fn new(name: DatasetName) -> Self {
        DatasetSpec {
            name,
            compression: None,
            sync: SyncMode::Standard,
            quota: None,
            refquota: None,
            recordsize: None,
        }
    }
}

/// A zvol to create (for iSCSI). It always gets `volmode=dev`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZvolSpec {
    pub name: DatasetName,
    /// `volsize` in bytes, a multiple of `volblocksize`.
    pub size: u64,
    /// A power of two from 512 to 128K; fixed once created.
    pub volblocksize: u64,
    /// Thin (`-s`): no reservation, the pool can be over-committed.
    pub sparse: bool,
    /// `None` inherits the pool's (lz4).
    pub compression: Option<Compression>,
    pub sync: SyncMode,
}

impl ZvolSpec {
    /// 16K blocks, thick, `sync=standard`, inherited compression.
    pub fn new(name: DatasetName, size: u64) -> Self {
        ZvolSpec {
            name,
            size,
            volblocksize: DEFAULT_VOLBLOCKSIZE,
            sparse: false,
            compression: None,
            sync: SyncMode::Standard,
        }
    }
}

/// What creating a dataset or zvol will do (or did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
#[schemars(rename = "CreatePlan")]
pub struct Plan {
    pub target: String,
    /// What ran.
    // A client cannot rebuild a CommandLine from its text, and has no
    // use for it beyond showing it, which it does from the JSON.
    #[serde(serialize_with = "ser::commands", skip_deserializing)]
    #[schemars(with = "Vec<String>")]
    pub commands: Vec<CommandLine>,
    pub warnings: Vec<Warning>,
}

fn opt(args: &mut Vec<String>, property: &str, value: impl fmt::Display) {
    args.push("-o".into());
    args.push(format!("{property}={value}"));
}

/// The `zfs create` a dataset spec asks for; runs nothing.
pub fn plan_create_dataset(spec: &DatasetSpec) -> Result<Plan, ZfsError> {
    let name = spec.name.as_str();
    let mut args: Vec<String> = vec!["create".into()];
    opt(&mut args, "sync", spec.sync);
    if let Some(c) = spec.compression {
        opt(&mut args, "compression", c);
    }
    for (kind, bytes) in [
        (QuotaKind::Quota, spec.quota),
        (QuotaKind::Refquota, spec.refquota),
    ] {
        match bytes {
            Some(0) => {
                return Err(ZfsError::ZeroQuota {
                    dataset: name.to_string(),
                    kind,
                })
            }
            Some(b) => opt(&mut args, &kind.to_string(), b),
            None => {}
        }
    }
    if let Some(size) = spec.recordsize {
        opt(&mut args, "recordsize", size);
    }
    args.push(name.to_string());
    let mut warnings = Vec::new();
    if spec.sync == SyncMode::Disabled {
        warnings.push(Warning::sync_disabled(name));
    }
    Ok(Plan {
        target: name.to_string(),
        commands: vec![CommandLine::new(Program::Zfs, args)],
        warnings,
    })
}

fn check_volblocksize(zvol: &str, size: u64) -> Result<(), ZfsError> {
    if size.is_power_of_two() && (512..=128 * 1024).contains(&size) {
        Ok(())
    } else {
        Err(ZfsError::BadVolBlockSize {
            zvol: zvol.to_string(),
            size,
        })
    }
}

pub(super) fn check_volsize(zvol: &str, size: u64, volblocksize: u64) -> Result<(), ZfsError> {
    if size > 0 && size.checked_rem(volblocksize) == Some(0) {
        Ok(())
    } else {
        Err(ZfsError::BadVolSize {
            zvol: zvol.to_string(),
            size,
            volblocksize,
        })
    }
}

/// The `zfs create -V` a zvol spec asks for; runs nothing.
pub fn plan_create_zvol(spec: &ZvolSpec) -> Result<Plan, ZfsError> {
    let name = spec.name.as_str();
    check_volblocksize(name, spec.volblocksize)?;
    check_volsize(name, spec.size, spec.volblocksize)?;
    let mut args: Vec<String> = vec!["create".into(), "-V".into(), spec.size.to_string()];
    if spec.sparse {
        args.push("-s".into());
    }
    opt(&mut args, "volblocksize", spec.volblocksize);
    opt(&mut args, "volmode", "dev");
    opt(&mut args, "sync", spec.sync);
    if let Some(c) = spec.compression {
        opt(&mut args, "compression", c);
    }
    args.push(name.to_string());
    let mut warnings = Vec::new();
    if spec.sparse {
        warnings.push(Warning::thin_provisioned(name));
    }
    if spec.sync == SyncMode::Disabled {
        warnings.push(Warning::sync_disabled(name));
    }
    Ok(Plan {
        target: name.to_string(),
        commands: vec![CommandLine::new(Program::Zfs, args)],
        warnings,
    })
}

fn run_create(runner: &dyn CommandRunner, plan: Plan) -> Result<Plan, ZfsError> {
    let name = plan.target.as_str();
    for command in &plan.commands {
        runner.run(command).map_err(|e| {
            let stderr = e.stderr();
            if stderr.contains("dataset already exists") {
                ZfsError::DatasetExists {
                    dataset: name.to_string(),
                }
            } else if stderr.contains("parent does not exist") {
                ZfsError::NoParent {
                    dataset: name.to_string(),
                }
            } else if stderr.contains("no such pool") {
                ZfsError::NoSuchPool {
                    pool: pool_of(name),
                }
            } else if stderr.contains("out of space") {
                ZfsError::OutOfSpace {
                    object: name.to_string(),
                }
            } else {
                failed("create", name, e)
            }
        })?;
    }
    Ok(plan)
}

/// Creates a filesystem dataset; its parent must exist.
pub fn create_dataset(runner: &dyn CommandRunner, spec: &DatasetSpec) -> Result<Plan, ZfsError> {
    run_create(runner, plan_create_dataset(spec)?)
}

/// Creates a zvol with `volmode=dev`; its parent must exist.
pub fn create_zvol(runner: &dyn CommandRunner, spec: &ZvolSpec) -> Result<Plan, ZfsError> {
    run_create(runner, plan_create_zvol(spec)?)
}

fn no_such_dataset_or(name: &str, e: CommandError, action: &'static str) -> ZfsError {
    if e.stderr().contains("dataset does not exist") {
        ZfsError::NoSuchDataset {
            dataset: name.to_string(),
        }
    } else {
        failed(action, name, e)
    }
}

/// One dataset or zvol.
pub fn get_dataset(runner: &dyn CommandRunner, name: &DatasetName) -> Result<DatasetRow, ZfsError> {
    let command = CommandLine::new(
        Program::Zfs,
        ["list", "-H", "-p", "-o", DATASET_COLUMNS, name.as_str()],
    );
    let out = runner
        .run(&command)
        .map_err(|e| no_such_dataset_or(name.as_str(), e, "list"))?;
    parse::parse_dataset_list(&out.stdout)
        .map_err(|e| parse_failed(name, &command, e))?
        .into_iter()
        .find(|row| row.name == name.as_str())
        .ok_or_else(|| ZfsError::NoSuchDataset {
            dataset: name.to_string(),
        })
}

/// Every filesystem and zvol of a pool, the pool's root dataset first.
pub fn list_datasets(
    runner: &dyn CommandRunner,
    pool: &PoolName,
) -> Result<Vec<DatasetRow>, ZfsError> {
    let command = CommandLine::new(
        Program::Zfs,
        [
            "list",
            "-H",
            "-p",
            "-o",
            DATASET_COLUMNS,
            "-t",
            "filesystem,volume",
            "-r",
            pool.as_str(),
        ],
    );
    let out = runner.run(&command).map_err(|e| {
        if e.stderr().contains("dataset does not exist") {
            ZfsError::NoSuchPool { pool: pool.clone() }
        } else {
            failed("list the datasets of pool", pool, e)
        }
    })?;
    parse::parse_dataset_list(&out.stdout).map_err(|e| parse_failed(pool, &command, e))
}

pub(super) fn expect_kind(row: &DatasetRow, expected: DatasetKind) -> Result<(), ZfsError> {
    if row.kind == expected {
        Ok(())
    } else {
        Err(ZfsError::WrongKind {
            dataset: row.name.clone(),
            expected,
            actual: row.kind,
        })
    }
}

/// Destroys a dataset or zvol. If it has children or snapshots, nothing is
/// run and [`ZfsError::HasDependents`] lists them, unless `recursive` is
/// set (`zfs destroy -r`; clones elsewhere still make it fail). Returns
/// what was destroyed.
pub fn destroy_dataset(
    runner: &dyn CommandRunner,
    dataset: &DatasetName,
    recursive: bool,
) -> Result<Vec<String>, ZfsError> {
    let name = dataset.as_str();
    let list = CommandLine::new(
        Program::Zfs,
        [
            "list",
            "-H",
            "-o",
            "name",
            "-t",
            "filesystem,volume,snapshot",
            "-r",
            name,
        ],
    );
    let out = runner
        .run(&list)
        .map_err(|e| no_such_dataset_or(name, e, "list"))?;
    let all = parse::parse_name_list(&out.stdout);
    let dependents: Vec<String> = all.iter().filter(|n| *n != name).cloned().collect();
    if !dependents.is_empty() && !recursive {
        return Err(ZfsError::HasDependents {
            dataset: name.to_string(),
            dependents,
        });
    }
    let mut args = vec!["destroy"];
    if recursive {
        args.push("-r");
    }
    args.push(name);
    runner
        .run(&CommandLine::new(Program::Zfs, args))
        .map_err(|e| {
            let stderr = e.stderr();
            if stderr.contains("has children") {
                ZfsError::HasDependents {
                    dataset: name.to_string(),
                    dependents: names_after_use_line(stderr),
                }
            } else {
                no_such_dataset_or(name, e, "destroy")
            }
        })?;
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DatasetName {
        s.parse().unwrap()
    }

    #[test]
    fn zvol_plan_has_volmode_dev_and_16k_blocks_by_default() {
        let plan = plan_create_zvol(&ZvolSpec::new(name("tank/vm/esx1"), 100 << 30)).unwrap();
        assert_eq!(
            plan.commands[0].to_string(),
            "zfs create -V 107374182400 -o volblocksize=16384 -o volmode=dev -o sync=standard tank/vm/esx1"
        );
        assert!(plan.warnings.is_empty());
    }

    #[test]
    fn sparse_zvol_plan_warns_about_over_commit() {
        let mut spec = ZvolSpec::new(name("tank/thin"), 1 << 30);
        spec.sparse = true;
        spec.volblocksize = 64 * 1024;
        spec.compression = Some(Compression::Zstd(None));
        let plan = plan_create_zvol(&spec).unwrap();
        assert_eq!(
            plan.commands[0].to_string(),
            "zfs create -V 1073741824 -s -o volblocksize=65536 -o volmode=dev -o sync=standard -o compression=zstd tank/thin"
        );
        assert_eq!(plan.warnings.len(), 1);
        assert!(plan.warnings[0].message.contains("over-commit"));
    }

    #[test]
    fn sync_disabled_is_allowed_with_a_warning() {
        let mut spec = ZvolSpec::new(name("tank/scratch"), 1 << 20);
        spec.sync = SyncMode::Disabled;
        let plan = plan_create_zvol(&spec).unwrap();
        assert!(plan.commands[0].to_string().contains("-o sync=disabled"));
        assert!(plan.warnings[0]
            .message
            .contains("never use it for VM storage"));

        let mut spec = DatasetSpec::new(name("tank/tmp"));
        spec.sync = SyncMode::Disabled;
        assert_eq!(plan_create_dataset(&spec).unwrap().warnings.len(), 1);
    }

    #[test]
    fn zvol_sizes_and_block_sizes_are_checked_before_anything_runs() {
        for vbs in [0, 256, 3000, 256 * 1024] {
            let mut spec = ZvolSpec::new(name("tank/v"), 1 << 30);
            spec.volblocksize = vbs;
            assert!(matches!(
                plan_create_zvol(&spec),
                Err(ZfsError::BadVolBlockSize { .. })
            ));
        }
        for size in [0, 1000, (1 << 30) + 512] {
            assert!(matches!(
                plan_create_zvol(&ZvolSpec::new(name("tank/v"), size)),
                Err(ZfsError::BadVolSize { .. })
            ));
        }
    }

    #[test]
    fn dataset_plan_with_quotas() {
        let mut spec = DatasetSpec::new(name("tank/share"));
        spec.compression = Some(Compression::Lz4);
        spec.quota = Some(10 << 30);
        spec.refquota = Some(5 << 30);
        spec.recordsize = Some(1 << 20);
        let plan = plan_create_dataset(&spec).unwrap();
        assert_eq!(
            plan.commands[0].to_string(),
            "zfs create -o sync=standard -o compression=lz4 -o quota=10737418240 -o refquota=5368709120 -o recordsize=1048576 tank/share"
        );
        spec.quota = Some(0);
        assert!(matches!(
            plan_create_dataset(&spec),
            Err(ZfsError::ZeroQuota { .. })
        ));
    }
}

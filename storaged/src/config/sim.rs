//! `--sim`'s machine: the fixture tree laid out under the simulation
//! directory, a sparse file per disk, and a fake `zpool`/`zfs` that sees
//! them (and the pools the state declares, exported as after a power
//! cycle).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{Config, SIM_MACHINE_FIXTURE};
use crate::drives::{self, DriveError};
use crate::state::StateStore;
use crate::zfs::fake::FakeZfs;
use crate::zfs::{self, PoolSpec};

/// Why `--sim` could not lay out its machine.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no fixture machine at {}; pass --sim-machine DIR (a tree like tests/fixtures/drives/qemu-test-vm)", .path.display())]
    NoMachine { path: PathBuf },
    #[error("cannot copy {} to {}", .from.display(), .to.display())]
    Copy {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot create the simulated disk {}", .path.display())]
    Disk {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot take the simulated machine's drive inventory")]
    Drives(#[source] DriveError),
}

impl Config {
    /// For `--sim`: lays the fixture machine out under the simulation
    /// directory and returns a fake `zpool`/`zfs` whose `/dev/disk/by-id`
    /// holds that machine's disks, each as large as sysfs says.
    ///
    /// - its `sys/` goes to the sysfs root, `run/udev/data/` and `proc/`
    ///   under the root (symbolic links copied as links);
    /// - each block device gets a sparse, zero-filled file of its size in
    ///   the `/dev` root, which the inventory reads for signatures.
    ///
    /// What is already there is kept, so a developer can write a partition
    /// table into `<sim-dir>/dev/sda` and see the disk turn `in-use`. Only
    /// roots inside the simulation directory are written.
    ///
    /// The fake keeps pools in memory only, so the pools the state file
    /// declares are made again, empty, and exported, as a power cycle
    /// leaves real ones: the reconcile at start imports them and makes
    /// their datasets and volumes again.
    /// Gives the simulated disk `/dev/<dev_name>` a protective MBR and a GPT
    /// header, as any partitioning tool writes them, so the in-use verdict
    /// and the refusal it brings can be tried in `--sim`.
    pub fn partition_sim_disk(&self, dev_name: &str) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let mut head = vec![0u8; 1024];
        head[446 + 4] = 0xee;
        head[510..512].copy_from_slice(&[0x55, 0xaa]);
        head[512..520].copy_from_slice(b"EFI PART");
        std::fs::OpenOptions::new()
            .write(true)
            .open(self.roots.dev.join(dev_name))?
            .write_all_at(&head, 0)
    }

    /// [`Config::prepare_sim`] with a partition table on each of the
    /// simulated disks `partitioned` (kernel names, `sda`) from the start,
    /// so the fake `zpool` refuses them as the real one would: the machine
    /// the tests and the VM test's sfdisk make.
    pub fn prepare_sim_partitioned(&self, partitioned: &[&str]) -> Result<FakeZfs, SimError> {
        let fake = self.prepare_sim()?;
        if partitioned.is_empty() {
            return Ok(fake);
        }
        for disk in partitioned {
            self.partition_sim_disk(disk)
                .map_err(|source| SimError::Disk {
                    path: self.roots.dev.join(disk),
                    source,
                })?;
        }
        // Again, now that the disks carry their tables.
        self.prepare_sim()
    }

    pub fn prepare_sim(&self) -> Result<FakeZfs, SimError> {
        let (Some(dir), Some(machine)) = (&self.sim_dir, &self.sim_machine) else {
            return Ok(FakeZfs::new());
        };
        if !machine.join("sys/block").is_dir() {
            return Err(SimError::NoMachine {
                path: machine.clone(),
            });
        }
        let inside = |path: &Path| path.starts_with(dir);
        let drive_roots = self.roots.drives();
        for (from, to) in [
            (machine.join("sys"), drive_roots.sys.clone()),
            (machine.join("run/udev/data"), drive_roots.udev_data.clone()),
            (machine.join("proc"), drive_roots.proc.clone()),
        ] {
            if inside(&to) && from.is_dir() {
                copy_missing(&from, &to)?;
            }
        }
        if inside(&drive_roots.dev) {
            sparse_disks(&drive_roots.sys.join("block"), &drive_roots.dev)?;
        }
        let inventory = drives::scan(&drive_roots).map_err(SimError::Drives)?;
        let fake = FakeZfs::new();
        for disk in &inventory.disks {
            let Some(id) = &disk.id else { continue };
            if disk.verdict == drives::Verdict::InUse {
                // So that the fake's `zpool create` refuses it without -f,
                // as the real one refuses a partitioned disk.
                let fstype = disk.partitions.iter().find_map(|p| p.fs_type.clone());
                fake.add_disk_with_partition_table(
                    id.as_str(),
                    disk.size_bytes,
                    fstype.as_deref().unwrap_or("unknown"),
                );
            } else {
                fake.add_disk(id.as_str(), disk.size_bytes);
            }
        }
        if let Ok(loaded) = StateStore::new(&self.state_dir).load() {
            for pool in loaded.state.pools() {
                let spec = PoolSpec {
                    name: pool.name.clone(),
                    layout: pool.layout,
                    vdevs: pool.vdev_disks(),
                    mount_base: self.roots.pool_mount_base(),
                    force: !pool.forced.is_empty(),
                };
                // A pool whose disks are gone stays gone, as on a machine.
                if zfs::create_pool(&fake, &spec).is_ok() {
                    let _ = zfs::export_pool(&fake, &pool.name);
                }
            }
            fake.clear_commands();
        }
        Ok(fake)
    }
}

/// Copies the tree `from` into `to`, leaving whatever `to` already has.
fn copy_missing(from: &Path, to: &Path) -> Result<(), SimError> {
    let err = |source| SimError::Copy {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        source,
    };
    fs::create_dir_all(to).map_err(err)?;
    for entry in fs::read_dir(from).map_err(err)? {
        let entry = entry.map_err(err)?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(err)?;
        if kind.is_dir() {
            copy_missing(&src, &dst)?;
        } else if dst.symlink_metadata().is_ok() {
            continue;
        } else if kind.is_symlink() {
            let target = fs::read_link(&src).map_err(err)?;
            std::os::unix::fs::symlink(target, &dst).map_err(err)?;
        } else {
            fs::copy(&src, &dst).map_err(err)?;
        }
    }
    Ok(())
}

/// A sparse file in `dev` for every device in sysfs's `block/`, sized
/// from its `size` (in 512-byte sectors); existing files are kept.
fn sparse_disks(block: &Path, dev: &Path) -> Result<(), SimError> {
    let disk_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SimError::Disk { path, source }
    };
    fs::create_dir_all(dev).map_err(disk_err(dev))?;
    for entry in fs::read_dir(block).map_err(disk_err(block))? {
        let entry = entry.map_err(disk_err(block))?;
        let path = dev.join(entry.file_name());
        if path.exists() {
            continue;
        }
        let size_file = entry.path().join("size");
        let sectors: u64 = fs::read_to_string(&size_file)
            .map_err(disk_err(&size_file))?
            .trim()
            .parse()
            .map_err(|_| SimError::Disk {
                path: size_file.clone(),
                source: io::Error::new(io::ErrorKind::InvalidData, "not a number of sectors"),
            })?;
        fs::File::create(&path)
            .and_then(|f| f.set_len(sectors * 512))
            .map_err(disk_err(&path))?;
    }
    Ok(())
}

/// Where `--sim` finds its machine when not told: [`SIM_MACHINE_FIXTURE`]
/// below the nearest ancestor of the executable (a build tree's
/// `target/debug/storaged`), or else of the working directory, that has
/// it. Resolved at run time, so a moved tree still works; when none has
/// it, the one next to the executable is named, and
/// [`Config::prepare_sim`] says it is missing.
pub fn default_sim_machine() -> PathBuf {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let cwd = std::env::current_dir().ok();
    let candidates: Vec<PathBuf> = [exe_dir, cwd]
        .iter()
        .flatten()
        .flat_map(|start| start.ancestors().map(|a| a.join(SIM_MACHINE_FIXTURE)))
        .collect();
    candidates
        .iter()
        .find(|dir| dir.join("sys/block").is_dir())
        .or(candidates.first())
        .cloned()
        .unwrap_or_else(|| PathBuf::from(SIM_MACHINE_FIXTURE))
}

//! Drive inventory from sysfs and udev data, with a verdict per disk.
//!
//! [`scan`] lists every whole disk the kernel sees, names it by its
//! `/dev/disk/by-id` link (never `sda`), describes it (model, serial,
//! firmware, size, transport, controller driver, NVMe temperature and PCIe
//! link) and says whether a pool may use it, and if not, why, in words the
//! person at the machine can act on: a RAID logical volume, firmware RAID
//! metadata, the boot medium, a disk already in use, a serial shared with
//! another disk.
//!
//! It only reads: sysfs, the udev database, `/proc` and the first and last
//! bytes of each disk. It never writes to a disk and never spawns a
//! process; wiping or forcing is the pool's business. Every root it reads
//! is a parameter ([`DriveRoots`]), so tests run it against fixture trees
//! shaped like the kernel's (`tests/fixtures/drives/`).

mod describe;
mod model;
mod nvme;
mod placement;
mod probe;
mod proc;
mod sysfs;
mod udev;
mod unattached;
mod verdict;

#[cfg(test)]
mod craft;
#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

pub use model::{DevNum, Disk, Inventory, NvmeInfo, Partition, PcieLink, Transport, Verdict};
pub use probe::{probe, read_sample, Sample, Signature, HEAD_LEN, TAIL_LEN};
pub use unattached::UnattachedNvme;

/// Where the inventory reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveRoots {
    /// sysfs: `/sys`.
    pub sys: PathBuf,
    /// Device nodes, read for on-disk signatures: `/dev`.
    pub dev: PathBuf,
    /// The udev database: `/run/udev/data`.
    pub udev_data: PathBuf,
    /// procfs, for `self/mountinfo` and `cmdline`: `/proc`.
    pub proc: PathBuf,
}

impl DriveRoots {
    /// The running system's.
    pub fn system() -> DriveRoots {
        DriveRoots::under(Path::new("/"))
    }

    /// A tree laid out like a root file system: `<root>/sys`, `<root>/dev`,
    /// `<root>/run/udev/data`, `<root>/proc`.
    pub fn under(root: &Path) -> DriveRoots {
        DriveRoots {
            sys: root.join("sys"),
            dev: root.join("dev"),
            udev_data: root.join("run/udev/data"),
            proc: root.join("proc"),
        }
    }
}

/// Why the inventory could not be taken. A disk whose bytes cannot be read
/// is not an error: it is listed with the verdict `unreadable`.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("unexpected contents in {}: {reason}", path.display())]
    Parse { path: PathBuf, reason: String },
}

/// Gives every disk an id no other disk claims. udev lets two devices
/// claim one by-id link (two drives reporting one serial both claim
/// `nvme-<model>_<serial>`) and the link then points at whichever came
/// last, so such a link names no disk in particular: each disk falls back
/// to the best link only it has (its namespace EUI or UUID, its WWN), or
/// has no id at all. The shared links stay listed in `by_id`.
fn unshare_ids(described: &mut [describe::Described]) {
    let mut claims: std::collections::BTreeMap<String, usize> = Default::default();
    for d in described.iter() {
        for link in &d.disk.by_id {
            *claims.entry(link.clone()).or_default() += 1;
        }
    }
    for d in described.iter_mut() {
        let shared: Vec<&String> = d.disk.by_id.iter().filter(|l| claims[*l] > 1).collect();
        if shared.is_empty() {
            continue;
        }
        let own: Vec<String> = d
            .disk
            .by_id
            .iter()
            .filter(|l| claims[*l] == 1)
            .cloned()
            .collect();
        d.disk.shared_ids = shared.iter().map(|l| l.to_string()).collect();
        d.disk.id = udev::pick_id(&own);
    }
}

/// Takes the inventory: every whole disk, sorted by id (disks udev gave
/// no id come last, by kernel name), each with its verdict and reasons.
pub fn scan(roots: &DriveRoots) -> Result<Inventory, DriveError> {
    let mounts = proc::read_mounts(&roots.proc)?;
    let booted_slot = proc::read_booted_slot(&roots.proc)?;
    let mut described = Vec::new();
    for block in sysfs::whole_disks(&roots.sys)? {
        described.push(describe::describe(roots, &block, &mounts)?);
    }
    unshare_ids(&mut described);
    let duplicates = verdict::duplicate_serials(described.iter().map(|d| &d.disk));
    let mut disks: Vec<Disk> = described
        .into_iter()
        .map(|mut d| {
            verdict::judge(
                &mut d.disk,
                d.read_error.as_deref(),
                &duplicates,
                booted_slot,
            );
            d.disk
        })
        .collect();
    disks.sort_by(|a, b| {
        let key = |d: &Disk| (d.id.is_none(), d.id.clone(), d.kernel_name.clone());
        key(a).cmp(&key(b))
    });
    let unattached_nvme = unattached::unattached_nvme(&roots.sys)?;
    Ok(Inventory {
        disks,
        unattached_nvme,
    })
}

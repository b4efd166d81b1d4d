//! The roots through which storaged sees the machine, and where on it the
//! pools mount. A parameter everywhere, so tests point them at fixtures.

use std::path::{Path, PathBuf};

use crate::drives::DriveRoots;

/// Where pools mount, below the machine's root: `/var/mnt/<pool>`. The
/// appliance's root is read-only, `/var` is not; and every directory on the
/// way is world-traversable, so SMB and NFS users can reach their shares
/// (storaged's own state directory is 0700).
pub const POOLS_DIR: &str = "var/mnt";

/// `<root>/var/mnt`: the mount base of every pool storaged creates, and
/// what reconcile expects each declared pool's root to mount below.
pub fn pool_mount_base(root: &Path) -> PathBuf {
    root.join(POOLS_DIR)
}

/// The roots through which storaged sees the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roots {
    /// `/`: os-release, `/proc`, the udev database, program paths.
    pub root: PathBuf,
    /// `/sys`.
    pub sysfs: PathBuf,
    /// `/sys/kernel/config`.
    pub configfs: PathBuf,
    /// `/dev`.
    pub dev: PathBuf,
}

impl Roots {
    /// Where the drive inventory reads: sysfs, `/dev`, and the udev
    /// database and procfs under the root.
    pub fn drives(&self) -> DriveRoots {
        DriveRoots {
            sys: self.sysfs.clone(),
            dev: self.dev.clone(),
            udev_data: self.root.join("run/udev/data"),
            proc: self.root.join("proc"),
        }
    }

    /// `<root>/var/mnt`, see [`pool_mount_base`].
    pub fn pool_mount_base(&self) -> PathBuf {
        pool_mount_base(&self.root)
    }
}

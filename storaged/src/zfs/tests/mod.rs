//! The module against [`FakeZfs`]: the whole life of a pool, and the
//! refusals that keep data safe.

mod lifecycle;
mod refusals;

use super::fake::FakeZfs;
use super::*;
use crate::names::{DatasetName, DiskId, PoolName, SnapshotName};

pub(super) const TB: u64 = 1 << 40;
pub(super) const GB: u64 = 1 << 30;
pub(super) const BASE: &str = "/var/lib/ironstor/pools";

pub(super) fn pool() -> PoolName {
    "tank".parse().unwrap()
}

pub(super) fn ds(s: &str) -> DatasetName {
    s.parse().unwrap()
}

pub(super) fn snap(s: &str) -> SnapshotName {
    s.parse().unwrap()
}

pub(super) fn disk_ids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("nvme-QEMU_NVMe_Ctrl_IRONSTORNVME{i:04}"))
        .collect()
}

pub(super) fn spec(layout: Layout, disks: &[String]) -> PoolSpec {
    PoolSpec {
        name: pool(),
        layout,
        vdevs: if disks.is_empty() {
            Vec::new()
        } else {
            vec![disks.iter().map(|d| d.parse::<DiskId>().unwrap()).collect()]
        },
        mount_base: BASE.into(),
        force: false,
    }
}

/// A fake with `n` 2 TB disks and a mirror (or stripe of one) on the first two.
pub(super) fn fake_with_pool(n: usize) -> (FakeZfs, Vec<String>) {
    let disks = disk_ids(n);
    let fake = FakeZfs::with_disks(&disks, 2 * TB);
    create_pool(&fake, &spec(Layout::Mirror, &disks[..2])).unwrap();
    fake.clear_commands();
    (fake, disks)
}

pub(super) fn ran(fake: &FakeZfs, prefix: &str) -> bool {
    fake.command_lines().iter().any(|c| c.starts_with(prefix))
}

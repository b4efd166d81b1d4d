//! ZFS pools, datasets, zvols and snapshots through the `zpool` and `zfs` CLIs.

//! A network boot: how the PXE tree's kernel command line names it, and the
//! marker the initramfs leaves about `/var`, for storaged.
//!
//! The initramfs side is shell (`rootfs/initramfs/scripts/ironstor-net`
//! and `ironstor-functions`); these constants are the same strings.

use crate::slot::Booted;

/// Command-line key: where the initramfs downloads the root squashfs.
pub const ROOT_URL_KEY: &str = "ironstor.root_url";
/// Command-line key: the SHA-256 the downloaded squashfs must have.
pub const ROOT_SHA256_KEY: &str = "ironstor.root_sha256";
/// The `ironstor.slot=` value of a network boot: neither A nor B. There is
/// no slot to upgrade: the server's tree is the machine's upgrade.
pub const NET_SLOT: &str = crate::slot::CMDLINE_NETWORK;
/// initramfs-tools' `boot=` value selecting `/scripts/ironstor-net`.
pub const BOOT_SCRIPT: &str = "ironstor-net";

/// Relative to `/`: one line, `partition <device>` or `tmpfs`, written by
/// the initramfs once it has mounted `/var` (both boot paths).
pub const VAR_SOURCE_FILE: &str = "run/ironstor/var";
/// The first word of [`VAR_SOURCE_FILE`] when `/var` is the data
/// partition; the device follows after a space.
pub const VAR_SOURCE_PARTITION: &str = "partition";
/// [`VAR_SOURCE_FILE`]'s whole line when `/var` is a tmpfs.
pub const VAR_SOURCE_TMPFS: &str = "tmpfs";

/// Whether `cmdline` (`/proc/cmdline`) is a network boot's: its last
/// `ironstor.slot=` is `net`.
pub fn is_network_boot(cmdline: &str) -> bool {
    Booted::from_cmdline(cmdline) == Booted::Network
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_boot_is_told_by_the_slot_word() {
        assert!(is_network_boot(
            "boot=ironstor-net ironstor.root_url=http://h/root.squashfs ironstor.slot=net quiet"
        ));
        assert!(!is_network_boot(
            "root=PARTLABEL=ironstor-root-a ironstor.slot=a"
        ));
        assert!(!is_network_boot("ironstor.slotnet ro"));
        assert!(!is_network_boot("ironstor.slot=net ironstor.slot=b"));
    }
}

//! The ESP's layout: where GRUB, its config and environment, the image
//! marker and each slot's kernel, initrd and record live on the FAT file
//! system. The builder writes it, GRUB reads it (`grub.cfg` names the
//! slot's files through the grubenv slot word), storaged rewrites a slot's
//! files and `grubenv` during an upgrade.
//!
//! Paths are relative to the ESP's root and `/`-separated: join them to a
//! mount point, or put `/` (GRUB) or `::/` (mtools) in front.

use crate::bundle::SLOT_RECORD;
use crate::slot::Slot;

/// GRUB's prefix directory: the core images are made with `-p /grub`.
pub const GRUB_DIR: &str = "grub";
/// The boot menu, the same file for BIOS and UEFI.
pub const GRUB_CFG: &str = "grub/grub.cfg";
/// GRUB's environment block: the A/B state (see [`crate::grubenv`]).
pub const GRUBENV: &str = "grub/grubenv";
/// Where UEFI firmware looks for a removable medium's loader.
pub const EFI_BOOT_DIR: &str = "EFI/BOOT";
/// The UEFI loader: GRUB's x86_64 EFI core image.
pub const EFI_LOADER: &str = "EFI/BOOT/BOOTX64.EFI";
/// Holds the marker file that tells this image's ESP from other FAT file
/// systems GRUB can see.
pub const MARKER_DIR: &str = "ironstor";
/// A slot's kernel, in its slot directory.
pub const KERNEL: &str = "vmlinuz";
/// A slot's initrd, in its slot directory.
pub const INITRD: &str = "initrd.img";
/// A slot's record (what it holds), in its slot directory; written last,
/// so a slot with a record holds a whole image.
pub const RECORD: &str = SLOT_RECORD;

/// The marker file of one build: `ironstor/<build id>`.
pub fn marker(build_id: &str) -> String {
    format!("{MARKER_DIR}/{build_id}")
}

/// The directory holding a slot's kernel, initrd and record. It is the
/// slot's name, because `grub.cfg` builds the paths from the grubenv value
/// (`linux /$slot/vmlinuz`).
pub fn slot_dir(slot: Slot) -> &'static str {
    slot.name()
}

/// `<slot>/vmlinuz`.
pub fn kernel(slot: Slot) -> String {
    format!("{}/{KERNEL}", slot_dir(slot))
}

/// `<slot>/initrd.img`.
pub fn initrd(slot: Slot) -> String {
    format!("{}/{INITRD}", slot_dir(slot))
}

/// `<slot>/image.json`.
pub fn record(slot: Slot) -> String {
    format!("{}/{RECORD}", slot_dir(slot))
}

/// Every directory of a fresh ESP, parents before children.
pub fn directories() -> Vec<String> {
    let mut dirs: Vec<String> = ["EFI", EFI_BOOT_DIR, GRUB_DIR, MARKER_DIR]
        .iter()
        .map(|d| d.to_string())
        .collect();
    dirs.extend(Slot::ALL.iter().map(|s| slot_dir(*s).to_string()));
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_files_live_in_the_slot_named_directory() {
        assert_eq!(kernel(Slot::A), "a/vmlinuz");
        assert_eq!(initrd(Slot::B), "b/initrd.img");
        assert_eq!(record(Slot::A), "a/image.json");
        assert_eq!(marker("1234"), "ironstor/1234");
    }

    #[test]
    fn every_file_is_under_a_listed_directory() {
        let dirs = directories();
        for file in [
            GRUB_CFG.to_string(),
            GRUBENV.to_string(),
            EFI_LOADER.to_string(),
            marker("x"),
            kernel(Slot::A),
            initrd(Slot::B),
            record(Slot::B),
        ] {
            let (parent, _) = file.rsplit_once('/').unwrap();
            assert!(dirs.iter().any(|d| d == parent), "{file}");
        }
        let efi = dirs.iter().position(|d| d == "EFI").unwrap();
        let efi_boot = dirs.iter().position(|d| d == EFI_BOOT_DIR).unwrap();
        assert!(efi < efi_boot, "parents first");
    }
}

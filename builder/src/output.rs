//! What a build leaves in its output directory, by name: the one place the
//! names are spelled. `ironstor qemu`, `ironstor pxe serve`, the bundle
//! stage and the vm tests find the build's files through these.
//!
//! ```text
//! out/<image>/
//!   usb.img          the boot medium (GPT, GRUB, ESP, slot A, data)
//!   root.squashfs    slot A's root
//!   vmlinuz          the kernel }  also on the ESP and in the pxe/ tree
//!   initrd.img       the initrd }
//!   image.toml       the manifest: who the image is, how QEMU boots it
//!   pxe/             the network-boot tree (its own names: [`pxe`])
//!   update.bundle    the signed bundle, when built with a signing key
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const USB_IMAGE: &str = "usb.img";
/// The bundle reads its payloads from the output directory by their bundle
/// names, so these three are the contract's payload names.
pub const ROOT_SQUASHFS: &str = ironstor_contract::bundle::PAYLOAD_ROOT;
pub const KERNEL: &str = ironstor_contract::bundle::PAYLOAD_KERNEL;
pub const INITRD: &str = ironstor_contract::bundle::PAYLOAD_INITRD;
pub const MANIFEST: &str = "image.toml";
/// The network-boot tree, a directory of the output.
pub const PXE_DIR: &str = "pxe";
pub const BUNDLE: &str = ironstor_contract::bundle::BUNDLE_FILE;

/// Names inside the `pxe/` tree. Loaders find their configs by these names,
/// so they are fixed, not settings.
pub mod pxe {
    pub use super::{INITRD, KERNEL, ROOT_SQUASHFS};

    /// The tree's own manifest (`TreeInfo`).
    pub const TREE_INFO: &str = "pxe.toml";
    pub const BOOT_IPXE: &str = "boot.ipxe";
    pub const PXELINUX_CFG: &str = "pxelinux.cfg/default";
    /// GRUB's netboot image has prefix `/grub`, so it reads this file.
    pub const GRUB_NET_CFG: &str = "grub/grub.cfg";
    pub const UNDIONLY: &str = "undionly.kpxe";
    pub const PXELINUX: &str = "pxelinux.0";
    pub const LDLINUX: &str = "ldlinux.c32";
    pub const GRUB_NET_EFI: &str = "grubnetx64.efi";
}

/// `image.toml`: who the image is and how to boot it in QEMU.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub build_id: String,
    pub kernel_version: String,
    pub usb_image_sha256: String,
    pub root_squashfs_sha256: String,
    /// SHA-256 of `update.bundle`, when the build was given a signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_sha256: Option<String>,
    pub qemu: QemuSettings,
}

/// The profile's `[qemu]` table as the harness needs it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct QemuSettings {
    pub memory_mib: u64,
    pub nvme_drives: u32,
    pub sata_drives: u32,
    pub drive_size_mib: u64,
    pub stick_size_mib: u64,
}

/// `image.toml` could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {}; build the image first", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not an image manifest", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
}

impl Manifest {
    pub fn load(out_dir: &Path) -> Result<Manifest, ManifestError> {
        let path = out_dir.join(MANIFEST);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(source) => return Err(ManifestError::Read { path, source }),
        };
        toml::from_str(&text).map_err(|source| ManifestError::Parse { path, source })
    }
}

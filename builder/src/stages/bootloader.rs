//! The bootloader stage: GRUB's core images for BIOS (`core.img`, placed
//! in the BIOS boot partition) and UEFI (`BOOTX64.EFI`, on the ESP), both
//! with this build's early config.

use std::fs;
use std::path::{Path, PathBuf};

use crate::formats::grub::{self, GrubError, Platform};

#[derive(Debug, thiserror::Error)]
pub enum BootloaderError {
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Grub(#[from] GrubError),
}

/// Both core images, made in `work`.
pub struct CoreImages {
    pub bios: PathBuf,
    pub efi: PathBuf,
}

/// Makes both GRUB core images with this build's early config.
pub fn grub_images(build_id: &str, work: &Path) -> Result<CoreImages, BootloaderError> {
    let early = work.join("early.cfg");
    fs::write(&early, grub::early_config(build_id)).map_err(|source| BootloaderError::Write {
        path: early.clone(),
        source,
    })?;
    let images = CoreImages {
        bios: work.join("core.img"),
        efi: work.join("BOOTX64.EFI"),
    };
    grub::mkimage(Platform::Bios, &early, &images.bios)?;
    grub::mkimage(Platform::Efi, &early, &images.efi)?;
    Ok(images)
}

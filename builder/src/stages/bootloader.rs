//! The bootloader stage: GRUB's core images for BIOS (`core.img`, placed
//! in the BIOS boot partition) and UEFI (`BOOTX64.EFI`, on the ESP), both
//! with this build's early config.

use std::fs;
use std::path::{Path, PathBuf};

use crate::formats::fsutil::{io_err, PathError};
use crate::formats::grub::{self, GrubError, Platform};

#[derive(Debug, thiserror::Error)]
pub enum BootloaderError {
    #[error(transparent)]
    Io(#[from] PathError),
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
    fs::write(&early, grub::early_config(build_id)).map_err(io_err("write", &early))?;
    let images = CoreImages {
        bios: work.join("core.img"),
        efi: work.join("BOOTX64.EFI"),
    };
    grub::mkimage(Platform::Bios, &early, &images.bios)?;
    grub::mkimage(Platform::Efi, &early, &images.efi)?;
    Ok(images)
}

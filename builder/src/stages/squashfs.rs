//! The squashfs stage: the assembled root tree compressed into slot A's
//! image, checked to fit a slot.

use std::fs;
use std::path::{Path, PathBuf};

use crate::formats::fsutil::{io_err, PathError};
use crate::formats::layout::MIB;
use crate::host::run::{Cmd, RunError};
use crate::profile::Profile;

#[derive(Debug, thiserror::Error)]
pub enum SquashfsError {
    #[error("mksquashfs failed")]
    Mksquashfs(#[source] RunError),
    #[error(transparent)]
    Io(#[from] PathError),
    #[error(
        "{profile}: disk.slot_size is {slot} MiB but the root image is {image} MiB; raise slot_size to at least {need} MiB"
    )]
    SlotTooSmall {
        profile: PathBuf,
        slot: u64,
        image: u64,
        need: u64,
    },
}

/// Compresses the root tree into a squashfs image and checks it fits a
/// slot. Returns its size in bytes.
pub fn squashfs(profile: &Profile, root: &Path, out: &Path) -> Result<u64, SquashfsError> {
    let _ = fs::remove_file(out);
    Cmd::new("mksquashfs")
        .arg(root)
        .arg(out)
        .args(["-noappend", "-no-progress", "-quiet", "-comp"])
        .arg(profile.rootfs.compression.name())
        // Same inputs, same image: fixed times, no export table surprises.
        .args(["-all-time", "0", "-mkfs-time", "0"])
        .run()
        .map_err(SquashfsError::Mksquashfs)?;
    let size = fs::metadata(out).map_err(io_err("stat", out))?.len();
    if size > profile.disk.slot_size {
        return Err(SquashfsError::SlotTooSmall {
            profile: profile.path.clone(),
            slot: profile.disk.slot_size / MIB,
            image: size.div_ceil(MIB),
            need: size.div_ceil(MIB) + 64,
        });
    }
    Ok(size)
}

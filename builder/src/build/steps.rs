//! The pipeline's bookkeeping, out of the way of the story in
//! [`super::build`]: the error that names the failed stage, progress lines
//! and the closing summary, the build id, and the up-to-date check.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ironstor_contract::bundle::SlotRecord;

use crate::cache::KeyBuilder;
use crate::formats::fsutil::{hash_file, hash_tree, io_err, PathError};
use crate::formats::pxe::PxeInputs;
use crate::output::{
    Manifest, QemuSettings, BUNDLE, INITRD, KERNEL, PXE_DIR, ROOT_SQUASHFS, USB_IMAGE,
};
use crate::profile::{Profile, Qemu};
use crate::stages::assemble::{self, AssembleError};
use crate::stages::bootloader::BootloaderError;
use crate::stages::bundle::BundleStageError;
use crate::stages::data::DataError;
use crate::stages::disk::DiskError;
use crate::stages::esp::EspError;
use crate::stages::pxe_tree::{TreeError, TreeInfo, TreeInputs, TREE_INFO};
use crate::stages::rootfs::{BaseRoot, RootfsError, ZfsModules};
use crate::stages::squashfs::SquashfsError;

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A stage failed; its own error is the source.
    #[error("stage {stage} failed")]
    Stage {
        stage: &'static str,
        #[source]
        source: Box<StageError>,
    },
    /// Reading inputs, hashing or writing outputs between the stages.
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("cannot write {}", .path.display())]
    Manifest {
        path: PathBuf,
        #[source]
        source: toml::ser::Error,
    },
}

/// The error of each stage, as its own module defines it.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Rootfs(#[from] RootfsError),
    #[error(transparent)]
    Assemble(#[from] AssembleError),
    #[error(transparent)]
    Squashfs(#[from] SquashfsError),
    #[error(transparent)]
    Bootloader(#[from] BootloaderError),
    #[error(transparent)]
    Esp(#[from] EspError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Disk(#[from] DiskError),
    #[error(transparent)]
    PxeTree(#[from] TreeError),
    #[error(transparent)]
    Bundle(#[from] BundleStageError),
    /// The pipeline's own work inside a stage (copying, hashing).
    #[error(transparent)]
    Build(Box<BuildError>),
}

impl From<BuildError> for StageError {
    fn from(e: BuildError) -> Self {
        StageError::Build(Box::new(e))
    }
}

pub(super) fn hash(path: &Path) -> Result<String, BuildError> {
    Ok(hash_file(path).map_err(io_err("hash", path))?)
}

pub(super) fn copy_out(from: &Path, to: &Path) -> Result<(), BuildError> {
    fs::copy(from, to).map_err(io_err("write", to))?;
    Ok(())
}

pub(super) fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), BuildError> {
    let text = toml::to_string(manifest).map_err(|source| BuildError::Manifest {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(fs::write(path, text).map_err(io_err("write", path))?)
}

impl From<Qemu> for QemuSettings {
    fn from(q: Qemu) -> Self {
        QemuSettings {
            memory_mib: q.memory >> 20,
            nvme_drives: q.nvme_drives,
            sata_drives: q.sata_drives,
            drive_size_mib: q.drive_size >> 20,
            stick_size_mib: q.stick_size >> 20,
        }
    }
}

/// What slot A holds, for the ESP: the image and its root squashfs.
pub(super) fn slot_record(
    profile: &Profile,
    build_id: &str,
    root_size: u64,
    root_sha256: &str,
) -> SlotRecord {
    SlotRecord {
        image: profile.image.name.clone(),
        version: profile.image.version.clone(),
        build_id: build_id.to_string(),
        root_size,
        root_sha256: root_sha256.to_string(),
    }
}

/// `image.toml` for this build, before any bundle.
pub(super) fn manifest(
    profile: &Profile,
    build_id: &str,
    base: &BaseRoot,
    usb_image_sha256: String,
    root_squashfs_sha256: String,
) -> Manifest {
    Manifest {
        name: profile.image.name.clone(),
        version: profile.image.version.clone(),
        build_id: build_id.to_string(),
        kernel_version: base.kernel_version.clone(),
        usb_image_sha256,
        root_squashfs_sha256,
        bundle_sha256: None,
        qemu: profile.qemu.into(),
    }
}

/// What the PXE tree stage gets: the output's kernel, initrd and squashfs
/// (`files`, in that order), and what the tree says about itself.
pub(super) fn pxe_tree_inputs<'a>(
    profile: &Profile,
    manifest: &Manifest,
    files: &'a [PathBuf; 3],
) -> TreeInputs<'a> {
    TreeInputs {
        files: PxeInputs {
            kernel: &files[0],
            initrd: &files[1],
            root_squashfs: &files[2],
            host_root: Path::new("/"),
        },
        info: TreeInfo {
            image: manifest.name.clone(),
            version: manifest.version.clone(),
            build_id: manifest.build_id.clone(),
            root_sha256: manifest.root_squashfs_sha256.clone(),
            command_line: profile.kernel.command_line.clone(),
            base_url: profile.pxe.base_url.as_ref().map(|u| u.to_string()),
        },
    }
}

/// Progress: one line as a stage starts and its time when it ends.
pub(super) struct Stages {
    total: usize,
    done: Vec<(&'static str, Duration, String)>,
}

impl Stages {
    pub(super) fn new(total: usize) -> Stages {
        Stages {
            total,
            done: Vec::new(),
        }
    }

    pub(super) fn run<T, E: Into<StageError>>(
        &mut self,
        stage: &'static str,
        what: &str,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, BuildError> {
        let n = self.done.len() + 1;
        eprintln!("[{n}/{}] {stage}: {what}", self.total);
        let start = Instant::now();
        let value = f().map_err(|e| BuildError::Stage {
            stage,
            source: Box::new(e.into()),
        })?;
        self.done.push((stage, start.elapsed(), String::new()));
        Ok(value)
    }

    pub(super) fn note(&mut self, note: String) {
        if let Some(last) = self.done.last_mut() {
            eprintln!("      {note}");
            last.2 = note;
        }
    }

    /// "built base <key>" or "reused base <key>", for the cached stages.
    pub(super) fn note_cached(&mut self, what: &str, cached: bool, key: &str, more: &str) {
        let how = if cached { "reused" } else { "built" };
        self.note(format!("{how} {what} {key}{more}"));
    }

    pub(super) fn print_summary(
        &self,
        out: &Path,
        m: &Manifest,
        total: Duration,
    ) -> Result<(), BuildError> {
        eprintln!("\nbuilt {} {} (build {})", m.name, m.version, m.build_id);
        eprintln!("  {:<12} {:>10}  sha256", "artifact", "MiB");
        for (name, sum) in [
            (USB_IMAGE, Some(&m.usb_image_sha256)),
            (ROOT_SQUASHFS, Some(&m.root_squashfs_sha256)),
            (KERNEL, None),
            (INITRD, None),
            (BUNDLE, m.bundle_sha256.as_ref()),
        ] {
            if name == BUNDLE && sum.is_none() {
                continue;
            }
            let path = out.join(name);
            let size = fs::metadata(&path).map_err(io_err("read", &path))?.len();
            let sum = match sum {
                Some(s) => s.clone(),
                None => hash(&path)?,
            };
            eprintln!(
                "  {name:<12} {:>10.1}  {sum}",
                size as f64 / (1 << 20) as f64
            );
        }
        eprintln!("  {:<12} {:>10}", "stage", "seconds");
        for (name, took, _) in &self.done {
            eprintln!("  {name:<12} {:>10.1}", took.as_secs_f64());
        }
        eprintln!("  {:<12} {:>10.1}", "total", total.as_secs_f64());
        eprintln!("  output in {}", out.display());
        Ok(())
    }
}

/// The manifest of an earlier build of the same inputs, if its image is
/// still there whole.
pub(super) fn up_to_date(out: &Path, build_id: &str, bundle: bool) -> Option<Manifest> {
    let manifest = Manifest::load(out).ok()?;
    let tree_info = format!("{PXE_DIR}/{TREE_INFO}");
    let complete = [USB_IMAGE, ROOT_SQUASHFS, KERNEL, INITRD, &tree_info]
        .iter()
        .all(|name| out.join(name).is_file())
        && (!bundle || (manifest.bundle_sha256.is_some() && out.join(BUNDLE).is_file()));
    (manifest.build_id == build_id && complete).then_some(manifest)
}

/// A hash of everything that makes this image what it is.
pub(super) fn build_id(
    profile: &Profile,
    base: &BaseRoot,
    zfs: Option<&ZfsModules>,
    storaged: &Path,
) -> Result<String, BuildError> {
    let mut key = KeyBuilder::new("image-v1");
    key.add_str("base", &base.key);
    key.add_str("zfs", zfs.map_or("", |z| z.key.as_str()));
    // The profile's own text and its package lists, not resolved paths, so
    // the same commit builds the same id wherever it is checked out.
    let read = |path: &Path| fs::read_to_string(path).map_err(io_err("read", path));
    key.add_str("profile", &read(&profile.path)?);
    for set in &profile.distribution.package_sets {
        key.add_str("package set", &read(&set.path)?);
    }
    let initramfs = &profile.rootfs.initramfs_dir;
    key.add_tree("initramfs", initramfs)
        .map_err(io_err("hash", initramfs))?;
    for bin in assemble::appliance_binaries(storaged) {
        key.add_str("binary", &hash_file(&bin).map_err(io_err("read", &bin))?);
    }
    let units = &profile.rootfs.units_dir;
    key.add_str("units", &hash_tree(units).map_err(io_err("hash", units))?);
    if let Some((_, public)) = &profile.update.public_key {
        key.add_str("update key", &public.to_text());
    }
    for overlay in &profile.rootfs.overlays {
        key.add_str(
            "overlay",
            &hash_tree(overlay).map_err(io_err("hash", overlay))?,
        );
    }
    Ok(key.finish())
}

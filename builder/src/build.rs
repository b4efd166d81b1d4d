//! `ironstor build`: the whole pipeline on one screen.
//!
//! profile → base root (cached) → ZFS modules (cached) → assembled root →
//! squashfs → GRUB → ESP → data → usb.img → manifest → PXE tree → update
//! bundle.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use ironstor_contract::bundle::{SlotRecord, BUNDLE_FILE};
use ironstor_contract::keys::SecretKey;

use crate::assemble::{self, AssembleError, Inputs};
use crate::bundle::{self, BundleInputs, BundleStageError};
use crate::cache::{Cache, KeyBuilder};
use crate::disk::Layout;
use crate::fsutil::{hash_file, hash_tree};
use crate::image::{self, DiskInputs, EspInputs, ImageError};
use crate::profile::{Profile, Qemu};
use crate::pxe::{self, PxeInputs, TreeError, TreeInfo, TreeInputs};
use crate::rootfs::{self, RootfsError};

/// Why a build failed: the stage, and beneath it that stage's own error.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("stage base failed")]
    Base(#[source] RootfsError),
    #[error("stage zfs failed")]
    Zfs(#[source] RootfsError),
    #[error("stage assemble failed")]
    Assemble(#[source] AssembleError),
    #[error("stage {stage} failed")]
    Image {
        stage: &'static str,
        #[source]
        source: Box<ImageError>,
    },
    #[error("stage pxe failed")]
    Pxe(#[source] TreeError),
    #[error("stage bundle failed")]
    Bundle(#[source] BundleStageError),
    /// Reading inputs, hashing or writing outputs between the stages.
    #[error("cannot {action} {}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", .path.display())]
    Manifest {
        path: PathBuf,
        #[source]
        source: toml::ser::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BuildError {
    let path = path.to_path_buf();
    move |source| BuildError::Io {
        action,
        path,
        source,
    }
}

fn image_err(stage: &'static str) -> impl FnOnce(ImageError) -> BuildError {
    move |source| BuildError::Image {
        stage,
        source: Box::new(source),
    }
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

/// What a build leaves in its output directory, for `ironstor qemu`, the
/// tests and (later) bundles.
pub const MANIFEST: &str = "image.toml";
pub const USB_IMAGE: &str = "usb.img";
pub const ROOT_SQUASHFS: &str = "root.squashfs";
/// The network-boot tree, a directory of the output.
pub const PXE_DIR: &str = "pxe";

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

pub struct BuildOptions {
    pub out_dir: PathBuf,
    pub cache: Cache,
    pub storaged: PathBuf,
    /// Signs `update.bundle`; already checked against the profile's
    /// `update.public_key`. `None`: no bundle.
    pub signing_key: Option<SecretKey>,
}

/// Progress: one line as a stage starts and its time when it ends.
struct Stages {
    total: usize,
    done: Vec<(&'static str, Duration, String)>,
}

impl Stages {
    fn run<T>(
        &mut self,
        name: &'static str,
        what: &str,
        f: impl FnOnce() -> Result<T, BuildError>,
    ) -> Result<T, BuildError> {
        let n = self.done.len() + 1;
        eprintln!("[{n}/{}] {name}: {what}", self.total);
        let start = Instant::now();
        let value = f()?;
        let took = start.elapsed();
        self.done.push((name, took, String::new()));
        Ok(value)
    }

    fn note(&mut self, note: String) {
        if let Some(last) = self.done.last_mut() {
            eprintln!("      {note}");
            last.2 = note;
        }
    }
}

/// Builds `profile` into `opts.out_dir`.
pub fn build(profile: &Profile, opts: &BuildOptions) -> Result<Manifest, BuildError> {
    let started = Instant::now();
    let out = &opts.out_dir;
    let work = out.join(".work");
    fs::create_dir_all(&work).map_err(io_err("create", &work))?;
    let mut st = Stages {
        total: 10 + usize::from(opts.signing_key.is_some()),
        done: Vec::new(),
    };

    let base = st.run("base", "Debian root with mmdebstrap (cached)", || {
        rootfs::base(profile, &opts.cache, &work.join("mmdebstrap-base.log"))
            .map_err(BuildError::Base)
    })?;
    st.note(format!(
        "{} base {} (kernel {})",
        if base.cached { "reused" } else { "built" },
        base.key,
        base.kernel_version
    ));

    let zfs = st.run("zfs", "ZFS modules from zfs-dkms (cached)", || {
        rootfs::zfs_modules(
            profile,
            &base,
            &opts.cache,
            &work.join("mmdebstrap-zfs.log"),
        )
        .map_err(BuildError::Zfs)
    })?;
    st.note(match &zfs {
        Some(z) => format!(
            "{} zfs {}",
            if z.cached { "reused" } else { "built" },
            z.key
        ),
        None => "no ZFS in this profile".into(),
    });

    let build_id = build_id(profile, &base, zfs.as_ref(), &opts.storaged)?;
    if let Some(manifest) = up_to_date(out, &build_id, opts.signing_key.is_some()) {
        eprintln!("image {build_id} in {} is up to date", out.display());
        return Ok(manifest);
    }
    let assembled = st.run(
        "assemble",
        "root tree: ZFS, storaged, units, overlays",
        || {
            assemble::assemble(
                &Inputs {
                    profile,
                    base: &base,
                    zfs: zfs.as_ref(),
                    storaged: &opts.storaged,
                    build_id: &build_id,
                },
                &work,
            )
            .map_err(BuildError::Assemble)
        },
    )?;

    let squashfs = out.join(ROOT_SQUASHFS);
    let squashfs_size = st.run("squashfs", profile.rootfs.compression.name(), || {
        image::squashfs(profile, &assembled.root, &squashfs).map_err(image_err("squashfs"))
    })?;
    st.note(format!("{} MiB", squashfs_size >> 20));
    let root_sha256 = hash_file(&squashfs).map_err(io_err("hash", &squashfs))?;

    let (bios_core, efi_image) = st.run("grub", "core images for BIOS and UEFI", || {
        image::grub_images(&build_id, &work).map_err(image_err("grub"))
    })?;

    let esp = work.join("esp.img");
    st.run(
        "esp",
        "FAT ESP: GRUB, grub.cfg, grubenv, slot A kernel",
        || {
            image::esp(
                &EspInputs {
                    profile,
                    build_id: &build_id,
                    kernel: &assembled.kernel,
                    initrd: &assembled.initrd,
                    efi_image: &efi_image,
                    slot_record: &SlotRecord {
                        image: profile.image.name.clone(),
                        version: profile.image.version.clone(),
                        build_id: build_id.clone(),
                        root_size: squashfs_size,
                        root_sha256: root_sha256.clone(),
                    },
                },
                &work,
                &esp,
            )
            .map_err(image_err("esp"))
        },
    )?;

    let data = work.join("data.img");
    st.run("data", "ext4 for /var", || {
        image::data(profile, &build_id, &data).map_err(image_err("data"))
    })?;

    let layout = Layout::for_disk(&profile.disk);
    let usb = out.join(USB_IMAGE);
    st.run("disk", "usb.img: GPT, BIOS GRUB, partitions", || {
        image::usb_image(
            &DiskInputs {
                layout: &layout,
                build_id: &build_id,
                bios_core: &bios_core,
                esp: &esp,
                root_a: &squashfs,
                data: &data,
            },
            &usb,
        )
        .map_err(image_err("disk"))
    })?;

    let manifest = st.run("manifest", "checksums and image.toml", || {
        for (src, name) in [
            (&assembled.kernel, "vmlinuz"),
            (&assembled.initrd, "initrd.img"),
        ] {
            let to = out.join(name);
            fs::copy(src, &to).map_err(io_err("write", &to))?;
        }
        let manifest = Manifest {
            name: profile.image.name.clone(),
            version: profile.image.version.clone(),
            build_id: build_id.clone(),
            kernel_version: base.kernel_version.clone(),
            usb_image_sha256: hash_file(&usb).map_err(io_err("hash", &usb))?,
            root_squashfs_sha256: root_sha256.clone(),
            bundle_sha256: None,
            qemu: profile.qemu.into(),
        };
        Ok(manifest)
    })?;
    let tree = out.join(PXE_DIR);
    let info = st.run(
        "pxe",
        "network-boot tree: kernel, initrd, squashfs, iPXE, pxelinux, GRUB",
        || {
            pxe::build_tree(
                TreeInputs {
                    files: PxeInputs {
                        kernel: &out.join(pxe::KERNEL),
                        initrd: &out.join(pxe::INITRD),
                        root_squashfs: &squashfs,
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
                },
                &tree,
            )
            .map_err(BuildError::Pxe)
        },
    )?;
    st.note(match &info.base_url {
        Some(url) => format!("loader configs for {url}"),
        None => "no pxe.base_url: `ironstor pxe serve --url` writes the loader configs".into(),
    });

    // Without a signing key an old bundle would not match this image.
    let _ = fs::remove_file(out.join(BUNDLE_FILE));
    let mut manifest = manifest;
    if let Some(key) = &opts.signing_key {
        let path = st.run("bundle", "signed update bundle", || {
            let inputs = BundleInputs {
                image: &profile.image.name,
                version: &profile.image.version,
                build_id: &build_id,
                out_dir: out,
            };
            bundle::emit(&inputs, key)
                .map(|(path, _)| path)
                .map_err(BuildError::Bundle)
        })?;
        manifest.bundle_sha256 = Some(hash_file(&path).map_err(io_err("hash", &path))?);
    }
    let manifest_path = out.join(MANIFEST);
    let text = toml::to_string(&manifest).map_err(|source| BuildError::Manifest {
        path: manifest_path.clone(),
        source,
    })?;
    fs::write(&manifest_path, text).map_err(io_err("write", &manifest_path))?;
    // The root tree is big and rebuilt each time; keep only the logs.
    let _ = fs::remove_dir_all(&assembled.root);

    print_summary(&st, out, &manifest, started.elapsed())?;
    Ok(manifest)
}

/// The manifest of an earlier build of the same inputs, if its image is
/// still there whole.
fn up_to_date(out: &Path, build_id: &str, bundle: bool) -> Option<Manifest> {
    let manifest = Manifest::load(out).ok()?;
    let tree_info = format!("{PXE_DIR}/{}", pxe::TREE_INFO);
    let complete = [
        USB_IMAGE,
        ROOT_SQUASHFS,
        "vmlinuz",
        "initrd.img",
        &tree_info,
    ]
    .iter()
    .all(|name| out.join(name).is_file())
        && (!bundle || (manifest.bundle_sha256.is_some() && out.join(BUNDLE_FILE).is_file()));
    (manifest.build_id == build_id && complete).then_some(manifest)
}

/// A hash of everything that makes this image what it is.
fn build_id(
    profile: &Profile,
    base: &rootfs::BaseRoot,
    zfs: Option<&rootfs::ZfsModules>,
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

fn print_summary(st: &Stages, out: &Path, m: &Manifest, total: Duration) -> Result<(), BuildError> {
    eprintln!("\nbuilt {} {} (build {})", m.name, m.version, m.build_id);
    eprintln!("  {:<12} {:>10}  sha256", "artifact", "MiB");
    for (name, sum) in [
        (USB_IMAGE, Some(&m.usb_image_sha256)),
        (ROOT_SQUASHFS, Some(&m.root_squashfs_sha256)),
        ("vmlinuz", None),
        ("initrd.img", None),
        (BUNDLE_FILE, m.bundle_sha256.as_ref()),
    ] {
        if name == BUNDLE_FILE && sum.is_none() {
            continue;
        }
        let path = out.join(name);
        let size = fs::metadata(&path).map_err(io_err("read", &path))?.len();
        let sum = match sum {
            Some(s) => s.clone(),
            None => hash_file(&path).map_err(io_err("hash", &path))?,
        };
        eprintln!(
            "  {name:<12} {:>10.1}  {sum}",
            size as f64 / (1 << 20) as f64
        );
    }
    eprintln!("  {:<12} {:>10}", "stage", "seconds");
    for (name, took, _) in &st.done {
        eprintln!("  {name:<12} {:>10.1}", took.as_secs_f64());
    }
    eprintln!("  {:<12} {:>10.1}", "total", total.as_secs_f64());
    eprintln!("  output in {}", out.display());
    Ok(())
}

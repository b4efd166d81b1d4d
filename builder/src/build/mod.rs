//! `ironstor build`: the whole pipeline on one screen.
//!
//! profile → base root (cached) → ZFS modules (cached) → assembled root →
//! squashfs → GRUB → ESP → data → usb.img → manifest → PXE tree → update
//! bundle. Each stage is a function in [`crate::stages`]; the output names
//! are in [`crate::output`]; progress, the build id and the summary are in
//! `steps.rs`.

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use ironstor_contract::keys::SecretKey;

use crate::cache::Cache;
use crate::formats::layout::Layout;
use crate::output::{
    Manifest, BUNDLE, INITRD, KERNEL, MANIFEST, PXE_DIR, ROOT_SQUASHFS, USB_IMAGE,
};
use crate::profile::Profile;
use crate::stages::{assemble, bootloader, bundle, data, disk, esp, pxe_tree, rootfs, squashfs};

mod steps;

use crate::formats::fsutil::io_err;
use steps::{build_id, copy_out, hash, manifest, pxe_tree_inputs, slot_record, up_to_date, Stages};
pub use steps::{BuildError, StageError};

pub struct BuildOptions {
    pub out_dir: PathBuf,
    pub cache: Cache,
    pub storaged: PathBuf,
    /// Signs `update.bundle`; already checked against the profile's
    /// `update.public_key`. `None`: no bundle.
    pub signing_key: Option<SecretKey>,
}

/// Builds `profile` into `opts.out_dir`.
pub fn build(profile: &Profile, opts: &BuildOptions) -> Result<Manifest, BuildError> {
    let started = Instant::now();
    let (out, cache) = (&opts.out_dir, &opts.cache);
    let work = out.join(".work");
    fs::create_dir_all(&work).map_err(io_err("create", &work))?;
    let mut st = Stages::new(10 + usize::from(opts.signing_key.is_some()));

    let base = st.run("base", "Debian root with mmdebstrap (cached)", || {
        rootfs::base(profile, cache, &work.join("mmdebstrap-base.log"))
    })?;
    st.note_cached(
        "base",
        base.cached,
        &base.key,
        &format!(" (kernel {})", base.kernel_version),
    );
    let zfs = st.run("zfs", "ZFS modules from zfs-dkms (cached)", || {
        rootfs::zfs_modules(profile, &base, cache, &work.join("mmdebstrap-zfs.log"))
    })?;
    match &zfs {
        Some(z) => st.note_cached("zfs", z.cached, &z.key, ""),
        None => st.note("no ZFS in this profile".into()),
    }

    let build_id = build_id(profile, &base, zfs.as_ref(), &opts.storaged)?;
    if let Some(manifest) = up_to_date(out, &build_id, opts.signing_key.is_some()) {
        eprintln!("image {build_id} in {} is up to date", out.display());
        return Ok(manifest);
    }
    let inputs = assemble::Inputs {
        profile,
        base: &base,
        zfs: zfs.as_ref(),
        storaged: &opts.storaged,
        build_id: &build_id,
    };
    let root = st.run(
        "assemble",
        "root tree: ZFS, storaged, units, overlays",
        || assemble::assemble(&inputs, &work),
    )?;

    let root_a = out.join(ROOT_SQUASHFS);
    let root_size = st.run("squashfs", profile.rootfs.compression.name(), || {
        squashfs::squashfs(profile, &root.root, &root_a)
    })?;
    st.note(format!("{} MiB", root_size >> 20));
    let root_sha256 = hash(&root_a)?;
    let grub = st.run("grub", "core images for BIOS and UEFI", || {
        bootloader::grub_images(&build_id, &work)
    })?;
    let slot_record = slot_record(profile, &build_id, root_size, &root_sha256);
    let esp_img = work.join("esp.img");
    st.run(
        "esp",
        "FAT ESP: GRUB, grub.cfg, grubenv, slot A kernel",
        || {
            let inputs = esp::EspInputs {
                profile,
                build_id: &build_id,
                kernel: &root.kernel,
                initrd: &root.initrd,
                efi_image: &grub.efi,
                slot_record: &slot_record,
            };
            esp::esp(&inputs, &work, &esp_img)
        },
    )?;
    let data_img = work.join("data.img");
    st.run("data", "ext4 for /var", || {
        data::data(profile, &build_id, &data_img)
    })?;
    let usb = out.join(USB_IMAGE);
    st.run("disk", "usb.img: GPT, BIOS GRUB, partitions", || {
        let layout = Layout::for_disk(&profile.disk);
        let inputs = disk::DiskInputs {
            layout: &layout,
            build_id: &build_id,
            bios_core: &grub.bios,
            esp: &esp_img,
            root_a: &root_a,
            data: &data_img,
        };
        disk::usb_image(&inputs, &usb)
    })?;

    let mut manifest = st.run("manifest", "checksums and image.toml", || {
        copy_out(&root.kernel, &out.join(KERNEL))?;
        copy_out(&root.initrd, &out.join(INITRD))?;
        let usb_sha256 = hash(&usb)?;
        let m = manifest(profile, &build_id, &base, usb_sha256, root_sha256.clone());
        Ok::<_, BuildError>(m)
    })?;
    let tree_files = [out.join(KERNEL), out.join(INITRD), root_a.clone()];
    let tree = st.run(
        "pxe",
        "network-boot tree: kernel, initrd, squashfs, iPXE, pxelinux, GRUB",
        || {
            pxe_tree::build_tree(
                pxe_tree_inputs(profile, &manifest, &tree_files),
                &out.join(PXE_DIR),
            )
        },
    )?;
    st.note(match &tree.base_url {
        Some(url) => format!("loader configs for {url}"),
        None => "no pxe.base_url: `ironstor pxe serve --url` writes the loader configs".into(),
    });

    // Without a signing key an old bundle would not match this image.
    let _ = fs::remove_file(out.join(BUNDLE));
    if let Some(key) = &opts.signing_key {
        let (path, _) = st.run("bundle", "signed update bundle", || {
            let inputs = bundle::BundleInputs {
                image: &profile.image.name,
                version: &profile.image.version,
                build_id: &build_id,
                out_dir: out,
            };
            bundle::emit(&inputs, key)
        })?;
        manifest.bundle_sha256 = Some(hash(&path)?);
    }
    steps::write_manifest(&out.join(MANIFEST), &manifest)?;
    // The root tree is big and rebuilt each time; keep only the logs.
    let _ = fs::remove_dir_all(&root.root);

    st.print_summary(out, &manifest, started.elapsed())?;
    Ok(manifest)
}

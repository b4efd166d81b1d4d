//! The file systems and the disk image: squashfs root, FAT ESP, ext4 data,
//! all made from directories (no loop device, no mount) and placed at their
//! offsets in `usb.img`.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use ironstor_contract::bundle::{SlotRecord, SLOT_RECORD};
use ironstor_contract::grubenv::{GrubEnv, KEY_ACTIVE};
use ironstor_contract::partition::esp_marker_path;
use ironstor_contract::{PartitionRole, Slot, PARTITIONS};

use crate::disk::{Layout, SECTOR};
use crate::fsutil::{write_at, write_region};
use crate::gpt::{Entry, GptImage, Guid};
use crate::grub::{self, BootConfig, GrubError, Platform};
use crate::profile::{Profile, MIB};
use crate::run::{Cmd, RunError};

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("mksquashfs failed")]
    Squashfs(#[source] RunError),
    #[error(
        "{profile}: disk.slot_size is {slot} MiB but the root image is {image} MiB; raise slot_size to at least {need} MiB"
    )]
    SlotTooSmall {
        profile: PathBuf,
        slot: u64,
        image: u64,
        need: u64,
    },
    #[error("{profile}: disk.esp_size ({esp} MiB) cannot hold two slots' kernel and initrd ({need} MiB needed)")]
    EspTooSmall {
        profile: PathBuf,
        esp: u64,
        need: u64,
    },
    #[error("cannot make the ESP")]
    Esp(#[source] RunError),
    #[error("cannot make the data file system")]
    Data(#[source] RunError),
    #[error(transparent)]
    Grub(#[from] GrubError),
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ImageError {
    let what = what.into();
    move |source| ImageError::Io { what, source }
}

/// Compresses the root tree into a squashfs image and checks it fits a slot.
pub fn squashfs(profile: &Profile, root: &Path, out: &Path) -> Result<u64, ImageError> {
    let _ = fs::remove_file(out);
    Cmd::new("mksquashfs")
        .arg(root)
        .arg(out)
        .args(["-noappend", "-no-progress", "-quiet", "-comp"])
        .arg(profile.rootfs.compression.name())
        // Same inputs, same image: fixed times, no export table surprises.
        .args(["-all-time", "0", "-mkfs-time", "0"])
        .run()
        .map_err(ImageError::Squashfs)?;
    let size = fs::metadata(out)
        .map_err(io("cannot stat the squashfs"))?
        .len();
    if size > profile.disk.slot_size {
        return Err(ImageError::SlotTooSmall {
            profile: profile.path.clone(),
            slot: profile.disk.slot_size / MIB,
            image: size.div_ceil(MIB),
            need: size.div_ceil(MIB) + 64,
        });
    }
    Ok(size)
}

/// The FAT volume id GRUB and Linux show for the ESP, from the build id.
fn esp_volume_id(build_id: &str) -> String {
    build_id.chars().take(8).collect()
}

pub struct EspInputs<'a> {
    pub profile: &'a Profile,
    pub build_id: &'a str,
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    pub efi_image: &'a Path,
    /// What slot A holds, for storaged (`/a/image.json`).
    pub slot_record: &'a SlotRecord,
}

/// Makes the ESP file system: GRUB for UEFI, grub.cfg, grubenv (slot A
/// active), slot A's kernel and initrd and its record.
pub fn esp(inputs: &EspInputs, work: &Path, out: &Path) -> Result<(), ImageError> {
    let profile = inputs.profile;
    let boot_bytes = fs::metadata(inputs.kernel).map_err(io("no kernel"))?.len()
        + fs::metadata(inputs.initrd).map_err(io("no initrd"))?.len();
    // Both slots' boot files plus GRUB and FAT overhead.
    let need = 2 * boot_bytes + 8 * MIB;
    if need > profile.disk.esp_size {
        return Err(ImageError::EspTooSmall {
            profile: profile.path.clone(),
            esp: profile.disk.esp_size / MIB,
            need: need.div_ceil(MIB),
        });
    }

    let cfg = grub::render_grub_cfg(&BootConfig {
        command_line: &profile.kernel.command_line,
        serial: grub::serial_from_cmdline(&profile.kernel.command_line),
        timeout_secs: 2,
    });
    let cfg_path = work.join("grub.cfg");
    fs::write(&cfg_path, cfg).map_err(io("cannot write grub.cfg"))?;
    let mut env = GrubEnv::new();
    env.set(KEY_ACTIVE, Slot::A.name()).expect("valid key");
    let env_path = work.join("grubenv");
    fs::write(&env_path, env.to_bytes().expect("fits")).map_err(io("cannot write grubenv"))?;
    let marker = work.join("marker");
    fs::write(
        &marker,
        format!("{} {}\n", profile.image.name, profile.image.version),
    )
    .map_err(io("cannot write the ESP marker"))?;
    let record = work.join(SLOT_RECORD);
    let record_json = serde_json::to_vec_pretty(inputs.slot_record).expect("serialises");
    fs::write(&record, record_json).map_err(io("cannot write the slot record"))?;

    let _ = fs::remove_file(out);
    Cmd::new("mkfs.vfat")
        .args(["-F", "32", "-n", "IRONSTOR", "-i"])
        .arg(esp_volume_id(inputs.build_id))
        .arg("-C")
        .arg(out)
        .arg((profile.disk.esp_size / 1024).to_string())
        .run()
        .map_err(ImageError::Esp)?;
    let img = out.display().to_string();
    let mtools = |program: &str, args: &[&str]| {
        Cmd::new(program)
            .env("MTOOLS_SKIP_CHECK", "1")
            .arg("-i")
            .arg(&img)
            .args(args)
            .run()
            .map_err(ImageError::Esp)
    };
    let a = Slot::A.esp_dir();
    let b = Slot::B.esp_dir();
    mtools("mmd", &["::/EFI", "::/EFI/BOOT", "::/grub", "::/ironstor"])?;
    mtools("mmd", &[&format!("::/{a}"), &format!("::/{b}")])?;
    let marker_dest = format!("::{}", esp_marker_path(inputs.build_id));
    let copies: [(&Path, String); 7] = [
        (inputs.efi_image, "::/EFI/BOOT/BOOTX64.EFI".into()),
        (&cfg_path, "::/grub/grub.cfg".into()),
        (&env_path, "::/grub/grubenv".into()),
        (&marker, marker_dest),
        (inputs.kernel, format!("::/{a}/vmlinuz")),
        (inputs.initrd, format!("::/{a}/initrd.img")),
        // Last: a slot with a record holds a whole image.
        (&record, format!("::/{a}/{SLOT_RECORD}")),
    ];
    for (src, dest) in copies {
        mtools("mcopy", &[&src.display().to_string(), &dest])?;
    }
    Ok(())
}

/// An empty ext4 for `/var`; the first boot fills it from the factory copy.
pub fn data(profile: &Profile, build_id: &str, out: &Path) -> Result<(), ImageError> {
    let _ = fs::remove_file(out);
    File::create(out)
        .and_then(|f| f.set_len(profile.disk.data_size))
        .map_err(io("cannot create the data image"))?;
    let uuid = uuid_text(&Guid::derived(&format!("{build_id}/data")));
    Cmd::new("mkfs.ext4")
        .args(["-q", "-F", "-L", PartitionRole::Data.label(), "-U"])
        .arg(uuid)
        .args(["-E", "root_owner=0:0"])
        .arg(out)
        .env("E2FSPROGS_FAKE_TIME", "1")
        .run()
        .map_err(ImageError::Data)?;
    Ok(())
}

fn uuid_text(g: &Guid) -> String {
    let h = hex::encode(g.0);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub struct DiskInputs<'a> {
    pub layout: &'a Layout,
    pub build_id: &'a str,
    pub bios_core: &'a Path,
    pub esp: &'a Path,
    pub root_a: &'a Path,
    pub data: &'a Path,
}

/// Writes `usb.img`: GPT, GRUB for BIOS, and each file system at its offset.
/// Slot B starts empty; the first upgrade fills it.
pub fn usb_image(inputs: &DiskInputs, out: &Path) -> Result<(), ImageError> {
    let layout = inputs.layout;
    let entries: Vec<Entry> = PARTITIONS
        .iter()
        .map(|&role| Entry {
            role,
            unique: Guid::derived(&format!("{}/{}", inputs.build_id, role.label())),
        })
        .collect();
    let gpt = GptImage::render(layout, Guid::derived(inputs.build_id), &entries);

    let mut mbr = gpt.primary[..SECTOR as usize].to_vec();
    let disk_signature = &Guid::derived(&format!("{}/mbr", inputs.build_id)).0[..4];
    mbr[440..444].copy_from_slice(disk_signature);
    let boot_img = fs::read(grub::boot_img_path()).map_err(io("cannot read GRUB's boot.img"))?;
    let mut core = fs::read(inputs.bios_core).map_err(io("cannot read the BIOS core image"))?;
    let bios = layout.get(PartitionRole::BiosBoot);
    grub::place_bios_boot(&mut mbr, &boot_img, &mut core, bios.first_lba, bios.sectors)?;

    let tmp = out.with_extension("img.partial");
    let mut file = File::create(&tmp).map_err(io(format!("cannot create {}", tmp.display())))?;
    let w = |what: &str| io(format!("cannot write {what} into {}", tmp.display()));
    file.set_len(layout.total_bytes()).map_err(w("the disk"))?;
    write_at(&mut file, 0, &mbr).map_err(w("the MBR"))?;
    write_at(&mut file, SECTOR, &gpt.primary[SECTOR as usize..]).map_err(w("the GPT"))?;
    write_at(&mut file, gpt.backup_offset, &gpt.backup).map_err(w("the backup GPT"))?;
    write_at(&mut file, bios.offset(), &core).map_err(w("the core image"))?;
    for (role, src) in [
        (PartitionRole::Esp, inputs.esp),
        (PartitionRole::RootA, inputs.root_a),
        (PartitionRole::Data, inputs.data),
    ] {
        let placed = layout.get(role);
        let size = fs::metadata(src).map_err(w(role.label()))?.len();
        assert!(
            size <= placed.bytes(),
            "{} checked to fit earlier",
            role.label()
        );
        write_region(&mut file, placed.offset(), src).map_err(w(role.label()))?;
    }
    file.sync_all().map_err(w("the disk"))?;
    fs::rename(&tmp, out).map_err(io(format!("cannot rename to {}", out.display())))
}

/// Makes both GRUB core images with this build's early config.
pub fn grub_images(build_id: &str, work: &Path) -> Result<(PathBuf, PathBuf), ImageError> {
    let early = work.join("early.cfg");
    fs::write(&early, grub::early_config(build_id)).map_err(io("cannot write early.cfg"))?;
    let bios = work.join("core.img");
    let efi = work.join("BOOTX64.EFI");
    grub::mkimage(Platform::Bios, &early, &bios)?;
    grub::mkimage(Platform::Efi, &early, &efi)?;
    Ok((bios, efi))
}

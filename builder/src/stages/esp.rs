//! The ESP stage: the FAT file system GRUB boots from. GRUB for UEFI,
//! `grub.cfg`, `grubenv` (slot A active), the image marker, slot A's kernel,
//! initrd and record, made from files with mtools (no mount).

use std::fs;
use std::path::{Path, PathBuf};

use ironstor_contract::bundle::SlotRecord;
use ironstor_contract::esp;
use ironstor_contract::grubenv::{GrubEnv, KEY_ACTIVE};
use ironstor_contract::Slot;

use crate::formats::fsutil::{io_err, PathError};
use crate::formats::grub::{self, BootConfig};
use crate::formats::layout::MIB;
use crate::host::run::{Cmd, RunError};
use crate::profile::Profile;

#[derive(Debug, thiserror::Error)]
pub enum EspError {
    #[error("{profile}: disk.esp_size ({esp} MiB) cannot hold two slots' kernel and initrd ({need} MiB needed)")]
    TooSmall {
        profile: PathBuf,
        esp: u64,
        need: u64,
    },
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("cannot make the ESP")]
    Fat(#[source] RunError),
}

pub struct EspInputs<'a> {
    pub profile: &'a Profile,
    pub build_id: &'a str,
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    /// GRUB's UEFI core image.
    pub efi_image: &'a Path,
    /// What slot A holds, for storaged (`/a/image.json`).
    pub slot_record: &'a SlotRecord,
}

/// The FAT volume id GRUB and Linux show for the ESP, from the build id.
fn esp_volume_id(build_id: &str) -> String {
    build_id.chars().take(8).collect()
}

/// Makes the ESP file system in `out`, staging its small files in `work`.
pub fn esp(inputs: &EspInputs, work: &Path, out: &Path) -> Result<(), EspError> {
    let profile = inputs.profile;
    let size = |path: &Path| fs::metadata(path).map(|m| m.len());
    let boot_bytes = size(inputs.kernel).map_err(io_err("read", inputs.kernel))?
        + size(inputs.initrd).map_err(io_err("read", inputs.initrd))?;
    // Both slots' boot files plus GRUB and FAT overhead.
    let need = 2 * boot_bytes + 8 * MIB;
    if need > profile.disk.esp_size {
        return Err(EspError::TooSmall {
            profile: profile.path.clone(),
            esp: profile.disk.esp_size / MIB,
            need: need.div_ceil(MIB),
        });
    }

    let write = |name: &str, bytes: Vec<u8>| {
        let path = work.join(name);
        fs::write(&path, bytes).map_err(io_err("write", &path))?;
        Ok::<_, EspError>(path)
    };
    let cfg = grub::render_grub_cfg(&BootConfig {
        command_line: &profile.kernel.command_line,
        serial: grub::serial_from_cmdline(&profile.kernel.command_line),
        timeout_secs: 2,
    });
    let cfg_path = write("grub.cfg", cfg.into_bytes())?;
    let mut env = GrubEnv::new();
    env.set(KEY_ACTIVE, Slot::A.name()).expect("valid key");
    let env_path = write("grubenv", env.to_bytes().expect("fits"))?;
    let marker = write(
        "marker",
        format!("{} {}\n", profile.image.name, profile.image.version).into_bytes(),
    )?;
    let record = write(
        esp::RECORD,
        serde_json::to_vec_pretty(inputs.slot_record).expect("serialises"),
    )?;

    let _ = fs::remove_file(out);
    Cmd::new("mkfs.vfat")
        .args(["-F", "32", "-n", "IRONSTOR", "-i"])
        .arg(esp_volume_id(inputs.build_id))
        .arg("-C")
        .arg(out)
        .arg((profile.disk.esp_size / 1024).to_string())
        .run()
        .map_err(EspError::Fat)?;
    let img = out.display().to_string();
    let mtools = |program: &str, args: &[&str]| {
        Cmd::new(program)
            .env("MTOOLS_SKIP_CHECK", "1")
            .arg("-i")
            .arg(&img)
            .args(args)
            .run()
            .map_err(EspError::Fat)
    };
    let on_esp = |path: &str| format!("::/{path}");
    let dirs: Vec<String> = esp::directories().iter().map(|d| on_esp(d)).collect();
    let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
    mtools("mmd", &dirs)?;
    let copies: [(&Path, String); 7] = [
        (inputs.efi_image, esp::EFI_LOADER.into()),
        (&cfg_path, esp::GRUB_CFG.into()),
        (&env_path, esp::GRUBENV.into()),
        (&marker, esp::marker(inputs.build_id)),
        (inputs.kernel, esp::kernel(Slot::A)),
        (inputs.initrd, esp::initrd(Slot::A)),
        // Last: a slot with a record holds a whole image.
        (&record, esp::record(Slot::A)),
    ];
    for (src, dest) in copies {
        mtools("mcopy", &[&src.display().to_string(), &on_esp(&dest)])?;
    }
    Ok(())
}

//! GRUB for both firmwares, placed by the builder itself.
//!
//! Legacy BIOS (HPE Gen8 has nothing else): `boot.img` goes into the MBR code
//! area pointing at `core.img`, which sits in the BIOS boot partition with
//! the block list in its first sector pointing at the rest of itself. This is
//! what `grub-bios-setup` does, minus its refusal to work on image files.
//!
//! UEFI: a `grub-mkimage` EFI binary at the removable-media path.
//!
//! Both core images embed every module they need and an early config that
//! finds this image's ESP by a marker file named after the build id, so the
//! boot stick need not be the first disk the firmware lists.

use std::path::{Path, PathBuf};

use ironstor_contract::esp;
use ironstor_contract::grubenv::{KEY_ACTIVE, KEY_NEXT, KEY_ROLLED_BACK, KEY_TRIES};
use ironstor_contract::slot::CMDLINE_TRIAL_FLAG;
use ironstor_contract::{PartitionRole, Slot};

use crate::host::run::{Cmd, RunError};

/// Where Debian installs GRUB's platform files.
pub const GRUB_LIB: &str = "/usr/lib/grub";
pub use ironstor_contract::grubenv::MAX_TRIES;

const MODULES: &[&str] = &[
    "part_gpt",
    "fat",
    "search",
    "search_fs_file",
    "normal",
    "linux",
    "configfile",
    "loadenv",
    "test",
    "echo",
    "serial",
    "terminal",
    "sleep",
    "reboot",
    "halt",
    "cat",
    "true",
];

// Offsets inside GRUB's i386-pc images (grub/include/grub/i386/pc/boot.h).
const BPB_START: usize = 0x3;
const BPB_END: usize = 0x5a;
const KERNEL_SECTOR: usize = 0x5c;
const BOOT_DRIVE: usize = 0x64;
const DRIVE_CHECK: usize = 0x66;
const MBR_CODE_END: usize = 440;
const BLOCKLIST: usize = 0x200 - 12;
const CORE_SEGMENT: u16 = 0x820;

#[derive(Debug, thiserror::Error)]
pub enum GrubError {
    #[error("{0} is {1} bytes, expected a 512-byte sector")]
    NotASector(&'static str, usize),
    #[error("core image is {core} bytes but the BIOS boot partition holds only {room}")]
    CoreTooLarge { core: u64, room: u64 },
    #[error("core image's first sector does not hold the default block list; is it a GRUB i386-pc core image?")]
    NoBlockList,
    #[error("cannot make the GRUB {platform} image")]
    Mkimage {
        platform: &'static str,
        #[source]
        source: RunError,
    },
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The firmware a core image is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Bios,
    Efi,
}

impl Platform {
    pub fn grub_name(self) -> &'static str {
        match self {
            Platform::Bios => "i386-pc",
            Platform::Efi => "x86_64-efi",
        }
    }

    fn extra_modules(self) -> &'static [&'static str] {
        match self {
            Platform::Bios => &["biosdisk"],
            Platform::Efi => &["efi_gop"],
        }
    }
}

/// The config embedded in each core image: find this build's ESP, then let
/// `normal` read `grub.cfg` from it.
pub fn early_config(build_id: &str) -> String {
    format!(
        "search --no-floppy --set=root --file /{marker}\nset prefix=($root)/{grub}\n",
        marker = esp::marker(build_id),
        grub = esp::GRUB_DIR,
    )
}

/// Runs `grub-mkimage` for `platform`, embedding `early_cfg`.
pub fn mkimage(platform: Platform, early_cfg: &Path, out: &Path) -> Result<(), GrubError> {
    let mut cmd = Cmd::new("grub-mkimage")
        .arg("-O")
        .arg(platform.grub_name())
        .arg("-d")
        .arg(Path::new(GRUB_LIB).join(platform.grub_name()))
        .arg("-c")
        .arg(early_cfg)
        .arg("-p")
        .arg(format!("/{}", esp::GRUB_DIR))
        .arg("-o")
        .arg(out);
    for module in MODULES.iter().chain(platform.extra_modules()) {
        cmd = cmd.arg(module);
    }
    cmd.run().map(drop).map_err(|source| GrubError::Mkimage {
        platform: platform.grub_name(),
        source,
    })
}

pub fn boot_img_path() -> PathBuf {
    Path::new(GRUB_LIB).join("i386-pc/boot.img")
}

/// Patches the MBR with GRUB's `boot.img` and the core image with the block
/// list that loads the rest of it from the BIOS boot partition.
///
/// `mbr` keeps its disk signature, partition table and BPB bytes, as
/// `grub-bios-setup` keeps them.
pub fn place_bios_boot(
    mbr: &mut [u8],
    boot_img: &[u8],
    core: &mut [u8],
    core_first_lba: u64,
    partition_sectors: u64,
) -> Result<(), GrubError> {
    if mbr.len() != 512 {
        return Err(GrubError::NotASector("MBR", mbr.len()));
    }
    if boot_img.len() != 512 {
        return Err(GrubError::NotASector("boot.img", boot_img.len()));
    }
    let core_sectors = (core.len() as u64).div_ceil(512);
    if core_sectors > partition_sectors {
        return Err(GrubError::CoreTooLarge {
            core: core.len() as u64,
            room: partition_sectors * 512,
        });
    }
    // diskboot.img ships with a default entry: start 2, length 0, 0x820.
    if core.len() < 1024 || core[BLOCKLIST + 10..BLOCKLIST + 12] != CORE_SEGMENT.to_le_bytes() {
        return Err(GrubError::NoBlockList);
    }

    let mut code = boot_img[..MBR_CODE_END].to_vec();
    code[BPB_START..BPB_END].copy_from_slice(&mbr[BPB_START..BPB_END]);
    code[KERNEL_SECTOR..KERNEL_SECTOR + 8].copy_from_slice(&core_first_lba.to_le_bytes());
    code[BOOT_DRIVE] = 0xff; // boot from whatever drive the BIOS booted us from
    code[DRIVE_CHECK..DRIVE_CHECK + 2].copy_from_slice(&[0x90, 0x90]); // no floppy probe
    mbr[..MBR_CODE_END].copy_from_slice(&code);

    let list = &mut core[BLOCKLIST..BLOCKLIST + 12];
    list[0..8].copy_from_slice(&(core_first_lba + 1).to_le_bytes());
    list[8..10].copy_from_slice(&((core_sectors - 1) as u16).to_le_bytes());
    list[10..12].copy_from_slice(&CORE_SEGMENT.to_le_bytes());
    Ok(())
}

/// What `grub.cfg` needs to know about the image.
pub struct BootConfig<'a> {
    pub command_line: &'a [String],
    /// `(unit, speed)` of the serial console GRUB mirrors its screen to.
    pub serial: Option<(u32, u32)>,
    pub timeout_secs: u32,
}

/// The serial port GRUB should use: the last `console=ttyS<n>[,<baud>]`.
pub fn serial_from_cmdline(words: &[String]) -> Option<(u32, u32)> {
    words.iter().rev().find_map(|w| {
        let spec = w.strip_prefix("console=ttyS")?;
        let (unit, rest) = spec.split_once(',').unwrap_or((spec, "115200"));
        let baud: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some((unit.parse().ok()?, baud.parse().unwrap_or(115200)))
    })
}

/// Renders `grub.cfg`: pick the slot from `grubenv`, count `tries` down
/// before each try of `next`, fall back to `active` when they run out and
/// leave `rolled_back` for storaged. Same file for BIOS and UEFI.
pub fn render_grub_cfg(cfg: &BootConfig) -> String {
    let mut s = String::from("# Written by the ironstor builder. GRUB and storaged share grubenv:\n# edit neither by hand.\n");
    if let Some((unit, speed)) = cfg.serial {
        s += &format!(
            "serial --unit={unit} --speed={speed}\nterminal_input console serial\nterminal_output console serial\n"
        );
    }
    s += &format!("set timeout={}\nset default=0\n\n", cfg.timeout_secs);
    s += &format!("load_env {KEY_ACTIVE} {KEY_NEXT} {KEY_TRIES}\n");
    s += &format!(
        "if [ \"${KEY_ACTIVE}\" != {b} ]; then set {KEY_ACTIVE}={a}; fi\n",
        a = Slot::A,
        b = Slot::B
    );
    s += &format!("set slot=${KEY_ACTIVE}\nset trial=\n");
    s += &format!("if [ -n \"${KEY_NEXT}\" ]; then\n");
    for n in (1..=MAX_TRIES).rev() {
        let kw = if n == MAX_TRIES { "if" } else { "elif" };
        s += &format!(
            "  {kw} [ \"${KEY_TRIES}\" = {n} ]; then set {KEY_TRIES}={}; set slot=${KEY_NEXT}; set trial={CMDLINE_TRIAL_FLAG}\n",
            n - 1
        );
    }
    s += &format!(
        "  else set {KEY_ROLLED_BACK}=${KEY_NEXT}; set {KEY_NEXT}=; set {KEY_TRIES}=\n  fi\n"
    );
    s += &format!("  save_env {KEY_ACTIVE} {KEY_NEXT} {KEY_TRIES} {KEY_ROLLED_BACK}\nfi\n");
    // The slot word is the slot's directory on the ESP (esp::slot_dir).
    s += &format!("if [ ! -f /$slot/{} ]; then\n  echo \"ironstor: slot $slot has no kernel, booting the active slot\"\n", esp::KERNEL);
    s += &format!("  set slot=${KEY_ACTIVE}\n  set trial=\nfi\n\n");
    let extra = cfg.command_line.join(" ");
    for (title, var, trial) in [
        ("ironstor", "slot", " $trial"),
        ("ironstor, active slot", KEY_ACTIVE, ""),
    ] {
        s += &format!("menuentry \"{title} (slot ${var})\" {{\n");
        s += &format!(
            "  linux /${var}/{kernel} root=PARTLABEL={prefix}${var} rootfstype=squashfs ro {key}=${var} {extra}{trial}\n",
            kernel = esp::KERNEL,
            prefix = root_label_prefix(),
            key = ironstor_contract::slot::CMDLINE_SLOT_KEY,
        );
        s += &format!("  initrd /${var}/{}\n}}\n", esp::INITRD);
    }
    s
}

/// `ironstor-root-` : the slot labels are this plus the slot name.
fn root_label_prefix() -> &'static str {
    let label = PartitionRole::RootA.label();
    debug_assert_eq!(label, format!("ironstor-root-{}", Slot::A));
    label.trim_end_matches(Slot::A.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bios_placement_refuses_a_core_that_does_not_fit() {
        let boot_img = vec![0u8; 512];
        let mut core = vec![0u8; 4096];
        core[BLOCKLIST + 10..BLOCKLIST + 12].copy_from_slice(&CORE_SEGMENT.to_le_bytes());
        let mut mbr = vec![0u8; 512];
        let err = place_bios_boot(&mut mbr, &boot_img, &mut core, 2048, 4).unwrap_err();
        assert!(matches!(
            err,
            GrubError::CoreTooLarge {
                core: 4096,
                room: 2048
            }
        ));
        assert_eq!(mbr, vec![0u8; 512], "nothing written on refusal");
        let err = place_bios_boot(&mut mbr, &boot_img, &mut vec![0u8; 4096], 2048, 16).unwrap_err();
        assert!(matches!(err, GrubError::NoBlockList));
    }

    /// Needs grub-mkimage and GRUB's i386-pc files on the host.
    mod host_tools {
        use super::super::*;

        /// A core image as grub-mkimage makes it (needs grub-pc-bin).
        fn real_core_image() -> Vec<u8> {
            let dir = tempfile::tempdir().unwrap();
            let cfg = dir.path().join("early.cfg");
            std::fs::write(&cfg, early_config("test-build")).unwrap();
            let out = dir.path().join("core.img");
            mkimage(Platform::Bios, &cfg, &out).expect("grub-mkimage (grub-pc-bin) must work");
            std::fs::read(out).unwrap()
        }

        #[test]
        fn bios_placement_writes_boot_img_and_core_block_list() {
            crate::host::require(&[
                ("/usr/bin/grub-mkimage", "grub-common"),
                ("/usr/lib/grub/i386-pc/boot.img", "grub-pc-bin"),
            ]);
            let boot_img = std::fs::read(boot_img_path()).expect("grub-pc-bin's boot.img");
            // The stock boot.img points at sector 1; we must be patching that field.
            assert_eq!(
                &boot_img[KERNEL_SECTOR..KERNEL_SECTOR + 8],
                &1u64.to_le_bytes()
            );
            let mut core = real_core_image();
            let sectors = (core.len() as u64).div_ceil(512);
            // grub-mkimage leaves diskboot.img's default entry (start 2, segment
            // 0x820) with the length already set to the rest of the core image.
            let mut stock = vec![2, 0, 0, 0, 0, 0, 0, 0];
            stock.extend(((sectors - 1) as u16).to_le_bytes());
            stock.extend([0x20, 0x08]);
            assert_eq!(
                &core[BLOCKLIST..BLOCKLIST + 12],
                &stock[..],
                "diskboot.img's block list moved"
            );

            let mut mbr = vec![0u8; 512];
            mbr[440..444].copy_from_slice(&[1, 2, 3, 4]); // disk signature
            mbr[446 + 4] = 0xee;
            mbr[510] = 0x55;
            mbr[511] = 0xaa;
            place_bios_boot(&mut mbr, &boot_img, &mut core, 2048, 2048).unwrap();

            assert_eq!(&mbr[..3], &boot_img[..3], "boot.img jump kept");
            assert_eq!(
                &mbr[BPB_END..KERNEL_SECTOR],
                &boot_img[BPB_END..KERNEL_SECTOR]
            );
            assert_eq!(
                &mbr[KERNEL_SECTOR..KERNEL_SECTOR + 8],
                &2048u64.to_le_bytes()
            );
            assert_eq!(mbr[BOOT_DRIVE], 0xff);
            assert_eq!(&mbr[DRIVE_CHECK..DRIVE_CHECK + 2], &[0x90, 0x90]);
            assert_eq!(&mbr[0x68..440], &boot_img[0x68..440]);
            assert_eq!(&mbr[440..444], &[1, 2, 3, 4], "disk signature kept");
            assert_eq!(mbr[446 + 4], 0xee, "partition table kept");
            assert_eq!(&mbr[510..], &[0x55, 0xaa]);

            let list = &core[BLOCKLIST..BLOCKLIST + 12];
            assert_eq!(u64::from_le_bytes(list[0..8].try_into().unwrap()), 2049);
            assert_eq!(u16::from_le_bytes([list[8], list[9]]) as u64, sectors - 1);
            assert_eq!(u16::from_le_bytes([list[10], list[11]]), 0x820);
        }
    }

    #[test]
    fn grub_cfg_counts_down_and_rolls_back() {
        let cfg = render_grub_cfg(&BootConfig {
            command_line: &["console=ttyS0,115200".to_string()],
            serial: Some((0, 115200)),
            timeout_secs: 1,
        });
        assert!(cfg.contains("load_env active next tries"));
        assert!(cfg.contains(
            "if [ \"$tries\" = 9 ]; then set tries=8; set slot=$next; set trial=ironstor.trial"
        ));
        assert!(cfg.contains(
            "elif [ \"$tries\" = 1 ]; then set tries=0; set slot=$next; set trial=ironstor.trial"
        ));
        assert!(cfg.contains("else set rolled_back=$next; set next=; set tries="));
        assert!(cfg.contains(
            "linux /$slot/vmlinuz root=PARTLABEL=ironstor-root-$slot rootfstype=squashfs ro ironstor.slot=$slot console=ttyS0,115200 $trial"
        ));
        assert!(cfg.contains(
            "linux /$active/vmlinuz root=PARTLABEL=ironstor-root-$active rootfstype=squashfs ro ironstor.slot=$active console=ttyS0,115200\n"
        ));
        assert!(cfg.contains("serial --unit=0 --speed=115200"));
    }

    #[test]
    fn serial_console_comes_from_the_last_console_parameter() {
        let words: Vec<String> = ["console=tty0", "console=ttyS1,115200n8"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(serial_from_cmdline(&words), Some((1, 115200)));
        assert_eq!(serial_from_cmdline(&words[..1]), None);
    }
}

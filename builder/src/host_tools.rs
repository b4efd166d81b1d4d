//! The `host_tools` test tier: the stages run for real against the host's
//! mksquashfs, mkfs.ext4, mkfs.vfat, mtools and grub-mkimage, on small
//! inputs in a temp dir (no root, no loop device, no image build).
//!
//! Selected by name: `cargo test host_tools::` runs only this tier,
//! `cargo test -- --skip host_tools::` leaves it out. A missing tool fails
//! the test with its path and Debian package ([`crate::host::require`]).

use std::fs;
use std::path::{Path, PathBuf};

use ironstor_contract::bundle::SlotRecord;
use ironstor_contract::{esp, PartitionRole, Slot};

use crate::host::require;
use crate::host::run::Cmd;
use crate::profile::{self, Profile};
use crate::stages;

fn qemu_profile() -> Profile {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../images/qemu.toml");
    profile::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn squashfs_stage_compresses_the_tree_and_measures_it() {
    require(&[
        ("/usr/bin/mksquashfs", "squashfs-tools"),
        ("/usr/bin/unsquashfs", "squashfs-tools"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::write(root.join("etc/os-release"), "ID=ironstor\n").unwrap();
    let out = dir.path().join("root.squashfs");

    let size = stages::squashfs::squashfs(&qemu_profile(), &root, &out).unwrap();

    assert_eq!(size, fs::metadata(&out).unwrap().len());
    let listing = Cmd::new("unsquashfs").args(["-l"]).arg(&out).run().unwrap();
    assert!(listing.contains("etc/os-release"), "{listing}");
}

#[test]
fn data_stage_makes_an_ext4_with_the_contract_label() {
    require(&[
        ("/usr/sbin/mkfs.ext4", "e2fsprogs"),
        ("/usr/sbin/dumpe2fs", "e2fsprogs"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data.img");

    stages::data::data(&qemu_profile(), "b1", &out).unwrap();

    let head = Cmd::new("dumpe2fs").arg("-h").arg(&out).run().unwrap();
    let label = PartitionRole::Data.label();
    assert!(
        head.lines()
            .any(|l| l.starts_with("Filesystem volume name:") && l.ends_with(label)),
        "{head}"
    );
}

/// The ESP as GRUB and storaged expect it: every file at its
/// `contract::esp` path, grubenv saying slot A is active.
#[test]
fn esp_stage_puts_each_file_at_its_contract_path() {
    require(&[
        ("/usr/sbin/mkfs.vfat", "dosfstools"),
        ("/usr/bin/mcopy", "mtools"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| {
        let path = dir.path().join(name);
        fs::write(&path, format!("the {name}")).unwrap();
        path
    };
    let (kernel, initrd, efi) = (file("kernel"), file("initrd"), file("efi"));
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    let out = dir.path().join("esp.img");
    let profile = qemu_profile();
    let record = SlotRecord {
        image: profile.image.name.clone(),
        version: profile.image.version.clone(),
        build_id: "b1".into(),
        root_size: 1,
        root_sha256: "00".repeat(32),
    };

    stages::esp::esp(
        &stages::esp::EspInputs {
            profile: &profile,
            build_id: "b1",
            kernel: &kernel,
            initrd: &initrd,
            efi_image: &efi,
            slot_record: &record,
        },
        &work,
        &out,
    )
    .unwrap();

    let read = |path: &str| mtype(&out, path);
    assert_eq!(read(&esp::kernel(Slot::A)), "the kernel");
    assert_eq!(read(&esp::initrd(Slot::A)), "the initrd");
    assert_eq!(read(esp::EFI_LOADER), "the efi");
    assert!(read(&esp::record(Slot::A)).contains("\"build_id\": \"b1\""));
    assert!(read(&esp::marker("b1")).starts_with(&profile.image.name));
    assert!(read(esp::GRUBENV).contains("active=a\n"));
    assert!(read(esp::GRUB_CFG).contains("load_env"));
    // Slot B's directory is there, empty, for the first upgrade.
    let b = Cmd::new("mdir")
        .env("MTOOLS_SKIP_CHECK", "1")
        .args(["-b", "-i"])
        .arg(&out)
        .arg(format!("::/{}", esp::slot_dir(Slot::B)))
        .run()
        .unwrap();
    assert_eq!(b.trim(), "", "slot b holds nothing yet");
}

fn mtype(image: &Path, path: &str) -> String {
    Cmd::new("mtype")
        .env("MTOOLS_SKIP_CHECK", "1")
        .arg("-i")
        .arg(image)
        .arg(format!("::/{path}"))
        .run()
        .unwrap_or_else(|e| panic!("{path} is not on the ESP: {e}"))
}

#[test]
fn bootloader_stage_makes_both_core_images() {
    require(&[
        ("/usr/bin/grub-mkimage", "grub-common"),
        ("/usr/lib/grub/i386-pc/boot.img", "grub-pc-bin"),
        ("/usr/lib/grub/x86_64-efi/linux.mod", "grub-efi-amd64-bin"),
    ]);
    let work = tempfile::tempdir().unwrap();

    let images = stages::bootloader::grub_images("b1", work.path()).unwrap();

    let efi = fs::read(&images.efi).unwrap();
    assert_eq!(&efi[..2], b"MZ", "a PE image for UEFI");
    assert!(fs::metadata(&images.bios).unwrap().len() > 512);
}

#[test]
fn qmp_client_speaks_to_a_real_qemu() {
    require(&[("/usr/bin/qemu-system-x86_64", "qemu-system-x86")]);
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("qmp.sock");
    let mut qemu = std::process::Command::new("qemu-system-x86_64")
        .args(["-machine", "none", "-display", "none", "-nodefaults", "-S"])
        .arg("-qmp")
        .arg(format!("unix:{},server=on,wait=off", socket.display()))
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let mut qmp = loop {
        match crate::qemu::Qmp::connect(&socket) {
            Ok(q) => break q,
            Err(e) if start.elapsed() > std::time::Duration::from_secs(20) => panic!("{e}"),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    };
    let status = qmp.execute("query-status", serde_json::json!({})).unwrap();
    assert_eq!(status["status"], "prelaunch", "{status}");
    let err = qmp.set_link("no-such-nic", false).unwrap_err().to_string();
    assert!(err.contains("set_link"), "{err}");
    qemu.kill().unwrap();
    qemu.wait().unwrap();
}

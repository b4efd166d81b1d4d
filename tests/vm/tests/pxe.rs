//! vm tier, network boot: the qemu image's `pxe/` tree boots as a Gen8
//! PXE-boots (SeaBIOS, the NIC's iPXE ROM, QEMU's BOOTP and TFTP handing it
//! `boot.ipxe`), the kernel and initrd come over HTTP from a server on the
//! host, the initramfs fetches the root squashfs from it, checks its
//! SHA-256 and mounts it; the guest then passes the USB boot's readiness
//! checks with a tmpfs `/var`. A corrupted squashfs stops the boot with
//! the message. Under OVMF, the UEFI path a dnsmasq proxy-DHCP setup
//! gives UEFI clients (GRUB's EFI netboot image, kernel and initrd by TFTP)
//! is followed as far as the checked root being mounted: everything after
//! that is the same as under SeaBIOS, and a whole second boot would cost
//! another minute or more of CI time.
//!
//! No USB stick is attached, so no data partition exists: `/var` is a
//! tmpfs and storaged says so. (The data partition branch of the shared
//! initramfs code is what the USB boot tests prove.)

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use ironstor_builder::output::pxe::{BOOT_IPXE, GRUB_NET_EFI};
use ironstor_builder::output::{Manifest, PXE_DIR, ROOT_SQUASHFS};
use ironstor_builder::qemu::{Firmware, NetBoot, Vm};
use ironstor_builder::serve::http::HttpHandle;
use ironstor_builder::stages::pxe_tree::TreeInfo;
use ironstor_vm_tests::{boot_lock, boot_with, built_image, options, Booted, BOOT_TIMEOUT};
use serde_json::Value;

const MISMATCH: &str = "ironstor: root squashfs sha256 mismatch: expected";

/// The tree served over HTTP on a free port of 127.0.0.1, and the guest
/// side of it, booting `boot.ipxe`.
fn serve(tree: &Path) -> Result<(HttpHandle, NetBoot)> {
    Ok(NetBoot::serve_tree(tree, BOOT_IPXE)?)
}

fn check_network_boot(firmware: Firmware) -> Result<()> {
    let image = built_image()?;
    let tree = image.join(PXE_DIR);
    let manifest = Manifest::load(&image)?;
    let info = TreeInfo::load(&tree)?;
    ensure!(
        info.root_sha256 == manifest.root_squashfs_sha256,
        "pxe.toml names squashfs {} but the build made {}",
        info.root_sha256,
        manifest.root_squashfs_sha256
    );
    let (_http, netboot) = serve(&tree)?;
    let started = Instant::now();
    let name = format!("{}-pxe", firmware.name());
    let Booted {
        mut vm,
        mut shell,
        boot_time,
        ..
    } = boot_with(options(image.clone(), firmware, Some(netboot), &name))?;
    eprintln!(
        "vm tests: {name}: storaged ready {:.0}s after QEMU started ({:.0}s with the lock)",
        boot_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    // The initramfs checked what it fetched, and /var is a tmpfs.
    let serial = vm.serial();
    let sha = &manifest.root_squashfs_sha256;
    ensure!(
        serial.contains(&format!("ironstor: root squashfs sha256 {sha} matches")),
        "the initramfs did not report the checked squashfs on the console"
    );
    ensure!(
        serial.contains("storaged: /var is a tmpfs: nothing under /var survives a reboot"),
        "storaged did not say /var is a tmpfs"
    );

    // The firmware really was the one asked for.
    let efi = shell.run("test -d /sys/firmware/efi", Duration::from_secs(30))?;
    match firmware {
        Firmware::Uefi => ensure!(efi.status == 0, "booted without EFI under OVMF"),
        Firmware::Bios => ensure!(efi.status != 0, "booted with EFI under SeaBIOS"),
    }

    // The loader passed the tree's command line: no root=, the URL, the
    // hash of the squashfs in the tree, slot net.
    let cmdline = shell.check("cat /proc/cmdline")?;
    let base = info.base_url.as_deref().unwrap_or_default();
    for want in [
        "boot=ironstor-net".to_string(),
        format!("ironstor.root_url={base}{ROOT_SQUASHFS}"),
        format!("ironstor.root_sha256={sha}"),
        "ironstor.slot=net".to_string(),
    ] {
        ensure!(
            cmdline.split_whitespace().any(|w| w == want),
            "{want} not in {cmdline}"
        );
    }
    ensure!(
        !cmdline.split_whitespace().any(|w| w.starts_with("root=")),
        "{cmdline}"
    );

    // / is the fetched squashfs, loop-mounted read-only from its tmpfs.
    let root = shell.check("findmnt -n -o SOURCE,FSTYPE,OPTIONS /")?;
    let fields: Vec<&str> = root.split_whitespace().collect();
    ensure!(fields.len() == 3, "findmnt /: {root}");
    ensure!(fields[0].starts_with("/dev/loop"), "/ is on {}", fields[0]);
    ensure!(fields[1] == "squashfs", "/ is {} not squashfs", fields[1]);
    ensure!(
        fields[2].split(',').any(|o| o == "ro"),
        "/ is not read-only: {}",
        fields[2]
    );
    let backing = shell.check(&format!("losetup -n -O BACK-FILE {}", fields[0]))?;
    ensure!(
        backing.trim() == "/run/ironstor/net/root.squashfs",
        "{} is backed by {backing:?}",
        fields[0]
    );
    let size: u64 = shell
        .check("stat -c %s /run/ironstor/net/root.squashfs")?
        .trim()
        .parse()?;
    let want = fs::metadata(tree.join(ROOT_SQUASHFS))?.len();
    ensure!(size == want, "fetched {size} bytes, the tree has {want}");
    let write = shell.run("touch /ironstor-write-test", Duration::from_secs(30))?;
    ensure!(
        write.status != 0 && write.text.contains("Read-only file system"),
        "writing to / did not fail as read-only: {:?}",
        write.text
    );

    // /var: a tmpfs, as the initramfs recorded and storaged reports.
    let var = shell.check("findmnt -n -o FSTYPE /var")?;
    ensure!(var.trim() == "tmpfs", "/var is {var}");
    let status: Value = serde_json::from_str(&shell.check("storagectl --json status")?)?;
    ensure!(
        status["var"] == serde_json::json!({"source": "tmpfs"}),
        "storagectl status: {status}"
    );
    let table = shell.check("storagectl status")?;
    ensure!(
        table.contains("tmpfs: nothing persists across a reboot"),
        "{table}"
    );

    // The readiness checks every boot path shares.
    ironstor_vm_tests::check_ready(&mut shell)?;
    vm.kill();
    Ok(())
}

#[test]
fn vm_bios_pxe_boots_the_tree_over_http_to_storaged() -> Result<()> {
    check_network_boot(Firmware::Bios)
}

#[test]
fn vm_uefi_pxe_grub_netboot_mounts_the_checked_root() -> Result<()> {
    let image = built_image()?;
    let tree = image.join(PXE_DIR);
    let sha = Manifest::load(&image)?.root_squashfs_sha256;
    let (_http, netboot) = NetBoot::serve_tree(&tree, GRUB_NET_EFI)?;
    let _lock = boot_lock();
    let started = Instant::now();
    let mut vm = Vm::start(&options(image, Firmware::Uefi, Some(netboot), "uefi-pxe"))?;
    // OVMF's PXE (the NIC's iPXE EFI driver) loads GRUB, which reads
    // grub/grub.cfg and the kernel and initrd by TFTP.
    vm.wait_for_serial("ironstor: loading the kernel from tftp", BOOT_TIMEOUT)?;
    vm.wait_for_serial(
        "Command line: BOOT_IMAGE=/vmlinuz boot=ironstor-net",
        Duration::from_secs(180),
    )?;
    vm.wait_for_serial(
        &format!("ironstor: root squashfs sha256 {sha} matches"),
        BOOT_TIMEOUT,
    )?;
    // /var is mounted right after the root: the root mounted.
    vm.wait_for_serial(
        "ironstor: no data partition; using a tmpfs /var",
        Duration::from_secs(120),
    )?;
    eprintln!(
        "vm tests: uefi-pxe: root squashfs fetched, checked and mounted {:.0}s after QEMU started",
        started.elapsed().as_secs_f64()
    );
    ensure!(
        !vm.serial().contains("Rebooting automatically"),
        "the UEFI network boot stopped:\n{}",
        vm.serial_tail(30)
    );
    vm.kill();
    Ok(())
}

/// A copy of `tree` whose root squashfs has one block of bytes flipped:
/// same size, different hash. The rest are hard links.
fn corrupted_copy(tree: &Path, to: &Path) -> Result<PathBuf> {
    if to.exists() {
        fs::remove_dir_all(to)?;
    }
    for entry in walk(tree)? {
        let rel = entry.strip_prefix(tree)?;
        let dest = to.join(rel);
        fs::create_dir_all(dest.parent().context("a parent")?)?;
        if rel == Path::new(ROOT_SQUASHFS) {
            fs::copy(&entry, &dest)?;
        } else {
            fs::hard_link(&entry, &dest)?;
        }
    }
    let path = to.join(ROOT_SQUASHFS);
    let mut f = fs::OpenOptions::new().read(true).write(true).open(&path)?;
    let middle = f.metadata()?.len() / 2;
    let mut block = [0u8; 4096];
    f.seek(SeekFrom::Start(middle))?;
    f.read_exact(&mut block)?;
    block.iter_mut().for_each(|b| *b = !*b);
    f.seek(SeekFrom::Start(middle))?;
    f.write_all(&block)?;
    Ok(to.to_path_buf())
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(walk(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

#[test]
fn vm_bios_pxe_corrupted_root_squashfs_stops_the_boot() -> Result<()> {
    let image = built_image()?;
    let sha = Manifest::load(&image)?.root_squashfs_sha256;
    let tree = corrupted_copy(&image.join(PXE_DIR), &image.join("pxe-corrupted"))?;
    let (_http, netboot) = serve(&tree)?;
    let _lock = boot_lock();
    let mut vm = Vm::start(&options(
        image.clone(),
        Firmware::Bios,
        Some(netboot),
        "bios-pxe-corrupted",
    ))?;
    let took = vm.wait_for_serial(MISMATCH, BOOT_TIMEOUT)?;
    eprintln!(
        "vm tests: bios-pxe-corrupted: the mismatch was reported {:.0}s after QEMU started",
        took.as_secs_f64()
    );
    // The whole message: what was expected, what came, from where.
    let url = TreeInfo::load(&tree)?.base_url.unwrap_or_default();
    let serial = vm.serial();
    let line = serial
        .lines()
        .find(|l| l.contains(MISMATCH))
        .unwrap_or_default();
    ensure!(
        line.contains(&format!("expected {sha} got "))
            && line.contains(&format!("from {url}{ROOT_SQUASHFS}")),
        "the mismatch message does not name both digests and the URL: {line}"
    );
    // The boot stopped there: initramfs-tools' panic (the profile's
    // panic=10 reboots), never the real root.
    vm.wait_for_serial(
        "Rebooting automatically due to panic= boot argument",
        Duration::from_secs(60),
    )?;
    let serial = vm.serial();
    let after = &serial[serial.find(MISMATCH).unwrap_or(0)..];
    for never in ["systemd[1]", "storaged"] {
        ensure!(
            !after.contains(never),
            "the boot went on after the mismatch ({never} on the console)"
        );
    }
    vm.kill();
    fs::remove_dir_all(&tree)?;
    Ok(())
}

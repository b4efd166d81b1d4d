//! vm tier: the qemu image boots from an emulated USB stick under SeaBIOS
//! (as the HPE Gen8 boots) and under OVMF, and comes up the way the
//! architecture says: slot A's squashfs as a read-only root, /var on the
//! grown data partition, storaged ready, the ZFS module loaded, SSH off
//! with this box's own host keys.

use anyhow::{ensure, Result};
use ironstor_builder::profile::MIB;
use ironstor_builder::qemu::Firmware;
use ironstor_vm_tests::{boot, Booted};

/// Initial data partition size in images/qemu.toml; /var must outgrow it.
const DATA_SIZE_AT_BUILD: u64 = 64 * MIB;

fn check_boot(firmware: Firmware) -> Result<()> {
    let Booted {
        mut vm, mut shell, ..
    } = boot(firmware, Vec::new())?;
    let serial = vm.serial();

    // GRUB chose slot A and handed it to the kernel.
    ensure!(
        serial.contains("root=PARTLABEL=ironstor-root-a rootfstype=squashfs ro ironstor.slot=a"),
        "the kernel command line on the serial console does not boot slot A"
    );
    ensure!(
        serial.contains("storaged 0.1.0 starting on image ironstor-qemu 0.1.0")
            && serial.contains(", slot a"),
        "storaged did not log its version and slot"
    );

    // The firmware really was the one asked for.
    let efi = shell.run(
        "test -d /sys/firmware/efi",
        std::time::Duration::from_secs(30),
    )?;
    match firmware {
        Firmware::Uefi => ensure!(efi.status == 0, "booted without EFI under OVMF"),
        Firmware::Bios => ensure!(efi.status != 0, "booted with EFI under SeaBIOS"),
    }

    let cmdline = shell.check("cat /proc/cmdline")?;
    ensure!(cmdline.contains("ironstor.slot=a"), "cmdline: {cmdline}");

    // / is slot A's squashfs, read-only.
    let root = shell.check("findmnt -n -o SOURCE,FSTYPE,OPTIONS /")?;
    let slot_a = shell.check("readlink -f /dev/disk/by-partlabel/ironstor-root-a")?;
    let fields: Vec<&str> = root.split_whitespace().collect();
    ensure!(fields.len() == 3, "findmnt /: {root}");
    ensure!(
        fields[0] == slot_a.trim(),
        "/ is {} not slot A ({})",
        fields[0],
        slot_a.trim()
    );
    ensure!(fields[1] == "squashfs", "/ is {} not squashfs", fields[1]);
    ensure!(
        fields[2].split(',').any(|o| o == "ro"),
        "/ is not read-only: {}",
        fields[2]
    );
    let write = shell.run(
        "touch /ironstor-write-test",
        std::time::Duration::from_secs(30),
    )?;
    ensure!(
        write.status != 0 && write.text.contains("Read-only file system"),
        "writing to / did not fail as read-only: {:?}",
        write.text
    );

    // /var is the data partition, grown to fill the (larger) stick.
    let var = shell.check("findmnt -n -b -o SOURCE,FSTYPE,SIZE /var")?;
    let data = shell.check("readlink -f /dev/disk/by-partlabel/ironstor-data")?;
    let fields: Vec<&str> = var.split_whitespace().collect();
    ensure!(fields.len() == 3, "findmnt /var: {var}");
    let source = shell.check(&format!("readlink -f {}", fields[0]))?;
    ensure!(
        source.trim() == data.trim(),
        "/var is on {} not the data partition",
        source.trim()
    );
    ensure!(fields[1] == "ext4", "/var is {}", fields[1]);
    // The initramfs recorded it, and storaged says so.
    let marker = shell.check("cat /run/ironstor/var")?;
    let marked = marker.trim().strip_prefix("partition ").unwrap_or_default();
    ensure!(
        shell.check(&format!("readlink -f {marked}"))?.trim() == data.trim(),
        "/run/ironstor/var says {marker:?}, not the data partition"
    );
    ensure!(
        serial.contains(&format!("storaged: /var is the data partition {marked}")),
        "storaged did not say /var is the data partition {marked}"
    );
    let size: u64 = fields[2].parse()?;
    ensure!(
        size > 8 * DATA_SIZE_AT_BUILD,
        "/var is {} MiB: it did not grow from {} MiB to fill the stick",
        size / MIB,
        DATA_SIZE_AT_BUILD / MIB
    );
    // First-boot state lives on /var.
    let machine_id = shell.check("readlink /etc/machine-id; cat /var/lib/machine-id")?;
    ensure!(
        machine_id.starts_with("/var/lib/machine-id\n")
            && machine_id.lines().nth(1).is_some_and(|l| l.len() == 32),
        "machine-id is not kept under /var: {machine_id}"
    );

    // The readiness checks every boot path shares.
    ironstor_vm_tests::check_ready(&mut shell)?;

    // SSH: no host key from the image, this box's own made on /var at the
    // first start, the service off, and sshd's effective settings keys
    // only (from storaged's drop-in; sshd -T wants its privsep directory).
    shell.check("! ls /etc/ssh/ssh_host_* 2>/dev/null")?;
    shell.check(
        "test -s /var/lib/ssh/ssh_host_ed25519_key.pub && test -s /var/lib/ssh/ssh_host_rsa_key.pub",
    )?;
    shell.check(
        "! systemctl is-active --quiet ssh.service && ! systemctl is-enabled --quiet ssh.service",
    )?;
    let sshd = shell.check("mkdir -p /run/sshd && sshd -T -C user=root,host=h,addr=10.0.2.2")?;
    for want in [
        "passwordauthentication no",
        "kbdinteractiveauthentication no",
        "hostkey /var/lib/ssh/ssh_host_ed25519_key",
        "authorizedkeysfile /var/lib/storaged/ssh/authorized_keys",
    ] {
        ensure!(
            sshd.lines().any(|l| l.trim() == want),
            "sshd -T lacks {want:?}:\n{sshd}"
        );
    }
    vm.kill();
    Ok(())
}

#[test]
fn vm_bios_usb_stick_boots_slot_a_to_storaged() -> Result<()> {
    check_boot(Firmware::Bios)
}

#[test]
fn vm_uefi_usb_stick_boots_slot_a_to_storaged() -> Result<()> {
    check_boot(Firmware::Uefi)
}

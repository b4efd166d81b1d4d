//! ironstor's QEMU test VM as `builder/src/qemu.rs` starts it: q35, four
//! emulated NVMe (serials IRONSTORNVME0000-0003, probed out of PCI order),
//! one SATA disk on an added AHCI controller, and the boot stick as
//! usb-storage on qemu-xhci.

use super::*;

fn rig() -> Rig {
    let rig = Rig::new("qemu-test-vm");
    rig.gpt("sdb");
    rig.write_in_partition("sdb", "sdb2", 0, &craft::fat32_boot_sector());
    rig.write_in_partition("sdb", "sdb5", 1024, &craft::ext4_superblock());
    rig
}

#[test]
fn qemu_vm_verdict_table() {
    assert_eq!(
        table(&rig().scan()),
        [
            "ata-QEMU_HARDDISK_IRONSTORSATA0000 sda sata ahci usable",
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000 nvme1n1 nvme nvme usable",
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001 nvme0n1 nvme nvme usable",
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002 nvme2n1 nvme nvme usable",
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0003 nvme3n1 nvme nvme usable",
            "usb-QEMU_QEMU_HARDDISK_1-0000:00:02.0-1-0:0 sdb usb usb-storage boot-medium",
        ]
    );
}

#[test]
fn qemu_nvme_is_named_by_model_and_serial_not_its_per_boot_uuid() {
    let inventory = rig().scan();
    let nvme = disk(&inventory, "nvme1n1");
    assert_eq!(
        nvme.id.as_ref().unwrap().as_str(),
        "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000"
    );
    assert!(
        nvme.by_id.iter().any(|l| l.starts_with("nvme-uuid.")),
        "{:?}",
        nvme.by_id
    );
    assert_eq!(nvme.model.as_deref(), Some("QEMU NVMe Ctrl"));
    assert_eq!(nvme.firmware.as_deref(), Some("10.0.2"));
    assert_eq!(nvme.size_bytes, 1 << 30);
    assert_eq!(nvme.pci_address.as_deref(), Some("0000:00:03.0"));
    let info = nvme.nvme.as_ref().unwrap();
    assert_eq!(info.controller, "nvme1");
    assert_eq!(info.temperature_celsius, Some(49.85), "QEMU's fixed 323 K");
    let link = info.pcie_link.as_ref().unwrap();
    assert_eq!(
        (link.speed_gts, link.width, link.degraded),
        (Some(2.5), Some(1), false)
    );
}

#[test]
fn qemu_boot_stick_is_found_by_its_partition_names_and_root_mount() {
    let inventory = rig().scan();
    let stick = disk(&inventory, "sdb");
    assert_eq!(stick.verdict, Verdict::BootMedium);
    assert!(
        stick.reasons[0].contains("slot a, which is running"),
        "{:?}",
        stick.reasons
    );
    assert_reason(stick, &["mounted root file system (/)"]);
    assert_eq!(stick.model.as_deref(), Some("QEMU HARDDISK"));
    assert_eq!(stick.vendor.as_deref(), Some("QEMU"));
    assert_eq!(stick.serial.as_deref(), Some("1-0000:00:02.0-1"));
    assert_eq!(stick.scsi_address.as_deref(), Some("12:0:0:0"));
    let labels: Vec<_> = stick
        .partitions
        .iter()
        .map(|p| p.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        labels,
        [
            "ironstor-bios",
            "ironstor-esp",
            "ironstor-root-a",
            "ironstor-root-b",
            "ironstor-data"
        ]
    );
}

#[test]
fn qemu_inventory_serializes_as_the_api_returns_it() {
    let json = serde_json::to_value(rig().scan()).unwrap();
    let sata = &json["disks"][0];
    assert_eq!(sata["id"], "ata-QEMU_HARDDISK_IRONSTORSATA0000");
    assert_eq!(sata["devnum"], "8:0");
    assert_eq!(sata["transport"], "sata");
    assert_eq!(sata["verdict"], "usable");
    assert_eq!(sata["nvme"], serde_json::Value::Null);
    let nvme = &json["disks"][1];
    assert_eq!(nvme["nvme"]["temperature_celsius"], 49.85);
    assert_eq!(nvme["nvme"]["pcie_link"]["degraded"], false);
    let stick = &json["disks"][5];
    assert_eq!(stick["verdict"], "boot-medium");
    assert_eq!(stick["signatures"], serde_json::json!(["gpt"]));
    assert_eq!(
        stick["partitions"][1]["signatures"],
        serde_json::json!(["fat"])
    );
}

#[test]
fn qemu_missing_device_node_makes_the_disk_unreadable_not_the_scan_fail() {
    let rig = rig();
    fs::remove_file(rig.roots.dev.join("nvme2n1")).unwrap();
    let inventory = rig.scan();
    let gone = disk(&inventory, "nvme2n1");
    assert_eq!(gone.verdict, Verdict::Unreadable);
    assert!(gone.reasons[0].contains(&rig.roots.dev.join("nvme2n1").display().to_string()));
    assert_eq!(inventory.usable().count(), 4);
}

#[test]
fn qemu_disk_udev_has_not_seen_has_no_stable_id_and_sorts_last() {
    let mut rig = rig();
    rig.forget_udev_record("8:0");
    let inventory = rig.scan();
    let last = inventory.disks.last().unwrap();
    assert_eq!((last.kernel_name.as_str(), last.id.as_ref()), ("sda", None));
    assert_eq!(last.verdict, Verdict::NoStableId);
    assert_eq!(
        last.model.as_deref(),
        Some("QEMU HARDDISK"),
        "INQUIRY still names it"
    );
    assert_eq!(last.serial, None);
}

#[test]
fn qemu_disk_that_gained_a_pool_label_is_no_longer_usable() {
    let rig = rig();
    rig.write(
        "nvme3n1",
        0,
        &craft::zfs_label(craft::ZfsLabel::UberblocksOnly),
    );
    let inventory = rig.scan();
    let d = disk(&inventory, "nvme3n1");
    assert_eq!(
        (d.verdict, d.signatures.as_slice()),
        (Verdict::InUse, &[Signature::Zfs][..])
    );
    assert_reason(d, &["it has a ZFS pool label"]);
}

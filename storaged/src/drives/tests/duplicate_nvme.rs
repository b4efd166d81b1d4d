//! The QEMU test VM with two NVMe drives reporting one serial
//! (`IRONSTORNVME0002` on `nvme2` and `nvme3`), as two OEM drives on the
//! booted hpe image did: udev gives both the link
//! `nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002`, which then points at either.

use super::*;
use crate::names::DiskId;

const SHARED: &str = "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002";

fn rig() -> Rig {
    let rig = Rig::new("qemu-duplicate-nvme-serial");
    rig.gpt("sdb");
    rig.write_in_partition("sdb", "sdb2", 0, &craft::fat32_boot_sector());
    rig.write_in_partition("sdb", "sdb5", 1024, &craft::ext4_superblock());
    rig
}

#[test]
fn both_drives_with_one_serial_are_listed_each_by_a_link_of_its_own() {
    let inventory = rig().scan();
    assert_eq!(
        table(&inventory),
        [
            "ata-QEMU_HARDDISK_IRONSTORSATA0000 sda sata ahci usable",
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000 nvme1n1 nvme nvme usable",
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001 nvme0n1 nvme nvme usable",
            "nvme-uuid.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d nvme2n1 nvme nvme duplicate-serial",
            "nvme-uuid.d4c3b2a1-0f9e-4d8c-b7a6-5f4e3d2c1b0a nvme3n1 nvme nvme duplicate-serial",
            "usb-QEMU_QEMU_HARDDISK_1-0000:00:02.0-1-0:0 sdb usb usb-storage boot-medium",
        ]
    );
    for (name, other) in [("nvme2n1", "nvme3n1"), ("nvme3n1", "nvme2n1")] {
        let d = disk(&inventory, name);
        assert_eq!(d.serial.as_deref(), Some("IRONSTORNVME0002"));
        assert_eq!(d.shared_ids, [SHARED], "{name}");
        assert!(d.by_id.iter().any(|l| l == SHARED), "{:?}", d.by_id);
        assert_ne!(d.id.as_ref().map(|i| i.as_str()), Some(SHARED));
        assert_reason(
            d,
            &["serial IRONSTORNVME0002", other, "can be forced by that id"],
        );
    }
    let shared: DiskId = SHARED.parse().unwrap();
    assert!(
        inventory.get(&shared).is_none(),
        "no disk is named by the shared link"
    );
    let sharing: Vec<&str> = inventory
        .sharing(&shared)
        .iter()
        .map(|d| d.kernel_name.as_str())
        .collect();
    assert_eq!(sharing, ["nvme2n1", "nvme3n1"]);
}

#[test]
fn an_nvme_controller_the_kernel_let_go_is_listed_with_what_to_do() {
    let inventory = rig().scan();
    assert_eq!(
        inventory.unattached_nvme.len(),
        1,
        "{:?}",
        inventory.unattached_nvme
    );
    let gone = &inventory.unattached_nvme[0];
    assert_eq!(gone.pci_address, "0000:00:08.0");
    assert_eq!(gone.driver, None);
    assert_eq!(gone.vendor_id.as_deref(), Some("0x1b36"));
    assert!(gone.reason.contains("duplicate subnqn"), "{}", gone.reason);
    for machine in ["qemu-test-vm", "hpe-ml310e-gen8-v2"] {
        assert!(
            Rig::new(machine).scan().unattached_nvme.is_empty(),
            "every NVMe of {machine} has its disk"
        );
    }
}

#[test]
fn disks_whose_only_by_id_link_is_shared_get_no_id() {
    let inventory = Rig::new("hpe-dl380p-gen8-p420i-hba").scan();
    for name in ["sde", "sdf"] {
        let d = disk(&inventory, name);
        assert_eq!(d.id, None, "{name}");
        assert_eq!(d.verdict, Verdict::DuplicateSerial);
        assert_reason(d, &["no by-id link of its own"]);
    }
}

//! A DL380p Gen8 whose Smart Array P420i is in RAID mode: hpsa exposes two
//! logical volumes (a RAID 1+0 holding an old OS install, and a RAID 5)
//! and hides the physical disks. The box boots over the network, so its
//! root is a squashfs on `loop0`; a DVD drive sits on the chipset SATA.

use super::*;

fn rig() -> Rig {
    let rig = Rig::new("hpe-dl380p-gen8-p420i-raid");
    rig.gpt("sda");
    rig.write_in_partition("sda", "sda1", 0, &craft::fat32_boot_sector());
    rig.write_in_partition("sda", "sda2", 0, &craft::xfs_superblock());
    rig
}

#[test]
fn p420i_raid_verdict_table() {
    assert_eq!(
        table(&rig().scan()),
        [
            "scsi-3600508b1001c19f3a4b5c6d7e8f90a12 sdb other hpsa raid-logical-volume",
            "scsi-3600508b1001c7e4d0a2b3c4d5e6f7081 sda other hpsa raid-logical-volume",
        ]
    );
}

#[test]
fn p420i_logical_volume_reason_says_to_switch_to_hba_mode() {
    let inventory = rig().scan();
    let mirror = disk(&inventory, "sda");
    assert_eq!(mirror.raid_level.as_deref(), Some("RAID 1(+0)"));
    assert_eq!(
        (mirror.vendor.as_deref(), mirror.model.as_deref()),
        (Some("HP"), Some("LOGICAL VOLUME"))
    );
    assert!(
        mirror.reasons[0].contains("a RAID 1(+0) logical volume"),
        "{:?}",
        mirror.reasons
    );
    assert!(mirror.reasons[0].contains("HBA mode"));
    assert!(mirror.reasons[0].contains("ssacli"));
    assert_reason(mirror, &["a GPT partition table"]);
    assert_reason(mirror, &["partition sda2 holds xfs"]);
    assert_reason(
        mirror,
        &["partition sda1 (EFI System Partition) holds vfat"],
    );

    let raid5 = disk(&inventory, "sdb");
    assert!(raid5.reasons[0].contains("a RAID 5 logical volume"));
    assert_eq!(
        raid5.reasons.len(),
        1,
        "an empty volume is refused for being a volume only"
    );
    assert_eq!(raid5.size_bytes, 5_274_401_328 * 512);
    assert_eq!(
        raid5.serial.as_deref(),
        Some("600508b1001c19f3a4b5c6d7e8f90a12")
    );
}

#[test]
fn p420i_network_boot_has_no_boot_medium_and_skips_loop_and_optical_devices() {
    let inventory = rig().scan();
    assert!(inventory
        .disks
        .iter()
        .all(|d| d.verdict != Verdict::BootMedium));
    let names: Vec<&str> = inventory
        .disks
        .iter()
        .map(|d| d.kernel_name.as_str())
        .collect();
    assert_eq!(
        names,
        ["sdb", "sda"],
        "loop0 holds the root squashfs, sr0 is the DVD drive"
    );
}

//! The same DL380p with its P420i in HBA mode: hpsa passes four SAS disks
//! through (`raid_level` N/A, on the SAS transport). One holds a mounted
//! ext4, one a member of the imported pool `tank`; two USB enclosures on
//! the back report the same bridge serial.

use super::*;

fn rig() -> Rig {
    let rig = Rig::new("hpe-dl380p-gen8-p420i-hba");
    rig.gpt("sdb");
    rig.write_in_partition("sdb", "sdb1", 1024, &craft::ext4_superblock());
    rig.gpt("sdc");
    rig.write_in_partition(
        "sdc",
        "sdc1",
        0,
        &craft::zfs_label(craft::ZfsLabel::Full { big_endian: false }),
    );
    rig.write("sdf", 0, &craft::mbr(0x07));
    rig.write_in_partition("sdf", "sdf1", 0, &craft::ntfs_boot_sector());
    rig
}

#[test]
fn p420i_hba_verdict_table() {
    assert_eq!(
        table(&rig().scan()),
        [
            "scsi-3500003979821f4a1 sdd sas hpsa usable",
            "scsi-35000c500a1b2c3d7 sda sas hpsa usable",
            "scsi-35000c500a1b2c4e1 sdb sas hpsa in-use",
            "scsi-35000c500a1b2c5f3 sdc sas hpsa in-use",
            "- sde usb usb-storage duplicate-serial",
            "- sdf usb usb-storage duplicate-serial",
        ]
    );
}

#[test]
fn p420i_hba_mode_disk_is_a_physical_disk_named_by_its_own_serial() {
    let inventory = rig().scan();
    let sas = disk(&inventory, "sda");
    assert_eq!(sas.raid_level.as_deref(), Some("N/A"));
    assert_eq!(
        (sas.vendor.as_deref(), sas.model.as_deref()),
        (Some("HP"), Some("EG0900FBVFQ"))
    );
    assert_eq!(
        sas.serial.as_deref(),
        Some("S0M1A2B30000K452C3D4"),
        "VPD page 0x80, not the NAA"
    );
    assert_eq!(sas.wwn.as_deref(), Some("0x5000c500a1b2c3d7"));
    assert_eq!(sas.firmware.as_deref(), Some("HPDC"));
    assert_eq!(sas.scsi_address.as_deref(), Some("0:0:0:0"));
    assert_eq!(sas.pci_address.as_deref(), Some("0000:02:00.0"));
    assert!(sas.rotational);
    assert!(!disk(&inventory, "sdd").rotational, "the SAS SSD");
}

#[test]
fn p420i_hba_mounted_partition_makes_its_disk_in_use_and_says_where() {
    let inventory = rig().scan();
    let old = disk(&inventory, "sdb");
    assert_eq!(old.verdict, Verdict::InUse);
    assert_reason(
        old,
        &["partition sdb1 holds ext4 (label \"old-data\"), mounted at /srv/old"],
    );
    assert_eq!(old.partitions[0].mounts, ["/srv/old"]);
    assert_eq!(old.partitions[0].signatures, [Signature::Ext]);
}

#[test]
fn p420i_hba_pool_member_is_in_use_and_names_its_pool() {
    let inventory = rig().scan();
    let member = disk(&inventory, "sdc");
    assert_eq!(member.verdict, Verdict::InUse);
    assert_reason(
        member,
        &["partition sdc1 (zfs-5b4d3c2a1f0e9d8c) holds a ZFS label of pool tank"],
    );
    assert_reason(member, &["2 partitions: sdc1, sdc9"]);
    assert_eq!(member.partitions[0].signatures, [Signature::Zfs]);
}

#[test]
fn p420i_hba_usb_bridges_sharing_a_serial_are_both_flagged() {
    let inventory = rig().scan();
    let (sde, sdf) = (disk(&inventory, "sde"), disk(&inventory, "sdf"));
    assert_eq!(sde.serial.as_deref(), Some("0123456789ABCDEF"));
    assert!(
        sde.reasons[0].contains("and so does sdf"),
        "{:?}",
        sde.reasons
    );
    assert!(
        sdf.reasons[0].contains("and so does sde"),
        "{:?}",
        sdf.reasons
    );
    assert_eq!(sde.reasons.len(), 2, "{:?}", sde.reasons);
    assert_reason(sde, &["claimed by another disk too"]);
    assert_reason(sdf, &["a DOS (MBR) partition table"]);
    assert_reason(sdf, &["partition sdf1 holds ntfs (label \"Backup\")"]);
}

#[test]
fn p420i_hba_zvols_and_the_network_root_are_never_listed() {
    let inventory = rig().scan();
    assert!(inventory.by_kernel_name("zd0").is_none());
    assert!(inventory.by_kernel_name("loop0").is_none());
    assert_eq!(inventory.disks.len(), 6);
}

//! The reference box: HPE ML310e Gen8 v2 with four NVMe behind a PLX switch
//! on one x8 card, the B120i in AHCI mode with two SATA disks (one still
//! carrying the DDF metadata of an old B120i RAID set), and the USB stick
//! it boots from.

use super::*;

fn rig() -> Rig {
    let rig = Rig::new("hpe-ml310e-gen8-v2");
    rig.write_from_end("sdb", 512, &craft::ddf_anchor());
    rig.gpt("sdc");
    rig.write_in_partition("sdc", "sdc2", 0, &craft::fat32_boot_sector());
    rig.write_in_partition("sdc", "sdc5", 1024, &craft::ext4_superblock());
    rig
}

#[test]
fn ml310e_verdict_table() {
    assert_eq!(
        table(&rig().scan()),
        [
            "ata-ST4000VN008-2DR166_ZDH1A2B3 sdb sata ahci raid-metadata",
            "ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1234567 sda sata ahci usable",
            "nvme-Samsung_SSD_970_EVO_Plus_2TB_S59CNM0R412345A nvme0n1 nvme nvme usable",
            "nvme-Samsung_SSD_970_EVO_Plus_2TB_S59CNM0R412346B nvme1n1 nvme nvme usable",
            "nvme-Samsung_SSD_970_EVO_Plus_2TB_S59CNM0R412347C nvme2n1 nvme nvme usable",
            "nvme-Samsung_SSD_970_EVO_Plus_2TB_S59CNM0R412348D nvme3n1 nvme nvme usable",
            "usb-SanDisk_Ultra_Fit_4C530001231115104283-0:0 sdc usb usb-storage boot-medium",
        ]
    );
}

#[test]
fn ml310e_nvme_identity_comes_from_the_controller_trimmed() {
    let inventory = rig().scan();
    let nvme = disk(&inventory, "nvme0n1");
    assert_eq!(nvme.model.as_deref(), Some("Samsung SSD 970 EVO Plus 2TB"));
    assert_eq!(nvme.serial.as_deref(), Some("S59CNM0R412345A"));
    assert_eq!(nvme.firmware.as_deref(), Some("2B2QEXM7"));
    assert_eq!(nvme.size_bytes, 2_000_398_934_016);
    assert_eq!(
        (nvme.logical_block_size, nvme.physical_block_size),
        (512, 512)
    );
    assert!(!nvme.rotational);
    assert_eq!(nvme.pci_address.as_deref(), Some("0000:03:00.0"));
    assert_eq!(nvme.wwn.as_deref(), Some("eui.002538541140a1b2"));
    assert!(nvme
        .by_id
        .contains(&"nvme-eui.002538541140a1b2".to_string()));
}

#[test]
fn ml310e_nvme_temperatures_come_from_hwmon() {
    let inventory = rig().scan();
    let temps: Vec<Option<f64>> = ["nvme0n1", "nvme1n1", "nvme2n1", "nvme3n1"]
        .iter()
        .map(|n| {
            disk(&inventory, n)
                .nvme
                .as_ref()
                .unwrap()
                .temperature_celsius
        })
        .collect();
    assert_eq!(temps, [Some(36.85), Some(38.85), Some(41.85), Some(37.85)]);
    assert_eq!(
        disk(&inventory, "nvme2n1")
            .nvme
            .as_ref()
            .unwrap()
            .controller,
        "nvme2"
    );
}

#[test]
fn ml310e_nvme_trained_at_x1_behind_the_switch_is_flagged() {
    let inventory = rig().scan();
    let slow = disk(&inventory, "nvme2n1");
    assert_eq!(
        slow.nvme.as_ref().unwrap().pcie_link,
        Some(PcieLink {
            speed_gts: Some(8.0),
            width: Some(1),
            max_speed_gts: Some(8.0),
            max_width: Some(4),
            degraded: true,
        })
    );
    assert_eq!(
        slow.verdict,
        Verdict::Usable,
        "a slow link is a warning, not a verdict"
    );
    assert_eq!(slow.warnings.len(), 1);
    assert!(slow.warnings[0].contains("8.0 GT/s x1") && slow.warnings[0].contains("8.0 GT/s x4"));
    for name in ["nvme0n1", "nvme1n1", "nvme3n1"] {
        let d = disk(&inventory, name);
        assert!(
            !d.nvme
                .as_ref()
                .unwrap()
                .pcie_link
                .as_ref()
                .unwrap()
                .degraded,
            "{name}"
        );
        assert!(d.warnings.is_empty(), "{name}: {:?}", d.warnings);
    }
}

#[test]
fn ml310e_boot_stick_is_the_boot_medium_and_says_why() {
    let inventory = rig().scan();
    let stick = disk(&inventory, "sdc");
    assert_eq!(stick.verdict, Verdict::BootMedium);
    assert_eq!(
        stick.reasons[0],
        "it is an ironstor boot medium: it holds ironstor-esp, ironstor-root-a, \
         ironstor-root-b, among them the root of slot a, which is running"
    );
    assert_reason(stick, &["mounted root file system"]);
    assert_reason(
        stick,
        &[
            "partition sdc3 (ironstor-root-a) holds squashfs",
            "mounted at /",
        ],
    );
    assert_reason(
        stick,
        &[
            "partition sdc5 (ironstor-data) holds ext4",
            "mounted at /var",
        ],
    );
    assert_eq!(stick.signatures, [Signature::Gpt]);
    let esp = &stick.partitions[1];
    assert_eq!(
        (esp.name.as_deref(), esp.signatures.as_slice()),
        (Some("ironstor-esp"), &[Signature::Fat][..])
    );
    assert_eq!(stick.partitions[4].signatures, [Signature::Ext]);
    assert!(stick.removable);
}

#[test]
fn ml310e_former_b120i_raid_member_says_to_switch_to_ahci_and_wipe() {
    let inventory = rig().scan();
    let member = disk(&inventory, "sdb");
    assert_eq!(member.signatures, [Signature::Ddf]);
    assert!(
        member.reasons[0].contains("DDF RAID metadata"),
        "{:?}",
        member.reasons
    );
    assert!(member.reasons[0].contains("AHCI/HBA mode"));
    assert!(member.reasons[0].contains("wipe"));
}

#[test]
fn ml310e_sata_model_is_ata_ids_full_40_characters_not_the_16_byte_inquiry() {
    let inventory = rig().scan();
    let sata = disk(&inventory, "sda");
    assert_eq!(sata.model.as_deref(), Some("WDC WD40EFRX-68N32N0"));
    assert_eq!(
        sata.vendor, None,
        "libata's placeholder vendor \"ATA\" says nothing"
    );
    assert_eq!(sata.serial.as_deref(), Some("WD-WCC7K1234567"));
    assert_eq!(sata.firmware.as_deref(), Some("82.00A82"));
    assert_eq!(
        (sata.logical_block_size, sata.physical_block_size),
        (512, 4096)
    );
    assert!(sata.rotational);
    assert_eq!(sata.scsi_address.as_deref(), Some("0:0:0:0"));
    assert_eq!(sata.pci_address.as_deref(), Some("0000:00:1f.2"));
    assert_eq!(sata.raid_level, None);
    assert_eq!(sata.reasons.len(), 1, "{:?}", sata.reasons);
}

use super::*;
use crate::drives::model::{DevNum, Transport};
use crate::drives::probe::Signature;

fn blank(name: &str) -> Disk {
    Disk {
        id: format!("ata-TEST_{name}").parse().ok(),
        by_id: Vec::new(),
        shared_ids: Vec::new(),
        kernel_name: name.to_string(),
        devnum: DevNum { major: 8, minor: 0 },
        vendor: None,
        model: None,
        serial: Some(format!("SERIAL-{name}")),
        firmware: None,
        wwn: None,
        size_bytes: 1 << 30,
        logical_block_size: 512,
        physical_block_size: 512,
        rotational: false,
        removable: false,
        transport: Transport::Sata,
        driver: Some("ahci".into()),
        pci_address: None,
        scsi_address: None,
        raid_level: None,
        nvme: None,
        partitions: Vec::new(),
        signatures: Vec::new(),
        mounts: Vec::new(),
        holders: Vec::new(),
        verdict: Verdict::Usable,
        reasons: Vec::new(),
        warnings: Vec::new(),
    }
}

fn judged(mut disk: Disk) -> Disk {
    judge(&mut disk, None, &BTreeMap::new(), None);
    disk
}

#[test]
fn empty_disk_is_usable_and_says_what_was_checked() {
    let disk = judged(blank("sda"));
    assert_eq!(disk.verdict, Verdict::Usable);
    assert_eq!(disk.reasons.len(), 1);
    assert!(disk.reasons[0].contains("no partition table"));
}

#[test]
fn hp_logical_volume_without_a_raid_level_attribute_is_still_refused() {
    let mut disk = blank("sda");
    disk.vendor = Some("HP".into());
    disk.model = Some("LOGICAL VOLUME".into());
    let disk = judged(disk);
    assert_eq!(disk.verdict, Verdict::RaidLogicalVolume);
    assert!(disk.reasons[0].starts_with("it is a logical volume of a Smart Array"));
}

#[test]
fn raid_level_na_is_a_passed_through_disk() {
    let mut disk = blank("sda");
    disk.raid_level = Some("N/A".into());
    assert_eq!(judged(disk).verdict, Verdict::Usable);
}

#[test]
fn the_most_serious_finding_wins_and_every_finding_is_kept() {
    let mut disk = blank("sda");
    disk.signatures = vec![Signature::Gpt, Signature::Imsm];
    disk.holders = vec!["dm-0".into()];
    disk.id = None;
    let disk = judged(disk);
    assert_eq!(disk.verdict, Verdict::RaidMetadata);
    assert!(disk.reasons[0].contains("Intel IMSM"));
    assert!(disk.reasons[1].contains("no /dev/disk/by-id name"));
    assert_eq!(
        &disk.reasons[2..],
        ["it has a GPT partition table", "it is used by dm-0"]
    );
}

#[test]
fn unreadable_outranks_what_little_is_known() {
    let mut disk = blank("sda");
    disk.mounts = vec!["/mnt".into()];
    judge(
        &mut disk,
        Some("cannot read /dev/sda: Input/output error"),
        &BTreeMap::new(),
        None,
    );
    assert_eq!(disk.verdict, Verdict::Unreadable);
    assert!(disk.reasons[0].starts_with("cannot read /dev/sda: Input/output error: "));
    assert_eq!(disk.reasons[1], "it is mounted at /mnt");
}

#[test]
fn ironstor_partitions_of_a_slot_not_running_still_make_a_boot_medium() {
    let mut disk = blank("sdc");
    disk.partitions = [
        PartitionRole::Esp,
        PartitionRole::RootA,
        PartitionRole::RootB,
    ]
    .iter()
    .enumerate()
    .map(|(i, role)| Partition {
        kernel_name: format!("sdc{}", i + 1),
        devnum: DevNum {
            major: 8,
            minor: 33 + i as u32,
        },
        number: i as u32 + 1,
        name: Some(role.label().to_string()),
        start_bytes: 0,
        size_bytes: 0,
        fs_type: None,
        fs_label: None,
        signatures: Vec::new(),
        mounts: Vec::new(),
        holders: Vec::new(),
    })
    .collect();
    let disk = judged(disk);
    assert_eq!(disk.verdict, Verdict::BootMedium);
    assert_eq!(
        disk.reasons[0],
        "it is an ironstor boot medium: it holds ironstor-esp, ironstor-root-a, ironstor-root-b"
    );
}

#[test]
fn serials_shared_by_several_disks_are_found() {
    let mut a = blank("sda");
    let mut b = blank("sdb");
    let c = blank("sdc");
    a.serial = Some("000000000000".into());
    b.serial = Some("000000000000".into());
    let dups = duplicate_serials([&a, &b, &c]);
    assert_eq!(dups.len(), 1);
    assert_eq!(dups["000000000000"], ["sda", "sdb"]);
}

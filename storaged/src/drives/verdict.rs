//! The verdict on each disk, with reasons written for the person who has
//! to act on them.

use std::collections::BTreeMap;

use ironstor_contract::{PartitionRole, Slot};

use super::model::{describe_link, Disk, Partition, Verdict};

/// Partitions whose GPT names mark an ironstor boot medium.
const BOOT_ROLES: [PartitionRole; 3] = [
    PartitionRole::Esp,
    PartitionRole::RootA,
    PartitionRole::RootB,
];

/// Serials reported by more than one disk, with those disks' kernel names.
pub(super) fn duplicate_serials<'a>(
    disks: impl IntoIterator<Item = &'a Disk>,
) -> BTreeMap<String, Vec<String>> {
    let mut by_serial: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for disk in disks {
        if let Some(serial) = &disk.serial {
            by_serial
                .entry(serial.clone())
                .or_default()
                .push(disk.kernel_name.clone());
        }
    }
    by_serial.retain(|_, names| names.len() > 1);
    by_serial
}

/// Sets `verdict`, `reasons` and `warnings` of `disk`. `read_error` says why
/// its bytes could not be probed, if they could not.
pub(super) fn judge(
    disk: &mut Disk,
    read_error: Option<&str>,
    duplicates: &BTreeMap<String, Vec<String>>,
    booted_slot: Option<Slot>,
) {
    let mut findings: Vec<(Verdict, String)> = Vec::new();
    let mut add = |v: Verdict, reason: String| findings.push((v, reason));

    boot_medium(disk, booted_slot, &mut add);
    if let Some(reason) = raid_logical_volume(disk) {
        add(Verdict::RaidLogicalVolume, reason);
    }
    if let Some(error) = read_error {
        add(
            Verdict::Unreadable,
            format!(
                "{error}: without its first and last bytes nothing is known about what it holds"
            ),
        );
    }
    for sig in disk.signatures.iter().filter(|s| s.is_raid_metadata()) {
        add(
            Verdict::RaidMetadata,
            format!(
                "it carries {sig}: it was part of a firmware RAID array (for example a B120i \
                 or Intel RST controller set to RAID in its option ROM). Set the controller to \
                 AHCI/HBA mode, then wipe the disk (wipefs -a) once nothing on it is needed"
            ),
        );
    }
    if let Some(others) = disk.serial.as_ref().and_then(|s| duplicates.get(s)) {
        let others: Vec<&str> = others
            .iter()
            .map(String::as_str)
            .filter(|n| *n != disk.kernel_name)
            .collect();
        let serial = disk.serial.as_deref().unwrap_or_default();
        let others = others.join(" and ");
        let own_id = match &disk.id {
            Some(id) => format!(
                "; it is named here by {id}, a link only it has, and can be forced by that id"
            ),
            None => "; it has no by-id link of its own, so no pool can name it".to_string(),
        };
        let reason = if disk.transport == super::model::Transport::Nvme {
            format!(
                "it reports serial {serial}, and so does {others}: the NVMe drives' firmware \
                 gives them one serial (seen on OEM and relabelled drives), so the serial and \
                 the nvme-<model>_<serial> name do not tell them apart{own_id}"
            )
        } else {
            format!(
                "it reports serial {serial}, and so does {others}: USB bridges often report one \
                 serial for every drive, so neither the serial nor the by-id name tells these \
                 disks apart. Attach it directly, or through an enclosure that passes the \
                 drive's own serial on{own_id}"
            )
        };
        add(Verdict::DuplicateSerial, reason);
    }
    if disk.id.is_none() && !disk.shared_ids.is_empty() {
        add(
            Verdict::NoStableId,
            format!(
                "its only /dev/disk/by-id names ({}) are claimed by another disk too, so they \
                 may point at either",
                disk.shared_ids.join(", ")
            ),
        );
    } else if disk.id.is_none() {
        add(
            Verdict::NoStableId,
            "udev gave it no /dev/disk/by-id name, so a pool could not find it again after a \
             reboot (is udev running?)"
                .to_string(),
        );
    }
    in_use(disk, &mut add);

    findings.sort_by_key(|(v, _)| *v);
    disk.verdict = findings.first().map_or(Verdict::Usable, |(v, _)| *v);
    disk.reasons = findings.into_iter().map(|(_, r)| r).collect();
    if disk.reasons.is_empty() {
        disk.reasons.push(
            "no partition table, file system, pool label or RAID metadata, and nothing mounts \
             or holds it"
                .to_string(),
        );
    }
    disk.warnings = warnings(disk);
}

fn boot_medium(disk: &Disk, booted_slot: Option<Slot>, add: &mut impl FnMut(Verdict, String)) {
    let labels: Vec<&str> = disk
        .partitions
        .iter()
        .filter_map(|p| p.name.as_deref())
        .filter(|n| BOOT_ROLES.iter().any(|r| r.label() == *n))
        .collect();
    let booted = booted_slot.filter(|s| labels.contains(&s.root_partition().label()));
    if let Some(slot) = booted {
        add(
            Verdict::BootMedium,
            format!(
                "it is an ironstor boot medium: it holds {}, among them the root of slot \
                 {slot}, which is running",
                labels.join(", ")
            ),
        );
    } else if !labels.is_empty() {
        add(
            Verdict::BootMedium,
            format!(
                "it is an ironstor boot medium: it holds {}",
                labels.join(", ")
            ),
        );
    }
    let root_here = disk
        .mounts
        .iter()
        .chain(disk.partitions.iter().flat_map(|p| &p.mounts))
        .any(|m| m == "/");
    if root_here {
        add(
            Verdict::BootMedium,
            "it holds the mounted root file system (/)".to_string(),
        );
    }
}

fn raid_logical_volume(disk: &Disk) -> Option<String> {
    let level = disk.raid_level.as_deref().filter(|l| *l != "N/A");
    let hp_volume = matches!(disk.vendor.as_deref(), Some("HP" | "HPE"))
        && disk.model.as_deref() == Some("LOGICAL VOLUME");
    if level.is_none() && !hp_volume {
        return None;
    }
    let what = match level {
        Some(level) => format!("a {level} logical volume"),
        None => "a logical volume".to_string(),
    };
    let driver = disk.driver.as_deref().unwrap_or("hpsa");
    Some(format!(
        "it is {what} of a Smart Array RAID controller ({driver}), not a physical disk: ZFS must \
         see the disks themselves to protect data. Back up what is on it, delete the logical \
         drives and switch the controller to HBA mode (HPE Smart Storage Administrator, or \
         `ssacli ctrl slot=<n> modify hbamode=on`), then reboot"
    ))
}

fn in_use(disk: &Disk, add: &mut impl FnMut(Verdict, String)) {
    for sig in disk.signatures.iter().filter(|s| !s.is_raid_metadata()) {
        add(Verdict::InUse, format!("it has {sig}"));
    }
    if !disk.partitions.is_empty() {
        let names: Vec<&str> = disk
            .partitions
            .iter()
            .map(|p| p.kernel_name.as_str())
            .collect();
        let noun = if names.len() == 1 {
            "partition"
        } else {
            "partitions"
        };
        add(
            Verdict::InUse,
            format!("it has {} {noun}: {}", names.len(), names.join(", ")),
        );
    }
    for part in &disk.partitions {
        if let Some(contents) = partition_contents(part) {
            add(Verdict::InUse, contents);
        }
    }
    if !disk.mounts.is_empty() {
        add(
            Verdict::InUse,
            format!("it is mounted at {}", disk.mounts.join(" and ")),
        );
    }
    if !disk.holders.is_empty() {
        add(
            Verdict::InUse,
            format!("it is used by {}", disk.holders.join(" and ")),
        );
    }
}

/// `partition sdb1 holds ext4 (label "old-data"), mounted at /srv/old`, or
/// `None` for a partition with nothing known in it.
fn partition_contents(part: &Partition) -> Option<String> {
    let mut parts = Vec::new();
    match (part.fs_type.as_deref(), part.fs_label.as_deref()) {
        (Some("zfs_member"), Some(pool)) => parts.push(format!("holds a ZFS label of pool {pool}")),
        (Some("zfs_member"), None) => parts.push("holds a ZFS label".to_string()),
        (Some(fs), Some(label)) => parts.push(format!("holds {fs} (label {label:?})")),
        (Some(fs), None) => parts.push(format!("holds {fs}")),
        (None, _) if !part.signatures.is_empty() => {
            let sigs: Vec<String> = part.signatures.iter().map(|s| s.to_string()).collect();
            parts.push(format!("holds {}", sigs.join(" and ")));
        }
        (None, _) => {}
    }
    if !part.mounts.is_empty() {
        parts.push(format!("mounted at {}", part.mounts.join(" and ")));
    }
    if !part.holders.is_empty() {
        parts.push(format!("used by {}", part.holders.join(" and ")));
    }
    if parts.is_empty() {
        return None;
    }
    let name = part
        .name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    Some(format!(
        "partition {}{name} {}",
        part.kernel_name,
        parts.join(", ")
    ))
}

fn warnings(disk: &Disk) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(link) = disk.nvme.as_ref().and_then(|n| n.pcie_link.as_ref()) {
        if link.degraded {
            warnings.push(format!(
                "its PCIe link trained at {}, below the {} it supports: that alone can make a \
                 pool slow. Reseat the drive or its carrier card, or check the slot and riser",
                describe_link(link.speed_gts, link.width),
                describe_link(link.max_speed_gts, link.max_width),
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests;

//! One disk's facts, gathered from sysfs, the udev database, mountinfo and
//! the disk's own bytes.

use super::model::{DevNum, Disk, NvmeInfo, Partition, Transport, Verdict};
use super::nvme;
use super::placement;
use super::probe::{self, Sample, Signature};
use super::proc::Mount;
use super::sysfs::{self, BlockDisk, BlockPartition};
use super::udev::{self, UdevRecord};
use super::{DriveError, DriveRoots};

/// A disk with everything but its verdict, and why its bytes could not be
/// read if they could not.
pub(super) struct Described {
    pub disk: Disk,
    pub read_error: Option<String>,
}

pub(super) fn describe(
    roots: &DriveRoots,
    block: &BlockDisk,
    mounts: &[Mount],
) -> Result<Described, DriveError> {
    let udev = udev::read(&roots.udev_data, block.devnum)?.unwrap_or_default();
    let scsi = block.topology.iter().any(|c| sysfs::is_hctl(c));
    let [inquiry_vendor, inquiry_model, inquiry_rev] = if scsi {
        sysfs::scsi_inquiry(block)?
    } else {
        [None, None, None]
    };
    let place = placement::placement(&roots.sys, block, inquiry_vendor.as_deref())?;

    let (vendor, model, serial, firmware) = match &place.nvme_controller {
        Some(ctrl) => {
            let [model, serial, firmware] = nvme::nvme_identity(&roots.sys, ctrl)?;
            (
                None,
                model.or_else(|| udev.decoded("ID_MODEL")),
                serial.or_else(|| udev.decoded("ID_SERIAL_SHORT")),
                firmware.or_else(|| udev.decoded("ID_REVISION")),
            )
        }
        None => (
            // libata answers INQUIRY with vendor "ATA" for every disk.
            udev.decoded("ID_VENDOR_ENC")
                .or(inquiry_vendor)
                .filter(|v| v != "ATA"),
            // sysfs cuts an ATA model to the 16 INQUIRY bytes; ata_id
            // reads all 40.
            udev.decoded("ID_MODEL_ENC").or(inquiry_model),
            // A SCSI disk's own serial is its VPD page 0x80
            // (ID_SCSI_SERIAL); ID_SERIAL_SHORT is then its page 0x83 name.
            match udev
                .decoded("ID_SCSI_SERIAL")
                .or_else(|| udev.decoded("ID_SERIAL_SHORT"))
            {
                // virtio-blk has no INQUIRY; its serial is a disk attribute.
                None if place.transport == Transport::Virtio => {
                    sysfs::read_trimmed(&block.dir.join("serial"))?
                }
                serial => serial,
            },
            udev.decoded("ID_REVISION").or(inquiry_rev),
        ),
    };

    let nvme_info = match &place.nvme_controller {
        Some(ctrl) => Some(NvmeInfo {
            controller: ctrl.clone(),
            temperature_celsius: nvme::nvme_temperature(&roots.sys, ctrl),
            pcie_link: nvme::nvme_pcie_link(&roots.sys, ctrl)?,
        }),
        None => None,
    };
    let raid_level = match &place.scsi_address {
        Some(hctl) => sysfs::raid_level(&roots.sys, hctl)?,
        None => None,
    };

    let mut partitions = Vec::new();
    for part in &block.partitions {
        partitions.push(partition(roots, part, mounts)?);
    }
    let (signatures, read_error) = probe_disk(roots, block, &mut partitions);

    let disk = Disk {
        id: udev::pick_id(&udev.by_id),
        by_id: udev.by_id.clone(),
        shared_ids: Vec::new(),
        kernel_name: block.name.clone(),
        devnum: block.devnum,
        vendor,
        model,
        serial,
        firmware,
        wwn: udev
            .get("ID_WWN_WITH_EXTENSION")
            .or_else(|| udev.get("ID_WWN"))
            .map(str::to_string),
        size_bytes: block.size_bytes,
        logical_block_size: block.logical_block_size,
        physical_block_size: block.physical_block_size,
        rotational: block.rotational,
        removable: block.removable,
        transport: place.transport,
        driver: place.driver,
        pci_address: place.pci_address,
        scsi_address: place.scsi_address,
        raid_level,
        nvme: nvme_info,
        partitions,
        signatures,
        mounts: mount_points(mounts, block.devnum),
        holders: block.holders.clone(),
        verdict: Verdict::Usable,
        reasons: Vec::new(),
        warnings: Vec::new(),
    };
    Ok(Described { disk, read_error })
}

fn partition(
    roots: &DriveRoots,
    part: &BlockPartition,
    mounts: &[Mount],
) -> Result<Partition, DriveError> {
    let udev = udev::read(&roots.udev_data, part.devnum)?.unwrap_or_else(UdevRecord::default);
    Ok(Partition {
        kernel_name: part.name.clone(),
        devnum: part.devnum,
        number: part.number,
        name: part
            .gpt_name
            .clone()
            .or_else(|| udev.decoded("ID_PART_ENTRY_NAME")),
        start_bytes: part.start_bytes,
        size_bytes: part.size_bytes,
        fs_type: udev.get("ID_FS_TYPE").map(str::to_string),
        fs_label: udev
            .decoded("ID_FS_LABEL_ENC")
            .or_else(|| udev.decoded("ID_FS_LABEL")),
        signatures: Vec::new(),
        mounts: mount_points(mounts, part.devnum),
        holders: part.holders.clone(),
    })
}

fn mount_points(mounts: &[Mount], devnum: DevNum) -> Vec<String> {
    mounts
        .iter()
        .filter(|m| m.devnum == devnum)
        .map(|m| m.mount_point.clone())
        .collect()
}

/// Probes the whole disk and then each partition's head, all through the
/// disk's own node: partition nodes add nothing, and one open is one
/// permission question. Any failure makes the disk unreadable.
fn probe_disk(
    roots: &DriveRoots,
    block: &BlockDisk,
    partitions: &mut [Partition],
) -> (Vec<Signature>, Option<String>) {
    let path = roots.dev.join(&block.name);
    let fail = |e: std::io::Error| {
        (
            Vec::new(),
            Some(format!("cannot read {}: {e}", path.display())),
        )
    };
    let sample = |offset: u64, size: u64, tail: bool| -> std::io::Result<Vec<Signature>> {
        let (head, tail) = probe::read_sample(&path, offset, size, tail)?;
        Ok(probe::probe(&Sample {
            head: &head,
            tail: &tail,
            size,
            sector_size: block.logical_block_size,
        }))
    };
    let signatures = match sample(0, block.size_bytes, true) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    for part in partitions.iter_mut() {
        match sample(part.start_bytes, part.size_bytes, false) {
            Ok(s) => part.signatures = s,
            Err(e) => return fail(e),
        }
    }
    (signatures, None)
}

//! NVMe controllers on the PCI bus that gave the kernel no disk.
//!
//! When two drives report one serial, they also report one subsystem NQN
//! (drives build it from model and serial), and the kernel's nvme driver
//! refuses the second controller ("Duplicate cntlid ... rejecting" or
//! "ignoring ctrl due to duplicate subnqn") and lets go of it: the drive
//! then has no controller and no block device, and a list of disks alone
//! would not show it at all. The PCI function stays, with its NVMe class,
//! so it is listed here with what to do.

use std::path::Path;

use serde::Serialize;

use super::sysfs::{list_dir_optional, read_trimmed};
use super::DriveError;

/// An NVMe controller the kernel sees on the PCI bus without a disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct UnattachedNvme {
    /// The PCI function, `0000:00:08.0`.
    pub pci_address: String,
    /// PCI vendor and device ids as sysfs prints them (`0x144d`).
    pub vendor_id: Option<String>,
    pub device_id: Option<String>,
    /// The driver bound to it, if any (none: the nvme driver let go).
    pub driver: Option<String>,
    /// Why it has no disk, as far as sysfs tells, and what to do.
    pub reason: String,
}

/// PCI class 01 (mass storage), subclass 08 (non-volatile memory).
const NVME_CLASS: &str = "0x0108";

pub(super) fn unattached_nvme(sys: &Path) -> Result<Vec<UnattachedNvme>, DriveError> {
    let devices = sys.join("bus/pci/devices");
    let mut found = Vec::new();
    for address in list_dir_optional(&devices)? {
        let dir = devices.join(&address);
        let class = read_trimmed(&dir.join("class"))?.unwrap_or_default();
        if !class.starts_with(NVME_CLASS) || !list_dir_optional(&dir.join("nvme"))?.is_empty() {
            continue;
        }
        let driver = std::fs::read_link(dir.join("driver"))
            .ok()
            .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()));
        let reason = match &driver {
            None => format!(
                "the NVMe drive at PCI {address} has no controller and no driver: the kernel's \
                 nvme driver let go of it. It does that when the drive reports the same serial \
                 (and so the same subsystem NQN) as a drive already attached (the kernel log \
                 says \"Duplicate cntlid\" or \"ignoring ctrl due to duplicate subnqn\"), or \
                 when the drive failed to start. A drive with another's serial cannot be told \
                 apart from it: update its firmware or replace it"
            ),
            Some(driver) => format!(
                "the NVMe drive at PCI {address} is bound to {driver} but has no NVMe \
                 controller: it is still starting, or failed to (see the kernel log)"
            ),
        };
        found.push(UnattachedNvme {
            vendor_id: read_trimmed(&dir.join("vendor"))?,
            device_id: read_trimmed(&dir.join("device"))?,
            pci_address: address,
            driver,
            reason,
        });
    }
    Ok(found)
}

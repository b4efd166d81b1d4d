//! What the inventory reports: plain data, serialized as the JSON API returns it.

use std::fmt;

use serde::{Serialize, Serializer};

use super::probe::Signature;
use crate::names::DiskId;

/// Every whole disk the kernel sees, sorted by id (disks without one last).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct Inventory {
    pub disks: Vec<Disk>,
    /// NVMe controllers on the PCI bus that gave no disk (the kernel
    /// refuses a second drive reporting an attached one's serial), each
    /// with why and what to do; they are in no way usable.
    #[serde(default)]
    pub unattached_nvme: Vec<super::UnattachedNvme>,
}

impl Inventory {
    pub fn get(&self, id: &DiskId) -> Option<&Disk> {
        self.disks.iter().find(|d| d.id.as_ref() == Some(id))
    }

    /// The disks that claim `link` although it is not their id: a by-id
    /// link udev gave more than one disk (see `Disk::shared_ids`).
    pub fn sharing(&self, link: &DiskId) -> Vec<&Disk> {
        self.disks
            .iter()
            .filter(|d| d.shared_ids.iter().any(|l| l == link.as_str()))
            .collect()
    }

    pub fn by_kernel_name(&self, name: &str) -> Option<&Disk> {
        self.disks.iter().find(|d| d.kernel_name == name)
    }

    pub fn usable(&self) -> impl Iterator<Item = &Disk> {
        self.disks.iter().filter(|d| d.verdict == Verdict::Usable)
    }
}

/// One whole disk and what storaged thinks of it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct Disk {
    /// The `/dev/disk/by-id` name; `None` when udev gave the disk none.
    pub id: Option<DiskId>,
    /// Every `/dev/disk/by-id` name udev gave the disk, `id` among them.
    pub by_id: Vec<String>,
    /// Links of `by_id` that another disk claims too (two drives with one
    /// serial both claim `nvme-<model>_<serial>`): they point at either
    /// disk, so `id` is never one of them and a pool refuses them.
    #[serde(default)]
    pub shared_ids: Vec<String>,
    /// `sda`, `nvme0n1`: for people reading logs, never for identity.
    pub kernel_name: String,
    pub devnum: DevNum,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub firmware: Option<String>,
    pub wwn: Option<String>,
    pub size_bytes: u64,
    pub logical_block_size: u32,
    pub physical_block_size: u32,
    pub rotational: bool,
    pub removable: bool,
    pub transport: Transport,
    /// The driver of the controller the disk hangs off: `ahci`, `hpsa`,
    /// `usb-storage`, `nvme`.
    pub driver: Option<String>,
    /// The PCI function of that controller (the NVMe drive itself for NVMe).
    pub pci_address: Option<String>,
    /// `host:channel:target:lun` for SCSI disks (SATA, SAS, USB, RAID).
    pub scsi_address: Option<String>,
    /// What hpsa/smartpqi report in `raid_level`: `RAID 5` for a logical
    /// volume, `N/A` for a disk passed through.
    pub raid_level: Option<String>,
    pub nvme: Option<NvmeInfo>,
    pub partitions: Vec<Partition>,
    /// Signatures found on the whole disk's own first and last bytes.
    pub signatures: Vec<Signature>,
    /// Where the whole disk itself is mounted (partitions list their own).
    pub mounts: Vec<String>,
    /// Devices stacked on the whole disk (`dm-0`, `md127`).
    pub holders: Vec<String>,
    pub verdict: Verdict,
    /// Why: the verdict's own reason first, then every other finding.
    pub reasons: Vec<String>,
    /// Things worth knowing that do not change the verdict.
    pub warnings: Vec<String>,
}

/// A block device number, `major:minor`, as sysfs `dev` and mountinfo
/// spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DevNum {
    pub major: u32,
    pub minor: u32,
}

impl DevNum {
    pub fn parse(s: &str) -> Option<DevNum> {
        let (major, minor) = s.trim().split_once(':')?;
        Some(DevNum {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl fmt::Display for DevNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

impl Serialize for DevNum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read back as written, for API clients.
impl<'de> serde::Deserialize<'de> for DevNum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DevNum::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not major:minor")))
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Nvme,
    Sata,
    Sas,
    Usb,
    Virtio,
    /// Anything else, including RAID logical volumes, which are no
    /// device on any bus.
    Other,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Nvme => "nvme",
            Transport::Sata => "sata",
            Transport::Sas => "sas",
            Transport::Usb => "usb",
            Transport::Virtio => "virtio",
            Transport::Other => "other",
        })
    }
}

/// What the pool may do with a disk. Declared from most to least serious:
/// a disk gets the first one that applies, and every finding goes into its
/// reasons. Forcing past a verdict is the pool's decision, not this
/// module's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    schemars::JsonSchema,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Holds the system ironstor runs from.
    BootMedium,
    /// A RAID controller's virtual disk, not a physical one.
    RaidLogicalVolume,
    /// Its bytes could not be read, so nothing is known about its contents.
    Unreadable,
    /// Carries firmware RAID metadata (DDF, Intel IMSM).
    RaidMetadata,
    /// Reports the same serial as another disk, so its id is not its own.
    DuplicateSerial,
    /// udev gave it no `/dev/disk/by-id` name to build a pool on.
    NoStableId,
    /// Partitions, a file system, a pool label, a mount or a holder.
    InUse,
    Usable,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::BootMedium => "boot-medium",
            Verdict::RaidLogicalVolume => "raid-logical-volume",
            Verdict::Unreadable => "unreadable",
            Verdict::RaidMetadata => "raid-metadata",
            Verdict::DuplicateSerial => "duplicate-serial",
            Verdict::NoStableId => "no-stable-id",
            Verdict::InUse => "in-use",
            Verdict::Usable => "usable",
        })
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct Partition {
    pub kernel_name: String,
    pub devnum: DevNum,
    pub number: u32,
    /// The GPT partition name (`ironstor-esp`), when the table has one.
    pub name: Option<String>,
    pub start_bytes: u64,
    pub size_bytes: u64,
    /// What blkid told udev: `ext4`, `zfs_member`, `vfat`.
    pub fs_type: Option<String>,
    /// The file system label; for `zfs_member` the pool name.
    pub fs_label: Option<String>,
    pub signatures: Vec<Signature>,
    pub mounts: Vec<String>,
    pub holders: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct NvmeInfo {
    /// The controller's kernel name, `nvme0`.
    pub controller: String,
    /// The composite temperature from the controller's hwmon node.
    pub temperature_celsius: Option<f64>,
    pub pcie_link: Option<PcieLink>,
}

/// The PCIe link between the drive and its upstream port.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PcieLink {
    /// GT/s per lane; `None` when the kernel says `Unknown`.
    pub speed_gts: Option<f64>,
    pub width: Option<u32>,
    pub max_speed_gts: Option<f64>,
    pub max_width: Option<u32>,
    /// Trained slower or narrower than the drive can go.
    pub degraded: bool,
}

impl PcieLink {
    pub fn new(
        speed_gts: Option<f64>,
        width: Option<u32>,
        max_speed_gts: Option<f64>,
        max_width: Option<u32>,
    ) -> PcieLink {
        let below =
            |cur: Option<f64>, max: Option<f64>| matches!((cur, max), (Some(c), Some(m)) if c < m);
        let degraded = below(speed_gts, max_speed_gts)
            || below(width.map(f64::from), max_width.map(f64::from));
        PcieLink {
            speed_gts,
            width,
            max_speed_gts,
            max_width,
            degraded,
        }
    }
}

/// `8.0 GT/s x4`, with `?` for what the kernel does not know.
pub(super) fn describe_link(speed: Option<f64>, width: Option<u32>) -> String {
    let speed = speed.map_or("?".to_string(), |s| format!("{s:.1}"));
    let width = width.map_or("?".to_string(), |w| w.to_string());
    format!("{speed} GT/s x{width}")
}

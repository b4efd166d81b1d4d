//! Block devices as sysfs shows them: which are whole disks, their
//! attributes, partitions and holders, and the SCSI attributes of SCSI
//! disks; plus the small readers the other sysfs modules share.
//!
//! Everything is read under a sysfs root given by the caller; paths below
//! it are the kernel's (`class/block`, `class/nvme`, `class/scsi_host`,
//! `class/scsi_disk`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::model::DevNum;
use super::DriveError;

/// A whole disk found under `<sys>/class/block`.
#[derive(Debug, Clone)]
pub(super) struct BlockDisk {
    pub name: String,
    /// `<sys>/class/block/<name>`; attributes are read through the link.
    pub dir: PathBuf,
    /// The device's path below `<sys>/devices`, one entry per directory:
    /// `pci0000:00`, `0000:00:1f.2`, `ata1`, `host0`, ..., `block`, `sda`.
    pub topology: Vec<String>,
    pub devnum: DevNum,
    pub size_bytes: u64,
    pub logical_block_size: u32,
    pub physical_block_size: u32,
    pub rotational: bool,
    pub removable: bool,
    pub partitions: Vec<BlockPartition>,
    pub holders: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct BlockPartition {
    pub name: String,
    pub devnum: DevNum,
    pub number: u32,
    pub start_bytes: u64,
    pub size_bytes: u64,
    /// `PARTNAME` from the kernel's uevent: the GPT partition name.
    pub gpt_name: Option<String>,
    pub holders: Vec<String>,
}

#[cfg(test)]
impl BlockDisk {
    /// A 1 GiB disk at `device_path` below `<sys>/devices`, for tests of
    /// what the path alone decides.
    pub fn at(sys: &Path, device_path: &str) -> BlockDisk {
        BlockDisk {
            name: device_path.rsplit('/').next().unwrap().to_string(),
            dir: sys.join("devices").join(device_path),
            topology: device_path.split('/').map(String::from).collect(),
            devnum: DevNum { major: 8, minor: 0 },
            size_bytes: 1 << 30,
            logical_block_size: 512,
            physical_block_size: 512,
            rotational: false,
            removable: false,
            partitions: Vec::new(),
            holders: Vec::new(),
        }
    }
}

/// sysfs counts `size` and `start` in 512-byte units whatever the
/// device's block size.
const SYSFS_SECTOR: u64 = 512;

/// Kernel names that are never a disk a pool could own: loop devices, RAM
/// disks, device-mapper and md arrays, optical drives, ZFS's own zvols and
/// network block devices.
fn is_excluded_name(name: &str) -> bool {
    const EXCLUDED: [&str; 9] = ["loop", "ram", "zram", "dm-", "md", "sr", "zd", "nbd", "fd"];
    EXCLUDED.iter().any(|p| name.starts_with(p))
        // eMMC boot areas and RPMB are fixed-purpose hardware partitions.
        || (name.starts_with("mmcblk") && (name.contains("boot") || name.contains("rpmb")))
}

pub(super) fn whole_disks(sys: &Path) -> Result<Vec<BlockDisk>, DriveError> {
    let class = sys.join("class/block");
    let devices = canonical(&sys.join("devices"))?;
    let mut disks = Vec::new();
    for name in list_dir(&class)? {
        if is_excluded_name(&name) {
            continue;
        }
        let dir = class.join(&name);
        // A dangling link is a device removed while we looked.
        let real = match fs::canonicalize(&dir) {
            Ok(real) => real,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(DriveError::Read { path: dir, source }),
        };
        if dir.join("partition").exists() {
            continue;
        }
        // Native NVMe multipath registers each path (`nvme0c0n1`) as a
        // hidden disk beside the head node that does the I/O.
        if read_optional(&dir.join("hidden"))?.is_some_and(|h| h.trim() == "1") {
            continue;
        }
        let size_bytes = parse_attr::<u64>(&dir.join("size"))? * SYSFS_SECTOR;
        // An empty card reader or tray: nothing to store data on.
        if size_bytes == 0 {
            continue;
        }
        let topology = real
            .strip_prefix(&devices)
            .map(|p| p.iter().map(|c| c.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        disks.push(BlockDisk {
            devnum: parse_devnum(&dir.join("dev"))?,
            size_bytes,
            logical_block_size: parse_attr(&dir.join("queue/logical_block_size"))?,
            physical_block_size: parse_attr(&dir.join("queue/physical_block_size"))?,
            rotational: parse_attr::<u8>(&dir.join("queue/rotational"))? == 1,
            removable: parse_attr::<u8>(&dir.join("removable"))? == 1,
            partitions: partitions(&dir)?,
            holders: list_dir_optional(&dir.join("holders"))?,
            topology,
            name,
            dir,
        });
    }
    Ok(disks)
}

fn partitions(disk: &Path) -> Result<Vec<BlockPartition>, DriveError> {
    let mut parts = Vec::new();
    for name in list_dir(disk)? {
        let dir = disk.join(&name);
        if !dir.join("partition").is_file() {
            continue;
        }
        let uevent = read_required(&dir.join("uevent"))?;
        let gpt_name = uevent
            .lines()
            .find_map(|l| l.strip_prefix("PARTNAME="))
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        parts.push(BlockPartition {
            devnum: parse_devnum(&dir.join("dev"))?,
            number: parse_attr(&dir.join("partition"))?,
            start_bytes: parse_attr::<u64>(&dir.join("start"))? * SYSFS_SECTOR,
            size_bytes: parse_attr::<u64>(&dir.join("size"))? * SYSFS_SECTOR,
            gpt_name,
            holders: list_dir_optional(&dir.join("holders"))?,
            name,
        });
    }
    parts.sort_by_key(|p| p.number);
    Ok(parts)
}

/// The SCSI INQUIRY strings of a SCSI disk: vendor, model, revision.
pub(super) fn scsi_inquiry(disk: &BlockDisk) -> Result<[Option<String>; 3], DriveError> {
    let field = |name: &str| read_trimmed(&disk.dir.join("device").join(name));
    Ok([field("vendor")?, field("model")?, field("rev")?])
}

/// hpsa and smartpqi's `raid_level`: `RAID 1(+0)` for a logical volume,
/// `N/A` for a physical disk passed through.
pub(super) fn raid_level(sys: &Path, hctl: &str) -> Result<Option<String>, DriveError> {
    read_trimmed(
        &sys.join("class/scsi_disk")
            .join(hctl)
            .join("device/raid_level"),
    )
}

/// `0000:00:1f.2`
pub(super) fn is_pci_address(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 12
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b':',
            10 => *c == b'.',
            11 => (b'0'..=b'7').contains(c),
            _ => c.is_ascii_hexdigit(),
        })
}

/// `0:1:0:0`
pub(super) fn is_hctl(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The number in `host12` for prefix `host`, if that is all there is.
pub(super) fn numbered<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.strip_prefix(prefix)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn canonical(path: &Path) -> Result<PathBuf, DriveError> {
    fs::canonicalize(path).map_err(|source| DriveError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn list_dir(dir: &Path) -> Result<Vec<String>, DriveError> {
    let read_err = |source| DriveError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_err)? {
        names.push(
            entry
                .map_err(read_err)?
                .file_name()
                .to_string_lossy()
                .into_owned(),
        );
    }
    names.sort();
    Ok(names)
}

pub(super) fn list_dir_optional(dir: &Path) -> Result<Vec<String>, DriveError> {
    match list_dir(dir) {
        Err(DriveError::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Ok(Vec::new())
        }
        other => other,
    }
}

pub(super) fn read_required(path: &Path) -> Result<String, DriveError> {
    fs::read_to_string(path).map_err(|source| DriveError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// A file that may be absent: an attribute a driver does not have, a
/// device udev has not seen.
pub(super) fn read_optional(path: &Path) -> Result<Option<String>, DriveError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DriveError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// An attribute with the padding and newline the kernel prints trimmed;
/// absent or blank is `None`.
pub(super) fn read_trimmed(path: &Path) -> Result<Option<String>, DriveError> {
    Ok(read_optional(path)?
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty()))
}

fn parse_attr<T: FromStr>(path: &Path) -> Result<T, DriveError> {
    let text = read_required(path)?;
    text.trim().parse().map_err(|_| DriveError::Parse {
        path: path.to_path_buf(),
        reason: format!("expected a number, found {:?}", text.trim()),
    })
}

fn parse_devnum(path: &Path) -> Result<DevNum, DriveError> {
    let text = read_required(path)?;
    DevNum::parse(&text).ok_or_else(|| DriveError::Parse {
        path: path.to_path_buf(),
        reason: format!("expected major:minor, found {:?}", text.trim()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_never_pool_disks_are_excluded() {
        for name in [
            "loop0",
            "ram0",
            "zram0",
            "dm-0",
            "md127",
            "sr0",
            "zd16",
            "nbd3",
            "mmcblk0boot0",
            "mmcblk0rpmb",
        ] {
            assert!(is_excluded_name(name), "{name}");
        }
        for name in ["sda", "nvme0n1", "vda", "mmcblk0", "xvda"] {
            assert!(!is_excluded_name(name), "{name}");
        }
    }

    #[test]
    fn path_components_are_recognised() {
        assert!(is_pci_address("0000:00:1f.2"));
        assert!(!is_pci_address("0000:00:1f.8"));
        assert!(!is_pci_address("pci0000:00"));
        assert!(is_hctl("0:1:0:0"));
        assert!(!is_hctl("target0:1:0"));
        assert!(!is_hctl("end_device-0:1"));
        assert_eq!(numbered("host12", "host"), Some("12"));
        assert_eq!(numbered("usb2", "usb"), Some("2"));
        assert_eq!(numbered("usb-storage", "usb"), None);
        assert_eq!(numbered("2-1.3", "usb"), None);
    }
}

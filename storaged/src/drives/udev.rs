//! The udev database: `/run/udev/data/b<major>:<minor>`, one file per block
//! device, with what udev's rules learnt (`E:KEY=value`) and the links it
//! made (`S:disk/by-id/...`). Reading the files avoids spawning `udevadm`
//! and is what libudev itself does.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::DevNum;
use super::sysfs::read_optional;
use super::DriveError;
use crate::names::DiskId;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct UdevRecord {
    /// The file names of the device's `/dev/disk/by-id` links.
    pub by_id: Vec<String>,
    pub env: BTreeMap<String, String>,
}

impl UdevRecord {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.env
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A value with udev's `\xHH` escapes undone and its padding trimmed:
    /// `ID_MODEL_ENC` keeps the spaces `ID_MODEL` turns into `_`.
    pub fn decoded(&self, key: &str) -> Option<String> {
        let v = decode(self.get(key)?);
        let v = v.trim();
        (!v.is_empty()).then(|| v.to_string())
    }
}

/// The record of block device `dev`, or `None` if udev has not seen it.
pub(super) fn read(udev_data: &Path, dev: DevNum) -> Result<Option<UdevRecord>, DriveError> {
    let path = udev_data.join(format!("b{dev}"));
    Ok(read_optional(&path)?.map(|text| parse(&text)))
}

/// Parses one database file (systemd's `sd-device` format, version 1).
pub(super) fn parse(text: &str) -> UdevRecord {
    let mut record = UdevRecord::default();
    for line in text.lines() {
        if let Some(link) = line.strip_prefix("S:") {
            if let Some(name) = link.strip_prefix("disk/by-id/") {
                record.by_id.push(name.to_string());
            }
        } else if let Some((key, value)) = line.strip_prefix("E:").and_then(|kv| kv.split_once('='))
        {
            record.env.insert(key.to_string(), value.to_string());
        }
    }
    record
}

/// Undoes udev's `\xHH` escaping (`udev_util_encode_string()`).
pub(super) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'x') {
            let hex = s
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The by-id link to identify a disk by: one built from the drive's model
/// and serial (`nvme-<model>_<serial>`, `ata-`, `usb-`, `virtio-`) before
/// `scsi-`, and both before world-wide names (`wwn-`, `nvme-eui.`,
/// `nvme-uuid.`): QEMU and some drives report EUIs and NGUIDs that are
/// made up, repeated or, for QEMU's namespace UUID, new on every boot.
/// Content-based links (`lvm-pv-uuid-`) never name a disk.
pub(super) fn pick_id(links: &[String]) -> Option<DiskId> {
    links
        .iter()
        .filter_map(|l| Some((rank(l)?, l)))
        .filter_map(|(r, l)| Some((r, l.len(), l, l.parse::<DiskId>().ok()?)))
        .min_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)))
        .map(|(.., id)| id)
}

fn rank(link: &str) -> Option<u8> {
    const CONTENT: [&str; 4] = ["lvm-pv-uuid-", "md-uuid-", "md-name-", "dm-"];
    const WORLD_WIDE: [&str; 4] = ["wwn-", "nvme-eui.", "nvme-uuid.", "nvme-nvme."];
    const DRIVE: [&str; 6] = ["nvme-", "ata-", "usb-", "virtio-", "mmc-", "ieee1394-"];
    if CONTENT.iter().any(|p| link.starts_with(p)) || is_partition_link(link) {
        None
    } else if WORLD_WIDE.iter().any(|p| link.starts_with(p)) {
        Some(3)
    } else if DRIVE.iter().any(|p| link.starts_with(p)) {
        Some(0)
    } else if link.starts_with("scsi-") {
        Some(1)
    } else {
        Some(2)
    }
}

fn is_partition_link(link: &str) -> bool {
    link.rsplit_once("-part")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn database_file_yields_by_id_links_and_properties() {
        let record = parse(
            "S:disk/by-path/pci-0000:00:1f.2-ata-1.0\n\
             S:disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1234567\n\
             S:disk/by-id/wwn-0x50014ee2b1234567\n\
             W:1\nI:5125407\n\
             E:ID_MODEL_ENC=WDC\\x20WD40EFRX-68N32N0\\x20\\x20\\x20\n\
             E:ID_SERIAL_SHORT=WD-WCC7K1234567\n\
             E:ID_PART_TABLE_TYPE=\n\
             G:systemd\nQ:systemd\nV:1\n",
        );
        assert_eq!(
            record.by_id,
            links(&[
                "ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1234567",
                "wwn-0x50014ee2b1234567"
            ])
        );
        assert_eq!(record.get("ID_SERIAL_SHORT"), Some("WD-WCC7K1234567"));
        assert_eq!(
            record.decoded("ID_MODEL_ENC").as_deref(),
            Some("WDC WD40EFRX-68N32N0")
        );
        assert_eq!(
            record.get("ID_PART_TABLE_TYPE"),
            None,
            "empty values count as absent"
        );
    }

    #[test]
    fn decode_leaves_malformed_escapes_alone() {
        assert_eq!(decode("a\\x20b\\x2"), "a b\\x2");
        assert_eq!(decode("\\xzz\\x41"), "\\xzzA");
    }

    #[test]
    fn model_and_serial_links_win_over_world_wide_names() {
        let qemu = links(&[
            "nvme-uuid.3b1e5c4a-8d7f-4f2e-9a6b-1c0d2e3f4a5b",
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000_1",
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
            "nvme-eui.5254000000000001",
        ]);
        assert_eq!(
            pick_id(&qemu).unwrap().as_str(),
            "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000"
        );
        let sata = links(&[
            "wwn-0x50014ee2b1234567",
            "ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1234567",
        ]);
        assert_eq!(
            pick_id(&sata).unwrap().as_str(),
            "ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1234567"
        );
        let sas = links(&["wwn-0x5000c500a1b2c3d7", "scsi-35000c500a1b2c3d7"]);
        assert_eq!(pick_id(&sas).unwrap().as_str(), "scsi-35000c500a1b2c3d7");
        let behind_sas = links(&[
            "scsi-SATA_ST4000VN008-2DR1_ZDH1A2B3",
            "ata-ST4000VN008-2DR166_ZDH1A2B3",
        ]);
        assert_eq!(
            pick_id(&behind_sas).unwrap().as_str(),
            "ata-ST4000VN008-2DR166_ZDH1A2B3"
        );
    }

    #[test]
    fn world_wide_name_is_used_when_nothing_better_exists() {
        let only = links(&["nvme-eui.002538541140a1b2"]);
        assert_eq!(
            pick_id(&only).unwrap().as_str(),
            "nvme-eui.002538541140a1b2"
        );
    }

    #[test]
    fn content_partition_and_invalid_links_never_name_a_disk() {
        assert_eq!(
            pick_id(&links(&["lvm-pv-uuid-AbCd-123", "ata-X_1-part1"])),
            None
        );
        assert_eq!(pick_id(&links(&["ata-bad name"])), None);
        assert_eq!(pick_id(&[]), None);
    }
}

//! GUID partition tables, written by hand so the builder needs no loop
//! device, no `sgdisk` and no root.
//!
//! [`GptImage::render`] produces the bytes of the protective MBR, the
//! primary GPT and the backup GPT for a [`Layout`]; the caller writes them at
//! their offsets.
//!
//! Why not the `gpt` crate (4.x) or `gptman`: both edit a table through a
//! handle on the whole disk (`Read + Write + Seek`) and bring their own
//! placement (first fit, their alignment) and, for `gpt`, random partition
//! GUIDs unless every entry is built by hand. Here the contract fixes the
//! order and [`Layout`] the places, and every GUID is derived from the
//! build id so the same inputs give the same `usb.img`; what is left to do
//! is two CRCs and a few fields, tested byte for byte below. Adapting a
//! crate would be more code than this, not less.

use ironstor_contract::PartitionRole;

use super::layout::{Layout, GPT_ENTRIES_SECTORS, SECTOR};

const ENTRY_SIZE: usize = 128;
const ENTRY_COUNT: usize = 128;
const HEADER_SIZE: u32 = 92;

/// A GUID in its 16-byte on-disk (mixed-endian) form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// Parses the canonical text form `01234567-89AB-CDEF-0123-456789ABCDEF`.
    pub fn parse(text: &str) -> Option<Guid> {
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 || text.len() != 36 {
            return None;
        }
        let b = hex::decode(hex).ok()?;
        let mut out = [0u8; 16];
        // The first three fields are little-endian on disk.
        out[0..4].copy_from_slice(&[b[3], b[2], b[1], b[0]]);
        out[4..6].copy_from_slice(&[b[5], b[4]]);
        out[6..8].copy_from_slice(&[b[7], b[6]]);
        out[8..16].copy_from_slice(&b[8..16]);
        Some(Guid(out))
    }

    /// A version-4-shaped GUID derived from a seed, so that the same build
    /// inputs give the same disk.
    pub fn derived(seed: &str) -> Guid {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(seed.as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&digest[..16]);
        b[7] = (b[7] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Guid(b)
    }

    /// The bytes in order as 8-4-4-4-12 hex, the way `mkfs.ext4 -U` takes a
    /// UUID (no GPT byte swapping: the file system stores it as given).
    pub fn uuid_text(&self) -> String {
        let h = hex::encode(self.0);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// Name and identity of one partition entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub role: PartitionRole,
    pub unique: Guid,
}

/// The three regions of a disk that hold partitioning data.
pub struct GptImage {
    /// LBA 0..=33: protective MBR (boot code area zero), header, entries.
    pub primary: Vec<u8>,
    /// The last 33 sectors: entries, then the backup header.
    pub backup: Vec<u8>,
    pub backup_offset: u64,
}

impl GptImage {
    pub fn render(layout: &Layout, disk_guid: Guid, entries: &[Entry]) -> GptImage {
        let mut table = vec![0u8; ENTRY_SIZE * ENTRY_COUNT];
        for (i, entry) in entries.iter().enumerate() {
            let placed = layout.get(entry.role);
            let e = &mut table[i * ENTRY_SIZE..(i + 1) * ENTRY_SIZE];
            let type_guid = Guid::parse(entry.role.type_guid()).expect("contract GUIDs parse");
            e[0..16].copy_from_slice(&type_guid.0);
            e[16..32].copy_from_slice(&entry.unique.0);
            e[32..40].copy_from_slice(&placed.first_lba.to_le_bytes());
            e[40..48].copy_from_slice(&placed.last_lba().to_le_bytes());
            for (j, unit) in entry.role.label().encode_utf16().take(36).enumerate() {
                e[56 + 2 * j..58 + 2 * j].copy_from_slice(&unit.to_le_bytes());
            }
        }
        let table_crc = crc32fast::hash(&table);
        let last_lba = layout.total_sectors - 1;
        let backup_entries_lba = last_lba - GPT_ENTRIES_SECTORS;

        let header = |current: u64, other: u64, entries_lba: u64| {
            let mut h = vec![0u8; SECTOR as usize];
            h[0..8].copy_from_slice(b"EFI PART");
            h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
            h[12..16].copy_from_slice(&HEADER_SIZE.to_le_bytes());
            h[24..32].copy_from_slice(&current.to_le_bytes());
            h[32..40].copy_from_slice(&other.to_le_bytes());
            h[40..48].copy_from_slice(&layout.first_usable_lba().to_le_bytes());
            h[48..56].copy_from_slice(&layout.last_usable_lba().to_le_bytes());
            h[56..72].copy_from_slice(&disk_guid.0);
            h[72..80].copy_from_slice(&entries_lba.to_le_bytes());
            h[80..84].copy_from_slice(&(ENTRY_COUNT as u32).to_le_bytes());
            h[84..88].copy_from_slice(&(ENTRY_SIZE as u32).to_le_bytes());
            h[88..92].copy_from_slice(&table_crc.to_le_bytes());
            let crc = crc32fast::hash(&h[..HEADER_SIZE as usize]);
            h[16..20].copy_from_slice(&crc.to_le_bytes());
            h
        };

        let mut primary = protective_mbr(layout.total_sectors);
        primary.extend(header(1, last_lba, 2));
        primary.extend(&table);
        let mut backup = table.clone();
        backup.extend(header(last_lba, 1, backup_entries_lba));
        GptImage {
            primary,
            backup,
            backup_offset: backup_entries_lba * SECTOR,
        }
    }
}

/// Sector 0: one partition of type 0xEE covering the disk, so MBR-only
/// tools leave it alone. The boot code area stays zero for GRUB's boot.img.
fn protective_mbr(total_sectors: u64) -> Vec<u8> {
    let mut mbr = vec![0u8; SECTOR as usize];
    let entry = &mut mbr[446..462];
    entry[1..4].copy_from_slice(&[0x00, 0x02, 0x00]); // CHS of LBA 1
    entry[4] = 0xee;
    entry[5..8].copy_from_slice(&[0xff, 0xff, 0xff]);
    entry[8..12].copy_from_slice(&1u32.to_le_bytes());
    let size = (total_sectors - 1).min(u32::MAX as u64) as u32;
    entry[12..16].copy_from_slice(&size.to_le_bytes());
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    mbr
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::layout::{Disk, Layout, MIB};
    use ironstor_contract::PARTITIONS;

    fn image() -> (Layout, GptImage) {
        let layout = Layout::for_disk(&Disk {
            esp_size: 64 * MIB,
            slot_size: 128 * MIB,
            data_size: 64 * MIB,
        });
        let entries: Vec<_> = PARTITIONS
            .iter()
            .map(|&role| Entry {
                role,
                unique: Guid::derived(role.label()),
            })
            .collect();
        let gpt = GptImage::render(&layout, Guid::derived("disk"), &entries);
        (layout, gpt)
    }

    #[test]
    fn guid_text_form_is_mixed_endian_on_disk() {
        let esp = Guid::parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B").unwrap();
        assert_eq!(
            esp.0,
            [
                0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e,
                0xc9, 0x3b
            ]
        );
        assert!(Guid::parse("not-a-guid").is_none());
    }

    #[test]
    fn headers_carry_valid_crcs_and_point_at_each_other() {
        let (layout, gpt) = image();
        assert_eq!(gpt.primary.len(), 34 * 512);
        assert_eq!(&gpt.primary[510..512], &[0x55, 0xaa]);
        assert_eq!(gpt.primary[446 + 4], 0xee);
        let primary = &gpt.primary[512..1024];
        let backup = &gpt.backup[gpt.backup.len() - 512..];
        for (h, current, alternate) in [
            (primary, 1, layout.total_sectors - 1),
            (backup, layout.total_sectors - 1, 1),
        ] {
            assert_eq!(&h[0..8], b"EFI PART");
            let mut copy = h[..92].to_vec();
            let stored = u32::from_le_bytes(copy[16..20].try_into().unwrap());
            copy[16..20].fill(0);
            assert_eq!(crc32fast::hash(&copy), stored);
            assert_eq!(u64::from_le_bytes(h[24..32].try_into().unwrap()), current);
            assert_eq!(u64::from_le_bytes(h[32..40].try_into().unwrap()), alternate);
        }
        let entries_crc = u32::from_le_bytes(primary[88..92].try_into().unwrap());
        assert_eq!(crc32fast::hash(&gpt.primary[1024..]), entries_crc);
        assert_eq!(
            gpt.backup_offset + gpt.backup.len() as u64,
            layout.total_bytes()
        );
    }

    #[test]
    fn entries_hold_labels_and_ranges() {
        let (layout, gpt) = image();
        let data = PartitionRole::Data;
        let e = &gpt.primary[1024 + 4 * 128..1024 + 5 * 128];
        assert_eq!(&e[0..16], &Guid::parse(data.type_guid()).unwrap().0);
        let first = u64::from_le_bytes(e[32..40].try_into().unwrap());
        assert_eq!(first, layout.get(data).first_lba);
        let name: Vec<u16> = e[56..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .collect();
        assert_eq!(String::from_utf16(&name).unwrap(), "ironstor-data");
    }
}

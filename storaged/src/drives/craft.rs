//! Test support: the on-disk structures the probe looks for, built from
//! their specifications' offsets, so tests can lay them into byte buffers
//! and into sparse device files.

const SECTOR: usize = 512;

fn sector() -> Vec<u8> {
    vec![0; SECTOR]
}

/// A GPT header, written at LBA 1.
pub fn gpt_header() -> Vec<u8> {
    let mut b = sector();
    b[0..8].copy_from_slice(b"EFI PART");
    b[8..12].copy_from_slice(&[0, 0, 1, 0]); // revision 1.0
    b[12..16].copy_from_slice(&92u32.to_le_bytes()); // header size
    b[24..32].copy_from_slice(&1u64.to_le_bytes()); // this LBA
    b[72..80].copy_from_slice(&2u64.to_le_bytes()); // entries LBA
    b[80..84].copy_from_slice(&128u32.to_le_bytes()); // entry count
    b[84..88].copy_from_slice(&128u32.to_le_bytes()); // entry size
    b
}

/// A DOS partition table with one entry of type `kind` (0xEE: the
/// protective MBR in front of a GPT).
pub fn mbr(kind: u8) -> Vec<u8> {
    let mut b = sector();
    let entry = 446;
    b[entry + 4] = kind;
    b[entry + 8..entry + 12].copy_from_slice(&2048u32.to_le_bytes());
    b[entry + 12..entry + 16].copy_from_slice(&0x0010_0000u32.to_le_bytes());
    b[510] = 0x55;
    b[511] = 0xaa;
    b
}

/// An ext4 superblock, written at byte 1024.
pub fn ext4_superblock() -> Vec<u8> {
    let mut b = vec![0; 1024];
    b[24..28].copy_from_slice(&2u32.to_le_bytes()); // log block size: 4 KiB
    b[56..58].copy_from_slice(&0xef53u16.to_le_bytes());
    b
}

pub fn xfs_superblock() -> Vec<u8> {
    let mut b = sector();
    b[0..4].copy_from_slice(b"XFSB");
    b[4..8].copy_from_slice(&4096u32.to_be_bytes());
    b
}

pub fn fat32_boot_sector() -> Vec<u8> {
    let mut b = sector();
    b[0..3].copy_from_slice(&[0xeb, 0x58, 0x90]);
    b[3..11].copy_from_slice(b"mkfs.fat");
    b[11..13].copy_from_slice(&512u16.to_le_bytes());
    b[82..90].copy_from_slice(b"FAT32   ");
    // Boot code where a partition table would be: not partition entries.
    b[446..510].fill(0xcd);
    b[510] = 0x55;
    b[511] = 0xaa;
    b
}

pub fn ntfs_boot_sector() -> Vec<u8> {
    let mut b = sector();
    b[0..3].copy_from_slice(&[0xeb, 0x52, 0x90]);
    b[3..11].copy_from_slice(b"NTFS    ");
    b[446..510].fill(0x33);
    b[510] = 0x55;
    b[511] = 0xaa;
    b
}

/// An LVM2 label, written in the second sector as pvcreate does.
pub fn lvm2_label() -> Vec<u8> {
    let mut b = sector();
    b[0..8].copy_from_slice(b"LABELONE");
    b[8..16].copy_from_slice(&1u64.to_le_bytes());
    b[20..24].copy_from_slice(&32u32.to_le_bytes());
    b[24..32].copy_from_slice(b"LVM2 001");
    b
}

/// Which parts of a ZFS vdev label to fill in.
#[derive(Clone, Copy)]
pub enum ZfsLabel {
    /// Uberblocks in the given byte order, and the nvlist.
    Full { big_endian: bool },
    /// Only uberblocks, little endian.
    UberblocksOnly,
    /// Only the packed nvlist (a pool whose uberblock ring was zeroed).
    NvlistOnly,
}

/// One 256 KiB ZFS vdev label.
pub fn zfs_label(kind: ZfsLabel) -> Vec<u8> {
    let mut b = vec![0; 256 * 1024];
    let (nvlist, uberblocks, big_endian) = match kind {
        ZfsLabel::Full { big_endian } => (true, true, big_endian),
        ZfsLabel::UberblocksOnly => (false, true, false),
        ZfsLabel::NvlistOnly => (true, false, false),
    };
    if nvlist {
        // XDR-encoded pairs: each name as a length-prefixed string.
        let mut o = 16 * 1024 + 16;
        for name in ["version", "name", "state", "txg", "pool_guid", "guid"] {
            b[o..o + 4].copy_from_slice(&(name.len() as u32).to_be_bytes());
            b[o + 4..o + 4 + name.len()].copy_from_slice(name.as_bytes());
            o += 4 + name.len().next_multiple_of(4) + 24;
        }
    }
    if uberblocks {
        for slot in [0usize, 3, 17] {
            let o = 128 * 1024 + slot * 1024;
            let magic: u64 = 0x00ba_b10c;
            let bytes = if big_endian {
                magic.to_be_bytes()
            } else {
                magic.to_le_bytes()
            };
            b[o..o + 8].copy_from_slice(&bytes);
            b[o + 8..o + 16].copy_from_slice(&5000u64.to_le_bytes()); // version
            b[o + 16..o + 24].copy_from_slice(&(slot as u64 + 40).to_le_bytes());
            // txg
        }
    }
    b
}

/// A DDF anchor header, written in the last sector.
pub fn ddf_anchor() -> Vec<u8> {
    let mut b = sector();
    b[0..4].copy_from_slice(&0xde11_de11u32.to_be_bytes());
    b[8..16].copy_from_slice(b"02.00.00");
    b[0xe4..0xe8].fill(0xff); // "this is the anchor"
    b
}

/// An Intel IMSM metadata block, written in the second-to-last sector.
pub fn imsm_mpb() -> Vec<u8> {
    let mut b = sector();
    b[0..32].copy_from_slice(b"Intel Raid ISM Cfg Sig. 1.3.00\0\0");
    b
}

/// `bytes` placed at `offset` of a zeroed buffer of `len` bytes.
pub fn placed(len: usize, parts: &[(usize, &[u8])]) -> Vec<u8> {
    let mut b = vec![0; len];
    for (offset, bytes) in parts {
        b[*offset..offset + bytes.len()].copy_from_slice(bytes);
    }
    b
}

//! On-disk signatures that mean "something already lives here".
//!
//! [`probe`] is a pure function over a disk's first and last bytes, so it
//! is tested with byte buffers; [`read_sample`] is the small reader that
//! fetches those bytes through the `/dev` root. Like `blkid -p` and
//! `wipefs`, but reduced to what decides whether a disk is free.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::Serialize;

const KIB: usize = 1024;
/// Both front ZFS labels (2 × 256 KiB); covers every other head signature.
pub const HEAD_LEN: usize = 512 * KIB;
/// Both back ZFS labels end at the size rounded down to 256 KiB, so the
/// last 768 KiB always hold them, as well as the DDF and IMSM sectors.
pub const TAIL_LEN: usize = 768 * KIB;

const ZFS_LABEL: usize = 256 * KIB;
const ZFS_NVLIST: std::ops::Range<usize> = 16 * KIB..128 * KIB;
const ZFS_UBERBLOCKS: std::ops::Range<usize> = 128 * KIB..256 * KIB;
/// Uberblock slots are at least 1 KiB apart (`UBERBLOCK_SHIFT` ≥ 10).
const ZFS_UBERBLOCK_STEP: usize = KIB;
const ZFS_UBERBLOCK_MAGIC: u64 = 0x00ba_b10c;
const DDF_MAGIC: [u8; 4] = [0xde, 0x11, 0xde, 0x11];
const IMSM_SIGNATURE: &[u8] = b"Intel Raid ISM Cfg Sig. ";

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
#[schemars(rename = "DiskSignature")]
#[serde(rename_all = "kebab-case")]
pub enum Signature {
    /// `EFI PART` header at LBA 1.
    Gpt,
    /// A DOS partition table: 0x55AA and at least one used entry.
    Mbr,
    /// ext2/3/4 superblock magic 0xEF53.
    Ext,
    /// XFS superblock `XFSB`.
    Xfs,
    /// FAT12/16/32 or exFAT boot sector.
    Fat,
    /// NTFS boot sector.
    Ntfs,
    /// LVM2 physical volume label.
    Lvm2,
    /// A ZFS vdev label (uberblocks or the label's nvlist).
    Zfs,
    /// SNIA DDF anchor in the last sector: LSI, Adaptec, Dell and HPE
    /// firmware RAID.
    Ddf,
    /// Intel Matrix Storage (RST) metadata in the second-to-last sector.
    Imsm,
}

impl Signature {
    pub fn is_raid_metadata(self) -> bool {
        matches!(self, Signature::Ddf | Signature::Imsm)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signature::Gpt => "a GPT partition table",
            Signature::Mbr => "a DOS (MBR) partition table",
            Signature::Ext => "an ext2/3/4 file system",
            Signature::Xfs => "an XFS file system",
            Signature::Fat => "a FAT file system",
            Signature::Ntfs => "an NTFS file system",
            Signature::Lvm2 => "an LVM2 physical volume label",
            Signature::Zfs => "a ZFS pool label",
            Signature::Ddf => "DDF RAID metadata",
            Signature::Imsm => "Intel IMSM (RST) RAID metadata",
        })
    }
}

/// The bytes [`probe`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// The first bytes of the device, up to [`HEAD_LEN`].
    pub head: &'a [u8],
    /// The last bytes of the device, up to [`TAIL_LEN`]; may be empty (a
    /// partition is probed by its head only).
    pub tail: &'a [u8],
    /// The device's size in bytes.
    pub size: u64,
    /// The logical block size; LBA 1 and "the last sector" depend on it.
    pub sector_size: u32,
}

impl Sample<'_> {
    /// `len` bytes at `offset` from the device's start, if the sample has
    /// them.
    fn at(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let end = offset.checked_add(len as u64)?;
        if end <= self.head.len() as u64 {
            return self.head.get(offset as usize..end as usize);
        }
        let tail_start = self.size.checked_sub(self.tail.len() as u64)?;
        if offset >= tail_start && end <= self.size {
            let o = (offset - tail_start) as usize;
            return self.tail.get(o..o + len);
        }
        None
    }

    fn has(&self, offset: u64, want: &[u8]) -> bool {
        self.at(offset, want.len()) == Some(want)
    }

    /// Sector sizes to try: the device's own, and 512 because tools write
    /// 512-byte layouts onto 4Kn disks too.
    fn sectors(&self) -> Vec<u64> {
        let mut s = vec![u64::from(self.sector_size.max(512))];
        if s[0] != 512 {
            s.push(512);
        }
        s
    }
}

/// Every signature found, in [`Signature`] order.
pub fn probe(s: &Sample) -> Vec<Signature> {
    let mut found = Vec::new();
    let gpt = s.sectors().iter().any(|&sector| s.has(sector, b"EFI PART"));
    if gpt {
        found.push(Signature::Gpt);
    }
    let boot_sector = s.has(510, &[0x55, 0xaa]);
    let fat = boot_sector
        && (s.has(54, b"FAT12   ")
            || s.has(54, b"FAT16   ")
            || s.has(54, b"FAT     ")
            || s.has(82, b"FAT32   ")
            || s.has(3, b"EXFAT   "));
    let ntfs = s.has(3, b"NTFS    ");
    // A FAT or NTFS boot sector also ends in 0x55AA, and its boot code sits
    // where partition entries would be; a GPT's protective MBR is the GPT.
    if boot_sector && !gpt && !fat && !ntfs && mbr_has_entry(s) {
        found.push(Signature::Mbr);
    }
    if s.has(1024 + 56, &[0x53, 0xef]) {
        found.push(Signature::Ext);
    }
    if s.has(0, b"XFSB") {
        found.push(Signature::Xfs);
    }
    if fat {
        found.push(Signature::Fat);
    }
    if ntfs {
        found.push(Signature::Ntfs);
    }
    // pvcreate writes the label into one of the first four 512-byte sectors.
    if (0..4u64).any(|n| s.has(n * 512, b"LABELONE") && s.has(n * 512 + 24, b"LVM2 001")) {
        found.push(Signature::Lvm2);
    }
    if zfs_label_offsets(s.size).any(|label| zfs_label_at(s, label)) {
        found.push(Signature::Zfs);
    }
    let from_end = |n: u64| s.size.checked_sub(n);
    if s.sectors()
        .iter()
        .any(|&sector| from_end(sector).is_some_and(|o| s.has(o, &DDF_MAGIC)))
    {
        found.push(Signature::Ddf);
    }
    if s.sectors()
        .iter()
        .any(|&sector| from_end(2 * sector).is_some_and(|o| s.has(o, IMSM_SIGNATURE)))
    {
        found.push(Signature::Imsm);
    }
    found
}

fn mbr_has_entry(s: &Sample) -> bool {
    (0..4u64).any(|i| {
        let entry = 446 + 16 * i;
        s.at(entry + 4, 1).is_some_and(|kind| kind[0] != 0)
    })
}

/// Where ZFS puts its four labels: two at the front, two at the end of the
/// size rounded down to a whole label (`vdev_label_offset()`).
fn zfs_label_offsets(size: u64) -> impl Iterator<Item = u64> {
    let label = ZFS_LABEL as u64;
    let aligned = size / label * label;
    let back = aligned.checked_sub(2 * label);
    [Some(0), Some(label), back, back.map(|b| b + label)]
        .into_iter()
        .flatten()
        .filter(move |&o| o + label <= size)
}

fn zfs_label_at(s: &Sample, label: u64) -> bool {
    let uberblock = ZFS_UBERBLOCKS.step_by(ZFS_UBERBLOCK_STEP).any(|o| {
        s.at(label + o as u64, 8).is_some_and(|b| {
            let b: [u8; 8] = b.try_into().expect("eight bytes");
            u64::from_le_bytes(b) == ZFS_UBERBLOCK_MAGIC
                || u64::from_be_bytes(b) == ZFS_UBERBLOCK_MAGIC
        })
    });
    // The label's packed nvlist names its pool by guid; a label whose
    // uberblocks were never written (or were zeroed) still has it.
    let nvlist = s
        .at(label + ZFS_NVLIST.start as u64, ZFS_NVLIST.len())
        .is_some_and(|b| b.windows(9).any(|w| w == b"pool_guid"));
    uberblock || nvlist
}

/// The head (and, with `with_tail`, the tail) of `size` bytes starting at
/// `offset` of the device file at `path`: a whole disk at offset 0, or a
/// partition at its start.
pub fn read_sample(
    path: &Path,
    offset: u64,
    size: u64,
    with_tail: bool,
) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let file = File::open(path)?;
    let read = |at: u64, len: usize| -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len];
        file.read_exact_at(&mut buf, offset + at)?;
        Ok(buf)
    };
    let head_len = size.min(HEAD_LEN as u64) as usize;
    let head = read(0, head_len)?;
    let tail = if with_tail {
        let tail_len = size.min(TAIL_LEN as u64);
        read(size - tail_len, tail_len as usize)?
    } else {
        Vec::new()
    };
    Ok((head, tail))
}

#[cfg(test)]
mod tests;

//! The partition table of an ironstor boot medium.
//!
//! The order is part of the contract: GRUB finds the slots relative to the
//! ESP, and storaged finds the inactive slot by label.

/// What a partition of the boot medium is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartitionRole {
    /// GRUB's `i386-pc` core image, for legacy BIOS machines (HPE Gen8).
    BiosBoot,
    /// FAT ESP: GRUB for UEFI, `grub.cfg`, `grubenv`, kernels and initrds.
    Esp,
    /// squashfs root of slot A.
    RootA,
    /// squashfs root of slot B.
    RootB,
    /// ext4 mounted at `/var`, grown to fill the medium on first boot.
    Data,
}

/// Every partition, in on-disk order (partition number = index + 1).
pub const PARTITIONS: [PartitionRole; 5] = [
    PartitionRole::BiosBoot,
    PartitionRole::Esp,
    PartitionRole::RootA,
    PartitionRole::RootB,
    PartitionRole::Data,
];

impl PartitionRole {
    /// GPT partition name (what `/dev/disk/by-partlabel/` shows).
    pub const fn label(self) -> &'static str {
        match self {
            PartitionRole::BiosBoot => "ironstor-bios",
            PartitionRole::Esp => "ironstor-esp",
            PartitionRole::RootA => "ironstor-root-a",
            PartitionRole::RootB => "ironstor-root-b",
            PartitionRole::Data => "ironstor-data",
        }
    }

    /// GPT partition type GUID, in the canonical mixed-endian text form.
    pub fn type_guid(self) -> &'static str {
        match self {
            PartitionRole::BiosBoot => "21686148-6449-6E6F-744E-656564454649",
            PartitionRole::Esp => "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
            // Linux root (x86-64), from the Discoverable Partitions Spec.
            PartitionRole::RootA | PartitionRole::RootB => "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709",
            // Linux /var, from the Discoverable Partitions Spec.
            PartitionRole::Data => "4D21B016-B534-45C2-A9FB-5C16E091FD2D",
        }
    }

    /// 1-based partition number.
    pub fn number(self) -> u32 {
        PARTITIONS.iter().position(|p| *p == self).expect("listed") as u32 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_numbers_follow_the_table_order() {
        assert_eq!(PartitionRole::BiosBoot.number(), 1);
        assert_eq!(PartitionRole::Esp.number(), 2);
        assert_eq!(PartitionRole::Data.number(), 5);
    }

    #[test]
    fn labels_are_unique() {
        let mut labels: Vec<_> = PARTITIONS.iter().map(|p| p.label()).collect();
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), PARTITIONS.len());
    }
}

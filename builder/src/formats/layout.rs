//! Disk layout arithmetic: where each partition of the boot medium starts
//! and ends. Pure: no I/O.

use ironstor_contract::{PartitionRole, PARTITIONS};

pub const MIB: u64 = 1024 * 1024;

/// The sizes of the partitions a profile chooses (its `[disk]` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disk {
    pub esp_size: u64,
    pub slot_size: u64,
    pub data_size: u64,
}

pub const SECTOR: u64 = 512;
/// Partitions start on 1 MiB boundaries, as every partitioning tool does;
/// flash media erase in blocks of that order.
pub const ALIGN_SECTORS: u64 = MIB / SECTOR;
/// The BIOS boot partition only holds GRUB's core image (~200 KiB).
pub const BIOS_BOOT_SIZE: u64 = MIB;
/// Sectors the GPT takes at each end: the header (1) and 128 entries of
/// 128 bytes (32).
pub const GPT_ENTRIES_SECTORS: u64 = 32;

/// One partition's place on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub role: PartitionRole,
    pub first_lba: u64,
    pub sectors: u64,
}

impl Placed {
    pub fn last_lba(&self) -> u64 {
        self.first_lba + self.sectors - 1
    }
    pub fn offset(&self) -> u64 {
        self.first_lba * SECTOR
    }
    pub fn bytes(&self) -> u64 {
        self.sectors * SECTOR
    }
}

/// Where everything goes on a boot medium of a given profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub partitions: Vec<Placed>,
    pub total_sectors: u64,
}

impl Layout {
    pub fn for_disk(disk: &Disk) -> Layout {
        let mut next = ALIGN_SECTORS;
        let partitions = PARTITIONS
            .iter()
            .map(|&role| {
                let bytes = match role {
                    PartitionRole::BiosBoot => BIOS_BOOT_SIZE,
                    PartitionRole::Esp => disk.esp_size,
                    PartitionRole::RootA | PartitionRole::RootB => disk.slot_size,
                    PartitionRole::Data => disk.data_size,
                };
                let sectors = bytes.div_ceil(SECTOR).div_ceil(ALIGN_SECTORS) * ALIGN_SECTORS;
                let placed = Placed {
                    role,
                    first_lba: next,
                    sectors,
                };
                next += sectors;
                placed
            })
            .collect();
        // One aligned MiB at the end holds the backup GPT (33 sectors) and
        // keeps the disk a whole number of MiB.
        Layout {
            partitions,
            total_sectors: next + ALIGN_SECTORS,
        }
    }

    pub fn total_bytes(&self) -> u64 {
        self.total_sectors * SECTOR
    }

    pub fn get(&self, role: PartitionRole) -> &Placed {
        self.partitions
            .iter()
            .find(|p| p.role == role)
            .expect("every role is placed")
    }

    /// First LBA partitions may use (after the primary GPT).
    pub fn first_usable_lba(&self) -> u64 {
        2 + GPT_ENTRIES_SECTORS
    }

    /// Last LBA partitions may use (before the backup GPT).
    pub fn last_usable_lba(&self) -> u64 {
        self.total_sectors - 2 - GPT_ENTRIES_SECTORS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::for_disk(&Disk {
            esp_size: 128 * MIB,
            slot_size: 600 * MIB,
            data_size: 256 * MIB,
        })
    }

    #[test]
    fn partitions_are_aligned_contiguous_and_in_contract_order() {
        let l = layout();
        let roles: Vec<_> = l.partitions.iter().map(|p| p.role).collect();
        assert_eq!(roles, PARTITIONS);
        assert_eq!(l.partitions[0].first_lba, 2048);
        for pair in l.partitions.windows(2) {
            assert_eq!(pair[0].last_lba() + 1, pair[1].first_lba);
        }
        for p in &l.partitions {
            assert_eq!(p.first_lba % ALIGN_SECTORS, 0, "{:?} unaligned", p.role);
            assert!(p.first_lba >= l.first_usable_lba());
            assert!(p.last_lba() <= l.last_usable_lba());
        }
    }

    #[test]
    fn sizes_add_up_with_one_mib_at_each_end() {
        let l = layout();
        assert_eq!(l.get(PartitionRole::BiosBoot).bytes(), MIB);
        assert_eq!(l.get(PartitionRole::Esp).bytes(), 128 * MIB);
        assert_eq!(
            l.get(PartitionRole::RootB).offset(),
            (1 + 1 + 128 + 600) * MIB
        );
        assert_eq!(l.total_bytes(), (1 + 1 + 128 + 600 + 600 + 256 + 1) * MIB);
        // The backup GPT fits after the last partition.
        assert!(l.get(PartitionRole::Data).last_lba() + 33 < l.total_sectors);
    }
}

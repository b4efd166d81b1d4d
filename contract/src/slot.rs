//! The two root slots and how the booted one is named on the kernel command
//! line.

use std::fmt;
use std::str::FromStr;

use crate::PartitionRole;

/// Kernel command-line parameter that carries the slot GRUB booted.
pub const CMDLINE_SLOT_KEY: &str = "ironstor.slot";

/// Kernel command-line flag GRUB adds when it boots `next` on trial (not
/// when it boots `active`): the bless deadline applies only to such boots.
pub const CMDLINE_TRIAL_FLAG: &str = "ironstor.trial";

/// The `ironstor.slot=` value of an appliance booted from the network: its
/// root comes from the PXE server, which is also where its upgrades happen.
pub const CMDLINE_NETWORK: &str = "net";

/// Where the running system booted from, by its kernel command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booted {
    Slot(Slot),
    Network,
    /// No (or an unknown) `ironstor.slot=`: not an ironstor boot medium.
    Unknown,
}

impl Booted {
    pub fn from_cmdline(cmdline: &str) -> Booted {
        let value = cmdline
            .split_whitespace()
            .filter_map(|word| word.strip_prefix(CMDLINE_SLOT_KEY)?.strip_prefix('='))
            .next_back();
        match value {
            Some(CMDLINE_NETWORK) => Booted::Network,
            Some(v) => v.parse().map_or(Booted::Unknown, Booted::Slot),
            None => Booted::Unknown,
        }
    }
}

/// One of the two A/B root slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    A,
    B,
}

impl Slot {
    pub const ALL: [Slot; 2] = [Slot::A, Slot::B];

    /// The lowercase name used in `grubenv`, on the command line and as the
    /// slot's directory on the ESP.
    pub fn name(self) -> &'static str {
        match self {
            Slot::A => "a",
            Slot::B => "b",
        }
    }

    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    /// The partition that holds this slot's root file system.
    pub fn root_partition(self) -> PartitionRole {
        match self {
            Slot::A => PartitionRole::RootA,
            Slot::B => PartitionRole::RootB,
        }
    }

    /// The slot named by `ironstor.slot=` in a kernel command line, if any.
    pub fn from_cmdline(cmdline: &str) -> Option<Slot> {
        cmdline
            .split_whitespace()
            .filter_map(|word| word.strip_prefix(CMDLINE_SLOT_KEY)?.strip_prefix('='))
            .next_back()
            .and_then(|value| value.parse().ok())
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown slot {0:?}: expected \"a\" or \"b\"")]
pub struct UnknownSlot(pub String);

impl FromStr for Slot {
    type Err = UnknownSlot;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "a" | "A" => Ok(Slot::A),
            "b" | "B" => Ok(Slot::B),
            other => Err(UnknownSlot(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_is_read_from_the_kernel_command_line() {
        let cmdline =
            "BOOT_IMAGE=/a/vmlinuz root=PARTLABEL=ironstor-root-b ro ironstor.slot=b quiet";
        assert_eq!(Slot::from_cmdline(cmdline), Some(Slot::B));
        assert_eq!(Slot::from_cmdline("ro quiet"), None);
        assert_eq!(Slot::from_cmdline("ironstor.slot=c"), None);
        assert_eq!(Slot::from_cmdline("ironstor.slotx=a"), None);
        assert_eq!(Booted::from_cmdline(cmdline), Booted::Slot(Slot::B));
        assert_eq!(
            Booted::from_cmdline("ro ironstor.slot=net"),
            Booted::Network
        );
        assert_eq!(Booted::from_cmdline("ro"), Booted::Unknown);
    }

    #[test]
    fn slots_map_to_their_root_partitions() {
        assert_eq!(Slot::A.root_partition(), PartitionRole::RootA);
        assert_eq!(Slot::B.root_partition(), PartitionRole::RootB);
        assert_eq!(Slot::A.other(), Slot::B);
    }
}

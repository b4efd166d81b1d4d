//! Typed values of the ZFS properties and states this module reads and
//! writes, spelled on the wire exactly as `zfs`/`zpool` spell them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Serialize as the `Display` string, deserialize through `FromStr`: the
/// API shows the value exactly as `zfs get` would.
macro_rules! serde_as_str {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The value was not one `zfs`/`zpool` prints for this property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {property}")]
pub struct BadValue {
    pub property: &'static str,
    pub value: String,
}

fn bad(property: &'static str, value: &str) -> BadValue {
    BadValue {
        property,
        value: value.to_string(),
    }
}

/// How the disks of a new pool are arranged: one top-level vdev.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Every disk adds capacity; any one failing loses the pool.
    Stripe,
    /// Every disk holds a full copy.
    Mirror,
    Raidz1,
    Raidz2,
    Raidz3,
}

impl Layout {
    pub const ALL: [Layout; 5] = [
        Layout::Stripe,
        Layout::Mirror,
        Layout::Raidz1,
        Layout::Raidz2,
        Layout::Raidz3,
    ];

    /// The fewest disks `zpool create` (and good sense) accepts.
    pub fn min_disks(self) -> usize {
        match self {
            Layout::Stripe => 1,
            Layout::Mirror => 2,
            Layout::Raidz1 => 3,
            Layout::Raidz2 => 4,
            Layout::Raidz3 => 5,
        }
    }

    /// How many disks can fail without losing data, for `disks` disks.
    pub fn tolerated_failures(self, disks: usize) -> usize {
        match self {
            Layout::Stripe => 0,
            Layout::Mirror => disks.saturating_sub(1),
            Layout::Raidz1 => 1,
            Layout::Raidz2 => 2,
            Layout::Raidz3 => 3,
        }
    }

    /// The vdev keyword on the `zpool create` line (none for a stripe).
    pub fn vdev_keyword(self) -> Option<&'static str> {
        match self {
            Layout::Stripe => None,
            Layout::Mirror => Some("mirror"),
            Layout::Raidz1 => Some("raidz1"),
            Layout::Raidz2 => Some("raidz2"),
            Layout::Raidz3 => Some("raidz3"),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.vdev_keyword().unwrap_or("stripe"))
    }
}

/// The `compression` property: every value OpenZFS 2.3 accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    Off,
    /// The pool's default algorithm (lz4 on current pools).
    On,
    Lz4,
    Zle,
    Lzjb,
    /// `gzip` (level 6) or `gzip-1` … `gzip-9`.
    Gzip(Option<u8>),
    /// `zstd` (level 3) or `zstd-1` … `zstd-19`.
    Zstd(Option<u8>),
    /// `zstd-fast` or `zstd-fast-N`, N in 1…10, 20, 30 … 100, 500, 1000.
    ZstdFast(Option<u16>),
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::Off => f.write_str("off"),
            Compression::On => f.write_str("on"),
            Compression::Lz4 => f.write_str("lz4"),
            Compression::Zle => f.write_str("zle"),
            Compression::Lzjb => f.write_str("lzjb"),
            Compression::Gzip(None) => f.write_str("gzip"),
            Compression::Gzip(Some(n)) => write!(f, "gzip-{n}"),
            Compression::Zstd(None) => f.write_str("zstd"),
            Compression::Zstd(Some(n)) => write!(f, "zstd-{n}"),
            Compression::ZstdFast(None) => f.write_str("zstd-fast"),
            Compression::ZstdFast(Some(n)) => write!(f, "zstd-fast-{n}"),
        }
    }
}

impl FromStr for Compression {
    type Err = BadValue;
    fn from_str(s: &str) -> Result<Self, BadValue> {
        let level = |rest: &str, ok: &dyn Fn(u16) -> bool| -> Result<u16, BadValue> {
            rest.parse::<u16>()
                .ok()
                .filter(|n| ok(*n))
                .ok_or_else(|| bad("compression", s))
        };
        Ok(match s {
            "off" => Compression::Off,
            "on" => Compression::On,
            "lz4" => Compression::Lz4,
            "zle" => Compression::Zle,
            "lzjb" => Compression::Lzjb,
            "gzip" => Compression::Gzip(None),
            "zstd" => Compression::Zstd(None),
            "zstd-fast" => Compression::ZstdFast(None),
            _ => {
                if let Some(rest) = s.strip_prefix("zstd-fast-") {
                    let n = level(rest, &|n| {
                        (1..=10).contains(&n) || (n <= 100 && n % 10 == 0) || n == 500 || n == 1000
                    })?;
                    Compression::ZstdFast(Some(n))
                } else if let Some(rest) = s.strip_prefix("zstd-") {
                    Compression::Zstd(Some(level(rest, &|n| (1..=19).contains(&n))? as u8))
                } else if let Some(rest) = s.strip_prefix("gzip-") {
                    Compression::Gzip(Some(level(rest, &|n| (1..=9).contains(&n))? as u8))
                } else {
                    return Err(bad("compression", s));
                }
            }
        })
    }
}

serde_as_str!(Compression);

/// The `sync` property. `Disabled` acknowledges writes before they are on
/// stable storage: never for VM storage.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    #[default]
    Standard,
    Always,
    Disabled,
}

impl fmt::Display for SyncMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncMode::Standard => "standard",
            SyncMode::Always => "always",
            SyncMode::Disabled => "disabled",
        })
    }
}

impl FromStr for SyncMode {
    type Err = BadValue;
    fn from_str(s: &str) -> Result<Self, BadValue> {
        match s {
            "standard" => Ok(SyncMode::Standard),
            "always" => Ok(SyncMode::Always),
            "disabled" => Ok(SyncMode::Disabled),
            _ => Err(bad("sync", s)),
        }
    }
}

/// The `volmode` property. storaged sets `dev` on every zvol so the
/// appliance never probes partitions inside guest disks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VolMode {
    Default,
    Full,
    Geom,
    Dev,
    None,
}

impl fmt::Display for VolMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VolMode::Default => "default",
            VolMode::Full => "full",
            VolMode::Geom => "geom",
            VolMode::Dev => "dev",
            VolMode::None => "none",
        })
    }
}

impl FromStr for VolMode {
    type Err = BadValue;
    fn from_str(s: &str) -> Result<Self, BadValue> {
        match s {
            "default" => Ok(VolMode::Default),
            "full" => Ok(VolMode::Full),
            "geom" => Ok(VolMode::Geom),
            "dev" => Ok(VolMode::Dev),
            "none" => Ok(VolMode::None),
            _ => Err(bad("volmode", s)),
        }
    }
}

/// A filesystem dataset or a zvol (the `type` column of `zfs list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    Filesystem,
    Volume,
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatasetKind::Filesystem => "filesystem",
            DatasetKind::Volume => "volume",
        })
    }
}

impl FromStr for DatasetKind {
    type Err = BadValue;
    fn from_str(s: &str) -> Result<Self, BadValue> {
        match s {
            "filesystem" => Ok(DatasetKind::Filesystem),
            "volume" => Ok(DatasetKind::Volume),
            _ => Err(bad("type", s)),
        }
    }
}

/// The health of a pool or the state of a vdev, as `zpool` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Health {
    Online,
    Degraded,
    Faulted,
    Offline,
    Removed,
    /// `UNAVAIL`, and `CANT_OPEN` in JSON vdev states.
    Unavail,
    Suspended,
    /// A hot spare that is free.
    Avail,
    /// A hot spare in use.
    InUse,
    /// A state this version does not know, kept verbatim.
    Other(String),
}

impl Health {
    pub fn is_online(&self) -> bool {
        *self == Health::Online
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Health::Online => "ONLINE",
            Health::Degraded => "DEGRADED",
            Health::Faulted => "FAULTED",
            Health::Offline => "OFFLINE",
            Health::Removed => "REMOVED",
            Health::Unavail => "UNAVAIL",
            Health::Suspended => "SUSPENDED",
            Health::Avail => "AVAIL",
            Health::InUse => "INUSE",
            Health::Other(s) => s,
        })
    }
}

impl FromStr for Health {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "ONLINE" => Health::Online,
            "DEGRADED" => Health::Degraded,
            "FAULTED" => Health::Faulted,
            "OFFLINE" => Health::Offline,
            "REMOVED" => Health::Removed,
            "UNAVAIL" | "CANT_OPEN" => Health::Unavail,
            "SUSPENDED" => Health::Suspended,
            "AVAIL" => Health::Avail,
            "INUSE" => Health::InUse,
            other => Health::Other(other.to_string()),
        })
    }
}

serde_as_str!(Health);

/// Why a warning was given, for the UI to pick an icon or a help page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A stripe: one failed disk loses every byte of the pool.
    NoRedundancy,
    /// A sparse zvol: the pool can be over-committed.
    ThinProvisioned,
    /// `sync=disabled`: acknowledged writes can be lost.
    SyncDisabled,
}

/// Something the operation did that the admin must know about, in plain
/// words. Returned beside the result, never instead of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
}

impl Warning {
    pub fn no_redundancy(pool: &str, disks: usize) -> Self {
        let message = if disks == 1 {
            format!("pool {pool} is a single disk with no redundancy: if that disk fails, all data in the pool is lost")
        } else {
            format!("pool {pool} stripes {disks} disks with no redundancy: if any one of them fails, all data in the pool is lost")
        };
        Warning {
            kind: WarningKind::NoRedundancy,
            message,
        }
    }

    pub fn thin_provisioned(zvol: &str) -> Self {
        Warning {
            kind: WarningKind::ThinProvisioned,
            message: format!("zvol {zvol} is sparse (thin): its space is not reserved, so the pool can be over-committed; if the pool fills up, writes to it fail and the VMs on it can be corrupted"),
        }
    }

    pub fn sync_disabled(dataset: &str) -> Self {
        Warning {
            kind: WarningKind::SyncDisabled,
            message: format!("{dataset} has sync=disabled: writes are acknowledged before they are on disk, so a power loss or crash loses them; never use it for VM storage"),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_round_trips_every_spelling() {
        for s in [
            "off",
            "on",
            "lz4",
            "zle",
            "lzjb",
            "gzip",
            "gzip-1",
            "gzip-9",
            "zstd",
            "zstd-3",
            "zstd-19",
            "zstd-fast",
            "zstd-fast-1",
            "zstd-fast-10",
            "zstd-fast-50",
            "zstd-fast-1000",
        ] {
            let c: Compression = s.parse().unwrap();
            assert_eq!(c.to_string(), s);
        }
        for s in [
            "",
            "LZ4",
            "gzip-0",
            "gzip-10",
            "zstd-20",
            "zstd-fast-11",
            "brotli",
        ] {
            assert!(s.parse::<Compression>().is_err(), "{s:?}");
        }
    }

    #[test]
    fn values_serialize_as_zfs_spells_them() {
        let json = serde_json::to_string(&(
            Compression::Zstd(Some(7)),
            SyncMode::Disabled,
            VolMode::Dev,
            Layout::Raidz2,
            Health::Unavail,
            DatasetKind::Volume,
        ))
        .unwrap();
        assert_eq!(
            json,
            r#"["zstd-7","disabled","dev","raidz2","UNAVAIL","volume"]"#
        );
        let c: Compression = serde_json::from_str(r#""gzip-4""#).unwrap();
        assert_eq!(c, Compression::Gzip(Some(4)));
    }

    #[test]
    fn health_keeps_unknown_states() {
        assert_eq!("CANT_OPEN".parse::<Health>().unwrap(), Health::Unavail);
        let h: Health = "SPLIT".parse().unwrap();
        assert_eq!(h.to_string(), "SPLIT");
    }
}

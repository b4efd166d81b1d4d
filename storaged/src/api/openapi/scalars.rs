//! Schemas of the types serde reads and writes as checked strings (names,
//! IQNs, portals, compression values). Their serde impls are hand-written
//! or go through `String`, so there is nothing for a derive to read: each
//! is a string here, with the rule it is checked against where a pattern
//! can say it.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::drives::DevNum;
use crate::lio::{ApplianceId, BlockSize, Iqn, Portal};
use crate::names::{DatasetName, DiskId, PoolName, SnapshotName};
use crate::nfs::Client;
use crate::samba::{AccountName, Password, ShareName, Workgroup};
use crate::zfs::{Compression, Health};

/// A string schema, written where it is used (no `$ref`): these are
/// field types, not things a client needs a name for.
macro_rules! inline_string {
    ($($ty:ty => $example:literal),* $(,)?) => {$(
        impl JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "string", "example": $example})
            }
        }
    )*};
}

inline_string!(
    PoolName => "tank",
    DatasetName => "tank/share",
    SnapshotName => "tank/share@before-upgrade",
    DiskId => "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
    Iqn => "iqn.2026-11.lan.lab:esx",
    Portal => "10.0.10.5:3260",
    ApplianceId => "3f2a9c0e",
    Client => "10.0.10.0/24",
    ShareName => "media",
    AccountName => "alice",
    Workgroup => "WORKGROUP",
    DevNum => "259:0",
);

impl JsonSchema for Password {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Password".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "password"})
    }
}

impl JsonSchema for BlockSize {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "BlockSize".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "integer",
            "enum": [512, 4096],
            "description": "The logical block size the LUN reports: 512 (what VMFS expects) or 4096.",
        })
    }
}

impl JsonSchema for Compression {
    fn schema_name() -> Cow<'static, str> {
        "Compression".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "example": "lz4",
            "description": "As zfs spells it: off, on, lz4, zle, lzjb, gzip, gzip-1 … gzip-9, \
                zstd, zstd-1 … zstd-19, zstd-fast, zstd-fast-N.",
            "pattern": "^(off|on|lz4|zle|lzjb|gzip(-[1-9])?|zstd(-([1-9]|1[0-9]))?|zstd-fast(-[0-9]+)?)$",
        })
    }
}

impl JsonSchema for Health {
    fn schema_name() -> Cow<'static, str> {
        "Health".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "example": "ONLINE",
            "description": "As zpool prints it: ONLINE, DEGRADED, FAULTED, OFFLINE, REMOVED, \
                UNAVAIL, SUSPENDED, ...",
        })
    }
}

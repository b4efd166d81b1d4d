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

/// `JsonSchema` for `$ty` with a fixed schema; `inline` ones are written
/// where they are used (no `$ref`): field types a client needs no name for.
macro_rules! fixed_schema {
    ($ty:ty, inline: $inline:literal, $schema:tt) => {
        impl JsonSchema for $ty {
            fn inline_schema() -> bool {
                $inline
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

/// Checked strings, each with an example.
macro_rules! inline_string {
    ($($ty:ty => $example:literal),* $(,)?) => {$(
        fixed_schema!($ty, inline: true, {"type": "string", "example": $example});
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

fixed_schema!(Password, inline: true, {"type": "string", "format": "password"});

fixed_schema!(BlockSize, inline: true, {
    "type": "integer",
    "enum": [512, 4096],
    "description": "The logical block size the LUN reports: 512 (what VMFS expects) or 4096.",
});

fixed_schema!(Compression, inline: false, {
    "type": "string",
    "example": "lz4",
    "description": "As zfs spells it: off, on, lz4, zle, lzjb, gzip, gzip-1 … gzip-9, \
        zstd, zstd-1 … zstd-19, zstd-fast, zstd-fast-N.",
    "pattern": "^(off|on|lz4|zle|lzjb|gzip(-[1-9])?|zstd(-([1-9]|1[0-9]))?|zstd-fast(-[0-9]+)?)$",
});

fixed_schema!(Health, inline: false, {
    "type": "string",
    "example": "ONLINE",
    "description": "As zpool prints it: ONLINE, DEGRADED, FAULTED, OFFLINE, REMOVED, \
        UNAVAIL, SUSPENDED, ...",
});

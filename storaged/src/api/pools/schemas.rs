//! The OpenAPI schemas of the pools group.

use serde_json::{json, Value};

use crate::api::drives::nullable;
use crate::api::openapi::schema_ref;

pub(super) fn schemas() -> Vec<(&'static str, Value)> {
    let n = || json!({"type": "integer", "minimum": 0});
    let nn = || json!({"type": "integer", "minimum": 0, "nullable": true});
    let disk_ids = || json!({"type": "array", "items": {"type": "string", "example": "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000"}});
    vec![
        (
            "Layout",
            json!({
                "type": "string",
                "enum": ["stripe", "mirror", "raidz1", "raidz2", "raidz3"],
                "description": "One top-level vdev over all disks. stripe: no redundancy, \
                    any failed disk loses the pool (1+ disks); mirror: 2+; raidz1: 3+; \
                    raidz2: 4+; raidz3: 5+.",
            }),
        ),
        (
            "Health",
            json!({"type": "string", "example": "ONLINE",
                   "description": "As zpool prints it: ONLINE, DEGRADED, FAULTED, OFFLINE, REMOVED, UNAVAIL, SUSPENDED, ..."}),
        ),
        (
            "CreatePoolRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "layout", "disks"],
                "properties": {
                    "name": {"type": "string", "example": "tank",
                             "description": "Starts with a letter; letters, digits, _ - . :; not a name ZFS reserves."},
                    "layout": schema_ref("Layout"),
                    "disks": disk_ids(),
                    "force": {"type": "array", "items": {"type": "string"}, "default": [],
                              "description": "Ids of `disks` to take although their verdict is not `usable` (never `boot-medium`); what they hold is overwritten."},
                },
            }),
        ),
        (
            "PoolCreated",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["pool", "layout", "disks", "mountpoint", "tolerated_failures",
                             "commands", "warnings", "forced"],
                "properties": {
                    "pool": {"type": "string"},
                    "layout": schema_ref("Layout"),
                    "disks": disk_ids(),
                    "mountpoint": {"type": "string", "example": "/var/mnt/tank"},
                    "tolerated_failures": {"type": "integer", "description": "How many disks can fail without losing the pool."},
                    "commands": {"type": "array", "items": {"type": "string"}, "description": "What ran."},
                    "warnings": {"type": "array", "items": schema_ref("Warning")},
                    "forced": {"type": "array", "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["id", "verdict"],
                        "properties": {"id": {"type": "string"}, "verdict": schema_ref("Verdict")},
                    }},
                },
            }),
        ),
        (
            "PoolList",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["pools"],
                "properties": {"pools": {"type": "array", "items": schema_ref("PoolSummary")}},
            }),
        ),
        (
            "PoolSummary",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "declared", "imported", "layout", "disks", "health", "size",
                             "allocated", "free", "capacity_percent", "fragmentation_percent"],
                "properties": {
                    "name": {"type": "string"},
                    "declared": {"type": "boolean", "description": "In the desired state: imported at every start."},
                    "imported": {"type": "boolean"},
                    "layout": nullable(schema_ref("Layout")),
                    "disks": disk_ids(),
                    "health": nullable(schema_ref("Health")),
                    "size": nn(), "allocated": nn(), "free": nn(),
                    "capacity_percent": nn(), "fragmentation_percent": nn(),
                },
            }),
        ),
        (
            "DeclaredPool",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "layout", "disks", "forced", "created_unix"],
                "properties": {
                    "name": {"type": "string"},
                    "layout": schema_ref("Layout"),
                    "disks": disk_ids(),
                    "forced": disk_ids(),
                    "created_unix": n(),
                },
            }),
        ),
        (
            "VdevErrors",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["read", "write", "checksum"],
                "properties": {"read": n(), "write": n(), "checksum": n()},
            }),
        ),
        (
            "Vdev",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "vdev_type", "class", "path", "state", "aux", "errors", "children"],
                "properties": {
                    "name": {"type": "string", "example": "raidz2-0"},
                    "vdev_type": {"type": "string", "example": "disk"},
                    "class": {"type": "string", "nullable": true},
                    "path": {"type": "string", "nullable": true},
                    "state": schema_ref("Health"),
                    "aux": {"type": "string", "nullable": true},
                    "errors": schema_ref("VdevErrors"),
                    "children": {"type": "array", "items": schema_ref("Vdev")},
                },
            }),
        ),
        (
            "Scan",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["function", "state", "start_time", "end_time", "to_examine",
                             "examined", "issued", "processed", "errors"],
                "properties": {
                    "function": {"type": "string", "enum": ["none", "scrub", "resilver", "error_scrub", "other"]},
                    "state": {"type": "string", "enum": ["none", "scanning", "finished", "canceled", "error_scrubbing", "other"]},
                    "start_time": n(), "end_time": n(), "to_examine": n(), "examined": n(),
                    "issued": n(), "processed": n(), "errors": n(),
                },
            }),
        ),
        (
            "PoolDetail",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "health", "size", "allocated", "free", "capacity_percent",
                             "fragmentation_percent", "status", "action", "error_count", "scan",
                             "errors", "vdevs", "declared"],
                "properties": {
                    "name": {"type": "string"},
                    "health": schema_ref("Health"),
                    "size": n(), "allocated": n(), "free": n(), "capacity_percent": n(),
                    "fragmentation_percent": nn(),
                    "status": {"type": "string", "nullable": true, "description": "zpool's status paragraph, when it has one."},
                    "action": {"type": "string", "nullable": true},
                    "error_count": n(),
                    "scan": nullable(schema_ref("Scan")),
                    "errors": schema_ref("VdevErrors"),
                    "vdevs": {"type": "array", "items": schema_ref("Vdev")},
                    "declared": nullable(schema_ref("DeclaredPool")),
                },
            }),
        ),
        (
            "ImportPoolRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {"force": {"type": "boolean", "default": false,
                    "description": "Import a pool that looks in use by another system (`zpool import -f`)."}},
            }),
        ),
        (
            "PoolImported",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["pool", "outcome"],
                "properties": {
                    "pool": {"type": "string"},
                    "outcome": {"type": "string", "enum": ["already_imported", "imported"]},
                    "forced": {"type": "boolean", "description": "With `imported`: whether -f was used."},
                },
            }),
        ),
        (
            "PoolExported",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["pool", "declared"],
                "properties": {
                    "pool": {"type": "string"},
                    "declared": {"type": "boolean", "description": "Always true: the pool is imported again at the next start."},
                },
            }),
        ),
        (
            "PoolScrub",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["pool", "outcome"],
                "properties": {
                    "pool": {"type": "string"},
                    "outcome": {"type": "string", "enum": ["started", "already_running"]},
                },
            }),
        ),
        (
            "DestroyPoolRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["confirm"],
                "properties": {"confirm": {"type": "string", "description": "The pool's name, again.", "example": "tank"}},
            }),
        ),
        (
            "PoolDestroyed",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["pool", "was_declared", "undeclared"],
                "properties": {
                    "pool": {"type": "string"},
                    "was_declared": {"type": "boolean"},
                    "undeclared": {"type": "array", "items": {"type": "string"},
                                   "description": "Datasets and volumes no longer declared with it."},
                },
            }),
        ),
    ]
}

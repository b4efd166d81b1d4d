//! The drive inventory: every whole disk, by stable id, with its verdict.

use axum::extract::State;
use axum::http::Method;
use axum::Json;
use serde_json::{json, Value};

use super::openapi::{json_response, schema_ref};
use super::{Access, ApiError, AppState, Endpoint, Group};
use crate::drives::Inventory;
use crate::engine;

pub fn group() -> Group {
    Group {
        name: "drives",
        description: "The disks the machine has, and whether a pool may use them.",
        endpoints: vec![Endpoint::new(
            Method::GET,
            "/drives",
            Access::Admin,
            list,
            json!({
                "summary": "Every whole disk, with its verdict",
                "description": "Read from sysfs, the udev database and each disk's first and \
                    last bytes at the time of the request; nothing is written. Disks are \
                    named by their /dev/disk/by-id link (`id`), never by kernel name. A pool \
                    may use a disk whose verdict is `usable`; any other verdict except \
                    `boot-medium` can be overridden per disk with `force` when creating a \
                    pool. `reasons` says why, first the verdict's own reason.",
                "operationId": "listDrives",
                "responses": {
                    "200": json_response("The inventory, sorted by id.", "Inventory"),
                    "500": super::openapi::error_response("sysfs or the udev database could not be read."),
                },
            }),
        )],
        schemas: vec![
            ("Inventory", inventory_schema()),
            ("Disk", disk_schema()),
            ("Verdict", verdict_schema()),
            ("Partition", partition_schema()),
            ("DiskSignature", signature_schema()),
            ("NvmeInfo", nvme_schema()),
            ("PcieLink", link_schema()),
        ],
    }
}

/// `GET /drives`.
async fn list(State(app): State<AppState>) -> Result<Json<Inventory>, ApiError> {
    let inventory = app
        .blocking(|app| engine::drives::inventory(&app.machine))
        .await??;
    Ok(Json(inventory))
}

/// A `$ref` that may also be null (OpenAPI 3.0 ignores siblings of `$ref`).
pub(super) fn nullable(schema: Value) -> Value {
    json!({"allOf": [schema], "nullable": true})
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn inventory_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["disks"],
        "properties": {
            "disks": {"type": "array", "items": schema_ref("Disk")},
        },
    })
}

fn verdict_schema() -> Value {
    json!({
        "type": "string",
        "description": "What a pool may do with the disk, most serious first: the disk \
            gets the first that applies. Only `usable` disks are taken without `force`; \
            `boot-medium` never.",
        "enum": ["boot-medium", "raid-logical-volume", "unreadable", "raid-metadata",
                 "duplicate-serial", "no-stable-id", "in-use", "usable"],
    })
}

fn disk_schema() -> Value {
    let ns = || json!({"type": "string", "nullable": true});
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "by_id", "kernel_name", "devnum", "vendor", "model", "serial",
                     "firmware", "wwn", "size_bytes", "logical_block_size",
                     "physical_block_size", "rotational", "removable", "transport", "driver",
                     "pci_address", "scsi_address", "raid_level", "nvme", "partitions",
                     "signatures", "mounts", "holders", "verdict", "reasons", "warnings"],
        "properties": {
            "id": {"type": "string", "nullable": true,
                   "description": "The /dev/disk/by-id name pools are built from; null when udev gave none.",
                   "example": "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000"},
            "by_id": strings(),
            "kernel_name": {"type": "string", "example": "nvme0n1",
                            "description": "For logs only: it changes with probe order."},
            "devnum": {"type": "string", "example": "259:0"},
            "vendor": ns(), "model": ns(), "serial": ns(), "firmware": ns(), "wwn": ns(),
            "size_bytes": {"type": "integer", "minimum": 0},
            "logical_block_size": {"type": "integer"},
            "physical_block_size": {"type": "integer"},
            "rotational": {"type": "boolean"},
            "removable": {"type": "boolean"},
            "transport": {"type": "string", "enum": ["nvme", "sata", "sas", "usb", "virtio", "other"]},
            "driver": {"type": "string", "nullable": true, "example": "ahci"},
            "pci_address": {"type": "string", "nullable": true, "example": "0000:00:03.0"},
            "scsi_address": {"type": "string", "nullable": true, "example": "0:0:0:0"},
            "raid_level": {"type": "string", "nullable": true, "example": "N/A"},
            "nvme": nullable(schema_ref("NvmeInfo")),
            "partitions": {"type": "array", "items": schema_ref("Partition")},
            "signatures": {"type": "array", "items": schema_ref("DiskSignature")},
            "mounts": strings(),
            "holders": strings(),
            "verdict": schema_ref("Verdict"),
            "reasons": strings(),
            "warnings": strings(),
        },
    })
}

fn signature_schema() -> Value {
    json!({
        "type": "string",
        "description": "Something found on the disk's first or last bytes.",
        "enum": ["gpt", "mbr", "ext", "xfs", "fat", "ntfs", "lvm2", "zfs", "ddf", "imsm"],
    })
}

fn partition_schema() -> Value {
    let ns = || json!({"type": "string", "nullable": true});
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["kernel_name", "devnum", "number", "name", "start_bytes", "size_bytes",
                     "fs_type", "fs_label", "signatures", "mounts", "holders"],
        "properties": {
            "kernel_name": {"type": "string"},
            "devnum": {"type": "string"},
            "number": {"type": "integer"},
            "name": ns(),
            "start_bytes": {"type": "integer"},
            "size_bytes": {"type": "integer"},
            "fs_type": ns(),
            "fs_label": ns(),
            "signatures": {"type": "array", "items": schema_ref("DiskSignature")},
            "mounts": strings(),
            "holders": strings(),
        },
    })
}

fn nvme_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["controller", "temperature_celsius", "pcie_link"],
        "properties": {
            "controller": {"type": "string", "example": "nvme0"},
            "temperature_celsius": {"type": "number", "nullable": true},
            "pcie_link": nullable(schema_ref("PcieLink")),
        },
    })
}

fn link_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["speed_gts", "width", "max_speed_gts", "max_width", "degraded"],
        "properties": {
            "speed_gts": {"type": "number", "nullable": true},
            "width": {"type": "integer", "nullable": true},
            "max_speed_gts": {"type": "number", "nullable": true},
            "max_width": {"type": "integer", "nullable": true},
            "degraded": {"type": "boolean", "description": "Trained slower or narrower than the drive can go."},
        },
    })
}

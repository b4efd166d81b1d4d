//! The appliance as a whole: status, and the API's own description.

use axum::extract::State;
use axum::http::Method;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::openapi::json_response;
use super::{Access, AppState, Endpoint, Group};
use crate::var_source::VarSource;

pub fn group() -> Group {
    Group {
        name: "system",
        description: "The appliance as a whole.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/status",
                Access::Admin,
                status,
                json!({
                    "summary": "Version, image, boot slot and uptime",
                    "operationId": "getStatus",
                    "responses": {"200": json_response("The appliance's status.", "Status")},
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/openapi.json",
                Access::Public,
                openapi,
                json!({
                    "summary": "This document",
                    "operationId": "getOpenApi",
                    "responses": {"200": {
                        "description": "The OpenAPI 3 document of the API.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }},
                }),
            ),
        ],
        schemas: vec![("Status", status_schema()), ("Image", image_schema())],
    }
}

/// `GET /status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// storaged's version.
    pub version: String,
    pub image: ImageInfo,
    /// The boot slot (`a` or `b`) from the kernel command line.
    pub slot: Option<String>,
    /// Where `/var` lives this boot, as the initramfs recorded it.
    pub var: Option<VarSource>,
    pub uptime_seconds: u64,
    /// Running with `--sim`.
    pub sim: bool,
    /// No admin password yet: the web page shows the setup form.
    pub setup_required: bool,
    /// Filled in once the drive inventory is served; `null` until then.
    pub drives: Option<Value>,
    /// Filled in once pools are served; `null` until then.
    pub pools: Option<Value>,
    /// Filled in once iSCSI, NFS and SMB are served; `null` until then.
    pub services: Option<Value>,
}

/// The image this runs from, from os-release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageInfo {
    pub id: Option<String>,
    pub version: Option<String>,
    pub build: Option<String>,
}

async fn status(State(app): State<AppState>) -> Json<Status> {
    let platform = &app.machine.platform;
    Json(Status {
        version: env!("CARGO_PKG_VERSION").to_string(),
        image: ImageInfo {
            id: platform.image_id.clone(),
            version: platform.image_version.clone(),
            build: platform.build_id.clone(),
        },
        slot: platform.slot.map(|s| s.name().to_string()),
        var: VarSource::detect(&app.machine.roots.root),
        uptime_seconds: app.started.elapsed().as_secs(),
        sim: app.machine.sim,
        setup_required: app.auth.setup_required(),
        drives: None,
        pools: None,
        services: None,
    })
}

async fn openapi() -> Json<&'static Value> {
    Json(super::openapi::document())
}

fn status_schema() -> Value {
    let placeholder = |what: &str| json!({"nullable": true, "description": format!("{what}; null until served.")});
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["version", "image", "slot", "var", "uptime_seconds", "sim", "setup_required",
                     "drives", "pools", "services"],
        "properties": {
            "version": {"type": "string", "example": "0.1.0"},
            "image": {"$ref": "#/components/schemas/Image"},
            "slot": {"type": "string", "enum": ["a", "b"], "nullable": true},
            "var": {
                "type": "object", "nullable": true, "additionalProperties": false,
                "required": ["source"],
                "description": "Where /var lives this boot: the data partition, or a tmpfs whose contents are gone at the next boot; null when the initramfs left no record.",
                "properties": {
                    "source": {"type": "string", "enum": ["partition", "tmpfs"]},
                    "device": {"type": "string", "example": "/dev/sda5", "description": "Only for a partition."},
                },
            },
            "uptime_seconds": {"type": "integer", "minimum": 0},
            "sim": {"type": "boolean", "description": "Running with --sim (no disks)."},
            "setup_required": {"type": "boolean", "description": "No admin password yet."},
            "drives": placeholder("Drive summary"),
            "pools": placeholder("Pool summary"),
            "services": placeholder("iSCSI, NFS and SMB summary"),
        },
    })
}

fn image_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "version", "build"],
        "properties": {
            "id": {"type": "string", "nullable": true, "example": "ironstor-hpe-ml310e"},
            "version": {"type": "string", "nullable": true},
            "build": {"type": "string", "nullable": true},
        },
    })
}

//! The appliance as a whole: status, and the API's own description.

use axum::extract::State;
use axum::http::Method;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::openapi::{json_response, response};
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
                    "responses": {"200": json_response::<Status>("The appliance's status.")},
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
        types: vec![response::<Status>()],
    }
}

/// `GET /status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
    #[schemars(extend("nullable" = true))]
    pub drives: Option<Value>,
    /// Filled in once pools are served; `null` until then.
    #[schemars(extend("nullable" = true))]
    pub pools: Option<Value>,
    /// Filled in once iSCSI, NFS and SMB are served; `null` until then.
    #[schemars(extend("nullable" = true))]
    pub services: Option<Value>,
}

/// The image this runs from, from os-release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Image")]
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

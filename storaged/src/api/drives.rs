//! The drive inventory: every whole disk, by stable id, with its verdict.

use axum::extract::State;
use axum::http::Method;
use axum::Json;
use serde_json::json;

use super::openapi::{json_response, response};
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
                    pool. `reasons` says why, first the verdict's own reason. Two disks \
                    that claim one by-id link (two drives reporting one serial) each get an \
                    id only they have, with the shared link in `shared_ids`; \
                    `unattached_nvme` lists NVMe controllers the kernel gave no disk (it \
                    refuses a second drive with an attached one's serial).",
                "operationId": "listDrives",
                "responses": {
                    "200": json_response::<Inventory>("The inventory, sorted by id."),
                    "500": super::openapi::error_response("sysfs or the udev database could not be read."),
                },
            }),
        )],
        types: vec![response::<Inventory>()],
    }
}

/// `GET /drives`.
async fn list(State(app): State<AppState>) -> Result<Json<Inventory>, ApiError> {
    let inventory = app
        .blocking(|app| engine::drives::inventory(&app.machine))
        .await??;
    Ok(Json(inventory))
}

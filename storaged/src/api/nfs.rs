//! NFS exports of datasets through the kernel's nfsd: list, declare,
//! replace, remove, and the clients connected now.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use super::datasets::name_param;
use super::openapi::{error_response, json_request, json_response, path_parameter};
use super::shares::Applied;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::engine::sharing::{self, Put};
use crate::nfs;
use crate::state::{dataset_path, NfsExport};

fn dataset_parameter() -> Value {
    path_parameter(
        "dataset",
        "The exported dataset's full name, `/` included.",
        "tank/share",
    )
}

pub fn group() -> Group {
    let put_answers = |ok: &str| {
        json!({
            "200": json_response(ok, "SharingApplied"),
            "201": json_response(ok, "SharingApplied"),
            "404": error_response("No such export is declared."),
            "409": error_response("The dataset is exported already."),
            "422": error_response("A bad client or value, or a dataset that is not declared; the message names the export and field."),
        })
    };
    Group {
        name: "nfs",
        description: "NFS v3 and v4.1/4.2 exports of datasets. Each export has its own client \
            list (networks, hosts, or `*` when asked for), rw or ro, a squash choice \
            (`no_root_squash` for ESXi), a stable fsid from the dataset's name, and sync \
            writes unless `async` is asked for (with a warning).",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/nfs/exports",
                Access::Admin,
                list,
                json!({
                    "summary": "Declared exports",
                    "operationId": "listNfsExports",
                    "responses": {"200": json_response("Exports with path, fsid and warnings.", "NfsExportList")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/nfs/exports",
                Access::Admin,
                create,
                json!({
                    "summary": "Export a dataset",
                    "operationId": "createNfsExport",
                    "requestBody": json_request("NfsExport"),
                    "responses": put_answers("Exported and declared."),
                }),
            ),
            Endpoint::new(
                Method::PUT,
                "/nfs/exports/{*dataset}",
                Access::Admin,
                replace,
                json!({
                    "summary": "Change an export",
                    "description": "Clients of the export keep their mounts; `exportfs -ra` applies the change.",
                    "operationId": "replaceNfsExport",
                    "parameters": [dataset_parameter()],
                    "requestBody": json_request("NfsExport"),
                    "responses": put_answers("Exported as asked."),
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/nfs/exports/{*dataset}",
                Access::Admin,
                destroy,
                json!({
                    "summary": "Stop exporting a dataset",
                    "operationId": "deleteNfsExport",
                    "parameters": [dataset_parameter()],
                    "responses": {
                        "200": json_response("No longer exported.", "SharingApplied"),
                        "404": error_response("No such export is declared."),
                    },
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/nfs/clients",
                Access::Admin,
                clients,
                json!({
                    "summary": "Connected NFS clients",
                    "description": "v4 clients from nfsd, v3 mounts from mountd's rmtab.",
                    "operationId": "listNfsClients",
                    "responses": {"200": json_response("Clients.", "NfsClientList")},
                }),
            ),
        ],
        // SharingApplied is defined once, by the iscsi group.
        schemas: vec![
            (
                "NfsExport",
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["dataset", "clients"],
                    "properties": {
                        "dataset": {"type": "string", "example": "tank/share"},
                        "clients": {"type": "array", "items": {"type": "string", "example": "10.0.10.0/24"}},
                        "access": {"type": "string", "enum": ["ro", "rw"], "default": "ro"},
                        "squash": {"type": "string", "enum": ["root_squash", "no_root_squash", "all_squash"], "default": "root_squash"},
                        "writes": {"type": "string", "enum": ["sync", "async"], "default": "sync"},
                        "insecure": {"type": "boolean", "default": false, "description": "Accept unprivileged source ports (clients behind NAT)."},
                    },
                }),
            ),
            (
                "NfsExportList",
                json!({"type": "object", "properties": {"exports": {"type": "array", "items": {"type": "object"}}, "warnings": {"type": "array", "items": {"type": "string"}}}}),
            ),
            (
                "NfsClientList",
                json!({"type": "object", "properties": {"clients": {"type": "array", "items": {"type": "object"}}}}),
            ),
        ],
    }
}

async fn list(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let state = app
        .blocking(|app| sharing::declared(&app.machine))
        .await??;
    let pool_dir = &app.machine.sharing.paths.pool_dir;
    let exports: Vec<Value> = state
        .nfs_exports()
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
            v["path"] = json!(dataset_path(pool_dir, &e.dataset));
            v["fsid"] = json!(nfs::fsid(&e.dataset));
            v
        })
        .collect();
    let warnings: Vec<String> = nfs::export_warnings(&state.nfs_config(pool_dir))
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(Json(json!({ "exports": exports, "warnings": warnings })))
}

async fn put_export(app: AppState, export: NfsExport, put: Put) -> Result<Applied, ApiError> {
    let report = app
        .mutate(move |app| sharing::put_nfs_export(&app.machine, export, put))
        .await??;
    Ok(Applied { report })
}

async fn create(
    State(app): State<AppState>,
    ApiJson(export): ApiJson<NfsExport>,
) -> Result<(StatusCode, Json<Applied>), ApiError> {
    let applied = put_export(app, export, Put::Create).await?;
    Ok((StatusCode::CREATED, Json(applied)))
}

async fn replace(
    State(app): State<AppState>,
    Path(dataset): Path<String>,
    ApiJson(export): ApiJson<NfsExport>,
) -> Result<Json<Applied>, ApiError> {
    let dataset = name_param(&dataset)?;
    if export.dataset != dataset {
        return Err(ApiError::invalid(
            "dataset",
            format!(
                "the body's dataset {} is not the path's {dataset}",
                export.dataset
            ),
        ));
    }
    Ok(Json(put_export(app, export, Put::Replace).await?))
}

async fn destroy(
    State(app): State<AppState>,
    Path(dataset): Path<String>,
) -> Result<Json<Applied>, ApiError> {
    let dataset = name_param(&dataset)?;
    let report = app
        .mutate(move |app| sharing::remove_nfs_export(&app.machine, &dataset))
        .await??;
    Ok(Json(Applied { report }))
}

async fn clients(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let clients = app
        .blocking(|app| sharing::nfs_clients(&app.machine))
        .await?;
    Ok(Json(json!({ "clients": clients })))
}

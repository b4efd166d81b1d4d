//! NFS exports of datasets through the kernel's nfsd: list, declare,
//! replace, remove, and the clients connected now.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::datasets::name_param;
use super::openapi::{
    error_response, json_request, json_response, path_parameter, request, response,
};
use super::shares::Applied;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group, SortedJson};
use crate::engine::sharing::{self, Put};
use crate::sharing::sessions::NfsClient;
use crate::state::NfsExport;

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
            "200": json_response::<Applied>(ok),
            "201": json_response::<Applied>(ok),
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
                    "responses": {"200": json_response::<NfsExportList>("Exports with path, fsid and warnings.")},
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
                    "requestBody": json_request::<NfsExport>(),
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
                    "requestBody": json_request::<NfsExport>(),
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
                        "200": json_response::<Applied>("No longer exported."),
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
                    "responses": {"200": json_response::<NfsClientList>("Clients.")},
                }),
            ),
        ],
        types: vec![
            request::<NfsExport>(),
            response::<Applied>(),
            response::<NfsExportList>(),
            response::<NfsClientList>(),
        ],
    }
}

/// `GET /nfs/exports`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NfsExportList {
    pub exports: Vec<NfsExportView>,
    /// Legal but risky choices (async, insecure), in words.
    pub warnings: Vec<String>,
}

/// An export as declared, with where it is served from.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NfsExportView {
    #[serde(flatten)]
    pub export: NfsExport,
    /// Where the dataset mounts.
    pub path: PathBuf,
    /// The `fsid` the export is given, stable across reboots.
    pub fsid: String,
}

/// `GET /nfs/clients`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NfsClientList {
    pub clients: Vec<NfsClient>,
}

async fn list(State(app): State<AppState>) -> Result<SortedJson<NfsExportList>, ApiError> {
    let listed = app
        .blocking(|app| sharing::nfs_exports(&app.machine))
        .await??;
    let exports = listed
        .exports
        .into_iter()
        .map(|e| NfsExportView {
            export: e.export,
            path: e.path,
            fsid: e.fsid,
        })
        .collect();
    Ok(SortedJson(NfsExportList {
        exports,
        warnings: listed.warnings,
    }))
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

async fn clients(State(app): State<AppState>) -> Result<SortedJson<NfsClientList>, ApiError> {
    let clients = app
        .blocking(|app| sharing::nfs_clients(&app.machine))
        .await?;
    Ok(SortedJson(NfsClientList { clients }))
}

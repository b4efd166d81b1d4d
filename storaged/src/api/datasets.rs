//! Filesystem datasets (for NFS and SMB): list, create, set the quota,
//! destroy. Each change is checked against the desired state before `zfs`
//! runs and saved only once it succeeded.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::openapi::{
    error_response, json_request, json_response, path_parameter, query_parameter, request, response,
};
use super::query::Query;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::engine::storage;
use crate::names::{DatasetName, NameError, PoolName};
use crate::state::{Dataset, DatasetProps, DEFAULT_COMPRESSION};
use crate::zfs::{Change, Compression, DatasetKind, DatasetRow, Plan, SyncMode};

fn name_parameter(what: &str, example: &str) -> Value {
    path_parameter(
        "name",
        &format!("The {what}'s full name, `/` included (`tank/share` in `/{what}s/tank/share`)."),
        example,
    )
}

/// `?pool=`, shared with volumes.
pub(super) fn pool_query_parameter(what: &str) -> Value {
    query_parameter(
        "pool",
        &format!("Only the {what} of this pool; every imported pool when left out."),
        json!({"type": "string", "example": "tank"}),
    )
}

/// `?recursive=`, shared with volumes.
pub(super) fn recursive_parameter(what: &str) -> Value {
    query_parameter(
        "recursive",
        &format!("Also destroy what is below the {what} (its snapshots, and for a dataset its children) and stop declaring it."),
        json!({"type": "boolean", "default": false}),
    )
}

pub fn group() -> Group {
    Group {
        name: "datasets",
        description: "Filesystem datasets below a pool, for NFS exports and SMB shares.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/datasets",
                Access::Admin,
                list,
                json!({
                    "summary": "Filesystem datasets on the machine",
                    "description": "What `zfs list` shows below each pool (not the pool's own \
                        root filesystem), and whether each is declared.",
                    "operationId": "listDatasets",
                    "parameters": [pool_query_parameter("datasets")],
                    "responses": {
                        "200": json_response::<DatasetList>("The datasets, by name."),
                        "404": error_response("No such pool is imported."),
                        "422": error_response("A bad or unknown query parameter; `field` names it."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/datasets",
                Access::Admin,
                create,
                json!({
                    "summary": "Create a dataset and declare it",
                    "description": "Its parent (the pool, or a dataset) must be declared. \
                        `sync` defaults to `standard`; `disabled` is allowed with a warning \
                        and never right for VM storage. Compression defaults to lz4.",
                    "operationId": "createDataset",
                    "requestBody": json_request::<CreateDataset>(),
                    "responses": {
                        "201": json_response::<Plan>("The dataset exists and is declared."),
                        "404": error_response("The pool is not imported."),
                        "409": error_response("The name is taken."),
                        "422": error_response("A bad name or value, or an undeclared parent; `field` names it."),
                    },
                }),
            ),
            Endpoint::new(
                Method::PATCH,
                "/datasets/{*name}",
                Access::Admin,
                update,
                json!({
                    "summary": "Set or remove a dataset's quota",
                    "operationId": "updateDataset",
                    "parameters": [name_parameter("dataset", "tank/share")],
                    "requestBody": json_request::<UpdateDataset>(),
                    "responses": {
                        "200": json_response::<DatasetUpdated>("The quota now."),
                        "404": error_response("No such dataset is declared."),
                        "409": error_response("The quota is below what the dataset uses."),
                    },
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/datasets/{*name}",
                Access::Admin,
                destroy,
                json!({
                    "summary": "Destroy a dataset and stop declaring it",
                    "description": "A dataset with children or snapshots is refused unless \
                        `recursive=true`, which destroys them too. Its data is gone.",
                    "operationId": "destroyDataset",
                    "parameters": [name_parameter("dataset", "tank/share"), recursive_parameter("dataset")],
                    "responses": {
                        "200": json_response::<Destroyed>("What was destroyed."),
                        "404": error_response("No such dataset is declared."),
                        "409": error_response("It has children or snapshots; ask for a recursive destroy."),
                    },
                }),
            ),
        ],
        types: vec![
            request::<CreateDataset>(),
            request::<UpdateDataset>(),
            response::<Plan>(),
            response::<DatasetUpdated>(),
            response::<DatasetList>(),
            response::<Destroyed>(),
        ],
    }
}

/// `POST /datasets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CreateDatasetRequest")]
#[serde(deny_unknown_fields)]
pub struct CreateDataset {
    pub name: DatasetName,
    #[serde(default)]
    pub compression: Option<Compression>,
    #[serde(default)]
    pub sync: Option<SyncMode>,
    /// Bytes, for the dataset with its children and snapshots.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub quota: Option<u64>,
}

/// `PATCH /datasets/{name}`: `quota` must be there; `null` removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "UpdateDatasetRequest")]
#[serde(deny_unknown_fields)]
pub struct UpdateDataset {
    /// Bytes; null removes the quota.
    #[serde(deserialize_with = "Option::deserialize")]
    #[schemars(required, range(min = 1))]
    pub quota: Option<u64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct DatasetUpdated {
    pub name: DatasetName,
    pub quota: Option<u64>,
    pub change: Change,
}

/// A dataset or volume on the machine, and whether it is declared.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
#[schemars(rename = "DatasetRow")]
pub struct Listed {
    #[serde(flatten)]
    pub row: DatasetRow,
    /// In the desired state.
    pub declared: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct DatasetList {
    pub datasets: Vec<Listed>,
}

/// What a destroy removed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct Destroyed {
    pub name: DatasetName,
    /// Everything `zfs destroy` took: the object, its children and
    /// snapshots.
    pub destroyed: Vec<String>,
}

/// A dataset or volume name from the path; a bad one is a 422 naming
/// `name`.
pub(super) fn name_param(raw: &str) -> Result<DatasetName, ApiError> {
    raw.trim_start_matches('/')
        .parse()
        .map_err(|e: NameError| ApiError::invalid("name", e.to_string()))
}

/// The filesystems or volumes of `pool` (or of every imported pool), with
/// whether each is declared: the list handlers' one body.
pub(super) async fn listed(
    app: AppState,
    pool: Option<PoolName>,
    kind: DatasetKind,
) -> Result<Vec<Listed>, ApiError> {
    let found = app
        .blocking(move |app| storage::list(&app.machine, pool, kind))
        .await??;
    Ok(found
        .into_iter()
        .map(|found| Listed {
            row: found.row,
            declared: found.declared,
        })
        .collect())
}

/// Destroys a declared dataset or volume named in the path (`recursive`
/// from the query): the destroy handlers' one body.
pub(super) async fn destroyed(
    app: AppState,
    kind: DatasetKind,
    name: &str,
    uri: &Uri,
) -> Result<Json<Destroyed>, ApiError> {
    let name = name_param(name)?;
    let recursive = Query::parse(uri, &["recursive"])?.flag("recursive")?;
    let destroyed = app
        .mutate(move |app| {
            storage::destroy(&app.machine, kind, &name, recursive)
                .map(|destroyed| Destroyed { name, destroyed })
        })
        .await??;
    Ok(Json(destroyed))
}

async fn list(State(app): State<AppState>, uri: Uri) -> Result<Json<DatasetList>, ApiError> {
    let query = Query::parse(&uri, &["pool"])?;
    let pool = query.get::<PoolName>("pool")?;
    let datasets = listed(app, pool, DatasetKind::Filesystem).await?;
    Ok(Json(DatasetList { datasets }))
}

async fn create(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<CreateDataset>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let dataset = Dataset {
        name: request.name,
        properties: DatasetProps {
            compression: request.compression.unwrap_or(DEFAULT_COMPRESSION),
            sync: request.sync.unwrap_or_default(),
            quota: request.quota,
            ..DatasetProps::default()
        },
    };
    let plan = app
        .mutate(move |app| storage::create_dataset(&app.machine, dataset))
        .await??;
    Ok((StatusCode::CREATED, Json(plan)))
}

async fn update(
    State(app): State<AppState>,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<UpdateDataset>,
) -> Result<Json<DatasetUpdated>, ApiError> {
    let name = name_param(&name)?;
    let quota = request.quota;
    let updated = app
        .mutate(move |app| {
            storage::set_quota(&app.machine, &name, quota).map(|change| DatasetUpdated {
                name,
                quota,
                change,
            })
        })
        .await??;
    Ok(Json(updated))
}

async fn destroy(
    State(app): State<AppState>,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Json<Destroyed>, ApiError> {
    destroyed(app, DatasetKind::Filesystem, &name, &uri).await
}

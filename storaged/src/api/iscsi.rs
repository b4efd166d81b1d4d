//! iSCSI targets on LIO: list, declare, replace and remove targets (with
//! their portals, LUNs, ACLs and CHAP), discovery CHAP, live sessions, and
//! the `esxcli` lines an ESXi admin needs.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::openapi::{
    error_response, json_request, json_response, path_parameter, request, response,
};
use super::shares::Applied;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group, SortedJson};
use crate::engine::sharing::{self, Put, ShownTarget};
use crate::lio::{self, esxcli_lines, Chap, Iqn, Portal, Target};
use crate::names::DatasetName;
use crate::sharing::sessions::IscsiSession;

/// The software iSCSI adapter name the `esxcli` lines use; the admin
/// replaces it with theirs (`esxcli iscsi adapter list`).
const ESXI_ADAPTER: &str = "vmhba64";

fn iqn_parameter() -> Value {
    path_parameter(
        "iqn",
        "The target's IQN.",
        "iqn.2026-11.org.ironstor:vmware",
    )
}

pub fn group() -> Group {
    let target_answers = |ok: &str| {
        json!({
            "200": json_response::<Applied>(ok),
            "201": json_response::<Applied>(ok),
            "404": error_response("No such target is declared."),
            "409": error_response("A target with this IQN is declared already."),
            "422": error_response("A bad field (`field` names it, e.g. `luns[0].zvol`), or a LUN that is not a declared volume."),
        })
    };
    Group {
        name: "iscsi",
        description: "iSCSI targets served by the kernel's LIO, written straight into configfs. \
            Every LUN gets a serial and NAA WWN derived from the appliance id and the zvol's \
            name, so ESXi sees the same disk after any reboot. Changes write only what \
            differs: live sessions survive.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/iscsi/targets",
                Access::Admin,
                list,
                json!({
                    "summary": "Declared targets, with LUN identities and esxcli lines",
                    "operationId": "listIscsiTargets",
                    "responses": {"200": json_response::<IscsiTargetList>("The targets; CHAP secrets show as ********.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/iscsi/targets",
                Access::Admin,
                create,
                json!({
                    "summary": "Declare a target and serve it",
                    "description": "`access` is `{\"mode\": \"initiators\", \"acls\": [...]}` (only \
                        the listed initiator IQNs, each with optional CHAP) or \
                        `{\"mode\": \"allow_all\", \"chap\": ...}`: there is no implicit default. \
                        One portal per storage address (`10.0.10.5:3260`); never `0.0.0.0` beside them.",
                    "operationId": "createIscsiTarget",
                    "requestBody": json_request::<Target>(),
                    "responses": target_answers("The target is served and declared."),
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/iscsi/targets/{iqn}",
                Access::Admin,
                show,
                json!({
                    "summary": "One target",
                    "operationId": "getIscsiTarget",
                    "parameters": [iqn_parameter()],
                    "responses": {
                        "200": json_response::<IscsiTargetView>("The target."),
                        "404": error_response("No such target is declared."),
                    },
                }),
            ),
            Endpoint::new(
                Method::PUT,
                "/iscsi/targets/{iqn}",
                Access::Admin,
                replace,
                json!({
                    "summary": "Replace a target's portals, LUNs and access",
                    "description": "Only what differs is written; unchanged LUNs keep their sessions.",
                    "operationId": "replaceIscsiTarget",
                    "parameters": [iqn_parameter()],
                    "requestBody": json_request::<Target>(),
                    "responses": target_answers("The target is served as asked."),
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/iscsi/targets/{iqn}",
                Access::Admin,
                destroy,
                json!({
                    "summary": "Stop serving a target",
                    "description": "Its initiators are logged out. The zvols stay.",
                    "operationId": "deleteIscsiTarget",
                    "parameters": [iqn_parameter()],
                    "responses": {
                        "200": json_response::<Applied>("The target is gone."),
                        "404": error_response("No such target is declared."),
                    },
                }),
            ),
            Endpoint::new(
                Method::PUT,
                "/iscsi/discovery-chap",
                Access::Admin,
                discovery_chap,
                json!({
                    "summary": "Set or clear the CHAP credential for SendTargets discovery",
                    "operationId": "setIscsiDiscoveryChap",
                    "requestBody": json_request::<DiscoveryChap>(),
                    "responses": {
                        "200": json_response::<Applied>("Set."),
                        "422": error_response("A bad user or secret (12-16 characters)."),
                    },
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/iscsi/sessions",
                Access::Admin,
                sessions,
                json!({
                    "summary": "Logged-in initiators",
                    "operationId": "listIscsiSessions",
                    "responses": {"200": json_response::<IscsiSessionList>("Sessions, by target.")},
                }),
            ),
        ],
        types: vec![
            request::<Target>(),
            request::<DiscoveryChap>(),
            response::<Applied>(),
            response::<IscsiTargetList>(),
            response::<IscsiTargetView>(),
            response::<IscsiSessionList>(),
        ],
    }
}

/// `GET /iscsi/targets`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IscsiTargetList {
    pub targets: Vec<IscsiTargetView>,
}

/// One target as declared, CHAP secrets shown as `********`, with each
/// LUN's identity and the esxcli lines that add it to an ESXi host.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IscsiTargetView {
    pub iqn: Iqn,
    pub portals: Vec<Portal>,
    pub luns: Vec<LunView>,
    pub access: lio::Access,
    pub esxcli: EsxcliView,
}

/// A LUN with the identity ESXi sees.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LunView {
    pub number: u16,
    pub zvol: DatasetName,
    /// 512 or 4096.
    pub block_size: u32,
    pub read_only: bool,
    /// Derived from the appliance id and the zvol's name; null until the
    /// appliance has an id.
    pub serial: Option<String>,
    /// The NAA WWN, derived like the serial.
    pub naa: Option<String>,
}

/// The esxcli lines for this target (CHAP left out).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EsxcliView {
    /// The adapter name the lines use, to be replaced by the host's own.
    pub adapter_placeholder: String,
    pub dynamic_discovery: Vec<String>,
    pub static_discovery: Vec<String>,
    pub rescan: String,
    pub claim_rule: String,
}

/// `GET /iscsi/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IscsiSessionList {
    pub sessions: Vec<IscsiSession>,
}

fn iqn_param(raw: &str) -> Result<Iqn, ApiError> {
    raw.parse()
        .map_err(|e: crate::names::NameError| ApiError::invalid("iqn", e.to_string()))
}

/// One target as the API shows it.
fn view(shown: ShownTarget) -> IscsiTargetView {
    let esx = esxcli_lines(&shown.target, ESXI_ADAPTER);
    let Target {
        iqn,
        portals,
        luns,
        access,
    } = shown.target;
    let luns = luns
        .into_iter()
        .zip(shown.identities)
        .map(|(lun, id)| {
            let (serial, naa) = id.map_or((None, None), |i| (Some(i.serial), Some(i.naa)));
            LunView {
                number: lun.number,
                zvol: lun.zvol,
                block_size: lun.block_size.bytes(),
                read_only: lun.read_only,
                serial,
                naa,
            }
        })
        .collect();
    IscsiTargetView {
        iqn,
        portals,
        luns,
        access,
        esxcli: EsxcliView {
            adapter_placeholder: ESXI_ADAPTER.into(),
            dynamic_discovery: esx.dynamic_discovery,
            static_discovery: esx.static_discovery,
            rescan: esx.rescan,
            claim_rule: esx.claim_rule,
        },
    }
}

async fn list(State(app): State<AppState>) -> Result<SortedJson<IscsiTargetList>, ApiError> {
    let targets = app
        .blocking(|app| sharing::iscsi_targets(&app.machine))
        .await??
        .into_iter()
        .map(view)
        .collect();
    Ok(SortedJson(IscsiTargetList { targets }))
}

async fn show(
    State(app): State<AppState>,
    Path(iqn): Path<String>,
) -> Result<SortedJson<IscsiTargetView>, ApiError> {
    let iqn = iqn_param(&iqn)?;
    let shown = app
        .blocking(move |app| sharing::iscsi_target(&app.machine, &iqn))
        .await??;
    Ok(SortedJson(view(shown)))
}

/// A validation error about `targets[i].x` of the whole configuration,
/// said about the request's own `x`.
pub(super) fn about_request(err: ApiError) -> ApiError {
    match err {
        ApiError::Invalid {
            field: Some(field),
            message,
        } if field.starts_with("targets[") => {
            let inner = field
                .split_once("].")
                .map_or(String::new(), |(_, rest)| rest.to_string());
            let prefix = field.trim_end_matches(&inner).trim_end_matches('.');
            ApiError::Invalid {
                field: Some(if inner.is_empty() {
                    "iqn".into()
                } else {
                    inner
                }),
                message: message.replacen(&format!("{prefix}."), "", 1),
            }
        }
        other => other,
    }
}

async fn put_target(app: AppState, target: Target, put: Put) -> Result<Applied, ApiError> {
    let report = app
        .mutate(move |app| sharing::put_iscsi_target(&app.machine, target, put))
        .await??;
    Ok(Applied { report })
}

async fn create(
    State(app): State<AppState>,
    ApiJson(target): ApiJson<Target>,
) -> Result<(StatusCode, Json<Applied>), ApiError> {
    let applied = put_target(app, target, Put::Create).await?;
    Ok((StatusCode::CREATED, Json(applied)))
}

async fn replace(
    State(app): State<AppState>,
    Path(iqn): Path<String>,
    ApiJson(target): ApiJson<Target>,
) -> Result<Json<Applied>, ApiError> {
    let iqn = iqn_param(&iqn)?;
    if target.iqn != iqn {
        return Err(ApiError::invalid(
            "iqn",
            format!("the body's iqn {} is not the path's {iqn}", target.iqn),
        ));
    }
    Ok(Json(put_target(app, target, Put::Replace).await?))
}

async fn destroy(
    State(app): State<AppState>,
    Path(iqn): Path<String>,
) -> Result<Json<Applied>, ApiError> {
    let iqn = iqn_param(&iqn)?;
    let report = app
        .mutate(move |app| sharing::remove_iscsi_target(&app.machine, &iqn))
        .await??;
    Ok(Json(Applied { report }))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DiscoveryChapRequest")]
struct DiscoveryChap {
    chap: Option<Chap>,
}

async fn discovery_chap(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<DiscoveryChap>,
) -> Result<Json<Applied>, ApiError> {
    let report = app
        .mutate(move |app| sharing::set_discovery_chap(&app.machine, request.chap))
        .await??;
    Ok(Json(Applied { report }))
}

async fn sessions(State(app): State<AppState>) -> Result<SortedJson<IscsiSessionList>, ApiError> {
    let sessions = app
        .blocking(|app| sharing::iscsi_sessions(&app.machine))
        .await?;
    Ok(SortedJson(IscsiSessionList { sessions }))
}

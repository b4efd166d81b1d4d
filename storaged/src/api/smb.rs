//! SMB through Samba: shares of datasets, the users who log in to them
//! (passwords go to Samba's passdb and nowhere else), and the sessions
//! connected now.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::openapi::{
    error_response, json_request, json_response, path_parameter, request, response,
};
use super::shares::Applied;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group, SortedJson};
use crate::engine::sharing;
use crate::samba::{AccountName, Password, ShareName};
use crate::sharing::sessions::SmbSession;
use crate::state::SmbShare;

fn share_parameter() -> Value {
    path_parameter("share", "The share's name.", "media")
}

fn user_parameter() -> Value {
    path_parameter("user", "The user's name.", "alice")
}

pub fn group() -> Group {
    Group {
        name: "smb",
        description: "SMB3 shares of datasets through Samba (multichannel on, ZFS snapshots \
            named auto-YYYY-MM-DD-HHMM shown as Previous Versions), and the local users who \
            log in to them. Passwords are kept only in Samba's passdb on /var.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/smb/shares",
                Access::Admin,
                list_shares,
                json!({
                    "summary": "Declared shares",
                    "operationId": "listSmbShares",
                    "responses": {"200": json_response::<SmbShareList>("Shares with their paths.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/smb/shares",
                Access::Admin,
                create_share,
                json!({
                    "summary": "Share a dataset",
                    "operationId": "createSmbShare",
                    "requestBody": json_request::<SmbShare>(),
                    "responses": {
                        "201": json_response::<Applied>("Shared and declared."),
                        "409": error_response("A share of that name (ignoring case) exists."),
                        "422": error_response("A bad name or value, an undeclared dataset or user; `field` names it."),
                    },
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/smb/shares/{share}",
                Access::Admin,
                delete_share,
                json!({
                    "summary": "Stop sharing",
                    "operationId": "deleteSmbShare",
                    "parameters": [share_parameter()],
                    "responses": {
                        "200": json_response::<Applied>("Gone."),
                        "404": error_response("No such share is declared."),
                    },
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/smb/users",
                Access::Admin,
                list_users,
                json!({
                    "summary": "Declared users",
                    "operationId": "listSmbUsers",
                    "responses": {"200": json_response::<SmbUserList>("Users, with whether Samba has a password for each.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/smb/users",
                Access::Admin,
                create_user,
                json!({
                    "summary": "Add a user with a password",
                    "operationId": "createSmbUser",
                    "requestBody": json_request::<NewUser>(),
                    "responses": {
                        "201": json_response::<Applied>("The user can log in."),
                        "409": error_response("The user exists."),
                        "422": error_response("A bad name or password; `field` names it."),
                    },
                }),
            ),
            Endpoint::new(
                Method::PUT,
                "/smb/users/{user}/password",
                Access::Admin,
                set_password,
                json!({
                    "summary": "Set a user's password",
                    "operationId": "setSmbUserPassword",
                    "parameters": [user_parameter()],
                    "requestBody": json_request::<NewPassword>(),
                    "responses": {
                        "204": {"description": "Set."},
                        "404": error_response("No such user is declared."),
                        "422": error_response("A bad password."),
                    },
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/smb/users/{user}",
                Access::Admin,
                delete_user,
                json!({
                    "summary": "Remove a user",
                    "operationId": "deleteSmbUser",
                    "parameters": [user_parameter()],
                    "responses": {
                        "200": json_response::<Applied>("Removed."),
                        "404": error_response("No such user is declared."),
                        "409": error_response("A share lists the user."),
                    },
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/smb/sessions",
                Access::Admin,
                sessions,
                json!({
                    "summary": "Connected SMB users",
                    "operationId": "listSmbSessions",
                    "responses": {"200": json_response::<SmbSessionList>("Sessions.")},
                }),
            ),
        ],
        types: vec![
            request::<SmbShare>(),
            request::<NewUser>(),
            request::<NewPassword>(),
            response::<Applied>(),
            response::<SmbShareList>(),
            response::<SmbUserList>(),
            response::<SmbSessionList>(),
        ],
    }
}

/// `GET /smb/shares`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SmbShareList {
    pub shares: Vec<SmbShareView>,
}

/// A share as declared, with where it is served from.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SmbShareView {
    #[serde(flatten)]
    pub share: SmbShare,
    /// Where the dataset mounts.
    pub path: PathBuf,
}

/// `GET /smb/users`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SmbUserList {
    pub users: Vec<SmbUserView>,
}

/// A declared user; the password itself is only in Samba's passdb.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SmbUserView {
    pub name: AccountName,
    pub uid: u32,
    /// Samba's passdb has a password for the user.
    pub has_password: bool,
}

/// `GET /smb/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SmbSessionList {
    pub sessions: Vec<SmbSession>,
}

fn share_param(raw: &str) -> Result<ShareName, ApiError> {
    raw.parse()
        .map_err(|e: crate::names::NameError| ApiError::invalid("share", e.to_string()))
}

fn user_param(raw: &str) -> Result<AccountName, ApiError> {
    raw.parse()
        .map_err(|e: crate::names::NameError| ApiError::invalid("user", e.to_string()))
}

async fn list_shares(State(app): State<AppState>) -> Result<SortedJson<SmbShareList>, ApiError> {
    let shares = app
        .blocking(|app| sharing::smb_shares(&app.machine))
        .await??
        .into_iter()
        .map(|s| SmbShareView {
            share: s.share,
            path: s.path,
        })
        .collect();
    Ok(SortedJson(SmbShareList { shares }))
}

async fn create_share(
    State(app): State<AppState>,
    ApiJson(share): ApiJson<SmbShare>,
) -> Result<(StatusCode, Json<Applied>), ApiError> {
    let report = app
        .mutate(move |app| sharing::create_smb_share(&app.machine, share))
        .await??;
    Ok((StatusCode::CREATED, Json(Applied { report })))
}

async fn delete_share(
    State(app): State<AppState>,
    Path(share): Path<String>,
) -> Result<Json<Applied>, ApiError> {
    let share = share_param(&share)?;
    let report = app
        .mutate(move |app| sharing::remove_smb_share(&app.machine, &share))
        .await??;
    Ok(Json(Applied { report }))
}

async fn list_users(State(app): State<AppState>) -> Result<SortedJson<SmbUserList>, ApiError> {
    let users = app
        .blocking(|app| sharing::smb_users(&app.machine))
        .await??
        .into_iter()
        .map(|(u, has_password)| SmbUserView {
            name: u.name,
            uid: u.uid,
            has_password,
        })
        .collect();
    Ok(SortedJson(SmbUserList { users }))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SmbUserRequest")]
struct NewUser {
    name: AccountName,
    password: Password,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SmbPasswordRequest")]
struct NewPassword {
    password: Password,
}

async fn create_user(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<Applied>), ApiError> {
    let report = app
        .mutate(move |app| sharing::add_user(&app.machine, request.name, &request.password))
        .await??;
    Ok((StatusCode::CREATED, Json(Applied { report })))
}

async fn set_password(
    State(app): State<AppState>,
    Path(user): Path<String>,
    ApiJson(request): ApiJson<NewPassword>,
) -> Result<StatusCode, ApiError> {
    let user = user_param(&user)?;
    app.mutate(move |app| sharing::set_password(&app.machine, &user, &request.password))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_user(
    State(app): State<AppState>,
    Path(user): Path<String>,
) -> Result<Json<Applied>, ApiError> {
    let user = user_param(&user)?;
    let report = app
        .mutate(move |app| sharing::remove_user(&app.machine, &user))
        .await??;
    Ok(Json(Applied { report }))
}

async fn sessions(State(app): State<AppState>) -> Result<SortedJson<SmbSessionList>, ApiError> {
    let sessions = app
        .blocking(|app| sharing::smb_sessions(&app.machine))
        .await??;
    Ok(SortedJson(SmbSessionList { sessions }))
}

//! SMB through Samba: shares of datasets, the users who log in to them
//! (passwords go to Samba's passdb and nowhere else), and the sessions
//! connected now.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::openapi::{error_response, json_request, json_response, path_parameter};
use super::shares::{apply_and_commit, Applied};
use super::state::Shared;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::engine::declared::Declared;
use crate::samba::{self, AccountName, Password, SambaError, ShareName, SMB_CONF_FILE};
use crate::state::{dataset_path, MutationError, SmbShare};

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
                    "responses": {"200": json_response("Shares with their paths.", "SmbShareList")},
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
                    "requestBody": json_request("SmbShare"),
                    "responses": {
                        "201": json_response("Shared and declared.", "SharingApplied"),
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
                        "200": json_response("Gone.", "SharingApplied"),
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
                    "responses": {"200": json_response("Users, with whether Samba has a password for each.", "SmbUserList")},
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
                    "requestBody": json_request("SmbUserRequest"),
                    "responses": {
                        "201": json_response("The user can log in.", "SharingApplied"),
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
                    "requestBody": json_request("SmbPasswordRequest"),
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
                        "200": json_response("Removed.", "SharingApplied"),
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
                    "responses": {"200": json_response("Sessions.", "SmbSessionList")},
                }),
            ),
        ],
        // SharingApplied is defined once, by the iscsi group.
        schemas: vec![
            (
                "SmbShare",
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name", "dataset"],
                    "properties": {
                        "name": {"type": "string", "example": "media"},
                        "dataset": {"type": "string", "example": "tank/media"},
                        "read_only": {"type": "boolean", "default": false},
                        "valid_users": {"type": "array", "items": {"type": "string"}},
                        "valid_groups": {"type": "array", "items": {"type": "string"}},
                        "guest_ok": {"type": "boolean", "default": false},
                        "comment": {"type": "string"},
                    },
                }),
            ),
            (
                "SmbShareList",
                json!({"type": "object", "properties": {"shares": {"type": "array", "items": {"type": "object"}}}}),
            ),
            (
                "SmbUserRequest",
                json!({"type": "object", "additionalProperties": false, "required": ["name", "password"],
                       "properties": {"name": {"type": "string"}, "password": {"type": "string", "format": "password"}}}),
            ),
            (
                "SmbPasswordRequest",
                json!({"type": "object", "additionalProperties": false, "required": ["password"],
                       "properties": {"password": {"type": "string", "format": "password"}}}),
            ),
            (
                "SmbUserList",
                json!({"type": "object", "properties": {"users": {"type": "array", "items": {"type": "object"}}}}),
            ),
            (
                "SmbSessionList",
                json!({"type": "object", "properties": {"sessions": {"type": "array", "items": {"type": "object"}}}}),
            ),
        ],
    }
}

impl From<SambaError> for ApiError {
    fn from(err: SambaError) -> ApiError {
        match &err {
            SambaError::NoSuchUser { user } => ApiError::NotFound {
                kind: "Samba user",
                name: user.to_string(),
            },
            _ => ApiError::internal(&err),
        }
    }
}

fn share_param(raw: &str) -> Result<ShareName, ApiError> {
    raw.parse()
        .map_err(|e: crate::names::NameError| ApiError::invalid("share", e.to_string()))
}

fn user_param(raw: &str) -> Result<AccountName, ApiError> {
    raw.parse()
        .map_err(|e: crate::names::NameError| ApiError::invalid("user", e.to_string()))
}

async fn list_shares(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let shares = app
        .blocking(|app| {
            let declared = Declared::load(&app.machine)?;
            let pool_dir = &app.machine.sharing.paths.pool_dir;
            let shares: Vec<Value> = declared
                .state
                .smb()
                .shares()
                .iter()
                .map(|s| {
                    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
                    v["path"] = json!(dataset_path(pool_dir, &s.dataset));
                    v
                })
                .collect();
            Ok::<_, ApiError>(shares)
        })
        .await??;
    Ok(Json(json!({ "shares": shares })))
}

async fn create_share(
    State(app): State<AppState>,
    ApiJson(share): ApiJson<SmbShare>,
) -> Result<(StatusCode, Json<Applied>), ApiError> {
    let _one_at_a_time = app.mutations.lock().await;
    let applied = app
        .blocking(move |app| {
            let declared = Declared::load(&app.machine)?;
            if let Some(old) = declared.state.smb_share(&share.name) {
                return Err(ApiError::Conflict {
                    message: format!("SMB share {} is declared already", old.name),
                });
            }
            let name = share.name.clone();
            let writable = !share.read_only;
            let path = dataset_path(&app.machine.sharing.paths.pool_dir, &share.dataset);
            let next = declared.state.put_smb_share(share)?;
            let mut applied =
                apply_and_commit(app, declared, &next, &format!("SMB share {name} is served"))?;
            if writable && crate::sharing::open_share_dir(&path)? {
                applied.report.notes.push(format!(
                    "{} now belongs to group {} (mode 2775), so its users can write",
                    path.display(),
                    crate::sharing::USERS_GROUP
                ));
            }
            Ok(applied)
        })
        .await??;
    Ok((StatusCode::CREATED, Json(applied)))
}

async fn delete_share(
    State(app): State<AppState>,
    Path(share): Path<String>,
) -> Result<Json<Applied>, ApiError> {
    let share = share_param(&share)?;
    let _one_at_a_time = app.mutations.lock().await;
    let applied = app
        .blocking(move |app| {
            let declared = Declared::load(&app.machine)?;
            let next = declared.state.remove_smb_share(&share)?;
            apply_and_commit(
                app,
                declared,
                &next,
                &format!("SMB share {share} was removed"),
            )
        })
        .await??;
    Ok(Json(applied))
}

async fn list_users(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let users = app
        .blocking(|app| {
            let declared = Declared::load(&app.machine)?;
            let in_passdb = samba::list_users(app.machine.sharing.users.as_ref(), conf())?;
            let users: Vec<Value> = declared
                .state
                .users()
                .iter()
                .map(|u| {
                    json!({
                        "name": u.name,
                        "uid": u.uid,
                        "has_password": in_passdb.iter().any(|p| p.name == u.name.as_str()),
                    })
                })
                .collect();
            Ok::<_, ApiError>(users)
        })
        .await??;
    Ok(Json(json!({ "users": users })))
}

fn conf() -> &'static std::path::Path {
    std::path::Path::new(SMB_CONF_FILE)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: AccountName,
    password: Password,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    password: Password,
}

/// Declares the user, writes its Unix account, then gives Samba its
/// password; if Samba refuses, the account goes again and nothing is saved.
fn add_user(app: &Shared, request: NewUser) -> Result<Applied, ApiError> {
    let declared = Declared::load(&app.machine)?;
    let (next, user) = declared.state.add_user(request.name)?;
    let report = app
        .machine
        .sharing
        .apply(app.machine.runner.as_ref(), &next)?;
    if let Err(e) = samba::set_password(
        app.machine.sharing.users.as_ref(),
        conf(),
        &user.name,
        &request.password,
    ) {
        let _ = app
            .machine
            .sharing
            .apply(app.machine.runner.as_ref(), &declared.state);
        return Err(e.into());
    }
    declared.commit(&next, &format!("user {} was added", user.name))?;
    Ok(Applied { report })
}

async fn create_user(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<Applied>), ApiError> {
    let _one_at_a_time = app.mutations.lock().await;
    let applied = app.blocking(move |app| add_user(app, request)).await??;
    Ok((StatusCode::CREATED, Json(applied)))
}

async fn set_password(
    State(app): State<AppState>,
    Path(user): Path<String>,
    ApiJson(request): ApiJson<NewPassword>,
) -> Result<StatusCode, ApiError> {
    let user = user_param(&user)?;
    let _one_at_a_time = app.mutations.lock().await;
    app.blocking(move |app| {
        let declared = Declared::load(&app.machine)?;
        if declared.state.user(&user).is_none() {
            return Err(MutationError::UserNotDeclared(user).into());
        }
        samba::set_password(
            app.machine.sharing.users.as_ref(),
            conf(),
            &user,
            &request.password,
        )?;
        Ok::<_, ApiError>(())
    })
    .await??;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_user(
    State(app): State<AppState>,
    Path(user): Path<String>,
) -> Result<Json<Applied>, ApiError> {
    let user = user_param(&user)?;
    let _one_at_a_time = app.mutations.lock().await;
    let applied = app
        .blocking(move |app| {
            let declared = Declared::load(&app.machine)?;
            let next = declared.state.remove_user(&user)?;
            match samba::delete_user(app.machine.sharing.users.as_ref(), conf(), &user) {
                Ok(()) | Err(SambaError::NoSuchUser { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            apply_and_commit(app, declared, &next, &format!("user {user} was removed"))
        })
        .await??;
    Ok(Json(applied))
}

async fn sessions(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let sessions = app
        .blocking(|app| crate::sharing::sessions::smb_sessions(app.machine.runner.as_ref()))
        .await?
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(json!({ "sessions": sessions })))
}

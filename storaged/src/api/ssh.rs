//! The SSH service: off by default, keys only. `GET` shows it with the
//! host keys' fingerprints (to check on the first connection); `PUT`
//! switches it and sets the keys.

use axum::extract::State;
use axum::http::Method;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openapi::{error_response, json_request, json_response, request, response};
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::engine::ssh::{self, SshStatus};
use crate::ssh::{HostKeyFingerprint, SshError};

pub fn group() -> Group {
    Group {
        name: "ssh",
        description: "An SSH service for the owner, off by default: root logs in with a key \
            only (no passwords). Host keys are made on the box at first boot.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/ssh",
                Access::Admin,
                get,
                json!({
                    "summary": "SSH: on or off, its keys, the host keys' fingerprints",
                    "operationId": "getSsh",
                    "responses": {"200": json_response::<SshAnswer>("SSH as declared.")},
                }),
            ),
            Endpoint::new(
                Method::PUT,
                "/ssh",
                Access::Admin,
                put,
                json!({
                    "summary": "Switch SSH on or off and set its authorized keys",
                    "description": "`authorized_keys` replaces the list. Each is one OpenSSH \
                        public key line: ssh-ed25519, ecdsa-sha2-nistp256/384/521, or ssh-rsa \
                        of 3072 bits or more; no options. Enabling with no key is refused.",
                    "operationId": "putSsh",
                    "requestBody": json_request::<SshRequest>(),
                    "responses": {
                        "200": json_response::<SshAnswer>("Applied: the service runs (or is stopped)."),
                        "422": error_response("A bad key (`field` is `authorized_keys[i]`), or no key to enable with. Nothing was changed."),
                        "500": error_response("The service could not be brought to it; it was brought back."),
                    },
                }),
            ),
        ],
        types: vec![request::<SshRequest>(), response::<SshAnswer>()],
    }
}

/// `PUT /ssh`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SshRequest {
    pub enabled: bool,
    /// OpenSSH public key lines, `type base64 [comment]`.
    #[serde(default)]
    pub authorized_keys: Vec<String>,
}

/// `GET /ssh` and `PUT /ssh`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SshAnswer {
    pub enabled: bool,
    /// As stored: trimmed, single-spaced.
    pub authorized_keys: Vec<String>,
    /// Empty until the first start made them.
    pub host_key_fingerprints: Vec<HostKeyFingerprint>,
}

impl From<SshStatus> for SshAnswer {
    fn from(s: SshStatus) -> SshAnswer {
        SshAnswer {
            enabled: s.enabled,
            authorized_keys: s.authorized_keys,
            host_key_fingerprints: s.host_key_fingerprints,
        }
    }
}

async fn get(State(app): State<AppState>) -> Result<Json<SshAnswer>, ApiError> {
    let status = app.blocking(|app| ssh::status(&app.machine)).await??;
    Ok(Json(status.into()))
}

async fn put(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<SshRequest>,
) -> Result<Json<SshAnswer>, ApiError> {
    let SshRequest {
        enabled,
        authorized_keys,
    } = request;
    let status = app
        .mutate(move |app| ssh::set(&app.machine, enabled, authorized_keys))
        .await??;
    Ok(Json(status.into()))
}

/// The request's fault (a key, no key) or the machine's.
pub(super) fn from_ssh(err: SshError) -> ApiError {
    let message = err.to_string();
    match err {
        SshError::BadKey { index, .. } | SshError::DuplicateKey { index, .. } => {
            ApiError::invalid(&format!("authorized_keys[{index}]"), message)
        }
        SshError::NoKeys => ApiError::invalid("authorized_keys", message),
        SshError::Write { .. } | SshError::Keygen { .. } | SshError::Service { .. } => {
            ApiError::internal(&err)
        }
    }
}

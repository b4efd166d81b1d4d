//! Named API tokens for scripts (remote storagectl, backups): made, listed
//! and revoked here, sent as `Authorization: Bearer <token>`.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openapi::{
    error_response, json_request, json_response, path_parameter, request, response,
};
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::engine::auth;

pub fn group() -> Group {
    Group {
        name: "tokens",
        description: "Named, revocable API tokens for scripts. A token is shown once, when \
            made, and kept only as a hash; send it as `Authorization: Bearer <token>` (no CSRF \
            token needed).",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/tokens",
                Access::Admin,
                list,
                json!({
                    "summary": "List the API tokens (names and times, never the tokens)",
                    "operationId": "listTokens",
                    "responses": {"200": json_response::<TokenList>("The tokens, by name.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/tokens",
                Access::Admin,
                create,
                json!({
                    "summary": "Make a named API token",
                    "description": "The answer is the only time the token is shown.",
                    "operationId": "createToken",
                    "requestBody": json_request::<NewTokenRequest>(),
                    "responses": {
                        "201": json_response::<NewToken>("The token; keep it, it is not shown again."),
                        "409": error_response("A token with that name exists."),
                        "422": error_response("The name is not valid, or there are too many tokens."),
                    },
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/tokens/{*name}",
                Access::Admin,
                delete,
                json!({
                    "summary": "Revoke an API token",
                    "operationId": "deleteToken",
                    "parameters": [path_parameter("name", "The token's name.", "backup-script")],
                    "responses": {
                        "204": {"description": "Revoked: requests with it are refused from now on."},
                        "404": error_response("No token has that name."),
                    },
                }),
            ),
        ],
        types: vec![
            request::<NewTokenRequest>(),
            response::<NewToken>(),
            response::<TokenList>(),
        ],
    }
}

/// `POST /tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.` or `-`.
    #[schemars(example = &"backup-script")]
    pub name: String,
}

/// The answer to `POST /tokens`: the only time the token is seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// `GET /tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenList {
    pub tokens: Vec<TokenEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    /// Unix seconds.
    pub created: u64,
    /// Unix seconds of its last use; none if never used.
    pub last_used: Option<u64>,
}

async fn list(State(app): State<AppState>) -> Json<TokenList> {
    let tokens = auth::tokens(&app.auth)
        .into_iter()
        .map(|t| TokenEntry {
            name: t.name,
            created: t.created,
            last_used: t.last_used,
        })
        .collect();
    Json(TokenList { tokens })
}

async fn create(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let name = request.name;
    let token = app
        .mutate({
            let name = name.clone();
            move |app| auth::create_token(&app.auth, &name)
        })
        .await??;
    println!("storaged: API token {name:?} was made");
    Ok((StatusCode::CREATED, Json(NewToken { name, token })))
}

async fn delete(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.mutate({
        let name = name.clone();
        move |app| auth::delete_token(&app.auth, &name)
    })
    .await??;
    println!("storaged: API token {name:?} was revoked");
    Ok(StatusCode::NO_CONTENT)
}

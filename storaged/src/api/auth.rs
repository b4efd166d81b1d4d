//! First-time setup, login, logout, the session and the admin password.

use std::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::access::{credential, Via};
use super::openapi::{error_response, json_request, json_response, request, response};
use super::{session_token, Access, ApiError, ApiJson, AppState, Endpoint, Group, Peer};
use crate::auth::{csrf_token, ADMIN_USER, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use crate::engine::auth;

pub fn group() -> Group {
    Group {
        name: "auth",
        description: "First-time setup and sessions. The local socket needs neither.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/setup",
                Access::Public,
                setup_state,
                json!({
                    "summary": "Whether the admin password still has to be set",
                    "operationId": "getSetup",
                    "responses": {"200": json_response::<SetupState>("Setup state.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/setup",
                Access::Public,
                setup,
                json!({
                    "summary": "Set the first admin password with the one-time setup token",
                    "description": "The token is printed on the console and the journal at \
                        start while no admin password is set; it works once. The local \
                        socket may omit it.",
                    "operationId": "setup",
                    "requestBody": json_request::<SetupRequest>(),
                    "responses": {
                        "204": {"description": "The password is set; the token is used up."},
                        "403": error_response("The token is wrong or was already used."),
                        "409": error_response("The admin password is already set."),
                        "429": error_response("Too many failed attempts; see Retry-After."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/login",
                Access::Public,
                login,
                json!({
                    "summary": "Open a session",
                    "description": "Answers a bearer token and sets it as a Secure, \
                        HttpOnly, SameSite=Strict cookie. Sessions expire. A request with \
                        the cookie that changes something (not GET, HEAD, OPTIONS) must carry \
                        `Origin: https://<Host>` and `X-CSRF-Token: <csrf_token>`; bearer \
                        requests need neither. Failed logins are throttled per client address.",
                    "operationId": "login",
                    "requestBody": json_request::<LoginRequest>(),
                    "responses": {
                        "200": json_response::<SessionBody>("A new session."),
                        "401": error_response("Wrong username or password."),
                        "409": error_response("No admin password is set yet."),
                        "429": error_response("Too many failed attempts; see Retry-After."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/logout",
                Access::Public,
                logout,
                json!({
                    "summary": "End the session the request carries",
                    "operationId": "logout",
                    "responses": {
                        "204": {"description": "The session, if any, is over; the cookie is cleared."},
                    },
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/session",
                Access::Admin,
                session_info,
                json!({
                    "summary": "Who the request is authenticated as, and for how long",
                    "description": "For pages: the user, the seconds the session has left and \
                        its CSRF token. An API token answers its name and no expiry; the \
                        local socket answers `root`.",
                    "operationId": "getSession",
                    "responses": {"200": json_response::<SessionInfo>("The caller.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/password",
                Access::Admin,
                change_password,
                json!({
                    "summary": "Change the admin password",
                    "description": "Needs the current password (the local socket may omit \
                        it). The new one must be at least 12 characters, not all blank, with \
                        at least 5 different characters. Every other session ends; the \
                        caller's stays. A wrong current password counts as a failed login.",
                    "operationId": "changePassword",
                    "requestBody": json_request::<PasswordChange>(),
                    "responses": {
                        "204": {"description": "Changed; other sessions are over."},
                        "422": error_response("The current password is wrong or missing, or the new one is refused (field says which)."),
                        "429": error_response("Too many failed attempts; see Retry-After."),
                    },
                }),
            ),
        ],
        types: vec![
            request::<SetupRequest>(),
            request::<LoginRequest>(),
            request::<PasswordChange>(),
            response::<SetupState>(),
            response::<SessionBody>(),
            response::<SessionInfo>(),
        ],
    }
}

/// `GET /setup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupState {
    pub setup_required: bool,
}

/// `POST /setup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The setup token; optional on the local socket.
    #[serde(default)]
    #[schemars(example = &"7K2Q-M9XD-4TRB")]
    pub token: Option<String>,
    #[schemars(length(min = MIN_PASSWORD_CHARS, max = MAX_PASSWORD_BYTES))]
    pub password: String,
}

/// `POST /login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[serde(default = "admin")]
    pub username: String,
    pub password: String,
}

fn admin() -> String {
    ADMIN_USER.to_string()
}

/// A new session, answered by `POST /login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Session")]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub username: String,
    /// Seconds.
    pub expires_in: u64,
    /// What a cookie session's state-changing requests send as
    /// `X-CSRF-Token`.
    pub csrf_token: String,
}

/// `GET /session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInfo {
    pub username: String,
    /// How the caller is authenticated.
    pub kind: SessionKind,
    /// Seconds the session has left; none for API tokens and the socket.
    pub expires_in: Option<u64>,
    /// The session's CSRF token; none for API tokens and the socket, which
    /// need none.
    pub csrf_token: Option<String>,
    /// The API token's name, when that is how the caller got in.
    pub token_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A login session sent as the cookie.
    Cookie,
    /// A login session sent as a bearer token.
    Bearer,
    /// A named API token.
    ApiToken,
    /// The local socket (root).
    Local,
}

/// `POST /password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// Required over the network; the local socket may omit it.
    #[serde(default)]
    pub current_password: Option<String>,
    #[schemars(length(min = MIN_PASSWORD_CHARS, max = MAX_PASSWORD_BYTES))]
    pub new_password: String,
}

async fn setup_state(State(app): State<AppState>) -> Json<SetupState> {
    Json(SetupState {
        setup_required: auth::setup_required(&app.auth),
    })
}

async fn setup(
    State(app): State<AppState>,
    peer: Peer,
    ApiJson(request): ApiJson<SetupRequest>,
) -> Result<StatusCode, ApiError> {
    let client = peer.client();
    app.blocking(move |app| {
        auth::set_initial_password(
            &app.auth,
            request.token.as_deref(),
            client,
            &request.password,
            Instant::now(),
        )
    })
    .await??;
    println!(
        "storaged: the admin password was set (from {})",
        describe(peer)
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn login(
    State(app): State<AppState>,
    peer: Peer,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let client = peer.client();
    let session = app
        .blocking(move |app| {
            auth::login(
                &app.auth,
                &request.username,
                &request.password,
                client,
                Instant::now(),
            )
        })
        .await??;
    let max_age = session.expires_in.as_secs();
    let cookie = session_cookie(&session.token, max_age);
    let body = SessionBody {
        csrf_token: csrf_token(&session.token),
        token: session.token,
        token_type: "Bearer".into(),
        username: session.username,
        expires_in: max_age,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

async fn logout(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        auth::logout(&app.auth, token);
    }
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie("", 0))],
    )
        .into_response()
}

async fn session_info(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
) -> Result<Json<SessionInfo>, ApiError> {
    let local = SessionInfo {
        username: "root".into(),
        kind: SessionKind::Local,
        expires_in: None,
        csrf_token: None,
        token_name: None,
    };
    let Some((token, via)) = credential(&headers) else {
        return if peer.is_local() {
            Ok(Json(local))
        } else {
            Err(ApiError::LoginRequired)
        };
    };
    if let Some((username, left)) = app.auth.session_left(token, Instant::now()) {
        return Ok(Json(SessionInfo {
            username,
            kind: match via {
                Via::Cookie => SessionKind::Cookie,
                Via::Bearer => SessionKind::Bearer,
            },
            expires_in: Some(left.as_secs()),
            csrf_token: Some(csrf_token(token)),
            token_name: None,
        }));
    }
    match app.auth.api_token(token) {
        Some(name) if via == Via::Bearer => Ok(Json(SessionInfo {
            username: ADMIN_USER.into(),
            kind: SessionKind::ApiToken,
            expires_in: None,
            csrf_token: None,
            token_name: Some(name),
        })),
        _ if peer.is_local() => Ok(Json(local)),
        _ => Err(ApiError::LoginRequired),
    }
}

async fn change_password(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    ApiJson(request): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let keep = session_token(&headers).map(str::to_string);
    let client = peer.client();
    let result = app
        .blocking(move |app| {
            auth::change_password(
                &app.auth,
                request.current_password.as_deref(),
                &request.new_password,
                keep.as_deref(),
                client,
                Instant::now(),
            )
        })
        .await?;
    match result.map_err(ApiError::from) {
        Ok(()) => {
            println!(
                "storaged: the admin password was changed (from {})",
                describe(peer)
            );
            Ok(StatusCode::NO_CONTENT)
        }
        // The policy's refusals name `password`; here it is `new_password`.
        Err(ApiError::Invalid { field, message }) if field.as_deref() == Some("password") => {
            Err(ApiError::invalid("new_password", message))
        }
        Err(e) => Err(e),
    }
}

fn session_cookie(token: &str, max_age: u64) -> HeaderValue {
    let cookie = format!(
        "{}={token}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Strict",
        super::SESSION_COOKIE
    );
    HeaderValue::from_str(&cookie).expect("hex tokens make valid cookies")
}

fn describe(peer: Peer) -> String {
    match peer {
        Peer::Local => "the local socket".into(),
        Peer::Network(addr) => addr.ip().to_string(),
    }
}

//! First-time setup, login and logout.

use std::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openapi::{error_response, json_request, json_response, request, response};
use super::{session_token, Access, ApiError, ApiJson, AppState, Endpoint, Group, Peer};
use crate::auth::{ADMIN_USER, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
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
                        HttpOnly, SameSite=Strict cookie. Sessions expire.",
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
        ],
        types: vec![
            request::<SetupRequest>(),
            request::<LoginRequest>(),
            response::<SetupState>(),
            response::<SessionBody>(),
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
    let trusted = peer.is_local();
    app.blocking(move |app| {
        auth::set_initial_password(
            &app.auth,
            request.token.as_deref(),
            trusted,
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
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = app
        .blocking(move |app| {
            auth::login(
                &app.auth,
                &request.username,
                &request.password,
                Instant::now(),
            )
        })
        .await??;
    let max_age = session.expires_in.as_secs();
    let cookie = session_cookie(&session.token, max_age);
    let body = SessionBody {
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

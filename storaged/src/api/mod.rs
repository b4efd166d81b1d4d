//! The JSON API under `/api/v1`: one router built from endpoint groups.
//!
//! A group is a module with `pub fn group() -> Group`: its endpoints, each
//! with its method, path, who may call it ([`Access`]), its OpenAPI
//! operation and its handler, plus the request and answer types the
//! operations refer to (their schemas are generated from the types).
//! [`router`] and [`openapi::document`] are both built from [`groups`], so a
//! route cannot be served without being documented.
//!
//! To add a group (drives, pools, datasets, volumes, snapshots):
//! 1. write `api/pools.rs` with `pub fn group() -> Group`; its handlers
//!    take `State(app): State<AppState>`, bodies as [`ApiJson`] of a
//!    `#[serde(deny_unknown_fields)]` struct, and return
//!    `Result<_, ApiError>`; request and answer types derive
//!    `schemars::JsonSchema` (and `Deserialize`, for storagectl), the
//!    operations name them with `openapi::json_request::<T>()` and
//!    `json_response::<T>(..)`, and the group lists them in `types`;
//!    `UPDATE_OPENAPI=1 cargo test -p storaged docs_openapi_json` then
//!    rewrites `docs/openapi.json`;
//! 2. add `mod pools;` below and `pools::group()` to [`groups`];
//! 3. put the operations in an engine part; a new [`EngineError`] variant
//!    forces a status choice in the one `match` in `error.rs`.
//!
//! [`EngineError`]: crate::engine::EngineError
//!
//! Handlers parse the request into engine inputs, call the engine
//! (`crate::engine`) and build the answer. Operations that change the
//! machine or the persisted state run through [`AppState::mutate`] (one
//! at a time, off the runtime's thread); reads through
//! [`AppState::blocking`]. The engine checks everything (names, values,
//! the change to the desired state) before the first command runs, and
//! saves the state only once the commands succeeded (see
//! `engine/declared.rs`); its errors get their statuses in `error.rs`.
//!
//! A path parameter that may hold `/` (a dataset name) is axum's catch-all
//! `{*name}`; the OpenAPI document spells it `{name}`.

mod access;
mod auth;
mod certificate;
pub mod client;
pub mod console;
pub mod dashboard;
pub mod datasets;
pub mod drives;
mod error;
pub mod iscsi;
mod json;
pub mod nfs;
pub mod openapi;
pub mod pools;
pub mod presets;
mod query;
pub mod remote;
mod shares;
pub mod smb;
pub mod snapshots;
pub mod ssh;
mod state;
mod system;
mod tokens;
pub mod upgrade;
pub mod volumes;

#[cfg(test)]
mod tests;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, Uri};
use axum::response::Response;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use serde_json::Value;

pub use access::{session_token, Peer, SESSION_COOKIE};
pub use auth::{LoginRequest, PasswordChange, SessionBody, SetupRequest, SetupState};
pub use error::{ApiError, ErrorBody};
pub use json::{ApiJson, SortedJson};
pub use shares::Applied;
pub use state::{AppState, Shared};
pub use system::{ImageInfo, Status};
pub use tokens::{NewToken, NewTokenRequest, TokenEntry, TokenList};

/// Every API path starts with this.
pub const PREFIX: &str = "/api/v1";
/// Largest request body accepted (a group may raise it for its routes).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone who can reach the API: setup, login, the OpenAPI document.
    Public,
    /// The local socket, or a network client with a live session.
    Admin,
}

/// One method on one path.
pub struct Endpoint {
    pub method: Method,
    /// Below [`PREFIX`], with OpenAPI/axum parameters: `/pools/{pool}`.
    pub path: &'static str,
    pub access: Access,
    /// The OpenAPI Operation Object (summary, operationId, requestBody,
    /// responses); tags, security and the 401 answer are added for you.
    pub operation: Value,
    handler: MethodRouter<AppState>,
}

impl Endpoint {
    pub fn new<H, T>(
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
        operation: Value,
    ) -> Endpoint
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("an HTTP method axum routes");
        Endpoint {
            method,
            path,
            access,
            operation,
            handler: on(filter, handler),
        }
    }
}

/// A module's endpoints and the schemas they refer to.
pub struct Group {
    /// The OpenAPI tag.
    pub name: &'static str,
    pub description: &'static str,
    pub endpoints: Vec<Endpoint>,
    /// The request and answer types the operations name, for the
    /// generated `components.schemas`.
    pub types: Vec<openapi::TypeSchema>,
}

/// Every endpoint group, in the order the document lists them.
pub fn groups() -> Vec<Group> {
    vec![
        system::group(),
        auth::group(),
        drives::group(),
        pools::group(),
        datasets::group(),
        volumes::group(),
        snapshots::group(),
        iscsi::group(),
        nfs::group(),
        smb::group(),
        upgrade::group(),
        console::group(),
        presets::group(),
        ssh::group(),
        tokens::group(),
        certificate::group(),
        dashboard::group(),
    ]
}

/// The API's router: every group's endpoints, admin ones behind the login
/// check, `pages` (the web console, which sits beside the API and uses its
/// types, so the start-up layer hands it in) and JSON answers for unknown
/// paths and methods.
pub fn router(state: AppState, pages: Router<AppState>) -> Router {
    let mut router = Router::new();
    for group in groups() {
        for endpoint in group.endpoints {
            let handler = match endpoint.access {
                Access::Public => endpoint.handler,
                Access::Admin => {
                    endpoint
                        .handler
                        .route_layer(axum::middleware::from_fn_with_state(
                            state.clone(),
                            access::require_admin,
                        ))
                }
            };
            router = router.route(&format!("{PREFIX}{}", endpoint.path), handler);
        }
    }
    router
        .merge(pages)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(no_store))
        .with_state(state)
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NoRoute {
        method: method.to_string(),
        path: uri.path().to_string(),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_string(),
    }
}

/// API answers and pages are about live state and sessions: never cache
/// them, unless the answer says otherwise (the console's static files).
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

//! API errors: one enum, one exhaustive `match` to HTTP statuses, one JSON
//! shape: `{"error": {"code": "...", "message": "...", "field": "..."}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::AuthError;
use crate::engine::pools::DiskRefusal;
use crate::engine::EngineError;
use crate::samba::SambaError;
use crate::state::{LoadError, MutationError};
use crate::upgrade::UpgradeError;
use crate::util::error_chain;
use crate::zfs::ZfsError;

/// Everything an API call can answer besides success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all (syntax, truncated, empty).
    #[error("{message}")]
    MalformedJson {
        message: String,
        field: Option<String>,
    },
    /// JSON, but not what the endpoint takes: an unknown, missing or
    /// mistyped field, or a value the endpoint rejects.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error(
        "the request body must be JSON (Content-Type: application/json), not {content_type:?}"
    )]
    UnsupportedMediaType { content_type: String },
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("login required")]
    LoginRequired,
    /// A cookie session's state-changing request without the same origin
    /// and the session's CSRF token: possibly another site's forgery.
    #[error("{message}")]
    CsrfRefused { message: String },
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("the setup token is wrong or was already used")]
    InvalidSetupToken,
    #[error("the admin password is already set")]
    AlreadySetUp,
    #[error(
        "the admin password is not set yet; set it with the setup token printed on the console"
    )]
    SetupRequired,
    #[error("too many failed attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("no such endpoint: {method} {path}")]
    NoRoute { method: String, path: String },
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    /// A named object does not exist (`kind` "pool", `name` "tank").
    #[error("{kind} {name:?} not found")]
    NotFound { kind: &'static str, name: String },
    /// The request contradicts the current state (exists already, busy).
    #[error("{message}")]
    Conflict { message: String },
    /// Only the appliance itself (the local socket) may do this.
    #[error("{what} is only possible on the appliance's own console")]
    LocalOnly { what: &'static str },
    /// storaged failed; the message holds the whole cause chain.
    #[error("{message}")]
    Internal { message: String },
}

impl ApiError {
    /// The HTTP status. Exhaustive on purpose: a new variant must choose.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::LoginRequired => StatusCode::UNAUTHORIZED,
            ApiError::CsrfRefused { .. } => StatusCode::FORBIDDEN,
            ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::InvalidSetupToken => StatusCode::FORBIDDEN,
            ApiError::AlreadySetUp => StatusCode::CONFLICT,
            ApiError::SetupRequired => StatusCode::CONFLICT,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NoRoute { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::LocalOnly { .. } => StatusCode::FORBIDDEN,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson { .. } => "malformed_json",
            ApiError::Invalid { .. } => "invalid_request",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::LoginRequired => "login_required",
            ApiError::CsrfRefused { .. } => "csrf_refused",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::InvalidSetupToken => "invalid_setup_token",
            ApiError::AlreadySetUp => "already_set_up",
            ApiError::SetupRequired => "setup_required",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::NoRoute { .. } => "no_route",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::NotFound { .. } => "not_found",
            ApiError::Conflict { .. } => "conflict",
            ApiError::LocalOnly { .. } => "local_only",
            ApiError::Internal { .. } => "internal",
        }
    }

    /// The request field at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::MalformedJson { field, .. } | ApiError::Invalid { field, .. } => {
                field.as_deref()
            }
            ApiError::InvalidSetupToken => Some("token"),
            _ => None,
        }
    }

    /// A value the endpoint rejects, in `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// An internal failure, with the whole chain of causes.
    pub fn internal(err: &dyn std::error::Error) -> ApiError {
        ApiError::Internal {
            message: error_chain(err),
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                field: self.field().map(str::to_string),
            },
        }
    }
}

/// The JSON every error answer carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    #[schemars(example = &"invalid_request")]
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal { message } = &self {
            println!("storaged: API error: {message}");
        }
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::LoginRequired => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"storaged\""),
                );
            }
            ApiError::TooManyAttempts { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

/// Setup and login refusals; the credentials file's failures are internal.
fn from_auth(err: AuthError) -> ApiError {
    match err {
        AuthError::AlreadySetUp => ApiError::AlreadySetUp,
        AuthError::SetupRequired => ApiError::SetupRequired,
        AuthError::InvalidSetupToken => ApiError::InvalidSetupToken,
        AuthError::InvalidCredentials => ApiError::InvalidCredentials,
        AuthError::Throttled { retry_after } => ApiError::TooManyAttempts {
            retry_after_secs: retry_after.as_secs().max(1),
        },
        AuthError::PasswordTooShort
        | AuthError::PasswordTooLong
        | AuthError::PasswordBlank
        | AuthError::PasswordTooSimple => ApiError::invalid("password", err.to_string()),
        AuthError::WrongCurrentPassword | AuthError::CurrentPasswordRequired => {
            ApiError::invalid("current_password", err.to_string())
        }
        AuthError::BadTokenName { .. } | AuthError::TooManyTokens => {
            ApiError::invalid("name", err.to_string())
        }
        AuthError::TokenExists { .. } => ApiError::Conflict {
            message: err.to_string(),
        },
        AuthError::NoSuchToken { name } => ApiError::NotFound {
            kind: "API token",
            name,
        },
        AuthError::Read { .. }
        | AuthError::Parse { .. }
        | AuthError::Version { .. }
        | AuthError::Write { .. }
        | AuthError::Hash(_)
        | AuthError::Random(_) => ApiError::internal(&err),
    }
}

/// `zpool`/`zfs` refusals and failures. The request fields named are the
/// ones the pool, dataset and volume endpoints take.
fn from_zfs(err: ZfsError) -> ApiError {
    let message = err.to_string();
    match &err {
        ZfsError::TooFewDisks { .. } | ZfsError::DuplicateDisk { .. } => {
            ApiError::invalid("disks", message)
        }
        ZfsError::UnevenVdevs { .. } => ApiError::invalid("vdevs", message),
        ZfsError::NotAMember { pool, disk } => ApiError::NotFound {
            kind: "pool member",
            name: format!("{disk} (pool {pool})"),
        },
        ZfsError::ConfirmationMismatch { .. } => ApiError::invalid("confirm", message),
        ZfsError::BadVolBlockSize { .. } => ApiError::invalid("volblocksize", message),
        ZfsError::BadVolSize { .. } => ApiError::invalid("size", message),
        ZfsError::ZeroQuota { .. } => ApiError::invalid("quota", message),
        ZfsError::NoSuchPool { pool } => ApiError::NotFound {
            kind: "pool",
            name: pool.to_string(),
        },
        ZfsError::NoSuchDataset { dataset } => ApiError::NotFound {
            kind: if dataset.contains('@') {
                "snapshot"
            } else {
                "dataset"
            },
            name: dataset.clone(),
        },
        ZfsError::DisksInUse { .. }
        | ZfsError::DiskMissing { .. }
        | ZfsError::PoolExists { .. }
        | ZfsError::PoolInUseElsewhere { .. }
        | ZfsError::DatasetExists { .. }
        | ZfsError::NoParent { .. }
        | ZfsError::WrongKind { .. }
        | ZfsError::HasDependents { .. }
        | ZfsError::NewerSnapshots { .. }
        | ZfsError::ShrinkRefused { .. }
        | ZfsError::QuotaBelowUsed { .. }
        | ZfsError::OutOfSpace { .. }
        | ZfsError::ScanRunning { .. }
        | ZfsError::MemberRefused { .. } => ApiError::Conflict { message },
        ZfsError::BadMountBase { .. } | ZfsError::Parse { .. } | ZfsError::Command { .. } => {
            ApiError::internal(&err)
        }
    }
}

/// What the desired state refuses: a name taken, a parent missing, a shape
/// ZFS would not build.
fn from_mutation(err: MutationError) -> ApiError {
    let message = err.to_string();
    match &err {
        MutationError::PoolNotDeclared(pool) => ApiError::NotFound {
            kind: "declared pool",
            name: pool.to_string(),
        },
        MutationError::DatasetNotDeclared(name) => ApiError::NotFound {
            kind: "declared dataset",
            name: name.to_string(),
        },
        MutationError::VolumeNotDeclared(name) => ApiError::NotFound {
            kind: "declared volume",
            name: name.to_string(),
        },
        MutationError::NoDisks { .. }
        | MutationError::TooFewDisks { .. }
        | MutationError::DuplicateDisk { .. } => ApiError::invalid("disks", message),
        MutationError::ForcedNotMember { .. } => ApiError::invalid("force", message),
        MutationError::UnevenVdevs { .. } => ApiError::invalid("vdevs", message),
        MutationError::NotMember { .. } => ApiError::invalid("old", message),
        MutationError::ParentPoolNotDeclared { .. }
        | MutationError::ParentNotDeclared { .. }
        | MutationError::ParentIsVolume { .. } => ApiError::invalid("name", message),
        MutationError::BadDataset { .. } => ApiError::Invalid {
            field: None,
            message,
        },
        MutationError::BadVolume { reason, .. } => ApiError::invalid(
            if reason.starts_with("volblocksize") {
                "volblocksize"
            } else {
                "size"
            },
            message,
        ),
        MutationError::PoolExists(_)
        | MutationError::DiskInOtherPool { .. }
        | MutationError::DatasetExists(_)
        | MutationError::VolumeExists(_)
        | MutationError::PoolHasChildren { .. }
        | MutationError::DatasetHasChildren { .. }
        | MutationError::Served { .. }
        | MutationError::UserExists(_)
        | MutationError::UserInUse { .. } => ApiError::Conflict { message },
        MutationError::TargetNotDeclared(iqn) => ApiError::NotFound {
            kind: "declared iSCSI target",
            name: iqn.to_string(),
        },
        MutationError::ExportNotDeclared(dataset) => ApiError::NotFound {
            kind: "declared NFS export",
            name: dataset.to_string(),
        },
        MutationError::ShareNotDeclared(share) => ApiError::NotFound {
            kind: "declared SMB share",
            name: share.to_string(),
        },
        MutationError::UserNotDeclared(user) => ApiError::NotFound {
            kind: "declared user",
            name: user.to_string(),
        },
        MutationError::Iscsi(e) => ApiError::invalid(&e.field, message),
        MutationError::LunNotVolume { field, .. } => ApiError::invalid(field, message),
        MutationError::SharedNotDataset { .. } => ApiError::invalid("dataset", message),
        MutationError::ShareUserNotDeclared { .. } => ApiError::invalid("valid_users", message),
        MutationError::Nfs(_) | MutationError::Smb(_) => ApiError::Invalid {
            field: None,
            message,
        },
        MutationError::NoApplianceId | MutationError::BadUid { .. } => {
            ApiError::Internal { message }
        }
    }
}

/// The one place an engine error gets its HTTP status: every variant is
/// matched (and the lower errors' own variants in `from_zfs`,
/// `from_mutation`, which only this calls), so a new one cannot ship
/// without a choice.
impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> ApiError {
        match err {
            EngineError::Zfs(e) => from_zfs(e),
            EngineError::Mutation(e) => from_mutation(e),
            EngineError::Load(e) => from_load(e),
            EngineError::Drives(_) => ApiError::internal(&err),
            EngineError::Disks(refusal) => {
                let message = refusal.to_string();
                match refusal {
                    DiskRefusal::Unknown { field, .. } | DiskRefusal::Ambiguous { field, .. } => {
                        ApiError::invalid(field, message)
                    }
                    DiskRefusal::ForceNotMember { .. } => ApiError::invalid("force", message),
                    DiskRefusal::Refused { .. } => ApiError::Conflict { message },
                }
            }
            EngineError::PoolNotImported { .. } => ApiError::Conflict {
                message: err.to_string(),
            },
            EngineError::ReplaceWithItself { .. } | EngineError::AlreadyAMember { .. } => {
                ApiError::invalid("new", err.to_string())
            }
            EngineError::CannotAdopt { .. } => ApiError::Conflict {
                message: err.to_string(),
            },
            EngineError::TargetExists(_)
            | EngineError::ExportExists(_)
            | EngineError::ShareExists(_) => ApiError::Conflict {
                message: err.to_string(),
            },
            EngineError::TargetRejected(e) => super::iscsi::about_request(from_mutation(e)),
            EngineError::NoRandomness(_) | EngineError::Sharing(_) | EngineError::Sessions(_) => {
                ApiError::internal(&err)
            }
            EngineError::NotApplied { error, restore } => {
                let mut message = error_chain(error.as_ref());
                if let Some(again) = restore {
                    message.push_str(&format!(
                        "; restoring the previous configuration failed too: {}",
                        error_chain(again.as_ref())
                    ));
                }
                ApiError::Internal { message }
            }
            EngineError::Samba(e) => match e {
                SambaError::NoSuchUser { user } => ApiError::NotFound {
                    kind: "Samba user",
                    name: user.to_string(),
                },
                SambaError::SystemAccount { .. } => ApiError::invalid("name", e.to_string()),
                SambaError::BadPath { .. }
                | SambaError::ReadSystemAccounts { .. }
                | SambaError::BadText { .. }
                | SambaError::BadInterface { .. }
                | SambaError::GuestWithUsers { .. }
                | SambaError::DuplicateShare { .. }
                | SambaError::AddFailed { .. }
                | SambaError::ParsePdbedit { .. }
                | SambaError::Command { .. } => ApiError::internal(&e),
            },
            EngineError::Auth(e) => from_auth(e),
            EngineError::Power { .. } => ApiError::internal(&err),
            EngineError::Upgrade(e) => {
                let message = error_chain(&e);
                match e {
                    UpgradeError::Bundle(_)
                    | UpgradeError::WrongImage { .. }
                    | UpgradeError::Downgrade { .. }
                    | UpgradeError::TooLarge { .. }
                    | UpgradeError::UploadInterrupted(_) => ApiError::Invalid {
                        field: Some("bundle".into()),
                        message,
                    },
                    UpgradeError::BadTries { .. } => ApiError::invalid("tries", message),
                    UpgradeError::NetworkBoot
                    | UpgradeError::NotAnAbBoot
                    | UpgradeError::NoUpdateKey { .. }
                    | UpgradeError::BadUpdateKey { .. }
                    | UpgradeError::NoBootMedium { .. }
                    | UpgradeError::NotBlessed { .. }
                    | UpgradeError::Busy
                    | UpgradeError::NoSpace { .. }
                    | UpgradeError::NoValidImage { .. } => ApiError::Conflict { message },
                    UpgradeError::GrubEnv { .. }
                    | UpgradeError::Reboot(_)
                    | UpgradeError::Io { .. } => ApiError::Internal { message },
                }
            }
            EngineError::BadName(e) => ApiError::invalid("name", e.to_string()),
            EngineError::SnapshotOfUndeclared { name } => ApiError::NotFound {
                kind: "declared dataset or volume",
                name,
            },
            EngineError::NoSuchSnapshot(snapshot) => ApiError::NotFound {
                kind: "snapshot",
                name: snapshot.to_string(),
            },
            // The machine changed; the caller's request was fine.
            EngineError::NotRecorded { .. } => ApiError::internal(&err),
            // The share or LUN was refused after the dataset was made (and
            // destroyed again): the services' fault, not the request's.
            EngineError::Preset(_) => ApiError::internal(&err),
            EngineError::Ssh(e) => super::ssh::from_ssh(e),
        }
    }
}

/// A state file that does not load is storaged's problem, not the caller's.
fn from_load(err: LoadError) -> ApiError {
    ApiError::internal(&err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_json_with_code_message_and_field() {
        let cases = [
            (
                ApiError::invalid("password", "too short"),
                422,
                "invalid_request",
                Some("password"),
            ),
            (
                ApiError::MalformedJson {
                    message: "EOF".into(),
                    field: None,
                },
                400,
                "malformed_json",
                None,
            ),
            (
                ApiError::InvalidSetupToken,
                403,
                "invalid_setup_token",
                Some("token"),
            ),
            (ApiError::LoginRequired, 401, "login_required", None),
            (
                ApiError::NotFound {
                    kind: "pool",
                    name: "tank".into(),
                },
                404,
                "not_found",
                None,
            ),
        ];
        for (err, status, code, field) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
            let body = serde_json::to_value(err.body()).unwrap();
            assert_eq!(body["error"]["code"], code);
            assert_eq!(body["error"]["message"], err.to_string());
            assert_eq!(body["error"].get("field").and_then(|f| f.as_str()), field);
        }
    }

    #[test]
    fn throttling_says_when_to_retry() {
        let response = ApiError::TooManyAttempts {
            retry_after_secs: 42,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
        let response = ApiError::LoginRequired.into_response();
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }

    #[test]
    fn internal_auth_failures_keep_their_cause() {
        let err = ApiError::from(EngineError::Auth(AuthError::Write {
            path: "/var/lib/storaged/auth.json".into(),
            source: std::io::Error::other("disk full"),
        }));
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            err.to_string(),
            "cannot write /var/lib/storaged/auth.json: disk full"
        );
    }
}

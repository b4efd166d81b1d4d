//! What the iSCSI, NFS and SMB groups share: applying a changed desired
//! state to the sharing services and committing it only once they took it.

use serde::Serialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::state::Shared;
use crate::engine::declared::Declared;
use crate::sharing::{SharingError, SharingReport};
use crate::state::DesiredState;

/// The answer to a sharing change.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    /// What storaged changed on the machine.
    pub report: SharingReport,
}

impl From<SharingError> for ApiError {
    fn from(err: SharingError) -> ApiError {
        ApiError::internal(&err)
    }
}

/// Brings the services to `next`, then saves it. If the services refuse,
/// they are brought back to what is declared now and nothing is saved, so
/// a failed request leaves the machine and the state as they were.
pub fn apply_and_commit(
    app: &Shared,
    declared: Declared,
    next: &DesiredState,
    done: &str,
) -> Result<Applied, ApiError> {
    match app.machine.sharing.apply(app.machine.runner.as_ref(), next) {
        Ok(report) => {
            declared.commit(next, done)?;
            Ok(Applied { report })
        }
        Err(err) => {
            let restored = app
                .machine
                .sharing
                .apply(app.machine.runner.as_ref(), &declared.state);
            let mut message = crate::util::error_chain(&err);
            if let Err(again) = restored {
                message.push_str(&format!(
                    "; restoring the previous configuration failed too: {}",
                    crate::util::error_chain(&again)
                ));
            }
            Err(ApiError::Internal { message })
        }
    }
}

/// `value` with every `secret` field replaced by `"********"`: CHAP
/// secrets are kept (LIO needs them) but never shown back.
pub fn redact_secrets(mut value: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, item) in map.iter_mut() {
                    if k == "secret" && item.is_string() {
                        *item = json!("********");
                    } else {
                        walk(item);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

/// The OpenAPI schema of [`Applied`].
pub fn applied_schema() -> (&'static str, Value) {
    (
        "SharingApplied",
        json!({
            "type": "object",
            "required": ["report"],
            "properties": {
                "report": {
                    "type": "object",
                    "properties": {
                        "iscsi_changes": {"type": "integer"},
                        "exports_changed": {"type": "boolean"},
                        "smb_conf_changed": {"type": "boolean"},
                        "accounts_changed": {"type": "boolean"},
                        "warnings": {"type": "array", "items": {"type": "string"}},
                        "notes": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        }),
    )
}

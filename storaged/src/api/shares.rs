//! What the iSCSI, NFS and SMB groups share: the answer to a change (the
//! engine's sharing report) and secrets kept out of answers.

use serde::Serialize;
use serde_json::{json, Value};

use crate::sharing::SharingReport;

/// The answer to a sharing change.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
#[schemars(rename = "SharingApplied")]
pub struct Applied {
    /// What storaged changed on the machine.
    pub report: SharingReport,
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

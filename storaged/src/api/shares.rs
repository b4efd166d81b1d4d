//! What the iSCSI, NFS and SMB groups share: the answer to a change (the
//! engine's sharing report).

use serde::Serialize;

use crate::sharing::SharingReport;

/// The answer to a sharing change.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
#[schemars(rename = "SharingApplied")]
pub struct Applied {
    /// What storaged changed on the machine.
    pub report: SharingReport,
}

//! iSCSI through LIO, written straight into configfs (no targetcli).
//!
//! What this module owns:
//! - the desired iSCSI configuration ([`IscsiConfig`]) and its validation;
//! - each LUN's persistent SCSI identity ([`LunIdentity`]);
//! - [`ensure_lio`], which brings configfs `target/` to that config through
//!   the [`Configfs`] seam, writing only what differs, and reports what it
//!   changed;
//! - the `esxcli` lines an ESXi admin needs ([`esxcli_lines`]).
//!
//! What it must not do:
//! - rewrite a value that is already right or re-create an unchanged
//!   object: either can drop live iSCSI sessions;
//! - derive identity from anything but persisted inputs;
//! - bind the wildcard portal beside specific ones;
//! - write `emulate_write_cache` on iblock.
//!
//! [`fake::FakeConfigfs`] behaves like the kernel's configfs for the
//! objects used here, including what the kernel refuses.

mod config;
mod esxi;
pub mod fake;
mod fs;
mod identity;
mod iqn;
mod objects;
mod report;
mod targets;
mod teardown;
mod writer;

#[cfg(test)]
mod tests;

pub use config::{
    Access, Acl, BlockSize, Chap, ChapCredential, ConfigError, IscsiConfig, Lun, Portal, Target,
    CHAP_SECRET_LEN,
};
pub use esxi::{esxcli_claim_rule, esxcli_lines, EsxcliLines};
pub use fs::{Configfs, EntryKind, RealConfigfs};
pub use identity::{ApplianceId, LunIdentity, PRODUCT_ID, VENDOR_ID};
pub use iqn::Iqn;
pub use objects::{parse_info, ATTRIBUTES, SERIAL_SHOWN_PREFIX};
pub use report::{Action, Change, ObjectKind, Report};
pub use writer::{ensure_lio, storage_object_name, LioError, LioSettings, CHAP_NONE, IBLOCK_HBA};

/// The production configfs root.
pub const CONFIGFS_ROOT: &str = "/sys/kernel/config";

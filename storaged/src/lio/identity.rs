//! The SCSI identity storaged gives each LUN: serial, NAA WWN, vendor and
//! product.
//!
//! ESXi recognises a datastore's disk by its NAA identifier and unit
//! serial. If either changes (a reboot that regenerated it, a re-created
//! storage object with a fresh random serial) ESXi sees a *new* disk: the
//! datastore goes missing, or is offered for "resignature". So identity is
//! a pure function of stable inputs, a per-appliance id persisted in
//! storaged's state and the zvol's name, never of the boot, the order of
//! creation or a random number. Distinct zvols give distinct serials,
//! which XCOPY needs since the CVE-2020-28374 fix (copies only between
//! LUNs with different serials).

use sha2::{Digest, Sha256};

use crate::names::{DatasetName, NameError};

/// INQUIRY vendor identification storaged writes (`wwn/vendor_id`,
/// at most 8 characters). ESXi claim rules match on it.
pub const VENDOR_ID: &str = "IRONSTOR";
/// INQUIRY product identification (`wwn/product_id`, at most 16).
pub const PRODUCT_ID: &str = "ZVOL";

/// LIO's default IEEE company id (OpenFabrics, `00 14 05`): the NAA
/// designator starts `6` + these six hex digits unless `wwn/company_id`
/// is changed, which storaged does not do.
const LIO_COMPANY_ID: &str = "001405";

/// The appliance's own id, generated once and kept in storaged's state;
/// it keeps two appliances with a zvol of the same name apart.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApplianceId(String);

impl ApplianceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ApplianceId {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        let ok =
            (8..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(NameError {
                kind: "appliance id",
                value: s.to_string(),
                reason: "must be 8-64 letters, digits or - (a UUID fits)",
            });
        }
        Ok(ApplianceId(s.to_string()))
    }
}

impl TryFrom<String> for ApplianceId {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        s.parse()
    }
}

impl From<ApplianceId> for String {
    fn from(a: ApplianceId) -> String {
        a.0
    }
}

/// What a LUN reports about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LunIdentity {
    /// `wwn/vpd_unit_serial`: 32 lowercase hex digits.
    pub serial: String,
    /// The NAA designator LIO derives from that serial (VPD page 0x83),
    /// as ESXi shows it: `naa.6001405` followed by 25 hex digits.
    pub naa: String,
}

impl LunIdentity {
    /// Identity for `zvol` on the appliance `id`. Versioned by the domain
    /// string: changing the derivation would change every disk for ESXi,
    /// so it must never change.
    pub fn derive(id: &ApplianceId, zvol: &DatasetName) -> LunIdentity {
        let mut h = Sha256::new();
        h.update(b"ironstor lio unit serial v1\0");
        h.update(id.as_str().as_bytes());
        h.update(b"\0");
        h.update(zvol.as_str().as_bytes());
        let digest = h.finalize();
        let serial: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        // spc_gen_naa_6h_vendor_specific(): NAA 6, the company id, then
        // the first 25 hex digits of the unit serial.
        let naa = format!("naa.6{LIO_COMPANY_ID}{}", &serial[..25]);
        LunIdentity { serial, naa }
    }
}

//! What an ESXi admin types to use a target.
//!
//! Which SATP claims a LIO LUN: LIO reports implicit and explicit ALUA
//! (TPGS bits in the standard INQUIRY, through its `default_tg_pt_gp`), so
//! ESXi's own SATP rules for "ALUA-aware" devices give it `VMW_SATP_ALUA`,
//! whose default path policy is `VMW_PSP_MRU`: one path used at a time.
//! The VMware storage guide (checked with the search tool: "The default
//! PSP for all devices claimed by VMW_SATP_ALUA is VMW_PSP_MRU"; a device
//! that is not ALUA-aware falls back to `VMW_SATP_DEFAULT_AA` with
//! `VMW_PSP_FIXED`) says a vendor/model rule beats the transport default.
//! (That LIO's LUNs land on `VMW_SATP_ALUA` is from LIO's INQUIRY code
//! and admins' reports, not from a VMware page; check it with
//! `esxcli storage nmp device list` on a real host.)
//! So the rule below keeps `VMW_SATP_ALUA` with `tpgs_on` and asks for
//! Round Robin switching paths after every I/O, for the vendor and product
//! storaged writes. If a kernel ever stopped reporting TPGS, the rule
//! would not match and ESXi would fall back to `VMW_SATP_DEFAULT_AA`.

use super::{Target, PRODUCT_ID, VENDOR_ID};

/// The SATP claim rule making ESXi use Round Robin for storaged's LUNs.
/// Add it before the first LUN is presented (or reclaim the devices).
pub fn esxcli_claim_rule() -> String {
    format!(
        "esxcli storage nmp satp rule add -s VMW_SATP_ALUA -V {VENDOR_ID} -M {PRODUCT_ID} \
         -P VMW_PSP_RR -O iops=1 -c tpgs_on -e \"ironstor Round Robin\""
    )
}

/// What to type on one ESXi host for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsxcliLines {
    /// SendTargets discovery, one address per portal (the usual choice).
    pub dynamic_discovery: Vec<String>,
    /// The alternative: static targets, one per portal.
    pub static_discovery: Vec<String>,
    /// Rescan the adapter after either.
    pub rescan: String,
    /// Once per host: Round Robin for storaged's LUNs.
    pub claim_rule: String,
}

/// The lines to add `target` on the software iSCSI adapter `adapter`
/// (e.g. `vmhba64`). CHAP is not shown: secrets do not belong on a page.
pub fn esxcli_lines(target: &Target, adapter: &str) -> EsxcliLines {
    EsxcliLines {
        dynamic_discovery: target
            .portals
            .iter()
            .map(|p| format!("esxcli iscsi adapter discovery sendtarget add -A {adapter} -a {p}"))
            .collect(),
        static_discovery: target
            .portals
            .iter()
            .map(|p| {
                format!(
                    "esxcli iscsi adapter discovery statictarget add -A {adapter} -a {p} -n {}",
                    target.iqn
                )
            })
            .collect(),
        rescan: format!("esxcli storage core adapter rescan -A {adapter}"),
        claim_rule: esxcli_claim_rule(),
    }
}

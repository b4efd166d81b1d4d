//! The desired iSCSI configuration and its validation.
//!
//! This is what storaged wants LIO to serve; the writer brings configfs to
//! it. Every check here names the field it refused, e.g.
//! `targets[0].luns[1].number`, so the API can point at it.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Iqn;
use crate::names::DatasetName;

/// Everything storaged serves over iSCSI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IscsiConfig {
    #[serde(default)]
    pub targets: Vec<Target>,
    /// CHAP that initiators must answer before SendTargets discovery.
    /// LIO holds one discovery credential for the whole host.
    #[serde(default)]
    pub discovery_chap: Option<Chap>,
}

/// One iSCSI target with its single portal group (`tpgt_1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "IscsiTarget")]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub iqn: Iqn,
    /// One portal per storage address, so ESXi sees one path per address.
    pub portals: Vec<Portal>,
    #[serde(default)]
    pub luns: Vec<Lun>,
    pub access: Access,
}

impl Target {
    /// The target with every CHAP secret replaced by `********`: secrets
    /// are kept (LIO needs them) but never shown back.
    pub fn redacted(&self) -> Target {
        let access = match &self.access {
            Access::Initiators { acls } => Access::Initiators {
                acls: acls
                    .iter()
                    .map(|acl| Acl {
                        initiator: acl.initiator.clone(),
                        chap: acl.chap.as_ref().map(Chap::redacted),
                    })
                    .collect(),
            },
            Access::AllowAll { chap } => Access::AllowAll {
                chap: chap.as_ref().map(Chap::redacted),
            },
        };
        Target {
            access,
            ..self.clone()
        }
    }
}

/// What a redacted secret shows.
const REDACTED: &str = "********";

/// A network portal, `ip:port`; IPv6 written `[addr]:port` as LIO names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Portal(SocketAddr);

impl Portal {
    pub fn addr(&self) -> SocketAddr {
        self.0
    }

    /// Whether this is the wildcard `0.0.0.0` or `[::]`.
    pub fn is_wildcard(&self) -> bool {
        self.0.ip().is_unspecified()
    }
}

impl FromStr for Portal {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let addr: SocketAddr = s
            .parse()
            .map_err(|_| format!("{s:?} is not ip:port (IPv6 as [addr]:port)"))?;
        if addr.port() == 0 {
            return Err(format!("{s:?}: port 0 is not a listening port"));
        }
        // LIO would take the portal and then fail to bind it, leaving a
        // target nobody can reach.
        let broadcast = matches!(addr.ip(), IpAddr::V4(ip) if ip.is_broadcast());
        if addr.ip().is_multicast() || broadcast {
            return Err(format!(
                "{s:?}: a multicast or broadcast address cannot be listened on"
            ));
        }
        if let SocketAddr::V6(v6) = addr {
            if v6.scope_id() != 0 || v6.flowinfo() != 0 {
                return Err(format!("{s:?}: scoped IPv6 portals are not supported"));
            }
        }
        Ok(Portal(addr))
    }
}

impl TryFrom<String> for Portal {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Portal> for String {
    fn from(p: Portal) -> String {
        p.to_string()
    }
}

impl fmt::Display for Portal {
    /// The name LIO uses under `np/`: `10.0.0.1:3260`, `[fd00::1]:3260`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.ip() {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.0.port()),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.0.port()),
        }
    }
}

/// One logical unit: a zvol exported as `lun_<number>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lun {
    pub number: u16,
    /// The zvol, served from `/dev/zvol/<zvol>`.
    pub zvol: DatasetName,
    #[serde(default)]
    pub block_size: BlockSize,
    #[serde(default)]
    pub read_only: bool,
}

/// Where udev links zvols: every LUN's backing device is below it.
pub const ZVOL_DIR: &str = "/dev/zvol/";

impl Lun {
    /// The stable udev path of the zvol (never `/dev/zdN`).
    pub fn udev_path(&self) -> String {
        format!("{ZVOL_DIR}{}", self.zvol)
    }
}

/// A LUN's backing path must be canonical and below `/dev/zvol/`: the
/// kernel opens whatever `udev_path=` names, so `/dev/zvol/tank/../../sda`
/// would serve `/dev/sda`. Checked here as well as in `DatasetName`,
/// because this is the last stop before configfs, as the NFS and SMB
/// paths are checked before their files are written.
fn check_backing_path(field: &str, path: &str) -> Result<(), ConfigError> {
    let bad = |why: String| err(field, format!("backing path {path:?} {why}"));
    let Some(below) = path.strip_prefix(ZVOL_DIR) else {
        return Err(bad(format!("is not below {ZVOL_DIR}")));
    };
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("holds blanks or control characters".into()));
    }
    let parts: Vec<&str> = below.split('/').collect();
    if let Some(part) = parts.iter().find(|p| ["", ".", ".."].contains(p)) {
        return Err(bad(format!(
            "has a {part:?} component; it must be canonical (no ., .. or //)"
        )));
    }
    if parts.len() < 2 {
        return Err(bad(format!("must name a zvol, {ZVOL_DIR}<pool>/<volume>")));
    }
    Ok(())
}

/// The logical block size the LUN reports: 512 (what VMFS expects) or 4096.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum BlockSize {
    #[default]
    B512,
    B4096,
}

impl BlockSize {
    pub fn bytes(self) -> u32 {
        match self {
            BlockSize::B512 => 512,
            BlockSize::B4096 => 4096,
        }
    }
}

impl TryFrom<u32> for BlockSize {
    type Error = String;
    fn try_from(n: u32) -> Result<Self, String> {
        match n {
            512 => Ok(BlockSize::B512),
            4096 => Ok(BlockSize::B4096),
            _ => Err(format!("block size {n} is neither 512 nor 4096")),
        }
    }
}

impl From<BlockSize> for u32 {
    fn from(b: BlockSize) -> u32 {
        b.bytes()
    }
}

/// Who may log in to a target. There is no implicit default: allowing any
/// initiator must be asked for.
// Read through `AccessFields`, not serde's internally tagged enum: that
// buffers the object first, and an error inside it (a bad initiator IQN)
// then names only `access`, not `access.acls[0].initiator`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "IscsiAccess")]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Access {
    /// Only these initiators; each sees every LUN of the target.
    Initiators { acls: Vec<Acl> },
    /// Any initiator (LIO "demo mode"), read-write, optionally behind one
    /// CHAP credential kept on the portal group.
    AllowAll {
        #[serde(default)]
        chap: Option<Chap>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum AccessMode {
    Initiators,
    AllowAll,
}

/// Every field of every [`Access`] mode, read in place so errors keep
/// their path; which belong to the mode is checked after.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessFields {
    mode: AccessMode,
    #[serde(default)]
    acls: Option<Vec<Acl>>,
    /// `Some(None)` for `"chap": null`, which `initiators` refuses too.
    #[serde(default, deserialize_with = "present")]
    chap: Option<Option<Chap>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Chap>>, D::Error> {
    Option::<Chap>::deserialize(d).map(Some)
}

impl<'de> Deserialize<'de> for Access {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let f = AccessFields::deserialize(d)?;
        match f.mode {
            AccessMode::Initiators => {
                if f.chap.is_some() {
                    return Err(D::Error::unknown_field("chap", &["mode", "acls"]));
                }
                let acls = f.acls.ok_or_else(|| D::Error::missing_field("acls"))?;
                Ok(Access::Initiators { acls })
            }
            AccessMode::AllowAll => {
                if f.acls.is_some() {
                    return Err(D::Error::unknown_field("acls", &["mode", "chap"]));
                }
                Ok(Access::AllowAll {
                    chap: f.chap.flatten(),
                })
            }
        }
    }
}

/// One initiator allowed in, optionally with its own CHAP credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Acl {
    pub initiator: Iqn,
    #[serde(default)]
    pub chap: Option<Chap>,
}

/// CHAP: the initiator proves `user`/`secret`; with `mutual` the target
/// proves itself back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Chap {
    pub user: String,
    pub secret: String,
    #[serde(default)]
    pub mutual: Option<ChapCredential>,
}

/// The target's own credential for mutual CHAP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChapCredential {
    pub user: String,
    pub secret: String,
}

/// A refused configuration: the field path and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    pub field: String,
    pub reason: String,
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// CHAP secrets: 12 to 16 characters. RFC 3720 asks for at least 12 bytes
/// (96 bits) and the Microsoft and VMware initiators refuse longer than 16.
pub const CHAP_SECRET_LEN: std::ops::RangeInclusive<usize> = 12..=16;

fn check_text(field: &str, value: &str, what: &str) -> Result<(), ConfigError> {
    if value.is_empty() {
        return Err(err(field, format!("{what} must not be empty")));
    }
    if value.len() > 255 {
        return Err(err(field, format!("{what} is longer than 255 bytes")));
    }
    if value == "NULL" {
        return Err(err(field, "NULL means \"no credential\" to LIO"));
    }
    if !value.chars().all(|c| c.is_ascii_graphic()) {
        return Err(err(
            field,
            format!("{what} may hold only printable ASCII without spaces"),
        ));
    }
    Ok(())
}

fn check_secret(field: &str, secret: &str) -> Result<(), ConfigError> {
    check_text(field, secret, "the secret")?;
    if !CHAP_SECRET_LEN.contains(&secret.len()) {
        return Err(err(
            field,
            "must be 12-16 characters, as most initiators require",
        ));
    }
    Ok(())
}

impl Chap {
    fn redacted(&self) -> Chap {
        Chap {
            user: self.user.clone(),
            secret: REDACTED.into(),
            mutual: self.mutual.as_ref().map(|m| ChapCredential {
                user: m.user.clone(),
                secret: REDACTED.into(),
            }),
        }
    }

    fn validate(&self, at: &str) -> Result<(), ConfigError> {
        check_text(&format!("{at}.user"), &self.user, "the user")?;
        check_secret(&format!("{at}.secret"), &self.secret)?;
        if let Some(m) = &self.mutual {
            check_text(&format!("{at}.mutual.user"), &m.user, "the user")?;
            check_secret(&format!("{at}.mutual.secret"), &m.secret)?;
            if m.secret == self.secret {
                return Err(err(
                    format!("{at}.mutual.secret"),
                    "must differ from the initiator's secret (initiators refuse equal ones)",
                ));
            }
        }
        Ok(())
    }
}

impl IscsiConfig {
    /// Check everything the kernel or the initiators would refuse later.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(chap) = &self.discovery_chap {
            chap.validate("discovery_chap")?;
        }
        let mut iqns = BTreeSet::new();
        let mut zvols = BTreeSet::new();
        let mut all_portals: Vec<(String, Portal)> = Vec::new();
        for (t, target) in self.targets.iter().enumerate() {
            let at = format!("targets[{t}]");
            if !iqns.insert(&target.iqn) {
                return Err(err(
                    format!("{at}.iqn"),
                    format!("{} is listed twice", target.iqn),
                ));
            }
            if target.portals.is_empty() {
                return Err(err(
                    format!("{at}.portals"),
                    "needs at least one portal (one per storage address)",
                ));
            }
            let mut seen = BTreeSet::new();
            for (p, portal) in target.portals.iter().enumerate() {
                if !seen.insert(portal) {
                    return Err(err(
                        format!("{at}.portals[{p}]"),
                        format!("{portal} is listed twice"),
                    ));
                }
                all_portals.push((format!("{at}.portals[{p}]"), *portal));
            }
            let mut numbers = BTreeSet::new();
            for (l, lun) in target.luns.iter().enumerate() {
                if !numbers.insert(lun.number) {
                    return Err(err(
                        format!("{at}.luns[{l}].number"),
                        format!("LUN {} is used twice", lun.number),
                    ));
                }
                check_backing_path(&format!("{at}.luns[{l}].zvol"), &lun.udev_path())?;
                if !zvols.insert(&lun.zvol) {
                    return Err(err(
                        format!("{at}.luns[{l}].zvol"),
                        format!("{} already backs another LUN", lun.zvol),
                    ));
                }
            }
            match &target.access {
                Access::AllowAll { chap } => {
                    if let Some(chap) = chap {
                        chap.validate(&format!("{at}.access.chap"))?;
                    }
                }
                Access::Initiators { acls } => {
                    let mut initiators = BTreeSet::new();
                    for (a, acl) in acls.iter().enumerate() {
                        let at = format!("{at}.access.acls[{a}]");
                        if !initiators.insert(&acl.initiator) {
                            return Err(err(
                                format!("{at}.initiator"),
                                format!("{} is listed twice", acl.initiator),
                            ));
                        }
                        if let Some(chap) = &acl.chap {
                            chap.validate(&format!("{at}.chap"))?;
                        }
                    }
                    // CHAP is switched on for the whole portal group
                    // (attrib/authentication): an initiator without a
                    // credential could not log in beside ones with.
                    let with = acls.iter().filter(|a| a.chap.is_some()).count();
                    if with != 0 && with != acls.len() {
                        return Err(err(
                            format!("{at}.access.acls"),
                            "either every initiator has CHAP or none has",
                        ));
                    }
                }
            }
        }
        // The wildcard takes the port on every address: a specific portal
        // on the same port beside it cannot bind.
        for (field, wild) in all_portals.iter().filter(|(_, p)| p.is_wildcard()) {
            if let Some((other, p)) = all_portals
                .iter()
                .find(|(_, p)| !p.is_wildcard() && p.addr().port() == wild.addr().port())
            {
                return Err(err(
                    field.clone(),
                    format!("{wild} would take the port from {p} ({other}); list each storage address instead"),
                ));
            }
        }
        Ok(())
    }
}

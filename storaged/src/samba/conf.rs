//! The desired Samba configuration and the `smb.conf` rendered from it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, PathBuf};

use serde::{Deserialize, Serialize};

use super::names::{check_text, AccountName, ShareName, Workgroup};
use super::SambaError;
use crate::names::DatasetName;

/// Where smbd keeps its user database: Samba's own private directory on
/// `/var` (Debian's default, on the data partition). Not storaged's state
/// directory: the file holds password hashes, belongs to Samba's tools
/// (`smbpasswd`, `pdbedit` find it with no options), and storaged's state
/// keeps only user names.
pub const PASSDB: &str = "/var/lib/samba/private/passdb.tdb";

/// The snapshot names that appear as Windows "Previous Versions":
/// `auto-YYYY-MM-DD-HHMM` in UTC, e.g. `tank/media@auto-2025-06-01-1430`.
/// Whatever takes scheduled snapshots must name them exactly so; other
/// snapshots (`before-upgrade`) are simply not listed.
pub const SNAPSHOT_FORMAT: &str = "auto-%Y-%m-%d-%H%M";

/// Everything `smb.conf` is made from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SambaConfig {
    #[serde(default)]
    pub global: SambaGlobal,
    #[serde(default)]
    pub shares: Vec<Share>,
}

/// Server-wide settings. Every field has a default, so `{}` is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SambaGlobal {
    pub workgroup: Workgroup,
    /// Shown by Windows beside the server's name.
    pub server_string: String,
    /// Interface names or addresses (`ens1f0`, `10.0.10.5/24`) smbd binds
    /// to; empty means all. With entries, `bind interfaces only = yes`.
    pub interfaces: Vec<String>,
}

impl Default for SambaGlobal {
    fn default() -> Self {
        SambaGlobal {
            workgroup: "WORKGROUP".parse().expect("a valid workgroup"),
            server_string: "ironstor".to_string(),
            interfaces: Vec::new(),
        }
    }
}

/// One share: a dataset, mounted at `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    pub name: ShareName,
    pub dataset: DatasetName,
    /// Where the dataset is mounted (the caller reads it from ZFS). Its
    /// `.zfs/snapshot` directory is what Previous Versions lists.
    pub path: PathBuf,
    #[serde(default)]
    pub read_only: bool,
    /// Users allowed in; with `valid_groups`, empty means every user.
    #[serde(default)]
    pub valid_users: Vec<AccountName>,
    /// Groups whose members are allowed in.
    #[serde(default)]
    pub valid_groups: Vec<AccountName>,
    /// Let anyone in without a password, as the guest account. Off by
    /// default; excludes `valid_users` and `valid_groups`.
    #[serde(default)]
    pub guest_ok: bool,
    #[serde(default)]
    pub comment: String,
}

impl SambaGlobal {
    fn check(&self) -> Result<(), SambaError> {
        check_text(&self.server_string).map_err(|reason| SambaError::BadText {
            owner: "global".to_string(),
            field: "server_string",
            value: self.server_string.clone(),
            reason,
        })?;
        for i in &self.interfaces {
            let ok = !i.is_empty()
                && i.len() <= 64
                && i.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".:/_-".contains(c));
            if !ok {
                return Err(SambaError::BadInterface {
                    interface: i.clone(),
                });
            }
        }
        Ok(())
    }
}

impl Share {
    /// Checks what can be checked on one share alone.
    pub fn check(&self) -> Result<(), SambaError> {
        let path_ok = self.path.to_str().is_some_and(|s| {
            crate::names::is_normal_absolute_path(s)
                && !s.chars().any(|c| c.is_control() || c == '%')
                && s.trim() == s
        }) && self.path.is_absolute()
            && self
                .path
                .components()
                .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
        if !path_ok {
            return Err(SambaError::BadPath {
                share: self.name.clone(),
                path: self.path.clone(),
            });
        }
        check_text(&self.comment).map_err(|reason| SambaError::BadText {
            owner: format!("share {}", self.name),
            field: "comment",
            value: self.comment.clone(),
            reason,
        })?;
        if self.guest_ok && !(self.valid_users.is_empty() && self.valid_groups.is_empty()) {
            return Err(SambaError::GuestWithUsers {
                share: self.name.clone(),
            });
        }
        Ok(())
    }
}

/// Renders the `smb.conf` storaged writes under `/run` (see
/// [`super::SMB_CONF_FILE`]).
///
/// A standalone server with users in [`PASSDB`], SMB3 or newer only,
/// multichannel on, logging to the journal, no printing. Every share lists
/// ZFS snapshots named by [`SNAPSHOT_FORMAT`] as Previous Versions through
/// `vfs_shadow_copy2`. Shares are sorted by name; the same config gives the
/// same bytes. Refuses shares whose names differ only in case.
pub fn render_smb_conf(config: &SambaConfig) -> Result<String, SambaError> {
    let g = &config.global;
    g.check()?;
    let mut by_name: BTreeMap<String, &Share> = BTreeMap::new();
    for share in &config.shares {
        share.check()?;
        if let Some(other) = by_name.insert(share.name.as_str().to_lowercase(), share) {
            return Err(SambaError::DuplicateShare {
                first: other.name.clone(),
                second: share.name.clone(),
            });
        }
    }
    let any_guest = config.shares.iter().any(|s| s.guest_ok);

    let mut out = String::from("# Generated by storaged from its state; edits here are lost.\n");
    out.push_str("\n[global]\n");
    let mut global: Vec<(&str, String)> = vec![
        ("workgroup", g.workgroup.to_string()),
        ("server string", g.server_string.clone()),
        ("server role", "standalone server".into()),
        ("security", "user".into()),
        ("passdb backend", format!("tdbsam:{PASSDB}")),
        ("server min protocol", "SMB3".into()),
        ("server multi channel support", "yes".into()),
        ("logging", "systemd".into()),
        ("log level", "1".into()),
        (
            "map to guest",
            if any_guest { "bad user" } else { "never" }.into(),
        ),
        ("load printers", "no".into()),
        ("printing", "bsd".into()),
        ("printcap name", "/dev/null".into()),
        ("disable spoolss", "yes".into()),
        // An SMB session runs as the Unix user of its name; new users
        // cannot take a system name (`check_user_name`), and this keeps a
        // `root` declared before that check from ever logging in as uid 0.
        ("invalid users", "root".into()),
    ];
    if !g.interfaces.is_empty() {
        global.push(("interfaces", g.interfaces.join(" ")));
        global.push(("bind interfaces only", "yes".into()));
    }
    push_params(&mut out, &global);

    for share in by_name.values() {
        let _ = write!(out, "\n[{}]\n", share.name);
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        let mut params: Vec<(&str, String)> = vec![(
            "path",
            share.path.to_str().expect("checked paths are UTF-8").into(),
        )];
        if !share.comment.is_empty() {
            params.push(("comment", share.comment.clone()));
        }
        params.push(("read only", yes_no(share.read_only)));
        params.push(("guest ok", yes_no(share.guest_ok)));
        let valid: Vec<String> = share
            .valid_users
            .iter()
            .map(ToString::to_string)
            .chain(share.valid_groups.iter().map(|g| format!("@{g}")))
            .collect();
        if !valid.is_empty() {
            params.push(("valid users", valid.join(" ")));
        }
        params.extend([
            ("vfs objects", "shadow_copy2".to_string()),
            ("shadow:snapdir", ".zfs/snapshot".into()),
            ("shadow:sort", "desc".into()),
            ("shadow:format", SNAPSHOT_FORMAT.into()),
            ("shadow:localtime", "no".into()),
        ]);
        push_params(&mut out, &params);
    }
    Ok(out)
}

fn push_params(out: &mut String, params: &[(&str, String)]) {
    for (key, value) in params {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "\t{key} = {value}");
    }
}

//! Samba: desired shares and settings in, an `smb.conf`, user-management
//! plans and the reload plan out.
//!
//! Rendering and plans are pure; [`reload`] and the user functions run
//! commands through a runner. Writing [`SMB_CONF_FILE`] and deciding when
//! to reload belong to the caller.
//!
//! The image links `/etc/samba/smb.conf` to [`SMB_CONF_FILE`], so smbd and
//! any Samba tool an admin runs by hand read the same file; the plans here
//! name it explicitly anyway, so they do not depend on that link.
//!
//! What this module must not do:
//! - put a password in an argument, a log line, an error or the state:
//!   [`Password`] is redacted in `Debug` and `Display`, not `Serialize`,
//!   and reaches `smbpasswd` only on stdin;
//! - turn guest access on by default, or allow SMB1/SMB2 clients.

mod conf;
pub mod fake;
mod names;
mod system;
mod users;

/// Tests that run Samba's own `testparm` (package samba-common-bin): the
/// host-tools tier, selected with `cargo test host_tools::` and left out
/// with `cargo test -- --skip host_tools::`.
#[cfg(test)]
mod host_tools;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use conf::{render_smb_conf, SambaConfig, SambaGlobal, Share, PASSDB, SNAPSHOT_FORMAT};
pub use names::{AccountName, SambaNameError, ShareName, Workgroup};
pub use system::{check_user_name, SYSTEM_NAMES};
pub use users::{
    delete_user, list_users, parse_pdbedit_list, plan_delete_user, plan_list_users,
    plan_set_password, set_password, Password, PasswordError, PdbUser, UserCommand, UserTool,
    UserToolRunner, ViaCommandRunner,
};

use crate::runner::{CommandError, CommandLine, CommandRunner, Program};

/// Where storaged writes the rendered `smb.conf`.
pub const SMB_CONF_FILE: &str = "/run/storaged/samba/smb.conf";

/// Everything that can go wrong here; each variant names the share, the
/// user or the setting.
#[derive(Debug, thiserror::Error)]
pub enum SambaError {
    #[error("share {share}: path {path:?} must be absolute and normalised (no `.`, `..`, `//` or trailing /), not /, without %, blanks at either end or control characters")]
    BadPath { share: ShareName, path: PathBuf },
    #[error("{owner}: {field} {value:?}: {reason}")]
    BadText {
        owner: String,
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("global: interfaces: {interface:?} is not an interface name or address")]
    BadInterface { interface: String },
    #[error("share {share}: guest_ok excludes valid_users and valid_groups")]
    GuestWithUsers { share: ShareName },
    #[error("shares {first} and {second}: Samba share names ignore case, so they clash")]
    DuplicateShare { first: ShareName, second: ShareName },
    #[error("Samba user {user} not found")]
    NoSuchUser { user: AccountName },
    #[error("cannot add Samba user {user}; it needs a Unix account of the same name")]
    AddFailed {
        user: AccountName,
        #[source]
        source: Box<CommandError>,
    },
    #[error("user name {user} is {what}; an SMB login runs as the Unix account of its name, so choose another name")]
    SystemAccount { user: AccountName, what: String },
    #[error("cannot read {}", path.display())]
    ReadSystemAccounts {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read line {line} of `pdbedit -L`: {text:?}")]
    ParsePdbedit { line: usize, text: String },
    #[error("cannot {action} {object}")]
    Command {
        action: &'static str,
        object: String,
        #[source]
        source: Box<CommandError>,
    },
}

/// `smbcontrol --configfile=<SMB_CONF_FILE> smbd reload-config`: smbd and
/// its children re-read `smb.conf`; connected clients stay connected.
pub fn plan_reload() -> CommandLine {
    CommandLine::new(
        Program::Smbcontrol,
        [
            format!("--configfile={SMB_CONF_FILE}"),
            "smbd".into(),
            "reload-config".into(),
        ],
    )
}

/// Runs [`plan_reload`]. Call it after writing [`SMB_CONF_FILE`].
pub fn reload(runner: &dyn CommandRunner) -> Result<(), SambaError> {
    runner
        .run(&plan_reload())
        .map(drop)
        .map_err(|source| SambaError::Command {
            action: "reload",
            object: "the Samba configuration".into(),
            source: Box::new(source),
        })
}

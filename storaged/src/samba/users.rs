//! Samba users: command plans for `smbpasswd` and `pdbedit`, and the
//! parser for `pdbedit -L`.
//!
//! The runner's [`Program`](crate::runner::Program) has no `smbpasswd` or
//! `pdbedit` yet, so plans are [`UserCommand`]s run through
//! [`UserToolRunner`]; the wiring step adds the two programs and
//! implements the trait for the system runner.

use std::fmt;
use std::path::Path;

use super::names::AccountName;
use super::SambaError;
use crate::runner::{CommandError, Output};

/// A Samba password. Never printed: `Debug` and `Display` show
/// `<redacted>`, it is not `Serialize`, and it only ever reaches
/// `smbpasswd` on stdin.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

/// Why a password was refused. Holds no part of the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid password: {reason}")]
pub struct PasswordError {
    pub reason: &'static str,
}

/// The shortest SMB password: SMB passwords travel in NTLM exchanges that
/// a captured session lets an attacker guess offline, so a one-character
/// password (which the probe found accepted) falls at once.
pub const MIN_PASSWORD_CHARS: usize = 8;

impl Password {
    pub fn new(s: String) -> Result<Self, PasswordError> {
        let bad = |reason| Err(PasswordError { reason });
        if s.is_empty() {
            return bad("must not be empty");
        }
        if s.chars().count() < MIN_PASSWORD_CHARS {
            return bad("must be at least 8 characters");
        }
        if s.chars().all(char::is_whitespace) {
            return bad("must not be only blanks");
        }
        if s.chars().count() > 256 {
            return bad("longer than 256 characters");
        }
        // smbpasswd -s reads it as a line.
        if s.contains(['\n', '\r', '\0']) {
            return bad("must not contain line breaks or NUL");
        }
        Ok(Password(s))
    }
}

impl TryFrom<String> for Password {
    type Error = PasswordError;
    fn try_from(s: String) -> Result<Self, PasswordError> {
        Password::new(s)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The Samba tools user management needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserTool {
    Smbpasswd,
    Pdbedit,
}

impl UserTool {
    pub fn name(self) -> &'static str {
        match self {
            UserTool::Smbpasswd => "smbpasswd",
            UserTool::Pdbedit => "pdbedit",
        }
    }
}

/// A planned `smbpasswd`/`pdbedit` run. A password travels only in the
/// private stdin field; `Debug` and `Display` never show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCommand {
    pub tool: UserTool,
    pub args: Vec<String>,
    stdin: Option<Password>,
}

impl UserCommand {
    fn new(tool: UserTool, args: &[&str]) -> Self {
        UserCommand {
            tool,
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: None,
        }
    }

    /// The bytes to feed the tool: for `smbpasswd -s`, the password twice,
    /// one per line (new password, then its confirmation).
    pub fn stdin_bytes(&self) -> Option<Vec<u8>> {
        self.stdin
            .as_ref()
            .map(|p| format!("{0}\n{0}\n", p.0).into_bytes())
    }
}

impl fmt::Display for UserCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tool.name())?;
        for arg in &self.args {
            write!(f, " {arg}")?;
        }
        if self.stdin.is_some() {
            f.write_str(" <(password on stdin)")?;
        }
        Ok(())
    }
}

/// Runs [`UserCommand`]s. Errors must be built from the command's
/// `Display`, which never shows the password.
pub trait UserToolRunner: Send + Sync {
    fn run_user_tool(&self, command: &UserCommand) -> Result<Output, CommandError>;
}

/// Runs the Samba user tools through an ordinary [`CommandRunner`], the
/// password going to the program's stdin.
pub struct ViaCommandRunner(pub std::sync::Arc<dyn crate::runner::CommandRunner>);

impl UserToolRunner for ViaCommandRunner {
    fn run_user_tool(&self, command: &UserCommand) -> Result<Output, CommandError> {
        let program = match command.tool {
            UserTool::Smbpasswd => crate::runner::Program::Smbpasswd,
            UserTool::Pdbedit => crate::runner::Program::Pdbedit,
        };
        let mut line = crate::runner::CommandLine::new(program, command.args.clone());
        line.stdin = command.stdin_bytes();
        self.0.run(&line)
    }
}

fn path_arg(conf: &Path) -> &str {
    conf.to_str()
        .expect("the smb.conf path is a UTF-8 constant")
}

/// `smbpasswd -c <conf> -a -s <user>`, the password twice on stdin. Adds
/// the user, or sets a new password if it exists. The user must exist as
/// a Unix account.
pub fn plan_set_password(conf: &Path, user: &AccountName, password: &Password) -> UserCommand {
    let mut c = UserCommand::new(
        UserTool::Smbpasswd,
        &["-c", path_arg(conf), "-a", "-s", user.as_str()],
    );
    c.stdin = Some(password.clone());
    c
}

/// `smbpasswd -c <conf> -x <user>`.
pub fn plan_delete_user(conf: &Path, user: &AccountName) -> UserCommand {
    UserCommand::new(
        UserTool::Smbpasswd,
        &["-c", path_arg(conf), "-x", user.as_str()],
    )
}

/// `pdbedit --configfile=<conf> -L`.
pub fn plan_list_users(conf: &Path) -> UserCommand {
    let conf = format!("--configfile={}", path_arg(conf));
    UserCommand::new(UserTool::Pdbedit, &[&conf, "-L"])
}

/// One line of `pdbedit -L`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PdbUser {
    /// As Samba stores it; not necessarily an [`AccountName`] (the passdb
    /// may hold users storaged did not create).
    pub name: String,
    pub uid: u32,
    pub full_name: String,
}

/// Parses the output of `pdbedit --configfile=<conf> -L`: one
/// `name:uid:full name` line per user (the full name may be empty or hold
/// colons), e.g. `alice:1000:Alice Liddell`.
pub fn parse_pdbedit_list(stdout: &str) -> Result<Vec<PdbUser>, SambaError> {
    let mut users = Vec::new();
    for (i, line) in stdout.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || SambaError::ParsePdbedit {
            line: i + 1,
            text: line.to_string(),
        };
        let mut parts = line.splitn(3, ':');
        let (Some(name), Some(uid), Some(full_name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if name.is_empty() {
            return Err(bad());
        }
        let uid = uid.parse().map_err(|_| bad())?;
        users.push(PdbUser {
            name: name.to_string(),
            uid,
            full_name: full_name.to_string(),
        });
    }
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(users)
}

fn failed(action: &'static str, user: &str, source: CommandError) -> SambaError {
    SambaError::Command {
        action,
        object: user.to_string(),
        source: Box::new(source),
    }
}

/// Adds `user` to Samba's passdb or changes its password.
pub fn set_password(
    runner: &dyn UserToolRunner,
    conf: &Path,
    user: &AccountName,
    password: &Password,
) -> Result<(), SambaError> {
    runner
        .run_user_tool(&plan_set_password(conf, user, password))
        .map(drop)
        .map_err(|e| {
            let stderr = e.stderr();
            if stderr.contains("Failed to add entry") || stderr.contains("Unix account") {
                SambaError::AddFailed {
                    user: user.clone(),
                    source: Box::new(e),
                }
            } else {
                failed("set the Samba password of", user.as_str(), e)
            }
        })
}

/// Removes `user` from Samba's passdb.
pub fn delete_user(
    runner: &dyn UserToolRunner,
    conf: &Path,
    user: &AccountName,
) -> Result<(), SambaError> {
    runner
        .run_user_tool(&plan_delete_user(conf, user))
        .map(drop)
        .map_err(|e| {
            if e.stderr().contains("Failed to find entry for user") {
                SambaError::NoSuchUser { user: user.clone() }
            } else {
                failed("delete the Samba user", user.as_str(), e)
            }
        })
}

/// The users in Samba's passdb, sorted by name.
pub fn list_users(runner: &dyn UserToolRunner, conf: &Path) -> Result<Vec<PdbUser>, SambaError> {
    let out = runner
        .run_user_tool(&plan_list_users(conf))
        .map_err(|e| failed("list", "the Samba users", e))?;
    parse_pdbedit_list(&out.stdout)
}

//! A stateful fake of `smbpasswd` and `pdbedit` (Samba 4.17-4.22) for the
//! commands [`super`] plans, for tests and `storaged --sim`.
//!
//! It keeps the Unix accounts the image would know and the passdb in
//! memory, answers with the real tools' messages and exit statuses, and
//! records every command line (as `Display` shows it: never a password).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::users::{UserCommand, UserTool, UserToolRunner};
use crate::runner::{CommandError, Output};

#[derive(Debug, Default)]
pub struct FakeSamba {
    state: Mutex<State>,
    /// A passwd(5) file whose accounts count as Unix accounts too, read at
    /// each command: what `storaged --sim` writes its users to.
    passwd_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Default)]
struct State {
    /// Unix accounts: name → uid.
    unix: BTreeMap<String, u32>,
    /// passdb: name → password.
    passdb: BTreeMap<String, String>,
    commands: Vec<String>,
}

impl FakeSamba {
    /// A fake whose system knows these Unix accounts (name, uid).
    pub fn with_unix_accounts(accounts: &[(&str, u32)]) -> Self {
        let fake = FakeSamba::default();
        fake.lock().unix = accounts.iter().map(|(n, u)| (n.to_string(), *u)).collect();
        fake
    }

    /// A fake that also knows the accounts listed in `passwd` (which may
    /// not exist yet).
    pub fn reading_passwd(passwd: std::path::PathBuf) -> Self {
        FakeSamba {
            passwd_file: Some(passwd),
            ..FakeSamba::default()
        }
    }

    fn in_passwd_file(&self, user: &str) -> bool {
        let Some(path) = &self.passwd_file else {
            return false;
        };
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .any(|l| l.split(':').next() == Some(user))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every command run so far.
    pub fn commands(&self) -> Vec<String> {
        self.lock().commands.clone()
    }

    /// Whether `user` is in the passdb with exactly `password`.
    pub fn has_password(&self, user: &str, password: &str) -> bool {
        self.lock().passdb.get(user).is_some_and(|p| p == password)
    }
}

fn fail(command: &UserCommand, stderr: String) -> Result<Output, CommandError> {
    Err(CommandError::Failed {
        command: command.to_string(),
        status: "exit status: 1".into(),
        stdout: String::new(),
        stderr,
    })
}

fn ok(stdout: String) -> Result<Output, CommandError> {
    Ok(Output {
        stdout,
        stderr: String::new(),
    })
}

impl UserToolRunner for FakeSamba {
    fn run_user_tool(&self, command: &UserCommand) -> Result<Output, CommandError> {
        let mut st = self.lock();
        st.commands.push(command.to_string());
        let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
        match (command.tool, args.as_slice()) {
            (UserTool::Smbpasswd, ["-c", _, "-a", "-s", user]) => {
                let input = command.stdin_bytes().unwrap_or_default();
                let input = String::from_utf8_lossy(&input).into_owned();
                let mut lines = input.lines();
                let (Some(first), Some(second)) = (lines.next(), lines.next()) else {
                    return fail(command, "Unable to get new password.\n".into());
                };
                if first != second {
                    return fail(
                        command,
                        "Mismatch - password unchanged.\nUnable to get new password.\n".into(),
                    );
                }
                if !st.unix.contains_key(*user) && !self.in_passwd_file(user) {
                    return fail(command, format!("Failed to add entry for user {user}.\n"));
                }
                let new = st
                    .passdb
                    .insert(user.to_string(), first.to_string())
                    .is_none();
                ok(if new {
                    format!("Added user {user}.\n")
                } else {
                    String::new()
                })
            }
            (UserTool::Smbpasswd, ["-c", _, "-x", user]) => {
                if st.passdb.remove(*user).is_none() {
                    return fail(command, format!("Failed to find entry for user {user}.\n"));
                }
                ok(format!("Deleted user {user}.\n"))
            }
            (UserTool::Pdbedit, [conf, "-L"]) if conf.starts_with("--configfile=") => {
                let out = st
                    .passdb
                    .keys()
                    .map(|name| format!("{name}:{}:\n", st.unix.get(name).copied().unwrap_or(0)))
                    .collect();
                ok(out)
            }
            _ => fail(command, format!("fake samba: unsupported: {command}\n")),
        }
    }
}

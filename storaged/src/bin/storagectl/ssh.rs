//! `ssh status|enable|disable|key add FILE|key remove N`: the owner's SSH
//! service (keys only, off by default). Each change reads the declared
//! keys and puts the whole new list back, as `PUT /ssh` takes it.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use storaged::api::ssh::SshAnswer;
use storaged::ssh::keys;

use crate::table::Table;
use crate::{typed, Ctl};

#[derive(Debug, Subcommand)]
pub enum SshCommand {
    /// On or off, the host keys' fingerprints and the authorized keys.
    Status,
    /// Start SSH (root logs in with an authorized key; no passwords).
    Enable,
    /// Stop SSH; the keys stay declared for the next `enable`.
    Disable,
    /// Authorized keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Authorize the public key(s) in FILE (one per line, `ssh-ed25519 AAAA... comment`).
    Add { file: PathBuf },
    /// Remove key N, as `ssh status` numbers them (from 1).
    Remove { number: usize },
}

pub fn run(ctl: &mut Ctl<'_>, command: SshCommand) -> anyhow::Result<()> {
    let answer = ctl.client.get("/ssh")?;
    let current: SshAnswer = typed(&answer)?;
    let (enabled, keys, done) = match command {
        SshCommand::Status => return ctl.show(&answer, &render(&current)),
        SshCommand::Enable => (true, current.authorized_keys, "SSH is on."),
        SshCommand::Disable => (false, current.authorized_keys, "SSH is off."),
        SshCommand::Key(KeyCommand::Add { file }) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let mut keys = current.authorized_keys;
            let before = keys.len();
            keys.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string),
            );
            if keys.len() == before {
                anyhow::bail!("{}: no public key in it", file.display());
            }
            (current.enabled, keys, "Key added.")
        }
        SshCommand::Key(KeyCommand::Remove { number }) => {
            let mut keys = current.authorized_keys;
            if number == 0 || number > keys.len() {
                anyhow::bail!(
                    "no key {number}: `storagectl ssh status` numbers {} key(s) from 1",
                    keys.len()
                );
            }
            keys.remove(number - 1);
            (current.enabled, keys, "Key removed.")
        }
    };
    let answer = ctl.client.call(
        "PUT",
        "/ssh",
        Some(&json!({"enabled": enabled, "authorized_keys": keys})),
    )?;
    let text = format!("{done}\n{}", render(&typed(&answer)?));
    ctl.show(&answer, &text)
}

fn render(s: &SshAnswer) -> String {
    let mut text = format!("SSH: {}\n", if s.enabled { "on" } else { "off" });
    if s.host_key_fingerprints.is_empty() {
        text.push_str("Host keys: none yet (made when storaged starts)\n");
    } else {
        text.push_str("Host keys:\n");
        for k in &s.host_key_fingerprints {
            text.push_str(&format!("  {}  {}\n", k.kind, k.fingerprint));
        }
    }
    if s.authorized_keys.is_empty() {
        text.push_str("Authorized keys: none\n");
        return text;
    }
    let mut table = Table::new(["#", "TYPE", "FINGERPRINT", "COMMENT"]);
    for (i, line) in s.authorized_keys.iter().enumerate() {
        let (kind, print, comment) = match keys::parse(line) {
            Ok(k) => (k.kind.clone(), k.fingerprint(), k.comment),
            Err(e) => ("?".into(), e.to_string(), String::new()),
        };
        table.row([(i + 1).to_string(), kind, print, comment]);
    }
    text.push_str(&table.render());
    text
}

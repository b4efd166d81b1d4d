//! The SSH service the owner may switch on: keys only, off by default.
//!
//! Host keys are made on `/var` (`/var/lib/ssh`) the first time storaged
//! starts, never in the image: every box (and every update bundle) would
//! share them. The image's `/etc/ssh/sshd_config.d/ironstor.conf` links to
//! the drop-in written here under `/run`, which names those host keys and
//! storaged's `authorized_keys`; the image has no other host keys, so an
//! sshd started without storaged's drop-in refuses to run.
//!
//! [`reconcile`] is idempotent: host keys when missing, `authorized_keys`
//! and the drop-in when they differ, then `ssh.service` started (reloaded
//! when its configuration changed) or stopped. The root is read-only, so
//! the service is never enabled in `/etc`: storaged starts it at every boot
//! while the state says so.

pub mod keys;

#[cfg(test)]
mod tests;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::runner::{CommandError, CommandLine, CommandRunner, Program};
use crate::util::write_atomic;

pub use keys::{KeyProblem, PublicKey, MIN_RSA_BITS};

/// The unit Debian's openssh-server installs.
pub const SERVICE: &str = "ssh.service";
/// Host keys, below the machine's root: on the data partition.
pub const HOST_KEY_DIR: &str = "var/lib/ssh";
/// Below storaged's state directory (`/var/lib/storaged`).
pub const AUTHORIZED_KEYS_FILE: &str = "ssh/authorized_keys";
/// Below storaged's runtime directory (`/run/storaged`); the image links
/// `/etc/ssh/sshd_config.d/ironstor.conf` here.
pub const DROPIN_FILE: &str = "ssh/sshd.conf";

/// The host key types made, each `ssh_host_<name>_key` in [`HOST_KEY_DIR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyKind {
    Ed25519,
    Rsa,
}

impl HostKeyKind {
    pub const ALL: [HostKeyKind; 2] = [HostKeyKind::Ed25519, HostKeyKind::Rsa];

    pub fn name(self) -> &'static str {
        match self {
            HostKeyKind::Ed25519 => "ed25519",
            HostKeyKind::Rsa => "rsa",
        }
    }

    /// `ssh-keygen` arguments choosing the type (and RSA's size).
    fn keygen_args(self) -> &'static [&'static str] {
        match self {
            HostKeyKind::Ed25519 => &["-t", "ed25519"],
            HostKeyKind::Rsa => &["-t", "rsa", "-b", "3072"],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("authorized_keys[{index}]: {problem}")]
    BadKey { index: usize, problem: KeyProblem },
    #[error("authorized_keys[{index}] is the same key as authorized_keys[{first}]")]
    DuplicateKey { index: usize, first: usize },
    #[error("SSH accepts keys only: enabling it needs at least one authorized key")]
    NoKeys,
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot make the SSH host key {}", path.display())]
    Keygen {
        path: PathBuf,
        #[source]
        source: CommandError,
    },
    #[error("systemctl {action} {SERVICE} failed")]
    Service {
        action: &'static str,
        #[source]
        source: CommandError,
    },
}

/// Checks every key (the error names the first bad one by index) and
/// returns them parsed. Enabling with no key is refused: nothing could
/// log in, and a later key would open it without anyone deciding to.
pub fn validate(enabled: bool, lines: &[String]) -> Result<Vec<PublicKey>, SshError> {
    let mut parsed: Vec<PublicKey> = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let key = keys::parse(line).map_err(|problem| SshError::BadKey { index, problem })?;
        if let Some(first) = parsed.iter().position(|k| k.blob == key.blob) {
            return Err(SshError::DuplicateKey { index, first });
        }
        parsed.push(key);
    }
    if enabled && parsed.is_empty() {
        return Err(SshError::NoKeys);
    }
    Ok(parsed)
}

/// Where the SSH files of one machine live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPaths {
    pub authorized_keys: PathBuf,
    pub host_key_dir: PathBuf,
    pub dropin: PathBuf,
}

impl SshPaths {
    pub fn for_machine(root: &Path, state_dir: &Path, runtime_dir: &Path) -> SshPaths {
        SshPaths {
            authorized_keys: state_dir.join(AUTHORIZED_KEYS_FILE),
            host_key_dir: root.join(HOST_KEY_DIR),
            dropin: runtime_dir.join(DROPIN_FILE),
        }
    }

    pub fn host_key(&self, kind: HostKeyKind) -> PathBuf {
        self.host_key_dir
            .join(format!("ssh_host_{}_key", kind.name()))
    }
}

/// The sshd drop-in: keys only, root by key alone, storaged's host keys
/// and `authorized_keys`. sshd takes the first value it reads for most
/// options, and Debian's `sshd_config` includes the drop-ins first, so
/// these win over its defaults.
pub fn render_sshd_config(paths: &SshPaths) -> String {
    let mut text = String::from(
        "# Written by storaged from its state; rewritten at every start.\n\
         # Keys only: no passwords, no keyboard-interactive, root by key alone.\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitEmptyPasswords no\n\
         PubkeyAuthentication yes\n\
         AuthenticationMethods publickey\n\
         PermitRootLogin prohibit-password\n\
         # One key file for the box's owner; SMB users never log in here.\n\
         AllowUsers root\n",
    );
    text.push_str(&format!(
        "AuthorizedKeysFile {}\n",
        paths.authorized_keys.display()
    ));
    for kind in HostKeyKind::ALL {
        text.push_str(&format!("HostKey {}\n", paths.host_key(kind).display()));
    }
    text.push_str("X11Forwarding no\n");
    text
}

/// `authorized_keys` for the declared keys, normalised, one a line.
pub fn render_authorized_keys(keys: &[PublicKey]) -> String {
    let mut text = String::from("# Written by storaged from its state (PUT /api/v1/ssh).\n");
    for key in keys {
        text.push_str(&key.line());
        text.push('\n');
    }
    text
}

/// What runs programs for SSH: `ssh-keygen` and `systemctl`.
pub trait SshService: Send + Sync {
    fn keygen(&self, kind: HostKeyKind, path: &Path) -> Result<(), CommandError>;
    fn systemctl(&self, action: &'static str) -> Result<(), CommandError>;
}

/// The real programs through the command runner.
pub struct SystemSsh(pub Arc<dyn CommandRunner>);

impl SshService for SystemSsh {
    fn keygen(&self, kind: HostKeyKind, path: &Path) -> Result<(), CommandError> {
        let mut args: Vec<String> = vec!["-q".into()];
        args.extend(kind.keygen_args().iter().map(|s| s.to_string()));
        args.extend([
            "-N".into(),
            String::new(),
            "-C".into(),
            "ironstor host key".into(),
        ]);
        args.extend(["-f".into(), path.display().to_string()]);
        self.0.run(&CommandLine::new(Program::SshKeygen, args))?;
        Ok(())
    }

    fn systemctl(&self, action: &'static str) -> Result<(), CommandError> {
        self.0
            .run(&CommandLine::new(Program::Systemctl, [action, SERVICE]))?;
        Ok(())
    }
}

/// `--sim`'s and the tests' SSH: host keys are fixture public keys (no
/// private key is made), service actions are only recorded.
#[derive(Default)]
pub struct FakeSsh {
    pub log: Mutex<Vec<String>>,
}

impl FakeSsh {
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl SshService for FakeSsh {
    fn keygen(&self, kind: HostKeyKind, path: &Path) -> Result<(), CommandError> {
        let public = match kind {
            HostKeyKind::Ed25519 => include_str!("testdata/ed25519.pub"),
            HostKeyKind::Rsa => include_str!("testdata/rsa3072.pub"),
        };
        let spawn = |source| CommandError::Spawn {
            command: format!("ssh-keygen (fake) {}", path.display()),
            source,
        };
        fs::write(path, "simulated: no private key\n").map_err(spawn)?;
        fs::write(path.with_extension("pub"), public).map_err(spawn)?;
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("keygen {}", kind.name()));
        Ok(())
    }

    fn systemctl(&self, action: &'static str) -> Result<(), CommandError> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("systemctl {action} {SERVICE}"));
        Ok(())
    }
}

/// What one [`reconcile`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshReport {
    /// Host key types made now.
    pub generated: Vec<&'static str>,
    pub config_changed: bool,
    pub keys_changed: bool,
    /// The `systemctl` action run.
    pub action: &'static str,
}

/// Brings the machine's SSH to `enabled` with `keys` (already validated).
pub fn reconcile(
    service: &dyn SshService,
    paths: &SshPaths,
    enabled: bool,
    keys: &[PublicKey],
) -> Result<SshReport, SshError> {
    let mut report = SshReport {
        generated: ensure_host_keys(service, paths)?,
        ..SshReport::default()
    };
    // Disabled means no key at all, so an sshd started by hand admits
    // nobody either.
    let granted = if enabled { keys } else { &[] };
    report.keys_changed = write_if_changed(
        &paths.authorized_keys,
        &render_authorized_keys(granted),
        0o600,
        0o700,
    )?;
    report.config_changed =
        write_if_changed(&paths.dropin, &render_sshd_config(paths), 0o644, 0o755)?;
    let action = match (enabled, report.config_changed) {
        (false, _) => "stop",
        (true, true) => "reload-or-restart",
        (true, false) => "start",
    };
    service
        .systemctl(action)
        .map_err(|source| SshError::Service { action, source })?;
    report.action = action;
    Ok(report)
}

/// Makes each missing host key. A private key without its `.pub` (an
/// interrupted first boot) is made again.
fn ensure_host_keys(
    service: &dyn SshService,
    paths: &SshPaths,
) -> Result<Vec<&'static str>, SshError> {
    let mut made = Vec::new();
    let dir = &paths.host_key_dir;
    create_dir(dir, 0o755)?;
    for kind in HostKeyKind::ALL {
        let key = paths.host_key(kind);
        let public = key.with_extension("pub");
        if key.is_file() && public.is_file() {
            continue;
        }
        let _ = fs::remove_file(&key);
        let _ = fs::remove_file(&public);
        service
            .keygen(kind, &key)
            .map_err(|source| SshError::Keygen {
                path: key.clone(),
                source,
            })?;
        made.push(kind.name());
    }
    Ok(made)
}

/// `(type, SHA256 fingerprint)` of each host key there is.
pub fn host_key_fingerprints(paths: &SshPaths) -> Vec<(String, String)> {
    HostKeyKind::ALL
        .iter()
        .filter_map(|&kind| {
            let text = fs::read_to_string(paths.host_key(kind).with_extension("pub")).ok()?;
            let key = keys::parse(&text).ok()?;
            Some((key.kind.clone(), key.fingerprint()))
        })
        .collect()
}

fn create_dir(dir: &Path, mode: u32) -> Result<(), SshError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let write = |source| SshError::Write {
        path: dir.to_path_buf(),
        source,
    };
    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(mode)
            .create(dir)
            .map_err(write)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(mode)).map_err(write)?;
    }
    Ok(())
}

fn write_if_changed(path: &Path, text: &str, mode: u32, dir_mode: u32) -> Result<bool, SshError> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        create_dir(parent, dir_mode)?;
    }
    write_atomic(path, text.as_bytes(), mode).map_err(|source| SshError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(true)
}

/// A host key's fingerprint as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostKeyFingerprint {
    /// `ssh-ed25519`, `ssh-rsa`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `SHA256:...`, as `ssh-keygen -l` and ssh's first-connection prompt show it.
    pub fingerprint: String,
}

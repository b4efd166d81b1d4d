//! Who is connected: iSCSI sessions from configfs, NFS clients from nfsd's
//! client list (v4) and mountd's rmtab (v3), SMB sessions from smbstatus.
//! Reading them changes nothing.

use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::lio::Configfs;
use crate::runner::{CommandLine, CommandRunner, Program};

/// One logged-in iSCSI initiator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct IscsiSession {
    pub target: String,
    pub initiator: String,
    /// Through an explicit ACL or the target's allow-all.
    pub acl: bool,
}

/// Every iSCSI session of every target, as configfs shows them: a
/// `dynamic_sessions` list for allow-all targets, and an `info` per
/// explicit ACL that says whether its initiator is logged in.
pub fn iscsi_sessions(fs: &dyn Configfs) -> Vec<IscsiSession> {
    let mut sessions = Vec::new();
    let iscsi = Path::new("target/iscsi");
    let Ok(targets) = fs.list(iscsi) else {
        return sessions;
    };
    for (target, _) in targets.iter().filter(|(n, _)| n.starts_with("iqn.")) {
        let tpg = iscsi.join(target).join("tpgt_1");
        if let Ok(text) = fs.read(&tpg.join("dynamic_sessions")) {
            for initiator in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                sessions.push(IscsiSession {
                    target: target.clone(),
                    initiator: initiator.to_string(),
                    acl: false,
                });
            }
        }
        for (initiator, _) in fs.list(&tpg.join("acls")).unwrap_or_default() {
            let info = fs
                .read(&tpg.join("acls").join(&initiator).join("info"))
                .unwrap_or_default();
            if acl_has_session(&info) {
                sessions.push(IscsiSession {
                    target: target.clone(),
                    initiator,
                    acl: true,
                });
            }
        }
    }
    sessions
}

/// An ACL's `info` reads "No active iSCSI Session for Initiator Endpoint:
/// ..." until the initiator logs in.
pub fn acl_has_session(info: &str) -> bool {
    let info = info.trim();
    !info.is_empty() && !info.starts_with("No active iSCSI Session")
}

/// One NFS client the server knows about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct NfsClient {
    /// The client's address (v4: with its source port).
    pub address: String,
    /// `4.1`, `4.2`, or `3` for an rmtab mount.
    pub version: String,
    /// What it mounted (v3 only: v4 clients mount the pseudo-root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// v4 clients from `<root>/proc/fs/nfsd/clients/*/info`, then v3 mounts
/// from `<root>/var/lib/nfs/rmtab`.
pub fn nfs_clients(root: &Path) -> Vec<NfsClient> {
    let mut clients = Vec::new();
    let dir = root.join("proc/fs/nfsd/clients");
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for entry in entries {
        if let Ok(info) = fs::read_to_string(entry.join("info")) {
            if let Some(c) = parse_v4_client_info(&info) {
                clients.push(c);
            }
        }
    }
    let rmtab = fs::read_to_string(root.join("var/lib/nfs/rmtab")).unwrap_or_default();
    clients.extend(parse_rmtab(&rmtab));
    clients
}

/// nfsd's per-client `info`: YAML-ish `key: value` lines, e.g.
/// `address: "10.0.2.2:876"` and `minor version: 1`.
pub fn parse_v4_client_info(info: &str) -> Option<NfsClient> {
    let value = |key: &str| {
        info.lines().find_map(|l| {
            l.strip_prefix(key)
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| v.trim().trim_matches('"').to_string())
        })
    };
    let address = value("address")?;
    let minor = value("minor version").unwrap_or_else(|| "0".into());
    Some(NfsClient {
        address,
        version: format!("4.{minor}"),
        path: None,
    })
}

/// rmtab lines are `host:path:0x<count>`; a count of zero is an unmount.
pub fn parse_rmtab(text: &str) -> Vec<NfsClient> {
    text.lines()
        .filter_map(|line| {
            let (rest, count) = line.rsplit_once(':')?;
            let (host, path) = rest.split_once(':')?;
            let n = u64::from_str_radix(count.trim_start_matches("0x"), 16).ok()?;
            (n > 0).then(|| NfsClient {
                address: host.to_string(),
                version: "3".into(),
                path: Some(path.to_string()),
            })
        })
        .collect()
}

/// One SMB session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct SmbSession {
    pub user: String,
    pub machine: String,
    /// `SMB3_11` and the like.
    pub dialect: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error("cannot list SMB sessions")]
    Smbstatus(#[source] crate::runner::CommandError),
    #[error("cannot read smbstatus --json: {0}")]
    Parse(String),
}

/// `smbstatus --json -b`: sessions only.
pub fn plan_smbstatus() -> CommandLine {
    CommandLine::new(Program::Smbstatus, ["--json", "-b"])
}

pub fn smb_sessions(runner: &dyn CommandRunner) -> Result<Vec<SmbSession>, SessionsError> {
    let out = runner
        .run(&plan_smbstatus())
        .map_err(SessionsError::Smbstatus)?;
    parse_smbstatus(&out.stdout)
}

/// The `sessions` object of `smbstatus --json`, keyed by session id.
pub fn parse_smbstatus(json: &str) -> Result<Vec<SmbSession>, SessionsError> {
    let doc: serde_json::Value =
        serde_json::from_str(json).map_err(|e| SessionsError::Parse(e.to_string()))?;
    let Some(sessions) = doc.get("sessions").and_then(|s| s.as_object()) else {
        return Ok(Vec::new());
    };
    let text = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Ok(sessions
        .values()
        .map(|s| SmbSession {
            user: text(s, "username"),
            machine: text(s, "remote_machine"),
            dialect: text(s, "session_dialect"),
        })
        .collect())
}

//! The SSH service: show it, switch it on or off with its keys, and bring
//! it to the state at start (host keys made on the first one).
//!
//! A change is validated before anything is written; the machine is
//! brought to it, and it is saved only once that worked. If it did not,
//! the machine is brought back to what is declared and nothing is saved.

use crate::ssh::{self, FakeSsh, HostKeyFingerprint, SshPaths, SshService, SystemSsh};
use crate::state::{DesiredState, SshSection, StateStore};
use crate::util::error_chain;

use super::declared::Declared;
use super::{EngineError, Machine};

/// SSH as declared, with the host keys' fingerprints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshStatus {
    pub enabled: bool,
    pub authorized_keys: Vec<String>,
    pub host_key_fingerprints: Vec<HostKeyFingerprint>,
}

fn paths(machine: &Machine) -> SshPaths {
    SshPaths::for_machine(
        &machine.roots.root,
        &machine.state_dir,
        &machine.runtime_dir,
    )
}

/// The real `ssh-keygen` and `systemctl`, or under `--sim` a fake that
/// writes fixture public keys and runs nothing.
fn service(machine: &Machine) -> Box<dyn SshService> {
    if machine.sim {
        Box::new(FakeSsh::default())
    } else {
        Box::new(SystemSsh(machine.runner.clone()))
    }
}

fn status_of(machine: &Machine, state: &DesiredState) -> SshStatus {
    SshStatus {
        enabled: state.ssh().enabled,
        authorized_keys: state.ssh().authorized_keys.clone(),
        host_key_fingerprints: ssh::host_key_fingerprints(&paths(machine))
            .into_iter()
            .map(|(kind, fingerprint)| HostKeyFingerprint { kind, fingerprint })
            .collect(),
    }
}

pub fn status(machine: &Machine) -> Result<SshStatus, EngineError> {
    let state = Declared::load(machine)?.state;
    Ok(status_of(machine, &state))
}

/// Switches SSH on or off with exactly these keys.
pub fn set(
    machine: &Machine,
    enabled: bool,
    authorized_keys: Vec<String>,
) -> Result<SshStatus, EngineError> {
    let declared = Declared::load(machine)?;
    let keys = ssh::validate(enabled, &authorized_keys)?;
    // Stored as written to authorized_keys: trimmed, single-spaced.
    let lines = keys.iter().map(|k| k.line()).collect();
    let next = declared.state.with_ssh(SshSection {
        enabled,
        authorized_keys: lines,
    });
    let service = service(machine);
    let paths = paths(machine);
    if let Err(e) = ssh::reconcile(service.as_ref(), &paths, enabled, &keys) {
        let old = declared.state.ssh();
        if let Ok(old_keys) = ssh::validate(old.enabled, &old.authorized_keys) {
            let _ = ssh::reconcile(service.as_ref(), &paths, old.enabled, &old_keys);
        }
        return Err(e.into());
    }
    let done = if enabled {
        "SSH was switched on"
    } else {
        "SSH was switched off"
    };
    declared.commit(&next, done)?;
    Ok(status_of(machine, &next))
}

/// At start: host keys when missing (the first boot), then the service as
/// declared. Log lines; a failure is logged and the API still serves.
pub fn reconcile_at_start(machine: &Machine) -> Vec<String> {
    let state = match StateStore::new(&machine.state_dir).load() {
        Ok(loaded) => loaded.state,
        Err(_) => DesiredState::default(),
    };
    let section = state.ssh();
    let (enabled, keys) = match ssh::validate(section.enabled, &section.authorized_keys) {
        Ok(keys) => (section.enabled, keys),
        Err(e) => {
            return vec![format!(
                "ERROR: ssh: the declared keys are refused ({e}); SSH stays off"
            )]
            .into_iter()
            .chain(off(machine))
            .collect();
        }
    };
    match ssh::reconcile(service(machine).as_ref(), &paths(machine), enabled, &keys) {
        Ok(report) => {
            let mut lines = Vec::new();
            if !report.generated.is_empty() {
                lines.push(format!(
                    "ssh: made host keys {} in {}",
                    report.generated.join(", "),
                    paths(machine).host_key_dir.display()
                ));
            }
            lines.push(format!(
                "ssh: {} ({} keys)",
                if enabled { "on" } else { "off" },
                keys.len()
            ));
            lines
        }
        Err(e) => vec![format!("ERROR: ssh: {}", error_chain(&e))],
    }
}

fn off(machine: &Machine) -> Vec<String> {
    match ssh::reconcile(service(machine).as_ref(), &paths(machine), false, &[]) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("ERROR: ssh: {}", error_chain(&e))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = include_str!("../ssh/testdata/ed25519.pub");

    #[test]
    fn the_ssh_section_round_trips_and_is_left_out_while_unset() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StateStore::new(dir.path());
        let unset = DesiredState::default();
        assert!(!unset.to_json().contains("\"ssh\""), "{}", unset.to_json());

        let on = unset.with_ssh(SshSection {
            enabled: true,
            authorized_keys: vec![ED25519.trim().to_string()],
        });
        store.save(&on).unwrap();
        let text = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
        assert!(text.contains("\"ssh\": {"), "{text}");
        let loaded = store.load().unwrap().state;
        assert_eq!(loaded, on);
        assert!(loaded.ssh().enabled);

        // A file from before the section loads with SSH off; an unknown
        // field inside it is refused, as everywhere in the state.
        std::fs::write(dir.path().join("state.json"), "{\"schema_version\": 3}\n").unwrap();
        assert_eq!(store.load().unwrap().state.ssh(), &SshSection::default());
        std::fs::write(
            dir.path().join("state.json"),
            "{\"schema_version\": 3, \"ssh\": {\"enabled\": false, \"password\": \"x\"}}\n",
        )
        .unwrap();
        assert!(store.load().is_err());
    }
}

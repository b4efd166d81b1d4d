use std::sync::Mutex;

use super::*;
use crate::runner::Output;

const ED25519: &str = include_str!("testdata/ed25519.pub");
const RSA3072: &str = include_str!("testdata/rsa3072.pub");
const RSA2048: &str = include_str!("testdata/rsa2048.pub");

fn paths(dir: &Path) -> SshPaths {
    SshPaths::for_machine(
        &dir.join("root"),
        &dir.join("var/lib/storaged"),
        &dir.join("run/storaged"),
    )
}

#[test]
fn validation_names_the_bad_key_by_index_and_refuses_enabling_without_keys() {
    let keys = vec![ED25519.to_string(), RSA2048.to_string()];
    let err = validate(true, &keys).unwrap_err();
    assert_eq!(
        err.to_string(),
        "authorized_keys[1]: its RSA key has 2048 bits; at least 3072 are needed"
    );
    assert!(matches!(validate(true, &[]), Err(SshError::NoKeys)));
    assert!(validate(false, &[]).unwrap().is_empty());
    let twice = vec![
        ED25519.to_string(),
        format!("{} other comment", ED25519.trim()),
    ];
    assert_eq!(
        validate(false, &twice).unwrap_err().to_string(),
        "authorized_keys[1] is the same key as authorized_keys[0]"
    );
    assert_eq!(
        validate(true, &[ED25519.into(), RSA3072.into()])
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn the_dropin_is_keys_only_with_storageds_host_keys_and_key_file() {
    let p = SshPaths::for_machine(
        Path::new("/"),
        Path::new("/var/lib/storaged"),
        Path::new("/run/storaged"),
    );
    assert_eq!(p.dropin, Path::new("/run/storaged/ssh/sshd.conf"));
    let text = render_sshd_config(&p);
    for line in [
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "AuthenticationMethods publickey",
        "AuthorizedKeysFile /var/lib/storaged/ssh/authorized_keys",
        "HostKey /var/lib/ssh/ssh_host_ed25519_key",
        "HostKey /var/lib/ssh/ssh_host_rsa_key",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
    assert!(!text.contains("/etc/ssh/ssh_host"), "{text}");
}

#[test]
fn reconcile_makes_host_keys_once_writes_keys_and_starts_then_stops() {
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    let fake = FakeSsh::default();
    let keys = validate(true, &[ED25519.into()]).unwrap();

    let first = reconcile(&fake, &p, true, &keys).unwrap();
    assert_eq!(first.generated, ["ed25519", "rsa"]);
    assert_eq!(first.action, "reload-or-restart");
    let written = fs::read_to_string(&p.authorized_keys).unwrap();
    assert!(
        written.ends_with(&format!("{}\n", ED25519.trim())),
        "{written}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&p.authorized_keys)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        fs::read_to_string(&p.dropin).unwrap(),
        render_sshd_config(&p)
    );
    let prints = host_key_fingerprints(&p);
    assert_eq!(
        prints,
        [
            (
                "ssh-ed25519".to_string(),
                "SHA256:ZQpO9ck45DmXIfcnvUpYNJm3gzFx3HayQ9m6CmqpRYQ".to_string()
            ),
            (
                "ssh-rsa".to_string(),
                "SHA256:J4RVe/QP+j4fUwYF21o54H4Gj1m5Cbdf+PQhPAw649A".to_string()
            ),
        ]
    );

    // Again: nothing to make or rewrite, the service is only started.
    let again = reconcile(&fake, &p, true, &keys).unwrap();
    assert_eq!(
        (
            again.generated.len(),
            again.config_changed,
            again.keys_changed,
            again.action
        ),
        (0, false, false, "start")
    );

    let off = reconcile(&fake, &p, false, &keys).unwrap();
    assert_eq!(off.action, "stop");
    assert!(off.keys_changed);
    assert!(!fs::read_to_string(&p.authorized_keys)
        .unwrap()
        .contains("ssh-"));
    assert_eq!(
        fake.log(),
        [
            "keygen ed25519",
            "keygen rsa",
            "systemctl reload-or-restart ssh.service",
            "systemctl start ssh.service",
            "systemctl stop ssh.service",
        ]
    );
}

/// Records the command lines and succeeds, or fails every `systemctl`.
struct Recorder {
    lines: Mutex<Vec<String>>,
    fail_systemctl: bool,
}

impl CommandRunner for Recorder {
    fn run(&self, command: &CommandLine) -> Result<Output, CommandError> {
        self.lines.lock().unwrap().push(command.to_string());
        if command.program == Program::Systemctl && self.fail_systemctl {
            return Err(CommandError::Failed {
                command: command.to_string(),
                status: "exit status: 5".into(),
                stdout: String::new(),
                stderr: "Unit ssh.service not found.\n".into(),
            });
        }
        if command.program == Program::SshKeygen {
            let path = command.args.last().unwrap();
            fs::write(path, "private\n").unwrap();
            fs::write(format!("{path}.pub"), ED25519).unwrap();
        }
        Ok(Output::default())
    }
}

#[test]
fn the_real_service_runs_ssh_keygen_and_systemctl_through_the_runner() {
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    let runner = Arc::new(Recorder {
        lines: Mutex::new(Vec::new()),
        fail_systemctl: false,
    });
    let service = SystemSsh(runner.clone());
    reconcile(&service, &p, false, &[]).unwrap();
    let key = p.host_key(HostKeyKind::Rsa).display().to_string();
    let lines = runner.lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("ssh-keygen -q -t ed25519 -N '' -C 'ironstor host key' -f "));
    assert_eq!(
        lines[1],
        format!("ssh-keygen -q -t rsa -b 3072 -N '' -C 'ironstor host key' -f {key}")
    );
    assert_eq!(lines[2], "systemctl stop ssh.service");
}

#[test]
fn a_failing_service_is_an_error_naming_the_action() {
    let dir = tempfile::tempdir().unwrap();
    let p = paths(dir.path());
    let service = SystemSsh(Arc::new(Recorder {
        lines: Mutex::new(Vec::new()),
        fail_systemctl: true,
    }));
    let keys = validate(true, &[ED25519.into()]).unwrap();
    let err = reconcile(&service, &p, true, &keys).unwrap_err();
    assert_eq!(
        err.to_string(),
        "systemctl reload-or-restart ssh.service failed"
    );
}

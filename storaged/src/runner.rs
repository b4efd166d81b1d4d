//! The one seam through which storaged runs programs.
//!
//! Production uses [`SystemRunner`]: absolute paths checked at start-up, a
//! clean environment with `LC_ALL=C`. Tests substitute a fake that
//! implements [`CommandRunner`] (a stateful one per outside system, e.g. the
//! fake `zpool`/`zfs` in `zfs::fake`), so command plans are checked without
//! a machine.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Programs storaged may run. Nothing else can be run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Program {
    Zpool,
    Zfs,
    Blkid,
    Udevadm,
    Exportfs,
    Smbcontrol,
    Smbpasswd,
    Pdbedit,
    Smbstatus,
    Networkctl,
    /// `systemctl reboot`, for upgrades; start and stop `ssh.service`.
    Systemctl,
    /// SSH host keys, made at first boot.
    SshKeygen,
}

impl Program {
    pub const ALL: [Program; 12] = [
        Program::Zpool,
        Program::Zfs,
        Program::Blkid,
        Program::Udevadm,
        Program::Exportfs,
        Program::Smbcontrol,
        Program::Smbpasswd,
        Program::Pdbedit,
        Program::Smbstatus,
        Program::Networkctl,
        Program::Systemctl,
        Program::SshKeygen,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Program::Zpool => "zpool",
            Program::Zfs => "zfs",
            Program::Blkid => "blkid",
            Program::Udevadm => "udevadm",
            Program::Exportfs => "exportfs",
            Program::Smbcontrol => "smbcontrol",
            Program::Smbpasswd => "smbpasswd",
            Program::Pdbedit => "pdbedit",
            Program::Smbstatus => "smbstatus",
            Program::Networkctl => "networkctl",
            Program::Systemctl => "systemctl",
            Program::SshKeygen => "ssh-keygen",
        }
    }
}

/// A command to run: which program, which arguments, optional stdin.
/// stdin may carry secrets (smbpasswd reads passwords there), so `Debug`
/// shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub program: Program,
    pub args: Vec<String>,
    pub stdin: Option<Vec<u8>>,
}

impl CommandLine {
    pub fn new<I, S>(program: Program, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandLine {
            program,
            args: args.into_iter().map(Into::into).collect(),
            stdin: None,
        }
    }
}

impl fmt::Debug for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandLine")
            .field("program", &self.program)
            .field("args", &self.args)
            .field(
                "stdin",
                &self.stdin.as_ref().map(|b| format!("<{} bytes>", b.len())),
            )
            .finish()
    }
}

impl fmt::Display for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.program.name())?;
        for arg in &self.args {
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || "'\"$;&|".contains(c))
            {
                write!(f, " '{}'", arg.replace('\'', "'\\''"))?;
            } else {
                write!(f, " {arg}")?;
            }
        }
        Ok(())
    }
}

/// What a finished command printed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("`{command}` could not be started")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}): {}", .stderr.trim())]
    Failed {
        command: String,
        status: String,
        stdout: String,
        stderr: String,
    },
    #[error("{} not found at {}; is its package installed?", .program.name(), .path.display())]
    Missing { program: Program, path: PathBuf },
}

impl CommandError {
    /// The program's stderr, for callers that map known failures.
    pub fn stderr(&self) -> &str {
        match self {
            CommandError::Failed { stderr, .. } => stderr,
            _ => "",
        }
    }
}

/// Runs commands. Implementations must be usable from several threads.
pub trait CommandRunner: Send + Sync {
    fn run(&self, command: &CommandLine) -> Result<Output, CommandError>;
}

/// Runs the real programs, by absolute path, with a clean environment.
#[derive(Debug, Clone)]
pub struct SystemRunner {
    paths: Vec<(Program, PathBuf)>,
}

impl SystemRunner {
    /// Finds each program under the usual sbin/bin directories of `root`.
    pub fn new(root: &Path) -> Self {
        let dirs = ["usr/sbin", "usr/bin", "sbin", "bin"];
        let paths = Program::ALL
            .iter()
            .map(|&p| {
                let found = dirs
                    .iter()
                    .map(|d| root.join(d).join(p.name()))
                    .find(|path| path.is_file())
                    .unwrap_or_else(|| root.join("usr/sbin").join(p.name()));
                (p, found)
            })
            .collect();
        SystemRunner { paths }
    }

    fn path(&self, program: Program) -> &Path {
        self.paths
            .iter()
            .find(|(p, _)| *p == program)
            .map(|(_, path)| path.as_path())
            .expect("every program has a path")
    }

    /// Programs that are not installed, for a start-up warning.
    pub fn missing(&self) -> Vec<(Program, PathBuf)> {
        self.paths
            .iter()
            .filter(|(_, path)| !path.is_file())
            .cloned()
            .collect()
    }
}

impl CommandRunner for SystemRunner {
    fn run(&self, command: &CommandLine) -> Result<Output, CommandError> {
        let path = self.path(command.program);
        if !path.is_file() {
            return Err(CommandError::Missing {
                program: command.program,
                path: path.to_path_buf(),
            });
        }
        let mut child = Command::new(path)
            .args(&command.args)
            .env_clear()
            .env("LC_ALL", "C")
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .stdin(if command.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| CommandError::Spawn {
                command: command.to_string(),
                source,
            })?;
        if let (Some(input), Some(mut stdin)) = (&command.stdin, child.stdin.take()) {
            use std::io::Write;
            let _ = stdin.write_all(input);
        }
        let out = child
            .wait_with_output()
            .map_err(|source| CommandError::Spawn {
                command: command.to_string(),
                source,
            })?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(CommandError::Failed {
                command: command.to_string(),
                status: out.status.to_string(),
                stdout,
                stderr,
            });
        }
        Ok(Output { stdout, stderr })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_display_quoted() {
        let c = CommandLine::new(Program::Zfs, ["create", "-o", "comment=a b", "tank/x"]);
        assert_eq!(c.to_string(), "zfs create -o 'comment=a b' tank/x");
    }

    #[test]
    fn debug_never_shows_stdin() {
        let mut c = CommandLine::new(Program::Smbcontrol, ["x"]);
        c.stdin = Some(b"s3cret-pass\ns3cret-pass\n".to_vec());
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("<24 bytes>"), "{shown}");
    }

    #[test]
    fn missing_programs_are_reported_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let runner = SystemRunner::new(dir.path());
        assert_eq!(runner.missing().len(), Program::ALL.len());
        let err = runner
            .run(&CommandLine::new(Program::Zpool, ["list"]))
            .unwrap_err();
        assert!(err.to_string().starts_with("zpool not found at"), "{err}");
    }
}

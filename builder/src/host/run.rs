//! The one way the builder runs host programs.
//!
//! Every command runs with `LC_ALL=C`; a failure becomes a [`RunError`] that
//! holds the command line, the exit status and what it printed (or where its
//! log is), so no error ever says just "exit status 1".

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A command line to run.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    log: Option<PathBuf>,
    cwd: Option<PathBuf>,
    progress: Option<fn(&str) -> bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start `{command}`")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}){}", detail(.stderr, .log))]
    Failed {
        command: String,
        status: String,
        stderr: String,
        log: Option<PathBuf>,
    },
}

fn detail(stderr: &str, log: &Option<PathBuf>) -> String {
    let mut out = String::new();
    let tail: Vec<&str> = stderr.lines().rev().take(25).collect();
    if !tail.is_empty() {
        out.push_str(":\n");
        for line in tail.iter().rev() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
    }
    if let Some(log) = log {
        out.push_str(&format!("  (full output in {})", log.display()));
    }
    out
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        Cmd {
            program: program.as_ref().to_os_string(),
            args: Vec::new(),
            envs: vec![("LC_ALL".into(), "C".into())],
            log: None,
            cwd: None,
            progress: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.envs
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Sends stdout and stderr to `path` instead of capturing them; for long
    /// and chatty commands (mmdebstrap, a DKMS build).
    pub fn log_to(mut self, path: impl AsRef<Path>) -> Cmd {
        self.log = Some(path.as_ref().to_path_buf());
        self
    }

    /// While the command runs, echoes the lines of its log that `show`
    /// accepts, so minutes-long steps show they are moving.
    pub fn progress(mut self, show: fn(&str) -> bool) -> Cmd {
        self.progress = Some(show);
        self
    }

    /// The command line as a person would type it.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| {
                let s = a.to_string_lossy();
                if s.is_empty() || s.contains(|c: char| c.is_whitespace() || "'\"$;&|".contains(c))
                {
                    format!("'{}'", s.replace('\'', "'\\''"))
                } else {
                    s.into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs to completion; returns stdout (empty when logging to a file).
    pub fn run(&self) -> Result<String, RunError> {
        let mut command = Command::new(&self.program);
        command.args(&self.args).stdin(Stdio::null());
        for (k, v) in &self.envs {
            command.env(k, v);
        }
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        let spawn_err = |source| RunError::Spawn {
            command: self.display(),
            source,
        };
        let output = match &self.log {
            Some(path) => {
                let file = File::create(path).map_err(spawn_err)?;
                let file2 = file.try_clone().map_err(spawn_err)?;
                command.stdout(file).stderr(file2);
                let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                let watcher = self
                    .progress
                    .map(|show| spawn_log_echo(path.clone(), show, done.clone()));
                let status = command.status();
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                if let Some(w) = watcher {
                    let _ = w.join();
                }
                let status = status.map_err(spawn_err)?;
                std::process::Output {
                    status,
                    stdout: Vec::new(),
                    stderr: std::fs::read(path).unwrap_or_default(),
                }
            }
            None => command.output().map_err(spawn_err)?,
        };
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        Err(RunError::Failed {
            command: self.display(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            log: self.log.clone(),
        })
    }
}

/// Follows a log file, printing accepted lines indented on stderr, until
/// `done` is set (and the file is read to its end once more).
fn spawn_log_echo(
    path: PathBuf,
    show: fn(&str) -> bool,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader};
        let Ok(file) = File::open(&path) else {
            return;
        };
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        loop {
            let finished = done.load(std::sync::atomic::Ordering::Relaxed);
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line.ends_with('\n') => {
                        if show(line.trim_end()) {
                            eprintln!("      {}", line.trim_end());
                        }
                    }
                    // A partial line: wait for the rest.
                    Ok(_) => break,
                }
            }
            if finished {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    })
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_names_the_command_and_shows_stderr() {
        let err = Cmd::new("sh")
            .args(["-c", "echo oops >&2; exit 3"])
            .run()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`sh -c 'echo oops >&2; exit 3'` failed"),
            "{text}"
        );
        assert!(text.contains("exit status: 3"), "{text}");
        assert!(text.contains("    oops"), "{text}");
    }

    #[test]
    fn runs_with_the_c_locale() {
        let out = Cmd::new("sh").args(["-c", "echo $LC_ALL"]).run().unwrap();
        assert_eq!(out, "C\n");
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let err = Cmd::new("/nonexistent/tool").run().unwrap_err();
        assert!(matches!(err, RunError::Spawn { .. }));
    }
}

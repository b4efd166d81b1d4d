//! The root shell the qemu test profile runs on a virtio port: commands
//! in, output and exit status back.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// What went wrong talking to the guest's test shell.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error("the guest's test shell connection failed")]
    Io(#[from] std::io::Error),
    #[error("the guest's test shell closed the connection")]
    Closed,
    #[error("guest command {command:?} did not finish within {secs}s; output so far: {output}")]
    Timeout {
        command: String,
        secs: u64,
        output: String,
    },
    #[error("guest command {command:?} exited {status}:\n{output}")]
    Failed {
        command: String,
        status: i32,
        output: String,
    },
    #[error("cannot connect to {}", .socket.display())]
    Connect {
        socket: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the guest's test shell does not answer")]
    NoAnswer(#[source] Box<ShellError>),
}

/// A root shell inside the guest, over the virtio port.
pub struct TestShell {
    stream: BufReader<UnixStream>,
    next: u64,
}

/// What a command in the guest did.
#[derive(Debug, Clone)]
pub struct Output {
    pub status: i32,
    pub text: String,
}

impl TestShell {
    pub(super) fn new(stream: UnixStream) -> TestShell {
        TestShell {
            stream: BufReader::new(stream),
            next: 0,
        }
    }

    /// Runs `command` with bash in the guest; stdout and stderr together.
    pub fn run(&mut self, command: &str, timeout: Duration) -> Result<Output, ShellError> {
        self.next += 1;
        let n = self.next;
        // The marker is assembled by printf so the command text never
        // contains it.
        let script =
            format!("{{\n{command}\n}} </dev/null 2>&1; printf '%s_%s:%s\\n' __IRONSTOR {n} $?\n");
        self.stream.get_mut().write_all(script.as_bytes())?;
        let marker = format!("__IRONSTOR_{n}:");
        let deadline = Instant::now() + timeout;
        let mut buf = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ShellError::Timeout {
                    command: command.to_string(),
                    secs: timeout.as_secs(),
                    output: String::from_utf8_lossy(&buf).into_owned(),
                });
            }
            self.stream
                .get_ref()
                .set_read_timeout(Some(left.min(Duration::from_secs(1))))?;
            let mut line = Vec::new();
            match self.stream.read_until(b'\n', &mut line) {
                Ok(0) => return Err(ShellError::Closed),
                Ok(_) => buf.extend_from_slice(&line),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    buf.extend_from_slice(&line);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some(at) = text.find(&marker) {
                let rest = &text[at + marker.len()..];
                if let Some(end) = rest.find('\n') {
                    let status = rest[..end].trim().parse().unwrap_or(-1);
                    return Ok(Output {
                        status,
                        text: text[..at].to_string(),
                    });
                }
            }
        }
    }

    /// Runs `command` and fails unless it exits 0; returns its output.
    pub fn check(&mut self, command: &str) -> Result<String, ShellError> {
        let out = self.run(command, Duration::from_secs(120))?;
        if out.status != 0 {
            return Err(ShellError::Failed {
                command: command.to_string(),
                status: out.status,
                output: out.text,
            });
        }
        Ok(out.text)
    }
}

//! The root shell the qemu test profile runs on a virtio port: commands
//! in, output and exit status back.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

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
    pub fn run(&mut self, command: &str, timeout: Duration) -> Result<Output> {
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
                bail!(
                    "guest command {command:?} did not finish within {}s; output so far: {}",
                    timeout.as_secs(),
                    String::from_utf8_lossy(&buf)
                );
            }
            self.stream
                .get_ref()
                .set_read_timeout(Some(left.min(Duration::from_secs(1))))?;
            let mut line = Vec::new();
            match self.stream.read_until(b'\n', &mut line) {
                Ok(0) => bail!("the guest's test shell closed the connection"),
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
    pub fn check(&mut self, command: &str) -> Result<String> {
        let out = self.run(command, Duration::from_secs(120))?;
        if out.status != 0 {
            bail!(
                "guest command {command:?} exited {}:\n{}",
                out.status,
                out.text
            );
        }
        Ok(out.text)
    }
}

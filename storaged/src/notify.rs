//! The systemd notification protocol (`sd_notify`), spoken directly over
//! `$NOTIFY_SOCKET` so storaged needs no libsystemd.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Where to send `READY=1` and watchdog pings; `None` when not run by systemd.
#[derive(Debug)]
pub struct Notifier {
    socket: Option<String>,
}

impl Notifier {
    pub fn from_env() -> Self {
        Notifier {
            socket: std::env::var("NOTIFY_SOCKET")
                .ok()
                .filter(|s| !s.is_empty()),
        }
    }

    pub fn ready(&self, status: &str) -> io::Result<()> {
        self.send(&format!("READY=1\nSTATUS={status}"))
    }

    /// Tells systemd a clean shutdown has begun.
    pub fn stopping(&self) -> io::Result<()> {
        self.send("STOPPING=1")
    }

    pub fn watchdog(&self) -> io::Result<()> {
        self.send("WATCHDOG=1")
    }

    /// How often to ping the watchdog: half of `$WATCHDOG_USEC`, if set.
    pub fn watchdog_interval() -> Option<Duration> {
        let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
        (usec > 0).then(|| Duration::from_micros(usec / 2))
    }

    fn send(&self, message: &str) -> io::Result<()> {
        let Some(path) = &self.socket else {
            return Ok(());
        };
        let socket = UnixDatagram::unbound()?;
        if let Some(abstract_name) = path.strip_prefix('@') {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(abstract_name)?;
            socket.send_to_addr(message.as_bytes(), &addr)?;
        } else {
            socket.send_to(message.as_bytes(), path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_ready_to_the_notify_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier {
            socket: Some(path.to_string_lossy().into_owned()),
        };
        notifier.ready("up").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=up");
    }
}

//! The terminal the console runs on (tty1, a serial line): raw input, so a
//! key acts without Enter and is not echoed; a bounded wait for a key.

use std::io;
use std::time::Duration;

use rustix::termios::{isatty, tcgetattr, tcsetattr, OptionalActions, Termios};

/// Raw mode on standard input until dropped (when it is a terminal at all:
/// tests and a redirected stdin run without).
pub struct Raw {
    saved: Option<Termios>,
}

impl Raw {
    pub fn enter() -> io::Result<Raw> {
        let stdin = io::stdin();
        if !isatty(&stdin) {
            return Ok(Raw { saved: None });
        }
        let saved = tcgetattr(&stdin)?;
        let mut raw = saved.clone();
        // No line editing, echo or signals; on a serial line also no
        // CR/LF translation of input. Output is written with explicit
        // `\r\n`.
        raw.make_raw();
        tcsetattr(&stdin, OptionalActions::Now, &raw)?;
        Ok(Raw { saved: Some(saved) })
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = tcsetattr(io::stdin(), OptionalActions::Now, saved);
        }
    }
}

/// What waiting for a key gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    Keys(Vec<u8>),
    /// Nothing within the time.
    Timeout,
    /// The terminal went away (hang-up, end of input).
    Closed,
}

/// Waits up to `timeout` for input on standard input.
pub fn wait_key(timeout: Duration) -> io::Result<Input> {
    let mut fds = [libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    }];
    let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd, its count, a finite timeout.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, millis) };
    if ready < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted {
            Ok(Input::Timeout)
        } else {
            Err(err)
        };
    }
    if ready == 0 {
        return Ok(Input::Timeout);
    }
    let mut buf = [0u8; 32];
    match rustix::io::read(io::stdin(), &mut buf) {
        Ok(0) => Ok(Input::Closed),
        Ok(n) => Ok(Input::Keys(buf[..n].to_vec())),
        Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => Ok(Input::Timeout),
        Err(e) => Err(e.into()),
    }
}

//! Where passwords and answers come from: the terminal (echo off for
//! secrets), or standard input when it is a pipe; tests use canned ones.

use std::io::{self, BufRead, IsTerminal};

/// Where passwords come from.
pub trait Input {
    /// One line, without echo when typed at a terminal.
    fn secret(&mut self, prompt: &str) -> io::Result<String>;
    /// True when a person types (so asking twice makes sense).
    fn interactive(&self) -> bool;
    /// A yes/no question; only `y` or `yes` is yes.
    fn confirm(&mut self, prompt: &str) -> io::Result<bool> {
        let answer = self.secret(prompt)?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }
}

/// The real terminal, or standard input when it is a pipe.
pub struct Terminal;

impl Input for Terminal {
    fn secret(&mut self, prompt: &str) -> io::Result<String> {
        let stdin = io::stdin();
        let echo_off = self.interactive().then(|| EchoOff::new(&stdin)).flatten();
        if echo_off.is_some() {
            eprint!("{prompt}");
        }
        let mut line = String::new();
        let read = stdin.lock().read_line(&mut line);
        if echo_off.is_some() {
            eprintln!();
        }
        drop(echo_off);
        if read? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "no password on standard input",
            ));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }

    fn interactive(&self) -> bool {
        io::stdin().is_terminal()
    }

    fn confirm(&mut self, prompt: &str) -> io::Result<bool> {
        eprint!("{prompt}");
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        Ok(matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }
}

/// Turns terminal echo off until dropped.
struct EchoOff {
    saved: rustix::termios::Termios,
}

impl EchoOff {
    fn new(stdin: &io::Stdin) -> Option<EchoOff> {
        use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
        let saved = tcgetattr(stdin).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(stdin, OptionalActions::Now, &quiet).ok()?;
        Some(EchoOff { saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        use rustix::termios::{tcsetattr, OptionalActions};
        let _ = tcsetattr(io::stdin(), OptionalActions::Now, &self.saved);
    }
}

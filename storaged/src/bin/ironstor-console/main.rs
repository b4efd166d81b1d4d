//! `ironstor-console`: the screen on the appliance's VGA console (tty1) and
//! serial console, in place of a login prompt. It shows what an owner
//! needs to reach the box (addresses, the web console's URL and its
//! certificate's fingerprint, the setup token until it is used), health
//! and the open alerts, and offers a few keys: a new setup token, reboot,
//! shut down.
//!
//! It polls storaged's API on the root-only socket every 2 s and redraws
//! only when the text changed, so a serial console's log is not flooded.
//! Plain text and a few ANSI sequences (clear, bold, half-bright): the
//! Linux console and any serial terminal show them; no curses needed.

mod keys;
mod screen;
mod tty;

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use storaged::api::client::{ClientError, UnixClient};
use storaged::api::console::{ConsoleFacts, SetupTokenBody};
use storaged::config::DEFAULT_SOCKET;
use storaged::util::error_chain;

use keys::{Action, Effect, Ui};
use screen::Known;
use tty::Input;

/// How often the facts are asked for.
const POLL: Duration = Duration::from_secs(2);
/// How long one API call may take before the screen says so.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Home, clear the screen.
const CLEAR: &str = "\x1b[H\x1b[2J";
/// On a virtual terminal kernel messages may print over the screen, so it
/// is painted again now and then; never on a serial line, whose log would
/// fill with copies.
const VT_REPAINT: Duration = Duration::from_secs(60);

#[derive(Debug, Parser)]
#[command(
    name = "ironstor-console",
    version,
    about = "The appliance's console screen: addresses, URL, setup token, health, power keys."
)]
struct Args {
    /// storaged's API socket.
    #[arg(long, env = "STORAGECTL_SOCKET", value_name = "PATH", default_value = DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Print the screen once, without escape sequences, and exit.
    #[arg(long)]
    once: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = UnixClient::new(&args.socket, TIMEOUT);
    if args.once {
        let text = screen::visible(&screen::render(&fetch(&client), &Ui::default()));
        println!("{text}");
        return Ok(());
    }
    let _raw = tty::Raw::enter()?;
    let mut console = Console::new(client);
    if stdin_is_vt() {
        console.repaint_every = Some(VT_REPAINT);
    }
    let mut out = io::stdout().lock();
    loop {
        console.refresh_if_due(Instant::now());
        console.draw(&mut out, false)?;
        match tty::wait_key(console.until_next_poll(Instant::now()))? {
            Input::Timeout => {}
            Input::Keys(keys) => {
                for key in keys {
                    let repaint = console.key(key);
                    console.draw(&mut out, repaint)?;
                }
            }
            // systemd starts a new one (Restart=always) on a fresh tty.
            Input::Closed => return Ok(()),
        }
    }
}

/// The console's state between draws.
struct Console {
    client: UnixClient,
    known: Known,
    ui: Ui,
    drawn: Option<String>,
    next_poll: Instant,
    painted: Instant,
    repaint_every: Option<Duration>,
}

impl Console {
    fn new(client: UnixClient) -> Console {
        Console {
            known: Err("not asked yet".into()),
            client,
            ui: Ui::default(),
            drawn: None,
            next_poll: Instant::now(),
            painted: Instant::now(),
            repaint_every: None,
        }
    }

    fn refresh_if_due(&mut self, now: Instant) {
        if now >= self.next_poll {
            self.known = fetch(&self.client);
            self.next_poll = now + POLL;
        }
    }

    fn until_next_poll(&self, now: Instant) -> Duration {
        self.next_poll.saturating_duration_since(now)
    }

    /// Handles one key; true when the screen must be drawn again whatever
    /// its text.
    fn key(&mut self, key: u8) -> bool {
        let setup_open = matches!(&self.known, Ok(f) if f.setup_required);
        match keys::handle_key(&mut self.ui, key, setup_open) {
            Effect::Nothing | Effect::Redraw => false,
            Effect::Repaint => true,
            Effect::RenewToken => {
                self.ui.message = Some(match renew(&self.client) {
                    Ok(_) => "A new setup token was made; the old one no longer works.".into(),
                    Err(e) => format!("No new setup token: {}", describe(&e)),
                });
                // Show the new token now, not in two seconds.
                self.known = fetch(&self.client);
                false
            }
            Effect::Power(action) => {
                let path = match action {
                    Action::Reboot => "/system/reboot",
                    Action::Shutdown => "/system/shutdown",
                };
                if let Err(e) = self.client.call("POST", path, None) {
                    self.ui.message = Some(format!("Refused: {}", describe(&e)));
                }
                false
            }
        }
    }

    /// Writes the screen when its text changed (or `force`).
    fn draw(&mut self, out: &mut impl Write, force: bool) -> io::Result<()> {
        let text = screen::render(&self.known, &self.ui);
        let stale = self
            .repaint_every
            .is_some_and(|every| self.painted.elapsed() >= every);
        if !force && !stale && self.drawn.as_deref() == Some(text.as_str()) {
            return Ok(());
        }
        out.write_all(CLEAR.as_bytes())?;
        out.write_all(text.replace('\n', "\r\n").as_bytes())?;
        out.write_all(b"\r\n")?;
        out.flush()?;
        self.drawn = Some(text);
        self.painted = Instant::now();
        Ok(())
    }
}

/// Whether standard input is a virtual terminal (`/dev/tty1`), not a
/// serial line (`/dev/ttyS0`).
fn stdin_is_vt() -> bool {
    std::fs::read_link("/proc/self/fd/0")
        .ok()
        .is_some_and(|p| p.to_str().is_some_and(is_vt))
}

fn is_vt(path: &str) -> bool {
    path.strip_prefix("/dev/tty")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The facts, or why there are none, in words.
fn fetch(client: &UnixClient) -> Known {
    let answer = client.get("/console").map_err(|e| describe(&e))?;
    serde_json::from_value::<ConsoleFacts>(answer)
        .map_err(|e| format!("storaged's answer is not what this console expects: {e}"))
}

fn renew(client: &UnixClient) -> Result<SetupTokenBody, ClientError> {
    let answer = client.post("/setup/token", &serde_json::Value::Null)?;
    serde_json::from_value(answer).map_err(ClientError::NotJson)
}

fn describe(err: &ClientError) -> String {
    match err {
        ClientError::Api { message, .. } => message.clone(),
        other => error_chain(other),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use storaged::daemon::Background;

    use super::*;

    fn console(socket: &Path) -> Console {
        Console::new(UnixClient::new(socket, TIMEOUT))
    }

    #[test]
    fn the_screen_of_a_simulated_box_shows_its_token_and_a_new_one_on_t() {
        let dir = tempfile::tempdir().unwrap();
        let daemon = Background::sim_in(dir.path(), &[]).unwrap();
        let mut c = console(daemon.socket_path());
        c.refresh_if_due(Instant::now());
        let token = daemon.setup_token().unwrap().to_string();
        let mut out = Vec::new();
        c.draw(&mut out, false).unwrap();
        let first = String::from_utf8(out).unwrap();
        assert!(first.starts_with(CLEAR), "{first:?}");
        assert!(
            first.contains(&format!("Setup token: \x1b[1m{token}")),
            "{first}"
        );
        assert!(
            first.contains("\r\n  ens3       10.0.2.15/24\r\n"),
            "{first}"
        );

        // Unchanged facts: nothing is written again.
        let mut out = Vec::new();
        c.next_poll = Instant::now();
        c.refresh_if_due(Instant::now());
        c.draw(&mut out, false).unwrap();
        assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));

        assert!(!c.key(b't'));
        let Ok(facts) = &c.known else {
            panic!("{:?}", c.known)
        };
        let new = facts.setup_token.clone().unwrap();
        assert_ne!(new, token);
        let mut out = Vec::new();
        c.draw(&mut out, false).unwrap();
        let second = String::from_utf8(out).unwrap();
        assert!(second.contains(&new), "{second}");
        assert!(second.contains("the old one no longer works"), "{second}");
    }

    #[test]
    fn only_virtual_terminals_are_repainted_unasked() {
        assert!(is_vt("/dev/tty1"));
        assert!(!is_vt("/dev/ttyS0"));
        assert!(!is_vt("/dev/tty"));
        assert!(!is_vt("/dev/pts/3"));
        let dir = tempfile::tempdir().unwrap();
        let mut c = console(&dir.path().join("none.sock"));
        c.refresh_if_due(Instant::now());
        c.draw(&mut Vec::new(), false).unwrap();
        let mut out = Vec::new();
        c.draw(&mut out, false).unwrap();
        assert!(out.is_empty());
        c.repaint_every = Some(Duration::ZERO);
        c.draw(&mut out, false).unwrap();
        assert!(!out.is_empty());
    }

    #[test]
    fn a_missing_storaged_is_shown_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = console(&dir.path().join("none.sock"));
        c.refresh_if_due(Instant::now());
        let shown = screen::visible(&screen::render(&c.known, &c.ui));
        assert!(shown.contains("storaged is not answering"), "{shown}");
        c.key(b'r');
        c.key(b'y');
        assert!(
            c.ui.message.as_deref().unwrap().starts_with("Refused: "),
            "{:?}",
            c.ui.message
        );
    }
}

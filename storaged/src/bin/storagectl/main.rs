//! `storagectl`: the appliance's command line. It speaks storaged's JSON
//! API over the local unix socket (root only, so no login), prints tables
//! by default and the raw JSON with `--json`, and exits non-zero with the
//! server's message when the API answers an error.

mod cli;
mod session;
mod system;
mod table;

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;
use storaged::api::client::{ClientError, UnixClient};

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let mut stdout = io::stdout().lock();
    match run(cli, &mut Terminal, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if let (true, Some(ClientError::Api { body, .. })) =
                (json, err.downcast_ref::<ClientError>())
            {
                let _ = stdout.write_all(body);
                let _ = stdout.write_all(b"\n");
            }
            eprintln!("storagectl: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// Everything a command needs: the API, the output mode, where to print,
/// where secrets come from.
pub struct Ctl<'a> {
    pub client: UnixClient,
    pub json: bool,
    pub out: &'a mut dyn Write,
    pub input: &'a mut dyn Input,
}

impl Ctl<'_> {
    pub fn print(&mut self, text: &str) -> anyhow::Result<()> {
        self.out.write_all(text.as_bytes())?;
        Ok(())
    }

    /// Pretty JSON; nothing for an empty answer (`204 No Content`).
    pub fn print_json(&mut self, value: &Value) -> anyhow::Result<()> {
        if !value.is_null() {
            serde_json::to_writer_pretty(&mut *self.out, value)?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// Where passwords come from.
pub trait Input {
    /// One line, without echo when typed at a terminal.
    fn secret(&mut self, prompt: &str) -> io::Result<String>;
    /// True when a person types (so asking twice makes sense).
    fn interactive(&self) -> bool;
}

/// The real terminal, or standard input when it is a pipe.
struct Terminal;

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

/// Runs one command line.
pub fn run(cli: Cli, input: &mut dyn Input, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut ctl = Ctl {
        client: UnixClient::new(&cli.socket, Duration::from_secs(cli.timeout.max(1))),
        json: cli.json,
        out,
        input,
    };
    match cli.command {
        Command::Status => system::status(&mut ctl),
        Command::Openapi => system::openapi(&mut ctl),
        Command::Setup(args) => session::setup(&mut ctl, args),
        Command::Login(args) => session::login(&mut ctl, args),
        Command::Logout(args) => session::logout(&mut ctl, args),
    }
}

/// The error with its causes; an API error also names its field.
fn describe(err: &anyhow::Error) -> String {
    if let Some(ClientError::Api {
        message,
        field: Some(field),
        ..
    }) = err.downcast_ref::<ClientError>()
    {
        if !message.contains(field.as_str()) {
            return format!("{message} (field `{field}`)");
        }
    }
    format!("{err:#}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use storaged::auth::HashCost;
    use storaged::config::Config;
    use storaged::daemon::Background;

    /// Canned passwords, in order.
    struct Canned(Vec<String>);

    impl Input for Canned {
        fn secret(&mut self, _: &str) -> io::Result<String> {
            Ok(self.0.remove(0))
        }
        fn interactive(&self) -> bool {
            false
        }
    }

    fn start() -> (tempfile::TempDir, Background) {
        let dir = tempfile::tempdir().unwrap();
        let daemon = Background::start_with(Config::sim_in(dir.path()), HashCost::FAST).unwrap();
        (dir, daemon)
    }

    fn ctl(daemon: &Background, args: &[&str], input: &[&str]) -> anyhow::Result<String> {
        let socket = daemon.socket_path().to_str().unwrap();
        let argv = ["storagectl", "--socket", socket]
            .into_iter()
            .chain(args.iter().copied());
        let cli = Cli::try_parse_from(argv)?;
        let mut out = Vec::new();
        let mut input = Canned(input.iter().map(|s| s.to_string()).collect());
        run(cli, &mut input, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn status_prints_a_table_or_the_json() {
        let (_dir, daemon) = start();
        let text = ctl(&daemon, &["status"], &[]).unwrap();
        assert!(
            text.starts_with(&format!("version         {}\n", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        assert!(
            text.contains("mode            simulation (--sim): no disks\n"),
            "{text}"
        );
        assert!(text.contains("admin password  not set"), "{text}");

        let json = ctl(&daemon, &["status", "--json"], &[]).unwrap();
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(value["sim"], true);
    }

    #[test]
    fn setup_login_logout_over_the_socket() {
        let (_dir, daemon) = start();
        let err = ctl(&daemon, &["setup"], &["short"]).unwrap_err();
        assert_eq!(
            describe(&err),
            "the password must be at least 12 characters long"
        );
        let field_only = anyhow::Error::new(ClientError::Api {
            status: 422,
            code: "invalid_request".into(),
            message: "must not be empty".into(),
            field: Some("token".into()),
            body: Vec::new(),
        });
        assert_eq!(describe(&field_only), "must not be empty (field `token`)");
        let out = ctl(&daemon, &["setup"], &["a long enough password"]).unwrap();
        assert!(out.contains("password is set"), "{out}");

        let err = ctl(&daemon, &["setup"], &["another long password"]).unwrap_err();
        assert_eq!(describe(&err), "the admin password is already set");
        let err = ctl(&daemon, &["login"], &["wrong password!"]).unwrap_err();
        assert_eq!(describe(&err), "wrong username or password");

        let out = ctl(&daemon, &["login", "--json"], &["a long enough password"]).unwrap();
        let session: Value = serde_json::from_str(&out).unwrap();
        let token = session["token"].as_str().unwrap();
        assert_eq!(session["username"], "admin");
        let out = ctl(&daemon, &["logout", token], &[]).unwrap();
        assert_eq!(out, "Logged out.\n");
    }

    #[test]
    fn openapi_prints_the_document() {
        let (_dir, daemon) = start();
        let out = ctl(&daemon, &["openapi"], &[]).unwrap();
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert!(doc["paths"]["/status"]["get"].is_object());
    }

    #[test]
    fn no_daemon_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("none.sock");
        let cli =
            Cli::try_parse_from(["storagectl", "--socket", socket.to_str().unwrap(), "status"])
                .unwrap();
        let err = run(cli, &mut Canned(vec![]), &mut Vec::new()).unwrap_err();
        let text = describe(&err);
        assert!(text.starts_with("cannot connect to storaged at"), "{text}");
        assert!(text.contains("No such file or directory"), "{text}");
    }
}

//! `storagectl`: the appliance's command line. It speaks storaged's JSON
//! API over the local unix socket (root only, so no login), prints tables
//! by default and the raw JSON with `--json`, and exits non-zero with the
//! server's message when the API answers an error.

mod cli;
mod dataset;
mod drives;
mod input;
mod pool;
mod preset;
mod remote;
mod session;
mod sharing;
mod snapshot;
mod ssh;
mod system;
mod table;
mod upgrade;
mod volume;

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;
use storaged::api::client::{ClientError, UnixClient};

use cli::{Cli, Command};
pub use input::Input;
use input::Terminal;

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

    /// The API's answer as JSON with `--json`, else the text for people.
    pub fn show(&mut self, answer: &Value, text: &str) -> anyhow::Result<()> {
        if self.json {
            self.print_json(answer)
        } else {
            self.print(text)
        }
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

/// An answer read into the API's own type, for the text. `--json` prints
/// the answer as the server sent it, so this never changes what it shows.
pub fn typed<T: serde::de::DeserializeOwned>(answer: &Value) -> anyhow::Result<T> {
    T::deserialize(answer)
        .map_err(|e| anyhow::anyhow!("storaged's answer is not what this storagectl expects: {e}"))
}

/// A request body from the API's own request type.
pub fn body(request: &impl serde::Serialize) -> anyhow::Result<Value> {
    Ok(serde_json::to_value(request)?)
}

/// A request body with the optional fields that were given: the API
/// applies its own default to a field left out.
pub fn with_given<const N: usize>(mut body: Value, fields: [(&str, Option<Value>); N]) -> Value {
    for (key, value) in fields {
        if let (Some(value), Some(object)) = (value, body.as_object_mut()) {
            object.insert(key.to_string(), value);
        }
    }
    body
}

/// Runs one command line.
pub fn run(cli: Cli, input: &mut dyn Input, out: &mut dyn Write) -> anyhow::Result<()> {
    let timeout = Duration::from_secs(cli.timeout.max(1));
    let client = match cli.host {
        None => UnixClient::new(&cli.socket, timeout),
        Some(url) => {
            let args = remote::HostArgs {
                url,
                token: cli.token,
                accept_new: cli.accept_new,
                known_hosts: cli.known_hosts,
                timeout,
            };
            let (client, notes) = remote::client(args, input)?;
            for note in notes {
                eprintln!("{note}");
            }
            client
        }
    };
    let mut ctl = Ctl {
        client,
        json: cli.json,
        out,
        input,
    };
    let done = command(&mut ctl, cli.command);
    done.map_err(|e| remote::explain(e, &ctl.client))
}

fn command(ctl: &mut Ctl<'_>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Status => system::status(ctl),
        Command::Openapi => system::openapi(ctl),
        Command::Setup(args) => session::setup(ctl, args),
        Command::Login(args) => session::login(ctl, args),
        Command::Logout(args) => session::logout(ctl, args),
        Command::Password => session::password(ctl),
        Command::Token(command) => session::token(ctl, command),
        Command::Drives(args) => drives::run(ctl, args),
        Command::Pool(command) => pool::run(ctl, command),
        Command::Dataset(command) => dataset::run(ctl, command),
        Command::Volume(command) => volume::run(ctl, command),
        Command::Snapshot(command) => snapshot::run(ctl, command),
        Command::Iscsi(command) => sharing::iscsi(ctl, command),
        Command::Nfs(command) => sharing::nfs(ctl, command),
        Command::Smb(command) => sharing::smb(ctl, command),
        Command::Upgrade(command) => upgrade::run(ctl, command),
        Command::Preset(command) => preset::run(ctl, command),
        Command::Ssh(command) => ssh::run(ctl, command),
    }
}

/// `text` made safe for a URL path or query value: what names may hold
/// (letters, digits, `_ - . : @` and `/` between parts) passes, anything
/// else is percent-encoded, so a typo cannot turn into another request.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"_-.:@/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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

    /// `storaged --sim` in a temp dir, with a partition table on the
    /// `partitioned` disks (kernel names), started as every harness starts it.
    fn sim(partitioned: &[&str]) -> (tempfile::TempDir, Background) {
        let dir = tempfile::tempdir().unwrap();
        let daemon = Background::sim_in(dir.path(), partitioned).unwrap();
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
        let (_dir, daemon) = sim(&[]);
        let text = ctl(&daemon, &["status"], &[]).unwrap();
        assert!(
            text.starts_with(&format!("version         {}\n", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        assert!(
            text.contains(
                "mode            simulation (--sim): fixture disks, fake zpool and zfs\n"
            ),
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
        let (_dir, daemon) = sim(&[]);
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
        let (_dir, daemon) = sim(&[]);
        let out = ctl(&daemon, &["openapi"], &[]).unwrap();
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert!(doc["paths"]["/status"]["get"].is_object());
    }

    const NVME: [&str; 4] = [
        "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
        "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001",
        "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002",
        "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0003",
    ];
    const SATA: &str = "ata-QEMU_HARDDISK_IRONSTORSATA0000";

    /// A simulated machine whose SATA disk carries a partition table.
    fn api(daemon: &Background, path: &str) -> Value {
        UnixClient::new(daemon.socket_path(), Duration::from_secs(30))
            .get(path)
            .unwrap()
    }

    #[test]
    fn json_drives_is_the_apis_answer() {
        let (_dir, daemon) = sim(&[]);
        let out = ctl(&daemon, &["--json", "drives"], &[]).unwrap();
        let printed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(printed, api(&daemon, "/drives"));
        let disks = printed["disks"].as_array().unwrap();
        assert_eq!(disks.len(), 6);
        for disk in disks {
            for key in ["id", "transport", "verdict"] {
                assert!(disk[key].is_string(), "{key}: {disk}");
            }
        }
        let table = ctl(&daemon, &["drives"], &[]).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[0].starts_with("ID ")
                && lines[0].ends_with("DEVICE   TRANSPORT  SIZE  MODEL           VERDICT"),
            "{table}"
        );
        assert!(
            lines[2].starts_with(NVME[0])
                && lines[2].ends_with("nvme1n1  nvme       1G    QEMU NVMe Ctrl  usable"),
            "{table}"
        );
        assert!(
            table.contains("usb-QEMU_QEMU_HARDDISK_1-0000:00:02.0-1-0:0 is boot-medium: "),
            "{table}"
        );
        let one = ctl(&daemon, &["drives", "show", NVME[2]], &[]).unwrap();
        assert!(one.contains("verdict      usable\n"), "{one}");
        assert!(one.contains("pcie link    2.5 GT/s x1"), "{one}");
    }

    #[test]
    fn pool_create_warns_refuses_in_use_disks_and_takes_them_when_forced() {
        let (_dir, daemon) = sim(&["sda"]);
        let mut args = vec!["pool", "create", "tank", "--layout", "stripe"];
        args.extend(NVME);
        let out = ctl(&daemon, &args, &[]).unwrap();
        assert!(
            out.starts_with("Created pool tank: stripe of 4 disks, mounted at "),
            "{out}"
        );
        assert!(
            out.contains("WARNING: pool tank stripes 4 disks with no redundancy"),
            "{out}"
        );

        let err = ctl(
            &daemon,
            &["pool", "create", "scratch", "--layout", "stripe", SATA],
            &[],
        )
        .unwrap_err();
        let message = describe(&err);
        assert!(
            message.contains(SATA) && message.contains("in-use") && message.contains("--force"),
            "{message}"
        );
        assert_eq!(api(&daemon, "/pools")["pools"].as_array().unwrap().len(), 1);

        let out = ctl(
            &daemon,
            &[
                "pool", "create", "scratch", "--layout", "stripe", SATA, "--force", SATA,
            ],
            &[],
        )
        .unwrap();
        assert!(out.contains(&format!("Forced: {SATA} (in-use)")), "{out}");

        let status = ctl(&daemon, &["--json", "pool", "status", "tank"], &[]).unwrap();
        let status: Value = serde_json::from_str(&status).unwrap();
        assert_eq!(status, api(&daemon, "/pools/tank"));
        assert_eq!(status["health"], "ONLINE");
        let list: Value =
            serde_json::from_str(&ctl(&daemon, &["pool", "list", "--json"], &[]).unwrap()).unwrap();
        assert_eq!(list, api(&daemon, "/pools"));
        let table = ctl(&daemon, &["pool", "list"], &[]).unwrap();
        assert!(table.starts_with("NAME     HEALTH  SIZE"), "{table}");
        assert!(table.contains("tank     ONLINE  4G"), "{table}");
        let status = ctl(&daemon, &["pool", "status", "tank"], &[]).unwrap();
        assert!(status.contains("health         ONLINE\n"), "{status}");
        assert!(
            status.contains(&format!("\n{}  ONLINE  0     0      0\n", NVME[0])),
            "{status}"
        );
    }

    #[test]
    fn every_storage_subcommand_round_trips() {
        let (_dir, daemon) = sim(&[]);
        let run = |args: &[&str]| ctl(&daemon, args, &[]).unwrap();
        let mut create = vec!["pool", "create", "tank", "--layout", "stripe"];
        create.extend(NVME);
        run(&create);
        assert_eq!(
            run(&["volume", "create", "tank/vm1", "--size", "256M"]),
            "Created volume tank/vm1 (256M, /dev/zvol/tank/vm1).\n"
        );
        assert_eq!(
            run(&["dataset", "create", "tank/share"]),
            "Created dataset tank/share.\n"
        );
        let thin = run(&[
            "volume",
            "create",
            "tank/thin",
            "--size",
            "1G",
            "--sparse",
            "--volblocksize",
            "64K",
        ]);
        assert!(thin.contains("WARNING: zvol tank/thin is sparse"), "{thin}");
        let volumes = run(&["volume", "list"]);
        assert!(volumes.contains("tank/thin  1G    64K"), "{volumes}");
        assert!(volumes.contains("thin"), "{volumes}");
        assert_eq!(
            run(&["volume", "resize", "tank/vm1", "--size", "1G"]),
            "tank/vm1 is now 1G.\n"
        );
        let err = ctl(
            &daemon,
            &["volume", "resize", "tank/vm1", "--size", "512M"],
            &[],
        )
        .unwrap_err();
        assert!(describe(&err).contains("shrinking"), "{}", describe(&err));
        run(&["volume", "resize", "tank/vm1", "--size", "512M", "--shrink"]);

        assert_eq!(
            run(&["dataset", "resize", "tank/share", "--quota", "10G"]),
            "tank/share now has a quota of 10G.\n"
        );
        let datasets = run(&["dataset", "list", "--pool", "tank"]);
        assert!(datasets.contains("tank/share"), "{datasets}");
        assert!(datasets.contains("10G"), "{datasets}");
        assert_eq!(
            run(&["dataset", "resize", "tank/share", "--quota", "none"]),
            "tank/share now has no quota.\n"
        );

        assert_eq!(
            run(&["snapshot", "create", "tank/vm1@a"]),
            "Created snapshot tank/vm1@a.\n"
        );
        run(&["snapshot", "create", "tank/vm1@b"]);
        let snaps = run(&["snapshot", "list", "--dataset", "tank/vm1"]);
        assert!(
            snaps.starts_with("NAME        USED  REFER  CREATED (UTC)\ntank/vm1@a"),
            "{snaps}"
        );
        let err = ctl(&daemon, &["snapshot", "rollback", "tank/vm1@a"], &[]).unwrap_err();
        assert!(describe(&err).contains("tank/vm1@b"), "{}", describe(&err));
        assert_eq!(
            run(&["snapshot", "rollback", "tank/vm1@a", "--destroy-newer"]),
            "Rolled back to tank/vm1@a.\nDestroyed the newer snapshots tank/vm1@b.\n"
        );
        assert_eq!(
            run(&["snapshot", "destroy", "tank/vm1@a"]),
            "Destroyed snapshot tank/vm1@a.\n"
        );
        assert_eq!(run(&["snapshot", "list"]), "No snapshots.\n");

        assert_eq!(
            run(&["dataset", "destroy", "tank/share"]),
            "Destroyed tank/share.\n"
        );
        assert_eq!(
            run(&["volume", "destroy", "tank/thin"]),
            "Destroyed tank/thin.\n"
        );

        assert!(run(&["pool", "scrub", "tank"]).starts_with("Scrub of tank started"));
        assert!(run(&["pool", "export", "tank"]).contains("stays declared"));
        assert_eq!(run(&["pool", "import", "tank"]), "Imported pool tank.\n");
        assert_eq!(
            run(&["pool", "import", "tank"]),
            "Pool tank was already imported.\n"
        );
        let err = ctl(
            &daemon,
            &["pool", "destroy", "tank", "--confirm", "tnak"],
            &[],
        )
        .unwrap_err();
        assert!(
            describe(&err).contains("confirmation"),
            "{}",
            describe(&err)
        );
        assert!(Cli::try_parse_from(["storagectl", "pool", "destroy", "tank"]).is_err());
        assert_eq!(
            run(&["pool", "destroy", "tank", "--confirm", "tank"]),
            "Destroyed pool tank and all its data.\nNo longer declared: tank/vm1.\n"
        );
        assert!(run(&["pool", "list"]).starts_with("No pools."));
    }

    #[test]
    fn bad_sizes_and_layouts_are_caught_before_asking() {
        for args in [
            ["storagectl", "volume", "create", "tank/v", "--size", "1.5G"],
            ["storagectl", "volume", "create", "tank/v", "--size", "lots"],
            ["storagectl", "pool", "create", "tank", "--layout", "raid5"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
        assert!(Cli::try_parse_from([
            "storagectl",
            "pool",
            "create",
            "tank",
            "--layout",
            "stripe"
        ])
        .is_err());
    }

    #[test]
    fn names_are_encoded_into_paths() {
        assert_eq!(encode("tank/vm1@a"), "tank/vm1@a");
        assert_eq!(encode("tank/x?recursive=true"), "tank/x%3Frecursive%3Dtrue");
        assert_eq!(encode("a b#c%"), "a%20b%23c%25");
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

//! How storaged is configured: every path and listener, from flags or the
//! environment, with the appliance's defaults.
//!
//! Parsing is two steps: [`Args`] is what was typed (everything optional),
//! [`Args::resolve`] turns it into a [`Config`] where every path is known.
//! `--sim` changes the defaults, not the meaning: fixture roots under one
//! directory, and no HTTPS listener unless one is asked for.
//!
//! Under `--sim`, [`Config::prepare_sim`] lays a fixture machine (by default
//! ironstor's QEMU test VM from `tests/fixtures/drives/`) out under the
//! simulation directory and answers a fake `zpool`/`zfs` that sees its
//! disks, so `storagectl` and the web page work with no disks and no root.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Machine;
use crate::platform::Platform;
pub use crate::roots::Roots;
use crate::runner::{CommandRunner, SystemRunner};
use crate::sharing::{SharingHost, SharingPaths};
use crate::upgrade::Upgrader;

/// The appliance's persisted state: credentials, TLS material, desired state.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/storaged";
/// Runtime files: the API socket, the setup token.
pub const DEFAULT_RUNTIME_DIR: &str = "/run/storaged";
/// The API socket's file name inside the runtime directory.
pub const SOCKET_NAME: &str = "api.sock";
/// Where `storagectl` looks for the socket when not told.
pub const DEFAULT_SOCKET: &str = "/run/storaged/api.sock";
/// The HTTPS listener of an appliance: every address, port 443.
pub const DEFAULT_HTTPS: &str = "[::]:443";
/// How long a login lasts.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// The machine `--sim` simulates unless told otherwise: the QEMU test VM's
/// drive fixture (four NVMe, one SATA disk, the USB boot stick), found at
/// run time below an ancestor of the executable or of the working
/// directory (see [`default_sim_machine`]).
pub const SIM_MACHINE_FIXTURE: &str = "tests/fixtures/drives/qemu-test-vm";

/// Command-line flags of `storaged`; each has an environment variable too.
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "storaged",
    version,
    about = "The ironstor appliance service: drives, pool, volumes, sharing, upgrades."
)]
pub struct Args {
    /// Run with no disks and no root: empty fixture roots under --sim-dir,
    /// no HTTPS unless --https is given, no system programs.
    #[arg(long, env = "STORAGED_SIM")]
    pub sim: bool,
    /// Where --sim keeps its fixture roots [default: $TMPDIR/storaged-sim-UID].
    #[arg(long, env = "STORAGED_SIM_DIR", value_name = "DIR")]
    pub sim_dir: Option<PathBuf>,
    /// The machine --sim simulates: a drive fixture tree with `sys/`,
    /// `run/udev/data/` and `proc/`, as under tests/fixtures/drives/
    /// [default: tests/fixtures/drives/qemu-test-vm in the first ancestor
    /// of the executable, or else of the working directory, that has it].
    #[arg(long, env = "STORAGED_SIM_MACHINE", value_name = "DIR")]
    pub sim_machine: Option<PathBuf>,
    /// The root file system: os-release, the kernel command line and
    /// programs are looked up under it [default: /].
    #[arg(long, env = "STORAGED_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Persisted state: credentials, TLS material, desired state
    /// [default: /var/lib/storaged].
    #[arg(long, env = "STORAGED_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Runtime files: the API socket and the setup token [default: /run/storaged].
    #[arg(long, env = "STORAGED_RUNTIME_DIR", value_name = "DIR")]
    pub runtime_dir: Option<PathBuf>,
    /// The API's unix socket, root only [default: RUNTIME_DIR/api.sock].
    #[arg(long, env = "STORAGED_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// sysfs [default: /sys].
    #[arg(long, env = "STORAGED_SYSFS_ROOT", value_name = "DIR")]
    pub sysfs_root: Option<PathBuf>,
    /// configfs, where LIO lives [default: /sys/kernel/config].
    #[arg(long, env = "STORAGED_CONFIGFS_ROOT", value_name = "DIR")]
    pub configfs_root: Option<PathBuf>,
    /// Device nodes and their /dev/disk/by-id links [default: /dev].
    #[arg(long, env = "STORAGED_DEV_ROOT", value_name = "DIR")]
    pub dev_root: Option<PathBuf>,
    /// TLS certificate and key, created at first start [default: STATE_DIR/tls].
    #[arg(long, env = "STORAGED_TLS_DIR", value_name = "DIR")]
    pub tls_dir: Option<PathBuf>,
    /// Serve HTTPS on this address [default: port 443 on every address; none with --sim].
    #[arg(long, env = "STORAGED_HTTPS", value_name = "ADDR")]
    pub https: Option<SocketAddr>,
    /// Serve no HTTPS at all, only the unix socket.
    #[arg(long, env = "STORAGED_NO_HTTPS", conflicts_with = "https")]
    pub no_https: bool,
    /// How long a login session lasts, in seconds [default: 28800].
    #[arg(long, env = "STORAGED_SESSION_TTL", value_name = "SECONDS")]
    pub session_ttl: Option<u64>,
}

/// Where the HTTPS listener goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpsListen {
    /// Not served.
    Off,
    /// The appliance default, `[::]:443`; falls back to `0.0.0.0:443` on a
    /// kernel without IPv6.
    Default,
    /// Exactly this address (port 0 picks one: tests).
    At(SocketAddr),
}

/// The resolved configuration: every path known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub sim: bool,
    /// `--sim` only: the directory the fixture roots live under; nothing
    /// outside it is ever written by the simulation.
    pub sim_dir: Option<PathBuf>,
    /// `--sim` only: the fixture machine laid out under `sim_dir`.
    pub sim_machine: Option<PathBuf>,
    pub roots: Roots,
    pub state_dir: PathBuf,
    pub runtime_dir: PathBuf,
    pub socket: PathBuf,
    pub tls_dir: PathBuf,
    pub https: HttpsListen,
    pub session_ttl: Duration,
}

impl Args {
    /// Fills in the defaults: the appliance's, or under `--sim` the fixture
    /// roots of the simulation directory.
    pub fn resolve(self) -> Config {
        let sim_dir = self
            .sim
            .then(|| self.sim_dir.clone().unwrap_or_else(default_sim_dir));
        let default = |appliance: &str, sim: &str| match &sim_dir {
            Some(dir) => dir.join(sim),
            None => PathBuf::from(appliance),
        };
        let roots = Roots {
            root: self.root.unwrap_or_else(|| default("/", "root")),
            sysfs: self.sysfs_root.unwrap_or_else(|| default("/sys", "sys")),
            configfs: self
                .configfs_root
                .unwrap_or_else(|| default("/sys/kernel/config", "sys/kernel/config")),
            dev: self.dev_root.unwrap_or_else(|| default("/dev", "dev")),
        };
        let state_dir = self
            .state_dir
            .unwrap_or_else(|| default(DEFAULT_STATE_DIR, "state"));
        let runtime_dir = self
            .runtime_dir
            .unwrap_or_else(|| default(DEFAULT_RUNTIME_DIR, "run"));
        let socket = self.socket.unwrap_or_else(|| runtime_dir.join(SOCKET_NAME));
        let tls_dir = self.tls_dir.unwrap_or_else(|| state_dir.join("tls"));
        let https = match (self.no_https, self.https, self.sim) {
            (true, _, _) => HttpsListen::Off,
            (false, Some(addr), _) => HttpsListen::At(addr),
            (false, None, true) => HttpsListen::Off,
            (false, None, false) => HttpsListen::Default,
        };
        let sim_machine = self
            .sim
            .then(|| self.sim_machine.clone().unwrap_or_else(default_sim_machine));
        Config {
            sim: self.sim,
            sim_dir,
            sim_machine,
            roots,
            state_dir,
            runtime_dir,
            socket,
            tls_dir,
            https,
            session_ttl: self
                .session_ttl
                .map_or(DEFAULT_SESSION_TTL, Duration::from_secs),
        }
    }
}

impl Config {
    /// A `--sim` configuration with everything under `dir` and no HTTPS:
    /// what tests start.
    pub fn sim_in(dir: &Path) -> Config {
        Args {
            sim: true,
            sim_dir: Some(dir.to_path_buf()),
            ..Args::default()
        }
        .resolve()
    }

    /// The directories storaged creates at start when they are missing.
    pub fn directories(&self) -> Vec<&Path> {
        let mut dirs = vec![
            self.state_dir.as_path(),
            self.runtime_dir.as_path(),
            self.tls_dir.as_path(),
        ];
        if let Some(parent) = self.socket.parent() {
            dirs.push(parent);
        }
        dirs
    }

    /// The fixture roots `--sim` creates so that readers find empty trees.
    pub fn sim_roots(&self) -> Vec<&Path> {
        if !self.sim {
            return Vec::new();
        }
        vec![
            self.roots.root.as_path(),
            self.roots.sysfs.as_path(),
            self.roots.configfs.as_path(),
            self.roots.dev.as_path(),
        ]
    }
}

impl Config {
    /// The machine this configuration runs on: the real one, or under
    /// `--sim` the fixture machine laid out by [`Config::prepare_sim`] with
    /// its fake `zpool`/`zfs`. The one place that chooses.
    pub fn machine(&self, platform: Platform) -> Result<Machine, SimError> {
        let runner: Arc<dyn CommandRunner> = if self.sim {
            Arc::new(self.prepare_sim()?)
        } else {
            Arc::new(SystemRunner::new(&self.roots.root))
        };
        Ok(self.machine_with_runner(runner, platform))
    }

    /// As [`Config::machine`], running commands through `runner` (tests
    /// keep a handle on their fake to look at what it ran).
    pub fn machine_with_runner(
        &self,
        runner: Arc<dyn CommandRunner>,
        platform: Platform,
    ) -> Machine {
        let paths =
            SharingPaths::for_machine(&self.roots, &self.runtime_dir, &self.state_dir, self.sim);
        let sharing = if self.sim {
            SharingHost::simulated(paths)
        } else {
            SharingHost::real(paths, &self.roots.configfs, Arc::clone(&runner))
        };
        let upgrade =
            Upgrader::for_machine(&self.roots, &self.runtime_dir, &self.state_dir, &platform);
        Machine {
            sim: self.sim,
            runner,
            roots: self.roots.clone(),
            state_dir: self.state_dir.clone(),
            runtime_dir: self.runtime_dir.clone(),
            platform,
            sharing,
            upgrade,
        }
    }
}

/// `$TMPDIR/storaged-sim-<uid>`: per user, so developers do not collide.
fn default_sim_dir() -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
    std::env::temp_dir().join(format!("storaged-sim-{uid}"))
}

mod sim;

pub use sim::{default_sim_machine, SimError};

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::drives;
    use crate::state::StateStore;
    use crate::zfs;
    use clap::Parser;

    fn parse(args: &[&str]) -> Config {
        Args::try_parse_from(std::iter::once("storaged").chain(args.iter().copied()))
            .unwrap()
            .resolve()
    }

    #[test]
    fn appliance_defaults() {
        let c = parse(&[]);
        assert!(!c.sim);
        assert_eq!(c.state_dir, Path::new("/var/lib/storaged"));
        assert_eq!(c.runtime_dir, Path::new("/run/storaged"));
        assert_eq!(c.socket, Path::new(DEFAULT_SOCKET));
        assert_eq!(c.tls_dir, Path::new("/var/lib/storaged/tls"));
        assert_eq!(c.roots.root, Path::new("/"));
        assert_eq!(c.roots.sysfs, Path::new("/sys"));
        assert_eq!(c.roots.configfs, Path::new("/sys/kernel/config"));
        assert_eq!(c.roots.dev, Path::new("/dev"));
        assert_eq!(c.https, HttpsListen::Default);
        assert_eq!(c.session_ttl, DEFAULT_SESSION_TTL);
    }

    #[test]
    fn sim_puts_every_root_under_the_sim_dir_and_serves_no_https() {
        let c = parse(&["--sim", "--sim-dir", "/tmp/s"]);
        assert_eq!(c.state_dir, Path::new("/tmp/s/state"));
        assert_eq!(c.socket, Path::new("/tmp/s/run/api.sock"));
        assert_eq!(c.roots.sysfs, Path::new("/tmp/s/sys"));
        assert_eq!(c.roots.configfs, Path::new("/tmp/s/sys/kernel/config"));
        assert_eq!(c.roots.dev, Path::new("/tmp/s/dev"));
        assert_eq!(c.roots.root, Path::new("/tmp/s/root"));
        assert_eq!(c.https, HttpsListen::Off);
        assert_eq!(c, Config::sim_in(Path::new("/tmp/s")));
    }

    #[test]
    fn sim_lays_out_the_fixture_machine_once_and_fakes_zfs_over_its_disks() {
        use crate::runner::{CommandLine, CommandRunner, Program};
        let dir = tempfile::tempdir().unwrap();
        let config = Config::sim_in(dir.path());
        // Found at run time, from where the test runs: no build-tree path
        // compiled in.
        let machine = config.sim_machine.clone().unwrap();
        assert!(machine.ends_with(SIM_MACHINE_FIXTURE), "{machine:?}");
        assert!(machine.join("sys/block").is_dir(), "{machine:?}");
        let fake = config.prepare_sim().unwrap();
        let sda = config.roots.dev.join("sda");
        assert_eq!(fs::metadata(&sda).unwrap().len(), 1 << 30);
        assert!(config.roots.sysfs.join("class/block/nvme0n1").exists());
        assert!(config.roots.root.join("run/udev/data/b259:0").is_file());
        let inventory = drives::scan(&config.roots.drives()).unwrap();
        assert_eq!(inventory.usable().count(), 5);
        // The fake's /dev/disk/by-id holds the same disks.
        let create = CommandLine::new(
            Program::Zpool,
            [
                "create",
                "tank",
                "/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
            ],
        );
        fake.run(&create).unwrap();
        // What is there is kept: a second start does not wipe the disks.
        fs::write(&sda, b"keep").unwrap();
        config.prepare_sim().unwrap();
        assert_eq!(fs::read(&sda).unwrap(), b"keep");
    }

    #[test]
    fn sim_makes_declared_pools_again_exported_as_after_a_power_cycle() {
        use crate::state::{DesiredState, Layout, Pool};
        let dir = tempfile::tempdir().unwrap();
        let config = Config::sim_in(dir.path());
        let state = DesiredState::default()
            .add_pool(Pool {
                name: "tank".parse().unwrap(),
                layout: Layout::Mirror,
                vdevs: vec![crate::state::PoolVdev {
                    disks: vec![
                        "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000".parse().unwrap(),
                        "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001".parse().unwrap(),
                    ],
                }],
                forced: Default::default(),
                created_unix: 0,
            })
            .unwrap()
            .add_pool(Pool {
                name: "gone".parse().unwrap(),
                layout: Layout::Stripe,
                vdevs: vec![crate::state::PoolVdev {
                    disks: vec!["nvme-NOT_IN_THIS_MACHINE".parse().unwrap()],
                }],
                forced: Default::default(),
                created_unix: 0,
            })
            .unwrap();
        StateStore::new(&config.state_dir).save(&state).unwrap();
        let fake = config.prepare_sim().unwrap();
        assert!(fake.imported_pools().is_empty());
        assert!(fake.command_lines().is_empty());
        let pool = "tank".parse().unwrap();
        let outcome = zfs::ensure_imported(&fake, &pool, false).unwrap();
        assert_eq!(outcome, zfs::ImportOutcome::Imported { forced: false });
    }

    #[test]
    fn sim_writes_only_inside_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let mut config = Config::sim_in(dir.path());
        config.roots.dev = outside.path().join("dev");
        config.prepare_sim().unwrap();
        assert!(!config.roots.dev.exists());
        config.sim_machine = Some(dir.path().join("no-such-machine"));
        let err = config.prepare_sim().unwrap_err();
        assert!(err.to_string().contains("--sim-machine"), "{err}");
        assert!(err.to_string().contains("no-such-machine"), "{err}");
    }

    #[test]
    fn flags_override_defaults() {
        let c = parse(&[
            "--sim",
            "--sim-dir",
            "/tmp/s",
            "--https",
            "127.0.0.1:0",
            "--state-dir",
            "/x/state",
            "--socket",
            "/x/sock",
            "--session-ttl",
            "60",
        ]);
        assert_eq!(c.https, HttpsListen::At("127.0.0.1:0".parse().unwrap()));
        assert_eq!(c.state_dir, Path::new("/x/state"));
        assert_eq!(c.tls_dir, Path::new("/x/state/tls"));
        assert_eq!(c.socket, Path::new("/x/sock"));
        assert_eq!(c.session_ttl, Duration::from_secs(60));
        assert_eq!(parse(&["--no-https"]).https, HttpsListen::Off);
        assert!(Args::try_parse_from(["storaged", "--no-https", "--https", "[::1]:1"]).is_err());
    }
}

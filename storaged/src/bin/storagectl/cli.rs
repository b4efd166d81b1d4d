//! The command tree. Each API group gets one subcommand with its own
//! subcommands, in its own module:
//!
//! ```text
//! storagectl [--socket PATH] [--json] [--timeout SECONDS] <command>
//! storagectl --host https://BOX[:PORT] [--token T] [--accept-new] <command>
//!   status                       version, image, boot slot, uptime
//!   setup [--token TOKEN]        set the first admin password
//!   login [--username NAME]      open an HTTPS session, print its token
//!   logout TOKEN                 end a session
//!   openapi                      print the API's OpenAPI document
//!   drives [list]                the disks, their verdicts and why
//!   drives show ID               one disk in full
//!   pool list                    declared and imported pools
//!   pool status NAME             health, capacity, scrub, vdev errors
//!   pool create NAME --layout L ID... [--vdev ID,ID...]... [--force ID]...
//!   pool import NAME [--force]   import a pool; adopt it if not declared
//!   pool importable              pools on the disks that are not imported
//!   pool replace NAME OLD NEW [--force]
//!   pool online NAME ID | pool offline NAME ID [--temporary]
//!   pool clear NAME [ID]
//!   pool export NAME             export; it stays declared
//!   pool scrub NAME
//!   pool destroy NAME --confirm NAME
//!   dataset list [--pool P]
//!   dataset create NAME [--compression C] [--sync S] [--quota SIZE]
//!   dataset resize NAME --quota SIZE|none
//!   dataset destroy NAME [--recursive]
//!   volume list [--pool P]
//!   volume create NAME --size SIZE [--volblocksize SIZE] [--sparse] [--sync S] [--compression C]
//!   volume resize NAME --size SIZE [--shrink]
//!   volume destroy NAME [--recursive]
//!   snapshot list [--dataset D | --pool P]
//!   snapshot create DATASET@NAME
//!   snapshot rollback DATASET@NAME [--destroy-newer]
//!   snapshot destroy DATASET@NAME
//!   iscsi list | show IQN | delete IQN | sessions
//!   iscsi create IQN --portal IP:PORT... [--lun N=ZVOL]... (--initiator IQN... | --allow-all) [--chap-user U]
//!   iscsi apply FILE.json        declare or replace a target as the API takes it
//!   iscsi discovery-chap (--user U | --clear)
//!   nfs list | clients | delete DATASET
//!   nfs add DATASET --client C... [--rw] [--squash S] [--async] [--insecure]
//!   smb share list | share add NAME DATASET [--user U]... [--read-only] | share delete NAME
//!   smb user list | user add NAME | user passwd NAME | user delete NAME
//!   smb sessions
//!   preset list | vmware-iscsi VOLUME --size SIZE [--target IQN [--lun N]]
//!   preset smb-video DATASET [--share NAME [--user U]...]
//!   preset pi-nfs-root DATASET --client IP [--async] [--insecure] [--server IP]
//!   ssh status | enable | disable | key add FILE | key remove N
//!   upgrade status               both slots, progress, the last outcome
//!   upgrade install PATH [--force] [--tries N]
//!   upgrade rollback | reboot
//!   upgrade await-blessed [--within S]
//! ```
//!
//! SIZE is bytes, or a number with K, M, G, T or P (powers of 1024): `256M`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use storaged::config::DEFAULT_SOCKET;

#[derive(Debug, Parser)]
#[command(
    name = "storagectl",
    version,
    about = "Control an ironstor appliance through storaged's API: as root on the appliance, or from a workstation with --host."
)]
pub struct Cli {
    /// storaged's API socket.
    #[arg(long, global = true, env = "STORAGECTL_SOCKET", value_name = "PATH", default_value = DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// Talk to an appliance over HTTPS instead of the local socket:
    /// https://HOST[:PORT]. Its certificate is pinned on first use.
    #[arg(long, global = true, env = "STORAGECTL_HOST", value_name = "URL")]
    pub host: Option<String>,
    /// The API token sent with --host (a named API token, or a session
    /// token from `storagectl login`).
    #[arg(
        long,
        global = true,
        env = "STORAGECTL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// On first contact with --host, pin the certificate without asking.
    #[arg(long, global = true)]
    pub accept_new: bool,
    /// The pinned certificates of --host appliances
    /// [default: $XDG_CONFIG_HOME/ironstor/known_hosts, else ~/.config/...].
    #[arg(
        long,
        global = true,
        env = "STORAGECTL_KNOWN_HOSTS",
        value_name = "PATH"
    )]
    pub known_hosts: Option<PathBuf>,
    /// Print the API's JSON answer instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// How long to wait for storaged, in seconds (pool operations can be slow).
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Version, image, boot slot and uptime.
    Status,
    /// Set the first admin password (for the web page and the HTTPS API);
    /// reads it from the terminal, or from standard input.
    Setup(SetupArgs),
    /// Open a session for the HTTPS API and print its bearer token.
    Login(LoginArgs),
    /// End a session opened with `login`.
    Logout(LogoutArgs),
    /// Change the admin password (asks for the current one over --host).
    Password,
    /// Named API tokens for scripts and remote storagectl.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the API's OpenAPI 3 document.
    Openapi,
    /// The disks, and whether a pool may use them.
    Drives(DrivesArgs),
    /// ZFS pools.
    #[command(subcommand)]
    Pool(PoolCommand),
    /// A/B upgrades: slots, install a bundle, roll back, reboot.
    #[command(subcommand)]
    Upgrade(crate::upgrade::UpgradeCommand),
    /// Filesystem datasets (for NFS and SMB).
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Zvols (for iSCSI).
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Snapshots of datasets and volumes.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// iSCSI targets, LUNs, sessions and the esxcli lines for ESXi.
    #[command(subcommand)]
    Iscsi(crate::sharing::IscsiCommand),
    /// NFS exports and connected clients.
    #[command(subcommand)]
    Nfs(crate::sharing::NfsCommand),
    /// SMB shares, users and sessions.
    #[command(subcommand)]
    Smb(crate::sharing::SmbCommand),
    /// Presets: a VMware iSCSI zvol, a video dataset for SMB, a Pi's NFS root.
    #[command(subcommand)]
    Preset(crate::preset::PresetCommand),
    /// The owner's SSH service: keys only, off by default.
    #[command(subcommand)]
    Ssh(crate::ssh::SshCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// The tokens, when they were made and last used (never their secret).
    List,
    /// Make a token; it is printed once, keep it.
    Create {
        /// 1 to 64 of A-Z a-z 0-9 . _ -
        name: String,
    },
    /// Revoke a token: it stops working at once.
    Revoke { name: String },
}

#[derive(Debug, Args)]
pub struct DrivesArgs {
    #[command(subcommand)]
    pub command: Option<DrivesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum DrivesCommand {
    /// Every disk with its verdict, and why a disk is not usable (the default).
    List,
    /// One disk in full.
    Show {
        /// Its /dev/disk/by-id name.
        id: String,
    },
}

const LAYOUTS: [&str; 5] = ["stripe", "mirror", "raidz1", "raidz2", "raidz3"];

#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Declared and imported pools, with health and capacity.
    List,
    /// A pool's health, capacity, last scrub and per-disk errors.
    Status { name: String },
    /// Create a pool from disks of the inventory (`storagectl drives`),
    /// by id, and declare it.
    ///
    /// The disks after the name make the first vdev; each `--vdev` adds
    /// another of the same layout and width. Striped mirrors of four disks:
    ///
    ///   storagectl pool create tank --layout mirror A B --vdev C,D
    ///
    /// Three RAIDZ2 vdevs of four disks each:
    ///
    ///   storagectl pool create tank --layout raidz2 A B C D --vdev E,F,G,H --vdev I,J,K,L
    #[command(verbatim_doc_comment)]
    Create {
        name: String,
        /// stripe (no redundancy), mirror, raidz1, raidz2 or raidz3: the
        /// layout of every vdev.
        #[arg(long, value_parser = LAYOUTS)]
        layout: String,
        /// The disks of the first vdev, by /dev/disk/by-id name.
        #[arg(required = true, value_name = "ID")]
        disks: Vec<String>,
        /// The disks of one more vdev, separated by commas (repeat for
        /// each vdev).
        #[arg(long = "vdev", value_name = "ID,ID...")]
        vdevs: Vec<String>,
        /// Take this disk although its verdict is not `usable`, overwriting
        /// what it holds (repeat for each; never the boot medium).
        #[arg(long = "force", value_name = "ID")]
        force: Vec<String>,
    },
    /// Pools on the machine's disks that are not imported (`zpool import`).
    Importable,
    /// Replace a member with a disk of the inventory; the resilver runs on
    /// its own (`storagectl pool status NAME` shows it).
    Replace {
        name: String,
        /// The member to replace, by id.
        old: String,
        /// The new disk, by id.
        new: String,
        /// Take NEW although its verdict is not `usable`, overwriting what
        /// it holds (never the boot medium).
        #[arg(long)]
        force: bool,
    },
    /// Bring a member disk online again.
    Online { name: String, disk: String },
    /// Take a member disk offline; the pool runs on its redundancy.
    Offline {
        name: String,
        disk: String,
        /// Only until the next import (reboot).
        #[arg(long)]
        temporary: bool,
    },
    /// Clear error counts of one member, or of the whole pool.
    Clear { name: String, disk: Option<String> },
    /// Import a pool by disk id; a pool the state does not declare (one
    /// `pool importable` lists) is adopted into it.
    Import {
        name: String,
        /// Import even if it looks in use by another system.
        #[arg(long)]
        force: bool,
    },
    /// Export a pool; it stays declared and is imported again at the next start.
    Export { name: String },
    /// Start a scrub.
    Scrub { name: String },
    /// Destroy a pool and all its data, and stop declaring it.
    Destroy {
        name: String,
        /// The pool's name again.
        #[arg(long, required = true, value_name = "NAME")]
        confirm: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Filesystem datasets on the machine.
    List {
        #[arg(long)]
        pool: Option<String>,
    },
    /// Create a dataset below a declared pool or dataset, and declare it.
    Create {
        /// pool/name.
        name: String,
        /// off, lz4 (default), zstd, zstd-N, gzip-N, ...
        #[arg(long)]
        compression: Option<String>,
        /// standard (default), always or disabled (never for VM storage).
        #[arg(long)]
        sync: Option<String>,
        /// Limit for it with its children and snapshots.
        #[arg(long, value_name = "SIZE", value_parser = crate::table::parse_size)]
        quota: Option<u64>,
    },
    /// Set or remove (`none`) a dataset's quota.
    Resize {
        name: String,
        #[arg(long, value_name = "SIZE|none", value_parser = parse_quota)]
        quota: Quota,
    },
    /// Destroy a dataset and stop declaring it.
    Destroy {
        name: String,
        /// Also its children and snapshots.
        #[arg(long)]
        recursive: bool,
    },
}

/// A quota to set: bytes, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota(pub Option<u64>);

fn parse_quota(s: &str) -> Result<Quota, String> {
    if s.eq_ignore_ascii_case("none") {
        Ok(Quota(None))
    } else {
        crate::table::parse_size(s).map(|n| Quota(Some(n)))
    }
}

#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Zvols on the machine.
    List {
        #[arg(long)]
        pool: Option<String>,
    },
    /// Create a zvol below a declared pool or dataset, and declare it.
    Create {
        /// pool/name.
        name: String,
        #[arg(long, value_name = "SIZE", value_parser = crate::table::parse_size)]
        size: u64,
        /// A power of two from 512 to 128K [default: 16K]; fixed once created.
        #[arg(long, value_name = "SIZE", value_parser = crate::table::parse_size)]
        volblocksize: Option<u64>,
        /// Thin: no space reserved, the pool can be over-committed.
        #[arg(long)]
        sparse: bool,
        #[arg(long)]
        sync: Option<String>,
        #[arg(long)]
        compression: Option<String>,
    },
    /// Grow (or with --shrink, shrink) a zvol.
    Resize {
        name: String,
        #[arg(long, value_name = "SIZE", value_parser = crate::table::parse_size)]
        size: u64,
        /// Allow a smaller size: the data at the end of the disk is lost.
        #[arg(long)]
        shrink: bool,
    },
    /// Destroy a zvol and stop declaring it.
    Destroy {
        name: String,
        /// Also its snapshots.
        #[arg(long)]
        recursive: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Snapshots, oldest first.
    List {
        /// Only of this dataset or volume.
        #[arg(long, conflicts_with = "pool")]
        dataset: Option<String>,
        /// Only in this pool.
        #[arg(long)]
        pool: Option<String>,
    },
    /// Take a snapshot: dataset@name.
    Create { name: String },
    /// Roll a dataset or volume back to a snapshot; later writes are lost.
    Rollback {
        name: String,
        /// Destroy the snapshots newer than this one.
        #[arg(long)]
        destroy_newer: bool,
    },
    /// Destroy a snapshot.
    Destroy { name: String },
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The one-time setup token from the console; not needed as root here.
    #[arg(long)]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[arg(long, default_value = storaged::auth::ADMIN_USER)]
    pub username: String,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The session token `login` printed.
    pub token: String,
}

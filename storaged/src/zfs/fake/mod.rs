//! A stateful fake of OpenZFS 2.3's `zpool` and `zfs`, for tests and
//! `storaged --sim`.
//!
//! It keeps pools, filesystems, zvols and snapshots in memory and answers
//! the commands the `zfs` module issues the way the real tools do: the
//! same output formats (`-H -p` tab-separated rows, `zpool status -j
//! --json-int`), the same refusals with the same stderr wording and exit
//! status. It records every command line it receives, so tests can assert
//! on plans as well as on outcomes.
//!
//! Supported (anything else fails with a message naming the fake):
//! - `zpool create [-f] [-o p=v]… [-O p=v]… [-m mp] <pool> <vdevs>` with
//!   disks, `mirror`, `raidz[1-3]` groups of `/dev/disk/by-id/<id>` paths;
//! - `zpool import [-d dir]… [-N] [-o p=v]… [-f] <pool>`, `zpool
//!   export`, `zpool destroy`, `zpool scrub [-s]`;
//! - `zpool import [-d dir]…` without a pool (the listing of importable
//!   pools), `zpool replace [-f] <pool> <old> <new>` (resilvered at once),
//!   `zpool online`, `zpool offline [-t]`, `zpool clear <pool> [dev]`;
//! - `zpool list [-H] [-p] [-o cols] [pool]…`, `zpool get`, `zpool status
//!   -j [--json-int] [pool]…`;
//! - `zfs create [-p] [-s] [-V size] [-b size] [-o p=v]… <name>`, `zfs list
//!   [-H] [-p] [-r|-d n] [-t types] [-o cols] [-s|-S col] [name]…`, `zfs
//!   get`, `zfs set`, `zfs destroy [-r]`, `zfs snapshot [-r]`, `zfs
//!   rollback [-r]`, `zfs mount [-a|-R fs|fs]`.
//!
//! Numbers are always exact, as with `-p`. Space accounting follows ZFS's
//! rules (parity, 1/32 slop, reservations, quotas) only approximately.

mod model;
mod namecheck;
mod zfs_cmd;
mod zfs_list;
mod zfs_props;
mod zpool_cmd;
mod zpool_maint;
mod zpool_status;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use super::props::Layout;
use crate::runner::{CommandError, CommandLine, CommandRunner, Output, Program};
use model::{Leaf, Pool};

/// A fake `zpool`/`zfs`. Cheap to build; one per test.
#[derive(Debug, Default)]
pub struct FakeZfs {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Disks present under `/dev/disk/by-id`: id → bytes.
    disks: BTreeMap<String, u64>,
    /// Disks that carry a GPT whose first partition holds a filesystem:
    /// id → its type (`zpool create` refuses them without `-f`).
    partition_tables: BTreeMap<String, String>,
    /// Imported and exported pools.
    pools: Vec<Pool>,
    log: Vec<CommandLine>,
    failures: Vec<Injected>,
    clock: u64,
    guid_seed: u64,
    long_scrubs: bool,
}

#[derive(Debug)]
struct Injected {
    program: Program,
    prefix: Vec<String>,
    stderr: String,
}

/// A failed fake command: its stderr and exit code.
#[derive(Debug)]
struct Fail {
    stderr: String,
    code: i32,
}

/// A failure as `zpool`/`zfs` report one: exit 1, the message on stderr.
fn fail(message: impl Into<String>) -> Fail {
    let mut stderr = message.into();
    if !stderr.ends_with('\n') {
        stderr.push('\n');
    }
    Fail { stderr, code: 1 }
}

/// A usage error: exit 2.
fn usage(message: impl Into<String>) -> Fail {
    Fail {
        code: 2,
        ..fail(message)
    }
}

type Reply = Result<String, Fail>;

impl State {
    /// The fake clock: seconds since the epoch, one tick per event.
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        1_750_000_000 + self.clock
    }

    fn guid(&mut self) -> u64 {
        self.guid_seed = self
            .guid_seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.guid_seed >> 1
    }

    fn imported(&self, pool: &str) -> Option<usize> {
        self.pools.iter().position(|p| p.imported && p.name == pool)
    }

    /// The imported pool that holds `name` (a pool, dataset or snapshot),
    /// if `name` exists.
    fn holder(&self, name: &str) -> Option<usize> {
        let pool = name.split(['/', '@']).next().unwrap_or(name);
        self.imported(pool)
            .filter(|&i| self.pools[i].datasets.contains_key(name))
    }
}

/// A parsed command line: flags, options with values, long options,
/// operands (options and operands may mix, as with GNU getopt).
struct Opts {
    flags: BTreeSet<char>,
    values: Vec<(char, String)>,
    long: BTreeSet<String>,
    operands: Vec<String>,
}

impl Opts {
    fn has(&self, c: char) -> bool {
        self.flags.contains(&c)
    }
    fn value(&self, c: char) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| v.as_str())
    }
    fn all(&self, c: char) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .filter(move |(k, _)| *k == c)
            .map(|(_, v)| v.as_str())
    }
}

fn getopt(args: &[String], flags: &str, valued: &str, long: &[&str]) -> Result<Opts, Fail> {
    let mut o = Opts {
        flags: BTreeSet::new(),
        values: Vec::new(),
        long: BTreeSet::new(),
        operands: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--" {
            o.operands.extend(it.by_ref().cloned());
        } else if let Some(name) = arg.strip_prefix("--") {
            if !long.contains(&name) {
                return Err(usage(format!("unrecognized option '{arg}'")));
            }
            o.long.insert(name.to_string());
        } else if arg.len() > 1 && arg.starts_with('-') {
            let chars: Vec<char> = arg[1..].chars().collect();
            for (i, &c) in chars.iter().enumerate() {
                if flags.contains(c) {
                    o.flags.insert(c);
                } else if valued.contains(c) {
                    let rest: String = chars[i + 1..].iter().collect();
                    let value = if rest.is_empty() {
                        it.next()
                            .cloned()
                            .ok_or_else(|| usage(format!("missing argument for '{c}' option")))?
                    } else {
                        rest
                    };
                    o.values.push((c, value));
                    break;
                } else {
                    return Err(usage(format!("invalid option '{c}'")));
                }
            }
        } else {
            o.operands.push(arg.clone());
        }
    }
    Ok(o)
}

/// A size as `zfs` accepts it: bytes, or with a K/M/G/T/P suffix.
fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim_end_matches(['B', 'b']);
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                'P' => 50,
                _ => return None,
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Bytes as `zfs_nicebytes` prints a power of two: `512B`, `16K`, `1M`.
fn nicebytes(n: u64) -> String {
    for (shift, unit) in [(40, 'T'), (30, 'G'), (20, 'M'), (10, 'K')] {
        if n >= 1 << shift && n.trailing_zeros() >= shift {
            return format!("{}{unit}", n >> shift);
        }
    }
    format!("{n}B")
}

impl FakeZfs {
    /// No disks, no pools.
    pub fn new() -> Self {
        Self::default()
    }

    /// With these disks under `/dev/disk/by-id`, each `size` bytes.
    pub fn with_disks<I, S>(ids: I, size: u64) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let fake = Self::new();
        for id in ids {
            fake.add_disk(id.as_ref(), size);
        }
        fake
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Plugs in a disk: `/dev/disk/by-id/<id>` of `size` bytes.
    pub fn add_disk(&self, id: &str, size: u64) {
        self.lock().disks.insert(id.to_string(), size);
    }

    /// Plugs in a disk that carries a partition table, its first
    /// partition holding a filesystem of type `fstype` (say `ntfs` or
    /// `ext4`): `zpool create` refuses it without `-f`, in OpenZFS's words
    /// (`/dev/disk/by-id/<id>-part1 contains a filesystem of type
    /// 'ntfs'`), and with `-f` overwrites it.
    pub fn add_disk_with_partition_table(&self, id: &str, size: u64, fstype: &str) {
        let mut st = self.lock();
        st.disks.insert(id.to_string(), size);
        st.partition_tables
            .insert(id.to_string(), fstype.to_string());
    }

    /// Whether a disk still carries the partition table it was added with.
    pub fn has_partition_table(&self, id: &str) -> bool {
        self.lock().partition_tables.contains_key(id)
    }

    /// The `cachefile` property of an imported pool as `zpool get` shows
    /// it: `none`, a path, or `-` for the default `/etc/zfs/zpool.cache`.
    pub fn cachefile(&self, pool: &str) -> Option<String> {
        let st = self.lock();
        st.imported(pool)
            .map(|i| st.pools[i].cachefile.clone().unwrap_or_else(|| "-".into()))
    }

    /// Every command received, in order.
    pub fn commands(&self) -> Vec<CommandLine> {
        self.lock().log.clone()
    }

    /// Every command received, as shell-quoted strings.
    pub fn command_lines(&self) -> Vec<String> {
        self.lock().log.iter().map(ToString::to_string).collect()
    }

    pub fn clear_commands(&self) {
        self.lock().log.clear();
    }

    /// Makes the next command of `program` whose arguments start with
    /// `args_prefix` fail with `stderr` (exit 1) without touching state.
    pub fn fail_next(&self, program: Program, args_prefix: &[&str], stderr: &str) {
        self.lock().failures.push(Injected {
            program,
            prefix: args_prefix.iter().map(|s| s.to_string()).collect(),
            stderr: stderr.to_string(),
        });
    }

    /// A power cycle: no pool stays imported (the appliance keeps no
    /// cachefile) and nothing stays mounted.
    pub fn simulate_reboot(&self) {
        let mut st = self.lock();
        for pool in &mut st.pools {
            pool.imported = false;
            pool.scan = pool.scan.take().map(|mut s| {
                s.running = false;
                s
            });
            for d in pool.datasets.values_mut() {
                d.mounted = false;
            }
        }
    }

    /// Puts an exported pool on these (already added) disks that another
    /// system used last, so `zpool import` refuses it without `-f`.
    pub fn add_foreign_pool(&self, name: &str, layout: Layout, disks: &[&str], host: &str) {
        let mut st = self.lock();
        let vdevs = layout_vdevs(layout, disks, &st.disks);
        let mut pool = zpool_cmd::new_pool(&mut st, name, vdevs);
        pool.imported = false;
        pool.foreign_host = Some(host.to_string());
        st.pools.push(pool);
    }

    /// Sets a disk's state in `zpool status`: `ONLINE`, `DEGRADED`,
    /// `FAULTED`, `OFFLINE`, `REMOVED` or `UNAVAIL`.
    pub fn set_disk_state(&self, disk: &str, state: &str) {
        self.with_leaf(disk, |l| l.state = state.to_string());
    }

    /// Sets a disk's read, write and checksum error counters.
    pub fn set_disk_errors(&self, disk: &str, read: u64, write: u64, checksum: u64) {
        self.with_leaf(disk, |l| {
            l.read = read;
            l.write = write;
            l.checksum = checksum;
        });
    }

    fn with_leaf(&self, disk: &str, f: impl FnOnce(&mut Leaf)) {
        let mut st = self.lock();
        let pool = st
            .pools
            .iter_mut()
            .find(|p| p.vdevs.iter().any(|v| v.disks.iter().any(|d| d.0 == disk)))
            .unwrap_or_else(|| panic!("FakeZfs: disk {disk} is in no pool"));
        f(pool.leaves.entry(disk.to_string()).or_default());
    }

    /// Simulates `bytes` of data written into a filesystem or zvol.
    pub fn write(&self, dataset: &str, bytes: u64) {
        let mut st = self.lock();
        let i = st
            .holder(dataset)
            .unwrap_or_else(|| panic!("FakeZfs: no dataset {dataset}"));
        let d = st.pools[i]
            .datasets
            .get_mut(dataset)
            .expect("holder found it");
        d.written += bytes;
    }

    /// When set, scrubs keep running until cancelled (to test refusals).
    pub fn set_long_scrubs(&self, on: bool) {
        self.lock().long_scrubs = on;
    }

    /// Whether a filesystem of an imported pool is mounted.
    pub fn is_mounted(&self, dataset: &str) -> bool {
        let st = self.lock();
        st.holder(dataset)
            .is_some_and(|i| st.pools[i].datasets[dataset].mounted)
    }

    /// Whether a dataset, zvol or snapshot exists in an imported pool.
    pub fn exists(&self, name: &str) -> bool {
        self.lock().holder(name).is_some()
    }

    /// Names of the imported pools.
    pub fn imported_pools(&self) -> Vec<String> {
        let st = self.lock();
        st.pools
            .iter()
            .filter(|p| p.imported)
            .map(|p| p.name.clone())
            .collect()
    }
}

/// The vdevs a layout makes of some disks (for test set-up).
fn layout_vdevs(layout: Layout, disks: &[&str], known: &BTreeMap<String, u64>) -> Vec<model::Vdev> {
    let sized: Vec<(String, u64)> = disks
        .iter()
        .map(|d| {
            let size = *known
                .get(*d)
                .unwrap_or_else(|| panic!("FakeZfs: add disk {d} first"));
            (d.to_string(), size)
        })
        .collect();
    let group = |kind| {
        vec![model::Vdev {
            kind,
            disks: sized.clone(),
            guid: 0,
        }]
    };
    match layout {
        Layout::Stripe => sized
            .iter()
            .map(|d| model::Vdev {
                kind: model::VdevKind::Disk,
                disks: vec![d.clone()],
                guid: 0,
            })
            .collect(),
        Layout::Mirror => group(model::VdevKind::Mirror),
        Layout::Raidz1 => group(model::VdevKind::Raidz(1)),
        Layout::Raidz2 => group(model::VdevKind::Raidz(2)),
        Layout::Raidz3 => group(model::VdevKind::Raidz(3)),
    }
}

impl CommandRunner for FakeZfs {
    fn run(&self, command: &CommandLine) -> Result<Output, CommandError> {
        let mut st = self.lock();
        st.log.push(command.clone());
        let injected = st
            .failures
            .iter()
            .position(|f| f.program == command.program && command.args.starts_with(&f.prefix));
        let reply = match injected {
            Some(i) => Err(fail(st.failures.remove(i).stderr)),
            None => match command.program {
                Program::Zpool => zpool_cmd::run(&mut st, &command.args),
                Program::Zfs => zfs_cmd::run(&mut st, &command.args),
                // The services `storaged --sim` reloads: nothing to do.
                Program::Exportfs | Program::Smbcontrol => Ok(String::new()),
                Program::Smbstatus => Ok("{\"sessions\": {}}\n".into()),
                other => Err(Fail {
                    stderr: format!("{}: not faked by FakeZfs\n", other.name()),
                    code: 127,
                }),
            },
        };
        match reply {
            Ok(stdout) => Ok(Output {
                stdout,
                stderr: String::new(),
            }),
            Err(f) => Err(CommandError::Failed {
                command: command.to_string(),
                status: format!("exit status: {}", f.code),
                stdout: String::new(),
                stderr: f.stderr,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print_like_zfs() {
        assert_eq!(parse_size("16384"), Some(16384));
        assert_eq!(parse_size("16K"), Some(16384));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("2TB"), Some(2 << 40));
        assert_eq!(parse_size("x"), None);
        assert_eq!(nicebytes(16384), "16K");
        assert_eq!(nicebytes(512), "512B");
        assert_eq!(nicebytes(1 << 20), "1M");
    }

    #[test]
    fn getopt_mixes_flags_values_and_operands() {
        let args: Vec<String> = ["-Hp", "-o", "name", "tank", "-r", "-d1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let o = getopt(&args, "Hpr", "od", &[]).unwrap();
        assert!(o.has('H') && o.has('p') && o.has('r'));
        assert_eq!(o.value('o'), Some("name"));
        assert_eq!(o.value('d'), Some("1"));
        assert_eq!(o.operands, ["tank"]);
        assert_eq!(getopt(&args, "H", "o", &[]).err().unwrap().code, 2);
    }

    #[test]
    fn unknown_programs_and_injected_failures() {
        let fake = FakeZfs::new();
        let err = fake
            .run(&CommandLine::new(Program::Networkctl, ["reload"]))
            .unwrap_err();
        assert!(err.stderr().contains("not faked"));
        fake.fail_next(Program::Zpool, &["list"], "boom");
        let err = fake
            .run(&CommandLine::new(Program::Zpool, ["list", "-H"]))
            .unwrap_err();
        assert_eq!(err.stderr(), "boom\n");
        assert!(fake
            .run(&CommandLine::new(Program::Zpool, ["list", "-H"]))
            .is_ok());
        assert_eq!(fake.commands().len(), 3);
    }
}

//! One sample of the machine, taken on the blocking pool: what it reads
//! every tick (CPU, memory, ARC, NICs, temperatures, iSCSI and NFS
//! sessions, all cheap file reads) and what it reads less often because
//! it runs a program or probes disks (pools and scrubs: `zpool`; SMB
//! sessions: `smbstatus`; the drive inventory).

use std::collections::BTreeMap;
use std::fs;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::engine::{self, Machine};
use crate::names::PoolName;
use crate::zfs;

use super::net::{self, NicReading};
use super::procfs::{self, ArcCounters, CpuTicks};
use super::sample::{Drive, Pool, Sample, Scrub, Sessions};
use super::temps;

/// Ticks between two reads of pools and SMB sessions.
pub const POOLS_EVERY: u64 = 5;
/// Ticks between two drive inventories.
pub const DRIVES_EVERY: u64 = 15;

/// The counters of the sample before, for rates, and the slow parts last
/// read.
#[derive(Default)]
pub struct Sampler {
    tick: u64,
    before: Option<Counters>,
    drives: Vec<(Drive, Option<String>)>,
    pools: Vec<Pool>,
    smb: Option<u64>,
    slow_problems: Vec<String>,
    drive_problems: Vec<String>,
}

struct Counters {
    at: Instant,
    cpu: Option<CpuTicks>,
    arc: Option<ArcCounters>,
    nics: BTreeMap<String, NicReading>,
}

impl Sampler {
    pub fn sample(&mut self, machine: &Machine) -> Sample {
        let now = Instant::now();
        let mut problems = Vec::new();
        let root = &machine.roots.root;
        let read = |relative: &str| fs::read_to_string(root.join(relative)).ok();

        let cpu = read("proc/stat").and_then(|t| procfs::parse_stat(&t));
        if cpu.is_none() {
            problems.push("cannot read /proc/stat".to_string());
        }
        let memory = read("proc/meminfo").and_then(|t| procfs::parse_meminfo(&t));
        if memory.is_none() {
            problems.push("cannot read /proc/meminfo".to_string());
        }
        // No kstats: no ZFS module (or the fixture); not a problem to show.
        let arc = read("proc/spl/kstat/zfs/arcstats").and_then(|t| procfs::parse_arcstats(&t));
        let nics = net::read_nics(&machine.roots.sysfs);

        if self.tick.is_multiple_of(DRIVES_EVERY) {
            self.read_drives(machine);
        }
        if self.tick.is_multiple_of(POOLS_EVERY) {
            self.read_pools_and_smb(machine);
        }
        self.tick += 1;
        problems.extend(self.drive_problems.iter().cloned());
        problems.extend(self.slow_problems.iter().cloned());
        let before = self.before.take();
        let before = before.as_ref();
        let seconds = before.map(|b| now.duration_since(b.at).as_secs_f64());
        let interval_ms = seconds.map(|s| (s * 1000.0).round() as u64);

        let drives = self
            .drives
            .iter()
            .map(|(drive, controller)| Drive {
                temperature_celsius: temps::temperature(
                    &machine.roots.sysfs,
                    &drive.kernel_name,
                    controller.as_deref(),
                ),
                ..drive.clone()
            })
            .collect();

        let sample = Sample {
            at_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            interval_ms,
            cpu: match cpu {
                Some(c) => procfs::cpu(c, before.and_then(|b| b.cpu)),
                None => procfs::cpu(CpuTicks::default(), None),
            },
            memory,
            arc: arc.map(|a| procfs::arc(a, before.and_then(|b| b.arc))),
            nics: net::nics(&nics, before.map(|b| &b.nics), seconds),
            drives,
            pools: self.pools.clone(),
            sessions: Sessions {
                iscsi: engine::sharing::iscsi_sessions(machine).len() as u64,
                nfs: engine::sharing::nfs_clients(machine).len() as u64,
                smb: self.smb,
            },
            problems,
        };
        self.before = Some(Counters {
            at: now,
            cpu,
            arc,
            nics,
        });
        sample
    }

    fn read_drives(&mut self, machine: &Machine) {
        self.drive_problems.clear();
        match engine::drives::inventory(machine) {
            Ok(inventory) => {
                self.drives = inventory
                    .disks
                    .into_iter()
                    .map(|d| {
                        let controller = d.nvme.as_ref().map(|n| n.controller.clone());
                        let drive = Drive {
                            kernel_name: d.kernel_name,
                            id: d.id.map(|id| id.to_string()),
                            model: d.model,
                            serial: d.serial,
                            size_bytes: d.size_bytes,
                            temperature_celsius: None,
                            verdict: d.verdict.to_string(),
                            reasons: d.reasons,
                            warnings: d.warnings,
                        };
                        (drive, controller)
                    })
                    .collect();
            }
            Err(e) => self
                .drive_problems
                .push(format!("cannot list the drives: {e}")),
        }
    }

    fn read_pools_and_smb(&mut self, machine: &Machine) {
        self.slow_problems.clear();
        let runner = machine.runner.as_ref();
        match zfs::list_pools(runner) {
            Ok(rows) => {
                self.pools = rows
                    .into_iter()
                    .map(|row| {
                        let scan = row
                            .name
                            .parse::<PoolName>()
                            .ok()
                            .and_then(|name| zfs::pool_status(runner, &name).ok())
                            .and_then(|status| status.scan);
                        Pool {
                            last_scrub: scan
                                .filter(|s| s.function == zfs::ScanFunction::Scrub)
                                .map(|s| Scrub {
                                    state: serde_json::to_value(s.state)
                                        .ok()
                                        .and_then(|v| v.as_str().map(String::from))
                                        .unwrap_or_default(),
                                    start_time: s.start_time,
                                    end_time: s.end_time,
                                    errors: s.errors,
                                }),
                            health: row.health.to_string(),
                            size_bytes: row.size,
                            allocated_bytes: row.allocated,
                            free_bytes: row.free,
                            capacity_percent: row.capacity_percent,
                            name: row.name,
                        }
                    })
                    .collect();
            }
            Err(e) => self
                .slow_problems
                .push(format!("cannot list the pools: {e}")),
        }
        self.smb = match engine::sharing::smb_sessions(machine) {
            Ok(sessions) => Some(sessions.len() as u64),
            Err(e) => {
                self.slow_problems
                    .push(format!("cannot count SMB sessions: {e}"));
                None
            }
        };
    }
}

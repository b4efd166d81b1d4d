//! What one sample holds: the typed answer of `GET /api/v1/dashboard`,
//! each event of its stream, and what later readers (the monitor, the
//! metrics) take from [`super::Collector`].

use serde::{Deserialize, Serialize};

/// The machine at one moment. Rates are over the time since the sample
/// before (`interval_ms`); they are `None` in the first sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "DashboardSample")]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Milliseconds since the sample the rates are computed against.
    pub interval_ms: Option<u64>,
    pub cpu: Cpu,
    pub memory: Option<Memory>,
    /// `None` where ZFS's kstats are missing (no module loaded).
    pub arc: Option<Arc>,
    /// Every network interface but loopback, by name.
    pub nics: Vec<Nic>,
    /// Every whole disk of the inventory.
    pub drives: Vec<Drive>,
    /// Every imported pool.
    pub pools: Vec<Pool>,
    pub sessions: Sessions,
    /// What could not be read this time, one line each: the rest of the
    /// sample is still good.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cpu {
    /// Logical CPUs `/proc/stat` lists.
    pub cores: u32,
    /// Percent of all CPUs' time not idle (nor waiting for I/O) over the
    /// interval, 0-100.
    pub busy_percent: Option<f64>,
    /// Percent of time waiting for I/O over the interval.
    pub iowait_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Memory {
    pub total_bytes: u64,
    /// What can be had without swapping (`MemAvailable`).
    pub available_bytes: u64,
    /// `total - available`: what is in use, the ARC included.
    pub used_bytes: u64,
}

/// ZFS's adaptive replacement cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ArcStats")]
pub struct Arc {
    pub size_bytes: u64,
    /// The size the ARC aims for now (`c`).
    pub target_bytes: u64,
    pub max_bytes: u64,
    /// Percent of reads served from the ARC over the interval; `None`
    /// without reads or in the first sample.
    pub hit_percent: Option<f64>,
    /// Since the module loaded.
    pub hits: u64,
    pub misses: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Nic {
    pub name: String,
    /// `up`, `down`, `unknown`... as the kernel says (`operstate`).
    pub state: String,
    /// Mbit/s; `None` without a link or for virtual interfaces.
    pub speed_mbps: Option<u64>,
    pub mtu: Option<u32>,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    /// Bytes per second received over the interval.
    pub rx_bytes_per_second: Option<f64>,
    pub tx_bytes_per_second: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "DashboardDrive")]
pub struct Drive {
    /// `nvme0n1`, `sda`.
    pub kernel_name: String,
    /// `/dev/disk/by-id` name, when udev gave one.
    pub id: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub size_bytes: u64,
    /// °C from the drive's hwmon sensor; `None` without one.
    pub temperature_celsius: Option<f64>,
    /// The inventory's verdict (`usable`, `in-use`, `duplicate-serial`...).
    pub verdict: String,
    /// Why, the verdict's own reason first.
    pub reasons: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "DashboardPool")]
pub struct Pool {
    pub name: String,
    /// `ONLINE`, `DEGRADED`...
    pub health: String,
    pub size_bytes: u64,
    pub allocated_bytes: u64,
    pub free_bytes: u64,
    pub capacity_percent: u64,
    /// The last (or running) scrub; `None` if the pool was never scrubbed.
    pub last_scrub: Option<Scrub>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scrub {
    /// `scanning`, `finished`, `canceled`.
    pub state: String,
    /// Seconds since the Unix epoch.
    pub start_time: u64,
    /// Seconds since the Unix epoch; 0 while it runs.
    pub end_time: u64,
    pub errors: u64,
}

/// Clients connected now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sessions {
    pub iscsi: u64,
    pub nfs: u64,
    /// `None` when `smbstatus` could not tell.
    pub smb: Option<u64>,
}

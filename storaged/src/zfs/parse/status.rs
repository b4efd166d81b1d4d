//! The parser of `zpool status -j --json-int` and the types it fills.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{ParseError, PoolListRow};
use crate::zfs::props::Health;

/// Read, write and checksum error counts of a vdev.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
pub struct VdevErrors {
    pub read: u64,
    pub write: u64,
    pub checksum: u64,
}

impl VdevErrors {
    pub fn total(&self) -> u64 {
        self.read + self.write + self.checksum
    }
}

/// One vdev of `zpool status`, with its children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
#[schemars(rename = "Vdev")]
pub struct VdevStatus {
    /// `mirror-0`, `raidz2-0`, or a disk's by-id name.
    pub name: String,
    /// `root`, `mirror`, `raidz`, `disk`, `file`, …
    pub vdev_type: String,
    /// `normal`, `log`, `special`, `dedup`, `l2cache`, `spare`.
    pub class: Option<String>,
    /// Leaf vdevs: the device path ZFS opens.
    pub path: Option<String>,
    pub state: Health,
    /// Why it is not online (`ERR_EXCEEDED`, `OPEN_FAILED`, …), if known.
    pub aux: Option<String>,
    pub errors: VdevErrors,
    pub children: Vec<VdevStatus>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ScanFunction {
    None,
    Scrub,
    Resilver,
    ErrorScrub,
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ScanState {
    None,
    Scanning,
    Finished,
    Canceled,
    ErrorScrubbing,
    Other,
}

/// The last or current scrub or resilver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
#[schemars(rename = "Scan")]
pub struct ScanStatus {
    pub function: ScanFunction,
    pub state: ScanState,
    /// Seconds since the Unix epoch.
    pub start_time: u64,
    pub end_time: u64,
    pub to_examine: u64,
    pub examined: u64,
    pub issued: u64,
    pub processed: u64,
    pub errors: u64,
}

/// What `zpool status` says about one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    pub name: String,
    pub health: Health,
    /// The "status:" paragraph, when the pool has something to say.
    pub status: Option<String>,
    /// The "action:" paragraph.
    pub action: Option<String>,
    /// Data errors (files with permanent errors).
    pub error_count: u64,
    pub scan: Option<ScanStatus>,
    /// Totals on the root vdev.
    pub errors: VdevErrors,
    /// Top-level vdevs of every class, in pool order.
    pub vdevs: Vec<VdevStatus>,
}

/// A pool's capacity, health and vdev tree: `zpool list` and `zpool status`
/// together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolStatus {
    pub name: String,
    pub health: Health,
    pub size: u64,
    pub allocated: u64,
    pub free: u64,
    pub capacity_percent: u64,
    pub fragmentation_percent: Option<u64>,
    pub status: Option<String>,
    pub action: Option<String>,
    pub error_count: u64,
    pub scan: Option<ScanStatus>,
    pub errors: VdevErrors,
    pub vdevs: Vec<VdevStatus>,
}

impl PoolStatus {
    pub fn from_parts(list: PoolListRow, report: StatusReport) -> Self {
        PoolStatus {
            name: list.name,
            health: list.health,
            size: list.size,
            allocated: list.allocated,
            free: list.free,
            capacity_percent: list.capacity_percent,
            fragmentation_percent: list.fragmentation_percent,
            status: report.status,
            action: report.action,
            error_count: report.error_count,
            scan: report.scan,
            errors: report.errors,
            vdevs: report.vdevs,
        }
    }
}

/// Parses `zpool status -j --json-int <pool>` (OpenZFS 2.3; one line of
/// JSON) into the report for `pool`. Numbers may also be numeric strings
/// (`-j` with `-p` but without `--json-int`).
pub fn parse_pool_status_json(stdout: &str, pool: &str) -> Result<StatusReport, ParseError> {
    let raw: RawStatus = serde_json::from_str(stdout).map_err(ParseError::Json)?;
    let p = raw
        .pools
        .0
        .into_iter()
        .find(|(name, _)| name == pool)
        .map(|(_, p)| p)
        .ok_or_else(|| ParseError::MissingPool(pool.to_string()))?;
    let (root_errors, mut vdevs) = match p.vdevs.0.into_iter().next() {
        Some((_, root)) => {
            let root = root.into_status();
            (root.errors, root.children)
        }
        None => (VdevErrors::default(), Vec::new()),
    };
    for class in [p.dedup, p.special, p.logs, p.l2cache, p.spares]
        .into_iter()
        .flatten()
    {
        vdevs.extend(class.0.into_iter().map(|(_, v)| v.into_status()));
    }
    Ok(StatusReport {
        name: p.name,
        health: p.state.parse().unwrap_or_else(|e| match e {}),
        status: p.status.as_deref().map(one_line),
        action: p.action.as_deref().map(one_line),
        error_count: p.error_count.map_or(0, |n| n.0),
        scan: p.scan_stats.map(RawScan::into_status),
        errors: root_errors,
        vdevs,
    })
}

/// `zpool` wraps its paragraphs with "\n\t" for a terminal; the API wants
/// one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// The shapes `zpool status -j` prints; unknown keys are ignored.

#[derive(Deserialize)]
struct RawStatus {
    pools: Ordered<RawPool>,
}

#[derive(Deserialize)]
struct RawPool {
    name: String,
    state: String,
    status: Option<String>,
    action: Option<String>,
    error_count: Option<Num>,
    scan_stats: Option<RawScan>,
    vdevs: Ordered<RawVdev>,
    dedup: Option<Ordered<RawVdev>>,
    special: Option<Ordered<RawVdev>>,
    logs: Option<Ordered<RawVdev>>,
    l2cache: Option<Ordered<RawVdev>>,
    spares: Option<Ordered<RawVdev>>,
}

#[derive(Deserialize)]
struct RawVdev {
    name: String,
    vdev_type: Option<String>,
    class: Option<String>,
    path: Option<String>,
    state: Option<String>,
    aux: Option<String>,
    #[serde(default)]
    read_errors: Num,
    #[serde(default)]
    write_errors: Num,
    #[serde(default)]
    checksum_errors: Num,
    vdevs: Option<Ordered<RawVdev>>,
}

impl RawVdev {
    fn into_status(self) -> VdevStatus {
        VdevStatus {
            name: self.name,
            vdev_type: self.vdev_type.unwrap_or_default(),
            class: self.class,
            path: self.path,
            state: self
                .state
                .as_deref()
                .unwrap_or("UNKNOWN")
                .parse()
                .unwrap_or_else(|e| match e {}),
            aux: self.aux,
            errors: VdevErrors {
                read: self.read_errors.0,
                write: self.write_errors.0,
                checksum: self.checksum_errors.0,
            },
            children: self
                .vdevs
                .map(|c| c.0.into_iter().map(|(_, v)| v.into_status()).collect())
                .unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
struct RawScan {
    function: String,
    state: String,
    #[serde(default)]
    start_time: Num,
    #[serde(default)]
    end_time: Num,
    #[serde(default)]
    to_examine: Num,
    #[serde(default)]
    examined: Num,
    #[serde(default)]
    issued: Num,
    #[serde(default)]
    processed: Num,
    #[serde(default)]
    errors: Num,
}

impl RawScan {
    fn into_status(self) -> ScanStatus {
        ScanStatus {
            function: match self.function.as_str() {
                "NONE" => ScanFunction::None,
                "SCRUB" => ScanFunction::Scrub,
                "RESILVER" => ScanFunction::Resilver,
                "ERRORSCRUB" => ScanFunction::ErrorScrub,
                _ => ScanFunction::Other,
            },
            state: match self.state.as_str() {
                "NONE" => ScanState::None,
                "SCANNING" => ScanState::Scanning,
                "FINISHED" => ScanState::Finished,
                "CANCELED" => ScanState::Canceled,
                "ERRORSCRUBBING" => ScanState::ErrorScrubbing,
                _ => ScanState::Other,
            },
            start_time: self.start_time.0,
            end_time: self.end_time.0,
            to_examine: self.to_examine.0,
            examined: self.examined.0,
            issued: self.issued.0,
            processed: self.processed.0,
            errors: self.errors.0,
        }
    }
}

/// A JSON number, or a string holding one.
#[derive(Default)]
struct Num(u64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            N(u64),
            S(String),
        }
        match Either::deserialize(d)? {
            Either::N(n) => Ok(Num(n)),
            Either::S(s) => s.parse().map(Num).map_err(|_| {
                serde::de::Error::custom(format!(
                    "{s:?} is not an exact number (was --json-int given?)"
                ))
            }),
        }
    }
}

/// A JSON object read in document order (vdevs are printed in pool order).
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

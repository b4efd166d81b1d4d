//! The fake's pools and datasets, with ZFS's space accounting and property
//! inheritance approximated closely enough for plans and UIs to be tested.

use std::collections::BTreeMap;

/// What an empty filesystem references (96K).
pub(super) const FS_REFER: u64 = 98_304;
/// What an empty zvol references (12K).
pub(super) const VOL_REFER: u64 = 12_288;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Filesystem,
    Volume,
    Snapshot,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Filesystem => "filesystem",
            Kind::Volume => "volume",
            Kind::Snapshot => "snapshot",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Dataset {
    pub kind: Kind,
    /// Locally set properties, as `zfs set`/`-o` gave them.
    pub local: BTreeMap<String, String>,
    pub volsize: u64,
    pub volblocksize: u64,
    pub refreservation: u64,
    /// Data written to it (for a snapshot: what its dataset referenced).
    pub written: u64,
    pub created: u64,
    pub createtxg: u64,
    pub guid: u64,
    pub mounted: bool,
}

impl Dataset {
    pub(super) fn new(kind: Kind, created: u64, createtxg: u64, guid: u64) -> Self {
        Dataset {
            kind,
            local: BTreeMap::new(),
            volsize: 0,
            volblocksize: 0,
            refreservation: 0,
            written: 0,
            created,
            createtxg,
            guid,
            mounted: false,
        }
    }
}

/// The reservation `zfs create -V` (without `-s`) sets: the volume plus
/// room for its metadata, roughly as `zvol_volsize_to_reservation` does.
pub(super) fn thick_reservation(volsize: u64, volblocksize: u64) -> u64 {
    let blocks = volsize / volblocksize.max(512);
    volsize + blocks * 256 + (1 << 20)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VdevKind {
    Disk,
    Mirror,
    Raidz(u8),
}

#[derive(Debug, Clone)]
pub(super) struct Vdev {
    pub kind: VdevKind,
    /// By-id names and sizes.
    pub disks: Vec<(String, u64)>,
    pub guid: u64,
}

impl Vdev {
    fn min_size(&self) -> u64 {
        self.disks.iter().map(|d| d.1).min().unwrap_or(0)
    }
    fn raw_size(&self) -> u64 {
        match self.kind {
            VdevKind::Disk | VdevKind::Mirror => self.min_size(),
            VdevKind::Raidz(_) => self.min_size() * self.disks.len() as u64,
        }
    }
    fn data_size(&self) -> u64 {
        match self.kind {
            VdevKind::Disk | VdevKind::Mirror => self.min_size(),
            VdevKind::Raidz(p) => self.min_size() * (self.disks.len() as u64 - u64::from(p)),
        }
    }
    /// How many of its disks may be lost.
    pub(super) fn redundancy(&self) -> usize {
        match self.kind {
            VdevKind::Disk => 0,
            VdevKind::Mirror => self.disks.len() - 1,
            VdevKind::Raidz(p) => usize::from(p),
        }
    }
}

/// A leaf vdev's state and error counters, as a test set them.
#[derive(Debug, Clone)]
pub(super) struct Leaf {
    pub state: String,
    pub read: u64,
    pub write: u64,
    pub checksum: u64,
    /// Taken offline with `zpool offline -t`: online again at the next
    /// import.
    pub temporary: bool,
}

impl Default for Leaf {
    fn default() -> Self {
        Leaf {
            state: "ONLINE".into(),
            read: 0,
            write: 0,
            checksum: 0,
            temporary: false,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Scan {
    pub running: bool,
    pub canceled: bool,
    pub start: u64,
    pub end: u64,
    pub examined: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Pool {
    pub name: String,
    pub guid: u64,
    pub vdevs: Vec<Vdev>,
    pub imported: bool,
    /// Last accessed by this other host: import needs `-f`.
    pub foreign_host: Option<String>,
    /// Every filesystem, zvol and snapshot, the root dataset included.
    pub datasets: BTreeMap<String, Dataset>,
    pub scan: Option<Scan>,
    pub leaves: BTreeMap<String, Leaf>,
    pub ashift: u64,
    pub txg: u64,
    /// The `cachefile` property as the last create or import set it
    /// (`None` is the default cache file, which `zpool get` shows as `-`).
    /// Not kept on disk: every import sets it afresh.
    pub cachefile: Option<String>,
}

/// Inheritable properties and their defaults.
pub(super) const INHERITED: [(&str, &str); 7] = [
    ("compression", "off"),
    ("sync", "standard"),
    ("atime", "on"),
    ("xattr", "sa"),
    ("acltype", "off"),
    ("volmode", "default"),
    ("recordsize", "131072"),
];

/// The dataset a name hangs from: `a/b` → `a`, `a/b@s` → `a/b`.
pub(super) fn parent(name: &str) -> Option<&str> {
    if let Some((ds, _)) = name.split_once('@') {
        return Some(ds);
    }
    name.rsplit_once('/').map(|(p, _)| p)
}

impl Pool {
    /// What an import does to members offlined with `-t`.
    pub(super) fn end_temporary_offlines(&mut self) {
        for leaf in self.leaves.values_mut() {
            if leaf.temporary && leaf.state == "OFFLINE" {
                leaf.state = "ONLINE".into();
            }
            leaf.temporary = false;
        }
    }

    pub(super) fn raw_size(&self) -> u64 {
        self.vdevs.iter().map(Vdev::raw_size).sum()
    }

    /// Space for data after parity and the 1/32 slop ZFS keeps back.
    pub(super) fn usable(&self) -> u64 {
        let data: u64 = self.vdevs.iter().map(Vdev::data_size).sum();
        data - data / 32
    }

    /// Raw bytes allocated (parity included), as `zpool list` shows.
    pub(super) fn allocated(&self) -> u64 {
        let data: u64 = self
            .datasets
            .iter()
            .filter(|(_, d)| d.kind != Kind::Snapshot)
            .map(|(n, _)| self.refer(n))
            .sum();
        let raw = self.raw_size() as u128;
        let cap = self.vdevs.iter().map(Vdev::data_size).sum::<u64>().max(1) as u128;
        (data as u128 * raw / cap) as u64
    }

    /// Direct filesystem and zvol children. Names below `name` sort
    /// together right after `name/`, so only they are visited: listing a
    /// pool of hundreds of zvols stays fast (space accounting calls this
    /// for every row).
    pub(super) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = format!("{name}/");
        self.datasets
            .range::<str, _>((
                std::ops::Bound::Included(prefix.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(n, _)| n.starts_with(&prefix))
            .filter(move |(n, d)| d.kind != Kind::Snapshot && parent(n) == Some(name))
            .map(|(n, _)| n.as_str())
    }

    /// Its snapshots, oldest first.
    pub(super) fn snapshots<'a>(&'a self, name: &str) -> Vec<&'a str> {
        let prefix = format!("{name}@");
        let mut snaps: Vec<_> = self
            .datasets
            .iter()
            .filter(|(n, _)| n.starts_with(&prefix))
            .collect();
        snaps.sort_by_key(|(_, d)| d.createtxg);
        snaps.into_iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Everything below it: children, their children, every snapshot.
    pub(super) fn descendants(&self, name: &str) -> Vec<String> {
        let (slash, at) = (format!("{name}/"), format!("{name}@"));
        self.datasets
            .keys()
            .filter(|n| n.starts_with(&slash) || n.starts_with(&at))
            .cloned()
            .collect()
    }

    pub(super) fn refer(&self, name: &str) -> u64 {
        let d = &self.datasets[name];
        match d.kind {
            Kind::Filesystem => FS_REFER + d.written,
            Kind::Volume => VOL_REFER + d.written,
            Kind::Snapshot => d.written,
        }
    }

    /// Its own data or reservation, plus its children's; snapshots share
    /// everything with their dataset here, so they add nothing.
    pub(super) fn used(&self, name: &str) -> u64 {
        let d = &self.datasets[name];
        if d.kind == Kind::Snapshot {
            return 0;
        }
        let own = self.refer(name).max(d.refreservation);
        own + self.children(name).map(|c| self.used(c)).sum::<u64>()
    }

    fn local_number(&self, name: &str, prop: &str) -> Option<u64> {
        self.datasets[name]
            .local
            .get(prop)
            .and_then(|v| v.parse().ok())
            .filter(|&n| n != 0)
    }

    pub(super) fn quota(&self, name: &str) -> Option<u64> {
        self.local_number(name, "quota")
    }

    pub(super) fn refquota(&self, name: &str) -> Option<u64> {
        self.local_number(name, "refquota")
    }

    pub(super) fn available(&self, name: &str) -> u64 {
        let root = self.name.as_str();
        let mut avail = self.usable().saturating_sub(self.used(root));
        let mut cur = Some(name);
        while let Some(n) = cur {
            if let Some(q) = self.quota(n) {
                avail = avail.min(q.saturating_sub(self.used(n)));
            }
            cur = parent(n);
        }
        if let Some(q) = self.refquota(name) {
            avail = avail.min(q.saturating_sub(self.refer(name)));
        }
        let d = &self.datasets[name];
        if d.kind == Kind::Volume {
            avail += d.refreservation.saturating_sub(self.refer(name));
        }
        avail
    }

    /// An inheritable property's value and source (`local`, `default`,
    /// `inherited from <dataset>`).
    pub(super) fn inherited(&self, name: &str, prop: &str) -> (String, String) {
        let mut cur = Some(name);
        while let Some(n) = cur {
            if let Some(v) = self.datasets.get(n).and_then(|d| d.local.get(prop)) {
                let source = if n == name {
                    "local".to_string()
                } else {
                    format!("inherited from {n}")
                };
                return (v.clone(), source);
            }
            cur = parent(n);
        }
        let default = INHERITED
            .iter()
            .find(|(p, _)| *p == prop)
            .map_or("-", |(_, v)| *v);
        (default.to_string(), "default".to_string())
    }

    /// `mountpoint`: the nearest one set, with the rest of the name
    /// appended; `/<name>` by default.
    pub(super) fn mountpoint(&self, name: &str) -> (String, String) {
        let mut cur = Some(name);
        while let Some(n) = cur {
            if let Some(mp) = self.datasets.get(n).and_then(|d| d.local.get("mountpoint")) {
                if n == name {
                    return (mp.clone(), "local".into());
                }
                let source = format!("inherited from {n}");
                if mp == "none" || mp == "legacy" {
                    return (mp.clone(), source);
                }
                let rest = &name[n.len()..];
                return (format!("{}{rest}", mp.trim_end_matches('/')), source);
            }
            cur = parent(n);
        }
        (format!("/{name}"), "default".into())
    }

    /// Whether a filesystem can be mounted where its property says.
    pub(super) fn mountable(&self, name: &str) -> bool {
        let (mp, _) = self.mountpoint(name);
        mp.starts_with('/')
    }

    /// Each top-level vdev's state, and the pool's health, from leaf states.
    pub(super) fn vdev_states(&self) -> (Vec<&'static str>, &'static str) {
        let mut states = Vec::new();
        let (mut degraded, mut unavail) = (false, false);
        for v in &self.vdevs {
            let bad = v
                .disks
                .iter()
                .filter(|(d, _)| self.leaves.get(d).is_some_and(|l| l.state != "ONLINE"))
                .count();
            let state = if bad == 0 {
                "ONLINE"
            } else if bad <= v.redundancy() {
                degraded = true;
                "DEGRADED"
            } else {
                unavail = true;
                "CANT_OPEN"
            };
            states.push(state);
        }
        let health = if unavail {
            "UNAVAIL"
        } else if degraded {
            "DEGRADED"
        } else {
            "ONLINE"
        };
        (states, health)
    }
}

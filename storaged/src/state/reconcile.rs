//! The reconcile planner: desired state and an observation of the machine
//! in, a list of actions out. Pure: no I/O, no clock.
//!
//! Its promises, which the tests check over generated cases:
//! - it never plans to destroy anything (there is no such [`Action`]);
//! - it never plans to create a pool: pool creation is an explicit API
//!   request, and at boot a missing pool is [`Drift::PoolMissing`];
//! - it never imports a pool that looks in use by another system;
//! - what differs from the declaration, or exists undeclared, is reported
//!   as [`Drift`], never "fixed".
//!
//! Datasets and volumes of a pool that still has to be imported are not
//! planned yet (what exists in it is unknown until it is imported): the
//! loop executes the imports, observes again and plans again. Such pools
//! are listed in [`Plan::awaiting_import`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::schema::{is_below, pool_of, Dataset, DesiredState, Volume};
use crate::names::{DatasetName, PoolName};

/// What the machine looks like now, as the `zfs` module reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    /// Pools imported on this system (`zpool list`).
    #[serde(default)]
    pub imported: BTreeSet<PoolName>,
    /// Pools `zpool import` (with no pool argument) offers.
    #[serde(default)]
    pub importable: Vec<ImportablePool>,
    /// Filesystem datasets of imported pools (pool roots excluded).
    #[serde(default)]
    pub datasets: Vec<ObservedDataset>,
    /// Zvols of imported pools.
    #[serde(default)]
    pub volumes: Vec<ObservedVolume>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportablePool {
    pub name: PoolName,
    /// `zpool import` says it was last accessed by another system and may
    /// be active there: importing it could corrupt it.
    pub in_use_elsewhere: bool,
    /// The other system's host name, when `zpool import` gives one.
    #[serde(default)]
    pub host: Option<String>,
}

/// Key properties of a dataset, as `zfs get -H -p` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedDataset {
    pub name: DatasetName,
    pub compression: String,
    pub sync: String,
    /// Bytes; 0 is "none".
    pub quota: u64,
    /// Bytes.
    pub recordsize: u64,
}

/// Key properties of a zvol, as `zfs get -H -p` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedVolume {
    pub name: DatasetName,
    pub volsize: u64,
    pub volblocksize: u64,
    /// No `refreservation`.
    pub sparse: bool,
    pub compression: String,
    pub sync: String,
}

/// One step of a plan. There is deliberately no variant that destroys,
/// formats or creates a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    ImportPool {
        pool: PoolName,
    },
    CreateDataset {
        dataset: Dataset,
    },
    CreateVolume {
        volume: Volume,
    },
    /// Report only: nothing is done about it.
    Drift(Drift),
}

/// Whether a name is a filesystem dataset or a zvol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Dataset,
    Volume,
}

/// A difference between the declaration and the machine that the planner
/// reports and does not act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "drift", rename_all = "snake_case")]
pub enum Drift {
    /// Declared, but neither imported nor importable: disks gone or dead.
    PoolMissing { pool: PoolName },
    /// Declared and importable, but it looks active on another system.
    PoolInUseElsewhere {
        pool: PoolName,
        host: Option<String>,
    },
    /// Imported here, but not declared.
    PoolNotDeclared { pool: PoolName },
    /// A declared property has another value on the machine.
    Property {
        name: DatasetName,
        kind: Kind,
        property: &'static str,
        desired: String,
        observed: String,
    },
    /// Exists in a declared pool, but is not declared.
    Undeclared { name: DatasetName, kind: Kind },
    /// Declared as one kind, exists as the other. Nothing below it is
    /// planned.
    KindMismatch {
        name: DatasetName,
        declared: Kind,
        found: Kind,
    },
    /// A declared, imported pool whose root mounts somewhere other than
    /// `<mount base>/<pool>` (on the read-only root it cannot mount at
    /// all). Reported by the executor, which knows the mount base; this
    /// planner never produces it.
    PoolMountpoint {
        pool: PoolName,
        desired: String,
        observed: String,
    },
}

/// The planner's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Imports first, then creations (parents before children), then drift.
    pub actions: Vec<Action>,
    /// Pools this plan imports whose contents are planned on the next pass.
    pub awaiting_import: Vec<PoolName>,
}

impl Plan {
    pub fn drift(&self) -> impl Iterator<Item = &Drift> {
        self.actions.iter().filter_map(|a| match a {
            Action::Drift(d) => Some(d),
            _ => None,
        })
    }
}

/// What executing one action did (STYLE 4). A [`Action::Drift`] is always
/// `Unchanged`; a save of the state file reports the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Unchanged,
    Created,
    Imported,
    Updated,
}

/// One executed action and its outcome, for logs and the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionReport {
    pub action: Action,
    pub outcome: Outcome,
}

/// Plan what to do to bring `observed` towards `desired`.
pub fn plan(desired: &DesiredState, observed: &Observed) -> Plan {
    let mut imports = Vec::new();
    let mut creates = Vec::new();
    let mut drift = Vec::new();
    let mut awaiting_import = Vec::new();
    let mut ready = BTreeSet::new();

    for pool in desired.pools() {
        let name = &pool.name;
        if observed.imported.contains(name) {
            ready.insert(name.clone());
        } else if let Some(found) = observed.importable.iter().find(|p| &p.name == name) {
            if found.in_use_elsewhere {
                drift.push(Drift::PoolInUseElsewhere {
                    pool: name.clone(),
                    host: found.host.clone(),
                });
            } else {
                imports.push(Action::ImportPool { pool: name.clone() });
                awaiting_import.push(name.clone());
            }
        } else {
            drift.push(Drift::PoolMissing { pool: name.clone() });
        }
    }
    for pool in &observed.imported {
        if desired.pool(pool).is_none() {
            drift.push(Drift::PoolNotDeclared { pool: pool.clone() });
        }
    }

    // Names declared as one kind but present as the other: nothing below
    // them can be created.
    let mut blocked: Vec<DatasetName> = Vec::new();
    let plannable = |name: &DatasetName, blocked: &[DatasetName]| {
        ready.contains(&pool_of(name)) && !blocked.iter().any(|b| is_below(name, b.as_str()))
    };

    for dataset in desired.datasets() {
        let name = &dataset.name;
        if !plannable(name, &blocked) {
            continue;
        }
        if observed.volumes.iter().any(|v| &v.name == name) {
            drift.push(Drift::KindMismatch {
                name: name.clone(),
                declared: Kind::Dataset,
                found: Kind::Volume,
            });
            blocked.push(name.clone());
            continue;
        }
        match observed.datasets.iter().find(|d| &d.name == name) {
            None => creates.push(Action::CreateDataset {
                dataset: dataset.clone(),
            }),
            Some(found) => drift.extend(dataset_drift(dataset, found)),
        }
    }
    for volume in desired.volumes() {
        let name = &volume.name;
        if !plannable(name, &blocked) {
            continue;
        }
        if observed.datasets.iter().any(|d| &d.name == name) {
            drift.push(Drift::KindMismatch {
                name: name.clone(),
                declared: Kind::Volume,
                found: Kind::Dataset,
            });
            continue;
        }
        match observed.volumes.iter().find(|v| &v.name == name) {
            None => creates.push(Action::CreateVolume {
                volume: volume.clone(),
            }),
            Some(found) => drift.extend(volume_drift(volume, found)),
        }
    }

    let declared =
        |name: &DatasetName| desired.dataset(name).is_some() || desired.volume(name).is_some();
    let observed_names = observed
        .datasets
        .iter()
        .map(|d| (&d.name, Kind::Dataset))
        .chain(observed.volumes.iter().map(|v| (&v.name, Kind::Volume)));
    for (name, kind) in observed_names {
        if ready.contains(&pool_of(name)) && !declared(name) {
            drift.push(Drift::Undeclared {
                name: name.clone(),
                kind,
            });
        }
    }

    let mut actions = imports;
    actions.extend(creates);
    actions.extend(drift.into_iter().map(Action::Drift));
    Plan {
        actions,
        awaiting_import,
    }
}

fn property(
    name: &DatasetName,
    kind: Kind,
    property: &'static str,
    desired: String,
    observed: String,
) -> Option<Drift> {
    (desired != observed).then(|| Drift::Property {
        name: name.clone(),
        kind,
        property,
        desired,
        observed,
    })
}

fn dataset_drift(dataset: &Dataset, found: &ObservedDataset) -> Vec<Drift> {
    let (name, props, kind) = (&dataset.name, &dataset.properties, Kind::Dataset);
    let mut drift = vec![
        property(
            name,
            kind,
            "compression",
            props.compression.to_string(),
            found.compression.clone(),
        ),
        property(
            name,
            kind,
            "sync",
            props.sync.to_string(),
            found.sync.clone(),
        ),
        property(
            name,
            kind,
            "quota",
            props.quota.unwrap_or(0).to_string(),
            found.quota.to_string(),
        ),
    ];
    if let Some(recordsize) = props.recordsize {
        drift.push(property(
            name,
            kind,
            "recordsize",
            recordsize.to_string(),
            found.recordsize.to_string(),
        ));
    }
    drift.into_iter().flatten().collect()
}

fn volume_drift(volume: &Volume, found: &ObservedVolume) -> Vec<Drift> {
    let (name, kind) = (&volume.name, Kind::Volume);
    [
        property(
            name,
            kind,
            "volsize",
            volume.size_bytes.to_string(),
            found.volsize.to_string(),
        ),
        property(
            name,
            kind,
            "volblocksize",
            volume.volblocksize.to_string(),
            found.volblocksize.to_string(),
        ),
        property(
            name,
            kind,
            "sparse",
            volume.sparse.to_string(),
            found.sparse.to_string(),
        ),
        property(
            name,
            kind,
            "compression",
            volume.compression.to_string(),
            found.compression.clone(),
        ),
        property(
            name,
            kind,
            "sync",
            volume.sync.to_string(),
            found.sync.clone(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

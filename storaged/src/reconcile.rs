//! The executor: carries reconcile out on the machine. It observes what
//! `zpool` and `zfs` show, plans with the pure [`state::plan`], runs the
//! plan, and observes again while pools were being imported (what a pool
//! holds is known only once it is imported), at most [`MAX_PASSES`] times.
//!
//! It does to the machine only what the planner allows: import declared
//! pools (never with `-f`) and create declared datasets and zvols that are
//! missing. It never destroys, never creates a pool and never changes a
//! property; whatever differs from the declaration is reported as
//! [`Drift`]. One failing action does not stop the others: the
//! [`ReconcileReport`] says what each action did, or why it failed.
//!
//! Every command goes through the [`CommandRunner`] handed in, so tests run
//! it against [`crate::zfs::fake::FakeZfs`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::names::{DatasetName, PoolName};
use crate::roots::pool_mount_base;
use crate::runner::CommandRunner;
use crate::state::{
    self, Action, Dataset, DesiredState, Drift, ImportablePool, Kind, Observed, ObservedDataset,
    ObservedVolume, Outcome, StateStore, Volume,
};
use crate::util::error_chain;
use crate::zfs::{self, DatasetKind, DatasetSpec, ImportOutcome, ZfsError, ZvolSpec};

/// Observe → plan → execute rounds at most. Two suffice (imports, then
/// what the imported pools lack); the third is slack for a pool that
/// appears between passes. A pool is never imported twice, so the loop
/// cannot spin.
pub const MAX_PASSES: usize = 3;

/// What the machine holds, as the planner needs it.
///
/// - `imported`: every pool `zpool list` shows whose name is a valid
///   [`PoolName`];
/// - `importable`: each declared pool that is not imported, offered as
///   importable and not in use elsewhere. `zpool import` with no pool
///   argument would say more, but it scans every disk; the import attempt
///   itself tells the truth, and [`reconcile`] turns its answer into drift;
/// - `datasets`, `volumes`: the filesystems and zvols of the declared,
///   imported pools (`zfs list -r`), pool roots excluded. Pools that are
///   not declared are not listed: nothing in them is planned. A name that
///   is not a valid [`DatasetName`] cannot be declared and is left out.
pub fn observe(runner: &dyn CommandRunner, desired: &DesiredState) -> Result<Observed, ZfsError> {
    Ok(observe_machine(runner, desired)?.observed)
}

/// [`Observed`] plus what only the executor checks.
struct Observation {
    observed: Observed,
    /// The root dataset's `mountpoint` of each declared, imported pool.
    mountpoints: BTreeMap<PoolName, Option<String>>,
}

fn observe_machine(
    runner: &dyn CommandRunner,
    desired: &DesiredState,
) -> Result<Observation, ZfsError> {
    let imported: BTreeSet<PoolName> = zfs::list_pools(runner)?
        .into_iter()
        .filter_map(|row| row.name.parse().ok())
        .collect();
    let importable = desired
        .pools()
        .iter()
        .filter(|p| !imported.contains(&p.name))
        .map(|p| ImportablePool {
            name: p.name.clone(),
            in_use_elsewhere: false,
            host: None,
        })
        .collect();
    let mut observation = Observation {
        observed: Observed {
            imported,
            importable,
            datasets: Vec::new(),
            volumes: Vec::new(),
        },
        mountpoints: BTreeMap::new(),
    };
    for pool in desired.pools() {
        if !observation.observed.imported.contains(&pool.name) {
            continue;
        }
        for row in zfs::list_datasets(runner, &pool.name)? {
            if row.name == pool.name.as_str() {
                observation
                    .mountpoints
                    .insert(pool.name.clone(), row.mountpoint.clone());
                continue;
            }
            let Ok(name) = row.name.parse::<DatasetName>() else {
                continue;
            };
            let observed = &mut observation.observed;
            match row.kind {
                DatasetKind::Filesystem => observed.datasets.push(ObservedDataset {
                    name,
                    compression: row.compression.to_string(),
                    sync: row.sync.to_string(),
                    quota: row.quota.unwrap_or(0),
                    recordsize: row.recordsize.unwrap_or(0),
                }),
                DatasetKind::Volume => observed.volumes.push(ObservedVolume {
                    name,
                    volsize: row.volsize.unwrap_or(0),
                    volblocksize: row.volblocksize.unwrap_or(0),
                    sparse: row.is_sparse(),
                    compression: row.compression.to_string(),
                    sync: row.sync.to_string(),
                }),
            }
        }
    }
    Ok(observation)
}

/// One action carried out, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Executed {
    pub action: Action,
    #[serde(flatten)]
    pub result: ActionResult,
}

/// What an action did, or why it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ActionResult {
    Done {
        outcome: Outcome,
    },
    /// The error and its causes, in one line.
    Failed {
        error: String,
    },
}

/// What one reconcile did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Observe → plan → execute rounds run.
    pub passes: usize,
    /// Every action carried out, in order. An import that finds its pool
    /// in use by another system, or not at all, is not here: it is the
    /// drift the planner would have reported had it known, and is in
    /// `drift`.
    pub actions: Vec<Executed>,
    /// What differs from the declaration and was left alone, as the last
    /// pass saw it.
    pub drift: Vec<Drift>,
    /// Declared pools, datasets and volumes found in place that no action
    /// touched (drifting ones included: drift is reported, never fixed).
    pub unchanged: usize,
    /// Why the machine could not be observed, when it could not: reconcile
    /// stopped there.
    pub error: Option<String>,
}

impl ReconcileReport {
    /// The actions that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Executed> {
        self.actions
            .iter()
            .filter(|e| matches!(e.result, ActionResult::Failed { .. }))
    }

    /// Nothing failed and nothing drifts: the machine is as declared.
    pub fn is_clean(&self) -> bool {
        self.error.is_none() && self.drift.is_empty() && self.failures().next().is_none()
    }

    /// One line per action and per drift, then a summary, in words for
    /// the log.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.actions.iter().map(ToString::to_string).collect();
        lines.extend(self.drift.iter().map(|d| format!("drift: {}", describe(d))));
        if let Some(error) = &self.error {
            lines.push(format!("reconcile stopped: {error}"));
        }
        lines.push(self.summary());
        lines
    }

    fn summary(&self) -> String {
        let count = |outcome: Outcome| {
            self.actions
                .iter()
                .filter(|e| e.result == ActionResult::Done { outcome })
                .count()
        };
        let verdict = if self.error.is_some() {
            "reconcile incomplete"
        } else if self.is_clean() {
            "state reconciled"
        } else {
            "state reconciled with problems"
        };
        format!(
            "{verdict}: {} imported, {} created, {} unchanged, {} failed, {} drift",
            count(Outcome::Imported),
            count(Outcome::Created),
            self.unchanged,
            self.failures().count(),
            self.drift.len(),
        )
    }
}

impl fmt::Display for Executed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, what) = match &self.action {
            Action::ImportPool { pool } => ("import", format!("pool {pool}")),
            Action::CreateDataset { dataset } => ("create", format!("dataset {}", dataset.name)),
            Action::CreateVolume { volume } => (
                "create",
                format!(
                    "volume {} ({}, {})",
                    volume.name,
                    bytes_text(volume.size_bytes),
                    if volume.sparse { "sparse" } else { "thick" }
                ),
            ),
            Action::Drift(drift) => return write!(f, "drift: {}", describe(drift)),
        };
        match &self.result {
            ActionResult::Failed { error } => write!(f, "could not {verb} {what}: {error}"),
            ActionResult::Done { outcome } => match (outcome, verb) {
                (Outcome::Imported, _) => write!(f, "imported {what}"),
                (Outcome::Created, _) => write!(f, "created {what}"),
                (Outcome::Updated, _) => write!(f, "updated {what}"),
                (Outcome::Unchanged, "import") => write!(f, "{what} was already imported"),
                (Outcome::Unchanged, _) => write!(f, "{what} already existed"),
            },
        }
    }
}

/// A drift in words a person understands.
pub fn describe(drift: &Drift) -> String {
    match drift {
        Drift::PoolMissing { pool } => format!(
            "pool {pool} is declared but not found (are its disks plugged in and alive?)"
        ),
        Drift::PoolInUseElsewhere { pool, host } => format!(
            "pool {pool} looks in use by another system{}; not importing it: import it with force only if that system is off",
            host.as_ref()
                .map(|h| format!(" (last accessed by {h})"))
                .unwrap_or_default()
        ),
        Drift::PoolNotDeclared { pool } => {
            format!("pool {pool} is imported but not declared; left alone")
        }
        Drift::Property {
            name,
            kind,
            property,
            desired,
            observed,
        } => {
            let shown = |v: &str| match (*property, v) {
                ("quota", "0") => "none".to_string(),
                _ => v.to_string(),
            };
            format!(
                "{} {name} has {property} {}, declared {}; left as it is",
                kind_word(*kind),
                shown(observed),
                shown(desired)
            )
        }
        Drift::Undeclared { name, kind } => format!(
            "{} {name} exists but is not declared; left alone",
            kind_word(*kind)
        ),
        Drift::KindMismatch {
            name,
            declared,
            found,
        } => format!(
            "{name} is declared as a {} but is a {}; nothing below it is created",
            kind_word(*declared),
            kind_word(*found)
        ),
        Drift::PoolMountpoint {
            pool,
            desired,
            observed,
        } => format!(
            "pool {pool} has mountpoint {observed}, not {desired}: outside the writable pools directory it cannot mount on the read-only root"
        ),
    }
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Dataset => "dataset",
        Kind::Volume => "volume",
    }
}

/// Whole binary units when exact (`100 GiB`), else bytes.
fn bytes_text(n: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n.trailing_zeros() >= shift {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// What an import attempt found out about a pool the observation could
/// only guess at.
enum ImportVerdict {
    Missing,
    InUseElsewhere { host: Option<String> },
}

enum Step {
    Done(Outcome),
    Failed(String),
    Verdict(ImportVerdict),
}

/// Brings the machine towards `desired`: imports declared pools, creates
/// missing datasets and zvols, reports drift. `mount_base` is where pools
/// mount ([`pool_mount_base`]); a declared pool whose root mounts elsewhere
/// is reported. Never fails as a whole: what went wrong is in the report.
pub fn reconcile(
    runner: &dyn CommandRunner,
    desired: &DesiredState,
    mount_base: &Path,
) -> ReconcileReport {
    let mut report = ReconcileReport::default();
    let mut verdicts: BTreeMap<PoolName, ImportVerdict> = BTreeMap::new();
    // Failed actions are reported once and not retried in a later pass.
    let mut failed: Vec<Action> = Vec::new();
    // Pools and datasets some action was about, whatever its result.
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut last: Option<Observation> = None;

    for pass in 1..=MAX_PASSES {
        report.passes = pass;
        let mut seen = match observe_machine(runner, desired) {
            Ok(seen) => seen,
            Err(e) => {
                report.error = Some(error_chain(&e));
                break;
            }
        };
        for pool in &mut seen.observed.importable {
            match verdicts.get(&pool.name) {
                Some(ImportVerdict::InUseElsewhere { host }) => {
                    pool.in_use_elsewhere = true;
                    pool.host.clone_from(host);
                }
                Some(ImportVerdict::Missing) | None => {}
            }
        }
        seen.observed
            .importable
            .retain(|p| !matches!(verdicts.get(&p.name), Some(ImportVerdict::Missing)));

        let plan = state::plan(desired, &seen.observed);
        report.drift = plan.drift().cloned().collect();
        let mut imported_any = false;
        for action in plan.actions {
            if matches!(action, Action::Drift(_)) || failed.contains(&action) {
                continue;
            }
            let object = match &action {
                Action::ImportPool { pool } => {
                    imported_any = true;
                    pool.to_string()
                }
                Action::CreateDataset { dataset } => dataset.name.to_string(),
                Action::CreateVolume { volume } => volume.name.to_string(),
                Action::Drift(_) => unreachable!("skipped above"),
            };
            touched.insert(object);
            match execute(runner, &action) {
                Step::Done(outcome) => report.actions.push(Executed {
                    action,
                    result: ActionResult::Done { outcome },
                }),
                Step::Failed(error) => {
                    failed.push(action.clone());
                    report.actions.push(Executed {
                        action,
                        result: ActionResult::Failed { error },
                    });
                }
                Step::Verdict(verdict) => {
                    if let Action::ImportPool { pool } = action {
                        verdicts.insert(pool, verdict);
                    }
                }
            }
        }
        last = Some(seen);
        if !imported_any {
            break;
        }
    }

    if let Some(seen) = last.filter(|_| report.error.is_none()) {
        report.drift.extend(mountpoint_drift(&seen, mount_base));
        report.unchanged = unchanged(desired, &seen.observed, &touched);
    }
    report
}

fn execute(runner: &dyn CommandRunner, action: &Action) -> Step {
    let result = match action {
        Action::ImportPool { pool } => match zfs::ensure_imported(runner, pool, false) {
            Ok(ImportOutcome::Imported { .. }) => Ok(Outcome::Imported),
            Ok(ImportOutcome::AlreadyImported) => Ok(Outcome::Unchanged),
            Err(ZfsError::PoolInUseElsewhere { detail, .. }) => {
                return Step::Verdict(ImportVerdict::InUseElsewhere {
                    host: last_accessed_by(&detail),
                })
            }
            Err(ZfsError::NoSuchPool { .. }) => return Step::Verdict(ImportVerdict::Missing),
            Err(e) => Err(e),
        },
        Action::CreateDataset { dataset } => {
            zfs::create_dataset(runner, &dataset_spec(dataset)).map(|_| Outcome::Created)
        }
        Action::CreateVolume { volume } => {
            zfs::create_zvol(runner, &zvol_spec(volume)).map(|_| Outcome::Created)
        }
        Action::Drift(_) => Ok(Outcome::Unchanged),
    };
    match result {
        Ok(outcome) => Step::Done(outcome),
        Err(e) => Step::Failed(error_chain(&e)),
    }
}

/// The declared dataset as `zfs create` options: every managed property
/// set locally, so what is observed later is what was declared.
fn dataset_spec(dataset: &Dataset) -> DatasetSpec {
    let props = &dataset.properties;
    DatasetSpec {
        compression: Some(props.compression),
        sync: props.sync,
        quota: props.quota,
        recordsize: props.recordsize,
        ..DatasetSpec::new(dataset.name.clone())
    }
}

fn zvol_spec(volume: &Volume) -> ZvolSpec {
    ZvolSpec {
        volblocksize: volume.volblocksize,
        sparse: volume.sparse,
        compression: Some(volume.compression),
        sync: volume.sync,
        ..ZvolSpec::new(volume.name.clone(), volume.size_bytes)
    }
}

/// The host in `zpool import`'s "Last accessed by <host> (hostid=…)" (or
/// the older "last accessed by <host> (hostid: …)").
fn last_accessed_by(detail: &str) -> Option<String> {
    let lower = detail.to_ascii_lowercase();
    let at = lower.find("accessed by ")? + "accessed by ".len();
    detail[at..]
        .split_whitespace()
        .next()
        .map(|h| h.trim_end_matches([',', '.', ';']).to_string())
        .filter(|h| !h.is_empty())
}

fn mountpoint_drift(seen: &Observation, mount_base: &Path) -> Vec<Drift> {
    let base: PathBuf = mount_base.components().collect();
    seen.mountpoints
        .iter()
        .filter_map(|(pool, observed)| {
            let desired = base.join(pool.as_str());
            let observed = observed.as_deref().unwrap_or("-");
            (Path::new(observed) != desired).then(|| Drift::PoolMountpoint {
                pool: pool.clone(),
                desired: desired.display().to_string(),
                observed: observed.to_string(),
            })
        })
        .collect()
}

fn unchanged(desired: &DesiredState, observed: &Observed, touched: &BTreeSet<String>) -> usize {
    let pools = desired
        .pools()
        .iter()
        .filter(|p| observed.imported.contains(&p.name) && !touched.contains(p.name.as_str()))
        .count();
    let datasets = observed
        .datasets
        .iter()
        .filter(|d| desired.dataset(&d.name).is_some() && !touched.contains(d.name.as_str()))
        .count();
    let volumes = observed
        .volumes
        .iter()
        .filter(|v| desired.volume(&v.name).is_some() && !touched.contains(v.name.as_str()))
        .count();
    pools + datasets + volumes
}

/// Loads the desired state from `state_dir` and reconciles the machine
/// with it, for the daemon's start: returns the lines to log, one per
/// action and drift, then a summary. A state file that cannot be loaded
/// is one loud line and no reconcile (nothing is guessed from a file that
/// does not load); it never stops the daemon.
pub fn reconcile_at_start(
    runner: &dyn CommandRunner,
    state_dir: &Path,
    root: &Path,
) -> Vec<String> {
    reconcile_at_start_report(runner, state_dir, root).lines
}

/// What the start-up reconcile did: the lines to log, the report (`None`
/// when the state file did not load), and whether the sharing services took
/// the state (set by the daemon after the engine's sharing reconcile),
/// which the upgrade's health check reads.
pub struct StartReport {
    pub lines: Vec<String>,
    pub report: Option<ReconcileReport>,
    /// `Err` says why targets, exports or shares are not being served.
    pub sharing: Result<(), String>,
}

/// [`reconcile_at_start`], keeping the report.
pub fn reconcile_at_start_report(
    runner: &dyn CommandRunner,
    state_dir: &Path,
    root: &Path,
) -> StartReport {
    let loaded = match StateStore::new(state_dir).load() {
        Ok(loaded) => loaded,
        Err(e) => {
            return StartReport {
                lines: vec![format!(
                    "ERROR: {}; nothing was reconciled (no pool imported); the API still serves: fix the file or reset the state",
                    error_chain(&e)
                )],
                report: None,
                sharing: Err("the state file did not load".into()),
            }
        }
    };
    let mut lines: Vec<String> = loaded
        .migrations
        .iter()
        .map(|m| {
            format!(
                "state file read as schema v{} and migrated to v{} ({}); it is rewritten at the next change",
                m.from, m.to, m.summary
            )
        })
        .collect();
    let report = reconcile(runner, &loaded.state, &pool_mount_base(root));
    lines.extend(report.lines());
    StartReport {
        lines,
        report: Some(report),
        sharing: Ok(()),
    }
}

#[cfg(test)]
mod tests;

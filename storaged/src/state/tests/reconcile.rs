//! The reconcile planner (unit): named scenarios. Its promises over
//! generated cases are in `reconcile_promises.rs`.

use super::*;
use crate::state::{
    plan, Action, Drift, ImportablePool, Kind, Observed, ObservedDataset, ObservedVolume, Plan,
};

pub(super) fn importable(name: &str) -> ImportablePool {
    ImportablePool {
        name: pn(name),
        in_use_elsewhere: false,
        host: None,
    }
}

pub(super) fn seen_dataset(d: &Dataset) -> ObservedDataset {
    ObservedDataset {
        name: d.name.clone(),
        compression: d.properties.compression.to_string(),
        sync: d.properties.sync.to_string(),
        quota: d.properties.quota.unwrap_or(0),
        recordsize: d.properties.recordsize.unwrap_or(128 << 10),
    }
}

pub(super) fn seen_volume(v: &Volume) -> ObservedVolume {
    ObservedVolume {
        name: v.name.clone(),
        volsize: v.size_bytes,
        volblocksize: v.volblocksize,
        sparse: v.sparse,
        compression: v.compression.to_string(),
        sync: v.sync.to_string(),
    }
}

/// The machine exactly as `state` declares it.
fn converged(state: &DesiredState) -> Observed {
    Observed {
        imported: state.pools().iter().map(|p| p.name.clone()).collect(),
        importable: Vec::new(),
        datasets: state.datasets().iter().map(seen_dataset).collect(),
        volumes: state.volumes().iter().map(seen_volume).collect(),
    }
}

/// Carries out a plan on the observation the way the executor would.
pub(super) fn execute(observed: &mut Observed, plan: &Plan) {
    for action in &plan.actions {
        match action {
            Action::ImportPool { pool } => {
                observed.importable.retain(|p| &p.name != pool);
                observed.imported.insert(pool.clone());
            }
            Action::CreateDataset { dataset } => observed.datasets.push(seen_dataset(dataset)),
            Action::CreateVolume { volume } => observed.volumes.push(seen_volume(volume)),
            Action::Drift(_) => {}
        }
    }
}

pub(super) fn names(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|a| match a {
            Action::ImportPool { pool } => format!("import {pool}"),
            Action::CreateDataset { dataset } => format!("create {}", dataset.name),
            Action::CreateVolume { volume } => format!("create volume {}", volume.name),
            Action::Drift(d) => format!("drift {}", serde_json::to_string(d).unwrap()),
        })
        .collect()
}

#[test]
fn reconcile_converged_machine_plans_nothing() {
    let state = sample_state();
    assert_eq!(plan(&state, &converged(&state)), Plan::default());
}

#[test]
fn reconcile_fresh_boot_imports_pools_then_creates_missing_datasets() {
    let state = sample_state();
    let mut observed = Observed {
        importable: vec![importable("bulk"), importable("tank")],
        ..Observed::default()
    };
    let first = plan(&state, &observed);
    assert_eq!(names(&first), ["import bulk", "import tank"]);
    assert_eq!(first.awaiting_import, [pn("bulk"), pn("tank")]);

    // After the import, bulk/video and tank/vm already exist on the pool.
    execute(&mut observed, &first);
    observed
        .datasets
        .push(seen_dataset(state.dataset(&dn("bulk/video")).unwrap()));
    observed
        .datasets
        .push(seen_dataset(state.dataset(&dn("tank/vm")).unwrap()));
    let second = plan(&state, &observed);
    assert_eq!(
        names(&second),
        ["create tank/share", "create volume tank/vm/esx"]
    );
    assert!(second.awaiting_import.is_empty());

    execute(&mut observed, &second);
    assert_eq!(plan(&state, &observed), Plan::default());
}

#[test]
fn reconcile_missing_datasets_are_created_parents_first() {
    let state = sample_state()
        .add_dataset(dataset("tank/vm/a"))
        .unwrap()
        .add_dataset(dataset("tank/vm/a/b"))
        .unwrap();
    let observed = Observed {
        imported: [pn("tank"), pn("bulk")].into(),
        ..Observed::default()
    };
    assert_eq!(
        names(&plan(&state, &observed)),
        [
            "create bulk/video",
            "create tank/share",
            "create tank/vm",
            "create tank/vm/a",
            "create tank/vm/a/b",
            "create volume tank/vm/esx",
        ]
    );
}

#[test]
fn reconcile_property_drift_is_reported_not_fixed() {
    let state = sample_state();
    let mut observed = converged(&state);
    observed.datasets[2].compression = "zstd".into(); // tank/vm
    observed.volumes[0].volsize = 50 << 30;
    let got = plan(&state, &observed);
    assert_eq!(
        got.drift().cloned().collect::<Vec<_>>(),
        [
            Drift::Property {
                name: dn("tank/vm"),
                kind: Kind::Dataset,
                property: "compression",
                desired: "lz4".into(),
                observed: "zstd".into(),
            },
            Drift::Property {
                name: dn("tank/vm/esx"),
                kind: Kind::Volume,
                property: "volsize",
                desired: (100u64 << 30).to_string(),
                observed: (50u64 << 30).to_string(),
            },
        ]
    );
    assert_eq!(got.actions.len(), 2, "only reports: {:?}", names(&got));
}

#[test]
fn reconcile_undeclared_dataset_is_reported_only() {
    let state = sample_state();
    let mut observed = converged(&state);
    observed
        .datasets
        .push(seen_dataset(&dataset("tank/scratch")));
    observed
        .volumes
        .push(seen_volume(&Volume::new(dn("bulk/old-lun"), 1 << 30)));
    observed.imported.insert(pn("usb"));
    observed.datasets.push(seen_dataset(&dataset("usb/stuff")));
    let got = plan(&state, &observed);
    assert_eq!(
        got.actions,
        [
            Action::Drift(Drift::PoolNotDeclared { pool: pn("usb") }),
            Action::Drift(Drift::Undeclared {
                name: dn("tank/scratch"),
                kind: Kind::Dataset
            }),
            Action::Drift(Drift::Undeclared {
                name: dn("bulk/old-lun"),
                kind: Kind::Volume
            }),
        ]
    );
}

#[test]
fn reconcile_pool_in_use_elsewhere_is_reported_not_imported() {
    let state = sample_state();
    let observed = Observed {
        importable: vec![
            ImportablePool {
                name: pn("tank"),
                in_use_elsewhere: true,
                host: Some("old-nas".into()),
            },
            importable("bulk"),
        ],
        ..Observed::default()
    };
    let got = plan(&state, &observed);
    assert_eq!(
        got.actions,
        [
            Action::ImportPool { pool: pn("bulk") },
            Action::Drift(Drift::PoolInUseElsewhere {
                pool: pn("tank"),
                host: Some("old-nas".into())
            }),
        ]
    );
    assert_eq!(got.awaiting_import, [pn("bulk")]);
}

#[test]
fn reconcile_missing_pool_is_drift_never_a_creation() {
    let state = sample_state();
    let observed = Observed {
        imported: [pn("bulk")].into(),
        datasets: vec![seen_dataset(state.dataset(&dn("bulk/video")).unwrap())],
        ..Observed::default()
    };
    assert_eq!(
        plan(&state, &observed).actions,
        [Action::Drift(Drift::PoolMissing { pool: pn("tank") })]
    );
}

#[test]
fn reconcile_kind_mismatch_blocks_what_is_below() {
    let state = sample_state();
    let mut observed = converged(&state);
    // tank/vm exists as a zvol: neither it nor tank/vm/esx can be planned.
    observed.datasets.retain(|d| d.name.as_str() != "tank/vm");
    observed.volumes.clear();
    observed
        .volumes
        .push(seen_volume(&Volume::new(dn("tank/vm"), 1 << 30)));
    assert_eq!(
        plan(&state, &observed).actions,
        [Action::Drift(Drift::KindMismatch {
            name: dn("tank/vm"),
            declared: Kind::Dataset,
            found: Kind::Volume
        })]
    );
}

#[test]
fn reconcile_plan_serializes_with_tags() {
    let state = sample_state();
    let mut observed = converged(&state);
    observed.imported.remove(&pn("bulk"));
    observed.importable.push(importable("bulk"));
    observed.datasets[0].sync = "disabled".into();
    let value = serde_json::to_value(plan(&state, &observed)).unwrap();
    assert_eq!(
        value["actions"][0],
        serde_json::json!({"action": "import_pool", "pool": "bulk"})
    );
    assert_eq!(value["awaiting_import"], serde_json::json!(["bulk"]));
    let text = value.to_string();
    assert!(
        !text.contains("destroy") && !text.contains("create_pool"),
        "{text}"
    );
}

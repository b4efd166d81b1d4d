//! The reconcile planner's promises, checked over many generated cases:
//! it never destroys, never creates a pool, never imports a pool in use
//! elsewhere, and reaches a fixed point in a few passes.

use std::collections::BTreeSet;

use super::reconcile::{execute, importable, names, seen_dataset, seen_volume};
use super::*;
use crate::state::schema::pool_of;
use crate::state::{plan, Action, Compression, ImportablePool, Observed, Plan};

/// A tiny deterministic generator: the tests must not depend on a seed
/// from outside.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// The compressions the generator picks from.
const COMPRESSIONS: [Compression; 5] = [
    Compression::Off,
    Compression::Lz4,
    Compression::Zstd(None),
    Compression::Gzip(None),
    Compression::Zle,
];

/// A random desired state over pools tank and fast, and a random machine.
fn generated_case(rng: &mut Rng) -> (DesiredState, Observed) {
    let mut state = DesiredState::default();
    let mut observed = Observed::default();
    let candidates = ["a", "a/b", "a/b/c", "v", "a/v", "x"];
    for (i, name) in ["tank", "fast"].into_iter().enumerate() {
        let declared = !rng.chance(4);
        if declared {
            let disks = [format!("d{i}-0"), format!("d{i}-1")];
            state = state
                .add_pool(pool(name, Layout::Mirror, &[&disks[0], &disks[1]]))
                .unwrap();
        }
        match rng.below(4) {
            0 => {
                observed.imported.insert(pn(name));
            }
            1 => observed.importable.push(importable(name)),
            2 => observed.importable.push(ImportablePool {
                in_use_elsewhere: true,
                ..importable(name)
            }),
            _ => {} // absent: its disks are gone
        }
        for child in candidates {
            let full = dn(&format!("{name}/{child}"));
            let is_volume = child.ends_with('v');
            if declared && rng.chance(2) {
                state = if is_volume {
                    state.add_volume(Volume::new(full.clone(), 1 << 30))
                } else {
                    let mut d = dataset(full.as_str());
                    d.properties.compression = COMPRESSIONS[rng.below(5) as usize];
                    state.add_dataset(d)
                }
                .unwrap_or(state);
            }
            if rng.chance(2) && observed.imported.contains(&pn(name)) {
                let mut seen = seen_dataset(&dataset(full.as_str()));
                seen.compression = COMPRESSIONS[rng.below(5) as usize].to_string();
                if is_volume != rng.chance(5) {
                    observed
                        .volumes
                        .push(seen_volume(&Volume::new(full, 2 << 30)));
                } else {
                    observed.datasets.push(seen);
                }
            }
        }
    }
    (state, observed)
}

#[test]
fn reconcile_never_destroys_never_creates_pools_and_converges() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut imports = 0;
    let mut creates = 0;
    for case in 0..3000 {
        let (state, mut observed) = generated_case(&mut rng);
        let before = observed.clone();
        let mut seen = BTreeSet::new();
        for pass in 0..4 {
            let got = plan(&state, &observed);
            for action in &got.actions {
                assert!(
                    seen.insert(names(&Plan {
                        actions: vec![action.clone()],
                        ..Plan::default()
                    })) || matches!(action, Action::Drift(_)),
                    "case {case}: planned twice: {action:?}"
                );
                // No wildcard: a new kind of action must be judged here.
                match action {
                    Action::ImportPool { pool } => {
                        imports += 1;
                        assert!(
                            state.pool(pool).is_some(),
                            "case {case}: imports undeclared {pool}"
                        );
                        let offered = before.importable.iter().find(|p| &p.name == pool);
                        assert!(
                            offered.is_some_and(|p| !p.in_use_elsewhere),
                            "case {case}: {pool}"
                        );
                    }
                    Action::CreateDataset { dataset } => {
                        creates += 1;
                        assert_eq!(state.dataset(&dataset.name), Some(dataset));
                        assert!(observed.imported.contains(&pool_of(&dataset.name)));
                        assert!(!observed.datasets.iter().any(|d| d.name == dataset.name));
                        assert!(!observed.volumes.iter().any(|v| v.name == dataset.name));
                    }
                    Action::CreateVolume { volume } => {
                        creates += 1;
                        assert_eq!(state.volume(&volume.name), Some(volume));
                        assert!(!observed.datasets.iter().any(|d| d.name == volume.name));
                        assert!(!observed.volumes.iter().any(|v| v.name == volume.name));
                    }
                    Action::Drift(_) => {}
                }
            }
            let text = serde_json::to_string(&got).unwrap();
            assert!(
                !text.contains("destroy") && !text.contains("create_pool"),
                "case {case}"
            );
            let acts = got.actions.iter().any(|a| !matches!(a, Action::Drift(_)));
            if !acts {
                // A fixed point: executing only reports changes nothing.
                assert!(got.awaiting_import.is_empty(), "case {case}");
                break;
            }
            assert!(pass < 2, "case {case}: no fixed point after {pass} passes");
            execute(&mut observed, &got);
        }
        // Whatever existed before still exists: nothing was taken away.
        for d in &before.datasets {
            assert!(observed.datasets.contains(d), "case {case}: {d:?} vanished");
        }
        for v in &before.volumes {
            assert!(observed.volumes.contains(v), "case {case}: {v:?} vanished");
        }
        assert!(before.imported.is_subset(&observed.imported));
    }
    // The generator reaches the interesting branches.
    assert!(
        imports > 500 && creates > 1000,
        "imports {imports}, creates {creates}"
    );
}

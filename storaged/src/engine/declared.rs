//! The desired state as the engine's operations use it: load it, compute
//! the change with the validated [`DesiredState`] methods before anything
//! runs, and save it only once the machine did what was asked.

use crate::names::DatasetName;
use crate::state::schema::is_below;
use crate::state::{
    DatasetProps, DesiredState, LoadError, MutationError, Removal, StateStore, Volume,
};

use super::{EngineError, Machine};

/// The state file of this daemon and what it declares now.
pub struct Declared {
    store: StateStore,
    pub state: DesiredState,
}

impl Declared {
    /// Reads `state.json` (an empty state when there is none yet).
    pub fn load(machine: &Machine) -> Result<Declared, LoadError> {
        let store = StateStore::new(&machine.state_dir);
        let loaded = store.load()?;
        Ok(Declared {
            store,
            state: loaded.state,
        })
    }

    /// Commits `next` after `done` happened on the machine. A failure here
    /// says what was done but not recorded, so the admin can act on it.
    pub fn commit(mut self, next: &DesiredState, done: &str) -> Result<(), EngineError> {
        self.store
            .save(next)
            .map_err(|source| EngineError::NotRecorded {
                done: done.to_string(),
                source: Box::new(source),
            })?;
        Ok(())
    }
}

/// `state` with the declared dataset `name` holding `props`. The state has
/// no method for that yet, so this goes through the validated ones: take
/// the dataset and everything declared below it out, put it back with the
/// new properties, then its children in name order.
pub fn with_dataset_props(
    state: &DesiredState,
    name: &DatasetName,
    props: DatasetProps,
) -> Result<DesiredState, MutationError> {
    let mut dataset = state
        .dataset(name)
        .cloned()
        .ok_or_else(|| MutationError::DatasetNotDeclared(name.clone()))?;
    dataset.properties = props;
    let below = |n: &DatasetName| is_below(n, name.as_str());
    let children: Vec<_> = state
        .datasets()
        .iter()
        .filter(|d| below(&d.name))
        .cloned()
        .collect();
    let volumes: Vec<_> = state
        .volumes()
        .iter()
        .filter(|v| below(&v.name))
        .cloned()
        .collect();
    let mut next = state
        .remove_dataset(name, Removal::Recursive)?
        .add_dataset(dataset)?;
    for child in children {
        next = next.add_dataset(child)?;
    }
    for volume in volumes {
        next = next.add_volume(volume)?;
    }
    Ok(next)
}

/// `state` with the declared volume `name` of `size_bytes` (checked
/// against its volblocksize by [`DesiredState::add_volume`]).
pub fn with_volume_size(
    state: &DesiredState,
    name: &DatasetName,
    size_bytes: u64,
) -> Result<DesiredState, MutationError> {
    let volume = state
        .volume(name)
        .cloned()
        .ok_or_else(|| MutationError::VolumeNotDeclared(name.clone()))?;
    state.remove_volume(name)?.add_volume(Volume {
        size_bytes,
        ..volume
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::state::{Dataset, Layout, Pool};

    fn state() -> DesiredState {
        let name = |s: &str| s.parse::<DatasetName>().unwrap();
        DesiredState::default()
            .add_pool(Pool {
                name: "tank".parse().unwrap(),
                layout: Layout::Stripe,
                vdevs: vec![crate::state::PoolVdev {
                    disks: vec!["nvme-a".parse().unwrap()],
                }],
                forced: BTreeSet::new(),
                created_unix: 0,
            })
            .unwrap()
            .add_dataset(Dataset {
                name: name("tank/a"),
                properties: DatasetProps::default(),
            })
            .unwrap()
            .add_dataset(Dataset {
                name: name("tank/a/b"),
                properties: DatasetProps::default(),
            })
            .unwrap()
            .add_volume(Volume::new(name("tank/a/v"), 1 << 20))
            .unwrap()
            .add_volume(Volume::new(name("tank/v"), 1 << 20))
            .unwrap()
    }

    #[test]
    fn new_dataset_properties_keep_everything_below() {
        let before = state();
        let name: DatasetName = "tank/a".parse().unwrap();
        let props = DatasetProps {
            quota: Some(1 << 30),
            ..DatasetProps::default()
        };
        let after = with_dataset_props(&before, &name, props).unwrap();
        assert_eq!(
            after.dataset(&name).unwrap().properties.quota,
            Some(1 << 30)
        );
        assert_eq!(after.datasets().len(), before.datasets().len());
        assert_eq!(after.volumes(), before.volumes());
        let back = with_dataset_props(&after, &name, DatasetProps::default()).unwrap();
        assert_eq!(back, before);
    }

    #[test]
    fn volume_sizes_are_checked_like_new_volumes() {
        let before = state();
        let name: DatasetName = "tank/v".parse().unwrap();
        let after = with_volume_size(&before, &name, 2 << 20).unwrap();
        assert_eq!(after.volume(&name).unwrap().size_bytes, 2 << 20);
        assert!(matches!(
            with_volume_size(&before, &name, 1000),
            Err(MutationError::BadVolume { .. })
        ));
        assert!(matches!(
            with_volume_size(&before, &"tank/nope".parse().unwrap(), 1 << 20),
            Err(MutationError::VolumeNotDeclared(_))
        ));
    }
}

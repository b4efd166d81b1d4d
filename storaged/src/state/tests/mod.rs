//! Tests of the state module: schema and mutations (unit), the store
//! (fixture: temp dirs), migrations, and the reconcile planner (unit).

mod reconcile;
mod reconcile_promises;
mod schema;
mod store;

use std::collections::BTreeSet;

use super::{Dataset, DatasetProps, DesiredState, Layout, Pool, Volume};
use crate::names::{DatasetName, DiskId, PoolName};

pub fn pn(s: &str) -> PoolName {
    s.parse().unwrap()
}

pub fn dn(s: &str) -> DatasetName {
    s.parse().unwrap()
}

pub fn disk(s: &str) -> DiskId {
    s.parse().unwrap()
}

pub fn pool(name: &str, layout: Layout, disks: &[&str]) -> Pool {
    Pool {
        name: pn(name),
        layout,
        vdevs: vec![crate::state::PoolVdev {
            disks: disks.iter().map(|d| disk(d)).collect(),
        }],
        forced: BTreeSet::new(),
        created_unix: 1_717_761_600,
    }
}

pub fn dataset(name: &str) -> Dataset {
    Dataset {
        name: dn(name),
        properties: DatasetProps::default(),
    }
}

pub fn nvme(n: u32) -> String {
    format!("nvme-QEMU_NVMe_Ctrl_IRONSTORNVME000{n}")
}

/// tank (raidz1 over four NVMe) with tank/vm, tank/vm/esx (a 100 GiB zvol)
/// and tank/share; bulk (a SATA mirror) with bulk/video.
pub fn sample_state() -> DesiredState {
    let disks: Vec<String> = (0..4).map(nvme).collect();
    let disks: Vec<&str> = disks.iter().map(String::as_str).collect();
    let mut tank = pool("tank", Layout::Raidz1, &disks);
    tank.forced.insert(disk(disks[3]));
    let mut video = dataset("bulk/video");
    video.properties.recordsize = Some(1 << 20);
    video.properties.compression = super::Compression::Off;
    let mut vm = dataset("tank/vm");
    vm.properties.quota = Some(500 << 30);
    DesiredState::default()
        .add_pool(tank)
        .unwrap()
        .add_pool(pool("bulk", Layout::Mirror, &["ata-A", "ata-B"]))
        .unwrap()
        .add_dataset(vm)
        .unwrap()
        .add_dataset(dataset("tank/share"))
        .unwrap()
        .add_dataset(video)
        .unwrap()
        .add_volume(Volume::new(dn("tank/vm/esx"), 100 << 30))
        .unwrap()
}

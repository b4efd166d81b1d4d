//! The schema's JSON shape and the mutation rules (unit).

use serde_json::json;

use super::*;
use crate::state::{MutationError, Removal, SyncMode, CURRENT_VERSION};

#[test]
fn empty_state_serializes_with_version_and_empty_sections() {
    let text = DesiredState::default().to_json();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value,
        json!({
            "schema_version": 4,
            "pools": [], "datasets": [], "volumes": [],
            "iscsi": {"targets": []},
            "nfs": {"exports": []},
            "smb": {
                "global": {"workgroup": "WORKGROUP", "server_string": "ironstor", "interfaces": []},
                "shares": []
            },
            "users": {"users": []},
            "network": {}
        })
    );
    assert!(
        text.contains("\n  \"schema_version\": 4,\n"),
        "pretty: {text}"
    );
    assert!(text.ends_with("}\n"));
}

#[test]
fn state_round_trips_through_json() {
    let state = sample_state();
    let back: DesiredState = serde_json::from_str(&state.to_json()).unwrap();
    assert_eq!(back, state);
    assert_eq!(back.schema_version(), CURRENT_VERSION);
}

#[test]
fn state_pool_serializes_vdevs_of_bare_disk_ids_and_forced_set() {
    let value = serde_json::to_value(sample_state()).unwrap();
    let tank = &value["pools"][1];
    assert_eq!(tank["name"], "tank");
    assert_eq!(tank["layout"], "raidz1");
    assert_eq!(tank.get("disks"), None, "v4 keeps members in vdevs only");
    assert_eq!(
        tank["vdevs"][0]["disks"][0],
        "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000"
    );
    assert_eq!(
        tank["forced"],
        json!(["nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0003"])
    );
    assert_eq!(tank["created_unix"], 1_717_761_600);
    let volume = &value["volumes"][0];
    assert_eq!(
        volume,
        &json!({
            "name": "tank/vm/esx", "size_bytes": 100u64 << 30, "volblocksize": 16384,
            "sparse": false, "sync": "standard", "compression": "lz4"
        })
    );
}

#[test]
fn state_collections_stay_sorted_by_name() {
    let state = sample_state();
    let pools: Vec<_> = state.pools().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(pools, ["bulk", "tank"]);
    let datasets: Vec<_> = state.datasets().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(datasets, ["bulk/video", "tank/share", "tank/vm"]);
}

/// Applies a mutation that must fail, and checks the message and that the
/// original state is still what it was.
fn refused(
    state: &DesiredState,
    change: impl FnOnce(&DesiredState) -> Result<DesiredState, MutationError>,
) -> String {
    let before = state.clone();
    let err = change(state).expect_err("mutation should be refused");
    assert_eq!(state, &before, "a refused mutation changed the state");
    err.to_string()
}

#[test]
fn state_dataset_under_undeclared_pool_is_refused_naming_it() {
    let s = sample_state();
    assert_eq!(
        refused(&s, |s| s.add_dataset(dataset("backup/x"))),
        "cannot declare backup/x: pool backup is not declared"
    );
    assert_eq!(
        refused(&s, |s| s
            .add_volume(Volume::new(dn("backup/lun0"), 1 << 30))),
        "cannot declare backup/lun0: pool backup is not declared"
    );
}

#[test]
fn state_duplicates_are_refused() {
    let s = sample_state();
    assert_eq!(
        refused(&s, |s| s.add_pool(pool("tank", Layout::Stripe, &["other"]))),
        "pool tank is already declared"
    );
    assert_eq!(
        refused(&s, |s| s.add_dataset(dataset("tank/vm"))),
        "tank/vm is already declared as a dataset"
    );
    assert_eq!(
        refused(&s, |s| s.add_volume(Volume::new(dn("tank/vm"), 1 << 30))),
        "tank/vm is already declared as a dataset"
    );
    assert_eq!(
        refused(&s, |s| s.add_dataset(dataset("tank/vm/esx"))),
        "tank/vm/esx is already declared as a volume"
    );
}

#[test]
fn state_bad_pools_are_refused() {
    let s = sample_state();
    assert_eq!(
        refused(&s, |s| s.add_pool(pool(
            "fast",
            Layout::Raidz2,
            &["a", "b", "c"]
        ))),
        "pool fast: a raidz2 vdev needs at least 4 disks, got 3"
    );
    // The zfs module's rule: a raidz1 of two disks is refused.
    assert_eq!(
        refused(&s, |s| s.add_pool(pool(
            "fast",
            Layout::Raidz1,
            &["a", "b"]
        ))),
        "pool fast: a raidz1 vdev needs at least 3 disks, got 2"
    );
    assert_eq!(
        refused(&s, |s| s.add_pool(pool("fast", Layout::Stripe, &[]))),
        "pool fast has no member disks"
    );
    assert_eq!(
        refused(&s, |s| s.add_pool(pool(
            "fast",
            Layout::Mirror,
            &["a", "a"]
        ))),
        "pool fast lists disk a twice"
    );
    assert_eq!(
        refused(&s, |s| s.add_pool(pool(
            "fast",
            Layout::Mirror,
            &["ata-A", "c"]
        ))),
        "pool fast: disk ata-A is already a member of pool bulk"
    );
    let mut forced = pool("fast", Layout::Mirror, &["a", "b"]);
    forced.forced.insert(disk("z"));
    assert_eq!(
        refused(&s, |s| s.add_pool(forced)),
        "pool fast forces disk z, which is not one of its members"
    );
}

#[test]
fn state_bad_children_are_refused() {
    let s = sample_state();
    assert_eq!(
        refused(&s, |s| s.add_dataset(dataset("tank/nope/x"))),
        "cannot declare tank/nope/x: its parent dataset tank/nope is not declared"
    );
    assert_eq!(
        refused(&s, |s| s.add_dataset(dataset("tank/vm/esx/x"))),
        "cannot declare tank/vm/esx/x: its parent tank/vm/esx is a volume"
    );
    let mut odd = dataset("tank/odd");
    odd.properties.recordsize = Some(3000);
    assert_eq!(
        refused(&s, |s| s.add_dataset(odd)),
        "dataset tank/odd: recordsize must be a power of two from 512 B to 16 MiB"
    );
    assert_eq!(
        refused(&s, |s| s.add_volume(Volume::new(dn("tank/v"), 0))),
        "volume tank/v: size must be more than zero"
    );
    assert_eq!(
        refused(&s, |s| s.add_volume(Volume::new(dn("tank/v"), 10_000))),
        "volume tank/v: size must be a multiple of volblocksize"
    );
    let mut v = Volume::new(dn("tank/v"), 1 << 30);
    v.volblocksize = 1 << 20;
    assert_eq!(
        refused(&s, |s| s.add_volume(v)),
        "volume tank/v: volblocksize must be a power of two from 512 B to 128 KiB"
    );
}

#[test]
fn state_removals_with_children_need_recursion() {
    let s = sample_state();
    assert_eq!(
        refused(&s, |s| s.remove_pool(&pn("tank"), Removal::Single)),
        "pool tank still declares 3 datasets or volumes; remove them first or remove recursively"
    );
    assert_eq!(
        refused(&s, |s| s.remove_dataset(&dn("tank/vm"), Removal::Single)),
        "dataset tank/vm still declares 1 datasets or volumes below it; remove them first or remove recursively"
    );
    assert_eq!(
        refused(&s, |s| s.remove_pool(&pn("nope"), Removal::Recursive)),
        "pool nope is not declared"
    );
    assert_eq!(
        refused(&s, |s| s.remove_volume(&dn("tank/vm"))),
        "volume tank/vm is not declared"
    );

    let no_tank = s.remove_pool(&pn("tank"), Removal::Recursive).unwrap();
    assert!(no_tank.pool(&pn("tank")).is_none());
    assert!(no_tank
        .datasets()
        .iter()
        .all(|d| d.name.as_str() == "bulk/video"));
    assert!(no_tank.volumes().is_empty());

    let no_vm = s
        .remove_dataset(&dn("tank/vm"), Removal::Recursive)
        .unwrap();
    assert!(no_vm.dataset(&dn("tank/vm")).is_none());
    assert!(no_vm.dataset(&dn("tank/share")).is_some());
    assert!(no_vm.volume(&dn("tank/vm/esx")).is_none());

    let bulk_gone = s
        .remove_dataset(&dn("bulk/video"), Removal::Single)
        .unwrap()
        .remove_pool(&pn("bulk"), Removal::Single)
        .unwrap();
    assert_eq!(bulk_gone.pools().len(), 1);
}

#[test]
fn state_validate_accepts_any_order_and_rejects_what_the_api_would() {
    let mut s = sample_state();
    s.datasets.reverse();
    assert!(s.validate().is_ok());
    assert_eq!(s.rebuilt().unwrap(), sample_state());
    let mut orphan = sample_state();
    orphan.volumes[0].name = dn("gone/lun");
    assert_eq!(
        orphan.validate().unwrap_err().to_string(),
        "cannot declare gone/lun: pool gone is not declared"
    );
}

#[test]
fn state_properties_default_when_omitted() {
    let d: Dataset = serde_json::from_value(json!({"name": "tank/x"})).unwrap();
    assert_eq!(d.properties, DatasetProps::default());
    assert_eq!(d.properties.sync, SyncMode::Standard);
    let v: Volume = serde_json::from_value(json!({"name": "tank/v", "size_bytes": 16384})).unwrap();
    assert_eq!(v, Volume::new(dn("tank/v"), 16384));
}

#[test]
fn state_zfs_values_keep_their_spelling() {
    // The state uses the zfs module's types; the file spells them as
    // zfs does, exactly as before they were shared.
    for layout in Layout::ALL {
        let text = serde_json::to_string(&layout).unwrap();
        assert_eq!(text, format!("\"{layout}\""));
        assert_eq!(serde_json::from_str::<Layout>(&text).unwrap(), layout);
    }
    assert_eq!(serde_json::to_value(Layout::Raidz1).unwrap(), "raidz1");
    for spelling in ["off", "lz4", "zstd", "gzip", "zle"] {
        let d: Dataset = serde_json::from_value(
            json!({"name": "tank/x", "properties": {"compression": spelling, "sync": "always"}}),
        )
        .unwrap();
        assert_eq!(d.properties.compression.to_string(), spelling);
        assert_eq!(d.properties.sync, SyncMode::Always);
        assert_eq!(
            serde_json::to_value(&d).unwrap()["properties"]["compression"],
            spelling
        );
    }
    let bad = serde_json::from_value::<Dataset>(
        json!({"name": "tank/x", "properties": {"compression": "LZ4"}}),
    );
    assert!(bad.is_err());
}

#[test]
fn striped_mirrors_are_declared_and_uneven_vdevs_refused() {
    let mut p = pool("fast", Layout::Mirror, &["a", "b"]);
    p.vdevs.push(crate::state::PoolVdev {
        disks: vec![disk("c"), disk("d")],
    });
    let state = DesiredState::default().add_pool(p.clone()).unwrap();
    let declared = state.pool(&pn("fast")).unwrap();
    assert_eq!(declared.vdevs.len(), 2);
    assert_eq!(declared.disks().len(), 4);

    let mut uneven = p.clone();
    uneven.vdevs[1].disks.push(disk("e"));
    assert_eq!(
        DesiredState::default()
            .add_pool(uneven)
            .unwrap_err()
            .to_string(),
        "pool fast: its vdevs have 2, 3 disks; every vdev needs as many as the first"
    );
    let mut short = p;
    short.vdevs[1].disks.pop();
    assert!(matches!(
        DesiredState::default().add_pool(short).unwrap_err(),
        MutationError::TooFewDisks { got: 1, .. }
    ));
}

#[test]
fn a_member_is_replaced_in_its_vdev_and_the_forced_set_follows() {
    let mut p = pool("fast", Layout::Mirror, &["a", "b"]);
    p.forced.insert(disk("b"));
    let state = DesiredState::default()
        .add_pool(p)
        .unwrap()
        .add_pool(pool("other", Layout::Stripe, &["z"]))
        .unwrap();
    let next = state
        .replace_pool_disk(&pn("fast"), &disk("b"), &disk("c"), true)
        .unwrap();
    let fast = next.pool(&pn("fast")).unwrap();
    assert_eq!(fast.vdevs[0].disks, [disk("a"), disk("c")]);
    assert_eq!(fast.forced.iter().collect::<Vec<_>>(), [&disk("c")]);
    assert!(matches!(
        state.replace_pool_disk(&pn("fast"), &disk("x"), &disk("c"), false),
        Err(MutationError::NotMember { .. })
    ));
    assert!(matches!(
        state.replace_pool_disk(&pn("fast"), &disk("a"), &disk("z"), false),
        Err(MutationError::DiskInOtherPool { .. })
    ));
    assert!(matches!(
        state.replace_pool_disk(&pn("fast"), &disk("a"), &disk("b"), false),
        Err(MutationError::DuplicateDisk { .. })
    ));
}

//! The executor against [`FakeZfs`] (fixture tier: the fake runner, temp
//! dirs for the state file).

use std::collections::BTreeSet;

use super::*;
use crate::names::DiskId;
use crate::runner::Program;
use crate::state::{DatasetProps, Layout, Pool};
use crate::zfs::fake::FakeZfs;
use crate::zfs::{Compression, PoolSpec};

const TB: u64 = 1 << 40;
const GB: u64 = 1 << 30;
const BASE: &str = "/var/mnt";

fn pn(s: &str) -> PoolName {
    s.parse().unwrap()
}

fn dn(s: &str) -> DatasetName {
    s.parse().unwrap()
}

fn disks(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("nvme-{prefix}_{i:04}")).collect()
}

fn declared_pool(name: &str, layout: Layout, disks: &[String]) -> Pool {
    Pool {
        name: pn(name),
        layout,
        vdevs: vec![crate::state::PoolVdev {
            disks: disks.iter().map(|d| d.parse::<DiskId>().unwrap()).collect(),
        }],
        forced: BTreeSet::new(),
        created_unix: 1_750_000_000,
    }
}

/// Creates the pool on the fake the way the API would, under `base`.
fn create(fake: &FakeZfs, pool: &Pool, base: &Path) {
    zfs::create_pool(
        fake,
        &PoolSpec {
            name: pool.name.clone(),
            layout: pool.layout,
            vdevs: pool.vdev_disks(),
            mount_base: base.into(),
            force: false,
        },
    )
    .unwrap();
}

fn dataset(name: &str) -> Dataset {
    Dataset {
        name: dn(name),
        properties: DatasetProps::default(),
    }
}

/// Two pools on a fake, mounted under `BASE`: tank (mirror, with tank/vm
/// already made) and bulk (stripe). Declared: both pools, tank/vm,
/// tank/share, bulk/video (1M records, no compression), a thick 100G zvol
/// tank/vm/esx and a sparse 1T zvol bulk/thin.
fn machine() -> (FakeZfs, DesiredState) {
    machine_under(Path::new(BASE))
}

fn machine_under(base: &Path) -> (FakeZfs, DesiredState) {
    let tank_disks = disks("TANK", 2);
    let bulk_disks = disks("BULK", 1);
    let fake = FakeZfs::with_disks(tank_disks.iter().chain(&bulk_disks), 2 * TB);
    let tank = declared_pool("tank", Layout::Mirror, &tank_disks);
    let bulk = declared_pool("bulk", Layout::Stripe, &bulk_disks);
    create(&fake, &tank, base);
    create(&fake, &bulk, base);
    zfs::create_dataset(
        &fake,
        &DatasetSpec {
            compression: Some(Compression::Lz4),
            ..DatasetSpec::new(dn("tank/vm"))
        },
    )
    .unwrap();

    let mut video = dataset("bulk/video");
    video.properties.recordsize = Some(1 << 20);
    video.properties.compression = Compression::Off;
    let mut thin = Volume::new(dn("bulk/thin"), TB);
    thin.sparse = true;
    let desired = DesiredState::default()
        .add_pool(tank)
        .unwrap()
        .add_pool(bulk)
        .unwrap()
        .add_dataset(dataset("tank/vm"))
        .unwrap()
        .add_dataset(dataset("tank/share"))
        .unwrap()
        .add_dataset(video)
        .unwrap()
        .add_volume(Volume::new(dn("tank/vm/esx"), 100 * GB))
        .unwrap()
        .add_volume(thin)
        .unwrap();
    fake.clear_commands();
    (fake, desired)
}

fn done(report: &ReconcileReport) -> Vec<String> {
    report.actions.iter().map(ToString::to_string).collect()
}

/// Nothing destroyed, nothing forced, no property changed, no pool made.
fn assert_harmless(fake: &FakeZfs) {
    for line in fake.command_lines() {
        assert!(
            !line.contains("destroy")
                && !line.contains(" -f")
                && !line.starts_with("zfs set")
                && !line.starts_with("zpool create")
                && !line.contains("rollback"),
            "{line}"
        );
    }
}

#[test]
fn reconcile_fresh_boot_imports_declared_pools_and_creates_what_is_missing() {
    let (fake, desired) = machine();
    fake.simulate_reboot();
    fake.clear_commands();

    let report = reconcile(&fake, &desired, Path::new(BASE));
    assert_eq!(
        done(&report),
        [
            "imported pool bulk",
            "imported pool tank",
            "created dataset bulk/video",
            "created dataset tank/share",
            "created volume bulk/thin (1 TiB, sparse)",
            "created volume tank/vm/esx (100 GiB, thick)",
        ]
    );
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(report.passes, 2);
    assert_eq!(report.unchanged, 1, "tank/vm was there already");
    assert_eq!(fake.imported_pools().len(), 2);
    for pool in ["tank", "bulk"] {
        assert_eq!(fake.cachefile(pool).as_deref(), Some("none"), "{pool}");
    }
    for name in ["bulk/video", "bulk/thin", "tank/share", "tank/vm/esx"] {
        assert!(fake.exists(name), "{name}");
    }
    assert!(fake.is_mounted("tank/share") && fake.is_mounted("bulk/video"));
    let imports: Vec<String> = fake
        .command_lines()
        .into_iter()
        .filter(|l| l.starts_with("zpool import"))
        .collect();
    assert_eq!(
        imports,
        [
            "zpool import -d /dev/disk/by-id -N -o cachefile=none bulk",
            "zpool import -d /dev/disk/by-id -N -o cachefile=none tank",
        ]
    );
    assert_harmless(&fake);

    // The datasets carry what was declared, so nothing drifts afterwards.
    let video = zfs::get_dataset(&fake, &dn("bulk/video")).unwrap();
    assert_eq!(video.recordsize, Some(1 << 20));
    assert_eq!(video.compression, Compression::Off);
    let thin = zfs::get_dataset(&fake, &dn("bulk/thin")).unwrap();
    assert!(thin.is_sparse() && thin.volmode == zfs::VolMode::Dev);
}

#[test]
fn reconcile_second_run_is_all_unchanged_and_only_reads() {
    let (fake, desired) = machine();
    fake.simulate_reboot();
    let first = reconcile(&fake, &desired, Path::new(BASE));
    assert!(first.is_clean(), "{first:#?}");
    fake.clear_commands();

    let second = reconcile(&fake, &desired, Path::new(BASE));
    assert!(
        second.actions.iter().all(|e| e.result
            == ActionResult::Done {
                outcome: Outcome::Unchanged
            }),
        "{second:#?}"
    );
    assert!(second.is_clean());
    assert_eq!(second.passes, 1);
    // 2 pools, 3 datasets, 2 volumes.
    assert_eq!(second.unchanged, 7);
    assert_eq!(
        second.lines(),
        ["state reconciled: 0 imported, 0 created, 7 unchanged, 0 failed, 0 drift"]
    );
    for line in fake.command_lines() {
        assert!(
            line.starts_with("zpool list ") || line.starts_with("zfs list "),
            "a converged machine is only read: {line}"
        );
    }
}

#[test]
fn reconcile_pool_in_use_elsewhere_is_reported_and_not_imported() {
    let tank_disks = disks("TANK", 2);
    let fake = FakeZfs::with_disks(&tank_disks, TB);
    let ids: Vec<&str> = tank_disks.iter().map(String::as_str).collect();
    fake.add_foreign_pool("tank", Layout::Mirror, &ids, "nas-old");
    let desired = DesiredState::default()
        .add_pool(declared_pool("tank", Layout::Mirror, &tank_disks))
        .unwrap()
        .add_dataset(dataset("tank/share"))
        .unwrap();

    let report = reconcile(&fake, &desired, Path::new(BASE));
    assert!(report.actions.is_empty(), "{report:#?}");
    assert_eq!(
        report.drift,
        [Drift::PoolInUseElsewhere {
            pool: pn("tank"),
            host: Some("nas-old".into()),
        }]
    );
    assert!(fake.imported_pools().is_empty());
    assert_eq!(
        fake.command_lines()
            .iter()
            .filter(|l| l.starts_with("zpool import"))
            .count(),
        1,
        "tried once, without -f"
    );
    assert_harmless(&fake);
    assert!(report.lines()[0].starts_with(
        "drift: pool tank looks in use by another system (last accessed by nas-old); not importing it"
    ));
}

#[test]
fn reconcile_missing_pool_is_drift_and_the_others_go_on() {
    let (fake, desired) = machine();
    let desired = desired
        .add_pool(declared_pool("backup", Layout::Mirror, &disks("GONE", 2)))
        .unwrap();
    fake.simulate_reboot();

    let report = reconcile(&fake, &desired, Path::new(BASE));
    assert_eq!(report.drift, [Drift::PoolMissing { pool: pn("backup") }]);
    assert_eq!(report.failures().count(), 0);
    assert_eq!(report.actions.len(), 6, "{:#?}", report.actions);
    assert!(report.lines().contains(
        &"drift: pool backup is declared but not found (are its disks plugged in and alive?)"
            .to_string()
    ));
    assert_harmless(&fake);
}

#[test]
fn reconcile_drift_is_reported_not_fixed() {
    let (fake, desired) = machine();
    let first = reconcile(&fake, &desired, Path::new(BASE));
    assert!(first.is_clean(), "{first:#?}");

    // Someone changes tank/vm by hand and makes a dataset of their own.
    fake.run(&crate::runner::CommandLine::new(
        Program::Zfs,
        ["set", "compression=zstd", "tank/vm"],
    ))
    .unwrap();
    zfs::create_dataset(&fake, &DatasetSpec::new(dn("tank/scratch"))).unwrap();
    fake.clear_commands();

    let report = reconcile(&fake, &desired, Path::new(BASE));
    assert!(report.actions.is_empty());
    assert_eq!(
        report.drift,
        [
            Drift::Property {
                name: dn("tank/vm"),
                kind: Kind::Dataset,
                property: "compression",
                desired: "lz4".into(),
                observed: "zstd".into(),
            },
            Drift::Undeclared {
                name: dn("tank/scratch"),
                kind: Kind::Dataset,
            },
        ]
    );
    assert_eq!(report.unchanged, 7);
    assert_eq!(
        report.lines(),
        [
            "drift: dataset tank/vm has compression zstd, declared lz4; left as it is",
            "drift: dataset tank/scratch exists but is not declared; left alone",
            "state reconciled with problems: 0 imported, 0 created, 7 unchanged, 0 failed, 2 drift",
        ]
    );
    assert_harmless(&fake);
}

#[test]
fn reconcile_reports_a_pool_mounted_outside_the_mount_base() {
    let (fake, desired) = machine();
    let report = reconcile(&fake, &desired, Path::new("/var/lib/other/pools/"));
    let moved: Vec<&Drift> = report
        .drift
        .iter()
        .filter(|d| matches!(d, Drift::PoolMountpoint { .. }))
        .collect();
    assert_eq!(moved.len(), 2, "{report:#?}");
    assert_eq!(
        moved[0],
        &Drift::PoolMountpoint {
            pool: pn("bulk"),
            desired: "/var/lib/other/pools/bulk".into(),
            observed: "/var/mnt/bulk".into(),
        }
    );
    assert!(reconcile(&fake, &desired, Path::new(BASE)).is_clean());
}

#[test]
fn reconcile_one_failing_action_does_not_stop_the_others() {
    let (fake, desired) = machine();
    fake.fail_next(
        Program::Zfs,
        &[
            "create",
            "-o",
            "sync=standard",
            "-o",
            "compression=lz4",
            "tank/share",
        ],
        "cannot create 'tank/share': I/O error",
    );

    let report = reconcile(&fake, &desired, Path::new(BASE));
    let failed: Vec<String> = report.failures().map(ToString::to_string).collect();
    assert_eq!(
        failed,
        ["could not create dataset tank/share: cannot create tank/share: `zfs create -o sync=standard -o compression=lz4 tank/share` failed (exit status: 1): cannot create 'tank/share': I/O error"]
    );
    assert_eq!(report.actions.len(), 4, "the other three were created");
    assert!(fake.exists("tank/vm/esx") && fake.exists("bulk/video"));
    assert!(!fake.exists("tank/share"));
    assert!(!report.is_clean());
    assert!(report.lines().last().unwrap().contains("1 failed"));

    // The next reconcile makes it.
    let again = reconcile(&fake, &desired, Path::new(BASE));
    assert_eq!(done(&again), ["created dataset tank/share"]);
    assert!(again.is_clean());
}

#[test]
fn reconcile_a_failed_import_is_reported_once_and_does_not_loop() {
    let (fake, desired) = machine();
    fake.simulate_reboot();
    fake.fail_next(
        Program::Zpool,
        &["import"],
        "cannot import 'bulk': I/O error\n\tDestroy and re-create the pool from\n\ta backup source.",
    );

    let report = reconcile(&fake, &desired, Path::new(BASE));
    let lines = done(&report);
    assert!(
        lines[0].starts_with("could not import pool bulk: cannot import pool bulk: `zpool import -d /dev/disk/by-id -N -o cachefile=none bulk` failed"),
        "{lines:?}"
    );
    assert_eq!(lines[1], "imported pool tank");
    assert_eq!(report.passes, 2);
    assert_eq!(report.failures().count(), 1);
    assert!(fake.exists("tank/share") && !fake.exists("bulk/video"));
    assert_harmless(&fake);
}

#[test]
fn reconcile_that_cannot_observe_stops_and_says_why() {
    let (fake, desired) = machine();
    fake.fail_next(
        Program::Zpool,
        &["list"],
        "The ZFS modules are not loaded.\nTry running 'modprobe zfs' as root to load them.",
    );
    let report = reconcile(&fake, &desired, Path::new(BASE));
    assert!(report.actions.is_empty());
    let error = report.error.as_deref().unwrap();
    assert!(
        error.starts_with("cannot list pools: `zpool list") && error.contains("modprobe zfs"),
        "{error}"
    );
    assert_eq!(
        report.lines().last().unwrap(),
        "reconcile incomplete: 0 imported, 0 created, 0 unchanged, 0 failed, 0 drift"
    );
}

#[test]
fn observe_maps_rows_and_leaves_out_pool_roots_and_undeclared_pools() {
    let (fake, desired) = machine();
    let other = disks("USB", 1);
    fake.add_disk(&other[0], TB);
    create(
        &fake,
        &declared_pool("usb", Layout::Stripe, &other),
        Path::new(BASE),
    );
    zfs::create_dataset(&fake, &DatasetSpec::new(dn("usb/stuff"))).unwrap();
    zfs::create_zvol(&fake, &ZvolSpec::new(dn("tank/lun"), GB)).unwrap();
    fake.simulate_reboot();
    zfs::ensure_imported(&fake, &pn("tank"), false).unwrap();
    zfs::ensure_imported(&fake, &pn("usb"), false).unwrap();

    let observed = observe(&fake, &desired).unwrap();
    assert_eq!(observed.imported, [pn("tank"), pn("usb")].into());
    assert_eq!(
        observed.importable,
        [ImportablePool {
            name: pn("bulk"),
            in_use_elsewhere: false,
            host: None,
        }]
    );
    assert_eq!(
        observed.datasets,
        [ObservedDataset {
            name: dn("tank/vm"),
            compression: "lz4".into(),
            sync: "standard".into(),
            quota: 0,
            recordsize: 128 << 10,
        }]
    );
    assert_eq!(observed.volumes.len(), 1);
    let lun = &observed.volumes[0];
    assert_eq!(
        (lun.name.as_str(), lun.volsize, lun.volblocksize, lun.sparse),
        ("tank/lun", GB, 16384, false)
    );
    assert_eq!(
        (lun.compression.as_str(), lun.sync.as_str()),
        ("lz4", "standard")
    );
}

#[test]
fn reconcile_report_serializes_for_the_api() {
    let (fake, desired) = machine();
    fake.simulate_reboot();
    let report = reconcile(&fake, &desired, Path::new(BASE));
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(
        v["actions"][0],
        serde_json::json!({
            "action": {"action": "import_pool", "pool": "bulk"},
            "result": "done",
            "outcome": "imported"
        })
    );
    assert_eq!(v["passes"], 2);
    assert_eq!(v["error"], serde_json::Value::Null);
}

#[test]
fn at_start_logs_one_line_per_action_and_drift() {
    let dir = tempfile::tempdir().unwrap();
    // The pools were made (by the API) under the state dir's pools dir.
    let (fake, desired) = machine_under(&pool_mount_base(dir.path()));
    let desired = desired
        .add_pool(declared_pool("backup", Layout::Mirror, &disks("GONE", 2)))
        .unwrap();
    StateStore::new(dir.path()).save(&desired).unwrap();
    fake.simulate_reboot();

    let lines = reconcile_at_start(&fake, dir.path(), dir.path());
    assert_eq!(
        lines,
        [
            "imported pool bulk",
            "imported pool tank",
            "created dataset bulk/video",
            "created dataset tank/share",
            "created volume bulk/thin (1 TiB, sparse)",
            "created volume tank/vm/esx (100 GiB, thick)",
            "drift: pool backup is declared but not found (are its disks plugged in and alive?)",
            "state reconciled with problems: 2 imported, 4 created, 1 unchanged, 0 failed, 1 drift",
        ]
    );
    assert_eq!(pool_mount_base(Path::new("/")), Path::new(BASE));
}

#[test]
fn at_start_a_state_file_that_does_not_load_is_one_loud_line_and_no_commands() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.json"), "{ not json").unwrap();
    let fake = FakeZfs::new();
    let lines = reconcile_at_start(&fake, dir.path(), dir.path());
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("ERROR: state file ") && lines[0].contains("is corrupt"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("the API still serves"));
    assert!(fake.commands().is_empty());
}

#[test]
fn at_start_with_no_state_file_reconciles_an_empty_state() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeZfs::new();
    assert_eq!(
        reconcile_at_start(&fake, dir.path(), dir.path()),
        ["state reconciled: 0 imported, 0 created, 0 unchanged, 0 failed, 0 drift"]
    );
}

#[test]
fn the_host_is_read_from_both_import_wordings() {
    assert_eq!(
        last_accessed_by("cannot import 'tank': pool was previously in use from another system. Last accessed by nas-old (hostid=5f3a9c21) at Tue Jun 3 09:12:44 2025").as_deref(),
        Some("nas-old")
    );
    assert_eq!(
        last_accessed_by("pool may be in use from other system, it was last accessed by nas-old (hostid: 0x5f3a9c21)").as_deref(),
        Some("nas-old")
    );
    assert_eq!(last_accessed_by("cannot import 'tank': busy"), None);
}

/// A tiny deterministic generator: the test must not depend on a seed
/// from outside.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// A random machine on a fake and a random declaration over pools tank
/// and fast: each pool imported, exported, in use elsewhere or absent,
/// holding random datasets and zvols, declared or not.
fn generated_case(rng: &mut Rng) -> (FakeZfs, DesiredState) {
    let fake = FakeZfs::new();
    let mut desired = DesiredState::default();
    let children = ["a", "a/b", "a/b/c", "v", "a/v", "x"];
    for name in ["tank", "fast"] {
        let ids = disks(name, 2);
        for id in &ids {
            fake.add_disk(id, TB);
        }
        let pool = declared_pool(name, Layout::Mirror, &ids);
        let fate = rng.below(4);
        match fate {
            0 | 1 => {
                create(&fake, &pool, Path::new(BASE));
                for child in children {
                    let full = dn(&format!("{name}/{child}"));
                    if rng.chance(2) {
                        // Parents may be missing or of the other kind: the
                        // fake refuses those, which is fine here.
                        let _ = if child.ends_with('v') != rng.chance(5) {
                            zfs::create_zvol(&fake, &ZvolSpec::new(full, GB)).map(drop)
                        } else {
                            zfs::create_dataset(&fake, &DatasetSpec::new(full)).map(drop)
                        };
                    }
                }
                if fate == 1 {
                    zfs::export_pool(&fake, &pool.name).unwrap();
                }
            }
            2 => {
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                fake.add_foreign_pool(name, Layout::Mirror, &refs, "nas-old");
            }
            _ => {}
        }
        if rng.chance(4) {
            continue;
        }
        desired = desired.add_pool(pool).unwrap();
        for child in children {
            if rng.chance(2) {
                let full = dn(&format!("{name}/{child}"));
                desired = if child.ends_with('v') {
                    desired.add_volume(Volume::new(full, GB))
                } else {
                    desired.add_dataset(Dataset {
                        name: full,
                        properties: DatasetProps::default(),
                    })
                }
                .unwrap_or(desired);
            }
        }
    }
    if rng.chance(2) {
        fake.simulate_reboot();
    }
    fake.clear_commands();
    (fake, desired)
}

#[test]
fn reconcile_never_destroys_never_forces_and_converges_on_generated_machines() {
    let mut rng = Rng(0x5eed_cafe_0000_0042);
    let (mut imports, mut actions, mut drifts) = (0, 0, 0);
    for case in 0..400 {
        let (fake, desired) = generated_case(&mut rng);
        let before: Vec<String> = fake
            .imported_pools()
            .iter()
            .flat_map(|p| zfs::list_datasets(&fake, &pn(p)).unwrap())
            .map(|row| row.name)
            .collect();
        fake.clear_commands();

        let first = reconcile(&fake, &desired, Path::new(BASE));
        assert_harmless(&fake);
        assert!(first.error.is_none(), "case {case}: {first:#?}");
        assert_eq!(first.failures().count(), 0, "case {case}: {first:#?}");
        assert!(first.passes <= 2, "case {case}: {first:#?}");
        for name in &before {
            assert!(fake.exists(name), "case {case}: {name} vanished");
        }
        for d in &first.drift {
            if let Drift::PoolInUseElsewhere { pool, .. } = d {
                assert!(!fake.imported_pools().contains(&pool.to_string()));
            }
        }
        imports += first
            .actions
            .iter()
            .filter(|e| matches!(e.action, Action::ImportPool { .. }))
            .count();
        actions += first.actions.len();
        drifts += first.drift.len();

        // A fixed point: the second reconcile does nothing and sees the
        // same drift.
        let second = reconcile(&fake, &desired, Path::new(BASE));
        assert_harmless(&fake);
        assert!(second.actions.is_empty(), "case {case}: {second:#?}");
        assert_eq!(second.drift, first.drift, "case {case}");
    }
    // The generator reaches the interesting branches.
    assert!(
        imports > 50 && actions > 300 && drifts > 300,
        "imports {imports}, actions {actions}, drift {drifts}"
    );
}

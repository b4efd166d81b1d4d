//! A pool from creation to destruction, import at boot, status, scrub.

use super::*;
use crate::runner::{CommandRunner, Program};
use crate::zfs::fake::FakeZfs;
use crate::zfs::*;

#[test]
fn the_whole_life_of_a_pool() {
    let disks = disk_ids(2);
    let fake = FakeZfs::with_disks(&disks, 2 * TB);

    // Create: the command run is the plan's.
    let plan = create_pool(&fake, &spec(Layout::Mirror, &disks)).unwrap();
    assert_eq!(fake.command_lines(), [plan.commands[0].to_string()]);
    assert!(fake.is_mounted("tank"));
    let status = pool_status(&fake, &pool()).unwrap();
    assert_eq!(status.health, Health::Online);
    assert_eq!(status.size, 2 * TB);
    assert_eq!(status.vdevs[0].name, "mirror-0");
    let leaves: Vec<&str> = status.vdevs[0]
        .children
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(leaves, disks);

    // A dataset for NFS and two zvols for iSCSI.
    create_dataset(&fake, &DatasetSpec::new(ds("tank/nfs"))).unwrap();
    create_zvol(&fake, &ZvolSpec::new(ds("tank/vm1"), 100 * GB)).unwrap();
    let mut thin = ZvolSpec::new(ds("tank/thin"), 4 * TB);
    thin.sparse = true;
    let plan = create_zvol(&fake, &thin).unwrap();
    assert_eq!(plan.warnings[0].kind, WarningKind::ThinProvisioned);

    let rows = list_datasets(&fake, &pool()).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["tank", "tank/nfs", "tank/thin", "tank/vm1"]);
    let nfs = &rows[1];
    assert_eq!(nfs.compression, Compression::Lz4, "inherited from the pool");
    assert_eq!(
        nfs.mountpoint.as_deref(),
        Some("/var/lib/ironstor/pools/tank/nfs")
    );
    assert_eq!(nfs.mounted, Some(true));
    let vm1 = get_dataset(&fake, &ds("tank/vm1")).unwrap();
    assert_eq!(
        (vm1.kind, vm1.volsize, vm1.volblocksize, vm1.volmode),
        (
            DatasetKind::Volume,
            Some(100 * GB),
            Some(16384),
            VolMode::Dev
        )
    );
    assert!(!vm1.is_sparse() && vm1.refreservation > 100 * GB);
    assert!(rows[2].is_sparse(), "the thin zvol over-commits the pool");
    assert!(rows[2].volsize.unwrap() > status.size);

    // Snapshots and rollback to the latest only.
    create_snapshot(&fake, &snap("tank/vm1@a")).unwrap();
    fake.write("tank/vm1", 5 * GB);
    create_snapshot(&fake, &snap("tank/vm1@b")).unwrap();
    fake.write("tank/vm1", GB);
    let snaps = list_snapshots(&fake, &ds("tank/vm1")).unwrap();
    let names: Vec<&str> = snaps.iter().map(|s| s.snapshot.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(snaps[1].referenced > snaps[0].referenced);
    match rollback(&fake, &snap("tank/vm1@a"), false) {
        Err(ZfsError::NewerSnapshots { snapshot, newer }) => {
            assert_eq!(
                (snapshot.as_str(), newer),
                ("tank/vm1@a", vec!["tank/vm1@b".to_string()])
            );
        }
        other => panic!("{other:?}"),
    }
    rollback(&fake, &snap("tank/vm1@b"), false).unwrap();
    rollback(&fake, &snap("tank/vm1@a"), true).unwrap();
    assert_eq!(list_snapshots(&fake, &ds("tank/vm1")).unwrap().len(), 1);
    assert!(!fake.exists("tank/vm1@b"));

    // Resize: grow, no-op, refuse to shrink unasked.
    assert_eq!(
        resize_zvol(&fake, &ds("tank/vm1"), 200 * GB, false).unwrap(),
        Change::Updated
    );
    assert_eq!(
        resize_zvol(&fake, &ds("tank/vm1"), 200 * GB, false).unwrap(),
        Change::Unchanged
    );
    fake.clear_commands();
    assert!(matches!(
        resize_zvol(&fake, &ds("tank/vm1"), 50 * GB, false),
        Err(ZfsError::ShrinkRefused { from, to, .. }) if from == 200 * GB && to == 50 * GB
    ));
    assert!(!ran(&fake, "zfs set"), "nothing was changed");
    resize_zvol(&fake, &ds("tank/vm1"), 150 * GB, true).unwrap();
    assert_eq!(
        get_dataset(&fake, &ds("tank/vm1")).unwrap().volsize,
        Some(150 * GB)
    );

    // Quotas on the dataset.
    set_quota(&fake, &ds("tank/nfs"), QuotaKind::Quota, Some(10 * GB)).unwrap();
    fake.write("tank/nfs", 3 * GB);
    assert!(matches!(
        set_quota(&fake, &ds("tank/nfs"), QuotaKind::Refquota, Some(GB)),
        Err(ZfsError::QuotaBelowUsed {
            kind: QuotaKind::Refquota,
            ..
        })
    ));
    let nfs = get_dataset(&fake, &ds("tank/nfs")).unwrap();
    assert_eq!(nfs.quota, Some(10 * GB));
    assert!(nfs.available < 10 * GB - 3 * GB + 1);
    set_quota(&fake, &ds("tank/nfs"), QuotaKind::Quota, None).unwrap();
    assert_eq!(get_dataset(&fake, &ds("tank/nfs")).unwrap().quota, None);

    // Destroy refuses a zvol with a snapshot, then does it when asked.
    fake.clear_commands();
    match destroy_dataset(&fake, &ds("tank/vm1"), false) {
        Err(ZfsError::HasDependents {
            dataset,
            dependents,
        }) => {
            assert_eq!(dataset, "tank/vm1");
            assert_eq!(dependents, ["tank/vm1@a"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(!ran(&fake, "zfs destroy"));
    let gone = destroy_dataset(&fake, &ds("tank/vm1"), true).unwrap();
    assert_eq!(gone, ["tank/vm1", "tank/vm1@a"]);
    assert!(ran(&fake, "zfs destroy -r tank/vm1"));
    assert!(!fake.exists("tank/vm1"));
    destroy_dataset(&fake, &ds("tank/thin"), false).unwrap();

    // Export, then import by id at boot.
    export_pool(&fake, &pool()).unwrap();
    assert!(fake.imported_pools().is_empty());
    assert_eq!(
        ensure_imported(&fake, &pool(), false).unwrap(),
        ImportOutcome::Imported { forced: false }
    );
    assert!(fake.is_mounted("tank/nfs"));
    assert_eq!(
        ensure_imported(&fake, &pool(), false).unwrap(),
        ImportOutcome::AlreadyImported
    );

    // Destroy only with the name repeated.
    fake.clear_commands();
    assert!(matches!(
        destroy_pool(&fake, &pool(), "yes"),
        Err(ZfsError::ConfirmationMismatch { confirmation, .. }) if confirmation == "yes"
    ));
    assert!(fake.commands().is_empty(), "nothing was run");
    destroy_pool(&fake, &pool(), "tank").unwrap();
    assert_eq!(fake.command_lines(), ["zpool destroy tank"]);
    assert!(matches!(
        pool_status(&fake, &pool()),
        Err(ZfsError::NoSuchPool { .. })
    ));
}

#[test]
fn import_at_boot_is_by_id_without_force_then_mounts() {
    let (fake, _) = fake_with_pool(2);
    create_dataset(&fake, &DatasetSpec::new(ds("tank/share"))).unwrap();
    fake.simulate_reboot();
    fake.clear_commands();
    let outcome = ensure_imported(&fake, &pool(), false).unwrap();
    assert_eq!(outcome, ImportOutcome::Imported { forced: false });
    assert_eq!(
        fake.command_lines(),
        [
            "zpool list -H -p -o name,health,size,allocated,free,capacity,fragmentation tank",
            "zpool import -d /dev/disk/by-id -N -o cachefile=none tank",
            "zfs mount -R tank",
        ]
    );
    assert!(fake.is_mounted("tank") && fake.is_mounted("tank/share"));
}

#[test]
fn pools_never_use_a_cache_file_on_create_or_import() {
    // /etc is read-only on the appliance: neither zpool create nor the
    // import at boot may ask for /etc/zfs/zpool.cache.
    let (fake, _) = fake_with_pool(2);
    assert_eq!(fake.cachefile("tank").as_deref(), Some("none"));
    fake.simulate_reboot();
    ensure_imported(&fake, &pool(), false).unwrap();
    assert_eq!(fake.cachefile("tank").as_deref(), Some("none"));

    // The property is not kept across imports: a bare import would go
    // back to the default cache file, which is why every import repeats it.
    export_pool(&fake, &pool()).unwrap();
    fake.run(&crate::runner::CommandLine::new(
        Program::Zpool,
        ["import", "-N", "tank"],
    ))
    .unwrap();
    assert_eq!(fake.cachefile("tank").as_deref(), Some("-"));
}

#[test]
fn import_refuses_a_pool_in_use_elsewhere_without_force() {
    let disks = disk_ids(2);
    let fake = FakeZfs::with_disks(&disks, TB);
    let ids: Vec<&str> = disks.iter().map(String::as_str).collect();
    fake.add_foreign_pool("tank", Layout::Mirror, &ids, "nas-old");

    match ensure_imported(&fake, &pool(), false) {
        Err(e @ ZfsError::PoolInUseElsewhere { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("pool tank looks in use by another system"),
                "{msg}"
            );
            assert!(msg.contains("Last accessed by nas-old"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.imported_pools().is_empty());
    assert!(!fake.command_lines().iter().any(|c| c.contains(" -f")));

    let outcome = ensure_imported(&fake, &pool(), true).unwrap();
    assert_eq!(outcome, ImportOutcome::Imported { forced: true });
    assert!(ran(
        &fake,
        "zpool import -d /dev/disk/by-id -N -o cachefile=none -f tank"
    ));
}

#[test]
fn the_older_may_be_in_use_wording_is_also_reported_not_forced() {
    let (fake, _) = fake_with_pool(2);
    export_pool(&fake, &pool()).unwrap();
    fake.fail_next(
        Program::Zpool,
        &["import"],
        "cannot import 'tank': pool may be in use from other system, it was last accessed by nas-old (hostid: 0x5f3a9c21) on Tue Jun  3 09:12:44 2025\nuse '-f' to import anyway",
    );
    assert!(matches!(
        ensure_imported(&fake, &pool(), false),
        Err(ZfsError::PoolInUseElsewhere { .. })
    ));
}

#[test]
fn importing_a_pool_whose_disks_are_gone_says_so() {
    let fake = FakeZfs::with_disks(disk_ids(1), TB);
    assert!(matches!(
        ensure_imported(&fake, &"nope".parse().unwrap(), false),
        Err(ZfsError::NoSuchPool { pool }) if pool.as_str() == "nope"
    ));
}

#[test]
fn every_layout_creates_the_vdev_tree_it_plans() {
    for (layout, n, top) in [
        (Layout::Stripe, 4, None),
        (Layout::Mirror, 2, Some("mirror-0")),
        (Layout::Raidz1, 3, Some("raidz1-0")),
        (Layout::Raidz2, 4, Some("raidz2-0")),
        (Layout::Raidz3, 5, Some("raidz3-0")),
    ] {
        let disks = disk_ids(n);
        let fake = FakeZfs::with_disks(&disks, TB);
        let plan = create_pool(&fake, &spec(layout, &disks)).unwrap();
        assert_eq!(plan.warnings.is_empty(), layout != Layout::Stripe);
        let status = pool_status(&fake, &pool()).unwrap();
        match top {
            None => {
                let names: Vec<&str> = status.vdevs.iter().map(|v| v.name.as_str()).collect();
                assert_eq!(names, disks, "a stripe's disks are top-level vdevs");
            }
            Some(top) => {
                assert_eq!(status.vdevs.len(), 1);
                assert_eq!(status.vdevs[0].name, top);
                assert_eq!(status.vdevs[0].children.len(), n);
            }
        }
        // Usable space follows the layout: parity costs capacity.
        let root = &list_datasets(&fake, &pool()).unwrap()[0];
        let data_disks = (n - layout.tolerated_failures(n)) as u64;
        let expect = data_disks * TB - data_disks * TB / 32;
        assert!(
            root.available <= expect && root.available > expect - GB,
            "{layout}"
        );
    }
}

#[test]
fn status_reports_faulted_disks_and_their_errors() {
    let disks = disk_ids(3);
    let fake = FakeZfs::with_disks(&disks, TB);
    create_pool(&fake, &spec(Layout::Raidz1, &disks)).unwrap();
    fake.set_disk_state(&disks[1], "FAULTED");
    fake.set_disk_errors(&disks[1], 12, 3, 0);
    fake.set_disk_errors(&disks[2], 0, 0, 7);
    let status = pool_status(&fake, &pool()).unwrap();
    assert_eq!(status.health, Health::Degraded);
    assert!(status.status.unwrap().contains("faulted"));
    let raidz = &status.vdevs[0];
    assert_eq!(raidz.state, Health::Degraded);
    assert_eq!(raidz.children[1].state, Health::Faulted);
    assert_eq!(raidz.children[1].errors.read, 12);
    assert_eq!(raidz.children[2].errors.checksum, 7);

    fake.set_disk_state(&disks[2], "UNAVAIL");
    let status = pool_status(&fake, &pool()).unwrap();
    assert_eq!(status.health, Health::Unavail);
    assert_eq!(status.vdevs[0].children[2].state, Health::Unavail);
}

#[test]
fn scrub_starts_once_and_shows_in_status() {
    let (fake, _) = fake_with_pool(2);
    assert_eq!(start_scrub(&fake, &pool()).unwrap(), ScrubOutcome::Started);
    let scan = pool_status(&fake, &pool()).unwrap().scan.unwrap();
    assert_eq!(
        (scan.function, scan.state),
        (ScanFunction::Scrub, ScanState::Finished)
    );

    fake.set_long_scrubs(true);
    assert_eq!(start_scrub(&fake, &pool()).unwrap(), ScrubOutcome::Started);
    assert_eq!(
        start_scrub(&fake, &pool()).unwrap(),
        ScrubOutcome::AlreadyRunning
    );
    let scan = pool_status(&fake, &pool()).unwrap().scan.unwrap();
    assert_eq!(scan.state, ScanState::Scanning);
    assert!(matches!(
        start_scrub(&fake, &"nope".parse().unwrap()),
        Err(ZfsError::NoSuchPool { .. })
    ));
}

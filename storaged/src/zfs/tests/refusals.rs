//! What the module refuses, and how failures are reported.

use super::*;
use crate::runner::{CommandLine, CommandRunner, Program};
use crate::zfs::*;

#[test]
fn create_refuses_disks_of_another_pool_missing_disks_and_taken_names() {
    let (fake, disks) = fake_with_pool(3);
    let mut other = spec(Layout::Mirror, &disks[1..3]);
    other.name = "data".parse().unwrap();
    match create_pool(&fake, &other) {
        Err(ZfsError::DisksInUse { pool, details }) => {
            assert_eq!(pool.as_str(), "data");
            assert_eq!(
                details,
                [format!(
                    "/dev/disk/by-id/{}-part1 is part of active pool 'tank'",
                    disks[1]
                )]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!ran(&fake, "zpool create -f"));

    other.vdevs = vec![vec![
        "nvme-NOT_PLUGGED_IN".parse().unwrap(),
        disks[2].parse().unwrap(),
    ]];
    assert!(matches!(
        create_pool(&fake, &other),
        Err(ZfsError::DiskMissing { .. })
    ));
    assert!(matches!(
        create_pool(&fake, &spec(Layout::Stripe, &disks[2..])),
        Err(ZfsError::PoolExists { .. })
    ));
}

#[test]
fn create_refuses_a_disk_with_a_partition_table_unless_forced() {
    let disks = disk_ids(2);
    let fake = FakeZfs::with_disks(&disks[..1], 2 * TB);
    fake.add_disk_with_partition_table(&disks[1], 2 * TB, "ntfs");
    let mut mirror = spec(Layout::Mirror, &disks);

    match create_pool(&fake, &mirror) {
        Err(ZfsError::DisksInUse { pool, details }) => {
            assert_eq!(pool.as_str(), "tank");
            assert_eq!(
                details,
                [format!(
                    "/dev/disk/by-id/{}-part1 contains a filesystem of type 'ntfs'",
                    disks[1]
                )]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.imported_pools().is_empty());
    assert!(fake.has_partition_table(&disks[1]), "nothing was written");
    assert!(!ran(&fake, "zpool create -f"));

    mirror.force = true;
    create_pool(&fake, &mirror).unwrap();
    assert!(ran(
        &fake,
        "zpool create -f -o ashift=12 -o cachefile=none "
    ));
    assert_eq!(fake.imported_pools(), ["tank"]);
    assert!(!fake.has_partition_table(&disks[1]), "zpool relabelled it");
}

#[test]
fn force_does_not_take_a_disk_from_an_imported_pool() {
    let (fake, disks) = fake_with_pool(3);
    let mut other = spec(Layout::Mirror, &disks[1..3]);
    other.name = "data".parse().unwrap();
    other.force = true;
    assert!(matches!(
        create_pool(&fake, &other),
        Err(ZfsError::DisksInUse { .. })
    ));
    assert_eq!(fake.imported_pools(), ["tank"]);
}

#[test]
fn dataset_refusals_name_what_they_refuse() {
    let (fake, _) = fake_with_pool(2);
    create_dataset(&fake, &DatasetSpec::new(ds("tank/a"))).unwrap();
    create_dataset(&fake, &DatasetSpec::new(ds("tank/a/b"))).unwrap();
    create_snapshot(&fake, &snap("tank/a@s1")).unwrap();

    let err = create_dataset(&fake, &DatasetSpec::new(ds("tank/a"))).unwrap_err();
    assert_eq!(err.to_string(), "tank/a already exists");
    let err = create_dataset(&fake, &DatasetSpec::new(ds("tank/x/y"))).unwrap_err();
    assert!(matches!(err, ZfsError::NoParent { ref dataset } if dataset == "tank/x/y"));
    let err = create_zvol(&fake, &ZvolSpec::new(ds("nope/v"), GB)).unwrap_err();
    assert!(matches!(err, ZfsError::NoSuchPool { ref pool } if pool.as_str() == "nope"));
    let err = create_zvol(&fake, &ZvolSpec::new(ds("tank/huge"), 64 * TB)).unwrap_err();
    assert!(matches!(err, ZfsError::OutOfSpace { .. }), "{err:?}");
    let err = create_snapshot(&fake, &snap("tank/a@s1")).unwrap_err();
    assert_eq!(err.to_string(), "tank/a@s1 already exists");

    let err = destroy_dataset(&fake, &ds("tank/a"), false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing to destroy tank/a: it has children or snapshots (tank/a@s1, tank/a/b); ask for a recursive destroy"
    );
    let err = destroy_dataset(&fake, &ds("tank/gone"), false).unwrap_err();
    assert!(matches!(err, ZfsError::NoSuchDataset { .. }));
    assert!(matches!(
        resize_zvol(&fake, &ds("tank/a"), GB, false),
        Err(ZfsError::WrongKind {
            expected: DatasetKind::Volume,
            actual: DatasetKind::Filesystem,
            ..
        })
    ));
    create_zvol(&fake, &ZvolSpec::new(ds("tank/v"), GB)).unwrap();
    assert!(matches!(
        resize_zvol(&fake, &ds("tank/v"), GB + 512, false),
        Err(ZfsError::BadVolSize { .. })
    ));
    assert!(matches!(
        set_quota(&fake, &ds("tank/v"), QuotaKind::Quota, Some(GB)),
        Err(ZfsError::WrongKind { .. })
    ));
    destroy_snapshot(&fake, &snap("tank/a@s1")).unwrap();
    assert!(matches!(
        destroy_snapshot(&fake, &snap("tank/a@s1")),
        Err(ZfsError::NoSuchDataset { .. })
    ));
    assert!(matches!(
        rollback(&fake, &snap("tank/a@s1"), false),
        Err(ZfsError::NoSuchDataset { .. })
    ));
}

#[test]
fn a_race_with_the_real_refusal_is_still_mapped() {
    // Someone snapshots between our check and the destroy: zfs refuses.
    let (fake, _) = fake_with_pool(2);
    create_zvol(&fake, &ZvolSpec::new(ds("tank/v"), GB)).unwrap();
    fake.fail_next(
        Program::Zfs,
        &["destroy"],
        "cannot destroy 'tank/v': volume has children\nuse '-r' to destroy the following datasets:\ntank/v@auto-1",
    );
    match destroy_dataset(&fake, &ds("tank/v"), false) {
        Err(ZfsError::HasDependents { dependents, .. }) => {
            assert_eq!(dependents, ["tank/v@auto-1"])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn command_failures_keep_the_command_and_stderr_as_source() {
    let (fake, _) = fake_with_pool(2);
    fake.fail_next(
        Program::Zpool,
        &["export"],
        "cannot export 'tank': pool is busy",
    );
    let err = export_pool(&fake, &pool()).unwrap_err();
    assert_eq!(err.to_string(), "cannot export pool tank");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert_eq!(
        source,
        "`zpool export tank` failed (exit status: 1): cannot export 'tank': pool is busy"
    );
}

#[test]
fn the_fake_answers_get_like_zfs() {
    let (fake, _) = fake_with_pool(2);
    create_zvol(&fake, &ZvolSpec::new(ds("tank/v"), GB)).unwrap();
    let out = fake
        .run(&CommandLine::new(
            Program::Zfs,
            [
                "get",
                "-H",
                "-p",
                "-o",
                "name,property,value,source",
                "compression,volmode,volsize",
                "tank/v",
            ],
        ))
        .unwrap();
    assert_eq!(
        out.stdout,
        "tank/v\tcompression\tlz4\tinherited from tank\ntank/v\tvolmode\tdev\tlocal\ntank/v\tvolsize\t1073741824\tlocal\n"
    );
    let err = fake
        .run(&CommandLine::new(Program::Zfs, ["create", "tank/v"]))
        .unwrap_err();
    assert_eq!(
        err.stderr(),
        "cannot create 'tank/v': dataset already exists\n"
    );
    let err = fake
        .run(&CommandLine::new(Program::Zpool, ["status", "-j", "nope"]))
        .unwrap_err();
    assert_eq!(err.stderr(), "cannot open 'nope': no such pool\n");
}

#[test]
fn results_serialize_for_the_api() {
    let (fake, _) = fake_with_pool(2);
    let plan = create_zvol(&fake, &ZvolSpec::new(ds("tank/v"), GB)).unwrap();
    create_snapshot(&fake, &snap("tank/v@s")).unwrap();
    let v = serde_json::json!({
        "plan": plan,
        "status": pool_status(&fake, &pool()).unwrap(),
        "pools": list_pools(&fake).unwrap(),
        "datasets": list_datasets(&fake, &pool()).unwrap(),
        "snapshots": list_all_snapshots(&fake, &pool()).unwrap(),
        "import": ImportOutcome::Imported { forced: false },
        "scrub": ScrubOutcome::Started,
        "change": Change::Unchanged,
    });
    assert_eq!(v["plan"]["target"], "tank/v");
    assert_eq!(v["status"]["health"], "ONLINE");
    assert_eq!(v["datasets"][1]["volmode"], "dev");
    assert_eq!(v["snapshots"][0]["name"], "tank/v@s");
    assert_eq!(v["import"]["outcome"], "imported");
}

/// The fake refuses the names real ZFS refuses, in its words, so no test
/// passes only because the fake would have created `tank/../../sda`.
#[test]
fn the_fake_refuses_names_zfs_refuses() {
    let (fake, _) = fake_with_pool(2);
    let refused = |program: Program, args: &[&str]| {
        fake.run(&CommandLine::new(program, args.iter().copied()))
            .expect_err(&args.join(" "))
            .stderr()
            .to_string()
    };
    assert_eq!(
        refused(Program::Zfs, &["create", "-V", "64M", "tank/../../sda"]),
        "cannot create 'tank/../../sda': parent reference, '..' is found in name\n"
    );
    assert_eq!(
        refused(Program::Zfs, &["create", "-p", "tank/./a"]),
        "cannot create 'tank/./a': self reference, '.' is found in name\n"
    );
    assert_eq!(
        refused(Program::Zfs, &["create", "tank/a%b"]),
        "cannot create 'tank/a%b': invalid character '%' in name\n"
    );
    assert_eq!(
        refused(Program::Zfs, &["snapshot", "tank@.."]),
        "cannot create snapshot 'tank@..': parent reference, '..' is found in name\n"
    );
    assert_eq!(
        refused(Program::Zfs, &["snapshot", "tank@a@b"]),
        "cannot create snapshot 'tank@a@b': multiple '@' and/or '#' delimiters in name\n"
    );
    assert_eq!(
        refused(Program::Zfs, &["destroy", "tank/.."]),
        "cannot open 'tank/..': parent reference, '..' is found in name\n"
    );
    assert!(refused(Program::Zpool, &["create", "mirror1", "x"]).contains("name is reserved"));
    assert!(!fake.exists("tank/../../sda") && !fake.exists("tank/."));
}

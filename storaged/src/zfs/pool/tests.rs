//! Plans and command lines of pool creation and import.

use super::*;

fn disks(n: usize) -> Vec<DiskId> {
    (0..n)
        .map(|i| {
            format!("nvme-QEMU_NVMe_Ctrl_IRONSTOR{i:04}")
                .parse()
                .unwrap()
        })
        .collect()
}

fn spec(layout: Layout, n: usize) -> PoolSpec {
    PoolSpec {
        name: "tank".parse().unwrap(),
        layout,
        vdevs: if n == 0 { Vec::new() } else { vec![disks(n)] },
        mount_base: "/var/lib/ironstor/pools".into(),
        force: false,
    }
}

fn line(plan: &PoolPlan) -> String {
    assert_eq!(plan.commands.len(), 1);
    plan.commands[0].to_string()
}

const DEFAULTS: &str = "zpool create -o ashift=12 -o cachefile=none -O compression=lz4 -O atime=off -O xattr=sa -O acltype=posixacl -O mountpoint=/var/lib/ironstor/pools/tank tank";

#[test]
fn stripe_plan_lists_disks_by_id_and_warns_plainly() {
    let plan = plan_create_pool(&spec(Layout::Stripe, 4)).unwrap();
    assert_eq!(
        line(&plan),
        format!(
            "{DEFAULTS} /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_IRONSTOR0000 /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_IRONSTOR0001 /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_IRONSTOR0002 /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_IRONSTOR0003"
        )
    );
    assert_eq!(plan.tolerated_failures, 0);
    assert_eq!(plan.warnings.len(), 1);
    assert!(
        plan.warnings[0].message.contains("no redundancy")
            && plan.warnings[0]
                .message
                .contains("all data in the pool is lost"),
        "{}",
        plan.warnings[0]
    );
}

#[test]
fn single_disk_stripe_is_allowed_with_the_warning() {
    let plan = plan_create_pool(&spec(Layout::Stripe, 1)).unwrap();
    assert!(plan.warnings[0].message.contains("single disk"));
}

#[test]
fn mirror_plan() {
    let plan = plan_create_pool(&spec(Layout::Mirror, 2)).unwrap();
    assert_eq!(
        line(&plan),
        format!("{DEFAULTS} mirror /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_IRONSTOR0000 /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_IRONSTOR0001")
    );
    assert!(plan.warnings.is_empty());
    assert_eq!(plan.tolerated_failures, 1);
    assert_eq!(plan.mountpoint, Path::new("/var/lib/ironstor/pools/tank"));
}

#[test]
fn raidz_plans_name_their_parity() {
    for (layout, n, keyword, tolerated) in [
        (Layout::Raidz1, 3, "raidz1", 1),
        (Layout::Raidz2, 4, "raidz2", 2),
        (Layout::Raidz3, 5, "raidz3", 3),
    ] {
        let plan = plan_create_pool(&spec(layout, n)).unwrap();
        let l = line(&plan);
        let vdevs = l.strip_prefix(DEFAULTS).unwrap();
        assert!(
            vdevs.starts_with(&format!(" {keyword} /dev/disk/by-id/")),
            "{l}"
        );
        assert_eq!(vdevs.matches("/dev/disk/by-id/").count(), n);
        assert_eq!(plan.tolerated_failures, tolerated);
        assert!(plan.warnings.is_empty());
    }
}

#[test]
fn too_few_disks_are_refused_for_each_layout() {
    for (layout, n, min) in [
        (Layout::Stripe, 0, 1),
        (Layout::Mirror, 1, 2),
        (Layout::Raidz1, 2, 3),
        (Layout::Raidz2, 3, 4),
        (Layout::Raidz3, 4, 5),
    ] {
        match plan_create_pool(&spec(layout, n)) {
            Err(ZfsError::TooFewDisks {
                min: m, got, pool, ..
            }) => {
                assert_eq!((m, got, pool.as_str()), (min, n, "tank"));
            }
            other => panic!("{layout} with {n} disks: {other:?}"),
        }
    }
    let err = plan_create_pool(&spec(Layout::Raidz2, 3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pool tank: a raidz2 needs at least 4 disks, 3 given"
    );
}

#[test]
fn a_disk_listed_twice_is_refused() {
    let mut s = spec(Layout::Mirror, 2);
    let first = s.vdevs[0][0].clone();
    s.vdevs[0].push(first);
    assert!(matches!(
        plan_create_pool(&s),
        Err(ZfsError::DuplicateDisk { .. })
    ));
}

#[test]
fn mount_base_must_be_a_writable_looking_absolute_dir() {
    for base in ["/", "var/pools", "/var/../pools", ""] {
        let mut s = spec(Layout::Mirror, 2);
        s.mount_base = base.into();
        assert!(
            matches!(plan_create_pool(&s), Err(ZfsError::BadMountBase { .. })),
            "{base:?}"
        );
    }
    let mut s = spec(Layout::Mirror, 2);
    s.mount_base = "/run/ironstor/./pools/".into();
    let plan = plan_create_pool(&s).unwrap();
    assert_eq!(plan.mountpoint, Path::new("/run/ironstor/pools/tank"));
}

#[test]
fn plans_serialize_for_the_api() {
    let plan = plan_create_pool(&spec(Layout::Stripe, 1)).unwrap();
    let v = serde_json::to_value(&plan).unwrap();
    assert_eq!(v["pool"], "tank");
    assert_eq!(v["layout"], "stripe");
    assert_eq!(v["disks"][0], "nvme-QEMU_NVMe_Ctrl_IRONSTOR0000");
    assert_eq!(v["warnings"][0]["kind"], "no_redundancy");
    assert!(v["commands"][0]
        .as_str()
        .unwrap()
        .starts_with("zpool create -o ashift=12 -o cachefile=none"));
}

#[test]
fn import_is_by_id_without_mounting_and_forces_only_when_asked() {
    let pool: PoolName = "tank".parse().unwrap();
    assert_eq!(
        import_command(&pool, false).to_string(),
        "zpool import -d /dev/disk/by-id -N -o cachefile=none tank"
    );
    assert_eq!(
        import_command(&pool, true).to_string(),
        "zpool import -d /dev/disk/by-id -N -o cachefile=none -f tank"
    );
}

#[test]
fn force_adds_f_to_create_and_nothing_else() {
    let mut s = spec(Layout::Mirror, 2);
    s.force = true;
    let forced = line(&plan_create_pool(&s).unwrap());
    s.force = false;
    let plain = line(&plan_create_pool(&s).unwrap());
    assert_eq!(
        forced,
        plain.replacen("zpool create ", "zpool create -f ", 1)
    );
    assert!(!plain.contains(" -f"), "{plain}");
}

#[test]
fn striped_mirrors_repeat_the_keyword_per_vdev() {
    let d = disks(4);
    let mut s = spec(Layout::Mirror, 2);
    s.vdevs = vec![d[..2].to_vec(), d[2..].to_vec()];
    let plan = plan_create_pool(&s).unwrap();
    let by_id = |i: usize| format!("/dev/disk/by-id/{}", d[i]);
    assert_eq!(
        line(&plan),
        format!(
            "{DEFAULTS} mirror {} {} mirror {} {}",
            by_id(0),
            by_id(1),
            by_id(2),
            by_id(3)
        )
    );
    assert_eq!(plan.disks, d);
    assert_eq!(plan.vdevs.len(), 2);
    assert_eq!(
        plan.tolerated_failures, 1,
        "one disk of each mirror, but not any two"
    );
    let v = serde_json::to_value(&plan).unwrap();
    assert_eq!(v["vdevs"][1][0], d[2].as_str());
}

#[test]
fn every_vdev_is_checked_for_its_minimum_and_all_have_one_width() {
    let d = disks(7);
    let mut s = spec(Layout::Raidz1, 3);
    s.vdevs = vec![d[..3].to_vec(), d[3..5].to_vec()];
    let err = plan_create_pool(&s).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pool tank: a raidz1 needs at least 3 disks, 2 given"
    );
    s.vdevs = vec![d[..3].to_vec(), d[3..7].to_vec()];
    let err = plan_create_pool(&s).unwrap_err();
    assert!(matches!(err, ZfsError::UnevenVdevs { .. }), "{err:?}");
    assert!(err.to_string().contains("got 3, 4"), "{err}");
    s.vdevs = vec![
        d[..3].to_vec(),
        vec![d[3].clone(), d[4].clone(), d[0].clone()],
    ];
    assert!(matches!(
        plan_create_pool(&s),
        Err(ZfsError::DuplicateDisk { .. })
    ));
}

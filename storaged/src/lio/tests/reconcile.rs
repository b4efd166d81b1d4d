//! The writer against the fake: first reconcile, idempotence, small changes.

use super::*;

fn serial_of(zvol: &str) -> String {
    LunIdentity::derive(&settings().appliance, &zvol.parse().unwrap()).serial
}

#[test]
fn first_reconcile_builds_the_whole_tree_in_kernel_order() {
    let mut fs = FakeConfigfs::new();
    let report = ensure_lio(&mut fs, &settings(), &sample()).unwrap();
    let ops = fs.ops().to_vec();
    let a = so("tank+vm+esx-a");
    let b = so("tank+vm+esx-b");
    let tpg = tpg();

    // dbroot before any storage object.
    let dbroot = pos(&ops, "dbroot", |o| {
        is_write(o, Path::new("target/dbroot"), "/var/lib/storaged/target")
    });
    assert!(dbroot < pos(&ops, "mkdir a", |o| is_mkdir(o, &a)));
    assert_eq!(fs.value("target/dbroot"), Some("/var/lib/storaged/target"));

    for (dev, zvol, bs, ro) in [
        (&a, "tank/vm/esx-a", "512", "0"),
        (&b, "tank/vm/esx-b", "4096", "1"),
    ] {
        let udev = pos(&ops, "udev", |o| {
            is_write(
                o,
                &dev.join("control"),
                &format!("udev_path=/dev/zvol/{zvol}"),
            )
        });
        let serial = pos(&ops, "serial", |o| {
            is_write(o, &dev.join("wwn/vpd_unit_serial"), &serial_of(zvol))
        });
        let vendor = pos(&ops, "vendor", |o| {
            is_write(o, &dev.join("wwn/vendor_id"), "IRONSTOR")
        });
        let product = pos(&ops, "product", |o| {
            is_write(o, &dev.join("wwn/product_id"), "ZVOL")
        });
        let enable = pos(&ops, "enable", |o| is_write(o, &dev.join("enable"), "1"));
        let tpu = pos(&ops, "tpu", |o| {
            is_write(o, &dev.join("attrib/emulate_tpu"), "1")
        });
        let lun_link = pos(
            &ops,
            "lun link",
            |o| matches!(o, Op::Symlink { target, .. } if target == dev),
        );
        assert!(udev < serial && serial < enable && vendor < enable && product < enable);
        assert!(enable < tpu && tpu < lun_link);
        assert_eq!(fs.value(dev.join("enable")), Some("1"));
        for attr in ["emulate_tpu", "emulate_tpws", "emulate_caw", "emulate_3pc"] {
            assert_eq!(fs.value(dev.join("attrib").join(attr)), Some("1"), "{attr}");
        }
        assert_eq!(fs.value(dev.join("attrib/block_size")), Some(bs));
        let info = fs.read(&dev.join("info")).unwrap();
        assert_eq!(parse_info(&info, "readonly:"), Some(ro), "{info}");
        assert_eq!(
            parse_info(&info, "UDEV PATH:"),
            Some(format!("/dev/zvol/{zvol}").as_str())
        );
    }
    // emulate_caw and emulate_3pc already were 1: not rewritten.
    assert!(!ops
        .iter()
        .any(|o| o.path().ends_with("emulate_caw") || o.path().ends_with("emulate_write_cache")));

    // Portal group: access attributes before ACLs, CHAP on the ACLs, enable last.
    assert_eq!(fs.value(tpg.join("attrib/generate_node_acls")), Some("0"));
    assert_eq!(fs.value(tpg.join("attrib/authentication")), Some("1"));
    let acl1 = tpg.join("acls").join(ESX1);
    let acl2 = tpg.join("acls").join(ESX2);
    // Both already hold the kernel's defaults (0 and 1): not rewritten.
    assert!(!ops.iter().any(|o| o.path().starts_with(tpg.join("attrib"))));
    assert!(
        pos(&ops, "mkdir acl", |o| is_mkdir(o, &acl1))
            < pos(&ops, "acl chap", |o| is_write(
                o,
                &acl1.join("auth/userid"),
                "esx01"
            ))
    );
    assert_eq!(fs.value(acl1.join("auth/userid")), Some("esx01"));
    assert_eq!(
        fs.value(acl1.join("auth/password_mutual")),
        Some("target-secret-1")
    );
    assert_eq!(fs.value(acl2.join("auth/userid_mutual")), Some(""));
    assert_eq!(
        fs.value("target/iscsi/discovery_auth/enforce_discovery_auth"),
        Some("1")
    );
    assert_eq!(
        fs.value("target/iscsi/discovery_auth/password"),
        Some("discovery-sec")
    );
    assert!(
        is_write(ops.last().unwrap(), &tpg.join("enable"), "1"),
        "{:#?}",
        ops.last()
    );

    let expected: Vec<PathBuf> = [
        "target/core/iblock_0",
        "target/core/iblock_0/tank+vm+esx-a",
        "target/core/iblock_0/tank+vm+esx-b",
        "target/iscsi",
    ]
    .iter()
    .map(PathBuf::from)
    .chain([
        Path::new("target/iscsi").join(TARGET),
        tpg.clone(),
        acl1.clone(),
        acl1.join("lun_0"),
        acl1.join("lun_0/lun_0"),
        acl1.join("lun_1"),
        acl1.join("lun_1/lun_1"),
        acl2.clone(),
        acl2.join("lun_0"),
        acl2.join("lun_0/lun_0"),
        acl2.join("lun_1"),
        acl2.join("lun_1/lun_1"),
        tpg.join("lun/lun_0"),
        tpg.join("lun/lun_0/tank+vm+esx-a"),
        tpg.join("lun/lun_1"),
        tpg.join("lun/lun_1/tank+vm+esx-b"),
        tpg.join("np/10.0.1.5:3260"),
        tpg.join("np/10.0.2.5:3260"),
    ])
    .collect();
    assert_eq!(fs.user_entries(), expected);
    assert_eq!(
        fs.link_target(tpg.join("lun/lun_1/tank+vm+esx-b")),
        Some(b.as_path())
    );
    assert_eq!(
        fs.link_target(acl2.join("lun_1/lun_1")),
        Some(tpg.join("lun/lun_1").as_path())
    );

    assert!(report.changes.iter().all(|c| c.action != Action::Removed));
    assert_eq!(report.action(&a), Some(Action::Created));
    assert_eq!(
        report.action(tpg.join("np/10.0.2.5:3260")),
        Some(Action::Created)
    );
    assert_eq!(report.action(acl2.join("lun_1")), Some(Action::Created));
    assert_eq!(report.action("target/dbroot"), Some(Action::Updated));
}

#[test]
fn second_reconcile_writes_nothing() {
    let mut fs = applied();
    let report = ensure_lio(&mut fs, &settings(), &sample()).unwrap();
    assert_eq!(fs.ops(), &[] as &[Op]);
    assert!(
        !report.changed(),
        "{:#?}",
        report.touched().collect::<Vec<_>>()
    );
    // Every object was looked at.
    assert_eq!(report.changes.len(), 1 + 2 + 1 + 2 + 2 + 2 + 2 + 4);
}

#[test]
fn changing_one_acl_touches_only_that_acl() {
    let mut fs = applied();
    let mut cfg = sample();
    if let Access::Initiators { acls } = &mut cfg.targets[0].access {
        acls[1].chap = Some(chap("esx02", "new-secret-22"));
    }
    let report = ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    let acl2 = tpg().join("acls").join(ESX2);
    assert_eq!(
        fs.ops(),
        [Op::Write(
            acl2.join("auth/password"),
            "new-secret-22".into()
        )]
    );
    let touched: Vec<_> = report.touched().cloned().collect();
    assert_eq!(touched.len(), 1, "{touched:#?}");
    assert_eq!(
        (touched[0].kind, touched[0].action),
        (ObjectKind::Acl, Action::Updated)
    );
    assert_eq!(touched[0].path, acl2);
}

#[test]
fn chap_values_are_written_without_a_newline() {
    let mut fs = applied();
    let acl1 = tpg().join("acls").join(ESX1);
    assert_eq!(fs.value(acl1.join("auth/password")), Some("esx01-secret-1"));
    assert_eq!(
        fs.read(&acl1.join("auth/password")).unwrap(),
        "esx01-secret-1\n"
    );
    // A value someone wrote with `echo` keeps its newline in the kernel:
    // the writer sees the difference and writes it again, bare.
    fs.write(&acl1.join("auth/password"), "esx01-secret-1\n")
        .unwrap();
    fs.clear_ops();
    ensure_lio(&mut fs, &settings(), &sample()).unwrap();
    assert_eq!(
        fs.ops(),
        [Op::Write(
            acl1.join("auth/password"),
            "esx01-secret-1".into()
        )]
    );
    // Dropping CHAP writes the literal NULL, then switches authentication off.
    let mut cfg = sample();
    cfg.discovery_chap = None;
    fs.clear_ops();
    ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    let d = Path::new("target/iscsi/discovery_auth");
    assert_eq!(
        fs.ops()[0],
        Op::Write(d.join("enforce_discovery_auth"), "0".into())
    );
    assert_eq!(fs.value(d.join("userid")), Some("NULL"));
    assert_eq!(
        fs.value(d.join("userid_mutual")),
        Some(""),
        "untouched: already empty"
    );
}

#[test]
fn allow_all_uses_portal_group_chap_and_drops_acls() {
    let mut fs = applied();
    let mut cfg = sample();
    cfg.targets[0].access = Access::AllowAll {
        chap: Some(chap("anyone", "shared-secret-1")),
    };
    let report = ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    let tpg = tpg();
    for (attr, v) in [
        ("generate_node_acls", "1"),
        ("cache_dynamic_acls", "1"),
        ("demo_mode_write_protect", "0"),
        ("authentication", "1"),
    ] {
        assert_eq!(fs.value(tpg.join("attrib").join(attr)), Some(v), "{attr}");
    }
    assert_eq!(fs.value(tpg.join("auth/password")), Some("shared-secret-1"));
    assert!(!fs.is_dir(tpg.join("acls").join(ESX1)));
    assert_eq!(
        report.action(tpg.join("acls").join(ESX2)),
        Some(Action::Removed)
    );
    assert_eq!(
        report.action(tpg.join("lun/lun_0")),
        Some(Action::Unchanged)
    );
    // Still enabled, never re-enabled.
    assert!(!fs.ops().iter().any(|o| o.path() == tpg.join("enable")));
}

#[test]
fn an_existing_object_elsewhere_is_adopted_not_recreated() {
    let mut fs = FakeConfigfs::new();
    let mut cfg = sample();
    cfg.targets[0].luns.truncate(1);
    let dev = Path::new("target/core/iblock_3/tank+vm+esx-a");
    fs.write(Path::new("target/dbroot"), "/var/lib/storaged/target")
        .unwrap();
    fs.mkdir(Path::new("target/core/iblock_3")).unwrap();
    fs.mkdir(dev).unwrap();
    fs.write(&dev.join("control"), "udev_path=/dev/zvol/tank/vm/esx-a")
        .unwrap();
    ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    assert_eq!(
        fs.link_target(tpg().join("lun/lun_0/tank+vm+esx-a")),
        Some(dev)
    );
    assert!(!fs.is_dir(so("tank+vm+esx-a")));
}

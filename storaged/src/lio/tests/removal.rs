//! Removing and replacing: reverse order, only what changed.

use super::*;

#[test]
fn removing_a_lun_goes_in_reverse_order() {
    let mut fs = applied();
    let mut cfg = sample();
    cfg.targets[0].luns.truncate(1);
    let report = ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    let tpg = tpg();
    let b = so("tank+vm+esx-b");
    let expected = vec![
        Op::Unlink(tpg.join("acls").join(ESX1).join("lun_1/lun_1")),
        Op::Rmdir(tpg.join("acls").join(ESX1).join("lun_1")),
        Op::Unlink(tpg.join("acls").join(ESX2).join("lun_1/lun_1")),
        Op::Rmdir(tpg.join("acls").join(ESX2).join("lun_1")),
        Op::Unlink(tpg.join("lun/lun_1/tank+vm+esx-b")),
        Op::Rmdir(tpg.join("lun/lun_1")),
        Op::Rmdir(b.clone()),
    ];
    assert_eq!(fs.ops(), expected);
    assert_eq!(report.action(&b), Some(Action::Removed));
    assert_eq!(
        report.action(tpg.join("lun/lun_0")),
        Some(Action::Unchanged)
    );
    assert_eq!(report.touched().count(), 4);
}

#[test]
fn removing_a_target_disables_it_first_and_keeps_others() {
    let mut fs = applied();
    let mut cfg = sample();
    let mut second = cfg.targets[0].clone();
    second.iqn = "iqn.2026-01.org.ironstor:scratch".parse().unwrap();
    second.luns = vec![Lun {
        number: 0,
        zvol: "tank/scratch".parse().unwrap(),
        block_size: BlockSize::B512,
        read_only: false,
    }];
    second.access = Access::AllowAll { chap: None };
    cfg.targets.push(second);
    ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    // Two targets share the portals: LIO allows that.
    fs.clear_ops();
    cfg.targets.remove(1);
    ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    let t = Path::new("target/iscsi/iqn.2026-01.org.ironstor:scratch");
    let g = t.join("tpgt_1");
    let expected = vec![
        Op::Write(g.join("enable"), "0".into()),
        Op::Unlink(g.join("lun/lun_0/tank+scratch")),
        Op::Rmdir(g.join("lun/lun_0")),
        Op::Rmdir(g.join("np/10.0.1.5:3260")),
        Op::Rmdir(g.join("np/10.0.2.5:3260")),
        Op::Rmdir(g.clone()),
        Op::Rmdir(t.to_path_buf()),
        Op::Rmdir(so("tank+scratch")),
    ];
    assert_eq!(fs.ops(), expected);
}

#[test]
fn a_new_block_size_recreates_the_object_with_the_same_identity() {
    let mut fs = applied();
    let a = so("tank+vm+esx-a");
    let serial = fs.value(a.join("wwn/vpd_unit_serial")).unwrap().to_string();
    let mut cfg = sample();
    cfg.targets[0].luns[0].block_size = BlockSize::B4096;
    let report = ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    let ops = fs.ops().to_vec();
    let rm = pos(&ops, "rmdir", |o| matches!(o, Op::Rmdir(p) if *p == a));
    let mk = pos(&ops, "mkdir", |o| is_mkdir(o, &a));
    assert!(rm < mk);
    assert_eq!(fs.value(a.join("attrib/block_size")), Some("4096"));
    assert_eq!(
        fs.value(a.join("wwn/vpd_unit_serial")),
        Some(serial.as_str())
    );
    assert_eq!(report.action(&a), Some(Action::Created));
    // The other LUN and the portals were left alone.
    assert!(!ops
        .iter()
        .any(|o| o.path().starts_with(so("tank+vm+esx-b"))));
    assert!(!ops.iter().any(|o| o.path().starts_with(tpg().join("np"))));
    ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    fs.clear_ops();
    assert!(!ensure_lio(&mut fs, &settings(), &cfg).unwrap().changed());
}

#[test]
fn moving_from_a_wildcard_to_specific_portals_frees_the_port_first() {
    let mut fs = FakeConfigfs::new();
    let mut cfg = sample();
    cfg.targets[0].portals = vec!["0.0.0.0:3260".parse().unwrap()];
    ensure_lio(&mut fs, &settings(), &cfg).unwrap();
    fs.clear_ops();
    let report = ensure_lio(&mut fs, &settings(), &sample()).unwrap();
    let ops = fs.ops();
    assert_eq!(ops[0], Op::Rmdir(tpg().join("np/0.0.0.0:3260")));
    assert!(
        is_mkdir(&ops[1], &tpg().join("np/10.0.1.5:3260")),
        "{ops:#?}"
    );
    assert_eq!(
        report.action(tpg().join("np/0.0.0.0:3260")),
        Some(Action::Removed)
    );
}

#[test]
fn dbroot_cannot_move_once_devices_exist() {
    let mut fs = applied();
    let mut s = settings();
    s.dbroot = PathBuf::from("/var/lib/elsewhere");
    let err = ensure_lio(&mut fs, &s, &sample()).unwrap_err();
    assert!(matches!(err, LioError::DbRootInUse { .. }), "{err}");
    assert_eq!(fs.ops(), &[] as &[Op]);
}

#[test]
fn an_invalid_config_writes_nothing() {
    let mut fs = FakeConfigfs::new();
    let mut cfg = sample();
    cfg.targets[0].portals.push("0.0.0.0:3260".parse().unwrap());
    let err = ensure_lio(&mut fs, &settings(), &cfg).unwrap_err();
    assert!(matches!(err, LioError::Config(_)), "{err}");
    assert!(fs.ops().is_empty());
}

/// The probe's `tank/../../sda` served `/dev/sda`. Names are checked when
/// parsed; LIO checks the backing path again before it writes anything.
#[test]
fn a_backing_path_outside_dev_zvol_writes_nothing() {
    for (zvol, why) in [
        ("tank/../../sda", "has a \"..\" component"),
        ("tank/./vm", "has a \".\" component"),
        ("tank//vm", "has a \"\" component"),
        ("tank/vm/", "has a \"\" component"),
        ("tank", "must name a zvol"),
        ("tank/a b", "holds blanks"),
    ] {
        let mut fs = FakeConfigfs::new();
        let mut cfg = sample();
        cfg.targets[0].luns[1].zvol = crate::names::DatasetName::unchecked(zvol);
        let err = match ensure_lio(&mut fs, &settings(), &cfg).unwrap_err() {
            LioError::Config(e) => e,
            other => panic!("{zvol}: {other}"),
        };
        assert_eq!(err.field, "targets[0].luns[1].zvol", "{zvol}");
        assert!(
            err.reason
                .starts_with(&format!("backing path \"/dev/zvol/{zvol}\" {why}")),
            "{zvol}: {err}"
        );
        assert!(fs.ops().is_empty(), "{zvol}: {:?}", fs.ops());
    }
}

use std::path::Path;

use super::sessions::{acl_has_session, parse_rmtab, parse_smbstatus, parse_v4_client_info};
use super::*;
use crate::lio::fake::FakeConfigfs;
use crate::state::{Dataset, DatasetProps, Layout, NfsExport, Pool, SmbShare, Volume};
use crate::zfs::fake::FakeZfs;

fn paths(dir: &Path) -> SharingPaths {
    SharingPaths {
        runtime_dir: dir.join("run"),
        pool_dir: "/var/mnt".into(),
        accounts_dir: dir.join("extrausers"),
        lio_dbroot: dir.join("lio"),
        etc_dir: dir.join("etc"),
        dev_root: None,
    }
}

fn served_state() -> DesiredState {
    let pool = Pool {
        name: "tank".parse().unwrap(),
        layout: Layout::Stripe,
        vdevs: vec![crate::state::PoolVdev {
            disks: vec!["nvme-A".parse().unwrap()],
        }],
        forced: Default::default(),
        created_unix: 0,
    };
    let state = DesiredState::default()
        .add_pool(pool)
        .unwrap()
        .add_dataset(Dataset {
            name: "tank/share".parse().unwrap(),
            properties: DatasetProps::default(),
        })
        .unwrap()
        .add_volume(Volume::new("tank/vm1".parse().unwrap(), 1 << 30))
        .unwrap()
        .with_appliance_id("0123456789abcdef".parse().unwrap());
    let target = serde_json::from_value(serde_json::json!({
        "iqn": "iqn.2026-11.org.ironstor:vm",
        "portals": ["10.0.2.15:3260", "10.0.2.15:3261"],
        "luns": [{"number": 0, "zvol": "tank/vm1"}],
        "access": {"mode": "allow_all"},
    }))
    .unwrap();
    let (state, _) = state
        .put_iscsi_target(target)
        .unwrap()
        .put_nfs_export(NfsExport {
            dataset: "tank/share".parse().unwrap(),
            clients: vec!["10.0.2.0/24".parse().unwrap()],
            access: crate::nfs::Access::ReadWrite,
            squash: Default::default(),
            writes: Default::default(),
            insecure: false,
        })
        .unwrap()
        .add_user("alice".parse().unwrap())
        .unwrap();
    state
        .put_smb_share(SmbShare {
            name: "share".parse().unwrap(),
            dataset: "tank/share".parse().unwrap(),
            read_only: false,
            valid_users: vec!["alice".parse().unwrap()],
            valid_groups: vec![],
            guest_ok: false,
            comment: String::new(),
        })
        .unwrap()
}

#[test]
fn apply_sharing_writes_everything_once_then_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    let runner = FakeZfs::new();
    let mut configfs = FakeConfigfs::new();
    let state = served_state();
    let first = apply_sharing(&runner, &mut configfs, &paths, &state).unwrap();
    assert!(first.iscsi_changes > 0 && first.exports_changed && first.smb_conf_changed);
    assert!(first.accounts_changed);
    let exports = std::fs::read_to_string(paths.exports_file()).unwrap();
    assert!(exports.contains("/var/mnt/tank/share"), "{exports}");
    assert!(exports.contains("10.0.2.0/24(rw,sync"), "{exports}");
    let smb = std::fs::read_to_string(paths.smb_conf_file()).unwrap();
    assert!(smb.contains("path = /var/mnt/tank/share"), "{smb}");
    let passwd = std::fs::read_to_string(dir.path().join("extrausers/passwd")).unwrap();
    assert_eq!(
        passwd,
        "alice:x:2000:2000:ironstor user:/nonexistent:/usr/sbin/nologin\n"
    );
    assert!(configfs.is_dir("target/iscsi/iqn.2026-11.org.ironstor:vm/tpgt_1/np/10.0.2.15:3261"));

    configfs.clear_ops();
    let again = apply_sharing(&runner, &mut configfs, &paths, &state).unwrap();
    assert!(!again.changed(), "{again:?}");
    assert_eq!(configfs.ops(), &[], "a second apply changed configfs");
}

#[test]
fn served_datasets_and_volumes_cannot_be_removed_and_unknown_ones_cannot_be_served() {
    let state = served_state();
    let err = state
        .remove_volume(&"tank/vm1".parse().unwrap())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tank/vm1 cannot be removed: tank/vm1 is served by LUN 0 of iSCSI target iqn.2026-11.org.ironstor:vm; remove that first"
    );
    let err = state
        .remove_dataset(
            &"tank/share".parse().unwrap(),
            crate::state::Removal::Single,
        )
        .unwrap_err();
    assert!(err.to_string().contains("served by an NFS export"), "{err}");
    let err = state
        .remove_user(&"alice".parse().unwrap())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "user alice cannot be removed: SMB share share lists it in valid_users"
    );
    let err = state
        .put_nfs_export(NfsExport {
            dataset: "tank/nope".parse().unwrap(),
            clients: vec!["*".parse().unwrap()],
            access: Default::default(),
            squash: Default::default(),
            writes: Default::default(),
            insecure: false,
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "tank/nope is not a declared dataset");
    // The state round-trips through JSON and survives the load-time replay.
    let back: DesiredState = serde_json::from_str(&state.to_json()).unwrap();
    assert_eq!(back, state);
    back.validate().unwrap();
}

#[test]
fn session_parsers_read_the_kernel_and_samba_formats() {
    assert!(!acl_has_session(
        "No active iSCSI Session for Initiator Endpoint: iqn.x\n"
    ));
    assert!(acl_has_session("InitiatorName: iqn.x\nLIO Session ID: 1\n"));
    let c = parse_v4_client_info(
        "clientid: 0x6c0e3a5f1\naddress: \"127.0.0.1:740\"\nstatus: confirmed\nname: \"Linux NFSv4.2 ironstor\"\nminor version: 2\n",
    )
    .unwrap();
    assert_eq!(
        (c.address.as_str(), c.version.as_str()),
        ("127.0.0.1:740", "4.2")
    );
    let v3 = parse_rmtab("10.0.2.2:/var/mnt/tank/share:0x00000001\n10.0.2.3:/x:0x00000000\n");
    assert_eq!(v3.len(), 1);
    assert_eq!(v3[0].path.as_deref(), Some("/var/mnt/tank/share"));
    let smb = parse_smbstatus(
        r#"{"sessions": {"3": {"username": "alice", "remote_machine": "10.0.2.2", "session_dialect": "SMB3_11"}}}"#,
    )
    .unwrap();
    assert_eq!(smb[0].user, "alice");
    assert_eq!(smb[0].dialect, "SMB3_11");
}

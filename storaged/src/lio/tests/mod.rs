//! Unit and fixture tests for `lio`: validation, identity, the writer
//! against [`FakeConfigfs`], and the `esxcli` lines.

mod config;
mod fake;
mod reconcile;
mod removal;

use std::path::{Path, PathBuf};

use super::fake::{FakeConfigfs, Op};
use super::*;

pub(super) const TARGET: &str = "iqn.2026-01.org.ironstor:vmstore";
pub(super) const ESX1: &str = "iqn.1998-01.com.vmware:esx01-4f3a1b2c";
pub(super) const ESX2: &str = "iqn.1998-01.com.vmware:esx02-9d8e7f60";

pub(super) fn chap(user: &str, secret: &str) -> Chap {
    Chap {
        user: user.into(),
        secret: secret.into(),
        mutual: None,
    }
}

/// Two portals, two LUNs, two initiators with CHAP (one mutual), discovery CHAP.
pub(super) fn sample() -> IscsiConfig {
    let mut esx1 = chap("esx01", "esx01-secret-1");
    esx1.mutual = Some(ChapCredential {
        user: "ironstor".into(),
        secret: "target-secret-1".into(),
    });
    IscsiConfig {
        targets: vec![Target {
            iqn: TARGET.parse().unwrap(),
            portals: vec![
                "10.0.1.5:3260".parse().unwrap(),
                "10.0.2.5:3260".parse().unwrap(),
            ],
            luns: vec![
                Lun {
                    number: 0,
                    zvol: "tank/vm/esx-a".parse().unwrap(),
                    block_size: BlockSize::B512,
                    read_only: false,
                },
                Lun {
                    number: 1,
                    zvol: "tank/vm/esx-b".parse().unwrap(),
                    block_size: BlockSize::B4096,
                    read_only: true,
                },
            ],
            access: Access::Initiators {
                acls: vec![
                    Acl {
                        initiator: ESX1.parse().unwrap(),
                        chap: Some(esx1),
                    },
                    Acl {
                        initiator: ESX2.parse().unwrap(),
                        chap: Some(chap("esx02", "esx02-secret-2")),
                    },
                ],
            },
        }],
        discovery_chap: Some(chap("discover", "discovery-sec")),
    }
}

pub(super) fn settings() -> LioSettings {
    LioSettings {
        dbroot: PathBuf::from("/var/lib/storaged/target"),
        appliance: "5b1e9a0c-7d3f-4c2a-9e61-0f8d2b4a6c13".parse().unwrap(),
    }
}

pub(super) fn tpg() -> PathBuf {
    Path::new("target/iscsi").join(TARGET).join("tpgt_1")
}

pub(super) fn so(name: &str) -> PathBuf {
    Path::new("target/core/iblock_0").join(name)
}

/// A fake with `sample()` applied and the op log cleared.
pub(super) fn applied() -> FakeConfigfs {
    let mut fs = FakeConfigfs::new();
    ensure_lio(&mut fs, &settings(), &sample()).unwrap();
    fs.clear_ops();
    fs
}

/// Index of the first op matching `pred`; panics with the log otherwise.
pub(super) fn pos(ops: &[Op], what: &str, pred: impl Fn(&Op) -> bool) -> usize {
    ops.iter()
        .position(pred)
        .unwrap_or_else(|| panic!("no op {what} in {ops:#?}"))
}

pub(super) fn is_write(op: &Op, path: &Path, value: &str) -> bool {
    matches!(op, Op::Write(p, v) if p == path && v == value)
}

pub(super) fn is_mkdir(op: &Op, path: &Path) -> bool {
    matches!(op, Op::Mkdir(p) if p == path)
}

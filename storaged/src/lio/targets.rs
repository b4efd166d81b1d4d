//! iSCSI targets: `target/iscsi/<iqn>/tpgt_1/` and discovery CHAP.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::fs::Configfs;
use super::report::ObjectKind;
use super::writer::{storage_object_name, LioError, Writer};
use super::{Access, Chap, Target};

/// `target/iscsi/discovery_auth/`: credentials first, enforcement after;
/// switching off goes the other way round.
pub(super) fn ensure_discovery_auth<F: Configfs + ?Sized>(
    w: &mut Writer<'_, F>,
    idx: usize,
    chap: Option<&Chap>,
) -> Result<(), LioError> {
    let dir = Path::new("target/iscsi/discovery_auth");
    let enforce = dir.join("enforce_discovery_auth");
    if chap.is_none() {
        w.set(idx, &enforce, "0")?;
    }
    w.set_chap(idx, dir, chap)?;
    if chap.is_some() {
        w.set(idx, &enforce, "1")?;
    }
    Ok(())
}

/// One target and its portal group, `enable` last.
pub(super) fn ensure_target<F: Configfs + ?Sized>(
    w: &mut Writer<'_, F>,
    target: &Target,
    objects: &BTreeMap<String, PathBuf>,
) -> Result<(), LioError> {
    let dir = Path::new("target/iscsi").join(target.iqn.as_str());
    w.ensure_dir(ObjectKind::Target, &dir)?;
    let tpg = dir.join("tpgt_1");
    let tpg_idx = w.ensure_dir(ObjectKind::PortalGroup, &tpg)?;
    let attrib = tpg.join("attrib");
    match &target.access {
        Access::Initiators { acls } => {
            // Explicit ACLs only: no dynamic ACLs before the real ones exist.
            w.set(tpg_idx, &attrib.join("generate_node_acls"), "0")?;
            w.set_chap(tpg_idx, &tpg.join("auth"), None)?;
            let chap = acls.iter().any(|a| a.chap.is_some());
            w.set(tpg_idx, &attrib.join("authentication"), flag(chap))?;
        }
        Access::AllowAll { chap } => {
            w.set_chap(tpg_idx, &tpg.join("auth"), chap.as_ref())?;
            w.set(
                tpg_idx,
                &attrib.join("authentication"),
                flag(chap.is_some()),
            )?;
            w.set(tpg_idx, &attrib.join("demo_mode_write_protect"), "0")?;
            w.set(tpg_idx, &attrib.join("cache_dynamic_acls"), "1")?;
            w.set(tpg_idx, &attrib.join("generate_node_acls"), "1")?;
        }
    }
    for portal in &target.portals {
        w.ensure_dir(ObjectKind::Portal, &tpg.join("np").join(portal.to_string()))?;
    }
    for lun in &target.luns {
        let name = storage_object_name(lun);
        let lun_dir = tpg.join("lun").join(format!("lun_{}", lun.number));
        let idx = w.ensure_dir(ObjectKind::Lun, &lun_dir)?;
        w.ensure_link(idx, &lun_dir, &name, &objects[&name])?;
    }
    if let Access::Initiators { acls } = &target.access {
        for acl in acls {
            let acl_dir = tpg.join("acls").join(acl.initiator.as_str());
            let idx = w.ensure_dir(ObjectKind::Acl, &acl_dir)?;
            w.set_chap(idx, &acl_dir.join("auth"), acl.chap.as_ref())?;
            for lun in &target.luns {
                let lun_name = format!("lun_{}", lun.number);
                let mapped = acl_dir.join(&lun_name);
                let idx = w.ensure_dir(ObjectKind::AclLun, &mapped)?;
                w.ensure_link(idx, &mapped, &lun_name, &tpg.join("lun").join(&lun_name))?;
            }
        }
    }
    w.set(tpg_idx, &tpg.join("enable"), "1")
}

fn flag(on: bool) -> &'static str {
    if on {
        "1"
    } else {
        "0"
    }
}

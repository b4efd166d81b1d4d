//! Removing what is no longer wanted under `target/iscsi`, in the order
//! the kernel needs: ACL LUN links, LUN links, LUNs, portals, portal
//! groups, targets. Storage objects go after this, in the writer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::fs::{Configfs, EntryKind};
use super::report::ObjectKind;
use super::writer::{storage_object_name, LioError, Writer};
use super::{Access, IscsiConfig, Target};

/// Remove every target, portal group, portal, LUN, ACL and ACL LUN that
/// `desired` does not hold, or that points at a storage object not in
/// `keep` (name → path of the objects that stay).
pub(super) fn remove_unwanted<F: Configfs + ?Sized>(
    w: &mut Writer<'_, F>,
    desired: &IscsiConfig,
    keep: &BTreeMap<String, PathBuf>,
) -> Result<(), LioError> {
    let iscsi = Path::new("target/iscsi");
    for name in w.entries(iscsi, EntryKind::Dir) {
        if name == "discovery_auth" {
            continue;
        }
        let wanted = desired.targets.iter().find(|t| t.iqn.as_str() == name);
        let dir = iscsi.join(&name);
        for tpg in w.entries(&dir, EntryKind::Dir) {
            if !tpg.starts_with("tpgt_") {
                continue;
            }
            let wanted = wanted.filter(|_| tpg == "tpgt_1");
            remove_in_tpg(w, &dir.join(&tpg), wanted, keep)?;
        }
        if wanted.is_none() {
            w.remove_dir(ObjectKind::Target, &dir)?;
        }
    }
    Ok(())
}

fn remove_in_tpg<F: Configfs + ?Sized>(
    w: &mut Writer<'_, F>,
    tpg: &Path,
    wanted: Option<&Target>,
    keep: &BTreeMap<String, PathBuf>,
) -> Result<(), LioError> {
    if wanted.is_none() && w.read(&tpg.join("enable"))? == "1" {
        // No new logins while the group is taken apart.
        let idx = w.report.begin(ObjectKind::PortalGroup, tpg);
        w.write(idx, &tpg.join("enable"), "0")?;
    }
    // A TPG LUN stays when it is wanted and still links to the storage
    // object that stays for its zvol.
    let lun_stays = |w: &Writer<'_, F>, lun_dir: &str| -> bool {
        let Some(t) = wanted else { return false };
        let Some(lun) = t
            .luns
            .iter()
            .find(|l| format!("lun_{}", l.number) == lun_dir)
        else {
            return false;
        };
        let Some(so) = keep.get(&storage_object_name(lun)) else {
            return false;
        };
        w.link_in(&tpg.join("lun").join(lun_dir)).as_ref() == Some(so)
    };
    let acls_dir = tpg.join("acls");
    for initiator in w.entries(&acls_dir, EntryKind::Dir) {
        let acl = acls_dir.join(&initiator);
        let acl_stays = match wanted.map(|t| &t.access) {
            Some(Access::Initiators { acls }) => {
                acls.iter().any(|a| a.initiator.as_str() == initiator)
            }
            _ => false,
        };
        for mapped in w.entries(&acl, EntryKind::Dir) {
            if !mapped.starts_with("lun_") {
                continue;
            }
            let dir = acl.join(&mapped);
            let stays = acl_stays
                && lun_stays(w, &mapped)
                && w.link_in(&dir) == Some(tpg.join("lun").join(&mapped));
            if !stays {
                w.remove_linked_dir(ObjectKind::AclLun, &dir)?;
            }
        }
        if !acl_stays {
            w.remove_dir(ObjectKind::Acl, &acl)?;
        }
    }
    let luns_dir = tpg.join("lun");
    for lun in w.entries(&luns_dir, EntryKind::Dir) {
        if !lun_stays(w, &lun) {
            w.remove_linked_dir(ObjectKind::Lun, &luns_dir.join(&lun))?;
        }
    }
    let np_dir = tpg.join("np");
    for np in w.entries(&np_dir, EntryKind::Dir) {
        let stays = wanted.is_some_and(|t| t.portals.iter().any(|p| p.to_string() == np));
        if !stays {
            w.remove_dir(ObjectKind::Portal, &np_dir.join(&np))?;
        }
    }
    if wanted.is_none() {
        w.remove_dir(ObjectKind::PortalGroup, tpg)?;
    }
    Ok(())
}

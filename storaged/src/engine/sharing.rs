//! Sharing: iSCSI targets on LIO, NFS exports, SMB shares and the users
//! who log in to them, and who is connected now.
//!
//! A change is computed on the desired state, the services are brought
//! to it, and it is saved only once they took it. If they refuse, they are
//! brought back to what is declared now and nothing is saved, so a failed
//! change leaves the machine and the state as they were.

use std::path::{Path, PathBuf};

use crate::lio::{ApplianceId, Chap, Iqn, LunIdentity, Target};
use crate::names::DatasetName;
use crate::nfs;
use crate::samba::{self, AccountName, Password, SambaError, ShareName, SMB_CONF_FILE};
use crate::sharing::sessions::{self, IscsiSession, NfsClient, SmbSession};
use crate::sharing::{open_share_dir, SharingReport, USERS_GROUP};
use crate::state::{dataset_path, DesiredState, MutationError, NfsExport, SmbShare, User};

use super::declared::Declared;
use super::{EngineError, Machine};

/// Whether a put declares something new or replaces what is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Create,
    Replace,
}

/// A declared iSCSI target as it is shown: CHAP secrets redacted, with
/// the identity of each of its LUNs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownTarget {
    /// The target, each CHAP secret replaced by `********`.
    pub target: Target,
    /// One per LUN of `target`, in its order; `None` until the appliance
    /// has an id.
    pub identities: Vec<Option<LunIdentity>>,
}

impl ShownTarget {
    fn of(appliance: Option<&ApplianceId>, target: &Target) -> ShownTarget {
        ShownTarget {
            identities: target
                .luns
                .iter()
                .map(|lun| appliance.map(|a| LunIdentity::derive(a, &lun.zvol)))
                .collect(),
            target: target.redacted(),
        }
    }
}

/// The declared iSCSI targets, as shown.
pub fn iscsi_targets(machine: &Machine) -> Result<Vec<ShownTarget>, EngineError> {
    let state = Declared::load(machine)?.state;
    Ok(state
        .iscsi()
        .targets()
        .iter()
        .map(|t| ShownTarget::of(state.appliance_id(), t))
        .collect())
}

/// The declared target `iqn`, as shown.
pub fn iscsi_target(machine: &Machine, iqn: &Iqn) -> Result<ShownTarget, EngineError> {
    let state = Declared::load(machine)?.state;
    let target = state
        .iscsi_target(iqn)
        .ok_or_else(|| MutationError::TargetNotDeclared(iqn.clone()))?;
    Ok(ShownTarget::of(state.appliance_id(), target))
}

/// Declares (or replaces) an iSCSI target and serves it.
pub fn put_iscsi_target(
    machine: &Machine,
    target: Target,
    put: Put,
) -> Result<SharingReport, EngineError> {
    let declared = Declared::load(machine)?;
    let exists = declared.state.iscsi_target(&target.iqn).is_some();
    match (put, exists) {
        (Put::Replace, false) => return Err(MutationError::TargetNotDeclared(target.iqn).into()),
        (Put::Create, true) => return Err(EngineError::TargetExists(target.iqn)),
        _ => {}
    }
    let with_id = declared.state.with_appliance_id(new_appliance_id()?);
    let iqn = target.iqn.clone();
    let next = with_id
        .put_iscsi_target(target)
        .map_err(EngineError::TargetRejected)?;
    apply_and_commit(
        machine,
        declared,
        &next,
        &format!("iSCSI target {iqn} is served"),
    )
}

pub fn remove_iscsi_target(machine: &Machine, iqn: &Iqn) -> Result<SharingReport, EngineError> {
    let declared = Declared::load(machine)?;
    let next = declared.state.remove_iscsi_target(iqn)?;
    apply_and_commit(
        machine,
        declared,
        &next,
        &format!("iSCSI target {iqn} was removed"),
    )
}

/// Sets (or with `None` removes) the CHAP credentials of discovery.
pub fn set_discovery_chap(
    machine: &Machine,
    chap: Option<Chap>,
) -> Result<SharingReport, EngineError> {
    let declared = Declared::load(machine)?;
    let with_id = declared.state.with_appliance_id(new_appliance_id()?);
    let next = with_id.set_discovery_chap(chap)?;
    apply_and_commit(machine, declared, &next, "discovery CHAP was set")
}

pub fn iscsi_sessions(machine: &Machine) -> Vec<IscsiSession> {
    machine.sharing.with_configfs(sessions::iscsi_sessions)
}

/// Declares (or replaces) the NFS export of a dataset and serves it.
pub fn put_nfs_export(
    machine: &Machine,
    export: NfsExport,
    put: Put,
) -> Result<SharingReport, EngineError> {
    let declared = Declared::load(machine)?;
    let exists = declared.state.nfs_export(&export.dataset).is_some();
    match (put, exists) {
        (Put::Replace, false) => {
            return Err(MutationError::ExportNotDeclared(export.dataset).into())
        }
        (Put::Create, true) => return Err(EngineError::ExportExists(export.dataset)),
        _ => {}
    }
    let dataset = export.dataset.clone();
    let next = declared.state.put_nfs_export(export)?;
    apply_and_commit(machine, declared, &next, &format!("{dataset} is exported"))
}

pub fn remove_nfs_export(
    machine: &Machine,
    dataset: &DatasetName,
) -> Result<SharingReport, EngineError> {
    let declared = Declared::load(machine)?;
    let next = declared.state.remove_nfs_export(dataset)?;
    apply_and_commit(
        machine,
        declared,
        &next,
        &format!("{dataset} is no longer exported"),
    )
}

/// A declared NFS export with where it is served from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedExport {
    pub export: NfsExport,
    /// Where the dataset mounts.
    pub path: PathBuf,
    /// The `fsid` it is exported with, stable across reboots.
    pub fsid: String,
}

/// The declared NFS exports, and the legal but risky choices among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NfsExports {
    pub exports: Vec<ServedExport>,
    /// In words.
    pub warnings: Vec<String>,
}

pub fn nfs_exports(machine: &Machine) -> Result<NfsExports, EngineError> {
    let state = Declared::load(machine)?.state;
    let pool_dir = &machine.sharing.paths.pool_dir;
    let exports = state
        .nfs_exports()
        .iter()
        .map(|e| ServedExport {
            export: e.clone(),
            path: dataset_path(pool_dir, &e.dataset),
            fsid: nfs::fsid(&e.dataset),
        })
        .collect();
    let warnings = nfs::export_warnings(&state.nfs_config(pool_dir))
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(NfsExports { exports, warnings })
}

pub fn nfs_clients(machine: &Machine) -> Vec<NfsClient> {
    sessions::nfs_clients(&machine.roots.root)
}

/// Declares an SMB share and serves it. A writable share's fresh dataset
/// directory is opened to the SMB users' group, and the report says so.
pub fn create_smb_share(machine: &Machine, share: SmbShare) -> Result<SharingReport, EngineError> {
    let declared = Declared::load(machine)?;
    if let Some(old) = declared.state.smb_share(&share.name) {
        return Err(EngineError::ShareExists(old.name.clone()));
    }
    let name = share.name.clone();
    let writable = !share.read_only;
    let path = dataset_path(&machine.sharing.paths.pool_dir, &share.dataset);
    let next = declared.state.put_smb_share(share)?;
    let mut report = apply_and_commit(
        machine,
        declared,
        &next,
        &format!("SMB share {name} is served"),
    )?;
    if writable && open_share_dir(&path).map_err(EngineError::Sharing)? {
        report.notes.push(format!(
            "{} now belongs to group {USERS_GROUP} (mode 2775), so its users can write",
            path.display(),
        ));
    }
    Ok(report)
}

/// A declared SMB share with where it is served from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedShare {
    pub share: SmbShare,
    /// Where the dataset mounts.
    pub path: PathBuf,
}

pub fn smb_shares(machine: &Machine) -> Result<Vec<ServedShare>, EngineError> {
    let state = Declared::load(machine)?.state;
    let pool_dir = &machine.sharing.paths.pool_dir;
    Ok(state
        .smb()
        .shares()
        .iter()
        .map(|s| ServedShare {
            share: s.clone(),
            path: dataset_path(pool_dir, &s.dataset),
        })
        .collect())
}

pub fn remove_smb_share(
    machine: &Machine,
    share: &ShareName,
) -> Result<SharingReport, EngineError> {
    let declared = Declared::load(machine)?;
    let next = declared.state.remove_smb_share(share)?;
    apply_and_commit(
        machine,
        declared,
        &next,
        &format!("SMB share {share} was removed"),
    )
}

/// The declared users, each with whether Samba's passdb has a password
/// for it.
pub fn smb_users(machine: &Machine) -> Result<Vec<(User, bool)>, EngineError> {
    let declared = Declared::load(machine)?;
    let in_passdb = samba::list_users(machine.sharing.users.as_ref(), conf())?;
    Ok(declared
        .state
        .users()
        .iter()
        .map(|u| {
            let has_password = in_passdb.iter().any(|p| p.name == u.name.as_str());
            (u.clone(), has_password)
        })
        .collect())
}

/// Declares the user, writes its Unix account, then gives Samba its
/// password; if Samba refuses, the account goes again and nothing is saved.
pub fn add_user(
    machine: &Machine,
    name: AccountName,
    password: &Password,
) -> Result<SharingReport, EngineError> {
    samba::check_user_name(&machine.sharing.paths.etc_dir, &name)?;
    let declared = Declared::load(machine)?;
    let (next, user) = declared.state.add_user(name)?;
    let runner = machine.runner.as_ref();
    let report = machine
        .sharing
        .apply(runner, &next)
        .map_err(EngineError::Sharing)?;
    let users = machine.sharing.users.as_ref();
    if let Err(e) = samba::set_password(users, conf(), &user.name, password) {
        let _ = machine.sharing.apply(runner, &declared.state);
        return Err(e.into());
    }
    declared.commit(&next, &format!("user {} was added", user.name))?;
    Ok(report)
}

/// Gives the declared user `user` a new password in Samba's passdb.
pub fn set_password(
    machine: &Machine,
    user: &AccountName,
    password: &Password,
) -> Result<(), EngineError> {
    let declared = Declared::load(machine)?;
    if declared.state.user(user).is_none() {
        return Err(MutationError::UserNotDeclared(user.clone()).into());
    }
    samba::set_password(machine.sharing.users.as_ref(), conf(), user, password)?;
    Ok(())
}

/// Removes the user from Samba's passdb (if there) and undeclares it.
pub fn remove_user(machine: &Machine, user: &AccountName) -> Result<SharingReport, EngineError> {
    let declared = Declared::load(machine)?;
    let next = declared.state.remove_user(user)?;
    match samba::delete_user(machine.sharing.users.as_ref(), conf(), user) {
        Ok(()) | Err(SambaError::NoSuchUser { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    apply_and_commit(
        machine,
        declared,
        &next,
        &format!("user {user} was removed"),
    )
}

pub fn smb_sessions(machine: &Machine) -> Result<Vec<SmbSession>, EngineError> {
    sessions::smb_sessions(machine.runner.as_ref()).map_err(EngineError::Sessions)
}

fn conf() -> &'static Path {
    Path::new(SMB_CONF_FILE)
}

/// A random appliance id, made when the first target is declared.
pub(super) fn new_appliance_id() -> Result<ApplianceId, EngineError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| EngineError::NoRandomness(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(hex
        .parse()
        .expect("32 lowercase hex digits are an appliance id"))
}

/// Brings the services to `next`, then saves it; if they refuse, brings
/// them back to what is declared now and saves nothing.
fn apply_and_commit(
    machine: &Machine,
    declared: Declared,
    next: &DesiredState,
    done: &str,
) -> Result<SharingReport, EngineError> {
    let runner = machine.runner.as_ref();
    match machine.sharing.apply(runner, next) {
        Ok(report) => {
            declared.commit(next, done)?;
            Ok(report)
        }
        Err(error) => {
            let restore = machine.sharing.apply(runner, &declared.state).err();
            Err(EngineError::NotApplied {
                error: Box::new(error),
                restore: restore.map(Box::new),
            })
        }
    }
}

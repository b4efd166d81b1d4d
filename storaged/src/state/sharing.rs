//! Changes to the sharing sections (iSCSI targets, NFS exports, SMB shares
//! and users), each validated against the whole state and returning a new
//! one, like the pool and dataset changes in `mutate.rs`.
//!
//! What is checked here, before anything touches the machine:
//! - every LUN is a declared volume, every export and share a declared
//!   dataset, every user a share names a declared user;
//! - the whole iSCSI configuration, the rendered exports and the rendered
//!   `smb.conf` are what the lio, nfs and samba modules accept;
//! - a volume, dataset or pool that something serves cannot be removed
//!   (`mutate.rs` asks [`DesiredState::served`]).

use std::path::{Path, PathBuf};

use super::schema::{is_below, pool_of, DesiredState, NfsExport, SmbShare, User, FIRST_USER_UID};
use super::MutationError;
use crate::lio::{ApplianceId, Chap, Iqn, IscsiConfig, Target};
use crate::names::DatasetName;
use crate::nfs;
use crate::samba::{self, AccountName, SambaConfig, ShareName};

/// What serves a dataset or volume, for "cannot remove, in use" answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServedBy {
    Lun { target: Iqn, number: u16 },
    Export,
    Share(ShareName),
}

impl std::fmt::Display for ServedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServedBy::Lun { target, number } => write!(f, "LUN {number} of iSCSI target {target}"),
            ServedBy::Export => f.write_str("an NFS export"),
            ServedBy::Share(name) => write!(f, "SMB share {name}"),
        }
    }
}

/// Where the dataset `name` mounts when its pool mounts at
/// `<pool_dir>/<pool>`: datasets inherit their mountpoint.
pub fn dataset_path(pool_dir: &Path, name: &DatasetName) -> PathBuf {
    pool_dir.join(name.as_str())
}

/// A stand-in mount base for checks that only need a valid path.
const CHECK_BASE: &str = "/var/mnt";

impl DesiredState {
    /// The iSCSI configuration LIO should serve, or `None` before the
    /// first target gave the appliance its id.
    pub fn iscsi_config(&self) -> IscsiConfig {
        IscsiConfig {
            targets: self.iscsi.targets.clone(),
            discovery_chap: self.iscsi.discovery_chap.clone(),
        }
    }

    pub fn appliance_id(&self) -> Option<&ApplianceId> {
        self.iscsi.appliance_id.as_ref()
    }

    pub fn iscsi_target(&self, iqn: &Iqn) -> Option<&Target> {
        self.iscsi.targets.iter().find(|t| &t.iqn == iqn)
    }

    /// The exports nfsd should serve, with the paths the datasets mount at.
    pub fn nfs_config(&self, pool_dir: &Path) -> Vec<nfs::Export> {
        self.nfs
            .exports
            .iter()
            .map(|e| nfs::Export {
                dataset: e.dataset.clone(),
                path: dataset_path(pool_dir, &e.dataset),
                clients: e.clients.clone(),
                access: e.access,
                squash: e.squash,
                writes: e.writes,
                insecure: e.insecure,
            })
            .collect()
    }

    pub fn nfs_export(&self, dataset: &DatasetName) -> Option<&NfsExport> {
        self.nfs.exports.iter().find(|e| &e.dataset == dataset)
    }

    /// What smbd should serve, with the paths the datasets mount at.
    pub fn samba_config(&self, pool_dir: &Path) -> SambaConfig {
        SambaConfig {
            global: self.smb.global.clone(),
            shares: self
                .smb
                .shares
                .iter()
                .map(|s| samba::Share {
                    name: s.name.clone(),
                    dataset: s.dataset.clone(),
                    path: dataset_path(pool_dir, &s.dataset),
                    read_only: s.read_only,
                    valid_users: s.valid_users.clone(),
                    valid_groups: s.valid_groups.clone(),
                    guest_ok: s.guest_ok,
                    comment: s.comment.clone(),
                })
                .collect(),
        }
    }

    pub fn smb_share(&self, name: &ShareName) -> Option<&SmbShare> {
        let wanted = name.as_str().to_ascii_lowercase();
        self.smb
            .shares
            .iter()
            .find(|s| s.name.as_str().to_ascii_lowercase() == wanted)
    }

    pub fn user(&self, name: &AccountName) -> Option<&User> {
        self.users.users.iter().find(|u| &u.name == name)
    }

    /// Give the appliance its id, once. An id already there is kept.
    pub fn with_appliance_id(&self, id: ApplianceId) -> DesiredState {
        let mut next = self.clone();
        next.iscsi.appliance_id.get_or_insert(id);
        next
    }

    /// Declare a target, or replace the one with the same IQN.
    pub fn put_iscsi_target(&self, target: Target) -> Result<Self, MutationError> {
        if self.iscsi.appliance_id.is_none() {
            return Err(MutationError::NoApplianceId);
        }
        let mut next = self.clone();
        next.iscsi.targets.retain(|t| t.iqn != target.iqn);
        let at = next.iscsi.targets.partition_point(|t| t.iqn < target.iqn);
        next.iscsi.targets.insert(at, target);
        next.check_iscsi()?;
        Ok(next)
    }

    pub fn remove_iscsi_target(&self, iqn: &Iqn) -> Result<Self, MutationError> {
        if self.iscsi_target(iqn).is_none() {
            return Err(MutationError::TargetNotDeclared(iqn.clone()));
        }
        let mut next = self.clone();
        next.iscsi.targets.retain(|t| &t.iqn != iqn);
        Ok(next)
    }

    /// Set or clear the CHAP credential SendTargets discovery asks for.
    pub fn set_discovery_chap(&self, chap: Option<Chap>) -> Result<Self, MutationError> {
        let mut next = self.clone();
        next.iscsi.discovery_chap = chap;
        next.check_iscsi()?;
        Ok(next)
    }

    /// Declare an export, or replace the one of the same dataset.
    pub fn put_nfs_export(&self, export: NfsExport) -> Result<Self, MutationError> {
        let mut next = self.clone();
        next.nfs.exports.retain(|e| e.dataset != export.dataset);
        let at = next
            .nfs
            .exports
            .partition_point(|e| e.dataset < export.dataset);
        next.nfs.exports.insert(at, export);
        next.check_nfs()?;
        Ok(next)
    }

    pub fn remove_nfs_export(&self, dataset: &DatasetName) -> Result<Self, MutationError> {
        if self.nfs_export(dataset).is_none() {
            return Err(MutationError::ExportNotDeclared(dataset.clone()));
        }
        let mut next = self.clone();
        next.nfs.exports.retain(|e| &e.dataset != dataset);
        Ok(next)
    }

    /// Declare a share, or replace the one of the same name (Samba's
    /// names ignore case).
    pub fn put_smb_share(&self, share: SmbShare) -> Result<Self, MutationError> {
        let mut next = self.clone();
        let lower = share.name.as_str().to_ascii_lowercase();
        next.smb
            .shares
            .retain(|s| s.name.as_str().to_ascii_lowercase() != lower);
        let at = next.smb.shares.partition_point(|s| s.name < share.name);
        next.smb.shares.insert(at, share);
        next.check_smb()?;
        Ok(next)
    }

    pub fn remove_smb_share(&self, name: &ShareName) -> Result<Self, MutationError> {
        let found = self
            .smb_share(name)
            .ok_or_else(|| MutationError::ShareNotDeclared(name.clone()))?
            .name
            .clone();
        let mut next = self.clone();
        next.smb.shares.retain(|s| s.name != found);
        Ok(next)
    }

    /// Declare a user with the lowest free uid from [`FIRST_USER_UID`].
    pub fn add_user(&self, name: AccountName) -> Result<(Self, User), MutationError> {
        if self.user(&name).is_some() {
            return Err(MutationError::UserExists(name));
        }
        let mut uid = FIRST_USER_UID;
        while self.users.users.iter().any(|u| u.uid == uid) {
            uid += 1;
        }
        let user = User { name, uid };
        let mut next = self.clone();
        let at = next.users.users.partition_point(|u| u.name < user.name);
        next.users.users.insert(at, user.clone());
        Ok((next, user))
    }

    /// Stop declaring a user; refused while a share names it.
    pub fn remove_user(&self, name: &AccountName) -> Result<Self, MutationError> {
        if self.user(name).is_none() {
            return Err(MutationError::UserNotDeclared(name.clone()));
        }
        if let Some(share) = self
            .smb
            .shares
            .iter()
            .find(|s| s.valid_users.contains(name))
        {
            return Err(MutationError::UserInUse {
                user: name.clone(),
                share: share.name.clone(),
            });
        }
        let mut next = self.clone();
        next.users.users.retain(|u| &u.name != name);
        Ok(next)
    }

    /// What serves `name` or anything below it (`prefix` "tank" covers the
    /// whole pool), first found.
    pub fn served(&self, name: &str) -> Option<(DatasetName, ServedBy)> {
        let covers = |d: &DatasetName| d.as_str() == name || is_below(d, name);
        for t in &self.iscsi.targets {
            if let Some(lun) = t.luns.iter().find(|l| covers(&l.zvol)) {
                let by = ServedBy::Lun {
                    target: t.iqn.clone(),
                    number: lun.number,
                };
                return Some((lun.zvol.clone(), by));
            }
        }
        if let Some(e) = self.nfs.exports.iter().find(|e| covers(&e.dataset)) {
            return Some((e.dataset.clone(), ServedBy::Export));
        }
        if let Some(s) = self.smb.shares.iter().find(|s| covers(&s.dataset)) {
            return Some((s.dataset.clone(), ServedBy::Share(s.name.clone())));
        }
        None
    }

    /// Refuse removing `name` (a pool, dataset or volume) while something
    /// serves it or anything below it.
    pub(super) fn check_not_served(&self, name: &str) -> Result<(), MutationError> {
        match self.served(name) {
            Some((dataset, by)) => Err(MutationError::Served {
                name: name.to_string(),
                dataset,
                by: by.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Every sharing invariant; run on load through `rebuilt`.
    pub(super) fn check_sharing(&self) -> Result<(), MutationError> {
        if !self.iscsi.targets.is_empty() && self.iscsi.appliance_id.is_none() {
            return Err(MutationError::NoApplianceId);
        }
        self.check_iscsi()?;
        self.check_nfs()?;
        self.check_smb()?;
        let mut uids = std::collections::BTreeSet::new();
        for u in &self.users.users {
            if u.uid < FIRST_USER_UID || !uids.insert(u.uid) {
                return Err(MutationError::BadUid {
                    user: u.name.clone(),
                    uid: u.uid,
                });
            }
        }
        Ok(())
    }

    fn check_iscsi(&self) -> Result<(), MutationError> {
        self.iscsi_config().validate()?;
        for (t, target) in self.iscsi.targets.iter().enumerate() {
            for (l, lun) in target.luns.iter().enumerate() {
                if self.volume(&lun.zvol).is_none() {
                    return Err(MutationError::LunNotVolume {
                        field: format!("targets[{t}].luns[{l}].zvol"),
                        zvol: lun.zvol.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn check_nfs(&self) -> Result<(), MutationError> {
        for e in &self.nfs.exports {
            self.check_dataset_shared(&e.dataset)?;
        }
        let exports = self.nfs_config(Path::new(CHECK_BASE));
        nfs::render_exports(&exports).map_err(|e| MutationError::Nfs(e.to_string()))?;
        Ok(())
    }

    fn check_smb(&self) -> Result<(), MutationError> {
        for s in &self.smb.shares {
            self.check_dataset_shared(&s.dataset)?;
            if let Some(user) = s.valid_users.iter().find(|u| self.user(u).is_none()) {
                return Err(MutationError::ShareUserNotDeclared {
                    share: s.name.clone(),
                    user: user.clone(),
                });
            }
        }
        samba::render_smb_conf(&self.samba_config(Path::new(CHECK_BASE)))
            .map_err(|e| MutationError::Smb(e.to_string()))?;
        Ok(())
    }

    fn check_dataset_shared(&self, dataset: &DatasetName) -> Result<(), MutationError> {
        if self.dataset(dataset).is_none() {
            return Err(MutationError::SharedNotDataset {
                dataset: dataset.clone(),
                pool_declared: self.pool(&pool_of(dataset)).is_some(),
            });
        }
        Ok(())
    }
}

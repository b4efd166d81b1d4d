//! The desired state: what the admin asked for, as it is written to
//! `state.json` (schema v4).
//!
//! Snapshots are not state: they are data, listed from ZFS. The iSCSI, NFS,
//! SMB and users sections filled in v3; the network section is still empty,
//! so adding its contents is a schema bump with a migration, not a reshape.
//!
//! Every struct denies unknown fields: a field this build does not know
//! would otherwise be dropped silently the next time the file is saved.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::migrate::CURRENT_VERSION;
use crate::lio::{ApplianceId, Chap, Target as IscsiTarget};
use crate::names::{DatasetName, DiskId, PoolName};
use crate::nfs::{Access as NfsAccess, Client as NfsClient, Squash, Writes};
use crate::samba::{AccountName, SambaGlobal, ShareName};
pub use crate::zfs::{Compression, Layout, SyncMode};

/// The whole desired state. Build one with [`DesiredState::default`] (empty)
/// or load it from a [`super::StateStore`]; change it only through the
/// methods in `mutate.rs`, which validate and return a new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredState {
    pub(super) schema_version: u32,
    /// Sorted by name.
    #[serde(default)]
    pub(super) pools: Vec<Pool>,
    /// Sorted by name, so a parent always precedes its children.
    #[serde(default)]
    pub(super) datasets: Vec<Dataset>,
    /// Sorted by name.
    #[serde(default)]
    pub(super) volumes: Vec<Volume>,
    #[serde(default)]
    pub(super) iscsi: IscsiSection,
    #[serde(default)]
    pub(super) nfs: NfsSection,
    #[serde(default)]
    pub(super) smb: SmbSection,
    #[serde(default)]
    pub(super) users: UsersSection,
    #[serde(default)]
    pub(super) network: NetworkSection,
    /// Left out while off with no keys, so a state that never touched SSH
    /// stays byte-identical and loads in builds from before the section.
    #[serde(default, skip_serializing_if = "SshSection::is_unset")]
    pub(super) ssh: SshSection,
}

impl Default for DesiredState {
    fn default() -> Self {
        DesiredState {
            schema_version: CURRENT_VERSION,
            pools: Vec::new(),
            datasets: Vec::new(),
            volumes: Vec::new(),
            iscsi: IscsiSection::default(),
            nfs: NfsSection::default(),
            smb: SmbSection::default(),
            users: UsersSection::default(),
            network: NetworkSection::default(),
            ssh: SshSection::default(),
        }
    }
}

impl DesiredState {
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    pub fn datasets(&self) -> &[Dataset] {
        &self.datasets
    }

    pub fn volumes(&self) -> &[Volume] {
        &self.volumes
    }

    pub fn pool(&self, name: &PoolName) -> Option<&Pool> {
        self.pools.iter().find(|p| &p.name == name)
    }

    pub fn dataset(&self, name: &DatasetName) -> Option<&Dataset> {
        self.datasets.iter().find(|d| &d.name == name)
    }

    pub fn volume(&self, name: &DatasetName) -> Option<&Volume> {
        self.volumes.iter().find(|v| &v.name == name)
    }

    pub fn iscsi(&self) -> &IscsiSection {
        &self.iscsi
    }

    pub fn nfs_exports(&self) -> &[NfsExport] {
        &self.nfs.exports
    }

    pub fn smb(&self) -> &SmbSection {
        &self.smb
    }

    pub fn users(&self) -> &[User] {
        &self.users.users
    }

    pub fn ssh(&self) -> &SshSection {
        &self.ssh
    }

    /// This state with `ssh` as its SSH section; the engine validates the
    /// keys (`crate::ssh::validate`) before it asks.
    pub fn with_ssh(&self, ssh: SshSection) -> DesiredState {
        DesiredState {
            ssh,
            ..self.clone()
        }
    }

    /// Pretty JSON with a trailing newline: exactly the bytes of `state.json`.
    pub fn to_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("the desired state always serializes");
        text.push('\n');
        text
    }
}

/// A pool the admin asked for. Creating it is an explicit API request; at
/// boot a declared pool is only ever imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "DeclaredPool")]
#[serde(deny_unknown_fields)]
pub struct Pool {
    pub name: PoolName,
    /// The layout of every vdev: a pool mixes none.
    pub layout: Layout,
    /// The top-level vdevs in pool order (`mirror-0`, `mirror-1`, ...),
    /// each listing its member disks by stable `/dev/disk/by-id` name. A
    /// stripe's disks are each a vdev of their own to ZFS; they are kept
    /// in the groups they were given in.
    pub vdevs: Vec<PoolVdev>,
    /// Members the admin explicitly forced past an "in use" verdict (old
    /// labels, fake-RAID metadata). Always a subset of the members.
    pub forced: BTreeSet<DiskId>,
    /// When the pool was created, in seconds since the Unix epoch (UTC).
    pub created_unix: u64,
}

/// One top-level vdev of a declared pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "DeclaredVdev")]
#[serde(deny_unknown_fields)]
pub struct PoolVdev {
    pub disks: Vec<DiskId>,
}

impl Pool {
    /// A pool of one vdev (or, for a stripe, of one disk per vdev).
    pub fn single_vdev(
        name: PoolName,
        layout: Layout,
        disks: Vec<DiskId>,
        created_unix: u64,
    ) -> Pool {
        Pool {
            name,
            layout,
            vdevs: vec![PoolVdev { disks }],
            forced: BTreeSet::new(),
            created_unix,
        }
    }

    /// Every member disk, vdev after vdev.
    pub fn disks(&self) -> Vec<DiskId> {
        self.vdevs
            .iter()
            .flat_map(|v| v.disks.iter().cloned())
            .collect()
    }

    /// The vdevs as lists of disks, as `zfs::PoolSpec` takes them.
    pub fn vdev_disks(&self) -> Vec<Vec<DiskId>> {
        self.vdevs.iter().map(|v| v.disks.clone()).collect()
    }

    /// Whether `disk` is a member.
    pub fn has_disk(&self, disk: &DiskId) -> bool {
        self.vdevs.iter().any(|v| v.disks.contains(disk))
    }
}

/// A filesystem dataset below a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    pub name: DatasetName,
    #[serde(default)]
    pub properties: DatasetProps,
}

/// The dataset properties storaged manages. `None` means "no quota" and
/// "ZFS's default recordsize" respectively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetProps {
    #[serde(default = "default_compression")]
    pub compression: Compression,
    #[serde(default)]
    pub sync: SyncMode,
    /// Bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<u64>,
    /// Bytes; a power of two from 512 B to 16 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recordsize: Option<u64>,
}

impl Default for DatasetProps {
    /// lz4, sync standard, no quota, ZFS's recordsize.
    fn default() -> Self {
        DatasetProps {
            compression: DEFAULT_COMPRESSION,
            sync: SyncMode::Standard,
            quota: None,
            recordsize: None,
        }
    }
}

/// The compression a dataset or volume gets when the admin names none.
/// Written into the state explicitly (not left to inherit from the pool),
/// so the declaration says what the machine should hold.
pub const DEFAULT_COMPRESSION: Compression = Compression::Lz4;

fn default_compression() -> Compression {
    DEFAULT_COMPRESSION
}

/// The default zvol block size: 16K suits VMFS and NTFS guests.
pub const DEFAULT_VOLBLOCKSIZE: u64 = crate::zfs::DEFAULT_VOLBLOCKSIZE;

/// A zvol, the backing store of an iSCSI LUN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    pub name: DatasetName,
    /// `volsize`, a multiple of `volblocksize`.
    pub size_bytes: u64,
    /// A power of two from 512 B to 128 KiB; fixed once the zvol exists.
    #[serde(default = "default_volblocksize")]
    pub volblocksize: u64,
    /// Thin-provisioned (`zfs create -s`, no refreservation).
    #[serde(default)]
    pub sparse: bool,
    #[serde(default)]
    pub sync: SyncMode,
    #[serde(default = "default_compression")]
    pub compression: Compression,
}

fn default_volblocksize() -> u64 {
    DEFAULT_VOLBLOCKSIZE
}

impl Volume {
    /// A volume with the appliance defaults: 16K blocks, thick, sync
    /// standard, lz4.
    pub fn new(name: DatasetName, size_bytes: u64) -> Self {
        Volume {
            name,
            size_bytes,
            volblocksize: DEFAULT_VOLBLOCKSIZE,
            sparse: false,
            sync: SyncMode::Standard,
            compression: DEFAULT_COMPRESSION,
        }
    }
}

/// iSCSI: the appliance id LUN identities derive from, the targets (each
/// with its portals, LUNs and who may log in) and discovery CHAP. CHAP
/// secrets are stored as given: LIO needs them in the clear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IscsiSection {
    /// Made once, when the first target is declared, and never changed:
    /// every LUN's serial and NAA WWN derive from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) appliance_id: Option<ApplianceId>,
    /// Sorted by IQN.
    #[serde(default)]
    pub(super) targets: Vec<IscsiTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) discovery_chap: Option<Chap>,
}

/// NFS exports, sorted by dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NfsSection {
    #[serde(default)]
    pub(super) exports: Vec<NfsExport>,
}

/// One exported dataset. Its path is where the dataset mounts, so it is
/// not stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NfsExport {
    pub dataset: DatasetName,
    pub clients: Vec<NfsClient>,
    #[serde(default)]
    pub access: NfsAccess,
    #[serde(default)]
    pub squash: Squash,
    #[serde(default)]
    pub writes: Writes,
    #[serde(default)]
    pub insecure: bool,
}

/// SMB: server-wide settings and the shares, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmbSection {
    #[serde(default)]
    pub(super) global: SambaGlobal,
    #[serde(default)]
    pub(super) shares: Vec<SmbShare>,
}

/// One share of a dataset, mounted where the dataset mounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmbShare {
    pub name: ShareName,
    pub dataset: DatasetName,
    #[serde(default)]
    pub read_only: bool,
    /// Declared users allowed in; empty (and no groups) means every user.
    #[serde(default)]
    pub valid_users: Vec<AccountName>,
    #[serde(default)]
    pub valid_groups: Vec<AccountName>,
    #[serde(default)]
    pub guest_ok: bool,
    #[serde(default)]
    pub comment: String,
}

/// Local users for SMB. Only names and Unix ids: passwords live in
/// Samba's passdb on `/var`, never here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersSection {
    /// Sorted by name.
    #[serde(default)]
    pub(super) users: Vec<User>,
}

/// A local user: the Unix account smbd runs its sessions as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: AccountName,
    /// Allocated from [`FIRST_USER_UID`] up, never reused while declared.
    pub uid: u32,
}

/// The first uid storaged gives a user: above Debian's dynamic system
/// range and the first login user (1000), below systemd's dynamic range.
pub const FIRST_USER_UID: u32 = 2000;
/// The group every storaged user is in (`storage-users`).
pub const USERS_GID: u32 = 2000;

/// The SSH service: off, with no keys, unless the owner turns it on.
/// Keys are whole `authorized_keys` lines (`type base64 comment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshSection {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub authorized_keys: Vec<String>,
}

impl SshSection {
    fn is_unset(&self) -> bool {
        self == &SshSection::default()
    }
}

/// Storage VLANs, addresses and MTU. Empty until then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {}

/// The pool a dataset or volume lives in: the part before the first `/`.
pub fn pool_of(name: &DatasetName) -> PoolName {
    let pool = name.as_str().split('/').next().unwrap_or_default();
    pool.parse()
        .expect("a DatasetName always starts with a valid pool name")
}

/// Where a dataset or volume hangs: directly below its pool, or below a
/// dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parent {
    Pool(PoolName),
    Dataset(DatasetName),
}

pub fn parent_of(name: &DatasetName) -> Parent {
    let (parent, _) = name
        .as_str()
        .rsplit_once('/')
        .expect("a DatasetName always has a /");
    match parent.parse::<DatasetName>() {
        Ok(dataset) => Parent::Dataset(dataset),
        Err(_) => Parent::Pool(pool_of(name)),
    }
}

/// Whether `name` lies strictly below `ancestor` (`tank/a/b` below `tank/a`
/// or below pool `tank`).
pub fn is_below(name: &DatasetName, ancestor: &str) -> bool {
    name.as_str()
        .strip_prefix(ancestor)
        .is_some_and(|rest| rest.starts_with('/'))
}

impl IscsiSection {
    pub fn targets(&self) -> &[IscsiTarget] {
        &self.targets
    }
}

impl SmbSection {
    pub fn shares(&self) -> &[SmbShare] {
        &self.shares
    }

    pub fn global(&self) -> &SambaGlobal {
        &self.global
    }
}

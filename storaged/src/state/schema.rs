//! The desired state: what the admin asked for, as it is written to
//! `state.json` (schema v2).
//!
//! Snapshots are not state: they are data, listed from ZFS. Sections for
//! iSCSI, NFS, SMB, users and network exist already (empty) so that adding
//! their contents later is a schema bump with a migration, not a reshape.
//!
//! Every struct denies unknown fields: a field this build does not know
//! would otherwise be dropped silently the next time the file is saved.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::migrate::CURRENT_VERSION;
use crate::names::{DatasetName, DiskId, PoolName};
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    pub name: PoolName,
    pub layout: Layout,
    /// Member disks in vdev order, by stable `/dev/disk/by-id` name.
    pub disks: Vec<DiskId>,
    /// Members the admin explicitly forced past an "in use" verdict (old
    /// labels, fake-RAID metadata). Always a subset of `disks`.
    pub forced: BTreeSet<DiskId>,
    /// When the pool was created, in seconds since the Unix epoch (UTC).
    pub created_unix: u64,
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

/// iSCSI targets, portals, LUNs, ACLs and CHAP. Empty until then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IscsiSection {}

/// NFS exports. Empty until then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NfsSection {}

/// SMB shares. Empty until then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmbSection {}

/// Local users for the web page and SMB. Empty until then. When it fills,
/// it holds password hashes (and Samba's NT hash), never a plaintext
/// password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersSection {}

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

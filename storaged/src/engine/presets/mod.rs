//! Presets: the common recipes of a home lab's storage box, each one engine
//! operation built from the existing ones, so they validate, save and fail
//! exactly as the plain operations do.
//!
//! - `vmware-iscsi`: a sparse zvol with 16K blocks for a VMFS datastore,
//!   optionally added as the next LUN of a declared iSCSI target;
//! - `smb-video`: a dataset with 1M records for large sequential files,
//!   optionally shared over SMB to named users;
//! - `pi-nfs-root`: a dataset exported to one Raspberry Pi's address as its
//!   root filesystem (`rw,no_root_squash`, sync unless asked), with the
//!   Pi's `cmdline.txt` line.
//!
//! All or nothing: the whole change to the desired state is computed (and
//! so validated) before `zfs` runs; when the sharing services then refuse,
//! the services are brought back, the dataset or zvol just made is
//! destroyed again and nothing is saved, and the error says all of that.

use std::net::{Ipv4Addr, UdpSocket};

use serde::{Deserialize, Serialize};

use crate::lio::{BlockSize, Iqn, Lun};
use crate::names::DatasetName;
use crate::nfs::{Access as NfsAccess, Client, Squash, Writes};
use crate::samba::{AccountName, ShareName};
use crate::sharing::{open_share_dir, SharingError, SharingReport, USERS_GROUP};
use crate::state::{
    dataset_path, Dataset, DatasetProps, DesiredState, MutationError, NfsExport, SmbShare, Volume,
    DEFAULT_COMPRESSION,
};
use crate::zfs::{self, DatasetSpec, Plan, SyncMode, ZfsError, ZvolSpec};

use super::declared::Declared;
use super::sharing::new_appliance_id;
use super::{EngineError, Machine};

mod catalog;

use catalog::ROOT_SQUASH_WARNING;
pub use catalog::{catalog, PresetInfo, PresetOption, ASYNC_WARNING, INSECURE_WARNING};

/// The zvol block size VMware datastores get: VMFS 6 allocates in 1 MiB
/// blocks with 8K sub-blocks, and 16K keeps compression worthwhile while
/// small guest writes stay cheap (OpenZFS's default since 2.2).
pub const VMWARE_VOLBLOCKSIZE: u64 = 16 * 1024;
/// The record size for video files: large sequential reads and writes.
pub const VIDEO_RECORDSIZE: u64 = 1024 * 1024;
/// The NFS options of the Raspberry Pi network-boot tutorial's `cmdline.txt`.
pub const PI_NFSROOT_OPTIONS: &str = "vers=4.1,proto=tcp";

/// Why a preset did not happen, beyond the errors of the operations it is
/// made of.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    /// The dataset or zvol was made, then the sharing services refused
    /// the share or LUN; `undo` is why destroying it again failed.
    #[error("preset {preset}: {name} was created, but {what} failed{}; nothing was declared", undone(name, .restore, .undo))]
    NotShared {
        preset: &'static str,
        name: DatasetName,
        what: &'static str,
        #[source]
        error: Box<SharingError>,
        restore: Option<Box<SharingError>>,
        undo: Option<Box<ZfsError>>,
    },
}

fn undone(
    name: &DatasetName,
    restore: &Option<Box<SharingError>>,
    undo: &Option<Box<ZfsError>>,
) -> String {
    let mut text = match undo {
        None => format!("; {name} was destroyed again"),
        Some(e) => format!(
            "; destroying {name} again failed too ({e}), so it exists but is not declared: \
             destroy it by hand (zfs destroy {name})"
        ),
    };
    if let Some(e) = restore {
        text.push_str(&format!(
            "; restoring the previous sharing configuration failed too: {e}"
        ));
    }
    text
}

/// `vmware-iscsi`'s inputs.
#[derive(Debug, Clone)]
pub struct VmwareIscsi {
    pub volume: DatasetName,
    pub size: u64,
    pub target: Option<Iqn>,
    pub lun: Option<u16>,
}

/// What `vmware-iscsi` did.
#[derive(Debug, Clone)]
pub struct VmwareDone {
    pub plan: Plan,
    /// The target and LUN number the zvol was added as.
    pub lun: Option<(Iqn, u16)>,
    pub sharing: Option<SharingReport>,
    pub next_steps: Vec<String>,
}

pub fn vmware_iscsi(machine: &Machine, request: VmwareIscsi) -> Result<VmwareDone, EngineError> {
    let declared = Declared::load(machine)?;
    let volume = Volume {
        volblocksize: VMWARE_VOLBLOCKSIZE,
        sparse: true,
        ..Volume::new(request.volume.clone(), request.size)
    };
    let spec = ZvolSpec {
        volblocksize: volume.volblocksize,
        sparse: true,
        compression: Some(volume.compression),
        sync: volume.sync,
        ..ZvolSpec::new(volume.name.clone(), volume.size_bytes)
    };
    let name = volume.name.clone();
    let mut next = declared.state.add_volume(volume)?;
    let mut lun = None;
    if let Some(iqn) = &request.target {
        let mut target = next
            .iscsi_target(iqn)
            .cloned()
            .ok_or_else(|| MutationError::TargetNotDeclared(iqn.clone()))?;
        let number = request
            .lun
            .unwrap_or_else(|| lowest_free_lun(target.luns.iter().map(|l| l.number)));
        target.luns.push(Lun {
            number,
            zvol: name.clone(),
            // ESXi expects 512-byte logical blocks on VMFS datastores.
            block_size: BlockSize::B512,
            read_only: false,
        });
        next = next
            .with_appliance_id(new_appliance_id()?)
            .put_iscsi_target(target)
            .map_err(EngineError::TargetRejected)?;
        lun = Some((iqn.clone(), number));
    }
    zfs::plan_create_zvol(&spec)?;
    let plan = zfs::create_zvol(machine.runner.as_ref(), &spec)?;
    let sharing = match &lun {
        Some(_) => Some(share_or_undo(
            machine,
            &declared.state,
            &next,
            &name,
            "vmware-iscsi",
            "adding it as an iSCSI LUN",
        )?),
        None => None,
    };
    declared.commit(&next, &format!("volume {name} was created"))?;
    let next_steps = match &lun {
        Some((iqn, number)) => vec![format!(
            "On ESXi, rescan the iSCSI adapter: the zvol is LUN {number} of {iqn}; then create a VMFS datastore on it."
        )],
        None => vec![
            "Add it as a LUN of an iSCSI target: name the target in this preset's `target`, or \
             PUT /api/v1/iscsi/targets/{iqn} with the zvol in `luns` (storagectl iscsi create ... --lun N=ZVOL)."
                .into(),
        ],
    };
    Ok(VmwareDone {
        plan,
        lun,
        sharing,
        next_steps,
    })
}

fn lowest_free_lun(used: impl Iterator<Item = u16>) -> u16 {
    let used: Vec<u16> = used.collect();
    (0..=u16::MAX).find(|n| !used.contains(n)).unwrap_or(0)
}

/// `smb-video`'s inputs.
#[derive(Debug, Clone)]
pub struct SmbVideo {
    pub dataset: DatasetName,
    pub share: Option<ShareName>,
    pub users: Vec<AccountName>,
}

#[derive(Debug, Clone)]
pub struct SmbVideoDone {
    pub plan: Plan,
    pub sharing: Option<SharingReport>,
    pub next_steps: Vec<String>,
}

pub fn smb_video(machine: &Machine, request: SmbVideo) -> Result<SmbVideoDone, EngineError> {
    let declared = Declared::load(machine)?;
    let props = DatasetProps {
        compression: DEFAULT_COMPRESSION,
        sync: SyncMode::Standard,
        quota: None,
        recordsize: Some(VIDEO_RECORDSIZE),
    };
    let name = request.dataset.clone();
    let spec = dataset_spec(&name, &props);
    let mut next = declared.state.add_dataset(Dataset {
        name: name.clone(),
        properties: props,
    })?;
    if let Some(share) = &request.share {
        if let Some(old) = next.smb_share(share) {
            return Err(EngineError::ShareExists(old.name.clone()));
        }
        next = next.put_smb_share(SmbShare {
            name: share.clone(),
            dataset: name.clone(),
            read_only: false,
            valid_users: request.users.clone(),
            valid_groups: Vec::new(),
            guest_ok: false,
            comment: "video editing".into(),
        })?;
    }
    zfs::plan_create_dataset(&spec)?;
    let plan = zfs::create_dataset(machine.runner.as_ref(), &spec)?;
    let mut sharing = match &request.share {
        Some(_) => Some(share_or_undo(
            machine,
            &declared.state,
            &next,
            &name,
            "smb-video",
            "sharing it over SMB",
        )?),
        None => None,
    };
    declared.commit(&next, &format!("dataset {name} was created"))?;
    let mut next_steps = Vec::new();
    if let (Some(share), Some(report)) = (&request.share, sharing.as_mut()) {
        let path = dataset_path(&machine.sharing.paths.pool_dir, &name);
        if open_share_dir(&path).map_err(EngineError::Sharing)? {
            report.notes.push(format!(
                "{} now belongs to group {USERS_GROUP} (mode 2775), so its users can write",
                path.display(),
            ));
        }
        next_steps.push(format!(
            "On Windows, map \\\\<box>\\{share}; users need an SMB password (storagectl smb user passwd NAME)."
        ));
    } else {
        next_steps.push(
            "Share it: POST /api/v1/smb/shares (storagectl smb share add NAME DATASET).".into(),
        );
    }
    Ok(SmbVideoDone {
        plan,
        sharing,
        next_steps,
    })
}

/// `pi-nfs-root`'s inputs.
#[derive(Debug, Clone)]
pub struct PiNfsRoot {
    pub dataset: DatasetName,
    pub client: Ipv4Addr,
    pub async_writes: bool,
    pub insecure: bool,
    /// The box's address for `nfsroot=`; found from the route when `None`.
    pub server: Option<Ipv4Addr>,
}

/// Where the `nfsroot=` address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerSource {
    /// The request's `server`.
    Request,
    /// The address the box sends from to reach the Pi's address.
    Route,
    /// Neither: the line holds `<box-address>` to replace.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct PiNfsRootDone {
    pub plan: Plan,
    pub export: NfsExport,
    /// Where the dataset mounts: the path in `nfsroot=`.
    pub path: String,
    pub server: Option<Ipv4Addr>,
    pub server_source: ServerSource,
    pub cmdline: String,
    pub sharing: SharingReport,
    pub warnings: Vec<String>,
    pub next_steps: Vec<String>,
}

pub fn pi_nfs_root(machine: &Machine, request: PiNfsRoot) -> Result<PiNfsRootDone, EngineError> {
    let declared = Declared::load(machine)?;
    let name = request.dataset.clone();
    let props = DatasetProps::default();
    let spec = dataset_spec(&name, &props);
    let export = pi_export(&request);
    let next = declared
        .state
        .add_dataset(Dataset {
            name: name.clone(),
            properties: props,
        })?
        .put_nfs_export(export.clone())?;
    zfs::plan_create_dataset(&spec)?;
    let plan = zfs::create_dataset(machine.runner.as_ref(), &spec)?;
    let sharing = share_or_undo(
        machine,
        &declared.state,
        &next,
        &name,
        "pi-nfs-root",
        "exporting it over NFS",
    )?;
    declared.commit(&next, &format!("dataset {name} was created and exported"))?;

    let path = dataset_path(&machine.sharing.paths.pool_dir, &name)
        .strip_prefix(&machine.roots.root)
        .map(|p| format!("/{}", p.display()))
        .unwrap_or_else(|_| {
            dataset_path(&machine.sharing.paths.pool_dir, &name)
                .display()
                .to_string()
        });
    let (server, server_source) = match request.server {
        Some(a) => (Some(a), ServerSource::Request),
        None => match route_source(request.client) {
            Some(a) => (Some(a), ServerSource::Route),
            None => (None, ServerSource::Unknown),
        },
    };
    let cmdline = pi_cmdline(server, &path);
    let mut warnings = vec![ROOT_SQUASH_WARNING.to_string()];
    if request.async_writes {
        warnings.push(ASYNC_WARNING.into());
    }
    if request.insecure {
        warnings.push(INSECURE_WARNING.into());
    }
    // The steps of the Raspberry Pi network-boot tutorial that happen
    // off the box. Only the Pi's address may mount the export, so the
    // copy is made from the Pi itself, booted from its SD card.
    let mut next_steps = vec![
        format!(
            "On the Pi, booted from its SD card: mount {}:{path} /mnt -o {PI_NFSROOT_OPTIONS},              then copy its root in as root: rsync -xa --exclude /mnt / /mnt",
            server.map_or_else(|| "<box-address>".to_string(), |a| a.to_string())
        ),
        "In the copy, make new SSH host keys (rm etc/ssh/ssh_host_*; dpkg-reconfigure openssh-server in a chroot) and remove the SD card's / and /boot lines from etc/fstab.".into(),
        "Replace cmdline.txt from root= onwards with the cmdline line's (on the Pi's TFTP boot files or SD card).".into(),
    ];
    if server_source == ServerSource::Unknown {
        next_steps
            .push("Replace <box-address> with an address of this box the Pi can reach.".into());
    }
    Ok(PiNfsRootDone {
        plan,
        export,
        path,
        server,
        server_source,
        cmdline,
        sharing,
        warnings,
        next_steps,
    })
}

/// The export `pi-nfs-root` declares: the Pi's one address, read-write,
/// root not squashed, sync unless asked.
pub fn pi_export(request: &PiNfsRoot) -> NfsExport {
    NfsExport {
        dataset: request.dataset.clone(),
        clients: vec![Client::Address(request.client.into())],
        access: NfsAccess::ReadWrite,
        squash: Squash::NoRootSquash,
        writes: if request.async_writes {
            Writes::Async
        } else {
            Writes::Sync
        },
        insecure: request.insecure,
    }
}

/// The Pi's `cmdline.txt` line, as the Raspberry Pi network-boot tutorial
/// writes it (one line, space-separated).
pub fn pi_cmdline(server: Option<Ipv4Addr>, path: &str) -> String {
    let server = server.map_or_else(|| "<box-address>".to_string(), |a| a.to_string());
    format!(
        "console=serial0,115200 console=tty1 root=/dev/nfs nfsroot={server}:{path},{PI_NFSROOT_OPTIONS} rw ip=dhcp rootwait"
    )
}

/// The address the kernel would send from to reach `client`: connecting a
/// UDP socket only picks the route, no packet leaves.
fn route_source(client: Ipv4Addr) -> Option<Ipv4Addr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((client, 2049)).ok()?;
    match socket.local_addr().ok()?.ip() {
        std::net::IpAddr::V4(a) if !a.is_unspecified() => Some(a),
        _ => None,
    }
}

fn dataset_spec(name: &DatasetName, props: &DatasetProps) -> DatasetSpec {
    DatasetSpec {
        compression: Some(props.compression),
        sync: props.sync,
        quota: props.quota,
        recordsize: props.recordsize,
        ..DatasetSpec::new(name.clone())
    }
}

/// Brings the sharing services to `next`; if they refuse, brings them back
/// to `now`, destroys the freshly made `name` and says what happened.
fn share_or_undo(
    machine: &Machine,
    now: &DesiredState,
    next: &DesiredState,
    name: &DatasetName,
    preset: &'static str,
    what: &'static str,
) -> Result<SharingReport, EngineError> {
    let runner = machine.runner.as_ref();
    match machine.sharing.apply(runner, next) {
        Ok(report) => Ok(report),
        Err(error) => {
            let restore = machine.sharing.apply(runner, now).err().map(Box::new);
            let undo = zfs::destroy_dataset(runner, name, false)
                .err()
                .map(Box::new);
            Err(PresetError::NotShared {
                preset,
                name: name.clone(),
                what,
                error: Box::new(error),
                restore,
                undo,
            }
            .into())
        }
    }
}

#[cfg(test)]
mod tests;

//! Bringing the machine's sharing services to the desired state: the LIO
//! tree in configfs, the exports and `nfs.conf` nfsd reads, the `smb.conf`
//! smbd reads, and the Unix accounts SMB users run as.
//!
//! [`apply_sharing`] is idempotent and writes only what differs: an
//! unchanged configfs value is never rewritten (live iSCSI sessions
//! survive), an unchanged file is not rewritten and its service not
//! reloaded. It runs at every start (after the pools are imported) and
//! after every sharing change through the API.
//!
//! The files live under `/run` (the root is read-only): the image links
//! `/etc/exports.d/storaged.exports`, `/etc/nfs.conf.d/storaged.conf` and
//! `/etc/samba/smb.conf` to them, and orders nfs-server and smbd after
//! storaged so they are there when the services start.

mod accounts;
pub mod sessions;

#[cfg(test)]
mod tests;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::lio::fake::FakeConfigfs;
use crate::lio::{self, Configfs, LioSettings, RealConfigfs};
use crate::nfs::{self, NfsSettings};
use crate::roots::Roots;
use crate::runner::CommandRunner;
use crate::samba;
use crate::samba::fake::FakeSamba;
use crate::samba::{UserToolRunner, ViaCommandRunner};
use crate::state::DesiredState;

pub use accounts::{render_group, render_passwd, USERS_GROUP};

/// Where the sharing files and objects of one machine live.
#[derive(Debug, Clone)]
pub struct SharingPaths {
    /// `/run/storaged`: `nfs/` and `samba/` below it.
    pub runtime_dir: PathBuf,
    /// Where pools mount: `<pool_dir>/<pool>`.
    pub pool_dir: PathBuf,
    /// libnss-extrausers' directory (`/var/lib/extrausers`): `passwd` and
    /// `group` of the SMB users, since `/etc` is read-only.
    pub accounts_dir: PathBuf,
    /// LIO's persistent directory for reservations and ALUA state.
    pub lio_dbroot: PathBuf,
    /// The machine's `/etc`, whose `passwd` and `group` name the system
    /// accounts an SMB user must not take.
    pub etc_dir: PathBuf,
    /// `/dev`, to wait for each LUN's `/dev/zvol/...` link; `None` under
    /// `--sim`, where there are no devices.
    pub dev_root: Option<PathBuf>,
}

impl SharingPaths {
    pub fn exports_file(&self) -> PathBuf {
        self.runtime_dir.join("nfs/storaged.exports")
    }

    pub fn nfs_conf_file(&self) -> PathBuf {
        self.runtime_dir.join("nfs/nfs.conf")
    }

    pub fn smb_conf_file(&self) -> PathBuf {
        self.runtime_dir.join("samba/smb.conf")
    }
}

/// The sharing side of one machine: its paths, its configfs and how Samba
/// users are managed. The real ones, or under `--sim` an in-memory
/// configfs and a fake passdb.
pub struct SharingHost {
    pub paths: SharingPaths,
    configfs: Mutex<Box<dyn Configfs + Send>>,
    pub users: Box<dyn UserToolRunner>,
}

impl SharingPaths {
    /// The appliance's places, below the machine's roots; `sim` has no
    /// devices to wait for.
    pub fn for_machine(roots: &Roots, runtime_dir: &Path, state_dir: &Path, sim: bool) -> Self {
        SharingPaths {
            runtime_dir: runtime_dir.to_path_buf(),
            pool_dir: roots.pool_mount_base(),
            accounts_dir: roots.root.join(ACCOUNTS_DIR),
            lio_dbroot: state_dir.join(LIO_DBROOT_DIR),
            etc_dir: roots.root.join("etc"),
            dev_root: (!sim).then(|| roots.dev.clone()),
        }
    }
}

impl SharingHost {
    /// The kernel's configfs under `configfs_root`, Samba's users through
    /// its own tools.
    pub fn real(
        paths: SharingPaths,
        configfs_root: &Path,
        runner: Arc<dyn CommandRunner>,
    ) -> SharingHost {
        SharingHost {
            paths,
            configfs: Mutex::new(Box::new(RealConfigfs::new(configfs_root))),
            users: Box::new(ViaCommandRunner(runner)),
        }
    }

    /// For `--sim`: an in-memory configfs and a fake passdb that reads the
    /// generated `passwd`.
    pub fn simulated(paths: SharingPaths) -> SharingHost {
        let passwd = paths.accounts_dir.join("passwd");
        SharingHost {
            paths,
            configfs: Mutex::new(Box::new(FakeConfigfs::new())),
            users: Box::new(FakeSamba::reading_passwd(passwd)),
        }
    }

    /// [`apply_sharing`] on this machine.
    pub fn apply(
        &self,
        runner: &dyn CommandRunner,
        desired: &DesiredState,
    ) -> Result<SharingReport, SharingError> {
        let mut fs = self.configfs.lock().unwrap_or_else(|e| e.into_inner());
        apply_sharing(runner, fs.as_mut(), &self.paths, desired)
    }

    /// Reads configfs (for sessions).
    pub fn with_configfs<T>(&self, read: impl FnOnce(&dyn Configfs) -> T) -> T {
        let fs = self.configfs.lock().unwrap_or_else(|e| e.into_inner());
        read(fs.as_ref())
    }
}

/// libnss-extrausers' directory, below the root.
pub const ACCOUNTS_DIR: &str = "var/lib/extrausers";
/// LIO's dbroot, below storaged's state directory.
pub const LIO_DBROOT_DIR: &str = "lio";

/// How long a new zvol's udev link may take to appear.
const ZVOL_LINK_WAIT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    #[error("iSCSI")]
    Lio(#[from] lio::LioError),
    #[error("iSCSI: {zvol} has no device {} after {} s; is the pool imported?", path.display(), ZVOL_LINK_WAIT.as_secs())]
    NoZvolDevice { zvol: String, path: PathBuf },
    #[error("iSCSI targets are declared but the kernel's LIO is missing: {} does not exist (is target_core_mod loaded?)", path.display())]
    NoLio { path: PathBuf },
    #[error("NFS")]
    Nfs(#[from] nfs::NfsError),
    #[error("SMB")]
    Samba(#[from] samba::SambaError),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What one [`apply_sharing`] did, for the log and the API.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
pub struct SharingReport {
    /// configfs entries created, written or removed.
    pub iscsi_changes: usize,
    pub exports_changed: bool,
    pub smb_conf_changed: bool,
    pub accounts_changed: bool,
    /// Legal but risky choices (async, insecure exports).
    pub warnings: Vec<String>,
    /// Things the admin should know that are not errors.
    pub notes: Vec<String>,
}

impl SharingReport {
    pub fn changed(&self) -> bool {
        self.iscsi_changes > 0
            || self.exports_changed
            || self.smb_conf_changed
            || self.accounts_changed
    }
}

/// Brings LIO, nfsd's files and smbd's file to `desired`.
pub fn apply_sharing(
    runner: &dyn CommandRunner,
    configfs: &mut dyn Configfs,
    paths: &SharingPaths,
    desired: &DesiredState,
) -> Result<SharingReport, SharingError> {
    let mut report = SharingReport {
        accounts_changed: write_accounts(paths, desired)?,
        ..SharingReport::default()
    };
    report.iscsi_changes = apply_iscsi(configfs, paths, desired)?;

    let exports = desired.nfs_config(&paths.pool_dir);
    report.warnings = nfs::export_warnings(&exports)
        .iter()
        .map(ToString::to_string)
        .collect();
    let rendered = nfs::render_exports(&exports)?;
    let conf = nfs::render_nfs_conf(&NfsSettings::default())?;
    // At boot /run is empty, so the file is always new then; only a change
    // to one nfs-server already read is worth a note.
    let conf_existed = paths.nfs_conf_file().exists();
    let conf_changed = write_if_changed(&paths.nfs_conf_file(), &conf)? && conf_existed;
    report.exports_changed = write_if_changed(&paths.exports_file(), &rendered)?;
    if conf_changed {
        // Ports and threads are read when nfs-server starts; at boot that
        // is after this. A change at run time (a new storaged) waits for
        // the next start of nfs-server, which the note says.
        report
            .notes
            .push("nfs.conf changed; nfs-server reads it when it next starts".into());
    }
    // Always: at start nfsd may have exported the previous boot's etab.
    nfs::reload(runner)?;

    let smb = samba::render_smb_conf(&desired.samba_config(&paths.pool_dir))?;
    report.smb_conf_changed = write_if_changed(&paths.smb_conf_file(), &smb)?;
    if report.smb_conf_changed {
        reload_smbd(runner)?;
    }
    Ok(report)
}

/// smbd re-reads `smb.conf` on `reload-config`; when smbd is not running
/// (at boot it starts after storaged) it reads the file when it starts.
fn reload_smbd(runner: &dyn CommandRunner) -> Result<(), SharingError> {
    match samba::reload(runner) {
        Ok(()) => Ok(()),
        Err(samba::SambaError::Command { source, .. })
            if source.stderr().contains("Can't find pid") =>
        {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn apply_iscsi(
    configfs: &mut dyn Configfs,
    paths: &SharingPaths,
    desired: &DesiredState,
) -> Result<usize, SharingError> {
    let config = desired.iscsi_config();
    let wanted = !config.targets.is_empty() || config.discovery_chap.is_some();
    let present = configfs.list(Path::new("target")).is_ok();
    if !present {
        if wanted {
            return Err(SharingError::NoLio {
                path: PathBuf::from("target"),
            });
        }
        return Ok(0);
    }
    let Some(appliance) = desired.appliance_id().cloned() else {
        // No target was ever declared: nothing of ours can be in configfs.
        return Ok(0);
    };
    if let Some(dev) = &paths.dev_root {
        for target in &config.targets {
            for lun in &target.luns {
                wait_for_zvol(dev, lun.zvol.as_str())?;
            }
        }
    }
    fs::create_dir_all(&paths.lio_dbroot).map_err(|source| SharingError::Write {
        path: paths.lio_dbroot.clone(),
        source,
    })?;
    let settings = LioSettings {
        dbroot: paths.lio_dbroot.clone(),
        appliance,
    };
    let report = lio::ensure_lio(configfs, &settings, &config)?;
    Ok(report.touched().count())
}

/// udev makes `/dev/zvol/<pool>/<vol>` a moment after the zvol appears.
fn wait_for_zvol(dev: &Path, zvol: &str) -> Result<(), SharingError> {
    let path = dev.join("zvol").join(zvol);
    let start = Instant::now();
    while !path.exists() {
        if start.elapsed() > ZVOL_LINK_WAIT {
            return Err(SharingError::NoZvolDevice {
                zvol: zvol.to_string(),
                path,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn write_accounts(paths: &SharingPaths, desired: &DesiredState) -> Result<bool, SharingError> {
    let passwd = render_passwd(desired.users());
    let group = render_group(desired.users());
    let a = write_if_changed(&paths.accounts_dir.join("passwd"), &passwd)?;
    let b = write_if_changed(&paths.accounts_dir.join("group"), &group)?;
    Ok(a || b)
}

/// Makes a freshly created dataset's directory writable by SMB users: a
/// new dataset mounts as root's, mode 0755, where no user could write.
/// Only that exact fresh state is changed (to group storage-users, mode
/// 2775, so new files keep the group); a directory the admin has set up
/// otherwise, or one that is not there (`--sim`), is left alone. Returns
/// whether it changed anything.
pub fn open_share_dir(path: &Path) -> Result<bool, SharingError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(meta) = fs::metadata(path) else {
        return Ok(false);
    };
    let fresh =
        meta.is_dir() && meta.uid() == 0 && meta.gid() == 0 && meta.mode() & 0o7777 == 0o755;
    if !fresh {
        return Ok(false);
    }
    let err = |source| SharingError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::os::unix::fs::chown(path, None, Some(crate::state::USERS_GID)).map_err(err)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o2775)).map_err(err)?;
    Ok(true)
}

/// Writes `content` to `path` atomically (mode 0644: services and, for
/// the accounts, every user read it) unless it holds exactly that
/// already. Returns whether it wrote.
pub fn write_if_changed(path: &Path, content: &str) -> Result<bool, SharingError> {
    if fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    let err = |source| SharingError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(err)?;
    }
    crate::util::write_atomic(path, content.as_bytes(), 0o644).map_err(err)?;
    Ok(true)
}

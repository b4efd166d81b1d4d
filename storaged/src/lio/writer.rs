//! Brings configfs `target/` to an [`IscsiConfig`], writing only what
//! differs.
//!
//! Order (the kernel's constraints, see `reference/lio-configfs.md`):
//! 1. `dbroot`, before any storage object exists;
//! 2. tear down what is no longer wanted, in reverse: ACL LUN links, LUN
//!    links, LUNs, portals, portal groups, targets, then storage objects;
//! 3. storage objects: `control`, identity, `enable`, then attributes;
//! 4. discovery CHAP;
//! 5. per target: portal group attributes and CHAP, portals, LUNs, ACLs,
//!    and the portal group's `enable` last.
//!
//! Live sessions survive a reconcile that finds everything in place: an
//! equal value is never rewritten and an unchanged object is never removed
//! and re-created. Only an object whose backing or identity must change
//! (which the kernel refuses to change in place) is re-created.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::fs::{Configfs, EntryKind};
use super::report::{Action, ObjectKind, Report};
use super::{ApplianceId, Chap, ConfigError, IscsiConfig, Lun, LunIdentity};

/// The HBA new storage objects go under. One HBA holds many devices;
/// objects found under other `iblock_<n>` are adopted where they are.
pub const IBLOCK_HBA: &str = "iblock_0";

/// The value LIO takes for "no credential" in CHAP attributes.
pub const CHAP_NONE: &str = "NULL";

/// Where storaged's writer runs.
#[derive(Debug, Clone)]
pub struct LioSettings {
    /// A persistent directory for LIO's PR and ALUA state, under `/var`
    /// (e.g. `/var/lib/storaged/target`). The caller creates it.
    pub dbroot: PathBuf,
    pub appliance: ApplianceId,
}

#[derive(Debug, thiserror::Error)]
pub enum LioError {
    #[error("invalid iSCSI configuration")]
    Config(#[from] ConfigError),
    #[error("configfs: cannot {op} {}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("configfs target/dbroot is {current}, and it cannot become {wanted} while storage objects exist")]
    DbRootInUse { current: String, wanted: String },
}

pub(super) fn io_err<'p>(
    op: &'static str,
    path: &'p Path,
) -> impl FnOnce(io::Error) -> LioError + 'p {
    move |source| LioError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// The configfs name of the storage object backing `zvol`: `/` is not
/// allowed in a configfs name and `+` is not allowed in a dataset name, so
/// the mapping is one to one.
pub fn storage_object_name(lun: &Lun) -> String {
    lun.zvol.as_str().replace('/', "+")
}

/// A storage object storaged wants.
#[derive(Debug, Clone)]
pub(super) struct WantedObject {
    pub udev_path: String,
    pub read_only: bool,
    pub block_size: u32,
    pub identity: LunIdentity,
}

/// A storage object found in configfs.
#[derive(Debug, Clone)]
pub(super) struct FoundObject {
    pub path: PathBuf,
    pub enabled: bool,
    pub udev_path: Option<String>,
    pub read_only: bool,
    pub serial: String,
    pub vendor: String,
    pub product: String,
    pub block_size: String,
}

/// The writer: the configfs seam plus the report it fills.
pub(super) struct Writer<'a, F: Configfs + ?Sized> {
    pub fs: &'a mut F,
    pub report: Report,
}

/// A shown value without the one newline the kernel appends.
fn shown(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

impl<F: Configfs + ?Sized> Writer<'_, F> {
    pub fn exists(&self, path: &Path) -> bool {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        self.fs
            .list(parent)
            .map(|l| l.iter().any(|(n, _)| n.as_str() == name))
            .unwrap_or(false)
    }

    /// Sub-entries of `dir` of one kind; a missing directory has none.
    pub fn entries(&self, dir: &Path, kind: EntryKind) -> Vec<String> {
        self.fs
            .list(dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, k)| *k == kind)
            .map(|(n, _)| n)
            .collect()
    }

    /// Where the (first) symlink inside `dir` points.
    pub fn link_in(&self, dir: &Path) -> Option<PathBuf> {
        let name = self.entries(dir, EntryKind::Link).into_iter().next()?;
        self.fs.read_link(&dir.join(name)).ok()
    }

    pub fn read(&self, path: &Path) -> Result<String, LioError> {
        let v = self.fs.read(path).map_err(io_err("read", path))?;
        Ok(shown(&v).to_string())
    }

    pub fn mkdir(&mut self, idx: usize, path: &Path) -> Result<(), LioError> {
        self.fs.mkdir(path).map_err(io_err("create", path))?;
        self.report.mark(idx, Action::Created);
        Ok(())
    }

    /// `mkdir` unless it is there already.
    pub fn ensure_dir(&mut self, kind: ObjectKind, path: &Path) -> Result<usize, LioError> {
        let idx = self.report.begin(kind, path);
        if !self.exists(path) {
            self.mkdir(idx, path)?;
        }
        Ok(idx)
    }

    /// Write `value` unless the attribute already shows it.
    pub fn set(&mut self, idx: usize, path: &Path, value: &str) -> Result<(), LioError> {
        if self.read(path)? == value {
            return Ok(());
        }
        self.write(idx, path, value)
    }

    pub fn write(&mut self, idx: usize, path: &Path, value: &str) -> Result<(), LioError> {
        self.fs.write(path, value).map_err(io_err("write", path))?;
        self.report.mark(idx, Action::Updated);
        Ok(())
    }

    /// A CHAP attribute; `None` is LIO's `NULL`, which also reads back
    /// empty on a fresh object.
    pub fn set_chap_value(
        &mut self,
        idx: usize,
        path: &Path,
        value: Option<&str>,
    ) -> Result<(), LioError> {
        let current = self.read(path)?;
        match value {
            Some(v) if current != v => self.write(idx, path, v),
            None if !current.is_empty() && current != CHAP_NONE => self.write(idx, path, CHAP_NONE),
            _ => Ok(()),
        }
    }

    /// `userid`, `password`, `userid_mutual`, `password_mutual` in `dir`.
    pub fn set_chap(
        &mut self,
        idx: usize,
        dir: &Path,
        chap: Option<&Chap>,
    ) -> Result<(), LioError> {
        let mutual = chap.and_then(|c| c.mutual.as_ref());
        let values = [
            ("userid", chap.map(|c| c.user.as_str())),
            ("password", chap.map(|c| c.secret.as_str())),
            ("userid_mutual", mutual.map(|m| m.user.as_str())),
            ("password_mutual", mutual.map(|m| m.secret.as_str())),
        ];
        for (name, value) in values {
            self.set_chap_value(idx, &dir.join(name), value)?;
        }
        Ok(())
    }

    /// Make `dir` hold exactly one link, to `target`.
    pub fn ensure_link(
        &mut self,
        idx: usize,
        dir: &Path,
        name: &str,
        target: &Path,
    ) -> Result<(), LioError> {
        if self.link_in(dir).as_deref() == Some(target) {
            return Ok(());
        }
        for old in self.entries(dir, EntryKind::Link) {
            let p = dir.join(old);
            self.fs.unlink(&p).map_err(io_err("unlink", &p))?;
        }
        let link = dir.join(name);
        self.fs
            .symlink(target, &link)
            .map_err(io_err("link", &link))?;
        self.report.mark(idx, Action::Updated);
        Ok(())
    }

    /// Unlink every link in `dir`, then remove it.
    pub fn remove_linked_dir(&mut self, kind: ObjectKind, dir: &Path) -> Result<(), LioError> {
        for name in self.entries(dir, EntryKind::Link) {
            let p = dir.join(name);
            self.fs.unlink(&p).map_err(io_err("unlink", &p))?;
        }
        self.remove_dir(kind, dir)
    }

    pub fn remove_dir(&mut self, kind: ObjectKind, dir: &Path) -> Result<(), LioError> {
        self.fs.rmdir(dir).map_err(io_err("remove", dir))?;
        self.report.removed(kind, dir);
        Ok(())
    }
}

/// Bring `target/` under the configfs behind `fs` to `desired`.
pub fn ensure_lio<F: Configfs + ?Sized>(
    fs: &mut F,
    settings: &LioSettings,
    desired: &IscsiConfig,
) -> Result<Report, LioError> {
    desired.validate()?;
    let wanted = super::objects::wanted_objects(desired, &settings.appliance);
    let mut w = Writer {
        fs,
        report: Report::default(),
    };
    let found = super::objects::found_objects(&w)?;
    ensure_dbroot(&mut w, &settings.dbroot, !found.is_empty())?;
    let iscsi = Path::new("target/iscsi");
    if !w.exists(iscsi) {
        // Loads iscsi_target_mod, which creates discovery_auth/.
        w.fs.mkdir(iscsi).map_err(io_err("create", iscsi))?;
    }
    let stale = super::objects::stale_objects(&wanted, &found);
    let keep: BTreeMap<String, PathBuf> = found
        .iter()
        .filter(|(name, f)| wanted.contains_key(*name) && !stale.contains(&f.path))
        .map(|(name, f)| (name.clone(), f.path.clone()))
        .collect();
    super::teardown::remove_unwanted(&mut w, desired, &keep)?;
    for path in &stale {
        w.remove_dir(ObjectKind::StorageObject, path)?;
    }
    let mut paths = BTreeMap::new();
    for (name, obj) in &wanted {
        let path = keep
            .get(name)
            .cloned()
            .unwrap_or_else(|| Path::new("target/core").join(IBLOCK_HBA).join(name));
        super::objects::ensure_object(&mut w, &path, obj)?;
        paths.insert(name.clone(), path);
    }
    let idx = w.report.begin(
        ObjectKind::DiscoveryAuth,
        Path::new("target/iscsi/discovery_auth"),
    );
    super::targets::ensure_discovery_auth(&mut w, idx, desired.discovery_chap.as_ref())?;
    for target in &desired.targets {
        super::targets::ensure_target(&mut w, target, &paths)?;
    }
    Ok(w.report)
}

fn ensure_dbroot<F: Configfs + ?Sized>(
    w: &mut Writer<'_, F>,
    dbroot: &Path,
    devices_exist: bool,
) -> Result<(), LioError> {
    let path = Path::new("target/dbroot");
    let idx = w.report.begin(ObjectKind::DbRoot, path);
    let current = w.read(path)?;
    let wanted = dbroot.display().to_string();
    if current == wanted {
        return Ok(());
    }
    if devices_exist {
        return Err(LioError::DbRootInUse { current, wanted });
    }
    w.write(idx, path, &wanted)
}

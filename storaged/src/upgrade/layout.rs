//! Where the upgrade machinery reads and writes: the ESP (grubenv, each
//! slot's kernel, initrd and record) and the two root partitions.
//!
//! On an appliance nothing else mounts the ESP (the image masks the
//! `/boot` and `/efi` automounts systemd's gpt-auto-generator would make):
//! storaged mounts it at `/run/storaged/esp` for each operation and
//! unmounts it after, so the FAT file system is clean whenever GRUB reads it and a
//! power cut outside an upgrade cannot leave it dirty. Partitions are found
//! by their GPT names, as GRUB's `root=PARTLABEL=` finds the root.
//! Tests point the layout at a plain directory and two files.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use ironstor_contract::bundle::SlotRecord;
use ironstor_contract::esp::{self, GRUBENV, INITRD, KERNEL, RECORD};
use ironstor_contract::grubenv::{GrubEnv, GRUBENV_SIZE};
use ironstor_contract::{PartitionRole, Slot};

use super::UpgradeError;

/// How the ESP is reached.
#[derive(Debug, Clone)]
pub enum EspAccess {
    /// Already a directory (tests).
    Dir(PathBuf),
    /// A FAT partition mounted at `mountpoint` for each operation.
    Device {
        device: PathBuf,
        mountpoint: PathBuf,
    },
}

/// The boot medium's upgrade-relevant parts.
#[derive(Debug, Clone)]
pub struct Layout {
    pub esp: EspAccess,
    pub root_a: PathBuf,
    pub root_b: PathBuf,
}

impl Layout {
    /// The appliance's: partitions by label under `dev`, the ESP mounted
    /// under `runtime_dir`.
    pub fn appliance(dev: &Path, runtime_dir: &Path) -> Layout {
        let by_label = |role: PartitionRole| dev.join("disk/by-partlabel").join(role.label());
        Layout {
            esp: EspAccess::Device {
                device: by_label(PartitionRole::Esp),
                mountpoint: runtime_dir.join("esp"),
            },
            root_a: by_label(PartitionRole::RootA),
            root_b: by_label(PartitionRole::RootB),
        }
    }

    pub fn root(&self, slot: Slot) -> &Path {
        match slot {
            Slot::A => &self.root_a,
            Slot::B => &self.root_b,
        }
    }

    /// Runs `work` with the ESP's root directory, mounted for the time.
    pub fn with_esp<T>(
        &self,
        work: impl FnOnce(&Esp) -> Result<T, UpgradeError>,
    ) -> Result<T, UpgradeError> {
        match &self.esp {
            EspAccess::Dir(dir) => work(&Esp { dir: dir.clone() }),
            EspAccess::Device { device, mountpoint } => {
                if !device.exists() {
                    return Err(UpgradeError::NoBootMedium {
                        missing: device.clone(),
                    });
                }
                let _mounted = Mount::new(device, mountpoint)?;
                work(&Esp {
                    dir: mountpoint.clone(),
                })
            }
        }
    }
}

/// The size of a partition (or file), by seeking to its end.
pub fn partition_size(path: &Path) -> Result<u64, UpgradeError> {
    File::open(path)
        .and_then(|mut f| f.seek(SeekFrom::End(0)))
        .map_err(|source| UpgradeError::Io {
            what: format!("cannot open {}", path.display()),
            source,
        })
}

/// A mounted ESP; unmounted (after a sync) when dropped.
struct Mount {
    target: CString,
}

impl Mount {
    fn new(device: &Path, mountpoint: &Path) -> Result<Mount, UpgradeError> {
        let err = |what: &str| {
            let what = format!("{what} {} at {}", device.display(), mountpoint.display());
            move |source| UpgradeError::Io { what, source }
        };
        fs::create_dir_all(mountpoint).map_err(err("cannot create the mount point for"))?;
        let cstr = |p: &Path| CString::new(p.as_os_str().as_bytes()).expect("no NUL in paths");
        let (source, target) = (cstr(device), cstr(mountpoint));
        // A mount left by a storaged that died mid-operation: take it over.
        // SAFETY: target is a valid NUL-terminated path.
        unsafe { libc::umount2(target.as_ptr(), 0) };
        let (fstype, options) = (c"vfat", c"umask=0077,shortname=mixed");
        // SAFETY: every pointer is a valid NUL-terminated string that
        // outlives the call.
        let rc = unsafe {
            libc::mount(
                source.as_ptr(),
                target.as_ptr(),
                fstype.as_ptr(),
                libc::MS_NOATIME | libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_NOSUID,
                options.as_ptr().cast(),
            )
        };
        if rc != 0 {
            return Err(err("cannot mount the ESP")(io::Error::last_os_error()));
        }
        Ok(Mount { target })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        // SAFETY: plain syscalls on a valid path.
        unsafe {
            libc::sync();
            if libc::umount2(self.target.as_ptr(), 0) != 0 {
                libc::umount2(self.target.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
}

/// The ESP's root directory while it is reachable.
pub struct Esp {
    pub dir: PathBuf,
}

fn io_err(what: String) -> impl FnOnce(io::Error) -> UpgradeError {
    move |source| UpgradeError::Io { what, source }
}

impl Esp {
    pub fn slot_dir(&self, slot: Slot) -> PathBuf {
        self.dir.join(esp::slot_dir(slot))
    }

    pub fn read_grubenv(&self) -> Result<GrubEnv, UpgradeError> {
        let path = self.dir.join(GRUBENV);
        let bytes = fs::read(&path).map_err(io_err(format!("cannot read {}", path.display())))?;
        GrubEnv::parse(&bytes).map_err(|source| UpgradeError::GrubEnv { path, source })
    }

    /// Rewrites grubenv in place, as GRUB's `save_env` does: same file,
    /// same 1024 bytes, then fsync.
    pub fn write_grubenv(&self, env: &GrubEnv) -> Result<(), UpgradeError> {
        let path = self.dir.join(GRUBENV);
        let bytes = env.to_bytes().map_err(|source| UpgradeError::GrubEnv {
            path: path.clone(),
            source,
        })?;
        debug_assert_eq!(bytes.len(), GRUBENV_SIZE);
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(io_err(format!("cannot open {}", path.display())))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(io_err(format!("cannot write {}", path.display())))
    }

    /// The record of what `slot` holds, if it holds a whole image: record,
    /// kernel and initrd present.
    pub fn slot_record(&self, slot: Slot) -> Option<SlotRecord> {
        let dir = self.slot_dir(slot);
        if !dir.join(KERNEL).is_file() || !dir.join(INITRD).is_file() {
            return None;
        }
        let text = fs::read(dir.join(RECORD)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Makes `slot` unbootable and unrecorded: record first, then kernel
    /// and initrd (GRUB boots only a slot whose kernel is there).
    pub fn invalidate(&self, slot: Slot) -> Result<(), UpgradeError> {
        let dir = self.slot_dir(slot);
        fs::create_dir_all(&dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
        for name in [RECORD, KERNEL, INITRD] {
            let path = dir.join(name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(format!("cannot remove {}", path.display()))(e)),
            }
        }
        sync_dir(&dir)
    }

    /// Moves a finished temporary file into place and syncs the directory.
    pub fn commit(&self, tmp: &Path, name: &str) -> Result<(), UpgradeError> {
        let dest = tmp.with_file_name(name);
        fs::rename(tmp, &dest).map_err(io_err(format!("cannot rename to {}", dest.display())))?;
        sync_dir(dest.parent().expect("in a slot directory"))
    }

    pub fn write_record(&self, slot: Slot, record: &SlotRecord) -> Result<(), UpgradeError> {
        let path = self.slot_dir(slot).join(RECORD);
        let bytes = serde_json::to_vec_pretty(record).expect("serialises");
        // The ESP is FAT: no Unix mode to give the file.
        crate::util::write_atomic_any_mode(&path, &bytes)
            .map_err(io_err(format!("cannot write {}", path.display())))
    }
}

fn sync_dir(dir: &Path) -> Result<(), UpgradeError> {
    crate::util::sync_dir(dir).map_err(io_err(format!("cannot sync {}", dir.display())))
}

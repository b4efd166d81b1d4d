//! Installing a bundle into the inactive slot.
//!
//! Two passes, so that a bundle refused for any reason (a tampered payload
//! included) leaves grubenv and both slots byte for byte as they were:
//!
//! 1. verify: the manifest's signature against the image's key before any
//!    payload byte is read, then the manifest against this appliance
//!    (image name, version, slot size), then every payload's SHA-256. An
//!    upload is spooled to `/var/lib/storaged/upgrade` while it is read
//!    (it can be read only once); a local file is read in place.
//! 2. write, in the crash-safe order: clear grubenv's `next` if it names
//!    the target, remove the target's record, kernel and initrd (it is now
//!    no slot GRUB boots), stream the root squashfs into its partition and
//!    kernel and initrd onto the ESP while hashing them again (the file
//!    could have changed since), then the record, then `next` and `tries`.
//!
//! A crash or power cut anywhere in 2 leaves `active` pointing at the
//! running slot, which is untouched: the next boot is the old system.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use ironstor_contract::bundle::{BundleError, BundleReader, Manifest, SlotRecord, PAYLOAD_ROOT};
use ironstor_contract::esp::{INITRD, KERNEL};
use ironstor_contract::grubenv::{KEY_ACTIVE, KEY_NEXT, KEY_TRIES, MAX_TRIES};
use ironstor_contract::keys::PublicKey;
use ironstor_contract::version::Version;
use ironstor_contract::Slot;
use serde::{Deserialize, Serialize};

use super::layout::partition_size;
use super::{Busy, OutcomeKind, Phase, Progress, UpgradeError, Upgrader};

/// Where a bundle comes from.
pub enum Source<'a> {
    /// A file on the appliance (`storagectl upgrade install PATH`).
    File(&'a Path),
    /// An HTTP upload: read once, spooled while it is verified.
    Upload(&'a mut dyn Read),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstallOptions {
    /// Install another image's bundle, or a lower version.
    pub force: bool,
    /// Boots the new slot gets before GRUB falls back.
    pub tries: u32,
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Installed {
    pub slot: String,
    pub image: String,
    pub version: String,
    pub tries: u32,
    pub message: String,
}

const SPOOL: &str = "incoming.bundle";
/// Room left on `/var` beyond the spooled bundle.
const SPOOL_MARGIN: u64 = 64 << 20;

fn io_err(what: String) -> impl FnOnce(io::Error) -> UpgradeError {
    move |source| UpgradeError::Io { what, source }
}

impl Upgrader {
    /// Installs a bundle into the inactive slot; records the outcome and
    /// keeps [`Upgrader::progress`] current. Needs the install slot.
    pub fn install(
        &self,
        _busy: &Busy,
        source: Source,
        opts: InstallOptions,
    ) -> Result<Installed, UpgradeError> {
        self.set_progress(|p| {
            *p = Progress {
                phase: Phase::Verifying,
                ..Progress::idle()
            }
        });
        let result = self.install_inner(source, opts);
        match &result {
            Ok(done) => {
                self.set_progress(|p| {
                    p.phase = Phase::Installed;
                    p.message = Some(done.message.clone());
                });
                self.record(OutcomeKind::Installed, done.message.clone());
                println!("storaged: upgrade: {}", done.message);
            }
            Err(e) => {
                let message = crate::util::error_chain(e);
                self.set_progress(|p| {
                    p.phase = Phase::Failed;
                    p.message = Some(message.clone());
                });
                self.record(OutcomeKind::Refused, message.clone());
                println!("storaged: upgrade: refused: {message}");
            }
        }
        result
    }

    fn install_inner(
        &self,
        source: Source,
        opts: InstallOptions,
    ) -> Result<Installed, UpgradeError> {
        if !(1..=MAX_TRIES).contains(&opts.tries) {
            return Err(UpgradeError::BadTries {
                tries: opts.tries,
                max: MAX_TRIES,
            });
        }
        let running = self.running_slot()?;
        let key = self.public_key()?;
        let target = running.other();
        let root_room = partition_size(self.layout.root(target))?;
        {
            let _esp = self.esp_lock();
            let env = self.layout.with_esp(|esp| esp.read_grubenv())?;
            let active = env.get(KEY_ACTIVE).unwrap_or(Slot::A.name());
            if active != running.name() {
                return Err(UpgradeError::NotBlessed {
                    running,
                    active: active.to_string(),
                });
            }
        }

        let check = |m: &Manifest| self.check_manifest(m, opts, target, root_room);
        let (path, _spool) = match source {
            Source::File(path) => {
                let file =
                    File::open(path).map_err(io_err(format!("cannot open {}", path.display())))?;
                self.verify(BufReader::with_capacity(1 << 20, file), &key, check, None)?;
                (path.to_path_buf(), None)
            }
            Source::Upload(input) => {
                fs::create_dir_all(&self.dir)
                    .map_err(io_err(format!("cannot create {}", self.dir.display())))?;
                let spool = Spool(self.dir.join(SPOOL));
                let file = File::create(&spool.0)
                    .map_err(io_err(format!("cannot create {}", spool.0.display())))?;
                self.verify(input, &key, check, Some((file, &self.dir)))?;
                (spool.0.clone(), Some(spool))
            }
        };
        let manifest = self.write_slot(&path, &key, target, opts.tries)?;
        Ok(Installed {
            slot: target.name().to_string(),
            image: manifest.image.clone(),
            version: manifest.version.clone(),
            tries: opts.tries,
            message: format!(
                "installed {} {} into slot {target}; it boots at the next reboot ({} tries, then slot {running} again unless it is healthy)",
                manifest.image, manifest.version, opts.tries
            ),
        })
    }

    fn check_manifest(
        &self,
        m: &Manifest,
        opts: InstallOptions,
        target: Slot,
        root_room: u64,
    ) -> Result<(), UpgradeError> {
        if let Some(running) = &self.image_id {
            if &m.image != running && !opts.force {
                return Err(UpgradeError::WrongImage {
                    bundle: m.image.clone(),
                    running: running.clone(),
                });
            }
        }
        let running = self
            .image_version
            .as_deref()
            .and_then(|v| Version::parse(v).ok());
        let bundle = Version::parse(&m.version)
            .map_err(|e| UpgradeError::Bundle(BundleError::BadManifest(e.to_string())))?;
        if let Some(running) = running {
            if bundle < running && !opts.force {
                return Err(UpgradeError::Downgrade {
                    bundle: bundle.to_string(),
                    running: running.to_string(),
                });
            }
        }
        let root = m.payload(PAYLOAD_ROOT).map_or(0, |p| p.size);
        if root > root_room {
            return Err(UpgradeError::TooLarge {
                payload: PAYLOAD_ROOT.into(),
                size: root,
                place: format!(
                    "slot {target}'s partition {}",
                    self.layout.root(target).display()
                ),
                room: root_room,
            });
        }
        Ok(())
    }

    /// Pass 1: signature, manifest, every hash; spooling what it reads when
    /// given a file (and the directory whose free space must hold it).
    fn verify(
        &self,
        input: impl Read,
        key: &PublicKey,
        check: impl Fn(&Manifest) -> Result<(), UpgradeError>,
        spool: Option<(File, &Path)>,
    ) -> Result<Manifest, UpgradeError> {
        let (spool_file, spool_dir) = match spool {
            Some((f, d)) => (Some(f), Some(d)),
            None => (None, None),
        };
        let tee = Tee {
            input,
            copy: spool_file,
        };
        let mut reader = BundleReader::open(tee, key).map_err(UpgradeError::Bundle)?;
        let manifest = reader.manifest().clone();
        check(&manifest)?;
        let total: u64 = manifest.payloads.iter().map(|p| p.size).sum();
        if let Some(dir) = spool_dir {
            let free = free_bytes(dir)?;
            if free < total + SPOOL_MARGIN {
                return Err(UpgradeError::NoSpace {
                    need: total + SPOOL_MARGIN,
                    free,
                    dir: dir.to_path_buf(),
                });
            }
        }
        self.set_progress(|p| {
            p.total = total;
            p.version = Some(manifest.version.clone());
        });
        for _ in &manifest.payloads {
            reader
                .copy_payload(&mut io::sink(), &mut |n| self.set_progress(|p| p.done += n))
                .map_err(UpgradeError::Bundle)?;
        }
        reader.finish().map_err(UpgradeError::Bundle)?;
        Ok(manifest)
    }

    /// Pass 2: the verified bundle at `path` into `target`.
    fn write_slot(
        &self,
        path: &Path,
        key: &PublicKey,
        target: Slot,
        tries: u32,
    ) -> Result<Manifest, UpgradeError> {
        let _esp = self.esp_lock();
        self.layout.with_esp(|esp| {
            let mut env = esp.read_grubenv()?;
            if env.get(KEY_NEXT) == Some(target.name()) {
                env.unset(KEY_NEXT);
                env.unset(KEY_TRIES);
                esp.write_grubenv(&env)?;
            }
            esp.invalidate(target)?;

            let file =
                File::open(path).map_err(io_err(format!("cannot open {}", path.display())))?;
            let mut reader = BundleReader::open(BufReader::with_capacity(1 << 20, file), key)
                .map_err(UpgradeError::Bundle)?;
            let manifest = reader.manifest().clone();
            let total: u64 = manifest.payloads.iter().map(|p| p.size).sum();
            self.set_progress(|p| {
                p.phase = Phase::Writing;
                p.done = 0;
                p.total = total;
                p.slot = Some(target.name().to_string());
            });
            let mut progress = |n: u64| self.set_progress(|p| p.done += n);

            let device = self.layout.root(target);
            let mut part = OpenOptions::new()
                .write(true)
                .open(device)
                .map_err(io_err(format!("cannot open {}", device.display())))?;
            reader
                .copy_payload(&mut part, &mut progress)
                .map_err(UpgradeError::Bundle)?;
            part.sync_all()
                .map_err(io_err(format!("cannot sync {}", device.display())))?;

            let dir = esp.slot_dir(target);
            let mut staged = Vec::new();
            for name in [KERNEL, INITRD] {
                let tmp = dir.join(format!("{name}.new"));
                let mut file = File::create(&tmp)
                    .map_err(io_err(format!("cannot create {}", tmp.display())))?;
                reader
                    .copy_payload(&mut file, &mut progress)
                    .map_err(UpgradeError::Bundle)?;
                file.flush()
                    .and_then(|()| file.sync_all())
                    .map_err(io_err(format!("cannot write {}", tmp.display())))?;
                staged.push((tmp, name));
            }
            reader.finish().map_err(UpgradeError::Bundle)?;
            // The kernel last: GRUB takes a slot with a kernel for bootable.
            for (tmp, name) in staged.iter().rev() {
                esp.commit(tmp, name)?;
            }
            let record = SlotRecord::from_manifest(&manifest).expect("checked: has a root");
            esp.write_record(target, &record)?;

            let mut env = esp.read_grubenv()?;
            let set = |env: &mut ironstor_contract::GrubEnv, k: &str, v: &str| {
                env.set(k, v).expect("valid grubenv names")
            };
            set(&mut env, KEY_NEXT, target.name());
            set(&mut env, KEY_TRIES, &tries.to_string());
            esp.write_grubenv(&env)?;
            Ok(manifest)
        })
    }
}

/// Copies what it reads to a spool file.
struct Tee<R> {
    input: R,
    copy: Option<File>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.read(buf)?;
        if let Some(copy) = &mut self.copy {
            copy.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}

/// The spooled upload; removed whatever happens.
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn free_bytes(dir: &Path) -> Result<u64, UpgradeError> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).expect("no NUL in paths");
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid path and a statvfs struct to fill.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return Err(io_err(format!("cannot stat {}", dir.display()))(
            io::Error::last_os_error(),
        ));
    }
    Ok(stat.f_bavail as u64 * stat.f_frsize as u64)
}

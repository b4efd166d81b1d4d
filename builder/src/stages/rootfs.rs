//! The two expensive stages, both cached: the base root file system
//! (mmdebstrap) and the ZFS kernel modules (zfs-dkms built in a chroot).
//!
//! They are separate so that changing a package set does not rebuild ZFS:
//! the ZFS stage is keyed by the kernel version and the zfsutils version the
//! base stage ended up with, and pins both.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cache::{Cache, KeyBuilder};
use crate::host::run::{Cmd, RunError};
use crate::profile::Profile;

/// Bump when the base recipe changes in a way its arguments do not show.
const BASE_RECIPE: &str = "base-v1";
const ZFS_RECIPE: &str = "zfs-v1";

/// Files the base stage leaves beside its tarball.
const BASE_TAR: &str = "base.tar";
const KERNEL_VERSION: &str = "kernel-version";
const ZFS_VERSION: &str = "zfsutils-version";
const ZFS_TAR: &str = "zfs-modules.tar";

#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("mmdebstrap could not build the {stage} root file system")]
    Mmdebstrap {
        stage: &'static str,
        #[source]
        source: RunError,
    },
    #[error("the base root has {0}; expected exactly one kernel under /lib/modules")]
    KernelCount(String),
    #[error("the ZFS stage built no modules for kernel {0} (looked in updates/dkms)")]
    NoZfsModules(String),
    #[error("cache I/O")]
    Io(#[from] std::io::Error),
}

/// The cached base root: a tarball plus what the later stages need to know.
#[derive(Debug, Clone)]
pub struct BaseRoot {
    pub key: String,
    pub tarball: PathBuf,
    pub kernel_version: String,
    pub zfsutils_version: Option<String>,
    pub cached: bool,
}

/// The cached ZFS modules for one kernel.
#[derive(Debug, Clone)]
pub struct ZfsModules {
    pub key: String,
    pub tarball: PathBuf,
    pub cached: bool,
}

/// mmdebstrap's own stage lines and DKMS's build steps: enough to see a
/// long stage move without the package manager's chatter.
fn is_progress_line(line: &str) -> bool {
    line.starts_with("I: ")
        || line.starts_with("E: ")
        || line.starts_with("Building module")
        || line.starts_with("Building for")
        || line.contains("dkms.conf")
        || line.starts_with("update-initramfs:")
}

fn mmdebstrap_common(profile: &Profile) -> Vec<String> {
    let d = &profile.distribution;
    vec![
        "--mode=root".into(),
        "--variant=minbase".into(),
        format!("--components={}", d.components.join(",")),
        "--aptopt=APT::Install-Recommends \"false\"".into(),
        // No documentation in an appliance; keep the licences.
        "--dpkgopt=path-exclude=/usr/share/man/*".into(),
        "--dpkgopt=path-exclude=/usr/share/doc/*".into(),
        "--dpkgopt=path-include=/usr/share/doc/*/copyright".into(),
        "--dpkgopt=path-exclude=/usr/share/info/*".into(),
        "--dpkgopt=path-exclude=/usr/share/locale/*".into(),
    ]
}

fn suite_and_mirror(profile: &Profile) -> Vec<String> {
    let d = &profile.distribution;
    let mut v = vec![d.suite.clone()];
    v.extend(d.mirror.clone());
    v
}

/// The mmdebstrap arguments of the base stage; `out` is the stage's cache
/// directory (hooks write facts there).
fn base_args(profile: &Profile, out: &str) -> Vec<String> {
    let mut args = mmdebstrap_common(profile);
    args.push(format!("--include={}", profile.all_packages().join(",")));
    args.push(format!(
        "--customize-hook=sync-in {} /etc/initramfs-tools",
        profile.rootfs.initramfs_dir.display()
    ));
    args.push("--customize-hook=chroot \"$1\" update-initramfs -u -k all".into());
    args.push(format!(
        "--customize-hook=ls \"$1/lib/modules\" > {out}/{KERNEL_VERSION}"
    ));
    args.push(format!(
        "--customize-hook=chroot \"$1\" dpkg-query -W -f='${{Version}}' zfsutils-linux > {out}/{ZFS_VERSION} 2>/dev/null || true"
    ));
    args.extend(suite_and_mirror(profile));
    args.push(format!("{out}/{BASE_TAR}"));
    args
}

/// Builds (or finds in the cache) the base root of `profile`.
pub fn base(profile: &Profile, cache: &Cache, log: &Path) -> Result<BaseRoot, RootfsError> {
    let mut key = KeyBuilder::new(BASE_RECIPE);
    for arg in base_args(profile, "OUT") {
        key.add_str("arg", &arg);
    }
    key.add_tree("initramfs", &profile.rootfs.initramfs_dir)?;
    let key = key.finish();

    let (dir, cached) = match cache.lookup("base", &key) {
        Some(dir) => (dir, true),
        None => {
            let dir = cache.store("base", &key, |tmp| {
                let args = base_args(profile, &tmp.display().to_string());
                Cmd::new("mmdebstrap")
                    .args(&args)
                    .log_to(log)
                    .progress(is_progress_line)
                    .run()
                    .map(drop)
                    .map_err(|source| RootfsError::Mmdebstrap {
                        stage: "base",
                        source,
                    })?;
                read_kernel_version(tmp).map(drop)
            })?;
            (dir, false)
        }
    };
    let zfsutils_version = fs::read_to_string(dir.join(ZFS_VERSION))
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    Ok(BaseRoot {
        key,
        kernel_version: read_kernel_version(&dir)?,
        tarball: dir.join(BASE_TAR),
        zfsutils_version,
        cached,
    })
}

fn read_kernel_version(dir: &Path) -> Result<String, RootfsError> {
    let text = fs::read_to_string(dir.join(KERNEL_VERSION))?;
    let versions: Vec<&str> = text.split_whitespace().collect();
    match versions.as_slice() {
        [one] => Ok(one.to_string()),
        other => Err(RootfsError::KernelCount(format!(
            "{} kernels ({})",
            other.len(),
            other.join(", ")
        ))),
    }
}

fn zfs_args(profile: &Profile, base: &BaseRoot, zfs_version: &str, out: &str) -> Vec<String> {
    let kver = &base.kernel_version;
    let mut args = mmdebstrap_common(profile);
    args.push(format!(
        "--include=linux-image-{kver},linux-headers-{kver},zfs-dkms={zfs_version}"
    ));
    args.push(format!(
        "--customize-hook=tar -C \"$1/lib/modules/{kver}/updates/dkms\" -cf {out}/{ZFS_TAR} ."
    ));
    args.extend(suite_and_mirror(profile));
    // The chroot itself is thrown away: only the modules are kept.
    args.push(format!("{out}/chroot"));
    args
}

/// Builds (or finds in the cache) ZFS modules for the base root's kernel.
/// `None` when the profile has no ZFS or the base has no zfsutils.
pub fn zfs_modules(
    profile: &Profile,
    base: &BaseRoot,
    cache: &Cache,
    log: &Path,
) -> Result<Option<ZfsModules>, RootfsError> {
    let Some(zfs_version) = base
        .zfsutils_version
        .as_deref()
        .filter(|_| profile.kernel.zfs)
    else {
        return Ok(None);
    };
    let mut key = KeyBuilder::new(ZFS_RECIPE);
    for arg in zfs_args(profile, base, zfs_version, "OUT") {
        key.add_str("arg", &arg);
    }
    let key = key.finish();
    if let Some(dir) = cache.lookup("zfs", &key) {
        return Ok(Some(ZfsModules {
            key,
            tarball: dir.join(ZFS_TAR),
            cached: true,
        }));
    }
    let dir = cache.store("zfs", &key, |tmp| {
        let args = zfs_args(profile, base, zfs_version, &tmp.display().to_string());
        let result = Cmd::new("mmdebstrap")
            .args(&args)
            .log_to(log)
            .progress(is_progress_line)
            .run();
        let _ = fs::remove_dir_all(tmp.join("chroot"));
        result.map_err(|source| RootfsError::Mmdebstrap {
            stage: "ZFS module",
            source,
        })?;
        let listing = Cmd::new("tar")
            .arg("-tf")
            .arg(tmp.join(ZFS_TAR))
            .run()
            .unwrap_or_default();
        if !listing.lines().any(|l| l.contains("zfs.ko")) {
            return Err(RootfsError::NoZfsModules(base.kernel_version.clone()));
        }
        Ok(())
    })?;
    Ok(Some(ZfsModules {
        key,
        tarball: dir.join(ZFS_TAR),
        cached: false,
    }))
}

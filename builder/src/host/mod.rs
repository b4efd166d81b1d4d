//! Host programs the builder and the QEMU harness need, and the Debian
//! packages that provide them. Missing ones are installed with apt when we
//! run as root (saying so); otherwise the error names the packages.
//!
//! A need is a file, not a package version: a host may carry a backported
//! package that apt removes or replaces while installing another one (a
//! backported qemu-utils 10.0 went away when Debian 12's qemu-block-extra
//! 7.2 came in, and /usr/bin/qemu-img with it). So [`ensure`] checks every
//! need again after each install and installs whatever vanished, until
//! nothing is missing, two packages are shown to push each other out, or
//! it gives up after [`MAX_ROUNDS`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub mod run;

use run::{Cmd, RunError};

/// A file on the host and the Debian package that ships it.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    /// Absolute on the host; [`Need::under`] places it below another root.
    pub path: &'static str,
    pub package: &'static str,
}

impl Need {
    /// Where this need's file is on the system rooted at `root`.
    pub fn under(&self, root: &Path) -> PathBuf {
        root.join(self.path.trim_start_matches('/'))
    }
}

const fn need(path: &'static str, package: &'static str) -> Need {
    Need { path, package }
}

/// What `ironstor build` runs.
pub const BUILD: &[Need] = &[
    need("/usr/bin/mmdebstrap", "mmdebstrap"),
    need("/usr/bin/mksquashfs", "squashfs-tools"),
    need("/usr/sbin/mkfs.vfat", "dosfstools"),
    need("/usr/bin/mcopy", "mtools"),
    need("/usr/sbin/mkfs.ext4", "e2fsprogs"),
    need("/usr/bin/grub-mkimage", "grub-common"),
    need("/usr/bin/grub-editenv", "grub-common"),
    need("/usr/lib/grub/i386-pc/boot.img", "grub-pc-bin"),
    need("/usr/lib/grub/x86_64-efi/linux.mod", "grub-efi-amd64-bin"),
    need("/usr/bin/tar", "tar"),
    // The network-boot tree's BIOS loaders.
    need("/usr/lib/ipxe/undionly.kpxe", "ipxe"),
    need("/usr/lib/PXELINUX/pxelinux.0", "pxelinux"),
    need(
        "/usr/lib/syslinux/modules/bios/ldlinux.c32",
        "syslinux-common",
    ),
];

/// What `ironstor qemu` runs.
pub const QEMU: &[Need] = &[
    need("/usr/bin/qemu-system-x86_64", "qemu-system-x86"),
    need("/usr/bin/qemu-img", "qemu-utils"),
    need("/usr/share/OVMF/OVMF_CODE_4M.fd", "ovmf"),
    need("/usr/share/seabios/bios-256k.bin", "seabios"),
    // iPXE as the virtio NIC's option ROM, for network boots (BIOS, UEFI).
    need("/usr/lib/ipxe/qemu/pxe-virtio.rom", "ipxe-qemu"),
    need("/usr/lib/ipxe/qemu/efi-virtio.rom", "ipxe-qemu"),
];

/// What the test suite's own checks run on the host: generated smb.conf
/// files go through `testparm`, and the vm tier's clients are userspace
/// (the host kernel has no iSCSI, NFS or CIFS client).
pub const TEST: &[Need] = &[
    need("/usr/bin/testparm", "samba-common-bin"),
    need("/usr/bin/iscsi-inq", "libiscsi-bin"),
    // qemu-io's iscsi:// driver, for the read/write loop across a restart.
    need(
        "/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so",
        "qemu-block-extra",
    ),
    need("/usr/bin/nfs-cp", "libnfs-utils"),
    need("/usr/bin/smbclient", "smbclient"),
    need("/usr/bin/curl", "curl"),
    // Relays the PXE guest's HTTP connections to the test's server
    // (QEMU guestfwd runs it once per connection).
    need("/usr/bin/socat", "socat"),
    // The upgrade test drives the web page in headless Chromium over
    // WebDriver.
    need("/usr/bin/chromium", "chromium"),
    need("/usr/bin/chromedriver", "chromium-driver"),
    // The web console's page scripts run under node in the host tier
    // (their builders and app.js against a stub DOM).
    need("/usr/bin/node", "nodejs"),
];

/// Rounds of "install what is missing, look again" before [`ensure`] gives
/// up. A removal chain longer than this is not going to settle by itself.
pub const MAX_ROUNDS: usize = 6;

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(
        "missing host packages: {}. Run as root to have them installed, or: apt-get install {}",
        .0.join(", "),
        .0.join(" ")
    )]
    Missing(Vec<String>),
    #[error("installing host packages {} failed", .packages.join(", "))]
    Install {
        packages: Vec<String>,
        #[source]
        source: RunError,
    },
    #[error("updating apt's package lists failed")]
    Update(#[source] RunError),
    #[error(
        "host packages {first} and {second} conflict: installing {first} removes {second}'s files and installing {second} removes {first}'s; \
         install versions of both that apt can keep together (apt-cache policy {first} {second})"
    )]
    Conflict { first: String, second: String },
    #[error(
        "host packages did not settle after {rounds} rounds of installing; still missing: {}",
        .missing.join(", ")
    )]
    NoConvergence { rounds: usize, missing: Vec<String> },
    #[error(
        "installing {} left {} still missing: the package does not ship {}",
        .package, .path.display(), .path.display()
    )]
    NotShipped { package: String, path: PathBuf },
    #[error("`ironstor {0}` must run as root: mmdebstrap and the chroot steps create files owned by the image's users")]
    NotRoot(&'static str),
}

/// Installs Debian packages. The real one is [`Apt`]; tests use a fake that
/// plays out what apt does to the files.
pub trait PackageManager {
    /// Whether this process may install at all (apt needs root).
    fn can_install(&self) -> bool;
    /// Refreshes the package lists.
    fn update(&mut self) -> Result<(), HostError>;
    /// Installs `packages` at the version apt offers, letting it remove
    /// whatever conflicts with them.
    fn install(&mut self, packages: &[String]) -> Result<(), HostError>;
}

/// apt-get on this host.
pub struct Apt;

impl PackageManager for Apt {
    fn can_install(&self) -> bool {
        is_root()
    }

    fn update(&mut self) -> Result<(), HostError> {
        Cmd::new("apt-get")
            .args(["update", "-q"])
            .run()
            .map(drop)
            .map_err(HostError::Update)
    }

    fn install(&mut self, packages: &[String]) -> Result<(), HostError> {
        Cmd::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .run()
            .map(drop)
            .map_err(|source| HostError::Install {
                packages: packages.to_vec(),
                source,
            })
    }
}

/// The packages whose files are missing under `root`, deduplicated.
pub fn missing(needs: &[Need], root: &Path) -> Vec<String> {
    let packages: BTreeSet<String> = needs
        .iter()
        .filter(|n| !n.under(root).exists())
        .map(|n| n.package.to_string())
        .collect();
    packages.into_iter().collect()
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc_geteuid() == 0 }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Makes sure every need is met on this host, installing with apt as root.
pub fn ensure_host(needs: &[Need]) -> Result<(), HostError> {
    ensure(needs, Path::new("/"), &mut Apt)
}

/// Makes sure every need's file is under `root`, installing the missing
/// packages with `pm` until they stay installed.
///
/// The first round installs everything missing at once (one apt run on a
/// fresh machine). Later rounds, and a first round apt refuses, install one
/// package at a time, so that when an install pushes another need's file
/// out we know which package did it; a pair that pushes each other out is a
/// [`HostError::Conflict`].
pub fn ensure(needs: &[Need], root: &Path, pm: &mut dyn PackageManager) -> Result<(), HostError> {
    let mut todo = missing(needs, root);
    if todo.is_empty() {
        return Ok(());
    }
    if !pm.can_install() {
        return Err(HostError::Missing(todo));
    }
    let mut updated = false;
    // package installed alone -> packages whose files that install removed.
    let mut displaced: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for round in 1..=MAX_ROUNDS {
        let batches: Vec<Vec<String>> = if round == 1 {
            vec![todo.clone()]
        } else {
            todo.iter().map(|p| vec![p.clone()]).collect()
        };
        for batch in batches {
            let before = missing(needs, root);
            if batch.iter().all(|p| !before.contains(p)) {
                // An earlier install of this round brought it back.
                continue;
            }
            if let Err(err) = install(pm, &batch, &mut updated) {
                if batch.len() == 1 {
                    return Err(err);
                }
                // apt refuses a set it cannot install together (two of
                // them conflict): one at a time, the next round finds which.
                eprintln!("ironstor: apt-get could not install them together; one at a time");
                continue;
            }
            let after = missing(needs, root);
            if let Some(path) = not_shipped(needs, root, &batch, &before, &after) {
                return Err(HostError::NotShipped {
                    package: batch[0].clone(),
                    path,
                });
            }
            let removed: Vec<String> = after.into_iter().filter(|p| !before.contains(p)).collect();
            if removed.is_empty() {
                continue;
            }
            eprintln!(
                "ironstor: installing {} removed {}; installing {} again",
                batch.join(" "),
                removed.join(" "),
                if removed.len() == 1 { "it" } else { "them" }
            );
            if let [installed] = batch.as_slice() {
                for gone in &removed {
                    if displaced.get(gone).is_some_and(|d| d.contains(installed)) {
                        return Err(HostError::Conflict {
                            first: gone.clone(),
                            second: installed.clone(),
                        });
                    }
                }
                displaced
                    .entry(installed.clone())
                    .or_default()
                    .extend(removed);
            }
        }
        todo = missing(needs, root);
        if todo.is_empty() {
            return Ok(());
        }
    }
    Err(HostError::NoConvergence {
        rounds: MAX_ROUNDS,
        missing: todo,
    })
}

/// One apt install, saying what it installs; a failure is retried once
/// after refreshing the package lists (a fresh machine may have none).
fn install(
    pm: &mut dyn PackageManager,
    packages: &[String],
    updated: &mut bool,
) -> Result<(), HostError> {
    eprintln!(
        "ironstor: installing host packages with apt-get: {}",
        packages.join(" ")
    );
    match pm.install(packages) {
        Err(_) if !*updated => {
            *updated = true;
            pm.update()?;
            pm.install(packages)
        }
        result => result,
    }
}

/// A need of a single installed package that is still missing although
/// nothing else was removed: the package installed fine but does not ship
/// the file, and installing it again will not help.
fn not_shipped(
    needs: &[Need],
    root: &Path,
    batch: &[String],
    before: &[String],
    after: &[String],
) -> Option<PathBuf> {
    let [package] = batch else { return None };
    let others_removed = after.iter().any(|p| !before.contains(p));
    if others_removed || !after.contains(package) {
        return None;
    }
    needs
        .iter()
        .find(|n| n.package == package && !n.under(root).exists())
        .map(|n| n.under(root))
}

/// For the `host_tools` test tier: panics, naming the file and its
/// package, unless every `(path, package)` is on this host. A missing tool
/// is a failure, not a silent skip; leaving the tier out is the caller's
/// choice (`cargo test -- --skip host_tools::`).
#[cfg(test)]
pub(crate) fn require(tools: &[(&str, &str)]) {
    let missing: Vec<String> = tools
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(path, package)| format!("{path} (Debian package {package})"))
        .collect();
    assert!(
        missing.is_empty(),
        "host_tools test tier: missing {}; install with `ironstor setup` (root) or apt-get, \
         or leave this tier out: cargo test -- --skip host_tools::",
        missing.join(", ")
    );
}

#[cfg(test)]
mod tests;

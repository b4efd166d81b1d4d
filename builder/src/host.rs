//! Host programs the builder and the QEMU harness need, and the Debian
//! packages that provide them. Missing ones are installed with apt when we
//! run as root (saying so); otherwise the error names the packages.

use std::path::Path;

use crate::run::{Cmd, RunError};

/// A file on the host and the Debian package that ships it.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    pub path: &'static str,
    pub package: &'static str,
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
];

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
    #[error("`ironstor {0}` must run as root: mmdebstrap and the chroot steps create files owned by the image's users")]
    NotRoot(&'static str),
}

/// The packages whose files are missing, deduplicated.
pub fn missing(needs: &[Need]) -> Vec<String> {
    let mut packages: Vec<String> = needs
        .iter()
        .filter(|n| !Path::new(n.path).exists())
        .map(|n| n.package.to_string())
        .collect();
    packages.sort();
    packages.dedup();
    packages
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc_geteuid() == 0 }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Makes sure every need is met, installing packages with apt as root.
pub fn ensure(needs: &[Need]) -> Result<(), HostError> {
    let packages = missing(needs);
    if packages.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(HostError::Missing(packages));
    }
    eprintln!(
        "ironstor: installing host packages with apt-get: {}",
        packages.join(" ")
    );
    let install = || {
        Cmd::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .run()
    };
    if install().is_err() {
        // A fresh machine may have no package lists yet.
        Cmd::new("apt-get")
            .args(["update", "-q"])
            .run()
            .map_err(|source| HostError::Install {
                packages: packages.clone(),
                source,
            })?;
        install().map_err(|source| HostError::Install {
            packages: packages.clone(),
            source,
        })?;
    }
    let still = missing(needs);
    if still.is_empty() {
        Ok(())
    } else {
        Err(HostError::Missing(still))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_lists_each_package_once() {
        let needs = [
            need("/nonexistent/a", "pkg-a"),
            need("/nonexistent/b", "pkg-a"),
            need("/bin/sh", "dash"),
        ];
        assert_eq!(missing(&needs), vec!["pkg-a".to_string()]);
    }

    #[test]
    fn missing_error_names_the_install_command() {
        let err = HostError::Missing(vec!["mtools".into(), "dosfstools".into()]);
        assert_eq!(
            err.to_string(),
            "missing host packages: mtools, dosfstools. Run as root to have them installed, or: apt-get install mtools dosfstools"
        );
    }
}

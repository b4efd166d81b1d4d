//! The network-boot tree: the same kernel and initrd as the disk image, the
//! root squashfs, and the loaders and configs that get a machine from its
//! firmware's PXE to that kernel.
//!
//! Three ways in, one command line:
//! - legacy BIOS PXE (HPE Gen8): iPXE's `undionly.kpxe`, which runs
//!   `boot.ipxe`, or `pxelinux.0` with `pxelinux.cfg/default`;
//! - UEFI PXE: GRUB's network EFI image with `grub/grub.cfg`;
//! - a client that already is iPXE (QEMU's NIC ROMs): `boot.ipxe`.
//!
//! The kernel never gets `root=`: `boot=ironstor-net` has the initrd
//! (`rootfs/initramfs/scripts/ironstor-net`) fetch the squashfs from
//! `ironstor.root_url`, check it against `ironstor.root_sha256` and mount
//! it. `ironstor.slot=net` tells storaged there is no A/B slot to manage.
//!
//! Everything here is pure except [`write_tree`]; the tree is served by TFTP
//! (`ironstor pxe serve`) and, from the same directory, by HTTP at the base URL.

use std::fmt;
use std::fs;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use ironstor_contract::slot::CMDLINE_SLOT_KEY;

use super::grub::{serial_from_cmdline, GRUB_LIB};
use crate::host::run::{Cmd, RunError};
use crate::output::ROOT_SQUASHFS;

pub use ironstor_contract::netboot::{BOOT_SCRIPT, NET_SLOT, ROOT_SHA256_KEY, ROOT_URL_KEY};

pub use crate::output::pxe::{
    BOOT_IPXE, GRUB_NET_CFG, GRUB_NET_EFI, INITRD, KERNEL, LDLINUX, PXELINUX, PXELINUX_CFG,
    UNDIONLY,
};

/// Where Debian packages install the loaders, relative to the host root.
const UNDIONLY_SRC: (&str, &str) = ("usr/lib/ipxe/undionly.kpxe", "ipxe");
const PXELINUX_SRC: (&str, &str) = ("usr/lib/PXELINUX/pxelinux.0", "pxelinux");
const LDLINUX_SRC: (&str, &str) = (
    "usr/lib/syslinux/modules/bios/ldlinux.c32",
    "syslinux-common",
);
const GRUB_EFI_PACKAGE: &str = "grub-efi-amd64-bin";

/// Embedded in the GRUB netboot image: nothing is loaded from the server
/// but `grub.cfg`, so no module directory has to be served.
const GRUB_NET_MODULES: &[&str] = &[
    "efinet",
    "net",
    "tftp",
    "linux",
    "normal",
    "configfile",
    "echo",
    "test",
    "serial",
    "terminal",
    "sleep",
    "reboot",
    "true",
    "efi_gop",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PxeError {
    #[error("PXE base URL {url:?} {reason}")]
    BaseUrl { url: String, reason: &'static str },
    #[error("root SHA-256 {value:?} is not 64 hex digits")]
    Sha256 { value: String },
    #[error("kernel command line word {word:?} {reason}")]
    CommandLine { word: String, reason: &'static str },
}

#[derive(Debug, thiserror::Error)]
pub enum WriteTreeError {
    #[error("cannot create {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot copy {from} to {to}{}", hint(.package))]
    Copy {
        from: PathBuf,
        to: PathBuf,
        package: Option<&'static str>,
        #[source]
        source: io::Error,
    },
    #[error("cannot make the GRUB netboot image {path}{}", hint(&Some(GRUB_EFI_PACKAGE)))]
    GrubImage {
        path: PathBuf,
        #[source]
        source: RunError,
    },
}

fn hint(package: &Option<&'static str>) -> String {
    package.map_or(String::new(), |p| {
        format!(" (is Debian package {p} installed?)")
    })
}

/// An `http://` URL ending in `/`, where the tree is served over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(url: &str) -> Result<BaseUrl, PxeError> {
        let err = |reason| {
            Err(PxeError::BaseUrl {
                url: url.to_string(),
                reason,
            })
        };
        // iPXE and GRUB do HTTPS only when built with certificates; the
        // squashfs is checked by its hash, so plain HTTP is enough.
        let Some(rest) = url.strip_prefix("http://") else {
            return err("must start with http://");
        };
        if !url.ends_with('/') {
            return err("must end with /");
        }
        if rest.starts_with('/') || rest.is_empty() {
            return err("has no host");
        }
        if !url.chars().all(|c| c.is_ascii_graphic()) || url.contains(['"', '\'', '\\']) {
            return err("must be printable ASCII without spaces or quotes");
        }
        let parsed = BaseUrl(url.to_string());
        if parsed.authority().contains(['[', ']']) {
            return err("names an IPv6 literal, which the initramfs cannot split: use an IPv4 address or a host name");
        }
        if let Some((_, port)) = parsed.authority().rsplit_once(':') {
            // The initramfs splits host and port with plain shell.
            if !port.parse::<u16>().is_ok_and(|p| p > 0) {
                return err("has a port that is not a number from 1 to 65535");
            }
        }
        Ok(parsed)
    }

    /// `host[:port]`.
    fn authority(&self) -> &str {
        let rest = &self.0["http://".len()..];
        rest.split('/').next().unwrap_or(rest)
    }

    /// The host name or address the URL names.
    pub fn host(&self) -> &str {
        let a = self.authority();
        a.rsplit_once(':').map_or(a, |(host, _)| host)
    }

    /// The TCP port, 80 unless the URL names one.
    pub fn port(&self) -> u16 {
        self.authority()
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(80)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of `name` in the tree.
    pub fn join(&self, name: &str) -> String {
        format!("{}{name}", self.0)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SHA-256 digest as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootDigest(String);

impl RootDigest {
    pub fn parse(hex: &str) -> Result<RootDigest, PxeError> {
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(PxeError::Sha256 {
                value: hex.to_string(),
            });
        }
        Ok(RootDigest(hex.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What every loader config says: where the root is, its hash, and the
/// profile's own kernel parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PxeBoot {
    base_url: BaseUrl,
    root_sha256: RootDigest,
    profile_words: Vec<String>,
}

impl PxeBoot {
    /// Validates the three inputs; `command_line` is the profile's
    /// `kernel.command_line`.
    pub fn new(
        base_url: &str,
        root_sha256: &str,
        command_line: &[String],
    ) -> Result<PxeBoot, PxeError> {
        let base_url = BaseUrl::parse(base_url)?;
        let root_sha256 = RootDigest::parse(root_sha256)?;
        for word in command_line {
            let reason = if word.is_empty() || word.contains(char::is_whitespace) {
                Some("must be one non-empty word")
            } else if word.contains(['"', '\'', ';', '$']) {
                Some("must not hold quotes, `;` or `$` (loader configs would read them)")
            } else if word.starts_with("root=") {
                Some("is not allowed: a network boot's root comes from ironstor.root_url")
            } else if [ROOT_URL_KEY, ROOT_SHA256_KEY, CMDLINE_SLOT_KEY, "boot"]
                .iter()
                .any(|k| word.strip_prefix(k).is_some_and(|r| r.starts_with('=')))
            {
                Some("is set by the PXE tree itself")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(PxeError::CommandLine {
                    word: word.clone(),
                    reason,
                });
            }
        }
        Ok(PxeBoot {
            base_url,
            root_sha256,
            profile_words: command_line.to_vec(),
        })
    }

    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The kernel parameters every loader passes, as one line.
    pub fn kernel_args(&self) -> String {
        let mut words = vec![
            // initramfs-tools runs /scripts/ironstor-net's mountroot.
            format!("boot={BOOT_SCRIPT}"),
            format!("{ROOT_URL_KEY}={}", self.base_url.join(ROOT_SQUASHFS)),
            format!("{ROOT_SHA256_KEY}={}", self.root_sha256.as_str()),
            format!("{CMDLINE_SLOT_KEY}={NET_SLOT}"),
        ];
        words.extend(self.profile_words.iter().cloned());
        words.join(" ")
    }

    fn serial(&self) -> Option<(u32, u32)> {
        serial_from_cmdline(&self.profile_words)
    }
}

const HEADER: &str = "Written by the ironstor builder; rebuilt with the image.";

/// `boot.ipxe`: kernel and initrd over HTTP from the base URL.
pub fn render_boot_ipxe(boot: &PxeBoot) -> String {
    let base = &boot.base_url;
    // `initrd=` names the initrd for the kernel's EFI stub when iPXE runs as
    // an EFI program; under BIOS the kernel ignores it.
    format!(
        "#!ipxe\n# {HEADER}\ndhcp\nkernel {kernel} initrd={INITRD} {args}\ninitrd {initrd}\nboot\n",
        kernel = base.join(KERNEL),
        initrd = base.join(INITRD),
        args = boot.kernel_args(),
    )
}

/// `pxelinux.cfg/default`: kernel and initrd by TFTP, relative to
/// `pxelinux.0` (plain pxelinux speaks only TFTP).
pub fn render_pxelinux_cfg(boot: &PxeBoot) -> String {
    let mut s = String::new();
    // SERIAL must be the first directive to take effect.
    if let Some((unit, speed)) = boot.serial() {
        s += &format!("SERIAL {unit} {speed}\n");
    }
    s += &format!("# {HEADER}\nDEFAULT ironstor\nPROMPT 0\nTIMEOUT 0\n\n");
    s += &format!(
        "LABEL ironstor\n  KERNEL {KERNEL}\n  INITRD {INITRD}\n  APPEND {}\n",
        boot.kernel_args()
    );
    s
}

/// `grub/grub.cfg` for GRUB's UEFI netboot image.
pub fn render_grub_netboot_cfg(boot: &PxeBoot) -> String {
    let mut s = format!("# {HEADER}\n");
    s += "# Kernel and initrd come by TFTP from the server GRUB itself was loaded\n\
          # from: GRUB sets $root to (tftp,<that server>), so plain paths need no\n\
          # address and no net_bootp. Not (http,host): not every GRUB release can\n\
          # name an HTTP port, and the tree serves these files by TFTP for pxelinux.\n\
          # Only the root squashfs goes over HTTP, fetched by the initrd.\n";
    if let Some((unit, speed)) = boot.serial() {
        s += &format!(
            "serial --unit={unit} --speed={speed}\nterminal_input console serial\nterminal_output console serial\n"
        );
    }
    s += "set timeout=0\nset default=0\n\n";
    s += "menuentry \"ironstor (network)\" {\n";
    s += "  echo \"ironstor: loading the kernel from $root\"\n";
    s += &format!("  linux /{KERNEL} {}\n", boot.kernel_args());
    s += &format!("  initrd /{INITRD}\n}}\n");
    s
}

/// What legacy BIOS PXE clients are sent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BiosLoader {
    /// `undionly.kpxe`, which then runs `boot.ipxe` (HTTP for the kernel).
    Ipxe,
    /// `pxelinux.0` with `pxelinux.cfg/default` (TFTP only).
    Pxelinux,
}

/// Where and how the tree is offered on a LAN that has its own DHCP server.
#[derive(Debug, Clone)]
pub struct ServeInfo<'a> {
    /// The LAN's network address, e.g. `192.168.1.0`.
    pub subnet: Ipv4Addr,
    /// The host serving the tree by TFTP.
    pub tftp_server: Ipv4Addr,
    pub bios_loader: BiosLoader,
    pub base_url: &'a BaseUrl,
}

/// A dnsmasq config snippet in proxy-DHCP mode: the LAN's DHCP server keeps
/// handing out addresses, dnsmasq only adds boot information for PXE
/// clients.
pub fn render_dnsmasq_proxy_dhcp(info: &ServeInfo) -> String {
    let bios = match info.bios_loader {
        BiosLoader::Ipxe => UNDIONLY,
        BiosLoader::Pxelinux => PXELINUX,
    };
    let server = info.tftp_server;
    // A basename with a dot is sent as is; without one dnsmasq appends ".0".
    // iPXE sends user class "iPXE": give it the script instead of another
    // copy of iPXE, which would loop.
    format!(
        "# {HEADER}\n\
         # Proxy DHCP: addresses still come from the LAN's DHCP server.\n\
         dhcp-range={subnet},proxy\n\
         dhcp-userclass=set:ipxe,iPXE\n\
         pxe-service=tag:!ipxe,x86PC,\"ironstor (BIOS)\",{bios},{server}\n\
         pxe-service=tag:!ipxe,X86-64_EFI,\"ironstor (UEFI)\",{GRUB_NET_EFI},{server}\n\
         dhcp-boot=tag:ipxe,{script}\n",
        subnet = info.subnet,
        script = info.base_url.join(BOOT_IPXE),
    )
}

/// Everything [`plan_tree`] needs.
#[derive(Debug, Clone)]
pub struct PxeInputs<'a> {
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    pub root_squashfs: &'a Path,
    /// Where the loaders' Debian paths are looked up: `/` on a build host,
    /// a fixture tree in tests.
    pub host_root: &'a Path,
}

/// One file of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Relative to the tree's root.
    pub dest: PathBuf,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file to copy (or hard-link), and the Debian package that has it.
    Copy {
        from: PathBuf,
        package: Option<&'static str>,
    },
    /// A rendered config.
    Text(String),
    /// GRUB's UEFI netboot image, made by [`grub_netboot_mkimage`] from the
    /// modules under `modules_dir`.
    GrubNetImage { modules_dir: PathBuf },
}

/// The files of the network-boot tree that do not depend on where it is
/// served, in the order [`write_tree`] writes them; [`plan_configs`] has
/// the rest.
pub fn plan_tree(inputs: &PxeInputs) -> Vec<TreeEntry> {
    let entry = |dest: &str, source| TreeEntry {
        dest: PathBuf::from(dest),
        source,
    };
    let image = |from: &Path| Source::Copy {
        from: from.to_path_buf(),
        package: None,
    };
    let host = |(path, package): (&str, &'static str)| Source::Copy {
        from: inputs.host_root.join(path),
        package: Some(package),
    };
    let grub_lib = Path::new(GRUB_LIB)
        .strip_prefix("/")
        .unwrap_or(Path::new(GRUB_LIB));
    vec![
        entry(KERNEL, image(inputs.kernel)),
        entry(INITRD, image(inputs.initrd)),
        entry(ROOT_SQUASHFS, image(inputs.root_squashfs)),
        entry(UNDIONLY, host(UNDIONLY_SRC)),
        entry(PXELINUX, host(PXELINUX_SRC)),
        entry(LDLINUX, host(LDLINUX_SRC)),
        entry(
            GRUB_NET_EFI,
            Source::GrubNetImage {
                modules_dir: inputs.host_root.join(grub_lib).join("x86_64-efi"),
            },
        ),
    ]
}

/// The loader configs: each names the base URL, so they are written when
/// it is known (at build time from `pxe.base_url`, else by `ironstor pxe
/// serve --url`).
pub fn plan_configs(boot: &PxeBoot) -> Vec<TreeEntry> {
    [
        (BOOT_IPXE, render_boot_ipxe(boot)),
        (PXELINUX_CFG, render_pxelinux_cfg(boot)),
        (GRUB_NET_CFG, render_grub_netboot_cfg(boot)),
    ]
    .into_iter()
    .map(|(dest, text)| TreeEntry {
        dest: PathBuf::from(dest),
        source: Source::Text(text),
    })
    .collect()
}

/// The `grub-mkimage` run that makes GRUB's UEFI netboot image at `out`.
/// Prefix `/grub` without a device: GRUB puts the TFTP server it was loaded
/// from in front, and reads `grub/grub.cfg` from there.
pub fn grub_netboot_mkimage(modules_dir: &Path, out: &Path) -> Cmd {
    Cmd::new("grub-mkimage")
        .args(["-O", "x86_64-efi", "-d"])
        .arg(modules_dir)
        .args(["-p", "/grub", "-o"])
        .arg(out)
        .args(GRUB_NET_MODULES)
}

/// Writes `entries` under `out_dir`, replacing files already there.
pub fn write_tree(entries: &[TreeEntry], out_dir: &Path) -> Result<(), WriteTreeError> {
    for entry in entries {
        let to = out_dir.join(&entry.dest);
        let create = |source| WriteTreeError::Create {
            path: to.clone(),
            source,
        };
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(create)?;
        }
        match &entry.source {
            Source::Text(text) => fs::write(&to, text).map_err(create)?,
            Source::Copy { from, package } => {
                link_or_copy(from, &to).map_err(|source| WriteTreeError::Copy {
                    from: from.clone(),
                    to: to.clone(),
                    package: *package,
                    source,
                })?
            }
            Source::GrubNetImage { modules_dir } => grub_netboot_mkimage(modules_dir, &to)
                .run()
                .map(drop)
                .map_err(|source| WriteTreeError::GrubImage {
                    path: to.clone(),
                    source,
                })?,
        }
    }
    Ok(())
}

/// A hard link when `from` is on the same file system (the squashfs is
/// hundreds of MiB and never changes), else a copy.
fn link_or_copy(from: &Path, to: &Path) -> io::Result<()> {
    fs::metadata(from)?;
    match fs::remove_file(to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

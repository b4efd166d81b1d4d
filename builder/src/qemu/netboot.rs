//! Booting the guest from the network instead of the stick, the way a Gen8
//! PXE-boots: QEMU user networking's own BOOTP and TFTP hand the virtio
//! NIC's iPXE option ROM (Debian's ipxe-qemu) a boot file from the tree,
//! and the tree's HTTP base URL reaches a server on the host.
//!
//! The guest stays `restrict=on`, as on a USB boot: it reaches nothing on
//! the host but what is forwarded. The base URL names a fixed guest-side
//! address (e.g. `http://10.0.2.100/`, baked into the image at build time),
//! and `guestfwd` carries connections to it to the HTTP server's port on
//! 127.0.0.1, which is chosen at run time (other engineers' VMs run beside
//! ours). guestfwd's chardev form connects once, when QEMU starts, and
//! carries a single connection; a boot makes three (iPXE's kernel and
//! initrd, the initramfs's squashfs), so the `cmd:` form is used: QEMU runs
//! `socat` per connection, relaying it to the server.

use std::net::SocketAddrV4;
use std::path::{Path, PathBuf};

use crate::formats::pxe::{BaseUrl, PxeError};
use crate::serve::http::{HttpHandle, HttpServer};
use crate::stages::pxe_tree::{TreeError, TreeInfo};

/// Why a tree cannot be served to a QEMU guest.
#[derive(Debug, thiserror::Error)]
pub enum NetBootError {
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error("the tree in {} has no base URL: build a profile with pxe.base_url (images/qemu.toml has one)", .tree.display())]
    NoBaseUrl { tree: PathBuf },
    #[error(transparent)]
    BaseUrl(#[from] PxeError),
    #[error("base URL {url}: QEMU's guestfwd needs an IPv4 address, e.g. 10.0.2.100")]
    NotIpv4 { url: String },
    #[error("cannot serve {} over HTTP", .tree.display())]
    Http {
        tree: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How the guest boots from the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetBoot {
    /// Served by QEMU's built-in TFTP server.
    pub tftp_dir: PathBuf,
    /// The file BOOTP names; `boot.ipxe` for iPXE.
    pub bootfile: String,
    /// The guest-side address the tree's base URL names, and the port on
    /// 127.0.0.1 of the HTTP server behind it.
    pub http: Option<(SocketAddrV4, u16)>,
}

impl NetBoot {
    /// Serves the built `tree` over HTTP on a free port of 127.0.0.1 and
    /// says how the guest reaches it, booting `bootfile` (`boot.ipxe`, or
    /// GRUB's EFI image). The tree's base URL must name an IPv4 address in
    /// QEMU's user network (the qemu profile's is `http://10.0.2.100/`).
    pub fn serve_tree(tree: &Path, bootfile: &str) -> Result<(HttpHandle, NetBoot), NetBootError> {
        let info = TreeInfo::load(tree)?;
        let url = info.base_url.ok_or_else(|| NetBootError::NoBaseUrl {
            tree: tree.to_path_buf(),
        })?;
        let base = BaseUrl::parse(&url)?;
        let ip = base
            .host()
            .parse()
            .map_err(|_| NetBootError::NotIpv4 { url: url.clone() })?;
        let http_err = |source| NetBootError::Http {
            tree: tree.to_path_buf(),
            source,
        };
        let http = HttpServer::bind("127.0.0.1:0", tree)
            .map_err(http_err)?
            .spawn()
            .map_err(http_err)?;
        let netboot = NetBoot {
            tftp_dir: tree.to_path_buf(),
            bootfile: bootfile.to_string(),
            http: Some((SocketAddrV4::new(ip, base.port()), http.local_addr().port())),
        };
        Ok((http, netboot))
    }

    /// What goes after `-netdev user,id=net0,restrict=on`.
    pub(super) fn netdev_options(&self) -> String {
        // QEMU's option syntax escapes a comma by doubling it.
        let escape = |s: &str| s.replace(',', ",,");
        let mut o = format!(
            ",tftp={},bootfile={}",
            escape(&self.tftp_dir.display().to_string()),
            escape(&self.bootfile)
        );
        if let Some((guest, host_port)) = self.http {
            o += &format!(
                ",guestfwd=tcp:{}:{}-cmd:socat - TCP:127.0.0.1:{host_port}",
                guest.ip(),
                guest.port()
            );
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netboot_serves_the_tree_by_tftp_and_relays_http_per_connection() {
        let n = NetBoot {
            tftp_dir: "/out/a,b/pxe".into(),
            bootfile: "boot.ipxe".into(),
            http: Some(("10.0.2.100:80".parse().unwrap(), 41234)),
        };
        assert_eq!(
            n.netdev_options(),
            ",tftp=/out/a,,b/pxe,bootfile=boot.ipxe,guestfwd=tcp:10.0.2.100:80-cmd:socat - TCP:127.0.0.1:41234"
        );
        let tftp_only = NetBoot { http: None, ..n };
        assert!(!tftp_only.netdev_options().contains("guestfwd"));
    }
}

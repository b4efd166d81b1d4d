//! `ironstor pxe serve`: the tree over HTTP and TFTP for a lab, with the
//! dnsmasq lines that point PXE clients at it while the LAN's own DHCP
//! server keeps handing out addresses (proxy DHCP).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use super::http::{HttpHandle, HttpServer};
use super::tftp::{TftpHandle, TftpServer};
use crate::formats::pxe::{
    render_dnsmasq_proxy_dhcp, BaseUrl, BiosLoader, PxeError, ServeInfo, BOOT_IPXE, GRUB_NET_EFI,
    INITRD, KERNEL, PXELINUX, UNDIONLY,
};
use crate::output::{PXE_DIR, ROOT_SQUASHFS};
use crate::stages::pxe_tree::{configure, TreeError, TreeInfo, TREE_INFO};

/// Why `pxe serve` cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "no network-boot tree in {}: expected {} or {}/{TREE_INFO}; build the image first (ironstor build)",
        .dir.display(), .dir.join(TREE_INFO).display(), .dir.join(PXE_DIR).display()
    )]
    NoTree { dir: PathBuf },
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error("the tree in {} was built without pxe.base_url: pass --url http://<this host's LAN address>:8080/", .tree.display())]
    NoUrl { tree: PathBuf },
    #[error("--url")]
    Url(#[source] PxeError),
    #[error("the URL's host {host:?} is not an IPv4 address: name this host's LAN address with --address")]
    NotIpv4 { host: String },
    #[error("cannot listen for {protocol} on {addr} (port {port} needs root)")]
    Listen {
        protocol: &'static str,
        addr: SocketAddr,
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

/// What to serve, and where.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A build's output directory, or its `pxe/` tree itself.
    pub dir: PathBuf,
    /// The URL the loaders are told; default: the tree's `pxe.base_url`.
    pub url: Option<String>,
    /// HTTP listen address; default: every address, the URL's port.
    pub http: Option<SocketAddr>,
    /// TFTP listen address.
    pub tftp: SocketAddr,
    /// This host's address on the LAN, for dnsmasq; default: the URL's
    /// host when it is an IPv4 address.
    pub address: Option<Ipv4Addr>,
    /// The LAN's network address; default: `address` as a /24.
    pub subnet: Option<Ipv4Addr>,
    pub bios_loader: BiosLoader,
}

/// Both servers running, and what to tell the operator.
pub struct Serving {
    pub http: HttpHandle,
    pub tftp: TftpHandle,
    pub tree: PathBuf,
    pub info: TreeInfo,
    /// The listen addresses, the URLs and the dnsmasq snippet.
    pub report: String,
}

/// The `pxe/` tree in `dir`: `dir` itself when it holds `pxe.toml`.
pub fn find_tree(dir: &Path) -> Result<PathBuf, ServeError> {
    for tree in [dir.to_path_buf(), dir.join(PXE_DIR)] {
        if tree.join(TREE_INFO).is_file() {
            return Ok(tree);
        }
    }
    Err(ServeError::NoTree {
        dir: dir.to_path_buf(),
    })
}

/// Writes the loader configs if the URL is new, binds both servers and
/// starts them.
pub fn start(opts: &ServeOptions) -> Result<Serving, ServeError> {
    let tree = find_tree(&opts.dir)?;
    let built = TreeInfo::load(&tree)?;
    let url = match (&opts.url, &built.base_url) {
        (Some(url), _) | (None, Some(url)) => url.clone(),
        (None, None) => return Err(ServeError::NoUrl { tree }),
    };
    let base = BaseUrl::parse(&url).map_err(ServeError::Url)?;
    let address = match opts.address {
        Some(a) => a,
        None => base
            .host()
            .parse::<Ipv4Addr>()
            .map_err(|_| ServeError::NotIpv4 {
                host: base.host().to_string(),
            })?,
    };
    let subnet = opts.subnet.unwrap_or_else(|| {
        let [a, b, c, _] = address.octets();
        Ipv4Addr::new(a, b, c, 0)
    });

    let info = configure(&tree, base.as_str())?;
    let rewritten = built.base_url.as_deref() != Some(base.as_str());

    let http_addr = opts.http.unwrap_or(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        base.port(),
    ));
    let listen = |protocol, addr: SocketAddr, port| {
        move |source| ServeError::Listen {
            protocol,
            addr,
            port,
            source,
        }
    };
    let http = HttpServer::bind(http_addr, &tree)
        .and_then(|server| server.with_log(true).spawn())
        .map_err(listen("HTTP", http_addr, 80))?;
    let tftp = TftpServer::bind(opts.tftp, &tree)
        .and_then(TftpServer::spawn)
        .map_err(listen("TFTP", opts.tftp, 69))?;

    let mut r = String::new();
    let _ = writeln!(
        r,
        "ironstor pxe serve: {} {} (build {}) from {}",
        info.image,
        info.version,
        info.build_id,
        tree.display()
    );
    if rewritten {
        let _ = writeln!(r, "  wrote the loader configs for {base}");
    }
    let _ = writeln!(r, "  HTTP on {}:", http.local_addr());
    for name in [BOOT_IPXE, KERNEL, INITRD, ROOT_SQUASHFS] {
        let _ = writeln!(r, "    {}", base.join(name));
    }
    let _ = writeln!(r, "    (root squashfs sha256 {})", info.root_sha256);
    let _ = writeln!(
        r,
        "  TFTP on {}: {UNDIONLY} (BIOS), {PXELINUX}, {GRUB_NET_EFI} (UEFI), the same files",
        tftp.local_addr()
    );
    let _ = writeln!(
        r,
        "\ndnsmasq in proxy-DHCP mode (your DHCP server keeps handing out addresses);\n\
         put this in /etc/dnsmasq.d/ironstor.conf on a host of {subnet}/24 and restart dnsmasq:\n"
    );
    r += &render_dnsmasq_proxy_dhcp(&ServeInfo {
        subnet,
        tftp_server: address,
        bios_loader: opts.bios_loader,
        base_url: &base,
    });
    Ok(Serving {
        http,
        tftp,
        tree,
        info,
        report: r,
    })
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;
    use crate::formats::pxe::PxeInputs;
    use crate::stages::pxe_tree::{build_tree, TreeInputs};

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// A built tree without a base URL (no loaders: a stub host root).
    fn built(dir: &Path) -> PathBuf {
        for name in [KERNEL, INITRD, ROOT_SQUASHFS] {
            fs::write(dir.join(name), name).unwrap();
        }
        let tree = dir.join(PXE_DIR);
        let info = TreeInfo {
            image: "ironstor-test".into(),
            version: "1.0.0".into(),
            build_id: "b1".into(),
            root_sha256: SHA.into(),
            command_line: vec!["console=ttyS0,115200".into()],
            base_url: None,
        };
        let files = PxeInputs {
            kernel: &dir.join(KERNEL),
            initrd: &dir.join(INITRD),
            root_squashfs: &dir.join(ROOT_SQUASHFS),
            host_root: Path::new("/nonexistent"),
        };
        // The loaders are the host's; a tree without them still serves.
        let err = build_tree(
            TreeInputs {
                files,
                info: info.clone(),
            },
            &tree,
        )
        .unwrap_err();
        assert!(err.to_string().contains("is Debian package ipxe installed"));
        fs::write(
            tree.join(TREE_INFO),
            toml::to_string(&info).unwrap().as_bytes(),
        )
        .unwrap();
        tree
    }

    fn options(dir: &Path) -> ServeOptions {
        ServeOptions {
            dir: dir.to_path_buf(),
            url: None,
            http: Some("127.0.0.1:0".parse().unwrap()),
            tftp: "127.0.0.1:0".parse().unwrap(),
            address: None,
            subnet: None,
            bios_loader: BiosLoader::Ipxe,
        }
    }

    #[test]
    fn pxe_serve_without_any_url_says_which_flag() {
        let dir = tempfile::tempdir().unwrap();
        built(dir.path());
        let err = start(&options(dir.path())).err().unwrap();
        assert!(err.to_string().contains("pass --url http://"), "{err}");
        let err = start(&options(&dir.path().join("nope"))).err().unwrap();
        assert!(err.to_string().contains("no network-boot tree"), "{err}");
    }

    #[test]
    fn pxe_serve_writes_configs_for_its_url_and_serves_them() {
        let dir = tempfile::tempdir().unwrap();
        let tree = built(dir.path());
        let serving = start(&ServeOptions {
            url: Some("http://192.168.7.5:8080/".into()),
            ..options(dir.path())
        })
        .unwrap();
        assert_eq!(serving.tree, tree);
        let r = &serving.report;
        assert!(r.contains("wrote the loader configs for http://192.168.7.5:8080/"));
        assert!(
            r.contains("    http://192.168.7.5:8080/root.squashfs\n"),
            "{r}"
        );
        assert!(r.contains(&format!("(root squashfs sha256 {SHA})")));
        assert!(r.contains("dhcp-range=192.168.7.0,proxy\n"), "{r}");
        assert!(r.contains("undionly.kpxe,192.168.7.5\n"), "{r}");
        assert_eq!(
            TreeInfo::load(&tree).unwrap().base_url.as_deref(),
            Some("http://192.168.7.5:8080/")
        );

        let mut s = TcpStream::connect(serving.http.local_addr()).unwrap();
        s.write_all(b"GET /boot.ipxe HTTP/1.1\r\n\r\n").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.contains(&format!(
            "ironstor.root_url=http://192.168.7.5:8080/root.squashfs ironstor.root_sha256={SHA}"
        )));

        // The same URL again: nothing to rewrite. A host name needs --address.
        drop(serving);
        let again = start(&options(dir.path())).unwrap();
        assert!(!again.report.contains("wrote the loader configs"));
        drop(again);
        let err = start(&ServeOptions {
            url: Some("http://boot.lan/".into()),
            ..options(dir.path())
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("--address"), "{err}");
    }
}

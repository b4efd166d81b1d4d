//! The per-device rules of the fake: `info`, `control`, and what the
//! kernel refuses on a storage object or a portal.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::populate::{classify, GroupKind};
use super::{e, FakeConfigfs, Node};

impl FakeConfigfs {
    /// Whether a LUN link points at the storage object `dev`.
    pub(super) fn exported(&self, dev: &Path) -> bool {
        self.nodes
            .values()
            .any(|n| matches!(n, Node::Link(t) if t == dev))
    }

    /// The storage object an attribute path belongs to, and the rest.
    pub(super) fn device_of(&self, path: &Path) -> Option<(PathBuf, PathBuf)> {
        let c: Vec<_> = path.iter().collect();
        if c.len() < 5 || c[0] != "target" || c[1] != "core" {
            return None;
        }
        let dev: PathBuf = c[..4].iter().collect();
        let rest: PathBuf = c[4..].iter().collect();
        self.devices.contains_key(&dev).then_some((dev, rest))
    }

    pub(super) fn enabled(&self, dev: &Path) -> bool {
        self.value(dev.join("enable")) == Some("1")
    }

    pub(super) fn info(&self, dev: &Path) -> String {
        let d = &self.devices[dev];
        let status = if self.enabled(dev) {
            "ACTIVATED"
        } else {
            "DEACTIVATED"
        };
        let mut s = format!(
            "Status: {status}  Max Queue Depth: 128  SectorSize: 512  HwMaxSectors: 8192\n        "
        );
        if let Some(u) = &d.udev_path {
            if self.enabled(dev) {
                s.push_str("iBlock device: zd0");
            }
            s.push_str(&format!("  UDEV PATH: {u}"));
        }
        s.push_str(&format!("  readonly: {}\n", u8::from(d.read_only)));
        s
    }

    pub(super) fn check_portal(&self, path: &Path) -> io::Result<()> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let addr: SocketAddr = name
            .parse()
            .map_err(|_| e(ErrorKind::InvalidInput, "not ip:port"))?;
        for (p, _) in self.nodes.iter().filter(|(p, n)| {
            matches!(n, Node::Dir { user: true }) && classify(p) == Some(GroupKind::Portal)
        }) {
            let other: SocketAddr = match p.file_name().and_then(|n| n.to_str()).map(str::parse) {
                Some(Ok(a)) => a,
                _ => continue,
            };
            if other.port() == addr.port()
                && other.ip().is_unspecified() != addr.ip().is_unspecified()
            {
                return Err(e(
                    ErrorKind::AddrInUse,
                    "wildcard and specific portal on one port",
                ));
            }
        }
        Ok(())
    }

    pub(super) fn write_device(
        &mut self,
        dev: &Path,
        rest: &Path,
        value: &str,
    ) -> io::Result<Option<String>> {
        let enabled = self.enabled(dev);
        let exported = self.exported(dev);
        let v = value.trim_end_matches('\n');
        let inval = |m: &str| Err(e(ErrorKind::InvalidInput, m));
        match rest.to_str().unwrap_or("") {
            "control" => {
                for opt in v.split([',', '\n']).filter(|o| !o.is_empty()) {
                    let (k, val) = opt.split_once('=').unwrap_or((opt, ""));
                    if enabled {
                        return Err(e(ErrorKind::AlreadyExists, "device already configured"));
                    }
                    let d = self.devices.get_mut(dev).expect("device");
                    match k {
                        "udev_path" => d.udev_path = Some(val.to_string()),
                        "readonly" => d.read_only = val == "1",
                        _ => return inval("unknown iblock control option"),
                    }
                }
                Ok(None)
            }
            "enable" if v != "1" => inval("enable takes only 1"),
            "enable" if enabled => Err(e(ErrorKind::AlreadyExists, "device already configured")),
            "enable" if self.devices[dev].udev_path.is_none() => {
                inval("missing udev_path= for IBLOCK")
            }
            "wwn/vpd_unit_serial" | "wwn/vendor_id" | "wwn/product_id" | "attrib/block_size"
                if exported =>
            {
                inval("device is exported through a LUN")
            }
            "wwn/vendor_id" if v.len() > 8 => inval("vendor_id longer than 8"),
            "wwn/product_id" if v.len() > 16 => inval("product_id longer than 16"),
            "attrib/block_size" if !["512", "1024", "2048", "4096"].contains(&v) => {
                inval("bad block_size")
            }
            "attrib/emulate_write_cache" => inval("iblock does not take emulate_write_cache"),
            "attrib/emulate_tpu" | "attrib/emulate_tpws" if v == "1" && !enabled => {
                inval("Generic Block Discard not supported")
            }
            _ => Ok(Some(v.to_string())),
        }
    }
}

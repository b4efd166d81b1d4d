//! [`FakeConfigfs`]: an in-memory configfs that behaves like the kernel's
//! for the LIO objects storaged uses.
//!
//! It emulates:
//! - `mkdir` only where configfs allows it (an HBA, a storage object, the
//!   iSCSI fabric, a target, `tpgt_N`, `lun_N`, `np/<addr>`,
//!   `acls/<iqn>`, an ACL's `lun_N`), filling the group with the
//!   attributes and default groups the kernel creates, at its defaults
//!   (`emulate_tpu` 0, `emulate_caw` 1, `block_size` 512, `enable` 0,
//!   TPG `authentication` 1, vendor `LIO-ORG`, ...);
//! - `rmdir` only of groups made by `mkdir`, refused while they hold
//!   user-made groups or links, or while a link points at them;
//! - how values read back: a trailing newline, `wwn/vpd_unit_serial` as
//!   `T10 VPD Unit Serial Number: <serial>`, a computed iblock `info`,
//!   `control` write-only, CHAP values kept byte for byte (newline too);
//! - what the kernel refuses: changing `dbroot` once a device exists;
//!   `udev_path=`/`readonly=` and a second `enable` after enable; enable
//!   without `udev_path`; `emulate_tpu`/`emulate_tpws` before enable;
//!   `emulate_write_cache` on iblock; serial, vendor, product or
//!   `block_size` while the device is exported through a LUN; too long
//!   vendor/product; linking a LUN to a device not enabled; a TPG
//!   `enable` of 1 when already enabled; a wildcard portal beside a
//!   specific one on the same port (the bind fails).
//!
//! Every successful change is recorded in [`FakeConfigfs::ops`], in order.

mod device;
mod populate;

use std::collections::BTreeMap;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

use super::fs::{Configfs, EntryKind};
use populate::{classify, GroupKind};

/// One change the writer made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Mkdir(PathBuf),
    Rmdir(PathBuf),
    Write(PathBuf, String),
    Symlink { link: PathBuf, target: PathBuf },
    Unlink(PathBuf),
}

impl Op {
    pub fn path(&self) -> &Path {
        match self {
            Op::Mkdir(p) | Op::Rmdir(p) | Op::Write(p, _) | Op::Unlink(p) => p,
            Op::Symlink { link, .. } => link,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    ReadWrite,
    ReadOnly,
    WriteOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// `user`: made by `mkdir` (removable), not a default group.
    Dir {
        user: bool,
    },
    Attr {
        value: String,
        mode: Mode,
    },
    Link(PathBuf),
}

/// Per storage object: what `control` set.
#[derive(Debug, Clone, Default)]
struct Device {
    udev_path: Option<String>,
    read_only: bool,
}

#[derive(Debug, Clone)]
pub struct FakeConfigfs {
    nodes: BTreeMap<PathBuf, Node>,
    devices: BTreeMap<PathBuf, Device>,
    ops: Vec<Op>,
}

impl Default for FakeConfigfs {
    fn default() -> Self {
        Self::new()
    }
}

fn e(kind: ErrorKind, msg: &str) -> io::Error {
    io::Error::new(kind, msg.to_string())
}

impl FakeConfigfs {
    /// configfs right after `target_core_mod` loaded: `target/` with
    /// `core/` and the kernel's fallback `dbroot`; `target/iscsi` appears
    /// on `mkdir`, as when `iscsi_target_mod` loads.
    pub fn new() -> Self {
        let mut f = FakeConfigfs {
            nodes: BTreeMap::new(),
            devices: BTreeMap::new(),
            ops: Vec::new(),
        };
        f.add_default_dir(Path::new("target"));
        f.add_default_dir(Path::new("target/core"));
        f.add_default_dir(Path::new("target/core/alua"));
        f.add_attr(
            Path::new("target/version"),
            "Target Engine Core ConfigFS Infrastructure v5.0",
            Mode::ReadOnly,
        );
        f.add_attr(Path::new("target/dbroot"), "/var/target", Mode::ReadWrite);
        f
    }

    /// Every change so far, in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    pub fn clear_ops(&mut self) {
        self.ops.clear();
    }

    /// The stored value of an attribute, byte for byte (no newline added).
    pub fn value(&self, path: impl AsRef<Path>) -> Option<&str> {
        match self.nodes.get(path.as_ref()) {
            Some(Node::Attr { value, .. }) => Some(value),
            _ => None,
        }
    }

    pub fn link_target(&self, path: impl AsRef<Path>) -> Option<&Path> {
        match self.nodes.get(path.as_ref()) {
            Some(Node::Link(t)) => Some(t),
            _ => None,
        }
    }

    pub fn is_dir(&self, path: impl AsRef<Path>) -> bool {
        matches!(self.nodes.get(path.as_ref()), Some(Node::Dir { .. }))
    }

    /// Groups made by `mkdir` and links, the part of the tree a writer
    /// builds, in path order.
    pub fn user_entries(&self) -> Vec<PathBuf> {
        self.nodes
            .iter()
            .filter(|(_, n)| matches!(n, Node::Dir { user: true } | Node::Link(_)))
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn add_default_dir(&mut self, path: &Path) {
        self.nodes
            .insert(path.to_path_buf(), Node::Dir { user: false });
    }

    fn add_attr(&mut self, path: &Path, value: &str, mode: Mode) {
        if let Some(parent) = path.parent() {
            if !self.nodes.contains_key(parent) {
                self.add_default_dir(parent);
            }
        }
        let node = Node::Attr {
            value: value.to_string(),
            mode,
        };
        self.nodes.insert(path.to_path_buf(), node);
    }

    fn below<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = (&'a PathBuf, &'a Node)> + 'a {
        self.nodes
            .range(dir.to_path_buf()..)
            .skip(1)
            .take_while(move |(p, _)| p.starts_with(dir))
    }
}

impl Configfs for FakeConfigfs {
    fn read(&self, path: &Path) -> io::Result<String> {
        match self.nodes.get(path) {
            None => Err(e(ErrorKind::NotFound, "no such file")),
            Some(Node::Dir { .. }) => Err(e(ErrorKind::IsADirectory, "is a directory")),
            Some(Node::Link(_)) => Err(e(ErrorKind::IsADirectory, "is a link to a group")),
            Some(Node::Attr {
                mode: Mode::WriteOnly,
                ..
            }) => Err(e(ErrorKind::PermissionDenied, "write-only")),
            Some(Node::Attr { value, .. }) => match self.device_of(path) {
                Some((dev, rest)) if rest == Path::new("info") => Ok(self.info(&dev)),
                Some((_, rest)) if rest == Path::new("wwn/vpd_unit_serial") => {
                    Ok(format!("T10 VPD Unit Serial Number: {value}\n"))
                }
                _ => Ok(format!("{value}\n")),
            },
        }
    }

    fn write(&mut self, path: &Path, value: &str) -> io::Result<()> {
        match self.nodes.get(path) {
            None => return Err(e(ErrorKind::NotFound, "no such attribute")),
            Some(Node::Attr {
                mode: Mode::ReadOnly,
                ..
            }) => return Err(e(ErrorKind::PermissionDenied, "read-only")),
            Some(Node::Attr { .. }) => {}
            Some(_) => return Err(e(ErrorKind::IsADirectory, "not an attribute")),
        }
        let stored = if path == Path::new("target/dbroot") {
            if !self.devices.is_empty() {
                return Err(e(
                    ErrorKind::InvalidInput,
                    "db_root: cannot be changed because it's in use",
                ));
            }
            if !value.starts_with('/') {
                return Err(e(ErrorKind::InvalidInput, "db_root: not a directory"));
            }
            Some(value.trim_end_matches('\n').to_string())
        } else if let Some((dev, rest)) = self.device_of(path) {
            self.write_device(&dev, &rest, value)?
        } else if path.ends_with("enable") && value == "1" && self.value(path) == Some("1") {
            return Err(e(ErrorKind::InvalidInput, "portal group is already active"));
        } else if path
            .parent()
            .is_some_and(|p| p.ends_with("auth") || p.ends_with("discovery_auth"))
        {
            // CHAP values are kept as written, newline included.
            if value.len() >= 256 {
                return Err(e(ErrorKind::InvalidInput, "longer than 255"));
            }
            Some(value.to_string())
        } else {
            Some(value.trim_end_matches('\n').to_string())
        };
        if let Some(v) = stored {
            if let Some(Node::Attr { value, .. }) = self.nodes.get_mut(path) {
                *value = v;
            }
        }
        self.ops
            .push(Op::Write(path.to_path_buf(), value.to_string()));
        Ok(())
    }

    fn mkdir(&mut self, path: &Path) -> io::Result<()> {
        if self.nodes.contains_key(path) {
            return Err(e(ErrorKind::AlreadyExists, "exists"));
        }
        if !path.parent().is_some_and(|p| self.is_dir(p)) {
            return Err(e(ErrorKind::NotFound, "no parent group"));
        }
        let group = classify(path)
            .ok_or_else(|| e(ErrorKind::PermissionDenied, "configfs refuses mkdir here"))?;
        if group == GroupKind::Portal {
            self.check_portal(path)?;
        }
        self.nodes
            .insert(path.to_path_buf(), Node::Dir { user: true });
        if group == GroupKind::StorageObject {
            self.devices.insert(path.to_path_buf(), Device::default());
        }
        self.populate(path, group);
        self.ops.push(Op::Mkdir(path.to_path_buf()));
        Ok(())
    }

    fn rmdir(&mut self, path: &Path) -> io::Result<()> {
        match self.nodes.get(path) {
            Some(Node::Dir { user: true }) => {}
            Some(Node::Dir { user: false }) => {
                return Err(e(ErrorKind::PermissionDenied, "default group"))
            }
            Some(_) => return Err(e(ErrorKind::NotADirectory, "not a directory")),
            None => return Err(e(ErrorKind::NotFound, "no such group")),
        }
        if self
            .below(path)
            .any(|(_, n)| matches!(n, Node::Dir { user: true } | Node::Link(_)))
        {
            return Err(e(ErrorKind::DirectoryNotEmpty, "holds groups or links"));
        }
        if self
            .nodes
            .values()
            .any(|n| matches!(n, Node::Link(t) if t.starts_with(path)))
        {
            return Err(e(ErrorKind::ResourceBusy, "a link points at it"));
        }
        let doomed: Vec<PathBuf> = self.below(path).map(|(p, _)| p.clone()).collect();
        for p in doomed {
            self.nodes.remove(&p);
        }
        self.nodes.remove(path);
        self.devices.remove(path);
        self.ops.push(Op::Rmdir(path.to_path_buf()));
        Ok(())
    }

    fn symlink(&mut self, target: &Path, link: &Path) -> io::Result<()> {
        let dir = link.parent().unwrap_or(Path::new(""));
        let ok_target = match classify(dir) {
            Some(GroupKind::Lun) => {
                if !self.devices.contains_key(target) {
                    return Err(e(ErrorKind::InvalidInput, "not a storage object"));
                }
                if !self.enabled(target) {
                    return Err(e(ErrorKind::NotFound, "device not enabled (ENODEV)"));
                }
                true
            }
            // An ACL's LUN links to a LUN of its own portal group.
            Some(GroupKind::AclLun) => {
                let tpg = dir.parent().and_then(Path::parent).and_then(Path::parent);
                classify(target) == Some(GroupKind::Lun)
                    && tpg.is_some_and(|t| target.starts_with(t))
            }
            _ => {
                return Err(e(
                    ErrorKind::PermissionDenied,
                    "configfs refuses a link here",
                ))
            }
        };
        if !ok_target || !self.is_dir(target) {
            return Err(e(ErrorKind::InvalidInput, "bad link target"));
        }
        if self.list(dir)?.iter().any(|(_, k)| *k == EntryKind::Link) {
            return Err(e(ErrorKind::AlreadyExists, "already linked"));
        }
        if self.nodes.contains_key(link) {
            return Err(e(ErrorKind::AlreadyExists, "exists"));
        }
        self.nodes
            .insert(link.to_path_buf(), Node::Link(target.to_path_buf()));
        self.ops.push(Op::Symlink {
            link: link.to_path_buf(),
            target: target.to_path_buf(),
        });
        Ok(())
    }

    fn unlink(&mut self, link: &Path) -> io::Result<()> {
        if !matches!(self.nodes.get(link), Some(Node::Link(_))) {
            return Err(e(ErrorKind::NotFound, "no such link"));
        }
        self.nodes.remove(link);
        self.ops.push(Op::Unlink(link.to_path_buf()));
        Ok(())
    }

    fn read_link(&self, link: &Path) -> io::Result<PathBuf> {
        self.link_target(link)
            .map(Path::to_path_buf)
            .ok_or_else(|| e(ErrorKind::NotFound, "no such link"))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(String, EntryKind)>> {
        if !self.is_dir(dir) {
            return Err(e(ErrorKind::NotFound, "no such group"));
        }
        Ok(self
            .below(dir)
            .filter(|(p, _)| p.parent() == Some(dir))
            .map(|(p, n)| {
                let kind = match n {
                    Node::Dir { .. } => EntryKind::Dir,
                    Node::Attr { .. } => EntryKind::File,
                    Node::Link(_) => EntryKind::Link,
                };
                (
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                    kind,
                )
            })
            .collect())
    }
}

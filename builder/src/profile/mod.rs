//! Image profiles: a TOML file in `images/` that says what to build.
//!
//! Parsing happens in two stages, as mkosi does: [`raw`] lets serde check key
//! names and types against the TOML, then [`validate`] turns the raw values
//! into a [`Profile`] whose every field is known good: sizes fit, names are
//! well formed, package sets and directories exist. Both stages report the
//! file, the line and the key, and both run before any build work starts.

mod raw;
pub mod settings;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

pub use validate::{Compression, MIB};

/// A validated image profile. Paths are absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub path: PathBuf,
    pub image: Image,
    pub distribution: Distribution,
    pub kernel: Kernel,
    pub rootfs: Rootfs,
    pub disk: Disk,
    pub qemu: Qemu,
    pub pxe: Pxe,
    pub update: Update,
}

/// How the image's upgrades are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The public key file, and the key in it. `None`: the image refuses
    /// every update bundle and no bundle is built.
    pub public_key: Option<(PathBuf, ironstor_contract::keys::PublicKey)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub name: String,
    pub version: String,
    pub hostname: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    pub suite: String,
    pub components: Vec<String>,
    /// `None`: mmdebstrap's own default mirror.
    pub mirror: Option<String>,
    pub package_sets: Vec<PackageSet>,
    pub packages: Vec<String>,
}

/// A named list of packages from `<packages_dir>/<name>.list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSet {
    pub name: String,
    pub path: PathBuf,
    pub packages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel {
    pub modules: Vec<String>,
    pub command_line: Vec<String>,
    pub zfs: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rootfs {
    pub initramfs_dir: PathBuf,
    pub units_dir: PathBuf,
    pub overlays: Vec<PathBuf>,
    pub enable_units: Vec<String>,
    pub compression: Compression,
}

/// The `[disk]` table: partition sizes, which the disk layout places.
pub use crate::formats::layout::Disk;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Qemu {
    pub memory: u64,
    pub nvme_drives: u32,
    pub sata_drives: u32,
    pub drive_size: u64,
    pub stick_size: u64,
}

/// The network-boot tree's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pxe {
    /// Where the tree will be served over HTTP; `None`: decided when it is
    /// served (`ironstor pxe serve --url`).
    pub base_url: Option<crate::formats::pxe::BaseUrl>,
}

impl Profile {
    /// Every package the base root file system installs, sets first.
    pub fn all_packages(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .distribution
            .package_sets
            .iter()
            .flat_map(|set| set.packages.iter().cloned())
            .chain(self.distribution.packages.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// A profile that cannot be built, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError {
    pub file: PathBuf,
    /// 1-based line of the offending key, when it can be found.
    pub line: Option<usize>,
    /// Dotted key, e.g. `disk.slot_size`; empty for whole-file errors.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ProfileError {}

/// Reads and validates the profile at `path`.
pub fn load(path: &Path) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
        file: path.to_path_buf(),
        line: None,
        key: String::new(),
        message: format!("cannot read profile: {e}"),
    })?;
    parse(path, &text)
}

/// Validates profile `text`; relative paths in it are taken from the
/// directory of `path`.
pub fn parse(path: &Path, text: &str) -> Result<Profile, ProfileError> {
    let raw: raw::RawProfile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| line_of_offset(text, span.start));
        ProfileError {
            file: path.to_path_buf(),
            line,
            key: String::new(),
            message: e.message().to_string(),
        }
    })?;
    validate::validate(path, text, raw)
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line on which dotted `key` is written in `text`, if it is.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let mut table = doc.as_table();
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let (k, item) = table.get_key_value(part)?;
        if parts.peek().is_none() {
            return k.span().map(|s| line_of_offset(text, s.start));
        }
        table = item.as_table()?;
    }
    None
}

#[cfg(test)]
mod tests;

//! Stage two of profile parsing: judge every raw value and resolve paths.

use std::path::{Path, PathBuf};

use super::raw::{RawProfile, RawSize};
use super::{
    line_of_key, Disk, Distribution, Image, Kernel, PackageSet, Profile, ProfileError, Pxe, Qemu,
    Rootfs, Update,
};
use crate::formats::pxe::{BaseUrl, PxeError};

pub use crate::formats::layout::MIB;

/// Smallest ESP: FAT32 needs ~65k clusters, and two slots' kernels and
/// initrds must fit beside GRUB.
const MIN_ESP: u64 = 64 * MIB;
/// Smallest root slot: a trixie root with systemd and ZFS userland does not
/// compress below this.
const MIN_SLOT: u64 = 128 * MIB;
const MIN_DATA: u64 = 32 * MIB;
/// The builder owns these kernel parameters.
const RESERVED_CMDLINE: [&str; 5] = ["root=", "rootfstype=", "ironstor.slot=", "init=", "boot="];
const KNOWN_COMPONENTS: [&str; 4] = ["main", "contrib", "non-free", "non-free-firmware"];

/// squashfs compressors the kernel can mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Xz,
    Zstd,
    Lz4,
    Lzo,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Lz4 => "lz4",
            Compression::Lzo => "lzo",
        }
    }

    const ALL: [Compression; 5] = [
        Compression::Gzip,
        Compression::Xz,
        Compression::Zstd,
        Compression::Lz4,
        Compression::Lzo,
    ];
}

struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
    dir: PathBuf,
}

impl Checker<'_> {
    fn err(&self, key: &str, message: impl Into<String>) -> ProfileError {
        ProfileError {
            file: self.file.to_path_buf(),
            line: line_of_key(self.text, key),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn size(&self, key: &str, raw: &RawSize, min: u64) -> Result<u64, ProfileError> {
        let bytes = parse_size(raw).map_err(|m| self.err(key, m))?;
        if bytes % MIB != 0 {
            return Err(self.err(key, format!("{bytes} bytes is not a whole number of MiB")));
        }
        if bytes < min {
            return Err(self.err(
                key,
                format!(
                    "{} MiB is too small: at least {} MiB",
                    bytes / MIB,
                    min / MIB
                ),
            ));
        }
        Ok(bytes)
    }

    fn count(&self, key: &str, value: i64, max: u32) -> Result<u32, ProfileError> {
        u32::try_from(value)
            .ok()
            .filter(|v| *v <= max)
            .ok_or_else(|| self.err(key, format!("{value} is out of range: 0 to {max}")))
    }

    fn existing_dir(&self, key: &str, rel: &str) -> Result<PathBuf, ProfileError> {
        let path = self.dir.join(rel);
        if !path.is_dir() {
            return Err(self.err(
                key,
                format!("directory {rel:?} ({}) does not exist", path.display()),
            ));
        }
        Ok(path)
    }

    fn names(
        &self,
        key: &str,
        values: &[String],
        what: &str,
        ok: fn(&str) -> bool,
    ) -> Result<Vec<String>, ProfileError> {
        for value in values {
            if !ok(value) {
                return Err(self.err(key, format!("{value:?} is not a valid {what}")));
            }
        }
        Ok(values.to_vec())
    }
}

pub(super) fn validate(path: &Path, text: &str, raw: RawProfile) -> Result<Profile, ProfileError> {
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let c = Checker {
        file: path,
        text,
        dir,
    };

    // [image]
    if !is_image_name(&raw.image.name) {
        return Err(c.err(
            "image.name",
            format!(
                "{:?} is not a valid image name: 1-64 of a-z, 0-9 and '-', starting with a letter",
                raw.image.name
            ),
        ));
    }
    if !is_version(&raw.image.version) {
        return Err(c.err(
            "image.version",
            format!(
                "{:?} is not a version: expected MAJOR.MINOR.PATCH, e.g. \"1.4.0\"",
                raw.image.version
            ),
        ));
    }
    if !is_hostname(&raw.image.hostname) {
        return Err(c.err(
            "image.hostname",
            format!("{:?} is not a valid host name", raw.image.hostname),
        ));
    }

    // [distribution]
    let d = &raw.distribution;
    if d.suite.is_empty()
        || !d
            .suite
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch == '-')
    {
        return Err(c.err(
            "distribution.suite",
            format!("{:?} is not a Debian suite name", d.suite),
        ));
    }
    if d.components.is_empty() {
        return Err(c.err(
            "distribution.components",
            "at least one component is needed",
        ));
    }
    for component in &d.components {
        if !KNOWN_COMPONENTS.contains(&component.as_str()) {
            return Err(c.err(
                "distribution.components",
                format!(
                    "unknown component {component:?}: expected one of {}",
                    KNOWN_COMPONENTS.join(", ")
                ),
            ));
        }
    }
    if let Some(mirror) = &d.mirror {
        let scheme_ok = ["http://", "https://", "file://"]
            .iter()
            .any(|s| mirror.starts_with(s));
        if !scheme_ok || mirror.contains(char::is_whitespace) {
            return Err(c.err(
                "distribution.mirror",
                format!("{mirror:?} is not an http://, https:// or file:// URL"),
            ));
        }
    }
    let packages_dir = c.existing_dir("rootfs.packages_dir", &raw.rootfs.packages_dir)?;
    if d.package_sets.is_empty() {
        return Err(c.err(
            "distribution.package_sets",
            "at least one package set is needed",
        ));
    }
    let mut package_sets = Vec::new();
    for name in &d.package_sets {
        package_sets.push(load_package_set(&c, &packages_dir, name)?);
    }
    let packages = c.names(
        "distribution.packages",
        &d.packages,
        "package name",
        is_package,
    )?;

    // [kernel]
    let modules = c.names(
        "kernel.modules",
        &raw.kernel.modules,
        "kernel module name",
        is_module,
    )?;
    for word in &raw.kernel.command_line {
        if word.is_empty() || word.contains(char::is_whitespace) {
            return Err(c.err(
                "kernel.command_line",
                format!("{word:?}: give one parameter per list item, without spaces"),
            ));
        }
        if let Some(reserved) = RESERVED_CMDLINE.iter().find(|r| word.starts_with(*r)) {
            return Err(c.err(
                "kernel.command_line",
                format!("{word:?}: {reserved} is set by the builder for each slot"),
            ));
        }
    }

    // [rootfs]
    let r = &raw.rootfs;
    let initramfs_dir = c.existing_dir("rootfs.initramfs_dir", &r.initramfs_dir)?;
    let units_dir = c.existing_dir("rootfs.units_dir", &r.units_dir)?;
    let overlays = r
        .overlays
        .iter()
        .map(|o| c.existing_dir("rootfs.overlays", o))
        .collect::<Result<Vec<_>, _>>()?;
    let enable_units = c.names("rootfs.enable_units", &r.enable_units, "unit name", is_unit)?;
    let compression = Compression::ALL
        .into_iter()
        .find(|k| k.name() == r.compression)
        .ok_or_else(|| {
            let names: Vec<_> = Compression::ALL.iter().map(|k| k.name()).collect();
            c.err(
                "rootfs.compression",
                format!(
                    "unknown compression {:?}: expected one of {}",
                    r.compression,
                    names.join(", ")
                ),
            )
        })?;

    // [disk]
    let disk = Disk {
        esp_size: c.size("disk.esp_size", &raw.disk.esp_size, MIN_ESP)?,
        slot_size: c.size("disk.slot_size", &raw.disk.slot_size, MIN_SLOT)?,
        data_size: c.size("disk.data_size", &raw.disk.data_size, MIN_DATA)?,
    };

    // [qemu]
    let q = &raw.qemu;
    let qemu = Qemu {
        memory: c.size("qemu.memory", &q.memory, 1024 * MIB)?,
        nvme_drives: c.count("qemu.nvme_drives", q.nvme_drives, 8)?,
        sata_drives: c.count("qemu.sata_drives", q.sata_drives, 6)?,
        drive_size: c.size("qemu.drive_size", &q.drive_size, 64 * MIB)?,
        stick_size: c.size("qemu.stick_size", &q.stick_size, MIB)?,
    };
    let image_bytes = crate::formats::layout::Layout::for_disk(&disk).total_bytes();
    if qemu.stick_size < image_bytes {
        return Err(c.err(
            "qemu.stick_size",
            format!(
                "{} MiB is smaller than the image itself ({} MiB)",
                qemu.stick_size / MIB,
                image_bytes / MIB
            ),
        ));
    }

    // [pxe]
    let base_url = match &raw.pxe.base_url {
        None => None,
        Some(url) => Some(BaseUrl::parse(url).map_err(|e| match e {
            PxeError::BaseUrl { reason, .. } => c.err(
                "pxe.base_url",
                format!("{url:?} {reason}, e.g. \"http://192.168.1.5:8080/\""),
            ),
            other => c.err("pxe.base_url", other.to_string()),
        })?),
    };

    // [update]
    let public_key = match &raw.update.public_key {
        None => None,
        Some(rel) => {
            let key = "update.public_key";
            let path = c.dir.join(rel);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                c.err(
                    key,
                    format!("cannot read {rel:?} ({}): {e}", path.display()),
                )
            })?;
            let public = ironstor_contract::keys::PublicKey::parse(&text)
                .map_err(|e| c.err(key, format!("{rel:?}: {e}")))?;
            Some((path, public))
        }
    };

    Ok(Profile {
        path: c.dir.join(path.file_name().unwrap_or_default()),
        image: Image {
            name: raw.image.name,
            version: raw.image.version,
            hostname: raw.image.hostname,
        },
        distribution: Distribution {
            suite: d.suite.clone(),
            components: d.components.clone(),
            mirror: d.mirror.clone(),
            package_sets,
            packages,
        },
        kernel: Kernel {
            modules,
            command_line: raw.kernel.command_line,
            zfs: raw.kernel.zfs,
        },
        rootfs: Rootfs {
            initramfs_dir,
            units_dir,
            overlays,
            enable_units,
            compression,
        },
        disk,
        qemu,
        pxe: Pxe { base_url },
        update: Update { public_key },
    })
}

fn load_package_set(c: &Checker, dir: &Path, name: &str) -> Result<PackageSet, ProfileError> {
    let key = "distribution.package_sets";
    if !is_image_name(name) {
        return Err(c.err(key, format!("{name:?} is not a valid package set name")));
    }
    let path = dir.join(format!("{name}.list"));
    let text = std::fs::read_to_string(&path).map_err(|_| {
        let mut known: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".list")
                    .map(str::to_string)
            })
            .collect();
        known.sort();
        c.err(
            key,
            format!(
                "unknown package set {name:?}: no {} (known sets: {})",
                path.display(),
                known.join(", ")
            ),
        )
    })?;
    let mut packages = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if !is_package(line) {
            return Err(c.err(
                key,
                format!(
                    "{}:{}: {line:?} is not a package name",
                    path.display(),
                    i + 1
                ),
            ));
        }
        packages.push(line.to_string());
    }
    Ok(PackageSet {
        name: name.to_string(),
        path,
        packages,
    })
}

/// Parses `"512M"`, `"2G"`, `"1T"`, `"4096K"` or a byte count.
pub fn parse_size(raw: &RawSize) -> Result<u64, String> {
    match raw {
        RawSize::Bytes(n) => u64::try_from(*n).map_err(|_| format!("{n} is negative")),
        RawSize::Text(text) => {
            let t = text.trim();
            let (digits, unit) =
                t.split_at(t.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(t.len()));
            let multiplier = match unit {
                "" => 1,
                "K" | "KiB" => 1024,
                "M" | "MiB" => MIB,
                "G" | "GiB" => 1024 * MIB,
                "T" | "TiB" => 1024 * 1024 * MIB,
                _ => 0,
            };
            let n: u64 = digits.parse().map_err(|_| String::new()).unwrap_or(0);
            if digits.is_empty() || multiplier == 0 {
                return Err(format!(
                    "{text:?} is not a size: expected a number with K, M, G or T, e.g. \"512M\""
                ));
            }
            n.checked_mul(multiplier)
                .ok_or_else(|| format!("{text:?} is too large"))
        }
    }
}

fn is_image_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_version(s: &str) -> bool {
    let core = s.split_once(['-', '+']).map_or(s, |(core, _)| core);
    let parts: Vec<_> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+~".contains(c))
}

fn is_hostname(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn is_package(s: &str) -> bool {
    s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
}

fn is_module(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_unit(s: &str) -> bool {
    let known_suffix = [
        ".service", ".socket", ".timer", ".target", ".mount", ".path",
    ]
    .iter()
    .any(|suffix| s.ends_with(suffix));
    known_suffix
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.-_:".contains(c))
}

//! Stage one of profile parsing: the TOML as written, with serde checking
//! key names and types. Nothing here judges values; see `validate`.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub image: RawImage,
    pub distribution: RawDistribution,
    pub kernel: RawKernel,
    #[serde(default)]
    pub rootfs: RawRootfs,
    pub disk: RawDisk,
    #[serde(default)]
    pub qemu: RawQemu,
    #[serde(default)]
    pub pxe: RawPxe,
    #[serde(default)]
    pub update: RawUpdate,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpdate {
    pub public_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImage {
    pub name: String,
    pub version: String,
    #[serde(default = "default_hostname")]
    pub hostname: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDistribution {
    #[serde(default = "default_suite")]
    pub suite: String,
    #[serde(default = "default_components")]
    pub components: Vec<String>,
    pub mirror: Option<String>,
    pub package_sets: Vec<String>,
    #[serde(default)]
    pub packages: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKernel {
    #[serde(default)]
    pub modules: Vec<String>,
    #[serde(default)]
    pub command_line: Vec<String>,
    #[serde(default = "default_true")]
    pub zfs: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRootfs {
    #[serde(default = "default_packages_dir")]
    pub packages_dir: String,
    #[serde(default = "default_initramfs_dir")]
    pub initramfs_dir: String,
    #[serde(default = "default_units_dir")]
    pub units_dir: String,
    #[serde(default = "default_overlays")]
    pub overlays: Vec<String>,
    #[serde(default)]
    pub enable_units: Vec<String>,
    #[serde(default = "default_compression")]
    pub compression: String,
}

impl Default for RawRootfs {
    fn default() -> Self {
        RawRootfs {
            packages_dir: default_packages_dir(),
            initramfs_dir: default_initramfs_dir(),
            units_dir: default_units_dir(),
            overlays: default_overlays(),
            enable_units: Vec::new(),
            compression: default_compression(),
        }
    }
}

/// Sizes are written as `"256M"`, `"2G"` or a plain number of bytes.
#[derive(Debug, Clone)]
pub enum RawSize {
    Bytes(i64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SizeVisitor;
        impl serde::de::Visitor<'_> for SizeVisitor {
            type Value = RawSize;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a size such as \"512M\" or \"2G\", or a number of bytes")
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawSize, E> {
                Ok(RawSize::Bytes(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawSize, E> {
                Ok(RawSize::Text(v.to_string()))
            }
        }
        d.deserialize_any(SizeVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDisk {
    pub esp_size: RawSize,
    pub slot_size: RawSize,
    pub data_size: RawSize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQemu {
    #[serde(default = "default_qemu_memory")]
    pub memory: RawSize,
    #[serde(default = "default_nvme")]
    pub nvme_drives: i64,
    #[serde(default = "default_sata")]
    pub sata_drives: i64,
    #[serde(default = "default_qemu_drive_size")]
    pub drive_size: RawSize,
    #[serde(default = "default_qemu_grow")]
    pub stick_size: RawSize,
}

impl Default for RawQemu {
    fn default() -> Self {
        RawQemu {
            memory: default_qemu_memory(),
            nvme_drives: default_nvme(),
            sata_drives: default_sata(),
            drive_size: default_qemu_drive_size(),
            stick_size: default_qemu_grow(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPxe {
    pub base_url: Option<String>,
}

pub fn default_hostname() -> String {
    "ironstor".into()
}
pub fn default_suite() -> String {
    "trixie".into()
}
pub fn default_components() -> Vec<String> {
    vec!["main".into(), "contrib".into()]
}
fn default_true() -> bool {
    true
}
pub fn default_packages_dir() -> String {
    "../rootfs/packages".into()
}
pub fn default_initramfs_dir() -> String {
    "../rootfs/initramfs".into()
}
pub fn default_units_dir() -> String {
    "../units".into()
}
pub fn default_overlays() -> Vec<String> {
    vec!["../rootfs/overlay".into()]
}
pub fn default_compression() -> String {
    "zstd".into()
}
fn default_qemu_memory() -> RawSize {
    RawSize::Text("2G".into())
}
fn default_nvme() -> i64 {
    4
}
fn default_sata() -> i64 {
    1
}
fn default_qemu_drive_size() -> RawSize {
    RawSize::Text("1G".into())
}
fn default_qemu_grow() -> RawSize {
    RawSize::Text("4G".into())
}

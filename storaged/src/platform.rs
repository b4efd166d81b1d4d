//! Where storaged runs: the image it belongs to and the slot it booted from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use ironstor_contract::slot::Booted;
use ironstor_contract::{image, Slot};

/// Facts about the running appliance, read once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub image_id: Option<String>,
    pub image_version: Option<String>,
    pub build_id: Option<String>,
    /// Where it booted from (`ironstor.slot=` on the kernel command line):
    /// read here once, for the status and the upgrader.
    pub booted: Booted,
    pub slot: Option<Slot>,
}

impl Platform {
    /// Reads `<root>/etc/os-release` and `<root>/proc/cmdline`; missing files
    /// leave fields empty (storaged also runs outside an appliance, in tests).
    pub fn detect(root: &Path) -> Self {
        let os_release = std::fs::read_to_string(root.join("etc/os-release")).unwrap_or_default();
        let fields = parse_os_release(&os_release);
        let cmdline = std::fs::read_to_string(root.join("proc/cmdline")).unwrap_or_default();
        let booted = Booted::from_cmdline(&cmdline);
        Platform {
            image_id: fields.get(image::OS_RELEASE_IMAGE_ID).cloned(),
            image_version: fields.get(image::OS_RELEASE_IMAGE_VERSION).cloned(),
            build_id: fields.get(image::OS_RELEASE_BUILD_ID).cloned(),
            booted,
            slot: match booted {
                Booted::Slot(slot) => Some(slot),
                Booted::Network | Booted::Unknown => None,
            },
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
        write!(
            f,
            "image {} {} (build {}), slot {}",
            or_unknown(&self.image_id),
            or_unknown(&self.image_version),
            or_unknown(&self.build_id),
            self.slot.map_or("none".to_string(), |s| s.to_string())
        )
    }
}

/// Parses os-release(5): `KEY=value` lines, values optionally quoted.
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_image_and_slot_from_a_root_tree() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::create_dir_all(root.path().join("proc")).unwrap();
        std::fs::write(
            root.path().join("etc/os-release"),
            "NAME=\"Debian GNU/Linux\"\nIMAGE_ID=ironstor-qemu\nIMAGE_VERSION=\"1.2.3\"\nBUILD_ID=abc\n",
        )
        .unwrap();
        std::fs::write(root.path().join("proc/cmdline"), "ro ironstor.slot=b\n").unwrap();
        let p = Platform::detect(root.path());
        assert_eq!(p.image_id.as_deref(), Some("ironstor-qemu"));
        assert_eq!(p.image_version.as_deref(), Some("1.2.3"));
        assert_eq!(p.slot, Some(Slot::B));
        assert_eq!(
            p.to_string(),
            "image ironstor-qemu 1.2.3 (build abc), slot b"
        );
    }
}

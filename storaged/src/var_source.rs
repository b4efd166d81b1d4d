//! Where this boot's `/var` lives, as the initramfs recorded it: the
//! ironstor data partition, or a tmpfs (a network boot with no local data
//! partition, or one that could not be mounted), whose contents are gone
//! at the next boot. Read, never written, by storaged.

use std::fmt;
use std::path::Path;

use ironstor_contract::netboot::{VAR_SOURCE_FILE, VAR_SOURCE_PARTITION, VAR_SOURCE_TMPFS};
use serde::{Deserialize, Serialize};

/// `/run/ironstor/var`, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "source", rename_all = "lowercase", deny_unknown_fields)]
pub enum VarSource {
    /// `partition <device>`: persistent.
    Partition { device: String },
    /// `tmpfs`: nothing persists across a reboot.
    Tmpfs,
}

impl VarSource {
    /// Parses the marker's text; `None` for anything else.
    pub fn parse(text: &str) -> Option<VarSource> {
        let line = text.lines().next()?.trim();
        match line.split_once(' ') {
            Some((VAR_SOURCE_PARTITION, device)) if device.starts_with("/dev/") => {
                Some(VarSource::Partition {
                    device: device.trim().to_string(),
                })
            }
            None if line == VAR_SOURCE_TMPFS => Some(VarSource::Tmpfs),
            _ => None,
        }
    }

    /// Reads `<root>/run/ironstor/var`; `None` when it is missing (storaged
    /// outside an appliance, in tests) or unreadable.
    pub fn detect(root: &Path) -> Option<VarSource> {
        let text = std::fs::read_to_string(root.join(VAR_SOURCE_FILE)).ok()?;
        VarSource::parse(&text)
    }
}

impl fmt::Display for VarSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarSource::Partition { device } => write!(f, "the data partition {device}"),
            VarSource::Tmpfs => f.write_str("a tmpfs: nothing under /var survives a reboot"),
        }
    }
}

/// One line for storaged's start-up log.
pub fn describe(source: Option<&VarSource>) -> String {
    match source {
        Some(s) => format!("/var is {s}"),
        None => format!("/var source unknown (no /{VAR_SOURCE_FILE})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_source_reads_the_initramfs_marker() {
        assert_eq!(
            VarSource::parse("partition /dev/sda5\n"),
            Some(VarSource::Partition {
                device: "/dev/sda5".into()
            })
        );
        assert_eq!(VarSource::parse("tmpfs\n"), Some(VarSource::Tmpfs));
        for bad in ["", "partition", "partition sda5", "tmpfs extra", "zram"] {
            assert_eq!(VarSource::parse(bad), None, "{bad:?}");
        }
        let root = tempfile::tempdir().unwrap();
        assert_eq!(VarSource::detect(root.path()), None);
        assert_eq!(describe(None), "/var source unknown (no /run/ironstor/var)");
        std::fs::create_dir_all(root.path().join("run/ironstor")).unwrap();
        std::fs::write(root.path().join("run/ironstor/var"), "tmpfs\n").unwrap();
        let found = VarSource::detect(root.path());
        assert_eq!(found, Some(VarSource::Tmpfs));
        assert_eq!(
            describe(found.as_ref()),
            "/var is a tmpfs: nothing under /var survives a reboot"
        );
        assert_eq!(
            serde_json::to_value(VarSource::Partition {
                device: "/dev/sdb5".into()
            })
            .unwrap(),
            serde_json::json!({"source": "partition", "device": "/dev/sdb5"})
        );
    }
}

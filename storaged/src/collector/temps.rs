//! Drive temperatures from hwmon: an NVMe controller's sensor (on the
//! controller, `class/nvme/<ctrl>/hwmonN`, or on older kernels its PCI
//! function, `.../device/hwmon/hwmonN`), a SATA disk's `drivetemp` sensor
//! (`block/<disk>/device/hwmon/hwmonN`). `temp1_input` is the composite
//! (drive) temperature, in millidegrees.

use std::fs;
use std::path::{Path, PathBuf};

/// The temperature of disk `kernel_name` (controller `nvme` for NVMe), in
/// °C; `None` when it has no sensor or the read fails (a drive may refuse
/// the SMART read behind it).
pub fn temperature(sysfs: &Path, kernel_name: &str, nvme: Option<&str>) -> Option<f64> {
    let mut parents: Vec<PathBuf> = Vec::new();
    if let Some(ctrl) = nvme {
        let ctrl = sysfs.join("class/nvme").join(ctrl);
        parents.push(ctrl.clone());
        parents.push(ctrl.join("device/hwmon"));
    }
    let device = sysfs.join("block").join(kernel_name).join("device");
    parents.push(device.join("hwmon"));
    parents.push(device);
    parents.iter().find_map(|parent| first_input(parent))
}

fn first_input(parent: &Path) -> Option<f64> {
    let mut hwmons: Vec<PathBuf> = fs::read_dir(parent)
        .ok()?
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("hwmon"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|e| e.path())
        .collect();
    hwmons.sort();
    hwmons
        .iter()
        .find_map(|h| parse_millidegrees(&fs::read_to_string(h.join("temp1_input")).ok()?))
}

pub fn parse_millidegrees(text: &str) -> Option<f64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .map(|mc| (mc as f64 / 100.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn nvme_sata_and_none() {
        let sys = tempfile::tempdir().unwrap();
        let s = sys.path();
        write(&s.join("class/nvme/nvme0/hwmon3/temp1_input"), "41850\n");
        write(
            &s.join("class/nvme/nvme1/device/hwmon/hwmon7/temp1_input"),
            "38000\n",
        );
        write(
            &s.join("block/sda/device/hwmon/hwmon2/temp1_input"),
            "29000\n",
        );
        fs::create_dir_all(s.join("block/sdb/device")).unwrap();
        assert_eq!(temperature(s, "nvme0n1", Some("nvme0")), Some(41.9));
        assert_eq!(temperature(s, "nvme1n1", Some("nvme1")), Some(38.0));
        assert_eq!(temperature(s, "sda", None), Some(29.0));
        assert_eq!(temperature(s, "sdb", None), None);
        assert_eq!(temperature(s, "sdz", None), None);
    }

    #[test]
    fn the_fixture_machine_has_nvme_sensors() {
        let sys =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/drives/qemu-test-vm/sys");
        assert!(temperature(&sys, "nvme0n1", Some("nvme0")).is_some());
    }

    #[test]
    fn millidegrees() {
        assert_eq!(parse_millidegrees("-5000\n"), Some(-5.0));
        assert_eq!(parse_millidegrees("n/a"), None);
    }
}

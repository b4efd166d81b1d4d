//! NVMe extras: which controller serves a namespace, the controller's
//! identify strings, its temperature and its PCIe link.

use std::fs;
use std::path::Path;

use super::model::PcieLink;
use super::sysfs::{
    canonical, list_dir_optional, numbered, read_optional, read_trimmed, BlockDisk,
};
use super::DriveError;

/// The controller of an NVMe namespace. A single-path namespace sits in its
/// controller's directory (`.../nvme/nvme0/nvme0n1`); a native-multipath
/// head node sits under its subsystem and lists its paths, each inside its
/// controller, in `multipath/`.
pub(super) fn nvme_controller(disk: &BlockDisk) -> Result<Option<String>, DriveError> {
    let n = disk.topology.len();
    if n >= 3 && disk.topology[n - 3] == "nvme" && numbered(&disk.topology[n - 2], "nvme").is_some()
    {
        return Ok(Some(disk.topology[n - 2].clone()));
    }
    for path in list_dir_optional(&disk.dir.join("multipath"))? {
        let link = disk.dir.join("multipath").join(&path);
        let ctrl = canonical(&link)?
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        if ctrl
            .as_deref()
            .is_some_and(|c| numbered(c, "nvme").is_some())
        {
            return Ok(ctrl);
        }
    }
    Ok(None)
}

/// The NVMe controller's identify strings, as the drive pads them.
pub(super) fn nvme_identity(sys: &Path, ctrl: &str) -> Result<[Option<String>; 3], DriveError> {
    let dir = sys.join("class/nvme").join(ctrl);
    let field = |name: &str| read_trimmed(&dir.join(name));
    Ok([field("model")?, field("serial")?, field("firmware_rev")?])
}

/// The composite temperature from the controller's hwmon device, in °C.
/// Reading it sends the drive a SMART log request; a drive that fails it
/// has no temperature rather than failing the inventory.
pub(super) fn nvme_temperature(sys: &Path, ctrl: &str) -> Option<f64> {
    let ctrl_dir = sys.join("class/nvme").join(ctrl);
    // Current kernels hang hwmon off the controller, the first ones with
    // NVMe hwmon support off its PCI device.
    for parent in [ctrl_dir.clone(), ctrl_dir.join("device/hwmon")] {
        for hwmon in list_dir_optional(&parent)
            .ok()?
            .iter()
            .filter(|n| numbered(n, "hwmon").is_some())
        {
            let input = parent.join(hwmon).join("temp1_input");
            if let Ok(text) = fs::read_to_string(&input) {
                return text.trim().parse::<i64>().ok().map(|mc| mc as f64 / 1000.0);
            }
        }
    }
    None
}

/// The PCIe link of the NVMe controller's PCI function.
pub(super) fn nvme_pcie_link(sys: &Path, ctrl: &str) -> Result<Option<PcieLink>, DriveError> {
    let pci = sys.join("class/nvme").join(ctrl).join("device");
    let read = |name: &str| read_optional(&pci.join(name));
    let (Some(speed), Some(width)) = (read("current_link_speed")?, read("current_link_width")?)
    else {
        return Ok(None);
    };
    let max_speed = read("max_link_speed")?;
    let max_width = read("max_link_width")?;
    Ok(Some(PcieLink::new(
        parse_link_speed(&speed),
        parse_link_width(&width),
        max_speed.as_deref().and_then(parse_link_speed),
        max_width.as_deref().and_then(parse_link_width),
    )))
}

/// `8.0 GT/s PCIe` (or `8 GT/s` before Linux 4.17); `Unknown` is `None`.
fn parse_link_speed(s: &str) -> Option<f64> {
    s.split_whitespace().next()?.parse().ok()
}

fn parse_link_width(s: &str) -> Option<u32> {
    s.trim()
        .trim_start_matches('x')
        .parse()
        .ok()
        .filter(|w| *w > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_speed_and_width_parse_as_every_kernel_prints_them() {
        assert_eq!(parse_link_speed("8.0 GT/s PCIe\n"), Some(8.0));
        assert_eq!(parse_link_speed("5 GT/s"), Some(5.0));
        assert_eq!(parse_link_speed("Unknown"), None);
        assert_eq!(parse_link_width("4\n"), Some(4));
        assert_eq!(parse_link_width("x16"), Some(16));
        assert_eq!(parse_link_width("0"), None);
    }

    #[test]
    fn multipath_head_finds_its_controller_through_its_paths() {
        let sys = tempfile::tempdir().unwrap();
        let sys = sys.path();
        let ctrl = "devices/pci0000:00/0000:00:03.0/nvme/nvme1";
        fs::create_dir_all(sys.join(ctrl).join("nvme1c1n1")).unwrap();
        let head = sys.join("devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1");
        fs::create_dir_all(head.join("multipath")).unwrap();
        // As kernfs writes it: up to `devices`, down to the path device.
        std::os::unix::fs::symlink(
            "../../../../../pci0000:00/0000:00:03.0/nvme/nvme1/nvme1c1n1",
            head.join("multipath/nvme1c1n1"),
        )
        .unwrap();
        let disk = BlockDisk::at(sys, "virtual/nvme-subsystem/nvme-subsys0/nvme0n1");
        assert_eq!(nvme_controller(&disk).unwrap().as_deref(), Some("nvme1"));
    }

    #[test]
    fn missing_hwmon_means_no_temperature() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("class/nvme/nvme0")).unwrap();
        assert_eq!(nvme_temperature(dir.path(), "nvme0"), None);
    }
}

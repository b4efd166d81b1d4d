//! Where a disk hangs off the machine: transport, controller driver, PCI
//! and SCSI addresses, read off its path in the device tree.

use std::fs;
use std::io;
use std::path::Path;

use super::model::Transport;
use super::nvme::nvme_controller;
use super::sysfs::{is_hctl, is_pci_address, numbered, read_trimmed, BlockDisk};
use super::DriveError;

/// Where a disk hangs off the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placement {
    pub transport: Transport,
    pub driver: Option<String>,
    pub pci_address: Option<String>,
    pub scsi_address: Option<String>,
    /// The NVMe controller (`nvme0`) of an NVMe namespace.
    pub nvme_controller: Option<String>,
}

/// Reads transport and driver off the device path, the way `udev`'s
/// `path_id` does: an `ataN` port means libata (SATA), a `usbN` bus means
/// USB, an `end_device-H:N` means a SAS transport, and the SCSI host's
/// `proc_name` names its driver. `scsi_vendor` is the disk's INQUIRY
/// vendor, which tells a SATA disk behind a SAS HBA (`ATA`) from a SAS one.
pub(super) fn placement(
    sys: &Path,
    disk: &BlockDisk,
    scsi_vendor: Option<&str>,
) -> Result<Placement, DriveError> {
    let path = &disk.topology;
    let any = |f: &dyn Fn(&str) -> bool| path.iter().any(|c| f(c));
    let mut place = Placement {
        transport: Transport::Other,
        driver: None,
        pci_address: path.iter().rev().find(|c| is_pci_address(c)).cloned(),
        scsi_address: path.iter().rev().find(|c| is_hctl(c)).cloned(),
        nvme_controller: None,
    };
    if disk.name.starts_with("nvme") {
        place.transport = Transport::Nvme;
        place.nvme_controller = nvme_controller(disk)?;
        if let Some(ctrl) = &place.nvme_controller {
            let ctrl_dir = sys.join("class/nvme").join(ctrl);
            let transport = read_trimmed(&ctrl_dir.join("transport"))?;
            place.driver = Some(match transport.as_deref() {
                Some("pcie") | None => "nvme".to_string(),
                Some(fabric) => format!("nvme-{fabric}"),
            });
            if place.pci_address.is_none() && transport.as_deref() == Some("pcie") {
                place.pci_address = read_trimmed(&ctrl_dir.join("address"))?;
            }
        }
    } else if place.scsi_address.is_some() {
        let host = path.iter().find_map(|c| numbered(c, "host"));
        if let Some(host) = host {
            let proc_name = sys.join(format!("class/scsi_host/host{host}/proc_name"));
            place.driver = read_trimmed(&proc_name)?;
        }
        place.transport = if any(&|c| numbered(c, "usb").is_some()) {
            Transport::Usb
        } else if any(&|c| numbered(c, "ata").is_some()) {
            Transport::Sata
        } else if any(&|c| c.starts_with("end_device-")) {
            if scsi_vendor == Some("ATA") {
                Transport::Sata
            } else {
                Transport::Sas
            }
        } else if any(&|c| numbered(c, "virtio").is_some()) {
            Transport::Virtio
        } else {
            Transport::Other
        };
    } else {
        if any(&|c| numbered(c, "virtio").is_some()) {
            place.transport = Transport::Virtio;
        }
        place.driver = driver_of(&disk.dir.join("device"))?;
    }
    Ok(place)
}

fn driver_of(device: &Path) -> Result<Option<String>, DriveError> {
    match fs::read_link(device.join("driver")) {
        Ok(target) => Ok(target.file_name().map(|n| n.to_string_lossy().into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DriveError::Read {
            path: device.join("driver"),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    struct Sys(tempfile::TempDir);

    impl Sys {
        fn new() -> Sys {
            Sys(tempfile::tempdir().unwrap())
        }

        fn host(&self, n: u32, proc_name: &str) -> &Sys {
            let dir = self.0.path().join(format!("class/scsi_host/host{n}"));
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("proc_name"), format!("{proc_name}\n")).unwrap();
            self
        }

        fn place(&self, device_path: &str, vendor: Option<&str>) -> Placement {
            let disk = BlockDisk::at(self.0.path(), device_path);
            fs::create_dir_all(&disk.dir).unwrap();
            placement(self.0.path(), &disk, vendor).unwrap()
        }
    }

    #[test]
    fn virtio_blk_is_virtio_with_its_driver_from_the_device_link() {
        let sys = Sys::new();
        let virtio = sys.0.path().join("devices/pci0000:00/0000:00:05.0/virtio2");
        fs::create_dir_all(virtio.join("block/vda")).unwrap();
        symlink(
            "../../../../bus/virtio/drivers/virtio_blk",
            virtio.join("driver"),
        )
        .unwrap();
        symlink("../../../virtio2", virtio.join("block/vda/device")).unwrap();
        let place = sys.place("pci0000:00/0000:00:05.0/virtio2/block/vda", None);
        assert_eq!(place.transport, Transport::Virtio);
        assert_eq!(place.driver.as_deref(), Some("virtio_blk"));
        assert_eq!(place.pci_address.as_deref(), Some("0000:00:05.0"));
        assert_eq!(place.scsi_address, None);
    }

    #[test]
    fn disks_on_virtio_scsi_are_virtio() {
        let sys = Sys::new();
        sys.host(2, "virtio_scsi");
        let place = sys.place(
            "pci0000:00/0000:00:06.0/virtio3/host2/target2:0:0/2:0:0:0/block/sda",
            None,
        );
        assert_eq!(
            (place.transport, place.driver.as_deref()),
            (Transport::Virtio, Some("virtio_scsi"))
        );
    }

    #[test]
    fn sata_disk_behind_a_sas_hba_is_sata_and_a_sas_disk_is_sas() {
        let sys = Sys::new();
        sys.host(0, "mpt3sas");
        let path = "pci0000:00/0000:00:03.0/0000:03:00.0/host0/port-0:0/end_device-0:0/\
                    target0:0:0/0:0:0:0/block/sda";
        let sata = sys.place(path, Some("ATA"));
        assert_eq!(
            (sata.transport, sata.driver.as_deref()),
            (Transport::Sata, Some("mpt3sas"))
        );
        assert_eq!(sys.place(path, Some("SEAGATE")).transport, Transport::Sas);
    }

    #[test]
    fn raid_controller_volume_is_on_no_bus() {
        let sys = Sys::new();
        sys.host(0, "megaraid_sas");
        let place = sys.place(
            "pci0000:00/0000:00:02.0/0000:02:00.0/host0/target0:2:0/0:2:0:0/block/sda",
            None,
        );
        assert_eq!(
            (place.transport, place.driver.as_deref()),
            (Transport::Other, Some("megaraid_sas"))
        );
        assert_eq!(place.scsi_address.as_deref(), Some("0:2:0:0"));
    }
}

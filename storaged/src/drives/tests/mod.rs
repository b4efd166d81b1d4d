//! Fixture tests: the machines under `tests/fixtures/drives/`, each a
//! committed sysfs, udev database and proc tree, with `/dev` made here as
//! sparse files so disk contents stay out of the repository.

mod dl380p_hba;
mod dl380p_raid;
mod duplicate_nvme;
mod ml310e;
mod qemu_vm;

use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::craft;
use super::*;

pub(super) fn fixture(machine: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/drives")
        .join(machine);
    assert!(root.is_dir(), "no fixture tree at {}", root.display());
    root
}

/// A machine's fixture trees plus a scratch `/dev`.
pub(super) struct Rig {
    pub roots: DriveRoots,
    scratch: tempfile::TempDir,
}

impl Rig {
    /// `/dev` gets one zero-filled sparse file per block device, as large
    /// as sysfs says the device is.
    pub fn new(machine: &str) -> Rig {
        let root = fixture(machine);
        let scratch = tempfile::tempdir().unwrap();
        let dev = scratch.path().join("dev");
        fs::create_dir(&dev).unwrap();
        for entry in fs::read_dir(root.join("sys/block")).unwrap() {
            let entry = entry.unwrap();
            let sectors: u64 = fs::read_to_string(entry.path().join("size"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            File::create(dev.join(entry.file_name()))
                .unwrap()
                .set_len(sectors * 512)
                .unwrap();
        }
        Rig {
            roots: DriveRoots {
                sys: root.join("sys"),
                dev,
                udev_data: root.join("run/udev/data"),
                proc: root.join("proc"),
            },
            scratch,
        }
    }

    pub fn write(&self, disk: &str, offset: u64, bytes: &[u8]) {
        let file = File::options()
            .write(true)
            .open(self.roots.dev.join(disk))
            .unwrap();
        file.write_all_at(bytes, offset).unwrap();
    }

    /// Writes `bytes` so that they start `back` bytes before the end.
    pub fn write_from_end(&self, disk: &str, back: u64, bytes: &[u8]) {
        let len = fs::metadata(self.roots.dev.join(disk)).unwrap().len();
        self.write(disk, len - back, bytes);
    }

    /// A protective MBR and a GPT header, as any partitioning tool writes.
    pub fn gpt(&self, disk: &str) {
        self.write(disk, 0, &craft::mbr(0xee));
        self.write(disk, 512, &craft::gpt_header());
    }

    /// Writes `bytes` at `offset` into partition `part` of `disk`.
    pub fn write_in_partition(&self, disk: &str, part: &str, offset: u64, bytes: &[u8]) {
        let start: u64 =
            fs::read_to_string(self.roots.sys.join("class/block").join(part).join("start"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
        self.write(disk, start * 512 + offset, bytes);
    }

    /// Points the udev database at a copy that lacks `b<devnum>`, as if
    /// udev had not processed that device yet.
    pub fn forget_udev_record(&mut self, devnum: &str) {
        let copy = self.scratch.path().join("udev-data");
        fs::create_dir_all(&copy).unwrap();
        for entry in fs::read_dir(&self.roots.udev_data).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != *format!("b{devnum}").as_str() {
                fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
            }
        }
        self.roots.udev_data = copy;
    }

    pub fn scan(&self) -> Inventory {
        scan(&self.roots).unwrap()
    }
}

/// One line per disk, in inventory order: `id kernel-name transport
/// driver verdict`.
pub(super) fn table(inventory: &Inventory) -> Vec<String> {
    inventory
        .disks
        .iter()
        .map(|d| {
            format!(
                "{} {} {} {} {}",
                d.id.as_ref().map_or("-", |id| id.as_str()),
                d.kernel_name,
                d.transport,
                d.driver.as_deref().unwrap_or("-"),
                d.verdict
            )
        })
        .collect()
}

pub(super) fn disk<'a>(inventory: &'a Inventory, kernel_name: &str) -> &'a Disk {
    inventory
        .by_kernel_name(kernel_name)
        .unwrap_or_else(|| panic!("no {kernel_name} in {:#?}", table(inventory)))
}

/// Asserts that some reason of `disk` contains every one of `words`.
#[track_caller]
pub(super) fn assert_reason(disk: &Disk, words: &[&str]) {
    assert!(
        disk.reasons
            .iter()
            .any(|r| words.iter().all(|w| r.contains(w))),
        "{}: no reason mentions {words:?}; reasons: {:#?}",
        disk.kernel_name,
        disk.reasons
    );
}

#[test]
fn scan_error_names_the_path_that_failed() {
    let mut rig = Rig::new("qemu-test-vm");
    rig.roots.sys = rig.scratch.path().join("no-sys");
    let err = scan(&rig.roots).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot read {}", rig.roots.sys.join("devices").display())
    );

    let mut rig = Rig::new("qemu-test-vm");
    rig.roots.proc = rig.scratch.path().join("no-proc");
    let err = scan(&rig.roots).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read {}",
            rig.roots.proc.join("self/mountinfo").display()
        )
    );
}

#[test]
fn roots_under_a_directory_follow_the_root_file_system_layout() {
    let roots = DriveRoots::under(Path::new("/mnt/target"));
    assert_eq!(roots.udev_data, Path::new("/mnt/target/run/udev/data"));
    assert_eq!(DriveRoots::system().sys, Path::new("/sys"));
}

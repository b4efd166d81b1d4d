//! The fake refuses what the kernel refuses, and the real seam resolves
//! configfs's relative links.

use std::io::ErrorKind;

use super::*;

#[test]
fn fake_populates_groups_with_kernel_defaults() {
    let mut fs = FakeConfigfs::new();
    let dev = Path::new("target/core/iblock_0/vol");
    assert_eq!(fs.mkdir(dev).unwrap_err().kind(), ErrorKind::NotFound);
    fs.mkdir(Path::new("target/core/iblock_0")).unwrap();
    fs.mkdir(dev).unwrap();
    for (attr, v) in [
        ("enable", "0"),
        ("attrib/emulate_tpu", "0"),
        ("attrib/emulate_caw", "1"),
        ("attrib/block_size", "512"),
        ("wwn/vendor_id", "LIO-ORG"),
    ] {
        assert_eq!(fs.value(dev.join(attr)), Some(v), "{attr}");
    }
    assert_eq!(
        fs.read(&dev.join("wwn/vpd_unit_serial")).unwrap(),
        "T10 VPD Unit Serial Number: \n"
    );
    assert_eq!(
        fs.read(&dev.join("control")).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    fs.mkdir(Path::new("target/iscsi")).unwrap();
    let tpg = tpg();
    fs.mkdir(tpg.parent().unwrap()).unwrap();
    fs.mkdir(&tpg).unwrap();
    assert_eq!(fs.value(tpg.join("attrib/authentication")), Some("1"));
    assert_eq!(fs.value(tpg.join("enable")), Some("0"));
    assert!(fs.is_dir(tpg.join("np")) && fs.is_dir(tpg.join("acls")));
    assert_eq!(
        fs.mkdir(&tpg.join("attrib/x")).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    assert_eq!(
        fs.rmdir(&tpg.join("lun")).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
}

#[test]
fn fake_refuses_what_the_kernel_refuses() {
    let mut fs = FakeConfigfs::new();
    let dev = Path::new("target/core/iblock_0/vol");
    fs.mkdir(Path::new("target/core/iblock_0")).unwrap();
    fs.mkdir(dev).unwrap();
    let kind = |r: std::io::Result<()>| r.unwrap_err().kind();
    assert_eq!(
        kind(fs.write(&dev.join("enable"), "1")),
        ErrorKind::InvalidInput,
        "no udev_path"
    );
    assert_eq!(
        kind(fs.write(&dev.join("attrib/emulate_tpu"), "1")),
        ErrorKind::InvalidInput,
        "before enable"
    );
    assert_eq!(
        kind(fs.write(&dev.join("wwn/vendor_id"), "TOOLONGVENDOR")),
        ErrorKind::InvalidInput
    );
    fs.write(&dev.join("control"), "udev_path=/dev/zvol/tank/vol")
        .unwrap();
    fs.write(&dev.join("enable"), "1").unwrap();
    assert_eq!(
        kind(fs.write(&dev.join("enable"), "1")),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(fs.write(&dev.join("control"), "udev_path=/dev/zd1")),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(fs.write(&dev.join("attrib/emulate_write_cache"), "1")),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(fs.write(Path::new("target/dbroot"), "/var/x")),
        ErrorKind::InvalidInput
    );
    fs.write(&dev.join("wwn/vpd_unit_serial"), "abc").unwrap();

    fs.mkdir(Path::new("target/iscsi")).unwrap();
    let tpg = tpg();
    fs.mkdir(tpg.parent().unwrap()).unwrap();
    fs.mkdir(&tpg).unwrap();
    fs.mkdir(&tpg.join("lun/lun_0")).unwrap();
    fs.symlink(dev, &tpg.join("lun/lun_0/vol")).unwrap();
    // Exported: identity and block size are frozen.
    assert_eq!(
        kind(fs.write(&dev.join("wwn/vpd_unit_serial"), "def")),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(fs.write(&dev.join("attrib/block_size"), "4096")),
        ErrorKind::InvalidInput
    );
    assert_eq!(kind(fs.rmdir(dev)), ErrorKind::ResourceBusy);
    assert_eq!(
        kind(fs.rmdir(&tpg.join("lun/lun_0"))),
        ErrorKind::DirectoryNotEmpty
    );
    fs.write(&tpg.join("enable"), "1").unwrap();
    assert_eq!(
        kind(fs.write(&tpg.join("enable"), "1")),
        ErrorKind::InvalidInput
    );
    // A second device, not enabled, cannot be linked.
    let dev2 = Path::new("target/core/iblock_0/vol2");
    fs.mkdir(dev2).unwrap();
    fs.mkdir(&tpg.join("lun/lun_1")).unwrap();
    assert_eq!(
        kind(fs.symlink(dev2, &tpg.join("lun/lun_1/vol2"))),
        ErrorKind::NotFound
    );
    // The wildcard and a specific address cannot share a port.
    fs.mkdir(&tpg.join("np/10.0.1.5:3260")).unwrap();
    assert_eq!(
        kind(fs.mkdir(&tpg.join("np/0.0.0.0:3260"))),
        ErrorKind::AddrInUse
    );
    fs.mkdir(&tpg.join("np/0.0.0.0:3261")).unwrap();
}

#[test]
fn real_configfs_reads_relative_links_as_root_relative() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("config");
    std::fs::create_dir_all(root.join("target/core/iblock_0/vol")).unwrap();
    std::fs::create_dir_all(root.join("target/iscsi/t/tpgt_1/lun/lun_0")).unwrap();
    std::os::unix::fs::symlink(
        "../../../../../core/iblock_0/vol",
        root.join("target/iscsi/t/tpgt_1/lun/lun_0/x"),
    )
    .unwrap();
    let mut fs = RealConfigfs::new(&root);
    let link = Path::new("target/iscsi/t/tpgt_1/lun/lun_0/x");
    assert_eq!(
        fs.read_link(link).unwrap(),
        Path::new("target/core/iblock_0/vol")
    );
    fs.unlink(link).unwrap();
    fs.symlink(Path::new("target/core/iblock_0/vol"), link)
        .unwrap();
    assert_eq!(
        fs.read_link(link).unwrap(),
        Path::new("target/core/iblock_0/vol")
    );
    assert_eq!(
        fs.list(Path::new("target/iscsi/t/tpgt_1/lun/lun_0"))
            .unwrap(),
        [("x".to_string(), EntryKind::Link)]
    );
    std::fs::write(root.join("target/dbroot"), "/var/target\n").unwrap();
    fs.write(Path::new("target/dbroot"), "/var/lib/x").unwrap();
    assert!(fs
        .read(Path::new("target/dbroot"))
        .unwrap()
        .starts_with("/var/lib/x"));
}

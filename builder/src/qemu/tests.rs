use super::*;

fn manifest() -> Manifest {
    Manifest {
        name: "ironstor-qemu".into(),
        version: "0.1.0".into(),
        build_id: "b".into(),
        kernel_version: "k".into(),
        usb_image_sha256: String::new(),
        root_squashfs_sha256: String::new(),
        bundle_sha256: None,
        qemu: QemuSettings {
            memory_mib: 2048,
            nvme_drives: 2,
            sata_drives: 1,
            drive_size_mib: 1024,
            stick_size_mib: 4096,
        },
    }
}

#[test]
fn forwards_parse_and_reject_nonsense() {
    assert_eq!(
        "8443:443".parse(),
        Ok(Forward {
            host: 8443,
            guest: 443
        })
    );
    assert!("8443"
        .parse::<Forward>()
        .unwrap_err()
        .contains("HOSTPORT:GUESTPORT"));
    assert!("x:443".parse::<Forward>().is_err());
}

#[test]
fn command_line_boots_the_stick_on_xhci_with_distinct_drives() {
    let opts = QemuOptions {
        out_dir: "/o".into(),
        run_dir: "/r".into(),
        firmware: Firmware::Bios,
        forwards: vec![Forward {
            host: 8443,
            guest: 443,
        }],
        console_to_terminal: false,
        fresh: true,
        usb: UsbController::Xhci,
        drives: None,
        netboot: None,
    };
    let args = command_line(&opts, &manifest()).join(" ");
    assert!(args.contains("-accel tcg"));
    assert!(args.contains("qemu-xhci,id=usb"));
    assert!(args.contains("usb-storage,bus=usb.0,drive=stick,bootindex=1"));
    assert!(args.contains("nvme,drive=nvme0,serial=IRONSTORNVME0000"));
    assert!(args.contains("nvme,drive=nvme1,serial=IRONSTORNVME0001"));
    assert!(!args.contains("nvme2"));
    assert!(args.contains("ide-hd,bus=ahci.0,drive=sata0"));
    assert!(args.contains("user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:8443-:443"));
    assert!(!args.contains("pflash"), "SeaBIOS needs no pflash");
    let uefi = command_line(
        &QemuOptions {
            firmware: Firmware::Uefi,
            ..opts.clone()
        },
        &manifest(),
    )
    .join(" ");
    assert!(uefi.contains("OVMF_CODE_4M.fd"));
    let ehci_more_drives = command_line(
        &QemuOptions {
            usb: UsbController::Ehci,
            drives: Some((3, 0)),
            ..opts.clone()
        },
        &manifest(),
    )
    .join(" ");
    let netboot = command_line(
        &QemuOptions {
            netboot: Some(NetBoot {
                tftp_dir: "/o/pxe".into(),
                bootfile: "boot.ipxe".into(),
                http: None,
            }),
            ..opts.clone()
        },
        &manifest(),
    )
    .join(" ");
    assert!(!netboot.contains("drive=stick"), "no stick: {netboot}");
    assert!(netboot.contains("restrict=on,tftp=/o/pxe,bootfile=boot.ipxe,hostfwd="));
    assert!(netboot.contains("virtio-net-pci,netdev=net0,bootindex=1"));
    assert!(ehci_more_drives.contains("usb-ehci,id=usb"));
    assert!(ehci_more_drives.contains("serial=IRONSTORNVME0002"));
    assert!(!ehci_more_drives.contains("ahci"));
}

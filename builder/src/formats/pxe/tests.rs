use super::*;

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

fn boot() -> PxeBoot {
    PxeBoot::new(
        "http://10.0.2.2:8080/",
        SHA,
        &words(&["console=ttyS0,115200", "quiet"]),
    )
    .unwrap()
}

const ARGS: &str = "boot=ironstor-net ironstor.root_url=http://10.0.2.2:8080/root.squashfs \
    ironstor.root_sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \
    ironstor.slot=net console=ttyS0,115200 quiet";

#[test]
fn pxe_ipxe_script_loads_kernel_and_initrd_over_http() {
    let s = render_boot_ipxe(&boot());
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], "#!ipxe");
    let dhcp = lines.iter().position(|l| *l == "dhcp").unwrap();
    let kernel = lines.iter().position(|l| l.starts_with("kernel ")).unwrap();
    assert!(dhcp < kernel);
    assert_eq!(
        lines[kernel],
        format!("kernel http://10.0.2.2:8080/vmlinuz initrd=initrd.img {ARGS}")
    );
    assert!(lines.contains(&"initrd http://10.0.2.2:8080/initrd.img"));
    assert_eq!(lines.last(), Some(&"boot"));
    assert!(!s.contains(" root="));
}

#[test]
fn pxe_pxelinux_cfg_uses_tftp_names_and_the_same_args() {
    let s = render_pxelinux_cfg(&boot());
    assert!(s.starts_with("SERIAL 0 115200\n"), "{s}");
    assert!(s.contains("DEFAULT ironstor\n"));
    assert!(s.contains("  KERNEL vmlinuz\n  INITRD initrd.img\n"));
    assert!(s.contains(&format!("  APPEND {ARGS}\n")));
}

#[test]
fn pxe_grub_netboot_cfg_boots_from_the_tftp_root() {
    let s = render_grub_netboot_cfg(&boot());
    assert!(s.contains("serial --unit=0 --speed=115200\n"));
    assert!(s.contains(&format!("  linux /vmlinuz {ARGS}\n")));
    assert!(s.contains("  initrd /initrd.img\n"));
    assert!(s.contains("(tftp,"), "the comment says which form and why");
}

#[test]
fn pxe_no_serial_lines_without_a_serial_console() {
    let b = PxeBoot::new("http://h/", SHA, &words(&["quiet"])).unwrap();
    assert!(!render_pxelinux_cfg(&b).contains("SERIAL"));
    assert!(!render_grub_netboot_cfg(&b).contains("serial"));
}

#[test]
fn pxe_dnsmasq_snippet_is_proxy_dhcp_and_chains_ipxe() {
    let b = boot();
    let mut info = ServeInfo {
        subnet: Ipv4Addr::new(192, 168, 1, 0),
        tftp_server: Ipv4Addr::new(192, 168, 1, 5),
        bios_loader: BiosLoader::Ipxe,
        base_url: b.base_url(),
    };
    let s = render_dnsmasq_proxy_dhcp(&info);
    let lines: Vec<&str> = s.lines().collect();
    for want in [
        "dhcp-range=192.168.1.0,proxy",
        "dhcp-userclass=set:ipxe,iPXE",
        "pxe-service=tag:!ipxe,x86PC,\"ironstor (BIOS)\",undionly.kpxe,192.168.1.5",
        "pxe-service=tag:!ipxe,X86-64_EFI,\"ironstor (UEFI)\",grubnetx64.efi,192.168.1.5",
        "dhcp-boot=tag:ipxe,http://10.0.2.2:8080/boot.ipxe",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{s}");
    }
    info.bios_loader = BiosLoader::Pxelinux;
    assert!(render_dnsmasq_proxy_dhcp(&info)
        .contains("x86PC,\"ironstor (BIOS)\",pxelinux.0,192.168.1.5\n"));
}

#[test]
fn pxe_validation_names_what_is_wrong() {
    let bad_url = |u: &str| match PxeBoot::new(u, SHA, &[]).unwrap_err() {
        PxeError::BaseUrl { url, reason } => {
            assert_eq!(url, u);
            reason
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(bad_url("https://h/"), "must start with http://");
    assert_eq!(bad_url("http://h:8080"), "must end with /");
    assert_eq!(bad_url("http:///"), "has no host");
    assert!(bad_url("http://h/a b/").contains("without spaces"));
    assert!(bad_url("http://h:0/").contains("port"));
    assert!(bad_url("http://h:http/").contains("port"));
    assert!(bad_url("http://[::1]:80/").contains("IPv6"));
    let u = BaseUrl::parse("http://192.168.1.5:8080/ironstor/").unwrap();
    assert_eq!((u.host(), u.port()), ("192.168.1.5", 8080));
    let u = BaseUrl::parse("http://boot.lan/").unwrap();
    assert_eq!((u.host(), u.port()), ("boot.lan", 80));

    for sha in [&SHA[1..], "g".repeat(64).as_str(), ""] {
        assert_eq!(
            PxeBoot::new("http://h/", sha, &[]).unwrap_err(),
            PxeError::Sha256 { value: sha.into() }
        );
    }
    let upper = PxeBoot::new("http://h/", &SHA.to_uppercase(), &[]).unwrap();
    assert!(render_boot_ipxe(&upper).contains(SHA), "digest lowercased");

    let bad_word = |w: &str| PxeBoot::new("http://h/", SHA, &words(&["quiet", w])).unwrap_err();
    let err = bad_word("root=PARTLABEL=ironstor-root-a");
    assert!(err
        .to_string()
        .contains("\"root=PARTLABEL=ironstor-root-a\" is not allowed"));
    assert!(matches!(
        bad_word("ironstor.slot=a"),
        PxeError::CommandLine { .. }
    ));
    assert!(matches!(
        bad_word("two words"),
        PxeError::CommandLine { .. }
    ));
    assert!(matches!(bad_word("x=$y"), PxeError::CommandLine { .. }));
    // Only `root=` itself is refused, not words that start alike.
    PxeBoot::new("http://h/", SHA, &words(&["rootwait", "ironstor.rootx=1"])).unwrap();
}

fn fixture() -> (tempfile::TempDir, Vec<TreeEntry>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let host = d.join("host");
    for (path, _) in [UNDIONLY_SRC, PXELINUX_SRC, LDLINUX_SRC] {
        let p = host.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, path).unwrap();
    }
    for name in ["vmlinuz", "initrd.img", "root.squashfs"] {
        fs::write(d.join(name), format!("{name} bytes")).unwrap();
    }
    let mut plan = plan_tree(&PxeInputs {
        kernel: &d.join("vmlinuz"),
        initrd: &d.join("initrd.img"),
        root_squashfs: &d.join("root.squashfs"),
        host_root: &host,
    });
    plan.extend(plan_configs(&boot()));
    (dir, plan)
}

#[test]
fn pxe_plan_lists_every_file_with_its_source() {
    let (dir, plan) = fixture();
    let dests: Vec<&str> = plan.iter().map(|e| e.dest.to_str().unwrap()).collect();
    assert_eq!(
        dests,
        [
            "vmlinuz",
            "initrd.img",
            "root.squashfs",
            "undionly.kpxe",
            "pxelinux.0",
            "ldlinux.c32",
            "grubnetx64.efi",
            "boot.ipxe",
            "pxelinux.cfg/default",
            "grub/grub.cfg",
        ]
    );
    assert_eq!(
        plan[3].source,
        Source::Copy {
            from: dir.path().join("host/usr/lib/ipxe/undionly.kpxe"),
            package: Some("ipxe"),
        }
    );
    assert_eq!(
        plan[6].source,
        Source::GrubNetImage {
            modules_dir: dir.path().join("host/usr/lib/grub/x86_64-efi")
        }
    );
    let cmd = grub_netboot_mkimage(Path::new("/usr/lib/grub/x86_64-efi"), Path::new("/t/g.efi"));
    assert!(cmd.display().starts_with(
        "grub-mkimage -O x86_64-efi -d /usr/lib/grub/x86_64-efi -p /grub -o /t/g.efi efinet net tftp linux"
    ));
}

#[test]
fn pxe_write_tree_copies_and_renders() {
    let (dir, plan) = fixture();
    // grub-mkimage is the host's business; the rest is plain files.
    let files: Vec<TreeEntry> = plan
        .into_iter()
        .filter(|e| !matches!(e.source, Source::GrubNetImage { .. }))
        .collect();
    let out = dir.path().join("tree");
    write_tree(&files, &out).unwrap();
    // Twice: replacing an existing tree works too.
    write_tree(&files, &out).unwrap();
    assert_eq!(
        fs::read_to_string(out.join("vmlinuz")).unwrap(),
        "vmlinuz bytes"
    );
    assert_eq!(
        fs::read_to_string(out.join("root.squashfs")).unwrap(),
        "root.squashfs bytes"
    );
    assert_eq!(
        fs::read_to_string(out.join("ldlinux.c32")).unwrap(),
        LDLINUX_SRC.0
    );
    assert!(fs::read_to_string(out.join("boot.ipxe"))
        .unwrap()
        .starts_with("#!ipxe\n"));
    assert!(fs::read_to_string(out.join("pxelinux.cfg/default"))
        .unwrap()
        .contains("APPEND "));
    assert!(out.join("grub/grub.cfg").is_file());
}

#[test]
fn pxe_write_tree_names_the_missing_package() {
    let (dir, plan) = fixture();
    fs::remove_file(dir.path().join("host").join(PXELINUX_SRC.0)).unwrap();
    let err = write_tree(&plan, &dir.path().join("tree")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("usr/lib/PXELINUX/pxelinux.0"), "{text}");
    assert!(
        text.contains("(is Debian package pxelinux installed?)"),
        "{text}"
    );
}

use super::*;

#[test]
fn cmdline_names_the_server_and_path_with_the_tutorials_options() {
    let line = pi_cmdline(Some(Ipv4Addr::new(10, 0, 0, 2)), "/var/mnt/tank/pi");
    assert_eq!(
        line,
        "console=serial0,115200 console=tty1 root=/dev/nfs nfsroot=10.0.0.2:/var/mnt/tank/pi,vers=4.1,proto=tcp rw ip=dhcp rootwait"
    );
    assert!(pi_cmdline(None, "/x").contains("nfsroot=<box-address>:/x,"));
}

#[test]
fn pi_export_is_one_address_rw_no_root_squash_and_sync_by_default() {
    let mut request = PiNfsRoot {
        dataset: "tank/pi".parse().unwrap(),
        client: Ipv4Addr::new(192, 168, 1, 50),
        async_writes: false,
        insecure: false,
        server: None,
    };
    let export = pi_export(&request);
    assert_eq!(export.clients, vec!["192.168.1.50".parse().unwrap()]);
    assert_eq!(
        (export.access, export.squash, export.writes, export.insecure),
        (
            NfsAccess::ReadWrite,
            Squash::NoRootSquash,
            Writes::Sync,
            false
        )
    );
    request.async_writes = true;
    request.insecure = true;
    let export = pi_export(&request);
    assert_eq!((export.writes, export.insecure), (Writes::Async, true));
}

#[test]
fn the_lowest_free_lun_fills_gaps() {
    assert_eq!(lowest_free_lun([].into_iter()), 0);
    assert_eq!(lowest_free_lun([0, 1, 3].into_iter()), 2);
}

#[test]
fn the_catalog_lists_each_preset_once_with_its_warnings() {
    let ids: Vec<_> = catalog().into_iter().map(|p| p.id).collect();
    assert_eq!(ids, ["vmware-iscsi", "smb-video", "pi-nfs-root"]);
    let pi = &catalog()[2];
    let warned: Vec<_> = pi
        .options
        .iter()
        .filter(|o| o.warning.is_some())
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(warned, ["async", "insecure"]);
}

//! The parsers against output captured in the shape OpenZFS 2.3 prints.

use super::*;
use crate::zfs::props::{Compression, DatasetKind, Health, SyncMode, VolMode};

/// `zfs list -H -p -o name,type,used,avail,refer,volsize,volblocksize,compression,sync,quota,refquota,refreservation,volmode,recordsize,mountpoint,mounted -t filesystem,volume -r tank`
const ZFS_LIST: &str = "\
tank\tfilesystem\t222456823808\t1700269268992\t98304\t-\t-\tlz4\tstandard\t0\t0\t0\tdefault\t131072\t/var/lib/ironstor/pools/tank\tyes
tank/nfs\tfilesystem\t5368807424\t1700269268992\t5368807424\t-\t-\tlz4\tstandard\t0\t0\t0\tdefault\t131072\t/var/lib/ironstor/pools/tank/nfs\tyes
tank/smb\tfilesystem\t229376\t536870682624\t98304\t-\t-\tzstd-3\tstandard\t536870912000\t0\t0\tdefault\t1048576\t/var/lib/ironstor/pools/tank/smb\tno
tank/vm-esx1\tvolume\t109517234176\t1807642394624\t2147500032\t107374182400\t16384\tlz4\tstandard\t-\t-\t109517234176\tdev\t-\t-\t-
tank/thin\tvolume\t57344\t1700269268992\t57344\t1099511627776\t16384\tlz4\talways\t-\t-\t0\tdev\t-\t-\t-
";

#[test]
fn dataset_list_parses_filesystems_and_zvols() {
    let rows = parse_dataset_list(ZFS_LIST).unwrap();
    assert_eq!(rows.len(), 5);

    let root = &rows[0];
    assert_eq!(root.name, "tank");
    assert_eq!(root.kind, DatasetKind::Filesystem);
    assert_eq!(root.used, 222_456_823_808);
    assert_eq!(root.available, 1_700_269_268_992);
    assert_eq!(root.volsize, None);
    assert_eq!(root.quota, None, "0 is no quota");
    assert_eq!(root.mounted, Some(true));
    assert_eq!(
        root.mountpoint.as_deref(),
        Some("/var/lib/ironstor/pools/tank")
    );

    let smb = &rows[2];
    assert_eq!(smb.compression, Compression::Zstd(Some(3)));
    assert_eq!(smb.quota, Some(536_870_912_000));
    assert_eq!(smb.recordsize, Some(1 << 20));
    assert_eq!(smb.mounted, Some(false));

    let vm = &rows[3];
    assert_eq!(vm.kind, DatasetKind::Volume);
    assert_eq!(vm.volsize, Some(100 << 30));
    assert_eq!(vm.volblocksize, Some(16384));
    assert_eq!(vm.volmode, VolMode::Dev);
    assert_eq!(vm.quota, None);
    assert_eq!((vm.mountpoint.as_deref(), vm.mounted), (None, None));
    assert!(!vm.is_sparse());

    let thin = &rows[4];
    assert!(thin.is_sparse());
    assert_eq!(thin.sync, SyncMode::Always);
}

#[test]
fn dataset_list_reports_the_line_of_bad_output() {
    let short = "tank\tfilesystem\t1\n";
    assert!(matches!(
        parse_dataset_list(short),
        Err(ParseError::FieldCount {
            line: 1,
            expected: 16,
            found: 3
        })
    ));
    // Human-readable sizes mean `-p` was forgotten.
    let human = ZFS_LIST
        .lines()
        .next()
        .unwrap()
        .replace("222456823808", "207G");
    let err = parse_dataset_list(&format!("{human}\n")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1: used \"207G\" is not an exact number (was -p given?)"
    );
    let bad = ZFS_LIST.replace("zstd-3", "brotli");
    let err = parse_dataset_list(&bad).unwrap_err();
    assert!(err.to_string().starts_with("line 3: compression"), "{err}");
    assert!(parse_dataset_list("").unwrap().is_empty());
}

/// `zfs list -H -p -t snapshot -o name,used,refer,creation -s createtxg -d 1 tank/vm-esx1`
const SNAPSHOTS: &str = "\
tank/vm-esx1@daily-2025-06-01\t2883584\t2147500032\t1748736000
tank/vm-esx1@before-upgrade\t0\t2147500032\t1748822400
";

#[test]
fn snapshot_list_splits_names_and_keeps_order() {
    let rows = parse_snapshot_list(SNAPSHOTS).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].dataset, "tank/vm-esx1");
    assert_eq!(rows[0].snapshot, "daily-2025-06-01");
    assert_eq!(rows[0].used, 2_883_584);
    assert_eq!(rows[1].name, "tank/vm-esx1@before-upgrade");
    assert_eq!(rows[1].created, 1_748_822_400);
    assert!(parse_snapshot_list("tank/vm\t0\t0\t0\n").is_err());
}

/// `zpool list -H -p -o name,health,size,allocated,free,capacity,fragmentation`
const ZPOOL_LIST: &str = "\
backup\tDEGRADED\t23991868227584\t9596747291033\t14395120936551\t40\t-
tank\tONLINE\t7971459301376\t110620311552\t7860838989824\t1\t0
";

#[test]
fn pool_list_parses_health_and_capacity() {
    let rows = parse_pool_list(ZPOOL_LIST).unwrap();
    assert_eq!(rows[0].name, "backup");
    assert_eq!(rows[0].health, Health::Degraded);
    assert_eq!(rows[0].capacity_percent, 40);
    assert_eq!(rows[0].fragmentation_percent, None);
    assert_eq!(rows[1].health, Health::Online);
    assert_eq!(rows[1].size, 7_971_459_301_376);
    assert_eq!(rows[1].allocated, 110_620_311_552);
    assert_eq!(rows[1].free, 7_860_838_989_824);
    assert_eq!(rows[1].fragmentation_percent, Some(0));
}

/// `zpool status -j --json-int tank`: a healthy two-way NVMe mirror, on
/// one line as the tool prints it.
const STATUS_MIRROR: &str = r#"{"output_version":{"command":"zpool status","vers_major":0,"vers_minor":1},"pools":{"tank":{"name":"tank","state":"ONLINE","pool_guid":6412238947271937285,"txg":1841,"spa_version":5000,"zpl_version":5,"vdevs":{"tank":{"name":"tank","vdev_type":"root","guid":6412238947271937285,"class":"normal","state":"ONLINE","alloc_space":110620311552,"total_space":1992864825344,"def_space":1992864825344,"read_errors":0,"write_errors":0,"checksum_errors":0,"vdevs":{"mirror-0":{"name":"mirror-0","vdev_type":"mirror","guid":1390217771390498120,"class":"normal","state":"ONLINE","alloc_space":110620311552,"total_space":1992864825344,"def_space":1992864825344,"rep_dev_size":1992864825344,"read_errors":0,"write_errors":0,"checksum_errors":0,"vdevs":{"nvme-WD_BLACK_SN850X_2000GB_23322K800195":{"name":"nvme-WD_BLACK_SN850X_2000GB_23322K800195","vdev_type":"disk","guid":14870331806745539843,"path":"/dev/disk/by-id/nvme-WD_BLACK_SN850X_2000GB_23322K800195-part1","devid":"nvme-WD_BLACK_SN850X_2000GB_23322K800195-part1","phys_path":"pci-0000:04:00.0-nvme-1","class":"normal","state":"ONLINE","rep_dev_size":1999844147200,"phys_space":2000398934016,"read_errors":0,"write_errors":0,"checksum_errors":0,"slow_ios":0},"nvme-Samsung_SSD_980_PRO_2TB_S6B0NL0W127373V":{"name":"nvme-Samsung_SSD_980_PRO_2TB_S6B0NL0W127373V","vdev_type":"disk","guid":3301964716227366151,"path":"/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_2TB_S6B0NL0W127373V-part1","devid":"nvme-Samsung_SSD_980_PRO_2TB_S6B0NL0W127373V-part1","phys_path":"pci-0000:05:00.0-nvme-1","class":"normal","state":"ONLINE","rep_dev_size":1999844147200,"phys_space":2000398934016,"read_errors":0,"write_errors":0,"checksum_errors":0,"slow_ios":0}}}}}},"error_count":0}}}
"#;

#[test]
fn status_json_of_a_healthy_mirror() {
    let report = parse_pool_status_json(STATUS_MIRROR, "tank").unwrap();
    assert_eq!(report.health, Health::Online);
    assert_eq!(report.status, None);
    assert_eq!(report.scan, None);
    assert_eq!(report.error_count, 0);
    assert_eq!(report.vdevs.len(), 1);
    let mirror = &report.vdevs[0];
    assert_eq!(
        (mirror.name.as_str(), mirror.vdev_type.as_str()),
        ("mirror-0", "mirror")
    );
    // Pool order, not alphabetical: the WD disk was given first.
    let names: Vec<&str> = mirror.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "nvme-WD_BLACK_SN850X_2000GB_23322K800195",
            "nvme-Samsung_SSD_980_PRO_2TB_S6B0NL0W127373V"
        ]
    );
    let disk = &mirror.children[0];
    assert_eq!(
        disk.path.as_deref(),
        Some("/dev/disk/by-id/nvme-WD_BLACK_SN850X_2000GB_23322K800195-part1")
    );
    assert_eq!(disk.state, Health::Online);
    assert_eq!(disk.errors.total(), 0);
    assert!(disk.children.is_empty());
}

/// `zpool status -j --json-int backup | jq`: a raidz2 of SATA disks with a
/// faulted disk, checksum errors on another, a finished scrub and a spare.
const STATUS_DEGRADED: &str = r#"{
  "output_version": {"command": "zpool status", "vers_major": 0, "vers_minor": 1},
  "pools": {
    "backup": {
      "name": "backup",
      "state": "DEGRADED",
      "pool_guid": 9075126416573432098,
      "txg": 2203117,
      "spa_version": 5000,
      "zpl_version": 5,
      "status": "One or more devices are faulted in response to persistent errors.\n\tSufficient replicas exist for the pool to continue functioning in a\n\tdegraded state.\n",
      "action": "Replace the faulted device, or use 'zpool clear' to mark the device\n\trepaired.\n",
      "msgid": "ZFS-8000-K4",
      "moreinfo": "https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-K4",
      "scan_stats": {
        "function": "SCRUB",
        "state": "FINISHED",
        "start_time": 1748743201,
        "end_time": 1748772460,
        "to_examine": 9596747291033,
        "examined": 9596747291033,
        "skipped": 12288,
        "processed": 131072,
        "errors": 0,
        "bytes_per_scan": 0,
        "pass_start": 1748743201,
        "scrub_pause": 0,
        "scrub_spent_paused": 0,
        "issued_bytes_per_scan": 9596747291033,
        "issued": 9596747291033
      },
      "vdevs": {
        "backup": {
          "name": "backup",
          "vdev_type": "root",
          "guid": 9075126416573432098,
          "class": "normal",
          "state": "DEGRADED",
          "alloc_space": 9596747291033,
          "total_space": 23991868227584,
          "def_space": 14395120936550,
          "read_errors": 0,
          "write_errors": 0,
          "checksum_errors": 0,
          "vdevs": {
            "raidz2-0": {
              "name": "raidz2-0",
              "vdev_type": "raidz",
              "guid": 4242061718512090385,
              "class": "normal",
              "state": "DEGRADED",
              "alloc_space": 9596747291033,
              "total_space": 23991868227584,
              "def_space": 14395120936550,
              "read_errors": 0,
              "write_errors": 0,
              "checksum_errors": 0,
              "vdevs": {
                "ata-ST6000VN001-2BB186_ZR11AAA1": {
                  "name": "ata-ST6000VN001-2BB186_ZR11AAA1",
                  "vdev_type": "disk",
                  "guid": 1187409012751261357,
                  "path": "/dev/disk/by-id/ata-ST6000VN001-2BB186_ZR11AAA1-part1",
                  "devid": "ata-ST6000VN001-2BB186_ZR11AAA1-part1",
                  "phys_path": "pci-0000:00:1f.2-ata-1.0",
                  "class": "normal",
                  "state": "ONLINE",
                  "rep_dev_size": 5999000000000,
                  "phys_space": 6001175126016,
                  "read_errors": 0,
                  "write_errors": 0,
                  "checksum_errors": 0,
                  "slow_ios": 0
                },
                "ata-ST6000VN001-2BB186_ZR11AAA2": {
                  "name": "ata-ST6000VN001-2BB186_ZR11AAA2",
                  "vdev_type": "disk",
                  "guid": 16651043598183640115,
                  "path": "/dev/disk/by-id/ata-ST6000VN001-2BB186_ZR11AAA2-part1",
                  "devid": "ata-ST6000VN001-2BB186_ZR11AAA2-part1",
                  "phys_path": "pci-0000:00:1f.2-ata-2.0",
                  "class": "normal",
                  "state": "FAULTED",
                  "rep_dev_size": 5999000000000,
                  "phys_space": 6001175126016,
                  "read_errors": 37,
                  "write_errors": 2,
                  "checksum_errors": 0,
                  "slow_ios": 14,
                  "aux": "ERR_EXCEEDED"
                },
                "ata-ST6000VN001-2BB186_ZR11AAA3": {
                  "name": "ata-ST6000VN001-2BB186_ZR11AAA3",
                  "vdev_type": "disk",
                  "guid": 7340281902288718823,
                  "path": "/dev/disk/by-id/ata-ST6000VN001-2BB186_ZR11AAA3-part1",
                  "devid": "ata-ST6000VN001-2BB186_ZR11AAA3-part1",
                  "phys_path": "pci-0000:00:1f.2-ata-3.0",
                  "class": "normal",
                  "state": "ONLINE",
                  "rep_dev_size": 5999000000000,
                  "phys_space": 6001175126016,
                  "read_errors": 0,
                  "write_errors": 0,
                  "checksum_errors": 5,
                  "slow_ios": 0
                },
                "ata-ST6000VN001-2BB186_ZR11AAA4": {
                  "name": "ata-ST6000VN001-2BB186_ZR11AAA4",
                  "vdev_type": "disk",
                  "guid": 12958120484771233304,
                  "path": "/dev/disk/by-id/ata-ST6000VN001-2BB186_ZR11AAA4-part1",
                  "devid": "ata-ST6000VN001-2BB186_ZR11AAA4-part1",
                  "phys_path": "pci-0000:00:1f.2-ata-4.0",
                  "class": "normal",
                  "state": "ONLINE",
                  "rep_dev_size": 5999000000000,
                  "phys_space": 6001175126016,
                  "read_errors": 0,
                  "write_errors": 0,
                  "checksum_errors": 0,
                  "slow_ios": 0
                }
              }
            }
          }
        }
      },
      "spares": {
        "ata-ST6000VN001-2BB186_ZR11AAA5": {
          "name": "ata-ST6000VN001-2BB186_ZR11AAA5",
          "vdev_type": "disk",
          "guid": 2856307761398474061,
          "path": "/dev/disk/by-id/ata-ST6000VN001-2BB186_ZR11AAA5-part1",
          "devid": "ata-ST6000VN001-2BB186_ZR11AAA5-part1",
          "class": "spare",
          "state": "AVAIL"
        }
      },
      "error_count": 3
    }
  }
}
"#;

#[test]
fn status_json_of_a_degraded_raidz2_with_a_spare() {
    let report = parse_pool_status_json(STATUS_DEGRADED, "backup").unwrap();
    assert_eq!(report.health, Health::Degraded);
    assert!(report
        .status
        .as_deref()
        .unwrap()
        .starts_with("One or more devices are faulted"));
    assert!(report.action.as_deref().unwrap().ends_with("repaired."));
    assert_eq!(report.error_count, 3);

    let scan = report.scan.as_ref().unwrap();
    assert_eq!(scan.function, ScanFunction::Scrub);
    assert_eq!(scan.state, ScanState::Finished);
    assert_eq!(scan.end_time - scan.start_time, 29_259);
    assert_eq!(scan.examined, 9_596_747_291_033);

    assert_eq!(report.vdevs.len(), 2, "the raidz and the spare");
    let raidz = &report.vdevs[0];
    assert_eq!(raidz.name, "raidz2-0");
    assert_eq!(raidz.state, Health::Degraded);
    let faulted = &raidz.children[1];
    assert_eq!(faulted.state, Health::Faulted);
    assert_eq!(faulted.aux.as_deref(), Some("ERR_EXCEEDED"));
    assert_eq!(
        (
            faulted.errors.read,
            faulted.errors.write,
            faulted.errors.checksum
        ),
        (37, 2, 0)
    );
    assert_eq!(raidz.children[2].errors.checksum, 5);

    let spare = &report.vdevs[1];
    assert_eq!(spare.class.as_deref(), Some("spare"));
    assert_eq!(spare.state, Health::Avail);
    assert_eq!(spare.errors.total(), 0, "spares carry no counters");
}

#[test]
fn status_json_wants_exact_numbers_and_the_named_pool() {
    // `-j -p` without --json-int prints exact numbers as strings: accepted.
    let strings = STATUS_MIRROR.replace("\"read_errors\":0", "\"read_errors\":\"0\"");
    assert!(parse_pool_status_json(&strings, "tank").is_ok());
    // Plain `-j` prints rounded ones: refused rather than misread.
    let human = STATUS_MIRROR.replacen("\"read_errors\":0", "\"read_errors\":\"1.2K\"", 1);
    assert!(matches!(
        parse_pool_status_json(&human, "tank"),
        Err(ParseError::Json(_))
    ));
    assert!(matches!(
        parse_pool_status_json(STATUS_MIRROR, "backup"),
        Err(ParseError::MissingPool(p)) if p == "backup"
    ));
    assert!(parse_pool_status_json("not json", "tank").is_err());
}

#[test]
fn pool_status_serializes_for_the_api() {
    let list = parse_pool_list(ZPOOL_LIST).unwrap().remove(0);
    let report = parse_pool_status_json(STATUS_DEGRADED, "backup").unwrap();
    let status = PoolStatus::from_parts(list, report);
    let v = serde_json::to_value(&status).unwrap();
    assert_eq!(v["health"], "DEGRADED");
    assert_eq!(v["scan"]["function"], "scrub");
    assert_eq!(v["vdevs"][0]["children"][1]["state"], "FAULTED");
    assert_eq!(v["vdevs"][0]["children"][1]["errors"]["read"], 37);
    let rows = parse_dataset_list(ZFS_LIST).unwrap();
    let v = serde_json::to_value(&rows).unwrap();
    assert_eq!(v[2]["compression"], "zstd-3");
    assert_eq!(v[3]["type"], "volume");
    assert_eq!(v[3]["volmode"], "dev");
}

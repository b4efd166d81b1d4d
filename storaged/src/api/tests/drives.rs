//! `GET /drives` in the simulated QEMU test VM.

use super::*;

#[test]
fn the_inventory_lists_the_simulated_disks_with_their_verdicts() {
    let h = Harness::local();
    let inventory = h.expect("GET", "/drives", None, 200);
    assert_documented("GET", "/drives", 200, &inventory);
    let disks: Vec<(String, String, String)> = inventory["disks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or("-").to_string();
            (s("id"), s("transport"), s("verdict"))
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        (SATA, "sata", "usable"),
        (NVME[0], "nvme", "usable"),
        (NVME[1], "nvme", "usable"),
        (NVME[2], "nvme", "usable"),
        (NVME[3], "nvme", "usable"),
        (STICK, "usb", "boot-medium"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(disks, expected);
    // The fake zpool sees the same disks under /dev/disk/by-id.
    assert!(h.zfs.command_lines().is_empty());
}

#[test]
fn a_partition_table_written_while_running_makes_a_disk_in_use() {
    let h = Harness::local();
    h.partition("sda");
    let inventory = h.expect("GET", "/drives", None, 200);
    let sata = &inventory["disks"][0];
    assert_eq!(sata["id"], SATA);
    assert_eq!(sata["verdict"], "in-use");
    assert!(
        sata["reasons"][0].as_str().unwrap().contains("GPT"),
        "{sata}"
    );
}

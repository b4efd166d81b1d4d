//! vm tier, storaged core: in the booted qemu image with four emulated
//! NVMe drives, storagectl creates a stripe pool on the four, a zvol and a
//! dataset; a disk carrying a partition table is refused and accepted only
//! when forced by its id; after a reboot the pools are imported again and
//! still declared.

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use ironstor_builder::qemu::{Firmware, TestShell};
use ironstor_vm_tests::{boot, Booted, BOOT_TIMEOUT, STORAGED_READY};
use serde_json::Value;

const STATE_FILE: &str = "/var/lib/storaged/state.json";

fn json(shell: &mut TestShell, command: &str) -> Result<Value> {
    let text = shell.check(command)?;
    serde_json::from_str(&text).with_context(|| format!("{command} printed no JSON: {text}"))
}

/// The disks `storagectl drives` reports, as (id, transport, verdict).
fn drives(shell: &mut TestShell) -> Result<Vec<(String, String, String)>> {
    let v = json(shell, "storagectl --json drives")?;
    let disks = v
        .get("disks")
        .and_then(Value::as_array)
        .context("storagectl --json drives has no disks array")?;
    Ok(disks
        .iter()
        .map(|d| {
            let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (s("id"), s("transport"), s("verdict"))
        })
        .collect())
}

fn pools_imported(shell: &mut TestShell) -> Result<Vec<String>> {
    Ok(shell
        .check("zpool list -H -o name")?
        .lines()
        .map(str::to_string)
        .collect())
}

#[test]
fn vm_storagectl_builds_a_pool_that_survives_a_reboot() -> Result<()> {
    let Booted {
        mut vm, mut shell, ..
    } = boot(Firmware::Bios, Vec::new())?;

    // Four NVMe drives, all usable; one SATA disk.
    let all = drives(&mut shell)?;
    let nvme: Vec<String> = all
        .iter()
        .filter(|(_, t, _)| t == "nvme")
        .map(|(id, _, _)| id.clone())
        .collect();
    ensure!(nvme.len() == 4, "expected 4 NVMe drives, got {all:?}");
    for (id, _, verdict) in all.iter().filter(|(_, t, _)| t == "nvme") {
        ensure!(verdict == "usable", "{id} is {verdict}, expected usable");
        ensure!(
            id.contains("IRONSTORNVME"),
            "{id} is not a by-id name with the serial"
        );
    }
    let sata = all
        .iter()
        .find(|(_, t, _)| t == "sata")
        .map(|(id, _, _)| id.clone())
        .context("no SATA disk in the inventory")?;
    let boot_stick = all
        .iter()
        .find(|(_, t, _)| t == "usb")
        .context("no USB stick")?;
    ensure!(
        boot_stick.2 == "boot-medium",
        "the stick is {}, expected boot-medium",
        boot_stick.2
    );

    // A partition table makes the SATA disk in-use.
    shell.check(&format!(
        "printf 'label: gpt\\n,,L\\n' | sfdisk -q /dev/disk/by-id/{sata} && udevadm settle"
    ))?;
    let after = drives(&mut shell)?;
    let verdict = &after
        .iter()
        .find(|(id, _, _)| *id == sata)
        .context("SATA disk gone")?
        .2;
    ensure!(
        verdict == "in-use",
        "partitioned SATA disk is {verdict}, expected in-use"
    );

    // The stripe over the four NVMe drives; it must say it has no redundancy.
    let created = shell.check(&format!(
        "storagectl pool create tank --layout stripe {}",
        nvme.join(" ")
    ))?;
    ensure!(
        created.to_lowercase().contains("no redundancy"),
        "creating a stripe did not warn about redundancy: {created}"
    );
    shell.check("storagectl volume create tank/vm1 --size 256M")?;
    shell.check("storagectl dataset create tank/share")?;
    let status = json(&mut shell, "storagectl --json pool status tank")?;
    ensure!(
        status.to_string().contains("ONLINE"),
        "pool status is not ONLINE: {status}"
    );
    shell.check("test -e /dev/zvol/tank/vm1")?;

    // The partitioned disk is refused, then accepted when forced by its id.
    let refused = shell.run(
        &format!("storagectl pool create scratch --layout stripe {sata}"),
        Duration::from_secs(120),
    )?;
    ensure!(
        refused.status != 0,
        "a partitioned disk was accepted without force"
    );
    ensure!(
        refused.text.contains(&sata) && refused.text.contains("in-use"),
        "the refusal does not name the disk and its verdict: {}",
        refused.text
    );
    ensure!(
        !pools_imported(&mut shell)?.contains(&"scratch".to_string()),
        "a refused pool exists anyway"
    );
    shell.check(&format!(
        "storagectl pool create scratch --layout stripe {sata} --force {sata}"
    ))?;
    ensure!(pools_imported(&mut shell)?.contains(&"scratch".to_string()));

    // Reboot: the pools come back imported and declared.
    let _ = shell.run("systemctl reboot", Duration::from_secs(10));
    drop(shell);
    vm.wait_for_serial_count(STORAGED_READY, 2, BOOT_TIMEOUT)
        .context("the guest did not come back after the reboot")?;
    let mut shell = vm.shell(Duration::from_secs(120))?;
    let pools = pools_imported(&mut shell)?;
    for pool in ["tank", "scratch"] {
        ensure!(
            pools.contains(&pool.to_string()),
            "{pool} not imported after reboot: {pools:?}"
        );
    }
    shell.check("zfs list tank/vm1 tank/share")?;
    let state: Value = serde_json::from_str(&shell.check(&format!("cat {STATE_FILE}"))?)?;
    let text = state.to_string();
    for declared in ["\"tank\"", "\"scratch\"", "\"tank/vm1\"", "\"tank/share\""] {
        ensure!(
            text.contains(declared),
            "{declared} is not declared in {STATE_FILE}"
        );
    }
    let listed = json(&mut shell, "storagectl --json pool list")?.to_string();
    if !listed.contains("tank") {
        bail!("storagectl pool list after reboot lacks tank: {listed}");
    }
    vm.kill();
    Ok(())
}

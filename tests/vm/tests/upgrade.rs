//! vm tier, A/B upgrades, end to end in one guest's life (SeaBIOS, as the
//! Gen8 boots):
//!
//! 1. v1 boots from slot A; bad bundles are refused over HTTPS (tampered
//!    payload, tampered manifest, another key, truncated, other image,
//!    downgrade, garbage, a second upload while one installs), each with
//!    its reason, and grubenv and both slots stay byte-identical;
//! 2. v2 is uploaded through the web page in headless Chromium, with both
//!    progress bars, and the reboot confirmed there; v2 runs from slot B
//!    and is blessed; another reboot stays on B;
//! 3. v3, whose ZFS module cannot load so its pool never imports, is
//!    tried `tries` times, then GRUB boots v2 again and storaged reports
//!    the rollback;
//! 4. QEMU is killed while an install writes slot A: the next boot is v2
//!    on B, healthy, and a new upload then succeeds.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use ironstor_builder::qemu::{Firmware, Forward, TestShell};
use ironstor_contract::esp::{self, GRUBENV};
use ironstor_contract::keys::SecretKey;
use ironstor_contract::{PartitionRole, Slot};
use ironstor_vm_tests::browser::Browser;
use ironstor_vm_tests::upgrade::{build_version, crafted_bundle, test_key, Https};
use ironstor_vm_tests::{boot_dir, free_port, workspace, Booted, BOOT_TIMEOUT, STORAGED_READY};
use serde_json::Value;

const PASSWORD: &str = "upgrade test password";
const ESP_LABEL: &str = PartitionRole::Esp.label();
const UNHEALTHY: &str = "trial boot of slot a is not healthy";

fn status(shell: &mut TestShell) -> Result<Value> {
    let text = shell.check("storagectl --json upgrade status")?;
    serde_json::from_str(&text).with_context(|| format!("not JSON: {text}"))
}

/// SHA-256 of grubenv, every file of both slots on the ESP, and the first
/// 256 MiB of each root partition: where any install starts writing (a
/// root payload is written from offset 0), and more than a whole root
/// squashfs of the qemu profile. (Whole 640 MiB partitions take minutes
/// to read through TCG's emulated USB.)
fn boot_medium_hashes(shell: &mut TestShell) -> Result<String> {
    let start = Instant::now();
    let (a, b) = (esp::slot_dir(Slot::A), esp::slot_dir(Slot::B));
    let out = shell.run(
        &format!(
            "mkdir -p /run/t-esp && mount -o ro /dev/disk/by-partlabel/{ESP_LABEL} /run/t-esp && \
             (cd /run/t-esp && find {GRUBENV} {a} {b} -type f | sort | xargs sha256sum) && umount /run/t-esp && \
             for s in a b; do printf '%s ' root-$s; head -c 256M /dev/disk/by-partlabel/ironstor-root-$s | sha256sum; done"
        ),
        Duration::from_secs(900),
    )?;
    eprintln!(
        "vm tests: boot medium hashed in {:.0}s",
        start.elapsed().as_secs_f64()
    );
    ensure!(
        out.status == 0,
        "hashing the boot medium failed: {}",
        out.text
    );
    Ok(out.text)
}

fn grubenv(shell: &mut TestShell) -> Result<String> {
    Ok(shell.check(&format!(
        "mkdir -p /run/t-esp; mount -o ro /dev/disk/by-partlabel/{ESP_LABEL} /run/t-esp && \
         grep -a -v '^#' /run/t-esp/{GRUBENV}; umount /run/t-esp"
    ))?)
}

fn wait_blessed(shell: &mut TestShell, slot: &str) -> Result<Value> {
    let start = Instant::now();
    loop {
        let s = status(shell)?;
        if s["blessed"] == true && s["active"] == slot && s["booted"] == slot {
            return Ok(s);
        }
        ensure!(
            start.elapsed() < Duration::from_secs(120),
            "slot {slot} not blessed: {s}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

fn running(shell: &mut TestShell, slot: &str, version: &str) -> Result<()> {
    let cmdline = shell.check("cat /proc/cmdline")?;
    ensure!(
        cmdline.contains(&format!("ironstor.slot={slot}")),
        "expected slot {slot}: {cmdline}"
    );
    let os = shell.check("grep ^IMAGE_VERSION= /usr/lib/os-release")?;
    ensure!(os.contains(version), "expected {version}: {os}");
    Ok(())
}

fn refusals(shell: &mut TestShell, https: &Https, dir: &Path) -> Result<()> {
    let key = test_key()?;
    let write = |name: &str, bytes: &[u8]| -> Result<std::path::PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        Ok(path)
    };
    let small = crafted_bundle("ironstor-qemu", "9.0.0", 3 << 20, &key);
    // The manifest's version, in the manifest (the first "9.0.0").
    let mut tampered_manifest = small.clone();
    let at = small
        .windows(5)
        .position(|w| w == b"9.0.0")
        .context("version")?;
    tampered_manifest[at] = b'8';
    let mut big = crafted_bundle("ironstor-qemu", "9.0.0", 48 << 20, &key);
    // A byte of the root payload, near its end.
    let flip = big.len() - 1024 * 3 - 64 * 1024;
    big[flip] ^= 0x40;
    let garbage: Vec<u8> = (0..(1u32 << 20))
        .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
        .collect();
    let cases = [
        (
            "tampered-manifest",
            tampered_manifest,
            "signature does not match",
        ),
        (
            "other-key",
            crafted_bundle(
                "ironstor-qemu",
                "9.0.0",
                1 << 20,
                &SecretKey::from_seed([0x5e; 32]),
            ),
            "signed by another key",
        ),
        (
            "truncated",
            small[..small.len() * 2 / 3].to_vec(),
            "ends early",
        ),
        (
            "wrong-image",
            crafted_bundle("ironstor-hpe-ml310e", "9.0.0", 1 << 20, &key),
            "is for image \"ironstor-hpe-ml310e\"",
        ),
        (
            "downgrade",
            crafted_bundle("ironstor-qemu", "0.0.1", 1 << 20, &key),
            "lower than the running 1.0.0",
        ),
        ("garbage", garbage.clone(), "not a tar archive"),
    ];

    let before = boot_medium_hashes(shell)?;
    let env_before = grubenv(shell)?;
    for (name, bytes, needle) in cases {
        let answer = https.upload(&write(name, &bytes)?, "", None)?;
        eprintln!("vm tests: {name}: {} {}", answer.status, answer.message());
        ensure!(
            answer.status == 422,
            "{name}: {} {}",
            answer.status,
            answer.text
        );
        ensure!(
            answer.message().contains(needle),
            "{name}: {}",
            answer.message()
        );
    }

    // A tampered payload, uploaded slowly; a second upload meanwhile.
    let slow = write("tampered-payload", &big)?;
    let garbage_path = dir.join("garbage");
    let (port, token) = (https.port, https.token.clone());
    let first = std::thread::spawn(move || Https { port, token }.upload(&slow, "", Some("4M")));
    let start = Instant::now();
    loop {
        let s = https.get("/upgrade")?;
        if s.body["progress"]["phase"] == "verifying"
            && s.body["progress"]["done"].as_u64() > Some(0)
        {
            break;
        }
        ensure!(
            start.elapsed() < Duration::from_secs(60),
            "the slow upload never started: {}",
            s.text
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let second = https.upload(&garbage_path, "", None)?;
    eprintln!(
        "vm tests: second upload: {} {}",
        second.status,
        second.message()
    );
    ensure!(
        second.status == 409,
        "second upload: {} {}",
        second.status,
        second.text
    );
    ensure!(
        second.message().contains("already installing"),
        "{}",
        second.message()
    );
    let first = first.join().expect("upload thread")?;
    eprintln!(
        "vm tests: tampered-payload: {} {}",
        first.status,
        first.message()
    );
    ensure!(
        first.status == 422,
        "tampered payload: {} {}",
        first.status,
        first.text
    );
    ensure!(
        first
            .message()
            .contains("payload root.squashfs has SHA-256"),
        "{}",
        first.message()
    );

    ensure!(grubenv(shell)? == env_before, "grubenv changed");
    let after = boot_medium_hashes(shell)?;
    ensure!(
        after == before,
        "the boot medium changed:\nbefore:\n{before}\nafter:\n{after}"
    );
    Ok(())
}

/// Uploads v2 through the web page and confirms the reboot there.
fn upgrade_through_the_page(port: u16, bundle: &Path, out: &Path) -> Result<()> {
    let browser = Browser::start(&out.join("chromium-profile"))?;
    browser.goto(&format!("https://127.0.0.1:{port}/ui/upgrade"))?;
    browser.type_into("#password", PASSWORD)?;
    browser.click("#login-button")?;
    let v = browser.wait_text("#slot-a .version", Duration::from_secs(30), |t| {
        !t.is_empty()
    })?;
    ensure!(v == "1.0.0", "slot A shows {v}");
    let state = browser.text("#slot-a .state")?;
    ensure!(
        state.contains("running") && state.contains("active"),
        "slot A: {state}"
    );
    let b = browser.text("#slot-b")?;
    ensure!(b.contains("(empty)"), "slot B: {b}");
    browser.type_into("#bundle", &bundle.display().to_string())?;
    browser.click("#upload")?;

    // Watch both bars move while the upload and install run.
    let (mut uploads, mut installs) = (Vec::new(), Vec::new());
    let start = Instant::now();
    let message = loop {
        let bars = browser.eval(
            "return [document.getElementById('upload-progress').value, document.getElementById('install-progress').value];",
        )?;
        let (u, i) = (
            bars[0].as_f64().unwrap_or(0.0),
            bars[1].as_f64().unwrap_or(0.0),
        );
        if uploads.last() != Some(&u) {
            uploads.push(u);
        }
        if installs.last() != Some(&i) {
            installs.push(i);
        }
        let message = browser.text("#message")?;
        if message.contains("installed")
            || message.contains("Refused")
            || message.contains("failed")
        {
            break message;
        }
        ensure!(
            start.elapsed() < Duration::from_secs(1200),
            "no answer to the upload: {message}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    browser.screenshot(&out.join("upgrade-installed.png"))?;
    eprintln!("vm tests: page says {message:?}; upload bar {uploads:?}; install bar {installs:?}");
    ensure!(
        message.contains("installed ironstor-qemu 2.0.0 into slot b"),
        "{message}"
    );
    ensure!(
        uploads.iter().any(|&u| u > 0.0 && u < 100.0),
        "the upload bar never moved: {uploads:?}"
    );
    ensure!(
        installs.iter().any(|&i| i > 0.0 && i < 100.0),
        "the install bar never moved: {installs:?}"
    );
    let bars = browser.eval(
        "return [document.getElementById('upload-progress').value, document.getElementById('install-progress').value];",
    )?;
    ensure!(bars[0] == 100.0 && bars[1] == 100.0, "bars end at {bars}");
    let next = browser.text("#slot-b .state")?;
    ensure!(next.contains("next"), "slot B after the install: {next}");

    browser.click("#reboot")?;
    browser.click("#reboot-yes")?;
    browser.wait_text("#message", Duration::from_secs(30), |t| {
        t.contains("Rebooting")
    })?;
    Ok(())
}

/// The web page's "last upgrade" says what GRUB did.
fn page_shows_the_rollback(port: u16, out: &Path) -> Result<()> {
    let browser = Browser::start(&out.join("chromium-profile"))?;
    browser.goto(&format!("https://127.0.0.1:{port}/ui/upgrade"))?;
    browser.type_into("#password", PASSWORD)?;
    browser.click("#login-button")?;
    let text = browser.wait_text("#outcome", Duration::from_secs(30), |t| {
        t.contains("rolled back")
    })?;
    ensure!(text.contains("3.0.0"), "{text}");
    let b = browser.text("#slot-b .state")?;
    ensure!(b.contains("running") && b.contains("active"), "slot B: {b}");
    browser.screenshot(&out.join("upgrade-rolled-back.png"))?;
    Ok(())
}

#[test]
fn vm_upgrade_through_the_page_rolls_back_a_bad_slot_and_survives_a_kill() -> Result<()> {
    let v1 = build_version("upgrade-v1", "1.0.0", None)?;
    let v2 = build_version("upgrade-v2", "2.0.0", None)?;
    let v3 = build_version("upgrade-v3", "3.0.0", Some("tests/guest-unhealthy"))?;
    let bundle = |dir: &Path| dir.join(ironstor_contract::bundle::BUNDLE_FILE);
    let scratch = workspace().join("out/vm-tests/upgrade-files");
    std::fs::create_dir_all(&scratch)?;

    let port = free_port()?;
    let forwards = vec![Forward {
        host: port,
        guest: 443,
    }];
    let Booted {
        mut vm, mut shell, ..
    } = boot_dir(&v1, Firmware::Bios, forwards.clone(), true)?;
    running(&mut shell, "a", "1.0.0")?;
    shell.check(&format!("printf '%s\\n' '{PASSWORD}' | storagectl setup"))?;
    // A pool, so that health means something: v3 cannot import it.
    let drives: Value = serde_json::from_str(&shell.check("storagectl --json drives")?)?;
    let nvme: Vec<String> = drives["disks"]
        .as_array()
        .context("disks")?
        .iter()
        .filter(|d| d["transport"] == "nvme")
        .map(|d| d["id"].as_str().unwrap_or_default().to_string())
        .collect();
    shell.check(&format!(
        "storagectl pool create tank --layout stripe {}",
        nvme.join(" ")
    ))?;
    let https = Https::login(port, PASSWORD)?;

    // 1. Refusals change nothing.
    refusals(&mut shell, &https, &scratch)?;

    // 2. v2 through the web page; it runs from B and is blessed.
    upgrade_through_the_page(port, &bundle(&v2), &scratch)?;
    drop(shell);
    vm.wait_for_serial_count(STORAGED_READY, 2, BOOT_TIMEOUT)
        .context("v2 did not come up")?;
    let mut shell = vm.shell(Duration::from_secs(120))?;
    running(&mut shell, "b", "2.0.0")?;
    let s = wait_blessed(&mut shell, "b")?;
    ensure!(s["next"].is_null(), "next still set: {s}");
    ensure!(s["last_outcome"]["kind"] == "blessed", "{s}");
    let _ = shell.run("systemctl reboot", Duration::from_secs(10));
    drop(shell);
    vm.wait_for_serial_count(STORAGED_READY, 3, BOOT_TIMEOUT)
        .context("v2 did not come back after a plain reboot")?;
    let mut shell = vm.shell(Duration::from_secs(120))?;
    running(&mut shell, "b", "2.0.0")?;
    wait_blessed(&mut shell, "b")?;

    // 3. v3 never becomes healthy: two tries, then v2 again.
    let https = Https::login(port, PASSWORD)?;
    let answer = https.upload(&bundle(&v3), "?tries=2", None)?;
    ensure!(
        answer.status == 200,
        "v3: {} {}",
        answer.status,
        answer.text
    );
    ensure!(answer.body["slot"] == "a", "{}", answer.text);
    let _ = shell.run("storagectl upgrade reboot", Duration::from_secs(20));
    drop(shell);
    vm.wait_for_serial_count(STORAGED_READY, 6, 3 * BOOT_TIMEOUT)
        .context("v3's tries and the rollback did not happen")?;
    let mut shell = vm.shell(Duration::from_secs(120))?;
    running(&mut shell, "b", "2.0.0")?;
    let serial = vm.serial();
    let tries = serial.matches(UNHEALTHY).count();
    ensure!(tries == 2, "v3 was tried {tries} times, expected 2");
    ensure!(
        serial.contains("ironstor.slot=a console=ttyS0,115200 panic=10 ironstor.trial"),
        "GRUB did not boot slot A on trial"
    );
    let s = wait_blessed(&mut shell, "b")?;
    let outcome = &s["last_outcome"];
    ensure!(
        outcome["kind"] == "rolled_back",
        "no rollback reported: {s}"
    );
    let text = outcome["message"].as_str().unwrap_or_default();
    ensure!(text.contains("slot a (ironstor-qemu 3.0.0)"), "{text}");
    eprintln!("vm tests: storaged reports: {text}");
    page_shows_the_rollback(port, &scratch)?;

    // 4. Killed while writing slot A.
    let https = Https::login(port, PASSWORD)?;
    let v2_bundle = bundle(&v2);
    let (p, token) = (https.port, https.token.clone());
    let upload = std::thread::spawn(move || Https { port: p, token }.upload(&v2_bundle, "", None));
    let start = Instant::now();
    loop {
        let s = https.get("/upgrade")?;
        let p = &s.body["progress"];
        if p["phase"] == "writing" && p["done"].as_u64().unwrap_or(0) > 48 << 20 {
            eprintln!(
                "vm tests: killing QEMU at {} MiB of slot A",
                p["done"].as_u64().unwrap_or(0) >> 20
            );
            break;
        }
        ensure!(
            p["phase"] != "installed",
            "the install finished before it could be killed"
        );
        ensure!(
            start.elapsed() < Duration::from_secs(900),
            "the install never wrote: {}",
            s.text
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(shell);
    vm.kill();
    let _ = upload.join();
    drop(vm);
    let Booted {
        vm: _vm, mut shell, ..
    } = boot_dir(&v1, Firmware::Bios, forwards, false)?;
    running(&mut shell, "b", "2.0.0")?;
    let s = wait_blessed(&mut shell, "b")?;
    ensure!(s["next"].is_null(), "next set after the kill: {s}");
    ensure!(
        s["slots"][0]["image"].is_null(),
        "slot A claims an image after the kill: {s}"
    );
    let https = Https::login(port, PASSWORD)?;
    let answer = https.upload(&bundle(&v2), "", None)?;
    ensure!(
        answer.status == 200,
        "upload after the kill: {} {}",
        answer.status,
        answer.text
    );
    let s = status(&mut shell)?;
    ensure!(
        s["next"] == "a" && s["slots"][0]["image"]["version"] == "2.0.0",
        "{s}"
    );
    Ok(())
}

//! A new owner's first hour, in one life of the booted qemu image (with a
//! reboot in it), the way the owner meets the box: the setup token read off
//! the VGA console (tty1, through `/dev/vcs1`; a QMP screendump kept), the
//! password set in the browser, then headless Chromium builds a striped
//! mirror on the four NVMe drives, a "VMware iSCSI" zvol and a target with
//! CHAP whose page shows the esxcli lines, a "Raspberry Pi NFS root"
//! export, an SMB user and share; the host's real clients (`iscsi-inq`,
//! `nfs-cp`, `smbclient`) use what the browser made while the dashboard's
//! NIC throughput rises. Then the console's defences: a cross-origin form
//! post is refused, wrong passwords from a second address do not lock out
//! the first, a partitioned disk is refused unless forced; remote
//! `storagectl` lists the pool and refuses a changed certificate; after a
//! reboot everything is still there and SSH is still off.
//!
//! Screenshots of every page go to `out/vm-tests/first-hour/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use ironstor_builder::qemu::{Firmware, Forward, TestShell};
use ironstor_vm_tests::browser::Browser;
use ironstor_vm_tests::console::{setup_token_in, tty1};
use ironstor_vm_tests::forms::{check_box, select, submit};
use ironstor_vm_tests::https::{raw, Https};
use ironstor_vm_tests::{
    boot, check_ready, free_port, workspace, Booted, BOOT_TIMEOUT, STORAGED_READY,
};
use serde_json::{json, Value};

const PASSWORD: &str = "first-hour Pa55word";
const IQN: &str = "iqn.2026-12.org.ironstor:esx";
const CHAP_USER: &str = "esx";
const CHAP_SECRET: &str = "chapsecret1234";
const SMB_USER: &str = "editor";
const SMB_PASSWORD: &str = "Edit-Pa55word";
/// Where QEMU's user networking makes the host's connections come from.
const HOST_AS_SEEN: &str = "10.0.2.2";
const WAIT: Duration = Duration::from_secs(60);

struct Ports {
    https: u16,
    iscsi: u16,
    nfs: u16,
    mountd: u16,
    smb: u16,
}

fn artifacts() -> Result<PathBuf> {
    let dir = workspace().join("out/vm-tests/first-hour");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn host_ok(program: &str, args: &[&str], dir: &Path) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    ensure!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        text(&out)
    );
    Ok(text(&out))
}

fn wait_for<T>(
    what: &str,
    limit: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let start = Instant::now();
    loop {
        match probe() {
            Ok(Some(v)) => return Ok(v),
            Ok(None) if start.elapsed() > limit => bail!("{what}: not after {}s", limit.as_secs()),
            Err(e) if start.elapsed() > limit => return Err(e.context(what.to_string())),
            _ => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}

/// Opens a page and keeps a screenshot of it.
fn page(browser: &Browser, ports: &Ports, path: &str, shot: &str) -> Result<()> {
    browser.goto(&format!("https://127.0.0.1:{}{path}", ports.https))?;
    browser.find("body", WAIT)?;
    browser.screenshot(&artifacts()?.join(format!("{shot}.png")))?;
    Ok(())
}

fn json(shell: &mut TestShell, command: &str) -> Result<Value> {
    let out = shell.check(command)?;
    serde_json::from_str(&out).with_context(|| format!("{command} printed no JSON: {out}"))
}

/// The disks storaged lists, as (id, transport, verdict).
fn drives(shell: &mut TestShell) -> Result<Vec<(String, String, String)>> {
    let v = json(shell, "storagectl --json drives")?;
    Ok(v["disks"]
        .as_array()
        .context("no disks")?
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or("").to_string();
            (s("id"), s("transport"), s("verdict"))
        })
        .collect())
}

/// Setup in the browser: the token from tty1, then the admin password.
fn setup_in_the_browser(browser: &Browser, ports: &Ports, token: &str) -> Result<()> {
    browser.goto(&format!("https://127.0.0.1:{}/", ports.https))?;
    browser.find("#setup-token", WAIT)?;
    browser.screenshot(&artifacts()?.join("setup.png"))?;
    browser.type_into("#setup-token", token)?;
    browser.type_into("#setup-password", PASSWORD)?;
    browser.type_into("#setup-password-again", PASSWORD)?;
    browser.click("#setup-button")?;
    browser.find("#password", WAIT)?;
    browser.type_into("#password", PASSWORD)?;
    browser.click("#login-button")?;
    browser.find("#nic-throughput", WAIT)?;
    Ok(())
}

/// The pool, the presets, the target, the export, the user and the share,
/// all through the pages.
fn build_it_in_the_browser(browser: &Browser, ports: &Ports, nvme: &[String]) -> Result<()> {
    page(browser, ports, "/ui/drives", "drives")?;
    for id in nvme {
        let verdict = browser.text(&format!("#drives tr[data-disk-id=\"{id}\"] .verdict"))?;
        ensure!(verdict.trim() == "usable", "drive {id} shows {verdict:?}");
    }

    page(browser, ports, "/ui/pools", "pools-empty")?;
    browser.type_into("#pool-name", "tank")?;
    select(browser, "#pool-layout", "mirror")?;
    for id in nvme {
        check_box(browser, &format!("input.pool-disk[value=\"{id}\"]"))?;
    }
    browser.type_into("#pool-vdev-width", "2")?;
    submit(browser, "#pool-create", "#pool-create-submit", None)?;
    page(browser, ports, "/ui/pools", "pools")?;
    let health = browser.wait_text("#pools tr[data-pool=\"tank\"] .health", WAIT, |t| {
        t.contains("ONLINE")
    })?;
    eprintln!("vm tests: the pools page shows tank {health}");

    page(browser, ports, "/ui/storage", "storage-empty")?;
    browser.type_into("#vmware-volume", "tank/esx1")?;
    browser.type_into("#vmware-size", "256M")?;
    submit(browser, "#preset-vmware-iscsi", "#vmware-submit", None)?;
    browser.type_into("#video-dataset", "tank/media")?;
    submit(browser, "#preset-smb-video", "#video-submit", None)?;
    browser.type_into("#pi-dataset", "tank/pi1")?;
    browser.type_into("#pi-client", HOST_AS_SEEN)?;
    // QEMU's user networking rewrites the host's source ports to
    // unprivileged ones: `insecure` is needed here, as the Pi guide asks.
    check_box(browser, "#pi-insecure")?;
    submit(
        browser,
        "#preset-pi-nfs-root",
        "#pi-submit",
        Some("#pi-cmdline"),
    )?;
    let cmdline = browser.wait_text("#pi-cmdline", WAIT, |t| t.contains("nfsroot="))?;
    ensure!(
        cmdline.contains("root=/dev/nfs") && cmdline.contains("tank/pi1"),
        "the Pi's cmdline.txt line: {cmdline}"
    );
    page(browser, ports, "/ui/storage", "storage")?;

    page(browser, ports, "/ui/iscsi", "iscsi-empty")?;
    browser.type_into("#target-iqn", IQN)?;
    select(browser, "#target-lun-volume", "tank/esx1")?;
    check_box(browser, "#target-allow-all")?;
    browser.type_into("#target-chap-user", CHAP_USER)?;
    browser.type_into("#target-chap-secret", CHAP_SECRET)?;
    submit(browser, "#target-create", "#target-create-submit", None)?;
    page(browser, ports, &format!("/ui/iscsi/{IQN}"), "iscsi-target")?;
    let esxi = browser.wait_text("#esxi-lines", WAIT, |t| t.contains("esxcli"))?;
    ensure!(
        esxi.contains(IQN) || esxi.contains("127.0.0.1") || esxi.contains("3260"),
        "{esxi}"
    );

    page(browser, ports, "/ui/smb", "smb-empty")?;
    browser.type_into("#smb-user-name", SMB_USER)?;
    browser.type_into("#smb-user-password", SMB_PASSWORD)?;
    submit(browser, "#smb-user-create", "#smb-user-submit", None)?;
    page(browser, ports, "/ui/smb", "smb-user")?;
    browser.type_into("#smb-share-name", "media")?;
    select(browser, "#smb-share-dataset", "tank/media")?;
    browser.type_into("#smb-share-users", SMB_USER)?;
    submit(browser, "#smb-share-create", "#smb-share-submit", None)?;
    for (path, shot) in [
        ("/ui/smb", "smb"),
        ("/ui/nfs", "nfs"),
        ("/ui/snapshots", "snapshots"),
        ("/ui/ssh", "ssh"),
        ("/ui/upgrade", "upgrade"),
        ("/ui/settings", "settings"),
    ] {
        page(browser, ports, path, shot)?;
    }
    Ok(())
}

/// The host's clients use what the browser made, while the dashboard shows
/// the NIC's throughput rise above zero.
fn clients_use_it(browser: &Browser, ports: &Ports) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let iscsi = format!(
        "iscsi://{CHAP_USER}%{CHAP_SECRET}@127.0.0.1:{}/{IQN}/0",
        ports.iscsi
    );
    let inquiry = host_ok("iscsi-inq", &[&iscsi], dir.path())?;
    ensure!(
        inquiry.contains("LIO-ORG") || inquiry.contains("Vendor"),
        "{inquiry}"
    );

    page(browser, ports, "/ui/", "dashboard-before")?;
    let big = dir.path().join("big");
    std::fs::write(&big, vec![0x5a; 48 << 20])?;
    let nfs = format!(
        "nfs://127.0.0.1/var/mnt/tank/pi1/big?nfsport={}&mountport={}",
        ports.nfs, ports.mountd
    );
    let upload = {
        let (big, nfs) = (big.clone(), nfs.clone());
        std::thread::spawn(move || -> Result<()> {
            host_ok(
                "nfs-cp",
                &[&big.display().to_string(), &nfs],
                Path::new("/"),
            )?;
            Ok(())
        })
    };
    let rate = wait_for(
        "the dashboard's NIC throughput",
        Duration::from_secs(120),
        || {
            // `.rx-bps` reads as a bit rate; `data-value` is bytes a second.
            let rates = browser.eval(
            "return Array.from(document.querySelectorAll('#nic-throughput tr[data-nic] .rx-bps')).map(e => [e.closest('tr').dataset.nic, Number(e.dataset.value || 0), e.textContent]);",
        )?;
            let any = rates
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r[1].as_f64().unwrap_or(0.0) > 0.0)
                .map(|r| {
                    format!(
                        "{} {}",
                        r[0].as_str().unwrap_or("?"),
                        r[2].as_str().unwrap_or("?")
                    )
                });
            Ok(any)
        },
    )?;
    eprintln!("vm tests: the dashboard shows {rate} received during the NFS copy");
    browser.screenshot(&artifacts()?.join("dashboard.png"))?;
    upload
        .join()
        .map_err(|_| anyhow::anyhow!("nfs-cp panicked"))??;
    let back = dir.path().join("back");
    host_ok("nfs-cp", &[&nfs, &back.display().to_string()], dir.path())?;
    ensure!(
        std::fs::read(&back)? == std::fs::read(&big)?,
        "NFS round trip differs"
    );

    std::fs::write(dir.path().join("hello.txt"), "from the host\n")?;
    let smb = |commands: &str| {
        host_ok(
            "smbclient",
            &[
                "//127.0.0.1/media",
                "-p",
                &ports.smb.to_string(),
                "-m",
                "SMB3",
                "-U",
                &format!("{SMB_USER}%{SMB_PASSWORD}"),
                "-c",
                commands,
            ],
            dir.path(),
        )
    };
    smb("put hello.txt")?;
    smb("get hello.txt hello-back.txt")?;
    ensure!(
        std::fs::read_to_string(dir.path().join("hello-back.txt"))? == "from the host\n",
        "SMB round trip differs"
    );
    Ok(())
}

/// Cookie sessions: a cross-origin post is refused whatever its body type,
/// and one without the CSRF token too; nothing happens.
fn cross_origin_is_refused(shell: &mut TestShell, ports: &Ports, cookie: &str) -> Result<()> {
    for (path, content_type, body) in [
        ("/system/reboot", "text/plain", "x"),
        (
            "/upgrade/reboot",
            "application/x-www-form-urlencoded",
            "a=b",
        ),
        (
            "/upgrade/rollback",
            "multipart/form-data; boundary=x",
            "--x--",
        ),
        ("/pools/tank", "text/plain", ""),
    ] {
        let method = if path == "/pools/tank" {
            "DELETE"
        } else {
            "POST"
        };
        let headers = [
            format!("Cookie: storaged_session={cookie}"),
            "Origin: https://evil.example".to_string(),
            format!("Content-Type: {content_type}"),
        ];
        let answer = raw(ports.https, method, path, &headers, Some(body))?;
        ensure!(
            answer.status == 403,
            "cross-origin {method} {path} ({content_type}) answered {} {}",
            answer.status,
            answer.text
        );
    }
    // Same origin but no CSRF token.
    let headers = [
        format!("Cookie: storaged_session={cookie}"),
        format!("Origin: https://127.0.0.1:{}", ports.https),
        "Content-Type: text/plain".to_string(),
    ];
    let answer = raw(ports.https, "POST", "/system/reboot", &headers, Some("x"))?;
    ensure!(
        answer.status == 403,
        "no CSRF token: {} {}",
        answer.status,
        answer.text
    );
    shell.check("zpool list tank")?;
    ensure!(
        !shell
            .check("systemctl is-system-running || true")?
            .contains("stopping"),
        "the guest is going down"
    );
    Ok(())
}

/// Wrong passwords from the guest's own loopback (a second client
/// address) are throttled there and do not lock out the host.
fn throttling_is_per_address(shell: &mut TestShell, ports: &Ports) -> Result<()> {
    let mut codes = Vec::new();
    for _ in 0..14 {
        let code = shell.check(
            "curl -sk -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
             --data '{\"password\":\"wrong wrong wrong\"}' https://127.0.0.1/api/v1/login",
        )?;
        codes.push(code.trim().to_string());
    }
    ensure!(
        codes.iter().any(|c| c == "429"),
        "wrong passwords from the loopback were never throttled: {codes:?}"
    );
    Https::login(ports.https, PASSWORD)
        .context("the host was locked out by the loopback's failures")?;
    Ok(())
}

fn storagectl_remote(config: &Path, ports: &Ports, token: &str, args: &[&str]) -> Result<Output> {
    Ok(Command::new(workspace().join("target/release/storagectl"))
        .env("XDG_CONFIG_HOME", config)
        .env("STORAGECTL_TOKEN", token)
        .arg("--host")
        .arg(format!("https://127.0.0.1:{}", ports.https))
        .args(args)
        .output()?)
}

/// Remote storagectl with an API token: pins the certificate on first use,
/// lists the pool, and refuses once the owner's own certificate replaced
/// the self-signed one.
fn remote_storagectl(https: &Https, ports: &Ports) -> Result<()> {
    let made = https.json("POST", "/tokens", &json!({"name": "workstation"}))?;
    ensure!(
        made.status == 200 || made.status == 201,
        "token: {}",
        made.text
    );
    let token = made.body["token"].as_str().context("no token")?.to_string();
    let config = tempfile::tempdir()?;
    let out = storagectl_remote(
        config.path(),
        ports,
        &token,
        &["--accept-new", "pool", "list"],
    )?;
    ensure!(
        out.status.success() && text(&out).contains("tank"),
        "remote pool list: {}",
        text(&out)
    );
    let out = storagectl_remote(config.path(), ports, &token, &["pool", "list"])?;
    ensure!(out.status.success(), "second remote use: {}", text(&out));

    let key = rcgen::KeyPair::generate()?;
    let cert =
        rcgen::CertificateParams::new(vec!["ironstor.lan".to_string()])?.self_signed(&key)?;
    let pem = format!("{}{}", cert.pem(), key.serialize_pem());
    let put = https.send("PUT", "/certificate", "application/x-pem-file", &pem)?;
    ensure!(
        put.status == 200,
        "certificate upload: {} {}",
        put.status,
        put.text
    );
    let out = wait_for("the new certificate served", WAIT, || {
        let out = storagectl_remote(config.path(), ports, &token, &["pool", "list"])?;
        Ok((!out.status.success()).then_some(out))
    })?;
    let message = text(&out);
    ensure!(
        message.to_lowercase().contains("changed") && message.contains("known_hosts"),
        "a changed certificate was not refused plainly: {message}"
    );
    eprintln!("vm tests: remote storagectl refuses: {}", message.trim());
    Ok(())
}

/// Cookie and CSRF token of a fresh login from the host.
fn cookie_session(ports: &Ports) -> Result<String> {
    let answer = raw(
        ports.https,
        "POST",
        "/login",
        &["Content-Type: application/json".to_string()],
        Some(&json!({"password": PASSWORD}).to_string()),
    )?;
    answer.body["token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("login: {}", answer.text))
}

#[test]
fn vm_a_new_owners_first_hour_through_the_console_and_the_browser() -> Result<()> {
    let ports = Ports {
        https: free_port()?,
        iscsi: free_port()?,
        nfs: free_port()?,
        mountd: free_port()?,
        smb: free_port()?,
    };
    let forwards = [
        (ports.https, 443),
        (ports.iscsi, 3260),
        (ports.nfs, 2049),
        (ports.mountd, 20048),
        (ports.smb, 445),
    ]
    .into_iter()
    .map(|(host, guest)| Forward { host, guest })
    .collect();
    let Booted {
        mut vm, mut shell, ..
    } = boot(Firmware::Bios, forwards)?;
    check_ready(&mut shell)?;
    let out = artifacts()?;

    // The console: the token, the URL and the fingerprint on tty1.
    let screen = wait_for("the setup token on tty1", WAIT, || {
        let screen = tty1(&mut shell)?;
        Ok(setup_token_in(&screen).map(|t| (t, screen)))
    })?;
    let (token, screen) = screen;
    std::fs::write(out.join("tty1.txt"), &screen)?;
    let tty1_at_boot = screen.clone();
    vm.qmp()?.screendump(&out.join("tty1.png"))?;
    ensure!(screen.contains("https://"), "tty1 shows no URL:\n{screen}");
    ensure!(
        screen.contains("Certificate SHA-256"),
        "tty1 shows no certificate fingerprint:\n{screen}"
    );
    ensure!(
        vm.serial().contains(&token),
        "the serial console does not show the setup token"
    );

    let all = drives(&mut shell)?;
    let nvme: Vec<String> = all
        .iter()
        .filter(|(_, t, v)| t == "nvme" && v == "usable")
        .map(|(id, _, _)| id.clone())
        .collect();
    ensure!(nvme.len() == 4, "expected 4 usable NVMe drives: {all:?}");
    let sata = all
        .iter()
        .find(|(_, t, _)| t == "sata")
        .map(|(id, _, _)| id.clone())
        .context("no SATA disk")?;

    let browser = Browser::start(&out.join("chromium-profile"))?;
    setup_in_the_browser(&browser, &ports, &token)?;
    let screen = wait_for("tty1 without the token", WAIT, || {
        let screen = tty1(&mut shell)?;
        Ok((!screen.contains(&token)).then_some(screen))
    })?;
    std::fs::write(out.join("tty1-after-setup.txt"), &screen)?;

    build_it_in_the_browser(&browser, &ports, &nvme)?;
    let layout = shell.check("zpool list -v -H -o name tank")?;
    ensure!(
        layout.matches("mirror").count() == 2,
        "tank is not two mirrors:\n{layout}"
    );
    let props = shell.check("zfs get -H -o value volblocksize,refreservation tank/esx1")?;
    ensure!(
        props.split_whitespace().collect::<Vec<_>>() == ["16K", "none"],
        "tank/esx1: {props}"
    );
    let exports = shell.check("exportfs -v")?;
    ensure!(
        exports.contains("/var/mnt/tank/pi1")
            && exports.contains("no_root_squash")
            && exports.contains(HOST_AS_SEEN),
        "the Pi export: {exports}"
    );

    clients_use_it(&browser, &ports)?;
    drop(browser);
    // A figure, not a check (bench/dashboard.sh measures against idle):
    // storaged's memory after the first hour's pages and dashboard.
    let rss = shell.check("ps -o rss=,cputime= -C storaged")?;
    eprintln!(
        "vm tests: storaged RSS (KiB) and CPU time after the first hour: {}",
        rss.trim()
    );

    let cookie = cookie_session(&ports)?;
    cross_origin_is_refused(&mut shell, &ports, &cookie)?;
    throttling_is_per_address(&mut shell, &ports)?;
    let https = Https::login(ports.https, PASSWORD)?;
    // What tty1 showed is the certificate the browser got.
    let cert = https.get("/certificate")?;
    let fingerprint = cert.body["fingerprint_sha256"]
        .as_str()
        .context("no fingerprint")?;
    let (first_half, _) = fingerprint.split_at(fingerprint.len() / 2);
    ensure!(
        tty1_at_boot.contains(first_half.trim_end_matches(':')),
        "tty1 showed another fingerprint than {fingerprint}:\n{tty1_at_boot}"
    );
    remote_storagectl(&https, &ports)?;

    // A disk with a partition table is refused unless forced by its id.
    shell.check(&format!(
        "printf 'label: gpt\\n,,L\\n' | sfdisk -q /dev/disk/by-id/{sata} && udevadm settle"
    ))?;
    let refused = https.json(
        "POST",
        "/pools",
        &json!({"name": "scratch", "layout": "stripe", "disks": [sata]}),
    )?;
    ensure!(
        refused.status >= 400 && refused.text.contains(&sata) && refused.text.contains("in-use"),
        "a partitioned disk: {} {}",
        refused.status,
        refused.text
    );
    let forced = https.json(
        "POST",
        "/pools",
        &json!({"name": "scratch", "layout": "stripe", "disks": [sata], "force": [sata]}),
    )?;
    ensure!(
        forced.status < 300,
        "forced: {} {}",
        forced.status,
        forced.text
    );

    // Reboot: everything is still there, the console shows no token, SSH
    // stays off, and its host keys were made on /var, not baked in.
    let _ = shell.run("systemctl reboot", Duration::from_secs(10));
    drop(shell);
    vm.wait_for_serial_count(STORAGED_READY, 2, BOOT_TIMEOUT)
        .context("the guest did not come back after the reboot")?;
    let mut shell = vm.shell(Duration::from_secs(120))?;
    let pools = shell.check("zpool list -H -o name")?;
    ensure!(
        pools.contains("tank") && pools.contains("scratch"),
        "after reboot: {pools}"
    );
    let state = shell.check("cat /var/lib/storaged/state.json")?;
    for declared in ["\"tank/esx1\"", "\"tank/pi1\"", "\"tank/media\"", IQN] {
        ensure!(
            state.contains(declared),
            "{declared} not declared after reboot"
        );
    }
    let screen = tty1(&mut shell)?;
    ensure!(
        setup_token_in(&screen).is_none(),
        "tty1 shows a token after setup:\n{screen}"
    );
    // No login prompt anywhere: tty1 and the serial console show the
    // screen, and logind spawns no getty on other virtual terminals.
    let autovts = shell.check(
        "busctl get-property org.freedesktop.login1 /org/freedesktop/login1 \
         org.freedesktop.login1.Manager NAutoVTs",
    )?;
    ensure!(
        autovts.trim() == "u 0",
        "logind would start gettys: {autovts}"
    );
    let gettys = shell
        .check("systemctl list-units --state=active --no-legend --plain 'getty@*' 'serial-getty@*' 'autovt@*' | wc -l")?;
    ensure!(gettys.trim() == "0", "a login prompt runs: {gettys}");
    let ssh = shell.run("systemctl is-active ssh", Duration::from_secs(20))?;
    ensure!(ssh.text.trim() != "active", "SSH is on by default");
    shell.check("ls /var/lib/ssh/ssh_host_ed25519_key")?;
    let baked = shell.check("ls /etc/ssh/ | grep -c '^ssh_host_.*_key$' || true")?;
    ensure!(
        baked.trim() == "0",
        "host keys baked into the image: {baked}"
    );
    let https = Https::login(ports.https, PASSWORD)?;
    let targets = https.get("/iscsi/targets")?;
    ensure!(targets.text.contains(IQN), "{}", targets.text);
    vm.kill();
    Ok(())
}

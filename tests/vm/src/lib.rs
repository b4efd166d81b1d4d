//! Support for the vm tier: build the qemu profile once per test binary,
//! boot it, and hand tests a shell inside the guest.
//!
//! Boots are serialised: two TCG guests on a two-core machine only make
//! each other time out.

pub mod browser;
pub mod console;
pub mod forms;
pub mod https;
pub mod upgrade;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use ironstor_builder::build::{self, BuildOptions};
use ironstor_builder::cache::Cache;
use ironstor_builder::profile;
use ironstor_builder::qemu::{
    BootFailure, Firmware, Forward, NetBoot, QemuOptions, TestShell, UsbController, Vm,
};

/// What storaged prints once it has told systemd it is ready.
pub const STORAGED_READY: &str = "storaged ready";
/// TCG boots take 1-2 minutes; leave room for a loaded machine.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(480);

/// The repository root, without `..` in it (chromedriver refuses such
/// paths for file uploads and profiles).
pub fn workspace() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&path).unwrap_or(path)
}

/// Output directory of the test image.
pub fn image_dir() -> PathBuf {
    workspace().join("out/vm-tests/ironstor-qemu")
}

static IMAGE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
static BOOTS: Mutex<()> = Mutex::new(());

/// Builds the qemu profile with the release storaged (once per binary).
pub fn built_image() -> Result<PathBuf> {
    IMAGE
        .get_or_init(|| build_image().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!("building the qemu profile failed: {e}"))
}

fn build_image() -> Result<PathBuf> {
    let ws = workspace();
    let storaged = std::env::var_os("IRONSTOR_STORAGED")
        .map(PathBuf::from)
        .unwrap_or_else(|| ws.join("target/release/storaged"));
    if !storaged.is_file() {
        return Err(anyhow!(
            "{} is missing: run `cargo build --release --workspace` first (scripts/test does)",
            storaged.display()
        ));
    }
    let profile = profile::load(&ws.join("images/qemu.toml"))?;
    ironstor_builder::host::ensure_host(ironstor_builder::host::BUILD)?;
    let opts = BuildOptions {
        out_dir: image_dir(),
        cache: Cache::new(Cache::default_root()),
        storaged,
        signing_key: None,
    };
    let start = Instant::now();
    build::build(&profile, &opts)?;
    eprintln!(
        "vm tests: image built in {:.0}s",
        start.elapsed().as_secs_f64()
    );
    Ok(image_dir())
}

/// A booted guest with its test shell; holds the boot lock while alive.
pub struct Booted {
    pub vm: Vm,
    pub shell: TestShell,
    pub boot_time: Duration,
    _lock: MutexGuard<'static, ()>,
}

/// Holds the boot lock: one guest at a time.
pub fn boot_lock() -> MutexGuard<'static, ()> {
    BOOTS.lock().unwrap_or_else(|p| p.into_inner())
}

/// The harness options for the test image under `firmware`, from the USB
/// stick or, with `netboot`, from the network (run directory `qemu-<name>`).
pub fn options(
    out_dir: PathBuf,
    firmware: Firmware,
    netboot: Option<NetBoot>,
    name: &str,
) -> QemuOptions {
    QemuOptions {
        run_dir: out_dir.join(format!("qemu-{name}")),
        out_dir,
        firmware,
        forwards: Vec::new(),
        console_to_terminal: false,
        fresh: true,
        usb: UsbController::Xhci,
        drives: None,
        netboot,
    }
}

/// Boots the test image under `firmware` from the USB stick until storaged
/// is ready.
pub fn boot(firmware: Firmware, forwards: Vec<Forward>) -> Result<Booted> {
    let out_dir = built_image()?;
    let opts = QemuOptions {
        forwards,
        ..options(out_dir, firmware, None, firmware.name())
    };
    boot_with(opts)
}

/// Boots the image built in `out_dir` (fresh disks, or the previous run's
/// when `fresh` is false) until storaged is ready.
pub fn boot_dir(
    out_dir: &Path,
    firmware: Firmware,
    forwards: Vec<Forward>,
    fresh: bool,
) -> Result<Booted> {
    boot_with(QemuOptions {
        forwards,
        fresh,
        ..options(out_dir.to_path_buf(), firmware, None, firmware.name())
    })
}

/// Boots with `opts` until storaged is ready. A kernel panic before
/// userspace (a known TCG flake, not our code) is retried once, and said so.
pub fn boot_with(opts: QemuOptions) -> Result<Booted> {
    let lock = boot_lock();
    let firmware = opts.firmware;
    let label = opts
        .run_dir
        .file_name()
        .map(|n| n.to_string_lossy().trim_start_matches("qemu-").to_string())
        .unwrap_or_default();
    for attempt in 1..=2 {
        let mut vm = Vm::start(&opts)?;
        match vm.wait_for_serial(STORAGED_READY, BOOT_TIMEOUT) {
            Ok(boot_time) => {
                eprintln!(
                    "vm tests: {label} boot reached storaged in {:.0}s",
                    boot_time.as_secs_f64()
                );
                let shell = vm
                    .shell(Duration::from_secs(120))
                    .with_context(|| format!("serial console:\n{}", vm.serial_tail(30)))?;
                return Ok(Booted {
                    vm,
                    shell,
                    boot_time,
                    _lock: lock,
                });
            }
            Err(e) => {
                let early_panic = matches!(
                    e,
                    BootFailure::Panic {
                        before_userspace: true,
                        ..
                    }
                );
                if early_panic && attempt == 1 {
                    eprintln!(
                        "vm tests: the guest kernel panicked before userspace; retrying this boot once:\n{e}"
                    );
                    continue;
                }
                return Err(anyhow::Error::new(e)
                    .context(format!("{label} boot failed ({})", firmware.name())));
            }
        }
    }
    unreachable!("the loop returns on its second attempt")
}

/// A free TCP port on 127.0.0.1 for a host forward (others run VMs too).
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The readiness checks every boot path shares: storaged is an active
/// notify service with its watchdog, ZFS userland and our kernel module
/// are there, the harness's 4 NVMe drives show with distinct serials, and
/// no unit failed on the way up.
pub fn check_ready(shell: &mut TestShell) -> Result<()> {
    let active =
        shell.check("systemctl show -p ActiveState,SubState,Type,WatchdogUSec storaged")?;
    for want in [
        "ActiveState=active",
        "SubState=running",
        "Type=notify",
        "WatchdogUSec=30s",
    ] {
        anyhow::ensure!(active.contains(want), "storaged: {active}");
    }
    let zpool = shell.check("zpool version")?;
    anyhow::ensure!(
        zpool.contains("zfs-kmod-"),
        "zpool version shows no kernel module: {zpool}"
    );
    shell.check("grep -q '^zfs ' /proc/modules")?;
    let serials = shell.check("cat /sys/class/nvme/nvme*/serial | sort -u | wc -l")?;
    anyhow::ensure!(
        serials.trim() == "4",
        "expected 4 NVMe drives with distinct serials, got {serials}"
    );
    let failed = shell.check("systemctl list-units --failed --no-legend --plain")?;
    anyhow::ensure!(failed.trim().is_empty(), "failed units:\n{failed}");
    Ok(())
}

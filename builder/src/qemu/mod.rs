//! `ironstor qemu`: boots a built image the way the reference server boots
//! it, and is the end-to-end tests' harness.
//!
//! SeaBIOS (or OVMF), the image as a USB stick on xhci behind a copy-on-write
//! overlay (so `usb.img` stays pristine and the stick is larger than the
//! image, as a real one is), N NVMe drives with distinct serials, M SATA
//! disks on AHCI, the serial console in a log, QEMU user networking with
//! `restrict=on` and host forwards on 127.0.0.1 only. With the qemu test
//! profile, a root shell on a virtio port lets tests run commands inside.

use std::fs;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod netboot;
mod qmp;
mod shell;

pub use netboot::{NetBoot, NetBootError};
pub use qmp::{Qmp, QmpError};
pub use shell::{Output, ShellError, TestShell};

use crate::formats::fsutil::{io_err, PathError};
use crate::host::run::{Cmd, RunError};
use crate::host::HostError;
use crate::output::{Manifest, ManifestError, QemuSettings, USB_IMAGE};

/// Why QEMU could not be started.
#[derive(Debug, thiserror::Error)]
pub enum QemuError {
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("cannot make the guest's disk {}", .path.display())]
    Disk {
        path: PathBuf,
        #[source]
        source: RunError,
    },
    #[error("cannot start qemu-system-x86_64")]
    Spawn(#[source] std::io::Error),
}

const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/// Name of the virtio port the qemu profile's test shell listens on.
pub const TEST_SHELL_PORT: &str = "org.ironstor.testshell";
/// What a kernel prints when it dies.
const PANIC: &str = "Kernel panic - not syncing";
/// Lines that show the boot reached userspace.
const USERSPACE: [&str; 2] = ["Run /init as init process", "systemd[1]:"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// SeaBIOS, as legacy-BIOS-only HPE Gen8 servers boot.
    Bios,
    /// OVMF, for ordinary UEFI machines.
    Uefi,
}

impl Firmware {
    pub fn name(self) -> &'static str {
        match self {
            Firmware::Bios => "bios",
            Firmware::Uefi => "uefi",
        }
    }
}

/// A host port forwarded to a guest port (TCP, 127.0.0.1 on the host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forward {
    pub host: u16,
    pub guest: u16,
}

impl std::str::FromStr for Forward {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (h, g) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?}: expected HOSTPORT:GUESTPORT, e.g. 8443:443"))?;
        let port = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| format!("{s:?}: {p:?} is not a port number"))
        };
        Ok(Forward {
            host: port(h)?,
            guest: port(g)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct QemuOptions {
    /// The build's output directory (holds `usb.img` and `image.toml`).
    pub out_dir: PathBuf,
    /// Where this run keeps its overlay, scratch drives and logs.
    pub run_dir: PathBuf,
    pub firmware: Firmware,
    pub forwards: Vec<Forward>,
    /// Copy the serial console to our stdout as well as the log.
    pub console_to_terminal: bool,
    /// Start from fresh disks (true) or reuse the run directory's (false).
    pub fresh: bool,
    /// The USB controller the stick hangs off.
    pub usb: UsbController,
    /// Override the profile's drive counts: (NVMe, SATA).
    pub drives: Option<(u32, u32)>,
    /// Boot from the network instead of the USB stick (which is then not
    /// attached).
    pub netboot: Option<NetBoot>,
}

/// Where the boot stick is attached. SeaBIOS loads the kernel from an EHCI
/// (USB 2) stick markedly slower than from xhci; both paths exist on Gen8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsbController {
    Xhci,
    Ehci,
}

impl std::str::FromStr for UsbController {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "xhci" => Ok(UsbController::Xhci),
            "ehci" => Ok(UsbController::Ehci),
            other => Err(format!("{other:?}: expected xhci or ehci")),
        }
    }
}

/// The profile's QEMU settings with the run's overrides applied.
fn settings(opts: &QemuOptions, manifest: &Manifest) -> QemuSettings {
    let mut q = manifest.qemu;
    if let Some((nvme, sata)) = opts.drives {
        q.nvme_drives = nvme;
        q.sata_drives = sata;
    }
    q
}

/// A running guest. Dropping it kills QEMU.
pub struct Vm {
    child: Child,
    pub run_dir: PathBuf,
    pub serial_log: PathBuf,
    pub shell_socket: PathBuf,
}

/// Everything needed to start QEMU, decided before it starts.
pub fn command_line(opts: &QemuOptions, manifest: &Manifest) -> Vec<String> {
    let run = &opts.run_dir;
    let p = |name: &str| run.join(name).display().to_string();
    let q = settings(opts, manifest);
    let mut args: Vec<String> = vec![
        "-name".into(),
        format!("{},process=ironstor-qemu", manifest.name),
        "-machine".into(),
        "q35".into(),
        "-accel".into(),
        "tcg".into(),
        "-smp".into(),
        "2".into(),
        "-m".into(),
        format!("{}M", q.memory_mib),
        "-display".into(),
        "none".into(),
        "-monitor".into(),
        "none".into(),
        "-qmp".into(),
        format!("unix:{},server=on,wait=off", p("qmp.sock")),
    ];
    if opts.firmware == Firmware::Uefi {
        args.extend([
            "-drive".into(),
            format!("if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}"),
            "-drive".into(),
            format!("if=pflash,format=raw,unit=1,file={}", p("OVMF_VARS.fd")),
        ]);
    }
    // Serial console: always to the log, optionally to the terminal too.
    let serial = if opts.console_to_terminal {
        format!("stdio,id=ser0,signal=off,logfile={}", p("serial.log"))
    } else {
        format!("file,id=ser0,path={}", p("serial.log"))
    };
    args.extend([
        "-chardev".into(),
        serial,
        "-serial".into(),
        "chardev:ser0".into(),
    ]);

    // The boot stick: usb-storage, as in the Gen8's USB ports.
    let (controller, bus) = match opts.usb {
        UsbController::Xhci => ("qemu-xhci,id=usb", "usb.0"),
        UsbController::Ehci => ("usb-ehci,id=usb", "usb.0"),
    };
    args.extend(["-device".into(), controller.into()]);
    if opts.netboot.is_none() {
        args.extend([
            "-drive".into(),
            format!("if=none,id=stick,format=qcow2,file={}", p("stick.qcow2")),
            "-device".into(),
            format!("usb-storage,bus={bus},drive=stick,bootindex=1"),
        ]);
    }
    for i in 0..q.nvme_drives {
        args.extend([
            "-drive".into(),
            format!(
                "if=none,id=nvme{i},format=qcow2,file={}",
                p(&format!("nvme{i}.qcow2"))
            ),
            "-device".into(),
            format!("nvme,drive=nvme{i},serial=IRONSTORNVME{i:04}"),
        ]);
    }
    if q.sata_drives > 0 {
        args.extend(["-device".into(), "ahci,id=ahci".into()]);
    }
    for i in 0..q.sata_drives {
        args.extend([
            "-drive".into(),
            format!(
                "if=none,id=sata{i},format=qcow2,file={}",
                p(&format!("sata{i}.qcow2"))
            ),
            "-device".into(),
            format!("ide-hd,bus=ahci.{i},drive=sata{i},serial=IRONSTORSATA{i:04}"),
        ]);
    }
    let mut netdev = "user,id=net0,restrict=on".to_string();
    let mut nic = "virtio-net-pci,netdev=net0".to_string();
    if let Some(n) = &opts.netboot {
        netdev += &n.netdev_options();
        nic += ",bootindex=1";
    }
    for f in &opts.forwards {
        netdev += &format!(",hostfwd=tcp:127.0.0.1:{}-:{}", f.host, f.guest);
    }
    args.extend([
        "-netdev".into(),
        netdev,
        "-device".into(),
        nic,
        "-device".into(),
        "virtio-serial-pci,id=vser".into(),
        "-chardev".into(),
        format!(
            "socket,id=testshell,path={},server=on,wait=off",
            p("shell.sock")
        ),
        "-device".into(),
        format!("virtserialport,bus=vser.0,chardev=testshell,name={TEST_SHELL_PORT}"),
        // The guest's watchdog device (the Gen8 has hpwdt).
        "-device".into(),
        "i6300esb".into(),
        "-action".into(),
        "watchdog=reset".into(),
    ]);
    args
}

fn prepare_disks(opts: &QemuOptions, manifest: &Manifest) -> Result<(), QemuError> {
    let run = &opts.run_dir;
    if opts.fresh && run.exists() {
        fs::remove_dir_all(run).map_err(io_err("clear", run))?;
    }
    fs::create_dir_all(run).map_err(io_err("create", run))?;
    let usb = opts.out_dir.join(USB_IMAGE);
    let usb = fs::canonicalize(&usb).map_err(io_err("find", &usb))?;
    let q = settings(opts, manifest);
    let create = |name: &str, size_mib: u64, backing: Option<&Path>| -> Result<(), QemuError> {
        let path = run.join(name);
        if path.exists() {
            return Ok(());
        }
        let mut cmd = Cmd::new("qemu-img").args(["create", "-q", "-f", "qcow2"]);
        if let Some(b) = backing {
            cmd = cmd.args(["-F", "raw", "-b"]).arg(b);
        }
        cmd.arg(&path)
            .arg(format!("{size_mib}M"))
            .run()
            .map_err(|source| QemuError::Disk { path, source })?;
        Ok(())
    };
    if opts.netboot.is_none() {
        create("stick.qcow2", q.stick_size_mib, Some(&usb))?;
    }
    for i in 0..q.nvme_drives {
        create(&format!("nvme{i}.qcow2"), q.drive_size_mib, None)?;
    }
    for i in 0..q.sata_drives {
        create(&format!("sata{i}.qcow2"), q.drive_size_mib, None)?;
    }
    if opts.firmware == Firmware::Uefi && !run.join("OVMF_VARS.fd").exists() {
        let vars = run.join("OVMF_VARS.fd");
        fs::copy(OVMF_VARS, &vars).map_err(io_err("copy the OVMF variable store to", &vars))?;
    }
    Ok(())
}

impl Vm {
    /// Prepares disks and starts QEMU in the background.
    pub fn start(opts: &QemuOptions) -> Result<Vm, QemuError> {
        crate::host::ensure_host(crate::host::QEMU)?;
        let manifest = Manifest::load(&opts.out_dir)?;
        prepare_disks(opts, &manifest)?;
        let serial_log = opts.run_dir.join("serial.log");
        let _ = fs::remove_file(&serial_log);
        let args = command_line(opts, &manifest);
        let cmdline = opts.run_dir.join("qemu.cmdline");
        fs::write(&cmdline, format!("qemu-system-x86_64 {}\n", args.join(" ")))
            .map_err(io_err("write", &cmdline))?;
        let stderr = opts.run_dir.join("qemu.stderr");
        let stderr = fs::File::create(&stderr).map_err(io_err("create", &stderr))?;
        let child = Command::new("qemu-system-x86_64")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(if opts.console_to_terminal {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .stderr(stderr)
            .spawn()
            .map_err(QemuError::Spawn)?;
        Ok(Vm {
            child,
            run_dir: opts.run_dir.clone(),
            serial_log,
            shell_socket: opts.run_dir.join("shell.sock"),
        })
    }

    pub fn serial(&self) -> String {
        fs::read(&self.serial_log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The last `n` lines of the serial console, for error messages.
    pub fn serial_tail(&self, n: usize) -> String {
        let text = self.serial();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Waits until `needle` appears on the serial console. Fails early and
    /// plainly on a kernel panic or when QEMU exits.
    pub fn wait_for_serial(
        &mut self,
        needle: &str,
        timeout: Duration,
    ) -> Result<Duration, BootFailure> {
        self.wait_for_serial_count(needle, 1, timeout)
    }

    /// Waits until `needle` has appeared `count` times (e.g. once per boot
    /// of a guest that reboots), with the same early failures.
    pub fn wait_for_serial_count(
        &mut self,
        needle: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Duration, BootFailure> {
        let start = Instant::now();
        loop {
            let text = self.serial();
            if text.matches(needle).count() >= count {
                return Ok(start.elapsed());
            }
            if text.matches(PANIC).count() > 0 {
                // Only a panic after the last boot's start counts.
                let last_boot = text.rfind("Linux version").unwrap_or(0);
                let this_boot = &text[last_boot..];
                if this_boot.contains(PANIC) {
                    let before_userspace = !USERSPACE.iter().any(|u| this_boot.contains(u));
                    return Err(BootFailure::Panic {
                        before_userspace,
                        tail: self.serial_tail(40),
                    });
                }
            }
            if let Some(status) = self.child.try_wait().map_err(BootFailure::Wait)? {
                let stderr =
                    fs::read_to_string(self.run_dir.join("qemu.stderr")).unwrap_or_default();
                return Err(BootFailure::Exited {
                    status,
                    needle: needle.to_string(),
                    stderr,
                    tail: self.serial_tail(40),
                });
            }
            if start.elapsed() > timeout {
                return Err(BootFailure::Timeout {
                    needle: needle.to_string(),
                    count,
                    secs: timeout.as_secs(),
                    tail: self.serial_tail(40),
                });
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Connects to the guest's test shell (qemu test profile only).
    pub fn shell(&self, timeout: Duration) -> Result<TestShell, ShellError> {
        let start = Instant::now();
        loop {
            match UnixStream::connect(&self.shell_socket) {
                Ok(stream) => {
                    let mut shell = TestShell::new(stream);
                    // The shell may still be starting: retry a no-op until it answers.
                    loop {
                        match shell.run("true", Duration::from_secs(5)) {
                            Ok(_) => return Ok(shell),
                            Err(e) if start.elapsed() > timeout => {
                                return Err(ShellError::NoAnswer(Box::new(e)))
                            }
                            Err(_) => {}
                        }
                    }
                }
                Err(source) if start.elapsed() > timeout => {
                    return Err(ShellError::Connect {
                        socket: self.shell_socket.clone(),
                        source,
                    })
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// A QMP session with this machine (`qmp.sock` in the run directory).
    pub fn qmp(&self) -> Result<Qmp, QmpError> {
        Qmp::connect(&self.run_dir.join("qmp.sock"))
    }

    /// Stops QEMU.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for QEMU to exit on its own (e.g. the guest powered off).
    pub fn wait(&mut self) -> Result<std::process::ExitStatus, BootFailure> {
        self.child.wait().map_err(BootFailure::Wait)
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Why a boot did not come up, in words a developer acts on.
#[derive(Debug, thiserror::Error)]
pub enum BootFailure {
    #[error("the guest kernel panicked {}:\n{tail}", if *.before_userspace { "before userspace started (not our code)" } else { "after userspace started" })]
    Panic {
        before_userspace: bool,
        tail: String,
    },
    #[error("QEMU exited ({status}) before {needle:?} appeared\nqemu stderr: {stderr}\nserial console, last lines:\n{tail}")]
    Exited {
        status: std::process::ExitStatus,
        needle: String,
        stderr: String,
        tail: String,
    },
    #[error("{needle:?} did not appear (x{count}) on the serial console within {secs}s\nserial console, last lines:\n{tail}")]
    Timeout {
        needle: String,
        count: usize,
        secs: u64,
        tail: String,
    },
    #[error("cannot wait for QEMU")]
    Wait(#[source] std::io::Error),
}

#[cfg(test)]
mod tests;

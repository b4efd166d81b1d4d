//! `ironstor`: the image builder's command line. Parses arguments, calls the
//! library, prints the error chain.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use ironstor_builder::build::{self, BuildOptions};
use ironstor_builder::cache::Cache;
use ironstor_builder::formats::pxe::BiosLoader;
use ironstor_builder::output::{self, Manifest, PXE_DIR};
use ironstor_builder::profile::{self, settings};
use ironstor_builder::qemu::{Firmware, Forward, NetBoot, QemuOptions, UsbController, Vm};
use ironstor_builder::serve::pxe::{self as serve, ServeOptions};
use ironstor_builder::{host, keys};

const DEFAULT_PROFILE: &str = "images/hpe-ml310e.toml";

#[derive(Parser)]
#[command(
    name = "ironstor",
    version,
    about = "Builds and boots ironstor appliance images"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build usb.img, the root squashfs, kernel and initrd from a profile.
    Build {
        /// Image profile (TOML); default: images/hpe-ml310e.toml.
        profile: Option<PathBuf>,
        /// Output directory; default: out/<image name>.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Cache directory; default: $XDG_CACHE_HOME/ironstor.
        #[arg(long)]
        cache: Option<PathBuf>,
        /// storaged binary to install (storagectl and ironstor-console are taken
        /// from beside it);
        /// default: the ones beside this ironstor.
        #[arg(long)]
        storaged: Option<PathBuf>,
        /// Private key (from `ironstor keygen`) to sign update.bundle with;
        /// it must match the profile's update.public_key. Without it no
        /// bundle is made.
        #[arg(long, value_name = "KEYFILE")]
        signing_key: Option<PathBuf>,
    },
    /// Make an ed25519 key pair for signing update bundles: PREFIX.key
    /// (private, mode 0600) and PREFIX.pub (for a profile's update.public_key).
    Keygen {
        /// Path and name of the key files, without extension.
        prefix: PathBuf,
    },
    /// Boot a built image in QEMU as the HPE Gen8 boots it (SeaBIOS, USB stick).
    Qemu {
        /// A build's output directory; default: out/ironstor-qemu.
        out_dir: Option<PathBuf>,
        /// Boot with OVMF (UEFI) instead of SeaBIOS.
        #[arg(long)]
        uefi: bool,
        /// Forward 127.0.0.1:HOST to the guest's port: HOST:GUEST, repeatable.
        #[arg(long = "forward", value_name = "HOST:GUEST")]
        forwards: Vec<Forward>,
        /// Keep the drives and stick of the previous run instead of fresh ones.
        #[arg(long)]
        reuse: bool,
        /// Only log the serial console, do not show it.
        #[arg(long)]
        quiet: bool,
        /// USB controller for the stick: xhci (default) or ehci.
        #[arg(long, default_value = "xhci")]
        usb: UsbController,
        /// Number of NVMe drives (default: the profile's).
        #[arg(long)]
        nvme: Option<u32>,
        /// Number of SATA disks (default: the profile's).
        #[arg(long)]
        sata: Option<u32>,
        /// PXE-boot the build's pxe/ tree (QEMU's TFTP, the tree over HTTP
        /// from this process) instead of the USB stick.
        #[arg(long)]
        pxe: bool,
    },
    /// Network boot: serve a build's pxe/ tree.
    Pxe {
        #[command(subcommand)]
        command: PxeCommand,
    },
    /// Install the host packages `build`, `qemu` and the tests need (as root, with apt).
    Setup,
    /// Inspect profiles.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
}

#[derive(Subcommand)]
enum PxeCommand {
    /// Serve the tree over HTTP and TFTP and print a dnsmasq proxy-DHCP snippet.
    Serve {
        /// A build's output directory (or its pxe/ tree); default: out/ironstor-hpe-ml310e.
        out_dir: Option<PathBuf>,
        /// Base URL the loaders are told, e.g. http://192.168.1.5:8080/ (this
        /// host); default: the profile's pxe.base_url. A new URL rewrites the
        /// tree's loader configs.
        #[arg(long)]
        url: Option<String>,
        /// HTTP listen address; default: 0.0.0.0 and the URL's port.
        #[arg(long, value_name = "ADDR:PORT")]
        http: Option<std::net::SocketAddr>,
        /// TFTP listen address (port 69 needs root).
        #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:69")]
        tftp: std::net::SocketAddr,
        /// This host's LAN address for dnsmasq; default: the URL's host.
        #[arg(long)]
        address: Option<std::net::Ipv4Addr>,
        /// The LAN's network address for dnsmasq; default: ADDRESS as a /24.
        #[arg(long)]
        subnet: Option<std::net::Ipv4Addr>,
        /// Send BIOS clients pxelinux.0 (TFTP only) instead of iPXE's undionly.kpxe.
        #[arg(long)]
        pxelinux: bool,
    },
}

#[derive(Subcommand)]
enum ProfileCommand {
    /// Validate a profile and print what it resolves to.
    Check { profile: PathBuf },
    /// Print the packages a profile installs, comma-separated (for scripts).
    Packages { profile: PathBuf },
    /// List every profile key with its type, default and meaning.
    Keys {
        /// As the Markdown reference (docs/profile.md).
        #[arg(long)]
        markdown: bool,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ironstor: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            profile,
            out,
            cache,
            storaged,
            signing_key,
        } => {
            let path = profile.unwrap_or_else(|| PathBuf::from(DEFAULT_PROFILE));
            if !path.exists() && path == Path::new(DEFAULT_PROFILE) {
                bail!("no profile given and {DEFAULT_PROFILE} is not in the current directory; run from the repository or name a profile");
            }
            // Everything about the profile is checked before any work.
            let profile = profile::load(&path)?;
            let storaged = match storaged {
                Some(p) => p,
                None => std::env::current_exe()?
                    .parent()
                    .context("ironstor has no directory")?
                    .join("storaged"),
            };
            if !storaged.is_file() {
                bail!(
                    "storaged binary {} not found; build the workspace first (cargo build --release) or pass --storaged",
                    storaged.display()
                );
            }
            let signing_key = match (signing_key, &profile.update.public_key) {
                (None, _) => None,
                (Some(_), None) => bail!(
                    "--signing-key given, but {} names no update.public_key: the image would trust no key",
                    path.display()
                ),
                (Some(key), Some((_, public))) => Some(keys::load_signing_key(&key, public)?),
            };
            if signing_key.is_none() && profile.update.public_key.is_some() {
                eprintln!("ironstor: no --signing-key: building no update bundle");
            }
            if !host::is_root() {
                return Err(host::HostError::NotRoot("build").into());
            }
            host::ensure_host(host::BUILD)?;
            let opts = BuildOptions {
                out_dir: out.unwrap_or_else(|| Path::new("out").join(&profile.image.name)),
                cache: Cache::new(cache.unwrap_or_else(Cache::default_root)),
                storaged,
                signing_key,
            };
            build::build(&profile, &opts)?;
            Ok(())
        }
        Command::Keygen { prefix } => {
            let (private, public, key) = keys::keygen(&prefix)?;
            println!(
                "private key {} (mode 0600: keep it secret, off the appliance)\npublic key  {} (fingerprint {}): name it in a profile as [update] public_key",
                private.display(),
                public.display(),
                key.fingerprint()
            );
            Ok(())
        }
        Command::Qemu {
            out_dir,
            uefi,
            forwards,
            reuse,
            quiet,
            usb,
            nvme,
            sata,
            pxe,
        } => {
            let out_dir = out_dir.unwrap_or_else(|| PathBuf::from("out/ironstor-qemu"));
            let firmware = if uefi { Firmware::Uefi } else { Firmware::Bios };
            let drives = match (nvme, sata) {
                (None, None) => None,
                _ => {
                    let q = Manifest::load(&out_dir)?.qemu;
                    Some((nvme.unwrap_or(q.nvme_drives), sata.unwrap_or(q.sata_drives)))
                }
            };
            // Kept alive while QEMU runs: the guest fetches from it.
            let (_http, netboot) = if pxe {
                let (http, netboot) =
                    NetBoot::serve_tree(&out_dir.join(PXE_DIR), output::pxe::BOOT_IPXE)?;
                (Some(http), Some(netboot))
            } else {
                (None, None)
            };
            let opts = QemuOptions {
                run_dir: out_dir.join(format!(
                    "qemu-{}{}",
                    firmware.name(),
                    if pxe { "-pxe" } else { "" }
                )),
                out_dir,
                firmware,
                forwards,
                console_to_terminal: !quiet,
                fresh: !reuse,
                usb,
                drives,
                netboot,
            };
            let mut vm = Vm::start(&opts)?;
            eprintln!(
                "ironstor: QEMU running ({}); serial log {}, test shell {}; Ctrl-C stops it",
                firmware.name(),
                vm.serial_log.display(),
                vm.shell_socket.display()
            );
            let status = vm.wait()?;
            if !status.success() {
                bail!(
                    "QEMU exited with {status}; see {}",
                    opts.run_dir.join("qemu.stderr").display()
                );
            }
            Ok(())
        }
        Command::Pxe {
            command:
                PxeCommand::Serve {
                    out_dir,
                    url,
                    http,
                    tftp,
                    address,
                    subnet,
                    pxelinux,
                },
        } => {
            let serving = serve::start(&ServeOptions {
                dir: out_dir.unwrap_or_else(|| Path::new("out").join("ironstor-hpe-ml310e")),
                url,
                http,
                tftp,
                address,
                subnet,
                bios_loader: if pxelinux {
                    BiosLoader::Pxelinux
                } else {
                    BiosLoader::Ipxe
                },
            })?;
            println!("{}", serving.report);
            eprintln!("ironstor: serving until interrupted (Ctrl-C)");
            loop {
                std::thread::park();
            }
        }
        Command::Setup => {
            let mut needs = host::BUILD.to_vec();
            needs.extend_from_slice(host::QEMU);
            needs.extend_from_slice(host::TEST);
            host::ensure_host(&needs)?;
            eprintln!("ironstor: host packages present");
            Ok(())
        }
        Command::Profile { command } => match command {
            ProfileCommand::Check { profile } => {
                let p = profile::load(&profile)?;
                println!("{p:#?}");
                Ok(())
            }
            ProfileCommand::Packages { profile } => {
                println!("{}", profile::load(&profile)?.all_packages().join(","));
                Ok(())
            }
            ProfileCommand::Keys { markdown } => {
                if markdown {
                    print!("{}", settings::markdown());
                } else {
                    for s in settings::SETTINGS {
                        println!(
                            "{:<28} {:<16} default {:<24} {}",
                            s.key,
                            s.kind,
                            s.default.unwrap_or("(required)"),
                            s.doc
                        );
                    }
                }
                Ok(())
            }
        },
    }
}

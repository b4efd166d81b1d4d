//! Turns the cached base root into this build's root tree: ZFS modules,
//! storaged and its units, overlays, and the read-only-root arrangements
//! (`/var` moved to a factory copy, machine-id kept under `/var`).
//!
//! Cheap by design: this and everything after it is what a change to
//! storaged alone re-runs.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use ironstor_contract::image;

use super::rootfs::{BaseRoot, ZfsModules};
use super::units::{self, UnitError};
use crate::formats::fsutil::copy_tree;
use crate::host::run::{Cmd, RunError};
use crate::profile::Profile;

/// Where the image keeps its pristine `/var`, for tmpfiles to copy from.
pub const FACTORY_VAR: &str = "usr/share/factory/var";
/// Units a package's postinst enables that the image keeps off: storaged
/// starts SSH only when the owner switches it on (`PUT /api/v1/ssh`).
pub const DISABLED_UNITS: [&str; 2] = ["ssh.service", "ssh.socket"];
/// Build-time state that means nothing on the appliance.
const VAR_DROP: [&str; 5] = ["lib/apt", "lib/dpkg", "cache/apt", "cache/debconf", "log"];

#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error("cannot unpack the base root")]
    Unpack(#[source] RunError),
    #[error("cannot add the ZFS modules")]
    Zfs(#[source] RunError),
    #[error(
        "kernel module {module:?} from the profile's kernel.modules is not in kernel {kernel}"
    )]
    UnknownModule { module: String, kernel: String },
    #[error("the binary {0} does not exist; build the workspace first (cargo build --release)")]
    NoStoraged(PathBuf),
    #[error(transparent)]
    Unit(#[from] UnitError),
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> AssembleError {
    let what = what.into();
    move |source| AssembleError::Io { what, source }
}

/// What assembly produces besides the root tree.
#[derive(Debug)]
pub struct Assembled {
    pub root: PathBuf,
    pub kernel: PathBuf,
    pub initrd: PathBuf,
}

pub struct Inputs<'a> {
    pub profile: &'a Profile,
    pub base: &'a BaseRoot,
    pub zfs: Option<&'a ZfsModules>,
    pub storaged: &'a Path,
    pub build_id: &'a str,
}

/// Builds the root tree under `work`.
pub fn assemble(inputs: &Inputs, work: &Path) -> Result<Assembled, AssembleError> {
    let profile = inputs.profile;
    let kver = &inputs.base.kernel_version;
    for bin in appliance_binaries(inputs.storaged) {
        if !bin.is_file() {
            return Err(AssembleError::NoStoraged(bin));
        }
    }
    let root = work.join("rootfs");
    if root.exists() {
        fs::remove_dir_all(&root).map_err(io(format!("cannot clear {}", root.display())))?;
    }
    fs::create_dir_all(&root).map_err(io("cannot create the root tree"))?;
    Cmd::new("tar")
        .args(["--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf"])
        .arg(&inputs.base.tarball)
        .arg("-C")
        .arg(&root)
        .run()
        .map_err(AssembleError::Unpack)?;

    // ZFS modules next to the kernel's own, then the module index.
    if let Some(zfs) = inputs.zfs {
        let dkms = root.join(format!("lib/modules/{kver}/updates/dkms"));
        fs::create_dir_all(&dkms).map_err(io("cannot create updates/dkms"))?;
        Cmd::new("tar")
            .arg("-xf")
            .arg(&zfs.tarball)
            .arg("-C")
            .arg(&dkms)
            .run()
            .map_err(AssembleError::Zfs)?;
        Cmd::new("chroot")
            .arg(&root)
            .args(["depmod", kver])
            .run()
            .map_err(AssembleError::Zfs)?;
    }
    check_modules(&root, kver, &profile.kernel.modules)?;

    // The kernel and initrd go to the ESP, not into the read-only root.
    let boot = work.join("boot");
    fs::create_dir_all(&boot).map_err(io("cannot create the boot directory"))?;
    let kernel = boot.join("vmlinuz");
    let initrd = boot.join("initrd.img");
    fs::rename(root.join(format!("boot/vmlinuz-{kver}")), &kernel)
        .map_err(io(format!("no kernel vmlinuz-{kver} in the base root")))?;
    fs::rename(root.join(format!("boot/initrd.img-{kver}")), &initrd)
        .map_err(io(format!("no initrd.img-{kver} in the base root")))?;
    for entry in fs::read_dir(root.join("boot")).map_err(io("cannot list /boot"))? {
        let path = entry.map_err(io("cannot list /boot"))?.path();
        let _ = fs::remove_file(&path).or_else(|_| fs::remove_dir_all(&path));
    }
    for link in ["vmlinuz", "vmlinuz.old", "initrd.img", "initrd.img.old"] {
        let _ = fs::remove_file(root.join(link));
    }

    // storaged, storagectl, ironstor-console and their units.
    for src in appliance_binaries(inputs.storaged) {
        let name = src
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        let bin = root.join("usr/bin").join(&name);
        fs::copy(&src, &bin).map_err(io(format!("cannot install {name}")))?;
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755))
            .map_err(io(format!("cannot install {name}")))?;
    }
    let unit_dir = root.join("usr/lib/systemd/system");
    let mut own_units = Vec::new();
    for entry in
        fs::read_dir(&profile.rootfs.units_dir).map_err(io("cannot read the units directory"))?
    {
        let path = entry.map_err(io("cannot read the units directory"))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        fs::copy(&path, unit_dir.join(name)).map_err(io(format!("cannot install unit {name}")))?;
        own_units.push(name.to_string());
    }

    for overlay in &profile.rootfs.overlays {
        copy_tree(overlay, &root)
            .map_err(io(format!("cannot copy overlay {}", overlay.display())))?;
    }
    write_generated(&root, profile, inputs.build_id)?;
    remove_ssh_host_keys(&root)?;
    for unit in DISABLED_UNITS {
        units::disable(&root, unit)?;
    }
    for unit in own_units.iter().chain(&profile.rootfs.enable_units) {
        units::enable(&root, unit)?;
    }
    // The console screen instead of a login prompt on the VGA console and
    // on every serial console of the command line (the setup token must
    // not show only on the last one, where the kernel puts /dev/console).
    for tty in units::console_ttys(&profile.kernel.command_line) {
        units::enable(&root, &format!("ironstor-console@{tty}.service"))?;
        for getty in ["getty", "serial-getty"] {
            units::mask(&root, &format!("{getty}@{tty}.service"))?;
        }
    }
    move_var_to_factory(&root)?;
    Ok(Assembled {
        root,
        kernel,
        initrd,
    })
}

/// The appliance's own programs: `storaged` as given, and `storagectl` and
/// `ironstor-console` from the same directory (cargo builds them side by
/// side).
pub fn appliance_binaries(storaged: &Path) -> [PathBuf; 3] {
    [
        storaged.to_path_buf(),
        storaged.with_file_name("storagectl"),
        storaged.with_file_name("ironstor-console"),
    ]
}

fn check_modules(root: &Path, kver: &str, modules: &[String]) -> Result<(), AssembleError> {
    let index = fs::read_to_string(root.join(format!("lib/modules/{kver}/modules.dep")))
        .map_err(io("cannot read modules.dep"))?;
    let builtin = fs::read_to_string(root.join(format!("lib/modules/{kver}/modules.builtin")))
        .unwrap_or_default();
    let known = |name: &str| {
        let file = name.replace('-', "_");
        index.lines().chain(builtin.lines()).any(|line| {
            let path = line.split(':').next().unwrap_or("");
            let base = path.rsplit('/').next().unwrap_or("");
            let stem = base.split(".ko").next().unwrap_or("").replace('-', "_");
            stem == file
        })
    };
    for module in modules {
        if !known(module) {
            return Err(AssembleError::UnknownModule {
                module: module.clone(),
                kernel: kver.to_string(),
            });
        }
    }
    Ok(())
}

/// Files that depend on the profile and the build.
fn write_generated(root: &Path, profile: &Profile, build_id: &str) -> Result<(), AssembleError> {
    let write = |rel: &str, text: String| -> Result<(), AssembleError> {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(io(format!("cannot create {}", parent.display())))?;
        }
        if fs::symlink_metadata(&path).is_ok() {
            fs::remove_file(&path).map_err(io(format!("cannot replace /{rel}")))?;
        }
        fs::write(&path, text).map_err(io(format!("cannot write /{rel}")))
    };
    write("etc/hostname", format!("{}\n", profile.image.hostname))?;
    write(
        "etc/fstab",
        "# The root is a read-only squashfs slot and /var the data partition;\n# the initramfs mounts both. Nothing else is mounted from here.\n".into(),
    )?;
    write(
        "etc/modules-load.d/ironstor.conf",
        format!(
            "# From the image profile's kernel.modules.\n{}\n",
            profile.kernel.modules.join("\n")
        ),
    )?;

    // Name the image in os-release (IMAGE_ID, IMAGE_VERSION, BUILD_ID).
    let os_release = root.join("usr/lib/os-release");
    let mut text =
        fs::read_to_string(&os_release).map_err(io("cannot read /usr/lib/os-release"))?;
    text.push_str(&format!(
        "{}={}\n{}={}\n{}={}\n",
        image::OS_RELEASE_IMAGE_ID,
        profile.image.name,
        image::OS_RELEASE_IMAGE_VERSION,
        profile.image.version,
        image::OS_RELEASE_BUILD_ID,
        build_id
    ));
    fs::write(&os_release, text).map_err(io("cannot write /usr/lib/os-release"))?;

    // The key update bundles must be signed with (none: every bundle is
    // refused, and storaged says why).
    if let Some((_, public)) = &profile.update.public_key {
        write(ironstor_contract::keys::IMAGE_PUBLIC_KEY, public.to_text())?;
    }

    // systemd writes the machine id through this link on first boot; the
    // initramfs has mounted /var (and made /var/lib) by then.
    let machine_id = root.join("etc/machine-id");
    let _ = fs::remove_file(&machine_id);
    symlink("/var/lib/machine-id", &machine_id).map_err(io("cannot link /etc/machine-id"))?;
    Ok(())
}

/// The SSH host keys in the tree: `/etc/ssh/ssh_host_*`.
pub fn ssh_host_keys(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let dir = root.join("etc/ssh");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut keys = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with("ssh_host_") {
            keys.push(entry.path());
        }
    }
    keys.sort();
    Ok(keys)
}

/// Deletes the host keys openssh-server's postinst made in the base root:
/// baked into the image, every box and every update bundle would share
/// them. storaged makes each box's own under `/var/lib/ssh` at first boot.
pub fn remove_ssh_host_keys(root: &Path) -> Result<(), AssembleError> {
    for key in ssh_host_keys(root).map_err(io("cannot list /etc/ssh"))? {
        fs::remove_file(&key).map_err(io(format!("cannot remove {}", key.display())))?;
    }
    Ok(())
}

/// Moves the image's `/var` to [`FACTORY_VAR`] and writes a tmpfiles.d rule
/// per entry so each is copied to the data partition when missing, on the
/// first boot and after an upgrade that brings new ones.
fn move_var_to_factory(root: &Path) -> Result<(), AssembleError> {
    let var = root.join("var");
    let factory = root.join(FACTORY_VAR);
    for drop in VAR_DROP {
        let path = var.join(drop);
        if path.exists() {
            fs::remove_dir_all(&path).map_err(io(format!("cannot drop /var/{drop}")))?;
        }
    }
    if let Some(parent) = factory.parent() {
        fs::create_dir_all(parent).map_err(io("cannot create /usr/share/factory"))?;
    }
    if factory.exists() {
        fs::remove_dir_all(&factory).map_err(io("cannot clear the factory /var"))?;
    }
    fs::rename(&var, &factory).map_err(io("cannot move /var to the factory copy"))?;
    fs::create_dir(&var).map_err(io("cannot recreate /var"))?;
    fs::set_permissions(&var, fs::Permissions::from_mode(0o755))
        .map_err(io("cannot chmod /var"))?;

    let rules = tmpfiles_rules(&factory).map_err(io("cannot list the factory /var"))?;
    let conf = root.join("usr/lib/tmpfiles.d/ironstor-var.conf");
    fs::write(&conf, rules).map_err(io("cannot write the /var tmpfiles rules"))
}

/// One `C` (copy if missing) line per entry of the factory `/var` and of
/// its `lib/`, `L` for symlinks.
pub fn tmpfiles_rules(factory: &Path) -> std::io::Result<String> {
    let mut lines = vec![
        "# Written by the ironstor builder: fill /var on the data partition from the".to_string(),
        "# image's factory copy; entries that exist are left alone.".to_string(),
    ];
    let mut entries = Vec::new();
    for top in fs::read_dir(factory)? {
        let top = top?;
        let name = top.file_name().to_string_lossy().into_owned();
        if name == "lib" {
            for sub in fs::read_dir(top.path())? {
                entries.push(format!("lib/{}", sub?.file_name().to_string_lossy()));
            }
        } else {
            entries.push(name);
        }
    }
    entries.sort();
    for rel in entries {
        let path = factory.join(&rel);
        let meta = fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path)?;
            lines.push(format!("L /var/{rel} - - - - {}", target.display()));
        } else {
            lines.push(format!("C /var/{rel} - - - - /{FACTORY_VAR}/{rel}"));
        }
    }
    Ok(lines.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfiles_rules_copy_each_entry_and_keep_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path();
        fs::create_dir_all(f.join("lib/nfs")).unwrap();
        fs::create_dir_all(f.join("lib/samba")).unwrap();
        fs::create_dir_all(f.join("spool")).unwrap();
        symlink("/run", f.join("run")).unwrap();
        let rules = tmpfiles_rules(f).unwrap();
        assert!(rules.contains("C /var/lib/nfs - - - - /usr/share/factory/var/lib/nfs\n"));
        assert!(rules.contains("C /var/lib/samba - - - - /usr/share/factory/var/lib/samba\n"));
        assert!(rules.contains("C /var/spool - - - - /usr/share/factory/var/spool\n"));
        assert!(rules.contains("L /var/run - - - - /run\n"));
        assert!(!rules.contains("C /var/lib -"));
    }

    #[test]
    fn ssh_host_keys_are_removed_and_the_rest_of_etc_ssh_kept() {
        let root = tempfile::tempdir().unwrap();
        let ssh = root.path().join("etc/ssh");
        fs::create_dir_all(&ssh).unwrap();
        for name in [
            "ssh_host_ed25519_key",
            "ssh_host_ed25519_key.pub",
            "ssh_host_rsa_key",
            "ssh_host_rsa_key.pub",
            "ssh_host_ecdsa_key",
            "sshd_config",
            "moduli",
        ] {
            fs::write(ssh.join(name), "x").unwrap();
        }
        assert_eq!(ssh_host_keys(root.path()).unwrap().len(), 5);
        remove_ssh_host_keys(root.path()).unwrap();
        assert!(ssh_host_keys(root.path()).unwrap().is_empty());
        assert!(ssh.join("sshd_config").is_file() && ssh.join("moduli").is_file());
        // A tree without openssh has nothing to remove.
        remove_ssh_host_keys(&root.path().join("nowhere")).unwrap();
    }

    #[test]
    fn the_overlay_points_sshd_at_storageds_dropin_and_ssh_is_disabled() {
        let overlay = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rootfs/overlay");
        let link = overlay.join("etc/ssh/sshd_config.d/ironstor.conf");
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("/run/storaged/ssh/sshd.conf")
        );
        assert!(DISABLED_UNITS.contains(&"ssh.service"));
        let packages = fs::read_to_string(overlay.join("../packages/base.list")).unwrap();
        assert!(packages.lines().any(|l| l.trim() == "openssh-server"));
    }

    #[test]
    fn unknown_kernel_modules_are_named() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("lib/modules/6.1.0");
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("modules.dep"),
            "kernel/drivers/nvme/host/nvme.ko.xz: kernel/drivers/nvme/host/nvme-core.ko.xz\nkernel/drivers/nvme/host/nvme-core.ko.xz:\nkernel/drivers/usb/storage/usb-storage.ko.xz:\n",
        )
        .unwrap();
        let ok = [
            "nvme".to_string(),
            "usb_storage".to_string(),
            "nvme-core".to_string(),
        ];
        check_modules(root.path(), "6.1.0", &ok).unwrap();
        let err = check_modules(root.path(), "6.1.0", &["hpsa".to_string()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "kernel module \"hpsa\" from the profile's kernel.modules is not in kernel 6.1.0"
        );
    }
}

//! Enabling systemd units in an image tree, offline: the symlinks
//! `systemctl enable` would make, from each unit's `[Install]` section.
//! Done here rather than through a chroot's systemctl so it is the same on
//! every host and testable on a plain directory.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// Where unit files are looked up in the image, most specific first.
const UNIT_DIRS: [&str; 3] = [
    "etc/systemd/system",
    "usr/lib/systemd/system",
    "lib/systemd/system",
];

#[derive(Debug, thiserror::Error)]
pub enum UnitError {
    #[error(
        "unit {0} is not in the image (looked in /etc/systemd/system and /usr/lib/systemd/system)"
    )]
    NotFound(String),
    #[error("unit {0} has no [Install] section with WantedBy=, RequiredBy= or Alias=: nothing would start it")]
    NotInstallable(String),
    #[error("cannot enable {unit}")]
    Io {
        unit: String,
        #[source]
        source: io::Error,
    },
}

/// The `[Install]` lines that matter for enabling.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Install {
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    pub alias: Vec<String>,
    /// A template's instance when it is enabled by its bare name.
    pub default_instance: Option<String>,
}

/// Parses the `[Install]` section of a unit file.
pub fn parse_install(text: &str) -> Install {
    let mut install = Install::default();
    let mut in_install = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_install = line == "[Install]";
            continue;
        }
        if !in_install || line.starts_with(['#', ';']) {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let list = match key.trim() {
            "DefaultInstance" => {
                install.default_instance = Some(value.trim().to_string());
                continue;
            }
            "WantedBy" => &mut install.wanted_by,
            "RequiredBy" => &mut install.required_by,
            "Alias" => &mut install.alias,
            _ => continue,
        };
        list.extend(value.split_whitespace().map(str::to_string));
    }
    install
}

fn find_unit(root: &Path, unit: &str) -> Option<(PathBuf, PathBuf)> {
    UNIT_DIRS.iter().find_map(|dir| {
        let path = root.join(dir).join(unit);
        path.is_file()
            .then(|| (path, Path::new("/").join(dir).join(unit)))
    })
}

/// `name@instance.service` -> (`name@.service`, `instance`); `None` for a
/// unit that is not a template's instance (the template itself included).
fn split_instance(unit: &str) -> Option<(String, &str)> {
    let (prefix, rest) = unit.split_once('@')?;
    let (instance, suffix) = rest.rsplit_once('.')?;
    (!instance.is_empty()).then(|| (format!("{prefix}@.{suffix}"), instance))
}

/// Enables `unit` in the image rooted at `root`, as `systemctl enable`
/// does: a template (`getty@.service`) by its `DefaultInstance=`, an
/// instance (`getty@ttyS1.service`) from its template's file.
pub fn enable(root: &Path, unit: &str) -> Result<(), UnitError> {
    // An instance's file is its template's (unless it has one of its own).
    let (file, target) = split_instance(unit)
        .and_then(|(template, _)| find_unit(root, &template))
        .or_else(|| find_unit(root, unit))
        .ok_or_else(|| UnitError::NotFound(unit.into()))?;
    let io_err = |source| UnitError::Io {
        unit: unit.to_string(),
        source,
    };
    let install = parse_install(&fs::read_to_string(&file).map_err(io_err)?);
    let unit = match (unit.contains("@."), &install.default_instance) {
        (true, Some(instance)) => unit.replacen("@.", &format!("@{instance}."), 1),
        (true, None) => return Err(UnitError::NotInstallable(unit.into())),
        (false, _) => unit.to_string(),
    };
    let unit = unit.as_str();
    let etc = root.join("etc/systemd/system");
    let mut links = Vec::new();
    for (targets, suffix) in [
        (&install.wanted_by, "wants"),
        (&install.required_by, "requires"),
    ] {
        for t in targets {
            links.push(etc.join(format!("{t}.{suffix}")).join(unit));
        }
    }
    for alias in &install.alias {
        links.push(etc.join(alias));
    }
    if links.is_empty() {
        return Err(UnitError::NotInstallable(unit.into()));
    }
    for link in links {
        fs::create_dir_all(link.parent().expect("joined")).map_err(io_err)?;
        if fs::symlink_metadata(&link).is_ok() {
            fs::remove_file(&link).map_err(io_err)?;
        }
        symlink(&target, &link).map_err(io_err)?;
    }
    Ok(())
}

/// Masks `unit` in the image (a link to `/dev/null` in
/// `/etc/systemd/system`), as `systemctl mask` does: nothing starts it,
/// whatever wants it.
pub fn mask(root: &Path, unit: &str) -> Result<(), UnitError> {
    let io_err = |source| UnitError::Io {
        unit: unit.to_string(),
        source,
    };
    let etc = root.join("etc/systemd/system");
    fs::create_dir_all(&etc).map_err(io_err)?;
    let link = etc.join(unit);
    if fs::symlink_metadata(&link).is_ok() {
        fs::remove_file(&link).map_err(io_err)?;
    }
    symlink("/dev/null", &link).map_err(io_err)
}

/// The terminals the console screen runs on for a kernel command line:
/// the VGA console `tty1` always (a monitor may be plugged in whatever the
/// command line says), and every serial `console=ttyS<n>[,options]`.
pub fn console_ttys(command_line: &[String]) -> Vec<String> {
    let mut ttys = vec!["tty1".to_string()];
    for word in command_line {
        let Some(device) = word.strip_prefix("console=") else {
            continue;
        };
        let device = device.split(',').next().unwrap_or("");
        let serial = device
            .strip_prefix("ttyS")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if serial && !ttys.iter().any(|t| t == device) {
            ttys.push(device.to_string());
        }
    }
    ttys
}

/// Undoes what enabling `unit` made in the image rooted at `root`: its
/// links in every `*.wants/` and `*.requires/` directory of
/// `/etc/systemd/system`, and its `Alias=` links there. For units a
/// package's postinst enables that the image wants off until asked (Debian
/// enables `ssh.service`). A unit that is not in the image has nothing to
/// undo; a masked one (a link to `/dev/null`) stays masked.
pub fn disable(root: &Path, unit: &str) -> Result<(), UnitError> {
    let io_err = |source| UnitError::Io {
        unit: unit.to_string(),
        source,
    };
    let etc = root.join("etc/systemd/system");
    let Ok(entries) = fs::read_dir(&etc) else {
        return Ok(());
    };
    for entry in entries {
        let dir = entry.map_err(io_err)?.path();
        let wants = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".wants") || n.ends_with(".requires"));
        let link = dir.join(unit);
        if wants && fs::symlink_metadata(&link).is_ok() {
            fs::remove_file(&link).map_err(io_err)?;
        }
    }
    if let Some((file, _)) = find_unit(root, unit) {
        let install = parse_install(&fs::read_to_string(&file).map_err(io_err)?);
        for alias in &install.alias {
            let link = etc.join(alias);
            let is_link = fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink());
            if is_link && fs::read_link(&link).is_ok_and(|t| t != Path::new("/dev/null")) {
                fs::remove_file(&link).map_err(io_err)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_the_install_section() {
        let text = "[Unit]\nWantedBy=nope.target\n[Install]\nWantedBy=multi-user.target  sockets.target\n# WantedBy=x\nAlias=dbus-x.service\n";
        let i = parse_install(text);
        assert_eq!(i.wanted_by, ["multi-user.target", "sockets.target"]);
        assert_eq!(i.alias, ["dbus-x.service"]);
        assert!(i.required_by.is_empty());
    }

    #[test]
    fn enable_links_into_the_wants_directory() {
        let root = tempfile::tempdir().unwrap();
        let lib = root.path().join("usr/lib/systemd/system");
        fs::create_dir_all(&lib).unwrap();
        fs::write(
            lib.join("storaged.service"),
            "[Service]\nExecStart=/x\n[Install]\nWantedBy=multi-user.target\n",
        )
        .unwrap();
        fs::write(lib.join("static.service"), "[Service]\nExecStart=/x\n").unwrap();
        enable(root.path(), "storaged.service").unwrap();
        let link = root
            .path()
            .join("etc/systemd/system/multi-user.target.wants/storaged.service");
        assert_eq!(
            fs::read_link(link).unwrap(),
            Path::new("/usr/lib/systemd/system/storaged.service")
        );
        assert!(matches!(
            enable(root.path(), "static.service"),
            Err(UnitError::NotInstallable(_))
        ));
        assert!(matches!(
            enable(root.path(), "gone.service"),
            Err(UnitError::NotFound(_))
        ));
    }

    #[test]
    fn templates_enable_their_default_instance_or_the_one_named() {
        let root = tempfile::tempdir().unwrap();
        let lib = root.path().join("usr/lib/systemd/system");
        fs::create_dir_all(&lib).unwrap();
        fs::write(
            lib.join("ironstor-console@.service"),
            "[Service]\nExecStart=/x\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n",
        )
        .unwrap();
        fs::write(
            lib.join("plain@.service"),
            "[Service]\nExecStart=/x\n[Install]\nWantedBy=multi-user.target\n",
        )
        .unwrap();
        enable(root.path(), "ironstor-console@.service").unwrap();
        enable(root.path(), "ironstor-console@ttyS1.service").unwrap();
        let wants = root.path().join("etc/systemd/system/getty.target.wants");
        let mut names: Vec<String> = fs::read_dir(&wants)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "ironstor-console@tty1.service",
                "ironstor-console@ttyS1.service"
            ]
        );
        assert_eq!(
            fs::read_link(wants.join("ironstor-console@ttyS1.service")).unwrap(),
            Path::new("/usr/lib/systemd/system/ironstor-console@.service")
        );
        assert!(matches!(
            enable(root.path(), "plain@.service"),
            Err(UnitError::NotInstallable(_))
        ));
        assert!(matches!(
            enable(root.path(), "gone@tty1.service"),
            Err(UnitError::NotFound(_))
        ));
    }

    #[test]
    fn masks_link_to_dev_null() {
        let root = tempfile::tempdir().unwrap();
        mask(root.path(), "getty@tty1.service").unwrap();
        mask(root.path(), "getty@tty1.service").unwrap();
        assert_eq!(
            fs::read_link(root.path().join("etc/systemd/system/getty@tty1.service")).unwrap(),
            Path::new("/dev/null")
        );
    }

    #[test]
    fn the_console_runs_on_tty1_and_every_serial_console() {
        let words = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            console_ttys(&words("console=tty0 console=ttyS1,115200n8 panic=10")),
            ["tty1", "ttyS1"]
        );
        assert_eq!(
            console_ttys(&words("console=ttyS0,115200 console=ttyS0 console=ttyUSB0")),
            ["tty1", "ttyS0"]
        );
        assert_eq!(console_ttys(&words("quiet console=ttyS")), ["tty1"]);
    }

    #[test]
    fn disable_removes_what_a_postinst_enabled_and_keeps_masks() {
        let root = tempfile::tempdir().unwrap();
        let lib = root.path().join("usr/lib/systemd/system");
        fs::create_dir_all(&lib).unwrap();
        fs::write(
            lib.join("ssh.service"),
            "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n",
        )
        .unwrap();
        enable(root.path(), "ssh.service").unwrap();
        let etc = root.path().join("etc/systemd/system");
        // A second, hand-made link elsewhere goes too.
        fs::create_dir_all(etc.join("graphical.target.wants")).unwrap();
        symlink(
            "/usr/lib/systemd/system/ssh.service",
            etc.join("graphical.target.wants/ssh.service"),
        )
        .unwrap();
        symlink("/dev/null", etc.join("nmbd.service")).unwrap();
        disable(root.path(), "ssh.service").unwrap();
        for gone in [
            "multi-user.target.wants/ssh.service",
            "graphical.target.wants/ssh.service",
            "sshd.service",
        ] {
            assert!(
                fs::symlink_metadata(etc.join(gone)).is_err(),
                "{gone} remains"
            );
        }
        assert!(lib.join("ssh.service").is_file());
        disable(root.path(), "nmbd.service").unwrap();
        assert_eq!(
            fs::read_link(etc.join("nmbd.service")).unwrap(),
            Path::new("/dev/null")
        );
        disable(root.path(), "absent.service").unwrap();
    }
}

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

/// Enables `unit` in the image rooted at `root`.
pub fn enable(root: &Path, unit: &str) -> Result<(), UnitError> {
    let (file, target) = find_unit(root, unit).ok_or_else(|| UnitError::NotFound(unit.into()))?;
    let io_err = |source| UnitError::Io {
        unit: unit.to_string(),
        source,
    };
    let install = parse_install(&fs::read_to_string(&file).map_err(io_err)?);
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

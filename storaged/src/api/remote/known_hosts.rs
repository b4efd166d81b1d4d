//! `~/.config/ironstor/known_hosts`: the certificate fingerprint pinned for
//! each appliance on first use, as ssh keeps host keys. One line per host,
//! `host fingerprint`; `#` comments and blank lines are kept as they are.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::tls::fingerprint;

/// The file under the configuration directory (`$XDG_CONFIG_HOME`, else
/// `~/.config`).
pub const RELATIVE_PATH: &str = "ironstor/known_hosts";

#[derive(Debug, thiserror::Error)]
pub enum KnownHostsError {
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}, line {line}: expected `host fingerprint`, found {text:?}", .path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("no configuration directory: neither XDG_CONFIG_HOME nor HOME is set")]
    NoConfigDir,
}

/// One pinned host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub host: String,
    pub fingerprint: String,
    /// 1-based, for "remove line N".
    pub line: usize,
}

/// The pins of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHosts {
    pub path: PathBuf,
    pub pins: Vec<Pin>,
}

/// `$XDG_CONFIG_HOME/ironstor/known_hosts`, else `$HOME/.config/...`.
pub fn default_path() -> Result<PathBuf, KnownHostsError> {
    path_from(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
}

/// [`default_path`] from those two variables: an empty or relative
/// `XDG_CONFIG_HOME` is ignored, as the XDG spec says.
fn path_from(
    xdg_config_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Result<PathBuf, KnownHostsError> {
    let config = xdg_config_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })
        .ok_or(KnownHostsError::NoConfigDir)?;
    Ok(config.join(RELATIVE_PATH))
}

impl KnownHosts {
    /// Reads the file; a missing one has no pins.
    pub fn load(path: &Path) -> Result<KnownHosts, KnownHostsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(KnownHostsError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let mut pins = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let parsed = match (words.next(), words.next(), words.next()) {
                (Some(host), Some(fp), None) => fingerprint::normalise(fp).map(|fp| Pin {
                    host: host.to_string(),
                    fingerprint: fp,
                    line: i + 1,
                }),
                _ => None,
            };
            pins.push(parsed.ok_or_else(|| KnownHostsError::Parse {
                path: path.to_path_buf(),
                line: i + 1,
                text: raw.to_string(),
            })?);
        }
        Ok(KnownHosts {
            path: path.to_path_buf(),
            pins,
        })
    }

    /// The pin of `host` (its first line, as ssh reads).
    pub fn find(&self, host: &str) -> Option<&Pin> {
        self.pins.iter().find(|p| p.host.eq_ignore_ascii_case(host))
    }

    /// Appends `host fingerprint`, creating the file (0600) and its
    /// directory (0700) when missing.
    pub fn add(&mut self, host: &str, fingerprint: &str) -> Result<Pin, KnownHostsError> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let err = |source| KnownHostsError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(err)?;
        }
        let existing = std::fs::read(&self.path).unwrap_or_default();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(err)?;
        let mut line = String::new();
        if !existing.is_empty() && !existing.ends_with(b"\n") {
            line.push('\n');
        }
        line.push_str(&format!("{host} {fingerprint}\n"));
        file.write_all(line.as_bytes()).map_err(err)?;
        let number = existing.iter().filter(|b| **b == b'\n').count()
            + usize::from(!existing.is_empty() && !existing.ends_with(b"\n"))
            + 1;
        let pin = Pin {
            host: host.to_string(),
            fingerprint: fingerprint.to_string(),
            line: number,
        };
        self.pins.push(pin.clone());
        Ok(pin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55";

    #[test]
    fn xdg_config_home_comes_first_when_absolute() {
        let os = |s: &str| Some(std::ffi::OsString::from(s));
        assert_eq!(
            path_from(os("/x/cfg"), os("/home/a")).unwrap(),
            Path::new("/x/cfg/ironstor/known_hosts")
        );
        assert_eq!(
            path_from(os("relative"), os("/home/a")).unwrap(),
            Path::new("/home/a/.config/ironstor/known_hosts")
        );
        assert_eq!(
            path_from(None, os("/home/a")).unwrap(),
            Path::new("/home/a/.config/ironstor/known_hosts")
        );
        assert!(path_from(os(""), None).is_err());
    }

    #[test]
    fn pins_are_added_found_by_line_and_bad_lines_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ironstor/known_hosts");
        let mut known = KnownHosts::load(&path).unwrap();
        assert!(known.pins.is_empty());
        let first = known.add("box:8443", FP).unwrap();
        assert_eq!(first.line, 1);
        std::fs::write(
            &path,
            format!("# mine\nbox:8443 {FP}\n\nnas {}", FP.replace(':', "")),
        )
        .unwrap();
        let mut known = KnownHosts::load(&path).unwrap();
        assert_eq!(known.find("BOX:8443").unwrap().line, 2);
        assert_eq!(known.find("nas").unwrap().fingerprint, FP);
        assert!(known.find("other").is_none());
        let added = known.add("other", FP).unwrap();
        assert_eq!(added.line, 5);
        let again = KnownHosts::load(&path).unwrap();
        assert_eq!(again.find("other").unwrap().line, 5);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");

        std::fs::write(&path, "box\n").unwrap();
        let err = KnownHosts::load(&path).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}

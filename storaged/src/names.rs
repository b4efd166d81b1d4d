//! Validated names, parsed once at the edge (API, CLI, state file): nothing
//! inside storaged puts a raw string on a command line or into a config
//! file.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct NameError {
    pub kind: &'static str,
    pub value: String,
    pub reason: &'static str,
}

/// Defines a validated string type: `FromStr`/`TryFrom<String>` check it
/// with `$check`, serde reads and writes it as a checked string. Other
/// modules with names of their own (samba) use it too.
macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $check:path) => {
        $(#[$doc])*
        ///
        /// In JSON it is a plain string, checked again when read back.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// For tests of the checks behind this one (LIO's backing
            /// path, say): a value this type would refuse.
            #[cfg(test)]
            #[allow(dead_code)]
            pub(crate) fn unchecked(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl FromStr for $name {
            type Err = $crate::names::NameError;
            fn from_str(s: &str) -> Result<Self, $crate::names::NameError> {
                $check(s).map_err(|reason| $crate::names::NameError {
                    kind: $kind,
                    value: s.to_string(),
                    reason,
                })?;
                Ok($name(s.to_string()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::names::NameError;
            fn try_from(s: String) -> Result<Self, $crate::names::NameError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

pub(crate) use name_type;

name_type!(
    /// A ZFS pool name: starts with a letter; letters, digits, `_ - . :`;
    /// not a name ZFS reserves (`mirror`, `raidz…`, `draid…`, `spare`, `log`).
    PoolName,
    "pool name",
    check_pool
);
name_type!(
    /// A dataset or zvol below a pool: `pool/a/b`, components of letters,
    /// digits and `_ - . :`.
    DatasetName,
    "dataset name",
    check_dataset
);
name_type!(
    /// A snapshot: `pool/a@name`.
    SnapshotName,
    "snapshot name",
    check_snapshot
);
name_type!(
    /// A disk's stable name: the file name of its `/dev/disk/by-id` link,
    /// e.g. `nvme-Samsung_SSD_970_EVO_1TB_S467NX0M123456`. Never `nvme0n1`.
    DiskId,
    "disk id",
    check_disk_id
);

fn component_ok(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 200
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "_-.:".contains(ch))
}

/// ZFS's own limit on a whole name (`ZFS_MAX_DATASET_NAME_LEN`, 256 with
/// the NUL): a dataset or snapshot name has at most 255 bytes.
const MAX_NAME_LEN: usize = 255;

/// What ZFS's `entity_namecheck` refuses in one component beyond its
/// characters: empty, `.` and `..`. A `..` would make `/dev/zvol/<name>`
/// or `<mount base>/<name>` point outside the pool (`tank/../../sda` is
/// `/dev/sda`), so it is refused here rather than left to ZFS.
fn check_component(part: &str) -> Result<(), &'static str> {
    match part {
        "" => Err("has an empty component (// or a / at either end)"),
        "." => Err("has a \".\" component (a self reference), which ZFS refuses"),
        ".." => Err("has a \"..\" component (a parent reference), which ZFS refuses"),
        _ if component_ok(part) => Ok(()),
        _ => Err("each /-separated part needs letters, digits or _ - . :"),
    }
}

fn check_pool(s: &str) -> Result<(), &'static str> {
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("must start with a letter");
    }
    if !component_ok(s) {
        return Err("only letters, digits and _ - . : are allowed");
    }
    let reserved = [
        "mirror", "raidz", "draid", "spare", "log", "cache", "special", "dedup",
    ];
    if reserved.iter().any(|r| s.starts_with(r)) {
        return Err("names starting with mirror, raidz, draid, spare, log, cache, special or dedup are reserved by ZFS");
    }
    Ok(())
}

fn check_dataset(s: &str) -> Result<(), &'static str> {
    if s.len() > MAX_NAME_LEN {
        return Err("longer than ZFS's 255 characters");
    }
    let mut parts = s.split('/');
    let pool = parts.next().unwrap_or("");
    check_pool(pool).map_err(|_| "must start with a valid pool name")?;
    let mut n = 0;
    for part in parts {
        check_component(part)?;
        n += 1;
    }
    if n == 0 {
        return Err("must name something below the pool, e.g. tank/vm1");
    }
    Ok(())
}

fn check_snapshot(s: &str) -> Result<(), &'static str> {
    if s.len() > MAX_NAME_LEN {
        return Err("longer than ZFS's 255 characters, dataset and @ included");
    }
    let (dataset, snap) = s.split_once('@').ok_or("must be dataset@name")?;
    if snap.contains('@') {
        return Err("has more than one @");
    }
    if check_pool(dataset).is_err() {
        // The dataset's own reason (a `..` component, say) says more than
        // "not a pool or dataset".
        check_dataset(dataset).map_err(|reason| match reason {
            "must start with a valid pool name"
            | "must name something below the pool, e.g. tank/vm1" => {
                "the part before @ must be a pool or dataset name"
            }
            other => other,
        })?;
    }
    match snap {
        "." => Err("the part after @ is \".\" (a self reference), which ZFS refuses"),
        ".." => Err("the part after @ is \"..\" (a parent reference), which ZFS refuses"),
        _ if component_ok(snap) => Ok(()),
        _ => Err("the part after @ needs letters, digits or _ - . :"),
    }
}

/// Whether `s` is an absolute path in normal form: not `/` alone, no
/// empty, `.` or `..` component (so no `//` and no trailing `/`).
/// `Path::components` cannot tell: it drops inner `.` components, so
/// `/mnt/./etc` and `/mnt/tank/.` look normal to it.
pub fn is_normal_absolute_path(s: &str) -> bool {
    s.strip_prefix('/')
        .is_some_and(|rest| rest.split('/').all(|c| !["", ".", ".."].contains(&c)))
}

fn check_disk_id(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 255 {
        return Err("must be 1-255 characters");
    }
    if s.contains('/') || s == "." || s == ".." {
        return Err("must be a /dev/disk/by-id file name, not a path");
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.:+".contains(c))
    {
        return Err("only letters, digits and _ - . : + are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_good_names() {
        assert!("tank".parse::<PoolName>().is_ok());
        assert!("tank/vm/esx-01".parse::<DatasetName>().is_ok());
        assert!("tank/vm@before-upgrade".parse::<SnapshotName>().is_ok());
        assert!("nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000"
            .parse::<DiskId>()
            .is_ok());
    }

    #[test]
    fn names_are_json_strings_checked_on_the_way_in() {
        let pool: PoolName = "tank".parse().unwrap();
        assert_eq!(serde_json::to_string(&pool).unwrap(), "\"tank\"");
        let back: PoolName = serde_json::from_str("\"tank\"").unwrap();
        assert_eq!(back, pool);
        let err = serde_json::from_str::<PoolName>("\"tank;rm\"").unwrap_err();
        assert!(err.to_string().contains("invalid pool name"), "{err}");
    }

    #[test]
    fn rejects_bad_names_with_reasons() {
        for bad in ["", "1tank", "mirror0", "ta nk", "tank;rm"] {
            assert!(bad.parse::<PoolName>().is_err(), "{bad:?}");
        }
        for bad in ["tank", "tank/", "tank//x", "tank/a b", "/tank/x"] {
            assert!(bad.parse::<DatasetName>().is_err(), "{bad:?}");
        }
        for bad in ["nvme0n1/x", "..", "", "a b"] {
            assert!(bad.parse::<DiskId>().is_err(), "{bad:?}");
        }
        let err = "tank@".parse::<SnapshotName>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid snapshot name \"tank@\": the part after @ needs letters, digits or _ - . :"
        );
    }

    /// The probe's `tank/../../sda` was served as `/dev/sda`: ZFS refuses
    /// `.` and `..` components (`entity_namecheck`), and so do we, naming
    /// the component.
    #[test]
    fn refuses_self_and_parent_references_like_zfs() {
        for (bad, why) in [
            ("tank/../../sda", "\"..\" component"),
            ("tank/..", "\"..\" component"),
            ("tank/vm/..", "\"..\" component"),
            ("tank/./vm", "\".\" component"),
            ("tank/.", "\".\" component"),
            ("tank/a//b", "empty component"),
            ("tank/a/", "empty component"),
        ] {
            let err = bad.parse::<DatasetName>().unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        for (bad, why) in [
            ("tank/../x@snap", "\"..\" component"),
            ("tank/.@snap", "\".\" component"),
            ("tank/vm@..", "after @ is \"..\""),
            ("tank/vm@.", "after @ is \".\""),
            ("tank/vm@a@b", "more than one @"),
            ("tank/vm@", "after @ needs"),
            ("@snap", "pool or dataset name"),
        ] {
            let err = bad.parse::<SnapshotName>().unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        // Dots inside a component are fine, in ZFS as here.
        for good in [
            "tank/..a",
            "tank/a.b/.c",
            "tank/...",
            "tank/v@.x",
            "tank@...",
        ] {
            assert!(
                good.parse::<DatasetName>().is_ok() || good.parse::<SnapshotName>().is_ok(),
                "{good:?}"
            );
        }
    }

    /// ZFS refuses a name of 256 bytes or more, snapshots included.
    #[test]
    fn whole_names_are_at_most_255_bytes() {
        let ds = format!("tank/{}/{}", "a".repeat(125), "b".repeat(124));
        assert_eq!(ds.len(), 255);
        assert!(ds.parse::<DatasetName>().is_ok());
        assert!(format!("{ds}c").parse::<DatasetName>().is_err());
        let snap = format!("tank/{}@{}", "a".repeat(125), "s".repeat(124));
        assert_eq!(snap.len(), 255);
        assert!(snap.parse::<SnapshotName>().is_ok());
        let err = format!("{snap}t").parse::<SnapshotName>().unwrap_err();
        assert!(err.to_string().contains("255"), "{err}");
    }
}

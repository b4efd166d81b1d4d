//! The names real `zfs` and `zpool` refuse, with the words they print:
//! OpenZFS's `entity_namecheck` and `pool_namecheck`
//! (`module/zcommon/zfs_namecheck.c`) and libzfs's `zfs_validate_name`
//! and `zpool_name_valid`. The fake must refuse at least this much, so a
//! test cannot pass only because the fake is laxer than ZFS (storaged's
//! own checks in `names` are stricter still).

/// `ZFS_MAX_DATASET_NAME_LEN`: names must be shorter (the NUL counts).
const MAX_NAME_LEN: usize = 256;
/// `"$ORIGIN"`: a pool's name leaves room for `pool/$ORIGIN@$ORIGIN`.
const ORIGIN_DIR_NAME: &str = "$ORIGIN";

/// ZFS's `valid_char`: note that it allows a blank.
fn valid_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-_.: ".contains(&c)
}

/// `entity_namecheck` without bookmarks, worded as libzfs words it.
fn entity(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    if bytes.len() >= MAX_NAME_LEN {
        return Err("name is too long".into());
    }
    if bytes.first() == Some(&b'/') {
        return Err("leading slash in name".into());
    }
    if bytes.is_empty() {
        return Err(empty());
    }
    if name.ends_with('/') {
        return Err("trailing slash in name".into());
    }
    let mut found_at = false;
    let mut start = 0;
    loop {
        let end = bytes[start..]
            .iter()
            .position(|b| *b == b'/' || *b == b'@' || *b == b'#')
            .map_or(bytes.len(), |i| start + i);
        let component = &bytes[start..end];
        if let Some(c) = component.iter().find(|c| !valid_char(**c) && **c != b'%') {
            return Err(format!("invalid character '{}' in name", char::from(*c)));
        }
        let delim = bytes.get(end).copied();
        if delim != Some(b'@') && delim != Some(b'#') {
            if component == b"." {
                return Err("self reference, '.' is found in name".into());
            }
            if component == b".." {
                return Err("parent reference, '..' is found in name".into());
            }
        }
        if delim == Some(b'@') || delim == Some(b'#') {
            if found_at {
                return Err("multiple '@' and/or '#' delimiters in name".into());
            }
            found_at = true;
        }
        if component.is_empty() {
            return Err(empty());
        }
        match delim {
            None => return Ok(()),
            Some(b'/') if found_at => return Err("trailing slash in name".into()),
            _ => start = end + 1,
        }
    }
}

fn empty() -> String {
    "empty component or misplaced '@' or '#' delimiter in name".into()
}

/// What `zfs` checks before it creates, or opens, `name`: `snapshot` says
/// whether a snapshot is expected (`Some`) or either is fine (`None`);
/// `modifying` refuses the `%` ZFS keeps for its temporary clones. The
/// error is the text after `cannot <verb> '<name>': `.
pub(super) fn dataset(name: &str, snapshot: Option<bool>, modifying: bool) -> Result<(), String> {
    match snapshot {
        Some(false) if name.contains('@') => {
            return Err("snapshot delimiter '@' is not expected here".into())
        }
        Some(true) if !name.contains('@') => {
            return Err("missing '@' delimiter in snapshot name".into())
        }
        _ => {}
    }
    if name.contains('#') {
        return Err("bookmark delimiter '#' is not expected here".into());
    }
    entity(name)?;
    if modifying && name.contains('%') {
        return Err("invalid character '%' in name".into());
    }
    Ok(())
}

/// `zpool_name_valid` for a pool being created or imported.
pub(super) fn pool(name: &str) -> Result<(), String> {
    if name.len() >= MAX_NAME_LEN - 2 - ORIGIN_DIR_NAME.len() * 2 {
        return Err("name is too long".into());
    }
    if let Some(c) = name.bytes().find(|c| !valid_char(*c)) {
        return Err(format!(
            "invalid character '{}' in pool name",
            char::from(c)
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("name must begin with a letter".into());
    }
    let reserved = ["mirror", "raidz", "draid", "spare"]
        .iter()
        .any(|r| name.starts_with(r))
        || name == "log";
    if reserved {
        return Err("name is reserved".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_zfs_namecheck_refuses() {
        for (name, why) in [
            ("tank/../../sda", "parent reference, '..' is found in name"),
            ("tank/..", "parent reference"),
            ("tank/./a", "self reference, '.' is found in name"),
            ("tank/a@.", "self reference"),
            ("tank/a@..", "parent reference"),
            ("tank//a", "empty component"),
            ("tank/a/", "trailing slash in name"),
            ("/tank/a", "leading slash in name"),
            ("tank/a@b@c", "multiple '@'"),
            ("tank/a@b/c", "trailing slash in name"),
            ("tank/a;b", "invalid character ';' in name"),
            ("tank/a#b", "bookmark delimiter"),
        ] {
            let e = dataset(name, None, true).expect_err(name);
            assert!(e.contains(why), "{name}: {e}");
        }
        let long = format!("tank/{}", "a".repeat(251));
        assert_eq!(dataset(&long, None, true).unwrap_err(), "name is too long");
        assert!(dataset(&long[..255], None, true).is_ok());
        assert!(dataset("tank/a%b", None, true).is_err());
        assert!(dataset("tank/a%b", None, false).is_ok());
        // ZFS allows what storaged does not: blanks and dots inside names.
        for ok in ["tank/a b", "tank/..a", "tank/a.@b.", "tank/%recv"] {
            assert!(dataset(ok, None, false).is_ok(), "{ok}");
        }
        assert!(dataset("tank/a@b", Some(false), true).is_err());
        assert!(dataset("tank/a", Some(true), true).is_err());
    }

    #[test]
    fn refuses_what_zpool_name_valid_refuses() {
        for (name, why) in [
            ("mirror2", "reserved"),
            ("log", "reserved"),
            ("1tank", "begin with a letter"),
            ("tank/a", "invalid character '/' in pool name"),
        ] {
            let e = pool(name).expect_err(name);
            assert!(e.contains(why), "{name}: {e}");
        }
        assert!(pool("logs").is_ok());
        assert!(pool(&"t".repeat(239)).is_ok());
        assert!(pool(&"t".repeat(240)).is_err());
    }
}

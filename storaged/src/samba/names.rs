//! Validated names and text that end up in `smb.conf` or on a command line.

use std::fmt;
use std::str::FromStr;

use crate::names::name_type;

/// Samba's names fail with the crate's one name error.
pub use crate::names::NameError as SambaNameError;

name_type!(
    /// An SMB share name: 1-80 characters, none of `\ / : * ? " < > | [ ]
    /// + = ; , %` or control characters, no leading or trailing blank, and
    /// not one Samba reserves (`global`, `homes`, `printers`, `print$`,
    /// `ipc$`). A trailing `$` hides the share from browsing, as on Windows.
    /// Samba compares share names without regard to case.
    ShareName,
    "share name",
    check_share
);
name_type!(
    /// A Samba user or group: a Unix account name as Debian's `adduser`
    /// accepts it: 1-32 characters, a lowercase letter or `_` first, then
    /// lowercase letters, digits, `_` or `-`.
    AccountName,
    "account name",
    check_account
);
name_type!(
    /// The NetBIOS workgroup: 1-15 letters, digits, `-`, `_` or `.`.
    Workgroup,
    "workgroup",
    check_workgroup
);

fn check_share(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.chars().count() > 80 {
        return Err("must be 1-80 characters");
    }
    if s.chars()
        .any(|c| c.is_control() || "\\/:*?\"<>|[]+=;,%".contains(c))
    {
        return Err("must not contain \\ / : * ? \" < > | [ ] + = ; , % or control characters");
    }
    if s.trim() != s {
        return Err("must not start or end with a blank");
    }
    let lower = s.to_lowercase();
    if ["global", "homes", "printers", "print$", "ipc$"].contains(&lower.as_str()) {
        return Err("is reserved by Samba");
    }
    Ok(())
}

fn check_account(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 32 {
        return Err("must be 1-32 characters");
    }
    if !s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        return Err("must start with a lowercase letter or _");
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err("only lowercase letters, digits, _ and - are allowed");
    }
    Ok(())
}

fn check_workgroup(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 15 {
        return Err("must be 1-15 characters");
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err("only letters, digits, - _ and . are allowed");
    }
    Ok(())
}

/// Free text for `comment` and `server string`: one line, at most 256
/// characters, no `%` (Samba would expand it as a variable), no leading or
/// trailing blank (Samba strips them) and no trailing `\` (a line
/// continuation).
pub(super) fn check_text(s: &str) -> Result<(), &'static str> {
    if s.chars().count() > 256 {
        return Err("longer than 256 characters");
    }
    if s.chars().any(char::is_control) {
        return Err("must be one line without control characters");
    }
    if s.contains('%') {
        return Err("must not contain % (Samba expands %-variables)");
    }
    if s.trim() != s || s.ends_with('\\') {
        return Err("must not start or end with a blank, or end with \\");
    }
    Ok(())
}

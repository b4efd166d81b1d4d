//! iSCSI qualified names (RFC 3720 §3.2.6.3.1, RFC 3722).

use std::fmt;
use std::str::FromStr;

use crate::names::NameError;

/// An iSCSI qualified name: `iqn.YYYY-MM.reverse.domain[:suffix]`.
///
/// RFC 3722 normalises names to lowercase and initiators send them that
/// way; LIO compares initiator names byte for byte (`strcmp`), so an ACL
/// with an uppercase letter would never match. We refuse uppercase rather
/// than fold it silently, so what the admin typed is what the kernel gets.
/// At most 223 bytes (RFC 3720); only `a-z 0-9 - . :` after the prefix.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Iqn(String);

impl Iqn {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_iqn(s: &str) -> Result<(), &'static str> {
    if s.len() > 223 {
        return Err("longer than the 223 bytes RFC 3720 allows");
    }
    if s.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("must be lowercase (RFC 3722 normalises names to lowercase)");
    }
    // Before any slicing by byte offset: a multi-byte character would put
    // an offset inside it (the probe's panic). Everything allowed below is
    // ASCII anyway.
    if !s.is_ascii() {
        return Err(
            "may hold only ASCII: iqn.YYYY-MM.reverse.domain[:suffix] with a-z, 0-9, - . :",
        );
    }
    let rest = s
        .strip_prefix("iqn.")
        .ok_or("must start with iqn. (iqn.YYYY-MM.reverse.domain[:suffix])")?;
    let (date, after) = rest
        .split_at_checked(7)
        .ok_or("must have a date iqn.YYYY-MM.")?;
    let date = date.as_bytes();
    if !date[..4].iter().all(u8::is_ascii_digit)
        || date[4] != b'-'
        || !date[5..].iter().all(u8::is_ascii_digit)
    {
        return Err("the date after iqn. must be YYYY-MM");
    }
    let month = (date[5] - b'0') * 10 + (date[6] - b'0');
    if !(1..=12).contains(&month) {
        return Err("the month in the date must be 01-12");
    }
    let after = after
        .strip_prefix('.')
        .ok_or("the date must be followed by .reverse.domain")?;
    let (domain, suffix) = match after.split_once(':') {
        Some((d, s)) => (d, Some(s)),
        None => (after, None),
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the naming authority must be a reversed domain such as com.example");
    }
    for label in labels {
        if label.is_empty()
            || label.starts_with('-')
            || label.ends_with('-')
            || !label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("each domain label needs a-z, 0-9 or inner -");
        }
    }
    if let Some(suffix) = suffix {
        if suffix.is_empty() {
            return Err("the part after : must not be empty");
        }
        if !suffix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.:".contains(c))
        {
            return Err("the part after : may hold only a-z, 0-9, - . :");
        }
    }
    Ok(())
}

impl FromStr for Iqn {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        check_iqn(s).map_err(|reason| NameError {
            kind: "iSCSI name",
            value: s.to_string(),
            reason,
        })?;
        Ok(Iqn(s.to_string()))
    }
}

impl TryFrom<String> for Iqn {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        s.parse()
    }
}

impl From<Iqn> for String {
    fn from(n: Iqn) -> String {
        n.0
    }
}

impl fmt::Display for Iqn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

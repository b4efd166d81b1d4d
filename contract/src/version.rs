//! Image versions: `MAJOR.MINOR.PATCH` with an optional `-suffix`, ordered
//! numerically; a suffixed version sorts before the same version without
//! one (`1.2.0-rc1 < 1.2.0`), as in SemVer.

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub numbers: [u64; 3],
    pub suffix: Option<String>,
    text: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a version: expected MAJOR.MINOR.PATCH, e.g. \"1.4.0\"")]
pub struct BadVersion(pub String);

impl Version {
    pub fn parse(text: &str) -> Result<Version, BadVersion> {
        let bad = || BadVersion(text.to_string());
        let (core, suffix) = match text.split_once(['-', '+']) {
            Some((core, suffix)) => (core, Some(suffix.to_string())),
            None => (text, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() != 3 || suffix.as_deref() == Some("") {
            return Err(bad());
        }
        let mut numbers = [0u64; 3];
        for (n, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            *n = part.parse().map_err(|_| bad())?;
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+~".contains(c))
        {
            return Err(bad());
        }
        Ok(Version {
            numbers,
            suffix,
            text: text.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| match (&self.suffix, &other.suffix) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_order_numerically() {
        assert!(v("1.10.0") > v("1.9.9"));
        assert!(v("2.0.0") > v("1.99.99"));
        assert!(v("1.2.0-rc1") < v("1.2.0"));
        assert!(v("1.2.0-rc1") < v("1.2.0-rc2"));
        assert_eq!(v("1.2.3").cmp(&v("1.2.3")), Ordering::Equal);
        for bad in ["1.2", "1.2.x", "", "1.2.3-", "1..3", "1.2.3 "] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}

//! (De)serialize the validated name types of [`crate::names`] as plain JSON
//! strings, checking them again on the way in: a hand-edited state file
//! cannot smuggle `tank;rm -rf /` into a command line.
//!
//! Used as `#[serde(with = "serde_names::one")]` on a single name and
//! `#[serde(with = "serde_names::many")]` on a `Vec` or `BTreeSet` of names.

use std::fmt::Display;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

pub mod one {
    use super::*;

    pub fn serialize<T: AsRef<str>, S: Serializer>(name: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name.as_ref())
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: TryFrom<String>,
        T::Error: Display,
        D: Deserializer<'de>,
    {
        T::try_from(String::deserialize(d)?).map_err(D::Error::custom)
    }
}

pub mod many {
    use super::*;

    pub fn serialize<C, T, S>(names: &C, s: S) -> Result<S::Ok, S::Error>
    where
        for<'a> &'a C: IntoIterator<Item = &'a T>,
        T: AsRef<str> + 'static,
        S: Serializer,
    {
        s.collect_seq(names.into_iter().map(AsRef::as_ref))
    }

    pub fn deserialize<'de, C, T, D>(d: D) -> Result<C, D::Error>
    where
        C: FromIterator<T>,
        T: TryFrom<String>,
        T::Error: Display,
        D: Deserializer<'de>,
    {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|s| T::try_from(s).map_err(D::Error::custom))
            .collect()
    }
}

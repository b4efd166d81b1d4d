//! Query strings (`?pool=tank&recursive=true`), read as strictly as
//! bodies: an unknown or repeated parameter, or a value of the wrong shape,
//! is a 422 naming it, before the handler does anything.

use std::fmt::Display;
use std::str::FromStr;

use axum::http::Uri;

use super::error::ApiError;

/// The parameters of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// The parameters of `uri`; any name not in `allowed`, or given twice,
    /// is refused.
    pub fn parse(uri: &Uri, allowed: &[&str]) -> Result<Query, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for piece in uri.query().unwrap_or("").split('&') {
            if piece.is_empty() {
                continue;
            }
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = decode(name).ok_or_else(|| bad_encoding(piece))?;
            let value = decode(value).ok_or_else(|| bad_encoding(piece))?;
            if !allowed.contains(&name.as_str()) {
                let known = if allowed.is_empty() {
                    "this endpoint takes none".to_string()
                } else {
                    format!("known: {}", allowed.join(", "))
                };
                return Err(ApiError::invalid(
                    &name,
                    format!("unknown query parameter `{name}` ({known})"),
                ));
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::invalid(
                    &name,
                    format!("query parameter `{name}` is given more than once"),
                ));
            }
            pairs.push((name, value));
        }
        Ok(Query { pairs })
    }

    fn raw(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `name` parsed as `T` (a validated name, mostly), if given.
    pub fn get<T>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.raw(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| ApiError::invalid(name, format!("{name}: {e}")))
            })
            .transpose()
    }

    /// A yes/no parameter: `true` or `false` (`1`/`0` too); absent is no.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.raw(name) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(other) => Err(ApiError::invalid(
                name,
                format!("{name}: expected true or false, not {other:?}"),
            )),
        }
    }
}

fn bad_encoding(piece: &str) -> ApiError {
    ApiError::Invalid {
        field: None,
        message: format!("the query string has a badly encoded part: {piece:?}"),
    }
}

/// Percent-decoding as forms do it (`+` is a space); `None` for a broken
/// escape or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut input = s.bytes();
    while let Some(b) = input.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = [input.next()?, input.next()?];
                let hex = std::str::from_utf8(&hex).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{DatasetName, PoolName};

    fn q(uri: &str, allowed: &[&str]) -> Result<Query, ApiError> {
        Query::parse(&uri.parse().unwrap(), allowed)
    }

    #[test]
    fn parameters_are_decoded_and_typed() {
        let query = q(
            "/x?dataset=tank%2Fvm&recursive=true",
            &["dataset", "recursive"],
        )
        .unwrap();
        let name: DatasetName = query.get("dataset").unwrap().unwrap();
        assert_eq!(name.as_str(), "tank/vm");
        assert!(query.flag("recursive").unwrap());
        let none = q("/x", &["pool"]).unwrap();
        assert_eq!(none.get::<PoolName>("pool").unwrap(), None);
        assert!(!none.flag("recursive").unwrap());
    }

    #[test]
    fn unknown_repeated_and_bad_values_name_the_parameter() {
        let err = q("/x?pol=tank", &["pool"]).unwrap_err();
        assert_eq!((err.status().as_u16(), err.field()), (422, Some("pol")));
        let err = q("/x?pool=a&pool=b", &["pool"]).unwrap_err();
        assert_eq!(err.field(), Some("pool"));
        let err = q("/x?pool=1tank", &["pool"])
            .unwrap()
            .get::<PoolName>("pool")
            .unwrap_err();
        assert_eq!(err.field(), Some("pool"));
        assert!(err.to_string().contains("invalid pool name"), "{err}");
        let err = q("/x?recursive=maybe", &["recursive"])
            .unwrap()
            .flag("recursive")
            .unwrap_err();
        assert_eq!(err.field(), Some("recursive"));
        assert!(q("/x?pool=%zz", &["pool"]).is_err());
    }
}

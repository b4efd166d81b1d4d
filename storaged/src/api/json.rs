//! Request bodies: JSON only, parsed strictly, every failure naming the
//! field at fault. Parsing happens before a handler runs, so a bad body
//! changes nothing. And answers whose objects' keys come out sorted.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::ApiError;

/// A JSON request body of type `T`. Give `T` `#[serde(deny_unknown_fields)]`
/// so a misspelt field is an error rather than silently ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        if !is_json(&content_type) {
            return Err(ApiError::UnsupportedMediaType { content_type });
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge {
                        limit: super::BODY_LIMIT,
                    }
                } else {
                    ApiError::MalformedJson {
                        message: format!("cannot read the request body: {rejection}"),
                        field: None,
                    }
                }
            })?;
        parse(&bytes).map(ApiJson)
    }
}

/// A typed JSON answer written with every object's keys sorted, at every
/// depth, as a `serde_json::Value` writes them (the crate is built without
/// `preserve_order`). The sharing listings were built as `Value`s before
/// they had types; clients and the VM tests compare their bytes, so their
/// typed answers keep that order rather than the structs' field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedJson<T>(pub T);

impl<T: Serialize> IntoResponse for SortedJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_value(&self.0) {
            Ok(value) => Json(value).into_response(),
            Err(e) => ApiError::internal(&e).into_response(),
        }
    }
}

/// `application/json`, or any `+json` type, with or without parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence.starts_with("application/") && essence.ends_with("+json")
}

/// Parses `bytes` as `T`; the error names the field it is about.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson {
            message: "the request body is empty; expected a JSON object".into(),
            field: None,
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(describe)?;
    deserializer.end().map_err(|e| ApiError::MalformedJson {
        message: format!("trailing characters after the JSON value: {e}"),
        field: None,
    })?;
    Ok(value)
}

fn describe(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    let path = err.path().clone();
    let inner = err.into_inner();
    let parent: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    let parent = (!parent.is_empty()).then(|| path.to_string());
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::MalformedJson {
            message: match &parent {
                Some(field) => {
                    format!("the request body is not valid JSON (in `{field}`): {inner}")
                }
                None => format!("the request body is not valid JSON: {inner}"),
            },
            field: parent,
        },
        Category::Data => {
            let message = inner.to_string();
            let position = format!(" at line {} column {}", inner.line(), inner.column());
            let message = message.strip_suffix(&position).unwrap_or(&message);
            // serde names missing, unknown and duplicate fields only in its
            // message, relative to the object the path points at.
            let named = ["missing field `", "unknown field `", "duplicate field `"]
                .iter()
                .find_map(|prefix| message.strip_prefix(prefix))
                .and_then(|rest| rest.split('`').next());
            let field = match (parent, named) {
                (Some(p), Some(n)) if p != n && !p.ends_with(&format!(".{n}")) => {
                    Some(format!("{p}.{n}"))
                }
                (Some(p), _) => Some(p),
                (None, n) => n.map(str::to_string),
            };
            let message = match &field {
                Some(field) if named.is_none() => format!("{field}: {message}"),
                _ => message.to_string(),
            };
            ApiError::Invalid { field, message }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: String,
        size: u64,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        flag: bool,
    }

    fn err(body: &str) -> ApiError {
        parse::<Body>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn good_bodies_parse() {
        let b: Body = parse(br#"{"name": "tank", "size": 5}"#).unwrap();
        assert_eq!(b.size, 5);
    }

    #[test]
    fn syntax_errors_are_malformed() {
        for body in [
            "{",
            "{\"name\": }",
            "",
            "  ",
            "{\"name\": \"t\", \"size\": 1} x",
        ] {
            let e = err(body);
            assert!(matches!(e, ApiError::MalformedJson { .. }), "{body}: {e:?}");
            assert_eq!(e.status().as_u16(), 400);
        }
    }

    #[test]
    fn data_errors_name_the_field() {
        let cases = [
            (r#"{"name": "t", "size": 1, "colour": 2}"#, "colour"),
            (r#"{"name": "t"}"#, "size"),
            (r#"{"name": "t", "size": "big"}"#, "size"),
            (r#"{"name": null, "size": 1}"#, "name"),
            (r#"{"name": "t", "size": 1, "inner": {}}"#, "inner.flag"),
            (
                r#"{"name": "t", "size": 1, "inner": {"flag": 1}}"#,
                "inner.flag",
            ),
            (
                r#"{"name": "t", "size": 1, "inner": {"flag": true, "x": 1}}"#,
                "inner.x",
            ),
            (r#"{"name": "t", "name": "u", "size": 1}"#, "name"),
        ];
        for (body, field) in cases {
            let e = err(body);
            assert_eq!(e.status().as_u16(), 422, "{body}: {e:?}");
            assert_eq!(e.field(), Some(field), "{body}: {e:?}");
            let leaf = field.rsplit('.').next().unwrap();
            assert!(e.to_string().contains(leaf), "{body}: {e}");
            assert!(!e.to_string().contains("line 1"), "{body}: {e}");
        }
        let e = err("5");
        assert_eq!(e.status().as_u16(), 422);
        assert_eq!(e.field(), None);
    }

    #[test]
    fn only_json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json(""));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}

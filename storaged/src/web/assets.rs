//! Static files (`storaged/web/static/`), embedded in the binary and served
//! at `/static/<file>`. Templates link them with the content's fingerprint
//! (`/static/app.js?v=1a2b3c4d`, from `asset["app.js"]`): an answer to
//! the current fingerprint may be cached for a year, since a new build
//! with a changed file links a new URL; any other is not cached.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `(path under static/, content type, bytes)`.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", CSS, include_bytes!("../../web/static/app.css")),
    ("app.js", JS, include_bytes!("../../web/static/app.js")),
    (
        "upgrade.js",
        JS,
        include_bytes!("../../web/static/upgrade.js"),
    ),
    (
        "settings.js",
        JS,
        include_bytes!("../../web/static/settings.js"),
    ),
    // Page scripts of the resource pages (`web/pages/`).
    ("pools.js", JS, include_bytes!("../../web/static/pools.js")),
    ("iscsi.js", JS, include_bytes!("../../web/static/iscsi.js")),
    (
        "dashboard.js",
        JS,
        include_bytes!("../../web/static/dashboard.js"),
    ),
    (
        "vendor/uplot/uPlot.iife.min.js",
        JS,
        include_bytes!("../../web/static/vendor/uplot/uPlot.iife.min.js"),
    ),
    (
        "vendor/uplot/uPlot.min.css",
        CSS,
        include_bytes!("../../web/static/vendor/uplot/uPlot.min.css"),
    ),
    (
        "vendor/uplot/LICENSE",
        TEXT,
        include_bytes!("../../web/static/vendor/uplot/LICENSE"),
    ),
];

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Each asset's fingerprint: the first 8 bytes of its SHA-256, in hex.
static FINGERPRINTS: LazyLock<BTreeMap<&'static str, String>> = LazyLock::new(|| {
    use sha2::{Digest, Sha256};
    ASSETS
        .iter()
        .map(|(name, _, bytes)| {
            let digest = Sha256::digest(bytes);
            let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            (*name, hex)
        })
        .collect()
});

/// Every asset's URL, by name, for the templates.
pub fn urls() -> BTreeMap<&'static str, String> {
    FINGERPRINTS
        .iter()
        .map(|(name, hex)| (*name, format!("/static/{name}?v={hex}")))
        .collect()
}

/// `GET /static/{*file}`.
pub async fn serve(Path(file): Path<String>, RawQuery(query): RawQuery) -> Response {
    let Some((name, content_type, bytes)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let current = query.as_deref().and_then(|q| q.strip_prefix("v="))
        == FINGERPRINTS.get(name).map(String::as_str);
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        *bytes,
    )
        .into_response()
}

//! The web page: one self-contained HTML file (`storaged/web/index.html`)
//! compiled into the binary and served at `/`. It speaks the same JSON API
//! as everything else, with the session cookie `POST /login` sets.

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::AppState;

const INDEX: &str = include_str!("../../web/index.html");

/// `GET /` (and `/index.html`).
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
}

async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            // Everything the page needs is in it; nothing from elsewhere.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
                ),
            ),
        ],
        INDEX,
    )
}

#[cfg(test)]
mod tests {
    use super::INDEX;

    #[test]
    fn the_page_has_what_the_browser_test_drives() {
        for id in [
            "password",
            "login-button",
            "slots",
            "outcome",
            "bundle",
            "upload",
            "upload-progress",
            "install-progress",
            "reboot",
            "reboot-yes",
            "rollback",
        ] {
            assert!(INDEX.contains(&format!("id=\"{id}\"")), "#{id} missing");
        }
    }
}

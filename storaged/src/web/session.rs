//! [`PageSession`]: the extractor every page handler takes. A browser
//! without a live cookie session is sent to the login page (or to setup,
//! while no admin password is set), and comes back after logging in.

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use tera::Context;

use crate::api::{AppState, SESSION_COOKIE};
use crate::engine::auth;

/// A logged-in browser: its user and the CSRF token its page must send
/// with every state-changing request (`X-CSRF-Token`, read by `app.js`
/// from `<meta name="csrf-token">`).
#[derive(Debug, Clone)]
pub struct PageSession {
    pub username: String,
    pub csrf_token: String,
}

impl PageSession {
    /// The context `base.html` needs (user, CSRF token, which nav entry
    /// is lit); a page adds its own values to it.
    pub fn context(&self, nav: &str, title: &str) -> Context {
        let mut context = Context::new();
        context.insert("username", &self.username);
        context.insert("csrf_token", &self.csrf_token);
        context.insert("nav", &super::NAV);
        context.insert("active", nav);
        context.insert("title", title);
        context
    }
}

/// Where a request without a session goes.
pub struct ToLogin(Redirect);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl FromRequestParts<AppState> for PageSession {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<PageSession, ToLogin> {
        // Only the cookie: a page is for a browser, and a bearer token in
        // a browser would mean a script put it there.
        let session = cookie_token(&parts.headers).and_then(|token| {
            let username = app.auth.session(token, Instant::now())?;
            Some(PageSession {
                username,
                csrf_token: crate::auth::csrf_token(token),
            })
        });
        session.ok_or_else(|| ToLogin(login_redirect(app, parts.uri.path())))
    }
}

/// To setup while it is required, else to login, coming back to `path`.
pub fn login_redirect(app: &AppState, path: &str) -> Redirect {
    if auth::setup_required(&app.auth) {
        Redirect::to("/ui/setup")
    } else if path == "/ui/" || safe_next(path).is_none() {
        Redirect::to("/ui/login")
    } else {
        Redirect::to(&format!("/ui/login?next={path}"))
    }
}

/// The session cookie's value, if the request has one.
pub fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// `next` after login, only if it is one of our pages: a path under
/// `/ui/` of plain characters, so a crafted link cannot send a fresh
/// login elsewhere (`//evil`, `/ui/../`, a scheme).
pub fn safe_next(next: &str) -> Option<&str> {
    let plain = next
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'));
    (next.starts_with("/ui/") && plain && !next.contains("//")).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_one_of_our_pages() {
        assert_eq!(safe_next("/ui/upgrade"), Some("/ui/upgrade"));
        assert_eq!(safe_next("/ui/pools/tank"), Some("/ui/pools/tank"));
        for bad in [
            "//evil",
            "/ui//evil",
            "https://x/ui/",
            "/ui/../api",
            "/api/v1",
            "/ui/a?b",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
    }
}

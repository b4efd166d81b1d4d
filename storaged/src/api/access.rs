//! Who is calling: the trusted local socket, or a network client that must
//! show a session (bearer token or cookie) or an API token (bearer only).
//!
//! A cookie is sent by the browser whatever page caused the request, so a
//! cookie session's state-changing requests (anything but GET, HEAD,
//! OPTIONS) must also carry `Origin: https://<its Host>` and
//! `X-CSRF-Token: <csrf_token(session)>`, which another site cannot
//! produce. Bearer tokens are never sent on their own, so they need
//! neither; nor does the local socket.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::AppState;
use crate::auth::csrf_token;

/// The session cookie the web page uses (`Secure; HttpOnly; SameSite=Strict`).
pub const SESSION_COOKIE: &str = "storaged_session";
/// The header a cookie session's state-changing request carries its CSRF
/// token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Where a request came from; set by the listener on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The unix socket: only root can open it, so it is trusted.
    Local,
    /// HTTPS from this address.
    Network(SocketAddr),
}

impl Peer {
    pub fn is_local(self) -> bool {
        matches!(self, Peer::Local)
    }

    /// The network address, `None` for the local socket: what the login
    /// throttle counts by.
    pub fn client(self) -> Option<IpAddr> {
        match self {
            Peer::Local => None,
            Peer::Network(addr) => Some(addr.ip()),
        }
    }
}

/// A request the listener did not mark is treated as from the network:
/// forgetting the mark can only lock callers out, never let them in.
impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Peer, Infallible> {
        Ok(peer_of(&parts.extensions))
    }
}

fn peer_of(extensions: &axum::http::Extensions) -> Peer {
    extensions
        .get::<Peer>()
        .copied()
        .unwrap_or(Peer::Network(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))))
}

/// How a request carries its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// The session cookie.
    Cookie,
}

/// The token a request carries and how: `Authorization: Bearer <token>`,
/// else the session cookie.
pub fn credential(headers: &HeaderMap) -> Option<(&str, Via)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    if let Some(token) = bearer {
        return Some((token, Via::Bearer));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| (value, Via::Cookie))
}

/// The session token a request carries: `Authorization: Bearer <token>`,
/// else the session cookie.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    credential(headers).map(|(token, _)| token)
}

/// Lets local requests through, and network ones with a live session or
/// API token; a cookie session's state-changing request also needs the
/// same origin and its CSRF token.
pub async fn require_admin(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if let Peer::Network(_) = peer_of(request.extensions()) {
        let now = Instant::now();
        match credential(request.headers()) {
            Some((token, Via::Bearer))
                if app.auth.session(token, now).is_some()
                    || app.auth.api_token(token).is_some() => {}
            Some((token, Via::Cookie)) if app.auth.session(token, now).is_some() => {
                if let Err(refusal) = check_csrf(request.method(), request.headers(), token) {
                    return refusal.into_response();
                }
            }
            _ => return ApiError::LoginRequired.into_response(),
        }
    }
    next.run(request).await
}

/// A cookie session's request that changes state must come from the
/// console's own origin and carry the session's CSRF token.
pub fn check_csrf(method: &Method, headers: &HeaderMap, session: &str) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let own = text("host").map(|host| format!("https://{host}"));
    match text("origin") {
        None => {
            return Err(ApiError::CsrfRefused {
                message: "a request with the session cookie that changes something must carry \
                    an Origin header; send the session token as a bearer token from scripts"
                    .into(),
            })
        }
        Some(origin)
            if Some(origin.to_ascii_lowercase()) != own.map(|o| o.to_ascii_lowercase()) =>
        {
            return Err(ApiError::CsrfRefused {
                message: format!(
                    "cross-origin request refused: Origin {origin:?} is not this console's own"
                ),
            })
        }
        Some(_) => {}
    }
    let expected = csrf_token(session);
    let sent = text(CSRF_HEADER).unwrap_or_default();
    let same = sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(ApiError::CsrfRefused {
            message: format!(
                "missing or wrong {CSRF_HEADER} header: a request with the session cookie that \
                 changes something must carry the session's csrf_token (from the login answer, \
                 GET /api/v1/session or the page's csrf-token meta tag)"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        assert_eq!(session_token(&h), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; storaged_session=abc; x=y"),
        );
        assert_eq!(credential(&h), Some(("abc", Via::Cookie)));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  xyz "),
        );
        assert_eq!(credential(&h), Some(("xyz", Via::Bearer)));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic eHl6"),
        );
        assert_eq!(session_token(&h), Some("abc"));
    }

    #[test]
    fn unmarked_requests_are_not_local() {
        assert!(!peer_of(&axum::http::Extensions::new()).is_local());
    }

    #[test]
    fn csrf_needs_the_own_origin_and_the_token_on_changes_only() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("nas.local:8443"));
        check_csrf(&Method::GET, &h, "s").unwrap();
        assert!(check_csrf(&Method::POST, &h, "s").is_err());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        h.insert(
            CSRF_HEADER,
            HeaderValue::from_str(&csrf_token("s")).unwrap(),
        );
        assert!(check_csrf(&Method::POST, &h, "s").is_err());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://nas.local:8443"),
        );
        check_csrf(&Method::DELETE, &h, "s").unwrap();
        assert!(check_csrf(&Method::PUT, &h, "other session").is_err());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://nas.local:8443"),
        );
        assert!(check_csrf(&Method::POST, &h, "s").is_err());
    }
}

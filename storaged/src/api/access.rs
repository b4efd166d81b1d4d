//! Who is calling: the trusted local socket, or a network client that must
//! show a session (bearer token or cookie).

use std::convert::Infallible;
use std::net::{Ipv6Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::AppState;

/// The session cookie the web page uses (`Secure; HttpOnly; SameSite=Strict`).
pub const SESSION_COOKIE: &str = "storaged_session";

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

/// The session token a request carries: `Authorization: Bearer <token>`,
/// else the session cookie.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    bearer.or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value)
    })
}

/// Lets local requests through, and network ones with a live session.
pub async fn require_admin(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let allowed = match peer_of(request.extensions()) {
        Peer::Local => true,
        Peer::Network(_) => session_token(request.headers())
            .and_then(|token| app.auth.session(token, Instant::now()))
            .is_some(),
    };
    if allowed {
        next.run(request).await
    } else {
        ApiError::LoginRequired.into_response()
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
        assert_eq!(session_token(&h), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  xyz "),
        );
        assert_eq!(session_token(&h), Some("xyz"));
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
}

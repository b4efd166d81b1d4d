//! The API over HTTPS from a workstation: `storagectl --host https://box`.
//!
//! An appliance's certificate is usually self-signed, so no CA vouches for
//! it. Instead its SHA-256 fingerprint is pinned on first use (as ssh pins
//! host keys, in [`known_hosts`]), and every later connection must present
//! exactly that certificate: a custom verifier accepts the pinned
//! fingerprint and nothing else, and still checks the handshake's
//! signature, so only the holder of the certificate's key passes. A first
//! contact ([`probe`]) completes the handshake and closes without sending
//! a byte of a request, so no token leaves before the owner accepted the
//! certificate.

pub mod known_hosts;

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    self, ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned,
};

use crate::tls::fingerprint;
pub use known_hosts::{KnownHosts, KnownHostsError, Pin};

/// A TLS connection to the appliance.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("--host must be https://HOST[:PORT], not {0:?}")]
    BadUrl(String),
    #[error("cannot resolve {host}")]
    Resolve {
        host: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot connect to {host}")]
    Connect {
        host: String,
        #[source]
        source: io::Error,
    },
    #[error("the TLS handshake with {host} failed")]
    Handshake {
        host: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "the certificate of {host} has CHANGED.\n  pinned:    {pinned}\n  presented: {presented}\n\
         Someone may be intercepting the connection, or the appliance's certificate was replaced.\n\
         If it was replaced on purpose, compare the new fingerprint with the one on the \
         appliance's console screen, then remove line {line} of {} and connect again.",
        .file.display()
    )]
    Changed {
        host: String,
        pinned: String,
        presented: String,
        file: std::path::PathBuf,
        line: usize,
    },
}

/// Where `--host` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostUrl {
    /// A DNS name or an IP address (without brackets).
    pub host: String,
    pub port: u16,
}

impl HostUrl {
    /// `https://box`, `https://box:8443/`, `https://[fd00::1]`, or a bare
    /// `box[:port]`.
    pub fn parse(url: &str) -> Result<HostUrl, RemoteError> {
        let bad = || RemoteError::BadUrl(url.to_string());
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
            Some(_) => return Err(bad()),
            None => url,
        };
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad()),
            };
            (host, port)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            None => 443,
            Some(p) => p.parse().ok().filter(|p| *p != 0).ok_or_else(bad)?,
        };
        if host.is_empty() || ServerName::try_from(host.to_string()).is_err() {
            return Err(bad());
        }
        Ok(HostUrl {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The name in known_hosts: `host`, or `host:port` off port 443
    /// (`[v6]:port` for an IPv6 address).
    pub fn key(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 443 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Accepts the one certificate whose fingerprint is pinned (or, probing,
/// any), and remembers what was presented.
#[derive(Debug)]
struct PinVerifier {
    pinned: Option<String>,
    presented: Mutex<Option<String>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint::sha256(end_entity);
        let accepted = self.pinned.as_ref().is_none_or(|p| *p == presented);
        *self.presented.lock().unwrap_or_else(|e| e.into_inner()) = Some(presented);
        if accepted {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the certificate is not the pinned one".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Why a handshake failed, and the fingerprint presented if it got so far.
#[derive(Debug)]
struct Failed {
    error: RemoteError,
    presented: Option<String>,
}

fn failed(error: RemoteError, presented: Option<String>) -> Box<Failed> {
    Box::new(Failed { error, presented })
}

/// Connects and completes the handshake. Answers the stream and the
/// fingerprint presented; with `pinned`, any other certificate fails the
/// handshake (and the failure carries the fingerprint presented, for
/// [`RemoteError::Changed`]).
fn handshake(
    url: &HostUrl,
    pinned: Option<&str>,
    timeout: Duration,
) -> Result<(TlsStream, String), Box<Failed>> {
    let provider = Arc::new(crypto::ring::default_provider());
    let verifier = Arc::new(PinVerifier {
        pinned: pinned.map(str::to_string),
        presented: Mutex::new(None),
        provider: Arc::clone(&provider),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(url.host.clone()).expect("checked by HostUrl::parse");
    let connection =
        ClientConnection::new(Arc::new(config), name).expect("a client config with a verifier");
    let host = url.key();
    let addrs: Vec<_> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|source| {
            failed(
                RemoteError::Resolve {
                    host: host.clone(),
                    source,
                },
                None,
            )
        })?
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    let mut tcp = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(e) => last = e,
        }
    }
    let connect = |source| {
        failed(
            RemoteError::Connect {
                host: host.clone(),
                source,
            },
            None,
        )
    };
    let tcp = tcp.ok_or(last).map_err(connect)?;
    tcp.set_read_timeout(Some(timeout)).map_err(connect)?;
    tcp.set_write_timeout(Some(timeout)).map_err(connect)?;
    let _ = tcp.set_nodelay(true);
    let mut stream = StreamOwned::new(connection, tcp);
    let mut done = Ok(());
    while stream.conn.is_handshaking() {
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            done = Err(e);
            break;
        }
    }
    let presented = verifier
        .presented
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    match (done, presented) {
        (Ok(()), Some(presented)) => Ok((stream, presented)),
        (Ok(()), None) => Err(failed(
            RemoteError::Handshake {
                host,
                source: io::Error::other("no certificate was presented"),
            },
            None,
        )),
        (Err(source), presented) => Err(failed(RemoteError::Handshake { host, source }, presented)),
    }
}

/// First contact: the fingerprint `url` presents. Nothing is sent beyond
/// the handshake.
pub fn probe(url: &HostUrl, timeout: Duration) -> Result<String, RemoteError> {
    let (mut stream, presented) = handshake(url, None, timeout).map_err(|f| f.error)?;
    stream.conn.send_close_notify();
    let _ = stream.conn.complete_io(&mut stream.sock);
    Ok(presented)
}

/// A connection that presented exactly the pinned certificate.
pub fn connect_pinned(
    url: &HostUrl,
    pin: &Pin,
    file: &std::path::Path,
    timeout: Duration,
) -> Result<TlsStream, RemoteError> {
    match handshake(url, Some(&pin.fingerprint), timeout) {
        Ok((stream, _)) => Ok(stream),
        Err(f) => match f.presented {
            Some(presented) if presented != pin.fingerprint => Err(RemoteError::Changed {
                host: url.key(),
                pinned: pin.fingerprint.clone(),
                presented,
                file: file.to_path_buf(),
                line: pin.line,
            }),
            _ => Err(f.error),
        },
    }
}

/// The appliance as `storagectl --host` reaches it: its URL, its pin and
/// the token sent with every request.
#[derive(Debug, Clone)]
pub struct Remote {
    pub url: HostUrl,
    pub pin: Pin,
    /// The known_hosts file the pin is in (named when it no longer fits).
    pub known_hosts: std::path::PathBuf,
    /// Sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

impl Remote {
    pub fn connect(&self, timeout: Duration) -> Result<TlsStream, RemoteError> {
        connect_pinned(&self.url, &self.pin, &self.known_hosts, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_urls_parse_with_their_default_port() {
        let parse = |s: &str| HostUrl::parse(s).map(|u| (u.host.clone(), u.port, u.key()));
        assert_eq!(
            parse("https://Box.lan").unwrap(),
            ("box.lan".into(), 443, "box.lan".into())
        );
        assert_eq!(
            parse("https://box:8443/").unwrap(),
            ("box".into(), 8443, "box:8443".into())
        );
        assert_eq!(
            parse("https://[fd00::1]:444").unwrap(),
            ("fd00::1".into(), 444, "[fd00::1]:444".into())
        );
        assert_eq!(
            parse("192.168.1.20").unwrap(),
            ("192.168.1.20".into(), 443, "192.168.1.20".into())
        );
        for bad in [
            "http://box",
            "https://",
            "https://box:0",
            "https://box:x",
            "https://u@box",
            "https://[fd00::1",
        ] {
            assert!(HostUrl::parse(bad).is_err(), "{bad}");
        }
    }
}

//! A daemon on HTTPS with chosen listener limits, and clients that connect
//! from a chosen loopback address (all of 127/8 is loopback on Linux), so
//! tests can be two different clients on one machine.

use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use crate::api::client::{self, Response};
use crate::auth::HashCost;
use crate::config::{Config, HttpsListen};
use crate::daemon::{Background, Limits};

use super::PASSWORD;

pub type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// `storaged --sim` serving HTTPS on 127.0.0.1 with `limits`.
pub struct Net {
    /// Kept for its drop: the daemon's directories.
    pub _dir: tempfile::TempDir,
    pub config: Config,
    pub daemon: Background,
}

impl Net {
    pub fn start(limits: Limits) -> Net {
        Self::start_with(limits, |_| {})
    }

    /// As [`Net::start`], after `adjust` changed the configuration.
    pub fn start_with(limits: Limits, adjust: impl FnOnce(&mut Config)) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::sim_in(dir.path());
        config.https = HttpsListen::At("127.0.0.1:0".parse().unwrap());
        adjust(&mut config);
        let zfs = Arc::new(config.prepare_sim_partitioned(&[]).unwrap());
        let daemon =
            Background::start_with_limits(config.clone(), zfs, HashCost::FAST, limits).unwrap();
        Net {
            _dir: dir,
            config,
            daemon,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.daemon.https_addr().unwrap()
    }

    /// Sets the admin password over the socket.
    pub fn set_password(&self) {
        crate::api::client::UnixClient::new(self.daemon.socket_path(), Duration::from_secs(10))
            .post("/setup", &serde_json::json!({ "password": PASSWORD }))
            .unwrap();
    }

    /// What the listener serves now, from `cert.pem`.
    pub fn certificate(&self) -> CertificateDer<'static> {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_file(self.config.tls_dir.join(crate::tls::CERT_FILE)).unwrap()
    }

    /// A TLS connection from `from`, handshake not yet done.
    pub fn tls_from(&self, from: IpAddr) -> Tls {
        tls_to(self.addr(), from, self.certificate())
    }

    /// One request from `from`.
    pub fn request_from(
        &self,
        from: IpAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut stream = self.tls_from(from);
        client::send(
            &mut stream,
            method,
            &format!("/api/v1{path}"),
            headers,
            body,
        )
        .unwrap()
    }
}

/// A TCP connection from the local address `from` to `to`; std cannot
/// bind before connecting, tokio can.
pub fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    });
    runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from, 0))?;
        let stream = socket.connect(to).await?.into_std()?;
        stream.set_nonblocking(false)?;
        Ok(stream)
    })
}

/// A TLS client to `to` from `from`, trusting only `cert`.
pub fn tls_to(to: SocketAddr, from: IpAddr, cert: CertificateDer<'static>) -> Tls {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = connect_from(from, to).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    rustls::StreamOwned::new(connection, tcp)
}

/// Sends a request's head announcing `length` bytes of body, and only
/// `sent` of them: a client stalled in the body. Errors when the server
/// closed the connection first.
pub fn stall_in_body(stream: &mut Tls, length: usize, sent: usize) -> std::io::Result<()> {
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: storaged\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&b"{\"password\": \"".repeat(sent)[..sent])?;
    stream.flush()
}

pub fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

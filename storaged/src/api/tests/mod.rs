//! Fixture tier: the daemon in `--sim` mode in a temp dir, on its unix
//! socket and on HTTPS at a loopback port 0, driven by the same client
//! `storagectl` uses (over rustls for HTTPS, trusting the certificate the
//! daemon wrote). No root, no network beyond loopback.

mod bad_requests;
mod login;
mod openapi;
mod setup;
mod status;
mod tls;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use crate::api::client::{self, Response, UnixClient};
use crate::api::{AppState, Shared};
use crate::auth::{Auth, HashCost};
use crate::config::{Config, HttpsListen};
use crate::daemon::Background;
use crate::platform::Platform;
use crate::runner::SystemRunner;

pub const PASSWORD: &str = "a long enough password";

/// A running `storaged --sim` in a temp dir; stops when dropped.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub daemon: Background,
}

impl Harness {
    /// The socket only, as `--sim` starts by default.
    pub fn local() -> Harness {
        Self::start_in(tempfile::tempdir().unwrap(), false)
    }

    /// The socket and HTTPS on 127.0.0.1, port 0.
    pub fn with_https() -> Harness {
        Self::start_in(tempfile::tempdir().unwrap(), true)
    }

    /// The socket only, after `prepare` filled the fixture root (`/`).
    pub fn local_with_root(prepare: impl FnOnce(&Path)) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let root = Config::sim_in(dir.path()).roots.root;
        std::fs::create_dir_all(&root).unwrap();
        prepare(&root);
        Self::start_in(dir, false)
    }

    fn start_in(dir: tempfile::TempDir, https: bool) -> Harness {
        let mut config = Config::sim_in(dir.path());
        if https {
            config.https = HttpsListen::At("127.0.0.1:0".parse().unwrap());
        }
        let daemon = Background::start_with(config.clone(), HashCost::FAST).unwrap();
        Harness {
            dir,
            config,
            daemon,
        }
    }

    /// Stops the daemon and starts another on the same directories.
    pub fn restart(self) -> Harness {
        let Harness {
            dir,
            config,
            daemon,
        } = self;
        daemon.stop().unwrap();
        let https = config.https != HttpsListen::Off;
        Self::start_in(dir, https)
    }

    pub fn unix(&self) -> UnixClient {
        UnixClient::new(self.daemon.socket_path(), Duration::from_secs(30))
    }

    pub fn token(&self) -> String {
        self.daemon
            .setup_token()
            .expect("a setup token")
            .to_string()
    }

    /// Sets the admin password over the socket.
    pub fn set_password(&self) {
        self.unix()
            .post("/setup", &serde_json::json!({ "password": PASSWORD }))
            .unwrap();
    }

    /// One request over HTTPS, trusting only the daemon's own certificate.
    pub fn https(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut stream = self.tls_stream();
        client::send(
            &mut stream,
            method,
            &format!("/api/v1{path}"),
            headers,
            body,
        )
        .unwrap()
    }

    /// As [`Harness::https`], with raw body bytes and content type.
    pub fn https_raw(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Response {
        let mut stream = self.tls_stream();
        client::send_raw(
            &mut stream,
            method,
            &format!("/api/v1{path}"),
            &[],
            Some((content_type, body)),
        )
        .unwrap()
    }

    /// A TLS connection to the daemon, verified against `cert.pem`.
    pub fn tls_stream(&self) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.certificate()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = ServerName::try_from("localhost").unwrap();
        let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let addr = self.daemon.https_addr().expect("HTTPS is on");
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        rustls::StreamOwned::new(connection, tcp)
    }

    /// The certificate the daemon keeps under its state dir.
    pub fn certificate(&self) -> CertificateDer<'static> {
        CertificateDer::from_pem_file(self.cert_path()).unwrap()
    }

    pub fn cert_path(&self) -> PathBuf {
        self.config.tls_dir.join(crate::tls::CERT_FILE)
    }

    pub fn state_dir(&self) -> &Path {
        &self.config.state_dir
    }
}

/// The error code and field of an error answer.
pub fn error_of(response: &Response) -> (String, Option<String>) {
    let body = response.json().unwrap();
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (
        error["code"].as_str().unwrap().to_string(),
        error["field"].as_str().map(str::to_string),
    )
}

/// An [`AppState`] for driving the router directly, without listeners.
pub fn app_state(dir: &Path) -> AppState {
    let config = Config::sim_in(dir);
    std::fs::create_dir_all(&config.state_dir).unwrap();
    std::fs::create_dir_all(&config.runtime_dir).unwrap();
    AppState::new(Shared {
        runner: Arc::new(SystemRunner::new(&config.roots.root)),
        roots: config.roots.clone(),
        state_dir: config.state_dir.clone(),
        runtime_dir: config.runtime_dir.clone(),
        platform: Platform::detect(&config.roots.root),
        sim: true,
        started: Instant::now(),
        mutations: tokio::sync::Mutex::new(()),
        auth: Auth::load(
            &config.state_dir,
            &config.runtime_dir,
            config.session_ttl,
            HashCost::FAST,
        )
        .unwrap(),
    })
}

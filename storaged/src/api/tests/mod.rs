//! Fixture tier: the daemon in `--sim` mode in a temp dir, on its unix
//! socket and on HTTPS at a loopback port 0, driven by the same client
//! `storagectl` uses (over rustls for HTTPS, trusting the certificate the
//! daemon wrote). No root, no network beyond loopback. The simulated
//! machine is the QEMU test VM's drive fixture, its `zpool`/`zfs` a
//! [`FakeZfs`] the harness keeps a handle on.

mod bad_requests;
mod certificate;
mod connections;
mod console;
mod datasets;
mod drives;
mod login;
mod net;
mod openapi;
mod pool_maint;
mod pools;
mod presets;
mod security;
mod setup;
mod snapshots;
mod status;
mod storage_bad_requests;
mod tls;
mod upgrade;
mod volumes;

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
use crate::zfs::fake::FakeZfs;

pub const PASSWORD: &str = "a long enough password";

/// A running `storaged --sim` in a temp dir; stops when dropped.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub daemon: Background,
    /// The simulated machine's `zpool` and `zfs`.
    pub zfs: Arc<FakeZfs>,
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

    /// The socket only, with a partition table on these simulated disks
    /// (kernel names) from the start, so the fake `zpool` knows it too.
    pub fn local_with_partitioned(disks: &[&str]) -> Harness {
        Self::start_partitioned(tempfile::tempdir().unwrap(), false, disks)
    }

    fn start_in(dir: tempfile::TempDir, https: bool) -> Harness {
        Self::start_partitioned(dir, https, &[])
    }

    fn start_partitioned(dir: tempfile::TempDir, https: bool, disks: &[&str]) -> Harness {
        let config = Config::sim_in(dir.path());
        let zfs = Arc::new(config.prepare_sim_partitioned(disks).unwrap());
        Self::start_on(dir, https, zfs)
    }

    fn start_on(dir: tempfile::TempDir, https: bool, zfs: Arc<FakeZfs>) -> Harness {
        let mut config = Config::sim_in(dir.path());
        if https {
            config.https = HttpsListen::At("127.0.0.1:0".parse().unwrap());
        }
        let daemon =
            Background::start_with_runner(config.clone(), zfs.clone(), HashCost::FAST).unwrap();
        // What the start-up reconcile ran is not what a test asks about.
        zfs.clear_commands();
        Harness {
            dir,
            config,
            daemon,
            zfs,
        }
    }

    /// Stops the daemon and starts another on the same directories and
    /// the same simulated machine.
    pub fn restart(self) -> Harness {
        let Harness {
            dir,
            config,
            daemon,
            zfs,
        } = self;
        daemon.stop().unwrap();
        let https = config.https != HttpsListen::Off;
        Self::start_on(dir, https, zfs)
    }

    /// Stops the daemon and starts another on the same directories and a
    /// fresh simulated machine, as after a power cycle: the declared pools
    /// are there but exported, for the start-up reconcile to import.
    pub fn reboot(self) -> Harness {
        let Harness {
            dir,
            config,
            daemon,
            zfs: _,
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

    /// One request over the socket, whatever the answer.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        self.unix()
            .request(method, path, &[], body.as_ref())
            .unwrap()
    }

    /// As [`Harness::call`], expecting `status`; the answer's JSON.
    #[track_caller]
    pub fn expect(&self, method: &str, path: &str, body: Option<Value>, status: u16) -> Value {
        let r = self.call(method, path, body);
        assert_eq!(
            r.status,
            status,
            "{method} {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json().unwrap()
    }

    /// One request over the socket with raw body bytes.
    pub fn call_raw(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Response {
        let mut stream = self.unix().connect().unwrap();
        client::send_raw(
            &mut stream,
            method,
            &format!("/api/v1{path}"),
            &[],
            Some((content_type, body)),
        )
        .unwrap()
    }

    /// Writes a partition table on a simulated disk while the daemon
    /// runs: the inventory calls it `in-use` from then on.
    pub fn partition(&self, kernel_name: &str) {
        self.config.partition_sim_disk(kernel_name).unwrap();
    }

    /// What a refused request must leave as it found: the state file's
    /// bytes and every command the fake received.
    pub fn footprint(&self) -> Footprint {
        Footprint {
            state: std::fs::read(self.state_dir().join("state.json")).ok(),
            commands: self.zfs.command_lines(),
        }
    }
}

/// The state file and the fake's command log at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    pub state: Option<Vec<u8>>,
    pub commands: Vec<String>,
}

/// The four NVMe drives of the QEMU test VM, by id.
pub const NVME: [&str; 4] = [
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0003",
];
/// Its SATA disk (kernel name `sda`).
pub const SATA: &str = "ata-QEMU_HARDDISK_IRONSTORSATA0000";
/// Its USB boot stick (kernel name `sdb`).
pub const STICK: &str = "usb-QEMU_QEMU_HARDDISK_1-0000:00:02.0-1-0:0";

/// Checks `value` against the OpenAPI schema `schema` of `doc`: types,
/// `required`, `additionalProperties: false`, `enum`, `nullable`, `$ref`,
/// `allOf` and `items`. Enough to keep the documented shapes honest.
pub fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        return conforms(doc, &doc["components"]["schemas"][name], value, at);
    }
    if value.is_null() {
        return if schema["nullable"] == true {
            Ok(())
        } else {
            Err(format!("{at}: null where the schema does not allow it"))
        };
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            conforms(doc, part, value, at)?;
        }
    }
    if let Some(choices) = schema["enum"].as_array() {
        if !choices.contains(value) {
            return Err(format!("{at}: {value} is not one of {choices:?}"));
        }
    }
    let fits = match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_u64() || value.is_i64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(other) => return Err(format!("{at}: unknown schema type {other}")),
    };
    if !fits {
        return Err(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if let Some(object) = value.as_object() {
        let properties = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten() {
            let key = required.as_str().unwrap();
            if !object.contains_key(key) {
                return Err(format!("{at}: required `{key}` is missing"));
            }
        }
        for (key, item) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => conforms(doc, sub, item, &format!("{at}.{key}"))?,
                None if schema["additionalProperties"] == false => {
                    return Err(format!("{at}: `{key}` is not documented"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            conforms(doc, items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Asserts that `body`, answered with `status` by `method path` (the
/// document's path template), has the documented shape.
#[track_caller]
pub fn assert_documented(method: &str, template: &str, status: u16, body: &Value) {
    let doc = crate::api::openapi::document();
    let operation = &doc["paths"][template][method.to_ascii_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not documented"
    );
    let response = &operation["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {template}: {status} is not documented"
    );
    let schema = &response["content"]["application/json"]["schema"];
    if let Err(e) = conforms(doc, schema, body, "body") {
        panic!("{method} {template} {status}: {e}\n{body:#}");
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

/// The message of an error answer.
pub fn error_message(response: &Response) -> String {
    response.json().unwrap()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// An [`AppState`] for driving the router directly, without listeners.
pub fn app_state(dir: &Path) -> AppState {
    let config = Config::sim_in(dir);
    std::fs::create_dir_all(&config.state_dir).unwrap();
    std::fs::create_dir_all(&config.runtime_dir).unwrap();
    let runner: Arc<dyn crate::runner::CommandRunner> =
        Arc::new(SystemRunner::new(&config.roots.root));
    let platform = Platform::detect(&config.roots.root);
    let machine = Arc::new(config.machine_with_runner(runner, platform));
    AppState::new(Shared {
        collector: crate::collector::Collector::new(Arc::clone(&machine)),
        machine,
        started: Instant::now(),
        mutations: tokio::sync::Mutex::new(()),
        auth: Auth::load(
            &config.state_dir,
            &config.runtime_dir,
            config.session_ttl,
            HashCost::FAST,
        )
        .unwrap(),
        https: None,
    })
}

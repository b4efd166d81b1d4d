//! The daemon's life: prepare directories, credentials and the certificate,
//! bind the API's listeners, tell systemd, serve until SIGTERM, stop cleanly.
//!
//! Two listeners serve the same router:
//! - a unix socket (mode 0600 in a 0700 directory): plain HTTP, trusted,
//!   for `storagectl` as root; requests carry [`Peer::Local`];
//! - HTTPS on TCP with the self-signed certificate from [`crate::tls`];
//!   requests carry [`Peer::Network`] and need a login.
//!
//! Everything runs on one current-thread tokio runtime; slow work (argon2,
//! commands) goes to its small blocking pool.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::api::{self, AppState, Peer, Shared};
use crate::auth::{Auth, AuthError, HashCost, CREDENTIALS_FILE};
use crate::collector::Collector;
use crate::config::{Config, HttpsListen, SimError};
use crate::engine::console::HttpsEndpoint;
use crate::engine::start::{after_ready, reconcile_at_start};
use crate::engine::Machine;
use crate::notify::Notifier;
use crate::platform::Platform;
use crate::reconcile::StartReport;
use crate::runner::SystemRunner;
use crate::tls::{self, CertStore, CertificateOrigin, TlsError};
use crate::util::error_chain;

/// Connections served at once, per listener; more wait to be accepted.
const MAX_LOCAL_CONNECTIONS: usize = 64;
const MAX_NETWORK_CONNECTIONS: usize = 256;
/// A client that has not finished its TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight may take to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Blocking threads (argon2 hashes, commands): bounds memory under load.
const MAX_BLOCKING_THREADS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot create the directory {}", .path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot load the credentials")]
    Auth(#[source] AuthError),
    #[error("cannot move the unreadable {} aside", .path.display())]
    MoveAside {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot set up the HTTPS certificate")]
    Tls(#[source] TlsError),
    #[error("another storaged is already serving {}", .path.display())]
    AlreadyRunning { path: PathBuf },
    #[error("{} exists and is not a socket; not replacing it", .path.display())]
    NotASocket { path: PathBuf },
    #[error("cannot listen on {}", .path.display())]
    BindSocket {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot listen on {addr}")]
    BindTcp {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("cannot start the async runtime")]
    Runtime(#[source] io::Error),
    #[error("cannot set up the simulated machine")]
    Sim(#[source] SimError),
    #[error("cannot watch for SIGTERM")]
    Signal(#[source] io::Error),
    #[error("cannot tell systemd it is ready")]
    Notify(#[source] io::Error),
    #[error("the daemon thread panicked")]
    Panicked,
}

struct Https {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    /// The certificate served, replaceable through the API.
    store: Arc<CertStore>,
}

/// A daemon with its listeners bound, serving nothing yet.
pub struct Daemon {
    app: AppState,
    unix: UnixListener,
    socket: PathBuf,
    https: Option<Https>,
    limits: Limits,
    notes: Vec<String>,
    /// What the start-up reconcile did; `None` when it failed outright.
    start: Option<StartReport>,
    start_lines: Vec<String>,
}

impl Daemon {
    /// Creates the directories, loads (or starts) the credentials, loads or
    /// creates the certificate and binds both listeners.
    async fn bind(
        config: &Config,
        machine: Machine,
        cost: HashCost,
    ) -> Result<Daemon, DaemonError> {
        let mut notes = Vec::new();
        for dir in config.directories().into_iter().chain(config.sim_roots()) {
            create_private_dir(dir)?;
        }

        let auth = load_auth(config, cost, &mut notes)?;

        let https = match https_address(config.https) {
            None => None,
            Some(addrs) => {
                let cert = tls::ensure_certificate(&config.tls_dir, &tls::default_names())
                    .map_err(DaemonError::Tls)?;
                let dir = config.tls_dir.display();
                match &cert.origin {
                    CertificateOrigin::Created => {
                        notes.push(format!("created a self-signed HTTPS certificate in {dir}"))
                    }
                    CertificateOrigin::Reused => {}
                    CertificateOrigin::Replaced { reason } => notes.push(format!(
                        "replaced the unusable HTTPS certificate in {dir} ({reason}); the old files end in .bad"
                    )),
                }
                let listener = bind_tcp(&addrs).await?;
                Some(Https {
                    listener,
                    acceptor: TlsAcceptor::from(cert.config),
                    store: cert.store,
                })
            }
        };
        let unix = bind_unix(&config.socket)?;

        let https_endpoint = https.as_ref().and_then(|h| {
            let addr = h.listener.local_addr().ok()?;
            Some(HttpsEndpoint {
                port: addr.port(),
                certificate: Arc::clone(&h.store),
            })
        });
        let machine = Arc::new(machine);
        let app = AppState::new(Shared {
            collector: Collector::new(Arc::clone(&machine)),
            machine,
            started: Instant::now(),
            mutations: tokio::sync::Mutex::new(()),
            auth,
            https: https_endpoint,
        });
        Ok(Daemon {
            app,
            unix,
            socket: config.socket.clone(),
            https,
            limits: Limits::default(),
            notes,
            start: None,
            start_lines: Vec::new(),
        })
    }

    /// Creates the directories, loads the credentials and the certificate,
    /// binds both listeners, then reconciles the machine with the
    /// desired state ([`reconcile_at_start`]): how `storaged` starts, and
    /// how every test harness starts it. The reconcile's lines are in
    /// [`Daemon::start_lines`].
    pub async fn start(
        config: &Config,
        machine: Machine,
        cost: HashCost,
    ) -> Result<Daemon, DaemonError> {
        let mut daemon = Daemon::bind(config, machine, cost).await?;
        let machine = Arc::clone(&daemon.app.machine);
        match tokio::task::spawn_blocking(move || reconcile_at_start(&machine)).await {
            Ok(start) => {
                daemon.start_lines = start.lines.clone();
                daemon.start = Some(start);
            }
            Err(e) => {
                daemon.start_lines = vec![format!("ERROR: the reconcile at start failed: {e}")]
            }
        }
        Ok(daemon)
    }

    /// Replaces the listener's [`Limits`] (tests shorten the timeouts).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    pub fn app(&self) -> &AppState {
        &self.app
    }

    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// The bound HTTPS address (its real port when 0 was asked for).
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https
            .as_ref()
            .and_then(|h| h.listener.local_addr().ok())
    }

    /// The one-time setup token, while no admin password is set.
    pub fn setup_token(&self) -> Option<String> {
        self.app.auth.setup_token()
    }

    /// What the start-up reconcile did, one line each, for the log.
    pub fn start_lines(&self) -> &[String] {
        &self.start_lines
    }

    /// Things worth a line in the log that happened while binding.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Serves both listeners until `shutdown` completes, then stops
    /// accepting, removes the socket and lets requests in flight finish.
    /// Call it once ready is announced: a trial boot of an upgraded slot is
    /// blessed or given up on as it begins.
    pub async fn serve(mut self, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
        tokio::spawn(after_ready(
            Arc::clone(&self.app.machine),
            self.start.take(),
        ));
        let router = api::router(self.app.clone(), crate::web::pages());
        let graceful = GracefulShutdown::new();
        // Handlers find the certificate store on every request, from
        // either listener (storagectl may replace it too).
        let router = match &self.https {
            Some(https) => router.layer(axum::Extension(Arc::clone(&https.store))),
            None => router,
        };
        let limits = self.limits;
        let local = accept_local(&self.unix, &self.socket, &router, &graceful, limits);
        let network = async {
            match &self.https {
                Some(https) => accept_network(https, &router, &graceful, limits).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shutdown => {}
            () = local => {}
            () = network => {}
        }
        drop(self.unix);
        drop(self.https);
        let _ = std::fs::remove_file(&self.socket);
        // Event streams never end by themselves: end them, so the drain
        // waits only for real requests.
        self.app.collector.close();
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
        Ok(())
    }
}

/// Accepts on the API socket forever; every request is [`Peer::Local`].
async fn accept_local(
    listener: &UnixListener,
    socket: &Path,
    router: &axum::Router,
    graceful: &GracefulShutdown,
    limits: Limits,
) {
    let slots = Arc::new(Semaphore::new(MAX_LOCAL_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((stream, _)) => {
                let (router, watcher) = (router.clone(), graceful.watcher());
                tokio::spawn(async move {
                    serve_connection(stream, Peer::Local, router, watcher, limits).await;
                    drop(permit);
                });
            }
            Err(e) => accept_failed(&socket.display().to_string(), e).await,
        }
    }
}

/// Accepts HTTPS connections forever; every request is [`Peer::Network`].
/// An address that already holds [`Limits::connections_per_address`] has
/// its new connection closed at once, so one client cannot take every
/// slot.
async fn accept_network(
    https: &Https,
    router: &axum::Router,
    graceful: &GracefulShutdown,
    limits: Limits,
) {
    let slots = Arc::new(Semaphore::new(MAX_NETWORK_CONNECTIONS));
    let per_address = Arc::new(PerAddress::default());
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        match https.listener.accept().await {
            Ok((stream, addr)) => {
                let Some(slot) =
                    PerAddress::admit(&per_address, addr.ip(), limits.connections_per_address)
                else {
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let acceptor = https.acceptor.clone();
                let (router, watcher) = (router.clone(), graceful.watcher());
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
                    if let Ok(Ok(tls)) = handshake {
                        serve_connection(tls, Peer::Network(addr), router, watcher, limits).await;
                    }
                    drop((slot, permit));
                });
            }
            Err(e) => accept_failed("the HTTPS port", e).await,
        }
    }
}

/// The daemon's runtime: one thread, and a small blocking pool for the
/// slow work (argon2, commands).
fn runtime() -> Result<tokio::runtime::Runtime, DaemonError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
        .map_err(DaemonError::Runtime)
}

/// Runs the daemon for `storaged`'s `main`: bind, announce, serve until
/// SIGTERM or SIGINT, stop.
pub fn run(config: Config, platform: Platform) -> Result<(), DaemonError> {
    return_large_blocks_at_once();
    runtime()?.block_on(async move {
        if !config.sim {
            for (program, path) in SystemRunner::new(&config.roots.root).missing() {
                println!(
                    "storaged: warning: {} not found at {}",
                    program.name(),
                    path.display()
                );
            }
        }
        let status = platform.to_string();
        // Before the start-up reconcile, which may take a while on a big
        // pool: systemd's watchdog is fed and a SIGTERM is not lost.
        let mut term = signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut int = signal(tokio::signal::unix::SignalKind::interrupt())?;
        if let Some(interval) = Notifier::watchdog_interval() {
            tokio::spawn(watchdog(Notifier::from_env(), interval));
        }
        let machine = config.machine(platform).map_err(DaemonError::Sim)?;
        let daemon = Daemon::start(&config, machine, HashCost::DEFAULT).await?;
        for note in daemon.notes() {
            println!("storaged: {note}");
        }
        if let Some(token) = daemon.setup_token() {
            println!(
                "storaged: first-time setup token: {token} (use it once to set the admin password)"
            );
        }
        println!("storaged: API on {}", daemon.socket_path().display());
        if let Some(addr) = daemon.https_addr() {
            println!("storaged: HTTPS on {addr}");
        }
        for line in daemon.start_lines() {
            println!("storaged: {line}");
        }

        Notifier::from_env()
            .ready(&format!("serving; {status}"))
            .map_err(DaemonError::Notify)?;
        println!("storaged ready");

        daemon
            .serve(async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                println!("storaged: stopping");
                if let Err(e) = crate::notify::Notifier::from_env().stopping() {
                    println!("storaged: cannot tell systemd it is stopping: {e}");
                }
            })
            .await?;
        println!("storaged: stopped");
        Ok(())
    })
}

/// Makes the allocator give large blocks back to the system when freed.
/// glibc raises its mmap threshold to the size of the largest block freed,
/// so after the first login argon2's ~19 MiB would come from an arena and
/// stay there for good: most of the daemon's idle memory budget. A fixed
/// threshold keeps every block over 128 KiB an mmap of its own.
fn return_large_blocks_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called once,
    // before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Loads the credentials; an unreadable file is moved aside (never
/// deleted) and setup starts over, so the console can always recover.
fn load_auth(
    config: &Config,
    cost: HashCost,
    notes: &mut Vec<String>,
) -> Result<Auth, DaemonError> {
    let load = || {
        Auth::load(
            &config.state_dir,
            &config.runtime_dir,
            config.session_ttl,
            cost,
        )
    };
    match load() {
        Ok(auth) => Ok(auth),
        Err(err @ (AuthError::Parse { .. } | AuthError::Version { .. })) => {
            let path = config.state_dir.join(CREDENTIALS_FILE);
            let aside = config.state_dir.join(format!("{CREDENTIALS_FILE}.bad"));
            std::fs::rename(&path, &aside)
                .map_err(|source| DaemonError::MoveAside { path, source })?;
            notes.push(format!(
                "{}; moved it to {} and started setup again",
                error_chain(&err),
                aside.display()
            ));
            load().map_err(DaemonError::Auth)
        }
        Err(err) => Err(DaemonError::Auth(err)),
    }
}

/// The addresses to try for HTTPS, in order; `None` when it is off.
fn https_address(listen: HttpsListen) -> Option<Vec<SocketAddr>> {
    match listen {
        HttpsListen::Off => None,
        HttpsListen::At(addr) => Some(vec![addr]),
        HttpsListen::Default => Some(vec![
            "[::]:443".parse().expect("valid"),
            "0.0.0.0:443".parse().expect("valid"),
        ]),
    }
}

/// Binds the first address that works; an IPv6 wildcard fails on a kernel
/// booted without IPv6, and the IPv4 one is the fallback.
async fn bind_tcp(addrs: &[SocketAddr]) -> Result<TcpListener, DaemonError> {
    let mut last = None;
    for &addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(source) => last = Some(DaemonError::BindTcp { addr, source }),
        }
    }
    Err(last.expect("at least one address"))
}

/// Binds the API socket, mode 0600. A stale socket left by a crash is
/// replaced; a live one means another storaged runs, and that is an error.
fn bind_unix(path: &Path) -> Result<UnixListener, DaemonError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_socket() => {
            return Err(DaemonError::NotASocket {
                path: path.to_path_buf(),
            })
        }
        Ok(_) => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(DaemonError::AlreadyRunning {
                    path: path.to_path_buf(),
                });
            }
            std::fs::remove_file(path).map_err(|source| DaemonError::BindSocket {
                path: path.to_path_buf(),
                source,
            })?;
        }
        Err(_) => {}
    }
    let err = |source| DaemonError::BindSocket {
        path: path.to_path_buf(),
        source,
    };
    let listener = UnixListener::bind(path).map_err(err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
    Ok(listener)
}

/// Creates `dir` (and its parents) when missing; what it creates is 0700.
fn create_private_dir(dir: &Path) -> Result<(), DaemonError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| DaemonError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })
}

/// Serves one connection's HTTP/1.1 requests, marking each with its peer.
/// Every request body fails once it stalls for the idle timeout; the
/// handler answers an error and hyper closes the connection, since the
/// body was not read to its end.
async fn serve_connection<S>(
    stream: S,
    peer: Peer,
    router: axum::Router,
    watcher: Watcher,
    limits: Limits,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request
            .map(|body| axum::body::Body::new(IdleBody::new(body, limits.body_idle_timeout)));
        request.extensions_mut().insert(peer);
        let router = router.clone();
        async move {
            let mut response = router.oneshot(request).await?;
            harden(response.headers_mut());
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    // Errors here are clients going away or speaking nonsense: nothing to do.
    let _ = watcher.watch(connection).await;
}

/// The Content-Security-Policy of every answer that sets none: the JSON
/// API and its error answers run nothing, load nothing and may not be
/// framed. Pages set their own (no inline script either); this never
/// loosens one that is set.
pub const DEFAULT_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Headers every answer carries, from either listener.
fn harden(headers: &mut hyper::HeaderMap) {
    use hyper::header::{self, HeaderValue};
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// An accept error (out of file descriptors, mostly) must not spin the loop.
async fn accept_failed(what: &str, err: io::Error) {
    println!("storaged: cannot accept a connection on {what}: {err}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn signal(
    kind: tokio::signal::unix::SignalKind,
) -> Result<tokio::signal::unix::Signal, DaemonError> {
    tokio::signal::unix::signal(kind).map_err(DaemonError::Signal)
}

async fn watchdog(notifier: Notifier, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(err) = notifier.watchdog() {
            println!("storaged: watchdog ping failed: {err}");
        }
    }
}

mod background;
mod limits;

pub use background::Background;
pub use limits::Limits;
use limits::{IdleBody, PerAddress};

#[cfg(test)]
mod tests;

//! A daemon on its own thread, started exactly as `storaged` starts
//! (`Daemon::start`, start-up reconcile included): what every fixture test
//! and tool that needs a live API runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::{runtime, Daemon, DaemonError, Limits};
use crate::auth::HashCost;
use crate::config::Config;
use crate::engine::Machine;
use crate::platform::Platform;
use crate::runner::CommandRunner;

/// A daemon on its own thread and runtime, as `storaged` runs it: for
/// tests, benchmarks and tools that need a live API. Stops when dropped.
pub struct Background {
    socket: PathBuf,
    https_addr: Option<SocketAddr>,
    setup_token: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), DaemonError>>>,
}

impl Background {
    /// Binds a daemon for `config` (with the real hash cost) and serves it
    /// on a new thread.
    pub fn start(config: Config) -> Result<Background, DaemonError> {
        Self::start_with(config, HashCost::DEFAULT)
    }

    /// As [`Background::start`], with a chosen argon2 cost.
    pub fn start_with(config: Config, cost: HashCost) -> Result<Background, DaemonError> {
        let platform = Platform::detect(&config.roots.root);
        let machine = config.machine(platform).map_err(DaemonError::Sim)?;
        Self::start_machine(config, machine, cost, Limits::default())
    }

    /// `storaged --sim` in `dir`, as the fixture tests start it: the QEMU
    /// test VM's disks (those named in `partitioned` carrying a partition
    /// table), a fake `zpool`/`zfs`, no HTTPS, the fast hash cost.
    pub fn sim_in(dir: &Path, partitioned: &[&str]) -> Result<Background, DaemonError> {
        let config = Config::sim_in(dir);
        let fake = config
            .prepare_sim_partitioned(partitioned)
            .map_err(DaemonError::Sim)?;
        Self::start_with_runner(config, Arc::new(fake), HashCost::FAST)
    }

    /// As [`Background::start_with`], running commands through `runner`
    /// (tests keep a handle on their fake to look at what it ran).
    pub fn start_with_runner(
        config: Config,
        runner: Arc<dyn CommandRunner>,
        cost: HashCost,
    ) -> Result<Background, DaemonError> {
        Self::start_with_limits(config, runner, cost, Limits::default())
    }

    /// As [`Background::start_with_runner`], with the listener's
    /// [`Limits`] chosen (tests shorten its timeouts).
    pub fn start_with_limits(
        config: Config,
        runner: Arc<dyn CommandRunner>,
        cost: HashCost,
        limits: Limits,
    ) -> Result<Background, DaemonError> {
        let platform = Platform::detect(&config.roots.root);
        let machine = config.machine_with_runner(runner, platform);
        Self::start_machine(config, machine, cost, limits)
    }

    /// Starts a daemon on `machine` as `storaged` does ([`Daemon::start`]),
    /// start-up reconcile included, and serves it on a new thread.
    fn start_machine(
        config: Config,
        machine: Machine,
        cost: HashCost,
        limits: Limits,
    ) -> Result<Background, DaemonError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime()?.block_on(async move {
                let mut daemon = match Daemon::start(&config, machine, cost).await {
                    Ok(daemon) => daemon,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return Ok(());
                    }
                };
                daemon.set_limits(limits);
                let info = (
                    daemon.socket_path().to_path_buf(),
                    daemon.https_addr(),
                    daemon.setup_token(),
                );
                let _ = ready_tx.send(Ok(info));
                daemon
                    .serve(async move {
                        let _ = shutdown_rx.await;
                    })
                    .await
            })
        });
        match ready_rx.recv() {
            Ok(Ok((socket, https_addr, setup_token))) => Ok(Background {
                socket,
                https_addr,
                setup_token,
                shutdown: Some(shutdown_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => match thread.join() {
                Ok(Err(e)) => Err(e),
                _ => Err(DaemonError::Panicked),
            },
        }
    }

    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https_addr
    }

    /// The setup token printed at start, if one was.
    pub fn setup_token(&self) -> Option<&str> {
        self.setup_token.as_deref()
    }

    /// Stops serving and waits for the thread.
    pub fn stop(mut self) -> Result<(), DaemonError> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), DaemonError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            None => Ok(()),
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(DaemonError::Panicked),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

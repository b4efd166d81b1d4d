//! A file server (HTTP or TFTP) running on a thread of its own until it is
//! shut down or dropped: what `ironstor pxe serve` and the PXE tests hold.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

/// A server's thread, its address and its stop flag. Stops on
/// [`ServerHandle::shutdown`] or when dropped.
#[derive(Debug)]
pub struct ServerHandle {
    name: &'static str,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// Runs `serve_until(stop)` on a thread named `name`; it must return
    /// soon after the flag is set.
    pub fn spawn<F>(name: &'static str, addr: SocketAddr, serve_until: F) -> io::Result<Self>
    where
        F: FnOnce(&AtomicBool) -> io::Result<()> + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::Builder::new()
            .name(name.into())
            .spawn(move || serve_until(&flag))?;
        Ok(ServerHandle {
            name,
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for it and what it is sending to end.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_else(|_| {
                Err(io::Error::other(format!(
                    "{} server thread panicked",
                    self.name.to_uppercase()
                )))
            }),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

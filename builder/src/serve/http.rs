//! A small read-only HTTP/1.1 server for the network-boot tree: what iPXE
//! fetches the kernel and initrd with, and the initramfs the root squashfs.
//!
//! GET and HEAD of files under the root, one request per connection
//! (`Connection: close`, which iPXE and busybox wget both handle), each
//! connection on its own thread. Paths are checked as the TFTP server
//! checks them ([`crate::formats::fsutil::resolve_served`]). No ranges, no
//! directory listings, no TLS: the squashfs is checked by its hash.
//!
//! Why not `tiny_http` (0.12, synchronous, a fair fit): it would replace
//! the request-line and header parsing (a few dozen lines) but not the
//! path policy, the stop handle shared with TFTP, or the tests; it keeps
//! connections alive and schedules them its own way, while the behaviour
//! iPXE and the initramfs's busybox wget are known to work with is the one
//! here (`Connection: close`, `Content-Length` from the file, HEAD, idle
//! timeout, a connection cap). Only the PXE vm tests can prove a swap, so
//! the working server stays until one can be run against it.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use crate::formats::fsutil::{resolve_served, Refused};

/// How often the accept loop looks at the stop flag.
const POLL: Duration = Duration::from_millis(100);
/// A request head larger than this is refused.
const MAX_HEAD: usize = 8192;
/// A client that sends no request, or reads nothing, for this long is dropped.
const IDLE: Duration = Duration::from_secs(30);
/// Connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 32;

/// A bound, not yet running, server.
#[derive(Debug)]
pub struct HttpServer {
    listener: TcpListener,
    root: PathBuf,
    log: bool,
}

/// The running HTTP server.
pub type HttpHandle = super::handle::ServerHandle;

impl HttpServer {
    /// Binds `addr` (port 0 for any free one) to serve the files under `root`.
    pub fn bind(addr: impl ToSocketAddrs, root: &Path) -> io::Result<HttpServer> {
        let root = root
            .canonicalize()
            .map_err(|e| io::Error::new(e.kind(), format!("HTTP root {}: {e}", root.display())))?;
        Ok(HttpServer {
            listener: TcpListener::bind(addr)?,
            root,
            log: false,
        })
    }

    /// Print one line per request on stderr (for `ironstor pxe serve`).
    pub fn with_log(mut self, log: bool) -> HttpServer {
        self.log = log;
        self
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Answers requests until `stop` is set, then waits for the responses
    /// under way to end.
    pub fn serve_until(&self, stop: &AtomicBool) -> io::Result<()> {
        self.listener.set_nonblocking(true)?;
        let active = AtomicUsize::new(0);
        thread::scope(|scope| {
            while !stop.load(Ordering::Relaxed) {
                if active.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                    thread::sleep(POLL);
                    continue;
                }
                let (stream, peer) = match self.listener.accept() {
                    Ok(got) => got,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        thread::sleep(POLL);
                        continue;
                    }
                    // The client gave up before we accepted; not ours to end on.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                    Err(e) => return Err(e),
                };
                active.fetch_add(1, Ordering::Relaxed);
                let active = &active;
                scope.spawn(move || {
                    let line = self.connection(stream);
                    if self.log {
                        eprintln!("http: {peer} {line}");
                    }
                    active.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Ok(())
        })
    }

    /// Runs the server on a thread of its own.
    pub fn spawn(self) -> io::Result<HttpHandle> {
        let addr = self.local_addr()?;
        HttpHandle::spawn("http", addr, move |stop| self.serve_until(stop))
    }

    /// Serves one request; returns a line for the log.
    fn connection(&self, stream: TcpStream) -> String {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(IDLE));
        let _ = stream.set_write_timeout(Some(IDLE));
        let mut reader = BufReader::new(&stream);
        let head = match read_head(&mut reader) {
            Ok(head) => head,
            Err(e) => return format!("bad request: {e}"),
        };
        let mut out = &stream;
        let (status, what) = match parse_request_line(&head) {
            Err(status) => (respond_error(&mut out, status), String::new()),
            Ok((method, target)) => {
                let what = format!("{method} {target}");
                let status = match resolve_served(&self.root, &target) {
                    Ok(path) => respond_file(&mut out, &path, method == Method::Head),
                    Err(Refused::NotFound) => respond_error(&mut out, 404),
                    Err(Refused::Outside | Refused::Unreadable(_)) => respond_error(&mut out, 403),
                };
                (status, what)
            }
        };
        let _ = out.flush();
        match status {
            Ok(status) => format!("{what} {status}"),
            Err(e) => format!("{what} failed: {e}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
        })
    }
}

/// Reads up to the blank line that ends a request head.
fn read_head(reader: &mut impl BufRead) -> io::Result<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside the request head",
            ));
        }
        head.push_str(&line);
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        if line == "\r\n" || line == "\n" {
            return Ok(head);
        }
    }
}

/// The method and path of a request head, or the status to refuse it with.
/// The query string is dropped; percent-escapes are not decoded (the tree's
/// names need none), so a `%` is refused.
pub fn parse_request_line(head: &str) -> Result<(Method, String), u16> {
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if !version.starts_with("HTTP/1.") {
        return Err(505);
    }
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        _ => return Err(405),
    };
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') || path.contains('%') {
        return Err(400);
    }
    Ok((method, path.to_string()))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("ipxe" | "cfg" | "toml") => "text/plain; charset=utf-8",
        _ if path.ends_with("pxelinux.cfg/default") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond_error(out: &mut impl Write, status: u16) -> io::Result<u16> {
    let body = format!("{status} {}\n", reason(status));
    let allow = if status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    write!(
        out,
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    )?;
    Ok(status)
}

fn respond_file(out: &mut impl Write, path: &Path, head_only: bool) -> io::Result<u16> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(_) => return respond_error(out, 403),
    };
    let len = file.metadata()?.len();
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
        content_type(path)
    )?;
    if !head_only {
        let sent = io::copy(&mut file, out)?;
        if sent != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} shrank while being sent", path.display()),
            ));
        }
    }
    Ok(200)
}

#[cfg(test)]
mod tests;

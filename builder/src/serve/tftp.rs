//! A small read-only TFTP server for the network-boot tree.
//!
//! RFC 1350 in octet mode, with the `blksize` (RFC 2348) and `tsize`
//! (RFC 2349) options that firmware PXE, iPXE, pxelinux and GRUB ask for.
//! Each transfer runs on its own thread and UDP socket (its own TID), and
//! resends a block a bounded number of times before it gives up.
//!
//! Only files under the root are served. A leading `/` means the root, as
//! with `tftpd-hpa --secure`: GRUB asks for `/grub/grub.cfg`. `..`, and
//! symlinks that lead out of the root, are refused.
//!
//! Why not a crate: `tftpd` (1.0) is a daemon with a library face: its
//! `Config` is parsed from command-line arguments, and `Server` offers
//! `new`, a `listen` that holds its thread until the process ends, and an
//! abort flag meant for Ctrl-C; there is no way to read back the port of a
//! port-0 bind, which the unit tests and the vm tests (many VMs on one
//! host) need ([`super::handle::ServerHandle`]), and it logs to stdout by
//! its own macros. `async-tftp` needs an async executor in an otherwise
//! synchronous builder. Neither would apply our
//! [`resolve_served`] policy. blksize and tsize, which firmware PXE and iPXE
//! ask for, are the only options we need and are implemented and tested
//! here; the PXE vm tests are what prove a change, so this stays.

use std::fs::File;
use std::io::{self, Read};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::formats::fsutil::{resolve_served, Refused};

const RRQ: u16 = 1;
const WRQ: u16 = 2;
const DATA: u16 = 3;
const ACK: u16 = 4;
const ERROR: u16 = 5;
const OACK: u16 = 6;

/// RFC 1350 error codes this server sends.
pub const ERR_UNDEFINED: u16 = 0;
pub const ERR_NOT_FOUND: u16 = 1;
pub const ERR_ACCESS: u16 = 2;
pub const ERR_ILLEGAL: u16 = 4;

pub const DEFAULT_BLKSIZE: usize = 512;
const MIN_BLKSIZE: usize = 8;
const MAX_BLKSIZE: usize = 65464;
/// How often blocked receives look at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// Timeouts and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TftpConfig {
    /// How long to wait for an ACK before resending.
    pub timeout: Duration,
    /// Resends of one packet before the transfer is dropped.
    pub retries: u32,
    /// Largest `blksize` granted. 1468 fills a 1500-byte Ethernet frame
    /// without IP fragmentation.
    pub max_blksize: usize,
    /// Transfers running at once; more are refused with an error.
    pub max_transfers: usize,
}

impl Default for TftpConfig {
    fn default() -> Self {
        TftpConfig {
            timeout: Duration::from_secs(1),
            retries: 5,
            max_blksize: 1468,
            max_transfers: 64,
        }
    }
}

/// A bound, not yet running, server.
#[derive(Debug)]
pub struct TftpServer {
    socket: UdpSocket,
    root: PathBuf,
    config: TftpConfig,
}

/// The running TFTP server.
pub type TftpHandle = super::handle::ServerHandle;

impl TftpServer {
    /// Binds `addr` (port 69, or 0 for any) to serve the files under `root`.
    pub fn bind(addr: impl ToSocketAddrs, root: &Path) -> io::Result<TftpServer> {
        let root = root
            .canonicalize()
            .map_err(|e| io::Error::new(e.kind(), format!("TFTP root {}: {e}", root.display())))?;
        Ok(TftpServer {
            socket: UdpSocket::bind(addr)?,
            root,
            config: TftpConfig::default(),
        })
    }

    pub fn with_config(mut self, config: TftpConfig) -> TftpServer {
        self.config = config;
        self
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Answers requests until `stop` is set, then waits for the transfers
    /// under way to notice it and end.
    pub fn serve_until(&self, stop: &AtomicBool) -> io::Result<()> {
        self.socket.set_read_timeout(Some(POLL))?;
        let local_ip = self.socket.local_addr()?.ip();
        let active = AtomicUsize::new(0);
        thread::scope(|scope| {
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                let (n, peer) = match self.socket.recv_from(&mut buf) {
                    Ok(got) => got,
                    Err(e) if is_timeout(&e) => continue,
                    // An ICMP error for an earlier packet; not ours to end on.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
                    Err(e) => return Err(e),
                };
                let packet = buf[..n].to_vec();
                let busy = active.load(Ordering::Relaxed) >= self.config.max_transfers;
                active.fetch_add(1, Ordering::Relaxed);
                let active = &active;
                scope.spawn(move || {
                    if let Ok(sock) = UdpSocket::bind((local_ip, 0)) {
                        if sock.connect(peer).is_ok() {
                            let t = Transfer {
                                sock,
                                config: &self.config,
                                stop,
                            };
                            if busy {
                                t.error(ERR_UNDEFINED, "server busy, try again");
                            } else {
                                t.handle(&packet, &self.root);
                            }
                        }
                    }
                    active.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Ok(())
        })
    }

    /// Runs the server on a thread of its own.
    pub fn spawn(self) -> io::Result<TftpHandle> {
        let addr = self.local_addr()?;
        TftpHandle::spawn("tftp", addr, move |stop| self.serve_until(stop))
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A parsed RRQ or WRQ.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    opcode: u16,
    filename: String,
    mode: String,
    options: Vec<(String, String)>,
}

fn parse_request(packet: &[u8]) -> Result<Request, &'static str> {
    if packet.len() < 2 {
        return Err("short packet");
    }
    let opcode = u16::from_be_bytes([packet[0], packet[1]]);
    if opcode != RRQ && opcode != WRQ {
        return Err("expected a read request");
    }
    let body = packet[2..]
        .strip_suffix(&[0])
        .ok_or("request does not end in NUL")?;
    let mut fields = body
        .split(|&b| b == 0)
        .map(|f| std::str::from_utf8(f).map_err(|_| "request fields must be UTF-8"));
    let filename = fields.next().ok_or("no file name")??.to_string();
    let mode = fields
        .next()
        .ok_or("no transfer mode")??
        .to_ascii_lowercase();
    let mut options = Vec::new();
    while let Some(name) = fields.next() {
        let value = fields.next().ok_or("option without a value")??;
        options.push((name?.to_ascii_lowercase(), value.to_string()));
    }
    if filename.is_empty() {
        return Err("empty file name");
    }
    Ok(Request {
        opcode,
        filename,
        mode,
        options,
    })
}

/// The file `name` names under `root` (already canonical), or the error to
/// send.
fn resolve(root: &Path, name: &str) -> Result<PathBuf, (u16, String)> {
    resolve_served(root, name).map_err(|refused| {
        let code = match refused {
            Refused::NotFound => ERR_NOT_FOUND,
            Refused::Outside | Refused::Unreadable(_) => ERR_ACCESS,
        };
        (code, format!("{name}: {refused}"))
    })
}

enum Ended {
    Stopped,
    GaveUp,
    ClientError,
    Io,
}

struct Transfer<'a> {
    sock: UdpSocket,
    config: &'a TftpConfig,
    stop: &'a AtomicBool,
}

impl Transfer<'_> {
    fn error(&self, code: u16, message: &str) {
        let mut p = Vec::with_capacity(5 + message.len());
        p.extend(ERROR.to_be_bytes());
        p.extend(code.to_be_bytes());
        p.extend(message.as_bytes());
        p.push(0);
        let _ = self.sock.send(&p);
    }

    fn handle(&self, packet: &[u8], root: &Path) {
        let req = match parse_request(packet) {
            Ok(r) => r,
            Err(why) => return self.error(ERR_ILLEGAL, why),
        };
        if req.opcode == WRQ {
            return self.error(ERR_ACCESS, "this server is read-only");
        }
        if req.mode != "octet" {
            return self.error(
                ERR_UNDEFINED,
                &format!("{} mode is not supported; use octet", req.mode),
            );
        }
        let path = match resolve(root, &req.filename) {
            Ok(p) => p,
            Err((code, message)) => return self.error(code, &message),
        };
        let opened = File::open(&path).and_then(|f| Ok((f.metadata()?.len(), f)));
        let (size, file) = match opened {
            Ok(got) => got,
            Err(e) => return self.error(ERR_ACCESS, &format!("{}: {e}", req.filename)),
        };
        let (blksize, oack) = negotiate(&req.options, size, self.config.max_blksize);
        let _ = self.send_file(file, blksize, &oack);
    }

    fn send_file(&self, mut file: File, blksize: usize, oack: &[u8]) -> Result<(), Ended> {
        if !oack.is_empty() {
            self.send_until_acked(oack, 0)?;
        }
        let mut buf = vec![0u8; 4 + blksize];
        let mut block: u16 = 1;
        loop {
            buf[..2].copy_from_slice(&DATA.to_be_bytes());
            buf[2..4].copy_from_slice(&block.to_be_bytes());
            let n = read_full(&mut file, &mut buf[4..]).map_err(|e| {
                self.error(ERR_UNDEFINED, &format!("read error: {e}"));
                Ended::Io
            })?;
            self.send_until_acked(&buf[..4 + n], block)?;
            // A short block, possibly empty, ends the transfer.
            if n < blksize {
                return Ok(());
            }
            // Past 65535 blocks, wrap to 0 as iPXE, GRUB and tftp-hpa do.
            block = block.wrapping_add(1);
        }
    }

    /// Sends `packet` until `block` is acknowledged, resending on timeout.
    /// Duplicate ACKs of earlier blocks are ignored, not answered, so a
    /// delayed ACK cannot double the traffic (the Sorcerer's Apprentice).
    fn send_until_acked(&self, packet: &[u8], block: u16) -> Result<(), Ended> {
        let mut reply = [0u8; 516];
        for _ in 0..=self.config.retries {
            self.sock.send(packet).map_err(|_| Ended::Io)?;
            let deadline = Instant::now() + self.config.timeout;
            loop {
                if self.stop.load(Ordering::Relaxed) {
                    return Err(Ended::Stopped);
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                self.sock
                    .set_read_timeout(Some(left.min(POLL)))
                    .map_err(|_| Ended::Io)?;
                match self.sock.recv(&mut reply) {
                    Ok(n) if n >= 4 => {
                        let op = u16::from_be_bytes([reply[0], reply[1]]);
                        let num = u16::from_be_bytes([reply[2], reply[3]]);
                        match op {
                            ACK if num == block => return Ok(()),
                            ERROR => return Err(Ended::ClientError),
                            _ => {}
                        }
                    }
                    Ok(_) => {}
                    Err(e) if is_timeout(&e) => {}
                    // The client is gone (ICMP port unreachable).
                    Err(_) => return Err(Ended::Io),
                }
            }
        }
        Err(Ended::GaveUp)
    }
}

/// The block size to use and the OACK to send (empty when the client asked
/// for no option we know, so the transfer starts with block 1).
fn negotiate(options: &[(String, String)], size: u64, max_blksize: usize) -> (usize, Vec<u8>) {
    let mut blksize = DEFAULT_BLKSIZE;
    let mut acked: Vec<(&str, String)> = Vec::new();
    for (name, value) in options {
        match name.as_str() {
            "blksize" => {
                // Out-of-range values are ignored, as RFC 2348 allows.
                if let Ok(want) = value.parse::<usize>() {
                    if (MIN_BLKSIZE..=MAX_BLKSIZE).contains(&want) {
                        blksize = want.min(max_blksize.clamp(MIN_BLKSIZE, MAX_BLKSIZE));
                        acked.push(("blksize", blksize.to_string()));
                    }
                }
            }
            "tsize" => acked.push(("tsize", size.to_string())),
            _ => {}
        }
    }
    let mut oack = Vec::new();
    if !acked.is_empty() {
        oack.extend(OACK.to_be_bytes());
        for (name, value) in acked {
            oack.extend(name.as_bytes());
            oack.push(0);
            oack.extend(value.as_bytes());
            oack.push(0);
        }
    }
    (blksize, oack)
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests;

//! Clients that stall in a request body: timed out, and unable to take the
//! listener from everyone else.

use std::io::Read;
use std::time::{Duration, Instant};

use super::net::{ip, stall_in_body, Net};
use crate::daemon::Limits;

/// Before the fix: 256 connections stalled in a login's body held every
/// slot of the HTTPS listener, and a request from another address was
/// never answered. Now one address holds at most its per-address cap and
/// the other client is answered at once.
#[test]
fn stalled_connections_from_one_address_do_not_starve_another() {
    let net = Net::start(Limits::default());
    let attacker = ip("127.0.0.1");
    let mut stalled = Vec::new();
    for _ in 0..256 {
        let mut stream = net.tls_from(attacker);
        // Past the cap the server closes at once: the write or handshake
        // fails, and that is the point.
        if stall_in_body(&mut stream, 1000, 10).is_ok() {
            stalled.push(stream);
        }
    }
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    let addr = net.addr();
    let cert = net.certificate();
    std::thread::spawn(move || {
        let mut stream = super::net::tls_to(addr, ip("127.0.0.2"), cert);
        let r = crate::api::client::send(&mut stream, "GET", "/api/v1/setup", &[], None);
        let _ = tx.send(r.map(|r| r.status));
    });
    let answer = rx.recv_timeout(Duration::from_secs(10));
    assert!(
        matches!(answer, Ok(Ok(200))),
        "another address got {answer:?} after {:?}",
        started.elapsed()
    );
    assert!(
        stalled.len() <= Limits::default().connections_per_address,
        "{} stalled connections were kept",
        stalled.len()
    );
    assert!(Limits::default().connections_per_address >= 32);
}

/// Before the fix: a body that stalls after its headers kept the
/// connection open for ever (only the headers had a timeout).
#[test]
fn a_stalled_body_is_answered_and_closed_after_the_idle_timeout() {
    let net = Net::start(Limits {
        body_idle_timeout: Duration::from_millis(500),
        ..Limits::default()
    });
    let mut stream = net.tls_from(ip("127.0.0.1"));
    stall_in_body(&mut stream, 1000, 10).unwrap();
    stream
        .sock
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "still open after {:?}: {read:?} {text}",
        started.elapsed()
    );
    assert!(text.starts_with("HTTP/1.1 4"), "{read:?} {text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close") || read.is_ok(),
        "{text}"
    );
}

/// A body that keeps moving, slowly, is not cut: the timeout is on no
/// progress, not on total time (a bundle upload takes minutes).
#[test]
fn a_slow_body_that_keeps_moving_is_not_cut() {
    use std::io::Write;
    let net = Net::start(Limits {
        body_idle_timeout: Duration::from_millis(400),
        ..Limits::default()
    });
    let body = br#"{"password": "not the password"}"#;
    let mut stream = net.tls_from(ip("127.0.0.1"));
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: storaged\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // 1.2 s in all, 150 ms between pieces.
    for piece in body.chunks(4) {
        stream.write_all(piece).unwrap();
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    // No password is set: the body was read whole and understood.
    assert!(text.contains("setup_required"), "{text}");
}

/// A kept-alive connection that sends no next request is dropped after the
/// header timeout too: idle connections cannot hold slots for ever.
#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    use std::io::Write;
    let net = Net::start(Limits {
        header_timeout: Duration::from_millis(800),
        ..Limits::default()
    });
    let mut stream = net.tls_from(ip("127.0.0.1"));
    stream
        .write_all(b"GET /api/v1/setup HTTP/1.1\r\nHost: storaged\r\n\r\n")
        .unwrap();
    stream.flush().unwrap();
    stream
        .sock
        .set_read_timeout(Some(Duration::from_secs(6)))
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "still open after {:?}: {read:?}",
        started.elapsed()
    );
}

/// A request refused before its body is read (no login) is answered at
/// once and its connection closed, however long the body idle timeout.
#[test]
fn a_refused_request_with_a_stalled_body_is_closed_at_once() {
    use std::io::Write;
    let net = Net::start(Limits::default());
    net.set_password();
    let mut stream = net.tls_from(ip("127.0.0.1"));
    stream
        .write_all(b"POST /api/v1/upgrade/reboot HTTP/1.1\r\nHost: storaged\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nxx")
        .unwrap();
    stream.flush().unwrap();
    stream
        .sock
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 401"), "{read:?} {text}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "still open after {:?}: {read:?}",
        started.elapsed()
    );
}

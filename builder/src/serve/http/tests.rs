use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;

use super::*;

/// Sends `request` raw and returns the whole answer.
fn ask(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn tree() -> (tempfile::TempDir, HttpHandle) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    fs::create_dir_all(root.join("grub")).unwrap();
    fs::write(root.join("boot.ipxe"), "#!ipxe\nboot\n").unwrap();
    fs::write(root.join("grub/grub.cfg"), "set timeout=0\n").unwrap();
    // Larger than any socket buffer, so the body really streams.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(root.join("root.squashfs"), &big).unwrap();
    fs::write(dir.path().join("secret"), "outside").unwrap();
    let server = HttpServer::bind("127.0.0.1:0", &root).unwrap();
    (dir, server.spawn().unwrap())
}

#[test]
fn http_get_serves_files_whole_with_their_length() {
    let (_dir, server) = tree();
    let addr = server.local_addr();
    let a = ask(addr, "GET /boot.ipxe HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(a.starts_with("HTTP/1.1 200 OK\r\n"), "{a}");
    assert!(a.contains("Content-Length: 12\r\n"), "{a}");
    assert!(a.contains("Content-Type: text/plain"), "{a}");
    assert!(a.ends_with("\r\n\r\n#!ipxe\nboot\n"), "{a}");

    let a = ask(addr, "GET /grub/grub.cfg?x=1 HTTP/1.0\r\n\r\n");
    assert!(a.ends_with("set timeout=0\n"), "query dropped: {a}");

    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /root.squashfs HTTP/1.1\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&answer[..split]);
    assert!(head.contains("Content-Length: 3000000\r\n"), "{head}");
    assert_eq!(answer.len() - split, 3_000_000);
    assert!(answer[split..]
        .iter()
        .enumerate()
        .all(|(i, b)| *b == (i % 251) as u8));
    server.shutdown().unwrap();
}

#[test]
fn http_head_sends_the_length_without_the_body() {
    let (_dir, server) = tree();
    let a = ask(server.local_addr(), "HEAD /root.squashfs HTTP/1.1\r\n\r\n");
    assert!(a.starts_with("HTTP/1.1 200 OK\r\n"), "{a}");
    assert!(a.contains("Content-Length: 3000000\r\n"));
    assert!(a.ends_with("\r\n\r\n"), "no body: {a:?}");
}

#[test]
fn http_refuses_missing_escaping_and_unsupported_requests() {
    let (_dir, server) = tree();
    let addr = server.local_addr();
    let status = |req: &str| ask(addr, req).lines().next().unwrap_or("").to_string();
    assert_eq!(
        status("GET /nope HTTP/1.1\r\n\r\n"),
        "HTTP/1.1 404 Not Found"
    );
    assert_eq!(
        status("GET /grub HTTP/1.1\r\n\r\n"),
        "HTTP/1.1 404 Not Found"
    );
    assert_eq!(
        status("GET /../secret HTTP/1.1\r\n\r\n"),
        "HTTP/1.1 403 Forbidden"
    );
    assert_eq!(
        status("GET /%2e%2e/secret HTTP/1.1\r\n\r\n"),
        "HTTP/1.1 400 Bad Request"
    );
    let post = ask(addr, "POST /boot.ipxe HTTP/1.1\r\n\r\n");
    assert!(post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    assert!(post.contains("Allow: GET, HEAD\r\n"));
    assert_eq!(
        status("GET /boot.ipxe SPDY/3\r\n\r\n"),
        "HTTP/1.1 505 HTTP Version Not Supported"
    );
    // The server is still there after all that.
    assert!(ask(addr, "GET /boot.ipxe HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200"));
}

#[test]
fn http_request_line_parses_method_and_path() {
    assert_eq!(
        parse_request_line("GET /a/b.cfg HTTP/1.1\r\nHost: h\r\n\r\n"),
        Ok((Method::Get, "/a/b.cfg".into()))
    );
    assert_eq!(
        parse_request_line("HEAD /x HTTP/1.0\r\n\r\n"),
        Ok((Method::Head, "/x".into()))
    );
    assert_eq!(parse_request_line("GET /x\r\n\r\n"), Err(400));
    assert_eq!(parse_request_line("GET x HTTP/1.1\r\n"), Err(400));
    assert_eq!(parse_request_line("DELETE /x HTTP/1.1\r\n"), Err(405));
    assert_eq!(parse_request_line("GET /x HTTP/2\r\n"), Err(505));
}

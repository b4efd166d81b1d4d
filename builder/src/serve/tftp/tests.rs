use super::*;
use std::fs;

/// What the in-test client got.
#[derive(Debug)]
struct Got {
    data: Vec<u8>,
    oack: Vec<(String, String)>,
    block_sizes: Vec<usize>,
}

fn request(opcode: u16, name: &str, mode: &str, opts: &[(&str, &str)]) -> Vec<u8> {
    let mut p = opcode.to_be_bytes().to_vec();
    for field in [name, mode]
        .into_iter()
        .chain(opts.iter().flat_map(|(k, v)| [*k, *v]))
    {
        p.extend(field.as_bytes());
        p.push(0);
    }
    p
}

fn client() -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    sock
}

/// Sends `packet` to the server; returns the file or the error packet.
fn exchange(server: SocketAddr, packet: &[u8]) -> Result<Got, (u16, String)> {
    let sock = client();
    sock.send_to(packet, server).unwrap();
    let mut got = Got {
        data: Vec::new(),
        oack: Vec::new(),
        block_sizes: Vec::new(),
    };
    let mut blksize = DEFAULT_BLKSIZE;
    let mut expect: u16 = 1;
    let mut buf = vec![0u8; 70000];
    // Bounded: no test file needs more than this many packets.
    for _ in 0..1000 {
        let (n, from) = sock.recv_from(&mut buf).expect("server answers in time");
        assert_ne!(from, server, "replies come from a new TID");
        let op = u16::from_be_bytes([buf[0], buf[1]]);
        let num = u16::from_be_bytes([buf[2], buf[3]]);
        match op {
            ERROR => {
                let msg = String::from_utf8_lossy(&buf[4..n - 1]).into_owned();
                return Err((num, msg));
            }
            OACK => {
                let fields: Vec<String> = buf[2..n - 1]
                    .split(|&b| b == 0)
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                for pair in fields.chunks(2) {
                    if pair[0] == "blksize" {
                        blksize = pair[1].parse().unwrap();
                    }
                    got.oack.push((pair[0].clone(), pair[1].clone()));
                }
                sock.send_to(&[0, ACK as u8, 0, 0], from).unwrap();
            }
            DATA => {
                assert_eq!(num, expect, "blocks in order");
                got.data.extend(&buf[4..n]);
                got.block_sizes.push(n - 4);
                let mut ack = ACK.to_be_bytes().to_vec();
                ack.extend(num.to_be_bytes());
                sock.send_to(&ack, from).unwrap();
                if n - 4 < blksize {
                    return Ok(got);
                }
                expect += 1;
            }
            other => panic!("unexpected opcode {other}"),
        }
    }
    panic!("transfer did not end");
}

fn get(server: SocketAddr, name: &str, opts: &[(&str, &str)]) -> Result<Got, (u16, String)> {
    exchange(server, &request(RRQ, name, "octet", opts))
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// A tree `<tmp>/root` with a few files, and `<tmp>/secret` outside it.
fn serve(config: TftpConfig) -> (tempfile::TempDir, TftpHandle) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("pxelinux.cfg")).unwrap();
    fs::write(root.join("big"), pattern(1300)).unwrap();
    fs::write(root.join("even"), pattern(1024)).unwrap();
    fs::write(root.join("pxelinux.cfg/default"), b"DEFAULT x\n").unwrap();
    fs::write(dir.path().join("secret"), b"secret").unwrap();
    std::os::unix::fs::symlink("../secret", root.join("link-out")).unwrap();
    let handle = TftpServer::bind("127.0.0.1:0", &root)
        .unwrap()
        .with_config(config)
        .spawn()
        .unwrap();
    (dir, handle)
}

#[test]
fn tftp_sends_a_file_larger_than_one_block() {
    let (_dir, server) = serve(TftpConfig::default());
    let got = get(server.local_addr(), "big", &[]).unwrap();
    assert_eq!(got.data, pattern(1300));
    assert_eq!(got.block_sizes, [512, 512, 276]);
    assert!(got.oack.is_empty(), "no options asked, no OACK");
    let got = get(server.local_addr(), "/pxelinux.cfg/default", &[]).unwrap();
    assert_eq!(got.data, b"DEFAULT x\n", "a leading / means the root");
    server.shutdown().unwrap();
}

#[test]
fn tftp_exact_multiple_of_the_block_size_ends_with_an_empty_block() {
    let (_dir, server) = serve(TftpConfig::default());
    let got = get(server.local_addr(), "even", &[]).unwrap();
    assert_eq!(got.data, pattern(1024));
    assert_eq!(got.block_sizes, [512, 512, 0]);
}

#[test]
fn tftp_negotiates_blksize_and_tsize() {
    let (_dir, server) = serve(TftpConfig::default());
    let got = get(
        server.local_addr(),
        "big",
        &[("blksize", "1024"), ("tsize", "0"), ("timeout", "1")],
    )
    .unwrap();
    assert_eq!(
        got.oack,
        [
            ("blksize".to_string(), "1024".to_string()),
            ("tsize".to_string(), "1300".to_string())
        ],
        "unknown options are left out of the OACK"
    );
    assert_eq!(got.block_sizes, [1024, 276]);
    assert_eq!(got.data, pattern(1300));

    // Larger than the server grants: clamped, and the client follows.
    let got = get(server.local_addr(), "big", &[("BLKSIZE", "9000")]).unwrap();
    assert_eq!(got.oack, [("blksize".to_string(), "1468".to_string())]);
    assert_eq!(got.block_sizes, [1300]);

    // tsize alone: OACK, then 512-byte blocks.
    let got = get(server.local_addr(), "even", &[("tsize", "0")]).unwrap();
    assert_eq!(got.oack, [("tsize".to_string(), "1024".to_string())]);
    assert_eq!(got.block_sizes, [512, 512, 0]);
}

#[test]
fn tftp_missing_file_is_error_1() {
    let (_dir, server) = serve(TftpConfig::default());
    let (code, msg) = get(server.local_addr(), "nope.efi", &[]).unwrap_err();
    assert_eq!(code, ERR_NOT_FOUND);
    assert!(msg.contains("nope.efi"), "{msg}");
    let (code, _) = get(server.local_addr(), "pxelinux.cfg", &[]).unwrap_err();
    assert_eq!(code, ERR_NOT_FOUND, "a directory is not a file");
}

#[test]
fn tftp_refuses_paths_outside_the_root() {
    let (_dir, server) = serve(TftpConfig::default());
    for name in ["../secret", "pxelinux.cfg/../../secret", "link-out"] {
        let (code, msg) = get(server.local_addr(), name, &[]).unwrap_err();
        assert_eq!(code, ERR_ACCESS, "{name}");
        assert!(msg.contains("outside the served tree"), "{msg}");
    }
    // An absolute name is looked up under the root, never on the host.
    let (code, _) = get(server.local_addr(), "/secret", &[]).unwrap_err();
    assert_eq!(code, ERR_NOT_FOUND);
}

#[test]
fn tftp_refuses_write_requests_and_netascii() {
    let (_dir, server) = serve(TftpConfig::default());
    let (code, msg) =
        exchange(server.local_addr(), &request(WRQ, "big", "octet", &[])).unwrap_err();
    assert_eq!(
        (code, msg.as_str()),
        (ERR_ACCESS, "this server is read-only")
    );
    let (code, msg) =
        exchange(server.local_addr(), &request(RRQ, "big", "netascii", &[])).unwrap_err();
    assert_eq!(code, ERR_UNDEFINED);
    assert!(msg.contains("netascii mode is not supported"), "{msg}");
    let (code, _) = exchange(server.local_addr(), &[0, 9, 0, 0]).unwrap_err();
    assert_eq!(code, ERR_ILLEGAL);
}

#[test]
fn tftp_resends_an_unacknowledged_block_then_gives_up() {
    let config = TftpConfig {
        timeout: Duration::from_millis(100),
        retries: 2,
        ..TftpConfig::default()
    };
    let (_dir, server) = serve(config);
    let sock = client();
    sock.send_to(&request(RRQ, "big", "octet", &[]), server.local_addr())
        .unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(600)))
        .unwrap();
    let mut buf = [0u8; 600];
    let mut blocks = Vec::new();
    // Never ACK: the first send and `retries` resends, then silence.
    while let Ok(n) = sock.recv(&mut buf) {
        assert_eq!(&buf[..4], &[0, DATA as u8, 0, 1]);
        blocks.push(n);
        assert!(blocks.len() <= 10, "bounded resends");
    }
    assert_eq!(blocks, [516, 516, 516]);
}

#[test]
fn tftp_shutdown_ends_a_stalled_transfer_promptly() {
    let (_dir, server) = serve(TftpConfig::default());
    let sock = client();
    sock.send_to(&request(RRQ, "big", "octet", &[]), server.local_addr())
        .unwrap();
    let mut buf = [0u8; 600];
    sock.recv(&mut buf).unwrap();
    // The transfer now waits up to 6 s for an ACK that never comes.
    let start = Instant::now();
    server.shutdown().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn tftp_request_parsing() {
    let req = parse_request(&request(RRQ, "a/b", "OCTET", &[("Tsize", "0")])).unwrap();
    assert_eq!(req.filename, "a/b");
    assert_eq!(req.mode, "octet");
    assert_eq!(req.options, [("tsize".to_string(), "0".to_string())]);
    assert!(
        parse_request(&[0, 1, b'a', 0, b'o']).is_err(),
        "no final NUL"
    );
    let no_value = b"\x00\x01a\x00octet\x00blksize\x00";
    assert_eq!(parse_request(no_value), Err("option without a value"));
    assert!(parse_request(&request(RRQ, "", "octet", &[])).is_err());
}

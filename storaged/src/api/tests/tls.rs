//! The HTTPS certificate: made at first start, kept, reused.

use std::os::unix::fs::PermissionsExt;

use super::*;

/// The certificate the server presents in a handshake.
fn served_certificate(h: &Harness) -> Vec<u8> {
    use std::io::Write;
    let mut stream = h.tls_stream();
    // Writing drives the handshake; verification against cert.pem passed
    // if this returns.
    stream.write_all(b"").unwrap();
    stream.flush().unwrap();
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock).unwrap();
    }
    stream.conn.peer_certificates().unwrap()[0].to_vec()
}

#[test]
fn the_certificate_is_created_once_and_reused_across_restarts() {
    let h = Harness::with_https();
    let cert = std::fs::read(h.cert_path()).unwrap();
    let key_path = h.config.tls_dir.join(crate::tls::KEY_FILE);
    let key = std::fs::read(&key_path).unwrap();
    for path in [h.cert_path(), key_path.clone()] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
    assert!(h.cert_path().starts_with(h.state_dir()));
    let served = served_certificate(&h);
    assert_eq!(served, h.certificate().to_vec());

    let h = h.restart();
    assert_eq!(std::fs::read(h.cert_path()).unwrap(), cert);
    assert_eq!(std::fs::read(&key_path).unwrap(), key);
    assert_eq!(served_certificate(&h), served);
}

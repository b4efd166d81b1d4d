//! The owner's own HTTPS certificate: shown, replaced from a PEM upload,
//! served without a restart; refused uploads change nothing.

use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use serde_json::{json, Value};
use tokio_rustls::rustls::pki_types::CertificateDer;

use super::net::{ip, tls_to, Net};
use super::{assert_documented, error_of, PASSWORD};
use crate::api::client::{self, Response, UnixClient};
use crate::daemon::Limits;
use crate::tls::fingerprint;

fn socket(net: &Net) -> UnixClient {
    UnixClient::new(net.daemon.socket_path(), Duration::from_secs(10))
}

fn put_pem(net: &Net, pem: &str) -> Response {
    let mut stream = socket(net).connect().unwrap();
    client::send_raw(
        &mut stream,
        "PUT",
        "/api/v1/certificate",
        &[],
        Some(("application/x-pem-file", pem.as_bytes())),
    )
    .unwrap()
}

/// The DER of the certificate a new handshake trusting `trust` gets.
fn served(net: &Net, trust: CertificateDer<'static>) -> Vec<u8> {
    use std::io::Write;
    let mut stream = tls_to(net.addr(), ip("127.0.0.1"), trust);
    stream.write_all(b"").unwrap();
    stream.flush().unwrap();
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock).unwrap();
    }
    stream.conn.peer_certificates().unwrap()[0].to_vec()
}

fn self_signed(cn: &str) -> (String, String, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

fn files(net: &Net) -> (Vec<u8>, Vec<u8>) {
    let dir = &net.config.tls_dir;
    (
        std::fs::read(dir.join(crate::tls::CERT_FILE)).unwrap(),
        std::fs::read(dir.join(crate::tls::KEY_FILE)).unwrap(),
    )
}

#[test]
fn the_served_certificate_is_shown_with_its_fingerprint() {
    let net = Net::start(Limits::default());
    let info: Value = socket(&net).get("/certificate").unwrap();
    assert_documented("GET", "/certificate", 200, &info);
    let der = served(&net, net.certificate());
    assert_eq!(
        info["fingerprint_sha256"],
        fingerprint::sha256(&der).as_str()
    );
    let text = info["fingerprint_sha256"].as_str().unwrap();
    assert_eq!(text.len(), 32 * 3 - 1);
    assert!(text
        .chars()
        .all(|c| c == ':' || c.is_ascii_digit() || c.is_ascii_uppercase()));
    assert_eq!(info["self_signed"], true);
    assert!(
        info["subject"].as_str().unwrap().contains("storaged on"),
        "{info}"
    );
}

#[test]
fn an_uploaded_certificate_is_served_at_once() {
    let net = Net::start(Limits::default());
    let (cert_pem, key_pem, der) = self_signed("nas.example");
    // Key first, then the certificate: any order in one text.
    let r = put_pem(&net, &format!("{key_pem}\n{cert_pem}"));
    assert_eq!(r.status, 200, "{:?}", r.json());
    let info = r.json().unwrap();
    assert_documented("PUT", "/certificate", 200, &info);
    assert_eq!(
        info["fingerprint_sha256"],
        fingerprint::sha256(&der).as_str()
    );
    assert_eq!(info["subject"], "CN=nas.example");
    let served_now = served(&net, CertificateDer::from(der.clone()));
    assert_eq!(served_now, der, "served without a restart");
    let (cert_file, key_file) = files(&net);
    assert!(!String::from_utf8_lossy(&cert_file).contains("PRIVATE KEY"));
    assert!(String::from_utf8_lossy(&key_file).contains("PRIVATE KEY"));
    assert_eq!(net.certificate().to_vec(), der);
}

#[test]
fn a_chain_signed_by_a_ca_is_served_whole() {
    let net = Net::start(Limits::default());
    net.set_password();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "Home CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, "nas.home");
    let leaf = leaf.signed_by(&key, &issuer).unwrap();
    let pem = format!("{}{}{}", leaf.pem(), ca_cert.pem(), key.serialize_pem());
    // Over HTTPS with a bearer session, as a script would.
    let session = net.request_from(
        ip("127.0.0.1"),
        "POST",
        "/login",
        &[],
        Some(&json!({"password": PASSWORD})),
    );
    let bearer = format!(
        "Bearer {}",
        session.json().unwrap()["token"].as_str().unwrap()
    );
    let mut stream = net.tls_from(ip("127.0.0.1"));
    let r = client::send_raw(
        &mut stream,
        "PUT",
        "/api/v1/certificate",
        &[("Authorization", &bearer)],
        Some(("text/plain", pem.as_bytes())),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());
    let info = r.json().unwrap();
    assert_eq!(info["self_signed"], false);
    assert_eq!(info["chain_length"], 2);
    assert_eq!(info["issuer"], "CN=Home CA");
    // A client trusting only the CA now accepts the console.
    let served_now = served(&net, ca_cert.der().clone());
    assert_eq!(served_now, leaf.der().to_vec());
}

#[test]
fn refused_uploads_change_nothing() {
    let net = Net::start(Limits::default());
    let before = files(&net);
    let served_before = served(&net, net.certificate());
    let (cert_pem, _, _) = self_signed("nas.example");
    let (_, other_key, _) = self_signed("other");
    for (pem, expected) in [
        (format!("{cert_pem}{other_key}"), "does not belong"),
        (cert_pem.clone(), "no private key"),
        (other_key.clone(), "no certificate"),
        ("hello".to_string(), "no certificate"),
        (
            format!("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n{other_key}"),
            "cannot be read",
        ),
    ] {
        let r = put_pem(&net, &pem);
        assert_eq!(r.status, 422, "{expected}: {:?}", r.json());
        assert_eq!(error_of(&r).1.as_deref(), Some("body"));
        let message = r.json().unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(expected), "{expected}: {message}");
        assert_eq!(files(&net), before);
    }
    assert_eq!(served(&net, net.certificate()), served_before);
}

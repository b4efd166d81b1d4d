//! A certificate's SHA-256 fingerprint: what the console screen shows, what
//! a browser's certificate viewer shows, and what a remote `storagectl`
//! pins. Spelled as `openssl x509 -fingerprint -sha256` and browsers spell
//! it: 32 upper-case hex pairs joined by colons.

use std::path::Path;

use sha2::{Digest, Sha256};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// The fingerprint of a DER certificate.
pub fn sha256(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fingerprint of the first certificate in a PEM file (the server's
/// own, in a chain); `None` when the file holds none.
pub fn of_pem_file(path: &Path) -> std::io::Result<Option<String>> {
    let pem = std::fs::read(path)?;
    Ok(CertificateDer::pem_slice_iter(&pem)
        .next()
        .and_then(Result::ok)
        .map(|der| sha256(&der)))
}

/// A fingerprint as people copy it (colons or not, any case, an optional
/// `SHA256:` prefix) in the one spelling of [`sha256`]; `None` when it is
/// not 32 bytes of hex.
pub fn normalise(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text
        .strip_prefix("SHA256:")
        .or_else(|| text.strip_prefix("sha256:"))
        .unwrap_or(text);
    let hex: String = text.chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let upper = hex.to_ascii_uppercase();
    Some(
        upper
            .as_bytes()
            .chunks(2)
            .map(|pair| std::str::from_utf8(pair).expect("ASCII"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_colon_separated_upper_case_sha256() {
        // SHA-256 of the empty string.
        let empty = sha256(b"");
        assert!(empty.starts_with("E3:B0:C4:42:98:FC:1C:14"), "{empty}");
        assert_eq!(empty.len(), 32 * 3 - 1);
        let bare = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(normalise(bare).as_deref(), Some(empty.as_str()));
        assert_eq!(
            normalise(&format!("SHA256:{}", empty.to_lowercase())).as_deref(),
            Some(empty.as_str())
        );
        assert_eq!(normalise("E3:B0"), None);
        assert_eq!(normalise(&bare.replace('e', "g")), None);
    }

    #[test]
    fn reads_the_first_certificate_of_a_pem_file() {
        let dir = tempfile::tempdir().unwrap();
        let cert = crate::tls::ensure_certificate(dir.path(), &["localhost".into()]).unwrap();
        let der = CertificateDer::from_pem_slice(cert.cert_pem.as_bytes()).unwrap();
        let path = dir.path().join(crate::tls::CERT_FILE);
        assert_eq!(of_pem_file(&path).unwrap(), Some(sha256(&der)));
        std::fs::write(&path, "no certificate here").unwrap();
        assert_eq!(of_pem_file(&path).unwrap(), None);
    }
}

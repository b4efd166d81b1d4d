//! The HTTPS listener's certificate: self-signed, created at first start
//! and kept under the state directory, reused on every start after.
//!
//! Files (both mode 0600): `<tls dir>/key.pem` (ECDSA P-256, PKCS#8) and
//! `<tls dir>/cert.pem`. A pair that cannot be used (one file missing,
//! unparsable, or a key that does not match the certificate) is moved aside
//! with a `.bad` suffix and replaced, so a damaged file never keeps the
//! appliance's page down; the caller is told, to log it.
//!
//! The owner may replace the pair with their own certificate
//! ([`CertStore::replace`]); the listener serves it from the next
//! connection on, through the store, without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::ServerConfig;

use crate::util::write_atomic;

pub mod fingerprint;

pub const CERT_FILE: &str = "cert.pem";
pub const KEY_FILE: &str = "key.pem";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate a certificate for {names:?}")]
    Generate {
        names: Vec<String>,
        #[source]
        source: rcgen::Error,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot move the unusable {} aside", .path.display())]
    MoveAside {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the new certificate in {} cannot be used", .dir.display())]
    Unusable {
        dir: PathBuf,
        #[source]
        source: CertificateError,
    },
    #[error("cannot set up TLS")]
    Rustls(#[source] tokio_rustls::rustls::Error),
}

/// Where the certificate in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateOrigin {
    /// None existed: made now.
    Created,
    /// The one made at an earlier start.
    Reused,
    /// The one found could not be used (`reason`); it was moved aside.
    Replaced { reason: String },
}

/// A TLS server configuration with its certificate, and where that came from.
#[derive(Debug)]
pub struct Certificate {
    pub config: Arc<ServerConfig>,
    /// What `config` serves: replaceable while the listener runs.
    pub store: Arc<CertStore>,
    pub origin: CertificateOrigin,
    /// The certificate, PEM: what a client pins or trusts.
    pub cert_pem: String,
}

/// Loads the certificate under `dir`, or creates one for `names` (DNS
/// names and IP addresses) when there is none.
pub fn ensure_certificate(dir: &Path, names: &[String]) -> Result<Certificate, TlsError> {
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    let replaced = match (cert_path.exists(), key_path.exists()) {
        (false, false) => None,
        _ => match load(dir, &cert_path, &key_path) {
            Ok(store) => {
                return Ok(Certificate {
                    config: server_config(&store)?,
                    store,
                    origin: CertificateOrigin::Reused,
                    cert_pem: std::fs::read_to_string(&cert_path).unwrap_or_default(),
                })
            }
            Err(reason) => {
                for path in [&cert_path, &key_path] {
                    if path.exists() {
                        let aside = path.with_extension("pem.bad");
                        std::fs::rename(path, &aside).map_err(|source| TlsError::MoveAside {
                            path: path.clone(),
                            source,
                        })?;
                    }
                }
                Some(reason)
            }
        },
    };

    let (cert_pem, key_pem) = generate(names)?;
    // The key first: a crash between the two leaves a key without a
    // certificate, which the next start replaces.
    for (path, pem) in [(&key_path, &key_pem), (&cert_path, &cert_pem)] {
        write_atomic(path, pem.as_bytes(), 0o600).map_err(|source| TlsError::Write {
            path: path.clone(),
            source,
        })?;
    }
    let store = CertStore::new(dir, &cert_pem, &key_pem).map_err(|source| TlsError::Unusable {
        dir: dir.to_path_buf(),
        source,
    })?;
    let store = Arc::new(store);
    Ok(Certificate {
        config: server_config(&store)?,
        store,
        origin: replaced.map_or(CertificateOrigin::Created, |reason| {
            CertificateOrigin::Replaced { reason }
        }),
        cert_pem,
    })
}

/// The names a certificate for this machine carries: localhost, the host
/// name, and the loopback addresses.
pub fn default_names() -> Vec<String> {
    let mut names = vec!["localhost".to_string()];
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let host = host.trim();
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if valid && host != "localhost" {
            names.push(host.to_string());
        }
    }
    names.extend(["127.0.0.1".to_string(), "::1".to_string()]);
    names
}

/// A new ECDSA P-256 key and a self-signed certificate for `names`, as PEM.
fn generate(names: &[String]) -> Result<(String, String), TlsError> {
    let err = |source| TlsError::Generate {
        names: names.to_vec(),
        source,
    };
    let key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::new(names.to_vec()).map_err(err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "ironstor");
    dn.push(
        DnType::CommonName,
        format!(
            "storaged on {}",
            names.get(1).map_or("localhost", String::as_str)
        ),
    );
    params.distinguished_name = dn;
    let cert = params.self_signed(&key).map_err(err)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Reads an existing pair; the error says why it cannot be used.
fn load(dir: &Path, cert_path: &Path, key_path: &Path) -> Result<Arc<CertStore>, String> {
    let cert_pem = std::fs::read_to_string(cert_path)
        .map_err(|e| format!("cannot read {}: {e}", cert_path.display()))?;
    let key_pem = std::fs::read_to_string(key_path)
        .map_err(|e| format!("cannot read {}: {e}", key_path.display()))?;
    let store = CertStore::new(dir, &cert_pem, &key_pem)
        .map_err(|e| format!("{} and {}: {e}", cert_path.display(), key_path.display()))?;
    Ok(Arc::new(store))
}

/// A rustls server configuration (ring, TLS 1.2 and 1.3, HTTP/1.1 only)
/// serving whatever `store` holds at each handshake.
fn server_config(store: &Arc<CertStore>) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::clone(store) as _);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

mod store;

pub use store::{CertStore, CertificateError, CertificateInfo};

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn names() -> Vec<String> {
        vec!["localhost".into(), "127.0.0.1".into()]
    }

    #[test]
    fn created_once_then_reused_with_private_modes() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure_certificate(dir.path(), &names()).unwrap();
        assert_eq!(first.origin, CertificateOrigin::Created);
        for file in [CERT_FILE, KEY_FILE] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let key = std::fs::read(dir.path().join(KEY_FILE)).unwrap();
        let second = ensure_certificate(dir.path(), &names()).unwrap();
        assert_eq!(second.origin, CertificateOrigin::Reused);
        assert_eq!(second.cert_pem, first.cert_pem);
        assert_eq!(std::fs::read(dir.path().join(KEY_FILE)).unwrap(), key);
    }

    #[test]
    fn a_damaged_pair_is_moved_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure_certificate(dir.path(), &names()).unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        let second = ensure_certificate(dir.path(), &names()).unwrap();
        assert!(
            matches!(&second.origin, CertificateOrigin::Replaced { reason } if reason.contains("key")),
            "{:?}",
            second.origin
        );
        assert_ne!(second.cert_pem, first.cert_pem);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("key.pem.bad")).unwrap(),
            "not a key"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("cert.pem.bad")).unwrap(),
            first.cert_pem
        );
    }

    #[test]
    fn a_key_without_its_certificate_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        ensure_certificate(dir.path(), &names()).unwrap();
        std::fs::remove_file(dir.path().join(CERT_FILE)).unwrap();
        let again = ensure_certificate(dir.path(), &names()).unwrap();
        assert!(matches!(again.origin, CertificateOrigin::Replaced { .. }));
    }

    #[test]
    fn default_names_cover_loopback() {
        let names = default_names();
        assert_eq!(names[0], "localhost");
        assert!(names.contains(&"127.0.0.1".to_string()));
        assert!(names.contains(&"::1".to_string()));
    }
}

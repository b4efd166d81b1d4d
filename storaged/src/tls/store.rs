//! The certificate the HTTPS listener serves, replaceable while it runs:
//! the owner uploads their own (chain and key, PEM), it is checked, written
//! where the self-signed one lived, and served to every new connection
//! from then on, without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use super::{CERT_FILE, KEY_FILE};
use crate::util::write_atomic;

/// Why an uploaded certificate was refused, or could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("no certificate (-----BEGIN CERTIFICATE-----) in the PEM")]
    NoCertificate,
    #[error("no private key (-----BEGIN PRIVATE KEY-----, RSA or EC) in the PEM")]
    NoKey,
    #[error("the PEM cannot be read: {0}")]
    BadPem(String),
    #[error("the certificate cannot be read: {0}")]
    BadCertificate(String),
    #[error("the private key cannot be used: {0}")]
    BadKey(String),
    #[error("the private key does not belong to the first certificate (the server's own)")]
    KeyMismatch,
    #[error("the certificate expired (not after {not_after}, unix seconds)")]
    Expired { not_after: i64 },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What the owner sees of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// SHA-256 of the leaf's DER, `AB:CD:...` as browsers show it.
    pub fingerprint_sha256: String,
    pub subject: String,
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// Subject and issuer are the same: nobody vouches for it.
    pub self_signed: bool,
    /// Certificates in the chain, the leaf included.
    pub chain_length: usize,
}

/// The certificate being served, and where its files live.
pub struct CertStore {
    dir: PathBuf,
    current: RwLock<(Arc<CertifiedKey>, CertificateInfo)>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore")
            .field("dir", &self.dir)
            .field("info", &self.info())
            .finish()
    }
}

impl CertStore {
    /// A store serving `cert_pem` with `key_pem`, whose files are in `dir`.
    pub fn new(dir: &Path, cert_pem: &str, key_pem: &str) -> Result<CertStore, CertificateError> {
        let current = parse(cert_pem, key_pem)?;
        Ok(CertStore {
            dir: dir.to_path_buf(),
            current: RwLock::new(current),
        })
    }

    /// The certificate served now.
    pub fn info(&self) -> CertificateInfo {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    /// Checks `pem` (the chain, leaf first, and the leaf's private key, in
    /// one text), writes it over the files and serves it to new
    /// connections. A refused upload changes nothing.
    pub fn replace(&self, pem: &str) -> Result<CertificateInfo, CertificateError> {
        let (certs, key) = split_pem(pem);
        let parsed = parse(&certs, &key)?;
        if parsed.1.not_after < unix_now() {
            return Err(CertificateError::Expired {
                not_after: parsed.1.not_after,
            });
        }
        // The key first: a crash between the two leaves a pair that does
        // not match, which the next start moves aside (.bad) and replaces
        // with a self-signed one, so the page stays reachable.
        for (name, text) in [(KEY_FILE, &key), (CERT_FILE, &certs)] {
            let path = self.dir.join(name);
            write_atomic(&path, text.as_bytes(), 0o600)
                .map_err(|source| CertificateError::Write { path, source })?;
        }
        let info = parsed.1.clone();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = parsed;
        Ok(info)
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(|e| e.into_inner()).0,
        ))
    }
}

/// The certificate blocks and the private key block of one PEM text, each
/// as PEM text again (the files keep them apart: `cert.pem` is what
/// clients may be shown, `key.pem` never is).
fn split_pem(pem: &str) -> (String, String) {
    let (mut certs, mut key) = (String::new(), String::new());
    let mut block: Option<(bool, String)> = None;
    for line in pem.lines() {
        let line = line.trim_end();
        if let Some(label) = line.strip_prefix("-----BEGIN ") {
            block = Some((label.starts_with("CERTIFICATE"), String::new()));
        }
        if let Some((is_cert, text)) = block.as_mut() {
            text.push_str(line);
            text.push('\n');
            if line.starts_with("-----END ") {
                if *is_cert {
                    certs.push_str(text);
                } else if line.contains("PRIVATE KEY") && key.is_empty() {
                    key.push_str(text);
                }
                block = None;
            }
        }
    }
    (certs, key)
}

/// Parses and checks a chain and its key.
fn parse(
    cert_pem: &str,
    key_pem: &str,
) -> Result<(Arc<CertifiedKey>, CertificateInfo), CertificateError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertificateError::BadPem(e.to_string()))?;
    let leaf = chain.first().ok_or(CertificateError::NoCertificate)?;
    let info = describe(leaf, chain.len())?;
    if key_pem.trim().is_empty() {
        return Err(CertificateError::NoKey);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| CertificateError::BadKey(e.to_string()))?;
    let signing = ring::default_provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| CertificateError::BadKey(e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .map_err(|_| CertificateError::KeyMismatch)?;
    Ok((Arc::new(certified), info))
}

/// The leaf's fingerprint, names and dates.
fn describe(
    leaf: &CertificateDer<'_>,
    chain_length: usize,
) -> Result<CertificateInfo, CertificateError> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(leaf.as_ref())
        .map_err(|e| CertificateError::BadCertificate(e.to_string()))?;
    Ok(CertificateInfo {
        fingerprint_sha256: super::fingerprint::sha256(leaf.as_ref()),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        chain_length,
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

//! Update signing keys: ed25519, stored as two-line text files.
//!
//! ```text
//! ironstor update key, ed25519, public
//! 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29
//! ```
//!
//! The private key file has the same shape with its own first line and the
//! 32-byte seed; `ironstor keygen` writes it with mode 0600. The first line
//! says which file is which, so a private key named as a profile's public
//! key is refused rather than baked into an image.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// First line of a public key file.
pub const PUBLIC_HEADER: &str = "ironstor update key, ed25519, public";
/// First line of a private key file.
pub const PRIVATE_HEADER: &str = "ironstor update key, ed25519, PRIVATE: keep it secret";
/// Where an image carries the public key its upgrades must be signed with,
/// relative to its root.
pub const IMAGE_PUBLIC_KEY: &str = "usr/share/ironstor/update-key.pub";
/// Length of a signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "this is a private key file (first line {PRIVATE_HEADER:?}); a public key was expected"
    )]
    PrivateNotPublic,
    #[error("this is a public key file; a private key was expected")]
    PublicNotPrivate,
    #[error("the first line is {found:?}, expected {expected:?}")]
    BadHeader {
        found: String,
        expected: &'static str,
    },
    #[error("the second line must be 64 hex digits (32 bytes)")]
    BadKey,
    #[error("the bytes are not a valid ed25519 public key")]
    NotOnCurve,
}

/// A key that checks signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// A key that makes signatures.
pub struct SecretKey(SigningKey);

fn key_bytes(text: &str, expected: &'static str) -> Result<[u8; 32], KeyError> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let header = lines.next().unwrap_or_default();
    if header != expected {
        return Err(match (header, expected) {
            (PRIVATE_HEADER, PUBLIC_HEADER) => KeyError::PrivateNotPublic,
            (PUBLIC_HEADER, PRIVATE_HEADER) => KeyError::PublicNotPrivate,
            _ => KeyError::BadHeader {
                found: header.chars().take(60).collect(),
                expected,
            },
        });
    }
    let hex_line = lines.next().ok_or(KeyError::BadKey)?;
    if lines.next().is_some() {
        return Err(KeyError::BadKey);
    }
    let bytes = hex::decode(hex_line).map_err(|_| KeyError::BadKey)?;
    bytes.try_into().map_err(|_| KeyError::BadKey)
}

impl PublicKey {
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let bytes = key_bytes(text, PUBLIC_HEADER)?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| KeyError::NotOnCurve)
    }

    pub fn to_text(&self) -> String {
        format!("{PUBLIC_HEADER}\n{}\n", hex::encode(self.0.as_bytes()))
    }

    /// The key as hex, for messages ("signed by another key than ...").
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.0.as_bytes()[..8])
    }

    /// True when `signature` is this key's signature of `message`. Strict
    /// verification: no malleable or small-order signatures.
    pub fn verifies(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

impl SecretKey {
    /// The key for a 32-byte seed (from the OS's random source).
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    pub fn parse(text: &str) -> Result<SecretKey, KeyError> {
        key_bytes(text, PRIVATE_HEADER).map(SecretKey::from_seed)
    }

    pub fn to_text(&self) -> String {
        format!("{PRIVATE_HEADER}\n{}\n", hex::encode(self.0.to_bytes()))
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sign() {
        let secret = SecretKey::from_seed([7; 32]);
        let public = PublicKey::parse(&secret.public().to_text()).unwrap();
        let again = SecretKey::parse(&secret.to_text()).unwrap();
        assert_eq!(again.public(), public);
        let sig = secret.sign(b"manifest");
        assert!(public.verifies(b"manifest", &sig));
        assert!(!public.verifies(b"manifesT", &sig));
        let other = SecretKey::from_seed([8; 32]).public();
        assert!(!other.verifies(b"manifest", &sig));
    }

    #[test]
    fn key_files_say_what_they_are() {
        let secret = SecretKey::from_seed([7; 32]);
        assert_eq!(
            PublicKey::parse(&secret.to_text()),
            Err(KeyError::PrivateNotPublic)
        );
        assert!(matches!(
            SecretKey::parse(&secret.public().to_text()),
            Err(KeyError::PublicNotPrivate)
        ));
        assert!(matches!(
            PublicKey::parse("hello\nabcd\n"),
            Err(KeyError::BadHeader { .. })
        ));
        assert_eq!(
            PublicKey::parse(&format!("{PUBLIC_HEADER}\nabcd\n")),
            Err(KeyError::BadKey)
        );
    }
}

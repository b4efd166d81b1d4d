//! OpenSSH public keys as the admin pastes them: one line, `type base64
//! [comment]`. Checked before they reach `authorized_keys`, because that
//! file gives root logins: a line break would smuggle a second key or
//! options in, and a weak key is a way in.

use base64ct::{Base64, Base64Unpadded, Encoding};
use sha2::{Digest, Sha256};

/// The smallest RSA modulus accepted (NIST's 128-bit security level).
pub const MIN_RSA_BITS: usize = 3072;

/// Why a key line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("it is empty")]
    Empty,
    #[error("it holds a control character (a line break?): one key per entry, on one line")]
    Control,
    #[error("unsupported key type {0:?}: use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa (3072 bits or more)")]
    Type(String),
    #[error("it has no base64 key after its type")]
    NoKey,
    #[error("its key is not valid base64")]
    Base64,
    #[error("its key data is malformed: {0}")]
    Malformed(&'static str),
    #[error("its type says {line} but its key data is {blob}")]
    TypeMismatch { line: String, blob: String },
    #[error("its RSA key has {bits} bits; at least {MIN_RSA_BITS} are needed")]
    RsaTooSmall { bits: usize },
}

/// A key that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kind: String,
    /// The decoded key data (what fingerprints hash).
    pub blob: Vec<u8>,
    pub comment: String,
    /// RSA modulus or curve size.
    pub bits: usize,
}

impl PublicKey {
    /// `SHA256:<base64, no padding>`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.blob)
    }

    /// The line as written to `authorized_keys`: normalised spacing.
    pub fn line(&self) -> String {
        let mut line = format!("{} {}", self.kind, Base64::encode_string(&self.blob));
        if !self.comment.is_empty() {
            line.push(' ');
            line.push_str(&self.comment);
        }
        line
    }
}

pub fn fingerprint(blob: &[u8]) -> String {
    format!(
        "SHA256:{}",
        Base64Unpadded::encode_string(&Sha256::digest(blob))
    )
}

const ECDSA: [(&str, &str, usize); 3] = [
    ("ecdsa-sha2-nistp256", "nistp256", 256),
    ("ecdsa-sha2-nistp384", "nistp384", 384),
    ("ecdsa-sha2-nistp521", "nistp521", 521),
];

/// Parses and checks one `authorized_keys` line. Options before the type
/// (`from=`, `command=`) are refused: storaged writes none and takes none.
pub fn parse(line: &str) -> Result<PublicKey, KeyProblem> {
    // A trailing newline from a pasted file is fine; one inside is not.
    let line = line.trim();
    if line.chars().any(|c| c.is_control() && c != '\t') {
        return Err(KeyProblem::Control);
    }
    let mut words = line.split_whitespace();
    let kind = words.next().ok_or(KeyProblem::Empty)?;
    let supported = kind == "ssh-ed25519" || kind == "ssh-rsa" || ECDSA.iter().any(|e| e.0 == kind);
    if !supported {
        return Err(KeyProblem::Type(kind.chars().take(40).collect()));
    }
    let data = words.next().ok_or(KeyProblem::NoKey)?;
    let blob = Base64::decode_vec(data).map_err(|_| KeyProblem::Base64)?;
    let comment = words.collect::<Vec<_>>().join(" ");
    let mut reader = Reader(&blob);
    let inner = reader.string()?;
    if inner != kind.as_bytes() {
        return Err(KeyProblem::TypeMismatch {
            line: kind.into(),
            blob: String::from_utf8_lossy(inner).chars().take(40).collect(),
        });
    }
    let bits = match kind {
        "ssh-ed25519" => {
            if reader.string()?.len() != 32 {
                return Err(KeyProblem::Malformed("an ed25519 key is 32 bytes"));
            }
            256
        }
        "ssh-rsa" => {
            let _exponent = reader.string()?;
            let bits = mpint_bits(reader.string()?);
            if bits < MIN_RSA_BITS {
                return Err(KeyProblem::RsaTooSmall { bits });
            }
            bits
        }
        _ => {
            let (_, curve, bits) = ECDSA.iter().find(|e| e.0 == kind).expect("checked");
            if reader.string()? != curve.as_bytes() {
                return Err(KeyProblem::Malformed("the curve does not match the type"));
            }
            if reader.string()?.is_empty() {
                return Err(KeyProblem::Malformed("the curve point is empty"));
            }
            *bits
        }
    };
    if !reader.0.is_empty() {
        return Err(KeyProblem::Malformed("bytes after the key"));
    }
    Ok(PublicKey {
        kind: kind.into(),
        blob,
        comment,
        bits,
    })
}

/// Significant bits of an SSH `mpint` (big-endian, maybe a leading 0).
fn mpint_bits(bytes: &[u8]) -> usize {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    trimmed.len() * 8 - trimmed[0].leading_zeros() as usize
}

/// The SSH wire format's length-prefixed strings.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn string(&mut self) -> Result<&'a [u8], KeyProblem> {
        let short = KeyProblem::Malformed("it ends inside a field");
        let (len, rest) = self.0.split_first_chunk::<4>().ok_or(short.clone())?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return Err(short);
        }
        let (field, rest) = rest.split_at(len);
        self.0 = rest;
        Ok(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = include_str!("testdata/ed25519.pub");
    const RSA3072: &str = include_str!("testdata/rsa3072.pub");
    const RSA2048: &str = include_str!("testdata/rsa2048.pub");
    const ECDSA256: &str = include_str!("testdata/ecdsa256.pub");

    #[test]
    fn accepted_keys_have_ssh_keygens_fingerprints() {
        // From `ssh-keygen -lf` on the fixtures.
        let ed = parse(ED25519).unwrap();
        assert_eq!(
            ed.fingerprint(),
            "SHA256:ZQpO9ck45DmXIfcnvUpYNJm3gzFx3HayQ9m6CmqpRYQ"
        );
        assert_eq!(ed.comment, "test@ed25519");
        assert_eq!(ed.line(), ED25519.trim());
        let rsa = parse(RSA3072).unwrap();
        assert_eq!(
            (rsa.bits, rsa.fingerprint().as_str()),
            (3072, "SHA256:J4RVe/QP+j4fUwYF21o54H4Gj1m5Cbdf+PQhPAw649A")
        );
        let ec = parse(ECDSA256).unwrap();
        assert_eq!(
            ec.fingerprint(),
            "SHA256:gFSgudlVPHlHmQlmBPgLZ34kXsMAM+WwBkuL8PrYXwM"
        );
    }

    #[test]
    fn weak_malformed_and_smuggling_keys_are_refused() {
        assert_eq!(parse(RSA2048), Err(KeyProblem::RsaTooSmall { bits: 2048 }));
        assert_eq!(parse("  "), Err(KeyProblem::Empty));
        assert!(matches!(parse("ssh-dss AAAA"), Err(KeyProblem::Type(_))));
        assert!(matches!(
            parse("command=\"/bin/sh\" ssh-ed25519 AAAA"),
            Err(KeyProblem::Type(_))
        ));
        assert_eq!(parse("ssh-ed25519"), Err(KeyProblem::NoKey));
        assert_eq!(parse("ssh-ed25519 !!notbase64"), Err(KeyProblem::Base64));
        let two = format!("{}\n{}", ED25519.trim(), RSA3072.trim());
        assert_eq!(parse(&two), Err(KeyProblem::Control));
        // An ed25519 blob under the rsa type.
        let blob = ED25519.split_whitespace().nth(1).unwrap();
        assert!(matches!(
            parse(&format!("ssh-rsa {blob}")),
            Err(KeyProblem::TypeMismatch { .. })
        ));
        // Truncated key data.
        assert!(matches!(
            parse(&format!("ssh-ed25519 {}", &blob[..40])),
            Err(KeyProblem::Malformed(_) | KeyProblem::Base64)
        ));
    }
}

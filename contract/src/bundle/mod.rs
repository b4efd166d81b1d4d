//! Update bundles: what `ironstor build` emits and storaged installs.
//!
//! A bundle is a POSIX tar, read front to back in one pass:
//!
//! 1. `manifest.json`: [`Manifest`] (format, image name, version, build id,
//!    and each payload's name, size and SHA-256), at most
//!    [`MAX_MANIFEST_BYTES`];
//! 2. `manifest.sig`: the ed25519 signature of those exact bytes, as 128 hex
//!    digits and a newline;
//! 3. the payloads in manifest order: `root.squashfs`, `vmlinuz`,
//!    `initrd.img`;
//! 4. the tar end (zero blocks).
//!
//! [`BundleReader::open`] checks the signature before it returns, so no
//! payload byte is looked at before the manifest is known to come from the
//! key holder; [`BundleReader::copy_payload`] then checks each payload's
//! name, size and hash as it streams it out.

pub mod tar;

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keys::{PublicKey, SecretKey, SIGNATURE_LEN};

pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST_ENTRY: &str = "manifest.json";
pub const SIGNATURE_ENTRY: &str = "manifest.sig";
pub const PAYLOAD_ROOT: &str = "root.squashfs";
pub const PAYLOAD_KERNEL: &str = "vmlinuz";
pub const PAYLOAD_INITRD: &str = "initrd.img";
/// Every payload, in bundle order: the big one first, so a slot that is too
/// small is known before the kernel is read.
pub const PAYLOADS: [&str; 3] = [PAYLOAD_ROOT, PAYLOAD_KERNEL, PAYLOAD_INITRD];
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
/// The file name `ironstor build` gives a bundle in its output directory.
pub const BUNDLE_FILE: &str = "update.bundle";
/// Boots a new slot gets before GRUB falls back, unless the install asks
/// for another number.
pub const DEFAULT_TRIES: u32 = 3;
const CHUNK: usize = 1 << 20;

/// What a bundle holds, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    /// The image name (os-release IMAGE_ID) this bundle is for.
    pub image: String,
    pub version: String,
    pub build_id: String,
    pub payloads: Vec<Payload>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    pub name: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

impl Payload {
    /// The entry for `bytes` (tests and small tools; the builder hashes files).
    pub fn of_bytes(name: &str, bytes: &[u8]) -> Payload {
        Payload {
            name: name.to_string(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        }
    }
}

impl Manifest {
    pub fn payload(&self, name: &str) -> Option<&Payload> {
        self.payloads.iter().find(|p| p.name == name)
    }

    /// The bytes that are signed and stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a manifest serialises");
        bytes.push(b'\n');
        bytes
    }

    fn check_shape(&self) -> Result<(), BundleError> {
        if self.format != FORMAT_VERSION {
            return Err(BundleError::UnsupportedFormat(self.format));
        }
        let names: Vec<&str> = self.payloads.iter().map(|p| p.name.as_str()).collect();
        if names != PAYLOADS {
            return Err(BundleError::BadManifest(format!(
                "payloads are {names:?}, expected {PAYLOADS:?}"
            )));
        }
        for p in &self.payloads {
            if p.sha256.len() != 64 || !p.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(BundleError::BadManifest(format!(
                    "payload {}: sha256 {:?} is not 64 hex digits",
                    p.name, p.sha256
                )));
            }
        }
        crate::version::Version::parse(&self.version)
            .map_err(|e| BundleError::BadManifest(e.to_string()))?;
        Ok(())
    }
}

/// Why a bundle was refused. Every message says what was expected.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read the bundle")]
    Io(#[from] io::Error),
    #[error("the bundle is not a tar archive: {what} at byte {offset}")]
    NotATar { what: String, offset: u64 },
    #[error("the bundle ends early, {got} bytes into {what} (truncated?)")]
    Truncated { what: String, got: u64 },
    #[error("bundle entry {position} is {found:?}, expected {expected:?}")]
    UnexpectedEntry {
        position: usize,
        found: String,
        expected: String,
    },
    #[error("{MANIFEST_ENTRY} is {0} bytes, more than the {MAX_MANIFEST_BYTES} allowed")]
    ManifestTooLarge(u64),
    #[error("{MANIFEST_ENTRY} is not a bundle manifest: {0}")]
    BadManifest(String),
    #[error("{MANIFEST_ENTRY} has format {0}, this storaged reads format {FORMAT_VERSION}")]
    UnsupportedFormat(u32),
    #[error("{SIGNATURE_ENTRY} is not 128 hex digits")]
    BadSignatureEncoding,
    #[error(
        "the manifest's signature does not match the image's update key ({key}): signed by another key, or the manifest was altered"
    )]
    SignatureMismatch { key: String },
    #[error("payload {name} is {found} bytes in the tar, the manifest says {expected}")]
    SizeMismatch {
        name: String,
        expected: u64,
        found: u64,
    },
    #[error("payload {name} has SHA-256 {actual}, the manifest says {expected}: the payload was altered or damaged")]
    HashMismatch {
        name: String,
        expected: String,
        actual: String,
    },
    #[error("the bundle has more after its last payload ({found:?}); expected the end of the tar")]
    TrailingEntry { found: String },
    #[error("all payloads were read already")]
    NoMorePayloads,
}

/// Writes a signed bundle: manifest, signature, then each payload read from
/// `payloads` (in manifest order). The manifest must already hold the
/// payloads' sizes and hashes.
pub fn write_bundle(
    out: &mut dyn Write,
    manifest: &Manifest,
    key: &SecretKey,
    payloads: &mut [&mut dyn Read],
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let bytes = manifest.to_bytes();
    let signature = format!("{}\n", hex::encode(key.sign(&bytes)));
    write_entry(
        out,
        MANIFEST_ENTRY,
        bytes.len() as u64,
        &mut &bytes[..],
        &mut |_| {},
    )?;
    write_entry(
        out,
        SIGNATURE_ENTRY,
        signature.len() as u64,
        &mut signature.as_bytes(),
        &mut |_| {},
    )?;
    for (entry, input) in manifest.payloads.iter().zip(payloads.iter_mut()) {
        write_entry(out, &entry.name, entry.size, *input, progress)?;
    }
    tar::write_end(out)
}

fn write_entry(
    out: &mut dyn Write,
    name: &str,
    size: u64,
    input: &mut dyn Read,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    out.write_all(&tar::header(name, size))?;
    let copied = copy_counting(&mut input.take(size), out, progress)?;
    if copied != size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("{name}: {copied} bytes, the manifest says {size}"),
        ));
    }
    out.write_all(&vec![0u8; tar::padding(size)])
}

fn copy_counting(
    input: &mut dyn Read,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(&buf[..n])?;
        total += n as u64;
        progress(n as u64);
    }
}

/// The SHA-256 of everything `input` yields, and its length.
pub fn sha256_of(input: &mut dyn Read) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok((hex::encode(hasher.finalize()), total)),
            Ok(n) => {
                hasher.update(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A bundle being read, its signature already checked.
pub struct BundleReader<R> {
    input: R,
    manifest: Manifest,
    next: usize,
    offset: u64,
}

impl<R: Read> BundleReader<R> {
    /// Reads the manifest and its signature and checks them against `key`.
    /// Nothing after the signature has been read when this returns.
    pub fn open(mut input: R, key: &PublicKey) -> Result<BundleReader<R>, BundleError> {
        let mut offset = 0;
        let manifest_bytes = read_small_entry(&mut input, &mut offset, 0, MANIFEST_ENTRY)?;
        let signature = read_small_entry(&mut input, &mut offset, 1, SIGNATURE_ENTRY)?;
        let signature: [u8; SIGNATURE_LEN] = std::str::from_utf8(&signature)
            .ok()
            .and_then(|s| hex::decode(s.trim()).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or(BundleError::BadSignatureEncoding)?;
        if !key.verifies(&manifest_bytes, &signature) {
            return Err(BundleError::SignatureMismatch {
                key: key.fingerprint(),
            });
        }
        let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
            .map_err(|e| BundleError::BadManifest(e.to_string()))?;
        manifest.check_shape()?;
        Ok(BundleReader {
            input,
            manifest,
            next: 0,
            offset,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Streams the next payload into `out`, hashing it; fails on a name,
    /// size or hash other than the manifest's. `progress` gets byte counts.
    /// On a hash mismatch `out` has had every byte: callers that must not
    /// keep unverified bytes write to a sink first.
    pub fn copy_payload(
        &mut self,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Payload, BundleError> {
        let entry = self
            .manifest
            .payloads
            .get(self.next)
            .cloned()
            .ok_or(BundleError::NoMorePayloads)?;
        let header = read_header(&mut self.input, &mut self.offset, &entry.name)?;
        if header.name != entry.name {
            return Err(BundleError::UnexpectedEntry {
                position: self.next + 2,
                found: header.name,
                expected: entry.name,
            });
        }
        if header.size != entry.size {
            return Err(BundleError::SizeMismatch {
                name: entry.name,
                expected: entry.size,
                found: header.size,
            });
        }
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; CHUNK];
        let mut left = entry.size;
        while left > 0 {
            let want = buf.len().min(left as usize);
            let n = match self.input.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(BundleError::Truncated {
                        what: entry.name.clone(),
                        got: entry.size - left,
                    })
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            left -= n as u64;
            progress(n as u64);
        }
        self.offset += entry.size;
        skip_padding(&mut self.input, &mut self.offset, entry.size, &entry.name)?;
        let actual = hex::encode(hasher.finalize());
        if !actual.eq_ignore_ascii_case(&entry.sha256) {
            return Err(BundleError::HashMismatch {
                name: entry.name,
                expected: entry.sha256,
                actual,
            });
        }
        self.next += 1;
        Ok(entry)
    }

    /// After the last payload: the tar must end here.
    pub fn finish(mut self) -> Result<Manifest, BundleError> {
        if self.next < self.manifest.payloads.len() {
            return Err(BundleError::Truncated {
                what: self.manifest.payloads[self.next].name.clone(),
                got: 0,
            });
        }
        match tar::read_block(&mut self.input)? {
            Err(got) => Err(BundleError::Truncated {
                what: "the end of the tar".into(),
                got: got as u64,
            }),
            Ok(block) => match tar::parse_header(&block) {
                Err(tar::HeaderProblem::End) => Ok(self.manifest),
                Ok(h) => Err(BundleError::TrailingEntry { found: h.name }),
                Err(problem) => Err(BundleError::NotATar {
                    what: format!("{problem:?} where the end of the tar belongs"),
                    offset: self.offset,
                }),
            },
        }
    }
}

fn read_header(
    input: &mut dyn Read,
    offset: &mut u64,
    expected: &str,
) -> Result<tar::Header, BundleError> {
    let block = match tar::read_block(input)? {
        Ok(block) => block,
        Err(got) => {
            return Err(BundleError::Truncated {
                what: format!("the header of {expected}"),
                got: got as u64,
            })
        }
    };
    let header = tar::parse_header(&block).map_err(|problem| BundleError::NotATar {
        what: match problem {
            tar::HeaderProblem::End => format!("the tar ends where {expected} belongs"),
            other => format!("{other:?} in the header where {expected} belongs"),
        },
        offset: *offset,
    })?;
    *offset += tar::BLOCK as u64;
    Ok(header)
}

fn skip_padding(
    input: &mut dyn Read,
    offset: &mut u64,
    size: u64,
    name: &str,
) -> Result<(), BundleError> {
    let pad = tar::padding(size);
    let mut buf = [0u8; tar::BLOCK];
    input
        .read_exact(&mut buf[..pad])
        .map_err(|_| BundleError::Truncated {
            what: format!("the padding after {name}"),
            got: size,
        })?;
    *offset += pad as u64;
    Ok(())
}

fn read_small_entry(
    input: &mut dyn Read,
    offset: &mut u64,
    position: usize,
    expected: &str,
) -> Result<Vec<u8>, BundleError> {
    let header = read_header(input, offset, expected)?;
    if header.name != expected {
        return Err(BundleError::UnexpectedEntry {
            position,
            found: header.name,
            expected: expected.into(),
        });
    }
    if header.size > MAX_MANIFEST_BYTES {
        return Err(BundleError::ManifestTooLarge(header.size));
    }
    let mut bytes = vec![0u8; header.size as usize];
    input
        .read_exact(&mut bytes)
        .map_err(|_| BundleError::Truncated {
            what: expected.into(),
            got: 0,
        })?;
    *offset += header.size;
    skip_padding(input, offset, header.size, expected)?;
    Ok(bytes)
}

/// What a slot holds, written beside its kernel on the ESP
/// (`/<slot>/image.json`) by the builder for slot A and by storaged after
/// an install. A slot without one holds no bootable image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotRecord {
    pub image: String,
    pub version: String,
    pub build_id: String,
    pub root_size: u64,
    pub root_sha256: String,
}

/// File name of a [`SlotRecord`] in a slot's ESP directory.
pub const SLOT_RECORD: &str = "image.json";

impl SlotRecord {
    pub fn from_manifest(m: &Manifest) -> Option<SlotRecord> {
        let root = m.payload(PAYLOAD_ROOT)?;
        Some(SlotRecord {
            image: m.image.clone(),
            version: m.version.clone(),
            build_id: m.build_id.clone(),
            root_size: root.size,
            root_sha256: root.sha256.clone(),
        })
    }
}

#[cfg(test)]
mod tests;

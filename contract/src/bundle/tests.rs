//! Bundles: what is written reads back, and every kind of damage is
//! refused with a message that says what was expected.

use super::*;

fn key() -> SecretKey {
    SecretKey::from_seed([1; 32])
}

fn payload_bytes() -> [Vec<u8>; 3] {
    [vec![0x5a; 3000], b"kernel".to_vec(), vec![7; 513]]
}

fn manifest(version: &str) -> Manifest {
    let [root, kernel, initrd] = payload_bytes();
    Manifest {
        format: FORMAT_VERSION,
        image: "ironstor-qemu".into(),
        version: version.into(),
        build_id: "b1".into(),
        payloads: vec![
            Payload::of_bytes(PAYLOAD_ROOT, &root),
            Payload::of_bytes(PAYLOAD_KERNEL, &kernel),
            Payload::of_bytes(PAYLOAD_INITRD, &initrd),
        ],
    }
}

fn bundle_of(m: &Manifest, key: &SecretKey, payloads: &[Vec<u8>; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let [a, b, c] = payloads;
    write_bundle(
        &mut out,
        m,
        key,
        &mut [&mut &a[..], &mut &b[..], &mut &c[..]],
        &mut |_| {},
    )
    .unwrap();
    out
}

fn good() -> Vec<u8> {
    bundle_of(&manifest("1.2.0"), &key(), &payload_bytes())
}

/// Reads a whole bundle into memory, checking everything.
fn read_all(bytes: &[u8]) -> Result<(Manifest, Vec<Vec<u8>>), BundleError> {
    let mut reader = BundleReader::open(bytes, &key().public())?;
    let mut outs = Vec::new();
    for _ in 0..3 {
        let mut out = Vec::new();
        reader.copy_payload(&mut out, &mut |_| {})?;
        outs.push(out);
    }
    Ok((reader.finish()?, outs))
}

#[test]
fn a_bundle_reads_back_whole() {
    let bytes = good();
    assert_eq!(bytes.len() % tar::BLOCK, 0);
    let (m, outs) = read_all(&bytes).unwrap();
    assert_eq!(m, manifest("1.2.0"));
    assert_eq!(outs, payload_bytes().to_vec());
}

#[test]
fn gnu_tar_lists_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.tar");
    std::fs::write(&path, good()).unwrap();
    let out = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "manifest.json\nmanifest.sig\nroot.squashfs\nvmlinuz\ninitrd.img\n"
    );
}

/// Where the first byte of a named entry's data sits in `bytes`.
fn data_offset(bytes: &[u8], name: &str) -> usize {
    let mut at = 0;
    loop {
        let h: [u8; tar::BLOCK] = bytes[at..at + tar::BLOCK].try_into().unwrap();
        let header = tar::parse_header(&h).unwrap();
        if header.name == name {
            return at + tar::BLOCK;
        }
        at += tar::BLOCK + header.size as usize + tar::padding(header.size);
    }
}

#[test]
fn damage_is_refused_with_what_was_expected() {
    let good = good();
    let mut tampered_payload = good.clone();
    tampered_payload[data_offset(&good, PAYLOAD_ROOT) + 100] ^= 1;
    let mut tampered_manifest = good.clone();
    let m = data_offset(&good, MANIFEST_ENTRY);
    let version_at = m + good[m..].windows(5).position(|w| w == b"1.2.0").unwrap();
    tampered_manifest[version_at] = b'9';
    let other_key = bundle_of(
        &manifest("1.2.0"),
        &SecretKey::from_seed([2; 32]),
        &payload_bytes(),
    );
    let truncated = good[..good.len() / 2].to_vec();
    let no_end = good[..good.len() - 2 * tar::BLOCK].to_vec();
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "tampered payload",
            tampered_payload,
            "payload root.squashfs has SHA-256",
        ),
        (
            "tampered manifest",
            tampered_manifest,
            "signature does not match",
        ),
        ("other key", other_key, "signed by another key"),
        ("truncated", truncated, "ends early"),
        (
            "no tar end",
            no_end,
            "ends early, 0 bytes into the end of the tar",
        ),
        ("garbage", garbage, "not a tar archive"),
        (
            "empty",
            Vec::new(),
            "ends early, 0 bytes into the header of manifest.json",
        ),
    ];
    for (what, bytes, needle) in cases {
        let err = read_all(&bytes).expect_err(what);
        assert!(err.to_string().contains(needle), "{what}: {err}");
    }
}

#[test]
fn the_signature_is_checked_before_any_payload_byte_is_read() {
    /// Fails the test if read past the signature entry.
    struct Fence<'a> {
        bytes: &'a [u8],
        at: usize,
        limit: usize,
    }
    impl Read for Fence<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.bytes.len() - self.at);
            assert!(self.at + n <= self.limit, "read a payload byte");
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }
    let bytes = good();
    let limit = data_offset(&bytes, PAYLOAD_ROOT) - tar::BLOCK;
    let fence = Fence {
        bytes: &bytes,
        at: 0,
        limit,
    };
    let reader = BundleReader::open(fence, &key().public()).unwrap();
    assert_eq!(reader.manifest().version, "1.2.0");
}

#[test]
fn manifests_must_name_the_three_payloads() {
    let mut m = manifest("1.2.0");
    m.payloads.pop();
    let bytes = bundle_of(&m, &key(), &payload_bytes());
    let err = BundleReader::open(&bytes[..], &key().public())
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("expected [\"root.squashfs\""),
        "{err}"
    );
    let bytes = bundle_of(&manifest("1.2"), &key(), &payload_bytes());
    let err = BundleReader::open(&bytes[..], &key().public())
        .err()
        .unwrap();
    assert!(err.to_string().contains("is not a version"), "{err}");
}

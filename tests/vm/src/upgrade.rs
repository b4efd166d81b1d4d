//! Upgrade scenarios' support: build versions of the qemu profile with
//! signed bundles and craft bad bundles.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use ironstor_builder::build::{self, BuildOptions};
use ironstor_builder::cache::Cache;
use ironstor_builder::profile;
use ironstor_contract::bundle::{write_bundle, Manifest, Payload, FORMAT_VERSION, PAYLOADS};
use ironstor_contract::keys::SecretKey;

pub use crate::https::{Answer, Https};
use crate::workspace;

/// The qemu profile's committed TEST-ONLY signing key (tests/keys/README.md).
pub fn test_key_path() -> PathBuf {
    workspace().join("tests/keys/TEST-ONLY-qemu.key")
}

pub fn test_key() -> Result<SecretKey> {
    let text = std::fs::read_to_string(test_key_path())?;
    Ok(SecretKey::parse(&text)?)
}

/// Builds the qemu profile as version `version` into out/vm-tests/`name`,
/// with its signed bundle, adding `extra_overlay` (relative to the
/// repository) when given. The profile is a copy of images/qemu.toml
/// written beside it (gitignored `images/vm-test-*.toml`), so its relative
/// paths, and with them the cached base root's key, stay the same.
pub fn build_version(name: &str, version: &str, extra_overlay: Option<&str>) -> Result<PathBuf> {
    let ws = workspace();
    let text = std::fs::read_to_string(ws.join("images/qemu.toml"))?;
    let original = "version = \"0.1.0\"";
    if !text.contains(original) {
        bail!("images/qemu.toml no longer says {original}; update build_version");
    }
    let mut text = text.replacen(original, &format!("version = \"{version}\""), 1);
    if let Some(overlay) = extra_overlay {
        let overlays = "overlays = [\"../rootfs/overlay\", \"../tests/guest\"]";
        if !text.contains(overlays) {
            bail!("images/qemu.toml no longer says {overlays}; update build_version");
        }
        text = text.replacen(
            overlays,
            &format!("overlays = [\"../rootfs/overlay\", \"../tests/guest\", \"../{overlay}\"]"),
            1,
        );
    }
    let path = ws.join(format!("images/vm-test-{name}.toml"));
    std::fs::write(&path, text)?;
    let built = (|| {
        let profile = profile::load(&path)?;
        let public = profile
            .update
            .public_key
            .clone()
            .context("no update key")?
            .1;
        let key = ironstor_builder::keys::load_signing_key(&test_key_path(), &public)?;
        ironstor_builder::host::ensure_host(ironstor_builder::host::BUILD)?;
        let storaged = std::env::var_os("IRONSTOR_STORAGED")
            .map(PathBuf::from)
            .unwrap_or_else(|| ws.join("target/release/storaged"));
        let out_dir = ws.join("out/vm-tests").join(name);
        let start = Instant::now();
        build::build(
            &profile,
            &BuildOptions {
                out_dir: out_dir.clone(),
                cache: Cache::new(Cache::default_root()),
                storaged,
                signing_key: Some(key),
            },
        )?;
        eprintln!(
            "vm tests: {name} ({version}) built in {:.0}s",
            start.elapsed().as_secs_f64()
        );
        Ok(out_dir)
    })();
    let _ = std::fs::remove_file(&path);
    built
}

/// A bundle with small made-up payloads, signed by `key`: for refusals.
/// `root_size` bytes of root, patterned so a flipped byte is a change.
pub fn crafted_bundle(image: &str, version: &str, root_size: usize, key: &SecretKey) -> Vec<u8> {
    let root: Vec<u8> = (0..root_size).map(|i| (i % 251) as u8).collect();
    let payloads = [root, b"not a kernel".to_vec(), b"not an initrd".to_vec()];
    let manifest = Manifest {
        format: FORMAT_VERSION,
        image: image.into(),
        version: version.into(),
        build_id: "crafted".into(),
        payloads: PAYLOADS
            .iter()
            .zip(&payloads)
            .map(|(name, bytes)| Payload::of_bytes(name, bytes))
            .collect(),
    };
    let mut out = Vec::new();
    let [a, b, c] = &payloads;
    write_bundle(
        &mut out,
        &manifest,
        key,
        &mut [&mut &a[..], &mut &b[..], &mut &c[..]],
        &mut |_| {},
    )
    .expect("in memory");
    out
}

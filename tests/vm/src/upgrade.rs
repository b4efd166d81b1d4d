//! Upgrade scenarios' support: build versions of the qemu profile with
//! signed bundles, craft bad bundles, and talk to the appliance's HTTPS API
//! from the host with curl (as an admin's script would).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use ironstor_builder::build::{self, BuildOptions};
use ironstor_builder::cache::Cache;
use ironstor_builder::profile;
use ironstor_contract::bundle::{write_bundle, Manifest, Payload, FORMAT_VERSION, PAYLOADS};
use ironstor_contract::keys::SecretKey;
use serde_json::Value;

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

/// The appliance's HTTPS API, from the host, through a forwarded port.
pub struct Https {
    pub port: u16,
    pub token: String,
}

/// What curl got back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn message(&self) -> String {
        self.body["error"]["message"]
            .as_str()
            .or(self.body["message"].as_str())
            .unwrap_or(&self.text)
            .to_string()
    }
}

fn curl(args: &[String]) -> Result<Answer> {
    let out = Command::new("curl")
        .args(["-sSk", "--max-time", "900", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .context("cannot run curl")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    let status = code.trim().parse().unwrap_or(0);
    if status == 0 {
        bail!(
            "curl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(Answer {
        status,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
        text: body.to_string(),
    })
}

impl Https {
    /// Logs in as admin.
    pub fn login(port: u16, password: &str) -> Result<Https> {
        let body = serde_json::json!({"password": password}).to_string();
        let answer = curl(&[
            "-X".into(),
            "POST".into(),
            "-H".into(),
            "Content-Type: application/json".into(),
            "--data".into(),
            body,
            format!("https://127.0.0.1:{port}/api/v1/login"),
        ])?;
        let token = answer.body["token"]
            .as_str()
            .with_context(|| format!("login failed: {}", answer.text))?;
        Ok(Https {
            port,
            token: token.to_string(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}/api/v1{path}", self.port)
    }

    pub fn get(&self, path: &str) -> Result<Answer> {
        curl(&[
            "-H".into(),
            format!("Authorization: Bearer {}", self.token),
            self.url(path),
        ])
    }

    /// Streams `file` as the body of `POST /upgrade/bundle{query}`, at most
    /// `rate` bytes a second when given (curl's --limit-rate).
    pub fn upload(&self, file: &Path, query: &str, rate: Option<&str>) -> Result<Answer> {
        let mut args = vec![
            "-X".into(),
            "POST".into(),
            "-H".into(),
            format!("Authorization: Bearer {}", self.token),
            "-H".into(),
            "Content-Type: application/octet-stream".into(),
            "-T".into(),
            file.display().to_string(),
        ];
        if let Some(rate) = rate {
            args.extend(["--limit-rate".into(), rate.into()]);
        }
        args.push(self.url(&format!("/upgrade/bundle{query}")));
        curl(&args)
    }
}

//! The update bundle stage: `update.bundle` from the build's root squashfs,
//! kernel and initrd, signed with the private key that matches the
//! profile's `update.public_key` (format in `ironstor_contract::bundle`).

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use ironstor_contract::bundle::{
    self, write_bundle, Manifest, Payload, BUNDLE_FILE, FORMAT_VERSION, PAYLOADS,
};
use ironstor_contract::keys::SecretKey;

#[derive(Debug, thiserror::Error)]
pub enum BundleStageError {
    #[error("cannot read the payload {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Who the bundle is for.
pub struct BundleInputs<'a> {
    pub image: &'a str,
    pub version: &'a str,
    pub build_id: &'a str,
    /// The build's output directory: `root.squashfs`, `vmlinuz`,
    /// `initrd.img` are read from it and `update.bundle` written to it.
    pub out_dir: &'a Path,
}

/// Hashes the payloads, writes the signed bundle (via a temporary file),
/// printing progress every tenth of the way. Returns its path and manifest.
pub fn emit(
    inputs: &BundleInputs,
    key: &SecretKey,
) -> Result<(PathBuf, Manifest), BundleStageError> {
    let paths: Vec<PathBuf> = PAYLOADS.iter().map(|p| inputs.out_dir.join(p)).collect();
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleStageError::Read { path, source }
    };
    let mut payloads = Vec::new();
    for (name, path) in PAYLOADS.iter().zip(&paths) {
        let mut file = File::open(path).map_err(read_err(path))?;
        let (sha256, size) = bundle::sha256_of(&mut file).map_err(read_err(path))?;
        payloads.push(Payload {
            name: name.to_string(),
            size,
            sha256,
        });
    }
    let manifest = Manifest {
        format: FORMAT_VERSION,
        image: inputs.image.to_string(),
        version: inputs.version.to_string(),
        build_id: inputs.build_id.to_string(),
        payloads,
    };
    let total: u64 = manifest.payloads.iter().map(|p| p.size).sum();
    let out = inputs.out_dir.join(BUNDLE_FILE);
    let tmp = inputs.out_dir.join(format!("{BUNDLE_FILE}.partial"));
    let write_err = |source| BundleStageError::Write {
        path: tmp.clone(),
        source,
    };
    let mut files = Vec::new();
    for path in &paths {
        files.push(File::open(path).map_err(read_err(path))?);
    }
    let mut readers: Vec<&mut dyn std::io::Read> = files
        .iter_mut()
        .map(|f| f as &mut dyn std::io::Read)
        .collect();
    let mut writer = BufWriter::new(File::create(&tmp).map_err(write_err)?);
    let (mut done, mut shown) = (0u64, 0u64);
    write_bundle(&mut writer, &manifest, key, &mut readers, &mut |n| {
        done += n;
        let tenth = done * 10 / total.max(1);
        if tenth > shown {
            shown = tenth;
            eprintln!(
                "      bundle {:>3}% ({} of {} MiB)",
                tenth * 10,
                done >> 20,
                total >> 20
            );
        }
    })
    .map_err(write_err)?;
    let file = writer.into_inner().map_err(|e| write_err(e.into_error()))?;
    file.sync_all().map_err(write_err)?;
    drop(file);
    fs::rename(&tmp, &out).map_err(|source| BundleStageError::Write {
        path: out.clone(),
        source,
    })?;
    Ok((out, manifest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironstor_contract::bundle::BundleReader;

    #[test]
    fn the_emitted_bundle_verifies_with_the_public_key() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in PAYLOADS.iter().zip([&[1u8; 5000][..], b"k", b"initrd"]) {
            fs::write(dir.path().join(name), bytes).unwrap();
        }
        let key = SecretKey::from_seed([9; 32]);
        let inputs = BundleInputs {
            image: "ironstor-qemu",
            version: "2.0.0",
            build_id: "abc",
            out_dir: dir.path(),
        };
        let (path, manifest) = emit(&inputs, &key).unwrap();
        let mut reader = BundleReader::open(File::open(path).unwrap(), &key.public()).unwrap();
        assert_eq!(reader.manifest(), &manifest);
        let mut root = Vec::new();
        reader.copy_payload(&mut root, &mut |_| {}).unwrap();
        assert_eq!(root, vec![1u8; 5000]);
    }
}

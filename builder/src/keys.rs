//! `ironstor keygen`: a new ed25519 key pair for signing update bundles.
//!
//! The private key file is created with mode 0600 and never overwritten;
//! the public one goes beside it, for a profile's `update.public_key`.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ironstor_contract::keys::{KeyError, PublicKey, SecretKey};

#[derive(Debug, thiserror::Error)]
pub enum KeygenError {
    #[error("{} already exists; not overwriting a key", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read random bytes from /dev/urandom")]
    Random(#[source] std::io::Error),
    #[error("cannot read the signing key {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a private key", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: KeyError,
    },
    #[error("{}'s public half ({signing}) is not the profile's update.public_key ({profile}); sign with the key the image trusts", .path.display())]
    Mismatch {
        path: PathBuf,
        signing: String,
        profile: String,
    },
}

/// The two files `keygen` writes for `prefix`: `<prefix>.key`, `<prefix>.pub`.
pub fn key_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    (with(".key"), with(".pub"))
}

/// Makes a key pair at `<prefix>.key` (0600) and `<prefix>.pub`.
pub fn keygen(prefix: &Path) -> Result<(PathBuf, PathBuf, PublicKey), KeygenError> {
    let (private, public) = key_paths(prefix);
    for path in [&private, &public] {
        if path.exists() {
            return Err(KeygenError::Exists(path.clone()));
        }
    }
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(KeygenError::Random)?;
    let secret = SecretKey::from_seed(seed);
    let write = |path: &Path, text: &str, mode: u32| {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
            .map_err(|source| KeygenError::Write {
                path: path.to_path_buf(),
                source,
            })
    };
    write(&private, &secret.to_text(), 0o600)?;
    write(&public, &secret.public().to_text(), 0o644)?;
    Ok((private, public, secret.public()))
}

/// Loads a private key and checks it matches the key the image trusts.
pub fn load_signing_key(path: &Path, trusted: &PublicKey) -> Result<SecretKey, KeygenError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeygenError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let key = SecretKey::parse(&text).map_err(|source| KeygenError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    if key.public() != *trusted {
        return Err(KeygenError::Mismatch {
            path: path.to_path_buf(),
            signing: key.public().fingerprint(),
            profile: trusted.fingerprint(),
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keygen_writes_a_private_0600_key_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("site");
        let (private, public, key) = keygen(&prefix).unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let read = PublicKey::parse(&std::fs::read_to_string(&public).unwrap()).unwrap();
        assert_eq!(read, key);
        assert!(load_signing_key(&private, &key).is_ok());
        let other = SecretKey::from_seed([3; 32]).public();
        let err = load_signing_key(&private, &other).err().unwrap();
        assert!(err
            .to_string()
            .contains("is not the profile's update.public_key"));
        assert!(matches!(keygen(&prefix), Err(KeygenError::Exists(_))));
    }
}

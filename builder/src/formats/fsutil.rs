//! File-tree helpers the stages share: hashing a tree for cache keys,
//! copying an overlay into the root, writing an image region sparsely.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// An I/O failure on one file: what was being done, and to which path.
/// Modules wrap it (`#[from]`) rather than each defining the same variant.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}", .path.display())]
pub struct PathError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// For `map_err`: `fs::write(&p, b).map_err(io_err("write", &p))?`.
pub fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> PathError {
    let path = path.to_path_buf();
    move |source| PathError {
        action,
        path,
        source,
    }
}

/// A digest of a tree: relative paths, file types, modes, contents and
/// symlink targets, in sorted order. Owners and times are left out: they
/// differ between checkouts of the same commit.
pub fn hash_tree(dir: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            let meta = fs::symlink_metadata(&path)?;
            if meta.is_dir() {
                stack.push(path.clone());
            }
            files.push((path, meta));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, meta) in files {
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        hasher.update(rel.as_os_str().as_encoded_bytes());
        hasher.update(meta.mode().to_le_bytes());
        if meta.file_type().is_symlink() {
            hasher.update(fs::read_link(&path)?.as_os_str().as_encoded_bytes());
        } else if meta.is_file() {
            let mut f = File::open(&path)?;
            io::copy(&mut f, &mut hasher)?;
        }
        hasher.update([0]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// SHA-256 of a file, hex.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Copies the tree `src` over `dest`, keeping modes and symlinks. Files
/// become owned by whoever runs the builder (root in an image build), not by
/// whoever checked out the repository.
pub fn copy_tree(src: &Path, dest: &Path) -> io::Result<()> {
    fs::create_dir_all(dest)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let from = entry.path();
        let to = dest.join(entry.file_name());
        let meta = fs::symlink_metadata(&from)?;
        if meta.file_type().is_symlink() {
            if fs::symlink_metadata(&to).is_ok() {
                fs::remove_file(&to)?;
            }
            symlink(fs::read_link(&from)?, &to)?;
        } else if meta.is_dir() {
            copy_tree(&from, &to)?;
            fs::set_permissions(&to, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        } else {
            if fs::symlink_metadata(&to).is_ok_and(|m| m.file_type().is_symlink()) {
                fs::remove_file(&to)?;
            }
            fs::copy(&from, &to)?;
            fs::set_permissions(&to, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        }
    }
    Ok(())
}

/// Writes `src`'s bytes into `dest` at `offset`, skipping all-zero blocks so
/// a sparse image stays sparse. `dest` must already be zero there.
pub fn write_region(dest: &mut File, offset: u64, src: &Path) -> io::Result<u64> {
    const BLOCK: usize = 1 << 20;
    let mut input = File::open(src)?;
    let mut buf = vec![0u8; BLOCK];
    let mut pos = offset;
    loop {
        let mut filled = 0;
        while filled < BLOCK {
            let n = input.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        if buf[..filled].iter().any(|&b| b != 0) {
            dest.seek(SeekFrom::Start(pos))?;
            dest.write_all(&buf[..filled])?;
        }
        pos += filled as u64;
    }
    Ok(pos - offset)
}

/// Writes `bytes` into `dest` at `offset`.
pub fn write_at(dest: &mut File, offset: u64, bytes: &[u8]) -> io::Result<()> {
    dest.seek(SeekFrom::Start(offset))?;
    dest.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_hash_sees_content_mode_and_names() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("d")).unwrap();
        fs::write(dir.path().join("d/f"), b"one").unwrap();
        let h1 = hash_tree(dir.path()).unwrap();
        fs::write(dir.path().join("d/f"), b"two").unwrap();
        let h2 = hash_tree(dir.path()).unwrap();
        fs::set_permissions(dir.path().join("d/f"), fs::Permissions::from_mode(0o755)).unwrap();
        let h3 = hash_tree(dir.path()).unwrap();
        fs::rename(dir.path().join("d/f"), dir.path().join("d/g")).unwrap();
        let h4 = hash_tree(dir.path()).unwrap();
        let all = [&h1, &h2, &h3, &h4];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn copy_tree_keeps_modes_and_symlinks() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        fs::create_dir_all(src.path().join("etc/x")).unwrap();
        fs::write(src.path().join("etc/x/run"), b"#!/bin/sh\n").unwrap();
        fs::set_permissions(
            src.path().join("etc/x/run"),
            fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        symlink("run", src.path().join("etc/x/link")).unwrap();
        copy_tree(src.path(), dest.path()).unwrap();
        let meta = fs::metadata(dest.path().join("etc/x/run")).unwrap();
        assert_eq!(meta.mode() & 0o7777, 0o750);
        assert_eq!(
            fs::read_link(dest.path().join("etc/x/link")).unwrap(),
            Path::new("run")
        );
    }

    #[test]
    fn write_region_places_bytes_and_skips_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        let mut data = vec![0u8; 3 << 20];
        data[(2 << 20) + 5] = 7;
        fs::write(&src, &data).unwrap();
        let img = dir.path().join("img");
        let mut f = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&img)
            .unwrap();
        f.set_len(8 << 20).unwrap();
        assert_eq!(write_region(&mut f, 1 << 20, &src).unwrap(), 3 << 20);
        let out = fs::read(&img).unwrap();
        assert_eq!(out[(3 << 20) + 5], 7);
        assert_eq!(out.iter().filter(|&&b| b != 0).count(), 1);
        // Only the one non-zero MiB was written.
        assert!(fs::metadata(&img).unwrap().blocks() * 512 <= 2 << 20);
    }
}

/// Why a name asked of a served tree (TFTP, HTTP) was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("outside the served tree")]
    Outside,
    #[error("no such file")]
    NotFound,
    #[error("{0}")]
    Unreadable(io::Error),
}

/// The file `name` names under `root` (canonical). A leading `/` means the
/// root, as with `tftpd-hpa --secure`; `..`, and symlinks that lead out of
/// the root, are refused.
pub fn resolve_served(root: &Path, name: &str) -> Result<std::path::PathBuf, Refused> {
    let rel = Path::new(name.trim_start_matches('/'));
    let escapes = rel.components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    if escapes {
        return Err(Refused::Outside);
    }
    let path = root.join(rel).canonicalize().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Refused::NotFound,
        _ => Refused::Unreadable(e),
    })?;
    if !path.starts_with(root) {
        return Err(Refused::Outside);
    }
    if !path.is_file() {
        return Err(Refused::NotFound);
    }
    Ok(path)
}

//! The build cache: stage outputs kept outside the repository, keyed by a
//! hash of everything that went into them.
//!
//! An entry is a directory `<root>/<stage>/<key>/`; it counts only once its
//! `complete` marker exists, and it is made under a temporary name and
//! renamed into place, so an interrupted build never leaves a half entry
//! that a later build would trust.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const COMPLETE: &str = "complete";
/// Entries kept per stage; older ones are pruned after a store.
const KEEP_PER_STAGE: usize = 3;

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// Builds a cache key from named inputs.
#[derive(Default)]
pub struct KeyBuilder {
    hasher: Sha256,
}

impl KeyBuilder {
    pub fn new(stage_recipe: &str) -> Self {
        let mut k = KeyBuilder::default();
        k.add("recipe", stage_recipe.as_bytes());
        k
    }

    pub fn add(&mut self, name: &str, value: &[u8]) -> &mut Self {
        // Length-prefix both parts so ("ab","c") and ("a","bc") differ.
        for part in [name.as_bytes(), value] {
            self.hasher.update((part.len() as u64).to_le_bytes());
            self.hasher.update(part);
        }
        self
    }

    pub fn add_str(&mut self, name: &str, value: &str) -> &mut Self {
        self.add(name, value.as_bytes())
    }

    /// Adds a directory tree: every path, its mode and content.
    pub fn add_tree(&mut self, name: &str, dir: &Path) -> io::Result<&mut Self> {
        let digest = crate::formats::fsutil::hash_tree(dir)?;
        Ok(self.add(name, digest.as_bytes()))
    }

    pub fn finish(&self) -> String {
        hex::encode(&self.hasher.clone().finalize()[..16])
    }
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// `$XDG_CACHE_HOME/ironstor`, else `~/.cache/ironstor`.
    pub fn default_root() -> PathBuf {
        std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(|| PathBuf::from("/var/cache"))
            .join("ironstor")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The entry for `stage` and `key`, if a complete one exists.
    pub fn lookup(&self, stage: &str, key: &str) -> Option<PathBuf> {
        let dir = self.root.join(stage).join(key);
        dir.join(COMPLETE).is_file().then_some(dir)
    }

    /// Fills a new entry with `fill` (given an empty directory) and commits
    /// it. On error nothing is left behind.
    pub fn store<E>(
        &self,
        stage: &str,
        key: &str,
        fill: impl FnOnce(&Path) -> Result<(), E>,
    ) -> Result<PathBuf, E>
    where
        E: From<io::Error>,
    {
        let stage_dir = self.root.join(stage);
        fs::create_dir_all(&stage_dir)?;
        let tmp = stage_dir.join(format!(".{key}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir(&tmp)?;
        if let Err(e) = fill(&tmp) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        fs::write(tmp.join(COMPLETE), b"")?;
        let dest = stage_dir.join(key);
        if dest.exists() {
            fs::remove_dir_all(&dest)?;
        }
        fs::rename(&tmp, &dest)?;
        self.prune(&stage_dir, &dest);
        Ok(dest)
    }

    /// Keeps the newest few complete entries of a stage; best effort.
    fn prune(&self, stage_dir: &Path, keep: &Path) {
        let Ok(entries) = fs::read_dir(stage_dir) else {
            return;
        };
        let mut complete: Vec<(std::time::SystemTime, PathBuf)> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p != keep && p.join(COMPLETE).is_file())
            .filter_map(|p| Some((fs::metadata(p.join(COMPLETE)).ok()?.modified().ok()?, p)))
            .collect();
        complete.sort();
        let excess = (complete.len() + 1).saturating_sub(KEEP_PER_STAGE);
        for (_, path) in complete.into_iter().take(excess) {
            let _ = fs::remove_dir_all(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_change_with_any_input() {
        let mut a = KeyBuilder::new("v1");
        a.add_str("suite", "trixie");
        let mut b = KeyBuilder::new("v1");
        b.add_str("suite", "trixi").add_str("e", "");
        let mut c = KeyBuilder::new("v2");
        c.add_str("suite", "trixie");
        assert_ne!(a.finish(), b.finish());
        assert_ne!(a.finish(), c.finish());
        assert_eq!(a.finish(), a.finish());
    }

    #[test]
    fn failed_fill_leaves_no_entry_and_success_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let failed: Result<_, io::Error> = cache.store("base", "k1", |tmp| {
            fs::write(tmp.join("half"), b"x")?;
            Err(io::Error::other("interrupted"))
        });
        assert!(failed.is_err());
        assert!(cache.lookup("base", "k1").is_none());
        assert_eq!(fs::read_dir(dir.path().join("base")).unwrap().count(), 0);

        let stored = cache
            .store("base", "k1", |tmp| fs::write(tmp.join("out"), b"y"))
            .unwrap();
        assert_eq!(cache.lookup("base", "k1"), Some(stored.clone()));
        assert_eq!(fs::read(stored.join("out")).unwrap(), b"y");
    }

    #[test]
    fn old_entries_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        for i in 0..5 {
            cache
                .store("zfs", &format!("k{i}"), |_| Ok::<_, io::Error>(()))
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let left = fs::read_dir(dir.path().join("zfs")).unwrap().count();
        assert_eq!(left, KEEP_PER_STAGE);
        assert!(cache.lookup("zfs", "k4").is_some());
    }
}

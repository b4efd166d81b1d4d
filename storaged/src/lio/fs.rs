//! The seam between the writer and configfs.
//!
//! The writer only ever calls these six operations, with paths relative to
//! the configfs root (`target/core/...`). [`RealConfigfs`] maps them onto
//! the real mount; [`super::fake::FakeConfigfs`] is an in-memory tree that
//! behaves like the kernel for the objects storaged uses. An in-memory fake
//! was chosen over a temp dir plus a hook because the interesting part of
//! configfs is what it *refuses* (writes after export, `rmdir` of a linked
//! LUN, a second `enable`), and a plain directory refuses nothing.

use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    Dir,
    File,
    Link,
}

/// One configfs mount, seen from its root.
pub trait Configfs {
    /// The value of an attribute as the kernel shows it (usually with a
    /// trailing newline).
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Store `value` in an attribute, in one write, byte for byte.
    fn write(&mut self, path: &Path, value: &str) -> io::Result<()>;
    /// Create a config group; the kernel populates it.
    fn mkdir(&mut self, path: &Path) -> io::Result<()>;
    /// Remove a config group the caller created.
    fn rmdir(&mut self, path: &Path) -> io::Result<()>;
    /// Make `link` point at the group `target` (both root-relative).
    fn symlink(&mut self, target: &Path, link: &Path) -> io::Result<()>;
    fn unlink(&mut self, link: &Path) -> io::Result<()>;
    /// Where a link points, root-relative.
    fn read_link(&self, link: &Path) -> io::Result<PathBuf>;
    /// The entries of a directory, sorted by name.
    fn list(&self, dir: &Path) -> io::Result<Vec<(String, EntryKind)>>;
}

/// The real configfs, production root `/sys/kernel/config`.
#[derive(Debug, Clone)]
pub struct RealConfigfs {
    root: PathBuf,
}

impl RealConfigfs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RealConfigfs { root: root.into() }
    }

    fn abs(&self, p: &Path) -> PathBuf {
        self.root.join(p)
    }
}

/// Resolve `..` and `.` without touching the disk.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl Configfs for RealConfigfs {
    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(self.abs(path))
    }

    fn write(&mut self, path: &Path, value: &str) -> io::Result<()> {
        use std::io::Write;
        // configfs takes one write per store; no O_CREAT, no O_TRUNC.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(self.abs(path))?;
        f.write_all(value.as_bytes())
    }

    fn mkdir(&mut self, path: &Path) -> io::Result<()> {
        let abs = self.abs(path);
        std::fs::create_dir(&abs)?;
        // The reference notes attributes may show up a moment after mkdir
        // (a module still loading): wait briefly for the group to fill.
        let deadline = Instant::now() + Duration::from_millis(500);
        while std::fs::read_dir(&abs)?.next().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    fn rmdir(&mut self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir(self.abs(path))
    }

    fn symlink(&mut self, target: &Path, link: &Path) -> io::Result<()> {
        std::os::unix::fs::symlink(self.abs(target), self.abs(link))
    }

    fn unlink(&mut self, link: &Path) -> io::Result<()> {
        std::fs::remove_file(self.abs(link))
    }

    fn read_link(&self, link: &Path) -> io::Result<PathBuf> {
        // configfs answers with a path relative to the link's directory
        // (`../../../../core/iblock_0/x`); we created it absolute.
        let abs = self.abs(link);
        let to = std::fs::read_link(&abs)?;
        let joined = match abs.parent() {
            Some(dir) if to.is_relative() => dir.join(&to),
            _ => to,
        };
        let joined = normalize(&joined);
        let root = normalize(&self.root);
        joined
            .strip_prefix(&root)
            .map(Path::to_path_buf)
            .map_err(|_| io::Error::other(format!("{} points outside configfs", abs.display())))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(String, EntryKind)>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(self.abs(dir))? {
            let e = e?;
            let t = e.file_type()?;
            let kind = if t.is_symlink() {
                EntryKind::Link
            } else if t.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            out.push((e.file_name().to_string_lossy().into_owned(), kind));
        }
        out.sort();
        Ok(out)
    }
}

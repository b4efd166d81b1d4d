//! What a reconcile did, per configfs object.

use std::fmt;
use std::path::{Path, PathBuf};

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Unchanged,
    Created,
    Updated,
    Removed,
}

/// The kind of configfs object a [`Change`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    DbRoot,
    DiscoveryAuth,
    StorageObject,
    Target,
    PortalGroup,
    Portal,
    Lun,
    Acl,
    /// `acls/<initiator>/lun_<n>`: a LUN an initiator may see.
    AclLun,
}

/// One object and what the reconcile did to it. A replaced object (a
/// storage object whose backing changed) appears twice: `Removed`, then
/// `Created`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ObjectKind,
    /// Relative to the configfs root, e.g. `target/iscsi/<iqn>/tpgt_1/np/10.0.0.1:3260`.
    pub path: PathBuf,
    pub action: Action,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} {:?} {}",
            self.action,
            self.kind,
            self.path.display()
        )
    }
}

/// Every object a reconcile looked at, in the order it handled them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub changes: Vec<Change>,
}

impl Report {
    /// Whether anything was written, created or removed.
    pub fn changed(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Unchanged)
    }

    /// The changes other than `Unchanged`.
    pub fn touched(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.action != Action::Unchanged)
    }

    /// The last action recorded for `path`.
    pub fn action(&self, path: impl AsRef<Path>) -> Option<Action> {
        self.changes
            .iter()
            .rev()
            .find(|c| c.path == path.as_ref())
            .map(|c| c.action)
    }

    pub(super) fn begin(&mut self, kind: ObjectKind, path: &Path) -> usize {
        self.changes.push(Change {
            kind,
            path: path.to_path_buf(),
            action: Action::Unchanged,
        });
        self.changes.len() - 1
    }

    pub(super) fn mark(&mut self, idx: usize, action: Action) {
        let c = &mut self.changes[idx];
        c.action = match (c.action, action) {
            (Action::Created, Action::Updated) => Action::Created,
            (_, a) => a,
        };
    }

    pub(super) fn removed(&mut self, kind: ObjectKind, path: &Path) {
        let idx = self.begin(kind, path);
        self.mark(idx, Action::Removed);
    }
}

//! `state.json` under the state directory (production: `/var/lib/storaged`).
//!
//! - A missing file is an empty state; a file that does not load is an
//!   error naming it, and [`StateStore::save`] refuses to replace it: only
//!   an explicit [`StateStore::reset`] sets it aside.
//! - Saves are atomic: a temp file in the same directory, fsync, rename
//!   over, fsync the directory. A crash leaves the old file or the new one.
//! - The file being replaced is kept as `history/state-<n>.json` (a hard
//!   link, so no copy); the last [`HISTORY_KEEP`] are kept.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::migrate::{migrate, MigrateError, MigrationRecord, CURRENT_VERSION};
use super::mutate::MutationError;
use super::reconcile::Outcome;
use super::schema::DesiredState;
use crate::util::write_atomic;

pub const STATE_FILE: &str = "state.json";
pub const HISTORY_DIR: &str = "history";
/// How many replaced versions `history/` keeps.
pub const HISTORY_KEEP: usize = 10;
/// What [`write_atomic`] names its temporary `state.json`.
const TEMP_PREFIX: &str = ".state.json.tmp-";

/// The state directory. One process owns it; saves take `&mut self`.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

/// What [`StateStore::load`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loaded {
    pub state: DesiredState,
    /// False when there was no `state.json` (first boot): the state is empty.
    pub file_existed: bool,
    /// The migrations that ran, oldest first; empty when the file was current.
    pub migrations: Vec<MigrationRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read state file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("state file {} is corrupt at line {line} column {column}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("state file {} cannot be used", path.display())]
    Schema {
        path: PathBuf,
        #[source]
        source: MigrateError,
    },
    #[error("state file {}, migrated to schema v{CURRENT_VERSION}, does not match it: {reason}", path.display())]
    Mismatch { path: PathBuf, reason: String },
    #[error("state file {} declares an impossible state", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: MutationError,
    },
}

/// A filesystem step that failed, naming the step and the path.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}", path.display())]
pub struct StoreIoError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("refusing to save a state of schema v{found} (this build writes v{CURRENT_VERSION})")]
    WrongVersion { found: u32 },
    #[error("refusing to save an impossible state")]
    Invalid(#[source] MutationError),
    #[error("refusing to replace the current state file; reset it explicitly first")]
    Existing(#[source] LoadError),
    #[error(transparent)]
    Io(#[from] StoreIoError),
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreIoError + 'a {
    move |source| StoreIoError {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl StateStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StateStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    pub fn history_dir(&self) -> PathBuf {
        self.dir.join(HISTORY_DIR)
    }

    /// Read, migrate and validate `state.json`. Never writes.
    pub fn load(&self) -> Result<Loaded, LoadError> {
        let path = self.state_path();
        match fs::read(&path) {
            Ok(bytes) => {
                let (state, migrations) = parse(&path, &bytes)?;
                Ok(Loaded {
                    state,
                    file_existed: true,
                    migrations,
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Loaded {
                state: DesiredState::default(),
                file_existed: false,
                migrations: Vec::new(),
            }),
            Err(source) => Err(LoadError::Read { path, source }),
        }
    }

    /// Commit `state` atomically. `Unchanged` when the file already holds
    /// exactly these bytes, `Created` on the first save, else `Updated`
    /// (and the replaced file goes to the history).
    pub fn save(&mut self, state: &DesiredState) -> Result<Outcome, SaveError> {
        if state.schema_version() != CURRENT_VERSION {
            return Err(SaveError::WrongVersion {
                found: state.schema_version(),
            });
        }
        state.validate().map_err(SaveError::Invalid)?;
        let text = state.to_json();
        let path = self.state_path();
        fs::create_dir_all(&self.dir).map_err(io_err("create directory", &self.dir))?;
        self.remove_stale_temps()?;
        let existing = match fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err("read", &path)(e).into()),
        };
        if let Some(bytes) = &existing {
            if bytes == text.as_bytes() {
                return Ok(Outcome::Unchanged);
            }
            parse(&path, bytes).map_err(SaveError::Existing)?;
        }

        // The history links the old file before the new one replaces it
        // (a failed write then only leaves one more copy of the old one).
        if existing.is_some() {
            self.keep_in_history(&path)?;
        }
        // Owner-only: the state holds password hashes.
        write_atomic(&path, text.as_bytes(), 0o600).map_err(io_err("write", &path))?;
        Ok(if existing.is_some() {
            Outcome::Updated
        } else {
            Outcome::Created
        })
    }

    /// Set `state.json` aside as `state.json.corrupt-<now_unix>` (never
    /// deleted), so the next load starts empty. Only on an explicit request
    /// from the admin. Returns where it went, or `None` if there was none.
    pub fn reset(&mut self, now_unix: u64) -> Result<Option<PathBuf>, StoreIoError> {
        let path = self.state_path();
        if !path.exists() {
            return Ok(None);
        }
        let mut aside = self.dir.join(format!("{STATE_FILE}.corrupt-{now_unix}"));
        let mut k = 0;
        while aside.exists() {
            k += 1;
            aside = self
                .dir
                .join(format!("{STATE_FILE}.corrupt-{now_unix}.{k}"));
        }
        fs::rename(&path, &aside).map_err(io_err("set aside", &path))?;
        sync_dir(&self.dir)?;
        Ok(Some(aside))
    }

    /// The kept versions, oldest first.
    pub fn history(&self) -> Result<Vec<PathBuf>, StoreIoError> {
        Ok(self
            .numbered_history()?
            .into_iter()
            .map(|(_, path)| path)
            .collect())
    }

    fn numbered_history(&self) -> Result<Vec<(u64, PathBuf)>, StoreIoError> {
        let dir = self.history_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("list", &dir)(e)),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("list", &dir))?;
            let name = entry.file_name();
            let number = name
                .to_str()
                .and_then(|n| n.strip_prefix("state-"))
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(number) = number {
                found.push((number, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }

    /// Link the current file into the history, then prune the oldest.
    fn keep_in_history(&self, current: &Path) -> Result<(), StoreIoError> {
        let dir = self.history_dir();
        if !dir.exists() {
            fs::create_dir(&dir).map_err(io_err("create directory", &dir))?;
            sync_dir(&self.dir)?;
        }
        let mut kept = self.numbered_history()?;
        let next = kept.last().map_or(1, |(n, _)| n + 1);
        let target = dir.join(format!("state-{next}.json"));
        if fs::hard_link(current, &target).is_err() {
            let bytes = fs::read(current).map_err(io_err("read", current))?;
            write_atomic(&target, &bytes, 0o600).map_err(io_err("write", &target))?;
        }
        kept.push((next, target));
        let excess = kept.len().saturating_sub(HISTORY_KEEP);
        for (_, old) in &kept[..excess] {
            fs::remove_file(old).map_err(io_err("prune", old))?;
        }
        sync_dir(&dir)
    }

    /// Temp files a crash left behind: never a complete state, safe to drop.
    fn remove_stale_temps(&self) -> Result<(), StoreIoError> {
        let entries = fs::read_dir(&self.dir).map_err(io_err("list", &self.dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err("list", &self.dir))?;
            let stale = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(TEMP_PREFIX));
            if stale {
                let path = entry.path();
                fs::remove_file(&path).map_err(io_err("remove stale", &path))?;
            }
        }
        Ok(())
    }
}

/// Bytes of a state file to a current, validated state.
fn parse(path: &Path, bytes: &[u8]) -> Result<(DesiredState, Vec<MigrationRecord>), LoadError> {
    let corrupt = |e: serde_json::Error| {
        let text = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        LoadError::Corrupt {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            reason: text.strip_suffix(&position).unwrap_or(&text).to_string(),
        }
    };
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(corrupt)?;
    let (doc, migrations) = migrate(doc).map_err(|source| LoadError::Schema {
        path: path.to_path_buf(),
        source,
    })?;
    let state: DesiredState = if migrations.is_empty() {
        // From the bytes, so a wrong field is reported at its position.
        serde_json::from_slice(bytes).map_err(corrupt)?
    } else {
        serde_json::from_value(doc).map_err(|e| LoadError::Mismatch {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
    };
    let state = state.rebuilt().map_err(|source| LoadError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((state, migrations))
}

fn sync_dir(dir: &Path) -> Result<(), StoreIoError> {
    crate::util::sync_dir(dir).map_err(io_err("fsync directory", dir))
}

//! The machine the engine works on: the real one, or `--sim`'s fixture
//! machine with a fake `zpool`/`zfs`, an in-memory configfs and a fake
//! Samba passdb. Which one is decided once, where the [`Machine`] is built
//! (`config::Config::machine`); nothing below asks again.

use std::path::PathBuf;
use std::sync::Arc;

use crate::platform::Platform;
use crate::roots::Roots;
use crate::runner::CommandRunner;
use crate::sharing::SharingHost;
use crate::upgrade::Upgrader;

/// Everything the engine's operations reach on the machine.
pub struct Machine {
    /// Started with `--sim`: no disks, no root.
    pub sim: bool,
    /// Runs `zpool`, `zfs`, `exportfs`...: the real ones, or a fake.
    pub runner: Arc<dyn CommandRunner>,
    /// sysfs, configfs, `/dev` and `/`.
    pub roots: Roots,
    /// Persisted state (`/var/lib/storaged`).
    pub state_dir: PathBuf,
    /// Runtime files (`/run/storaged`): generated configs go here.
    pub runtime_dir: PathBuf,
    /// The image and slot this runs from, read once at start.
    pub platform: Platform,
    /// configfs, the generated service files, Samba's users.
    pub sharing: SharingHost,
    /// A/B upgrades: install progress, one install at a time.
    pub upgrade: Upgrader,
}

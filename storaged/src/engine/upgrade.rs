//! A/B upgrades as operations: the status, one install at a time (from an
//! upload or a file on the appliance), a rollback, a reboot. The slot
//! mechanics are `crate::upgrade`'s; this is the engine's face of them.

use crate::upgrade::install::{InstallOptions, Installed, Source};
use crate::upgrade::{boot, Busy, UpgradeStatus};

use super::{EngineError, Machine};

pub fn status(machine: &Machine) -> UpgradeStatus {
    machine.upgrade.status()
}

/// Takes the one install slot (an install, a rollback or a reboot holds
/// it), or says an install is running.
pub fn begin(machine: &Machine) -> Result<Busy, EngineError> {
    Ok(machine.upgrade.begin()?)
}

/// Installs a bundle into the inactive slot (blocking: reads, verifies and
/// writes the whole bundle).
pub fn install(
    machine: &Machine,
    busy: &Busy,
    source: Source<'_>,
    opts: InstallOptions,
) -> Result<Installed, EngineError> {
    Ok(machine.upgrade.install(busy, source, opts)?)
}

/// Points the next boot back at the other slot.
pub fn rollback(machine: &Machine) -> Result<String, EngineError> {
    Ok(machine.upgrade.rollback()?)
}

/// Asks systemd for a clean reboot.
pub fn reboot(machine: &Machine) -> Result<(), EngineError> {
    Ok(boot::reboot(machine.runner.as_ref())?)
}

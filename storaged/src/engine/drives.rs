//! The drive inventory, taken now.

use crate::drives::{self, Inventory};

use super::{EngineError, Machine};

/// Every disk with its stable id and verdict (blocking: reads sysfs and
/// every disk).
pub fn inventory(machine: &Machine) -> Result<Inventory, EngineError> {
    drives::scan(&machine.roots.drives()).map_err(EngineError::Drives)
}

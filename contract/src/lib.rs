//! The on-disk contract shared by the builder (`ironstor`) and `storaged`.
//!
//! Everything both halves must agree on byte for byte lives here and only
//! here: the partition table of an ironstor boot medium (names, type GUIDs,
//! order), the ESP's layout, the names of the A/B root slots and how the booted slot reaches
//! the kernel command line, the GRUB environment block with the keys that
//! drive boot counting, what a network boot puts on the command line and
//! leaves under `/run`, the update bundle format with its signature check,
//! the signing key files, and how versions compare.
//!
//! This crate does no I/O beyond what a caller hands it: it owns formats, not
//! devices.

pub mod bundle;
pub mod esp;
pub mod grubenv;
pub mod keys;
pub mod netboot;
pub mod partition;
pub mod slot;
pub mod version;

pub use grubenv::{GrubEnv, GrubEnvError};
pub use partition::{PartitionRole, PARTITIONS};
pub use slot::Slot;

/// How an image names itself in `/etc/os-release` (os-release(5) fields).
pub mod image {
    /// The image's name, e.g. `ironstor-hpe-ml310e`.
    pub const OS_RELEASE_IMAGE_ID: &str = "IMAGE_ID";
    /// The image's version from its profile.
    pub const OS_RELEASE_IMAGE_VERSION: &str = "IMAGE_VERSION";
    /// Unique per build: a hash of everything that went into the image.
    pub const OS_RELEASE_BUILD_ID: &str = "BUILD_ID";
}

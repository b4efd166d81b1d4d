//! The build's stages, each a function from typed inputs to typed outputs,
//! in pipeline order. [`crate::build`] strings them together.
//!
//! rootfs (base root and ZFS modules, cached) → assemble (with units) →
//! squashfs → bootloader → esp → data → disk → pxe_tree → bundle.

pub mod assemble;
pub mod bootloader;
pub mod bundle;
pub mod data;
pub mod disk;
pub mod esp;
pub mod pxe_tree;
pub mod rootfs;
pub mod squashfs;
pub mod units;

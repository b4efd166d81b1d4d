//! The ironstor builder: bakes an immutable appliance image from a profile.
//!
//! - [`build`] drives the pipeline, one screen: [`profile`] → [`stages`]
//!   (rootfs, assemble, squashfs, bootloader, esp, data, disk, pxe tree,
//!   bundle) → the files named in [`output`].
//! - [`formats`] writes what the stages put on disk (GPT and layout, GRUB,
//!   loader configs); [`host`] is the only way out to the host (the
//!   packages it needs, and [`host::run::Cmd`] for every program).
//! - [`serve`] serves a built tree over HTTP and TFTP (`pxe serve`);
//!   [`qemu`] boots the result the way the reference server does.
//!
//! Layers import downward only: `build`, `serve`, `qemu` → `stages` →
//! `profile` → `formats`, `output` → `host`. The builder never needs a
//! loop device or a mount: file systems are made from directories and
//! written at their offsets.

pub mod build;
pub mod cache;
pub mod formats;
pub mod host;
pub mod keys;
pub mod output;
pub mod profile;
pub mod qemu;
pub mod serve;
pub mod stages;

/// The test tier that runs the stages against the host's tools.
#[cfg(test)]
mod host_tools;

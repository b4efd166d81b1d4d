//! The ironstor builder: bakes an immutable appliance image from a profile.
//!
//! The pipeline is in [`build`]; each stage is a module taking typed inputs
//! to typed outputs: [`profile`] → [`rootfs`] (cached base and ZFS stages)
//! → [`assemble`] → [`image`] (squashfs, ESP, data, disk with [`gpt`] and
//! [`grub`]). [`qemu`] boots the result the way the reference server does.
//!
//! Host programs run only through [`run::Cmd`]. The builder never needs a
//! loop device or a mount: file systems are made from directories and
//! written at their offsets.

pub mod assemble;
pub mod build;
pub mod bundle;
pub mod cache;
pub mod disk;
pub mod fsutil;
pub mod gpt;
pub mod grub;
pub mod host;
pub mod http;
pub mod image;
pub mod keys;
pub mod profile;
pub mod pxe;
pub mod qemu;
pub mod rootfs;
pub mod run;
pub mod served;
pub mod tftp;
pub mod units;

//! Formats the builder writes, as pure functions or thin wrappers over the
//! one host program that makes each: the GPT and the disk layout, GRUB's
//! files, the network-boot loaders' configs, and file-tree utilities.
//! Nothing here knows about profiles or stages.

pub mod fsutil;
pub mod gpt;
pub mod grub;
pub mod layout;
pub mod pxe;

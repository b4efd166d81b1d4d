//! Serving a build's network-boot tree: a read-only HTTP server and a TFTP
//! server over one directory, and `ironstor pxe serve`, which runs both.

pub mod handle;
pub mod http;
pub mod pxe;
pub mod tftp;

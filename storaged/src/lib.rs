//! storaged: the one service of an ironstor appliance.
//!
//! It owns everything the appliance does at run time. For now that is
//! knowing where it runs (which image, which slot) and telling systemd it is
//! alive; drives, pools and sharing build on this.
//!
//! It must never destroy or format anything it was not explicitly asked to.

pub mod notify;
pub mod platform;

//! Shared support for the vm-tier tests lives in tests/.

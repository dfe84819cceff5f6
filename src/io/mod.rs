//! Plain work on file descriptors and addresses, with no stream state.

pub mod accept;
pub mod addr;
pub mod fd;

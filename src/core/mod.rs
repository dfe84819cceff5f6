//! What a connected stream and a listener are and what they report, whatever the
//! driver.

pub mod event;
pub mod listener;
pub mod registry;
pub mod runtime;
pub mod stream;
pub mod tls;

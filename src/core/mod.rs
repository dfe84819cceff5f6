//! A connected stream, the events it reports and the queue they travel in, whatever
//! the driver.

pub mod channel;
pub mod registry;
pub mod runtime;
pub mod stream;

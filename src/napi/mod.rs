//! What JavaScript sees: the handles, and the calls that bring their events to JS.

pub mod batch;
pub mod close_phase;
pub mod delivery;
pub mod env;
pub mod loop_phases;
pub mod malloc_stats;
pub mod read_memory;
pub mod send_file;
pub mod server;
pub mod socket;
pub mod tcp_tuning;
pub mod tls;
pub mod uncaught;

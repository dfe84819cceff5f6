//! rsnet: Node's `net` module on a Tokio runtime.
//!
//! Map of the crate:
//! - [`runtime`]: the one Tokio runtime, built lazily and shared by every Node environment.
//! - [`events`]: the one channel from Tokio to JavaScript per environment: an event queue,
//!   drained in batches by a single threadsafe function, and the loop-liveness ref count.
//! - [`stream`]: the native side of a connected socket (TCP or Unix): read loop, write
//!   queue, shutdown. Shared by both kinds.
//! - [`socket`]: `SocketHandle`, the JS-visible handle of one stream (connect, read, write).
//! - [`server`]: `ServerHandle`, the JS-visible handle of one listener (bind, listen, accept).
//! - [`accept`]: accept(2) as libuv calls it, and its answer to running out of fds.
//! - [`driver`]: which thread moves a socket's bytes; the one place that chooses.
//! - [`uv_driver`]: the in-loop driver (the default): reads and writes on the JS thread
//!   from a `uv_poll` in Node's own event loop, without a thread hop; and the check
//!   handle both drivers use to complete requests after the turn's I/O.
//! - [`close_phase`]: runs `'close'` callbacks in libuv's close phase, as Node does.
//! - [`loop_turn`]: the event loop's turn count, so JS can keep libuv's read rhythm.
//! - [`uv`]: the few libuv functions rsnet calls (Node exports them).
//! - [`fd`]: adopting existing file descriptors (`new Socket({fd})`, `listen({fd})`).
//! - [`addr`]: address parsing and formatting; [`errno`]: every status a handle reports, shared with JS.
//!
//! The boundary mirrors Node's own `tcp_wrap`/`pipe_wrap`: JS calls small verbs on a
//! handle, and native code answers only through events. Native code never touches the
//! JS stream objects.

#![deny(clippy::all)]
// Under `cargo test` the napi exports have no caller.
#![cfg_attr(test, allow(dead_code))]

mod accept;
mod addr;
mod batch;
mod close_phase;
mod driver;
mod errno;
mod events;
mod fd;
mod loop_turn;
mod napi_raw;
mod registry;
mod runtime;
mod server;
mod socket;
mod stream;
mod uv;
mod uv_driver;

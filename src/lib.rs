//! rsnet: Node's `net` module on a Tokio runtime.
//!
//! The crate is in layers; a module uses only its own layer and those above it in this
//! list, never one below:
//!
//! - [`sys`]: the system and runtime interfaces. [`sys::errno`] (every status a handle
//!   reports, from libc, shared with JS), [`sys::uv`] (the few libuv functions rsnet
//!   calls), [`sys::napi_raw`] (napi call helpers), [`sys::loop_turn`] (the event
//!   loop's turn count).
//! - [`io`]: plain fd work. [`io::addr`] (addresses between JS strings and sockets),
//!   [`io::fd`] (adopting existing fds), [`io::accept`] (accept(2) as libuv calls it,
//!   with its answer to running out of fds).
//! - [`core`]: what a stream and a listener are, whatever the driver.
//!   [`core::stream`] (a connected socket: the one read step, the write queue, FIN,
//!   close, splice, the connect outcome; `transport` is its fd and kind, `tls` the
//!   rustls session between the kernel and that read step and write queue),
//!   [`core::tls`] (TLS contexts made from DER, and the certificate verdict in
//!   OpenSSL's codes),
//!   [`core::listener`] (a listening socket and the one accept routine),
//!   [`core::event`] (the events they report), [`core::registry`] (the handles an
//!   environment must close), [`core::runtime`] (the one Tokio runtime).
//! - [`driver`]: which thread moves the bytes, the only code that knows there are
//!   two. [`driver`]'s `mod.rs` is the interface and the one place that chooses;
//!   [`driver::in_loop`] polls sockets from Node's loop (the default; its epoll
//!   set in `in_loop/reactor.rs`, its listener poll in `in_loop/listener.rs`);
//!   [`driver::threaded`] runs them as Tokio tasks and holds the threadsafe-function
//!   channel to the JS thread.
//! - [`napi`]: what JavaScript sees. [`napi::socket`] and [`napi::server`] (the
//!   handles' verbs, asking their driver), [`napi::env`] (the per-environment state,
//!   `Environment`), [`napi::loop_phases`] (the check, prepare and idle handles both
//!   drivers use), [`napi::delivery`] (the calls into JS), [`napi::batch`] (the batch
//!   format), [`napi::read_memory`] (the Buffers the loop driver's bulk reads land
//!   in), [`napi::close_phase`] (`'close'` in libuv's close phase),
//!   [`napi::uncaught`] (an exception JS caught mid-batch, raised as uncaught), and
//!   rsnet's verbs beyond Node's `net`: [`napi::tcp_tuning`] (TCP options and
//!   `TCP_INFO`), [`napi::send_file`] (`sendfile(2)` on the runtime), [`napi::tls`]
//!   (`TlsContext`, and TLS started on a socket handle); and [`napi::malloc_stats`]
//!   (the bytes malloc holds, for `benchmark/idle-memory.js`).
//!
//! The boundary mirrors Node's own `tcp_wrap`/`pipe_wrap`: JS calls small verbs on a
//! handle, and native code answers only through events. Native code never touches the
//! JS stream objects.

#![deny(clippy::all)]
#![deny(clippy::undocumented_unsafe_blocks)]
// Under `cargo test` the napi exports have no caller.
#![cfg_attr(test, allow(dead_code))]

mod core;
mod driver;
mod io;
mod napi;
mod sys;

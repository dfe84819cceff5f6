//! The process-wide Tokio runtime that owns every listener and socket.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The shared runtime, built on first use. Every Node environment (main thread and
/// workers) shares it: sockets are cheap tasks, threads are not.
pub fn get() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(worker_threads())
            .thread_name("rsnet-io")
            .enable_io()
            .enable_time()
            .build()
            .expect("rsnet: cannot start the Tokio runtime")
    })
}

/// One I/O thread by default: the JS thread is the bottleneck of a Node program, and a
/// second I/O thread mostly adds cross-thread wake-ups on small machines.
/// `RSNET_IO_THREADS` overrides it for experiments.
fn worker_threads() -> usize {
    std::env::var("RSNET_IO_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(1)
}

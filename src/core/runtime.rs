//! The process-wide Tokio runtime that owns every listener and socket.

use std::io;
use std::sync::{Mutex, OnceLock};

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static STARTING: Mutex<()> = Mutex::new(());

/// The shared runtime, built on first use. Every Node environment (main thread and
/// workers) shares it: sockets are cheap tasks, threads are not. Building it needs a
/// few fds (epoll, eventfd) and a thread; when the process has none to spare, the
/// error is returned (JS reports it as the listen or connect error, as Node reports
/// EMFILE) and the next call tries again.
pub fn get() -> io::Result<&'static Runtime> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let _starting = STARTING.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("rsnet-io")
        .enable_io()
        .enable_time()
        .build()?;
    Ok(RUNTIME.get_or_init(|| runtime))
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

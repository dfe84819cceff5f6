//! The driver: which thread moves a connected socket's bytes. This is the one place
//! that chooses; the rest of the crate asks the environment (`napi::env::driver`, and
//! `napi::env::uv_loop`, which names the loop only when the in-loop driver polls).
//!
//! - [`Driver::InLoop`] (the default): a connected socket is polled from Node's own
//!   event loop ([`in_loop`]), and its reads, writes and FIN happen on the JS thread,
//!   as libuv's own streams do. No thread is woken for established traffic: on the one
//!   or two cores a Node process usually has, a wake-up per event batch costs more
//!   than it saves.
//! - [`Driver::Threaded`] (`RSNET_DRIVER=threaded`): the Tokio runtime's threads read
//!   and flush (`StreamCore::drive`), and hand events to the JS thread in batches
//!   through the environment's threadsafe function. It pays where spare cores can take
//!   work off the JS thread.
//!
//! Both accept and connect through the same code, and both deliver through the same
//! batch format; only where reads and flushes run differs.

pub mod in_loop;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Driver {
    InLoop,
    Threaded,
}

impl Driver {
    /// The driver a new environment gets: `RSNET_DRIVER` (`loop` or `threaded`), else
    /// the in-loop driver, unless this libuv's handles do not fit rsnet's storage.
    pub fn chosen() -> Driver {
        let asked = std::env::var("RSNET_DRIVER").ok();
        match asked.as_deref() {
            Some("threaded") => Driver::Threaded,
            _ if crate::sys::uv::handles_fit() => Driver::InLoop,
            _ => Driver::Threaded,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Driver::InLoop => "loop",
            Driver::Threaded => "threaded",
        }
    }
}

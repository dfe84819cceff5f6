//! The drivers: which thread moves a connected socket's bytes, side by side behind one
//! interface. This is the only code that knows there is more than one.
//!
//! - [`in_loop`] (the default): a connected socket is polled from Node's own event
//!   loop (in an epoll set of rsnet's, one per environment, which the loop watches),
//!   and its reads, writes and FIN happen on the JS thread, as libuv's own streams do; listeners accept there too, and connects finish there. No thread is
//!   woken for established traffic: on the one or two cores a Node process usually
//!   has, a wake-up per event batch costs more than it saves.
//! - [`threaded`] (`RSNET_DRIVER=threaded`): the Tokio runtime's threads read and
//!   flush (a task per stream), accept (a task per listener) and finish connects, and
//!   hand events to the JS thread in batches through the environment's threadsafe
//!   function. It pays where spare cores can take work off the JS thread.
//!
//! [`Driver::chosen`] picks one per environment. A socket handle then holds a
//! [`StreamDriver`] and asks it through [`Drive`]; a server handle gets an
//! [`Acceptor`] from [`Driver::listen`]. Both drivers read with the same read step,
//! write through the same queue, accept with the same routine and judge a connect by
//! the same `SO_ERROR`, all in `core`; and their events reach JS in the same batch
//! format (`napi::batch`).

use std::ffi::c_void;
use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::core::listener::{Listener, ServerCore};
use crate::core::stream::{Io, StreamCore};

pub mod in_loop;
pub mod threaded;

/// The driver of one environment.
#[derive(Clone, Copy)]
pub enum Driver {
    /// Polls from this libuv loop, Node's loop of the environment's JS thread.
    InLoop(*mut c_void),
    Threaded,
}

/// What a socket handle asks of its driver. Statuses are 0 or a negative errno.
pub trait Drive {
    /// A connect(2) started on the JS thread (`pending`: still under way) is to be
    /// finished: a `Connected` event follows, unless a status < 0 is returned.
    fn connect(&mut self, core: &Arc<StreamCore>, io: Io, pending: bool) -> i32;
    fn read_start(&mut self, core: &Arc<StreamCore>) -> i32;
    fn read_stop(&mut self, core: &Arc<StreamCore>);
    /// A write was queued (the kernel was full): flush it once writable. `reading`:
    /// JS is reading (a poll made now must read too).
    fn watch_writes(&mut self, core: &Arc<StreamCore>, reading: bool);
    /// Whether this stream can take part in a native splice now.
    fn can_splice(&self) -> bool;
    /// The handle is closing: stop watching its fd before it is closed.
    fn stop(&mut self);
}

impl Driver {
    /// The driver a new environment gets: `RSNET_DRIVER` (`loop` or `threaded`), else
    /// the in-loop driver on `uv_loop` (the environment's loop), unless this libuv's
    /// handles do not fit rsnet's storage.
    pub fn chosen(uv_loop: *mut c_void) -> Driver {
        let asked = std::env::var("RSNET_DRIVER").ok();
        match asked.as_deref() {
            Some("threaded") => Driver::Threaded,
            _ if crate::sys::uv::handles_fit() => Driver::InLoop(uv_loop),
            _ => Driver::Threaded,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Driver::InLoop(_) => "loop",
            Driver::Threaded => "threaded",
        }
    }

    /// The driver half of a new socket handle, used on this environment's JS thread.
    pub fn stream(self) -> StreamDriver {
        match self {
            Driver::InLoop(_) => {
                // SAFETY: a `Driver` (holding a raw pointer, so neither Send nor Sync)
                // never leaves the JS thread of its environment, which called
                // `in_loop::start` with its loop before choosing it, and where the socket
                // handle lives too; the in-loop driver is chosen only when libuv's
                // handles fit.
                StreamDriver::InLoop(unsafe { in_loop::PolledStream::new() })
            }
            Driver::Threaded => StreamDriver::Threaded(threaded::TaskStream),
        }
    }

    /// Starts accepting on a listening socket; connections arrive as `Accepted`
    /// events. Dropping the [`Acceptor`] stops it (closing the listener ends it).
    pub fn listen(self, core: &Arc<ServerCore>, listener: Listener) -> Result<Acceptor, i32> {
        match self {
            Driver::InLoop(uv_loop) => {
                // SAFETY: as in `stream`: a `Driver` stays on the JS thread whose loop
                // `chosen` named, and the handles fit.
                let watcher = unsafe { in_loop::listen(uv_loop, core, listener) }?;
                Ok(Acceptor::Polled { _watcher: watcher })
            }
            Driver::Threaded => threaded::listen(core, listener).map(|()| Acceptor::Task),
        }
    }
}

/// A socket handle's driver.
pub enum StreamDriver {
    InLoop(in_loop::PolledStream),
    Threaded(threaded::TaskStream),
}

impl Deref for StreamDriver {
    type Target = dyn Drive;

    fn deref(&self) -> &(dyn Drive + 'static) {
        match self {
            StreamDriver::InLoop(driver) => driver,
            StreamDriver::Threaded(driver) => driver,
        }
    }
}

impl DerefMut for StreamDriver {
    fn deref_mut(&mut self) -> &mut (dyn Drive + 'static) {
        match self {
            StreamDriver::InLoop(driver) => driver,
            StreamDriver::Threaded(driver) => driver,
        }
    }
}

/// What accepts for a server handle: the poll of its listener, or its task.
pub enum Acceptor {
    /// Held for its `Drop`, which closes the poll.
    Polled { _watcher: in_loop::ReadWatcher },
    /// The task ends when the listener closes.
    Task,
}

/// Serves an adopted fd (`new Socket({ fd })`). Under both drivers it starts on the
/// runtime: only the runtime can wait for an fd that may not be connected yet; the
/// in-loop driver takes it over once it is connected and reads.
pub fn adopt(core: &Arc<StreamCore>, io: Io) -> i32 {
    threaded::adopt(core, io)
}

/// Finishes the connect of an adopted fd on the runtime, where it is served.
pub fn connect_adopted(core: &Arc<StreamCore>, started: io::Result<bool>) -> i32 {
    threaded::connect_adopted(core, started)
}

/// Reports, later, a connect that failed when connect(2) was called.
pub fn connect_failed(core: &Arc<StreamCore>, io: Option<Io>, failed: io::Error) -> i32 {
    threaded::connect_failed(core, io, failed)
}

#[cfg(test)]
mod tests {
    /// Every connection's `SocketHandle` holds one (issue #18, memory per connection):
    /// the loop a poll is made on is the environment's, not each stream's.
    #[test]
    fn a_stream_driver_holds_no_loop_pointer() {
        assert!(std::mem::size_of::<super::StreamDriver>() <= 24);
    }
}

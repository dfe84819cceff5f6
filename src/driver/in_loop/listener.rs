//! The in-loop driver's listeners: a poll of the listening socket in Node's loop, on
//! the JS thread, accepts with the one accept routine (`ServerCore::accept_pending`);
//! every connection joins this loop turn's events and never joins the runtime.
//!
//! A listener keeps a `uv_poll` of its own rather than joining the edge-triggered
//! set of the streams (`reactor`): libuv polls level-triggered, so one accept per
//! notification is enough (the listener is reported again while connections wait),
//! where an edge would have to be followed by accepts until EAGAIN, one more accept(2)
//! per connection at the usual one connection at a time. A burst accepts more per
//! notification (`Burst`). Its own poll costs a few `epoll_ctl` per listen, not per
//! connection.

use std::ffi::{c_int, c_void};
use std::sync::Arc;

use super::{add_live, is_live, queue_event, release};
use crate::core::event::Event;
use crate::core::listener::{Listener, ServerCore, ACCEPT_BACKOFF};
use crate::core::stream::{Io, StreamCore};
use crate::sys::errno::EINVAL;
use crate::sys::uv::*;

/// Accepts on the JS thread: a poll of the listener in Node's loop. Each connection
/// is delivered with this loop turn's reads and never joins the reactor.
///
/// # Safety
/// `uv_loop` must be the libuv loop of the calling thread, whose `uv_poll_t` and
/// `uv_timer_t` fit in a [`Handle`].
pub unsafe fn listen(
    uv_loop: *mut c_void,
    core: &Arc<ServerCore>,
    listener: Listener,
) -> Result<ReadWatcher, i32> {
    use std::os::fd::AsRawFd;
    let fd = listener.socket().as_raw_fd();
    *core.listener() = Some(listener);
    let server = core.clone();
    // SAFETY: this fn's contract. The fd is the listener's, closed only after the
    // watcher is dropped (`ServerHandle::close`) or polls are closed (teardown).
    let mut burst = Burst::default();
    let on_readable = Box::new(move || {
        // SAFETY: this fn's contract: the calling thread's loop, which the watcher's
        // callbacks run on.
        let turn = unsafe { crate::sys::loop_turn::of_loop(uv_loop) };
        accept_ready(&server, burst.accepts(turn))
    });
    // SAFETY: as above.
    let watcher = unsafe { ReadWatcher::new(uv_loop, fd, on_readable) };
    watcher.ok_or_else(|| {
        crate::core::registry::Closable::close(&**core);
        EINVAL
    })
}

/// How many connections one notification accepts. The poll is level-triggered, so
/// libuv reports the listener again next turn while connections wait: one accept per
/// notification, as libuv makes, costs no accept(2) that finds nothing, which at the
/// usual one connection at a time would be one more per connection. But a burst (the
/// listener ready turn after turn) would then take a loop turn per connection, each
/// with its batch, so from the second turn in a row the notification accepts until
/// the kernel has none left (at most `accept_pending`'s bound per notification).
#[derive(Default)]
struct Burst {
    /// The loop turn of the last notification.
    last_turn: Option<u64>,
}

impl Burst {
    fn accepts(&mut self, turn: Option<u64>) -> usize {
        let in_a_row = matches!((self.last_turn, turn), (Some(last), Some(now)) if now <= last + 1);
        self.last_turn = turn;
        if in_a_row {
            usize::MAX
        } else {
            1
        }
    }
}

/// The listener is readable: accepts up to `limit` connections on the JS thread
/// (`Burst`), each joining this turn's events.
fn accept_ready(core: &Arc<ServerCore>, limit: usize) -> Readiness {
    let mut accepted = 0;
    let mut serve = |io: Io| {
        let stream = StreamCore::new(core.channel().clone());
        stream.attach_polled(io);
        queue_event(Event::Accepted(core.id, stream));
        accepted += 1;
        if accepted < limit {
            Ok(())
        } else {
            // `accept_pending` stops at WouldBlock, as when the kernel has none left.
            Err(std::io::ErrorKind::WouldBlock.into())
        }
    };
    match core.accept_pending(&mut serve) {
        Ok(()) => Readiness::Continue,
        Err(status) => {
            queue_event(Event::AcceptError(core.id, status));
            Readiness::PauseMs(ACCEPT_BACKOFF.as_millis() as u64)
        }
    }
}

/// Calls `on_readable` on the JS thread whenever an fd is readable: a listener whose
/// connections the loop driver accepts itself. Owned by its `ServerHandle`.
pub struct ReadWatcher {
    poll: *mut Handle,
}

struct WatcherState {
    on_readable: Box<dyn FnMut() -> Readiness>,
    /// Restarts polling after a pause; closed with the poll handle.
    timer: *mut Handle,
}

/// What a `ReadWatcher` callback asks for next.
pub enum Readiness {
    /// Keep polling.
    Continue,
    /// Stop polling for this long (EMFILE would otherwise spin), then poll again.
    PauseMs(u64),
}

impl ReadWatcher {
    /// Polls `fd` for readability from `event_loop`. None if libuv refuses.
    ///
    /// # Safety
    /// `event_loop` must be the libuv loop of the calling thread (Node's loop of this
    /// JS thread), whose `uv_poll_t` and `uv_timer_t` fit in a [`Handle`]
    /// (`handles_fit`); `fd` must stay open until the watcher is dropped or the
    /// environment torn down.
    pub unsafe fn new(
        event_loop: *mut c_void,
        fd: c_int,
        on_readable: Box<dyn FnMut() -> Readiness>,
    ) -> Option<ReadWatcher> {
        let timer = Handle::boxed(std::ptr::null_mut());
        let state = Box::into_raw(Box::new(WatcherState { on_readable, timer }));
        let poll = Handle::boxed(state.cast());
        // SAFETY: on the loop's thread with fresh boxes that fit (this fn's contract).
        // A failed init leaves that handle off the loop, so its box is still ours;
        // once the timer is initialised only its close callback may free it. From here
        // on the boxes are libuv's until `on_watcher_closed` (poll and state) and
        // `free_handle` (timer) free them. The timer's `data` names its poll.
        unsafe {
            (*timer).data = poll.cast();
            if uv_timer_init(event_loop, timer) != 0 {
                drop(Box::from_raw(poll));
                drop(Box::from_raw(timer));
                drop(Box::from_raw(state));
                return None;
            }
            if uv_poll_init(event_loop, poll, fd) != 0 {
                // The timer is on the loop's list now: only its close callback frees it.
                uv_close(timer, free_handle);
                drop(Box::from_raw(poll));
                drop(Box::from_raw(state));
                return None;
            }
            uv_unref(timer);
            uv_unref(poll);
            uv_poll_start(poll, UV_READABLE, on_watcher_event);
        }
        add_live(poll, close_watcher);
        Some(ReadWatcher { poll })
    }
}

impl Drop for ReadWatcher {
    fn drop(&mut self) {
        release(self.poll);
    }
}

/// libuv reports the listener readable.
///
/// # Safety
/// Only libuv calls it, on the loop's thread, for an active `ReadWatcher` poll.
unsafe extern "C" fn on_watcher_event(poll: *mut Handle, _status: c_int, _events: c_int) {
    crate::sys::uv::guard("on_watcher_event", || {
        // SAFETY: an active poll is open, and its `WatcherState` is freed only by its
        // close callback, in a later close phase. The `&mut` is the only reference
        // while it lives: `close_watcher` (the only other reader) runs from JS or the
        // teardown, and `on_readable` (accepting) runs no JS.
        let state = unsafe { &mut *((*poll).data as *mut WatcherState) };
        if let Readiness::PauseMs(ms) = (state.on_readable)() {
            // SAFETY: the poll is open (above), and its timer too: both are closed
            // together in `close_watcher`. Loop's thread.
            unsafe {
                uv_poll_stop(poll);
                uv_timer_start(state.timer, on_watcher_timer, ms, 0);
            }
        }
    });
}

/// A listener's pause is over: poll again.
///
/// # Safety
/// Only libuv calls it, on the loop's thread, for an active `ReadWatcher` timer.
unsafe extern "C" fn on_watcher_timer(timer: *mut Handle) {
    crate::sys::uv::guard("on_watcher_timer", || {
        // SAFETY: a running timer is open, so its box is valid; `ReadWatcher::new` set
        // its `data` to its poll.
        let poll = unsafe { (*timer).data as *mut Handle };
        if is_live(poll) {
            // SAFETY: `is_live`: an open poll of this thread's loop, on its thread.
            unsafe { uv_poll_start(poll, UV_READABLE, on_watcher_event) };
        }
    });
}

/// Closes a `ReadWatcher`'s poll and its timer.
///
/// # Safety
/// `poll` must be an open `ReadWatcher` poll handle of the calling thread's loop,
/// closed once (the caller took it out of LIVE).
unsafe fn close_watcher(poll: *mut Handle) {
    // SAFETY: this fn's contract: the poll is open, its `data` is its `WatcherState`,
    // whose timer is open too (closed only here). After uv_close libuv keeps the boxes
    // until the close callbacks free them.
    unsafe {
        let state = &*((*poll).data as *const WatcherState);
        uv_close(state.timer, free_handle);
        uv_poll_stop(poll);
        uv_close(poll, on_watcher_closed);
    }
}

/// Close callback of a `ReadWatcher`'s poll: frees it and its state.
///
/// # Safety
/// Only libuv calls it, once, for a poll handle made by `ReadWatcher::new`.
unsafe extern "C" fn on_watcher_closed(poll: *mut Handle) {
    crate::sys::uv::guard("on_watcher_closed", || {
        // SAFETY: libuv is done with a handle once its close callback runs; the handle
        // and its `WatcherState` were boxed by `ReadWatcher::new`, freed here, once.
        let poll = unsafe { Box::from_raw(poll) };
        // SAFETY: see above.
        drop(unsafe { Box::from_raw(poll.data as *mut WatcherState) });
    });
}

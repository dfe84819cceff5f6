//! The in-loop driver's reactor: one edge-triggered epoll set (kqueue elsewhere, by
//! `mio`) per environment, holding every stream the driver polls, whose one fd Node's
//! loop watches with a single `uv_poll`.
//!
//! A stream is registered once, for reading and writing, when it first needs polling,
//! and never modified after: what JS wants (reading, writing) is kept in its
//! [`Watch`], and so is what the kernel said (readable, writable), since an edge is
//! told only once. When libuv finds the set readable, one `epoll_wait` (timeout 0, at
//! most [`EVENTS_PER_WAKE`] events) collects the edges and each stream is served on
//! the spot ([`super::serve`]). A stream that still has more to read (its reads filled
//! the buffer [`super::READS_PER_WAKE`] times), that JS lets read again while the
//! kernel's edge is behind it (`readStart`, a splice's poke), or that has writes
//! queued while last known writable, waits in the ready list;
//! the check handle serves that list once per loop turn ([`serve_ready`]), and while
//! it is not empty an unref'd idle handle keeps the loop turning without blocking in
//! its poll phase, so timers and other handles still get their turn, and no socket
//! gets more than one round of reads per turn.
//!
//! Removal: closing an fd takes it out of the set only once no other fd refers to the
//! same open file. rsnet's own sockets (connected or accepted here, close-on-exec) are
//! referred to by their one fd, so they leave the set when closed and cost no
//! `epoll_ctl`; a fork's short-lived copy only delays that, and its stray edges name a
//! token no longer in use, which is skipped. An adopted fd (`new Socket({ fd })`, the
//! copy a cluster worker takes, stdio, which rsnet never closes) may have other
//! references, so it is deregistered explicitly before it is closed: otherwise it would
//! stay in the set, and a later adoption of the same fd would fail (`EEXIST`).
//! The environment's teardown closes the set, which drops every registration.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use super::flags::{CLOSED, QUEUED, READABLE, WRITABLE};
use super::Watch;
use crate::sys::uv::*;

/// Edges collected per callback: more wait for the next loop turn (the set stays
/// readable, so libuv reports it again).
const EVENTS_PER_WAKE: usize = 64;

/// A token names a slot and the registration that holds it: the low half of the
/// bits is the slot, the high half a serial number, so that an edge (or a poke) for a
/// stream that was removed never reaches the stream that took its slot.
const SLOT_BITS: u32 = usize::BITS / 2;
const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;

/// One environment's epoll set and what it serves (JS thread only).
struct Reactor {
    poll: Poll,
    /// Taken out while a callback uses it (serving runs no JS, but a splice's poke
    /// looks the reactor up meanwhile).
    events: Option<Events>,
    /// The `uv_poll` of the set's fd in Node's loop; its `data` owns nothing.
    uv_poll: *mut Handle,
    /// Keeps the loop turning (unref'd) while the ready list is not empty.
    idle: *mut Handle,
    slots: Vec<Option<Rc<Watch>>>,
    free: Vec<usize>,
    /// Tokens of the streams due at the next check phase.
    ready: Vec<usize>,
    /// Those found with more to read by this turn's poll phase: due at the next
    /// turn's check.
    deferred: Vec<usize>,
}

thread_local! {
    static REACTOR: RefCell<Option<Reactor>> = const { RefCell::new(None) };
    /// Never reset (an environment that follows another on this thread keeps
    /// counting), so an old stream's token never names a new one.
    static SERIAL: Cell<usize> = const { Cell::new(0) };
}

fn with<T>(f: impl FnOnce(&mut Reactor) -> T) -> Option<T> {
    REACTOR.with(|r| r.borrow_mut().as_mut().map(f))
}

/// Makes this environment's reactor on first use. False if the system refused.
///
/// # Safety
/// `uv_loop` must be the libuv loop of the calling thread, whose `uv_poll_t` and
/// `uv_idle_t` fit in a [`Handle`].
unsafe fn ensure(uv_loop: *mut c_void) -> bool {
    if REACTOR.with(|r| r.borrow().is_some()) {
        return true;
    }
    let Ok(poll) = Poll::new() else { return false };
    let uv_poll = Handle::boxed(std::ptr::null_mut());
    let idle = Handle::boxed(std::ptr::null_mut());
    // SAFETY: on the loop's thread with fresh boxes that fit (this fn's contract). A
    // failed init leaves that handle off the loop, so its box is still ours; once
    // initialised only its close callback frees it. The set's fd stays open until the
    // poll is closed (`stop`).
    unsafe {
        if uv_idle_init(uv_loop, idle) != 0 {
            drop(Box::from_raw(idle));
            drop(Box::from_raw(uv_poll));
            return false;
        }
        if uv_poll_init(uv_loop, uv_poll, poll.as_raw_fd()) != 0 {
            uv_close(idle, free_handle);
            drop(Box::from_raw(uv_poll));
            return false;
        }
        if uv_poll_start(uv_poll, UV_READABLE, on_ready) != 0 {
            uv_close(idle, free_handle);
            uv_close(uv_poll, free_handle);
            return false;
        }
        // Liveness is counted by rsnet's own handles.
        uv_unref(uv_poll);
        uv_unref(idle);
    }
    let reactor = Reactor {
        poll,
        events: Some(Events::with_capacity(EVENTS_PER_WAKE)),
        uv_poll,
        idle,
        slots: Vec::new(),
        free: Vec::new(),
        ready: Vec::new(),
        deferred: Vec::new(),
    };
    REACTOR.with(|r| *r.borrow_mut() = Some(reactor));
    true
}

/// Environment teardown: closes the set and its handles; every registration goes
/// with the set. Returns the watches that were registered (their poll hooks are to
/// be cleared).
pub(super) fn stop() -> Vec<Rc<Watch>> {
    let Some(reactor) = REACTOR.with(|r| r.borrow_mut().take()) else {
        return Vec::new();
    };
    // SAFETY: the environment's cleanup hook runs on its JS thread, the loop's. Both
    // handles were made by `ensure` and are still open (taken out of REACTOR above,
    // so closed once); closing stops them, and a closed uv_poll no longer watches the
    // set's fd (libuv takes it out of its own epoll set at once), which is closed
    // when `reactor.poll` drops below.
    unsafe {
        uv_close(reactor.uv_poll, free_handle);
        uv_close(reactor.idle, free_handle);
    }
    reactor.slots.into_iter().flatten().collect()
}

/// Registers `fd` for good (readable and writable, edge-triggered) and gives back the
/// watch made by `make` for its token.
///
/// # Safety
/// As [`ensure`]'s. `fd` must stay open until [`remove`] (or the teardown).
pub(super) unsafe fn insert(
    uv_loop: *mut c_void,
    fd: RawFd,
    make: impl FnOnce(usize) -> Watch,
) -> Option<Rc<Watch>> {
    // SAFETY: this fn's contract.
    if !unsafe { ensure(uv_loop) } {
        return None;
    }
    with(|r| {
        let slot = r.free.pop().unwrap_or_else(|| {
            r.slots.push(None);
            r.slots.len() - 1
        });
        if slot > SLOT_MASK {
            r.slots.pop();
            return None;
        }
        let serial = SERIAL.with(|s| {
            // Never 0, so that a token is never 0 (a poll hook of 0 is "none").
            let next = (s.get() + 1) & SLOT_MASK;
            s.set(next.max(1));
            next.max(1)
        });
        let token = (serial << SLOT_BITS) | slot;
        let registered = r.poll.registry().register(
            &mut SourceFd(&fd),
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        );
        if registered.is_err() {
            r.free.push(slot);
            return None;
        }
        let watch = Rc::new(make(token));
        r.slots[slot] = Some(watch.clone());
        Some(watch)
    })
    .flatten()
}

/// Forgets a registration; `deregister`: its fd may be shared (see the module docs),
/// so it leaves the set explicitly, before it is closed.
pub(super) fn remove(token: usize, fd: Option<RawFd>) {
    with(|r| {
        let slot = token & SLOT_MASK;
        if !matches!(r.slots.get(slot), Some(Some(w)) if w.token == token) {
            return;
        }
        r.slots[slot] = None;
        r.free.push(slot);
        if let Some(fd) = fd {
            let _ = r.poll.registry().deregister(&mut SourceFd(&fd));
        }
    });
}

/// The watch a token names, unless it was removed (or the environment ended).
pub(super) fn lookup(token: usize) -> Option<Rc<Watch>> {
    with(|r| match r.slots.get(token & SLOT_MASK) {
        Some(Some(watch)) if watch.token == token => Some(watch.clone()),
        _ => None,
    })
    .flatten()
}

/// Puts a stream on the ready list, to be served at the next check phase
/// (`deferred`: at the next turn's, as it was served this turn already).
pub(super) fn push_ready(watch: &Watch, deferred: bool) {
    if watch.flags.replace(QUEUED, true) {
        return;
    }
    let pushed = with(|r| {
        if deferred {
            r.deferred.push(watch.token);
        } else {
            r.ready.push(watch.token);
        }
        // SAFETY: the reactor's idle handle is open while it is in REACTOR (closed
        // only by `stop`, after taking it out); JS thread, the loop's. Starting an
        // active idle handle again does nothing.
        unsafe { uv_idle_start(r.idle, on_idle) };
    });
    if pushed.is_none() {
        watch.flags.set(QUEUED, false);
    }
}

/// Serves the streams due this turn (from the check handle, before it delivers the
/// turn's events); those found this turn's poll phase become due next turn.
pub(super) fn serve_ready() {
    let due = with(|r| {
        let idle = r.ready.is_empty() && r.deferred.is_empty();
        (!idle).then(|| std::mem::take(&mut r.ready))
    });
    let Some(due) = due.flatten() else { return };
    for token in due {
        if let Some(watch) = lookup(token) {
            watch.flags.set(QUEUED, false);
            super::serve(&watch, false);
        }
    }
    with(|r| {
        r.ready.append(&mut r.deferred);
        if r.ready.is_empty() {
            // SAFETY: as in `push_ready`: the open idle handle, on the loop's thread.
            unsafe { uv_idle_stop(r.idle) };
        }
    });
}

/// Nothing to do: an active idle handle is what keeps the loop turning.
extern "C" fn on_idle(_: *mut Handle) {}

/// libuv finds the set readable: one `epoll_wait` that does not block, each edge's
/// stream served at once.
///
/// # Safety
/// Only libuv calls it, on the loop's thread, for the reactor's active poll handle.
unsafe extern "C" fn on_ready(uv_poll: *mut Handle, status: c_int, _events: c_int) {
    crate::sys::uv::guard("on_ready", || {
        if status < 0 {
            // libuv stops a poll that reported an error; the set's fd cannot have one,
            // but it must not stop being watched.
            // SAFETY: libuv passes the open poll handle, on its loop's thread.
            unsafe { uv_poll_start(uv_poll, UV_READABLE, on_ready) };
            return;
        }
        let Some(mut events) = with(|r| {
            let mut events = r.events.take()?;
            let _ = r.poll.poll(&mut events, Some(Duration::ZERO));
            Some(events)
        })
        .flatten() else {
            return;
        };
        for event in events.iter() {
            let Some(watch) = lookup(event.token().0) else {
                continue;
            };
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                watch.flags.set(READABLE, true);
            }
            if event.is_writable() || event.is_write_closed() || event.is_error() {
                watch.flags.set(WRITABLE, true);
            }
            if event.is_read_closed() || event.is_error() {
                watch.flags.set(CLOSED, true);
            }
            super::on_edge(&watch, event.is_error());
        }
        events.clear();
        with(|r| r.events = Some(events));
    });
}

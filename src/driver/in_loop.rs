//! The in-loop driver (the default; see `driver`): a connected stream's I/O happens
//! on the JS thread, as in libuv itself.
//!
//! A stream that starts reading moves off the Tokio reactor
//! ([`StreamCore::make_polled`]) and gets a `uv_poll` handle in Node's own event loop,
//! watching "readable" while JS reads and "writable" while writes are queued. The
//! runtime thread does not see its traffic at all. Listeners accept here too
//! ([`ReadWatcher`]), and connects finish here ([`Poller::connecting`]).
//!
//! Reads made during one loop turn, on any number of sockets, wait in the turn's list
//! ([`take_turn`]) until the check handle (`napi::loop_phases`), right after libuv's
//! poll phase, delivers them to JS as one batch.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::sync::Arc;

use crate::core::event::Event;
use crate::core::stream::{self, Io, ReadStep, Reader, SpliceRead, Step, StreamCore, READ_SIZE};
use crate::driver::Drive;
use crate::sys::errno::{EBADF, EINVAL};
use crate::sys::uv::*;

mod listener;
pub use listener::{listen, ReadWatcher};

/// Reads per readiness callback (fairness between sockets).
const READS_PER_WAKE: usize = 4;

/// The in-loop driver's state of one environment (one per JS thread, so held in a
/// thread-local: its libuv callbacks and a splice's pokes find it without a pointer).
struct LoopPolls {
    /// Events of this loop turn made on the JS thread (reads, accepts, connects),
    /// waiting for the check handle (`napi::loop_phases`) to deliver them.
    turn: RefCell<Vec<Event>>,
    /// Open poll handles (LIVE): a loop must have none left when its environment ends
    /// (a worker's loop close aborts otherwise), whoever still holds their `Poller`.
    live: RefCell<HashMap<*mut Handle, Closer>>,
}

thread_local! {
    static POLLS: LoopPolls = LoopPolls {
        turn: RefCell::new(Vec::new()),
        live: RefCell::new(HashMap::new()),
    };
}

/// Registers the pokes a splice uses to wake a poll. Called once per environment.
pub fn start() {
    stream::set_poll_pokes(stream::PollPokes {
        reads: |poll| poke_reads(poll.cast()),
        writes: |poll| poke_writes(poll.cast()),
    });
}

/// Environment teardown: closes every poll handle, drops undelivered events.
pub fn stop() {
    let polls = POLLS.with(|p| std::mem::take(&mut *p.live.borrow_mut()));
    for (poll, closer) in polls {
        // SAFETY: every entry of LIVE is an open handle of this thread's loop with its
        // own closer; taken out of LIVE above, so each is closed once.
        unsafe { closer(poll) };
    }
    POLLS.with(|p| p.turn.borrow_mut().clear());
}

/// Takes the events of this turn, for the check handle to deliver.
pub fn take_turn() -> Vec<Event> {
    POLLS.with(|p| std::mem::take(&mut *p.turn.borrow_mut()))
}

/// What a socket handle asks of the in-loop driver: its stream's poll handle, made on
/// first use (reading, or a write the kernel did not take at once).
pub struct PolledStream {
    uv_loop: *mut c_void,
    poller: Option<Poller>,
    /// The handle closed: no poll is made any more.
    stopped: bool,
}

impl PolledStream {
    /// # Safety
    /// `uv_loop` must be the libuv loop of the JS thread that uses this value (Node's
    /// loop of the environment, whose `uv_poll_t` fits in a [`Handle`]).
    pub unsafe fn new(uv_loop: *mut c_void) -> PolledStream {
        PolledStream {
            uv_loop,
            poller: None,
            stopped: false,
        }
    }

    /// The poll that drives this connected stream, made on first use. None while the
    /// stream is not connected (an adopted fd: the runtime drives it until then).
    fn poller(&mut self, core: &Arc<StreamCore>, reading: bool) -> Option<&Poller> {
        if self.poller.is_none() && !self.stopped {
            // SAFETY: `PolledStream::new`'s contract: this thread's loop, whose handles
            // fit.
            let poller = unsafe { Poller::new(self.uv_loop, core)? };
            // A socket that was not connected yet when it started reading (an adopted
            // fd) read through the runtime, which it has now left: the poll takes over.
            if reading {
                poller.start_reading();
            }
            self.poller = Some(poller);
        }
        self.poller.as_ref()
    }
}

impl Drive for PolledStream {
    /// A connect under way (or done at once, as a Unix socket's often is) finishes on
    /// the JS thread: the stream's poll handle waits for the socket to turn writable
    /// and reports the outcome with the turn's I/O, as libuv's connect request does.
    /// No runtime thread takes part.
    fn connect(&mut self, core: &Arc<StreamCore>, io: Io, _pending: bool) -> i32 {
        core.await_peer();
        core.attach_polled(io);
        // SAFETY: `PolledStream::new`'s contract: this thread's loop, whose handles fit.
        match unsafe { Poller::connecting(self.uv_loop, core) } {
            Some(poller) => self.poller = Some(poller),
            // libuv refused to poll a fresh socket: nothing to wait on.
            None => return EINVAL,
        }
        0
    }

    /// The loop driver polls connected sockets only; one adopted before it was
    /// connected reads through the runtime, which waits for the connect.
    fn read_start(&mut self, core: &Arc<StreamCore>) -> i32 {
        if let Some(poller) = self.poller(core, true) {
            return poller.start_reading();
        }
        core.read_start();
        0
    }

    fn read_stop(&mut self, core: &Arc<StreamCore>) {
        match &self.poller {
            Some(poller) => poller.stop_reading(),
            None => core.read_stop(),
        }
    }

    /// An accepted socket may have no other driver (it never joined the reactor).
    fn watch_writes(&mut self, core: &Arc<StreamCore>, reading: bool) {
        if let Some(poller) = self.poller(core, reading) {
            poller.watch_writes();
        }
    }

    /// Both ends of a splice must be polled from the loop (reading has started): the
    /// source's poll moves the bytes, the destination's flushes.
    fn can_splice(&self) -> bool {
        self.poller.is_some()
    }

    /// Stops polling before the fd is closed.
    fn stop(&mut self) {
        self.poller = None;
        self.stopped = true;
    }
}

/// What one poll handle watches, shared with its callbacks (JS thread only).
struct Watch {
    core: Arc<StreamCore>,
    reading: Cell<bool>,
    writing: Cell<bool>,
    /// The stream's read state between readiness callbacks.
    reader: Cell<Reader>,
    /// A splice holds reads (handshake under way, or its destination is full); it
    /// lets them go again through `poke_reads`.
    held: Cell<bool>,
    /// The events the poll was last started with: restarting it with the same ones
    /// would still cost an `epoll_ctl` in libuv.
    started: Cell<c_int>,
    /// A connect is under way: the poll waits for writability, which reports it.
    connecting: Cell<bool>,
}

/// The JS-thread poller of one stream, owned by its `SocketHandle`.
pub struct Poller {
    poll: *mut Handle,
}

impl Poller {
    /// Moves `core`'s socket off the reactor and polls it from `event_loop`. None if the
    /// stream is not connected (it then stays on the runtime).
    ///
    /// # Safety
    /// `event_loop` must be the libuv loop of the calling thread (Node's loop of this
    /// JS thread), whose `uv_poll_t` fits in a [`Handle`] (`handles_fit`).
    pub unsafe fn new(event_loop: *mut c_void, core: &Arc<StreamCore>) -> Option<Poller> {
        if !core.has_peer() {
            return None;
        }
        // SAFETY: this fn's contract.
        unsafe { Self::create(event_loop, core, false) }
    }

    /// Polls a socket whose connect(2) was started on this thread (already attached
    /// off the reactor): a `Connected` event, queued with the turn's I/O, reports the
    /// outcome once the socket turns writable, and the stream may read from then on.
    ///
    /// # Safety
    /// As for [`Poller::new`].
    pub unsafe fn connecting(event_loop: *mut c_void, core: &Arc<StreamCore>) -> Option<Poller> {
        // SAFETY: this fn's contract.
        let poller = unsafe { Self::create(event_loop, core, true)? };
        // SAFETY: `create` made the poll live, on this, its loop's thread.
        if unsafe { update(poller.poll) } != 0 {
            return None;
        }
        Some(poller)
    }

    /// # Safety
    /// As for [`Poller::new`].
    unsafe fn create(
        event_loop: *mut c_void,
        core: &Arc<StreamCore>,
        connecting: bool,
    ) -> Option<Poller> {
        let fd = core.io().as_ref()?.raw_fd();
        let watch = Box::into_raw(Box::new(Watch {
            core: core.clone(),
            reading: Cell::new(false),
            writing: Cell::new(false),
            reader: Cell::new(Reader::default()),
            held: Cell::new(false),
            started: Cell::new(0),
            connecting: Cell::new(connecting),
        }));
        let poll = Handle::boxed(watch.cast());
        // SAFETY: on the loop's thread, with a fresh box that fits a `uv_poll_t` (this
        // fn's contract); from init on, the box and its `Watch` are libuv's until
        // `on_closed` frees both. A failed init leaves the handle off the loop, so
        // both boxes are still ours to free. `fd` is the stream's open socket, which
        // is closed only after its poll stops (`SocketHandle::close` drops the Poller
        // first; the environment's teardown closes polls before fds), as uv_poll
        // requires.
        unsafe {
            if uv_poll_init(event_loop, poll, fd) != 0 {
                drop(Box::from_raw(poll));
                drop(Box::from_raw(watch));
                return None;
            }
            // Only once the poll exists does the socket leave the reactor (and its task
            // end): a failure above leaves the stream to the runtime, still working.
            if !core.make_polled() {
                uv_close(poll, on_closed);
                return None;
            }
            // Liveness is counted by rsnet's own handles; the poll must not keep the loop.
            uv_unref(poll);
        }
        add_live(poll, close_poller);
        core.set_poll_hook(poll.cast());
        let poller = Poller { poll };
        // Writes queued while the runtime still drove the socket are flushed from here now.
        if core.has_pending_writes() {
            poller.watch_writes();
        }
        Some(poller)
    }

    /// The watch, unless the environment's teardown closed the handle.
    fn watch(&self) -> Option<&Watch> {
        // SAFETY: in this thread's LIVE, so the poll is open and its `data` is this
        // Poller's `Watch`, freed only by a close callback, which cannot run while
        // `&self` is borrowed on this (the loop's) thread.
        is_live(self.poll).then(|| unsafe { watch_of(self.poll) })
    }

    pub fn start_reading(&self) -> i32 {
        let Some(watch) = self.watch() else {
            return EBADF;
        };
        watch.reading.set(true);
        // SAFETY: `watch()` found the poll live, on this, its loop's thread.
        unsafe { update(self.poll) }
    }

    pub fn stop_reading(&self) {
        if let Some(watch) = self.watch() {
            watch.reading.set(false);
            // SAFETY: `watch()` found the poll live, on this, its loop's thread.
            unsafe { update(self.poll) };
        }
    }

    /// A write was queued (the kernel was full): flush it once the socket is writable.
    pub fn watch_writes(&self) {
        if let Some(watch) = self.watch() {
            watch.writing.set(true);
            // SAFETY: `watch()` found the poll live, on this, its loop's thread.
            unsafe { update(self.poll) };
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        release(self.poll);
    }
}

/// Closes a live poll handle and whatever belongs to it.
type Closer = unsafe fn(*mut Handle);

/// Whether `poll` is an open poll handle of this thread's loop. LIVE is per thread,
/// so a pointer from another thread (or environment) is never live here: that is
/// what lets `poke_reads`/`poke_writes` take any pointer.
fn is_live(poll: *mut Handle) -> bool {
    POLLS.with(|p| p.live.borrow().contains_key(&poll))
}

/// Registers an open poll handle and how to close it.
fn add_live(poll: *mut Handle, closer: Closer) {
    POLLS.with(|p| p.live.borrow_mut().insert(poll, closer));
}

/// Closes a poll handle its owner no longer needs, unless the environment's teardown
/// closed it already.
fn release(poll: *mut Handle) {
    if let Some(closer) = POLLS.with(|p| p.live.borrow_mut().remove(&poll)) {
        // SAFETY: it was in this thread's LIVE, so it is an open handle of this
        // thread's loop with this closer; removed above, so it is closed once.
        unsafe { closer(poll) };
    }
}

/// The memory belongs to libuv until the close callback frees it.
///
/// # Safety
/// `poll` must be an open `Poller` poll handle of the calling thread's loop, closed
/// once (the caller took it out of LIVE).
unsafe fn close_poller(poll: *mut Handle) {
    // SAFETY: this fn's contract: an open poll of this thread whose `data` is its
    // `Watch`; after uv_close libuv keeps both until `on_closed` frees them. The hook is
    // cleared first so that no splice pokes a closing poll. uv_close stops the poll
    // itself (an explicit uv_poll_stop would cost one more epoll_ctl).
    unsafe {
        watch_of(poll).core.set_poll_hook(std::ptr::null_mut());
        uv_close(poll, on_closed);
    }
}

/// The `Watch` of a `Poller`'s poll handle.
///
/// # Safety
/// `poll` must be a `Poller` poll handle (made by `Poller::new`) whose close callback
/// has not run, and the reference must not be kept past that callback. A `Watch` is
/// only read through shared references (its state is in `Cell`s).
unsafe fn watch_of<'a>(poll: *mut Handle) -> &'a Watch {
    // SAFETY: this fn's contract: the handle box is valid and its `data` is the boxed
    // `Watch`, which only `on_closed` frees.
    unsafe { &*((*poll).data as *const Watch) }
}

/// (Re)starts the poll for what its watch wants, or stops it.
///
/// # Safety
/// `poll` must be an open (not closing) `Poller` poll handle, on its loop's thread.
unsafe fn update(poll: *mut Handle) -> i32 {
    // SAFETY: this fn's contract (an open Poller poll).
    let watch = unsafe { watch_of(poll) };
    let mut events = 0;
    if watch.connecting.get() {
        events |= UV_WRITABLE;
    } else if watch.reading.get() && !watch.held.get() {
        events |= UV_READABLE;
    }
    if watch.writing.get() {
        events |= UV_WRITABLE;
    }
    if events == watch.started.get() {
        return 0;
    }
    // SAFETY: this fn's contract: an open poll handle, on its loop's thread.
    let status = unsafe {
        if events == 0 {
            uv_poll_stop(poll)
        } else {
            uv_poll_start(poll, events, on_event)
        }
    };
    // Only what took effect is remembered; a failed start is tried again next time.
    if status == 0 {
        watch.started.set(events);
    }
    status
}

/// Close callback of a `Poller`'s poll handle: frees it and its `Watch`.
///
/// # Safety
/// Only libuv calls it, once, for a poll handle made by `Poller::new`.
unsafe extern "C" fn on_closed(poll: *mut Handle) {
    crate::sys::uv::guard("on_closed", || {
        // SAFETY: libuv is done with a handle once its close callback runs; the handle
        // and its `Watch` were boxed by `Poller::new` and are freed here, once.
        let poll = unsafe { Box::from_raw(poll) };
        // SAFETY: see above.
        drop(unsafe { Box::from_raw(poll.data as *mut Watch) });
    });
}

/// libuv reports readiness (or an error, such as a reset, as UV_EBADF).
///
/// # Safety
/// Only libuv calls it, on the loop's thread, for an active `Poller` poll handle.
unsafe extern "C" fn on_event(poll: *mut Handle, status: c_int, events: c_int) {
    crate::sys::uv::guard("on_event", || {
        // SAFETY: libuv calls a poll callback only while the handle is active, so open,
        // and its `Watch` is freed only by its close callback, in a later close phase.
        // Nothing below runs JS (events are queued for the check handle), so nothing
        // closes this poll during the callback, and `update` finds it still open.
        let watch = unsafe { watch_of(poll) };
        if watch.connecting.get() {
            // Any callback ends the connect, as libuv's `uv__stream_connect` takes any
            // event: writable, an error, or a hang-up that libuv reports with no flag
            // (waiting for more would leave a level-triggered poll firing forever).
            finish_connect(watch, status);
            // SAFETY: as below: still open, on the loop's thread.
            unsafe { update(poll) };
            return;
        }
        let core = watch.core.clone();
        // Reads before writes, as libuv's `uv__stream_io`: on a connection the peer
        // reset, the read reports ECONNRESET first and the socket is destroyed with it;
        // the failed flush behind it is then moot (Node: 'error' is `read ECONNRESET`).
        let readable = watch.reading.get() && (events & UV_READABLE != 0 || status < 0);
        if readable && !matches!(core.splice_step(&queue_event), Step::Deliver) {
            splice_available(watch);
        } else if readable {
            let mut reads = Vec::new();
            // A read tells the real error behind a failed poll.
            if read_available(watch, &mut reads) || status < 0 {
                if reads.is_empty() {
                    reads.push(Event::ReadError(core.id, status));
                }
                // EOF or error: nothing more will be read.
                watch.reading.set(false);
            }
            POLLS.with(|p| p.turn.borrow_mut().extend(reads));
        }
        if watch.writing.get() && (events & UV_WRITABLE != 0 || status < 0) {
            // Completions and a deferred FIN go out through the channel, delivered with
            // this turn's reads.
            core.flush(&queue_event);
            if !core.has_pending_writes() {
                watch.writing.set(false);
            }
        }
        // SAFETY: see the top of this callback: still open, on the loop's thread.
        unsafe { update(poll) };
    });
}

/// The socket of a connect under way turned writable (or the poll failed): its
/// outcome is `StreamCore::connect_outcome`'s, as under the threaded driver.
fn finish_connect(watch: &Watch, poll_status: c_int) {
    watch.connecting.set(false);
    let status = watch.core.connect_outcome(poll_status);
    queue_event(Event::Connected(watch.core.id, status));
}

/// A spliced source is readable: moves what is there into its destination until the
/// socket is drained, a few reads were made, or the splice holds reads (the handshake
/// is under way, or the destination is full: its flush lets them go again).
fn splice_available(watch: &Watch) {
    for _ in 0..READS_PER_WAKE {
        match watch.core.splice_step(&queue_event) {
            Step::Feed => {}
            Step::Hold => {
                watch.held.set(true);
                return;
            }
            Step::Deliver => return,
        }
        match watch.core.splice_once(&queue_event) {
            SpliceRead::Moved => {}
            SpliceRead::Idle => return,
            SpliceRead::Done => {
                watch.reading.set(false);
                return;
            }
        }
    }
}

/// A splice changed: let a held poll read again (a source's reads).
pub fn poke_reads(poll: *mut Handle) {
    if is_live(poll) {
        // SAFETY: live in this thread's LIVE (`is_live`): an open poll of this thread's
        // loop. A stream's poll hook names only a `Poller`'s poll (`Poller::new`), and
        // `close_poller` clears it before the handle leaves LIVE.
        let watch = unsafe { watch_of(poll) };
        if watch.held.replace(false) {
            // SAFETY: as above.
            unsafe { update(poll) };
        }
    }
}

/// A splice queued bytes the kernel did not take: flush them when writable.
pub fn poke_writes(poll: *mut Handle) {
    if is_live(poll) {
        // SAFETY: as in `poke_reads`: an open `Poller` poll of this thread's loop.
        unsafe { watch_of(poll) }.writing.set(true);
        // SAFETY: as above.
        unsafe { update(poll) };
    }
}

/// Reads until the socket is drained (or a few reads were made); returns true at EOF
/// or on an error.
fn read_available(watch: &Watch, reads: &mut Vec<Event>) -> bool {
    let core = &watch.core;
    let io = core.io();
    let Some(io) = io.as_ref() else { return true };
    let mut reader = watch.reader.get();
    let over = (|| {
        for _ in 0..READS_PER_WAKE {
            match core.read_step(io, &mut reader) {
                ReadStep::Data(chunk) => {
                    let short = chunk.len() < READ_SIZE;
                    reads.push(Event::Data(core.clone(), chunk));
                    // libuv reads again only after a read that filled its buffer.
                    if short {
                        return false;
                    }
                }
                ReadStep::Empty => return false,
                ReadStep::Eof => {
                    reads.push(Event::Eof(core.id));
                    return true;
                }
                ReadStep::Error(status) => {
                    reads.push(Event::ReadError(core.id, status));
                    return true;
                }
            }
        }
        false
    })();
    watch.reader.set(reader);
    over
}

/// Queues an event produced on the JS thread during the poll phase (an accepted
/// connection) to be delivered with this turn's reads.
pub fn queue_event(event: Event) {
    POLLS.with(|p| p.turn.borrow_mut().push(event));
}

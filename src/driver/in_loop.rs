//! The in-loop driver (the default; see `driver`): a connected stream's I/O happens
//! on the JS thread, as in libuv itself.
//!
//! A stream that starts reading moves off the Tokio reactor
//! ([`StreamCore::make_polled`]) and gets a `uv_poll` handle in Node's own event loop,
//! watching "readable" while JS reads and "writable" while writes are queued. The
//! runtime thread does not see its traffic at all. Listeners accept here too
//! ([`ReadWatcher`]); connects start on the JS thread and finish on the runtime.
//!
//! Reads made during one loop turn, on any number of sockets, are delivered to JS as
//! one batch from a `uv_check` handle, which runs right after libuv's poll phase (and
//! before Node's own check handle, so before `setImmediate` callbacks, as I/O callbacks
//! come before them in Node). The calls go through `napi_make_callback`, so ticks run
//! afterwards as after any Node I/O callback. The same check handle, under both
//! drivers, completes the requests JS finishes itself (a FIN sent at once), where
//! libuv's pending queue would.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::io;
use std::sync::Arc;

use crate::core::channel::Channel;
use crate::core::stream::{self, Event, ReadStep, Reader, SpliceRead, Step, StreamCore, READ_SIZE};
use crate::sys::errno::EBADF;
use crate::sys::uv::*;

/// Reads per readiness callback (fairness between sockets).
const READS_PER_WAKE: usize = 4;
/// Rounds of events queued during a delivery that are delivered right after it.
const FOLLOW_UPS: usize = 8;

/// Completions delivered per check phase at most; more wait for the next turn.
const MAX_COMPLETIONS: usize = 1024;

/// Hands a batch to JS from a libuv callback (`napi::delivery::deliver_now`).
pub type Deliver = fn(Vec<Event>);

thread_local! {
    /// The environment's channel (events queued by the runtime join the turn's batch)
    /// and how to deliver to JS: given by `start`, so this layer needs nothing above it.
    static OUTLET: RefCell<Option<(Arc<Channel>, Deliver)>> = const { RefCell::new(None) };
    /// JS asked for a completion call (`request_completion`).
    static COMPLETIONS_WANTED: Cell<bool> = const { Cell::new(false) };
    /// Reads of this loop turn, waiting for the check handle.
    static PENDING: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
    /// Keeps the loop turning while a completion is wanted.
    static IDLE: Cell<*mut Handle> = const { Cell::new(std::ptr::null_mut()) };
    /// This thread's check handle (one environment per JS thread).
    static CHECK: Cell<*mut Handle> = const { Cell::new(std::ptr::null_mut()) };
    /// Open poll handles: a loop must have none left when its environment ends (a
    /// worker's loop close aborts otherwise), whoever still holds their `Poller`.
    static LIVE: RefCell<HashMap<*mut Handle, Closer>> = RefCell::new(HashMap::new());
}

/// Starts the check handle that delivers each turn's reads, through `deliver`, with
/// what the runtime queued on `channel` meanwhile. Called once per environment.
pub fn start(event_loop: *mut c_void, channel: Arc<Channel>, deliver: Deliver) -> io::Result<()> {
    OUTLET.with(|o| *o.borrow_mut() = Some((channel, deliver)));
    stream::set_poll_pokes(stream::PollPokes {
        reads: |poll| poke_reads(poll.cast()),
        writes: |poll| poke_writes(poll.cast()),
    });
    let check = Handle::boxed(std::ptr::null_mut());
    unsafe {
        if uv_check_init(event_loop, check) != 0 || uv_check_start(check, on_check) != 0 {
            drop(Box::from_raw(check));
            return Err(io::ErrorKind::Other.into());
        }
        // It must never keep the loop alive by itself.
        uv_unref(check);
    }
    CHECK.with(|c| c.set(check));
    let idle = Handle::boxed(std::ptr::null_mut());
    if unsafe { uv_idle_init(event_loop, idle) } != 0 {
        drop(unsafe { Box::from_raw(idle) });
        return Err(io::ErrorKind::Other.into());
    }
    IDLE.with(|i| i.set(idle));
    Ok(())
}

/// Environment teardown: closes the check handle and every poll handle, drops
/// undelivered reads.
pub fn stop() {
    OUTLET.with(|o| o.borrow_mut().take());
    let check = CHECK.with(|c| c.replace(std::ptr::null_mut()));
    if !check.is_null() {
        unsafe { uv_close(check, free_handle) };
    }
    let idle = IDLE.with(|i| i.replace(std::ptr::null_mut()));
    if !idle.is_null() {
        unsafe { uv_close(idle, free_handle) };
    }
    COMPLETIONS_WANTED.with(|wanted| wanted.set(false));
    let polls = LIVE.with(|live| std::mem::take(&mut *live.borrow_mut()));
    for (poll, closer) in polls {
        unsafe { closer(poll) };
    }
    PENDING.with(|pending| pending.borrow_mut().clear());
}

/// After the poll phase: everything read this turn, behind anything queued before,
/// then the requests JS completes after the turn's I/O. Runs under both drivers (the
/// threaded one reads nothing here; it only completes requests).
unsafe extern "C" fn on_check(_: *mut Handle) {
    crate::sys::uv::guard("on_check", || {
        complete_requests();
        let reads = PENDING.with(|pending| std::mem::take(&mut *pending.borrow_mut()));
        if reads.is_empty() {
            return;
        }
        let Some((channel, deliver)) = OUTLET.with(|o| o.borrow().clone()) else {
            return;
        };
        let mut batch = channel.take_now();
        batch.extend(reads);
        deliver(batch);
        for _ in 0..FOLLOW_UPS {
            let more = channel.take_now();
            if more.is_empty() {
                break;
            }
            deliver(more);
        }
        complete_requests();
    });
}

/// Delivers one empty batch per request JS completes itself (a FIN sent at once):
/// JS runs one completion per call, so each is a callback of its own whose ticks run
/// before the next, as libuv's pending queue runs them.
fn complete_requests() {
    for _ in 0..MAX_COMPLETIONS {
        if !COMPLETIONS_WANTED.with(|wanted| wanted.replace(false)) {
            break;
        }
        let Some((_, deliver)) = OUTLET.with(|o| o.borrow().clone()) else {
            return;
        };
        deliver(Vec::new());
    }
    if !COMPLETIONS_WANTED.with(Cell::get) {
        let idle = IDLE.with(Cell::get);
        if !idle.is_null() {
            unsafe { uv_idle_stop(idle) };
        }
    }
}

/// JS has a request to complete after this turn's I/O; the check handle delivers the
/// call that completes it. Until then an idle handle keeps the loop alive and its poll
/// phase from blocking, as libuv's pending request would.
#[napi_derive::napi]
pub fn request_completion() {
    if COMPLETIONS_WANTED.with(|wanted| wanted.replace(true)) {
        return;
    }
    let idle = IDLE.with(Cell::get);
    if !idle.is_null() {
        unsafe { uv_idle_start(idle, on_idle) };
    }
}

/// Nothing to do: an active idle handle is what matters (see `request_completion`).
unsafe extern "C" fn on_idle(_: *mut Handle) {}

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
}

/// The JS-thread poller of one stream, owned by its `SocketHandle`.
pub struct Poller {
    poll: *mut Handle,
}

impl Poller {
    /// Moves `core`'s socket off the reactor and polls it from `event_loop`. None if the
    /// stream is not connected (it then stays on the runtime).
    pub fn new(event_loop: *mut c_void, core: &Arc<StreamCore>) -> Option<Poller> {
        if !core.has_peer() {
            return None;
        }
        let fd = core.io().as_ref()?.raw_fd();
        let watch = Box::into_raw(Box::new(Watch {
            core: core.clone(),
            reading: Cell::new(false),
            writing: Cell::new(false),
            reader: Cell::new(Reader::default()),
            held: Cell::new(false),
            started: Cell::new(0),
        }));
        let poll = Handle::boxed(watch.cast());
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
        LIVE.with(|live| live.borrow_mut().insert(poll, close_poller));
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
        is_live(self.poll).then(|| unsafe { watch_of(self.poll) })
    }

    pub fn start_reading(&self) -> i32 {
        let Some(watch) = self.watch() else {
            return EBADF;
        };
        watch.reading.set(true);
        unsafe { update(self.poll) }
    }

    pub fn stop_reading(&self) {
        if let Some(watch) = self.watch() {
            watch.reading.set(false);
            unsafe { update(self.poll) };
        }
    }

    /// A write was queued (the kernel was full): flush it once the socket is writable.
    pub fn watch_writes(&self) {
        if let Some(watch) = self.watch() {
            watch.writing.set(true);
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

fn is_live(poll: *mut Handle) -> bool {
    LIVE.with(|live| live.borrow().contains_key(&poll))
}

/// Closes a poll handle its owner no longer needs, unless the environment's teardown
/// closed it already.
fn release(poll: *mut Handle) {
    if let Some(closer) = LIVE.with(|live| live.borrow_mut().remove(&poll)) {
        unsafe { closer(poll) };
    }
}

/// The memory belongs to libuv until the close callback frees it.
unsafe fn close_poller(poll: *mut Handle) {
    unsafe {
        watch_of(poll).core.set_poll_hook(std::ptr::null_mut());
        uv_poll_stop(poll);
        uv_close(poll, on_closed);
    }
}

unsafe fn watch_of<'a>(poll: *mut Handle) -> &'a Watch {
    unsafe { &*((*poll).data as *const Watch) }
}

/// (Re)starts the poll for what its watch wants, or stops it.
unsafe fn update(poll: *mut Handle) -> i32 {
    let watch = unsafe { watch_of(poll) };
    let mut events = 0;
    if watch.reading.get() && !watch.held.get() {
        events |= UV_READABLE;
    }
    if watch.writing.get() {
        events |= UV_WRITABLE;
    }
    if events == watch.started.get() {
        return 0;
    }
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

unsafe extern "C" fn on_closed(poll: *mut Handle) {
    crate::sys::uv::guard("on_closed", || {
        let poll = unsafe { Box::from_raw(poll) };
        drop(unsafe { Box::from_raw(poll.data as *mut Watch) });
    });
}

/// libuv reports readiness (or an error, such as a reset, as UV_EBADF).
unsafe extern "C" fn on_event(poll: *mut Handle, status: c_int, events: c_int) {
    crate::sys::uv::guard("on_event", || {
        let watch = unsafe { watch_of(poll) };
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
            PENDING.with(|pending| pending.borrow_mut().extend(reads));
        }
        if watch.writing.get() && (events & UV_WRITABLE != 0 || status < 0) {
            // Completions and a deferred FIN go out through the channel, delivered with
            // this turn's reads.
            core.flush(&queue_event);
            if !core.has_pending_writes() {
                watch.writing.set(false);
            }
        }
        unsafe { update(poll) };
    });
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
        let watch = unsafe { watch_of(poll) };
        if watch.held.replace(false) {
            unsafe { update(poll) };
        }
    }
}

/// A splice queued bytes the kernel did not take: flush them when writable.
pub fn poke_writes(poll: *mut Handle) {
    if is_live(poll) {
        unsafe { watch_of(poll) }.writing.set(true);
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
    PENDING.with(|pending| pending.borrow_mut().push(event));
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
    pub fn new(
        event_loop: *mut c_void,
        fd: c_int,
        on_readable: Box<dyn FnMut() -> Readiness>,
    ) -> Option<ReadWatcher> {
        let timer = Handle::boxed(std::ptr::null_mut());
        let state = Box::into_raw(Box::new(WatcherState { on_readable, timer }));
        let poll = Handle::boxed(state.cast());
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
        LIVE.with(|live| live.borrow_mut().insert(poll, close_watcher));
        Some(ReadWatcher { poll })
    }
}

impl Drop for ReadWatcher {
    fn drop(&mut self) {
        release(self.poll);
    }
}

unsafe extern "C" fn on_watcher_event(poll: *mut Handle, _status: c_int, _events: c_int) {
    crate::sys::uv::guard("on_watcher_event", || {
        let state = unsafe { &mut *((*poll).data as *mut WatcherState) };
        if let Readiness::PauseMs(ms) = (state.on_readable)() {
            unsafe {
                uv_poll_stop(poll);
                uv_timer_start(state.timer, on_watcher_timer, ms, 0);
            }
        }
    });
}

unsafe extern "C" fn on_watcher_timer(timer: *mut Handle) {
    crate::sys::uv::guard("on_watcher_timer", || {
        let poll = unsafe { (*timer).data as *mut Handle };
        if is_live(poll) {
            unsafe { uv_poll_start(poll, UV_READABLE, on_watcher_event) };
        }
    });
}

unsafe fn close_watcher(poll: *mut Handle) {
    unsafe {
        let state = &*((*poll).data as *const WatcherState);
        uv_close(state.timer, free_handle);
        uv_poll_stop(poll);
        uv_close(poll, on_watcher_closed);
    }
}

unsafe extern "C" fn on_watcher_closed(poll: *mut Handle) {
    crate::sys::uv::guard("on_watcher_closed", || {
        let poll = unsafe { Box::from_raw(poll) };
        drop(unsafe { Box::from_raw(poll.data as *mut WatcherState) });
    });
}

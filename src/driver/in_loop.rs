//! The in-loop driver (the default; see `driver`): a connected stream's I/O happens
//! on the JS thread, as in libuv itself.
//!
//! A stream that starts reading (or has a write the kernel did not take, or
//! connects) moves off the Tokio runtime ([`StreamCore::make_polled`]) and joins the
//! environment's [`reactor`]: one edge-triggered epoll set that Node's loop watches
//! with a single `uv_poll`. The stream is registered once and never modified: whether
//! JS reads and whether writes are queued are flags of its [`Watch`], next to the
//! readiness the kernel last told. The runtime thread does not see its traffic at all.
//! Connects finish here ([`Poller::connecting`]), and listeners accept here too, each
//! with a `uv_poll` of its own, one accept per notification as libuv
//! ([`ReadWatcher`]).
//!
//! Reads made during one loop turn, on any number of sockets, wait in the turn's list
//! ([`take_turn`]) until the check handle (`napi::loop_phases`), right after libuv's
//! poll phase, delivers them to JS as one batch. The same call first serves the
//! reactor's ready list: the sockets that still had more to read, or that JS let read
//! again after their edge.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::Arc;

use crate::core::event::Event;
use crate::core::stream::{self, Io, ReadStep, Reader, SpliceRead, Step, StreamCore};
use crate::driver::Drive;
use crate::sys::errno::{EBADF, EINVAL};
use crate::sys::uv::*;

mod flags;
mod listener;
mod reactor;
use flags::*;
pub use listener::{listen, ReadWatcher};

/// Reads per wake of a socket (fairness between sockets): a socket that filled the
/// read buffer this many times is served again next turn.
const READS_PER_WAKE: usize = 4;

/// The in-loop driver's state of one environment (one per JS thread, so held in a
/// thread-local: its libuv callbacks and a splice's pokes find it without a pointer).
struct LoopPolls {
    /// Events of this loop turn made on the JS thread (reads, accepts, connects),
    /// waiting for the check handle (`napi::loop_phases`) to deliver them.
    turn: RefCell<Vec<Event>>,
    /// Open listener poll handles (LIVE): a loop must have none left when its
    /// environment ends (a worker's loop close aborts otherwise), whoever still holds
    /// their `ReadWatcher`.
    live: RefCell<HashMap<*mut Handle, Closer>>,
    /// The environment's libuv loop, where its streams' polls are made (held once
    /// here rather than by each stream: 8 B per connection, issue #18).
    uv_loop: Cell<*mut c_void>,
}

thread_local! {
    static POLLS: LoopPolls = LoopPolls {
        turn: RefCell::new(Vec::new()),
        live: RefCell::new(HashMap::new()),
        uv_loop: Cell::new(std::ptr::null_mut()),
    };
}

/// Registers the pokes a splice uses to wake a polled stream, and `uv_loop`, the
/// loop of the calling JS thread, for its streams' polls. Called once per
/// environment, on its JS thread.
pub fn start(uv_loop: *mut c_void) {
    POLLS.with(|p| p.uv_loop.set(uv_loop));
    stream::set_poll_pokes(stream::PollPokes {
        reads: poke_reads,
        writes: poke_writes,
    });
}

/// The loop `start` was given on this thread.
fn event_loop() -> *mut c_void {
    POLLS.with(|p| p.uv_loop.get())
}

/// Environment teardown: closes the reactor (its epoll set and handles) and every
/// listener poll, drops undelivered events.
pub fn stop() {
    for watch in reactor::stop() {
        // No splice pokes a stream of a closed reactor.
        watch.core.set_poll_hook(std::ptr::null_mut());
    }
    let polls = POLLS.with(|p| std::mem::take(&mut *p.live.borrow_mut()));
    for (poll, closer) in polls {
        // SAFETY: every entry of LIVE is an open handle of this thread's loop with its
        // own closer; taken out of LIVE above, so each is closed once.
        unsafe { closer(poll) };
    }
    POLLS.with(|p| p.turn.borrow_mut().clear());
}

/// Serves the reactor's ready list, then takes the events of this turn, for the
/// check handle to deliver.
pub fn take_turn() -> Vec<Event> {
    reactor::serve_ready();
    POLLS.with(|p| std::mem::take(&mut *p.turn.borrow_mut()))
}

/// What a socket handle asks of the in-loop driver: its stream's registration in the
/// reactor, made on first use (reading, a write the kernel did not take at once, or
/// a connect).
pub struct PolledStream {
    poller: Option<Poller>,
    /// The handle closed: no registration is made any more.
    stopped: bool,
}

impl PolledStream {
    /// # Safety
    /// The value must be used only on a JS thread whose environment called [`start`]
    /// with its own loop, and whose libuv's `uv_poll_t` fits in a [`Handle`].
    pub unsafe fn new() -> PolledStream {
        PolledStream {
            poller: None,
            stopped: false,
        }
    }

    /// The poller that drives this connected stream, made on first use. None while
    /// the stream is not connected (an adopted fd: the runtime drives it until then).
    fn poller(&mut self, core: &Arc<StreamCore>, reading: bool) -> Option<&Poller> {
        if self.poller.is_none() && !self.stopped {
            // SAFETY: `PolledStream::new`'s contract: `start` gave this thread's loop,
            // whose handles fit.
            let poller = unsafe { Poller::new(event_loop(), core)? };
            // A socket that was not connected yet when it started reading (an adopted
            // fd) read through the runtime, which it has now left: the reactor takes over.
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
    /// the JS thread: the reactor waits for the socket to turn writable and reports
    /// the outcome with the turn's I/O, as libuv's connect request does.
    /// No runtime thread takes part.
    fn connect(&mut self, core: &Arc<StreamCore>, io: Io, _pending: bool) -> i32 {
        core.await_peer();
        core.attach_polled(io);
        // SAFETY: `PolledStream::new`'s contract: `start` gave this thread's loop,
        // whose handles fit.
        match unsafe { Poller::connecting(event_loop(), core) } {
            Some(poller) => self.poller = Some(poller),
            // The epoll set refused a fresh socket: nothing to wait on.
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
    /// source's poller moves the bytes, the destination's flushes.
    fn can_splice(&self) -> bool {
        self.poller.is_some()
    }

    /// Stops polling before the fd is closed.
    fn stop(&mut self) {
        self.poller = None;
        self.stopped = true;
    }
}

/// What the reactor knows of one polled stream, shared by its [`Poller`] and the
/// reactor's slot (JS thread only). What JS wants and what the kernel said are kept
/// apart: the registration never changes, and an edge is told only once.
struct Watch {
    core: Arc<StreamCore>,
    /// The stream's token in the reactor.
    token: usize,
    /// What JS wants and what the kernel said, as bits (`flags`).
    flags: Flags,
    /// The stream's read state between wakes.
    reader: Cell<Reader>,
}

/// The JS-thread poller of one stream, owned by its `SocketHandle`: its registration
/// in the environment's reactor, removed on drop.
pub struct Poller {
    watch: Rc<Watch>,
    /// The fd came from outside rsnet (adopted), so other fds may share its open file:
    /// it must leave the epoll set explicitly before it is closed (see `reactor`).
    shared: bool,
}

impl Poller {
    /// Moves `core`'s socket off the runtime's reactor and polls it from `event_loop`.
    /// None if the stream is not connected (it then stays on the runtime).
    ///
    /// # Safety
    /// `event_loop` must be the libuv loop of the calling thread (Node's loop of this
    /// JS thread), whose `uv_poll_t` and `uv_idle_t` fit in a [`Handle`]
    /// (`handles_fit`).
    pub unsafe fn new(event_loop: *mut c_void, core: &Arc<StreamCore>) -> Option<Poller> {
        if !core.has_peer() {
            return None;
        }
        // SAFETY: this fn's contract.
        unsafe { Self::create(event_loop, core, false) }
    }

    /// Polls a socket whose connect(2) was started on this thread (already attached
    /// off the runtime): a `Connected` event, queued with the turn's I/O, reports the
    /// outcome once the socket turns writable, and the stream may read from then on.
    ///
    /// # Safety
    /// As for [`Poller::new`].
    pub unsafe fn connecting(event_loop: *mut c_void, core: &Arc<StreamCore>) -> Option<Poller> {
        // SAFETY: this fn's contract.
        unsafe { Self::create(event_loop, core, true) }
    }

    /// # Safety
    /// As for [`Poller::new`].
    unsafe fn create(
        event_loop: *mut c_void,
        core: &Arc<StreamCore>,
        connecting: bool,
    ) -> Option<Poller> {
        let fd = core.io().as_ref()?.raw_fd();
        // Under this driver only an adopted fd starts on the runtime: connected and
        // accepted sockets are attached off it from the start.
        let shared = !core.is_polled() || fd <= libc::STDERR_FILENO;
        let make = |token| {
            let flags = Flags::default();
            flags.set(CONNECTING, connecting);
            Watch {
                core: core.clone(),
                token,
                flags,
                reader: Cell::new(Reader::default()),
            }
        };
        // SAFETY: this fn's contract; `fd` is the stream's open socket, closed only
        // after its Poller is dropped (`SocketHandle::close` stops the driver first;
        // the environment's teardown closes the reactor before fds).
        let watch = unsafe { reactor::insert(event_loop, fd, make)? };
        let poller = Poller { watch, shared };
        // Only once it is registered does the socket leave the runtime (and its task
        // end): a failure above leaves the stream to the runtime, still working.
        if !core.make_polled() {
            return None;
        }
        core.set_poll_hook(poller.watch.token as *mut c_void);
        // Writes queued while the runtime still drove the socket are flushed from here
        // now (the registration reports the socket writable at once if it is).
        if core.has_pending_writes() {
            poller.watch_writes();
        }
        Some(poller)
    }

    /// False once the environment's teardown closed the reactor.
    fn live(&self) -> bool {
        reactor::lookup(self.watch.token).is_some()
    }

    pub fn start_reading(&self) -> i32 {
        if !self.live() {
            return EBADF;
        }
        let watch = &self.watch;
        watch.flags.set(READING, true);
        // The edge may be behind it (it came while JS did not read): read next check.
        if watch.flags.get(READABLE) && !watch.flags.get(HELD) {
            reactor::push_ready(watch, false);
        }
        0
    }

    pub fn stop_reading(&self) {
        self.watch.flags.set(READING, false);
    }

    /// A write was queued: flush it once writable.
    pub fn watch_writes(&self) {
        want_writes(&self.watch);
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        let core = &self.watch.core;
        core.set_poll_hook(std::ptr::null_mut());
        let fd = match self.shared {
            true => core.io().as_ref().map(|io| io.raw_fd()),
            false => None,
        };
        reactor::remove(self.watch.token, fd);
    }
}

/// An edge of a stream's fd (the reactor noted what it says in the watch).
fn on_edge(watch: &Watch, error: bool) {
    if watch.flags.replace(CONNECTING, false) {
        // Any edge ends the connect, as libuv's `uv__stream_connect` takes any event:
        // writable, an error or a hang-up. The outcome is `SO_ERROR`'s, as under the
        // threaded driver; an error edge without one reports EBADF, as libuv's poll.
        let status = watch.core.connect_outcome(if error { EBADF } else { 0 });
        queue_event(Event::Connected(watch.core.id, status));
        return;
    }
    serve(watch, true);
}

/// Moves what a stream is ready for: reads before writes, as libuv's `uv__stream_io`
/// (on a connection the peer reset, the read reports ECONNRESET first and the socket
/// is destroyed with it; the failed flush behind it is then moot: Node's 'error' is
/// `read ECONNRESET`). `in_poll`: from an edge in the poll phase, where a stream that
/// is on the ready list already waits for it, not to read twice in a turn.
fn serve(watch: &Watch, in_poll: bool) {
    let core = &watch.core;
    let mut again = false;
    if watch.flags.get(READING)
        && watch.flags.get(READABLE)
        && !watch.flags.get(HELD)
        && !(in_poll && watch.flags.get(QUEUED))
    {
        again = read_some(watch);
    }
    if watch.flags.get(WRITING) && watch.flags.get(WRITABLE) {
        // Completions and a deferred FIN go out with this turn's reads.
        core.flush(&queue_event);
        if core.has_pending_writes() {
            watch.flags.set(WRITABLE, false);
        } else {
            watch.flags.set(WRITING, false);
        }
    }
    if again {
        reactor::push_ready(watch, in_poll);
    }
}

/// One round of reads (or of a splice's moves); true if the socket has more.
fn read_some(watch: &Watch) -> bool {
    if !matches!(watch.core.splice_step(&queue_event), Step::Deliver) {
        return splice_available(watch);
    }
    let outcome = POLLS.with(|p| read_available(watch, &mut p.turn.borrow_mut()));
    match outcome {
        Reads::More => return true,
        Reads::Drained => watch.flags.set(READABLE, false),
        // EOF or error: nothing more will be read.
        Reads::Over => watch.flags.set(READING, false),
    }
    false
}

/// A spliced source is readable: moves what is there into its destination until the
/// socket is drained, a few reads were made, or the splice holds reads (the handshake
/// is under way, or the destination is full: its flush lets them go again). True if
/// the socket has more.
fn splice_available(watch: &Watch) -> bool {
    for _ in 0..READS_PER_WAKE {
        match watch.core.splice_step(&queue_event) {
            Step::Feed => {}
            Step::Hold => {
                watch.flags.set(HELD, true);
                return false;
            }
            // The splice ended: the rest is read for JS, from the next turn.
            Step::Deliver => return true,
        }
        match watch.core.splice_once(&queue_event) {
            SpliceRead::Moved => {}
            // After `Feed`, on this thread (both ends are this loop's), only EAGAIN
            // leaves a splice idle: the destination's state cannot change in between.
            SpliceRead::Idle => {
                watch.flags.set(READABLE, false);
                return false;
            }
            SpliceRead::Done => {
                watch.flags.set(READING, false);
                return false;
            }
        }
    }
    true
}

/// The pokes of a splice name a stream by its token (its poll hook). A token of
/// another thread or environment, or of a stream that was removed, names nothing here.
fn poked(hook: *mut c_void) -> Option<Rc<Watch>> {
    reactor::lookup(hook as usize)
}

/// A splice changed: let a held stream read again (a source's reads).
pub fn poke_reads(hook: *mut c_void) {
    if let Some(watch) = poked(hook) {
        if watch.flags.replace(HELD, false) && watch.flags.get(READING) && watch.flags.get(READABLE)
        {
            reactor::push_ready(&watch, false);
        }
    }
}

/// A splice queued bytes the kernel did not take: flush them when writable.
pub fn poke_writes(hook: *mut c_void) {
    if let Some(watch) = poked(hook) {
        want_writes(&watch);
    }
}

/// Writes were queued. That does not prove the kernel full (one writev offers it a
/// bounded number of buffers), so a socket last known writable is flushed at the next
/// check; a flush that leaves bytes queued did find it full, and waits for the edge.
fn want_writes(watch: &Watch) {
    watch.flags.set(WRITING, true);
    if watch.flags.get(WRITABLE) {
        reactor::push_ready(watch, false);
    }
}

/// What a round of reads found.
enum Reads {
    /// The socket has no more now (EAGAIN, or a read that did not fill the buffer).
    Drained,
    /// Every read filled the buffer: there may be more.
    More,
    /// EOF or an error, reported.
    Over,
}

/// Reads until the socket is drained, or a few reads were made.
fn read_available(watch: &Watch, reads: &mut Vec<Event>) -> Reads {
    let core = &watch.core;
    let io = core.io();
    let Some(io) = io.as_ref() else {
        return Reads::Over;
    };
    let mut reader = watch.reader.get();
    let outcome = (|| {
        for _ in 0..READS_PER_WAKE {
            match core.read_step_on_js_thread(io, &mut reader) {
                ReadStep::Data(chunk) => {
                    reads.push(Event::Data(core.clone(), chunk));
                    // libuv reads again only after a read that filled its buffer; one
                    // that did not found the socket empty, and new data is a new edge.
                    // Not so after a FIN, a hang-up or an error: the read reporting it
                    // comes with no edge of its own.
                    if reader.drained() && !watch.flags.get(CLOSED) {
                        return Reads::Drained;
                    }
                }
                ReadStep::Empty => return Reads::Drained,
                ReadStep::Eof => {
                    reads.push(Event::Eof(core.id));
                    return Reads::Over;
                }
                ReadStep::Error(status) => {
                    reads.push(Event::ReadError(core.id, status));
                    return Reads::Over;
                }
            }
        }
        Reads::More
    })();
    watch.reader.set(reader);
    outcome
}

/// Closes a live poll handle and whatever belongs to it.
type Closer = unsafe fn(*mut Handle);

/// Whether `poll` is an open listener poll handle of this thread's loop. LIVE is per
/// thread, so a pointer from another thread (or environment) is never live here.
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

/// Queues an event produced on the JS thread during the poll phase (an accepted
/// connection) to be delivered with this turn's reads.
pub fn queue_event(event: Event) {
    POLLS.with(|p| p.turn.borrow_mut().push(event));
}

//! The native side of one connected stream, TCP, Unix or pipe: the one read step, the
//! write queue, FIN, close, and the outcome of its connect. Both drivers drive it
//! through the same calls. It knows only who waits on its fd: a Tokio task (through
//! the reactor: [`StreamCore::changed`], [`StreamCore::read_ready`]), or a poll outside
//! the runtime once the fd left the reactor ([`StreamCore::make_polled`]), which a
//! splice wakes through the poll hook ([`PollPokes`]).
//!
//! Reads: [`StreamCore::read_step`] is the only read, called by the in-loop driver's
//! poll callback on the JS thread, or by the stream's Tokio task (`driver::threaded`).
//! Its result reaches JS as an [`Event`]: the in-loop driver adds it to the loop
//! turn's batch, the task sends it through the stream's [`EventSink`].
//!
//! Writes go to the kernel straight from the JS thread ([`StreamCore::write`], libuv's
//! `uv_try_write`): when the socket has room, which is nearly always, a write costs one
//! syscall, no copy and no thread hop, and completes synchronously. Only the unwritten
//! rest is queued, which [`StreamCore::flush`] empties once the socket is writable:
//! copied, or, for a large rest of one Buffer on a stream whose queue lives on the JS
//! thread, the Buffer itself, held until written ([`StreamCore::write_buffer`]).
//!
//! Backpressure reaches the kernel: a stream is read only while JS has called
//! `readStart` (and, for a runtime reader, while fewer than [`MAX_UNDELIVERED`] bytes
//! are on their way to JS), so a paused or slow reader makes the peer's sends block
//! instead of growing memory.
//!
//! The stream never closes itself on EOF or error: closing is JS policy (`allowHalfOpen`),
//! done by `close`, which drops the socket on the calling thread so its fd is released
//! at once.

use std::ffi::c_void;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use socket2::SockRef;
use tokio::sync::Notify;

use crate::core::event::{Event, EventSink};
use crate::core::registry::{next_id, Closable};
use crate::sys::errno::{status, status_of, EBADF};

pub mod fifo;
mod js_read;
mod splice;
mod tls;
mod transport;
mod write_queue;
pub use js_read::{set_js_read_memory, JsReadMemory};
use splice::Splice;
pub use splice::{SpliceRead, Step};
pub use tls::TLS_FAILED;
pub use transport::{Io, Kind};
use write_queue::{Chunk, WriteQueue};

/// Room for one read: Node's 64 KiB.
pub const READ_SIZE: usize = 64 * 1024;
/// Room for one bulk read on a JS thread once the last read found at least
/// [`READ_SIZE`] bytes waiting: a socket that has that much usually has more, and
/// every read costs a syscall and a 'data' event through the whole JS stream machinery,
/// so taking what is there in one read costs far less per byte than libuv's 64 KiB
/// slices (issue #18).
pub const BIG_READ_SIZE: usize = 256 * 1024;
/// A read at least this large makes the next reads go into blocks of their own (bulk
/// transfer: handed over without a copy); smaller ones are copied out of a scratch
/// buffer at their exact size, so thousands of mostly idle connections hold no block.
const BULK_READ: usize = 16 * 1024;
/// Bytes read but not yet handed to JS, per stream, before reading pauses. Two full
/// reads: enough to keep both threads busy, small enough that a slow JS side bounds
/// what native code holds (a paused socket stops at this).
const MAX_UNDELIVERED: usize = 2 * READ_SIZE;
thread_local! {
    /// Per thread that reads (the JS thread, a runtime thread): where small reads land
    /// before being copied out at their exact size.
    static SCRATCH: std::cell::RefCell<Box<[u8]>> = std::cell::RefCell::new(vec![0; READ_SIZE].into_boxed_slice());
}

/// What one read step got.
pub enum ReadStep {
    Data(Bytes),
    Eof,
    /// A status < 0.
    Error(i32),
    /// Nothing to read now (EAGAIN).
    Empty,
}

/// A stream's read state between steps: whether its reads are bulk, whether the last
/// one found at least [`READ_SIZE`] bytes (`big`: a read on a JS thread then offers
/// [`BIG_READ_SIZE`]), and whether the last step found the kernel's buffer empty.
#[derive(Clone, Copy, Default)]
pub struct Reader {
    bulk: bool,
    big: bool,
    drained: bool,
}

impl Reader {
    /// The last step's read(2) took less than it offered (or found nothing): the socket
    /// was empty then, so an edge-triggered poll will say when more comes. A TLS
    /// step's plaintext says nothing of this: a full read of records may decrypt to a
    /// few bytes, or to none (a handshake message).
    pub fn drained(&self) -> bool {
        self.drained
    }
}

/// A write's unwritten rest at least this large is queued as the caller's own memory
/// when it can hold it ([`StreamCore::write_buffer`]); a smaller one is copied, which
/// costs less than holding it.
const HOLD_MIN: usize = 16 * 1024;

/// Chunks handed to one `writev`.
const MAX_IOV: usize = 64;
/// `write` completed synchronously (0); `write`/`shutdown` will complete with an event (1).
pub const DONE: i32 = 0;
pub const QUEUED: i32 = 1;

/// How a splice wakes a poll that drives a stream from outside the runtime (the
/// in-loop driver's epoll set, which registers these; this layer knows nothing of
/// it). A task needs none: it waits on [`StreamCore::changed`].
pub struct PollPokes {
    /// Let a poll that holds its reads read again.
    pub reads: fn(*mut c_void),
    /// Make a poll flush writes a splice queued.
    pub writes: fn(*mut c_void),
}

static POLL_POKES: OnceLock<PollPokes> = OnceLock::new();

/// Registers the in-loop driver's pokes (the first registration holds).
pub fn set_poll_pokes(pokes: PollPokes) {
    let _ = POLL_POKES.set(pokes);
}

/// Shared between the JS handle (`SocketHandle`) and the stream's task.
pub struct StreamCore {
    pub id: u32,
    /// Where this stream's events go (its environment's channel).
    channel: Arc<dyn EventSink>,
    io: RwLock<Option<Io>>,
    writes: Mutex<WriteQueue>,
    reading: AtomicBool,
    /// Mirrors "the write queue is not empty" (kept under its lock), so the task can
    /// check it without taking the lock the JS thread holds while writing.
    has_pending: AtomicBool,
    /// False for a socket adopted before it was connected: reads wait for the connect.
    peer_ready: AtomicBool,
    /// The socket is off the reactor, polled from outside the runtime; no task drives it.
    polled: AtomicBool,
    /// The poll driving this stream from outside the runtime, for the splice of
    /// another stream to wake it (null otherwise; only used on the JS thread).
    poll_hook: AtomicPtr<c_void>,
    closed: AtomicBool,
    undelivered: AtomicUsize,
    /// Wakes the task after any change made from JS (read start, queued write, close).
    wake: Notify,
    /// Piping into another rsnet stream natively (see `splice`).
    splice: Splice,
    /// TLS terminated in the stream (see `tls`), and whether it is on (read without
    /// the lock on every step of a plain stream).
    tls: Mutex<Option<Box<tls::Session>>>,
    tls_on: AtomicBool,
}

impl StreamCore {
    pub fn new(channel: Arc<dyn EventSink>) -> Arc<Self> {
        let core = Arc::new(StreamCore {
            id: next_id(),
            channel,
            io: RwLock::new(None),
            writes: Mutex::new(WriteQueue::default()),
            reading: AtomicBool::new(false),
            has_pending: AtomicBool::new(false),
            peer_ready: AtomicBool::new(true),
            polled: AtomicBool::new(false),
            poll_hook: AtomicPtr::new(std::ptr::null_mut()),
            closed: AtomicBool::new(false),
            undelivered: AtomicUsize::new(0),
            wake: Notify::new(),
            splice: Splice::new(),
            tls: Mutex::new(None),
            tls_on: AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&core) as std::sync::Weak<dyn Closable>;
        core.channel.registry().insert(core.id, weak);
        core
    }

    pub fn channel(&self) -> &Arc<dyn EventSink> {
        &self.channel
    }

    /// Installs the connected socket. Returns false (dropping it) if JS closed meanwhile.
    pub fn attach(&self, io: Io) -> bool {
        let mut slot = self.io.write().unwrap_or_else(|p| p.into_inner());
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        *slot = Some(io);
        true
    }

    /// Installs a socket no reactor watches and no task drives: the in-loop driver
    /// polls it from Node's loop (see `driver::in_loop`).
    pub fn attach_polled(&self, io: Io) {
        self.polled.store(true, Ordering::Release);
        *self.io.write().unwrap_or_else(|p| p.into_inner()) = Some(io);
    }

    /// Marks a socket as not yet connected (reads wait until `peer_connected`).
    pub fn await_peer(&self) {
        self.peer_ready.store(false, Ordering::Release);
    }

    pub fn has_peer(&self) -> bool {
        self.peer_ready.load(Ordering::Acquire)
    }

    /// Moves the socket off the reactor for the loop driver, which then does all of
    /// its I/O on the JS thread; the stream's task ends. False (nothing changes) for a
    /// closed stream or one not yet connected.
    pub fn make_polled(&self) -> bool {
        if self.polled.load(Ordering::Acquire) {
            return true;
        }
        if !self.has_peer() {
            return false;
        }
        let mut slot = self.io.write().unwrap_or_else(|p| p.into_inner());
        let Some(io) = slot.as_mut() else {
            return false;
        };
        io.deregister();
        drop(slot);
        self.polled.store(true, Ordering::Release);
        self.wake.notify_one();
        true
    }

    /// The socket left the reactor for Node's loop (`make_polled`): no task drives it.
    pub fn is_polled(&self) -> bool {
        self.polled.load(Ordering::Acquire)
    }

    /// The loop driver's poll handle for this stream, or null when it goes away.
    pub fn set_poll_hook(&self, poll: *mut c_void) {
        self.poll_hook.store(poll, Ordering::Release);
    }

    /// Lets a poll that holds its reads (splice) read again.
    fn poke_reader(&self) {
        let poll = self.poll_hook.load(Ordering::Acquire);
        if let (false, Some(pokes)) = (poll.is_null(), POLL_POKES.get()) {
            (pokes.reads)(poll);
        }
    }

    /// Makes the poll flush writes queued by a splice.
    fn poke_writer(&self) {
        let poll = self.poll_hook.load(Ordering::Acquire);
        if let (false, Some(pokes)) = (poll.is_null(), POLL_POKES.get()) {
            (pokes.writes)(poll);
        }
    }

    pub fn has_pending_writes(&self) -> bool {
        self.has_pending.load(Ordering::Acquire)
    }

    pub fn io(&self) -> RwLockReadGuard<'_, Option<Io>> {
        self.io.read().unwrap_or_else(|p| p.into_inner())
    }

    fn queue(&self) -> MutexGuard<'_, WriteQueue> {
        self.writes.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub fn read_start(&self) {
        self.reading.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub fn read_stop(&self) {
        // The task sees it before its next read; data already in flight still arrives.
        self.reading.store(false, Ordering::Release);
    }

    /// Called on the JS thread once a batch handed `len` bytes of this stream to JS.
    pub fn delivered(&self, len: usize) {
        let before = self.undelivered.fetch_sub(len, Ordering::AcqRel);
        if before >= MAX_UNDELIVERED && before - len < MAX_UNDELIVERED {
            self.wake.notify_one();
        }
    }

    pub fn queued_bytes(&self) -> usize {
        self.queue().queued_bytes
    }

    /// Writes one request made of `chunks`. Tries the kernel first from this thread;
    /// queues (copies) only what it did not take. Returns DONE, QUEUED or a status < 0.
    pub fn write(&self, chunks: &[&[u8]]) -> i32 {
        self.write_request(chunks, None)
    }

    /// [`StreamCore::write`] of one buffer whose owner can hold it: when the kernel
    /// leaves a rest of [`HOLD_MIN`] bytes or more on a stream polled from the JS
    /// thread, `hold` is asked for a `Bytes` over `data`'s own memory, kept alive until
    /// written, which is queued instead of a copy (as Node's stream_base keeps the
    /// Buffer of a write libuv did not finish). Only a polled stream's queue is sure to
    /// be emptied or dropped on the thread that wrote (its flush runs there, and close);
    /// a runtime thread may flush any other stream's, so those keep copying.
    pub fn write_buffer(&self, data: &[u8], hold: &dyn Fn() -> Option<Bytes>) -> i32 {
        self.write_request(&[data], Some(hold))
    }

    fn write_request(&self, chunks: &[&[u8]], hold: Option<&dyn Fn() -> Option<Bytes>>) -> i32 {
        if self.is_tls() {
            return self.tls_write(chunks);
        }
        let mut queue = self.queue();
        if queue.failed != 0 {
            return queue.failed;
        }
        let io = self.io();
        let Some(io) = io.as_ref() else { return EBADF };
        if !self.has_peer() {
            // An adopted socket that is not connected (JS holds writes while a connect
            // is under way): the kernel refuses a write at once (EPIPE, ENOTCONN), as
            // libuv's first try finds; the reactor would wait for writability first,
            // forever on a listening socket. An empty send asks the kernel without
            // sending anything.
            if let Err(err) = io.sock().send(&[]) {
                if err.kind() != io::ErrorKind::WouldBlock {
                    return status_of(&err);
                }
            }
        }
        let total: usize = chunks.iter().map(|c| c.len()).sum();
        let mut written = 0;
        if queue.pending.is_empty() && !queue.shutdown {
            written = match write_some(io, chunks) {
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => 0,
                Err(err) => return status_of(&err),
            };
            if written == total {
                return DONE;
            }
        }
        let held = match hold {
            Some(hold) if total - written >= HOLD_MIN && self.is_polled() => hold(),
            _ => None,
        };
        match held {
            Some(held) if held.len() == total => queue.push_held(held, written),
            _ => queue.push_rest(chunks, written, true),
        }
        self.has_pending.store(true, Ordering::Release);
        drop(queue);
        self.wake.notify_one();
        QUEUED
    }

    /// Half-closes the write side once queued writes are out: QUEUED (a Shutdown event
    /// follows the flush), or DONE when nothing was queued and the FIN left now, on
    /// the calling thread. JS completes the latter itself before the next turn's I/O,
    /// where libuv's pending phase completes such a shutdown; no thread is woken.
    /// A status < 0 when the socket is gone.
    pub fn shutdown(&self) -> i32 {
        if self.is_tls() {
            self.tls_close_notify();
        }
        let mut queue = self.queue();
        queue.ended = true;
        if !queue.pending.is_empty() {
            queue.shutdown = true;
            drop(queue);
            self.wake.notify_one();
            return QUEUED;
        }
        let io = self.io();
        let Some(io) = io.as_ref() else { return EBADF };
        // As libuv, a failed shutdown(2) (the peer is gone: ENOTCONN) still completes
        // the request; the read side reports what happened to the connection.
        let _ = io.sock().shutdown(Shutdown::Write);
        DONE
    }

    /// Closes the socket now, on the calling thread. Idempotent.
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let io = self.io.write().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(io) = io {
            io.close();
        }
        *self.queue() = WriteQueue::default();
        self.has_pending.store(false, Ordering::Release);
        self.channel.registry().remove(self.id);
        self.wake.notify_one();
        self.splice_close();
    }

    /// Resolves once `close` has been called.
    pub async fn closed(&self) {
        while !self.is_closed() {
            self.wake.notified().await;
        }
    }

    /// Whether a reader may read now: JS is reading, the stream is connected.
    pub fn wants_read(&self) -> bool {
        self.reading.load(Ordering::Acquire) && self.peer_ready.load(Ordering::Acquire)
    }

    /// Whether fewer than [`MAX_UNDELIVERED`] bytes read are still on their way to JS
    /// (a runtime reader stops at that; `delivered` wakes it again).
    pub fn under_read_budget(&self) -> bool {
        self.undelivered.load(Ordering::Acquire) < MAX_UNDELIVERED
    }

    /// Resolves at the next change made from JS (read start, queued write, close,
    /// budget freed, splice), for the stream's task.
    pub fn changed(&self) -> impl Future<Output = ()> + '_ {
        self.wake.notified()
    }

    /// The socket of a connect under way turned writable, or waiting for that failed
    /// (`wait_status` < 0): the outcome is the socket's pending error (`SO_ERROR`), as
    /// libuv's `uv__stream_connect` reads it, whichever driver waited. On success the
    /// stream has its peer and may read. Returns the status to report.
    pub fn connect_outcome(&self, wait_status: i32) -> i32 {
        let pending_error = self.io().as_ref().map(|io| io.sock().take_error());
        let status = match pending_error {
            Some(Ok(None)) => wait_status.min(0),
            Some(Ok(Some(err)) | Err(err)) => status_of(&err),
            None => EBADF,
        };
        if status == 0 {
            self.peer_connected();
        }
        status
    }

    /// The stream's connect completed: reads may start.
    pub fn peer_connected(&self) {
        self.peer_ready.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Resolves when the reactor finds the socket readable (a registered fd only).
    pub fn read_ready(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.ready(Io::poll_read_ready)
    }

    /// Resolves when the reactor finds the socket writable (a registered fd only).
    pub fn write_ready(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.ready(Io::poll_write_ready)
    }

    fn ready(
        &self,
        poll: fn(&Io, &mut Context<'_>) -> Poll<io::Result<()>>,
    ) -> impl Future<Output = io::Result<()>> + '_ {
        poll_fn(move |cx| match self.io().as_ref() {
            Some(io) => poll(io, cx),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        })
    }

    /// The one read step of both drivers: one read(2), counted toward the delivery
    /// budget. Small reads are copied out of the thread's scratch buffer at their exact
    /// size; after a large one, the next reads go into a block of their own that JS
    /// gets without a copy, of [`READ_SIZE`]. (Blocks of [`BIG_READ_SIZE`] here, for
    /// the threaded driver, nearly doubled its peak memory under a slow reader: the
    /// reliability suite's slow-consumer, +70 MiB against `net`'s +36. The loop
    /// driver's big reads go into JS memory instead: `read_step_on_js_thread`.)
    pub fn read_step(&self, io: &Io, reader: &mut Reader) -> ReadStep {
        if self.is_tls() {
            return self.tls_read_step(io, reader);
        }
        let offered = READ_SIZE;
        let outcome = if reader.bulk {
            let mut block = BytesMut::with_capacity(offered);
            io.try_read_buf(&mut block).map(|n| (n, block.freeze()))
        } else {
            SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                io.try_read(&mut scratch[..])
                    .map(|n| (n, Bytes::copy_from_slice(&scratch[..n])))
            })
        };
        self.read_outcome(outcome, offered, reader)
    }

    /// A read step's result: its chunk counted toward the delivery budget, and the
    /// reader's state for the next step. `offered`: the room the read had; a read that
    /// did not fill it found the socket empty.
    fn read_outcome(
        &self,
        outcome: io::Result<(usize, Bytes)>,
        offered: usize,
        reader: &mut Reader,
    ) -> ReadStep {
        reader.drained = !matches!(outcome, Ok((n, _)) if n >= offered);
        match outcome {
            Ok((0, _)) => ReadStep::Eof,
            Ok((n, chunk)) => {
                reader.bulk = n >= BULK_READ;
                reader.big = n >= READ_SIZE;
                self.undelivered.fetch_add(n, Ordering::AcqRel);
                ReadStep::Data(chunk)
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => ReadStep::Empty,
            Err(err) => ReadStep::Error(status_of(&err)),
        }
    }

    /// Writes queued data until the kernel is full; reports completed requests, then a
    /// pending FIN once everything is out, through `announce`: the path this stream's
    /// reads take to JS, so that a flush's outcome lines up behind the reads made
    /// before it (the channel for the stream's task, the turn's batch under the loop
    /// driver).
    pub fn flush(&self, announce: &dyn Fn(Event)) {
        let mut queue = self.queue();
        let io = self.io();
        let Some(io) = io.as_ref() else { return };
        let mut completed = 0u32;
        while !queue.pending.is_empty() {
            let slices: Vec<IoSlice<'_>> = queue
                .pending
                .iter()
                .take(MAX_IOV)
                .map(|p| IoSlice::new(&p.data))
                .collect();
            let offered: usize = slices.iter().map(|s| s.len()).sum();
            let result = io.try_write_vectored(&slices);
            drop(slices);
            match result {
                // A short write means the kernel is full: wait for writability, as
                // libuv does, instead of a syscall that would only say EAGAIN. The
                // wait also lets a peer's reset reach the read side first.
                Ok(written) if written < offered => {
                    completed += queue.advance(written);
                    break;
                }
                Ok(written) => completed += queue.advance(written),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) => {
                    self.fail_writes(&mut queue, status_of(&err), announce);
                    return;
                }
            }
        }
        self.has_pending
            .store(!queue.pending.is_empty(), Ordering::Release);
        if queue.pending.is_empty() {
            self.splice.wake_feeder();
        }
        if completed > 0 {
            announce(Event::Written(self.id, completed));
        }
        if queue.pending.is_empty() && queue.shutdown {
            queue.shutdown = false;
            // The reads that could see the peer's answer to this FIN come from the same
            // thread, after this: announcing in order is enough.
            announce(Event::Shutdown(
                self.id,
                status(io.sock().shutdown(Shutdown::Write)),
            ));
        }
    }
}

impl StreamCore {
    /// A write failed: drop what is queued; later writes fail with the same status.
    fn fail_writes(&self, queue: &mut WriteQueue, failed: i32, announce: &dyn Fn(Event)) {
        *queue = WriteQueue {
            failed,
            ended: queue.ended,
            ..WriteQueue::default()
        };
        self.has_pending.store(false, Ordering::Release);
        announce(Event::WriteError(self.id, failed));
        self.splice.wake_feeder();
    }
}

/// Starts a non-blocking connect; true while it is still under way (completion is
/// signalled by writability).
pub fn begin_connect(sock: &SockRef<'_>, addr: &socket2::SockAddr) -> io::Result<bool> {
    match sock.connect(addr) {
        Ok(()) => Ok(false),
        Err(err)
            if err.kind() == io::ErrorKind::WouldBlock
                || err.raw_os_error() == Some(libc::EINPROGRESS) =>
        {
            Ok(true)
        }
        Err(err) => Err(err),
    }
}

/// The JS thread's write: one syscall, straight to the kernel (see `Io::write_direct`).
fn write_some(io: &Io, chunks: &[&[u8]]) -> io::Result<usize> {
    if let [chunk] = chunks {
        return io.write_direct(&[IoSlice::new(chunk)]);
    }
    // Rare (a huge cork): write the first batch now, queue the rest.
    let chunks = &chunks[..chunks.len().min(MAX_IOV)];
    let slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    io.write_direct(&slices)
}

impl Closable for StreamCore {
    fn close(&self) {
        StreamCore::close(self);
    }
}

#[cfg(test)]
mod tests;

//! Native splice: while JS pipes one rsnet stream into another and nothing in JS could
//! see the bytes, the source's reader writes what it reads straight into the
//! destination (socket to socket, never entering JS). The reader is the stream's Tokio
//! task, or under the loop driver its poll in Node's loop (`driver::in_loop`); both follow
//! `splice_step`. JS decides when (lib/splice.js); this side keeps order and
//! backpressure.
//!
//! Order: bytes the source read before the splice may still be on their way through JS
//! (batch, readable buffer, the pipe's `write()`). So engaging is a handshake: `arm`
//! makes the source's reader stop reading and answer with a `SpliceReady` event, which
//! the channel delivers after any data the reader sent before it. Only when JS has seen
//! that event and found every earlier byte handed to the destination does it `commit`.
//! `stop` is the reverse cut: it waits for a chunk being moved (it holds the same lock),
//! so no spliced byte can land after anything JS writes once `stop` returned.
//!
//! Backpressure: the source reads only while the destination's write queue is empty,
//! so at most one read waits in native memory. The destination wakes its feeder when
//! its queue drains or it closes.
//!
//! Memory: reads land in one buffer per runtime thread and are written on at once; only
//! what the destination's kernel buffer did not take is copied out. A thousand idle
//! spliced connections hold no buffers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use bytes::Bytes;

use super::{Chunk, StreamCore, WriteQueue};
use crate::core::event::Event;
use crate::sys::errno::{status_of, EBADF, EBUSY, EINVAL};

/// One splice read: larger than a JS read (nothing is handed to JS), so a bulk
/// transfer costs fewer syscalls per byte.
const SPLICE_READ: usize = 256 * 1024;

thread_local! {
    /// Per runtime thread: where spliced bytes land between the read and the write.
    static SCRATCH: std::cell::RefCell<Box<[u8]>> =
        std::cell::RefCell::new(vec![0; SPLICE_READ].into_boxed_slice());
}

enum Mode {
    Off,
    /// JS asked to splice into `dst`; the task has not answered yet.
    Arming(u32, Arc<StreamCore>),
    /// The task stopped reading and sent `SpliceReady`; waiting for JS.
    Armed(u32, Arc<StreamCore>),
    On(Arc<StreamCore>),
}

/// What the reader (task or loop-driver poll) should do, given the splice state.
pub enum Step {
    /// No splice: read for JS as usual.
    Deliver,
    /// Do not read (handshake under way, or the destination has no room).
    Hold,
    /// Read and move the bytes into the destination.
    Feed,
}

/// The outcome of one `splice_once`.
pub enum SpliceRead {
    /// Bytes were moved.
    Moved,
    /// Nothing to read now (or the splice stopped meanwhile).
    Idle,
    /// EOF or a read error, reported to JS: reading is over.
    Done,
}

/// Per-stream splice state, as a source and as a destination. Few streams are ever
/// spliced, so what only a splice uses is made by the first `arm` that names the
/// stream (as source or destination), and an idle connection carries 24 B of it
/// instead of 64 (issue #18: memory per connection).
pub(super) struct Splice {
    /// Mirrors `mode` is not `Off`, so the read loop skips the lock in the common case.
    engaged: AtomicBool,
    has_feeder: AtomicBool,
    state: OnceLock<Box<SpliceState>>,
}

struct SpliceState {
    mode: Mutex<Mode>,
    /// As a destination: the stream feeding this one, woken when this queue drains.
    feeder: Mutex<Option<Weak<StreamCore>>>,
    /// Bytes this stream read and passed on (its `bytesRead` in JS adds them).
    read: AtomicU64,
    /// Bytes spliced into this stream (its `bytesWritten` in JS adds them).
    written: AtomicU64,
}

impl Splice {
    pub(super) fn new() -> Self {
        Splice {
            engaged: AtomicBool::new(false),
            has_feeder: AtomicBool::new(false),
            state: OnceLock::new(),
        }
    }

    /// The state, made on first use: only by a splice being set up or under way.
    fn state(&self) -> &SpliceState {
        self.state.get_or_init(|| {
            Box::new(SpliceState {
                mode: Mutex::new(Mode::Off),
                feeder: Mutex::new(None),
                read: AtomicU64::new(0),
                written: AtomicU64::new(0),
            })
        })
    }

    fn mode(&self) -> MutexGuard<'_, Mode> {
        self.state().mode.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn feeder(&self) -> MutexGuard<'_, Option<Weak<StreamCore>>> {
        self.state()
            .feeder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a splice ever named this stream (its state was made).
    #[cfg(test)]
    pub(super) fn was_used(&self) -> bool {
        self.state.get().is_some()
    }

    /// A counter of the state, 0 for a stream never spliced (without making it).
    fn count(&self, counter: fn(&SpliceState) -> &AtomicU64) -> u64 {
        self.state
            .get()
            .map_or(0, |state| counter(state).load(Ordering::Acquire))
    }

    /// As a destination: lets the feeding stream read again.
    pub(super) fn wake_feeder(&self) {
        if !self.has_feeder.load(Ordering::Acquire) {
            return;
        }
        if let Some(feeder) = self.feeder().as_ref().and_then(Weak::upgrade) {
            feeder.wake.notify_one();
            feeder.poke_reader();
        }
    }

    /// As a destination: forgets `source` as its feeder (not a newer one).
    fn clear_feeder(&self, source: &StreamCore) {
        if self.state.get().is_none() {
            return;
        }
        let mut feeder = self.feeder();
        if feeder
            .as_ref()
            .is_some_and(|f| std::ptr::eq(f.as_ptr(), source))
        {
            *feeder = None;
            self.has_feeder.store(false, Ordering::Release);
        }
    }
}

impl StreamCore {
    /// JS: start the handshake to splice this stream into `dst`. 0 or a status < 0.
    pub fn splice_arm(self: &Arc<Self>, dst: &Arc<StreamCore>, generation: u32) -> i32 {
        if Arc::ptr_eq(self, dst) {
            return EINVAL;
        }
        // A TLS stream's bytes on the wire are not what JS reads or writes.
        if self.is_tls() || dst.is_tls() {
            return EBUSY;
        }
        if self.is_closed() || dst.is_closed() || self.io().is_none() || dst.io().is_none() {
            return EBADF;
        }
        {
            let mut feeder = dst.splice.feeder();
            match feeder.as_ref().and_then(Weak::upgrade) {
                Some(other) if !Arc::ptr_eq(&other, self) => return EBUSY,
                _ => {}
            }
            *feeder = Some(Arc::downgrade(self));
            dst.splice.has_feeder.store(true, Ordering::Release);
        }
        let previous = std::mem::replace(
            &mut *self.splice.mode(),
            Mode::Arming(generation, dst.clone()),
        );
        if let Mode::Arming(_, old) | Mode::Armed(_, old) | Mode::On(old) = previous {
            if !Arc::ptr_eq(&old, dst) {
                old.splice.clear_feeder(self);
            }
        }
        self.splice.engaged.store(true, Ordering::Release);
        self.wake.notify_one();
        self.poke_reader();
        0
    }

    /// JS: every byte read before `SpliceReady(generation)` reached the destination;
    /// start moving bytes natively. False if that handshake is no longer current.
    pub fn splice_commit(&self, generation: u32) -> bool {
        let mut mode = self.splice.mode();
        let Mode::Armed(armed, dst) = &*mode else {
            return false;
        };
        if *armed != generation {
            return false;
        }
        *mode = Mode::On(dst.clone());
        drop(mode);
        self.wake.notify_one();
        self.poke_reader();
        true
    }

    /// JS: stop splicing; reads go to JS again. Returns once no chunk is being moved.
    pub fn splice_stop(&self) {
        self.disengage();
        self.wake.notify_one();
        self.poke_reader();
    }

    /// On close: drop the destination (as a source) and free the feeder (as a destination).
    pub(super) fn splice_close(&self) {
        self.disengage();
        self.splice.wake_feeder();
    }

    /// As a source: back to `Off`, letting go of the destination.
    fn disengage(&self) {
        self.splice.engaged.store(false, Ordering::Release);
        if self.splice.state.get().is_none() {
            return;
        }
        let previous = std::mem::replace(&mut *self.splice.mode(), Mode::Off);
        if let Mode::Arming(_, dst) | Mode::Armed(_, dst) | Mode::On(dst) = previous {
            dst.splice.clear_feeder(self);
        }
    }

    pub fn spliced_read(&self) -> u64 {
        self.splice.count(|state| &state.read)
    }

    pub fn spliced_written(&self) -> u64 {
        self.splice.count(|state| &state.written)
    }

    /// The reader's view before each read; answers a pending `arm` with `SpliceReady`
    /// through `announce`, the path its reads take to JS (the channel for the task,
    /// the loop turn's batch for a loop-driver poll), so that it follows them.
    pub fn splice_step(&self, announce: &dyn Fn(Event)) -> Step {
        if !self.splice.engaged.load(Ordering::Acquire) {
            return Step::Deliver;
        }
        let mut mode = self.splice.mode();
        match &*mode {
            Mode::Off => Step::Deliver,
            Mode::Arming(generation, dst) => {
                let (generation, dst) = (*generation, dst.clone());
                // After every Data event the reader sent: the order JS relies on.
                announce(Event::SpliceReady(self.id, generation));
                *mode = Mode::Armed(generation, dst);
                Step::Hold
            }
            Mode::Armed(..) => Step::Hold,
            Mode::On(dst) if dst.has_room_for_splice() => Step::Feed,
            Mode::On(_) => Step::Hold,
        }
    }

    /// As a destination: nothing queued, not ending, not failed, not closed.
    fn has_room_for_splice(&self) -> bool {
        if self.is_closed() || self.has_pending.load(Ordering::Acquire) {
            return false;
        }
        self.queue().accepts_splice()
    }

    /// Reads once and moves the bytes into the destination. EOF and read errors are
    /// reported to JS as usual, so that `'end'` ends the pipe.
    pub fn splice_once(&self, announce: &dyn Fn(Event)) -> SpliceRead {
        let mode = self.splice.mode();
        let Mode::On(dst) = &*mode else {
            return SpliceRead::Idle;
        };
        // Held across the read, so the destination cannot end (or fail) between the
        // check and the write: no byte read from the source is ever dropped.
        let mut queue = dst.queue();
        if dst.is_closed() || !queue.accepts_splice() {
            return SpliceRead::Idle;
        }
        let io = self.io();
        let Some(io) = io.as_ref() else {
            return SpliceRead::Done;
        };
        let outcome = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let read = io.try_read(&mut scratch[..]);
            if let Ok(n @ 1..) = read {
                self.splice
                    .state()
                    .read
                    .fetch_add(n as u64, Ordering::AcqRel);
                dst.take_spliced(&mut queue, &scratch[..n]);
            }
            read
        });
        match outcome {
            Ok(0) => {
                announce(Event::Eof(self.id));
                SpliceRead::Done
            }
            Ok(_) => SpliceRead::Moved,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => SpliceRead::Idle,
            Err(err) => {
                announce(Event::ReadError(self.id, status_of(&err)));
                SpliceRead::Done
            }
        }
    }

    /// As a destination (its write queue locked, with room for a splice): writes `buf`
    /// now if the kernel has room; queues a copy of the rest.
    fn take_spliced(&self, queue: &mut WriteQueue, buf: &[u8]) {
        let io = self.io();
        let Some(io) = io.as_ref() else { return };
        self.splice
            .state()
            .written
            .fetch_add(buf.len() as u64, Ordering::AcqRel);
        let written = if queue.pending.is_empty() {
            match io.try_write(buf) {
                Ok(n) => n,
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => 0,
                Err(err) => {
                    self.fail_writes(queue, status_of(&err), &|event| self.channel.send(event));
                    return;
                }
            }
        } else {
            0
        };
        if written == buf.len() {
            return;
        }
        let rest = Bytes::copy_from_slice(&buf[written..]);
        queue.queued_bytes += rest.len();
        // Not a JS request: completes nothing when flushed.
        queue.pending.push_back(Chunk {
            data: rest,
            last: false,
        });
        self.has_pending.store(true, Ordering::Release);
        self.wake.notify_one();
        self.poke_writer();
    }
}

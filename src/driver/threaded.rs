//! The threaded driver (`RSNET_DRIVER=threaded`; see `driver`): the Tokio runtime's
//! threads move a connected socket's bytes, and hand events to the JS thread in
//! batches through the environment's threadsafe function.
//!
//! - [`drive`]: a stream's task, which reads and flushes until the stream closes (or
//!   the in-loop driver takes it over, see `StreamCore::make_polled`).
//! - [`accept_loop`]: a listener's task.
//! - [`TaskStream`]: what a socket handle asks of this driver, and the connect tasks
//!   that wait for a connect(2) started on the JS thread.
//! - [`Channel`]: the queue of one environment's events and the wake-up of its JS
//!   thread.
//!
//! Under the in-loop driver a few things still run here, where only the runtime can
//! wait: an adopted fd until it is connected and read ([`adopt`]), the connect of an
//! adopted fd ([`connect_adopted`]), and the report of a connect that failed at once
//! ([`connect_failed`]).
//!
//! The channel: the TSFN is signalled only when the queue goes from empty to
//! non-empty; its callback (`napi::delivery`) then drains everything queued, for every
//! socket of the environment, into a single JS call. A busy server thus pays one
//! thread wake-up per batch, not one per event. Teardown: [`Channel::shut`] takes the
//! TSFN under the queue lock, so that after it no thread can call or release the TSFN
//! again, which is what crashes worker threads on Node 20 otherwise.

use std::cell::Cell;
use std::io;
use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard};

use napi::sys;

use crate::core::event::{Event, EventSink};
use crate::core::listener::{Listener, ServerCore, ACCEPT_BACKOFF};
use crate::core::registry::Registry;
use crate::core::runtime;
use crate::core::stream::{Io, ReadStep, Reader, SpliceRead, Step, StreamCore};
use crate::driver::Drive;
use crate::sys::errno::{status, status_of, ECONNRESET, EINVAL};

/// The stream's task: reads and flushes until closed, or until the in-loop driver
/// takes the socket off the reactor.
pub async fn drive(core: Arc<StreamCore>) {
    let mut reader = Reader::default();
    let mut read_done = false;
    let announce = |event| core.channel().send(event);
    while !core.is_closed() && !core.is_polled() {
        let step = core.splice_step(&announce);
        let want_read = !read_done
            && core.wants_read()
            && match step {
                Step::Deliver => core.under_read_budget(),
                Step::Feed => true,
                Step::Hold => false,
            };
        let want_write = core.has_pending_writes();
        // Reads before writes, as libuv: on a connection the peer reset, the read
        // reports ECONNRESET (the error Node's socket is destroyed with) before a
        // flush can fail on it.
        tokio::select! {
            biased;
            _ = core.changed() => {}
            ready = core.read_ready(), if want_read => {
                read_done = ready.is_err() || match step {
                    Step::Feed => matches!(core.splice_once(&announce), SpliceRead::Done),
                    _ => read_once(&core, &mut reader),
                };
            }
            ready = core.write_ready(), if want_write => {
                if ready.is_ok() {
                    let reading = !read_done && core.wants_read();
                    read_done |= flush_reads_first(&core, reading, &announce);
                }
            }
        }
    }
}

/// The task's flush. Returns true when reading is over.
///
/// A flush here runs beside the JS thread, so a peer's reset can land between two of
/// its writes, and the write then takes the reset (the kernel hands `ECONNRESET` to
/// the first call that asks, and the read after it finds a plain EOF). libuv, on one
/// thread, always sees such a reset from its read first. So while JS reads, a reset
/// met by the flush is reported as the read's error, as Node reports it (`read
/// ECONNRESET`); the dropped writes are then cancelled when the socket is destroyed,
/// as libuv cancels them.
fn flush_reads_first(core: &Arc<StreamCore>, reading: bool, announce: &dyn Fn(Event)) -> bool {
    let reset = Cell::new(false);
    core.flush(&|event| match event {
        Event::WriteError(id, ECONNRESET) if reading => {
            reset.set(true);
            announce(Event::ReadError(id, ECONNRESET));
        }
        event => announce(event),
    });
    reset.get()
}

/// The task's read. Returns true when reading is over.
fn read_once(core: &Arc<StreamCore>, reader: &mut Reader) -> bool {
    let io = core.io();
    let Some(io) = io.as_ref() else { return true };
    let event = match core.read_step(io, reader) {
        ReadStep::Empty => return false,
        ReadStep::Data(chunk) => Event::Data(core.clone(), chunk),
        ReadStep::Eof => Event::Eof(core.id),
        ReadStep::Error(status) => Event::ReadError(core.id, status),
    };
    let over = !matches!(event, Event::Data(..));
    core.channel().send(event);
    over
}

/// What a socket handle asks of the threaded driver: its stream's task does the rest.
pub struct TaskStream;

impl Drive for TaskStream {
    fn connect(&mut self, core: &Arc<StreamCore>, mut io: Io, pending: bool) -> i32 {
        let runtime = match runtime::get() {
            Ok(runtime) => runtime,
            Err(err) => return status_of(&err),
        };
        if let Err(err) = register(runtime, &mut io) {
            return status_of(&err);
        }
        core.await_peer();
        if !core.attach(io) {
            return EINVAL;
        }
        spawn_connect(runtime, core.clone(), Ok(pending), true);
        0
    }

    fn read_start(&mut self, core: &Arc<StreamCore>) -> i32 {
        core.read_start();
        0
    }

    fn read_stop(&mut self, core: &Arc<StreamCore>) {
        core.read_stop();
    }

    /// The task flushes: `StreamCore::write` woke it.
    fn watch_writes(&mut self, _: &Arc<StreamCore>, _: bool) {}

    fn can_splice(&self) -> bool {
        true
    }

    fn stop(&mut self) {}
}

/// Serves an adopted fd on the runtime (under both drivers: until it is connected and
/// reads, only the runtime can wait for it; the in-loop driver then takes it over).
pub fn adopt(core: &Arc<StreamCore>, mut io: Io) -> i32 {
    let runtime = match runtime::get() {
        Ok(runtime) => runtime,
        Err(err) => return status_of(&err),
    };
    if let Err(err) = register(runtime, &mut io) {
        return status_of(&err);
    }
    if !core.attach(io) {
        return EINVAL;
    }
    runtime.spawn(drive(core.clone()));
    0
}

/// Waits on the runtime for the connect of an adopted fd (`started`: still under way,
/// done, or refused), whose task already runs, and reports it.
pub fn connect_adopted(core: &Arc<StreamCore>, started: io::Result<bool>) -> i32 {
    let Ok(runtime) = runtime::get() else {
        // An adopted socket's stream task already started the runtime.
        return EINVAL;
    };
    spawn_connect(runtime, core.clone(), started, false);
    0
}

/// Reports a connect that failed when connect(2) was called (ECONNREFUSED, or any
/// failure of a pipe), later, as libuv does. `io` is the socket, kept for its
/// addresses.
pub fn connect_failed(core: &Arc<StreamCore>, io: Option<Io>, failed: io::Error) -> i32 {
    let runtime = match runtime::get() {
        Ok(runtime) => runtime,
        Err(err) => return status_of(&err),
    };
    if let Some(io) = io {
        core.await_peer();
        if !core.attach(io) {
            return EINVAL;
        }
    }
    spawn_connect(runtime, core.clone(), Err(failed), false);
    0
}

/// The task that finishes a connect started on the JS thread: reports it with a
/// `Connected` event, then (`serve`) drives the stream.
fn spawn_connect(
    runtime: &'static tokio::runtime::Runtime,
    core: Arc<StreamCore>,
    started: io::Result<bool>,
    serve: bool,
) {
    runtime.spawn(async move {
        let status = match started {
            Ok(pending) => tokio::select! {
                status = finish_connect(&core, pending) => status,
                _ = core.closed() => return,
            },
            Err(failed) => status_of(&failed),
        };
        if status == 0 && core.is_closed() {
            return;
        }
        core.channel().send(Event::Connected(core.id, status));
        if status == 0 && serve {
            drive(core).await;
        }
    });
}

/// Waits for a started connect (`pending`: not yet complete) to turn writable; its
/// outcome is then `StreamCore::connect_outcome`'s, as under the in-loop driver.
async fn finish_connect(core: &StreamCore, pending: bool) -> i32 {
    if !pending {
        core.peer_connected();
        return 0;
    }
    let waited = status(core.write_ready().await);
    core.connect_outcome(waited)
}

/// Starts accepting on the runtime: a listener's task.
pub fn listen(core: &Arc<ServerCore>, mut listener: Listener) -> Result<(), i32> {
    let runtime = runtime::get().map_err(|err| status_of(&err))?;
    {
        let _context = runtime.enter();
        listener.register().map_err(|err| status_of(&err))?;
    }
    *core.listener() = Some(listener);
    runtime.spawn(accept_loop(core.clone()));
    Ok(())
}

/// Accepts until the listener is closed. Each connection is registered with the
/// reactor and gets a task of its own; an accept error is reported and followed by a
/// short pause (EMFILE would otherwise spin), and never stops the listener.
pub async fn accept_loop(core: Arc<ServerCore>) {
    loop {
        tokio::select! {
            biased;
            _ = core.changed() => continue,
            ready = core.accept_ready() => if !ready { return },
        }
        let mut serve = |mut io: Io| -> io::Result<()> {
            io.register()?;
            let stream = StreamCore::new(core.channel().clone());
            stream.attach(io);
            core.channel()
                .send(Event::Accepted(core.id, stream.clone()));
            tokio::spawn(drive(stream));
            Ok(())
        };
        if let Err(status) = core.accept_pending(&mut serve) {
            core.channel().send(Event::AcceptError(core.id, status));
            tokio::time::sleep(ACCEPT_BACKOFF).await;
        }
    }
}

/// Registers `io` with the runtime's reactor (which needs its context on this thread).
fn register(runtime: &tokio::runtime::Runtime, io: &mut Io) -> io::Result<()> {
    let _context = runtime.enter();
    io.register()
}

/// A TSFN pointer that may cross threads: napi documents these calls as thread-safe.
#[derive(Clone, Copy)]
pub struct Tsfn(pub sys::napi_threadsafe_function);
// SAFETY: napi documents calling, referencing and releasing a TSFN as thread-safe.
unsafe impl Send for Tsfn {}

struct Queue {
    events: Vec<Event>,
    /// True while a TSFN call is pending: further events just join the queue.
    scheduled: bool,
    /// None once the environment is being torn down.
    tsfn: Option<Tsfn>,
}

/// The event channel of one Node environment, shared by all its native handles.
pub struct Channel {
    queue: Mutex<Queue>,
    /// Native handles of this environment, closed when it is torn down.
    pub registry: Registry,
}

impl Channel {
    pub fn new() -> Channel {
        Channel {
            queue: Mutex::new(Queue {
                events: Vec::new(),
                scheduled: false,
                tsfn: None,
            }),
            registry: Registry::default(),
        }
    }

    /// Connects the channel to the TSFN that wakes its JS thread.
    pub fn set_tsfn(&self, tsfn: Tsfn) {
        self.lock().tsfn = Some(tsfn);
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues an event; wakes the JS thread if nothing was pending.
    pub fn send(&self, event: Event) {
        let mut queue = self.lock();
        if queue.tsfn.is_none() {
            return;
        }
        // Consecutive completions of one stream merge into one event.
        if let (Event::Written(id, n), Some(Event::Written(last_id, last_n))) =
            (&event, queue.events.last_mut())
        {
            if id == last_id {
                *last_n += n;
                return;
            }
        }
        queue.events.push(event);
        self.schedule(&mut queue);
    }

    fn schedule(&self, queue: &mut Queue) {
        let Some(tsfn) = queue.tsfn else { return };
        if !queue.scheduled {
            queue.scheduled = true;
            // Nonblocking with an unbounded TSFN queue: at most one call is ever pending.
            // SAFETY: the TSFN is live until `shut` takes it, under this same lock.
            unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn.0,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }

    /// Takes what is queued now (loop driver: events caused by a direct delivery, such as
    /// a FIN's completion, are delivered within the same callback, as Node's TSFN
    /// dispatch does for calls queued during a call).
    pub fn take_now(&self) -> Vec<Event> {
        self.take(Vec::new())
    }

    /// Takes everything queued; the next `send` schedules a new call.
    pub fn take(&self, spare: Vec<Event>) -> Vec<Event> {
        let mut queue = self.lock();
        queue.scheduled = false;
        std::mem::replace(&mut queue.events, spare)
    }

    pub fn tsfn(&self) -> Option<Tsfn> {
        self.lock().tsfn
    }

    /// Stops all delivery and returns the TSFN for release: no thread may use it after.
    pub fn shut(&self) -> Option<Tsfn> {
        let mut queue = self.lock();
        queue.events.clear();
        queue.tsfn.take()
    }
}

impl Default for Channel {
    fn default() -> Self {
        Channel::new()
    }
}

impl EventSink for Channel {
    fn send(&self, event: Event) {
        Channel::send(self, event);
    }

    fn registry(&self) -> &Registry {
        &self.registry
    }
}

//! The queue of one Node environment's events, and the wake-up of its JS thread.
//!
//! Streams and listeners `send` events here (see [`Event`]). The threadsafe function
//! (TSFN) is signalled only when the queue goes from empty to non-empty; its callback
//! (`napi::delivery`) then drains everything queued, for every socket of the
//! environment, into a single JS call. A busy server thus pays one thread wake-up per
//! batch, not one per event. Under the in-loop driver little goes through here: reads
//! are delivered from the loop's own callbacks.
//!
//! Teardown: [`Channel::shut`] takes the TSFN under the queue lock, so that after it
//! no thread can call or release the TSFN again, which is what crashes worker threads
//! on Node 20 otherwise.

use std::ptr;
use std::sync::{Mutex, MutexGuard};

use napi::sys;

use crate::core::registry::Registry;
use crate::core::stream::{Event, EventSink};

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

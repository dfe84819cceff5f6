//! The one channel from Tokio to JavaScript, per Node environment.
//!
//! Native tasks `send` events into a queue. The threadsafe function (TSFN) is signalled
//! only when the queue goes from empty to non-empty; its callback then drains everything
//! queued, for every socket of the environment, into a single JS call (see [`batch`]).
//! A busy server thus pays one thread wake-up per batch, not one per event.
//!
//! The TSFN is created unref'd (weak): it keeps the process alive only while JS holds at
//! least one ref'd, active handle, counted in [`LoopRefs`]. napi's ref/unref are flags,
//! not counters, so they are called only on 0 <-> 1 transitions of our own count.
//!
//! Teardown: the environment's cleanup hook (registered after the TSFN, so it runs
//! before Node's own TSFN cleanup) nulls the TSFN under the queue lock, releases it and
//! closes every native handle of the environment. After that no thread can call or
//! release the TSFN again, which is what crashes worker threads on Node 20 otherwise.

use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use napi::{sys, Env, JsFunction, NapiRaw};
use napi_derive::napi;

use crate::batch;
use crate::driver::Driver;
use crate::napi_raw::{self, check};
use crate::registry::Registry;
use crate::stream::StreamCore;

/// Something that happened on the native side, for JS to act on.
pub enum Event {
    /// Bytes read from a stream. Holds the stream so delivery can release its read budget.
    Data(Arc<StreamCore>, Bytes),
    /// The peer sent FIN.
    Eof(u32),
    ReadError(u32, i32),
    /// `n` write requests of a stream completed, in order.
    Written(u32, u32),
    WriteError(u32, i32),
    /// A deferred shutdown (FIN after queued writes) finished with a status.
    Shutdown(u32, i32),
    /// A connect attempt finished with a status (0 on success).
    Connected(u32, i32),
    /// A listener accepted a stream.
    Accepted(u32, Arc<StreamCore>),
    AcceptError(u32, i32),
    /// A stream's task stopped reading for a splice handshake (generation); see
    /// `stream::splice`.
    SpliceReady(u32, u32),
}

/// A TSFN pointer that may cross threads: napi documents these calls as thread-safe.
#[derive(Clone, Copy)]
struct Tsfn(sys::napi_threadsafe_function);
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
    fn take(&self, spare: Vec<Event>) -> Vec<Event> {
        let mut queue = self.lock();
        queue.scheduled = false;
        std::mem::replace(&mut queue.events, spare)
    }

    fn tsfn(&self) -> Option<Tsfn> {
        self.lock().tsfn
    }

    /// Stops all delivery and returns the TSFN for release: no thread may use it after.
    fn shut(&self) -> Option<Tsfn> {
        let mut queue = self.lock();
        queue.events.clear();
        queue.tsfn.take()
    }
}

/// JS-thread state of one environment: its channel and the count of ref'd active handles.
struct LoopRefs {
    channel: Arc<Channel>,
    refs: u32,
    driver: Driver,
    /// Delivery straight from libuv callbacks on the JS thread (the in-loop driver's
    /// reads, and under both drivers the completions of the check phase).
    direct: Direct,
}

/// What delivering from a libuv callback (outside any napi call) needs.
#[derive(Clone, Copy)]
struct Direct {
    env: sys::napi_env,
    dispatch: sys::napi_ref,
    context: sys::napi_async_context,
    uv_loop: *mut c_void,
}

thread_local! {
    // One Node environment per JS thread (main thread or worker), so a thread-local is
    // exactly per-environment state.
    static LOCAL: RefCell<Option<LoopRefs>> = const { RefCell::new(None) };
}

/// The channel of the calling JS thread's environment.
pub fn channel() -> napi::Result<Arc<Channel>> {
    LOCAL.with(|local| {
        local
            .borrow()
            .as_ref()
            .map(|l| l.channel.clone())
            .ok_or_else(|| {
                napi::Error::from_reason("rsnet: binding used before init() in this environment")
            })
    })
}

/// The calling JS thread's channel, if rsnet was initialised there.
pub fn current_channel() -> Option<Arc<Channel>> {
    LOCAL.with(|local| local.borrow().as_ref().map(|l| l.channel.clone()))
}

/// The libuv loop that polls this environment's sockets: only under the in-loop
/// driver (None under the threaded one, whose runtime polls them).
pub fn uv_loop() -> Option<*mut c_void> {
    LOCAL.with(|local| {
        let local = local.borrow();
        let state = local.as_ref()?;
        (state.driver == Driver::InLoop).then_some(state.direct.uv_loop)
    })
}

/// The driver of this environment, once rsnet was initialised on this thread.
pub fn driver() -> Option<Driver> {
    LOCAL.with(|local| local.borrow().as_ref().map(|l| l.driver))
}

/// Delivers `events` to JS now, from a libuv callback on the JS thread (loop driver).
pub fn deliver_now(events: Vec<Event>) {
    // Copy out and release the borrow: JS may call back into rsnet (ref/unref...).
    let Some(direct) = LOCAL.with(|local| local.borrow().as_ref().map(|l| l.direct)) else {
        return;
    };
    unsafe {
        let mut scope = ptr::null_mut();
        if sys::napi_open_handle_scope(direct.env, &mut scope) != sys::Status::napi_ok {
            return;
        }
        let mut dispatch = ptr::null_mut();
        sys::napi_get_reference_value(direct.env, direct.dispatch, &mut dispatch);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            batch::dispatch(direct.env, dispatch, events, Some(direct.context), false)
        }));
        if !matches!(outcome, Ok(Ok(()))) {
            batch::raise(direct.env, "rsnet: event dispatch failed");
        }
        sys::napi_close_handle_scope(direct.env, scope);
    }
}

/// Counts one more ref'd active handle; refs the TSFN on 0 -> 1.
pub fn retain(env: &Env) {
    adjust(env, 1);
}

/// Counts one fewer ref'd active handle; unrefs the TSFN on 1 -> 0.
pub fn release(env: &Env) {
    adjust(env, -1);
}

fn adjust(env: &Env, delta: i32) {
    LOCAL.with(|local| {
        let mut local = local.borrow_mut();
        let Some(state) = local.as_mut() else { return };
        let before = state.refs;
        state.refs = before.saturating_add_signed(delta);
        let Some(tsfn) = state.channel.tsfn() else {
            return;
        };
        unsafe {
            if before == 0 && state.refs == 1 {
                sys::napi_ref_threadsafe_function(env.raw(), tsfn.0);
            } else if before == 1 && state.refs == 0 {
                sys::napi_unref_threadsafe_function(env.raw(), tsfn.0);
            }
        }
    });
}

/// Connects this environment to rsnet: `dispatch(arrayBuffer, count, handles)` receives
/// every batch of events (layout in lib/binding.js). Called once per environment.
#[napi]
pub fn init(env: Env, dispatch: JsFunction) -> napi::Result<()> {
    if LOCAL.with(|local| local.borrow().is_some()) {
        return Err(napi::Error::from_reason("rsnet: init() called twice"));
    }
    let channel = Arc::new(Channel {
        queue: Mutex::new(Queue {
            events: Vec::new(),
            scheduled: false,
            tsfn: None,
        }),
        registry: Registry::default(),
    });
    let raw_env = env.raw();
    let mut tsfn = ptr::null_mut();
    unsafe {
        let name = napi_raw::string(raw_env, "rsnet")?;
        // The TSFN owns one strong count of the channel; its finalizer drops it.
        let context = Arc::into_raw(channel.clone()) as *mut c_void;
        check(sys::napi_create_threadsafe_function(
            raw_env,
            dispatch.raw(),
            ptr::null_mut(),
            name,
            0,
            1,
            context,
            Some(finalize_channel),
            context,
            Some(deliver),
            &mut tsfn,
        ))?;
        check(sys::napi_unref_threadsafe_function(raw_env, tsfn))?;
    }
    channel.lock().tsfn = Some(Tsfn(tsfn));
    // Registered after the TSFN exists, so it runs before Node's own TSFN cleanup.
    let hook_arg = Arc::into_raw(channel.clone()) as *mut c_void;
    unsafe {
        check(sys::napi_add_env_cleanup_hook(
            raw_env,
            Some(cleanup),
            hook_arg,
        ))?
    };
    let direct = direct_delivery(raw_env, &dispatch)?;
    LOCAL.with(|local| {
        *local.borrow_mut() = Some(LoopRefs {
            channel,
            refs: 0,
            driver: Driver::chosen(),
            direct,
        })
    });
    Ok(())
}

/// Keeps what delivery from libuv callbacks needs to call `dispatch`. They live
/// as long as the environment (never released: one each per environment).
fn direct_delivery(env: sys::napi_env, dispatch: &JsFunction) -> napi::Result<Direct> {
    let mut direct = Direct {
        env,
        dispatch: ptr::null_mut(),
        context: ptr::null_mut(),
        uv_loop: ptr::null_mut(),
    };
    unsafe {
        check(sys::napi_create_reference(
            env,
            dispatch.raw(),
            1,
            &mut direct.dispatch,
        ))?;
        let mut resource = ptr::null_mut();
        check(sys::napi_create_object(env, &mut resource))?;
        let name = napi_raw::string(env, "rsnet:read")?;
        check(sys::napi_async_init(
            env,
            resource,
            name,
            &mut direct.context,
        ))?;
        let mut uv_loop = ptr::null_mut();
        check(sys::napi_get_uv_event_loop(env, &mut uv_loop))?;
        direct.uv_loop = uv_loop.cast();
        crate::uv_driver::start(direct.uv_loop)
            .map_err(|_| napi::Error::from_reason("rsnet: could not start the loop driver"))?;
    }
    Ok(direct)
}

/// TSFN callback on the JS thread: drains the queue into one JS call.
unsafe extern "C" fn deliver(
    env: sys::napi_env,
    js_cb: sys::napi_value,
    context: *mut c_void,
    _: *mut c_void,
) {
    // env is null while Node tears the TSFN down: nothing may run then.
    if env.is_null() || js_cb.is_null() {
        return;
    }
    let channel = unsafe { &*(context as *const Channel) };
    let events = channel.take(Vec::new());
    if events.is_empty() {
        return;
    }
    // A panic must never unwind into Node: report it as an uncaught JS error instead.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
        batch::dispatch(env, js_cb, events, None, second_in_turn(env))
    }));
    let message = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(err)) => format!("rsnet: event dispatch failed: {err}"),
        Err(_) => "rsnet: internal panic while dispatching events".to_owned(),
    };
    unsafe { batch::raise(env, &message) };
}

/// Whether a threadsafe-function delivery comes in the same loop turn as the one
/// before it. libuv polls once per turn, so what a runtime thread read while JS ran
/// this turn's callbacks (the answer to a write just made) reaches JS on the next
/// turn; JS holds such a batch until then.
fn second_in_turn(env: sys::napi_env) -> bool {
    thread_local! {
        static LAST_TURN: std::cell::Cell<f64> = const { std::cell::Cell::new(-1.0) };
    }
    let turn = crate::loop_turn::current(env);
    turn >= 0.0 && LAST_TURN.with(|last| last.replace(turn)) == turn
}

unsafe extern "C" fn finalize_channel(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    drop(unsafe { Arc::from_raw(data as *const Channel) });
}

unsafe extern "C" fn cleanup(arg: *mut c_void) {
    let channel = unsafe { Arc::from_raw(arg as *const Channel) };
    if let Some(tsfn) = channel.shut() {
        unsafe {
            sys::napi_release_threadsafe_function(tsfn.0, sys::ThreadsafeFunctionReleaseMode::abort)
        };
    }
    // Polls stop before the fds they watch are closed.
    crate::uv_driver::stop();
    channel.registry.close_all();
    LOCAL.with(|local| local.borrow_mut().take());
}

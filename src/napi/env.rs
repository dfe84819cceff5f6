//! One Node environment's state (the main thread's, or a worker's), on its JS thread:
//! [`Environment`].
//!
//! The TSFN is created unref'd (weak): it keeps the process alive only while JS holds
//! at least one ref'd, active handle, counted here. napi's ref/unref are flags, not
//! counters, so they are called only on 0 <-> 1 transitions of our own count.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::Arc;

use napi::{sys, Env};
use napi_derive::napi;

use crate::driver::threaded::Channel;
use crate::driver::Driver;
use crate::napi::loop_phases::LoopPhases;

/// Everything rsnet keeps for one environment, set up by `delivery::init` and dropped
/// at its teardown. (The in-loop driver keeps its open polls and the turn's events in
/// `driver::in_loop`, below this layer.)
pub struct Environment {
    /// Where runtime threads queue events, and the TSFN that wakes this thread.
    pub channel: Arc<Channel>,
    pub driver: Driver,
    /// Delivery straight from libuv callbacks on the JS thread (the in-loop driver's
    /// reads, and under both drivers the completions of the check phase).
    pub direct: Direct,
    /// The check, prepare and idle handles in this environment's loop.
    pub phases: LoopPhases,
    /// The async context `'close'` callbacks run in (`close_phase`), made on first use.
    pub close_context: Cell<sys::napi_async_context>,
    /// The loop turn of the last TSFN delivery (`delivery::second_in_turn`).
    pub last_turn: Cell<f64>,
    /// Ref'd active handles.
    refs: Cell<u32>,
}

/// What delivering from a libuv callback (outside any napi call) needs.
#[derive(Clone, Copy)]
pub struct Direct {
    pub env: sys::napi_env,
    pub dispatch: sys::napi_ref,
    pub context: sys::napi_async_context,
    pub uv_loop: *mut c_void,
}

impl Environment {
    pub fn new(channel: Arc<Channel>, driver: Driver, direct: Direct, phases: LoopPhases) -> Self {
        Environment {
            channel,
            driver,
            direct,
            phases,
            close_context: Cell::new(std::ptr::null_mut()),
            last_turn: Cell::new(-1.0),
            refs: Cell::new(0),
        }
    }
}

thread_local! {
    // One Node environment per JS thread (main thread or worker), so a thread-local is
    // exactly per-environment state.
    static CURRENT: RefCell<Option<Rc<Environment>>> = const { RefCell::new(None) };
}

/// The calling JS thread's environment, if rsnet was initialised there. A counted
/// reference: a caller may call into JS (which may call back into rsnet) while it
/// holds one.
pub fn current() -> Option<Rc<Environment>> {
    CURRENT.with(|current| current.borrow().clone())
}

fn not_set_up() -> napi::Error {
    napi::Error::from_reason("rsnet: binding used before init() in this environment")
}

/// The channel of the calling JS thread's environment.
pub fn channel() -> napi::Result<Arc<Channel>> {
    current().map(|e| e.channel.clone()).ok_or_else(not_set_up)
}

/// The driver of this environment.
pub fn driver() -> napi::Result<Driver> {
    current().map(|e| e.driver).ok_or_else(not_set_up)
}

/// Whether this environment was initialised already.
pub fn is_set_up() -> bool {
    CURRENT.with(|current| current.borrow().is_some())
}

/// Installs this environment's state (`delivery::init`).
pub fn set_up(state: Environment) {
    CURRENT.with(|current| *current.borrow_mut() = Some(Rc::new(state)));
}

/// Drops this environment's state (its teardown).
pub fn tear_down() {
    let state = CURRENT.with(|current| current.borrow_mut().take());
    drop(state);
}

/// The driver this environment runs ("loop" or "threaded"), for tests and benchmarks.
#[napi(js_name = "driver")]
pub fn driver_name() -> Option<&'static str> {
    driver().ok().map(Driver::name)
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
    let Some(state) = current() else { return };
    let before = state.refs.get();
    let after = before.saturating_add_signed(delta);
    state.refs.set(after);
    let Some(tsfn) = state.channel.tsfn() else {
        return;
    };
    // SAFETY: `env` comes from a napi export, so this is its JS thread, the one
    // napi_ref/unref_threadsafe_function must run on. The TSFN is this environment's
    // (its channel's) and still alive: `shut` had not taken it.
    unsafe {
        if before == 0 && after == 1 {
            sys::napi_ref_threadsafe_function(env.raw(), tsfn.0);
        } else if before == 1 && after == 0 {
            sys::napi_unref_threadsafe_function(env.raw(), tsfn.0);
        }
    }
}

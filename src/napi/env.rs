//! The per-environment state on its JS thread: the channel, the driver, what
//! delivering from libuv callbacks needs, and the loop-liveness count.
//!
//! The TSFN is created unref'd (weak): it keeps the process alive only while JS holds
//! at least one ref'd, active handle, counted here. napi's ref/unref are flags, not
//! counters, so they are called only on 0 <-> 1 transitions of our own count.

use std::cell::RefCell;
use std::ffi::c_void;
use std::sync::Arc;

use napi::{sys, Env};
use napi_derive::napi;

use crate::driver::threaded::Channel;
use crate::driver::Driver;

/// JS-thread state of one environment: its channel and the count of ref'd active handles.
pub struct LoopRefs {
    pub channel: Arc<Channel>,
    pub refs: u32,
    pub driver: Driver,
    /// Delivery straight from libuv callbacks on the JS thread (the in-loop driver's
    /// reads, and under both drivers the completions of the check phase).
    pub direct: Direct,
}

/// What delivering from a libuv callback (outside any napi call) needs.
#[derive(Clone, Copy)]
pub struct Direct {
    pub env: sys::napi_env,
    pub dispatch: sys::napi_ref,
    pub context: sys::napi_async_context,
    pub uv_loop: *mut c_void,
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
            .ok_or_else(not_set_up)
    })
}

/// The calling JS thread's channel, if rsnet was initialised there.
pub fn current_channel() -> Option<Arc<Channel>> {
    LOCAL.with(|local| local.borrow().as_ref().map(|l| l.channel.clone()))
}

/// The driver of this environment.
pub fn driver() -> napi::Result<Driver> {
    LOCAL
        .with(|local| local.borrow().as_ref().map(|l| l.driver))
        .ok_or_else(not_set_up)
}

fn not_set_up() -> napi::Error {
    napi::Error::from_reason("rsnet: binding used before init() in this environment")
}

/// What delivering from a libuv callback needs, if rsnet was initialised here.
pub fn direct() -> Option<Direct> {
    LOCAL.with(|local| local.borrow().as_ref().map(|l| l.direct))
}

/// Whether this environment was initialised already.
pub fn is_set_up() -> bool {
    LOCAL.with(|local| local.borrow().is_some())
}

/// Installs this environment's state (`delivery::init`).
pub fn set_up(state: LoopRefs) {
    LOCAL.with(|local| *local.borrow_mut() = Some(state));
}

/// Drops this environment's state (its teardown).
pub fn tear_down() {
    LOCAL.with(|local| local.borrow_mut().take());
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
    LOCAL.with(|local| {
        let mut local = local.borrow_mut();
        let Some(state) = local.as_mut() else { return };
        let before = state.refs;
        state.refs = before.saturating_add_signed(delta);
        let Some(tsfn) = state.channel.tsfn() else {
            return;
        };
        // SAFETY: `env` comes from a napi export, so this is its JS thread, the one
        // napi_ref/unref_threadsafe_function must run on. The TSFN is this
        // environment's (its channel's) and still alive: `shut` had not taken it.
        unsafe {
            if before == 0 && state.refs == 1 {
                sys::napi_ref_threadsafe_function(env.raw(), tsfn.0);
            } else if before == 1 && state.refs == 0 {
                sys::napi_unref_threadsafe_function(env.raw(), tsfn.0);
            }
        }
    });
}
